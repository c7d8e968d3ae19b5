package models

import "context"

// MBGNBD is the modified BG/NBD model of Batislam, Denizel & Filiztekin
// (2007), "Empirical validation and comparison of models for customer base
// analysis", International Journal of Research in Marketing 24(3),
// 201–209 (also Hoppe & Wagner 2007, "Customer base analysis: the case for
// a central variant of the Betageometric/NBD model", Marketing — Journal of
// Research and Management 3(2), 75–90).
//
// It is the BG/NBD (see BGNBD) except that the first purchase, at time 0,
// is also a dropout opportunity: a customer drops out with probability p
// right after every purchase, the first one included. So a customer
// without repeat purchases may also have dropped out, and the likelihood
// of a history (x, t_x, T) is
//
//	ln L = ln A₁ + ln B(a, b+x+1) − ln B(a, b) + ln(A₃ + A₄),
//	A₁ = Γ(r+x) α^r / Γ(r),  A₃ = (α+T)^−(r+x),  A₄ = a/(b+x) · (α+t_x)^−(r+x),
//
// for every x ≥ 0 (t_x = 0 when x = 0). Its predictions are
//
//	E[X(t)] = b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]
//	P(alive | x, t_x, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))
//	E[Y(t) | x, t_x, T] = P(alive) · (a+b+x)/(a−1) ·
//	        [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]
//	P(X(t) = n) = B(a, b+n+1)/B(a,b) · NB(n) + B(a+1, b+n)/B(a,b) · P(N ≥ n)
//
// (NB and N as in BGNBD), the forms of the BTYDplus package
// (mbgcnbd.* with k = 1), all evaluated through the cancellation-free sums
// of hyp2f1_series.go. Parameters are named r, alpha, a, b.
type MBGNBD struct{}

// Name returns "mbgnbd".
func (MBGNBD) Name() string { return "mbgnbd" }

// Fit estimates r, α, a, b by maximum likelihood; the result is a
// *FittedMBGNBD (see FitMBGNBD).
func (MBGNBD) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	f, err := FitMBGNBD(ctx, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FittedMBGNBD is an MBG/NBD model with its parameters (all > 0) and, after
// FitMBGNBD, the fit's diagnostics.
type FittedMBGNBD struct {
	R, Alpha float64    // purchase rate λ ~ Gamma(shape R, rate Alpha)
	A, B     float64    // dropout probability p ~ Beta(A, B)
	fit      *FitResult // estimates and diagnostics (Result)
}

// NewFittedMBGNBD returns an MBG/NBD model with the given parameters, which
// must be finite and > 0. Its Result names the parameters, with no
// likelihood.
func NewFittedMBGNBD(r, alpha, a, b float64) (*FittedMBGNBD, error) {
	if err := checkBGFParams("mbgnbd", r, alpha, a, b); err != nil {
		return nil, err
	}
	return &FittedMBGNBD{R: r, Alpha: alpha, A: a, B: b, fit: givenBGFResult("mbgnbd", r, alpha, a, b)}, nil
}

// FitMBGNBD fits the MBG/NBD model on d, as FitBGNBD does the BG/NBD. A fit
// that does not converge returns its best point together with a
// *ConvergenceError.
func FitMBGNBD(ctx context.Context, d *Data, o FitOptions) (*FittedMBGNBD, error) {
	res, err := fitBGFamily(ctx, "mbgnbd", 1, d, o)
	if res == nil {
		return nil, err
	}
	p := res.Params
	return &FittedMBGNBD{R: p["r"], Alpha: p["alpha"], A: p["a"], B: p["b"], fit: res}, err
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedMBGNBD) Result() *FitResult { return f.fit }

func (f *FittedMBGNBD) model() bgfModel { return bgfModel{f.R, f.Alpha, f.A, f.B, 1} }

// LogLikelihood returns ln L(r, α, a, b | x, t_x, T) of one customer (see
// MBGNBD), or NaN when c is not a valid history.
func (f *FittedMBGNBD) LogLikelihood(c Customer) float64 { return f.model().logLik(c) }

// ExpectedPurchases returns E[X(t)], the expected number of repeat
// purchases of a new customer in (0, t]; 0 for t ≤ 0.
func (f *FittedMBGNBD) ExpectedPurchases(t float64) float64 { return f.model().expected(t) }

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected
// number of purchases in (T, T+t] of a customer with history c; 0 for
// t ≤ 0 and NaN when c is not a valid history.
func (f *FittedMBGNBD) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	return f.model().conditional(c, t)
}

// ProbabilityAlive returns P(alive at T | x, t_x, T) (below 1 also for
// x = 0), or NaN when c is not a valid history.
func (f *FittedMBGNBD) ProbabilityAlive(c Customer) float64 { return f.model().alive(c) }

// AliveAgeTerms implements AliveTabulator for the MBG/NBD: the dropout
// term, in x alone.
func (f *FittedMBGNBD) AliveAgeTerms(x, _ float64) AliveAgeTerms { return f.model().aliveAgeTerms(x) }

// ProbabilitiesAlive implements AliveTabulator for the MBG/NBD.
func (f *FittedMBGNBD) ProbabilitiesAlive(frequency, recency, T []float64, age []int32, terms []AliveAgeTerms, out []float64) {
	f.model().alives(frequency, recency, T, age, terms, out)
}

// DiscountedExpectedPurchasesWithin returns the discounted expected
// purchases in (T, T+horizon] at a discount rate d per time unit (see
// FittedBGNBD.DiscountedExpectedPurchasesWithin).
func (f *FittedMBGNBD) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	return f.model().discountedWithin(c, d, horizon)
}

// ProbabilityOfPurchases returns P(X(t) = x), the probability that a new
// customer makes exactly x repeat purchases in (0, t]. It returns 0 for
// x < 0 and NaN for t < 0 or NaN.
func (f *FittedMBGNBD) ProbabilityOfPurchases(x int, t float64) float64 {
	return f.model().pmf(x, t)
}
