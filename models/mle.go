package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// likelihood is what a model hands the shared fitting machinery: the
// parameter names, the starting values and the total weighted
// log-likelihood with its analytic gradient, all in natural parameters.
type likelihood struct {
	model string
	names []string
	start []float64
	// logLik returns the total weighted log-likelihood at the natural
	// parameters p and, when grad is not nil, stores ∂LL/∂p in grad.
	// It returns -Inf (not NaN) outside the parameter space.
	logLik func(p, grad []float64) float64
	// n is the number of customers (the total weight); it scales the
	// objective to a mean and enters the BIC.
	n float64
	// hessian is optional: when not nil it returns the Hessian of the
	// total log-likelihood at p, row-major len(p)×len(p), and
	// standardErrors uses it instead of differencing the gradient.
	hessian func(p []float64) []float64
}

// ConvergenceError reports a fit whose optimizer did not reach a maximum.
// The fit's best point and diagnostics are in Result.
type ConvergenceError struct {
	Result *FitResult
	Reason string
	// Option names the fitting option that can make the fit converge
	// (OptionPenalty); the caller words it as a flag or a config key.
	Option string
}

// Error describes the failed fit with its diagnostics and what to try.
func (e *ConvergenceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the fit did not converge: %s (method %s, %d iterations, gradient norm %.3g, log-likelihood %.6g, params",
		e.Result.Model, e.Reason, e.Result.Method, e.Result.Iterations, e.Result.GradientNorm, e.Result.LogLikelihood)
	for _, k := range e.Result.Params.Names() {
		fmt.Fprintf(&b, " %s=%.6g", k, e.Result.Params[k])
	}
	fmt.Fprintf(&b, "); try a small %q option (an L2 penalty on the log-parameters, e.g. 0.001) or check the data for degenerate histories", e.Option)
	return b.String()
}

// IsConvergence reports whether err is (or wraps) a ConvergenceError.
func IsConvergence(err error) bool {
	var ce *ConvergenceError
	return errors.As(err, &ce)
}

// maxLogParam bounds |log θ|: an estimate beyond e^±25 is taken as a
// parameter running off to the edge of its space (the degenerate fits that
// other packages report without warning), not as a maximum.
const maxLogParam = 25

// gradientTolerance is the largest gradient norm of the mean negative
// log-likelihood (in log-parameters) accepted as a maximum.
const gradientTolerance = 1e-5

// maximize fits lk by maximum likelihood on log-parameters. It tries LBFGS
// first and falls back to BFGS and then Nelder-Mead when a method fails,
// noting each fallback in the result's warnings. A fit that does not reach
// a maximum returns its best point together with a *ConvergenceError.
func maximize(ctx context.Context, lk likelihood, o FitOptions) (*FitResult, error) {
	p0, free, err := startValues(lk, o)
	if err != nil {
		return nil, err
	}
	obj := newObjective(lk, p0, free, o.Penalty)
	theta0 := make([]float64, len(free))
	for j, i := range free {
		theta0[j] = math.Log(p0[i])
	}
	if f := obj.value(theta0); math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%s: the log-likelihood is not finite at the start values %v", lk.model, p0)
	}
	run, err := optimizeInTurn(ctx, obj, theta0, o.MaxIterations)
	if err != nil {
		return nil, fmt.Errorf("%s: fit interrupted: %w", lk.model, err)
	}
	p := obj.natural(run.best)
	res := &FitResult{
		Model:         lk.model,
		HasLikelihood: true,
		Params:        Params{},
		StdErrors:     Params{},
		Iterations:    run.iters,
		Customers:     lk.n,
		Method:        run.method,
		GradientNorm:  run.gradNorm,
		Warnings:      run.warnings,
	}
	for i, name := range lk.names {
		res.Params[name] = p[i]
	}
	res.LogLikelihood = lk.logLik(p, nil)
	kFree := float64(len(free))
	res.AIC = 2*kFree - 2*res.LogLikelihood
	res.BIC = kFree*math.Log(lk.n) - 2*res.LogLikelihood
	return settle(res, lk, p, run.best, free, o.Penalty, run.converged)
}

