package models

import (
	"context"
	"fmt"
	"math"
)

// SBG is the shifted-beta-geometric model of contract duration in a
// contractual setting (subscriptions renewed period by period), of Fader &
// Hardie (2007), "How to project customer retention", Journal of
// Interactive Marketing 21(1), and Fader & Hardie (2010), "Customer-base
// valuation in a contractual setting: the perils of ignoring
// heterogeneity", Marketing Science 29(1).
//
// Story. At the end of each period a customer renews with probability 1−θ
// and churns with probability θ, so a customer's lifetime T (the number of
// periods paid for, T ≥ 1) is geometric; θ varies across customers as
// Beta(α, β). Then
//
//	P(T = t) = B(α+1, β+t−1) / B(α, β),   t = 1, 2, …
//	S(t) = P(T > t) = B(α, β+t) / B(α, β),   S(0) = 1,
//	r_t = S(t)/S(t−1) = (β+t−1)/(α+β+t−1),
//
// the retention rate r_t rising with t as the cohort sorts itself.
//
// Data. A cohort's survivor counts n_0 ≥ n_1 ≥ … ≥ n_m, n_t the customers
// still active at the start of period t (after t renewals; n_0 the cohort
// size), give n_{t−1} − n_t lifetimes T = t for t = 1 … m and n_m lifetimes
// known only to exceed m, so
//
//	LL(α, β) = Σ_{t=1}^{m} (n_{t−1} − n_t) ln P(T=t) + n_m ln S(m).
//
// Individual subscriptions (FitSubscriptions) and several cohorts
// (FitCohorts) add their terms to the same sum. The likelihood is evaluated
// by the recursions S(t) = S(t−1)·(β+t−1)/(α+β+t−1) and P(T=t) =
// S(t−1)·α/(α+β+t−1) in logs, with the analytic gradient
//
//	∂ ln S(t)/∂α = −Σ_{k<t} 1/(α+β+k),   ∂ ln S(t)/∂β = Σ_{k<t} [1/(β+k) − 1/(α+β+k)],
//	∂ ln P(T=t)/∂α = 1/α − 1/(α+β+t−1) + ∂ ln S(t−1)/∂α,
//	∂ ln P(T=t)/∂β = −1/(α+β+t−1) + ∂ ln S(t−1)/∂β,
//
// and maximized on log-parameters by the package's shared maximum-likelihood
// machinery, which also gives the standard errors. The parameters are named
// "alpha" and "beta". Data without any churn have no finite estimate and are
// refused; estimates at the edge of the parameter space (α, β beyond 10⁴ or
// below 10⁻³, e.g. a homogeneous cohort, for which the sBG tends to the
// geometric model) come with a warning in the FitResult.
type SBG struct{}

// Name returns "sbg".
func (SBG) Name() string { return "sbg" }

// sbgCounts holds lifetimes by length: churn[t] customers with T = t
// (t ≥ 1) and atLeast[t] customers known only to have T > t (t ≥ 0).
type sbgCounts struct {
	churn   []float64
	atLeast []float64
	n       float64
}

func (c *sbgCounts) grow(t int) {
	for len(c.churn) <= t {
		c.churn = append(c.churn, 0)
		c.atLeast = append(c.atLeast, 0)
	}
}

// addSurvivors adds one cohort's survivor counts, checking them.
func (c *sbgCounts) addSurvivors(s []float64) error {
	if len(s) < 2 {
		return fmt.Errorf("a cohort needs survivor counts for at least periods 0 and 1, got %d", len(s))
	}
	for t, v := range s {
		if !finite(v) || v < 0 {
			return fmt.Errorf("survivors at period %d: %v must be a finite number ≥ 0", t, v)
		}
		if t > 0 && v > s[t-1] {
			return fmt.Errorf("survivors at period %d: %v exceed the %v of period %d; survivor counts cannot rise", t, v, s[t-1], t-1)
		}
	}
	if !(s[0] > 0) {
		return fmt.Errorf("survivors at period 0 (the cohort size) must be > 0")
	}
	m := len(s) - 1
	c.grow(m)
	for t := 1; t <= m; t++ {
		c.churn[t] += s[t-1] - s[t]
	}
	c.atLeast[m] += s[m]
	c.n += s[0]
	return nil
}

