package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"gonum.org/v1/gonum/stat/distuv"
)

// TestSpendIntervalCoverage draws 50,000 customers from the Gamma-Gamma
// model with known parameters (ν ~ Gamma(q, γ), 0 to 9 repeat transactions
// z ~ Gamma(p, ν)) and checks that the 80% posterior interval of the mean
// transaction value holds the true p/ν of 75–85% of them; and that the
// bounds are the posterior's quantiles: the Gamma(k, θ) CDF of ν at p over
// each bound is the tail probability (gonum's distuv.Gamma).
func TestSpendIntervalCoverage(t *testing.T) {
	gg, _ := NewFittedGammaGamma(6, 4, 15)
	src := rand.New(rand.NewPCG(2005, 1))
	nuDist := distuv.Gamma{Alpha: gg.Q, Beta: gg.Gamma, Src: src}
	const n = 50000
	covered := 0
	for i := 0; i < n; i++ {
		nu := nuDist.Rand()
		x := src.IntN(10)
		sum := 0.0
		for j := 0; j < x; j++ {
			sum += distuv.Gamma{Alpha: gg.P, Beta: nu, Src: src}.Rand()
		}
		c := Customer{Frequency: float64(x)}
		if x > 0 {
			c.Monetary = sum / float64(x)
		}
		lo, hi := gg.SpendInterval(c, 0.8)
		if truth := gg.P / nu; truth >= lo && truth <= hi {
			covered++
		}
		if i < 20 {
			k, theta := gg.SpendPosterior(c)
			post := distuv.Gamma{Alpha: k, Beta: theta}
			if a, b := post.CDF(gg.P/hi), post.CDF(gg.P/lo); math.Abs(a-0.1) > 1e-9 || math.Abs(b-0.9) > 1e-9 {
				t.Errorf("x=%d m̄=%v: interval [%v, %v] sits at posterior CDFs %v and %v, want 0.1 and 0.9", x, c.Monetary, lo, hi, a, b)
			}
		}
	}
	if share := float64(covered) / n; share < 0.75 || share > 0.85 {
		t.Errorf("80%% spend intervals hold the true mean spend of %.4f of the customers, want 0.75–0.85", share)
	} else {
		t.Logf("80%% spend intervals hold the true mean spend of %.4f of %d customers", share, n)
	}
	if lo, hi := gg.SpendInterval(Customer{}, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("level 1: [%v, %v], want NaN", lo, hi)
	}
}

