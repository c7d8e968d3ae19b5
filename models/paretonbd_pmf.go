package models

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// The distribution of a Pareto/NBD customer's repeat purchases in closed
// form.
//
// While alive a customer buys at rate λ and dies at rate μ; the two are
// competing exponential clocks, so with m = λ+μ and p = λ/m the events of
// the merged process come at rate m and each is a purchase with
// probability p, a death with probability 1−p. A customer makes exactly y
// purchases in (0, t] and is dead at t when the first y events are
// purchases and the (y+1)-th, a death, comes before t:
//
//	P(X(t) = y, dead at t | λ, μ) = p^y (1−p) · P(Poisson(mt) ≥ y+1).
//
// Under λ ~ Gamma(r, α), μ ~ Gamma(s, β), p and m are jointly distributed
// with density K p^(r−1) (1−p)^(s−1) m^(r+s−1) e^(−m·A(p)),
// A(p) = αp + β(1−p), K = α^r β^s/(Γ(r)Γ(s)); given p, Poisson(mt) is
// negative binomial. Expanding A(p)^(−(r+s)) and (A(p)+t)^(−(r+s+j)) in
// powers of p (or 1−p) and using (c)_j (c+j)_n = (c)_n (c+n)_j, Fader &
// Hardie's finite sum of 2F1 terms (2006 note "Deriving an expression for
// P(X(t) = x) under the Pareto/NBD model", brucehardie.com/notes/012; its
// conditional form, notes/028, applies it at the updated parameters)
// collapses, term by term of the 2F1 series of the lifetime distribution,
// into a negative binomial tail:
//
//	P(X(t) = y, dead at t) = s·Γ(r+y)Γ(r+s)/(Γ(r)Γ(r+s+y+1)) · (α/M)^r (β/M)^s
//	    · Σ_n (r+s)_n (e)_n / ((r+s+y+1)_n n!) · z^n · I_w(y+1, r+s+n),
//
// with M = max(α, β), z = |α−β|/M, w = t/(M+t), e = s+1 when α ≥ β and
// e = r+y when α < β, and I_w the regularized incomplete beta function,
// I_w(y+1, c) = P(NegBin(c, w) ≥ y+1). As t → ∞ every I_w is 1 and the
// sum is the 2F1(r+s, e; r+s+y+1; z) of the lifetime distribution. Every
// term is positive: F&H's difference between that 2F1 and the finite sum
// (which cancels to a part in 10¹² for small t or large y) is gone, and
// α = β is the single term n = 0. Along n, I_w(y+1, c+n) rises by the
// exactly known increments Γ(y+1+c+n)/(Γ(y+1)Γ(c+n+1)) w^(y+1)(1−w)^(c+n)
// (DLMF 8.17.20), so a term costs a few multiplications after one
// continued fraction for I_w(y+1, r+s). The series converges like Σ z^n;
// when z is so close to 1 that it would need more than
// pnbdPMFMaxTerms terms, the quadrature of pnbdLogDeathIntegral is used
// instead.
//
// The alive part is the negative binomial times the survival,
// NB_t(y)·(β/(β+t))^s. Both parts are formed in log space.

// pnbdPMFMaxTerms caps the series of the closed form (z ≈ 0.999 for a
// shape of order 1).
const pnbdPMFMaxTerms = 50000