// logLik returns the log-likelihood at p = (α, β) and adds its gradient
// into grad when grad is not nil.
func (c *sbgCounts) logLik(p, grad []float64) float64 {
	a, b := p[0], p[1]
	if !(a > 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.Inf(-1)
	}
	var (
		ll           float64
		lnS          float64 // ln S(t−1) while handling t
		dSa, dSb     float64 // its gradient
		ga, gb       float64
		lnA, invA    = math.Log(a), 1 / a
		lastNonEmpty = len(c.churn) - 1
	)
	for t := 0; t <= lastNonEmpty; t++ {
		if t > 0 {
			// Terms with T = t: P(T=t) = S(t−1)·α/(α+β+t−1).
			den := a + b + float64(t-1)
			if n := c.churn[t]; n > 0 {
				ll += n * (lnA - math.Log(den) + lnS)
				ga += n * (invA - 1/den + dSa)
				gb += n * (-1/den + dSb)
			}
			// Advance to ln S(t) = ln S(t−1) + ln((β+t−1)/(α+β+t−1)).
			lnS += math.Log1p(-a / den)
			dSa -= 1 / den
			dSb += 1/(b+float64(t-1)) - 1/den
		}
		if n := c.atLeast[t]; n > 0 {
			ll += n * lnS
			ga += n * dSa
			gb += n * dSb
		}
	}
	if grad != nil {
		grad[0] += ga
		grad[1] += gb
	}
	return ll
}

// fit maximizes the likelihood of the counts.
func (c *sbgCounts) fit(ctx context.Context, o FitOptions) (*FittedSBG, error) {
	churned := 0.0
	for _, n := range c.churn {
		churned += n
	}
	if !(churned > 0) {
		return nil, fmt.Errorf("sbg: no customer churned, so the churn probabilities have no finite estimate (the likelihood grows as alpha → 0)")
	}
	lk := likelihood{
		model:  "sbg",
		names:  []string{"alpha", "beta"},
		start:  []float64{1, 1},
		logLik: c.logLik,
		n:      c.n,
	}
	res, err := maximize(ctx, lk, o)
	if res == nil {
		return nil, fmt.Errorf("sbg: %w", err)
	}
	a, b := res.Params["alpha"], res.Params["beta"]
	switch {
	case a > sbgLargeParam && b > sbgLargeParam:
		res.Warnings = append(res.Warnings, fmt.Sprintf("alpha=%.4g and beta=%.4g are very large: the churn probability hardly varies across customers, and the fit approaches a geometric lifetime with churn probability alpha/(alpha+beta)=%.4g", a, b, a/(a+b)))
	case a > sbgLargeParam || b > sbgLargeParam || a < sbgSmallParam || b < sbgSmallParam:
		res.Warnings = append(res.Warnings, fmt.Sprintf("alpha=%.4g, beta=%.4g lie near the edge of the parameter space: the data hardly identify the spread of churn probabilities", a, b))
	}
	f := &FittedSBG{Alpha: a, Beta: b, result: res}
	if err != nil {
		return f, fmt.Errorf("sbg: %w", err)
	}
	return f, nil
}

// Estimates beyond these bounds are reported as near-degenerate.
const (
	sbgLargeParam = 1e4
	sbgSmallParam = 1e-3
)

// FitSurvival fits the model to one cohort's survivor counts: survivors[t]
// is the number of customers still active at the start of period t
// (survivors[0] the cohort size), non-increasing, at least two entries. A
// fit that does not converge returns its best point with an error that
// IsConvergence recognizes.
func (SBG) FitSurvival(ctx context.Context, survivors []float64, o FitOptions) (*FittedSBG, error) {
	var c sbgCounts
	if err := c.addSurvivors(survivors); err != nil {
		return nil, fmt.Errorf("sbg: %w", err)
	}
	return c.fit(ctx, o)
}

// FitCohorts fits one (α, β) to several cohorts' survivor counts, each as
// in FitSurvival; cohorts acquired at different times are observed for
// different numbers of periods, and each adds its own terms to the
// likelihood.
func (SBG) FitCohorts(ctx context.Context, cohorts [][]float64, o FitOptions) (*FittedSBG, error) {
	if len(cohorts) == 0 {
		return nil, fmt.Errorf("sbg: no cohorts to fit on")
	}
	var c sbgCounts
	for i, s := range cohorts {
		if err := c.addSurvivors(s); err != nil {
			return nil, fmt.Errorf("sbg: cohort %d: %w", i+1, err)
		}
	}
	return c.fit(ctx, o)
}

