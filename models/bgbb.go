package models

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGBB is the beta-geometric/beta-Bernoulli model of Fader, Hardie & Shang
// (2010), "Customer-base analysis in a discrete-time noncontractual
// setting", Marketing Science 29(6), 1086–1108, for customers who can buy
// at most once at each of a sequence of discrete transaction opportunities
// (a yearly donation, an annual event).
//
// While alive, a customer transacts at each opportunity with probability
// p; before each opportunity an alive customer dies with probability θ.
// Across customers p ~ Beta(α, β) and θ ~ Beta(γ, δ). A customer with x
// transactions in n opportunities, the last at opportunity t_x (t_x = 0
// when x = 0), has likelihood
//
//	L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//	  + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ),
//
// the first term for a customer still alive after opportunity n, the i-th
// for one who died just after opportunity t_x+i.
//
// Data convention: Customer.Frequency is x, Customer.Recency is t_x and
// Customer.T is n, all whole numbers with x ≤ t_x ≤ n (x = 0 exactly when
// t_x = 0); Data.Weight counts the customers sharing a pattern. Times
// passed to predictions are numbers of opportunities.
type BGBB struct{}

// Name returns "bgbb".
func (BGBB) Name() string { return "bgbb" }

// Fit estimates α, β, γ, δ by maximum likelihood; the result is a
// *FittedBGBB (see FitBGBB).
func (BGBB) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	f, err := FitBGBB(ctx, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FittedBGBB is a BG/BB model with its parameters (all > 0) and, after
// FitBGBB, the fit's diagnostics.
type FittedBGBB struct {
	Alpha, Beta  float64    // transaction probability p ~ Beta(Alpha, Beta)
	Gamma, Delta float64    // dropout probability θ ~ Beta(Gamma, Delta)
	fit          *FitResult // estimates and diagnostics (Result)
}

// NewFittedBGBB returns a BG/BB model with the given parameters, which must
// be finite and > 0. Its Result names the parameters, with no likelihood.
func NewFittedBGBB(alpha, beta, gamma, delta float64) (*FittedBGBB, error) {
	for _, v := range []struct {
		name string
		v    float64
	}{{"alpha", alpha}, {"beta", beta}, {"gamma", gamma}, {"delta", delta}} {
		if !(v.v > 0) || math.IsInf(v.v, 0) {
			return nil, fmt.Errorf("bgbb: parameter %s=%v must be a finite number > 0", v.name, v.v)
		}
	}
	return &FittedBGBB{
		Alpha: alpha, Beta: beta, Gamma: gamma, Delta: delta,
		fit: &FitResult{
			Model:  "bgbb",
			Params: Params{"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta},
			Method: "given",
		},
	}, nil
}

// Compile-time checks that the BG/BB types implement the interfaces.
var (
	_ PurchaseModel   = BGBB{}
	_ FittedPurchases = (*FittedBGBB)(nil)
)

// bgbbNames are the parameter names in the order of the likelihood's
// parameter vector.
var bgbbNames = []string{"alpha", "beta", "gamma", "delta"}

// bgbbPattern is one distinct history (x, t_x, n) with its total weight.
type bgbbPattern struct {
	x, tx, n int
	w        float64
}

// FitBGBB fits the BG/BB model on d (see BGBB for the data convention).
// Identical histories are merged into weighted patterns before fitting, so
// the cost grows with the number of distinct (x, t_x, n), not customers.
// A fit that does not converge returns its best point together with a
// *ConvergenceError.
func FitBGBB(ctx context.Context, d *Data, o FitOptions) (*FittedBGBB, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("bgbb: %w", err)
	}
	pats, err := bgbbPatterns(d)
	if err != nil {
		return nil, fmt.Errorf("bgbb: %w", err)
	}
	total, repeat, informative := 0.0, 0.0, 0
	for _, p := range pats {
		total += p.w
		if p.x > 0 {
			repeat += p.w
		}
		if p.n > 0 {
			informative++
		}
	}
	if err := checkIdentifiable("bgbb", o, total, repeat, informative); err != nil {
		return nil, err
	}
	lk := likelihood{
		model: "bgbb",
		names: bgbbNames,
		start: []float64{1, 1, 1, 1},
		n:     total,
		logLik: func(p, grad []float64) float64 {
			return bgbbTotalLogLik(pats, p, grad)
		},
	}
	res, err := maximize(ctx, lk, o)
	if res == nil {
		return nil, err
	}
	f := &FittedBGBB{
		Alpha: res.Params["alpha"], Beta: res.Params["beta"],
		Gamma: res.Params["gamma"], Delta: res.Params["delta"],
		fit: res,
	}
	return f, err
}

// bgbbPatterns checks that every row is a valid discrete history and merges
// identical ones, keeping the order of first appearance so that sums are
// reproducible. Rows of weight 0 are dropped.
func bgbbPatterns(d *Data) ([]bgbbPattern, error) {
	type key struct{ x, tx, n int }
	index := map[key]int{}
	var pats []bgbbPattern
	for i := 0; i < d.Len(); i++ {
		x, tx, n, err := bgbbHistory(d.Frequency[i], d.Recency[i], d.T[i])
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
		w := d.W(i)
		if w == 0 {
			continue
		}
		k := key{x, tx, n}
		if j, ok := index[k]; ok {
			pats[j].w += w
			continue
		}
		index[k] = len(pats)
		pats = append(pats, bgbbPattern{x: x, tx: tx, n: n, w: w})
	}
	if len(pats) == 0 {
		return nil, fmt.Errorf("no customers with positive weight")
	}
	return pats, nil
}

// bgbbMaxOpportunities bounds n: the likelihood costs O(n − t_x) per pattern.
const bgbbMaxOpportunities = 1 << 24

// bgbbHistory converts a (frequency, recency, T) row into a discrete
// history, checking that all three are whole numbers with
// x ≤ t_x ≤ n, and x = 0 exactly when t_x = 0. n = 0 (a customer first
// seen at the end of calibration, who has had no opportunity yet) is
// valid: its likelihood is 1 and it is predicted as a new customer, as
// T = 0 is by the continuous-time models (see ValidHistory).
func bgbbHistory(fx, ftx, fn float64) (x, tx, n int, err error) {
	whole := func(v float64) bool { return v == math.Trunc(v) && v >= 0 && v <= bgbbMaxOpportunities }
	switch {
	case !whole(fx) || !whole(ftx) || !whole(fn):
		return 0, 0, 0, fmt.Errorf("BG/BB needs whole numbers of transactions and opportunities (at most %d), got frequency %v, recency %v, T %v", bgbbMaxOpportunities, fx, ftx, fn)
	case ftx > fn:
		return 0, 0, 0, fmt.Errorf("recency %v exceeds the %v opportunities", ftx, fn)
	case fx > ftx:
		return 0, 0, 0, fmt.Errorf("frequency %v exceeds recency %v (x transactions need at least x opportunities up to the last one)", fx, ftx)
	case fx == 0 && ftx != 0:
		return 0, 0, 0, fmt.Errorf("recency %v without transactions (recency must be 0 when frequency is 0)", ftx)
	}
	return int(fx), int(ftx), int(fn), nil
}

// bgbbTotalLogLik returns Σ w·ln L over the patterns at p = (α, β, γ, δ)
// and, when grad is not nil, stores the gradient in grad.
func bgbbTotalLogLik(pats []bgbbPattern, p, grad []float64) float64 {
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 0) {
			return math.Inf(-1)
		}
	}
	for i := range grad {
		grad[i] = 0
	}
	k := newBGBBConst(p[0], p[1], p[2], p[3], grad != nil)
	return parallelSum(len(pats), 4, grad, func(lo, hi int, g []float64) float64 {
		s := 0.0
		var rg [4]float64
		var gp *[4]float64
		if g != nil {
			gp = &rg
		}
		for _, pt := range pats[lo:hi] {
			s += pt.w * k.logLik(pt.x, pt.tx, pt.n, gp)
			if g != nil {
				for j := range rg {
					g[j] += pt.w * rg[j]
				}
			}
		}
		return s
	})
}