// pnbdLogDeathSeries returns ln P(X(t) = y, dead at t) by the series above
// for t > 0 (t = +Inf gives the lifetime distribution), and false when the
// series needs more than pnbdPMFMaxTerms terms.
func pnbdLogDeathSeries(y, r, alpha, s, beta, t float64) (float64, bool) {
	M, z, e := alpha, (alpha-beta)/alpha, s+1
	lra, lsb := 0.0, math.Log1p(-z) // ln(α/M), ln(β/M)
	if alpha < beta {
		M, z, e = beta, (beta-alpha)/beta, r+y
		lra, lsb = math.Log1p(-z), 0
	}
	c, d := r+s, r+s+y+1
	pre := math.Log(s) + lnGammaRatio(r, y) - lnGammaRatio(c, y+1) + r*lra + s*lsb
	// w = t/(M+t) and 1−w = M/(M+t), each without cancellation.
	w, lw, l1w := 1.0, 0.0, math.Inf(-1)
	if !math.IsInf(t, 1) {
		w = t / (M + t)
		lw, l1w = -math.Log1p(M/t), -math.Log1p(t/M)
	}
	omw := math.Exp(l1w)
	inc, _ := regIncBetaPair(y+1, c, w, omw) // I_w(y+1, c+n)
	step := 0.0                              // I_w(y+1, c+n+1) − I_w(y+1, c+n)
	if w < 1 {
		// Γ(y+1+c)/(Γ(y+1)Γ(c+1)) · w^(y+1) (1−w)^c
		step = math.Exp(lnGammaRatio(c+1, y) - lgamma(y+1) + (y+1)*lw + c*l1w)
	}
	// The coefficient ratio is z·(c+n)(e+n)/((d+n)(n+1)) = z·(1 + (k·n+q)/((d+n)(n+1))).
	k, q := c+e-d-1, c*e-d
	const tol = 0x1p-56
	h, sum, scale := 1.0, 0.0, 0.0 // h_n = (c)_n (e)_n/((d)_n n!) z^n · e^(−scale)
	for n := 0.0; n < pnbdPMFMaxTerms; n++ {
		sum += h * inc
		inc += step
		inc = math.Min(inc, 1)
		step *= (y + 1 + c + n) / (c + n + 1) * omw
		h *= z * (c + n) * (e + n) / ((d + n) * (n + 1))
		// Later ratios are at most z·F, F = 1 + max(0,k)/(n+2) + max(0,q)/((d+n+1)(n+2)).
		rho := z * (1 + math.Max(0, k)/(n+2) + math.Max(0, q)/((d+n+1)*(n+2)))
		if rho < 1 {
			tail := h / (1 - rho) // ≥ Σ_{later} h·I, as I ≤ 1
			if tail <= tol*sum || (sum == 0 && tail == 0) || (sum == 0 && math.Log(tail)+scale+pre < -745) {
				if sum == 0 {
					return math.Inf(-1), true
				}
				return pre + scale + math.Log(sum), true
			}
		}
		if h > 0x1p600 { // keep the coefficients in range
			h, sum = h*0x1p-600, sum*0x1p-600
			scale += 600 * math.Ln2
		}
		if z == 0 {
			return pre + math.Log(sum), true
		}
	}
	return 0, false
}

// The whole distribution at once. The prediction intervals need
// P(X(t) = y) for every y up to the far tail, per distinct history and
// parameter draw; y by y, the series above costs thousands of terms each
// when z is near 1 (a long-lived cohort, β ≫ α). pnbdDistribution computes
// all y together instead, by one Gauss–Legendre rule over the death time
// shared by every y: in v = τ/(α+τ) (α ≤ β),
//
//	P(X(t) = y, dead at t) = Γ(r+y)/(Γ(r) y!) ∫_0^{t/(α+t)} v^y · sαβ^s (1−v)^(r+s−1) (β+(α−β)v)^(−(s+1)) dv,
//
// and in u = τ/(β+τ) (α > β), where the integrand is
// Γ(r+y)/(Γ(r) y!) ν(u)^y · s(1−u)^(s−1) (α(1−u)/(α+(β−α)u))^r with
// ν(u) = βu/(α+(β−α)u). Both integrands are a power times a function
// analytic on the interval (its singularities lie at or beyond 1), so the
// rule converges geometrically; a node's terms for successive y follow by
// one multiplication, ν·(r+y)/(y+1). Every probability is computed with
// n and 2n nodes; n doubles from pnbdRuleNodes until the two agree to
// 1e-10 relative (1e-15 absolute) for every y, and when 8·pnbdRuleNodes
// nodes do not suffice the distribution is taken y by y from the closed
// form. The tests check it against the closed form.

// pnbdRuleNodes is the smallest Gauss–Legendre rule of pnbdDistribution.
const pnbdRuleNodes = 24

// pnbdLnFactorials is how many ln y! the rules carry (the distributions of
// the intervals rarely reach y = 1024; beyond, lgamma is called).
const pnbdLnFactorials = 1024

