package models

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// Revenue quantiles by table (the fast path of RevenueIntervals).
//
// A row's revenue CDF (see the notes of intervals_spend.go) is, in
// t = ln u (u = R/θ, v = u/(1+u) = e^t/(1+e^t)),
//
//	F(t) = P(Y = 0) + Σ_{y≥1} P(Y = y) · I_{v(t)}(py, k),   k = px + q,
//
// and its density in t is f(t) = Σ_y P(Y = y) · v^(py) (1−v)^k / B(py, k).
// The incomplete beta terms depend on the row only through x, which takes
// few distinct values (95 on a million simulated customers), and y. So,
// per distinct x, they are tabulated at the nodes t_j = t_0 + j·h of a
// uniform grid in t (moneyGrid). In t every term is a smooth bump of width
// σ_y ≈ (ψ'(py) + ψ'(k))^½ (the standard deviation of ln R/θ given y),
// analytic but for branch points at t = ±iπ; h is the smallest σ_y and at
// most 1, and the grid reaches 12 σ beyond the outermost terms. The table
// is exact at the first node (a continued fraction, regIncBetaPairLnB),
// then grows cell by cell by a 16-point Gauss–Legendre rule on the
// densities, and each term's increments are rescaled to end at the
// continued fraction's value at the last node (normalize: this removes
// the rounding of ln B(py, k), a factor within 1e-9 of 1 or the grid is
// not used). The densities of successive y at one t follow by one
// multiplication each,
//
//	d_{y+1}(t) = d_y(t) · v^p · B(py, k)/B(p(y+1), k),
//
// so a column costs a few transcendental functions.
//
// A row's quantiles (every level, both tails, in one pass) are then found
// without approximating the CDF: F at the nodes is the exact dot product
// of the row's P(Y = y) with the table, which brackets each quantile in
// one cell by bisection over the nodes; in that cell the row's density is
// interpolated through its values at the cell's Gauss–Legendre points (a
// dot product with the cell's densities, kept from first use) by a
// Chebyshev series of degree 15, whose last two coefficients must be
// below 1e-12 of the others and whose integral over the cell must match
// the table's increment to moneyCellCheck; the series is integrated from
// the node's exact F and solved by safeguarded Newton steps to 1e-13 in t.
// Where a check fails, a quantile lies outside the grid or a grid is not
// usable, the quantile comes from the direct root search (rowQuantile,
// there to 1e-12). TestRevenueQuantilesTablesMatchDirect holds the two
// paths together: the tables' quantiles are within about 1e-12 relative
// of the direct search's to 1e-13, and the direct search's own tolerance,
// 1e-6 relative, is what separates today's bounds from them.

// moneyChebyshevNodes is the number of Gauss–Legendre points per cell, and
// of terms of a cell's Chebyshev series.
const moneyChebyshevNodes = 16

// moneyGridWidth is the half-width of a grid in standard deviations of the
// outermost terms: beyond it a term is within e^−12 of 0 or 1 (the tails
// of ln R/θ are exponential with rate at least 1/σ).
const moneyGridWidth = 12

// moneyMaxNodes caps a grid; a larger one is not built and its rows take
// the direct path.
const moneyMaxNodes = 20000

// moneyCellCheck is the largest difference allowed between a cell's
// Chebyshev integral and the table's increment across it (absolute, in
// probability).
const moneyCellCheck = 1e-12

// moneyGrid is the table of one x: I_{v(t_j)}(py, k) for y = 1…ys at the
// nodes t_j = t0 + j·h, j = 0…nodes−1.
type moneyGrid struct {
	p, k   float64
	ys     int
	t0, h  float64
	nodes  int
	table  []float64 // node-major: table[j*ys + y−1]
	lnB1   float64   // ln B(p, k)
	step   []float64 // B(py, k)/B(p(y+1), k), index y−1
	usable bool
	norm   []float64 // per term, the factor of normalize (nil while building)
	rules  *moneyRules
	cells  []atomic.Pointer[moneyCell] // made on first use
}

