package models

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/clv-dev/clv/datasets/keyindex"
	"gonum.org/v1/gonum/mathext"
)

// ParetoNBD is the Pareto/NBD model of Schmittlein, Morrison & Colombo
// (1987), "Counting your customers: who are they and what will they do
// next?", Management Science 33(1). While alive a customer buys as a
// Poisson process of rate λ and dies after an exponential lifetime of rate
// μ; across customers λ ~ Gamma(r, α) and μ ~ Gamma(s, β) (shape, rate),
// independently. The likelihood of a history (x, t_x, T) is (Fader & Hardie
// 2005, "A note on deriving the Pareto/NBD model and related expressions")
//
//	L = Γ(r+x) α^r β^s / Γ(r) · { (α+T)^(−(r+x)) (β+T)^(−s) + s/(r+s+x) · A₀ },
//
// where A₀ is a difference of two Gauss hypergeometric functions
// 2F1(r+s+x, s+1; r+s+x+1; ·) (α ≥ β) or 2F1(r+s+x, r+x; r+s+x+1; ·)
// (α < β). Writing s/(r+s+x)·A₀ as s∫_{t_x}^T (α+τ)^(−(r+x))(β+τ)^(−(s+1))dτ
// and integrating the first term by parts gives the form clv evaluates, a
// sum of two positive terms without cancellation and without a special
// case at α = β:
//
//	L = Γ(r+x) α^r β^s / Γ(r) · { s·J(r+x, s+1; t_x) + (r+x)·J(r+x+1, s; T) },
//	J(a, b; u) = ∫_u^∞ (α+τ)^(−a) (β+τ)^(−b) dτ,
//
// with J evaluated in log space by a transformed 2F1 series or, near its
// singular point, by quadrature (see hyp2f1.go); the gradient and the
// Hessian are analytic. The distribution of the number of repeat purchases
// of a new customer, P(X(t) = x), is given by
// FittedParetoNBD.ProbabilityOfPurchases. Parameters are named r, alpha,
// s, beta.
type ParetoNBD struct{}

// Name returns "paretonbd".
func (ParetoNBD) Name() string { return "paretonbd" }

// pnbdNames are the parameter names in the order of the likelihood's
// parameter vector.
var pnbdNames = []string{"r", "alpha", "s", "beta"}

// pnbdStaging sets when and how FitParetoNBD locates the maximum on
// subsamples first: above startRows rows, on a sample of coarseRows
// customers (see weightedSample), and, for tables without pairs (see
// pnbdData) of more than 4·fineRows rows, then on one of fineRows.
type pnbdStaging struct {
	startRows, coarseRows, fineRows int
}

// pnbdDefaultStaging is the staging of FitParetoNBD.
func pnbdDefaultStaging() pnbdStaging {
	return pnbdStaging{startRows: 100_000, coarseRows: 5_000, fineRows: 50_000}
}

// pnbdPolishSteps caps the Newton steps of each stage of the fit.
const pnbdPolishSteps = 40

// gradientThresholdOfMaximize is the largest gradient component (of the
// mean negative log-likelihood in log-parameters) below which the
// optimizer of maximize stops at its starting point.
const gradientThresholdOfMaximize = 1e-9

// Fit estimates r, α, s and β by maximum likelihood; the result is a
// *FittedParetoNBD (see FitParetoNBD).
func (ParetoNBD) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	f, err := FitParetoNBD(ctx, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FitParetoNBD fits the Pareto/NBD model on d (Frequency x, Recency t_x, T
// and the optional Weight) by maximum likelihood with the analytic
// gradient and Hessian. Rows are not merged here: with many customers,
// pass the table of distinct histories with their weights
// (datasets.Patterns, as clv does). What depends only on (x, t_x) or
// (x, T) is computed once per distinct pair (see pnbdData). The start
// (o.Start or a data-based default) is refined by damped Newton steps on
// the penalized mean log-likelihood (see pnbdData.polish), after samples
// of the customers (see weightedSample) have been fitted first for tables
// of more than 100,000 rows when o.Start is not given; the shared fitting
// machinery then starts at the point reached, where it normally stops at
// once, and takes the standard errors from the analytic Hessian. A fit
// that does not converge returns its best point together with a
// *ConvergenceError.
func FitParetoNBD(ctx context.Context, d *Data, o FitOptions) (*FittedParetoNBD, error) {
	return fitParetoNBD(ctx, d, o, pnbdDefaultStaging())
}

// fitParetoNBD is FitParetoNBD with the given staging of large tables.
func fitParetoNBD(ctx context.Context, d *Data, o FitOptions, stage pnbdStaging) (*FittedParetoNBD, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("paretonbd: invalid data: %w", err)
	}
	pd := newPNBDData(d)
	if pd.n == 0 || !(pd.sumW > 0) {
		return nil, fmt.Errorf("paretonbd: every customer has weight 0")
	}
	if err := checkIdentifiable("paretonbd", o, pd.sumW, pd.sumWX, pd.informative()); err != nil {
		return nil, err
	}
	start := pd.start()
	var free []int
	for i, name := range pnbdNames {
		if v, ok := o.Start[name]; ok {
			start[i] = v
		}
		if v, ok := o.Fixed[name]; ok {
			start[i] = v
			continue
		}
		free = append(free, i)
	}
	steps := 0
	mu0 := 1e-3
	if pnbdValidParams(start) && len(free) > 0 {
		if len(o.Start) == 0 && pd.n > stage.startRows {
			// The subsample's maximum lies within a few of its standard
			// errors of the table's, close enough for Newton steps on the
			// table to converge at once.
			var k int
			start, k = pd.subsample(stage.coarseRows).polish(ctx, start, o, 1e-8, 1e-3)
			steps += k
			if pd.r1 == nil && pd.n > 4*stage.fineRows {
				// Without pairs a pass over the table is dear: a larger
				// subsample first brings the start closer still.
				start, k = pd.subsample(stage.fineRows).polish(ctx, start, o, 1e-8, 0)
				steps += k
			}
			// Next to the maximum: undamped Newton steps.
			mu0 = 0
		}
		var k int
		start, k = pd.polish(ctx, start, o, 1e-12, mu0)
		steps += k
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("paretonbd: fit interrupted: %w", err)
		}
	}
	opts := o
	opts.Start = Params{}
	for i, name := range pnbdNames {
		opts.Start[name] = start[i]
	}
	res, err := maximize(ctx, pd.likelihood(), opts)
	if res == nil {
		return nil, err
	}
	res.Iterations += steps
	p := res.Params
	return &FittedParetoNBD{R: p["r"], Alpha: p["alpha"], S: p["s"], Beta: p["beta"], fit: res}, err
}

