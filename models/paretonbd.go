package models

import (
	"os"
	"sync/atomic"
	"context"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
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
// singular point, by quadrature (see hyp2f1.go); the gradient is analytic.
// Parameters are named r, alpha, s, beta.
type ParetoNBD struct{}

// Name returns "paretonbd".
func (ParetoNBD) Name() string { return "paretonbd" }

// pnbdNames are the parameter names in the order of the likelihood's
// parameter vector.
var pnbdNames = []string{"r", "alpha", "s", "beta"}

// The fit is staged (see pnbdStagedStart): above pnbdWarmStartRows rows
// the stages run on evenly spaced subsamples of pnbdCoarseRows and
// pnbdFineRows rows before the full table.
var (
	pnbdWarmStartRows = 100_000
	pnbdCoarseRows    = 5_000
	pnbdFineRows      = 50_000
)

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
// gradient. Identical histories are merged into weighted rows when that
// pays. Unless o gives start values, a penalty or fixed parameters, the
// maximum is first located by a quasi-Newton search and polished by Newton
// steps (on subsamples first for tables of more than 100,000 rows; see
// pnbdStagedStart), and the shared fitting machinery then starts at the
// maximum, confirms it and computes the standard errors. A fit that does
// not converge returns its best point together with a *ConvergenceError.
func FitParetoNBD(ctx context.Context, d *Data, o FitOptions) (*FittedParetoNBD, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("paretonbd: invalid data: %w", err)
	}
	pd := newPNBDData(d)
	if pd.n == 0 || !(pd.sumW > 0) {
		return nil, fmt.Errorf("paretonbd: every customer has weight 0")
	}
	opts := o
	warmIters := 0
	if len(o.Start) == 0 {
		var start Params
		var err error
		if o.Penalty == 0 && len(o.Fixed) == 0 {
			start, warmIters, err = pnbdStagedStart(ctx, pd)
		} else if pd.n > pnbdWarmStartRows {
			start, warmIters, err = pnbdSubsampleStart(ctx, pd, o)
		}
		if err != nil {
			return nil, err
		}
		opts.Start = start
	}
	if os.Getenv("PNBDDBG") != "" { fmt.Fprintln(os.Stderr, "staged passes", DBGpass.Load(), "rows", DBGrows.Load(), "split", DBGsplit.Load()) }
	res, err := maximize(ctx, pd.likelihood(), opts)
	if os.Getenv("PNBDDBG") != "" { fmt.Fprintln(os.Stderr, "total passes", DBGpass.Load(), "rows", DBGrows.Load(), "split", DBGsplit.Load()); DBGpass.Store(0); DBGrows.Store(0); DBGsplit.Store(0) }
	if res == nil {
		return nil, err
	}
	res.Iterations += warmIters
	p := res.Params
	return &FittedParetoNBD{R: p["r"], Alpha: p["alpha"], S: p["s"], Beta: p["beta"], FitResult: res}, err
}

// pnbdSubsampleStart fits an evenly spaced subsample of pnbdFineRows rows
// with the options of the full fit and returns its estimates (nil when that
// fit fails) and iterations.
func pnbdSubsampleStart(ctx context.Context, pd *pnbdData, o FitOptions) (Params, int, error) {
	res, err := maximize(ctx, pd.subsample(pnbdFineRows).likelihood(), o)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, 0, fmt.Errorf("paretonbd: fit interrupted: %w", ctxErr)
	}
	if err != nil || res == nil {
		return nil, 0, nil
	}
	return res.Params, res.Iterations, nil
}

