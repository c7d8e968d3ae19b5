package models

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is the beta-geometric/negative-binomial model of Fader, Hardie & Lee
// (2005), "'Counting your customers' the easy way: an alternative to the
// Pareto/NBD model", Marketing Science 24(2), 275–284, for customers who
// may buy at any time and drop out unobserved.
//
// While alive, a customer buys as a Poisson process with rate λ; after each
// repeat purchase the customer drops out with probability p. Across
// customers λ ~ Gamma(r, α) (shape r, rate α) and p ~ Beta(a, b). A
// customer with x repeat purchases, the last at t_x, observed for T after
// the first purchase, has likelihood (FHL 2005, eq. 6, in the form of
// Fader, Hardie & Lee 2005, "Implementing the BG/NBD model for customer
// base analysis in Excel", brucehardie.com/notes/004)
//
//	ln L = ln A₁ + ln A₂ + ln(A₃ + δ_{x>0}·A₄),
//	A₁ = Γ(r+x) α^r / Γ(r),              A₂ = B(a, b+x)/B(a, b),
//	A₃ = (α+T)^−(r+x),                   A₄ = a/(b+x−1) · (α+t_x)^−(r+x),
//
// evaluated with ln(A₃ + A₄) = ln A₃ + log1p(e^(ln A₄ − ln A₃)). Its
// predictions are
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]          (eq. 9)
//	P(alive | x, t_x, T) = 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
//	E[Y(t) | x, t_x, T] = P(alive) · E[X(t)] at (r+x, α+T, a, b+x)                   (eq. 10)
//	P(X(t) = n) = B(a, b+n)/B(a,b) · NB(n) + δ_{n>0} B(a+1, b+n−1)/B(a,b) · P(N ≥ n)  (eq. 8)
//
// where NB(n) = Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n is the NBD
// probability of n purchases of an immortal customer and P(N ≥ n) its
// tail. The expectations are computed without the cancellation of the
// bracket and without the singularity at a = 1 (see bgfMean in
// hyp2f1_series.go). Times are in the data's unit; parameters are named r,
// alpha, a, b.
type BGNBD struct{}

// Name returns "bgnbd".
func (BGNBD) Name() string { return "bgnbd" }

// Fit estimates r, α, a, b by maximum likelihood; the result is a
// *FittedBGNBD (see FitBGNBD).
func (BGNBD) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	f, err := FitBGNBD(ctx, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FittedBGNBD is a BG/NBD model with its parameters (all > 0) and, after
// FitBGNBD, the fit's diagnostics.
type FittedBGNBD struct {
	R, Alpha float64    // purchase rate λ ~ Gamma(shape R, rate Alpha)
	A, B     float64    // dropout probability p ~ Beta(A, B)
	fit      *FitResult // estimates and diagnostics (Result)
}

// NewFittedBGNBD returns a BG/NBD model with the given parameters, which
// must be finite and > 0. Its Result names the parameters, with no
// likelihood.
func NewFittedBGNBD(r, alpha, a, b float64) (*FittedBGNBD, error) {
	if err := checkBGFParams("bgnbd", r, alpha, a, b); err != nil {
		return nil, err
	}
	return &FittedBGNBD{R: r, Alpha: alpha, A: a, B: b, fit: givenBGFResult("bgnbd", r, alpha, a, b)}, nil
}

// FitBGNBD fits the BG/NBD model on d (Frequency x, Recency t_x, T and the
// optional Weight) by maximum likelihood with the shared machinery
// (analytic gradient; standard errors from the analytic Hessian).
// Rows are not merged here: with many customers, pass the table of
// distinct histories with their weights (datasets.Patterns, as clv does).
// The start (o.Start or a data-based default) is refined by damped Newton
// steps, after a sample of the customers of a very large table (see
// weightedSample) has been fitted first when o.Start is not given. A fit that does not converge
// returns its best point together with a *ConvergenceError.
func FitBGNBD(ctx context.Context, d *Data, o FitOptions) (*FittedBGNBD, error) {
	res, err := fitBGFamily(ctx, "bgnbd", 0, d, o)
	if res == nil {
		return nil, err
	}
	p := res.Params
	return &FittedBGNBD{R: p["r"], Alpha: p["alpha"], A: p["a"], B: p["b"], fit: res}, err
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedBGNBD) Result() *FitResult { return f.fit }

func (f *FittedBGNBD) model() bgfModel { return bgfModel{f.R, f.Alpha, f.A, f.B, 0} }

// LogLikelihood returns ln L(r, α, a, b | x, t_x, T) of one customer (see
// BGNBD), or NaN when c is not a valid history.
func (f *FittedBGNBD) LogLikelihood(c Customer) float64 { return f.model().logLik(c) }

// ExpectedPurchases returns E[X(t)], the expected number of repeat
// purchases of a new customer in (0, t] (FHL 2005, eq. 9); 0 for t ≤ 0.
func (f *FittedBGNBD) ExpectedPurchases(t float64) float64 { return f.model().expected(t) }

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected
// number of purchases in (T, T+t] of a customer with history c (FHL 2005,
// eq. 10); 0 for t ≤ 0 and NaN when c is not a valid history.
func (f *FittedBGNBD) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	return f.model().conditional(c, t)
}

