package models

import (
	"math"
	"testing"
)

// The whole distributions as first written (allocating node terms and
// growing the output by append, P(alive) by logAliveWith each y): the
// references of the bit-for-bit tests of the faster forms, which must do
// the same floating-point operations in the same order.

func refPnbdNodeTerms(m *FittedParetoNBD, lr *legendreRules, k int, t float64) (base, ratio []float64) {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	x, w := lr.x[k], lr.w[k]
	base, ratio = make([]float64, len(x)), make([]float64, len(x))
	if alpha <= beta {
		top := t / (alpha + t)
		for i := range x {
			v := top * x[i]
			base[i] = math.Exp(math.Log(w[i]*top*s*alpha/(beta+(alpha-beta)*v)) + (r+s-1)*math.Log1p(-v) - s*math.Log1p((alpha-beta)*v/beta))
			ratio[i] = v
		}
		return base, ratio
	}
	top := t / (beta + t)
	for i := range x {
		u := top * x[i]
		den := alpha + (beta-alpha)*u
		base[i] = math.Exp(math.Log(w[i]*top*s) + (s-1)*math.Log1p(-u) + r*math.Log(alpha*(1-u)/den))
		ratio[i] = beta * u / den
	}
	return base, ratio
}

func refPnbdDistribution(m *FittedParetoNBD, lr *legendreRules, t, tail float64, maxY int) []float64 {
	for k := 0; k+1 < len(lr.x); k++ {
		if out, ok := refPnbdDistributionWith(m, lr, k, t, tail, maxY); ok {
			return out
		}
	}
	var out []float64
	cum := 0.0
	for y := 0; y <= maxY && cum < 1-tail; y++ {
		p := m.ProbabilityOfPurchases(y, t)
		out = append(out, p)
		cum += p
	}
	return out
}

func refPnbdDistributionWith(m *FittedParetoNBD, lr *legendreRules, k int, t, tail float64, maxY int) ([]float64, bool) {
	b1, q1 := refPnbdNodeTerms(m, lr, k, t)
	b2, q2 := refPnbdNodeTerms(m, lr, k+1, t)
	var out []float64
	cum := 0.0
	for y := 0; y <= maxY && cum < 1-tail; y++ {
		yf := float64(y)
		d1, d2 := 0.0, 0.0
		for i := range b1 {
			d1 += b1[i]
			b1[i] *= q1[i] * (m.R + yf) / (yf + 1)
		}
		for i := range b2 {
			d2 += b2[i]
			b2[i] *= q2[i] * (m.R + yf) / (yf + 1)
		}
		alive := math.Exp(m.logAliveWith(yf, t))
		if math.Abs(d1-d2) > 1e-10*(alive+d2)+1e-15 || !(d2 >= 0) {
			return nil, false
		}
		p := math.Min(alive+d2, 1)
		out = append(out, p)
		cum += p
	}
	return out, true
}

func refBGFDistribution(m bgfModel, t, tail float64, maxY int) ([]float64, bool) {
	if !(t > 0) || math.IsInf(t, 1) {
		return nil, false
	}
	lz := -math.Log1p(m.alpha / t)
	lw := -math.Log1p(t / m.alpha)
	lnb0 := m.r * lw
	if lnb0 < -600 {
		return nil, false
	}
	nb := refNegBinomialTerms(m.r, math.Exp(lz), math.Exp(lnb0), maxY)
	if nb == nil {
		return nil, false
	}
	tails := refNegBinomialTails(nb)
	out := make([]float64, 0, len(nb))
	cum := 0.0
	prev, ratio := math.NaN(), 1.0
	for k := 0.0; k < m.shift; k++ {
		prev, ratio = ratio, ratio*(m.b+k)/(m.a+m.b+k)
	}
	for n := 0; n <= maxY && cum < 1-tail; n++ {
		if n >= len(nb) {
			return nil, false
		}
		p := ratio * nb[n]
		if mm := float64(n) - 1 + m.shift; mm >= 0 {
			tailN := 1.0
			if n > 0 {
				tailN = tails[n]
			}
			p += m.a / (m.a + m.b + mm) * prev * tailN
		}
		p = math.Min(p, 1)
		out = append(out, p)
		cum += p
		mm := float64(n) + m.shift
		prev, ratio = ratio, ratio*(m.b+mm)/(m.a+m.b+mm)
	}
	return out, true
}

func refNegBinomialTerms(r, z, first float64, maxY int) []float64 {
	size := r*z/(1-z) + 40*math.Sqrt(r*z)/(1-z) + 32
	out := make([]float64, 1, int(math.Min(size, float64(4*maxY+64))))
	out[0] = first
	v := first
	for n := 0.0; ; n++ {
		ratio := z * (r + n) / (n + 1)
		rho := ratio
		if r < 1 {
			rho = z
		}
		if rho < 1 && v*rho < bgfTailNegligible*(1-rho) {
			return out
		}
		if len(out) > 4*maxY+64 {
			return nil
		}
		v *= ratio
		out = append(out, v)
	}
}