// bgbbConst holds the per-parameter quantities shared by every pattern.
type bgbbConst struct {
	a, b, g, d float64
	// Digammas, set only when the gradient is wanted.
	psiA, psiB, psiD, psiAB, psiGD float64
}

func newBGBBConst(a, b, g, d float64, withGrad bool) *bgbbConst {
	k := &bgbbConst{a: a, b: b, g: g, d: d}
	if withGrad {
		k.psiA, k.psiB, k.psiD = mathext.Digamma(a), mathext.Digamma(b), mathext.Digamma(d)
		k.psiAB, k.psiGD = mathext.Digamma(a+b), mathext.Digamma(g+d)
	}
	return k
}

// logLik returns ln L(α,β,γ,δ | x, t_x, n) and, when grad is not nil, its
// gradient in (α, β, γ, δ).
//
// The terms of the sum follow one another by the ratio
// (β+t_x−x+i)(δ+t_x+i) / ((α+β+t_x+i)(γ+δ+1+t_x+i)), and the "alive"
// term is the would-be term i = n−t_x times (γ+δ+n)/γ, so one pass over
// i = 0..n−t_x with a running log-sum-exp gives ln L. The digammas of each
// term's gradient follow by ψ(z+1) = ψ(z) + 1/z.
func (k *bgbbConst) logLik(x, tx, n int, grad *[4]float64) float64 {
	a, b, g, d := k.a, k.b, k.g, k.d
	fx, ftx := float64(x), float64(tx)
	zAB := a + b + ftx      // α+β+t_x+i
	zB := b + ftx - fx      // β+t_x−x+i
	zD := d + ftx           // δ+t_x+i
	zGD1 := g + d + 1 + ftx // γ+δ+1+t_x+i
	// l is the log of term i: ln B(α+x, β+t_x−x+i) − ln B(α,β)
	// + ln B(γ+1, δ+t_x+i) − ln B(γ,δ), from differences of log-gammas
	// that do not cancel when the parameters are large.
	l := bgbbLBetaRatio(a, b, fx, ftx-fx) + math.Log(g/(g+d)) + bgbbLGammaDiff(d, ftx) - bgbbLGammaDiff(g+d+1, ftx)

	var pAB, pB, pD, pGD1, aConst float64
	if grad != nil {
		pAB, pB, pD, pGD1 = mathext.Digamma(zAB), mathext.Digamma(zB), mathext.Digamma(zD), mathext.Digamma(zGD1)
		aConst = mathext.Digamma(a+fx) - k.psiA + k.psiAB
	}

	// Running log-sum-exp: the sum is e^m·s and the gradient sum e^m·G.
	m, s := math.Inf(-1), 0.0
	var G [4]float64
	add := func(lt float64, gt *[4]float64) {
		if lt > m {
			scale := math.Exp(m - lt)
			s = s*scale + 1
			if grad != nil {
				for j := range G {
					G[j] = G[j]*scale + gt[j]
				}
			}
			m = lt
			return
		}
		e := math.Exp(lt - m)
		s += e
		if grad != nil {
			for j := range G {
				G[j] += e * gt[j]
			}
		}
	}

	last := n - tx
	var gt [4]float64
	for i := 0; i < last; i++ {
		if grad != nil {
			gt = [4]float64{
				aConst - pAB,
				pB - pAB - k.psiB + k.psiAB,
				1/g + k.psiGD - pGD1,
				pD - pGD1 - k.psiD + k.psiGD,
			}
		}
		add(l, &gt)
		l += math.Log(zB * zD / (zAB * zGD1))
		if grad != nil {
			pAB += 1 / zAB
			pB += 1 / zB
			pD += 1 / zD
			pGD1 += 1 / zGD1
		}
		zAB++
		zB++
		zD++
		zGD1++
	}
	// Alive after opportunity n: B(γ, δ+n) = B(γ+1, δ+n)·(γ+δ+n)/γ.
	lAlive := l + math.Log((g+d+float64(n))/g)
	if grad != nil {
		pGDn := pGD1 - 1/(zGD1-1) // ψ(γ+δ+n)
		gt = [4]float64{
			aConst - pAB,
			pB - pAB - k.psiB + k.psiAB,
			k.psiGD - pGDn,
			pD - pGDn - k.psiD + k.psiGD,
		}
	}
	add(lAlive, &gt)

	if grad != nil {
		for j := range G {
			grad[j] = G[j] / s
		}
	}
	return m + math.Log(s)
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedBGBB) Result() *FitResult { return f.fit }

