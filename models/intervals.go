package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"

	"github.com/clv-dev/clv/datasets/keyindex"
	"gonum.org/v1/gonum/mat"
)

// Predictive intervals for holdout purchases.
//
// For a customer with history (x, t_x, T), the buy-till-you-die models give
// the whole distribution of the purchases Y(t) in (T, T+t], not only its
// mean. Given the customer is alive at T (probability P(alive)), the
// posterior of the individual parameters is that of the prior updated by
// the history, and the future is a fresh process of the same model:
//
//	BG/NBD:     λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x)      (Fader, Hardie & Lee 2005)
//	MBG/NBD:    λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x+1)    (x+1 dropout chances survived)
//	Pareto/NBD: λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T)     (Schmittlein, Morrison & Colombo 1987)
//	BG/BB:      p ~ Beta(α+x, β+n−x), θ ~ Beta(γ, δ+n)     (Fader, Hardie & Shang 2010; T = n opportunities)
//
// so that
//
//	P(Y(t) = y | history) = (1 − P(alive)) · 1{y = 0} + P(alive) · P'(X(t) = y),
//
// with P' the model's own P(X(t) = y) (ProbabilityOfPurchases) at the
// updated parameters (for the Pareto/NBD, Fader & Hardie's conditional PMF,
// brucehardie.com/notes/028; its whole distribution in one pass, see
// pnbdDistribution). Its mean is the model's E[Y(t) | history], which the
// tests check.
//
// Parameter uncertainty. The estimates are uncertain; the predictive
// distribution mixes the distribution above over Draws parameter vectors
// drawn from the asymptotic normal of the log-parameters, N(ln θ̂, Σ), with
// Σ the inverse of the observed information of the log-parameters (the
// Hessian of the weighted total log-likelihood by central differences of
// the models' own per-customer log-likelihood, at the estimate).
//
// Intervals. The per-customer interval at level L is the pair of integer
// quantiles [F⁻¹((1−L)/2), F⁻¹((1+L)/2)] of the mixture. Counts are
// discrete, so the share of customers inside these integer bounds is at
// least L (often well above it for sparse counts, where P(Y = 0) alone
// exceeds (1+L)/2); coverage is therefore scored by the randomized
// probability integral transform (Czado, Gneiting & Held 2009, "Predictive
// model assessment for count data", Biometrics 65(4)): u = F(y−1) +
// V·P(y), V uniform, is uniform on (0, 1) when the model is right, and a
// customer is covered when u lies in [(1−L)/2, (1+L)/2], which happens with
// probability L exactly.
//
// The cohort total. Customers are independent given the parameters, so per
// parameter draw the total has mean Σ w_i E_d[Y_i] and variance
// Σ w_i Var_d[Y_i] and is approximated by a normal (the sum of thousands of
// customers); the total's distribution is the mixture of these normals over
// the draws, which carries the parameter uncertainty all customers share.

// DefaultIntervalDraws is the number of parameter draws when
// IntervalOptions.Draws is 0.
const DefaultIntervalDraws = 20

// IntervalOptions tunes PurchaseIntervals.
type IntervalOptions struct {
	// Level is the interval's probability, in (0, 1) (0: 0.8).
	Level float64
	// Draws is the number of parameter draws (0: DefaultIntervalDraws).
	Draws int
	// FixedParameters ignores parameter uncertainty: one "draw", the
	// estimate itself.
	FixedParameters bool
	// Seed seeds the parameter draws.
	Seed uint64
}

// predictiveModel is a buy-till-you-die model whose conditional
// distribution of future purchases is known.
type predictiveModel interface {
	params() []float64
	with(p []float64) (predictiveModel, error)
	logLik(c Customer) float64
	// future returns P(alive at T | c) and the model of the purchases after
	// T of a customer alive at T.
	future(c Customer) (alive float64, next interface{ ProbabilityOfPurchases(int, float64) float64 }, err error)
}

type bgnbdPredictive struct{ f *FittedBGNBD }

func (m bgnbdPredictive) params() []float64 { return []float64{m.f.R, m.f.Alpha, m.f.A, m.f.B} }
func (m bgnbdPredictive) with(p []float64) (predictiveModel, error) {
	f, err := NewFittedBGNBD(p[0], p[1], p[2], p[3])
	return bgnbdPredictive{f}, err
}
func (m bgnbdPredictive) logLik(c Customer) float64 { return m.f.LogLikelihood(c) }
func (m bgnbdPredictive) future(c Customer) (float64, interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	next, err := m.futureModel(c)
	return m.f.ProbabilityAlive(c), next, err
}

// futureModel is future without P(alive at T): the BG/NBD at the updated
// parameters.
func (m bgnbdPredictive) futureModel(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	return newBGFFuture(m.f.R+c.Frequency, m.f.Alpha+c.T, m.f.A, m.f.B+c.Frequency)
}
func (m bgnbdPredictive) aliveAt(c Customer) float64 { return m.f.ProbabilityAlive(c) }

type mbgnbdPredictive struct{ f *FittedMBGNBD }

func (m mbgnbdPredictive) params() []float64 { return []float64{m.f.R, m.f.Alpha, m.f.A, m.f.B} }
func (m mbgnbdPredictive) with(p []float64) (predictiveModel, error) {
	f, err := NewFittedMBGNBD(p[0], p[1], p[2], p[3])
	return mbgnbdPredictive{f}, err
}
func (m mbgnbdPredictive) logLik(c Customer) float64 { return m.f.LogLikelihood(c) }
func (m mbgnbdPredictive) future(c Customer) (float64, interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	next, err := m.futureModel(c)
	return m.f.ProbabilityAlive(c), next, err
}

// futureModel is future without P(alive at T). Alive at T, the customer
// survived x+1 dropout chances; the future has no chance at T itself (no
// purchase there): a BG/NBD process.
func (m mbgnbdPredictive) futureModel(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	return newBGFFuture(m.f.R+c.Frequency, m.f.Alpha+c.T, m.f.A, m.f.B+c.Frequency+1)
}

// bgfFuture is the BG/NBD of a customer's purchases after T, as
// NewFittedBGNBD would give it (the same pmf and distribution) without the
// fit result that the intervals never read: one per (x, T) group and draw.
type bgfFuture struct{ m bgfModel }

// newBGFFuture checks the parameters as NewFittedBGNBD does (the same
// error) and returns the BG/NBD (shift 0) at them.
func newBGFFuture(r, alpha, a, b float64) (bgfFuture, error) {
	if err := checkBGFParams("bgnbd", r, alpha, a, b); err != nil {
		return bgfFuture{}, err
	}
	return bgfFuture{bgfModel{r, alpha, a, b, 0}}, nil
}

// ProbabilityOfPurchases is FittedBGNBD.ProbabilityOfPurchases.
func (f bgfFuture) ProbabilityOfPurchases(y int, t float64) float64 { return f.m.pmf(y, t) }

// distribution gives futurePMF the whole distribution at once.
func (f bgfFuture) distribution(t float64) ([]float64, bool) {
	return f.m.distribution(t, pmfTailMass, maxPurchasesInInterval)
}
func (m mbgnbdPredictive) aliveAt(c Customer) float64 { return m.f.ProbabilityAlive(c) }