// pnbdStackY is how many probabilities pnbdDistribution gathers on the
// stack before the slice it returns, of exactly their number, is made;
// longer distributions grow on the heap.
const pnbdStackY = 256

// legendreRules holds Gauss–Legendre rules on [0, 1] with
// pnbdRuleNodes·2^k nodes, k = 0…3, and lnFact[y] = lgamma(y+1), the
// ln y! of P(alive)'s negative binomial (the same bits as the lgamma call
// of logAliveWith): computed once per set of intervals, then only read (by
// every draw's goroutines at once).
type legendreRules struct {
	x, w   [4][]float64
	lnFact []float64
}

func newLegendreRules() *legendreRules {
	var lr legendreRules
	for k := range lr.x {
		n := pnbdRuleNodes << k
		lr.x[k], lr.w[k] = make([]float64, n), make([]float64, n)
		quad.Legendre{}.FixedLocations(lr.x[k], lr.w[k], 0, 1)
	}
	lr.lnFact = make([]float64, pnbdLnFactorials)
	for y := range lr.lnFact {
		lr.lnFact[y] = lgamma(float64(y) + 1)
	}
	return &lr
}

// pnbdNodeLogs holds, node by node (rule k's nodes, then rule k+1's), the
// parts of the node terms that do not depend on r, for one (α, β, s, t):
// with v = top·x, top = t/(α+t) when α ≤ β,
//
//	a = ln(w·top·s·α/(β+(α−β)v)), b = ln(1−v), c = ln(1+(α−β)v/β), ratio = v,
//	base = e^(a + (r+s−1)·b − s·c),
//
// and with u = top·x, top = t/(β+t), den = α+(β−α)u when α > β,
//
//	a = ln(w·top·s), b = ln(1−u), c = ln(α(1−u)/den), ratio = βu/den,
//	base = e^(a + (s−1)·b + r·c),
//
// the log of the weighted integrand at y = 0 and the factor ν of each
// further y (see above). Histories of the same age T share α+T, β+T, s and
// t, so a futureCache keeps them across the histories of a draw and
// horizon; base then costs one exponential a node.
type pnbdNodeLogs struct{ a, b, c, ratio []float64 }

// newPNBDNodeLogs returns node logs of n nodes over one backing array.
func newPNBDNodeLogs(n int) pnbdNodeLogs {
	buf := make([]float64, 4*n)
	return pnbdNodeLogs{buf[:n:n], buf[n : 2*n : 2*n], buf[2*n : 3*n : 3*n], buf[3*n:]}
}

// pnbdNodeLogs sets nl (from node 0) to rule k's node logs.
func (m *FittedParetoNBD) pnbdNodeLogs(lr *legendreRules, k int, t float64, nl pnbdNodeLogs) {
	alpha, s, beta := m.Alpha, m.S, m.Beta
	x, w := lr.x[k], lr.w[k]
	a, b, c, ratio := nl.a[:len(x)], nl.b[:len(x)], nl.c[:len(x)], nl.ratio[:len(x)]
	if alpha <= beta {
		top := t / (alpha + t)
		for i := range x {
			v := top * x[i]
			a[i], b[i], c[i] = math.Log(w[i]*top*s*alpha/(beta+(alpha-beta)*v)), math.Log1p(-v), math.Log1p((alpha-beta)*v/beta)
			ratio[i] = v
		}
		return
	}
	top := t / (beta + t)
	for i := range x {
		u := top * x[i]
		den := alpha + (beta-alpha)*u
		a[i], b[i], c[i] = math.Log(w[i]*top*s), math.Log1p(-u), math.Log(alpha*(1-u)/den)
		ratio[i] = beta * u / den
	}
}

// pnbdNodeBase sets base[i] to the log-weighted integrand of node i at
// y = 0 from its node logs (see pnbdNodeLogs), for base's nodes.
func (m *FittedParetoNBD) pnbdNodeBase(nl pnbdNodeLogs, base []float64) {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	a, b, c := nl.a[:len(base)], nl.b[:len(base)], nl.c[:len(base)]
	if alpha <= beta {
		for i := range base {
			base[i] = math.Exp(a[i] + (r+s-1)*b[i] - s*c[i])
		}
		return
	}
	for i := range base {
		base[i] = math.Exp(a[i] + (s-1)*b[i] + r*c[i])
	}
}