func (f *FittedBGBB) consts() *bgbbConst {
	return newBGBBConst(f.Alpha, f.Beta, f.Gamma, f.Delta, false)
}

// LogLikelihoodOf returns ln L(α,β,γ,δ | x, t_x, n) of one customer, or NaN
// when c is not a valid discrete history (see BGBB).
func (f *FittedBGBB) LogLikelihoodOf(c Customer) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil {
		return math.NaN()
	}
	return f.consts().logLik(x, tx, n, nil)
}

// bgbbOpportunities returns the whole number of opportunities in t: t rounded
// down, with a tolerance of 1e-9 so that a time such as 2.9999999999 from
// floating-point arithmetic counts as 3. Negative t counts as 0.
func bgbbOpportunities(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	return math.Floor(t + 1e-9*math.Max(1, t))
}

// ExpectedPurchases returns E[X(t)], the expected number of transactions
// of a new customer in the first t opportunities (Fader, Hardie & Shang
// 2010):
//
//	E[X(n)] = α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))],
//
// evaluated as α/(α+β)·Σ_{k=1}^{n} B(γ, δ+k)/B(γ,δ), which holds for every
// γ (including γ = 1). A non-integer t is rounded down to whole
// opportunities, with a tolerance of 1e-9·max(1, t) so that
// 2.9999999999 from floating-point arithmetic counts as 3; t ≤ 0 gives 0 and NaN gives NaN.
func (f *FittedBGBB) ExpectedPurchases(t float64) float64 {
	if math.IsNaN(t) {
		return math.NaN()
	}
	return f.Alpha / (f.Alpha + f.Beta) * bgbbSurvivalSum(f.Gamma, f.Delta, bgbbOpportunities(t))
}

