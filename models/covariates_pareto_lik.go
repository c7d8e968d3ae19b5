package models

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file holds the likelihood of the Pareto/NBD with static covariates
// (see CovariateParetoNBD): the calibration rows, merged where the
// history and the covariates are identical, and the log-likelihood with
// its gradient and Hessian in
//
//	θ = (ln r, ln α, ln s, ln β, γ_P…, γ_D…).
//
// Row i is a plain Pareto/NBD customer at (r, α_i, s, β_i), with
// ln α_i = ln α − γ_P'z_P and ln β_i = ln β − γ_D'z_D. Her log-likelihood
// and its derivatives in the natural (r, α_i, s, β_i) come from the same
// integrals J as the plain model's (pnbdLogJc: the guarded Pfaff series,
// or the split quadrature near z = 1, in whichever orientation α_i ≥ β_i
// or α_i < β_i she has). With φ = (ln r, ln α_i, ln s, ln β_i) linear in
// θ, φ = A_i θ, the chain rule is exact at second order:
//
//	∂ℓ/∂φ_k = v_k ∂ℓ/∂v_k,  ∂²ℓ/∂φ_k∂φ_l = v_k v_l ∂²ℓ/∂v_k∂v_l + δ_kl v_k ∂ℓ/∂v_k,
//	∇_θ ℓ = A_iᵀ ∇_φ ℓ,      ∇²_θ ℓ = A_iᵀ ∇²_φ ℓ A_i,
//
// v = (r, α_i, s, β_i); column j of A_i is a unit vector of φ times a
// coefficient: 1 for the four base parameters, −z_P,j (on ln α_i) for a
// purchase coefficient, −z_D,j (on ln β_i) for a dropout coefficient.

// pcovRows is the calibration table of a covariate Pareto/NBD fit: rows
// with identical (x, t_x, T, z_P, z_D) merged, their weights summed.
type pcovRows struct {
	x, tx, T, w []float64
	zp, zd      [][]float64 // per merged row; nil slices without covariates
	nP, nD      int
	n           float64 // total weight
}

// newPCovRows validates d and z and merges identical rows.
func newPCovRows(model string, d *Data, z Covariates) (*pcovRows, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	if err := checkCovariates(model, d.Len(), z); err != nil {
		return nil, err
	}
	rs := &pcovRows{nP: covWidth(z.Purchase), nD: covWidth(z.Dropout)}
	index := make(map[string]int)
	var key strings.Builder
	for i := range d.Len() {
		w := d.W(i)
		if w == 0 {
			continue
		}
		c := d.Customer(i)
		tx := pnbdRecency(c.Frequency, c.Recency, c.T)
		zp, zd := covRow(z.Purchase, i), covRow(z.Dropout, i)
		key.Reset()
		for _, v := range [3]float64{c.Frequency, tx, c.T} {
			key.WriteString(strconv.FormatUint(math.Float64bits(v), 36))
			key.WriteByte(',')
		}
		for _, row := range [2][]float64{zp, zd} {
			for _, v := range row {
				// +0 and −0 are one covariate value.
				key.WriteString(strconv.FormatUint(math.Float64bits(v+0), 36))
				key.WriteByte(',')
			}
		}
		rs.n += w
		if j, ok := index[key.String()]; ok {
			rs.w[j] += w
			continue
		}
		index[key.String()] = len(rs.x)
		rs.x, rs.tx, rs.T, rs.w = append(rs.x, c.Frequency), append(rs.tx, tx), append(rs.T, c.T), append(rs.w, w)
		rs.zp, rs.zd = append(rs.zp, zp), append(rs.zd, zd)
	}
	if !(rs.n > 0) {
		return nil, fmt.Errorf("%s: every customer has weight 0", model)
	}
	return rs, nil
}