// futureCache keeps, across the (x, T) histories of one draw and horizon
// (one goroutine of drawFutures), the Pareto/NBD node logs of the first
// pair of rules per (α, β, s, t) of the model of the future: they depend
// on the age T, not on x. A nil *futureCache keeps nothing.
//
// It also keeps lgamma(r+y), y = 0, 1, …, per r = r₀+x of P(alive)'s
// negative binomial: histories with x purchases share it across ages.
type futureCache struct {
	pnbd    map[[4]float64]pnbdNodeLogs
	lgammaR map[float64]*[]float64
}

// newFutureCache returns an empty cache for one goroutine.
func newFutureCache() *futureCache {
	return &futureCache{pnbd: map[[4]float64]pnbdNodeLogs{}, lgammaR: map[float64]*[]float64{}}
}

// lgammaFrom returns the kept lgamma(r+y), y = 0, 1, … (nil when cache is
// nil); pnbdDistributionWith extends it.
func (cache *futureCache) lgammaFrom(r float64) *[]float64 {
	if cache == nil {
		return nil
	}
	lg, ok := cache.lgammaR[r]
	if !ok {
		lg = new([]float64)
		cache.lgammaR[r] = lg
	}
	return lg
}

// pnbdNodeLogsOf returns the node logs of rules 0 and 1 for m and t, from
// the cache or computed (and kept) when cache is not nil; ok is false when
// cache is nil.
func (m *FittedParetoNBD) pnbdNodeLogsOf(lr *legendreRules, t float64, cache *futureCache) (pnbdNodeLogs, bool) {
	if cache == nil {
		return pnbdNodeLogs{}, false
	}
	key := [4]float64{m.Alpha, m.Beta, m.S, t}
	if nl, ok := cache.pnbd[key]; ok {
		return nl, true
	}
	n0 := len(lr.x[0])
	nl := newPNBDNodeLogs(n0 + len(lr.x[1]))
	m.pnbdNodeLogs(lr, 0, t, nl)
	m.pnbdNodeLogs(lr, 1, t, pnbdNodeLogs{nl.a[n0:], nl.b[n0:], nl.c[n0:], nl.ratio[n0:]})
	cache.pnbd[key] = nl
	return nl, true
}

// pnbdAliveTerms holds the parts of logAliveWith(y, t) that do not depend
// on y, for one distribution: lgamma(r) and the three log1p.
type pnbdAliveTerms struct {
	r, s, lgr, lta, ltb, lat float64
	inf                      bool
}

func (m *FittedParetoNBD) aliveTerms(t float64) pnbdAliveTerms {
	if math.IsInf(t, 1) {
		return pnbdAliveTerms{inf: true}
	}
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	return pnbdAliveTerms{r: r, s: s, lgr: lgamma(r), lta: math.Log1p(t / alpha), ltb: math.Log1p(t / beta), lat: math.Log1p(alpha / t)}
}

// logAlive is logAliveWith(x, t) by the same operations in the same order,
// the y-free parts taken from a, lgamma(r+x) from lgRX and lgamma(x+1)
// from lnFact.
func (a *pnbdAliveTerms) logAlive(x, lgRX, lnFact float64) float64 {
	if a.inf {
		return math.Inf(-1)
	}
	alive := lgRX - a.lgr - lnFact - a.r*a.lta - a.s*a.ltb
	if x > 0 {
		alive -= x * a.lat
	}
	return alive
}

// pnbdDistribution returns P(X(t) = y) for y = 0, 1, … until the mass
// left is below tail (or maxY), for t > 0 finite (see above), in a slice
// of exactly their number (it is kept per history and draw). The node
// terms of the first pair of rules and the first pnbdStackY probabilities
// are gathered on the stack.
func (m *FittedParetoNBD) pnbdDistribution(lr *legendreRules, t, tail float64, maxY int) []float64 {
	return m.pnbdDistributionCached(lr, t, tail, maxY, nil)
}

