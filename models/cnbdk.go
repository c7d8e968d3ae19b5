package models

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// CNBDK is the BG/CNBD-k model, or with DropoutAtZero the MBG/CNBD-k
// model, of Platzer & Reutterer (2016, "Ticking Away the Moments: Timing
// Regularity Helps to Better Predict Customer Activity", Marketing Science
// 35(5), 779–799; the R package BTYDplus, (m)bgcnbd.*): the BG/NBD (or
// MBG/NBD) with Erlang-k instead of exponential times between purchases,
// for customers who buy at regular intervals.
//
// While alive a customer's inter-purchase times are Erlang-k with rate λ
// (mean k/λ), λ ~ Gamma(shape r, rate α); right after each repeat purchase
// (and, for the MBG variant, m = 1, after the first one too) she drops out
// with probability p ~ Beta(a, b). The likelihood of a history with x
// repeats, recency t_x, age T and Σ ln t_j = litt over its inter-purchase
// times t_j is
//
//	ln L = (k−1)·litt − x·ln (k−1)! + ln Γ(r+kx) − ln Γ(r) + r ln α
//	       − (r+kx) ln(α+T) + ln B(a, b+x+m) − ln B(a, b) + ln(S + D),
//	S = Σ_{j<k} (r+kx)_j/j! · ((T−t_x)/(α+T))^j,
//	D = 1{x+m > 0} · a/(b+x−1+m) · ((α+T)/(α+t_x))^(r+kx),
//
// where (y)_j is the rising factorial: S/(S+D) weighs the customer alive
// at T (no purchase in (t_x, T]: fewer than k of the Poisson(λ) phases
// completed, j of them), D/(S+D) dead. With k = 1 it is the BG/NBD (m = 0)
// or MBG/NBD (m = 1) likelihood exactly. The litt term does not involve
// the parameters: it matters only when k is compared, and needs
// Data.HasLogInterPurchase.
//
// K fixes k; K = 0 chooses k ∈ 1..KMax (default 6) by maximum likelihood
// (FitOptions.Fixed["k"] fixes it too). The predictions are exact sums
// (see FittedCNBDK.ConditionalExpectedPurchases), not the approximation
// with a bias correction BTYDplus uses.
type CNBDK struct {
	DropoutAtZero bool
	K             int
	KMax          int
}

// NeedsInterPurchase reports whether the purchase model of that name
// reads Data.LogInterPurchase (the Erlang-k models, to choose k), so that
// a caller summarizing a log knows to compute it
// (datasets.SummaryOptions.InterPurchase).
func NeedsInterPurchase(name string) bool { return name == "bgcnbdk" || name == "mbgcnbdk" }

// cnbdkDefaultKMax is the largest k tried when k is chosen.
const cnbdkDefaultKMax = 6

// Name returns "bgcnbdk", or "mbgcnbdk" with DropoutAtZero.
func (m CNBDK) Name() string {
	if m.DropoutAtZero {
		return "mbgcnbdk"
	}
	return "bgcnbdk"
}