// checkCovariates checks that z has one row per customer, rows of one
// width per process, a name per column and finite values.
func checkCovariates(model string, rows int, z Covariates) error {
	for _, p := range []struct {
		what  string
		cols  [][]float64
		names []string
	}{{"purchase", z.Purchase, z.PurchaseNames}, {"dropout", z.Dropout, z.DropoutNames}} {
		if p.cols == nil {
			if len(p.names) > 0 {
				return fmt.Errorf("%s: %d %s covariate names but no %s covariates", model, len(p.names), p.what, p.what)
			}
			continue
		}
		if len(p.cols) != rows {
			return fmt.Errorf("%s: %d rows of %s covariates for %d customers", model, len(p.cols), p.what, rows)
		}
		width := covWidth(p.cols)
		if len(p.names) != width {
			return fmt.Errorf("%s: %d %s covariate names for %d columns", model, len(p.names), p.what, width)
		}
		for i, row := range p.cols {
			if len(row) != width {
				return fmt.Errorf("%s: row %d: %d %s covariates, want %d as in row 1", model, i+1, len(row), p.what, width)
			}
			for j, v := range row {
				if !finite(v) {
					return fmt.Errorf("%s: row %d: %s covariate %s = %v must be finite", model, i+1, p.what, p.names[j], v)
				}
			}
		}
	}
	return nil
}

// dim returns the length of θ.
func (rs *pcovRows) dim() int { return 4 + rs.nP + rs.nD }

// pcovDerivs holds the derivatives of one row's log-likelihood in the
// natural (r, α_i, s, β_i): the gradient and the Hessian's upper triangle
// (rr rα rs rβ αα αs αβ ss sβ ββ, see pnbdTri).
type pcovDerivs struct {
	g [4]float64
	h [10]float64
}

// pcovTables caches the series tables of one parameter point and order by
// their exponents (p, q): a table depends on the exponents alone, so rows
// of one frequency share theirs whatever their α_i, β_i (see pnbdTable).
type pcovTables struct {
	second bool
	tables map[[2]float64]pnbdTable
}

func newPCovTables(order int) *pcovTables {
	return &pcovTables{second: order == 2, tables: make(map[[2]float64]pnbdTable)}
}

// logJc is pnbdLogJc with the table of (p, q) from the cache, grown to
// the terms z needs.
func (tc *pcovTables) logJc(p, q, c, Pu, Qu, D float64, order int) (float64, [4]float64, [10]float64) {
	var g [4]float64
	var h [10]float64
	if z := D / Qu; z <= pnbdSeriesMaxZ {
		key := [2]float64{p, q}
		tb := tc.tables[key]
		if terms := pnbdTerms(z); len(tb) < terms {
			tb.fill(p, q, min(max(terms, 2*len(tb)), pnbdMaxTerms), tc.second)
			tc.tables[key] = tb
		}
		if v, ok := tb.logSeries(p, q, Pu, Qu, z, order, &g, &h); ok {
			return v, g, h
		}
	}
	return pnbdSplitc(p, q, c, Pu, Qu, D, order)
}

// pcovRowLogLik returns ln L(r, α, s, β | x, t_x, T) of one history (t_x
// as pnbdRecency gives it) and, by order (0, 1 or 2), its derivatives in
// (r, α, s, β) into out. As in the plain model (see pnbdData.evaluate),
//
//	ln L = lnΓ(r+x) − lnΓ(r) + r ln α + s ln β − ln(r+s+x) + ln(e^ℓ₁ + e^ℓ₂),
//	ℓ₁ = ln s + ln(c·J(r+x, s+1; t_x)),  ℓ₂ = ln(r+x) + ln(c·J(r+x+1, s; T)),
//
// c = r+s+x, with the shares π_k = e^ℓ_k/(e^ℓ₁ + e^ℓ₂) giving the gradient
// π₁∇ℓ₁ + π₂∇ℓ₂ and the Hessian π₁∇²ℓ₁ + π₂∇²ℓ₂ + π₁π₂(∇ℓ₁−∇ℓ₂)(∇ℓ₁−∇ℓ₂)ᵀ
// of the last part.
func pcovRowLogLik(tc *pcovTables, r, alpha, s, beta, x, tx, T float64, order int, out *pcovDerivs) float64 {
	a, c := r+x, r+s+x
	// Orientation: P is the smaller scale, with its exponent p first.
	P, Q, D := alpha, beta, beta-alpha
	perm := [4]int{0, 2, 1, 3} // r → p, α → P, s → q, β → Q
	p1, q1, p2, q2 := a, s+1, a+1, s
	if alpha >= beta {
		P, Q, D = beta, alpha, alpha-beta
		perm = [4]int{1, 3, 0, 2} // r → q, α → Q, s → p, β → P
		p1, q1, p2, q2 = s+1, a, s, a+1
	}
	v1, g1, h1 := tc.logJc(p1, q1, c, P+tx, Q+tx, D, order)
	v2, g2, h2 := tc.logJc(p2, q2, c, P+T, Q+T, D, order)
	l1, l2 := math.Log(s)+v1, math.Log(a)+v2
	lb := logAddExp(l1, l2)
	ll := lgamma(a) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta) - math.Log(c) + lb
	if order == 0 {
		return ll
	}
	pi1, pi2 := math.Exp(l1-lb), math.Exp(l2-lb)
	var n1, n2 [4]float64
	for i, o := range perm {
		n1[i], n2[i] = g1[o], g2[o]
	}
	n1[2] += 1 / s
	n2[0] += 1 / a
	ic := 1 / c
	out.g = [4]float64{digamma(a) - digamma(r) + math.Log(alpha) - ic, r / alpha, math.Log(beta) - ic, s / beta}
	for i := range out.g {
		out.g[i] += pi1*n1[i] + pi2*n2[i]
	}
	if order < 2 {
		return ll
	}
	ic2 := ic * ic
	out.h = [10]float64{trigamma(a) - trigamma(r) + ic2 - pi2/(a*a), 1 / alpha, ic2, 0, -r / (alpha * alpha), 0, 0, ic2 - pi1/(s*s), 1 / beta, -s / (beta * beta)}
	c12 := pi1 * pi2
	for i := range 4 {
		for j := i; j < 4; j++ {
			o := pnbdTri(perm[i], perm[j])
			out.h[pnbdTri(i, j)] += pi1*h1[o] + pi2*h2[o] + c12*(n1[i]-n2[i])*(n1[j]-n2[j])
		}
	}
	return ll
}