// startValues returns the natural start values (lk.start overridden by
// o.Start and o.Fixed) and the indices of the free parameters.
func startValues(lk likelihood, o FitOptions) ([]float64, []int, error) {
	p0 := append([]float64(nil), lk.start...)
	var free []int
	for i, name := range lk.names {
		if v, ok := o.Start[name]; ok {
			p0[i] = v
		}
		v, fixed := o.Fixed[name]
		if fixed {
			p0[i] = v
		}
		if !(p0[i] > 0) || math.IsInf(p0[i], 0) {
			return nil, nil, fmt.Errorf("%s: start value %s=%v must be a finite number > 0", lk.model, name, p0[i])
		}
		if !fixed {
			free = append(free, i)
		}
	}
	if lk.n <= 0 {
		return nil, nil, fmt.Errorf("%s: no customers to fit on", lk.model)
	}
	return p0, free, nil
}

// optimizerRun is what optimizeInTurn reached.
type optimizerRun struct {
	best      []float64 // the best free log-parameters
	method    string    // the last method tried
	iters     int       // major iterations of all methods
	gradNorm  float64   // at best
	converged bool      // the gradient fell below gradientTolerance away from the edge
	warnings  []string  // one per method that stopped without a maximum
}

// optimizeInTurn minimizes obj from theta0 with LBFGS, then BFGS, then
// Nelder-Mead, each starting where the previous one got best, until one
// reaches a point whose gradient norm is below gradientTolerance away
// from the edge of the box. It returns an error only when ctx ends.
func optimizeInTurn(ctx context.Context, obj *objective, theta0 []float64, maxIter int) (optimizerRun, error) {
	if maxIter <= 0 {
		maxIter = 1000
	}
	problem := optimize.Problem{
		Func: obj.value,
		Grad: func(g, x []float64) { obj.gradient(g, x) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 50},
	}
	attempts := []struct {
		name   string
		method optimize.Method
	}{
		{"LBFGS", &optimize.LBFGS{Linesearcher: &optimize.Backtracking{}}},
		{"BFGS", &optimize.BFGS{Linesearcher: &optimize.Backtracking{}}},
		{"NelderMead", &optimize.NelderMead{}},
	}
	var run optimizerRun
	bestF := math.Inf(1)
	x := append([]float64(nil), theta0...)
	for _, a := range attempts {
		res, err := optimize.Minimize(problem, x, settings, a.method)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return run, ctxErr
		}
		if res != nil {
			run.iters += res.Stats.MajorIterations
			if res.F < bestF && !math.IsNaN(res.F) {
				bestF = res.F
				run.best = append(run.best[:0], res.X...)
			}
		}
		if run.best == nil {
			run.best = append([]float64(nil), x...)
			bestF = obj.value(run.best)
		}
		run.method = a.name
		run.gradNorm = obj.gradNorm(run.best)
		if run.gradNorm < gradientTolerance && !nearEdge(run.best) {
			run.converged = true
			break
		}
		why := "gradient norm " + fmt.Sprintf("%.3g", run.gradNorm)
		if err != nil {
			why = err.Error()
		}
		run.warnings = append(run.warnings, fmt.Sprintf("%s stopped without a maximum (%s); trying the next method", a.name, why))
		x = append(x[:0], run.best...)
	}
	return run, nil
}

// settle completes res at the optimizer's best point (natural parameters p,
// free log-parameters theta): the identification measures from the
// observed information, the runaway rules (a runaway is not converged),
// and the standard errors of a converged fit. A fit that did not converge
// comes back with a *ConvergenceError.
func settle(res *FitResult, lk likelihood, p, theta []float64, free []int, penalty float64, converged bool) (*FitResult, error) {
	var id identification
	if len(free) > 0 {
		h, hErr := information(lk, p, free, penalty)
		id = identify(h, hErr, p, free)
	}
	res.MaxRelativeSE, res.ConditionNumber = id.maxRelSE, id.condition
	res.WeaklyIdentified = id.weak()
	res.Runaway = id.runaway(lk.names, theta, free)
	res.Converged = converged && res.Runaway == nil
	if !res.Converged {
		reason := "the optimizer stopped away from a maximum"
		if res.Runaway != nil {
			reason = res.Runaway.describe()
		}
		return res, &ConvergenceError{Result: res, Reason: reason, Option: OptionPenalty}
	}
	if id.se == nil {
		res.Warnings = append(res.Warnings, "standard errors unavailable: "+id.seErr.Error())
		return res, nil
	}
	for j, i := range free {
		res.StdErrors[lk.names[i]] = id.se[j]
	}
	return res, nil
}

