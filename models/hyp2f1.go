package models

import "math"

// This file evaluates, in log space and with exact partial derivatives, the
// integral at the heart of the Pareto/NBD likelihood,
//
//	J(a, b; α, β, u) = ∫_u^∞ (α+τ)^(−a) (β+τ)^(−b) dτ,   a, b > 0, a+b > 1,
//
// and through it the Gauss hypergeometric function of the Pareto/NBD
// likelihood, 2F1(c, b; c+1; z). The two are linked (substitute
// v = (α+u)/(α+τ) in J and compare with Euler's integral for 2F1) by
//
//	J = (α+u)^(−c) / c · 2F1(c, b; c+1; (α−β)/(α+u)),   c = a+b−1.
//
// Method. Let (P, p) be the smaller of α, β with its exponent and (Q, q) the
// larger with its exponent, D = Q−P and z = D/(Q+u) ∈ [0, 1). Pfaff's
// transformation of the series above (Abramowitz & Stegun 15.3.5) gives
//
//	J = (P+u)^(1−p) (Q+u)^(−q) / c · Σ_n (q)_n/(p+q)_n z^n,
//
// a series of positive terms whose ratios (q+n)/(p+q+n)·z are below z: it
// neither overflows nor cancels, and converges at least as fast as Σ z^n
// whatever the size of the exponents (a frequency of thousands only speeds
// it up). It is summed to full double precision when z ≤ pnbdSeriesMaxZ.
// Beyond, J is split at the point u′ where z = 1/2: the tail J(u′) is the
// series again, and the finite part ∫_u^u′ is taken by adaptive
// Gauss–Kronrod (7–15) quadrature in t = ln((P+τ)/(P+u)), where the
// log-integrand (1−p)t − q·log1p(ρ·expm1(t)), ρ = (P+u)/(Q+u), is concave
// and is scaled by its maximum so that nothing overflows.
//
// Derivatives. ∂J/∂a = −∫ ln(α+τ)(…), ∂J/∂α = −a ∫ (…)/(α+τ) and the like:
// the series is differentiated term by term (digamma differences become
// running sums of reciprocals) and the quadrature integrates the same
// moments alongside the value, so the gradient is exact to the accuracy of
// the value. The second derivatives, which the fit's Newton steps and
// standard errors use, are obtained the same way (pnbdTable.sum2 with
// running sums of squared reciprocals, pnbdSplitc with the second moments).
// Accuracy: about 1e-15 relative on the series path and 1e-13 on the
// quadrature path (see hyp2f1_test.go, which checks both against math/big
// sums at 256 bits, connection formulas and Gauss's theorem, and the
// derivatives against finite differences and against one another).
//
// The likelihood tabulates what the series needs per distinct frequency
// and evaluation (pnbdTable), so that a term costs a few multiplications
// and additions per power of z.

// pnbdSeriesMaxZ is the largest z summed by the series alone (about 450
// terms at worst, a microsecond or two); beyond it the integral is split
// and part-integrated.
const pnbdSeriesMaxZ = 0.9

// pnbdSplitZ is the value of z at the split point of the quadrature path.
const pnbdSplitZ = 0.5

// pnbdMaxTerms caps the series; it is never reached for z ≤ 0.9 (see
// pnbdTerms).
const pnbdMaxTerms = 500

// pnbdJGrad holds ∂ ln J / ∂(p, q, P, Q) in the oriented variables.
type pnbdJGrad [4]float64

// pnbdLogJ returns ln J for the oriented arguments: exponents p (on the
// smaller scale) and q (on the larger), c = p+q−1 > 0 passed exactly, the
// shifted scales Pu = P+u ≤ Qu = Q+u and their difference D = Q−P ≥ 0
// (passed exactly, not recomputed, so that α ≈ β loses nothing). When g is
// not nil it receives ∂ ln J/∂p, ∂/∂q, ∂/∂P and ∂/∂Q.
func pnbdLogJ(p, q, c, Pu, Qu, D float64, g *pnbdJGrad) float64 {
	z := D / Qu
	if z <= pnbdSeriesMaxZ {
		if v, ok := pnbdSeries(p, q, c, Pu, Qu, z, g); ok {
			return v
		}
	}
	return pnbdSplit(p, q, c, Pu, Qu, D, g)
}