// pnbdValidParams reports whether every parameter is finite and > 0.
func pnbdValidParams(p [4]float64) bool {
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// polish maximizes the penalized mean log-likelihood (λ = penalty) over
// the free log-parameters by newtonPolish from p0 (natural parameters;
// the fixed ones as set), starting with μ = mu0 and stopping when every
// gradient component is below tol or after pnbdPolishSteps steps. A step
// is kept only where the likelihood, its gradient and Hessian are all
// finite (the quadrature of a pair table may fail far from the maximum).
// It returns the best point reached and the number of steps taken.
func (pd *pnbdData) polish(ctx context.Context, p0 [4]float64, o FitOptions, tol, mu0 float64) ([4]float64, int) {
	llHess := func(p, grad, hess []float64) float64 {
		v := pd.value([4]float64(p), 2)
		copy(grad, v.g[:])
		copy(hess, v.h[:])
		return v.v
	}
	set := polishSettings{maxSteps: pnbdPolishSteps, tol: tol, mu0: mu0, finiteOnly: true}
	p, steps, _ := newtonPolish(ctx, llHess, pnbdNames, pd.sumW, p0[:], o, set)
	return [4]float64(p), steps
}

// FittedParetoNBD is a Pareto/NBD model with known parameters r, α, s, β
// (all > 0); FitResult holds the fit's diagnostics when it came from Fit.
type FittedParetoNBD struct {
	R, Alpha, S, Beta float64
	fit               *FitResult // estimates and diagnostics (Result)
}

// NewFittedParetoNBD returns a Pareto/NBD model with the given parameters,
// which must be finite and > 0.
func NewFittedParetoNBD(r, alpha, s, beta float64) (*FittedParetoNBD, error) {
	if err := checkParetoParams(r, alpha, s, beta); err != nil {
		return nil, err
	}
	return &FittedParetoNBD{R: r, Alpha: alpha, S: s, Beta: beta, fit: &FitResult{
		Model:  "paretonbd",
		Params: Params{"r": r, "alpha": alpha, "s": s, "beta": beta},
		Method: "given",
	}}, nil
}

// checkParetoParams returns the error of NewFittedParetoNBD for parameters
// that are not finite numbers > 0.
func checkParetoParams(r, alpha, s, beta float64) error {
	for i, v := range []float64{r, alpha, s, beta} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("paretonbd: parameter %s=%v must be a finite number > 0", pnbdNames[i], v)
		}
	}
	return nil
}

// Result returns the fit's estimates and diagnostics.
func (m *FittedParetoNBD) Result() *FitResult { return m.fit }

// pnbdPhi returns (1 − e^(−v))/v, continued by 1 at v = 0.
func pnbdPhi(v float64) float64 {
	if math.Abs(v) < 1e-5 {
		return 1 - v/2 + v*v/6
	}
	return -math.Expm1(-v) / v
}

// ExpectedPurchases returns E[X(t)], the expected number of repeat
// purchases of a new customer in (0, t]:
//
//	E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)],
//
// continued at s = 1 by (rβ/α)·ln(1 + t/β). It returns NaN for t < 0.
func (m *FittedParetoNBD) ExpectedPurchases(t float64) float64 {
	if !(t >= 0) {
		return math.NaN()
	}
	l := math.Log1p(t / m.Beta)
	return m.R / m.Alpha * m.Beta * l * pnbdPhi((m.S-1)*l)
}

// ProbabilityOfPurchases returns P(X(t) = x), the probability that a new
// customer makes exactly x repeat purchases in (0, t] (Fader, Hardie & Lee
// 2006, "Deriving an expression for P(X(t) = x) under the Pareto/NBD
// model", brucehardie.com/notes/012). A customer still alive at t has made
// Poisson(λt) purchases, one who died at τ < t Poisson(λτ); mixing over
// λ ~ Gamma(r, α) and the lifetime, whose survival is (β/(β+τ))^s,
//
//	P(X(t) = x) = NB_t(x)·(β/(β+t))^s + ∫_0^t NB_τ(x) · sβ^s (β+τ)^(−(s+1)) dτ,
//	NB_τ(x) = Γ(r+x)/(Γ(r) x!) · (α/(α+τ))^r (τ/(α+τ))^x.
//
// The note writes the integral with Gauss hypergeometric functions as the
// difference between the integral over (0, ∞) and a finite sum of 2F1
// terms for the part beyond t, a difference that cancels badly when t is
// small or x large. clv sums the same terms regrouped into a series of
// positive terms, the 2F1 series of the lifetime distribution weighted by
// negative binomial tails (see paretonbd_pmf.go): about 1e-13 relative,
// no cancellation, a few microseconds. Where that series would need more
// than 50,000 terms (|α−β|/max(α, β) within about 1e-3 of 1) the integral
// is taken by quadrature instead: in y = ln τ its logarithm
//
//	h(y) = (x+1)y − (r+x)·ln(1 + e^y/α) − x·ln α − (s+1)·ln(1 + e^y/β) − ln β
//
// (the factor α^r β^s folded in) is concave, so the integrand is a single
// peak, located by safeguarded Newton steps on h′ and integrated, scaled
// by its maximum, by adaptive Gauss–Kronrod quadrature over panels
// growing geometrically away from it until h has fallen by 60. Both terms
// stay in log space (no overflow for x up to 10⁶ or parameters from 1e-8
// to 1e8). It returns 0 for x < 0 and NaN for t < 0 or NaN; t = +Inf
// gives the distribution of the lifetime's purchases.
func (m *FittedParetoNBD) ProbabilityOfPurchases(x int, t float64) float64 {
	switch {
	case math.IsNaN(t) || t < 0:
		return math.NaN()
	case x < 0:
		return 0
	case t == 0:
		if x == 0 {
			return 1
		}
		return 0
	}
	return math.Min(math.Exp(m.logProbabilityOfPurchases(float64(x), t)), 1)
}

// logProbabilityOfPurchases returns ln P(X(t) = x) for x ≥ 0 and t > 0
// (see ProbabilityOfPurchases): the alive part in closed form, the dead
// part by the series of paretonbd_pmf.go or, where that would be too long,
// by quadrature.
func (m *FittedParetoNBD) logProbabilityOfPurchases(x, t float64) float64 {
	dead, ok := pnbdLogDeathSeries(x, m.R, m.Alpha, m.S, m.Beta, t)
	if !ok {
		return m.logProbabilityOfPurchasesByQuadrature(x, t)
	}
	return logAddExp(m.logAliveWith(x, t), dead)
}

// logProbabilityOfPurchasesByQuadrature is logProbabilityOfPurchases with
// the dead part integrated numerically (pnbdLogDeathIntegral): the
// independent check of the closed form, and its fallback.
func (m *FittedParetoNBD) logProbabilityOfPurchasesByQuadrature(x, t float64) float64 {
	lnb := lgamma(m.R+x) - lgamma(m.R) - lgamma(x+1)
	dead := math.Log(m.S) + lnb + pnbdLogDeathIntegral(x, m.R, m.Alpha, m.S, m.Beta, math.Log(t))
	return logAddExp(m.logAliveWith(x, t), dead)
}

// logAliveWith returns ln P(X(t) = x, alive at t) = ln[NB_t(x)·(β/(β+t))^s]
// (−Inf for t = +Inf).
func (m *FittedParetoNBD) logAliveWith(x, t float64) float64 {
	if math.IsInf(t, 1) {
		return math.Inf(-1)
	}
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	alive := lgamma(r+x) - lgamma(r) - lgamma(x+1) - r*math.Log1p(t/alpha) - s*math.Log1p(t/beta)
	if x > 0 {
		alive -= x * math.Log1p(alpha/t)
	}
	return alive
}