// pnbdDistributionCached is pnbdDistribution with the node logs of the
// first pair of rules from cache (see futureCache; nil: computed here).
func (m *FittedParetoNBD) pnbdDistributionCached(lr *legendreRules, t, tail float64, maxY int, cache *futureCache) []float64 {
	const first = pnbdRuleNodes + 2*pnbdRuleNodes // the nodes of rules 0 and 1
	var nodes [5 * first]float64                  // node logs (four) and base of rules 0 and 1
	var buf [pnbdStackY]float64
	for k := 0; k+1 < len(lr.x); k++ {
		n1, n := len(lr.x[k]), len(lr.x[k])+len(lr.x[k+1])
		scratch := nodes[:]
		if 5*n > len(scratch) {
			scratch = make([]float64, 5*n)
		}
		base := scratch[4*n : 5*n]
		nl, ok := pnbdNodeLogs{}, false
		if k == 0 {
			nl, ok = m.pnbdNodeLogsOf(lr, t, cache)
		}
		if !ok {
			nl = pnbdNodeLogs{scratch[:n], scratch[n : 2*n], scratch[2*n : 3*n], scratch[3*n : 4*n]}
			m.pnbdNodeLogs(lr, k, t, nl)
			m.pnbdNodeLogs(lr, k+1, t, pnbdNodeLogs{nl.a[n1:], nl.b[n1:], nl.c[n1:], nl.ratio[n1:]})
		}
		m.pnbdNodeBase(nl, base)
		if out, ok := m.pnbdDistributionWith(lr, k, t, tail, maxY, base, nl.ratio[:n], buf[:0], cache.lgammaFrom(m.R)); ok {
			return append(make([]float64, 0, len(out)), out...)
		}
	}
	out := buf[:0]
	cum := 0.0
	for y := 0; y <= maxY && cum < 1-tail; y++ {
		p := m.ProbabilityOfPurchases(y, t)
		out = append(out, p)
		cum += p
	}
	return append(make([]float64, 0, len(out)), out...)
}

// pnbdDistributionWith is pnbdDistribution by the rules k and k+1, whose
// node terms at y = 0 and factors are base and ratio (rule k's nodes, then
// rule k+1's; base is overwritten), appended to out; it reports false when
// the rules disagree. lgr, when not nil, holds lgamma(r+y) for the first
// y and is extended by those computed here.
func (m *FittedParetoNBD) pnbdDistributionWith(lr *legendreRules, k int, t, tail float64, maxY int, base, ratio, out []float64, lgr *[]float64) ([]float64, bool) {
	n1 := len(lr.x[k])
	b1, q1 := base[:n1], ratio[:n1]
	b2, q2 := base[n1:], ratio[n1:]
	b1, b2 = b1[:len(q1)], b2[:len(q2)] // one bounds check per rule
	at := m.aliveTerms(t)
	cum := 0.0
	for y := 0; y <= maxY && cum < 1-tail; y++ {
		yf := float64(y)
		// The factor of the next y, q·(r+y)/(y+1), as first written: the
		// product, then the quotient.
		ry, y1 := m.R+yf, yf+1
		d1, d2 := 0.0, 0.0
		for i, q := range q1 {
			d1 += b1[i]
			b1[i] *= q * ry / y1
		}
		for i, q := range q2 {
			d2 += b2[i]
			b2[i] *= q * ry / y1
		}
		lnFact := 0.0
		if y < len(lr.lnFact) {
			lnFact = lr.lnFact[y]
		} else {
			lnFact = lgamma(yf + 1)
		}
		var lgRX float64
		switch {
		case lgr != nil && y < len(*lgr):
			lgRX = (*lgr)[y]
		case lgr != nil && y == len(*lgr):
			lgRX = lgamma(m.R + yf)
			*lgr = append(*lgr, lgRX)
		default:
			lgRX = lgamma(m.R + yf)
		}
		alive := math.Exp(at.logAlive(yf, lgRX, lnFact))
		if math.Abs(d1-d2) > 1e-10*(alive+d2)+1e-15 || !(d2 >= 0) {
			return nil, false
		}
		p := min(alive+d2, 1) // the builtin: math.Min's value, inlined
		out = append(out, p)
		cum += p
	}
	return out, true
}