// pnbdSeries sums the Pfaff series (the likelihood uses the tabulated
// pnbdTable sums instead). It reports false when the series has not
// converged within pnbdMaxTerms.
func pnbdSeries(p, q, c, Pu, Qu, z float64, g *pnbdJGrad) (float64, bool) {
	pq := p + q
	var (
		h     = 1.0 // (q)_n/(p+q)_n z^n
		sum   = 1.0 // Σ h_n
		sumP  = 0.0 // Σ h_n ∂ln h_n/∂p = −Σ h_n Σ_{k<n} 1/(p+q+k)
		sumQ  = 0.0 // Σ h_n ∂ln h_n/∂q
		sumZ  = 0.0 // Σ n h_n / z
		accPQ = 0.0 // Σ_{k<n} 1/(p+q+k)
		accQ  = 0.0 // Σ_{k<n} 1/(q+k)
		zpow  = 1.0 // h_n / z for the next term, before the ratio
	)
	// Stop once the remainder bound h·(n+2)/(1−z) (which covers the slower
	// series of n·h_n too) is below the rounding of the sum.
	tol := 0x1p-55 * (1 - z)
	n := 0
	for ; n < pnbdMaxTerms; n++ {
		ipq, iq := 1/(pq+float64(n)), 1/(q+float64(n))
		accPQ += ipq
		accQ += iq
		zpow *= (q + float64(n)) * ipq // (q)_{n+1}/(p+q)_{n+1} z^n
		h = zpow * z
		sum += h
		sumP -= h * accPQ
		sumQ += h * (accQ - accPQ)
		sumZ += float64(n+1) * zpow
		zpow = h
		if h*float64(n+2) <= tol*sum {
			break
		}
	}
	if n == pnbdMaxTerms {
		return 0, false
	}
	lPu, lQu := math.Log(Pu), math.Log(Qu)
	v := (1-p)*lPu - q*lQu - math.Log(c) + math.Log(sum)
	if g != nil {
		hz := sumZ / sum
		g[0] = -lPu - 1/c + sumP/sum
		g[1] = -lQu - 1/c + sumQ/sum
		g[2] = (1-p)/Pu - hz/Qu
		g[3] = -q/Qu + hz*Pu/(Qu*Qu)
	}
	return v, true
}

// pnbdSplit evaluates J by splitting it at the point u′ where z = 1/2: the
// finite part by quadrature, the tail by the series.
//
// The finite part is integrated in t = ln((P+τ)/(P+u)) ∈ [0, L]:
//
//	∫_u^u′ (P+τ)^(−p)(Q+τ)^(−q) dτ = (P+u)^(1−p)(Q+u)^(−q) ∫_0^L e^g(t) dt,
//	g(t) = (1−p)t − q·log1p(ρ·expm1(t)),   ρ = (P+u)/(Q+u),
//
// a form whose exponent is computed from small, exact offsets (no
// difference of large logarithms), so that the integrand carries no
// rounding noise beyond that of g itself.
func pnbdSplit(p, q, c, Pu, Qu, D float64, g *pnbdJGrad) float64 {
	Qs := D / pnbdSplitZ // Q + u′
	Ps := Qs - D         // P + u′
	var gt pnbdJGrad
	var gtp *pnbdJGrad
	if g != nil {
		gtp = &gt
	}
	lt, ok := pnbdSeries(p, q, c, Ps, Qs, pnbdSplitZ, gtp)
	if !ok { // cannot happen at z = 1/2; keep the contract anyway
		return math.NaN()
	}
	lPu, lQu := math.Log(Pu), math.Log(Qu)
	rho := Pu / Qu
	L := math.Log(Ps / Pu)
	gf := func(t float64) float64 { return (1-p)*t - q*math.Log1p(rho*math.Expm1(t)) }
	// g is concave: its maximum is at an end or where g′ = 0, i.e. where
	// ρe^t/(1 + ρ(e^t − 1)) = (1−p)/q =: k, e^t = k(1−ρ)/(ρ(1−k)).
	ref := math.Max(gf(0), gf(L))
	if k := (1 - p) / q; k > 0 && k < 1 {
		if ts := math.Log(k * (1 - rho) / (rho * (1 - k))); ts > 0 && ts < L {
			ref = math.Max(ref, gf(ts))
		}
	}
	f := func(t float64, out []float64) {
		e := math.Expm1(t)
		l := math.Log1p(rho * e)
		v := math.Exp((1-p)*t - q*l - ref)
		out[0] = v
		out[1] = t * v
		out[2] = l * v
		out[3] = v / (1 + e)
		out[4] = v / (1 + rho*e)
	}
	scale := (1-p)*lPu - q*lQu + ref // ln of the factor in front of ∫ e^(g−ref)
	var m [5]float64
	// The finite part's error need only be small next to the whole of J.
	pnbdIntegrate(f, m[:], 0, L, 1e-14, math.Exp(lt-scale), 4)
	li := scale + math.Log(m[0])
	lj := logAddExp(li, lt)
	if g != nil {
		wi := math.Exp(li - lj)
		wt := math.Exp(lt - lj)
		g[0] = -(lPu+m[1]/m[0])*wi + wt*gt[0]
		g[1] = -(lQu+m[2]/m[0])*wi + wt*gt[1]
		g[2] = -p*m[3]/(m[0]*Pu)*wi + wt*gt[2]
		g[3] = -q*m[4]/(m[0]*Qu)*wi + wt*gt[3]
	}
	return lj
}