// TestRevenueIntervalsCoverage simulates 50,000 customers from the BG/NBD
// with Gamma-Gamma spend (known parameters), and checks that the 80%
// intervals of holdout revenue, built from the BG/NBD's predictive
// distribution at the true parameters and the spend posterior, cover
// 75–85% of the customers' actual holdout revenue by randomized PIT; that
// the customers' interval means add up to the total's mean and match the
// point prediction E[Y]·E[Z | x, m̄] to 1e-7; and that the actual total
// lies inside the total's 99% interval.
func TestRevenueIntervalsCoverage(t *testing.T) {
	truth := map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}
	spend := map[string]float64{"p": 6, "q": 4, "gamma": 15}
	s := simulatedSummary(t, "bgnbd", 50000, truth, spend)
	pt := datasets.NewPatterns(s)
	d := &Data{Frequency: pt.Frequency, Recency: pt.Recency, T: pt.T, Weight: pt.Weight}
	bg, _ := NewFittedBGNBD(truth["r"], truth["alpha"], truth["a"], truth["b"])
	gg, _ := NewFittedGammaGamma(spend["p"], spend["q"], spend["gamma"])
	horizon := s.Customers[0].DurationHoldout
	pi, err := NewPurchaseIntervals(bg, d, horizon, IntervalOptions{Level: 0.8, FixedParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Customers)
	rows, monetary, actual := make([]int, n), make([]float64, n), make([]float64, n)
	total := 0.0
	for i, c := range s.Customers {
		rows[i], monetary[i], actual[i] = int(pt.Of[i]), c.Monetary, c.FrequencyHoldout*c.MonetaryHoldout
		total += actual[i]
	}
	ri, err := NewRevenueIntervals(pi, gg, d, rows, monetary, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The bounds are the quantiles: the revenue CDF there is the tail
	// probability (a bound is 0 when P(Y = 0) alone reaches its tail).
	for i := 0; i < 200; i++ {
		row := rows[i]
		k, theta := gg.SpendPosterior(Customer{Frequency: d.Frequency[row], Monetary: monetary[i]})
		if lo := ri.Lower[i]; lo > 0 {
			if got := ri.revenueCDF(row, k, lo/theta); math.Abs(got-0.1) > 1e-5 {
				t.Fatalf("customer %d: CDF at the lower bound %v is %v, want 0.1", i, lo, got)
			}
		} else if pi.cdf[row][0] < 0.1 {
			t.Fatalf("customer %d: lower bound 0 with P(Y = 0) = %v", i, pi.cdf[row][0])
		}
		if hi := ri.Upper[i]; hi > 0 {
			if got := ri.revenueCDF(row, k, hi/theta); math.Abs(got-0.9) > 1e-5 {
				t.Fatalf("customer %d: CDF at the upper bound %v is %v, want 0.9", i, hi, got)
			}
		} else if pi.cdf[row][0] < 0.9 {
			t.Fatalf("customer %d: upper bound 0 with P(Y = 0) = %v", i, pi.cdf[row][0])
		}
	}
	randomized, within, err := ri.Coverage(actual, 3)
	if err != nil {
		t.Fatal(err)
	}
	if randomized < 0.75 || randomized > 0.85 {
		t.Errorf("80%% revenue intervals: randomized-PIT coverage %.4f, want 0.75–0.85 (within bounds %.4f)", randomized, within)
	}
	sum := 0.0
	for i, c := range s.Customers {
		sum += ri.Mean[i]
		cust := Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Monetary: c.Monetary}
		want := bg.ConditionalExpectedPurchases(cust, horizon) * gg.ExpectedSpend(cust)
		if math.Abs(ri.Mean[i]-want) > 1e-7*want+1e-12 { // the purchase distribution is cut at 1e-10 of its mass
			t.Fatalf("customer %d: mean revenue %v, E[Y]·E[Z] %v", i, ri.Mean[i], want)
		}
	}
	if math.Abs(sum-ri.TotalMean) > 1e-9*sum {
		t.Errorf("Σ means %v, total mean %v", sum, ri.TotalMean)
	}
	lo, hi := ri.TotalInterval(0.99)
	if total < lo || total > hi {
		t.Errorf("actual total revenue %.1f outside its 99%% interval [%.1f, %.1f]", total, lo, hi)
	}
	t.Logf("80%% revenue intervals: randomized %.4f, within %.4f; total %.0f, 80%% [%.0f, %.0f], mean %.0f", randomized, within, total, ri.TotalLower, ri.TotalUpper, ri.TotalMean)
}

// TestSpendIntervalsBatch checks that the batch form equals SpendInterval
// customer by customer.
func TestSpendIntervalsBatch(t *testing.T) {
	gg, _ := NewFittedGammaGamma(6.25, 3.74, 15.44) // Fader, Hardie & Lee 2005, CDNOW
	freq := []float64{0, 1, 1, 4, 0, 12}
	mon := []float64{0, 30, 12.5, 40, 0, 8}
	lo, hi := gg.SpendIntervals(freq, mon, 0.95)
	for i := range freq {
		a, b := gg.SpendInterval(Customer{Frequency: freq[i], Monetary: mon[i]}, 0.95)
		if lo[i] != a || hi[i] != b {
			t.Errorf("customer %d: batch [%v, %v], one by one [%v, %v]", i, lo[i], hi[i], a, b)
		}
	}
}