// ProbabilityAlive returns P(alive at T | x, t_x, T); it is 1 for x = 0,
// and NaN when c is not a valid history.
func (f *FittedBGNBD) ProbabilityAlive(c Customer) float64 { return f.model().alive(c) }

// AliveAgeTerms implements AliveTabulator for the BG/NBD: the dropout
// term, in x alone.
func (f *FittedBGNBD) AliveAgeTerms(x, _ float64) AliveAgeTerms { return f.model().aliveAgeTerms(x) }

// ProbabilitiesAlive implements AliveTabulator for the BG/NBD.
func (f *FittedBGNBD) ProbabilitiesAlive(frequency, recency, T []float64, age []int32, terms []AliveAgeTerms, out []float64) {
	f.model().alives(frequency, recency, T, age, terms, out)
}

// DiscountedExpectedPurchasesWithin returns ∫₀^H e^{−δt} dE[Y(t) | c],
// δ = ln(1+d), the discounted expected purchases in (T, T+horizon]
// (HorizonDiscounter; see bgfModel.discountedWithin). horizon = +Inf gives
// DERT (finite for a > 1 or d > 0).
func (f *FittedBGNBD) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	return f.model().discountedWithin(c, d, horizon)
}

// ProbabilityOfPurchases returns P(X(t) = x), the probability that a new
// customer makes exactly x repeat purchases in (0, t] (FHL 2005, eq. 8). It
// returns 0 for x < 0 and NaN for t < 0 or NaN.
func (f *FittedBGNBD) ProbabilityOfPurchases(x int, t float64) float64 {
	return f.model().pmf(x, t)
}

// bgfModel is a member of the BG/NBD family: shift = 0 is the BG/NBD, where
// a customer can drop out only after a repeat purchase; shift = 1 the
// MBG/NBD, where the first purchase is also a dropout opportunity. With
// that, every formula of the family reads B(a, b+x+shift) where the BG/NBD
// has B(a, b+x), and the dropout term is present when x+shift > 0.
type bgfModel struct {
	r, alpha, a, b float64
	shift          float64
}

var bgfNames = []string{"r", "alpha", "a", "b"}

func checkBGFParams(model string, r, alpha, a, b float64) error {
	for i, v := range []float64{r, alpha, a, b} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: parameter %s=%v must be a finite number > 0", model, bgfNames[i], v)
		}
	}
	return nil
}

func givenBGFResult(model string, r, alpha, a, b float64) *FitResult {
	return &FitResult{
		Model:  model,
		Params: Params{"r": r, "alpha": alpha, "a": a, "b": b},
		Method: "given",
	}
}

// dropTerm reports whether a customer with x repeat purchases may already
// have dropped out, and returns ln of the dropout term's coefficient
// a/(b+x−1+shift).
func (m bgfModel) dropTerm(x float64) (bool, float64) {
	if x+m.shift <= 0 {
		return false, 0
	}
	return true, math.Log(m.a) - math.Log(m.b+x-1+m.shift)
}

// bgfRecency returns t_x, which is 0 for a customer without repeat purchases
// (the last purchase is then the first one).
func bgfRecency(c Customer) float64 {
	if c.Frequency == 0 {
		return 0
	}
	return c.Recency
}