// logAliveAtN returns ln P(alive after opportunity n | x, t_x, n) =
// ln[B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ) / L].
func (f *FittedBGBB) logAliveAtN(x, tx, n int) float64 {
	fx, fn := float64(x), float64(n)
	return bgbbLBetaRatio(f.Alpha, f.Beta, fx, fn-fx) + bgbbLBetaRatio(f.Gamma, f.Delta, 0, fn) - f.consts().logLik(x, tx, n, nil)
}

// ConditionalExpectedPurchases returns E[X(n, n+t) | x, t_x, n], the
// expected number of transactions in the t opportunities after the n of
// calibration (Fader, Hardie & Shang 2010):
//
//	1/L · B(α+x+1, β+n−x)/B(α,β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
//	    · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+t)/Γ(γ+δ+n+t)],
//
// evaluated as P(alive after n | history) · (α+x)/(α+β+n) ·
// Σ_{k=1}^{t} B(γ, δ+n+k)/B(γ, δ+n). t is rounded down to whole
// opportunities as in ExpectedPurchases. It returns NaN when c is not a
// valid discrete history (see BGBB) or t is NaN.
func (f *FittedBGBB) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil || math.IsNaN(t) {
		return math.NaN()
	}
	m := bgbbOpportunities(t)
	if m == 0 {
		return 0
	}
	fx, fn := float64(x), float64(n)
	return math.Exp(f.logAliveAtN(x, tx, n)) * (f.Alpha + fx) / (f.Alpha + f.Beta + fn) * bgbbSurvivalSum(f.Gamma, f.Delta+fn, m)
}

// ConditionalCurve returns t ↦ ConditionalExpectedPurchases(c, t), with
// the history's part computed once and the sum over opportunities kept as
// a running table, so that each call costs O(1) amortized (it implements
// ConditionalCurver). The values equal ConditionalExpectedPurchases
// exactly. The returned function keeps state and is not safe for
// concurrent use; for an invalid history it returns NaN.
func (f *FittedBGBB) ConditionalCurve(c Customer) func(t float64) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil {
		return func(float64) float64 { return math.NaN() }
	}
	fx, fn := float64(x), float64(n)
	front := math.Exp(f.logAliveAtN(x, tx, n)) * (f.Alpha + fx) / (f.Alpha + f.Beta + fn)
	g, dp := f.Gamma, f.Delta+fn
	cum := []float64{0} // cum[m] = S(γ, δ+n, m), summed as in bgbbSurvivalSum
	term := 1.0
	return func(t float64) float64 {
		if math.IsNaN(t) {
			return math.NaN()
		}
		m := bgbbOpportunities(t)
		switch {
		case m == 0:
			return 0
		case m > bgbbDirectMax:
			return front * bgbbSurvivalSum(g, dp, m)
		}
		for k := len(cum) - 1; k < int(m); k++ {
			term *= (dp + float64(k)) / (g + dp + float64(k))
			cum = append(cum, cum[k]+term)
		}
		return front * cum[int(m)]
	}
}