// pnbdStagedStart returns starting values at which the optimizer of
// maximize stops at once (the largest gradient component of the mean
// log-likelihood in log-parameters below half its threshold), and the
// iterations spent on them. It locates the maximum in stages:
//
//  1. a limited-memory BFGS search (gonum's LBFGS) stopped at a gradient of
//     1e-6, on the table or, above pnbdWarmStartRows rows, on an evenly
//     spaced subsample of pnbdCoarseRows rows;
//  2. for a large table, quasi-Newton steps (see newton) on a subsample of
//     pnbdFineRows rows (after a search of that subsample from the coarse
//     estimate if its Hessian there is not positive definite);
//  3. quasi-Newton steps on the table, from the Hessian of the table (or
//     of the large subsample, which is within a fraction of a percent of
//     it) taken by central differences of the analytic gradient.
//
// Newton steps judged by the gradient converge where a line search on the
// function value cannot: there the decrease of the function is below its
// rounding. For a large table each full-data step shrinks the gradient a
// hundredfold or more, so that five or so passes over the rows replace the
// dozens a quasi-Newton search needs. Any trouble ends the staging early
// and returns the point reached (or nil): maximize does the rest.
func pnbdStagedStart(ctx context.Context, pd *pnbdData) (Params, int, error) {
	interrupted := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("paretonbd: fit interrupted: %w", err)
		}
		return nil
	}
	large := pd.n > pnbdWarmStartRows
	first := pd
	if large {
		first = pd.subsample(pnbdCoarseRows)
	}
	theta, iters, ok := first.search(ctx, first.start())
	if err := interrupted(); err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, nil
	}
	stages := []*pnbdData{pd}
	if large {
		stages = []*pnbdData{pd.subsample(pnbdFineRows), pd}
	}
	for k, rows := range stages {
		h, ok := stages[0].hessian(theta)
		if !ok && k == 0 && large {
			// The coarse estimate may lie where the Hessian of the larger
			// subsample is not positive definite: search that subsample
			// from it first.
			var more int
			var next []float64
			if next, more, ok = stages[0].search(ctx, pnbdExp(theta)); ok {
				theta = next
				iters += more
				h, ok = stages[0].hessian(theta)
			}
		}
		if !ok {
			break
		}
		tol := 0.5 * gradientThresholdOfMaximize
		if k < len(stages)-1 {
			tol = 1e-12
		}
		var steps int
		theta, steps = rows.newton(ctx, theta, h, tol)
		iters += steps
		if err := interrupted(); err != nil {
			return nil, 0, err
		}
	}
	p := Params{}
	for i, v := range pnbdExp(theta) {
		p[pnbdNames[i]] = v
	}
	return p, iters, nil
}

// search minimizes the mean negative log-likelihood over log-parameters
// from start (natural parameters) with gonum's LBFGS and a backtracking line
// search, stopping at a gradient norm of 1e-6; it returns the log-parameters
// reached, the iterations, and whether they are usable.
func (pd *pnbdData) search(ctx context.Context, start []float64) ([]float64, int, bool) {
	theta0 := make([]float64, len(start))
	for i, v := range start {
		theta0[i] = math.Log(v)
	}
	var lastX, lastG []float64
	var lastF float64
	eval := func(x []float64) {
		if lastX != nil && equal(lastX, x) {
			return
		}
		lastX = append(lastX[:0], x...)
		if !withinBounds(x) {
			lastF, lastG = math.Inf(1), make([]float64, len(x))
			return
		}
		lastF, lastG = pd.meanGrad(x)
		if !finite(lastF) {
			lastF, lastG = math.Inf(1), make([]float64, len(x))
		}
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(g, x []float64) { eval(x); copy(g, lastG) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-6,
		MajorIterations:   500,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 20},
	}
	method := &optimize.LBFGS{Linesearcher: &optimize.Backtracking{MinimumStepSize: 1e-10}}
	// An error (a line search that fails next to the maximum, say) still
	// leaves a usable best point; a bad point is refused below.
	res, _ := optimize.Minimize(problem, theta0, settings, method)
	if res == nil || !withinBounds(res.X) || !finite(res.F) {
		return nil, 0, false
	}
	return res.X, res.Stats.MajorIterations, true
}

// gradientThresholdOfMaximize is the gradient norm (largest component, of
// the mean negative log-likelihood in log-parameters) below which the
// optimizer of maximize stops at its starting point.
const gradientThresholdOfMaximize = 1e-9

// meanGrad returns the mean negative log-likelihood of the table at
// log-parameters θ and its gradient with respect to θ.
func (pd *pnbdData) meanGrad(theta []float64) (float64, []float64) {
	p := pnbdExp(theta)
	g := make([]float64, len(theta))
	ll := pd.logLik(p, g)
	for i := range g {
		g[i] = -p[i] * g[i] / pd.sumW
	}
	return -ll / pd.sumW, g
}

