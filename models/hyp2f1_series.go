package models

import (
	"math"
	"sort"
)

// This file holds the special functions of the BG/NBD family: the expected
// number of repeat purchases of a fresh customer, which the literature
// writes with a Gauss hypergeometric function, and the regularized
// incomplete beta function that P(X(t) = x) needs.
//
// # The expected number of repeat purchases
//
// In the BG/NBD model (Fader, Hardie & Lee 2005, eq. 9)
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))].
//
// Evaluated as written this is troublesome: the bracket cancels for small
// t, both factors change sign at a = 1 (removable singularity), c = a+b−1
// may be ≤ 0, and the series of ₂F₁ converges slowly as z = t/(α+t) → 1.
// We evaluate instead the equivalent expectation
//
//	G(t; r, α, a, b) = E[min(N, J)] = Σ_{k≥1} P(N = k) · S_k,
//	S_k = Σ_{j=0}^{k−1} (b)_j/(a+b)_j,
//
// where N ~ NBD(r, z) counts the purchases of an immortal customer in
// (0, t] (P(N = k) = (r)_k/k! (1−z)^r z^k) and J, the number of purchases
// after which the customer drops out, has P(J > j) = (b)_j/(a+b)_j. One
// gets it from E[min(N, J)] = Σ_{n≥1} P(N ≥ n)·P(J ≥ n), and it equals the
// formula above term by term once (1 − (b)_k/(a+b−1)_k)·(a+b−1)/(a−1) is
// recognized as S_k. Every term is positive, so the sum has no
// cancellation and no special case at a = 1 or c ≤ 0.
//
// The series is summed from k = 1 with the NBD probabilities carried as a
// scaled mantissa and a separate logarithm (so that a far-away mode does
// not underflow the first terms) until a geometric bound on the tail falls
// below 1e-17 of the sum. It needs about (r−1)·s + 10·√(r·s·(1+s)) +
// 40·(1+s) terms, s = t/α: a few hundred for typical parameters, but
// without bound as z → 1 (s → ∞) or r·s grows. Beyond bgfSeriesLimit terms
// G is computed instead as the Beta integral
//
//	G = ∫₀¹ h(p) Beta(p; a, b) dp,  h(p) = (1 − (1 + p·s)^−r)/p,
//
// (h is the mean of min(N, J) for a known dropout probability p), by
// adaptive Gauss–Kronrod (7, 15) quadrature in v = logit(p), where the
// Beta density is log-concave, with panels cut around its mode and where
// h turns from r·s to 1/p, and with the tails p < p₀ and p > 1−q₁ taken in
// closed form through the incomplete beta function (h is constant there
// to 1e-17). Large b+x (a Beta density concentrated near 0), large r and
// z → 1 are all handled without loss: the integrand is positive and
// bounded by r·s.
//
// Accuracy (checked in bgnbd_test.go): the series agrees with ₂F₁ summed
// in 256-bit floating point to 1e-13 relative (including a ≈ 1, c ≈ 0,
// t/α = 1e-6 and z = 0.95); the quadrature agrees with the series to
// 5e-13 over a grid of s up to 300 and parameters from 1e-3 to 1e3, and
// with the closed-form limits as t → ∞ (E[J] for a > 1, the s^(1−a)
// asymptote for a < 1) to 1e-12.

// bgfSeriesLimit is the largest estimated number of series terms for which
// bgfMean sums the series rather than integrating; around it the two cost
// about the same (a few tens of microseconds).
const bgfSeriesLimit = 5000