// DiscountedExpectedPurchasesWithin returns the discounted expected number
// of the customer's transactions at the opportunities n+1, …, n+⌊horizon⌋,
// the one at n+k discounted by 1/(1+d)^k:
//
//	Σ_{k=1}^{⌊horizon⌋} (1+d)^−k · P(alive after n | history) · (α+x)/(α+β+n) · B(γ, δ+n+k)/B(γ, δ+n).
//
// It is the exact counterpart, for discrete opportunities, of
// DiscountedExpectedPurchases (whose quadrature assumes a smooth E(t)),
// and tends to DiscountedExpectedResidualPurchases as the horizon grows.
// horizon is rounded down as in ExpectedPurchases (+Inf gives DERT). It
// returns NaN when d is negative or NaN, horizon is NaN or c is not a
// valid discrete history.
func (f *FittedBGBB) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil || !(d >= 0) || math.IsNaN(horizon) {
		return math.NaN()
	}
	m := bgbbOpportunities(horizon)
	if math.IsInf(m, 1) {
		return f.DiscountedExpectedResidualPurchases(c, d)
	}
	fx, fn := float64(x), float64(n)
	front := math.Exp(f.logAliveAtN(x, tx, n)) * (f.Alpha + fx) / (f.Alpha + f.Beta + fn)
	g, dp, z := f.Gamma, f.Delta+fn, 1/(1+d)
	if d == 0 {
		return front * bgbbSurvivalSum(g, dp, m)
	}
	// u_k = z^k·B(γ, δ'+k)/B(γ, δ'); stop once the rest cannot matter: the
	// remaining terms fall at least as fast as z^k.
	sum, u := 0.0, 1.0
	for k := 0; k < int(math.Min(m, 1<<40)); k++ {
		u *= z * (dp + float64(k)) / (g + dp + float64(k))
		sum += u
		if u*(1+d)/d <= 1e-17*sum {
			break
		}
	}
	return front * sum
}

// ProbabilityAlive returns P(alive at opportunity n+1 | x, t_x, n), the
// probability that the customer is alive at the first opportunity after
// calibration (Fader, Hardie & Shang 2010):
//
//	B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L.
//
// It returns NaN when c is not a valid discrete history (see BGBB).
func (f *FittedBGBB) ProbabilityAlive(c Customer) float64 {
	return f.ProbabilityAliveAt(c, 1)
}

// ProbabilityAliveAt returns P(alive at opportunity n+m | x, t_x, n) for
// m ≥ 0: B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+m)/B(γ,δ) / L. m = 0 gives the
// probability of being alive after the last calibration opportunity. It
// returns NaN when c is not a valid discrete history or m < 0.
func (f *FittedBGBB) ProbabilityAliveAt(c Customer, m int) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil || m < 0 {
		return math.NaN()
	}
	return math.Exp(f.logAliveAtN(x, tx, n) + bgbbLBetaRatio(f.Gamma, f.Delta+float64(n), 0, float64(m)))
}

// ProbabilityOfPurchases returns P(X(n) = x), the probability that a new
// customer makes x transactions in the first n opportunities (Fader,
// Hardie & Shang 2010):
//
//	C(n,x)·B(α+x, β+n−x)/B(α,β)·B(γ, δ+n)/B(γ,δ)
//	+ Σ_{i=x}^{n−1} C(i,x)·B(α+x, β+i−x)/B(α,β)·B(γ+1, δ+i)/B(γ,δ).
//
// It returns 0 for x outside [0, n] and NaN for n < 0.
func (f *FittedBGBB) ProbabilityOfPurchases(x, n int) float64 {
	if n < 0 {
		return math.NaN()
	}
	if x < 0 || x > n {
		return 0
	}
	a, b, g, d := f.Alpha, f.Beta, f.Gamma, f.Delta
	fx, fn := float64(x), float64(n)
	lchoose := func(k, j float64) float64 { return lgamma(k+1) - lgamma(j+1) - lgamma(k-j+1) }
	l := lchoose(fn, fx) + bgbbLBetaRatio(a, b, fx, fn-fx) + bgbbLBetaRatio(g, d, 0, fn)
	for i := x; i < n; i++ {
		fi := float64(i)
		l = logAddExp(l, lchoose(fi, fx)+bgbbLBetaRatio(a, b, fx, fi-fx)+bgbbLBetaRatio(g, d, 1, fi))
	}
	return math.Exp(l)
}