// FitSubscriptions fits the model to individual subscriptions. durations[i]
// is the number of periods customer i has paid for (an integer ≥ 1, the
// current period included); active[i] is true when the customer is still
// subscribed, so that only T ≥ durations[i] is known, and false when they
// churned after exactly durations[i] periods (T = durations[i]).
func (SBG) FitSubscriptions(ctx context.Context, durations []float64, active []bool, o FitOptions) (*FittedSBG, error) {
	if len(durations) == 0 {
		return nil, fmt.Errorf("sbg: no subscriptions to fit on")
	}
	if len(active) != len(durations) {
		return nil, fmt.Errorf("sbg: %d durations but %d active flags", len(durations), len(active))
	}
	var c sbgCounts
	for i, d := range durations {
		if !(d >= 1) || d != math.Trunc(d) || d > 1e7 {
			return nil, fmt.Errorf("sbg: subscription %d: duration %v must be a whole number of periods ≥ 1", i+1, d)
		}
		t := int(d)
		c.grow(t)
		if active[i] {
			c.atLeast[t-1]++ // T ≥ d ⇔ T > d−1
		} else {
			c.churn[t]++
		}
		c.n++
	}
	return c.fit(ctx, o)
}

// FittedSBG is a shifted-beta-geometric model with known parameters: fitted
// by one of SBG's methods or built by NewFittedSBG.
type FittedSBG struct {
	Alpha, Beta float64 // α, β > 0
	result      *FitResult
}

// NewFittedSBG returns the model with the given α, β > 0, for projections
// and valuation from published or stored estimates.
func NewFittedSBG(alpha, beta float64) (*FittedSBG, error) {
	if !(alpha > 0) || !(beta > 0) || math.IsInf(alpha, 0) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("sbg: alpha=%v and beta=%v must be finite numbers > 0", alpha, beta)
	}
	return &FittedSBG{Alpha: alpha, Beta: beta, result: &FitResult{
		Model: "sbg", Params: Params{"alpha": alpha, "beta": beta}, Converged: true, Method: "given",
	}}, nil
}

// Result reports the estimates and the fit's diagnostics.
func (f *FittedSBG) Result() *FitResult { return f.result }

// Survival returns S(t) = P(T > t) = B(α, β+t)/B(α, β), the share of a new
// cohort still active at the start of period t (1 for t ≤ 0).
func (f *FittedSBG) Survival(t int) float64 {
	if t <= 0 {
		return 1
	}
	return math.Exp(lbeta(f.Alpha, f.Beta+float64(t)) - lbeta(f.Alpha, f.Beta))
}

// SurvivalCurve returns S(0), …, S(n) by the recursion S(t) =
// S(t−1)·(β+t−1)/(α+β+t−1); multiply by a cohort's size to project its
// survivors.
func (f *FittedSBG) SurvivalCurve(n int) []float64 {
	if n < 0 {
		n = 0
	}
	s := make([]float64, n+1)
	s[0] = 1
	for t := 1; t <= n; t++ {
		s[t] = s[t-1] * f.Retention(t)
	}
	return s
}

// ProbabilityChurn returns P(T = t) = B(α+1, β+t−1)/B(α, β), the
// probability that a new customer's lifetime is exactly t periods (0 for
// t < 1).
func (f *FittedSBG) ProbabilityChurn(t int) float64 {
	if t < 1 {
		return 0
	}
	return math.Exp(lbeta(f.Alpha+1, f.Beta+float64(t-1)) - lbeta(f.Alpha, f.Beta))
}

// Retention returns r_t = (β+t−1)/(α+β+t−1), the share of the customers
// active in period t−1 who renew for period t (t < 1 is taken as 1).
func (f *FittedSBG) Retention(t int) float64 {
	if t < 1 {
		t = 1
	}
	k := float64(t - 1)
	return (f.Beta + k) / (f.Alpha + f.Beta + k)
}