// pnbdSigmoid returns 1/(1 + e^(−v)).
func pnbdSigmoid(v float64) float64 {
	if v > 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// pnbdLogDeathIntegral returns ln ∫_{−∞}^{ymax} e^h(y) dy with h as in
// ProbabilityOfPurchases, i.e. ln of the integral over the death time
// τ ∈ (0, e^ymax] of τ^x α^r (α+τ)^(−(r+x)) β^s (β+τ)^(−(s+1)); ymax may be
// +Inf.
func pnbdLogDeathIntegral(x, r, alpha, s, beta, ymax float64) float64 {
	la, lb := math.Log(alpha), math.Log(beta)
	h := func(y float64) float64 {
		// ln(1 + e^y/α) and ln(1 + e^y/β) from one exponential.
		e := math.Exp(y)
		var sa, sb float64
		if y < la {
			sa = math.Log1p(e / alpha)
		} else {
			sa = (y - la) + math.Log1p(alpha/e)
		}
		if y < lb {
			sb = math.Log1p(e / beta)
		} else {
			sb = (y - lb) + math.Log1p(beta/e)
		}
		return (x+1)*y - (r+x)*sa - x*la - (s+1)*sb - lb
	}
	// h′ falls from x+1 (y → −∞) to −(r+s) (y → ∞).
	// (written so that it keeps its precision where it is small, at large y).
	d1 := func(y float64) float64 {
		return (r+x)*pnbdSigmoid(la-y) + (s+1)*pnbdSigmoid(lb-y) - (r + s)
	}
	d2 := func(y float64) float64 {
		sa, sb := pnbdSigmoid(y-la), pnbdSigmoid(y-lb)
		return -(r+x)*sa*(1-sa) - (s+1)*sb*(1-sb)
	}
	var peak float64
	if !math.IsInf(ymax, 1) && d1(ymax) >= 0 {
		peak = ymax // h rises up to the end
	} else {
		// Bracket the root of h′, then safeguarded Newton steps.
		lo, hi := math.Min(la, lb), math.Max(la, lb)
		for step := 1.0; d1(lo) < 0; step *= 2 {
			lo -= step
		}
		for step := 1.0; d1(hi) > 0 && hi < ymax; step *= 2 {
			hi += step
		}
		hi = math.Min(hi, ymax)
		y := (lo + hi) / 2
		for i := 0; i < 100 && hi-lo > 1e-10*(1+math.Abs(y)); i++ {
			g := d1(y)
			if g > 0 {
				lo = y
			} else {
				hi = y
			}
			next := y - g/d2(y)
			if !(next > lo && next < hi) {
				next = (lo + hi) / 2
			}
			if next == y {
				break
			}
			y = next
		}
		peak = y
	}
	hs := h(peak)
	// The scale of the peak: its curvature, or its slope at the end.
	width := 1 / (math.Sqrt(-d2(peak)) + math.Max(d1(peak), 0))
	if !(width > 0) || math.IsInf(width, 0) {
		width = 1
	}
	f := func(y float64, out []float64) { out[0] = math.Exp(h(y) - hs) }
	total := 0.0
	var res [1]float64
	// Panels [peak ± width·4^(k−1), peak ± width·4^k] (the first from the
	// peak itself) on either side, nearest first, until h is 60 below its
	// maximum or the right side reaches ymax.
	leftDone, rightDone := false, peak >= ymax
	prevL, prevR := peak, peak
	for k := 0; k < 64 && !(leftDone && rightDone); k++ {
		reach := width * math.Pow(4, float64(k))
		if !leftDone {
			next := peak - reach
			pnbdIntegrate(f, res[:], next, prevL, 1e-13, total, 1)
			total += res[0]
			prevL = next
			leftDone = h(next) < hs-60
		}
		if !rightDone {
			next := peak + reach
			if next >= ymax {
				next, rightDone = ymax, true
			}
			pnbdIntegrate(f, res[:], prevR, next, 1e-13, total, 1)
			total += res[0]
			prevR = next
			rightDone = rightDone || h(next) < hs-60
		}
	}
	return hs + math.Log(total)
}

// customerLogLik returns the log-likelihood of one history together with
// the logs of its two terms s·J(r+x, s+1; t_x) and (r+x)·J(r+x+1, s; T),
// and the log of the Gamma/scale prefactor Γ(r+x)α^rβ^s/Γ(r).
func (m *FittedParetoNBD) customerLogLik(c Customer) (ll, l1, l2, pre float64) {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	x, T := c.Frequency, c.T
	l1 = m.logTermRecency(x, pnbdRecency(x, c.Recency, T))
	l2 = m.logTermAge(x, T)
	a := r + x
	pre = lgamma(a) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta)
	return pre + logAddExp(l1, l2), l1, l2, pre
}

// logTermRecency returns ln[s·J(r+x, s+1; t_x)], the log of the
// likelihood's term of a customer gone between t_x and T (t_x as
// pnbdRecency gives it): it depends on the history through (x, t_x) only.
func (m *FittedParetoNBD) logTermRecency(x, tx float64) float64 {
	a := m.R + x
	cc := m.R + m.S + x
	return math.Log(m.S) + paretoLogJ(a, m.S+1, cc, m.Alpha, m.Beta, tx, nil)
}

// logTermAge returns ln[(r+x)·J(r+x+1, s; T)], the log of the likelihood's
// term of a customer alive at T: it depends on the history through (x, T)
// only.
func (m *FittedParetoNBD) logTermAge(x, T float64) float64 {
	a := m.R + x
	cc := m.R + m.S + x
	return math.Log(a) + paretoLogJ(a+1, m.S, cc, m.Alpha, m.Beta, T, nil)
}

// logAliveNumerator returns ln[(α+T)^(−(r+x)) (β+T)^(−s)], the alive term
// over the bracket of the likelihood (see ProbabilityAlive).
func (m *FittedParetoNBD) logAliveNumerator(x, T float64) float64 {
	a := m.R + x
	return -a*math.Log(m.Alpha+T) - m.S*math.Log(m.Beta+T)
}

// LogLikelihood returns ln L(r, α, s, β | x, t_x, T) of one
// customer (see ParetoNBD). It returns NaN for an invalid history.
func (m *FittedParetoNBD) LogLikelihood(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	ll, _, _, _ := m.customerLogLik(c)
	return ll
}

// logProbabilityAlive returns ln P(alive at T | x, t_x, T).
func (m *FittedParetoNBD) logProbabilityAlive(c Customer) float64 {
	x, T := c.Frequency, c.T
	l1 := m.logTermRecency(x, pnbdRecency(x, c.Recency, T))
	return logAliveOf(m.logAliveNumerator(x, T), l1, m.logTermAge(x, T))
}

// logAliveOf returns ln P(alive) = min(0, la − ln(e^l1 + e^l2)) from the
// alive term la over the likelihood's two terms l1 and l2.
func logAliveOf(la, l1, l2 float64) float64 { return math.Min(0, la-logAddExp(l1, l2)) }