// nearEdge reports whether some |log θ| came within 2 of maxLogParam.
func nearEdge(theta []float64) bool {
	for _, t := range theta {
		if math.Abs(t) > maxLogParam-2 {
			return true
		}
	}
	return false
}

func withinBounds(theta []float64) bool {
	for _, t := range theta {
		if math.Abs(t) > maxLogParam {
			return false
		}
	}
	return true
}

// objective is the mean negative log-likelihood plus the penalty as a
// function of the free log-parameters θ. Func and Grad share one
// evaluation: the last point and its gradient are cached.
type objective struct {
	lk      likelihood
	p       []float64 // natural parameters, fixed ones already set
	free    []int
	penalty float64

	mu      sync.Mutex
	lastX   []float64
	lastF   float64
	lastG   []float64
	scratch []float64
}

func newObjective(lk likelihood, p0 []float64, free []int, penalty float64) *objective {
	return &objective{
		lk: lk, p: append([]float64(nil), p0...), free: free, penalty: penalty,
		lastG: make([]float64, len(free)), scratch: make([]float64, len(p0)),
	}
}

func (o *objective) natural(theta []float64) []float64 {
	p := append([]float64(nil), o.p...)
	for j, i := range o.free {
		p[i] = math.Exp(theta[j])
	}
	return p
}

func (o *objective) eval(theta []float64) {
	if o.lastX != nil && equal(o.lastX, theta) {
		return
	}
	o.lastX = append(o.lastX[:0], theta...)
	if !withinBounds(theta) {
		o.lastF = math.Inf(1)
		for j := range o.lastG {
			o.lastG[j] = 0
		}
		return
	}
	p := o.natural(theta)
	for i := range o.scratch {
		o.scratch[i] = 0
	}
	ll := o.lk.logLik(p, o.scratch)
	if math.IsNaN(ll) || math.IsInf(ll, 0) {
		o.lastF = math.Inf(1)
		for j := range o.lastG {
			o.lastG[j] = 0
		}
		return
	}
	f := -ll / o.lk.n
	for j, i := range o.free {
		o.lastG[j] = -p[i]*o.scratch[i]/o.lk.n + 2*o.penalty*theta[j]
		f += o.penalty * theta[j] * theta[j]
	}
	o.lastF = f
}

func (o *objective) value(theta []float64) float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.eval(theta)
	return o.lastF
}

func (o *objective) gradient(g, theta []float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.eval(theta)
	copy(g, o.lastG)
}

func (o *objective) gradNorm(theta []float64) float64 {
	g := make([]float64, len(theta))
	o.gradient(g, theta)
	s := 0.0
	for _, v := range g {
		s += v * v
	}
	return math.Sqrt(s)
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// information returns the observed information of the free natural
// parameters at p: minus the Hessian of the (penalized) total
// log-likelihood, from lk.hessian when the model has one and otherwise by
// central differences of the analytic gradient.
func information(lk likelihood, p []float64, free []int, penalty float64) (*mat.SymDense, error) {
	k := len(free)
	h := mat.NewSymDense(k, nil)
	gp := make([]float64, len(p))
	gm := make([]float64, len(p))
	rows := make([][]float64, k)
	if lk.hessian != nil {
		full := lk.hessian(p)
		for j, i := range free {
			rows[j] = make([]float64, k)
			for jj, ii := range free {
				rows[j][jj] = full[i*len(p)+ii]
			}
		}
	}
	for j, i := range free {
		if lk.hessian != nil {
			break // rows come from the analytic Hessian
		}
		step := 1e-5 * math.Max(p[i], 1e-3)
		pp := append([]float64(nil), p...)
		pm := append([]float64(nil), p...)
		pp[i] += step
		pm[i] -= step
		if pm[i] <= 0 {
			pm[i] = p[i]
			step /= 2
			pp[i] = p[i] + 2*step
			pm[i] = p[i]
		}
		for q := range gp {
			gp[q], gm[q] = 0, 0
		}
		lk.logLik(pp, gp)
		lk.logLik(pm, gm)
		rows[j] = make([]float64, k)
		for jj, ii := range free {
			rows[j][jj] = (gp[ii] - gm[ii]) / (pp[i] - pm[i])
		}
	}
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			v := -(rows[a][b] + rows[b][a]) / 2
			if a == b && penalty > 0 {
				// d²/dp² of n·λ·(log p)² at the optimum.
				ia := free[a]
				v += 2 * lk.n * penalty * (1 - math.Log(p[ia])) / (p[ia] * p[ia])
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("the Hessian is not finite")
			}
			h.SetSym(a, b, v)
		}
	}
	return h, nil
}