func (m bgfModel) logLik(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	x, T := c.Frequency, c.T
	C := m.r + x
	ll := lnGammaRatio(m.r, x) + m.r*math.Log(m.alpha) +
		lnGammaRatio(m.b, x+m.shift) - lnGammaRatio(m.a+m.b, x+m.shift)
	l3 := -C * math.Log(m.alpha+T)
	if ok, lc := m.dropTerm(x); ok {
		l4 := lc - C*math.Log(m.alpha+bgfRecency(c))
		return ll + logAddExp(l3, l4)
	}
	return ll + l3
}

// logOddsDead returns ln[P(dead at T)/P(alive at T)] =
// ln(a/(b+x−1+shift)) + (r+x)·ln((α+T)/(α+t_x)), or −Inf when the customer
// cannot have dropped out.
func (m bgfModel) logOddsDead(c Customer) float64 {
	ok, lc := m.dropTerm(c.Frequency)
	return m.logOddsDeadWith(ok, lc, c)
}

// logOddsDeadWith is logOddsDead given dropTerm(c.Frequency).
func (m bgfModel) logOddsDeadWith(ok bool, lc float64, c Customer) float64 {
	if !ok {
		return math.Inf(-1)
	}
	tx := bgfRecency(c)
	return lc + (m.r+c.Frequency)*math.Log1p((c.T-tx)/(m.alpha+tx))
}

func (m bgfModel) alive(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	return 1 / (1 + math.Exp(m.logOddsDead(c)))
}

// aliveAgeTerms returns the dropout term of P(alive), which depends on x
// alone (see AliveTabulator).
func (m bgfModel) aliveAgeTerms(x float64) AliveAgeTerms {
	ok, lc := m.dropTerm(x)
	if !ok {
		return AliveAgeTerms{}
	}
	return AliveAgeTerms{1, lc}
}

// alives sets out[j] to alive of the history (frequency[j], recency[j],
// T[j]), bit for bit, given terms[age[j]] = aliveAgeTerms(frequency[j]).
func (m bgfModel) alives(frequency, recency, T []float64, age []int32, terms []AliveAgeTerms, out []float64) {
	for j := range out {
		c := Customer{Frequency: frequency[j], Recency: recency[j], T: T[j]}
		if !ValidHistory(c) {
			out[j] = math.NaN()
			continue
		}
		at := terms[age[j]]
		out[j] = 1 / (1 + math.Exp(m.logOddsDeadWith(at.u == 1, at.v, c)))
	}
}

// expected is E[X(t)] of a new customer: G(t; r, α, a, b) for the BG/NBD,
// and b/(a+b)·G(t; r, α, a, b+1) for the MBG/NBD, whose customer survives
// the first purchase with probability b/(a+b) and then behaves as a
// BG/NBD customer with p ~ Beta(a, b+1).
func (m bgfModel) expected(t float64) float64 {
	if math.IsNaN(t) {
		return math.NaN()
	}
	if m.shift == 0 {
		return bgfMean(t, m.r, m.alpha, m.a, m.b)
	}
	return m.b / (m.a + m.b) * bgfMean(t, m.r, m.alpha, m.a, m.b+1)
}

// conditional is P(alive | history) times the mean number of purchases of
// an alive customer, whose posterior is λ ~ Gamma(r+x, α+T) and
// p ~ Beta(a, b+x+shift), and who from T on is a fresh BG/NBD customer.
func (m bgfModel) conditional(c Customer, t float64) float64 {
	if !ValidHistory(c) || math.IsNaN(t) {
		return math.NaN()
	}
	if !(t > 0) {
		return 0
	}
	pa := m.alive(c)
	if pa == 0 {
		return 0
	}
	x := c.Frequency
	return pa * bgfMean(t, m.r+x, m.alpha+c.T, m.a, m.b+x+m.shift)
}

// discountedWithin returns ∫₀^H e^{−δt} dE[Y(t) | c], δ = ln(1+d): P(alive)
// times the discounted purchases of an alive customer, a fresh BG/NBD
// customer with the posterior parameters (r+x, α+T, a, b+x+shift) (see
// aliveDiscounted). NaN for an invalid history, d < 0 or a horizon < 0 or
// NaN.
func (m bgfModel) discountedWithin(c Customer, d, horizon float64) float64 {
	if !ValidHistory(c) || !(d >= 0) || math.IsInf(d, 0) || !(horizon >= 0) {
		return math.NaN()
	}
	pa := m.alive(c)
	if pa == 0 {
		return 0
	}
	return pa * m.aliveDiscounted(c.Frequency, c.T, d, horizon)
}