// paretoLogJ returns ln J(a, b; α, β, u) = ln ∫_u^∞ (α+τ)^(−a)(β+τ)^(−b) dτ
// for a, b, α, β > 0, u ≥ 0 and c = a+b−1 > 0 (passed exactly). When g is
// not nil it receives ∂ ln J/∂a, ∂/∂b, ∂/∂α and ∂/∂β.
func paretoLogJ(a, b, c, alpha, beta, u float64, g *[4]float64) float64 {
	var og pnbdJGrad
	var ogp *pnbdJGrad
	if g != nil {
		ogp = &og
	}
	if alpha >= beta {
		v := pnbdLogJ(b, a, c, beta+u, alpha+u, alpha-beta, ogp)
		if g != nil {
			*g = [4]float64{og[1], og[0], og[3], og[2]}
		}
		return v
	}
	v := pnbdLogJ(a, b, c, alpha+u, beta+u, beta-alpha, ogp)
	if g != nil {
		*g = [4]float64(og)
	}
	return v
}

// logHyp2F1A1 returns ln 2F1(c, b; c+1; z), the Gauss hypergeometric
// function of the Pareto/NBD likelihood, for c > 0, 0 < b < c+1 and z < 1
// (Pareto/NBD takes c = r+s+x with b = s+1 or b = r+x). It returns NaN
// outside that domain. The function grows like (1−z)^(−b) as z → 1 and
// decays like |z|^(−min(b, c)) as z → −∞; its logarithm is finite
// throughout, where gonum's mathext.Hypergeo overflows or loses precision.
//
// It is computed as ln c + ln J(c−b+1, b; 1, 1−z, 0) (see the file
// comment); accuracy about 1e-15 relative for |z| ≤ 3 and 1e-13 beyond.
func logHyp2F1A1(c, b, z float64) float64 {
	if !(c > 0) || !(b > 0) || !(b < c+1) || !(z < 1) || math.IsInf(c, 0) || math.IsInf(z, 0) {
		return math.NaN()
	}
	a := c - b + 1
	if z >= 0 { // α = 1 ≥ β = 1−z: P = β with exponent b, Q = α with a.
		return math.Log(c) + pnbdLogJ(b, a, c, 1-z, 1, z, nil)
	}
	// α = 1 < β = 1−z: P = α with exponent a, Q = β with b.
	return math.Log(c) + pnbdLogJ(a, b, c, 1, 1-z, -z, nil)
}

// pnbdTable holds, for one J of one distinct frequency and one evaluation
// of the likelihood, what the terms of the Pfaff series S = Σ_n h_n,
// h_{n+1} = h_n·z·(q+n)/(p+q+n), h_0 = 1, need besides z: per term the
// ratio (q+n)/(p+q+n) and the running sums that give the derivatives of
// ln h_n (m = n+1 below):
//
//	∂_p ln h_m = −Σ_{k<m} 1/(p+q+k),                   ∂_q ln h_m = Σ_{k<m} [1/(q+k) − 1/(p+q+k)],
//	∂_pp ln h_m = ∂_pq ln h_m = Σ_{k<m} 1/(p+q+k)²,    ∂_qq ln h_m = Σ_{k<m} [1/(p+q+k)² − 1/(q+k)²],
//	∂_z ln h_m = m/z,                                 ∂_zz ln h_m = −m/z².
//
// The differences are formed term by term without cancellation
// (1/(q+k) − 1/(p+q+k) = p/((q+k)(p+q+k)) and so on).
type pnbdTable []pnbdCoef

type pnbdCoef struct{ ratio, cumPQ, cumQ, cumPQ2, cumQQ float64 }

// fill sizes the table to terms entries for exponents p and q; second adds
// the sums of the second derivatives.
func (tb *pnbdTable) fill(p, q float64, terms int, second bool) {
	t := *tb
	if cap(t) < terms {
		t = make(pnbdTable, terms)
	}
	t = t[:terms]
	pq := p + q
	var accPQ, accQ, accPQ2, accQQ float64
	for n := range t {
		fn := float64(n)
		ipq := 1 / (pq + fn)
		iq := 1 / (q + fn)
		accPQ += ipq
		accQ += p * iq * ipq // 1/(q+n) − 1/(p+q+n)
		c := &t[n]
		c.ratio, c.cumPQ, c.cumQ = (q+fn)*ipq, accPQ, accQ
		if second {
			accPQ2 += ipq * ipq
			// 1/(p+q+n)² − 1/(q+n)² = −p(2q+2n+p)/((q+n)²(p+q+n)²)
			accQQ -= p * (2*(q+fn) + p) * (iq * ipq) * (iq * ipq)
			c.cumPQ2, c.cumQQ = accPQ2, accQQ
		}
	}
	*tb = t
}