// hessian returns the Hessian of the mean negative log-likelihood at θ, by
// central differences (step 1e-4) of the analytic gradient, and false
// when it is not finite and positive definite.
func (pd *pnbdData) hessian(theta []float64) (*mat.SymDense, bool) {
	const step = 1e-4
	k := len(theta)
	rows := make([][]float64, k)
	for j := range theta {
		tp := append([]float64(nil), theta...)
		tm := append([]float64(nil), theta...)
		tp[j] += step
		tm[j] -= step
		_, gp := pd.meanGrad(tp)
		_, gm := pd.meanGrad(tm)
		rows[j] = make([]float64, k)
		for i := range rows[j] {
			rows[j][i] = (gp[i] - gm[i]) / (2 * step)
		}
	}
	h := mat.NewSymDense(k, nil)
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			v := (rows[a][b] + rows[b][a]) / 2
			if !finite(v) {
				return nil, false
			}
			h.SetSym(a, b, v)
		}
	}
	var chol mat.Cholesky
	return h, chol.Factorize(h)
}

// newton takes quasi-Newton steps θ ← θ − H⁻¹g on the table's mean
// negative log-likelihood, starting from the Hessian h and improving it
// with the BFGS update from each step's change of gradient, until the
// largest gradient component is below tol (at most 12 steps). A step is
// kept when it shrinks the gradient (halved up to 6 times otherwise, and
// never longer than 1 in any log-parameter): near the maximum the gradient,
// unlike the function value, stands far above rounding. It returns the
// last θ and the number of steps taken.
func (pd *pnbdData) newton(ctx context.Context, theta []float64, h *mat.SymDense, tol float64) ([]float64, int) {
	k := len(theta)
	f, g := pd.meanGrad(theta)
	steps := 0
	for ; steps < 12 && ctx.Err() == nil; steps++ {
		if pnbdNormInf(g) < tol || !finite(f) {
			break
		}
		var chol mat.Cholesky
		if !chol.Factorize(h) {
			break
		}
		var d mat.VecDense
		if err := chol.SolveVecTo(&d, mat.NewVecDense(k, append([]float64(nil), g...))); err != nil {
			break
		}
		delta := d.RawVector().Data
		scale := 1 / math.Max(1, pnbdNormInf(delta))
		var next, gn []float64
		for half := 0; half < 7; half++ {
			cand := make([]float64, k)
			for i := range cand {
				cand[i] = theta[i] - scale*delta[i]
			}
			fc, gc := pd.meanGrad(cand)
			if finite(fc) && fc <= f+1e-9*math.Abs(f) && pnbdNorm2(gc) < pnbdNorm2(g) {
				next, gn, f = cand, gc, fc
				break
			}
			scale /= 2
		}
		if next == nil {
			break
		}
		// BFGS update of h with s = θ′ − θ and y = g′ − g.
		sv := mat.NewVecDense(k, nil)
		yv := mat.NewVecDense(k, nil)
		for i := 0; i < k; i++ {
			sv.SetVec(i, next[i]-theta[i])
			yv.SetVec(i, gn[i]-g[i])
		}
		if sy := mat.Dot(sv, yv); sy > 0 {
			var hs mat.VecDense
			hs.MulVec(h, sv)
			if shs := mat.Dot(sv, &hs); shs > 0 {
				h.SymRankOne(h, -1/shs, &hs)
				h.SymRankOne(h, 1/sy, yv)
			}
		}
		theta, g = next, gn
	}
	return theta, steps
}

// pnbdExp returns e^θ componentwise.
func pnbdExp(theta []float64) []float64 {
	p := make([]float64, len(theta))
	for i, t := range theta {
		p[i] = math.Exp(t)
	}
	return p
}

func pnbdNormInf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func pnbdNorm2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// FittedParetoNBD is a Pareto/NBD model with known parameters r, α, s, β
// (all > 0); FitResult holds the fit's diagnostics when it came from Fit.
type FittedParetoNBD struct {
	R, Alpha, S, Beta float64
	*FitResult
}

// NewFittedParetoNBD returns a Pareto/NBD model with the given parameters,
// which must be finite and > 0.
func NewFittedParetoNBD(r, alpha, s, beta float64) (*FittedParetoNBD, error) {
	for i, v := range []float64{r, alpha, s, beta} {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("paretonbd: parameter %s=%v must be a finite number > 0", pnbdNames[i], v)
		}
	}
	return &FittedParetoNBD{R: r, Alpha: alpha, S: s, Beta: beta, FitResult: &FitResult{
		Model:  "paretonbd",
		Params: Params{"r": r, "alpha": alpha, "s": s, "beta": beta},
		Method: "given",
	}}, nil
}