// paretoPredictive carries the Gauss–Legendre rules of the whole
// distribution (pnbdDistribution) from draw to draw.
type paretoPredictive struct {
	f     *FittedParetoNBD
	rules *legendreRules
}

func (m paretoPredictive) params() []float64 { return []float64{m.f.R, m.f.Alpha, m.f.S, m.f.Beta} }
func (m paretoPredictive) with(p []float64) (predictiveModel, error) {
	f, err := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
	return paretoPredictive{f, m.rules}, err
}
func (m paretoPredictive) logLik(c Customer) float64 { return m.f.LogLikelihood(c) }
func (m paretoPredictive) future(c Customer) (float64, interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	next, err := m.futureModel(c)
	if err != nil {
		return 0, nil, err
	}
	return m.f.ProbabilityAlive(c), next, nil
}

// futureModel is future without P(alive at T): the Pareto/NBD at the
// updated parameters, checked as NewFittedParetoNBD does (the same error)
// but without the fit result that the intervals never read.
func (m paretoPredictive) futureModel(c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	p := [4]float64{m.f.R + c.Frequency, m.f.Alpha + c.T, m.f.S, m.f.Beta + c.T}
	if err := checkParetoParams(p[0], p[1], p[2], p[3]); err != nil {
		return nil, err
	}
	return paretoFuture{&FittedParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}, m.rules}, nil
}

// futureOf is m.future without P(alive at T), which drawFutures does not
// need: the predictive types' futureModel, or future's model.
func futureOf(m predictiveModel, c Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	if fm, ok := m.(interface {
		futureModel(Customer) (interface{ ProbabilityOfPurchases(int, float64) float64 }, error)
	}); ok {
		return fm.futureModel(c)
	}
	_, next, err := m.future(c)
	return next, err
}

// paretoFuture gives futurePMF the whole distribution at once.
type paretoFuture struct {
	*FittedParetoNBD
	rules *legendreRules
}

func (p paretoFuture) distribution(t float64) ([]float64, bool) {
	return p.distributionCached(t, nil)
}

// distributionCached is distribution with the node logs kept in cache.
func (p paretoFuture) distributionCached(t float64, cache *futureCache) ([]float64, bool) {
	return p.pnbdDistributionCached(p.rules, t, pmfTailMass, maxPurchasesInInterval, cache), true
}
func (m paretoPredictive) aliveAt(c Customer) float64 { return m.f.ProbabilityAlive(c) }

type bgbbPredictive struct{ f *FittedBGBB }

func (m bgbbPredictive) params() []float64 {
	return []float64{m.f.Alpha, m.f.Beta, m.f.Gamma, m.f.Delta}
}
func (m bgbbPredictive) with(p []float64) (predictiveModel, error) {
	f, err := NewFittedBGBB(p[0], p[1], p[2], p[3])
	return bgbbPredictive{f}, err
}
func (m bgbbPredictive) logLik(c Customer) float64 { return m.f.LogLikelihoodOf(c) }
func (m bgbbPredictive) future(c Customer) (float64, interface{ ProbabilityOfPurchases(int, float64) float64 }, error) {
	// Alive after the n-th opportunity: p ~ Beta(α+x, β+n−x), θ ~ Beta(γ, δ+n),
	// and the next opportunities are a new customer's (Fader, Hardie &
	// Shang 2010).
	next, err := NewFittedBGBB(m.f.Alpha+c.Frequency, m.f.Beta+c.T-c.Frequency, m.f.Gamma, m.f.Delta+c.T)
	return m.f.ProbabilityAliveAt(c, 0), bgbbWholeHorizon{next}, err
}

// bgbbWholeHorizon reads a horizon as whole opportunities, rounded down as
// in FittedBGBB.ConditionalExpectedPurchases.
type bgbbWholeHorizon struct{ f *FittedBGBB }

func (b bgbbWholeHorizon) ProbabilityOfPurchases(y int, t float64) float64 {
	return b.f.ProbabilityOfPurchases(y, int(math.Floor(t)))
}

// predictiveOf returns the predictive form of a fitted model, or an error
// naming the models that have one.
func predictiveOf(f FittedPurchases) (predictiveModel, error) {
	switch m := f.(type) {
	case *FittedBGNBD:
		return bgnbdPredictive{m}, nil
	case *FittedMBGNBD:
		return mbgnbdPredictive{m}, nil
	case *FittedParetoNBD:
		return paretoPredictive{m, newLegendreRules()}, nil
	case *FittedBGBB:
		return bgbbPredictive{m}, nil
	}
	return nil, fmt.Errorf("prediction intervals: %s has no predictive distribution here (BG/NBD, MBG/NBD, Pareto/NBD and BG/BB have); the heuristics get no intervals", modelName(f))
}

func modelName(f FittedPurchases) string {
	if r := f.Result(); r != nil && r.Model != "" {
		return r.Model
	}
	return fmt.Sprintf("%T", f)
}

// PurchaseIntervals holds the predictive distribution of holdout purchases
// for every row of the data and of the cohort total (see the notes above).
type PurchaseIntervals struct {
	Level float64
	// Lower and Upper are the per-row integer interval bounds.
	Lower, Upper []int
	// Mean is the per-row predictive mean (over the parameter draws).
	Mean []float64
	// TotalMean, TotalLower and TotalUpper describe the cohort total Σ w_i Y_i.
	TotalMean, TotalLower, TotalUpper float64

	cdf                  [][]float64 // per row, the mixture CDF at y = 0, 1, …
	drawMeans, drawVars  []float64   // per draw, the total's mean and variance
	lowerTail, upperTail float64
}

// NewPurchaseIntervals computes the predictive distribution of the
// purchases in (T, T+horizon] for every row of d under the fitted model f,
// which must have been fitted on d (the observed information is taken
// there). Rows stand for Weight customers each in the cohort total.
func NewPurchaseIntervals(f FittedPurchases, d *Data, horizon float64, o IntervalOptions) (*PurchaseIntervals, error) {
	out, err := NewPurchaseIntervalsAt(f, d, []float64{horizon}, o)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// NewPurchaseIntervalsAt is NewPurchaseIntervals at several horizons (the
// holdout's and the CLV's) from the same parameter draws: the observed
// information and every row's P(alive) under each draw are computed once.
// out[h] equals NewPurchaseIntervals at horizons[h].
func NewPurchaseIntervalsAt(f FittedPurchases, d *Data, horizons []float64, o IntervalOptions) ([]*PurchaseIntervals, error) {
	pm, err := predictiveOf(f)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("prediction intervals: %w", err)
	}
	for _, horizon := range horizons {
		if !(horizon > 0) || math.IsInf(horizon, 0) {
			return nil, fmt.Errorf("prediction intervals: the horizon %v must be a finite number > 0", horizon)
		}
	}
	if o.Level == 0 {
		o.Level = 0.8
	}
	if !(o.Level > 0 && o.Level < 1) {
		return nil, fmt.Errorf("prediction intervals: the level %v must lie in (0, 1)", o.Level)
	}
	draws, err := parameterDraws(pm, d, o)
	if err != nil {
		return nil, err
	}
	out := make([]*PurchaseIntervals, len(horizons))
	for h := range out {
		out[h] = &PurchaseIntervals{Level: o.Level, lowerTail: (1 - o.Level) / 2, upperTail: (1 + o.Level) / 2}
	}
	if err := mix(out, draws, d, horizons); err != nil {
		return nil, err
	}
	for _, pi := range out {
		pi.bounds()
	}
	return out, nil
}

