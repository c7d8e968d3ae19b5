package models

import (
	"context"
	"math"
	"slices"
	"sync"
)

// newtonPolish maximizes the penalized mean log-likelihood
// F(θ) = LL(e^θ)/n − λ·Σθ² over the free log-parameters θ by
// Levenberg–Marquardt steps (−∇²F + μD)Δ = ∇F with the analytic Hessian
// (D the diagonal of −∇²F, each entry at least 1; see dampedNewtonStep),
// starting from p0 (natural parameters named names, fixed ones as in
// o.Fixed; at most 4) with μ = set.mu0: the warm start of the fits whose
// likelihood has an analytic Hessian. llHess returns the total
// log-likelihood at p and stores its gradient and Hessian (natural
// parameters, row-major) in grad and hess. A step is kept when it raises F
// or, where F changes by no more than its rounding (taken as 1e-13·|F|,
// next to the maximum), when it shrinks the largest gradient component
// (with set.finiteOnly, only when F, its gradient and Hessian are all
// finite there); μ is then divided by 8 (and set to 0 below 1e-10),
// otherwise multiplied by 8. No step is longer than 3 in any
// log-parameter. It returns the best point reached (every free component
// passed through logRoundTrip), the number of steps taken and the Hessian
// of the total log-likelihood there; it stops when the largest gradient
// component is below set.tol, after set.maxSteps steps, when a step fails
// where the gradient is already below a tenth of maximize's threshold,
// when μ exceeds 1e12, or when a step would leave the box
// |θ| ≤ maxLogParam. When p0 is not finite and > 0 it returns p0, 0 and
// nil; when F cannot be evaluated at the start (−Inf, or with
// set.finiteOnly anything not finite), the start and 0 steps, with nil.
func newtonPolish(ctx context.Context, llHess func(p, grad, hess []float64) float64, names []string, n float64, p0 []float64, o FitOptions, set polishSettings) ([]float64, int, []float64) {
	p := append([]float64(nil), p0...)
	var free []int
	for i, name := range names {
		if v, ok := o.Fixed[name]; ok {
			p[i] = v
			continue
		}
		free = append(free, i)
	}
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 0) {
			return p0, 0, nil
		}
	}
	for _, i := range free {
		p[i] = logRoundTrip(p[i])
	}
	k := len(free)
	if k == 0 {
		return p, 0, nil
	}
	eval := func(p []float64) polishPoint { return newPolishPoint(llHess, n, p, free, o.Penalty) }
	cur := eval(p)
	if math.IsInf(cur.f, 0) || (set.finiteOnly && !cur.finite) {
		return p, 0, nil
	}
	mu := set.mu0
	steps := 0
	for steps < set.maxSteps && cur.gmax >= set.tol && ctx.Err() == nil {
		delta, ok := dampedNewtonStep(cur.hess, cur.grad, mu)
		if !ok {
			if mu = math.Max(4*mu, 1e-8); mu > 1e12 {
				break
			}
			continue
		}
		next, inBox := polishStep(cur.p, free, delta)
		if !inBox {
			break
		}
		steps++
		trial := eval(next)
		// Next to the maximum F changes by no more than its rounding: a
		// step is then kept when it shrinks the gradient.
		noise := 1e-13 * math.Abs(cur.f)
		better := trial.f > cur.f+noise || (trial.f >= cur.f-noise && trial.gmax < cur.gmax)
		if better && (trial.finite || !set.finiteOnly) {
			cur = trial
			if mu /= 8; mu < 1e-10 {
				mu = 0
			}
			continue
		}
		if mu = math.Max(8*mu, 1e-6); mu > 1e12 || cur.gmax < 0.1*gradientThresholdOfMaximize {
			break
		}
	}
	return cur.p, steps, cur.raw
}

// polishSettings are the settings of one newtonPolish.
type polishSettings struct {
	maxSteps int     // the most steps taken
	tol      float64 // stop when every gradient component is below
	mu0      float64 // the first damping μ
	// finiteOnly keeps a step only where F, its gradient and Hessian are
	// all finite (a likelihood by quadrature may fail at a point).
	finiteOnly bool
}

// newtonSettings are the settings of the warm starts by exact Newton
// steps: undamped at first, until the gradient is below 1e-12.
func newtonSettings(maxSteps int) polishSettings {
	return polishSettings{maxSteps: maxSteps, tol: 1e-12}
}

