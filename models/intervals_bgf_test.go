package models

import (
	"context"
	"math"
	"testing"
)

// TestBGFDistributionMatchesPMF checks the recurrences of the whole
// distribution against the term-by-term pmf (beta ratios, log-gamma ratios
// and a continued fraction per term) over BG/NBD and MBG/NBD parameters
// from sparse to heavy buyers, short to long horizons: every probability
// within (1 + y/100)·1e-12 relative (1e-300 absolute), and the same length but where
// tens of thousands of terms make the running sum's rounding move the cut
// (the mass between the two cuts is then below 1e-9). Far out the pmf's
// log-gamma differences carry errors growing with y (1e-12 at y = 400,
// 1e-11 at y = 4,000); against 40-digit values (mpmath) the recurrences
// were within 2e-13 at those points.
func TestBGFDistributionMatchesPMF(t *testing.T) {
	worst := 0.0
	for _, shift := range []float64{0, 1} {
		for _, p := range [][4]float64{
			{0.243, 4.414, 0.793, 2.426}, // FHL 2005, CDNOW
			{1, 5, 0.5, 10},              // the issue-11 generator
			{0.05, 0.3, 0.02, 0.05},
			{3.2, 60, 0.6, 40},  // a heavy buyer's posterior: r+x, α+T
			{180, 70, 0.5, 190}, // a very heavy buyer's
			{0.8, 2, 7, 0.3},
			{25, 3, 1.2, 9},
		} {
			m := bgfModel{p[0], p[1], p[2], p[3], shift}
			for _, horizon := range []float64{0.01, 1, 26, 52, 500, 5000} {
				got, ok := m.distribution(horizon, pmfTailMass, maxPurchasesInInterval)
				if !ok {
					continue // futurePMF goes term by term
				}
				var want []float64
				cum := 0.0
				for y := 0; y <= maxPurchasesInInterval && cum < 1-pmfTailMass; y++ {
					want = append(want, m.pmf(y, horizon))
					cum += want[y]
				}
				n := min(len(got), len(want))
				extra := 0.0
				for _, q := range append(got[n:], want[n:]...) {
					extra += q
				}
				if extra > 1e-9 || n < 20000 && len(got) != len(want) {
					t.Errorf("shift %v %v over %v: %d terms, pmf %d (mass %v between)", shift, p, horizon, len(got), len(want), extra)
				}
				for y := range n {
					d := math.Abs(got[y] - want[y])
					if d > (1+float64(y)/100)*1e-12*want[y]+1e-300 {
						t.Errorf("shift %v %v over %v: P(X = %d) = %v, pmf %v", shift, p, horizon, y, got[y], want[y])
						break
					}
					if want[y] > 1e-250 {
						worst = math.Max(worst, d/want[y]/(1+float64(y)/100))
					}
				}
			}
		}
	}
	t.Logf("largest relative difference over 1 + y/100: %.2g", worst)
}