// parameterDraws returns the models at the parameter draws (or the
// estimate alone).
func parameterDraws(pm predictiveModel, d *Data, o IntervalOptions) ([]predictiveModel, error) {
	if o.FixedParameters {
		return []predictiveModel{pm}, nil
	}
	n := o.Draws
	if n == 0 {
		n = DefaultIntervalDraws
	}
	if n < 1 {
		return nil, fmt.Errorf("prediction intervals: %d parameter draws: use at least 1", o.Draws)
	}
	theta := pm.params()
	for i := range theta {
		theta[i] = math.Log(theta[i])
	}
	chol, err := logParameterCovariance(pm, d, theta)
	if err != nil {
		return nil, err
	}
	var L mat.TriDense
	chol.LTo(&L)
	rng := rand.New(rand.NewPCG(o.Seed, 0x696e74657276616c)) // "interval"
	k := len(theta)
	out := make([]predictiveModel, 0, n)
	z := make([]float64, k)
	p := make([]float64, k)
	for len(out) < n {
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		for i := 0; i < k; i++ {
			s := theta[i]
			for j := 0; j <= i; j++ {
				s += L.At(i, j) * z[j]
			}
			p[i] = math.Exp(s)
		}
		m, err := pm.with(p)
		if err != nil {
			return nil, fmt.Errorf("prediction intervals: a parameter draw is unusable: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// logParameterCovariance returns the Cholesky factor of Σ, the inverse of
// the observed information of the log-parameters: minus the Hessian of
// Σ w_i ℓ_i(e^φ) by central differences (step 1e-4 in φ), each distinct
// shifted point evaluated once (the diagonal's four corners share the
// centre), the sums of all of them in one pass over the rows in parallel
// blocks (see rowTotals). (The BG/NBD family's analytic Hessian agrees to
// 1e-6 of the largest entry, but the weakest direction of a fit moves by
// more than that, and with it the revenue bounds by up to 1e-4: the
// differences are kept so that the bounds stay today's.)
func logParameterCovariance(pm predictiveModel, d *Data, theta []float64) (*mat.Cholesky, error) {
	info, err := differencedInformation(theta, rowTotals(pm, d))
	if err != nil {
		return nil, err
	}
	var infoChol, covChol mat.Cholesky
	if !infoChol.Factorize(info) {
		return nil, fmt.Errorf("prediction intervals: the observed information of the log-parameters is not positive definite: the parameters are not identified well enough to draw from")
	}
	var cov mat.SymDense
	if err := infoChol.InverseTo(&cov); err != nil {
		return nil, fmt.Errorf("prediction intervals: inverting the observed information: %w", err)
	}
	if !covChol.Factorize(&cov) {
		return nil, fmt.Errorf("prediction intervals: the covariance of the log-parameters is not positive definite")
	}
	return &covChol, nil
}

// rowTotals returns the totals Σ w_i ℓ_i(θ) over the rows by the model's
// per-customer log-likelihood at each of several parameter points (errs[k]
// when point k is not a valid model), all of them in one pass over the
// rows in parallel blocks: per point, the same terms added in the same
// order as a sum over that point alone, row by row within a block of
// chunkSize rows and block by block, so the same totals bit for bit
// (TestRowTotalsEqualPerPointSums). A row's data is read once for all
// points, and what does not depend on the point (the row's validity, its
// place in the runs of x and t_x of a sorted pattern table) or on one
// parameter alone (ln(α+T) per distinct α) is found once. The rows of
// new customers (T = 0, so x = t_x = 0) are left out, as the fits leave
// them out (experiments' ModelData): their likelihood is 1 at every
// parameter, which some models compute as e^(±1e-15).
func rowTotals(pm predictiveModel, d *Data) func(ps [][]float64) (totals []float64, errs []error) {
	return func(ps [][]float64) ([]float64, []error) {
		totals := make([]float64, len(ps))
		errs := make([]error, len(ps))
		var ms []predictiveModel
		var of []int // the point of ms[j]
		for k, p := range ps {
			m, err := pm.with(p)
			if err != nil {
				errs[k] = err
				continue
			}
			ms = append(ms, m)
			of = append(of, k)
		}
		for j, v := range pointTotals(newPointSums(ms), d) {
			totals[of[j]] = v
		}
		return totals, errs
	}
}

// pointSums sums the weighted log-likelihoods of the rows [lo, hi) at
// every point, the point k's into s[k] (which starts at 0).
type pointSums interface {
	points() int
	block(d *Data, lo, hi int, s []float64)
}

// newPointSums returns the fastest pointSums of the models: those of the
// BG/NBD family and of the Pareto/NBD keep terms across rows and points;
// any other model's rows are summed by its logLik.
func newPointSums(ms []predictiveModel) pointSums {
	bgf := make([]bgfModel, 0, len(ms))
	pareto := make([]*FittedParetoNBD, 0, len(ms))
	for _, m := range ms {
		switch m := m.(type) {
		case bgnbdPredictive:
			bgf = append(bgf, m.f.model())
		case mbgnbdPredictive:
			bgf = append(bgf, m.f.model())
		case paretoPredictive:
			pareto = append(pareto, m.f)
		}
	}
	switch {
	case len(bgf) == len(ms) && sameShift(bgf):
		return newBGFPointSums(bgf)
	case len(pareto) == len(ms):
		return newParetoPointSums(pareto)
	}
	return modelPointSums(ms)
}

// pointTotals returns the totals over the rows of d at every point of ps:
// the blocks of chunkSize rows in parallel (parallelSum's), each block's
// sums added row by row, and the blocks' sums added in block order from 0
// (one block's sum itself when there is only one), as parallelSum adds a
// single sum.
func pointTotals(ps pointSums, d *Data) []float64 {
	n, k := d.Len(), ps.points()
	chunks := max(1, (n+chunkSize-1)/chunkSize)
	blocks := make([]float64, chunks*k)
	parallelSum(n, 0, nil, func(lo, hi int, _ []float64) float64 {
		c := lo / chunkSize
		s := make([]float64, k)
		ps.block(d, lo, hi, s)
		copy(blocks[c*k:(c+1)*k], s)
		return 0
	})
	if n <= chunkSize {
		return blocks[:k]
	}
	totals := make([]float64, k)
	for c := 0; c < chunks; c++ {
		for j, v := range blocks[c*k : (c+1)*k] {
			totals[j] += v
		}
	}
	return totals
}

// pointRow returns row i's history and weight for the point sums, ok
// false for a row they skip: weight 0, a new customer's (T = 0, so
// x = t_x = 0: likelihood 1 at every point), or an invalid history, whose
// NaN it adds to every sum in s (as its log-likelihood would).
func pointRow(d *Data, i int, s []float64) (c Customer, w float64, ok bool) {
	w = d.W(i)
	if !(w > 0) {
		return c, w, false
	}
	c = Customer{Frequency: d.Frequency[i], Recency: d.Recency[i], T: d.T[i]}
	if !ValidHistory(c) {
		for k := range s {
			s[k] = math.NaN() // the sum plus NaN
		}
		return c, w, false
	}
	return c, w, c.T != 0
}

// modelPointSums sums each point's rows by its model's logLik.
type modelPointSums []predictiveModel

func (ms modelPointSums) points() int { return len(ms) }

func (ms modelPointSums) block(d *Data, lo, hi int, s []float64) {
	for i := lo; i < hi; i++ {
		if w := d.W(i); w > 0 {
			c := d.Customer(i)
			if c.T == 0 && ValidHistory(c) { // a new customer: likelihood 1 at every point
				continue
			}
			for k, m := range ms {
				s[k] += w * m.logLik(c)
			}
		}
	}
}

// sameShift reports whether the models are all BG/NBD or all MBG/NBD.
func sameShift(ms []bgfModel) bool {
	for _, m := range ms {
		if m.shift != ms[0].shift {
			return false
		}
	}
	return true
}

// bgfPointSums is bgfModel.logLik at several points over the rows of a
// sorted pattern table, which repeat x (and t_x) in runs:
//
//	ℓ = ln Γ(r+x)/Γ(r) + r ln α + ln Γ(b+x')/Γ(b) − ln Γ(a+b+x')/Γ(a+b)
//	    + ln[(α+T)^−(r+x) + 1{x' > 0} a/(b+x'−1) (α+t_x)^−(r+x)],   x' = x + shift,
//
// with the terms of x alone (the log-gamma ratios and the dropout term)
// kept per point while x repeats, and ln(α+T), ln(α+t_x) taken once per
// distinct α of the points (ln(α+t_x) kept while t_x repeats): the same
// operations in the same order as logLik, so the same values
// (TestBGFPointSums), with a fraction of the logarithms.
type bgfPointSums struct {
	ms      []bgfModel
	alphas  []float64 // the distinct α
	alphaOf []int     // ms[k].alpha = alphas[alphaOf[k]]
}

func newBGFPointSums(ms []bgfModel) *bgfPointSums {
	b := &bgfPointSums{ms: ms, alphaOf: make([]int, len(ms))}
	for k, m := range ms {
		j := 0
		for j < len(b.alphas) && math.Float64bits(b.alphas[j]) != math.Float64bits(m.alpha) {
			j++
		}
		if j == len(b.alphas) {
			b.alphas = append(b.alphas, m.alpha)
		}
		b.alphaOf[k] = j
	}
	return b
}

func (b *bgfPointSums) points() int { return len(b.ms) }

func (b *bgfPointSums) block(d *Data, lo, hi int, s []float64) {
	K := len(b.ms)
	ll := make([]float64, K)
	lc := make([]float64, K)
	lT := make([]float64, len(b.alphas))
	lTx := make([]float64, len(b.alphas))
	lastX, lastTx := math.NaN(), math.NaN()
	drop := false
	for i := lo; i < hi; i++ {
		c, w, ok := pointRow(d, i, s)
		if !ok {
			continue
		}
		x, T := c.Frequency, c.T
		if x != lastX {
			for k, m := range b.ms {
				ll[k] = lnGammaRatio(m.r, x) + m.r*math.Log(m.alpha) +
					lnGammaRatio(m.b, x+m.shift) - lnGammaRatio(m.a+m.b, x+m.shift)
				drop, lc[k] = m.dropTerm(x) // drop is x+shift > 0, the same at every point
			}
			lastX = x
		}
		for j, alpha := range b.alphas {
			lT[j] = math.Log(alpha + T)
		}
		if !drop {
			for k, m := range b.ms {
				C := m.r + x
				l3 := -C * lT[b.alphaOf[k]]
				s[k] += w * (ll[k] + l3)
			}
			continue
		}
		if tx := bgfRecency(c); tx != lastTx {
			for j, alpha := range b.alphas {
				lTx[j] = math.Log(alpha + tx)
			}
			lastTx = tx
		}
		for k, m := range b.ms {
			C := m.r + x
			a := b.alphaOf[k]
			l3 := -C * lT[a]
			l4 := lc[k] - C*lTx[a]
			s[k] += w * (ll[k] + logAddExp(l3, l4))
		}
	}
}

// paretoPointSums is FittedParetoNBD.LogLikelihood at several points over
// the rows of a sorted pattern table (see paretoAlive):
//
//	ℓ = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln(e^(l1) + e^(l2)),
//
// with l1 kept per point while (x, t_x) repeats, l2 per point and (x, T)
// seen in the block, and the terms before the last per point while x
// repeats: the same operations as LogLikelihood, so the same values
// (TestParetoPointSums), with a fraction of the J integrals and
// log-gammas.
type paretoPointSums struct {
	fs []*FittedParetoNBD
	// per point: ln Γ(r), r ln α, s ln β, ln s
	lgR, rLogA, sLogB, logS []float64
}

func newParetoPointSums(fs []*FittedParetoNBD) *paretoPointSums {
	p := &paretoPointSums{fs: fs}
	for _, m := range fs {
		p.lgR = append(p.lgR, lgamma(m.R))
		p.rLogA = append(p.rLogA, m.R*math.Log(m.Alpha))
		p.sLogB = append(p.sLogB, m.S*math.Log(m.Beta))
		p.logS = append(p.logS, math.Log(m.S))
	}
	return p
}

func (p *paretoPointSums) points() int { return len(p.fs) }

func (p *paretoPointSums) block(d *Data, lo, hi int, s []float64) {
	K := len(p.fs)
	l1 := make([]float64, K)
	pre := make([]float64, K)
	var l2 []float64         // (x, T) number j's at l2[j·K:(j+1)·K]
	seen := keyindex.New(64) // the (x, T) of the block (−0 read as +0)
	lastX, lastTx, preX := math.NaN(), math.NaN(), math.NaN()
	for i := lo; i < hi; i++ {
		c, w, ok := pointRow(d, i, s)
		if !ok {
			continue
		}
		x, T := c.Frequency, c.T
		tx := pnbdRecency(x, c.Recency, T)
		if x != lastX || tx != lastTx {
			for k, m := range p.fs {
				a, cc := m.R+x, m.R+m.S+x
				l1[k] = p.logS[k] + paretoLogJ(a, m.S+1, cc, m.Alpha, m.Beta, tx, nil)
			}
			lastX, lastTx = x, tx
		}
		jj, found := seen.Of(x+0, T+0, 0)
		j := int(jj)
		if !found {
			for _, m := range p.fs {
				a, cc := m.R+x, m.R+m.S+x
				l2 = append(l2, math.Log(a)+paretoLogJ(a+1, m.S, cc, m.Alpha, m.Beta, T, nil))
			}
		}
		if x != preX {
			for k, m := range p.fs {
				pre[k] = lgamma(m.R+x) - p.lgR[k] + p.rLogA[k] + p.sLogB[k]
			}
			preX = x
		}
		l2j := l2[j*K : (j+1)*K]
		for k := range s {
			s[k] += w * (pre[k] + logAddExp(l1[k], l2j[k]))
		}
	}
}

// differencedInformation returns the observed information of the
// log-parameters by central differences of the total log-likelihood
// (see logParameterCovariance): totalsAt gives the totals at every
// distinct shifted point at once, and the error is that of the first
// point, in the order the differences take them, that is not a model or
// whose total is not finite.
func differencedInformation(theta []float64, totalsAt func(ps [][]float64) ([]float64, []error)) (*mat.SymDense, error) {
	k := len(theta)
	const h = 1e-4
	// key names a point by its shifted indices and steps.
	key := func(i, si, j, sj int) [2][2]int {
		if i == j {
			// Both steps on one parameter: a shift of si+sj steps (±2, or
			// none: the centre, shared by every i).
			if si+sj == 0 {
				i = 0
			}
			return [2][2]int{{i, si + sj}, {i, 0}}
		}
		return [2][2]int{{i, si}, {j, sj}}
	}
	corners := [4][2]int{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}}
	index := map[[2][2]int]int{}
	var ps [][]float64
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			for _, s := range corners {
				kk := key(i, s[0], j, s[1])
				if _, ok := index[kk]; ok {
					continue
				}
				index[kk] = len(ps)
				p := make([]float64, k)
				copy(p, theta)
				for _, s := range kk {
					p[s[0]] += float64(s[1]) * h
				}
				for i := range p {
					p[i] = math.Exp(p[i])
				}
				ps = append(ps, p)
			}
		}
	}
	totals, errs := totalsAt(ps)
	for n, v := range totals {
		err := errs[n]
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			err = fmt.Errorf("the log-likelihood near the estimate is %v", v)
		}
		if err != nil {
			return nil, fmt.Errorf("prediction intervals: observed information: %w", err)
		}
	}
	info := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			var v [4]float64
			for n, s := range corners {
				v[n] = totals[index[key(i, s[0], j, s[1])]]
			}
			info.SetSym(i, j, -(v[0]-v[1]-v[2]+v[3])/(4*h*h))
		}
	}
	return info, nil
}