// pnbdSum holds the Pfaff series S of one J and the derivatives of ln S:
// first (dp, dq, dz) and second (pp, pq, qq, pz, qz, zz) with respect to
// the exponents p, q and to z.
type pnbdSum struct{ h, dp, dq, dz, pp, pq, qq, pz, qz, zz float64 }

// The three sums below stop at the same term for a given z: once the
// remainder bound h_m·(m+1)/(1−z) is below the rounding of the sum, and not
// before m = 2 (the second derivative in z needs h₂/z² even as z → 0).
// They report false when the table is too short for z (the caller then
// falls back to pnbdLogJc).

// sum0 returns S at z.
func (tb pnbdTable) sum0(z float64) (float64, bool) {
	h, H := 1.0, 1.0
	tol := 0x1p-55 * (1 - z)
	k := 2.0
	for i := range tb {
		h *= tb[i].ratio * z
		H += h
		if k > 2.5 && h*k <= tol*H {
			return H, true
		}
		k++
	}
	return 0, false
}

// sum1 sums S and its first derivatives at z into out.
func (tb pnbdTable) sum1(z float64, out *pnbdSum) bool {
	h, H := 1.0, 1.0
	var hp, hq, hz float64
	tol := 0x1p-55 * (1 - z)
	k := 1.0 // m, the index of the term h_m being added
	for i := range tb {
		c := &tb[i]
		tz := h * c.ratio // h_m/z
		h *= c.ratio * z
		H += h
		hp -= h * c.cumPQ
		hq += h * c.cumQ
		hz += k * tz
		k++
		if k > 2.5 && h*k <= tol*H {
			inv := 1 / H
			*out = pnbdSum{h: H, dp: hp * inv, dq: hq * inv, dz: hz * inv}
			return true
		}
	}
	return false
}

// sum2 sums S and its first and second derivatives at z into out: with
// S_a = Σ h_m ∂_a ln h_m and S_ab = Σ h_m (∂_ab ln h_m + ∂_a ln h_m ∂_b ln h_m),
// ∂_ab ln S = S_ab/S − S_a S_b/S².
func (tb pnbdTable) sum2(z float64, out *pnbdSum) bool {
	h, H := 1.0, 1.0
	var hp, hq, hz, hpp, hpq, hqq, hpz, hqz, hzz float64
	tol := 0x1p-55 * (1 - z)
	k := 1.0
	tzPrev := 0.0 // h_{m−1}/z (its factor m(m−1) is 0 for m = 1)
	for i := range tb {
		c := &tb[i]
		tz := h * c.ratio // h_m/z
		hzz += k * (k - 1) * tzPrev * c.ratio
		h *= c.ratio * z
		H += h
		ha, hb := -h*c.cumPQ, h*c.cumQ // h_m ∂_p ln h_m, h_m ∂_q ln h_m
		hc := h * c.cumPQ2
		kt := k * tz
		hp += ha
		hq += hb
		hz += kt
		hpp += hc - ha*c.cumPQ
		hpq += hc + ha*c.cumQ
		hqq += h*c.cumQQ + hb*c.cumQ
		hpz -= kt * c.cumPQ
		hqz += kt * c.cumQ
		tzPrev = tz
		k++
		if k > 2.5 && h*k <= tol*H {
			inv := 1 / H
			dp, dq, dz := hp*inv, hq*inv, hz*inv
			*out = pnbdSum{
				h: H, dp: dp, dq: dq, dz: dz,
				pp: hpp*inv - dp*dp, pq: hpq*inv - dp*dq, qq: hqq*inv - dq*dq,
				pz: hpz*inv - dp*dz, qz: hqz*inv - dq*dz, zz: hzz*inv - dz*dz,
			}
			return true
		}
	}
	return false
}

// pnbdTerms sizes a series table: the number of terms the series needs at
// z (see the sums' stopping rule), at most pnbdMaxTerms. As h_m ≤ z^m and
// S ≥ 1, the rule holds once z^m·(m+1) ≤ 2⁻⁵⁵(1−z), which m solves after
// two fixed-point steps from m = ln(2⁻⁵⁵(1−z))/ln z.
func pnbdTerms(z float64) int {
	if !(z > 0) {
		return 3
	}
	z = math.Min(z, pnbdSeriesMaxZ)
	lt, lz := math.Log(0x1p-55*(1-z)), math.Log(z)
	n := lt / lz
	n = (lt - math.Log(n+2)) / lz
	n = (lt - math.Log(n+2)) / lz
	return min(int(n)+3, pnbdMaxTerms)
}