// pmf is P(X(t) = n): the customer makes n purchases and is alive after
// the n-th (first term), or drops out right after the n-th while the
// immortal process would have made at least n (second term). The beta
// ratios are B(a, b+m)/B(a, b) = (b)_m/(a+b)_m and B(a+1, b+m)/B(a, b) =
// a/(a+b+m)·(b)_m/(a+b)_m. Rounding can put a probability of 1 a few ulps
// above 1; the result is clamped to [0, 1].
func (m bgfModel) pmf(n int, t float64) float64 {
	switch {
	case math.IsNaN(t) || t < 0:
		return math.NaN()
	case n < 0:
		return 0
	case t == 0:
		if n == 0 {
			return 1
		}
		return 0
	}
	x := float64(n)
	// lnDrop is ln P(J = n), the probability of dropping out right after
	// the n-th repeat purchase (after the first purchase when n = 0 in
	// the MBG/NBD).
	lnDrop := math.Inf(-1)
	if k := x - 1 + m.shift; k >= 0 {
		lnDrop = math.Log(m.a) - math.Log(m.a+m.b+k) + lnBetaRatio(m.a, m.b, k)
	}
	if math.IsInf(t, 1) {
		// The customer surely drops out, after J purchases.
		return math.Min(math.Exp(lnDrop), 1)
	}
	lz := -math.Log1p(m.alpha / t) // ln z, z = t/(α+t)
	lw := -math.Log1p(t / m.alpha) // ln(1−z)
	lnb := lnGammaRatio(m.r, x) - lgamma(x+1) + m.r*lw
	if n > 0 {
		lnb += x * lz
	}
	p := math.Exp(lnBetaRatio(m.a, m.b, x+m.shift) + lnb)
	if !math.IsInf(lnDrop, -1) {
		tail := 1.0 // P(N ≥ 0)
		if n > 0 {
			tail, _ = regIncBetaPair(x, m.r, math.Exp(lz), math.Exp(lw))
		}
		p += math.Exp(lnDrop) * tail
	}
	return math.Min(p, 1)
}

// fitBGFamily fits a member of the family (shift 0: BG/NBD, 1: MBG/NBD).
//
// The shared machinery (maximize) does the fit and its diagnostics; this
// function only finds it a good starting point, which makes the fit several
// times cheaper: on very large data it first fits a sample of the
// customers, and it then refines the start by a few damped Newton
// (Levenberg–Marquardt) steps with the analytic Hessian (logLikHess), after
// which the optimizer usually finds the gradient already below its
// threshold.
func fitBGFamily(ctx context.Context, model string, shift float64, d *Data, o FitOptions) (*FitResult, error) {
	rows, err := newBGFRows(d, shift)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	if err := checkIdentifiable(model, o, rows.n, rows.sumX, rows.informative()); err != nil {
		return nil, err
	}
	start := rows.start()
	for i, name := range bgfNames {
		if v, ok := o.Start[name]; ok {
			start[i] = v
		}
	}
	steps := 0
	if len(o.Start) == 0 && rows.len() > bgfWarmStartRows {
		// The subsample's estimates are within a few standard errors of
		// the full-data ones, a start from which Newton steps converge
		// at once.
		sub := rows.subsample(bgfWarmSampleRows)
		var k int
		start, k, _ = sub.polish(ctx, start, o, bgfPolishSteps)
		steps += k
	}
	// The last Newton step's point is maximize's start: evaluated once.
	mem := newLastEval()
	llHess := func(p, grad, hess []float64) float64 { return mem.eval(p, 2, grad, hess, rows.eval) }
	polished, k, hess := newtonPolish(ctx, llHess, bgfNames, rows.n, start, o, newtonSettings(bgfPolishSteps))
	steps += k
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("%s: fit interrupted: %w", model, ctxErr)
	}
	opts := o
	opts.Start = Params{}
	for i, name := range bgfNames {
		opts.Start[name] = polished[i]
	}
	lk := rows.likelihood(model)
	lk.logLik = func(p, grad []float64) float64 {
		if grad == nil {
			return mem.eval(p, 0, nil, nil, rows.eval)
		}
		return mem.eval(p, 1, grad, nil, rows.eval)
	}
	if hess != nil {
		// The optimizer usually stops where the polish did (up to the
		// rounding of exp(log p)); the Hessian there is then known.
		full := lk.hessian
		lk.hessian = func(p []float64) []float64 {
			for i := range p {
				if math.Abs(p[i]-polished[i]) > 1e-14*polished[i] {
					return full(p)
				}
			}
			return append([]float64(nil), hess...)
		}
	}
	res, err := maximize(ctx, lk, opts)
	if res != nil {
		res.Iterations += steps
	}
	return res, err
}