// DEL returns the discounted expected lifetime of a just-acquired customer
// at discount rate d per period (Fader & Hardie 2010):
//
//	DEL(d) = Σ_{t≥0} S(t) / (1+d)^t = 2F1(1, β; α+β; 1/(1+d)),
//
// the present value of one unit paid at the start of every period the
// customer is active, the first payment (t = 0) undiscounted. Multiplied by
// the margin per period it is the expected CLV of a new customer. At d = 0
// it is the expected lifetime E[T] = (α+β−1)/(α−1), finite only for α > 1;
// d < 0 and d = 0 with α ≤ 1 are errors.
func (f *FittedSBG) DEL(d float64) (float64, error) {
	if err := checkSBGDiscount(d); err != nil {
		return 0, err
	}
	if d == 0 {
		if f.Alpha <= 1 {
			return 0, fmt.Errorf("sbg: the undiscounted expected lifetime is infinite for alpha=%v ≤ 1: use a discount rate d > 0", f.Alpha)
		}
		return (f.Alpha + f.Beta - 1) / (f.Alpha - 1), nil
	}
	return sbgHyp2F1(f.Beta, f.Alpha+f.Beta, 1/(1+d))
}

// DERL returns the discounted expected residual lifetime of a customer who
// has been active for n ≥ 1 periods (made n−1 renewals) and is about to
// decide on the n-th renewal (Fader & Hardie 2010):
//
//	DERL(d | n) = Σ_{t≥n} S(t)/S(n−1) / (1+d)^(t−n)
//	            = (β+n−1)/(α+β+n−1) · 2F1(1, β+n; α+β+n; 1/(1+d)),
//
// the present value of one unit paid at the start of each further period
// the customer stays, the next payment (if they renew) undiscounted. At
// d = 0 it is the expected residual lifetime (β+n−1)/(α−1) for α > 1.
func (f *FittedSBG) DERL(d float64, n int) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("sbg: DERL needs n ≥ 1 periods as a customer, got %d", n)
	}
	if err := checkSBGDiscount(d); err != nil {
		return 0, err
	}
	k := float64(n - 1)
	if d == 0 {
		if f.Alpha <= 1 {
			return 0, fmt.Errorf("sbg: the undiscounted expected residual lifetime is infinite for alpha=%v ≤ 1: use a discount rate d > 0", f.Alpha)
		}
		return (f.Beta + k) / (f.Alpha - 1), nil
	}
	h, err := sbgHyp2F1(f.Beta+k+1, f.Alpha+f.Beta+k+1, 1/(1+d))
	if err != nil {
		return 0, err
	}
	return (f.Beta + k) / (f.Alpha + f.Beta + k) * h, nil
}

func checkSBGDiscount(d float64) error {
	if !(d >= 0) || math.IsInf(d, 0) {
		return fmt.Errorf("sbg: the discount rate %v must be a finite number ≥ 0 per period", d)
	}
	return nil
}

// sbgHypMaxTerms bounds the series of sbgHyp2F1: 1/(1+d) close to 1 needs
// about 40/d terms.
const sbgHypMaxTerms = 100_000_000

// sbgHyp2F1 returns the Gauss hypergeometric function 2F1(1, b; c; z) for
// 0 < b < c and 0 ≤ z < 1 by its power series
//
//	2F1(1, b; c; z) = Σ_{k≥0} (b)_k/(c)_k z^k,   term_{k+1} = term_k · z(b+k)/(c+k).
//
// The ratio of successive terms stays below z, so the tail after term k is
// at most term_k·z/(1−z); the sum stops when that bound falls below 1e-16
// of the sum. The terms are positive and are added with Neumaier's
// compensated summation.
func sbgHyp2F1(b, c, z float64) (float64, error) {
	if !(b > 0) || !(c > b) || !finite(c) {
		return 0, fmt.Errorf("sbg: 2F1(1, b; c; z) needs 0 < b < c, got b=%v c=%v", b, c)
	}
	if !(z >= 0) || !(z < 1) {
		return 0, fmt.Errorf("sbg: 2F1(1, b; c; z) needs 0 ≤ z < 1, got z=%v (the discount rate must be > 0)", z)
	}
	tailFactor := z / (1 - z)
	sum, comp, term := 1.0, 0.0, 1.0
	for k := 0; k < sbgHypMaxTerms; k++ {
		term *= z * (b + float64(k)) / (c + float64(k))
		// Neumaier summation.
		t := sum + term
		if math.Abs(sum) >= math.Abs(term) {
			comp += (sum - t) + term
		} else {
			comp += (term - t) + sum
		}
		sum = t
		if term*tailFactor <= 1e-16*sum {
			return sum + comp, nil
		}
	}
	return 0, fmt.Errorf("sbg: 2F1(1, %v; %v; %v) did not converge in %d terms: the discount rate %v per period is too small", b, c, z, sbgHypMaxTerms, 1/z-1)
}