// pnbdSeriesDerivs returns the derivatives of E + ln S, the logarithm of
// J·c on the series path (E = (1−p)·ln(P+u) − q·ln(Q+u), S the Pfaff
// series with the derivatives of ln S in sm, lPu = ln(P+u), lQu = ln(Q+u)),
// with respect to the oriented arguments (p, q, P, Q): the gradient and,
// when h4 is not nil, the Hessian's upper triangle. With z = D/(Q+u),
// ∂z/∂P = −1/(Q+u) and ∂z/∂Q = (P+u)/(Q+u)²,
//
//	∂p = ∂_p ln S − ln(P+u),   ∂q = ∂_q ln S − ln(Q+u),
//	∂P = (1−p)/(P+u) − ∂_z ln S/(Q+u),   ∂Q = −q/(Q+u) + ∂_z ln S·(P+u)/(Q+u)²,
//
// and differentiating once more, with ρ = (P+u)/(Q+u) and L = ln S,
//
//	∂pP = −1/(P+u) − L_pz/(Q+u),  ∂pQ = L_pz·ρ/(Q+u),  ∂qP = −L_qz/(Q+u),
//	∂qQ = (L_qz·ρ − 1)/(Q+u),     ∂PP = −(1−p)/(P+u)² + L_zz/(Q+u)²,
//	∂PQ = (L_z − ρ·L_zz)/(Q+u)²,  ∂QQ = (q + ρ²·L_zz − 2ρ·L_z)/(Q+u)²,
//
// and ∂pp, ∂pq, ∂qq those of L.
func pnbdSeriesDerivs(p, q, Pu, Qu, lPu, lQu float64, sm *pnbdSum, g4 *[4]float64, h4 *[10]float64) {
	iP, iQ := 1/Pu, 1/Qu
	*g4 = [4]float64{sm.dp - lPu, sm.dq - lQu, (1-p)*iP - sm.dz*iQ, (sm.dz*Pu*iQ - q) * iQ}
	if h4 == nil {
		return
	}
	rho := Pu * iQ
	iQ2 := iQ * iQ
	*h4 = [10]float64{
		sm.pp, sm.pq, -iP - sm.pz*iQ, sm.pz * rho * iQ, // pp pq pP pQ
		sm.qq, -sm.qz * iQ, (sm.qz*rho - 1) * iQ, // qq qP qQ
		-(1-p)*iP*iP + sm.zz*iQ2, (sm.dz - rho*sm.zz) * iQ2, // PP PQ
		(q + rho*rho*sm.zz - 2*rho*sm.dz) * iQ2, // QQ
	}
}

// pnbdLogJc returns ln(J·c) (c = p+q−1) for the oriented arguments of
// pnbdLogJ and, by order, its gradient (order ≥ 1) and Hessian (order 2,
// upper triangle row by row) with respect to (p, q, P, Q), c moving with p
// and q: by the series where it converges (z ≤ pnbdSeriesMaxZ), by
// pnbdSplitc beyond. The value does not depend on the order.
func pnbdLogJc(p, q, c, Pu, Qu, D float64, order int) (float64, [4]float64, [10]float64) {
	var g [4]float64
	var h [10]float64
	z := D / Qu
	if z <= pnbdSeriesMaxZ {
		var tb pnbdTable
		tb.fill(p, q, pnbdTerms(z), order == 2)
		if v, ok := tb.logSeries(p, q, Pu, Qu, z, order, &g, &h); ok {
			return v, g, h
		}
	}
	return pnbdSplitc(p, q, c, Pu, Qu, D, order)
}

// logSeries returns E + ln S = ln(J·c) on the series path with the table
// tb (see pnbdSeriesDerivs) and, by order, its derivatives into g and h;
// it reports false when the table is too short for z.
func (tb pnbdTable) logSeries(p, q, Pu, Qu, z float64, order int, g *[4]float64, h *[10]float64) (float64, bool) {
	var sm pnbdSum
	ok := false
	switch order {
	case 0:
		sm.h, ok = tb.sum0(z)
	case 1:
		ok = tb.sum1(z, &sm)
	default:
		ok = tb.sum2(z, &sm)
	}
	if !ok {
		return 0, false
	}
	lPu, lQu := math.Log(Pu), math.Log(Qu)
	switch order {
	case 1:
		pnbdSeriesDerivs(p, q, Pu, Qu, lPu, lQu, &sm, g, nil)
	case 2:
		pnbdSeriesDerivs(p, q, Pu, Qu, lPu, lQu, &sm, g, h)
	}
	return (1-p)*lPu - q*lQu + math.Log(sm.h), true
}