// bgfMean returns G(t; r, α, a, b), the expected number of repeat purchases
// in (0, t] of a fresh BG/NBD customer with the given parameters (all > 0).
// It returns 0 for t ≤ 0. As t/α → ∞ (also t = +Inf, or t/α beyond the
// float64 range) G tends to E[J] = (a+b−1)/(a−1) when a > 1, which it then
// returns, and grows without bound like (t/α)^(1−a) when a ≤ 1 (+Inf).
func bgfMean(t, r, alpha, a, b float64) float64 {
	if !(t > 0) {
		return 0
	}
	s := t / alpha
	if math.IsInf(s, 1) {
		if a > 1 {
			return (a + b - 1) / (a - 1)
		}
		return math.Inf(1)
	}
	lz := -math.Log1p(alpha / t) // ln z,     z = t/(α+t)
	lw := -math.Log1p(s)         // ln(1−z)
	if est := bgfSeriesTerms(r, s); est <= bgfSeriesLimit {
		if g, ok := bgfMeanSeries(r, a, b, lz, lw, 4*int(est)+100); ok {
			return g
		}
	}
	return bgfMeanQuad(s, r, a, b)
}

// bgfSeriesTerms estimates how many terms the series of bgfMean needs:
// up to the NBD mode (r−1)·s, ten standard deviations beyond it, and the
// geometric tail z^k, whose rate is ln(1/z) ≥ 1/(1+s).
func bgfSeriesTerms(r, s float64) float64 {
	return math.Max(r-1, 0)*s + 10*math.Sqrt(r*s*(1+s)) + 40*(1+s) + 50
}

// bgfMeanSeries sums G = Σ_{k≥1} P(N=k)·S_k (see bgfMean). It reports false
// when maxTerms terms did not reach the tolerance.
func bgfMeanSeries(r, a, b, lz, lw float64, maxTerms int) (float64, bool) {
	const rescale = 1e200
	z := math.Exp(lz)
	logScale := math.Log(r) + r*lw + lz // ln P(N = 1)
	term := 1.0                         // P(N = k)/e^logScale
	S := 1.0                            // S_k
	g := 1.0                            // (b)_{k−1}/(a+b)_{k−1}
	sum := 0.0
	for k := 1; k <= maxTerms; k++ {
		fk := float64(k)
		sum += term * S
		rho := (r + fk) * z / (fk + 1) // P(N=k+1)/P(N=k)
		g *= (b + fk - 1) / (a + b + fk - 1)
		S += g
		term *= rho
		if term > rescale {
			term /= rescale
			sum /= rescale
			logScale += math.Log(rescale)
		}
		// Past the mode every later term shrinks at least by the ratio R:
		// the NBD ratio (r+j)z/(j+1) is monotone in j toward z, and
		// S_{j+1}/S_j ≤ 1 + 1/j because S_j ≥ j·g_j. The tail bound
		// term·S/(1−R) is at least term·S (0 < 1−R ≤ 1 for 0 < R < 1, and
		// rounding is monotone), so R and the division are needed only
		// once term·S itself is below the tolerance: the same stopping
		// term, without three divisions per term before it.
		if rho < 1 {
			if tail, tol := term*S, 1e-17*sum; tail <= tol {
				rNext := (r + fk + 1) * z / (fk + 2)
				R := math.Max(rNext, z) * (1 + 1/(fk+1))
				if R < 1 && tail/(1-R) <= tol {
					return sum * math.Exp(logScale), true
				}
			}
		}
	}
	return 0, false
}