// ProbabilityAlive returns P(alive at T | x, t_x, T) (Schmittlein et al.
// 1987; Fader & Hardie 2005 note):
//
//	P(alive) = Γ(r+x)α^rβ^s/Γ(r) · (α+T)^(−(r+x)) (β+T)^(−s) / L.
//
// It returns NaN for an invalid history.
func (m *FittedParetoNBD) ProbabilityAlive(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	return math.Exp(m.logProbabilityAlive(c))
}

// AliveAgeTerms returns the terms of P(alive) in (x, T) (it implements
// AliveTabulator): the alive term and the likelihood's integral in T.
func (m *FittedParetoNBD) AliveAgeTerms(x, T float64) AliveAgeTerms {
	return AliveAgeTerms{m.logAliveNumerator(x, T), m.logTermAge(x, T)}
}

// ProbabilitiesAlive sets out[j] to ProbabilityAlive of the history
// (frequency[j], recency[j], T[j]), bit for bit, given its terms in
// (x, T) (see AliveTabulator): the likelihood's integral in t_x is
// computed once per run of consecutive rows with the same (x, t_x) (a
// table sorted by frequency then recency, as datasets.Patterns, has one
// run per distinct pair). A million simulated customers have about
// 290,000 distinct histories but 12,000 distinct (x, t_x) and 5,000
// distinct (x, T).
func (m *FittedParetoNBD) ProbabilitiesAlive(frequency, recency, T []float64, age []int32, terms []AliveAgeTerms, out []float64) {
	haveRun := false
	var runX, runTx, l1 float64
	for j := range out {
		c := Customer{Frequency: frequency[j], Recency: recency[j], T: T[j]}
		if !ValidHistory(c) {
			out[j] = math.NaN()
			continue
		}
		x := c.Frequency
		tx := pnbdRecency(x, c.Recency, c.T)
		if !haveRun || x != runX || tx != runTx {
			haveRun, runX, runTx = true, x, tx
			l1 = m.logTermRecency(x, tx)
		}
		at := terms[age[j]]
		out[j] = math.Exp(logAliveOf(at.u, l1, at.v))
	}
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected
// number of purchases in (T, T+t] (Schmittlein et al. 1987; Fader & Hardie
// 2005 note):
//
//	E[Y(t) | ·] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive),
//
// continued at s = 1 by (r+x)(β+T)/(α+T) · ln(1 + t/(β+T)) · P(alive).
// It returns NaN for t < 0 or an invalid history.
func (m *FittedParetoNBD) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	return m.ConditionalCurve(c)(t)
}

// ConditionalCurve returns t ↦ ConditionalExpectedPurchases(c, t), with
// P(alive) and the posterior rate computed once (see ConditionalCurver).
func (m *FittedParetoNBD) ConditionalCurve(c Customer) func(t float64) float64 {
	if !ValidHistory(c) {
		return func(float64) float64 { return math.NaN() }
	}
	bt := m.Beta + c.T
	k := (m.R + c.Frequency) / (m.Alpha + c.T) * bt * math.Exp(m.logProbabilityAlive(c))
	return func(t float64) float64 {
		if !(t >= 0) {
			return math.NaN()
		}
		l := math.Log1p(t / bt)
		return k * l * pnbdPhi((m.S-1)*l)
	}
}

// DiscountedExpectedResidualPurchases returns DERT, the discounted expected
// number of purchases after T over an infinite horizon, of a customer with
// history c, at a discount rate d = discountPerUnit per time unit
// (continuous force δ = ln(1+d), as in CLVOptions). Fader, Hardie & Lee
// (2005), "RFM and CLV: using iso-value curves for customer base analysis",
// Journal of Marketing Research 42(4), eq. 2:
//
//	DERT = α^r β^s δ^(s−1) Γ(r+x+1) Ψ(s, s; δ(β+T)) / (Γ(r) (α+T)^(r+x+1) L),
//
// with Ψ the confluent hypergeometric function of the second kind (Tricomi's
// U). clv evaluates the equivalent form
//
//	DERT = (r+x)/(α+T) · P(alive) · (β+T) · ∫_0^∞ e^(−δ(β+T)w) (1+w)^(−s) dw,
//
// where the integral equals z^(s−1) U(s, s; z) at z = δ(β+T) and is taken
// by adaptive Gauss–Kronrod quadrature in log space (about 1e-13 relative).
// Without discounting (d = 0) DERT is finite only for s > 1, where the
// integral is 1/(s−1); for s ≤ 1 it returns +Inf. It returns NaN for d < 0
// or an invalid history.
func (m *FittedParetoNBD) DiscountedExpectedResidualPurchases(c Customer, discountPerUnit float64) float64 {
	if !(discountPerUnit >= 0) || math.IsInf(discountPerUnit, 0) || !ValidHistory(c) {
		return math.NaN()
	}
	bt := m.Beta + c.T
	delta := math.Log1p(discountPerUnit)
	var li float64
	if delta == 0 {
		if m.S <= 1 {
			return math.Inf(1)
		}
		li = -math.Log(m.S - 1)
	} else {
		li = logTricomiSS(m.S, delta*bt)
	}
	lv := math.Log(m.R+c.Frequency) - math.Log(m.Alpha+c.T) + m.logProbabilityAlive(c) + math.Log(bt) + li
	return math.Exp(lv)
}

// logTricomiSS returns ln ∫_0^∞ e^(−zw)(1+w)^(−s) dw = ln(z^(s−1) U(s, s; z))
// for s, z > 0 (U is Tricomi's confluent hypergeometric function; the
// integral is also U(1, 2−s; z) and e^z z^(s−1) Γ(1−s, z)); see
// logDiscountedPower.
func logTricomiSS(s, z float64) float64 { return logDiscountedPower(s, z, math.Inf(1)) }

// logDiscountedPower returns ln ∫_0^h e^(−zw)(1+w)^(−s) dw with
// h = e^ymax − 1 (ymax may be +Inf), for s, z > 0 and ymax > 0: with
// w = e^y − 1 the log-integrand h(y) = (1−s)y − z(e^y − 1) is concave; it
// is integrated by adaptive Gauss–Kronrod quadrature over [0, ymax]
// clipped to the range where h lies within 50 of its maximum, scaled by
// that maximum (about 1e-13 relative). With the finite horizon it is e^z
// z^(s−1) [Γ(1−s, z) − Γ(1−s, z(1+h))], a difference computed here
// without cancellation.
func logDiscountedPower(s, z, ymax float64) float64 {
	h := func(y float64) float64 { return (1-s)*y - z*math.Expm1(y) }
	ys := 0.0
	if s < 1 && 1-s > z {
		ys = math.Log((1 - s) / z)
	}
	ys = math.Min(ys, ymax)
	hs := h(ys)
	// Width of the peak: the curvature at the maximum, or the slope at 0.
	step := 1.0
	if sl := math.Abs((1 - s) - z*math.Exp(ys)); sl > 0 && 50/sl < step && ys == 0 {
		step = 50 / sl
	}
	hi := ys + step
	for hi < ymax && h(hi) > hs-50 {
		step *= 2
		hi = ys + step
	}
	hi = math.Min(hi, ymax)
	lo := 0.0
	if ys > 0 {
		// Below the peak the log-integrand also falls; cut where it is 50 down.
		st := 1.0
		for ys-st > 0 && h(ys-st) > hs-50 {
			st *= 2
		}
		lo = math.Max(0, ys-st)
	}
	if !(hi > lo) {
		return math.Inf(-1)
	}
	var res [1]float64
	f := func(y float64, out []float64) { out[0] = math.Exp(h(y) - hs) }
	pnbdIntegrate(f, res[:], lo, hi, 1e-13, 0, 4)
	return hs + math.Log(res[0])
}