// TestRevenueReadsMatchScale holds what RevenueIntervals reads per
// customer (Bounds, LowerOf, UpperOf, MeanOf, from the scales kept per
// customer; PIT, through the cells kept per row) to the straightforward
// computation bit for bit: factor·θ times the row's value, and the CDF of
// a fresh fit of the reference solver (or the exact sum where the tables
// cannot serve), at both levels. 2,400 customers share 300 rows, eight a
// row, their revenues at a dozen points of each row's distribution so that
// several fall in one cell and more cells than are kept come in turn.
// Where the build fuses multiply-adds: within fusedRel.
func TestRevenueReadsMatchScale(t *testing.T) {
	d, _ := moneyHistories(300, 9)
	bg, _ := NewFittedBGNBD(1, 5, 0.5, 10)
	gg, _ := NewFittedGammaGamma(6, 4, 15)
	first, err := NewPurchaseIntervals(bg, d, 26, IntervalOptions{Level: 0.8, FixedParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := first.AtLevel(0.95)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 2400
	rows, monetary, factor := make([]int32, n), make([]float64, n), make([]float64, n)
	for i := range rows {
		rows[i] = int32((i*7 + i/300) % d.Len())
		if d.Frequency[rows[i]] > 0 {
			monetary[i] = math.Pow(10, -2+6*rng.Float64())
		}
		factor[i] = []float64{1, 0, 0.3, 1e-3}[i%4]
	}
	customers := RevenueCustomers{Rows: rows, Monetary: func(i int) float64 { return monetary[i] },
		Factor: func(i int) float64 { return factor[i] }}
	ris, err := NewRevenueTablesAt([]*PurchaseIntervals{first, second}, gg, d, customers)
	if err != nil {
		t.Fatal(err)
	}
	// Revenues at points of each row's distribution: the median bound's
	// neighbourhood and far out, repeated across the row's customers.
	actual := make([]float64, n)
	for i, r := range rows {
		_, theta := gg.SpendPosterior(Customer{Frequency: d.Frequency[r], Monetary: monetary[i]})
		s := factor[i] * theta * math.Max(ris[0].quantiles[int(r)*ris[0].tails+ris[0].high], 1e-3)
		actual[i] = s * []float64{0, 0.5, 1, 1.0001, 0.2, 3, 0.5, 1e-4, 7, 1, 0.9, 2}[(i+int(r))%12]
	}
	for k, ri := range ris {
		for i, r := range rows {
			_, theta := gg.SpendPosterior(Customer{Frequency: d.Frequency[r], Monetary: monetary[i]})
			g := factor[i]
			lo, hi := ri.Bounds(i)
			q := ri.quantiles[int(r)*ri.tails:]
			want := [3]float64{g * theta * q[ri.low], g * theta * q[ri.high], g * theta * ri.mean[r]}
			for j, got := range [3]float64{lo, hi, ri.MeanOf(i)} {
				if !sameBits(got, want[j], fusedRel) {
					t.Fatalf("level %d, customer %d: value %d is %v, want %v (compared %s)", k, i, j, got, want[j], bitsMode(fusedRel))
				}
			}
			if !sameBits(ri.LowerOf(i), lo, 0) || !sameBits(ri.UpperOf(i), hi, 0) {
				t.Fatalf("level %d, customer %d: LowerOf, UpperOf %v, %v; Bounds %v, %v", k, i, ri.LowerOf(i), ri.UpperOf(i), lo, hi)
			}
		}
	}
	u, err := ris[1].PIT(actual, 5)
	if err != nil {
		t.Fatal(err)
	}
	rngPIT := rand.New(rand.NewPCG(5, 0x726576656e7565))
	ri := ris[0]
	for i, a := range actual {
		v := rngPIT.Float64()
		r := int(rows[i])
		_, theta := gg.SpendPosterior(Customer{Frequency: d.Frequency[r], Monetary: monetary[i]})
		var want float64
		switch scale := theta * factor[i]; {
		case a == 0 || scale == 0:
			want = v * ri.pi.cdf[r][0]
		default:
			var mr moneyRow
			want = math.NaN()
			if mr.set(ri.tables.grids[ri.rowK[r]], ri.tables.rules, ri.pi.cdf[r]) {
				want = refCDF(&mr, math.Log(a/scale))
			}
			if math.IsNaN(want) {
				want = ri.revenueCDF(r, ri.rowK[r], a/scale)
			}
		}
		if !sameBits(u[i], want, fusedRel) {
			t.Fatalf("customer %d (row %d, revenue %v): PIT %v, want %v (compared %s)", i, r, a, u[i], want, bitsMode(fusedRel))
		}
	}
}