// polishStep returns the point Δ away from p in the free log-parameters,
// Δ shortened to at most 3 in every component (a factor e³), each
// component passed through logRoundTrip, and whether it lies in the box
// |θ| ≤ maxLogParam.
func polishStep(p []float64, free []int, delta [4]float64) ([]float64, bool) {
	scale := 1.0
	for _, v := range delta[:len(free)] {
		if a := math.Abs(v); a*scale > 3 {
			scale = 3 / a
		}
	}
	next := append([]float64(nil), p...)
	inBox := true
	for j, i := range free {
		th := math.Log(p[i]) + scale*delta[j]
		if math.Abs(th) > maxLogParam {
			inBox = false
		}
		next[i] = logRoundTrip(math.Exp(th))
	}
	return next, inBox
}

// polishPoint is one point of newtonPolish: the natural parameters, the
// penalized mean log-likelihood F and its derivatives in the free
// log-parameters θ.
type polishPoint struct {
	p    []float64
	f    float64
	grad []float64 // ∇F in θ
	hess []float64 // −∇²F in θ, k×k
	raw  []float64 // ∇²LL in natural parameters, row-major
	gmax float64   // the largest |component| of grad
	// finite: F, grad and hess are all finite.
	finite bool
}

// newPolishPoint evaluates F(θ) = LL(e^θ)/n − λ·Σθ² at p with its
// gradient and negated Hessian over the free log-parameters (F = −Inf
// where LL is NaN).
func newPolishPoint(llHess func(p, grad, hess []float64) float64, n float64, p []float64, free []int, lambda float64) polishPoint {
	k, dim := len(free), len(p)
	g := make([]float64, dim)
	h := make([]float64, dim*dim)
	ll := llHess(p, g, h)
	pt := polishPoint{p: p, f: ll / n, grad: make([]float64, k), hess: make([]float64, k*k), raw: h}
	for j, i := range free {
		th := math.Log(p[i])
		pt.f -= lambda * th * th
		pt.grad[j] = p[i]*g[i]/n - 2*lambda*th
		for l, m := range free {
			v := -p[i] * p[m] * h[dim*i+m] / n
			if l == j {
				v -= p[i]*g[i]/n - 2*lambda
			}
			pt.hess[j*k+l] = v
		}
	}
	pt.finite = finite(pt.f)
	for _, v := range pt.grad {
		pt.gmax = math.Max(pt.gmax, math.Abs(v))
		pt.finite = pt.finite && finite(v)
	}
	for _, v := range pt.hess {
		pt.finite = pt.finite && finite(v)
	}
	if math.IsNaN(pt.f) {
		pt.f = math.Inf(-1)
	}
	return pt
}

// logRoundTrip returns v, or a neighbour of it, such that
// math.Exp(math.Log(v)) == v: the point maximize evaluates first, after
// taking the logarithm of its start values, is then the very point the
// Newton steps of a warm start evaluated last, whose likelihood, gradient
// and Hessian are remembered (see lastEval).
func logRoundTrip(v float64) float64 {
	for i := 0; i < 4; i++ {
		w := math.Exp(math.Log(v))
		if w == v {
			break
		}
		v = w
	}
	return v
}

// lastEval remembers the last evaluation of a likelihood: its point, the
// derivative order computed (0: the value, 1: the gradient, 2: the
// Hessian) and the results. A warm start's last Newton step and maximize's
// first and last requests are at the same point (see logRoundTrip), which
// is then evaluated once.
type lastEval struct {
	mu    sync.Mutex
	p     []float64
	order int // −1: nothing yet
	v     float64
	g, h  []float64
}

func newLastEval() *lastEval { return &lastEval{order: -1} }

// eval returns f at p with, by order, the gradient (in grad) and the
// Hessian (in hess, row-major), from memory when the last evaluation was
// at the same point (bit for bit) and of at least that order. f(p, order,
// grad, hess) fills grad and hess as far as order asks.
func (l *lastEval) eval(p []float64, order int, grad, hess []float64, f func(p []float64, order int, grad, hess []float64) float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.order < order || !slices.Equal(l.p, p) {
		k := len(p)
		l.g, l.h = make([]float64, k), make([]float64, k*k)
		l.v = f(p, order, l.g, l.h)
		l.p, l.order = append(l.p[:0], p...), order
	}
	if order >= 1 {
		copy(grad, l.g)
	}
	if order >= 2 {
		copy(hess, l.h)
	}
	return l.v
}