// TestPurchaseIntervalsMatchDirectMixture builds every row's predictive
// distribution the direct way, draw by draw, from the models' term-by-term
// P(X(t) = y) (ProbabilityOfPurchases) and P(alive), and checks that
// NewPurchaseIntervalsAt (whole distributions once per (x, T) and draw,
// two horizons from the same draws, rows in parallel blocks) gives the
// same CDFs within 1e-12, the same integer bounds and means within 1e-12
// (on 60 rows, 12 for the Pareto/NBD, whose term-by-term P(X = y) is slow), and per-draw totals
// within 1e-8 relative of the closed-form means P(alive)·A(t | x, T) (every
// row; the distributions are cut at 1e-10 of their mass), for the BG/NBD, MBG/NBD and
// Pareto/NBD fitted to 3,000 simulated customers.
func TestPurchaseIntervalsMatchDirectMixture(t *testing.T) {
	d, _, _, holdout := simulatedPatterns(t, "bgnbd", 3000, map[string]float64{"r": 0.8, "alpha": 6, "a": 0.6, "b": 3})
	ctx := context.Background()
	bg, err := FitBGNBD(ctx, d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mbg, err := FitMBGNBD(ctx, d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pnbd, err := FitParetoNBD(ctx, d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	horizons := []float64{holdout, 52}
	o := IntervalOptions{Level: 0.9, Draws: 3, Seed: 5}
	for name, f := range map[string]FittedPurchases{"bgnbd": bg, "mbgnbd": mbg, "paretonbd": pnbd} {
		got, err := NewPurchaseIntervalsAt(f, d, horizons, o)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, d.Len()/60)
		if name == "paretonbd" {
			step = max(1, d.Len()/12) // its term-by-term P(X = y) is slow
		}
		pm, _ := predictiveOf(f)
		draws, err := parameterDraws(pm, d, o)
		if err != nil {
			t.Fatal(err)
		}
		for h, horizon := range horizons {
			pi := got[h]
			drawMeans := make([]float64, len(draws))
			for i := 0; i < d.Len(); i++ {
				c := d.Customer(i)
				if i%step != 0 {
					// The per-draw totals need every row; the direct
					// distributions are checked on every step-th.
					for k, m := range draws {
						alive, _, _ := m.future(c)
						drawMeans[k] += d.W(i) * alive * aliveFactored(m).AliveCurve(c.Frequency, c.T)(horizon)
					}
					continue
				}
				var mix []float64
				mean := 0.0
				for k, m := range draws {
					alive, next, err := m.future(c)
					if err != nil {
						t.Fatal(err)
					}
					cum, ey := 0.0, 0.0
					for y := 0; cum < 1-pmfTailMass; y++ {
						p := next.ProbabilityOfPurchases(y, horizon)
						for len(mix) <= y {
							mix = append(mix, 0)
						}
						mix[y] += alive * p / float64(len(draws))
						cum += p
						ey += float64(y) * p
					}
					mix[0] += (1 - alive) / float64(len(draws))
					mean += alive * ey / float64(len(draws))
					drawMeans[k] += d.W(i) * alive * ey
				}
				cdf := pi.cdf[i]
				if len(cdf) != len(mix) {
					t.Fatalf("%s over %v, x=%v T=%v: %d terms, directly %d", name, horizon, c.Frequency, c.T, len(cdf), len(mix))
				}
				run := 0.0
				for y, p := range mix {
					run += p
					if math.Abs(cdf[y]-run) > 1e-12 {
						t.Fatalf("%s over %v, x=%v T=%v: F(%d) = %v, directly %v", name, horizon, c.Frequency, c.T, y, cdf[y], run)
					}
				}
				if math.Abs(pi.Mean[i]-mean) > 1e-12*math.Max(1, mean) {
					t.Fatalf("%s over %v, x=%v T=%v: mean %v, directly %v", name, horizon, c.Frequency, c.T, pi.Mean[i], mean)
				}
				if lo, hi := quantileIndex(prefixSums(mix), pi.lowerTail), quantileIndex(prefixSums(mix), pi.upperTail); lo != pi.Lower[i] || hi != pi.Upper[i] {
					t.Fatalf("%s over %v, x=%v T=%v: bounds [%d, %d], directly [%d, %d]", name, horizon, c.Frequency, c.T, pi.Lower[i], pi.Upper[i], lo, hi)
				}
			}
			for k, m := range drawMeans {
				if math.Abs(pi.drawMeans[k]-m) > 1e-8*m {
					t.Errorf("%s over %v: draw %d's total mean %v, directly %v", name, horizon, k, pi.drawMeans[k], m)
				}
			}
		}
	}
}

// aliveFactored returns the fitted model of a draw.
func aliveFactored(m predictiveModel) AliveFactored {
	switch m := m.(type) {
	case bgnbdPredictive:
		return m.f
	case mbgnbdPredictive:
		return m.f
	case paretoPredictive:
		return m.f
	}
	panic("no fitted model")
}

// prefixSums returns the running sums of p.
func prefixSums(p []float64) []float64 {
	out := make([]float64, len(p))
	s := 0.0
	for i, v := range p {
		s += v
		out[i] = s
	}
	return out
}