// bgfPolishSteps caps the Newton steps of fitBGFamily's start refinement.
const bgfPolishSteps = 30

// polish refines p0 by damped Newton steps on the rows' likelihood (see
// newtonPolish).
func (rs *bgfRows) polish(ctx context.Context, p0 []float64, o FitOptions, maxSteps int) ([]float64, int, []float64) {
	return newtonPolish(ctx, rs.logLikHess, bgfNames, rs.n, p0, o, newtonSettings(maxSteps))
}

// bgfWarmStartRows is the number of rows above which fitBGFamily first fits
// a sample of about bgfWarmSampleRows customers.
const (
	bgfWarmStartRows  = 200000
	bgfWarmSampleRows = 40000
)

// bgfRows is the calibration data of a BG/NBD-family fit, prepared once:
// rows (distinct histories with weights, when the caller merged them),
// and the index of each row's
// frequency into the distinct frequencies, so that the terms that depend
// on x only (ln Γ(r+x), ln B(a, b+x+shift) and their derivatives) are
// computed once per distinct x and evaluation.
type bgfRows struct {
	shift float64
	xs    []float64 // distinct frequencies
	wx    []float64 // total weight of the rows with frequency xs[k]
	xi    []int32   // row → index into xs
	tx, T []float64 // recency (0 when x = 0) and age, per row
	w     []float64 // weight per row; nil means 1
	// When the rows hold few distinct times (real data, in whole days),
	// tau lists them and iT, iX index each row's T and t_x into it, so
	// that ln(α+τ) and 1/(α+τ) are computed once per distinct time.
	tau    []float64
	iT, iX []int32
	n      float64 // total weight
	sumT   float64 // Σ w·T, for the start values
	sumX   float64 // Σ w·x
}

func (rs *bgfRows) len() int { return len(rs.T) }

// informative returns the number of distinct histories with T > 0 and
// weight > 0, up to 2 (see informativeHistories).
func (rs *bgfRows) informative() int {
	return informativeHistories(rs.xs, rs.xi, rs.tx, rs.T, rs.weight)
}

// newBGFRows prepares the (valid) table d for the likelihood: the
// distinct frequencies and, for times in whole days, the distinct times.
// The rows are taken as they come: a caller with many customers passes the
// table of their distinct histories with weights (see FitBGNBD).
func newBGFRows(d *Data, shift float64) (*bgfRows, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	n := d.Len()
	rs := &bgfRows{shift: shift, T: d.T, tx: d.Recency, w: d.Weight, xi: make([]int32, n)}
	idx := newFreqIndex()
	copied := false
	for i := 0; i < n; i++ {
		x := d.Frequency[i]
		rs.xi[i] = idx.of(x)
		// t_x is 0 without repeat purchases, and at most T.
		tx := 0.0
		if x != 0 {
			tx = math.Min(d.Recency[i], d.T[i])
		}
		if tx != d.Recency[i] {
			if !copied {
				rs.tx = append([]float64(nil), d.Recency...)
				copied = true
			}
			rs.tx[i] = tx
		}
	}
	rs.xs = idx.values
	rs.wx = make([]float64, len(rs.xs))
	for i := range rs.T {
		w := rs.weight(i)
		k := rs.xi[i]
		rs.wx[k] += w
		rs.n += w
		rs.sumT += w * rs.T[i]
		rs.sumX += w * rs.xs[k]
	}
	if !(rs.n > 0) {
		return nil, fmt.Errorf("every customer has weight 0")
	}
	rs.buildTimeTable()
	return rs, nil
}

// buildTimeTable sets tau, iT and iX when the distinct values of T and
// t_x number at most half the rows.
func (rs *bgfRows) buildTimeTable() {
	if tau, iX, iT, ok := indexTimes(rs.tx, rs.T, rs.len()/2); ok {
		rs.tau, rs.iT, rs.iX = tau, iT, iX
	}
}