// Result returns the fit's estimates and diagnostics.
func (m *FittedParetoNBD) Result() *FitResult { return m.FitResult }

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

// customerLogLik returns the log-likelihood of one history together with
// the logs of its two terms s·J(r+x, s+1; t_x) and (r+x)·J(r+x+1, s; T),
// and the log of the Gamma/scale prefactor Γ(r+x)α^rβ^s/Γ(r).
func (m *FittedParetoNBD) customerLogLik(c Customer) (ll, l1, l2, pre float64) {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	x, T := c.Frequency, c.T
	tx := pnbdRecency(x, c.Recency, T)
	a := r + x
	cc := r + s + x
	l1 = math.Log(s) + paretoLogJ(a, s+1, cc, alpha, beta, tx, nil)
	l2 = math.Log(a) + paretoLogJ(a+1, s, cc, alpha, beta, T, nil)
	pre = lgamma(a) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta)
	return pre + logAddExp(l1, l2), l1, l2, pre
}

// LogLikelihood returns ln L(r, α, s, β | x, t_x, T) of one
// customer (see ParetoNBD). It returns NaN for an invalid history.
func (m *FittedParetoNBD) LogLikelihood(c Customer) float64 {
	if !pnbdValidHistory(c) {
		return math.NaN()
	}
	ll, _, _, _ := m.customerLogLik(c)
	return ll
}

// pnbdValidHistory reports whether c is a history the continuous-time models
// accept: x ≥ 0, 0 ≤ t_x ≤ T, T > 0, all finite.
func pnbdValidHistory(c Customer) bool {
	return finite(c.Frequency) && c.Frequency >= 0 && finite(c.T) && c.T > 0 &&
		finite(c.Recency) && c.Recency >= 0 && c.Recency <= c.T*(1+1e-12)
}

// logProbabilityAlive returns ln P(alive at T | x, t_x, T).
func (m *FittedParetoNBD) logProbabilityAlive(c Customer) float64 {
	a := m.R + c.Frequency
	_, l1, l2, _ := m.customerLogLik(c)
	// The alive term (α+T)^(−(r+x))(β+T)^(−s) over the bracket of L.
	la := -a*math.Log(m.Alpha+c.T) - m.S*math.Log(m.Beta+c.T)
	return math.Min(0, la-logAddExp(l1, l2))
}