// pnbdSplitc is pnbdSplit for ln(J·c), with the gradient (order ≥ 1) and
// the Hessian (order 2) with respect to (p, q, P, Q). With J = F + T, F the
// finite part and T the tail (the split point held fixed, which leaves J
// unchanged), and F′ = F·c, T′ = T·c,
//
//	∇ln J′ = w_F ∇ln F′ + w_T ∇ln T′,
//	∇²ln J′ = w_F ∇²ln F′ + w_T ∇²ln T′ + w_F w_T (∇ln F′ − ∇ln T′)(∇ln F′ − ∇ln T′)ᵀ,
//
// w_F = F/J, w_T = T/J. T′ comes from the series at z = 1/2, and F, the
// integral of f = (P+τ)^(−p)(Q+τ)^(−q), from the moments of
// ∇ln f = −(ln(P+τ), ln(Q+τ), p/(P+τ), q/(Q+τ)) under f:
//
//	∇ln F = E[∇ln f],   ∇²ln F = E[∇²ln f] + Cov(∇ln f),
//	∇²ln f: ∂pP = −1/(P+τ), ∂qQ = −1/(Q+τ), ∂PP = p/(P+τ)², ∂QQ = q/(Q+τ)²,
//
// integrated alongside the value in one adaptive quadrature (the same
// pieces whatever the order: the adaptation follows the value), each
// variable centred at its value at the peak of the integrand so that the
// covariances do not cancel; ln c adds 1/c to ∂p, ∂q and −1/c² to ∂pp,
// ∂pq, ∂qq of ln F.
func pnbdSplitc(p, q, c, Pu, Qu, D float64, order int) (float64, [4]float64, [10]float64) {
	return pnbdSplitcWith(p, q, c, Pu, Qu, D, order, pnbdSplitTail(p, q, D, order))
}

// pnbdTail is the tail of pnbdSplitc's split, ln(T·c) (lt) by the series
// at z = 1/2 with its derivatives by order (g, h), and whether the series
// reached its tolerance (ok). It depends on the exponents, D and the order
// only, not on u: the likelihood computes it once per frequency and
// evaluation.
type pnbdTail struct {
	lt float64
	g  [4]float64
	h  [10]float64
	ok bool
}

// pnbdSplitTail returns the tail of pnbdSplitc's split for the exponents p
// and q and the difference of scales D.
func pnbdSplitTail(p, q, D float64, order int) pnbdTail {
	Qs := D / pnbdSplitZ
	Ps := Qs - D
	var tb pnbdTable
	tb.fill(p, q, pnbdTerms(pnbdSplitZ), order == 2)
	var t pnbdTail
	t.lt, t.ok = tb.logSeries(p, q, Ps, Qs, pnbdSplitZ, order, &t.g, &t.h)
	return t
}