// timeTable returns ln(α+τ) and 1/(α+τ) for the distinct times, or nils
// when the rows have no table.
func (rs *bgfRows) timeTable(alpha float64) (lnA, invA []float64) {
	if rs.tau == nil {
		return nil, nil
	}
	lnA, invA = make([]float64, len(rs.tau)), make([]float64, len(rs.tau))
	for j, t := range rs.tau {
		lnA[j] = math.Log(alpha + t)
		invA[j] = 1 / (alpha + t)
	}
	return lnA, invA
}

func (rs *bgfRows) weight(i int) float64 {
	if rs.w == nil {
		return 1
	}
	return rs.w[i]
}

// subsample returns a sample of about m customers (see weightedSample),
// each row drawn k times weighing k, sharing the frequency and time
// tables.
func (rs *bgfRows) subsample(m int) *bgfRows {
	sub := &bgfRows{shift: rs.shift, xs: rs.xs, wx: make([]float64, len(rs.xs)), tau: rs.tau}
	c := min(rs.len(), m) // the rows drawn, at most
	sub.xi, sub.tx, sub.T, sub.w = make([]int32, 0, c), make([]float64, 0, c), make([]float64, 0, c), make([]float64, 0, c)
	if rs.tau != nil {
		sub.iT, sub.iX = make([]int32, 0, c), make([]int32, 0, c)
	}
	weightedSample(rs.len(), rs.weight, rs.n, m, func(i int, k float64) {
		if rs.tau != nil {
			sub.iT = append(sub.iT, rs.iT[i])
			sub.iX = append(sub.iX, rs.iX[i])
		}
		sub.xi = append(sub.xi, rs.xi[i])
		sub.tx = append(sub.tx, rs.tx[i])
		sub.T = append(sub.T, rs.T[i])
		sub.w = append(sub.w, k)
		sub.wx[rs.xi[i]] += k
		sub.n += k
		sub.sumT += k * rs.T[i]
		sub.sumX += k * rs.xs[rs.xi[i]]
	})
	return sub
}

// start returns starting values: r = 1, α such that r/α is the mean
// purchase rate Σx/ΣT, and a = 1, b = 3.
func (rs *bgfRows) start() []float64 {
	alpha := rs.sumT / math.Max(rs.sumX, 1e-3*rs.n)
	alpha = math.Min(math.Max(alpha, 1e-6), 1e6)
	return []float64{1, alpha, 1, 3}
}

func (rs *bgfRows) likelihood(model string) likelihood {
	hessian := func(p []float64) []float64 {
		h := make([]float64, 16)
		rs.logLikHess(p, make([]float64, 4), h)
		return h
	}
	return likelihood{model: model, names: bgfNames, start: rs.start(), logLik: rs.logLik, n: rs.n, hessian: hessian}
}

// bgfPerX holds, for one evaluation, the terms of the likelihood that
// depend on the frequency only.
type bgfPerX struct {
	ll             float64    // Σ_k w_k·[lnΓ(r+x) − lnΓ(r) + ln B(a, b+x+s) − ln B(a, b)] + n·r·ln α
	g              [4]float64 // its gradient
	h              [4][4]float64
	lc             []float64 // ln(a/(b+x−1+s)), when the dropout term exists
	inv            []float64 // 1/(b+x−1+s)
	has            []bool    // whether the dropout term exists (x+s > 0)
	bad            bool      // parameters outside the space
	r, alpha, a, b float64
}