// bgfMeanQuad returns G as the Beta(a, b) mean of h(p) = (1 − (1+ps)^−r)/p,
// s = t/α, by adaptive Gauss–Kronrod quadrature in v = logit(p) over
// [logit(p₀), logit(1−q₁)] plus the two tails in closed form.
func bgfMeanQuad(s, r, a, b float64) float64 {
	lns := math.Log(s)
	lbab := lnBeta(a, b)
	rs := r * s
	// h(p) = (1 − (1+ps)^−r)/p.
	h := func(p float64) float64 {
		x := p * s
		if r*x < 1e-9 {
			return rs * (1 - (r+1)*x/2)
		}
		return -math.Expm1(-r*math.Log1p(x)) / p
	}
	// Below p₀, h(p) = rs·(1 + O((r+1)·p·s)) = rs to 1e-17; above 1−q₁,
	// h(p) = h(1)·(1 + O((1+r)·q₁)).
	p0 := math.Min(1e-3, 1e-17/((r+1)*(s+1)))
	q1 := 1e-17 / (1 + r)
	left, _ := regIncBetaPair(a, b, p0, 1-p0)
	right, _ := regIncBetaPair(b, a, q1, 1-q1)
	tails := rs*left + h(1)*right

	vL := math.Log(p0) - math.Log1p(-p0)
	vR := math.Log1p(-q1) - math.Log(q1)
	f := func(v float64) float64 {
		// p = 1/(1+e^−v) and ln p, ln(1−p), without overflow.
		var p, lp, lq float64
		if v < 0 {
			e := math.Exp(v)
			l := math.Log1p(e)
			p, lp, lq = e/(1+e), v-l, -l
		} else {
			e := math.Exp(-v)
			l := math.Log1p(e)
			p, lp, lq = 1/(1+e), -l, -v-l
		}
		// Beta(p; a, b)·dp/dv = p^a (1−p)^b / B(a, b).
		return h(p) * math.Exp(a*lp+b*lq-lbab)
	}
	// Break the range where the integrand changes: around the mode of the
	// Beta density in v (at ln(a/b), spread √(1/a+1/b)) and where h turns
	// from rs to 1/p (p·s ≈ 1 and r·p·s ≈ 1).
	mode, spread := math.Log(a/b), math.Sqrt(1/a+1/b)
	breaks := []float64{-lns, -lns - math.Log(r+1)}
	for _, k := range []float64{-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16} {
		breaks = append(breaks, mode+k*spread)
	}
	mid := bgfAdaptiveKronrod(f, vL, vR, breaks, 1e-13)
	return mid + tails
}

// Gauss–Kronrod (7, 15) rule on [−1, 1]: the Kronrod nodes ±x[i] with
// weights wk[i] (x[0] = 0), and the weights wg of the embedded 7-point
// Gauss rule on the nodes x[0], x[2], x[4], x[6]. Computed with mpmath at 50
// digits (Gauss nodes: roots of P₇; the new nodes: roots of the Stieltjes
// polynomial E₈, orthogonal to x^k P₇ for k < 8; weights: exactness for
// x^k, k ≤ 22); TestKronrodExact checks the degrees of exactness.
var (
	bgfGKNodes = [8]float64{0, 0.20778495500789846760, 0.40584515137739716691, 0.58608723546769113029,
		0.74153118559939443986, 0.86486442335976907279, 0.94910791234275852453, 0.99145537112081263921}
	bgfGKWeights = [8]float64{0.20948214108472782801, 0.20443294007529889241, 0.19035057806478540991, 0.16900472663926790283,
		0.14065325971552591875, 0.10479001032225018384, 0.063092092629978553291, 0.022935322010529224964}
	bgfGaussWeights = [4]float64{0.41795918367346938776, 0.38183005050511894495, 0.27970539148927666790, 0.12948496616886969327}
)

// bgfKronrodPanel is one subinterval of bgfAdaptiveKronrod with its 15-point
// estimate and the difference from the embedded 7-point one.
type bgfKronrodPanel struct {
	lo, hi, value, error float64
}