// pmfTailMass is where a row's distribution is cut: the mass left beyond
// the last y kept.
const pmfTailMass = 1e-10

// maxPurchasesInInterval bounds the y a row's distribution is followed to.
const maxPurchasesInInterval = 100000

// mix sums the rows' distributions over the draws, and per draw the
// total's mean and variance, into out[h] for the horizon horizons[h]. The
// distribution of a live customer's future depends on (x, T) only, not on
// t_x, so per draw and horizon it is computed once per distinct (x, T)
// (all of them first, in parallel) and mixed with each row's own
// P(alive), which serves every horizon. Rows run in parallel blocks of
// chunkSize, each row's mixture added draw by draw in draw order; the
// draws' totals are added row by row within a block and block by block.
// A block's CDFs at a horizon share one array, and the blocks a goroutine
// runs one P(alive) buffer.
func mix(out []*PurchaseIntervals, draws []predictiveModel, d *Data, horizons []float64) error {
	n := d.Len()
	group, firsts := ageGroups(d)
	futures, err := allFutures(draws, d, firsts, horizons)
	if err != nil {
		return err
	}
	lengths := make([]groupLengths, len(horizons))
	for h := range lengths {
		if lengths[h], err = newGroupLengths(futures[h], d, firsts); err != nil {
			return err
		}
	}
	chunks := (n + chunkSize - 1) / chunkSize
	// totals[h][chunk][2k], [2k+1]: draw k's mean and variance of the block.
	totals := make([][][]float64, len(out))
	for h, pi := range out {
		pi.cdf = make([][]float64, n)
		pi.Mean = make([]float64, n)
		totals[h] = make([][]float64, chunks)
	}
	errs := make([]error, chunks)
	share := 1 / float64(len(draws))
	// Each goroutine takes a P(alive) buffer (row-major, chunkSize rows)
	// from spare and puts it back after its block.
	spare := make(chan []float64, runtime.GOMAXPROCS(0))
	alives := newDrawAlives(draws, d)
	parallelSum(n, 0, nil, func(lo, hi int, _ []float64) float64 {
		c := lo / chunkSize
		var alive []float64
		select {
		case alive = <-spare:
		default:
			alive = make([]float64, min(n, chunkSize)*len(draws))
		}
		defer func() {
			select {
			case spare <- alive:
			default:
			}
		}()
		for k := range draws {
			if err := alives.draw(k, lo, hi, alive[k:], len(draws)); err != nil {
				errs[c] = err
				return 0
			}
		}
		for h, pi := range out {
			totals[h][c] = pi.mixRows(lo, hi, share, futures[h], lengths[h], group, alive, d)
		}
		return 0
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for h, pi := range out {
		pi.drawMeans = make([]float64, len(draws))
		pi.drawVars = make([]float64, len(draws))
		for _, t := range totals[h] {
			for k := range draws {
				pi.drawMeans[k] += t[2*k]
				pi.drawVars[k] += t[2*k+1]
			}
		}
	}
	return nil
}

// groupLengths holds, per (x, T) group, the shortest and the longest of
// its draws' PMFs at one horizon: its rows' mixtures are as long as the
// longest, and below the shortest every draw adds to every y.
type groupLengths struct{ shortest, longest []int }

// newGroupLengths returns the lengths of futures[k][g]; the error names a
// group none of whose draws has a distribution (its rows would have none).
func newGroupLengths(futures [][]groupFuture, d *Data, firsts []int) (groupLengths, error) {
	l := groupLengths{make([]int, len(firsts)), make([]int, len(firsts))}
	for g := range firsts {
		l.shortest[g] = math.MaxInt
		for k := range futures {
			l.shortest[g] = min(l.shortest[g], len(futures[k][g].pmf))
			l.longest[g] = max(l.longest[g], len(futures[k][g].pmf))
		}
		if l.longest[g] == 0 {
			c := d.Customer(firsts[g])
			return groupLengths{}, fmt.Errorf("prediction intervals: the history x=%v, T=%v has an empty distribution of future purchases", c.Frequency, c.T)
		}
	}
	return l, nil
}

// mixLanes is the number of y a row's mixture sums at once below its
// group's shortest PMF: independent sums, whose additions overlap instead
// of each waiting for the last; past it, tailLanes at a time.
const (
	mixLanes  = 8
	tailLanes = 4
)

// mixRows mixes the rows [lo, hi) over the draws (futures[k][group],
// alive[(i−lo)·draws + k]) into their CDFs, which share one new array,
// and means, and returns the block's per-draw totals (mean and variance of
// draw k at 2k and 2k+1). Each P(Y = y) is summed draw by draw in draw
// order, a few y at a time, and the CDF is the running sum of these: the
// values of adding each draw into the row in turn (TestMixRowsBits). Past
// a group's shortest PMF a draw that ends inside a block of y adds 0 to
// the sums of the y after its end: the product share·P(alive)·0 is +0 (no
// factor is negative), and a sum that starts at +0 never is −0, so adding
// it changes no bit.
func (pi *PurchaseIntervals) mixRows(lo, hi int, share float64, futures [][]groupFuture, lengths groupLengths, group []int32, alive []float64, d *Data) []float64 {
	draws := len(futures)
	totals := make([]float64, 2*draws)
	length := 0
	for i := lo; i < hi; i++ {
		length += lengths.longest[group[i]]
	}
	buf := make([]float64, length)
	sa := make([]float64, draws) // share · P(alive) per draw
	pmfs := make([][]float64, draws)
	for i := lo; i < hi; i++ {
		g := int(group[i])
		a := alive[(i-lo)*draws : (i-lo+1)*draws]
		size, whole := lengths.longest[g], lengths.shortest[g]
		row := buf[:size:size]
		buf = buf[size:]
		mean, c := 0.0, 0.0
		w := d.W(i)
		for k := range draws {
			gf := &futures[k][g]
			pmfs[k], sa[k] = gf.pmf, share*a[k]
			mean += share * (a[k] * gf.mean)
			c += share * (1 - a[k])
			if len(gf.pmf) > 0 {
				c += sa[k] * gf.pmf[0]
			}
			m, sq := a[k]*gf.mean, a[k]*gf.sq // the dead buy 0
			totals[2*k] += w * m
			v := sq - m*m // math.Max(0, v) without its call
			if !(v > 0) && v == v {
				v = 0
			}
			totals[2*k+1] += w * v
		}
		row[0] = c
		y := 1
		for ; y+mixLanes <= whole; y += mixLanes {
			s0, s1, s2, s3, s4, s5, s6, s7 := 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
			for k, f := range sa {
				p := pmfs[k][y : y+mixLanes : y+mixLanes]
				s0 += f * p[0]
				s1 += f * p[1]
				s2 += f * p[2]
				s3 += f * p[3]
				s4 += f * p[4]
				s5 += f * p[5]
				s6 += f * p[6]
				s7 += f * p[7]
			}
			r := row[y : y+mixLanes : y+mixLanes]
			c += s0
			r[0] = c
			c += s1
			r[1] = c
			c += s2
			r[2] = c
			c += s3
			r[3] = c
			c += s4
			r[4] = c
			c += s5
			r[5] = c
			c += s6
			r[6] = c
			c += s7
			r[7] = c
		}
		for ; y < size; y += tailLanes {
			s0, s1, s2, s3 := 0.0, 0.0, 0.0, 0.0
			for k, f := range sa {
				pm := pmfs[k]
				var p [tailLanes]float64
				switch {
				case y+tailLanes <= len(pm):
					p = [tailLanes]float64(pm[y : y+tailLanes])
				case y < len(pm):
					copy(p[:], pm[y:]) // 0 past the end
				default:
					continue
				}
				s0 += f * p[0]
				s1 += f * p[1]
				s2 += f * p[2]
				s3 += f * p[3]
			}
			s := [tailLanes]float64{s0, s1, s2, s3}
			for j, v := range s[:min(tailLanes, size-y)] {
				c += v
				row[y+j] = c
			}
		}
		pi.cdf[i], pi.Mean[i] = row, mean
	}
	return totals
}

// allFutures computes every (x, T) group's future under every draw at
// every horizon (futures[h][k][g]), the (horizon, draw) pairs in parallel;
// the error is the first pair's in order.
func allFutures(draws []predictiveModel, d *Data, firsts []int, horizons []float64) ([][][]groupFuture, error) {
	futures := make([][][]groupFuture, len(horizons))
	for h := range futures {
		futures[h] = make([][]groupFuture, len(draws))
	}
	errs := make([]error, len(horizons)*len(draws))
	forEachParallel(len(errs), func(job int) {
		h, k := job/len(draws), job%len(draws)
		futures[h][k] = make([]groupFuture, len(firsts))
		errs[job] = drawFutures(draws[k], d, firsts, horizons[h], futures[h][k])
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return futures, nil
}

// ageGroups numbers the distinct (x, T) of the rows in order of first
// appearance: each row's group, and each group's first row.
func ageGroups(d *Data) (group []int32, firsts []int) {
	group = make([]int32, d.Len())
	index := map[[2]float64]int32{}
	for i := range group {
		key := [2]float64{d.Frequency[i], d.T[i]}
		g, ok := index[key]
		if !ok {
			g = int32(len(firsts))
			index[key] = g
			firsts = append(firsts, i)
		}
		group[i] = g
	}
	return group, firsts
}

// groupFuture is a live customer's distribution of purchases over the
// horizon for one (x, T) and one draw, with its mean and second moment.
type groupFuture struct {
	pmf      []float64
	mean, sq float64
}

// drawFutures computes every (x, T) group's future under draw m; the
// error is the first group's.
func drawFutures(m predictiveModel, d *Data, firsts []int, horizon float64, out []groupFuture) error {
	cache := newFutureCache()
	for g, first := range firsts {
		c := d.Customer(first)
		next, err := futureOf(m, c)
		if err != nil {
			return fmt.Errorf("prediction intervals: %w", err)
		}
		future, err := futurePMFCached(next, horizon, cache)
		if err != nil {
			return fmt.Errorf("prediction intervals: the history x=%v, T=%v: %w", c.Frequency, c.T, err)
		}
		mean, sq := 0.0, 0.0
		for y, p := range future {
			mean += float64(y) * p
			sq += float64(y) * float64(y) * p
		}
		out[g] = groupFuture{pmf: future, mean: mean, sq: sq}
	}
	return nil
}

// aliveOnly is a predictive model that gives P(alive at T | c) without
// building the model of the future.
type aliveOnly interface {
	aliveAt(c Customer) float64
}

// drawAlive sets the P(alive at T) under draw m of the rows [lo, hi), row
// i's at alive[(i−lo)·stride]; the error names the first row whose value
// is not a probability. (mix goes through drawAlives, which gives the
// BG/NBD family's values from tables shared by the blocks, and calls
// drawAlive for the other models; for the BG/NBD family drawAlive is
// the models' own ProbabilityAlive, the form drawAlives is tested
// against.)
func drawAlive(m predictiveModel, d *Data, lo, hi int, alive []float64, stride int) error {
	var at func(c Customer) float64 // of x, t_x and T alone
	if m, ok := m.(paretoPredictive); ok {
		at = newParetoAlive(m.f).at
	}
	ao, direct := m.(aliveOnly)
	for i := lo; i < hi; i++ {
		var c Customer
		var a float64
		if at != nil {
			c = Customer{Frequency: d.Frequency[i], Recency: d.Recency[i], T: d.T[i]}
			a = at(c)
		} else if c = d.Customer(i); direct {
			a = ao.aliveAt(c)
		} else {
			var err error
			if a, _, err = m.future(c); err != nil {
				return fmt.Errorf("prediction intervals: %w", err)
			}
		}
		if a > 1 && a < 1+1e-12 { // rounding in P(alive)'s closed form
			a = 1
		}
		if !(a >= 0 && a <= 1) {
			return fmt.Errorf("prediction intervals: P(alive) = %v for the history x=%v, t_x=%v, T=%v", a, c.Frequency, c.Recency, c.T)
		}
		alive[(i-lo)*stride] = a
	}
	return nil
}

// drawAlives sets the rows' P(alive at T) under every draw, as drawAlive
// does, with what the draws' BG/NBD-family P(alive) share across blocks
// found once: every row's number of its distinct (t_x, T) (t_x = 0 without
// repeat purchases), and per such draw ln(1 + (T−t_x)/(α+t_x)) per number
// (about a tenth as many as rows on a pattern table, where (t_x, T) recurs
// across x), so that a row's P(alive) is
//
//	1/(1 + e^v),   v = ln(a/(b+x'−1)) + (r+x) · ln(1 + (T−t_x)/(α+t_x))
//
// from its tables: the same operations as bgfModel.alive, so the same
// values (TestDrawAlivesEqualDrawAlive).
type drawAlives struct {
	draws []predictiveModel
	d     *Data
	pair  []int32     // per row, its (t_x, T) number, −1 for an invalid history
	odds  [][]float64 // per draw of the BG/NBD family, ln(1 + (T−t_x)/(α+t_x)) per (t_x, T) number
}

// newDrawAlives prepares the tables of draws on d (the draws' tables in
// parallel).
func newDrawAlives(draws []predictiveModel, d *Data) *drawAlives {
	da := &drawAlives{draws: draws, d: d, odds: make([][]float64, len(draws))}
	var bgf []int // the draws of the BG/NBD family
	for k, m := range draws {
		if _, ok := bgfOf(m); ok {
			bgf = append(bgf, k)
		}
	}
	if len(bgf) == 0 {
		return da
	}
	pairs := keyindex.New(1024) // the distinct (t_x, T), −0 read as +0
	da.pair = make([]int32, d.Len())
	for i := range da.pair {
		c := Customer{Frequency: d.Frequency[i], Recency: d.Recency[i], T: d.T[i]}
		if !ValidHistory(c) {
			da.pair[i] = -1
			continue
		}
		da.pair[i], _ = pairs.Of(bgfRecency(c)+0, c.T+0, 0)
	}
	forEachParallel(len(bgf), func(n int) {
		m, _ := bgfOf(draws[bgf[n]])
		odds := make([]float64, pairs.Len())
		for j := range odds {
			tx, T, _ := pairs.Key(j)
			odds[j] = math.Log1p((T - tx) / (m.alpha + tx))
		}
		da.odds[bgf[n]] = odds
	})
	return da
}

// bgfOf returns the bgfModel of a draw of the BG/NBD family.
func bgfOf(m predictiveModel) (bgfModel, bool) {
	switch m := m.(type) {
	case bgnbdPredictive:
		return m.f.model(), true
	case mbgnbdPredictive:
		return m.f.model(), true
	}
	return bgfModel{}, false
}

// draw sets the P(alive at T) under draw k of the rows [lo, hi), row i's
// at alive[(i−lo)·stride]; the error names the first row whose value is
// not a probability.
func (da *drawAlives) draw(k, lo, hi int, alive []float64, stride int) error {
	odds := da.odds[k]
	if odds == nil {
		return drawAlive(da.draws[k], da.d, lo, hi, alive, stride)
	}
	m, _ := bgfOf(da.draws[k])
	d := da.d
	lastX, lc, drop := math.NaN(), 0.0, false
	for i := lo; i < hi; i++ {
		x := d.Frequency[i]
		a := math.NaN()
		if j := da.pair[i]; j >= 0 {
			if x != lastX {
				drop, lc = m.dropTerm(x)
				lastX = x
			}
			v := math.Inf(-1) // logOddsDeadWith's
			if drop {
				v = lc + (m.r+x)*odds[j]
			}
			a = 1 / (1 + math.Exp(v))
		}
		if a > 1 && a < 1+1e-12 { // rounding in P(alive)'s closed form
			a = 1
		}
		if !(a >= 0 && a <= 1) {
			return fmt.Errorf("prediction intervals: P(alive) = %v for the history x=%v, t_x=%v, T=%v", a, x, d.Recency[i], d.T[i])
		}
		alive[(i-lo)*stride] = a
	}
	return nil
}

// paretoAlive is FittedParetoNBD.ProbabilityAlive over the sorted rows of
// a pattern table, which repeat (x, t_x) in runs and (x, T) often:
//
//	P(alive) = e^(min(0, la − ln(e^(l1) + e^(l2)))),   la = −(r+x) ln(α+T) − s ln(β+T),
//	l1 = ln s + ln J(r+x, s+1; t_x),   l2 = ln(r+x) + ln J(r+x+1, s; T)
//
// (see customerLogLik), with l1 kept from the previous row while (x, t_x)
// repeats and l2 and la kept per (x, T): the same operations as
// ProbabilityAlive, so the same values (TestParetoAliveEqualsProbabilityAlive),
// with a fraction of the J integrals and logarithms.
type paretoAlive struct {
	f              *FittedParetoNBD
	logS           float64
	lastX, lTx, l1 float64
	seen           *keyindex.Index // the (x, T) seen, −0 read as +0
	byXT           [][2]float64    // l2 and la of the (x, T) numbered j by seen
}

func newParetoAlive(f *FittedParetoNBD) *paretoAlive {
	return &paretoAlive{f: f, logS: math.Log(f.S), lastX: math.NaN(), seen: keyindex.New(64)}
}

func (pa *paretoAlive) at(c Customer) float64 {
	if !ValidHistory(c) {
		return math.NaN()
	}
	m := pa.f
	x, T := c.Frequency, c.T
	tx := pnbdRecency(x, c.Recency, T)
	a, cc := m.R+x, m.R+m.S+x
	if x != pa.lastX || tx != pa.lTx {
		pa.l1 = pa.logS + paretoLogJ(a, m.S+1, cc, m.Alpha, m.Beta, tx, nil)
		pa.lastX, pa.lTx = x, tx
	}
	j, found := pa.seen.Of(x+0, T+0, 0)
	if !found {
		l2 := math.Log(a) + paretoLogJ(a+1, m.S, cc, m.Alpha, m.Beta, T, nil)
		la := -(m.R+x)*math.Log(m.Alpha+T) - m.S*math.Log(m.Beta+T)
		pa.byXT = append(pa.byXT, [2]float64{l2, la})
	}
	v := pa.byXT[j]
	return math.Exp(math.Min(0, v[1]-logAddExp(pa.l1, v[0])))
}

// futurePMF returns P'(X(t) = y) for y = 0, 1, … until the mass left is
// below pmfTailMass.
func futurePMF(next interface{ ProbabilityOfPurchases(int, float64) float64 }, t float64) ([]float64, error) {
	return futurePMFCached(next, t, nil)
}

// futurePMFCached is futurePMF with what the histories of one draw and
// horizon share kept in cache (see futureCache; nil keeps nothing): the
// same values. A cache serves one goroutine.
func futurePMFCached(next interface{ ProbabilityOfPurchases(int, float64) float64 }, t float64, cache *futureCache) ([]float64, error) {
	if out, ok := wholeDistribution(next, t, cache); ok {
		for y, p := range out {
			if math.IsNaN(p) {
				return nil, fmt.Errorf("P(X(%v) = %d) is NaN", t, y)
			}
		}
		return out, nil
	}
	var out []float64
	cum := 0.0
	for y := 0; y <= maxPurchasesInInterval; y++ {
		p := next.ProbabilityOfPurchases(y, t)
		if math.IsNaN(p) {
			return nil, fmt.Errorf("P(X(%v) = %d) is NaN", t, y)
		}
		out = append(out, p)
		cum += p
		if cum >= 1-pmfTailMass {
			break
		}
	}
	return out, nil
}

// wholeDistribution returns next's whole distribution over t > 0 finite
// at once when it has one, and false when futurePMF goes term by term.
func wholeDistribution(next interface{ ProbabilityOfPurchases(int, float64) float64 }, t float64, cache *futureCache) ([]float64, bool) {
	if !(t > 0) || math.IsInf(t, 1) {
		return nil, false
	}
	switch w := next.(type) {
	case interface {
		distributionCached(float64, *futureCache) ([]float64, bool)
	}:
		return w.distributionCached(t, cache)
	case interface {
		distribution(float64) ([]float64, bool)
	}:
		return w.distribution(t)
	}
	return nil, false
}

// conditionalPMF returns P(Y(t) = y | c) for y = 0, 1, … (see futurePMF).
func conditionalPMF(m predictiveModel, c Customer, t float64) ([]float64, error) {
	alive, next, err := m.future(c)
	if err != nil {
		return nil, err
	}
	out, err := futurePMF(next, t)
	if err != nil {
		return nil, err
	}
	for y := range out {
		out[y] *= alive
	}
	out[0] += 1 - alive
	return out, nil
}

// bounds sets the per-row integer quantiles and the total's interval.
func (pi *PurchaseIntervals) bounds() {
	n := len(pi.cdf)
	pi.Lower, pi.Upper = make([]int, n), make([]int, n)
	for i, cdf := range pi.cdf {
		pi.Lower[i] = quantileIndex(cdf, pi.lowerTail)
		pi.Upper[i] = quantileIndex(cdf, pi.upperTail)
	}
	for _, m := range pi.drawMeans {
		pi.TotalMean += m / float64(len(pi.drawMeans))
	}
	pi.TotalLower = pi.totalQuantile(pi.lowerTail)
	pi.TotalUpper = pi.totalQuantile(pi.upperTail)
}

// quantileIndex returns the smallest y with CDF(y) ≥ q (the last y kept
// when rounding leaves the CDF a hair below q).
func quantileIndex(cdf []float64, q float64) int {
	y := sort.SearchFloat64s(cdf, q*(1-1e-12))
	return min(y, len(cdf)-1)
}

// TotalCDF returns P(total ≤ z) under the mixture of normals over the
// parameter draws.
func (pi *PurchaseIntervals) TotalCDF(z float64) float64 {
	s := 0.0
	for k, m := range pi.drawMeans {
		sd := math.Sqrt(pi.drawVars[k])
		if sd == 0 {
			if z >= m {
				s++
			}
			continue
		}
		s += 0.5 * math.Erfc(-(z-m)/(sd*math.Sqrt2))
	}
	return s / float64(len(pi.drawMeans))
}

// totalQuantile inverts TotalCDF by bisection.
func (pi *PurchaseIntervals) totalQuantile(q float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, m := range pi.drawMeans {
		sd := math.Sqrt(pi.drawVars[k])
		lo, hi = math.Min(lo, m-10*sd), math.Max(hi, m+10*sd)
	}
	for range 200 {
		mid := (lo + hi) / 2
		if pi.TotalCDF(mid) < q {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo <= 1e-9*math.Max(1, math.Abs(hi)) {
			break
		}
	}
	return (lo + hi) / 2
}

// PIT returns the randomized probability integral transform of each
// customer's actual holdout purchases: u = F(y−1) + V·(F(y) − F(y−1)), V
// uniform from a stream seeded by seed. rows[i] is the row of d that
// customer i belongs to (nil: customer i is row i).
func (pi *PurchaseIntervals) PIT(rows []int32, actual []float64, seed uint64) ([]float64, error) {
	if pi.cdf == nil && len(pi.Lower) > 0 {
		return nil, fmt.Errorf("prediction intervals: the distributions were dropped")
	}
	if rows != nil && len(rows) != len(actual) {
		return nil, fmt.Errorf("prediction intervals: %d row indices for %d customers", len(rows), len(actual))
	}
	if rows == nil && len(actual) != len(pi.cdf) {
		return nil, fmt.Errorf("prediction intervals: %d actual values for %d rows", len(actual), len(pi.cdf))
	}
	rng := rand.New(rand.NewPCG(seed, 0x706974)) // "pit"
	out := make([]float64, len(actual))
	for i, y := range actual {
		row := i
		if rows != nil {
			row = int(rows[i])
		}
		if row < 0 || row >= len(pi.cdf) {
			return nil, fmt.Errorf("prediction intervals: customer %d has row %d, outside the %d rows", i+1, row, len(pi.cdf))
		}
		if !(y >= 0) || y != math.Trunc(y) {
			return nil, fmt.Errorf("prediction intervals: customer %d has %v holdout purchases: want a whole number ≥ 0", i+1, y)
		}
		cdf := pi.cdf[row]
		at := func(k int) float64 {
			switch {
			case k < 0:
				return 0
			case k >= len(cdf):
				return 1
			}
			return cdf[k]
		}
		k := int(math.Min(y, maxPurchasesInInterval+1))
		out[i] = at(k-1) + rng.Float64()*(at(k)-at(k-1))
	}
	return out, nil
}

// Coverage scores the intervals against the customers' actual holdout
// purchases (rows and seed as in PIT): randomized is the share whose
// randomized PIT lies in [(1−L)/2, (1+L)/2] (expected L under the model),
// within the share inside the integer bounds [Lower, Upper] (expected at
// least L).
func (pi *PurchaseIntervals) Coverage(rows []int32, actual []float64, seed uint64) (randomized, within float64, err error) {
	u, err := pi.PIT(rows, actual, seed)
	if err != nil {
		return 0, 0, err
	}
	randomized, within = pi.CoverageOf(rows, u, actual)
	return randomized, within, nil
}

// CoverageOf is Coverage given the customers' PIT (the same at every
// level, so computed once for all).
func (pi *PurchaseIntervals) CoverageOf(rows []int32, u, actual []float64) (randomized, within float64) {
	for i, v := range u {
		if v >= pi.lowerTail && v <= pi.upperTail {
			randomized++
		}
		row := i
		if rows != nil {
			row = int(rows[i])
		}
		if y := int(actual[i]); y >= pi.Lower[row] && y <= pi.Upper[row] {
			within++
		}
	}
	n := float64(len(actual))
	return randomized / n, within / n
}

// TotalInterval returns the cohort total's equal-tailed interval at
// another level (NaN bounds for a level outside (0, 1)).
func (pi *PurchaseIntervals) TotalInterval(level float64) (lower, upper float64) {
	if !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	return pi.totalQuantile((1 - level) / 2), pi.totalQuantile((1 + level) / 2)
}

// TotalCovers reports whether the actual cohort total lies inside the
// total's interval.
func (pi *PurchaseIntervals) TotalCovers(actual float64) bool {
	return actual >= pi.TotalLower && actual <= pi.TotalUpper
}

// DropDistributions frees the rows' distributions and means: the bounds
// and the total's interval stay; PIT, Coverage, AtLevel and revenue
// intervals need what is dropped (do it on every level that shares them).
func (pi *PurchaseIntervals) DropDistributions() { pi.cdf, pi.Mean = nil, nil }

// AtLevel returns the intervals at another level from the same predictive
// distributions (no recomputation): the per-row integer bounds, the
// total's interval and the tails Coverage scores against are those of
// level, which must lie in (0, 1).
func (pi *PurchaseIntervals) AtLevel(level float64) (*PurchaseIntervals, error) {
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("prediction intervals: the level %v must lie in (0, 1)", level)
	}
	if pi.cdf == nil && len(pi.Lower) > 0 {
		return nil, fmt.Errorf("prediction intervals: the distributions were dropped")
	}
	out := &PurchaseIntervals{Level: level, Mean: pi.Mean, cdf: pi.cdf, drawMeans: pi.drawMeans, drawVars: pi.drawVars,
		lowerTail: (1 - level) / 2, upperTail: (1 + level) / 2}
	out.bounds()
	return out, nil
}
