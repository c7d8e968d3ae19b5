package models

import (
	"fmt"
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

// moneyCase is a purchase model, a horizon and Gamma-Gamma parameters
// (p, q, γ) the revenue-interval tests run on.
type moneyCase struct {
	name    string
	f       FittedPurchases
	horizon float64
	p, q, g float64
}

// moneyCases are the revenue-interval tests' cases: the spend,
// small shapes (infinite moments) and large ones.
func moneyCases() []moneyCase {
	bg, _ := NewFittedBGNBD(1, 5, 0.5, 10)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	return []moneyCase{
		{"bgnbd, the issue's spend", bg, 26, 6, 4, 15},
		{"bgnbd, small shapes, infinite moments", bg, 52, 0.6, 0.9, 2},
		{"paretonbd, large shapes", pnbd, 39, 25, 30, 400},
	}
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
	cases := moneyCases()
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

// The solver of intervals_money.go as it was first written, one sum at a
// time: TestMoneyRowMatchesReference holds the faster forms (several sums
// side by side, two halvings a round) to it bit for bit.

func refNodeCDF(mr *moneyRow, j int) float64 {
	col := mr.g.table[j*mr.g.ys:]
	s := mr.p0
	for y, p := range mr.pmf {
		s += p * col[y]
	}
	return s
}

func refBracket(mr *moneyRow, q float64, from int, cdfAt []float64) int {
	at := func(j int) float64 {
		if math.IsNaN(cdfAt[j]) {
			cdfAt[j] = refNodeCDF(mr, j)
		}
		return cdfAt[j]
	}
	lo, hi := from, mr.g.nodes-1
	if !(at(lo) < q) || !(at(hi) >= q) {
		return -1
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if at(mid) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func refFitCell(mr *moneyRow, j int, Fj, Fj1 float64) bool {
	const n = moneyChebyshevNodes
	g, r := mr.g, mr.rules
	c := g.cell(j)
	var f [n]float64
	hi := min(c.hi, len(mr.pmf))
	for i := range f {
		d := c.dens[i*g.ys:]
		s := 0.0
		for y := c.lo; y < hi; y++ {
			s += mr.pmf[y] * d[y]
		}
		f[i] = s
	}
	size := 0.0
	for k := range n {
		s := 0.0
		for i, m := range r.toCheb[k] {
			s += m * f[i]
		}
		mr.cheb[k] = s
		size += math.Abs(s)
	}
	if math.Abs(mr.cheb[n-1])+math.Abs(mr.cheb[n-2]) > 1e-12*size {
		return false
	}
	half := g.h / 2
	a := func(k int) float64 {
		switch {
		case k >= n:
			return 0
		case k == 0:
			return 2 * mr.cheb[0]
		}
		return mr.cheb[k]
	}
	atMinus := 0.0
	for k := 1; k <= n; k++ {
		mr.integral[k] = half * (a(k-1) - a(k+1)) / float64(2*k)
		if k%2 == 1 {
			atMinus -= mr.integral[k]
		} else {
			atMinus += mr.integral[k]
		}
	}
	mr.integral[0] = -atMinus
	mr.cell, mr.cellBase = j, Fj
	return math.Abs(Fj+chebyshevSum(mr.integral[:], 1)-Fj1) <= moneyCellCheck
}

func refSolveCell(mr *moneyRow, q float64) float64 {
	g := mr.g
	half := g.h / 2
	target := q - mr.cellBase
	lo, hi := -1.0, 1.0
	x := 0.0
	for range 100 {
		fx := chebyshevSum(mr.integral[:], x) - target
		if fx < 0 {
			lo = x
		} else {
			hi = x
		}
		d := chebyshevSum(mr.cheb[:], x) * half
		next := x - fx/d
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-x)*half <= 1e-13 || hi-lo <= 1e-15 {
			x = next
			break
		}
		x = next
	}
	return g.node(mr.cell) + half*(x+1)
}

func refQuantiles(mr *moneyRow, qs, out, cdfAt []float64) {
	for j := range cdfAt {
		cdfAt[j] = math.NaN()
	}
	from := 0
	for i, q := range qs {
		out[i] = math.NaN()
		if mr.p0 >= q*(1-1e-12) {
			out[i] = 0
			continue
		}
		j := refBracket(mr, q, from, cdfAt)
		if j < 0 {
			continue
		}
		from = j
		if mr.cell != j {
			if math.IsNaN(cdfAt[j+1]) {
				cdfAt[j+1] = refNodeCDF(mr, j+1)
			}
			if !refFitCell(mr, j, cdfAt[j], cdfAt[j+1]) {
				mr.cell = -1
				continue
			}
		}
		out[i] = math.Exp(refSolveCell(mr, q))
	}
}

func refCDF(mr *moneyRow, t float64) float64 {
	g := mr.g
	j := int(math.Floor((t - g.t0) / g.h))
	if !(j >= 0 && j < g.nodes-1) {
		return math.NaN()
	}
	if mr.cell != j && !refFitCell(mr, j, refNodeCDF(mr, j), refNodeCDF(mr, j+1)) {
		mr.cell = -1
		return math.NaN()
	}
	x := 2*(t-g.node(j))/g.h - 1
	return mr.cellBase + chebyshevSum(mr.integral[:], math.Max(-1, math.Min(1, x)))
}

// sameBits reports whether a and b are the same float64, bit for bit (any
// two NaNs count as the same), or, only where the build fuses
// multiply-adds, within fmaSame's tolerance with rel.
func sameBits(a, b, rel float64) bool {
	return math.IsNaN(a) && math.IsNaN(b) || fmaSame(a, b, rel)
}

// fusedCDF bounds, where the build fuses multiply-adds, how far apart in
// probability the reference's CDF puts the fast and the reference roots of
// F(t) = q: the two forms' series then differ in their low bits, and a
// root moves by ΔF/F′, far more than a few ulps where F is flat (the
// tails), while F at the moved root moves by no more than ΔF. Where F is
// steep the roots are instead as close as the solves stop: each within
// solveStep (cellSolve.step's last step in t) of its own root.
const (
	fusedCDF  = 1e-13
	solveStep = 1e-13
)

// sameRoot reports whether tGot and tWant, the fast and the reference
// solutions t of F(t) = q, are the same bits or, only where the build fuses
// multiply-adds, within fusedULPs ulps, or 2·solveStep, or with the
// reference's F (refCDF, on ref, a copy) at them within fusedCDF.
func sameRoot(ref moneyRow, tGot, tWant float64) bool {
	if sameBits(tGot, tWant, 0) {
		return true
	}
	if !buildFuses() {
		return false
	}
	if math.Abs(tGot-tWant) <= 2*solveStep {
		return true
	}
	Fg := refCDF(&ref, tGot)
	Fw := refCDF(&ref, tWant)
	return math.Abs(Fg-Fw) <= fusedCDF // false for a NaN
}

// sameQuantile is sameRoot for quantiles of R/θ (t = ln of them): bits
// (any two NaNs the same), or as sameRoot where both are positive.
func sameQuantile(ref moneyRow, got, want float64) bool {
	if sameBits(got, want, 0) {
		return true
	}
	return got > 0 && want > 0 && sameRoot(ref, math.Log(got), math.Log(want))
}

// rootsMode names sameRoot's comparison for the tests' messages.
func rootsMode() string {
	if buildFuses() {
		return fmt.Sprintf("bit for bit, or within %d ulps, %g in t or %g in the reference's F, as this build fuses multiply-adds", fusedULPs, 2*solveStep, fusedCDF)
	}
	return "bit for bit"
}

// sameSeries reports whether two cells' Chebyshev coefficients are the
// same bits or, only where the build fuses multiply-adds, each within
// fusedRelQuad of the largest (a small coefficient's error is of the
// largest's rounding, not of its own size).
func sameSeries(a, b []float64) bool {
	if !buildFuses() {
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return len(a) == len(b)
	}
	scale := 0.0
	for _, v := range b {
		scale = math.Max(scale, math.Abs(v))
	}
	for i := range a {
		if !(math.Abs(a[i]-b[i]) <= fusedRelQuad*scale) {
			return false
		}
	}
	return len(a) == len(b)
}

// seriesMode names sameSeries' comparison for the tests' messages.
func seriesMode() string {
	if buildFuses() {
		return fmt.Sprintf("within %g of the largest coefficient, as this build fuses multiply-adds", fusedRelQuad)
	}
	return "bit for bit"
}

// TestMoneyRowMatchesReference holds the table solver (moneyRow's
// quantiles, fitCell, solveCell and cdf, and the revenue intervals built
// on them) to the reference forms above, bit for bit, on the generated
// histories of TestRevenueQuantilesTablesMatchDirect (x up to 250, T = 0,
// both tails, small and large shapes): every row's quantiles at ten
// tails, F at the nodes, every cell's series, and the CDF at points
// spread over and beyond the grid. Where the build fuses multiply-adds the
// two forms are fused differently: values within a few ulps or a relative
// bound, the series within a bound of their largest coefficient, and the
// roots as sameRoot says.
func TestMoneyRowMatchesReference(t *testing.T) {
	cases := moneyCases()
	tails := []float64{1e-9, 0.005, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.995}
	d, _ := moneyHistories(300, 5)
	for _, c := range cases {
		gg, err := NewFittedGammaGamma(c.p, c.q, c.g)
		if err != nil {
			t.Fatal(err)
		}
		pi, err := NewPurchaseIntervals(c.f, d, c.horizon, IntervalOptions{Level: 0.8, FixedParameters: true})
		if err != nil {
			t.Fatal(err)
		}
		rowK := make([]float64, d.Len())
		for row := range rowK {
			rowK[row], _ = gg.SpendPosterior(Customer{Frequency: d.Frequency[row]})
		}
		mt := newMoneyTables(gg.P, rowK, pi.cdf)
		served, cells := 0, 0
		var fast moneyRow // one for all rows, as in a run
		for row, k := range rowK {
			var ref moneyRow
			g := mt.grids[k]
			if !fast.set(g, mt.rules, pi.cdf[row]) {
				continue
			}
			ref.set(g, mt.rules, pi.cdf[row])
			got, want := make([]float64, len(tails)), make([]float64, len(tails))
			gotAt, wantAt := make([]float64, g.nodes), make([]float64, g.nodes)
			fast.quantiles(tails, got, gotAt)
			refQuantiles(&ref, tails, want, wantAt)
			for i := range tails {
				if !sameQuantile(ref, got[i], want[i]) {
					t.Fatalf("%s, row %d (x=%v T=%v): quantile at %v is %v, the reference's %v (compared %s)", c.name, row, d.Frequency[row], d.T[row], tails[i], got[i], want[i], rootsMode())
				}
				if !math.IsNaN(got[i]) {
					served++
				}
			}
			for j := range g.nodes {
				if !math.IsNaN(wantAt[j]) && !sameBits(gotAt[j], wantAt[j], fusedRelQuad) {
					t.Fatalf("%s, row %d: F at node %d is %v, the reference's %v (compared %s)", c.name, row, j, gotAt[j], wantAt[j], bitsMode(fusedRelQuad))
				}
				if F := fast.nodeCDF(j); !sameBits(F, refNodeCDF(&ref, j), fusedRelQuad) {
					t.Fatalf("%s, row %d: nodeCDF(%d) is %v, the reference's %v (compared %s)", c.name, row, j, F, refNodeCDF(&ref, j), bitsMode(fusedRelQuad))
				}
			}
			for j := 0; j+1 < g.nodes; j++ {
				Fj, Fj1 := fast.nodeCDF2(j, j+1)
				okFast, okRef := fast.fitCell(j, Fj, Fj1), refFitCell(&ref, j, refNodeCDF(&ref, j), refNodeCDF(&ref, j+1))
				if okFast != okRef || !sameSeries(fast.cheb[:], ref.cheb[:]) || !sameSeries(fast.integral[:], ref.integral[:]) || !sameBits(fast.cellBase, ref.cellBase, fusedRelQuad) {
					t.Fatalf("%s, row %d, cell %d: the series differ (%v, %v; compared %s)", c.name, row, j, okFast, okRef, seriesMode())
				}
				cells++
				if okFast {
					for _, q := range []float64{Fj, (Fj + Fj1) / 2, Fj1, Fj + (Fj1-Fj)/1e6} {
						if a, b := fast.solveCell(q), refSolveCell(&ref, q); !sameRoot(ref, a, b) {
							t.Fatalf("%s, row %d, cell %d: solveCell(%v) is %v, the reference's %v (compared %s)", c.name, row, j, q, a, b, rootsMode())
						}
					}
				}
			}
			// The CDF along the grid and back to its middle in turn (cells
			// fitted before come again, from kept or fitted anew), on a
			// row set afresh.
			fast.set(g, mt.rules, pi.cdf[row])
			for s := -0.3; s <= 1.3; s += 0.0137 {
				for _, s := range []float64{s, 0.5, s + 0.002} {
					tt := g.t0 + s*float64(g.nodes-1)*g.h
					if a, b := fast.cdf(tt), refCDF(&ref, tt); !sameBits(a, b, fusedRelQuad) {
						t.Fatalf("%s, row %d: cdf(%v) is %v, the reference's %v (compared %s)", c.name, row, tt, a, b, bitsMode(fusedRelQuad))
					}
				}
			}
		}
		if served < len(tails)*d.Len()/4 {
			t.Errorf("%s: the tables served %d quantiles of %d", c.name, served, len(tails)*d.Len())
		}
		t.Logf("%s: %d quantiles from the tables, %d cells, compared %s", c.name, served, cells, rootsMode())
	}
}