// DiscountedExpectedPurchasesWithin returns the discounted expected number
// of purchases in (T, T+horizon] of a customer with history c, at a
// discount rate d per time unit (continuous force δ = ln(1+d), as in
// CLVOptions; it implements HorizonDiscounter). A customer alive at T buys
// at the rate (r+x)/(α+T) · ((β+T)/(β+T+t))^s at T+t, so that, with
// B = β+T,
//
//	∫_0^H e^(−δt) dE[Y(t) | ·] = (r+x)/(α+T) · P(alive) · B · ∫_0^(H/B) e^(−δBw) (1+w)^(−s) dw,
//
// the finite-horizon form of DERT (Fader, Hardie & Lee 2005, "RFM and
// CLV", eq. 2, whose integral to ∞ is δ^(s−1)B^(s−1)U(s, s; δB)); the
// integral is an incomplete gamma function e^z z^(s−1)[Γ(1−s, z) −
// Γ(1−s, z(1+H/B))] at z = δB, taken by logDiscountedPower (about 1e-13
// relative). Without discounting it is E[Y(H) | ·]. It returns NaN for
// d < 0, a horizon < 0 or NaN, or an invalid history; horizon = +Inf
// gives DiscountedExpectedResidualPurchases.
func (m *FittedParetoNBD) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	if !(d >= 0) || math.IsInf(d, 0) || !(horizon >= 0) || !ValidHistory(c) {
		return math.NaN()
	}
	if math.IsInf(horizon, 1) {
		return m.DiscountedExpectedResidualPurchases(c, d)
	}
	return math.Exp(m.logProbabilityAlive(c)) * m.AliveDiscounted(c.Frequency, c.T, d, horizon)
}

// pnbdData is the calibration table in the form the likelihood reads:
// rows (distinct histories with weights, when the caller merged them), per row
// the index of its frequency among the distinct frequencies, so that what
// depends on x alone is computed once per distinct x and evaluation, and,
// when the rows hold few distinct times (logs summarized to whole days,
// say), the distinct pairs (x, t_x) and (x, T): each of the two terms of
// the likelihood is then computed once per distinct pair, and a row only
// combines its two terms.
type pnbdData struct {
	xs     []float64 // distinct frequencies
	wx     []float64 // total weight per distinct frequency
	xi     []int32   // row → index into xs
	zeroTx []bool    // per distinct frequency: some row has t_x = 0
	// Per distinct frequency, the smallest t_x > 0 and the smallest T of its
	// rows: they give the largest z the series of J1 and J2 meet, and so
	// the length of their tables.
	minTx, minT []float64
	tx, T       []float64 // t_x (0 when x = 0) and T per row
	w           []float64 // weight per row; nil: every weight is 1
	n           int       // rows
	// Weighted sums: customers, Σx, ΣT.
	sumW, sumWX, sumWT float64

	// The pair tables, or nil (see buildPairs): the distinct times, the
	// pairs (frequency index, time index) of J1 = J(r+x, s+1; t_x) and of
	// J2 = J(r+x+1, s; T), and per row the index of its two pairs.
	tau    []float64
	p1, p2 pnbdPairs
	r1, r2 []int32

	// The evaluation scratch and the last two evaluations (the optimizer
	// asks for the same point more than once, and maximize starts where
	// polish stopped), guarded by mu.
	mu    sync.Mutex
	ev    pnbdEval
	cache [2]pnbdValue
}

// informative returns the number of distinct histories with T > 0 and
// weight > 0, up to 2 (see informativeHistories).
func (pd *pnbdData) informative() int {
	return informativeHistories(pd.xs, pd.xi, pd.tx, pd.T, pd.weight)
}

// pnbdPairs lists distinct (frequency, time) pairs by index.
type pnbdPairs struct{ x, t []int32 }

// pnbdValue is the log-likelihood of a table at p with, by order, its
// gradient (order ≥ 1) and Hessian (order 2, row-major 4×4), with respect
// to the natural parameters (r, α, s, β).
type pnbdValue struct {
	p     [4]float64
	order int // −1: an empty cache slot
	v     float64
	g     [4]float64
	h     [16]float64
}

// pnbdMaxTimes caps the distinct times of a pair table.
const pnbdMaxTimes = 1 << 16

// pnbdRecency returns the t_x the likelihood uses: 0 without repeat
// purchases (the last purchase is then the first), and at most T.
func pnbdRecency(x, tx, T float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Min(tx, T)
}

// newPNBDData prepares the (valid) table d for the likelihood: the
// distinct frequencies and the pair tables. The rows are taken as they
// come: a caller with many customers passes the table of their distinct
// histories with weights (see FitParetoNBD).
func newPNBDData(d *Data) *pnbdData {
	n := d.Len()
	pd := &pnbdData{xi: make([]int32, n), tx: d.Recency, T: d.T, w: d.Weight}
	xs := newFreqIndex()
	copied := false
	for i := 0; i < n; i++ {
		x := d.Frequency[i]
		pd.xi[i] = xs.of(x)
		if tx := pnbdRecency(x, d.Recency[i], d.T[i]); tx != d.Recency[i] {
			if !copied {
				pd.tx = append([]float64(nil), d.Recency...)
				copied = true
			}
			pd.tx[i] = tx
		}
	}
	pd.xs = xs.values
	pd.finish()
	return pd
}

// finish sets the row count, the per-frequency extremes and weighted sums,
// and the pair tables.
func (pd *pnbdData) finish() {
	pd.n = len(pd.T)
	pd.cache[0].order, pd.cache[1].order = -1, -1
	nx := len(pd.xs)
	pd.zeroTx = make([]bool, nx)
	pd.minTx = make([]float64, nx)
	pd.minT = make([]float64, nx)
	pd.wx = make([]float64, nx)
	for k := range pd.minT {
		pd.minTx[k] = math.Inf(1)
		pd.minT[k] = math.Inf(1)
	}
	pd.sumW, pd.sumWX, pd.sumWT = 0, 0, 0
	for i := 0; i < pd.n; i++ {
		w := 1.0
		if pd.w != nil {
			w = pd.w[i]
		}
		k := pd.xi[i]
		if tx := pd.tx[i]; tx == 0 {
			pd.zeroTx[k] = true
		} else {
			pd.minTx[k] = math.Min(pd.minTx[k], tx)
		}
		pd.minT[k] = math.Min(pd.minT[k], pd.T[i])
		pd.wx[k] += w
		pd.sumW += w
		pd.sumWX += w * pd.xs[k]
		pd.sumWT += w * pd.T[i]
	}
	pd.buildPairs()
}