// perX prepares the frequency-only terms at p; order 0 computes the value,
// 1 adds the gradient, 2 adds the Hessian.
func (rs *bgfRows) perX(p []float64, order int) *bgfPerX {
	r, alpha, a, b := p[0], p[1], p[2], p[3]
	px := &bgfPerX{r: r, alpha: alpha, a: a, b: b}
	if !(r > 0 && alpha > 0 && a > 0 && b > 0) || math.IsInf(r+alpha+a+b, 0) {
		px.bad = true
		return px
	}
	s := rs.shift
	nx := len(rs.xs)
	px.lc = make([]float64, nx)
	px.inv = make([]float64, nx)
	px.has = make([]bool, nx)
	la := math.Log(a)
	var psiR, psiB, psiAB, triR, triB, triAB float64
	if order >= 1 {
		psiR, psiB, psiAB = mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
	}
	if order >= 2 {
		triR, triB, triAB = trigamma(r), trigamma(b), trigamma(a+b)
	}
	lalpha := math.Log(alpha)
	ll := rs.n * r * lalpha
	g, h := &px.g, &px.h
	for k, x := range rs.xs {
		if w := rs.wx[k]; w != 0 {
			ll += w * (lnGammaRatio(r, x) + lnGammaRatio(b, x+s) - lnGammaRatio(a+b, x+s))
			if order >= 1 {
				pabx := mathext.Digamma(a + b + x + s)
				g[0] += w * (mathext.Digamma(r+x) - psiR)
				g[2] += w * (psiAB - pabx)
				g[3] += w * (mathext.Digamma(b+x+s) - psiB + psiAB - pabx)
			}
			if order >= 2 {
				tabx := trigamma(a + b + x + s)
				h[0][0] += w * (trigamma(r+x) - triR)
				h[2][2] += w * (triAB - tabx)
				h[2][3] += w * (triAB - tabx)
				h[3][3] += w * (trigamma(b+x+s) - triB + triAB - tabx)
			}
		}
		if x+s > 0 {
			px.has[k] = true
			px.lc[k] = la - math.Log(b+x-1+s)
			px.inv[k] = 1 / (b + x - 1 + s)
		}
	}
	px.ll = ll
	g[0] += rs.n * lalpha
	g[1] += rs.n * r / alpha
	h[0][1] += rs.n / alpha
	h[1][1] -= rs.n * r / (alpha * alpha)
	return px
}

// logLik returns the total weighted log-likelihood at p = (r, α, a, b)
// and, when grad is not nil, its gradient (see bgfRows.eval).
func (rs *bgfRows) logLik(p, grad []float64) float64 {
	if grad == nil {
		return rs.eval(p, 0, nil, nil)
	}
	return rs.eval(p, 1, grad, nil)
}

// logLikHess returns the total log-likelihood at p with its gradient and
// Hessian (row-major 4×4; see bgfRows.eval).
func (rs *bgfRows) logLikHess(p, grad, hess []float64) float64 {
	return rs.eval(p, 2, grad, hess)
}

// eval returns the total weighted log-likelihood at p = (r, α, a, b) (see
// BGNBD) and, by derivative order, its gradient (order ≥ 1, stored in
// grad) and Hessian (order 2, row-major 4×4 in hess): one kernel for
// every order, as Pareto/NBD has. Per distinct x it needs (perX)
//
//	∂/∂r: ψ(r+x) − ψ(r),  ∂/∂a: ψ(a+b) − ψ(a+b+x+s),
//	∂/∂b: ψ(b+x+s) − ψ(b) + ψ(a+b) − ψ(a+b+x+s)   (s = shift),
//
// and their trigamma counterparts, plus r·ln α. Per row (bgfRows.rows),
// with u = ln(α+T), v = ln(α+t_x), A = α+T, X = α+t_x, the dropout odds
// d = ln(a/(b+x−1+s)) − (r+x)(v−u) and π = 1/(1+e^−d) (the posterior
// probability of having dropped out), the row adds ln(1+e^d) − (r+x)u and
//
//	∂/∂r: −u − π(v−u),  ∂/∂α: −(r+x)((1−π)/A + π/X),
//	∂/∂a: π/a,           ∂/∂b: −π/(b+x−1+s),
//
// and, with e = 1/X − 1/A and ∇d = (−(v−u), −(r+x)e, 1/a, −1/(b+x−1+s)),
//
//	∇²ℓ = [∂²/∂r∂α = −1/A, ∂²/∂α² = (r+x)/A²] + π(1−π)·∇d∇dᵀ + π·∇²d,
//	∇²d: ∂²/∂r∂α = −e, ∂²/∂α² = (r+x)(1/X² − 1/A²), ∂²/∂a² = −1/a²,
//	     ∂²/∂b² = 1/(b+x−1+s)².
func (rs *bgfRows) eval(p []float64, order int, grad, hess []float64) float64 {
	for i := range grad {
		grad[i] = 0
	}
	for i := range hess {
		hess[i] = 0
	}
	px := rs.perX(p, order)
	if px.bad {
		return math.Inf(-1)
	}
	// acc packs the gradient (0–3) and the upper triangle of the Hessian
	// (4–13, row by row) for parallelSum.
	var acc []float64
	switch order {
	case 1:
		acc = make([]float64, 4)
	case 2:
		acc = make([]float64, 14)
	}
	lnA, invA := rs.timeTable(px.alpha)
	ll := px.ll + parallelSum(len(rs.T), len(acc), acc, func(lo, hi int, g []float64) float64 {
		return rs.rows(px, lnA, invA, order, lo, hi, g)
	})
	if order >= 1 {
		for j := 0; j < 4; j++ {
			grad[j] = px.g[j] + acc[j]
		}
	}
	if order >= 2 {
		m := 4
		for j := 0; j < 4; j++ {
			for l := j; l < 4; l++ {
				v := px.h[j][l] + acc[m]
				hess[4*j+l], hess[4*l+j] = v, v
				m++
			}
		}
	}
	return ll
}