// moneyCell holds the densities of the terms at a cell's Gauss–Legendre
// points: dens[i*ys + y−1] at point i, zero for y outside [lo, hi).
type moneyCell struct {
	dens   []float64
	lo, hi int
}

// newMoneyGrid builds the table of the terms y = 1…ys for the posterior
// shape k (see the notes above); usable is false when the grid would be
// too large or fails its check at the last node.
func newMoneyGrid(p, k float64, ys int, rules *moneyRules) *moneyGrid {
	g := &moneyGrid{p: p, k: k, ys: ys}
	if ys < 1 {
		return g
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := 1; y <= ys; y++ {
		a := p * float64(y)
		mu, sd := mathext.Digamma(a)-mathext.Digamma(k), logBetaPrimeSD(a, k)
		lo, hi = math.Min(lo, mu-moneyGridWidth*sd), math.Max(hi, mu+moneyGridWidth*sd)
	}
	// A cell is at most one σ of the narrowest term wide, and at most 1:
	// every term is analytic in t but for branch points at t = ±iπ, so
	// that on a cell of width ≤ 1 the Chebyshev coefficients fall by a
	// factor of at least 12 per degree however wide the terms are.
	g.h = math.Min(logBetaPrimeSD(p*float64(ys), k), 1)
	cells := math.Ceil((hi - lo) / g.h)
	if !(cells < moneyMaxNodes) {
		return g
	}
	g.t0, g.nodes = lo, int(cells)+1
	g.lnB1 = lnBeta(p, k)
	g.step = make([]float64, ys)
	prev := g.lnB1
	for y := 1; y <= ys; y++ {
		next := lnBeta(p*float64(y+1), k)
		g.step[y-1] = math.Exp(prev - next)
		prev = next
	}
	g.table = make([]float64, g.nodes*ys)
	g.rules, g.cells = rules, make([]atomic.Pointer[moneyCell], g.nodes-1)
	g.exactColumn(0, g.table[:ys])
	var c moneyCell
	for j := 1; j < g.nodes; j++ {
		col, prevCol := g.table[j*ys:(j+1)*ys], g.table[(j-1)*ys:j*ys]
		copy(col, prevCol)
		g.cellDensities(j-1, &c)
		for i, w := range rules.glW {
			w *= g.h
			d := c.dens[i*ys : (i+1)*ys]
			for y := c.lo; y < c.hi; y++ {
				col[y] += w * d[y]
			}
		}
		for y := range col {
			col[y] = math.Min(col[y], 1)
		}
	}
	g.usable = g.normalize()
	return g
}

// normalize rescales each term's increments so that they add up to the
// continued fractions' I at the last node less I at the first. The
// densities carry the rounding of ln B(py, k), which for shapes in the
// hundreds is a difference of log-gammas in the thousands (about 1e-12
// relative, the same for every t); the continued fraction carries it too,
// but near 0 and 1 (the grid's ends) only relative to the small side. The
// factor is kept for the cells' densities. It reports false when a factor
// is further than 1e-9 from 1: more than rounding.
func (g *moneyGrid) normalize() bool {
	ys := g.ys
	first, last := g.table[:ys], make([]float64, ys)
	g.exactColumn(g.nodes-1, last)
	g.norm = make([]float64, ys)
	end := g.table[(g.nodes-1)*ys:]
	for y := range g.norm {
		g.norm[y] = 1
		if sum := end[y] - first[y]; sum > 0 {
			g.norm[y] = (last[y] - first[y]) / sum
		}
		if !(math.Abs(g.norm[y]-1) <= 1e-9) {
			return false
		}
	}
	for j := 1; j < g.nodes; j++ {
		col := g.table[j*ys : (j+1)*ys]
		for y, s := range g.norm {
			col[y] = math.Min(first[y]+(col[y]-first[y])*s, 1)
		}
	}
	return true
}

// logBetaPrimeSD bounds the standard deviation of ln Z, Z ~ BetaPrime(a, b),
// (ψ'(a) + ψ'(b))^½, from above by ψ'(z) < 1/z + 1/z².
func logBetaPrimeSD(a, b float64) float64 {
	return math.Sqrt(1/a + 1/(a*a) + 1/b + 1/(b*b))
}

// cellDensities sets c to the densities of cell j's points.
func (g *moneyGrid) cellDensities(j int, c *moneyCell) {
	n := len(g.rules.glX)
	if len(c.dens) != n*g.ys {
		c.dens = make([]float64, n*g.ys)
	}
	c.lo, c.hi = g.ys, 0
	a := g.node(j)
	for i, s := range g.rules.glX {
		d := c.dens[i*g.ys : (i+1)*g.ys]
		lo, hi := g.densities(a+g.h*s, d)
		clear(d[:lo])
		clear(d[hi:])
		if g.norm != nil {
			for y := lo; y < hi; y++ {
				d[y] *= g.norm[y]
			}
		}
		c.lo, c.hi = min(c.lo, lo), max(c.hi, hi)
	}
	c.lo = min(c.lo, c.hi)
}

// cell returns cell j's densities, made on first use.
func (g *moneyGrid) cell(j int) *moneyCell {
	if c := g.cells[j].Load(); c != nil {
		return c
	}
	c := &moneyCell{}
	g.cellDensities(j, c)
	g.cells[j].Store(c)
	return c
}

// node returns t_j.
func (g *moneyGrid) node(j int) float64 { return g.t0 + float64(j)*g.h }

// exactColumn sets out[y−1] = I_{v(t_j)}(py, k) by continued fractions.
func (g *moneyGrid) exactColumn(j int, out []float64) {
	v, w := logisticPair(g.node(j))
	for y := range out {
		a := g.p * float64(y+1)
		out[y], _ = regIncBetaPairLnB(a, g.k, v, w, lnBeta(a, g.k))
	}
}

// logisticPair returns v = e^t/(1+e^t) and 1−v, each without cancellation.
func logisticPair(t float64) (v, w float64) {
	if t > 0 {
		e := math.Exp(-t)
		return 1 / (1 + e), e / (1 + e)
	}
	e := math.Exp(t)
	return e / (1 + e), 1 / (1 + e)
}

// densities sets out[y−1] to the density in t of the term y,
// v^(py)(1−v)^k/B(py, k), for y = 1…ys by the recurrence of the notes, and
// returns [lo, hi): out[y−1] outside it were not written and are below
// moneyNegligible (ln of a term is concave in y, so the terms rise to one
// peak and fall geometrically past it).
func (g *moneyGrid) densities(t float64, out []float64) (lo, hi int) {
	var lv, l1v float64 // ln v, ln(1−v)
	if t > 0 {
		l := math.Log1p(math.Exp(-t))
		lv, l1v = -l, -t-l
	} else {
		l := math.Log1p(math.Exp(t))
		lv, l1v = t-l, -l
	}
	vp := math.Exp(g.p * lv)
	logScale := g.p*lv + g.k*l1v - g.lnB1 // ln of the term y = 1
	scale, val := math.Exp(logScale), 1.0
	lo = -1
	for y := range out {
		d := val * scale
		ratio := vp * g.step[y]
		if d >= moneyNegligible {
			if lo < 0 {
				lo = y
			}
			out[y] = d
		} else if ratio < 1 {
			if lo < 0 {
				return 0, 0
			}
			return lo, y
		}
		val *= ratio
		if val > 1e150 {
			logScale += math.Log(val)
			scale, val = math.Exp(logScale), 1
		}
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, len(out)
}

// moneyNegligible is a density below which a term is left out: its
// integral over a cell is below 1e-30.
const moneyNegligible = 1e-28

// moneyRules holds the Gauss–Legendre rule of a cell (on [0, 1]) and the
// map from a function's values at its points to the Chebyshev coefficients
// (on x ∈ [−1, 1], x = 2s−1) of the polynomial through them.
type moneyRules struct {
	glX, glW []float64
	toCheb   [moneyChebyshevNodes][moneyChebyshevNodes]float64
}

func newMoneyRules() *moneyRules {
	const n = moneyChebyshevNodes
	r := &moneyRules{glX: make([]float64, n), glW: make([]float64, n)}
	quad.Legendre{}.FixedLocations(r.glX, r.glW, 0, 1)
	// V[i][k] = T_k(x_i); the coefficients are V⁻¹ f.
	v := mat.NewDense(n, n, nil)
	for i, s := range r.glX {
		x := 2*s - 1
		t0, t1 := 1.0, x
		for k := range n {
			v.Set(i, k, t0)
			t0, t1 = t1, 2*x*t1-t0
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(v); err != nil {
		panic("intervals: the Chebyshev–Legendre matrix is singular: " + err.Error())
	}
	for k := range n {
		for i := range n {
			r.toCheb[k][i] = inv.At(k, i)
		}
	}
	return r
}

// moneyTables are the grids of every distinct x of a set of rows, shared by
// the levels' RevenueIntervals.
type moneyTables struct {
	rules  *moneyRules
	grids  map[float64]*moneyGrid // by k
	direct atomic.Int64           // quantiles and CDFs left to the direct path
}

// newMoneyTables builds a grid per distinct posterior shape k of the rows
// (rowK), covering y up to each k's longest distribution in cdfs, in
// parallel.
func newMoneyTables(p float64, rowK []float64, cdfs [][]float64) *moneyTables {
	mt := &moneyTables{rules: newMoneyRules(), grids: map[float64]*moneyGrid{}}
	longest := map[float64]int{}
	var ks []float64
	for row, k := range rowK {
		if _, seen := longest[k]; !seen {
			ks = append(ks, k)
		}
		longest[k] = max(longest[k], len(cdfs[row])-1)
	}
	grids := make([]*moneyGrid, len(ks))
	forEachParallel(len(ks), func(i int) {
		grids[i] = newMoneyGrid(p, ks[i], longest[ks[i]], mt.rules)
	})
	for i, k := range ks {
		mt.grids[k] = grids[i]
	}
	return mt
}

// forEachParallel calls f(i) for i in [0, n) on GOMAXPROCS goroutines.
func forEachParallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// moneyRow is one row's distribution against its grid, with scratch space
// for the solver (one per goroutine, reused row after row).
type moneyRow struct {
	g     *moneyGrid
	rules *moneyRules
	p0    float64
	pmf   []float64 // P(Y = y) at index y−1, y = 1…
	moneyFit
	// kept holds the last cells cdf fitted for the row (nKept of them,
	// the next to replace at nextKept).
	kept            [moneyKept]moneyFit
	nKept, nextKept int
	// pending and pendingAt are the fits quantiles has yet to solve and
	// the targets they are for.
	pending   []moneyFit
	pendingAt []int
	// setRow and setOK remember the row of the last setRow (row+1; 0:
	// none, or set since) and its answer.
	setRow int
	setOK  bool
}

// moneyFit is a row's series on one cell (see fitCell): cell −1 is none.
type moneyFit struct {
	cheb     [moneyChebyshevNodes]float64
	integral [moneyChebyshevNodes + 1]float64
	cell     int
	cellBase float64
}

// moneyKept is the number of fitted cells cdf keeps per row: a row's
// customers (the PIT reads them one after another) often fall in a cell
// another of them fell in, and a kept series is the one fitCell would
// make again.
const moneyKept = 4

// set points the row at cdf and its grid; it reports false when the grid
// cannot serve the row.
func (mr *moneyRow) set(g *moneyGrid, rules *moneyRules, cdf []float64) bool {
	if g == nil || !g.usable || len(cdf)-1 > g.ys {
		return false
	}
	mr.g, mr.rules, mr.p0, mr.cell, mr.setRow = g, rules, cdf[0], -1, 0
	mr.nKept, mr.nextKept = 0, 0
	mr.pmf = mr.pmf[:0]
	for y := 1; y < len(cdf); y++ {
		mr.pmf = append(mr.pmf, cdf[y]-cdf[y-1])
	}
	return true
}

// setOnce is set for a row of a set of rows, kept (with its fitted and
// kept cells) while the same row comes again: the row's values then come
// from the same operations, so they are the same.
func (mr *moneyRow) setOnce(row int, g *moneyGrid, rules *moneyRules, cdf []float64) bool {
	if mr.setRow == row+1 {
		return mr.setOK
	}
	ok := mr.set(g, rules, cdf)
	mr.setRow, mr.setOK = row+1, ok
	return ok
}

// nodeCDF returns the row's F(t_j).
func (mr *moneyRow) nodeCDF(j int) float64 {
	col := mr.g.table[j*mr.g.ys:]
	s := mr.p0
	for y, p := range mr.pmf {
		s += p * col[y]
	}
	return s
}

// nodeCDF2 returns nodeCDF(i) and nodeCDF(j), the two sums side by side.
func (mr *moneyRow) nodeCDF2(i, j int) (Fi, Fj float64) {
	ys, m := mr.g.ys, len(mr.pmf)
	ci, cj := mr.g.table[i*ys:i*ys+m], mr.g.table[j*ys:j*ys+m]
	si, sj := mr.p0, mr.p0
	for y, p := range mr.pmf {
		si += p * ci[y]
		sj += p * cj[y]
	}
	return si, sj
}

// nodeCDF3 returns nodeCDF of i, j and k, the three sums side by side.
func (mr *moneyRow) nodeCDF3(i, j, k int) (Fi, Fj, Fk float64) {
	ys, m := mr.g.ys, len(mr.pmf)
	ci, cj, ck := mr.g.table[i*ys:i*ys+m], mr.g.table[j*ys:j*ys+m], mr.g.table[k*ys:k*ys+m]
	si, sj, sk := mr.p0, mr.p0, mr.p0
	for y, p := range mr.pmf {
		si += p * ci[y]
		sj += p * cj[y]
		sk += p * ck[y]
	}
	return si, sj, sk
}

// fillNodes sets cdfAt[j] = nodeCDF(j) for each distinct j of js not yet
// computed (NaN), the sums side by side.
func (mr *moneyRow) fillNodes(cdfAt []float64, js ...int) {
	var todo [3]int
	m := 0
	for _, j := range js {
		if math.IsNaN(cdfAt[j]) && !slices.Contains(todo[:m], j) {
			todo[m] = j
			m++
		}
	}
	switch m {
	case 1:
		cdfAt[todo[0]] = mr.nodeCDF(todo[0])
	case 2:
		cdfAt[todo[0]], cdfAt[todo[1]] = mr.nodeCDF2(todo[0], todo[1])
	case 3:
		cdfAt[todo[0]], cdfAt[todo[1]], cdfAt[todo[2]] = mr.nodeCDF3(todo[0], todo[1], todo[2])
	}
}

// bracket returns the cell j, in [from, nodes−1), with F(t_j) < q ≤
// F(t_{j+1}), or −1 when q lies outside the grid's range; cdfAt caches F at
// the nodes for the row (NaN: not yet computed). It bisects over the
// nodes two halvings a round, computing the round's three candidate nodes
// side by side (one of the last two is not needed: it costs little, as
// the sums overlap, and F at a node is the same whenever it is computed).
func (mr *moneyRow) bracket(q float64, from int, cdfAt []float64) int {
	lo, hi := from, mr.g.nodes-1
	mr.fillNodes(cdfAt, lo, hi, (lo+hi)/2)
	if !(cdfAt[lo] < q) || !(cdfAt[hi] >= q) {
		return -1
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		mr.fillNodes(cdfAt, mid, (lo+mid)/2, (mid+hi)/2)
		if cdfAt[mid] < q {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo > 1 {
			// mid is now (mid+hi)/2 or (lo+mid)/2 of before: filled.
			mid = (lo + hi) / 2
			if cdfAt[mid] < q {
				lo = mid
			} else {
				hi = mid
			}
		}
	}
	return lo
}

// fitCell interpolates the row's density on cell j through its values at
// the cell's Gauss–Legendre points and integrates the series
// (mr.integral, on x ∈ [−1, 1], zero at −1); it reports false when the
// series has not converged (its last two coefficients above 1e-12 of the
// rest) or its integral over the cell misses the table's increment
// Fj1 − Fj by more than moneyCellCheck.
//
// The values at the points, f_i = Σ_y P(Y = y)·d_i(y), and the
// coefficients, a_k = Σ_i M_ki·f_i, are sums taken in that order (y, i
// ascending, from 0) eight at a time (dots8), so that eight independent
// chains of additions overlap instead of waiting on one another.
func (mr *moneyRow) fitCell(j int, Fj, Fj1 float64) bool {
	const n = moneyChebyshevNodes
	g, r := mr.g, mr.rules
	c := g.cell(j)
	var f [n]float64
	if lo, hi := c.lo, min(c.hi, len(mr.pmf)); lo < hi {
		pmf, ys := mr.pmf[lo:hi], g.ys
		for i := 0; i < n; i += 8 {
			dots8((*[8]float64)(f[i:]), pmf, c.dens[i*ys+lo:], ys)
		}
	}
	for k := 0; k < n; k += 8 {
		chebyshev8((*[8]float64)(mr.cheb[k:]), &r.toCheb, k, &f)
	}
	size := 0.0
	for _, a := range mr.cheb {
		size += math.Abs(a)
	}
	if math.Abs(mr.cheb[n-1])+math.Abs(mr.cheb[n-2]) > 1e-12*size {
		return false
	}
	// ∫ Σ a_k T_k dx = Σ C_k T_k with C_1 = a_0 − a_2/2 and
	// C_k = (a_{k−1} − a_{k+1})/(2k), scaled by the half-width; C_0 makes
	// the integral vanish at x = −1, where T_k = (−1)^k.
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
	return math.Abs(Fj+mr.cellIntegral(1)-Fj1) <= moneyCellCheck
}

// dots8 sets out[i] = Σ_y w[y]·d[i·stride + y] for i = 0…7, each sum taken
// from 0 in the order of y (the same value, bit for bit, as one sum at a
// time), the eight at once.
func dots8(out *[8]float64, w, d []float64, stride int) {
	m := len(w)
	d0, d1, d2, d3 := d[:m], d[stride:stride+m], d[2*stride:2*stride+m], d[3*stride:3*stride+m]
	d4, d5, d6, d7 := d[4*stride:4*stride+m], d[5*stride:5*stride+m], d[6*stride:6*stride+m], d[7*stride:7*stride+m]
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	for y, p := range w {
		s0 += p * d0[y]
		s1 += p * d1[y]
		s2 += p * d2[y]
		s3 += p * d3[y]
		s4 += p * d4[y]
		s5 += p * d5[y]
		s6 += p * d6[y]
		s7 += p * d7[y]
	}
	*out = [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
}

// chebyshev8 sets out[k−from] = Σ_i m[k][i]·f[i] for k = from…from+7, each
// sum taken from 0 in the order of i, the eight at once.
func chebyshev8(out *[8]float64, m *[moneyChebyshevNodes][moneyChebyshevNodes]float64, from int, f *[moneyChebyshevNodes]float64) {
	m0, m1, m2, m3 := &m[from], &m[from+1], &m[from+2], &m[from+3]
	m4, m5, m6, m7 := &m[from+4], &m[from+5], &m[from+6], &m[from+7]
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	for i, v := range f {
		s0 += m0[i] * v
		s1 += m1[i] * v
		s2 += m2[i] * v
		s3 += m3[i] * v
		s4 += m4[i] * v
		s5 += m5[i] * v
		s6 += m6[i] * v
		s7 += m7[i] * v
	}
	*out = [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
}

// cellIntegral returns ∫ from the cell's left end to x of the row's
// density (x ∈ [−1, 1]), by Clenshaw's recurrence.
func (mr *moneyRow) cellIntegral(x float64) float64 {
	return chebyshevSum(mr.integral[:], x)
}

// chebyshevSum returns Σ c_k T_k(x) by Clenshaw's recurrence.
func chebyshevSum(c []float64, x float64) float64 {
	b1, b2 := 0.0, 0.0
	for k := len(c) - 1; k >= 1; k-- {
		b1, b2 = 2*x*b1-b2+c[k], b1
	}
	return x*b1 - b2 + c[0]
}

// solveCell returns the t in the fitted cell with F(t) = q, by Newton steps
// on the Chebyshev series kept inside a shrinking bracket (bisection when a
// step leaves it), to 1e-13 in t (cellSolve). The quantiles are solved by
// solveFit and solveCells; solveCell is the one-cell form the tests hold
// them to.
func (mr *moneyRow) solveCell(q float64) float64 { return mr.solveFit(&mr.moneyFit, q) }

// solveFit is solveCell on the row's fitted cell f.
func (mr *moneyRow) solveFit(f *moneyFit, q float64) float64 {
	half := mr.g.h / 2
	s := newCellSolve(f.cellBase, q)
	for !s.done {
		F, dens := f.integralAndDensity(s.x)
		s.step(F, dens, half)
	}
	return mr.g.node(f.cell) + half*(s.x+1)
}

// cellSolve is a solve of solveCell under way: x ∈ [−1, 1] in the cell,
// inside the bracket [lo, hi], after steps Newton steps.
type cellSolve struct {
	target, lo, hi, x float64
	steps             int
	done              bool
}

// newCellSolve starts the solve of F(t) = q in the cell whose F at its
// first node is cellBase.
func newCellSolve(cellBase, q float64) cellSolve {
	return cellSolve{target: q - cellBase, lo: -1, hi: 1}
}

// step takes the Newton step from x given F and the density there (at
// most 100 steps; done once a step is below 1e-13 in t, or the bracket
// below 1e-15).
func (s *cellSolve) step(F, dens, half float64) {
	fx := F - s.target
	if fx < 0 {
		s.lo = s.x
	} else {
		s.hi = s.x
	}
	d := dens * half
	next := s.x - fx/d
	if !(next > s.lo && next < s.hi) {
		next = (s.lo + s.hi) / 2
	}
	s.steps++
	s.done = math.Abs(next-s.x)*half <= 1e-13 || s.hi-s.lo <= 1e-15 || s.steps == 100
	s.x = next
}

// solveCells is solveCell for two fitted cells of the row's grid, their
// Newton steps side by side while both run (each solve's operations are
// those of solveCell: the same bits).
func (mr *moneyRow) solveCells(a, b *moneyFit, qa, qb float64) (ta, tb float64) {
	half := mr.g.h / 2
	sa, sb := newCellSolve(a.cellBase, qa), newCellSolve(b.cellBase, qb)
	for !sa.done && !sb.done {
		Fa, da, Fb, db := integralAndDensity2(a, b, sa.x, sb.x)
		sa.step(Fa, da, half)
		sb.step(Fb, db, half)
	}
	for !sa.done {
		F, dens := a.integralAndDensity(sa.x)
		sa.step(F, dens, half)
	}
	for !sb.done {
		F, dens := b.integralAndDensity(sb.x)
		sb.step(F, dens, half)
	}
	return mr.g.node(a.cell) + half*(sa.x+1), mr.g.node(b.cell) + half*(sb.x+1)
}

// integralAndDensity returns the series' integral and interpolated
// density at x ∈ [−1, 1]: chebyshevSum of f.integral and of f.cheb, step
// for step the same operations, the two recurrences side by side (the
// series of the integral has one term more).
func (f *moneyFit) integralAndDensity(x float64) (integral, density float64) {
	const n = moneyChebyshevNodes
	ci, cd := &f.integral, &f.cheb
	b1, b2 := 0.0, 0.0
	b1, b2 = 2*x*b1-b2+ci[n], b1
	e1, e2 := 0.0, 0.0
	for k := n - 1; k >= 1; k-- {
		b1, b2 = 2*x*b1-b2+ci[k], b1
		e1, e2 = 2*x*e1-e2+cd[k], e1
	}
	return x*b1 - b2 + ci[0], x*e1 - e2 + cd[0]
}

// integralAndDensity2 is integralAndDensity of a at xa and of b at xb, the
// four recurrences side by side.
func integralAndDensity2(a, b *moneyFit, xa, xb float64) (Fa, da, Fb, db float64) {
	const n = moneyChebyshevNodes
	ia, ca, ib, cb := &a.integral, &a.cheb, &b.integral, &b.cheb
	a1, a2, b1, b2 := 0.0, 0.0, 0.0, 0.0
	a1, a2 = 2*xa*a1-a2+ia[n], a1
	b1, b2 = 2*xb*b1-b2+ib[n], b1
	e1, e2, f1, f2 := 0.0, 0.0, 0.0, 0.0
	for k := n - 1; k >= 1; k-- {
		a1, a2 = 2*xa*a1-a2+ia[k], a1
		e1, e2 = 2*xa*e1-e2+ca[k], e1
		b1, b2 = 2*xb*b1-b2+ib[k], b1
		f1, f2 = 2*xb*f1-f2+cb[k], f1
	}
	return xa*a1 - a2 + ia[0], xa*e1 - e2 + ca[0], xb*b1 - b2 + ib[0], xb*f1 - f2 + cb[0]
}

// quantiles sets out[i] to the row's quantile of R/θ at each of the
// increasing targets qs, or NaN where the fast path cannot serve it (the
// caller then takes the direct path); cdfAt is scratch of the grid's
// node count. The cells are found and fitted target by target, the fits
// kept (mr.pending), and then solved two at a time (solveCells).
func (mr *moneyRow) quantiles(qs []float64, out []float64, cdfAt []float64) {
	for j := range cdfAt {
		cdfAt[j] = math.NaN()
	}
	mr.pending, mr.pendingAt = mr.pending[:0], mr.pendingAt[:0]
	from := 0
	for i, q := range qs {
		out[i] = math.NaN()
		if mr.p0 >= q*(1-1e-12) {
			out[i] = 0
			continue
		}
		j := mr.bracket(q, from, cdfAt)
		if j < 0 {
			continue
		}
		from = j
		if mr.cell != j && !mr.fitCell(j, cdfAt[j], mr.nodeCDFCached(j+1, cdfAt)) {
			mr.cell = -1
			continue
		}
		mr.pending, mr.pendingAt = append(mr.pending, mr.moneyFit), append(mr.pendingAt, i)
	}
	p, at := mr.pending, mr.pendingAt
	for len(p) >= 2 {
		ta, tb := mr.solveCells(&p[0], &p[1], qs[at[0]], qs[at[1]])
		out[at[0]], out[at[1]] = math.Exp(ta), math.Exp(tb)
		p, at = p[2:], at[2:]
	}
	if len(p) == 1 {
		out[at[0]] = math.Exp(mr.solveFit(&p[0], qs[at[0]]))
	}
}

// nodeCDFCached is nodeCDF through the row's cache.
func (mr *moneyRow) nodeCDFCached(j int, cdfAt []float64) float64 {
	if math.IsNaN(cdfAt[j]) {
		cdfAt[j] = mr.nodeCDF(j)
	}
	return cdfAt[j]
}

// cdf returns the row's F(t), or NaN when t lies outside the grid or its
// cell's series fails its checks: the cell's left node's exact value plus
// the integral of the cell's series (see fitCell; a cell fitted for the row
// before is taken from kept).
func (mr *moneyRow) cdf(t float64) float64 {
	g := mr.g
	j := int(math.Floor((t - g.t0) / g.h))
	if !(j >= 0 && j < g.nodes-1) {
		return math.NaN()
	}
	if mr.cell != j && !mr.recall(j) {
		if Fj, Fj1 := mr.nodeCDF2(j, j+1); !mr.fitCell(j, Fj, Fj1) {
			mr.cell = -1
			return math.NaN()
		}
		mr.kept[mr.nextKept] = mr.moneyFit
		mr.nextKept = (mr.nextKept + 1) % moneyKept
		mr.nKept = min(mr.nKept+1, moneyKept)
	}
	x := 2*(t-g.node(j))/g.h - 1
	return mr.cellBase + mr.cellIntegral(math.Max(-1, math.Min(1, x)))
}

// recall makes the kept series of cell j the fitted one, if there is one.
func (mr *moneyRow) recall(j int) bool {
	for k := range mr.nKept {
		if mr.kept[k].cell == j {
			mr.moneyFit = mr.kept[k]
			return true
		}
	}
	return false
}
