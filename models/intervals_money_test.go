package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// moneyHistories returns n generated histories (one customer each): x from
// 0 to 250 (a third with x = 0, some with T = 0), t_x in [0, T], and mean
// spends from 1e-6 to 1e7 (0 without repeats).
func moneyHistories(n int, seed uint64) (d *Data, monetary []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	d = &Data{}
	for i := range n {
		var x, T float64
		switch {
		case i%3 == 0:
			T = 60 * rng.Float64()
		case i%50 == 1:
			T = 0
		case i%7 == 2:
			x, T = float64(50+rng.IntN(200)), 20+40*rng.Float64()
		default:
			x, T = float64(1+rng.IntN(30)), 1+59*rng.Float64()
		}
		if i%97 == 5 {
			T = 0.01 + 0.1*rng.Float64() // a customer seen for less than a day
		}
		tx := 0.0
		if x > 0 {
			tx = T * rng.Float64()
		}
		m := 0.0
		if x > 0 {
			m = math.Pow(10, -6+13*rng.Float64())
		}
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, tx)
		d.T = append(d.T, T)
		monetary = append(monetary, m)
	}
	return d, monetary
}

// TestRevenueQuantilesTablesMatchDirect holds the revenue intervals of the
// tables (intervals_money.go) to the direct root search on the exact
// mixture CDF (rowQuantile), on generated histories from x = 0 to 250,
// T = 0 and a fraction of a day, spends from 1e-6 to 1e7, under BG/NBD and
// Pareto/NBD purchase distributions and Gamma-Gamma spend models with
// infinite (q ≤ 2) and finite moments, at four levels:
//
//   - against the direct search run to 1e-13, every bound within 1e-9
//     relative (the tables' own error is near 1e-12);
//   - against the direct search at its default tolerance (1e-6 relative,
//     today's intervals), within 1e-6 relative;
//   - the CDF the PIT reads within 1e-11 of the exact sum at every bound's
//     neighbourhood;
//   - at most 1% of the quantiles left to the direct path.
func TestRevenueQuantilesTablesMatchDirect(t *testing.T) {
	bg, _ := NewFittedBGNBD(1, 5, 0.5, 10)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	cases := []struct {
		name    string
		f       FittedPurchases
		horizon float64
		p, q, g float64
	}{
		{"bgnbd, the issue's spend", bg, 26, 6, 4, 15},
		{"bgnbd, small shapes, infinite moments", bg, 52, 0.6, 0.9, 2},
		{"paretonbd, large shapes", pnbd, 39, 25, 30, 400},
	}
	levels := []float64{0.8, 0.95, 0.5, 0.99}
	d, monetary := moneyHistories(600, 3)
	rows := make([]int, d.Len())
	for i := range rows {
		rows[i] = i
	}
	for _, c := range cases {
		gg, err := NewFittedGammaGamma(c.p, c.q, c.g)
		if err != nil {
			t.Fatal(err)
		}
		first, err := NewPurchaseIntervals(c.f, d, c.horizon, IntervalOptions{Level: levels[0], FixedParameters: true})
		if err != nil {
			t.Fatal(err)
		}
		pis := []*PurchaseIntervals{first}
		for _, l := range levels[1:] {
			pi, _ := first.AtLevel(l)
			pis = append(pis, pi)
		}
		fast, err := NewRevenueIntervalsAt(pis, gg, d, rows, monetary, nil)
		if err != nil {
			t.Fatal(err)
		}
		tight, err := newRevenueIntervals(pis, gg, d, rows, monetary, nil, revenueOptions{direct: true, tol: 1e-13})
		if err != nil {
			t.Fatal(err)
		}
		today, err := newRevenueIntervals(pis, gg, d, rows, monetary, nil, revenueOptions{direct: true})
		if err != nil {
			t.Fatal(err)
		}
		worstTight, worstToday := 0.0, 0.0
		for k := range levels {
			for i := range rows {
				for _, b := range [][3]float64{{fast[k].Lower[i], tight[k].Lower[i], today[k].Lower[i]}, {fast[k].Upper[i], tight[k].Upper[i], today[k].Upper[i]}} {
					rt, rd := relDiff(b[0], b[1]), relDiff(b[0], b[2])
					worstTight, worstToday = math.Max(worstTight, rt), math.Max(worstToday, rd)
					if rt > 1e-9 || rd > 1e-6 {
						t.Fatalf("%s, level %v, x=%v T=%v: bound %v, direct %v (to 1e-13) and %v (today's)", c.name, levels[k], d.Frequency[i], d.T[i], b[0], b[1], b[2])
					}
				}
			}
			if fast[k].TotalLower != today[k].TotalLower && !(math.IsNaN(fast[k].TotalLower) && math.IsNaN(today[k].TotalLower)) {
				t.Errorf("%s: total's lower bound %v, direct %v", c.name, fast[k].TotalLower, today[k].TotalLower)
			}
		}
		left := fast[0].tables.direct.Load()
		if quantiles := int64(2 * len(levels) * d.Len()); left > quantiles/100 {
			t.Errorf("%s: %d of %d quantiles left to the direct path", c.name, left, quantiles)
		}
		// The CDF at and around the bounds, against the exact sum.
		var mr moneyRow
		worstCDF := 0.0
		for i, row := range rows {
			if fast[1].Upper[i] == 0 {
				continue
			}
			u := fast[1].Upper[i] / fast[1].theta(i)
			for _, s := range []float64{0.5, 1, 1.001, 3} {
				got, want := fast[1].cdfAt(&mr, row, s*u), fast[1].revenueCDF(row, fast[1].rowK[row], s*u)
				worstCDF = math.Max(worstCDF, math.Abs(got-want))
				if math.Abs(got-want) > 1e-11 {
					t.Fatalf("%s, x=%v T=%v: CDF at %v is %v, exact sum %v", c.name, d.Frequency[i], d.T[i], s*u, got, want)
				}
			}
		}
		t.Logf("%s: largest relative difference %.2g against the search to 1e-13, %.2g against today's; CDF within %.2g; %d direct", c.name, worstTight, worstToday, worstCDF, left)
	}
}

// relDiff returns |a−b|/|b| (0 when both are 0, +Inf when only b is).
func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Abs(b)
}