// buildPairs sets the pair tables when the rows hold at most pnbdMaxTimes
// distinct times and the distinct (x, t_x) and (x, T) pairs number at most
// 1.6 times the rows (each row needs two terms: the pairs then save at
// least a fifth of them).
func (pd *pnbdData) buildPairs() {
	n := pd.n
	tau, r1, r2, ok := indexTimes(pd.tx, pd.T, min(n, pnbdMaxTimes))
	if !ok {
		return
	}
	nt, nx := len(tau), len(pd.xs)
	var p1, p2 pnbdPairs
	// pairIndex turns the time indexes in r into pair indexes.
	pairIndex := func(r []int32, pp *pnbdPairs) {
		add := func(x, t int32) int32 {
			pp.x = append(pp.x, x)
			pp.t = append(pp.t, t)
			return int32(len(pp.x) - 1)
		}
		if nx*nt <= 1<<22 {
			dense := make([]int32, nx*nt)
			for i := range dense {
				dense[i] = -1
			}
			for i, t := range r {
				x := pd.xi[i]
				j := &dense[int(x)*nt+int(t)]
				if *j < 0 {
					*j = add(x, t)
				}
				r[i] = *j
			}
			return
		}
		m := keyindex.New(1 << 12)
		for i, t := range r {
			x := pd.xi[i]
			j, old := m.Of(float64(x), float64(t), 0)
			if !old {
				add(x, t)
			}
			r[i] = j
		}
	}
	pairIndex(r1, &p1)
	pairIndex(r2, &p2)
	if 5*(len(p1.x)+len(p2.x)) > 8*n {
		return
	}
	pd.tau, pd.p1, pd.p2, pd.r1, pd.r2 = tau, p1, p2, r1, r2
}

// subsample returns a sample of about m customers of pd (see
// weightedSample), each row drawn k times weighing k, sharing its distinct
// frequencies.
func (pd *pnbdData) subsample(m int) *pnbdData {
	c := min(pd.n, m) // the rows drawn, at most
	sub := &pnbdData{xs: pd.xs, xi: make([]int32, 0, c), tx: make([]float64, 0, c), T: make([]float64, 0, c), w: make([]float64, 0, c)}
	weightedSample(pd.n, pd.weight, pd.sumW, m, func(i int, k float64) {
		sub.xi = append(sub.xi, pd.xi[i])
		sub.tx = append(sub.tx, pd.tx[i])
		sub.T = append(sub.T, pd.T[i])
		sub.w = append(sub.w, k)
	})
	sub.finish()
	return sub
}

// weight returns the weight of row i.
func (pd *pnbdData) weight(i int) float64 {
	if pd.w == nil {
		return 1
	}
	return pd.w[i]
}

// start returns starting values: unit shapes for both gammas, the purchase
// rate r/α at the pooled rate Σx/ΣT and the mean lifetime β/s at the mean T.
func (pd *pnbdData) start() [4]float64 {
	alpha := pd.sumWT / math.Max(pd.sumWX, 1e-3*pd.sumW)
	alpha = math.Min(math.Max(alpha, 1e-6), 1e6)
	beta := math.Min(math.Max(pd.sumWT/pd.sumW, 1e-6), 1e6)
	return [4]float64{1, alpha, 1, beta}
}

func (pd *pnbdData) likelihood() likelihood {
	st := pd.start()
	return likelihood{model: "paretonbd", names: pnbdNames, start: st[:], logLik: pd.logLik, n: pd.sumW, hessian: pd.hessian}
}

// logLik is the likelihood's logLik: the total weighted log-likelihood at
// p = (r, α, s, β) and, when grad is not nil, its gradient; −Inf outside
// the parameter space.
func (pd *pnbdData) logLik(p, grad []float64) float64 {
	var q [4]float64
	copy(q[:], p)
	if !pnbdValidParams(q) {
		return math.Inf(-1)
	}
	order := 0
	if grad != nil {
		order = 1
	}
	v := pd.value(q, order)
	copy(grad, v.g[:])
	return v.v
}

// hessian is the likelihood's hessian: the Hessian of the total weighted
// log-likelihood at p, row-major 4×4 (NaN outside the parameter space).
func (pd *pnbdData) hessian(p []float64) []float64 {
	var q [4]float64
	copy(q[:], p)
	h := make([]float64, 16)
	if !pnbdValidParams(q) {
		for i := range h {
			h[i] = math.NaN()
		}
		return h
	}
	v := pd.value(q, 2)
	copy(h, v.h[:])
	return h
}

// value returns the evaluation at p (valid parameters) of at least the
// given order, from the cache when it holds one.
func (pd *pnbdData) value(p [4]float64, order int) pnbdValue {
	pd.mu.Lock()
	defer pd.mu.Unlock()
	for _, c := range pd.cache {
		if c.order >= order && c.p == p {
			return c
		}
	}
	v := pd.evaluate(p, order)
	pd.cache[1] = pd.cache[0]
	pd.cache[0] = v
	return v
}

// pnbdXConst holds the terms of the likelihood that depend on the row only
// through its frequency x.
type pnbdXConst struct {
	a, c     float64 // r+x, r+s+x
	lnA, lnc float64 // ln(r+x), ln c
	p1, q1   float64 // exponents of J1 = J(r+x, s+1; t_x), oriented
	p2, q2   float64 // exponents of J2 = J(r+x+1, s; T), oriented
	t1, t2   pnbdTable
	// split1, split2 report whether some row's J1 (J2) of this frequency
	// takes the quadrature path (z > pnbdSeriesMaxZ), whose tails tail1
	// (tail2) are then computed once per evaluation.
	split1, split2 bool
	tail1, tail2   pnbdTail
}

// pnbdTerm is one of the two terms of a row's likelihood,
//
//	s·(r+s+x)·J1 = e^e·h   or   (r+x)·(r+s+x)·J2 = e^e·h,
//
// as a scale e = ln(coefficient) + (1−p)·ln(P+u) − q·ln(Q+u) and the
// Pfaff series h (see hyp2f1.go), with the gradient g and the Hessian hs
// (upper triangle, row by row: rr rα rs rβ αα αs αβ ss sβ ββ) of its
// logarithm with respect to (r, α, s, β), as far as the order asks.
type pnbdTerm struct {
	e, h float64
	g    [4]float64
	hs   [10]float64
}

// pnbdTri returns the index of element (i, j) of a symmetric 4×4 matrix in
// its upper triangle stored row by row.
func pnbdTri(i, j int) int {
	if i > j {
		i, j = j, i
	}
	return i*(7-i)/2 + j
}

// pnbdEval is the likelihood at one parameter point: orientation, scales,
// the per-frequency constants and, on the pair path, the logarithms per
// distinct time and the terms per distinct pair.
type pnbdEval struct {
	r, alpha, s, beta float64
	order             int
	ab                bool    // α ≥ β: P = β, Q = α; else P = α, Q = β
	P, Q, D           float64 // smaller scale, larger scale, difference
	lnS               float64
	// perm maps a natural parameter (r, α, s, β) to its oriented variable
	// (p, q, P, Q); hperm maps the oriented Hessian's upper triangle to the
	// natural one's.
	perm   [4]int
	hperm  [10]int
	xc     []pnbdXConst
	zero   []pnbdTerm // per frequency: J1 at t_x = 0 (row path)
	lP, lQ []float64  // per distinct time τ: ln(P+τ), ln(Q+τ) (pair path)
	terms  []pnbdTerm // per pair: the J1 pairs, then the J2 pairs
}