func newBGFKronrodPanel(f func(float64) float64, lo, hi float64) bgfKronrodPanel {
	c, hw := (lo+hi)/2, (hi-lo)/2
	var fx [15]float64
	fx[0] = f(c)
	for i := 1; i < 8; i++ {
		fx[2*i-1], fx[2*i] = f(c-hw*bgfGKNodes[i]), f(c+hw*bgfGKNodes[i])
	}
	k, g := bgfGKWeights[0]*fx[0], bgfGaussWeights[0]*fx[0]
	abs := bgfGKWeights[0] * math.Abs(fx[0])
	for i := 1; i < 8; i++ {
		v := fx[2*i-1] + fx[2*i]
		k += bgfGKWeights[i] * v
		abs += bgfGKWeights[i] * (math.Abs(fx[2*i-1]) + math.Abs(fx[2*i]))
		if i%2 == 0 {
			g += bgfGaussWeights[i/2] * v
		}
	}
	mean := k / 2
	asc := bgfGKWeights[0] * math.Abs(fx[0]-mean)
	for i := 1; i < 8; i++ {
		asc += bgfGKWeights[i] * (math.Abs(fx[2*i-1]-mean) + math.Abs(fx[2*i]-mean))
	}
	// The error estimate of QUADPACK's qk15 (Piessens et al. 1983):
	// |K−G| scaled as (200·|K−G|/asc)^1.5, since the Kronrod error is of
	// higher order than the Gauss one, and floored at 50 ulps of ∫|f|.
	e := math.Abs(k-g) * hw
	asc *= hw
	abs *= hw
	if asc != 0 && e != 0 {
		e = asc * math.Min(1, math.Pow(200*e/asc, 1.5))
	}
	e = math.Max(e, 50*2.220446049250313e-16*abs)
	return bgfKronrodPanel{lo: lo, hi: hi, value: k * hw, error: e}
}

// bgfAdaptiveKronrod integrates f over [lo, hi], starting from the panels cut
// at the given breakpoints and bisecting the panel with the largest error
// estimate (QUADPACK's, from the difference between the 15-point Kronrod
// and the embedded 7-point Gauss values) until the estimates add up to less
// than relTol of the integral or 1000 panels are in use.
func bgfAdaptiveKronrod(f func(float64) float64, lo, hi float64, breaks []float64, relTol float64) float64 {
	pts := []float64{lo, hi}
	for _, b := range breaks {
		if b > lo && b < hi && !math.IsNaN(b) {
			pts = append(pts, b)
		}
	}
	sort.Float64s(pts)
	var panels []bgfKronrodPanel
	for i := 1; i < len(pts); i++ {
		if pts[i] > pts[i-1] {
			panels = append(panels, newBGFKronrodPanel(f, pts[i-1], pts[i]))
		}
	}
	for {
		total, errSum, worst := 0.0, 0.0, 0
		for i, p := range panels {
			total += p.value
			errSum += p.error
			if p.error > panels[worst].error {
				worst = i
			}
		}
		if errSum <= relTol*math.Abs(total) || errSum == 0 || len(panels) >= 1000 {
			return total
		}
		p := panels[worst]
		mid := (p.lo + p.hi) / 2
		panels[worst] = newBGFKronrodPanel(f, p.lo, mid)
		panels = append(panels, newBGFKronrodPanel(f, mid, p.hi))
	}
}

// regIncBetaPair returns the regularized incomplete beta function
// I_x(a, b) and its complement 1 − I_x(a, b) = I_y(b, a), for a, b > 0 and
// x + y = 1 given separately so that neither loses precision near 0 or 1.
// The one on the near side of the mean (x < (a+1)/(a+b+2) for I_x(a, b))
// is computed by the continued fraction of DLMF 8.17.22 (modified Lentz)
// to about 1e-13 relative, the other as its complement, to about 1e-15
// absolute. (The complement is usually the larger of the two; it can be
// small only when the smaller shape parameter is well below 1.)
func regIncBetaPair(a, b, x, y float64) (ix, iy float64) {
	return regIncBetaPairLnB(a, b, x, y, math.NaN())
}

// regIncBetaPairLnB is regIncBetaPair given lnB = ln B(a, b) (NaN: computed
// here), for callers that evaluate the same (a, b) at many x.
func regIncBetaPairLnB(a, b, x, y, lnB float64) (ix, iy float64) {
	switch {
	case x <= 0:
		return 0, 1
	case y <= 0:
		return 1, 0
	}
	if math.IsNaN(lnB) {
		lnB = lnBeta(a, b)
	}
	if x < (a+1)/(a+b+2) {
		ix = bgfIncBetaCF(a, b, x, y, lnB)
		return ix, 1 - ix
	}
	iy = bgfIncBetaCF(b, a, y, x, lnB)
	return 1 - iy, iy
}