// ProbabilityAlive returns P(alive at T | x, t_x, T) (Schmittlein et al.
// 1987; Fader & Hardie 2005 note):
//
//	P(alive) = Γ(r+x)α^rβ^s/Γ(r) · (α+T)^(−(r+x)) (β+T)^(−s) / L.
//
// It returns NaN for an invalid history.
func (m *FittedParetoNBD) ProbabilityAlive(c Customer) float64 {
	if !pnbdValidHistory(c) {
		return math.NaN()
	}
	return math.Exp(m.logProbabilityAlive(c))
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
	if !pnbdValidHistory(c) {
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
	if !(discountPerUnit >= 0) || math.IsInf(discountPerUnit, 0) || !pnbdValidHistory(c) {
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
// integral is also U(1, 2−s; z) and e^z z^(s−1) Γ(1−s, z)). With w = e^y − 1
// the log-integrand h(y) = (1−s)y − z(e^y − 1) is concave; it is integrated
// by adaptive Gauss–Kronrod quadrature over the range where h lies within
// 50 of its maximum, scaled by that maximum.
func logTricomiSS(s, z float64) float64 {
	h := func(y float64) float64 { return (1-s)*y - z*math.Expm1(y) }
	ys := 0.0
	if s < 1 && 1-s > z {
		ys = math.Log((1 - s) / z)
	}
	hs := h(ys)
	// Width of the peak: the curvature at the maximum, or the slope at 0.
	step := 1.0
	if sl := math.Abs((1 - s) - z*math.Exp(ys)); sl > 0 && 50/sl < step && ys == 0 {
		step = 50 / sl
	}
	hi := ys + step
	for h(hi) > hs-50 {
		step *= 2
		hi = ys + step
	}
	lo := 0.0
	if ys > 0 {
		// Below the peak the log-integrand also falls; cut where it is 50 down.
		st := 1.0
		for ys-st > 0 && h(ys-st) > hs-50 {
			st *= 2
		}
		lo = math.Max(0, ys-st)
	}
	var res [1]float64
	f := func(y float64, out []float64) { out[0] = math.Exp(h(y) - hs) }
	pnbdIntegrate(f, res[:], lo, hi, 1e-13, 0)
	return hs + math.Log(res[0])
}

// pnbdData is the calibration table in the form the likelihood reads:
// rows (identical histories merged into weights when that pays), and per
// row the index of its frequency among the distinct frequencies, so that
// what depends on x alone is computed once per distinct x and evaluation.
type pnbdData struct {
	xs     []float64 // distinct frequencies
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

	// The last evaluation, returned again for the same parameters (the
	// optimizer asks for its starting point, and for the point it stops
	// at, more than once).
	mu   sync.Mutex
	last struct {
		ok, grad bool
		p, g     [4]float64
		v        float64
	}
}

// pnbdMergeAlways is the number of rows up to which identical histories are
// always merged; above it they are merged when an evenly spaced sample of
// pnbdMergeSample rows holds fewer than 70% distinct ones.
const (
	pnbdMergeAlways = 1 << 16
	pnbdMergeSample = 8192
)

type pnbdKey struct{ x, tx, T float64 }

// pnbdRecency returns the t_x the likelihood uses: 0 without repeat
// purchases (the last purchase is then the first), and at most T.
func pnbdRecency(x, tx, T float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Min(tx, T)
}

func newPNBDData(d *Data) *pnbdData {
	n := d.Len()
	pd := &pnbdData{}
	xs := map[float64]int32{}
	index := func(x float64) int32 {
		k, ok := xs[x]
		if !ok {
			k = int32(len(pd.xs))
			xs[x] = k
			pd.xs = append(pd.xs, x)
		}
		return k
	}
	merge := n <= pnbdMergeAlways
	if !merge {
		seen := make(map[pnbdKey]struct{}, pnbdMergeSample)
		step := n / pnbdMergeSample
		for j := 0; j < pnbdMergeSample; j++ {
			i := j * step
			seen[pnbdKey{d.Frequency[i], pnbdRecency(d.Frequency[i], d.Recency[i], d.T[i]), d.T[i]}] = struct{}{}
		}
		merge = len(seen) < pnbdMergeSample*7/10
	}
	if merge {
		pos := make(map[pnbdKey]int, min(n, 1<<16))
		for i := 0; i < n; i++ {
			w := d.W(i)
			if w == 0 {
				continue
			}
			x := d.Frequency[i]
			k := pnbdKey{x, pnbdRecency(x, d.Recency[i], d.T[i]), d.T[i]}
			if j, ok := pos[k]; ok {
				pd.w[j] += w
				continue
			}
			pos[k] = len(pd.T)
			pd.xi = append(pd.xi, index(x))
			pd.tx = append(pd.tx, k.tx)
			pd.T = append(pd.T, k.T)
			pd.w = append(pd.w, w)
		}
	} else {
		pd.xi = make([]int32, n)
		pd.tx = d.Recency
		pd.T = d.T
		pd.w = d.Weight
		copied := false
		for i := 0; i < n; i++ {
			x := d.Frequency[i]
			pd.xi[i] = index(x)
			if tx := pnbdRecency(x, d.Recency[i], d.T[i]); tx != d.Recency[i] {
				if !copied {
					pd.tx = append([]float64(nil), d.Recency...)
					copied = true
				}
				pd.tx[i] = tx
			}
		}
	}
	pd.n = len(pd.T)
	pd.summarize()
	return pd
}

// summarize computes the per-frequency extremes and the weighted sums.
func (pd *pnbdData) summarize() {
	nx := len(pd.xs)
	pd.zeroTx = make([]bool, nx)
	pd.minTx = make([]float64, nx)
	pd.minT = make([]float64, nx)
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
		pd.sumW += w
		pd.sumWX += w * pd.xs[k]
		pd.sumWT += w * pd.T[i]
	}
}

// subsample returns about m rows of pd, evenly spaced.
func (pd *pnbdData) subsample(m int) *pnbdData {
	step := max(pd.n/m, 1)
	sub := &pnbdData{xs: pd.xs, w: []float64{}}
	for i := 0; i < pd.n; i += step {
		w := 1.0
		if pd.w != nil {
			w = pd.w[i]
		}
		sub.xi = append(sub.xi, pd.xi[i])
		sub.tx = append(sub.tx, pd.tx[i])
		sub.T = append(sub.T, pd.T[i])
		sub.w = append(sub.w, w)
	}
	sub.n = len(sub.T)
	sub.summarize()
	return sub
}

// start returns starting values: unit shapes for both gammas, the purchase
// rate r/α at the pooled rate Σx/ΣT and the mean lifetime β/s at the mean T.
func (pd *pnbdData) start() []float64 {
	alpha := pd.sumWT / math.Max(pd.sumWX, 1e-3*pd.sumW)
	alpha = math.Min(math.Max(alpha, 1e-6), 1e6)
	beta := math.Min(math.Max(pd.sumWT/pd.sumW, 1e-6), 1e6)
	return []float64{1, alpha, 1, beta}
}

func (pd *pnbdData) likelihood() likelihood {
	return likelihood{model: "paretonbd", names: pnbdNames, start: pd.start(), logLik: pd.logLik, n: pd.sumW}
}

// pnbdTable holds, for one J of one distinct frequency, what the terms of
// the Pfaff series Σ h_n (h_{n+1} = h_n·z·(q+n)/(p+q+n)) need besides z:
// per term, the ratio (q+n)/(p+q+n) and the running sums Σ_{k≤n} 1/(p+q+k)
// and Σ_{k≤n} [1/(q+k) − 1/(p+q+k)] that give ∂ln h/∂p and ∂ln h/∂q.
type pnbdTable []pnbdTerm

type pnbdTerm struct{ ratio, cumPQ, cumQ float64 }

func (tb *pnbdTable) fill(p, q float64, terms int) {
	t := make(pnbdTable, terms)
	pq := p + q
	var accPQ, accQ float64
	for n := range t {
		ipq := 1 / (pq + float64(n))
		iq := 1 / (q + float64(n))
		accPQ += ipq
		accQ += p * iq * ipq // 1/(q+n) − 1/(p+q+n)
		t[n] = pnbdTerm{ratio: (q + float64(n)) * ipq, cumPQ: accPQ, cumQ: accQ}
	}
	*tb = t
}

// pnbdSum holds the Pfaff series of one J and its derivative sums, all
// divided by the sum: H, ∂ln H/∂p, ∂ln H/∂q and ∂ln H/∂z.
type pnbdSum struct{ h, dp, dq, dz float64 }

// sum sums the series at z with the table; it reports false when the table
// is too short for z (the caller then falls back to pnbdLogJ).
func (tb pnbdTable) sum(z float64) (pnbdSum, bool) {
	h, H := 1.0, 1.0
	var hp, hq, hz float64
	tol := 0x1p-55 * (1 - z)
	k := 1.0
	for _, t := range tb {
		tz := h * t.ratio // h_{n+1}/z
		h *= t.ratio * z
		H += h
		hp -= h * t.cumPQ
		hq += h * t.cumQ
		hz += k * tz
		k++
		if h*k <= tol*H {
			inv := 1 / H
			return pnbdSum{H, hp * inv, hq * inv, hz * inv}, true
		}
	}
	return pnbdSum{}, false
}

// pnbdTerms sizes a series table: the number of terms the series needs at
// z (see pnbdSeries' stopping rule), at most pnbdMaxTerms.
func pnbdTerms(z float64) int {
	if !(z > 0) {
		return 2
	}
	z = math.Min(z, pnbdSeriesMaxZ)
	n := math.Log(0x1p-55*(1-z)) / math.Log(z)
	return min(int(n)+8, pnbdMaxTerms)
}

// pnbdXConst holds the terms of the likelihood that depend on the row only
// through its frequency x.
type pnbdXConst struct {
	a, c     float64 // r+x, r+s+x
	lnc, lnA float64 // ln c, ln(r+x)
	ic       float64 // 1/c
	lg, dg   float64 // lnΓ(r+x) − lnΓ(r), ψ(r+x) − ψ(r)
	p1, q1   float64 // exponents of J1 = J(r+x, s+1; t_x), oriented
	p2, q2   float64 // exponents of J2 = J(r+x+1, s; T), oriented
	t1, t2   pnbdTable
	zero     pnbdJ // J1 at t_x = 0, when some row has it
}

// pnbdJ is one J of a row: E = (1−p)·ln(P+u) − q·ln(Q+u) in the oriented
// variables, so that ln J = E − ln c + ln h, and, when the gradient is
// wanted, ∂ln J/∂(a, b, α, β) with a the exponent on α and b the one on β.
type pnbdJ struct {
	e, h float64
	g    [4]float64
}

// pnbdEval is the likelihood at one parameter point: orientation, scales
// and the per-frequency constants.
type pnbdEval struct {
	r, alpha, s, beta float64
	ab                bool    // α ≥ β: P = β, Q = α; else P = α, Q = β
	P, Q, D           float64 // smaller scale, larger scale, difference
	lnS               float64
	grad              bool
	xc                []pnbdXConst
}

func (pd *pnbdData) newEval(r, alpha, s, beta float64, grad bool) *pnbdEval {
	ev := &pnbdEval{r: r, alpha: alpha, s: s, beta: beta, ab: alpha >= beta, lnS: math.Log(s), grad: grad}
	if ev.ab {
		ev.P, ev.Q, ev.D = beta, alpha, alpha-beta
	} else {
		ev.P, ev.Q, ev.D = alpha, beta, beta-alpha
	}
	lgr := lgamma(r)
	var dgr float64
	if grad {
		dgr = mathext.Digamma(r)
	}
	ev.xc = make([]pnbdXConst, len(pd.xs))
	for k, x := range pd.xs {
		xc := &ev.xc[k]
		a := r + x
		xc.a, xc.c = a, r+s+x
		xc.lnc, xc.lnA, xc.ic = math.Log(xc.c), math.Log(a), 1/xc.c
		xc.lg = lgamma(a) - lgr
		if grad {
			xc.dg = mathext.Digamma(a) - dgr
		}
		if ev.ab {
			xc.p1, xc.q1, xc.p2, xc.q2 = s+1, a, s, a+1
		} else {
			xc.p1, xc.q1, xc.p2, xc.q2 = a, s+1, a+1, s
		}
		u1 := pd.minTx[k]
		if pd.zeroTx[k] {
			u1 = 0
		}
		if !math.IsInf(u1, 1) {
			xc.t1.fill(xc.p1, xc.q1, pnbdTerms(ev.D/(ev.Q+u1)))
		}
		xc.t2.fill(xc.p2, xc.q2, pnbdTerms(ev.D/(ev.Q+pd.minT[k])))
		if pd.zeroTx[k] {
			ev.j(xc, 1, 0, &xc.zero)
		}
	}
	return ev
}

// j evaluates J1 (which = 1, at u = t_x) or J2 (which = 2, at u = T) into
// jj.
func (ev *pnbdEval) j(xc *pnbdXConst, which int, u float64, jj *pnbdJ) {
	p, q, tb := xc.p1, xc.q1, xc.t1
	if which == 2 {
		p, q, tb = xc.p2, xc.q2, xc.t2
	}
	Pu, Qu := ev.P+u, ev.Q+u
	lPu, lQu := math.Log(Pu), math.Log(Qu)
	jj.e = (1-p)*lPu - q*lQu
	var dp, dq, dP, dQ float64
	z := ev.D / Qu
	sm, ok := pnbdSum{}, false
	if z <= pnbdSeriesMaxZ {
		sm, ok = tb.sum(z)
	}
	if ok {
		jj.h = sm.h
		if !ev.grad {
			return
		}
		iP, iQ := 1/Pu, 1/Qu
		dp = -lPu - xc.ic + sm.dp
		dq = -lQu - xc.ic + sm.dq
		dP = (1-p)*iP - sm.dz*iQ
		dQ = (sm.dz*Pu*iQ - q) * iQ
	} else {
		// Near z = 1 (or past the table): the general evaluation.
		var g pnbdJGrad
		var gp *pnbdJGrad
		if ev.grad {
			gp = &g
		}
		jj.e = pnbdLogJ(p, q, xc.c, Pu, Qu, ev.D, gp) + xc.lnc
		jj.h = 1
		dp, dq, dP, dQ = g[0], g[1], g[2], g[3]
	}
	if ev.ab { // P = β (exponent b), Q = α (exponent a)
		jj.g = [4]float64{dq, dp, dQ, dP}
	} else {
		jj.g = [4]float64{dp, dq, dP, dQ}
	}
}

// logLik is the total weighted log-likelihood and its gradient with respect
// to (r, α, s, β) (see ParetoNBD). Per row, with E_i and H_i the scale and
// series of J_i (ln J_i = E_i − ln c + ln H_i):
//
//	ln L = lnΓ(r+x) − lnΓ(r) + r ln α + s ln β − ln c + ln(e^(E₁′)H₁ + e^(E₂′)H₂),
//	E₁′ = ln s + E₁,  E₂′ = ln(r+x) + E₂,
//
// which takes four logarithms, one exponential and one more logarithm per
// row; the gradient weighs ∂ln J₁ and ∂ln J₂ by the shares of the two terms.
func (pd *pnbdData) logLik(p, grad []float64) float64 {
	r, alpha, s, beta := p[0], p[1], p[2], p[3]
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 0) {
			return math.Inf(-1)
		}
	}
	pd.mu.Lock()
	defer pd.mu.Unlock()
	if l := &pd.last; l.ok && l.p == [4]float64(p) && (grad == nil || l.grad) {
		copy(grad, l.g[:])
		return l.v
	}
	var g4 [4]float64
	v := pd.evalLogLik(r, alpha, s, beta, g4[:], grad != nil)
	copy(grad, g4[:])
	pd.last.ok, pd.last.grad, pd.last.p, pd.last.g, pd.last.v = true, grad != nil, [4]float64(p), g4, v
	return v
}