// rows sums the per-row terms of eval over rows [lo, hi) and adds their
// derivatives of the given order into g (packed as in eval).
func (rs *bgfRows) rows(px *bgfPerX, lnA, invA []float64, order, lo, hi int, g []float64) float64 {
	r, alpha, a := px.r, px.alpha, px.a
	lc, inv, has := px.lc, px.inv, px.has
	xs, xi, tx, T, wr := rs.xs, rs.xi, rs.tx, rs.T, rs.w
	var sum float64
	var q [14]float64
	for i := lo; i < hi; i++ {
		w := 1.0
		if wr != nil {
			w = wr[i]
		}
		k := xi[i]
		C := r + xs[k]
		// The two time lookups below are written out: as a function they
		// exceed the inlining budget, and the call would cost this hot loop.
		var u, iA float64 // ln(α+T), 1/(α+T)
		if lnA != nil {
			u, iA = lnA[rs.iT[i]], invA[rs.iT[i]]
		} else {
			aT := alpha + T[i]
			u, iA = math.Log(aT), 1/aT
		}
		if order >= 2 {
			q[5] -= w * iA          // ∂²/∂r∂α
			q[8] += w * C * iA * iA // ∂²/∂α²
		}
		if !has[k] {
			sum -= w * C * u
			q[0] -= w * u
			q[1] -= w * C * iA
			continue
		}
		var v, iX float64 // ln(α+t_x), 1/(α+t_x)
		if lnA != nil {
			v, iX = lnA[rs.iX[i]], invA[rs.iX[i]]
		} else {
			aX := alpha + tx[i]
			v, iX = math.Log(aX), 1/aX
		}
		dl := v - u
		d := lc[k] - C*dl
		var sp, pi float64 // softplus(d) = ln(1+e^d), sigmoid(d)
		if d > 0 {
			e := math.Exp(-d)
			sp, pi = d+math.Log1p(e), 1/(1+e)
		} else {
			e := math.Exp(d)
			sp, pi = math.Log1p(e), e/(1+e)
		}
		sum += w * (sp - C*u)
		if order == 0 {
			continue
		}
		q[0] -= w * (u + pi*dl)
		q[1] -= w * C * ((1-pi)*iA + pi*iX)
		q[2] += w * pi / a
		q[3] -= w * pi * inv[k]
		if order < 2 {
			continue
		}
		e := iX - iA
		dd := [4]float64{-dl, -C * e, 1 / a, -inv[k]}
		kw := w * pi * (1 - pi)
		pw := w * pi
		// Upper triangle (j ≤ l) of kw·dd·ddᵀ plus pw·∇²d.
		q[4] += kw * dd[0] * dd[0]
		q[5] += kw*dd[0]*dd[1] - pw*e
		q[6] += kw * dd[0] * dd[2]
		q[7] += kw * dd[0] * dd[3]
		q[8] += kw*dd[1]*dd[1] + pw*C*(iX*iX-iA*iA)
		q[9] += kw * dd[1] * dd[2]
		q[10] += kw * dd[1] * dd[3]
		q[11] += kw*dd[2]*dd[2] - pw/(a*a)
		q[12] += kw * dd[2] * dd[3]
		q[13] += kw*dd[3]*dd[3] + pw*inv[k]*inv[k]
	}
	for j := range g {
		g[j] += q[j]
	}
	return sum
}