func refNegBinomialTails(nb []float64) []float64 {
	tails := make([]float64, len(nb)+1)
	sum, comp := 0.0, 0.0
	for n := len(nb) - 1; n >= 0; n-- {
		y := nb[n] - comp
		s := sum + y
		comp = (s - sum) - y
		sum = s
		tails[n] = sum
	}
	head := 0.0
	for n := range nb {
		if head >= 0.5 {
			break
		}
		tails[n] = 1 - head
		head += nb[n]
	}
	return tails
}

// sameSliceBits reports whether a and b hold the same float64 bits, one by one.
func sameSliceBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// distGridHorizons are the horizons of the bit-for-bit checks: from a day
// to decades, the run's 26 and 52 weeks among them.
var distGridHorizons = []float64{0.01, 0.5, 13, 25.714285714285715, 39, 52, 150, 5000}

// TestParetoNBDDistributionBits checks that pnbdDistribution gives the
// bits of the first implementation (refPnbdDistribution) over the grid of
// the closed-form checks, a long-lived cohort whose rules disagree (the
// retry with more nodes and the y-by-y fallback), heavy buyers whose
// distributions outgrow the stack buffer, and several tails; with and
// without one futureCache across all of them (histories of one age share
// its node logs, the two tails every entry). Where the build fuses
// multiply-adds the two forms are fused differently: within fusedRelQuad.
func TestParetoNBDDistributionBits(t *testing.T) {
	lr := newLegendreRules()
	params := append([][4]float64{
		{0.2916, 7.4, 1.30, 146},         // the 1M run's fit (β ≫ α)
		{0.4754, 9.8215, 11.755, 461.57}, // the quickstart's
		{0.02, 0.05, 0.01, 900},
		{40, 0.8, 0.3, 0.9},
	}, pnbdGridParams...)
	histories := append([]Customer{
		{Frequency: 88, Recency: 40, T: 40},
		{Frequency: 400, Recency: 50, T: 51},
		{Frequency: 5, Recency: 39, T: 40}, // the node logs of T = 40 again
	}, pnbdGridHistories...)
	retries, calls := 0, 0
	cache := newFutureCache() // across every case: keyed by (α+T, β+T, s, t)
	for _, p := range params {
		for _, c := range histories {
			next, _ := NewFittedParetoNBD(p[0]+c.Frequency, p[1]+c.T, p[2], p[3]+c.T)
			for _, horizon := range distGridHorizons[:len(distGridHorizons)-1] {
				for _, tail := range []float64{1e-10, 1e-3} {
					want := refPnbdDistribution(next, lr, horizon, tail, maxPurchasesInInterval)
					if _, ok := refPnbdDistributionWith(next, lr, 0, horizon, tail, maxPurchasesInInterval); !ok {
						retries++
					}
					got := next.pnbdDistribution(lr, horizon, tail, maxPurchasesInInterval)
					if !fmaSameSlice(got, want, fusedRelQuad) {
						t.Errorf("params %v, history %+v, t=%v, tail %v: %d probabilities, not the reference's %d (compared %s)", p, c, horizon, tail, len(got), len(want), bitsMode(fusedRelQuad))
					}
					cached := next.pnbdDistributionCached(lr, horizon, tail, maxPurchasesInInterval, cache)
					calls++
					if !fmaSameSlice(cached, want, fusedRelQuad) {
						t.Errorf("params %v, history %+v, t=%v, tail %v: %d probabilities with the cache, not the reference's %d (compared %s)", p, c, horizon, tail, len(cached), len(want), bitsMode(fusedRelQuad))
					}
					if len(got) > 0 && cap(got) != len(got) {
						t.Errorf("params %v, history %+v, t=%v: capacity %d for %d probabilities", p, c, horizon, cap(got), len(got))
					}
				}
			}
		}
	}
	if retries == 0 {
		t.Error("no case needed the larger rules: the grid misses the retry")
	}
	if len(cache.pnbd) >= calls/2 {
		t.Errorf("%d node logs kept for %d distributions: the cache is barely read", len(cache.pnbd), calls)
	}
}