// prepare sets up ev for the parameters p and the order.
func (pd *pnbdData) prepare(p [4]float64, order int) *pnbdEval {
	ev := &pd.ev
	r, alpha, s, beta := p[0], p[1], p[2], p[3]
	ev.r, ev.alpha, ev.s, ev.beta, ev.order = r, alpha, s, beta, order
	ev.ab, ev.lnS = alpha >= beta, math.Log(s)
	if ev.ab {
		ev.P, ev.Q, ev.D = beta, alpha, alpha-beta
		ev.perm = [4]int{1, 3, 0, 2} // r → q, α → Q, s → p, β → P
	} else {
		ev.P, ev.Q, ev.D = alpha, beta, beta-alpha
		ev.perm = [4]int{0, 2, 1, 3} // r → p, α → P, s → q, β → Q
	}
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			ev.hperm[pnbdTri(i, j)] = pnbdTri(ev.perm[i], ev.perm[j])
		}
	}
	nx := len(pd.xs)
	if cap(ev.xc) < nx {
		ev.xc = make([]pnbdXConst, nx)
	}
	ev.xc = ev.xc[:nx]
	for k, x := range pd.xs {
		xc := &ev.xc[k]
		a := r + x
		xc.a, xc.c = a, r+s+x
		xc.lnA, xc.lnc = math.Log(a), math.Log(xc.c)
		if ev.ab {
			xc.p1, xc.q1, xc.p2, xc.q2 = s+1, a, s, a+1
		} else {
			xc.p1, xc.q1, xc.p2, xc.q2 = a, s+1, a+1, s
		}
		u1 := pd.minTx[k]
		if pd.zeroTx[k] {
			u1 = 0
		}
		xc.split1, xc.split2 = false, false
		if !math.IsInf(u1, 1) {
			z := ev.D / (ev.Q + u1)
			xc.t1.fill(xc.p1, xc.q1, pnbdTerms(z), order == 2)
			if xc.split1 = z > pnbdSeriesMaxZ; xc.split1 {
				xc.tail1 = pnbdSplitTail(xc.p1, xc.q1, ev.D, order)
			}
		}
		if !math.IsInf(pd.minT[k], 1) {
			z := ev.D / (ev.Q + pd.minT[k])
			xc.t2.fill(xc.p2, xc.q2, pnbdTerms(z), order == 2)
			if xc.split2 = z > pnbdSeriesMaxZ; xc.split2 {
				xc.tail2 = pnbdSplitTail(xc.p2, xc.q2, ev.D, order)
			}
		}
	}
	if pd.r1 != nil {
		nt := len(pd.tau)
		ev.lP, ev.lQ = pnbdResize(ev.lP, nt), pnbdResize(ev.lQ, nt)
		for j, t := range pd.tau {
			ev.lP[j], ev.lQ[j] = math.Log(ev.P+t), math.Log(ev.Q+t)
		}
		return ev
	}
	if cap(ev.zero) < nx {
		ev.zero = make([]pnbdTerm, nx)
	}
	ev.zero = ev.zero[:nx]
	lP, lQ := math.Log(ev.P), math.Log(ev.Q)
	for k := range pd.xs {
		if pd.zeroTx[k] {
			ev.term(&ev.xc[k], 1, 0, lP, lQ, &ev.zero[k])
		}
	}
	return ev
}

func pnbdResize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// term evaluates into out the term of J1 (which = 1, at u = t_x) or of J2
// (which = 2, at u = T), given lPu = ln(P+u) and lQu = ln(Q+u): by the
// table of its frequency where it reaches, by pnbdLogJc otherwise (z near
// 1), with the derivatives of pnbdSeriesDerivs.
func (ev *pnbdEval) term(xc *pnbdXConst, which int, u, lPu, lQu float64, out *pnbdTerm) {
	p, q, tb, coef, split, tail := xc.p1, xc.q1, xc.t1, ev.lnS, xc.split1, &xc.tail1
	if which == 2 {
		p, q, tb, coef, split, tail = xc.p2, xc.q2, xc.t2, xc.lnA, xc.split2, &xc.tail2
	}
	Pu, Qu := ev.P+u, ev.Q+u
	z := ev.D / Qu
	var sm pnbdSum
	ok := false
	if z <= pnbdSeriesMaxZ {
		switch ev.order {
		case 0:
			sm.h, ok = tb.sum0(z)
		case 1:
			ok = tb.sum1(z, &sm)
		default:
			ok = tb.sum2(z, &sm)
		}
	}
	if !ok {
		var v float64
		var g4 [4]float64
		var h4 [10]float64
		if split {
			// As pnbdLogJc, with the tail of this frequency: beyond the
			// series' limit, and below it where the table (as long as
			// pnbdLogJc's own at this z, or longer) did not reach.
			v, g4, h4 = pnbdSplitcWith(p, q, xc.c, Pu, Qu, ev.D, ev.order, *tail)
		} else {
			v, g4, h4 = pnbdLogJc(p, q, xc.c, Pu, Qu, ev.D, ev.order)
		}
		out.e, out.h = coef+v, 1
		if ev.order > 0 {
			ev.finish(xc, which, &g4, &h4, out)
		}
		return
	}
	out.e = coef + (1-p)*lPu - q*lQu
	out.h = sm.h
	var g4 [4]float64
	switch ev.order {
	case 1:
		pnbdSeriesDerivs(p, q, Pu, Qu, lPu, lQu, &sm, &g4, nil)
		ev.finish(xc, which, &g4, nil, out)
	case 2:
		var h4 [10]float64
		pnbdSeriesDerivs(p, q, Pu, Qu, lPu, lQu, &sm, &g4, &h4)
		ev.finish(xc, which, &g4, &h4, out)
	}
}

// finish maps the oriented derivatives g4 and h4 (read at order 2 only)
// of a term to the natural parameters and adds those of its coefficient,
// ln s (J1) or ln(r+x) (J2).
func (ev *pnbdEval) finish(xc *pnbdXConst, which int, g4 *[4]float64, h4 *[10]float64, out *pnbdTerm) {
	for i, o := range ev.perm {
		out.g[i] = g4[o]
	}
	if which == 1 {
		out.g[2] += 1 / ev.s
	} else {
		out.g[0] += 1 / xc.a
	}
	if ev.order < 2 {
		return
	}
	for i, o := range ev.hperm {
		out.hs[i] = h4[o]
	}
	if which == 1 {
		out.hs[7] -= 1 / (ev.s * ev.s)
	} else {
		out.hs[0] -= 1 / (xc.a * xc.a)
	}
}