// pnbdSplitcWith is pnbdSplitc given its tail (pnbdSplitTail of p, q, D
// and order).
func pnbdSplitcWith(p, q, c, Pu, Qu, D float64, order int, tail pnbdTail) (float64, [4]float64, [10]float64) {
	var g [4]float64
	var h [10]float64
	Qs := D / pnbdSplitZ
	Ps := Qs - D
	lt, gT, hT := tail.lt, tail.g, tail.h
	if !tail.ok { // cannot happen at z = 1/2
		return math.NaN(), g, h
	}
	lPu, lQu := math.Log(Pu), math.Log(Qu)
	rho := Pu / Qu
	L := math.Log(Ps / Pu)
	gf := func(t float64) float64 { return (1-p)*t - q*math.Log1p(rho*math.Expm1(t)) }
	// gf is concave: its maximum is at an end or where gf′ = 0, i.e. where
	// ρe^t/(1 + ρ(e^t − 1)) = (1−p)/q =: k, e^t = k(1−ρ)/(ρ(1−k)).
	t0, ref := 0.0, gf(0)
	if v := gf(L); v > ref {
		t0, ref = L, v
	}
	if k := (1 - p) / q; k > 0 && k < 1 {
		if ts := math.Log(k * (1 - rho) / (rho * (1 - k))); ts > 0 && ts < L {
			if v := gf(ts); v > ref {
				t0, ref = ts, v
			}
		}
	}
	e0 := math.Expm1(t0)
	l0, a0, b0 := math.Log1p(rho*e0), math.Exp(-t0), 1/(1+rho*e0)
	f := func(t float64, out []float64) {
		e := math.Expm1(t)
		l := math.Log1p(rho * e)
		v := math.Exp((1-p)*t - q*l - ref)
		out[0] = v
		if len(out) == 1 {
			return
		}
		// ln(P+τ), ln(Q+τ), (P+u)/(P+τ), (Q+u)/(Q+τ), each less its value at
		// the peak.
		dt, dl := t-t0, l-l0
		da, db := 1/(1+e)-a0, 1/(1+rho*e)-b0
		out[1], out[2], out[3], out[4] = dt*v, dl*v, da*v, db*v
		if len(out) == 5 {
			return
		}
		out[5], out[6], out[7] = dt*dt*v, dt*dl*v, dl*dl*v
		out[8], out[9], out[10], out[11] = dt*da*v, dt*db*v, dl*da*v, dl*db*v
		out[12], out[13], out[14] = da*da*v, da*db*v, db*db*v
	}
	scale := (1-p)*lPu - q*lQu + ref // ln of the factor in front of ∫ e^(gf−ref)
	var m [15]float64
	dim := [3]int{1, 5, 15}[order]
	// The finite part's error need only be small next to the whole of J.
	pnbdIntegrate(f, m[:dim], 0, L, 1e-14, math.Exp(lt-math.Log(c)-scale), 4)
	lf := scale + math.Log(m[0]) + math.Log(c) // ln(F·c)
	lj := logAddExp(lf, lt)
	if order == 0 {
		return lj, g, h
	}
	inv := 1 / m[0]
	E := func(k int) float64 { return m[k] * inv }
	et, el, ea, eb := E(1), E(2), E(3), E(4)
	iP, iQ, ic := 1/Pu, 1/Qu, 1/c
	Ea, Eb := a0+ea, b0+eb // E[(P+u)/(P+τ)], E[(Q+u)/(Q+τ)]
	gF := [4]float64{ic - (lPu + t0 + et), ic - (lQu + l0 + el), -p * Ea * iP, -q * Eb * iQ}
	wF, wT := math.Exp(lf-lj), math.Exp(lt-lj)
	var d [4]float64
	for i := range g {
		g[i] = wF*gF[i] + wT*gT[i]
		d[i] = gF[i] - gT[i]
	}
	if order == 1 {
		return lj, g, h
	}
	cov := func(k int, x, y float64) float64 { return E(k) - x*y }
	ic2 := ic * ic
	hF := [10]float64{
		cov(5, et, et) - ic2, cov(6, et, el) - ic2, (p*cov(8, et, ea) - Ea) * iP, q * cov(9, et, eb) * iQ,
		cov(7, el, el) - ic2, p * cov(10, el, ea) * iP, (q*cov(11, el, eb) - Eb) * iQ,
		(p*(E(12)+2*a0*ea+a0*a0) + p*p*cov(12, ea, ea)) * iP * iP, p * q * cov(13, ea, eb) * iP * iQ,
		(q*(E(14)+2*b0*eb+b0*b0) + q*q*cov(14, eb, eb)) * iQ * iQ,
	}
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			k := pnbdTri(i, j)
			h[k] = wF*hF[k] + wT*hT[k] + wF*wT*d[i]*d[j]
		}
	}
	return lj, g, h
}

// Gauss–Kronrod 7–15 nodes and weights on [−1, 1] (Piessens et al. 1983,
// QUADPACK qk15); hyp2f1_test.go checks them by integrating polynomials of
// degree up to 22 (Kronrod) and 13 (Gauss) exactly.
var (
	pnbdKronrodX = [8]float64{
		0.991455371120812639206854697526329,
		0.949107912342758524526189684047851,
		0.864864423359769072789712788640926,
		0.741531185599394439863864773280788,
		0.586087235467691130294144845693013,
		0.405845151377397166906606412076961,
		0.207784955007898467600689403773245,
		0,
	}
	pnbdKronrodW = [8]float64{
		0.022935322010529224963732008058970,
		0.063092092629978553290700663189204,
		0.104790010322250183839876322541518,
		0.140653259715525918745189590510238,
		0.169004726639267902826583426598550,
		0.190350578064785409913256402421014,
		0.204432940075298892414161999234649,
		0.209482141084727828012999174891714,
	}
	// Gauss weights of the 7-point rule, at the Kronrod nodes 1, 3, 5, 7.
	pnbdGaussW = [4]float64{
		0.129484966168869693270611432679082,
		0.279705391489276667901467771423780,
		0.381830050505118944950369775488975,
		0.417959183673469387755102040816327,
	}
)

// pnbdInterval is a piece of an adaptive quadrature, with the integrals of
// its components (val[:dim]).
type pnbdInterval struct {
	lo, hi float64
	val    [pnbdMaxComponents]float64
	err    float64
	final  bool // its error is at the level of rounding: do not bisect
}