// TestBGFDistributionBits checks that bgfModel.distribution gives the bits
// (and the ok) of the first implementation (refBGFDistribution) for the
// BG/NBD and MBG/NBD over the parameters of TestBGFDistributionMatchesPMF,
// heavy buyers whose series outgrow the stack buffers, and several tails
// and caps.
func TestBGFDistributionBits(t *testing.T) {
	long := 0
	for _, shift := range []float64{0, 1} {
		for _, p := range [][4]float64{
			{0.243, 4.414, 0.793, 2.426},
			{1, 5, 0.5, 10},
			{0.05, 0.3, 0.02, 0.05},
			{3.2, 60, 0.6, 40},
			{180, 70, 0.5, 190},
			{0.8, 2, 7, 0.3},
			{25, 3, 1.2, 9},
			{900, 40, 0.7, 3},
		} {
			m := bgfModel{p[0], p[1], p[2], p[3], shift}
			for _, horizon := range append(distGridHorizons, 0, math.Inf(1)) {
				for _, cut := range []struct {
					tail float64
					maxY int
				}{{pmfTailMass, maxPurchasesInInterval}, {1e-3, maxPurchasesInInterval}, {pmfTailMass, 30}} {
					want, wantOK := refBGFDistribution(m, horizon, cut.tail, cut.maxY)
					got, ok := m.distribution(horizon, cut.tail, cut.maxY)
					if ok != wantOK || !sameSliceBits(got, want) {
						t.Errorf("shift %v %v over %v, cut %+v: %d probabilities (%v), not the reference's %d bits (%v)", shift, p, horizon, cut, len(got), ok, len(want), wantOK)
					}
					if len(got) > 0 && cap(got) != len(got) {
						t.Errorf("shift %v %v over %v: capacity %d for %d probabilities", shift, p, horizon, cap(got), len(got))
					}
					if len(want) > 600 {
						long++
					}
				}
			}
		}
	}
	if long == 0 {
		t.Error("no distribution outgrew the stack buffers")
	}
}

// TestFutureOfMatchesFittedModels checks that futureOf, the model of the
// future without P(alive), gives the bits of the fitted models that
// future first returned (NewFittedBGNBD and NewFittedParetoNBD at the
// updated parameters): the whole distribution over two horizons and
// P(X(t) = y) term by term; that future returns it with P(alive); and that
// parameters out of range give the constructors' errors.
func TestFutureOfMatchesFittedModels(t *testing.T) {
	bg, _ := NewFittedBGNBD(0.243, 4.414, 0.793, 2.426)
	mbg, _ := NewFittedMBGNBD(0.243, 4.414, 0.793, 2.426)
	pnbd, _ := NewFittedParetoNBD(0.55315, 10.57633, 0.60625, 11.67150)
	lr := newLegendreRules()
	cases := []struct {
		name string
		pm   predictiveModel
		want func(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error)
	}{
		{"bgnbd", bgnbdPredictive{bg}, func(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
			return NewFittedBGNBD(bg.R+c.Frequency, bg.Alpha+c.T, bg.A, bg.B+c.Frequency)
		}},
		{"mbgnbd", mbgnbdPredictive{mbg}, func(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
			return NewFittedBGNBD(mbg.R+c.Frequency, mbg.Alpha+c.T, mbg.A, mbg.B+c.Frequency+1)
		}},
		{"paretonbd", paretoPredictive{pnbd, lr}, func(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
			f, err := NewFittedParetoNBD(pnbd.R+c.Frequency, pnbd.Alpha+c.T, pnbd.S, pnbd.Beta+c.T)
			return paretoFuture{f, lr}, err
		}},
	}
	for _, tc := range cases {
		for _, c := range pnbdGridHistories {
			got, err := futureOf(tc.pm, c)
			if err != nil {
				t.Fatalf("%s %+v: %v", tc.name, c, err)
			}
			want, _ := tc.want(c)
			alive, viaFuture, err := tc.pm.future(c)
			if err != nil || alive != tc.pm.(aliveOnly).aliveAt(c) {
				t.Errorf("%s %+v: future gives P(alive) %v (%v), aliveAt %v", tc.name, c, alive, err, tc.pm.(aliveOnly).aliveAt(c))
			}
			for _, horizon := range []float64{25.714285714285715, 52} {
				g, err1 := futurePMF(got, horizon)
				w, err2 := futurePMF(want, horizon)
				v, err3 := futurePMF(viaFuture, horizon)
				if err1 != nil || err2 != nil || err3 != nil || !sameSliceBits(g, w) || !sameSliceBits(v, w) {
					t.Errorf("%s %+v over %v: futurePMF of futureOf (%d, %v) or future (%d, %v) differs from the fitted model's (%d, %v)", tc.name, c, horizon, len(g), err1, len(v), err3, len(w), err2)
				}
				for _, y := range []int{0, 1, 5} {
					if a, b := got.ProbabilityOfPurchases(y, horizon), want.ProbabilityOfPurchases(y, horizon); math.Float64bits(a) != math.Float64bits(b) {
						t.Errorf("%s %+v over %v: P(X = %d) = %v, fitted model %v", tc.name, c, horizon, y, a, b)
					}
				}
			}
		}
		bad := Customer{Frequency: 1, Recency: 1, T: -1000} // α+T < 0
		_, err := futureOf(tc.pm, bad)
		_, wantErr := tc.want(bad)
		if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
			t.Errorf("%s: futureOf(%+v) gives the error %v, the constructor %v", tc.name, bad, err, wantErr)
		}
	}
}