// evaluate computes the log-likelihood of the table at p and, by order, its
// gradient and Hessian. Per row, with the terms e₁h₁ and e₂h₂ of pnbdTerm,
//
//	ln L = lnΓ(r+x) − lnΓ(r) + r ln α + s ln β − ln(r+s+x) + ln(e^(e₁)h₁ + e^(e₂)h₂),
//
// whose last part, with shares π_k = e^(e_k)h_k/(e^(e₁)h₁ + e^(e₂)h₂) and
// ℓ_k = e_k + ln h_k, has gradient π₁∇ℓ₁ + π₂∇ℓ₂ and Hessian
// π₁∇²ℓ₁ + π₂∇²ℓ₂ + π₁π₂(∇ℓ₁ − ∇ℓ₂)(∇ℓ₁ − ∇ℓ₂)ᵀ; the rest depends on the
// row only through x and is summed once per distinct x, with the digamma
// and trigamma functions for lnΓ(r+x) − lnΓ(r).
func (pd *pnbdData) evaluate(p [4]float64, order int) pnbdValue {
	ev := pd.prepare(p, order)
	if pd.r1 != nil {
		n1, n2 := len(pd.p1.x), len(pd.p2.x)
		if cap(ev.terms) < n1+n2 {
			ev.terms = make([]pnbdTerm, n1+n2)
		}
		ev.terms = ev.terms[:n1+n2]
		// parallelSum serves as a parallel loop: each pair writes only its
		// own term.
		parallelSum(n1+n2, 0, nil, func(lo, hi int, _ []float64) float64 {
			for k := lo; k < hi; k++ {
				which, pp, j := 1, &pd.p1, k
				if k >= n1 {
					which, pp, j = 2, &pd.p2, k-n1
				}
				t := pp.t[j]
				ev.term(&ev.xc[pp.x[j]], which, pd.tau[t], ev.lP[t], ev.lQ[t], &ev.terms[k])
			}
			return 0
		})
	}
	dim := [3]int{0, 4, 14}[order]
	var acc [14]float64
	var accp []float64
	if order > 0 {
		accp = acc[:dim]
	}
	ll := parallelSum(pd.n, dim, accp, func(lo, hi int, g []float64) float64 {
		return pd.rows(ev, lo, hi, g)
	})
	res := pnbdValue{p: p, order: order}
	// The terms of each distinct x, and r ln α + s ln β.
	r, alpha, s, beta := p[0], p[1], p[2], p[3]
	var dgr, tgr float64
	if order >= 1 {
		dgr = mathext.Digamma(r)
	}
	if order == 2 {
		tgr = trigamma(r)
	}
	lgr := lgamma(r)
	for k := range pd.xs {
		w := pd.wx[k]
		if w == 0 {
			continue
		}
		xc := &ev.xc[k]
		ll += w * (lgamma(xc.a) - lgr - xc.lnc)
		if order >= 1 {
			ic := 1 / xc.c
			acc[0] += w * (mathext.Digamma(xc.a) - dgr - ic)
			acc[2] -= w * ic
			if order == 2 {
				ic2 := ic * ic
				acc[4+0] += w * (trigamma(xc.a) - tgr + ic2) // rr
				acc[4+2] += w * ic2                          // rs
				acc[4+7] += w * ic2                          // ss
			}
		}
	}
	lnAlpha, lnBeta := math.Log(alpha), math.Log(beta)
	n := pd.sumW
	res.v = ll + n*(r*lnAlpha+s*lnBeta)
	if order >= 1 {
		acc[0] += n * lnAlpha
		acc[1] += n * r / alpha
		acc[2] += n * lnBeta
		acc[3] += n * s / beta
		copy(res.g[:], acc[:4])
	}
	if order == 2 {
		acc[4+1] += n / alpha             // rα
		acc[4+4] -= n * r / alpha / alpha // αα
		acc[4+8] += n / beta              // sβ
		acc[4+9] -= n * s / beta / beta   // ββ
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				v := acc[4+pnbdTri(i, j)]
				res.h[4*i+j], res.h[4*j+i] = v, v
			}
		}
	}
	return res
}

// rows sums the rows [lo, hi) into the returned log-likelihood part and,
// by order, g: the gradient (g[0:4]) and the Hessian's upper triangle
// (g[4:14]) of the part (see evaluate).
func (pd *pnbdData) rows(ev *pnbdEval, lo, hi int, g []float64) float64 {
	order := ev.order
	var sum float64
	var q [14]float64
	var t1, t2 pnbdTerm
	pairs := pd.r1 != nil
	for i := lo; i < hi; i++ {
		w := 1.0
		if pd.w != nil {
			if w = pd.w[i]; w == 0 {
				continue
			}
		}
		var j1, j2 *pnbdTerm
		if pairs {
			j1, j2 = &ev.terms[pd.r1[i]], &ev.terms[len(pd.p1.x)+int(pd.r2[i])]
		} else {
			xc := &ev.xc[pd.xi[i]]
			if tx := pd.tx[i]; tx == 0 {
				j1 = &ev.zero[pd.xi[i]]
			} else {
				ev.term(xc, 1, tx, math.Log(ev.P+tx), math.Log(ev.Q+tx), &t1)
				j1 = &t1
			}
			T := pd.T[i]
			ev.term(xc, 2, T, math.Log(ev.P+T), math.Log(ev.Q+T), &t2)
			j2 = &t2
		}
		var v1, v2, m float64
		if e1, e2 := j1.e, j2.e; e1 >= e2 {
			m, v1, v2 = e1, j1.h, j2.h*math.Exp(e2-e1)
		} else {
			m, v1, v2 = e2, j1.h*math.Exp(e1-e2), j2.h
		}
		b := v1 + v2
		sum += w * (m + math.Log(b))
		if order == 0 {
			continue
		}
		ib := 1 / b
		w1, w2 := w*v1*ib, w*v2*ib
		g1, g2 := &j1.g, &j2.g
		q[0] += w1*g1[0] + w2*g2[0]
		q[1] += w1*g1[1] + w2*g2[1]
		q[2] += w1*g1[2] + w2*g2[2]
		q[3] += w1*g1[3] + w2*g2[3]
		if order < 2 {
			continue
		}
		h1, h2 := &j1.hs, &j2.hs
		c := w1 * v2 * ib // w·π₁π₂
		d0, d1, d2, d3 := g1[0]-g2[0], g1[1]-g2[1], g1[2]-g2[2], g1[3]-g2[3]
		c0, c1, c2, c3 := c*d0, c*d1, c*d2, c*d3
		q[4] += w1*h1[0] + w2*h2[0] + c0*d0
		q[5] += w1*h1[1] + w2*h2[1] + c0*d1
		q[6] += w1*h1[2] + w2*h2[2] + c0*d2
		q[7] += w1*h1[3] + w2*h2[3] + c0*d3
		q[8] += w1*h1[4] + w2*h2[4] + c1*d1
		q[9] += w1*h1[5] + w2*h2[5] + c1*d2
		q[10] += w1*h1[6] + w2*h2[6] + c1*d3
		q[11] += w1*h1[7] + w2*h2[7] + c2*d2
		q[12] += w1*h1[8] + w2*h2[8] + c2*d3
		q[13] += w1*h1[9] + w2*h2[9] + c3*d3
	}
	for k := range g {
		g[k] += q[k]
	}
	return sum
}