// pnbdMaxComponents is the most components pnbdIntegrate integrates at
// once (the value and the moments of pnbdSplitc).
const pnbdMaxComponents = 15

// pnbdGK15 applies the 15-point Kronrod rule on [lo, hi] to every component
// of f, storing the integrals in val. It returns the error estimate of
// component 0 of QUADPACK's qk15 (Piessens et al. 1983): with
// A = ∫|f₀ − mean| by the Kronrod rule,
// err = A·min(1, (200·|Kronrod − Gauss|/A)^1.5), at least 50ε·∫|f₀|; and
// whether the estimate is at that rounding floor.
func pnbdGK15(f func(y float64, out []float64), lo, hi float64, val, buf []float64) (float64, bool) {
	mid, half := (lo+hi)/2, (hi-lo)/2
	for k := range val {
		val[k] = 0
	}
	var f0 [15]float64
	gauss, abs := 0.0, 0.0
	j := 0
	for i, x := range pnbdKronrodX {
		for _, sgn := range [2]float64{-1, 1} {
			if x == 0 && sgn > 0 {
				break
			}
			f(mid+sgn*half*x, buf)
			for k := range val {
				val[k] += pnbdKronrodW[i] * buf[k]
			}
			f0[j] = buf[0]
			j++
			abs += pnbdKronrodW[i] * math.Abs(buf[0])
			if i%2 == 1 {
				gauss += pnbdGaussW[i/2] * buf[0]
			}
		}
	}
	mean := val[0] / 2
	asc := 0.0
	j = 0
	for i, x := range pnbdKronrodX {
		for _, sgn := range [2]float64{-1, 1} {
			if x == 0 && sgn > 0 {
				break
			}
			asc += pnbdKronrodW[i] * math.Abs(f0[j]-mean)
			j++
		}
	}
	for k := range val {
		val[k] *= half
	}
	h := math.Abs(half)
	err := math.Abs((val[0]/half - gauss) * h)
	asc *= h
	abs *= h
	if asc != 0 && err != 0 {
		err = asc * math.Min(1, math.Pow(200*err/asc, 1.5))
	}
	floor := 50 * 0x1p-52 * abs
	if err <= floor {
		return floor, true
	}
	return err, false
}

// pnbdIntegrate integrates the components of f over [lo, hi] into res by
// globally adaptive Gauss–Kronrod quadrature: starting from initial equal
// pieces, it bisects the piece with the
// largest error estimate (on component 0) until the total estimate is below
// relTol·(|I₀| + floor), floor being a magnitude the caller adds to I₀;
// pieces whose error is at the level of rounding are left as they are and
// do not count.
func pnbdIntegrate(f func(y float64, out []float64), res []float64, lo, hi, relTol, floor float64, initial int) {
	dim := len(res)
	var store [pnbdMaxComponents]float64
	buf := store[:dim]
	const maxPieces = 1000
	pieces := make([]pnbdInterval, 0, 32)
	w := (hi - lo) / float64(initial)
	for i := 0; i < initial; i++ {
		a, b := lo+float64(i)*w, lo+float64(i+1)*w
		if i == initial-1 {
			b = hi
		}
		iv := pnbdInterval{lo: a, hi: b}
		iv.err, iv.final = pnbdGK15(f, a, b, iv.val[:dim], buf)
		pieces = append(pieces, iv)
	}
	for len(pieces) < maxPieces {
		total, errSum, worst := 0.0, 0.0, -1
		for i, iv := range pieces {
			total += iv.val[0]
			if iv.final { // rounding-limited: bisecting cannot help
				continue
			}
			errSum += iv.err
			if worst < 0 || iv.err > pieces[worst].err {
				worst = i
			}
		}
		if worst < 0 || errSum <= relTol*(math.Abs(total)+floor) {
			break
		}
		iv := pieces[worst]
		m := (iv.lo + iv.hi) / 2
		if m <= iv.lo || m >= iv.hi { // cannot bisect further
			pieces[worst].final = true
			continue
		}
		left := pnbdInterval{lo: iv.lo, hi: m}
		left.err, left.final = pnbdGK15(f, iv.lo, m, left.val[:dim], buf)
		right := pnbdInterval{lo: m, hi: iv.hi}
		right.err, right.final = pnbdGK15(f, m, iv.hi, right.val[:dim], buf)
		pieces[worst] = left
		pieces = append(pieces, right)
	}
	for k := range res {
		res[k] = 0
	}
	for _, iv := range pieces {
		for k := range res {
			res[k] += iv.val[k]
		}
	}
}