// evalLogLik computes the log-likelihood and, when wantGrad, adds its
// gradient into grad (see logLik).
func (pd *pnbdData) evalLogLik(r, alpha, s, beta float64, grad []float64, wantGrad bool) float64 {
	DBGpass.Add(1); DBGrows.Add(int64(pd.n))
	if !wantGrad {
		grad = nil
	}
	ev := pd.newEval(r, alpha, s, beta, grad != nil)
	total := parallelSum(pd.n, 4, grad, func(lo, hi int, g []float64) float64 {
		var sum, gr, ga, gs, gb float64
		var jt1, j2 pnbdJ
		for i := lo; i < hi; i++ {
			w := 1.0
			if pd.w != nil {
				if w = pd.w[i]; w == 0 {
					continue
				}
			}
			xc := &ev.xc[pd.xi[i]]
			j1 := &xc.zero
			if tx := pd.tx[i]; tx != 0 {
				j1 = &jt1
				ev.j(xc, 1, tx, j1)
			}
			ev.j(xc, 2, pd.T[i], &j2)
			e1 := ev.lnS + j1.e
			e2 := xc.lnA + j2.e
			var v1, v2, m float64
			if e1 >= e2 {
				m, v1, v2 = e1, j1.h, j2.h*math.Exp(e2-e1)
			} else {
				m, v1, v2 = e2, j1.h*math.Exp(e1-e2), j2.h
			}
			b := v1 + v2
			sum += w * (xc.lg - xc.lnc + m + math.Log(b))
			if g != nil {
				w1, w2 := v1/b, v2/b
				gr += w * (xc.dg + w1*j1.g[0] + w2*(1/xc.a+j2.g[0]))
				gs += w * (w1*(1/s+j1.g[1]) + w2*j2.g[1])
				ga += w * (w1*j1.g[2] + w2*j2.g[2])
				gb += w * (w1*j1.g[3] + w2*j2.g[3])
			}
		}
		if g != nil {
			g[0] += gr
			g[1] += ga
			g[2] += gs
			g[3] += gb
		}
		return sum
	})
	lnAlpha, lnBeta := math.Log(alpha), math.Log(beta)
	if grad != nil {
		grad[0] += pd.sumW * lnAlpha
		grad[1] += pd.sumW * r / alpha
		grad[2] += pd.sumW * lnBeta
		grad[3] += pd.sumW * s / beta
	}
	return total + pd.sumW*(r*lnAlpha+s*lnBeta)
}

var DBGpass, DBGrows, DBGsplit atomic.Int64