// standardErrorsFrom returns the asymptotic standard errors of the free
// natural parameters: the square roots of the diagonal of the inverse of
// the observed information h.
func standardErrorsFrom(h *mat.SymDense) ([]float64, error) {
	k := h.SymmetricDim()
	var chol mat.Cholesky
	if ok := chol.Factorize(h); !ok {
		return nil, fmt.Errorf("the observed information is not positive definite (a flat or degenerate likelihood)")
	}
	var cov mat.SymDense
	if err := chol.InverseTo(&cov); err != nil {
		return nil, fmt.Errorf("inverting the observed information: %w", err)
	}
	se := make([]float64, k)
	for j := range se {
		v := cov.At(j, j)
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("variance of parameter %d is %v", j, v)
		}
		se[j] = math.Sqrt(v)
	}
	return se, nil
}

// chunkSize is the number of rows one goroutine sums at a time. It is fixed,
// not derived from the number of cores, so that sums are added in the same
// order on every machine and fits are reproducible to the last bit.
const chunkSize = 8192

// parallelSum evaluates rows [0, n) in fixed chunks, in parallel when n is
// large, and adds the chunks' values and gradients in chunk order. f sums
// rows [lo, hi) into its return value and adds their gradient into grad
// (grad is nil when no gradient is wanted).
func parallelSum(n, dim int, grad []float64, f func(lo, hi int, grad []float64) float64) float64 {
	if n <= chunkSize {
		var g []float64
		if grad != nil {
			g = make([]float64, dim)
		}
		v := f(0, n, g)
		for i := range g {
			grad[i] += g[i]
		}
		return v
	}
	chunks := (n + chunkSize - 1) / chunkSize
	vals := make([]float64, chunks)
	var grads [][]float64
	if grad != nil {
		grads = make([][]float64, chunks)
		for c := range grads {
			grads[c] = make([]float64, dim)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), chunks)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				lo := c * chunkSize
				hi := min(lo+chunkSize, n)
				var g []float64
				if grads != nil {
					g = grads[c]
				}
				vals[c] = f(lo, hi, g)
			}
		}()
	}
	wg.Wait()
	total := 0.0
	for c := 0; c < chunks; c++ {
		total += vals[c]
		for i := range grad { // no-op without a gradient
			grad[i] += grads[c][i]
		}
	}
	return total
}

// weightedSample draws a systematic sample of about m customers from n
// rows with the given weights (weight(i) ≥ 0, total their sum), with
// probability proportional to weight: the customers at the cumulative
// weights (j+½)·total/m, j = 0, 1, …, in row order. It calls take(i, k)
// for each row i drawn k ≥ 1 times, in row order. On a table of distinct
// histories, where a few rows stand for many customers each, this is a
// sample of the customers (an evenly spaced sample of the rows would
// over-represent the rare histories); on rows of weight 1 it is an evenly
// spaced sample of the rows. Rows sorted by frequency make it a sample
// stratified by frequency.
func weightedSample(n int, weight func(i int) float64, total float64, m int, take func(i int, k float64)) {
	if !(total > 0) || m <= 0 {
		return
	}
	step := total / float64(m)
	next := step / 2
	cum := 0.0
	for i := 0; i < n; i++ {
		cum += weight(i)
		k := 0.0
		for next < cum {
			k++
			next += step
		}
		if k > 0 {
			take(i, k)
		}
	}
}