// bgfIncBetaCF evaluates, given lnB = ln B(a, b) (symmetric in a and b),
// I_x(a, b) = x^a y^b/(a·B(a,b)) · 1/(1+ d₁/(1+ d₂/(1+ …)))
// with d_{2m+1} = −(a+m)(a+b+m)x/((a+2m)(a+2m+1)) and
// d_{2m} = m(b−m)x/((a+2m−1)(a+2m)); it converges quickly for
// x < (a+1)/(a+b+2).
func bgfIncBetaCF(a, b, x, y, lnB float64) float64 {
	const tiny = 1e-300
	front := math.Exp(a*math.Log(x) + b*math.Log(y) - lnB - math.Log(a))
	if front == 0 {
		return 0
	}
	// Modified Lentz for K = 1 + d₁/(1 + d₂/(1 + …)); I = front/K.
	f, C, D := 1.0, 1.0, 0.0
	for m := 1; m <= 20000; m++ {
		var d float64
		if m%2 == 1 {
			k := float64(m-1) / 2
			d = -(a + k) * (a + b + k) * x / ((a + 2*k) * (a + 2*k + 1))
		} else {
			k := float64(m) / 2
			d = k * (b - k) * x / ((a + 2*k - 1) * (a + 2*k))
		}
		D = 1 + d*D
		if math.Abs(D) < tiny {
			D = tiny
		}
		C = 1 + d/C
		if math.Abs(C) < tiny {
			C = tiny
		}
		D = 1 / D
		delta := C * D
		f *= delta
		if math.Abs(delta-1) < 1e-16 {
			break
		}
	}
	return front / f
}

// lnGammaRatio returns lnΓ(a+h) − lnΓ(a) for a > 0, a+h > 0. When both
// arguments are at least 20 it differences Stirling's series term by term,
//
//	(a−½)·log1p(h/a) + h·ln(a+h) − h + c(a+h) − c(a),
//	c(z) = 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷) + 1/(1188z⁹),
//
// (truncation error below 1e-17), so that the result keeps its relative
// precision where the two log-gammas are huge and nearly equal; otherwise
// it subtracts math.Lgamma values, whose size is then at most that of the
// result or small.
func lnGammaRatio(a, h float64) float64 {
	if h == 0 {
		return 0
	}
	if a < 20 || a+h < 20 {
		return lgamma(a+h) - lgamma(a)
	}
	c := func(z float64) float64 {
		z2 := 1 / (z * z)
		return (1.0/12 - z2*(1.0/360-z2*(1.0/1260-z2*(1.0/1680-z2/1188)))) / z
	}
	return (a-0.5)*math.Log1p(h/a) + h*math.Log(a+h) - h + (c(a+h) - c(a))
}

// lnBeta returns ln B(a, b) = lnΓ(s) − [lnΓ(l+s) − lnΓ(l)] for the smaller
// argument s and the larger l, accurate also when l is huge.
func lnBeta(a, b float64) float64 {
	if a > b {
		a, b = b, a
	}
	return lgamma(a) - lnGammaRatio(b, a)
}

// lnBetaRatio returns ln[B(a, b+m)/B(a, b)] = ln[(b)_m/(a+b)_m] for m ≥ 0:
// by a sum of log1p(−a/(a+b+j)) for small whole m, which keeps full
// relative precision, and by two log-gamma ratios otherwise.
func lnBetaRatio(a, b, m float64) float64 {
	if m == math.Trunc(m) && m <= 64 {
		s := 0.0
		for j := 0.0; j < m; j++ {
			s += math.Log1p(-a / (a + b + j))
		}
		return s
	}
	return lnGammaRatio(b, m) - lnGammaRatio(a+b, m)
}