// DiscountedExpectedResidualPurchases returns DERT(d | α,β,γ,δ, x, t_x, n),
// the expected number of transactions of the customer at all future
// opportunities n+1, n+2, …, each at opportunity n+k discounted by
// 1/(1+d)^k (Fader, Hardie & Shang 2010):
//
//	DERT = B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+1)/(B(γ,δ)·(1+d))
//	       · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / L.
//
// d is the discount rate per opportunity. The hypergeometric series has
// positive terms falling at least as fast as 1/(1+d)^k and is summed to
// full precision with a rigorous bound on its tail, so the cost grows as
// 1/d (a few thousand terms at d = 0.01). For d = 0 the sum is
// (δ+n)/(γ−1) (times the factors above) when γ > 1 and +Inf otherwise, as
// E[1/θ] is infinite. It returns NaN when d is negative or NaN or c is not
// a valid discrete history.
func (f *FittedBGBB) DiscountedExpectedResidualPurchases(c Customer, d float64) float64 {
	x, tx, n, err := bgbbHistory(c.Frequency, c.Recency, c.T)
	if err != nil || !(d >= 0) {
		return math.NaN()
	}
	fx, fn := float64(x), float64(n)
	front := math.Exp(f.logAliveAtN(x, tx, n)) * (f.Alpha + fx) / (f.Alpha + f.Beta + fn)
	return front * bgbbDiscountedSurvival(f.Gamma, f.Delta+fn, d)
}

// bgbbDiscountedSurvival returns Σ_{k≥1} B(γ, δ'+k)/B(γ, δ') · (1+d)^−k
// = (δ'/(γ+δ'))·z·2F1(1, δ'+1; γ+δ'+1; z) with z = 1/(1+d): the
// discounted expected number of future opportunities alive of a customer
// alive now with θ ~ Beta(γ, δ').
func bgbbDiscountedSurvival(g, dp, d float64) float64 {
	if d == 0 {
		return bgbbSurvivalSum(g, dp, math.Inf(1))
	}
	if math.IsInf(d, 1) {
		return 0
	}
	z := 1 / (1 + d)
	// Terms u_j = z^{j+1} Π_{i=0}^{j} (δ'+i)/(γ+δ'+i), j = 0, 1, …; the
	// ratio u_{j+1}/u_j = z(δ'+1+j)/(γ+δ'+1+j) rises toward z, so the tail
	// after u_j lies between u_{j+1}/(1−r_{j+1}) and u_{j+1}/(1−z).
	u := z * dp / (g + dp)
	sum := 0.0
	const maxTerms = 1 << 30
	for j := 0; j < maxTerms; j++ {
		sum += u
		r := z * (dp + 1 + float64(j)) / (g + dp + 1 + float64(j))
		u *= r
		lo := u / (1 - r)
		hi := u * (1 + d) / d
		if hi-lo <= 1e-16*(sum+lo) {
			return sum + (lo+hi)/2
		}
	}
	return sum + u*(1+d)/d
}

// bgbbDirectMax is the largest number of terms bgbbSurvivalSum adds one by
// one; beyond it the closed form is used.
const bgbbDirectMax = 1000

// bgbbSurvivalSum returns S(γ, δ', m) = Σ_{k=1}^{m} B(γ, δ'+k)/B(γ, δ'), the
// expected number of the next m opportunities at which a customer alive
// now with θ ~ Beta(γ, δ') is alive, for a whole number m ≥ 0 (m may be
// +Inf). Small m are summed term by term; larger m use the closed form
//
//	S = δ'/(γ−1) · [1 − Γ(γ+δ')Γ(1+δ'+m) / (Γ(1+δ')Γ(γ+δ'+m))],
//
// with the log of the gamma ratio computed without cancellation near γ = 1
// (see bgbbLGammaSlope).
func bgbbSurvivalSum(g, dp, m float64) float64 {
	if !(m > 0) {
		return 0
	}
	if m <= bgbbDirectMax {
		s, term := 0.0, 1.0
		for k := 0; k < int(m); k++ {
			term *= (dp + float64(k)) / (g + dp + float64(k))
			s += term
		}
		return s
	}
	h := g - 1
	if math.IsInf(m, 1) {
		if h > 0 {
			return dp / h
		}
		return math.Inf(1)
	}
	// ln R = [lnΓ(γ+δ') − lnΓ(1+δ')] − [lnΓ(γ+δ'+m) − lnΓ(1+δ'+m)]
	//      = −h·[G(1+δ'+m) − G(1+δ')],  G(a) = (lnΓ(a+h) − lnΓ(a))/h,
	// and S = δ'·(1 − R)/h = δ'·D·(−expm1(ln R))/(−ln R) with D = G(1+δ'+m) − G(1+δ').
	D := bgbbLGammaSlope(1+dp+m, h) - bgbbLGammaSlope(1+dp, h)
	lnR := -h * D
	switch {
	case lnR == 0:
		return dp * D
	case lnR > 1:
		// R > e: (R − 1)/ln R in logs, so that only a truly huge S overflows.
		return dp * D * math.Exp(lnR+math.Log1p(-math.Exp(-lnR))-math.Log(lnR))
	}
	return dp * D * -math.Expm1(lnR) / -lnR
}

