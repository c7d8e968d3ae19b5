package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

// gradCentral5 is the fourth-order central difference
//
//	f'(x) ≈ [f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)] / (12h),
//
// whose truncation error is h⁴f⁽⁵⁾/30. With h = 1e-3·|x| it is accurate to
// about 1e-12 relative for the smooth log-likelihoods of this package, far
// below the tolerances the gradient checks use.
var gradCentral5 = fd.Formula{
	Stencil: []fd.Point{
		{Loc: -2, Coeff: 1.0 / 12}, {Loc: -1, Coeff: -8.0 / 12},
		{Loc: 1, Coeff: 8.0 / 12}, {Loc: 2, Coeff: -1.0 / 12},
	},
	Derivative: 1,
	Step:       1e-3,
}

// checkGradient compares the analytic gradient of f with central finite
// differences (gonum diff/fd) at every point. f has the signature of
// likelihood.logLik: it returns the function value at p and, when grad is
// not nil, stores the gradient in grad.
//
// Each coordinate is differenced with its own step h = 1e-3·max(|p_i|, 1e-8)
// (so positive parameters stay positive) using the fourth-order central
// stencil gradCentral5. A component passes when
//
//	|g − fd| ≤ relTol·max(|g|, |fd|) + noise,
//
// where noise = 1e3·ε·(|f(p)| + 1)/h bounds the round-off of the difference
// quotient (ε the float64 machine epsilon); it only matters for components
// that are tiny next to |f|/h. The function also checks that f returns the
// same finite value with and without a gradient.
func checkGradient(t *testing.T, f func(p, grad []float64) float64, points [][]float64, relTol float64) {
	t.Helper()
	compareGradient(t, f, points, relTol)
}

// errorReporter is the part of *testing.T that compareGradient uses, so
// that a test can check the checker with a recorder.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// errorRecorder counts reported errors.
type errorRecorder struct{ errors int }

func (r *errorRecorder) Helper()               {}
func (r *errorRecorder) Errorf(string, ...any) { r.errors++ }

func compareGradient(t errorReporter, f func(p, grad []float64) float64, points [][]float64, relTol float64) {
	t.Helper()
	for _, p := range points {
		grad := make([]float64, len(p))
		v := f(p, grad)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("f(%v) = %v, want a finite value", p, v)
			continue
		}
		if v0 := f(p, nil); v0 != v {
			t.Errorf("f(%v) = %v without a gradient but %v with one", p, v0, v)
		}
		for i := range p {
			h := 1e-3 * math.Max(math.Abs(p[i]), 1e-8)
			q := append([]float64(nil), p...)
			fi := func(x float64) float64 {
				q[i] = x
				return f(q, nil)
			}
			num := fd.Derivative(fi, p[i], &fd.Settings{Formula: gradCentral5, Step: h})
			g := grad[i]
			if math.IsNaN(g) || math.IsInf(g, 0) {
				t.Errorf("at %v: analytic ∂f/∂p[%d] = %v, want a finite value", p, i, g)
				continue
			}
			noise := 1e3 * 2.220446049250313e-16 * (math.Abs(v) + 1) / h
			if d := math.Abs(g - num); d > relTol*math.Max(math.Abs(g), math.Abs(num))+noise {
				t.Errorf("at %v: ∂f/∂p[%d] analytic %.15g, finite difference %.15g (relative difference %.3g, tolerance %.3g + noise %.3g)",
					p, i, g, num, d/math.Max(math.Abs(g), math.Abs(num)), relTol, noise)
			}
		}
	}
}

// TestCheckGradientDetectsErrors makes sure the checker is not vacuous: a
// gradient that is off by a small relative amount must be reported.
func TestCheckGradientDetectsErrors(t *testing.T) {
	f := func(p, grad []float64) float64 {
		v := math.Log(p[0])*p[1] + math.Exp(-p[1]/p[0])
		if grad != nil {
			e := math.Exp(-p[1] / p[0])
			grad[0] = p[1]/p[0] + e*p[1]/(p[0]*p[0])
			grad[1] = math.Log(p[0]) - e/p[0]
		}
		return v
	}
	points := [][]float64{{0.5, 2}, {3, 0.1}, {1e-3, 1e-3}, {200, 50}}
	checkGradient(t, f, points, 1e-8)

	wrong := func(p, grad []float64) float64 {
		v := f(p, grad)
		if grad != nil {
			grad[1] *= 1 + 1e-5
		}
		return v
	}
	var rec errorRecorder
	compareGradient(&rec, wrong, points[:1], 1e-6)
	if rec.errors != 1 {
		t.Errorf("checkGradient accepted a gradient with a relative error of 1e-5 at tolerance 1e-6 (%d errors reported, want 1)", rec.errors)
	}
}