// individual returns row i's (α_i, β_i) at θ.
func (rs *pcovRows) individual(theta []float64, i int) (alpha, beta float64) {
	lp, ld := theta[1], theta[3]
	for j, v := range rs.zp[i] {
		lp -= theta[4+j] * v
	}
	for j, v := range rs.zd[i] {
		ld -= theta[4+rs.nP+j] * v
	}
	return math.Exp(lp), math.Exp(ld)
}

// eval returns the total log-likelihood at θ and, by order, adds its
// gradient (acc[0:k]) and Hessian (acc[k:k+k²], row-major) into acc,
// k = rs.dim(); rows are summed in fixed chunks, in parallel (see
// parallelSum).
func (rs *pcovRows) eval(theta []float64, order int, acc []float64) float64 {
	k := rs.dim()
	dim := [3]int{0, k, k + k*k}[order]
	var part []float64
	if order > 0 {
		part = acc[:dim]
	}
	ll := parallelSum(len(rs.x), dim, part, func(lo, hi int, g []float64) float64 {
		return rs.rows(theta, order, lo, hi, g)
	})
	if math.IsNaN(ll) {
		return math.Inf(-1)
	}
	return ll
}

// rows sums rows [lo, hi) (see eval).
func (rs *pcovRows) rows(theta []float64, order, lo, hi int, acc []float64) float64 {
	k := rs.dim()
	r, s := math.Exp(theta[0]), math.Exp(theta[2])
	// comp[m] is the φ component θ_m moves and coef[m] by how much.
	comp := make([]int, k)
	coef := make([]float64, k)
	for m := range k {
		comp[m] = min(m, 3)
		coef[m] = 1
	}
	for j := range rs.nP {
		comp[4+j] = 1
	}
	var gphi [4]float64
	var hphi [16]float64
	var dv pcovDerivs
	tc := newPCovTables(order)
	sum := 0.0
	for i := lo; i < hi; i++ {
		alpha, beta := rs.individual(theta, i)
		w := rs.w[i]
		sum += w * pcovRowLogLik(tc, r, alpha, s, beta, rs.x[i], rs.tx[i], rs.T[i], order, &dv)
		if order == 0 {
			continue
		}
		v := [4]float64{r, alpha, s, beta}
		for a := range 4 {
			gphi[a] = dv.g[a] * v[a]
		}
		for j, z := range rs.zp[i] {
			coef[4+j] = -z
		}
		for j, z := range rs.zd[i] {
			coef[4+rs.nP+j] = -z
		}
		for m := range k {
			acc[m] += w * coef[m] * gphi[comp[m]]
		}
		if order < 2 {
			continue
		}
		for a := range 4 {
			for b := range 4 {
				hphi[4*a+b] = dv.h[pnbdTri(a, b)] * v[a] * v[b]
			}
			hphi[5*a] += gphi[a]
		}
		hm := acc[k:]
		for m := range k {
			wm := w * coef[m]
			row := hphi[4*comp[m]:]
			for n := range k {
				hm[m*k+n] += wm * coef[n] * row[comp[n]]
			}
		}
	}
	return sum
}