// bgbbGLNodes and bgbbGLWeights are the 8-point Gauss–Legendre rule
// mapped to [0, 1], for bgbbLGammaSlope.
var bgbbGLNodes, bgbbGLWeights = bgbbGaussLegendre8()

// bgbbGaussLegendre8 maps the 8-point Gauss–Legendre rule on [−1, 1]
// (Abramowitz & Stegun, table 25.4) to [0, 1].
func bgbbGaussLegendre8() (nodes, weights [8]float64) {
	x := [4]float64{0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363}
	w := [4]float64{0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763}
	for i := 0; i < 4; i++ {
		nodes[2*i], weights[2*i] = (1-x[i])/2, w[i]/2
		nodes[2*i+1], weights[2*i+1] = (1+x[i])/2, w[i]/2
	}
	return nodes, weights
}

// bgbbLBetaRatio returns ln[B(a+da, b+db)/B(a, b)] for a, b > 0 and whole
// shifts da, db ≥ 0, as a sum of log-gamma differences that keep their
// accuracy when a and b are large.
func bgbbLBetaRatio(a, b, da, db float64) float64 {
	return bgbbLGammaDiff(a, da) + bgbbLGammaDiff(b, db) - bgbbLGammaDiff(a+b, da+db)
}

// bgbbLGammaDiff returns lnΓ(a+h) − lnΓ(a) for a > 0 and a whole h ≥ 0 (or
// any h > −1 when a ≥ 1), without the cancellation of the plain
// difference for large a (see bgbbLGammaSlope).
func bgbbLGammaDiff(a, h float64) float64 {
	if h == 0 {
		return 0
	}
	return h * bgbbLGammaSlope(a, h)
}

// bgbbLGammaSlope returns G(a, h) = (lnΓ(a+h) − lnΓ(a))/h for a ≥ 1 and
// h > −1, and ψ(a) at h = 0, with an absolute error of a few ulps of
// ln a. For |h| < 1/4 it integrates ψ over [a, a+h] by 8-point
// Gauss–Legendre quadrature (ψ is analytic there, so the rule is accurate
// to about 1e-13), which avoids the cancellation of the difference of two
// nearly equal log-gammas; for large a it differences Stirling's series
// term by term, avoiding the cancellation of two huge log-gammas.
func bgbbLGammaSlope(a, h float64) float64 {
	switch {
	case math.Abs(h) < 0.25:
		s := 0.0
		for i := range bgbbGLNodes {
			s += bgbbGLWeights[i] * mathext.Digamma(a+bgbbGLNodes[i]*h)
		}
		return s
	case a >= 32:
		// lnΓ(z) = (z−½)ln z − z + ½ln 2π + c(z), c(z) = 1/(12z) − 1/(360z³)
		// + 1/(1260z⁵) − 1/(1680z⁷) + …, truncated with error < 1e-17 for
		// z > 31; the difference is regrouped as
		// (a−½)·log1p(h/a) + h·ln(a+h) − h + c(a+h) − c(a).
		c := func(z float64) float64 {
			z2 := 1 / (z * z)
			return (1.0/12 - z2*(1.0/360-z2*(1.0/1260-z2/1680))) / z
		}
		return (a-0.5)*math.Log1p(h/a)/h + math.Log(a+h) - 1 + (c(a+h)-c(a))/h
	default:
		return (lgamma(a+h) - lgamma(a)) / h
	}
}