// Fit estimates r, α, a, b (and k unless fixed); the result is a
// *FittedCNBDK.
func (m CNBDK) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	f, err := FitCNBDK(ctx, m, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FittedCNBDK is a (M)BG/CNBD-k model with its parameters and, after
// FitCNBDK, the fit's diagnostics. Result().Params holds k next to r,
// alpha, a and b (k has no standard error: it is chosen, not estimated
// smoothly).
type FittedCNBDK struct {
	K              int
	R, Alpha, A, B float64
	DropoutAtZero  bool
	// LogLikelihoodByK holds the maximized log-likelihood of every k tried
	// (index k−1), NaN where the fit failed; nil when k was fixed.
	LogLikelihoodByK []float64
	*FitResult
}

// NewFittedCNBDK returns the model with the given parameters (k ≥ 1, the
// others finite and > 0) and no likelihood.
func NewFittedCNBDK(dropoutAtZero bool, k int, r, alpha, a, b float64) (*FittedCNBDK, error) {
	name := CNBDK{DropoutAtZero: dropoutAtZero}.Name()
	if err := checkBGFParams(name, r, alpha, a, b); err != nil {
		return nil, err
	}
	if k < 1 || k > cnbdkLimitK {
		return nil, fmt.Errorf("%s: k = %d must lie in 1..%d", name, k, cnbdkLimitK)
	}
	res := givenBGFResult(name, r, alpha, a, b)
	res.Params["k"] = float64(k)
	return &FittedCNBDK{K: k, R: r, Alpha: alpha, A: a, B: b, DropoutAtZero: dropoutAtZero, FitResult: res}, nil
}

// cnbdkLimitK bounds k: Erlang-k with k above it is far more regular than
// purchase data are.
const cnbdkLimitK = 100

// Result returns the estimates and the fit's diagnostics.
func (f *FittedCNBDK) Result() *FitResult { return f.FitResult }

func (f *FittedCNBDK) model() cnbdkModel {
	m := cnbdkModel{k: float64(f.K), r: f.R, alpha: f.Alpha, a: f.A, b: f.B}
	if f.DropoutAtZero {
		m.shift = 1
	}
	return m
}

// FitCNBDK fits m on d: for a fixed k, r, α, a, b by maximum likelihood
// from r = a = b = 1, α = k (the purchase rate is λ/k); otherwise every k
// in 1..KMax from that start (a warm start from the k−1 fit can strand
// the optimizer where that fit ran away), keeping the k of the largest
// likelihood among the fits that converged. A fit that does not
// converge returns its best point together with a *ConvergenceError.
func FitCNBDK(ctx context.Context, m CNBDK, d *Data, o FitOptions) (*FittedCNBDK, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	ks, err := m.candidates(d, o)
	if err != nil {
		return nil, err
	}
	rows := newCNBDKRows(d)
	var best *FittedCNBDK
	var bestErr error
	var byK []float64
	for _, k := range ks {
		oK := o
		oK.Fixed = withoutK(o.Fixed)
		res, err := maximize(ctx, rows.likelihood(m, float64(k), d), oK)
		if res == nil {
			if len(ks) == 1 || ctx.Err() != nil {
				return nil, err
			}
			byK = append(byK, math.NaN())
			continue
		}
		byK = append(byK, res.LogLikelihood)
		p := res.Params
		f := &FittedCNBDK{K: k, R: p["r"], Alpha: p["alpha"], A: p["a"], B: p["b"], DropoutAtZero: m.DropoutAtZero, FitResult: res}
		if best == nil || (err == nil && (bestErr != nil || res.LogLikelihood > best.FitResult.LogLikelihood)) {
			best, bestErr = f, err
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%s: no k in %v could be fitted", m.Name(), ks)
	}
	best.Params["k"] = float64(best.K)
	if len(ks) > 1 {
		best.LogLikelihoodByK = byK
		// k was chosen: count it as a parameter.
		best.AIC += 2
		best.BIC += math.Log(best.Customers)
	}
	return best, bestErr
}

// candidates returns the k to try.
func (m CNBDK) candidates(d *Data, o FitOptions) ([]int, error) {
	k := m.K
	if v, ok := o.Fixed["k"]; ok {
		if v != math.Trunc(v) {
			return nil, fmt.Errorf("%s: fixed k = %v must be a whole number", m.Name(), v)
		}
		k = int(v)
	}
	if k != 0 {
		if k < 1 || k > cnbdkLimitK {
			return nil, fmt.Errorf("%s: k = %d must lie in 1..%d", m.Name(), k, cnbdkLimitK)
		}
		return []int{k}, nil
	}
	kMax := m.KMax
	if kMax == 0 {
		kMax = cnbdkDefaultKMax
	}
	if kMax < 1 || kMax > cnbdkLimitK {
		return nil, fmt.Errorf("%s: k_max = %d must lie in 1..%d", m.Name(), kMax, cnbdkLimitK)
	}
	if !d.HasLogInterPurchase {
		return nil, errors.New(m.Name() + ": choosing k needs the customers' log inter-purchase times, which a summary file lacks: " +
			"fit from the transaction log instead (clv fit --data, or data.path in a config), which computes them")
	}
	ks := make([]int, kMax)
	for i := range ks {
		ks[i] = i + 1
	}
	return ks, nil
}

func withoutK(p Params) Params {
	if _, ok := p["k"]; !ok {
		return p
	}
	out := Params{}
	for n, v := range p {
		if n != "k" {
			out[n] = v
		}
	}
	return out
}

// cnbdkRows are the distinct histories (x, t_x, T) of a data set with
// their total weights.
type cnbdkRows struct {
	x, tx, T, w []float64
	n, sumX     float64 // total weight and Σ w·x
	// xs are the distinct frequencies and xi[i] the index of row i's.
	xs []float64
	xi []int32
}

func newCNBDKRows(d *Data) *cnbdkRows {
	type key struct{ x, tx, T float64 }
	index := map[key]int{}
	rs := &cnbdkRows{}
	for i := range d.Len() {
		c := d.Customer(i)
		w := d.W(i)
		if w == 0 {
			continue
		}
		k := key{c.Frequency, bgfRecency(c), c.T}
		j, ok := index[k]
		if !ok {
			j = len(rs.x)
			index[k] = j
			rs.x, rs.tx, rs.T, rs.w = append(rs.x, k.x), append(rs.tx, k.tx), append(rs.T, k.T), append(rs.w, 0)
		}
		rs.w[j] += w
		rs.n += w
		rs.sumX += w * c.Frequency
	}
	xIndex := map[float64]int32{}
	rs.xi = make([]int32, len(rs.x))
	for i, x := range rs.x {
		j, ok := xIndex[x]
		if !ok {
			j = int32(len(rs.xs))
			xIndex[x] = j
			rs.xs = append(rs.xs, x)
		}
		rs.xi[i] = j
	}
	return rs
}

// cnbdkPerX holds the terms of a row's log-likelihood and gradient that
// depend on the parameters and x alone.
type cnbdkPerX struct {
	ll         float64 // ln Γ(r+kx)/Γ(r) + ln B(a, b+x+m)/B(a, b)
	dr, da, db float64 // ψ(r+kx) − ψ(r), ∂/∂a and ∂/∂b of the beta ratio
}

func (m cnbdkModel) perX(xs []float64, deriv bool) []cnbdkPerX {
	out := make([]cnbdkPerX, len(xs))
	var psi [3]float64
	if deriv {
		psi = [3]float64{digamma(m.r), digamma(m.b), digamma(m.a + m.b)}
	}
	for i, x := range xs {
		out[i] = m.perXWith(x, deriv, psi)
	}
	return out
}

// perOne is perX for one frequency.
func (m cnbdkModel) perOne(x float64, deriv bool) cnbdkPerX {
	var psi [3]float64
	if deriv {
		psi = [3]float64{digamma(m.r), digamma(m.b), digamma(m.a + m.b)}
	}
	return m.perXWith(x, deriv, psi)
}

// perXWith returns the terms of x given ψ(r), ψ(b), ψ(a+b).
func (m cnbdkModel) perXWith(x float64, deriv bool, psi [3]float64) cnbdkPerX {
	xm := x + m.shift
	o := cnbdkPerX{ll: lnGammaRatio(m.r, m.k*x) + lnBetaRatio(m.a, m.b, xm)}
	if deriv {
		psiABX := digamma(m.a + m.b + xm)
		o.dr = digamma(m.r+m.k*x) - psi[0]
		o.da = psi[2] - psiABX
		o.db = digamma(m.b+xm) - psi[1] + psi[2] - psiABX
	}
	return o
}

// likelihood is the total log-likelihood at a fixed k, with the constant
// (k−1)·litt − x·ln (k−1)! included when the data have litt.
func (rs *cnbdkRows) likelihood(m CNBDK, k float64, d *Data) likelihood {
	shift := 0.0
	if m.DropoutAtZero {
		shift = 1
	}
	constant := -rs.sumX * lgamma(k)
	if d.HasLogInterPurchase {
		constant += (k - 1) * d.LogInterPurchase
	}
	return likelihood{
		model: m.Name(),
		names: bgfNames,
		start: []float64{1, k, 1, 1},
		n:     rs.n,
		logLik: func(p, grad []float64) float64 {
			mod := cnbdkModel{k: k, r: p[0], alpha: p[1], a: p[2], b: p[3], shift: shift}
			if grad != nil {
				clear(grad)
			}
			var g [4]float64
			total := constant
			px := mod.perX(rs.xs, grad != nil)
			for i := range rs.x {
				ll := mod.rowLogLik(rs.x[i], rs.tx[i], rs.T[i], &px[rs.xi[i]], grad != nil, &g)
				total += rs.w[i] * ll
				if grad != nil {
					for j := range g {
						grad[j] += rs.w[i] * g[j]
					}
				}
			}
			if math.IsNaN(total) {
				return math.Inf(-1)
			}
			return total
		},
	}
}

// cnbdkModel holds the parameters; shift is m (1 for MBG/CNBD-k).
type cnbdkModel struct {
	k, r, alpha, a, b, shift float64
}

// phases returns ln of the terms s_j = (r+kx)_j/j!·u^j, u = (T−t_x)/(α+T),
// j = 0..k−1, of S (and, with deriv, their derivatives in r and α) into
// the given slices, which it extends.
func (m cnbdkModel) phases(x, tx, T float64, deriv bool, ln, dr, da []float64) ([]float64, []float64, []float64) {
	s := m.r + m.k*x
	ln, dr, da = append(ln, 0), append(dr, 0), append(da, 0)
	if T <= tx {
		return ln, dr, da
	}
	lu := math.Log(T-tx) - math.Log(m.alpha+T)
	l, h := 0.0, 0.0
	for j := 1; float64(j) < m.k; j++ {
		l += math.Log(s+float64(j-1)) + lu - math.Log(float64(j))
		ln = append(ln, l)
		if deriv {
			h += 1 / (s + float64(j-1))
			dr, da = append(dr, h), append(da, -float64(j)/(m.alpha+T))
		}
	}
	return ln, dr, da
}

// logDead returns whether the customer may be dead and ln D.
func (m cnbdkModel) logDead(x, tx, T float64) (bool, float64) {
	if x+m.shift <= 0 {
		return false, 0
	}
	return true, math.Log(m.a) - math.Log(m.b+x-1+m.shift) + (m.r+m.k*x)*math.Log1p((T-tx)/(m.alpha+tx))
}

// rowLogLik returns ln L of one history without the litt constant (see
// CNBDK) and, with deriv, its gradient in (r, α, a, b) in g; px holds
// the terms of its x (see perX).
func (m cnbdkModel) rowLogLik(x, tx, T float64, px *cnbdkPerX, deriv bool, g *[4]float64) float64 {
	s := m.r + m.k*x
	ll := px.ll + m.r*math.Log(m.alpha) - s*math.Log(m.alpha+T)
	var buf [3][16]float64
	ln, dr, da := m.phases(x, tx, T, deriv, buf[0][:0], buf[1][:0], buf[2][:0])
	dead, lD := m.logDead(x, tx, T)
	top := ln[0]
	for _, v := range ln {
		top = max(top, v)
	}
	if dead {
		top = max(top, lD)
	}
	var z, zr, za, wD float64
	for j, v := range ln {
		e := math.Exp(v - top)
		z += e
		if deriv {
			zr += e * dr[j]
			za += e * da[j]
		}
	}
	if dead {
		wD = math.Exp(lD - top)
		z += wD
	}
	ll += top + math.Log(z)
	if !deriv {
		return ll
	}
	g[0] = px.dr + math.Log(m.alpha) - math.Log(m.alpha+T) + zr/z
	g[1] = m.r/m.alpha - s/(m.alpha+T) + za/z
	g[2] = px.da
	g[3] = px.db
	if dead {
		pD := wD / z
		g[0] += pD * math.Log1p((T-tx)/(m.alpha+tx))
		g[1] += pD * s * (1/(m.alpha+T) - 1/(m.alpha+tx))
		g[2] += pD / m.a
		g[3] -= pD / (m.b + x - 1 + m.shift)
	}
	return ll
}

// digamma returns ψ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up
// to x ≥ 8, then the asymptotic series ln x − 1/(2x) − Σ B₂ₙ/(2n x²ⁿ)
// to n = 8 (truncation error below 2e-16 there).
func digamma(x float64) float64 {
	acc := 0.0
	for x < 8 {
		acc -= 1 / x
		x++
	}
	z := 1 / (x * x)
	series := z * (1.0/12 - z*(1.0/120-z*(1.0/252-z*(1.0/240-z*(1.0/132-z*(691.0/32760-z*(1.0/12-z*3617.0/8160)))))))
	return acc + math.Log(x) - 0.5/x - series
}

// LogLikelihood returns ln L of one customer without the litt term (see
// CNBDK), or NaN when c is not a valid history.
func (f *FittedCNBDK) LogLikelihood(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	m := f.model()
	px := m.perX([]float64{c.Frequency}, false)
	return m.rowLogLik(c.Frequency, bgfRecency(c), c.T, &px[0], false, nil) - c.Frequency*lgamma(float64(f.K))
}

// ProbabilityAlive returns P(alive at T | x, t_x, T) = S/(S+D) (see
// CNBDK), or NaN when c is not a valid history.
func (f *FittedCNBDK) ProbabilityAlive(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	pa, _ := f.model().posterior(c)
	return pa
}

// posterior returns P(alive) and the posterior probabilities π_j of the
// Erlang phase j = 0..k−1 reached at T given alive.
func (m cnbdkModel) posterior(c Customer) (float64, []float64) {
	x, tx := c.Frequency, bgfRecency(c)
	ln, _, _ := m.phases(x, tx, c.T, false, nil, nil, nil)
	top := ln[0]
	for _, v := range ln {
		top = max(top, v)
	}
	pi := make([]float64, len(ln))
	z := 0.0
	for j, v := range ln {
		pi[j] = math.Exp(v - top)
		z += pi[j]
	}
	for j := range pi {
		pi[j] /= z
	}
	dead, lD := m.logDead(x, tx, c.T)
	if !dead {
		return 1, pi
	}
	return 1 / (1 + math.Exp(lD-top-math.Log(z))), pi
}

// ExpectedPurchases returns E[X(t)] of a new customer: the conditional
// expectation of a customer first seen at the calibration end (x = 0,
// T = 0); 0 for t ≤ 0.
func (f *FittedCNBDK) ExpectedPurchases(t float64) float64 {
	return f.ConditionalExpectedPurchases(Customer{}, t)
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], exactly:
//
//	E = P(alive) · Σ_j π_j Σ_{c≥0} NB(c; r+kx+j, q) · Σ_{n=1}^{⌊(c+j)/k⌋} R_n,
//
// where, given alive at T in Erlang phase j (posterior π_j, see
// posterior), the n-th purchase after T is the (kn−j)-th event of the
// Poisson(λ) phase process, whose count in (T, T+t] is negative binomial
// with λ ~ Gamma(r+kx+j, α+T): NB(c) = Γ(s+c)/(Γ(s) c!)·q^s(1−q)^c,
// q = (α+T)/(α+T+t); and it is made only if she survived the n−1
// purchases before it, R_n = E[(1−p)^(n−1)] = B(a, b+x+m+n−1)/B(a, b+x+m)
// under p's posterior. The sum over c runs until its terms fall below
// 1e-16 of the total past the mean. With k = 1 it equals the BG/NBD (or
// MBG/NBD) form. 0 for t ≤ 0, NaN for an invalid history.
func (f *FittedCNBDK) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	return f.ConditionalCurve(c)(t)
}

// ConditionalCurve returns t ↦ ConditionalExpectedPurchases(c, t), with
// the posterior computed once.
func (f *FittedCNBDK) ConditionalCurve(c Customer) func(t float64) float64 {
	if !ValidHistory(c) {
		return func(float64) float64 { return math.NaN() }
	}
	m := f.model()
	pa, pi := m.posterior(c)
	x := c.Frequency
	return func(t float64) float64 {
		if math.IsNaN(t) {
			return math.NaN()
		}
		if !(t > 0) || pa == 0 {
			return 0
		}
		lq := math.Log(m.alpha+c.T) - math.Log(m.alpha+c.T+t)
		l1q := math.Log(t) - math.Log(m.alpha+c.T+t)
		e := 0.0
		for j, w := range pi {
			if w > 0 {
				e += w * m.phaseMean(m.r+m.k*x+float64(j), lq, l1q, j, m.b+x+m.shift)
			}
		}
		return pa * e
	}
}

// phaseMean returns Σ_c NB(c; s, q)·Σ_{n≤⌊(c+j)/k⌋} R_n with
// R_{n+1} = R_n·(β+n−1)/(a+β+n−1), R_1 = 1, given ln q and ln(1−q).
func (m cnbdkModel) phaseMean(s, lq, l1q float64, j int, beta float64) float64 {
	k := int(m.k)
	q := math.Exp(lq)
	mean := s * math.Exp(l1q) / q
	limit := mean + 60*math.Sqrt(mean/q) + 200
	lp := s * lq
	total, cum, next := 0.0, 0.0, 1.0
	n := 0
	for c := 0; float64(c) <= limit; c++ {
		for n < (c+j)/k {
			n++
			cum += next
			next *= (beta + float64(n) - 1) / (m.a + beta + float64(n) - 1)
		}
		term := math.Exp(lp) * cum
		total += term
		if float64(c) > mean && cum > 0 && term <= 1e-16*total {
			break
		}
		lp += math.Log(s+float64(c)) - math.Log(float64(c+1)) + l1q
	}
	return total
}

// RegularityWheatMorrison estimates the regularity k of inter-purchase
// times by the method of Wheat & Morrison (1990, "Estimating Purchase
// Regularity with Two Interpurchase Times", Journal of Marketing Research
// 27(1), 87–93): for two successive Erlang-k inter-purchase times t₁, t₂
// of a customer, M = t₁/(t₁+t₂) is Beta(k, k) whatever the rate, with
// variance 1/(4(2k+1)); so k̂ = 1/(8·Var(M)) − 1/2 from the sample
// variance of M over customers. Values outside (0, 1) (customers with
// fewer than two repeat purchases) are skipped; n is the number used.
// k̂ near 1 says purchases are as irregular as a Poisson process (the
// NBD models suffice); clearly above 1, the CNBD-k models are worth
// trying. It needs at least two values.
func RegularityWheatMorrison(shares []float64) (k float64, n int, err error) {
	var sum, sumSq float64
	for _, v := range shares {
		if v > 0 && v < 1 {
			n++
			sum += v
			sumSq += v * v
		}
	}
	if n < 2 {
		return math.NaN(), n, fmt.Errorf("regularity: %d customers with two inter-purchase times, want at least 2", n)
	}
	mean := sum / float64(n)
	variance := (sumSq - float64(n)*mean*mean) / float64(n-1)
	if !(variance > 0) {
		return math.Inf(1), n, nil
	}
	return 1/(8*variance) - 0.5, n, nil
}