// logLik is eval at order 0 or 1 in the form of likelihood.logLik (the
// gradient check's signature).
func (rs *pcovRows) logLik(theta, grad []float64) float64 {
	if grad == nil {
		return rs.eval(theta, 0, nil)
	}
	clear(grad)
	return rs.eval(theta, 1, grad)
}

// pcovScaling is the standardization of the covariate columns under
// which FitCovariateParetoNBD searches: column j of a process becomes
// (z_j − m_j)/d_j, with m_j its weighted mean (0 when the process's base
// parameter is fixed, so that it keeps its meaning) and d_j its weighted
// standard deviation (1 for a constant column). The standardized
// coefficients γ′ and base parameters give the natural ones by
//
//	γ_j = γ′_j/d_j,   ln α = ln α′ + Σ_j γ′_P,j m_P,j/d_P,j,   ln β likewise,
//
// a linear map θ = A·θ′ under which the likelihood is the same; a search
// in θ′ is well scaled whatever the covariates' units and origins.
type pcovScaling struct {
	mp, dp, md, dd []float64
}

// standardize replaces the covariates of rs by their standardized values
// (see pcovScaling), centring the purchase (dropout) columns when
// centreP (centreD), and returns the scaling.
func (rs *pcovRows) standardize(centreP, centreD bool) *pcovScaling {
	sc := &pcovScaling{}
	sc.mp, sc.dp = rs.columnMoments(rs.zp, rs.nP, centreP)
	sc.md, sc.dd = rs.columnMoments(rs.zd, rs.nD, centreD)
	shift := func(rows [][]float64, m, d []float64) [][]float64 {
		if len(m) == 0 {
			return rows
		}
		out := make([][]float64, len(rows))
		flat := make([]float64, len(rows)*len(m))
		for i, row := range rows {
			out[i] = flat[i*len(m) : (i+1)*len(m)]
			for j, v := range row {
				out[i][j] = (v - m[j]) / d[j]
			}
		}
		return out
	}
	rs.zp, rs.zd = shift(rs.zp, sc.mp, sc.dp), shift(rs.zd, sc.md, sc.dd)
	return sc
}

// columnMoments returns the weighted means (zero unless centre) and
// standard deviations (1 where 0) of the width columns of rows.
func (rs *pcovRows) columnMoments(rows [][]float64, width int, centre bool) (m, d []float64) {
	m, d = make([]float64, width), make([]float64, width)
	for j := range width {
		var s1 float64
		for i, row := range rows {
			s1 += rs.w[i] * row[j]
		}
		mean := s1 / rs.n
		var s2 float64
		for i, row := range rows {
			s2 += rs.w[i] * (row[j] - mean) * (row[j] - mean)
		}
		if centre {
			m[j] = mean
		}
		d[j] = math.Sqrt(s2 / rs.n)
		if !(d[j] > 0) || math.IsInf(d[j], 0) {
			d[j] = 1
		}
	}
	return m, d
}

// jacobian returns A (k×k, row-major) of θ = A·θ′ (see pcovScaling).
func (sc *pcovScaling) jacobian() []float64 {
	nP, nD := len(sc.mp), len(sc.md)
	k := 4 + nP + nD
	a := make([]float64, k*k)
	for i := range 4 {
		a[i*k+i] = 1
	}
	for j := range nP {
		a[1*k+4+j] = sc.mp[j] / sc.dp[j]
		a[(4+j)*k+4+j] = 1 / sc.dp[j]
	}
	for j := range nD {
		c := 4 + nP + j
		a[3*k+c] = sc.md[j] / sc.dd[j]
		a[c*k+c] = 1 / sc.dd[j]
	}
	return a
}

// natural returns θ = A·θ′.
func (sc *pcovScaling) natural(thetaStd []float64) []float64 {
	a, k := sc.jacobian(), len(thetaStd)
	out := make([]float64, k)
	for i := range k {
		for j := range k {
			out[i] += a[i*k+j] * thetaStd[j]
		}
	}
	return out
}
