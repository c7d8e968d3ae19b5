package models

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// twoExponentials is the log-likelihood of n1 exponential waiting times
// summing to s1 with rate p[0] and n2 summing to s2 with rate p[1]:
// LL = n1 ln λ1 − λ1 s1 + n2 ln λ2 − λ2 s2. The MLE is λi = ni/si with
// standard error λi/√ni.
func twoExponentials(n1, s1, n2, s2 float64) likelihood {
	return likelihood{
		model: "twoexp",
		names: []string{"l1", "l2"},
		start: []float64{1, 1},
		n:     n1 + n2,
		logLik: func(p, grad []float64) float64 {
			if grad != nil {
				grad[0] = n1/p[0] - s1
				grad[1] = n2/p[1] - s2
			}
			return n1*math.Log(p[0]) - p[0]*s1 + n2*math.Log(p[1]) - p[1]*s2
		},
	}
}

func TestMaximizeClosedForm(t *testing.T) {
	tests := []struct {
		name           string
		n1, s1, n2, s2 float64
	}{
		{"moderate", 100, 250, 40, 8},
		{"small rates", 1000, 1e5, 1000, 3e4},
		{"large rates", 50, 0.01, 500, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := maximize(context.Background(), twoExponentials(tt.n1, tt.s1, tt.n2, tt.s2), FitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				n, s float64
			}{{"l1", tt.n1, tt.s1}, {"l2", tt.n2, tt.s2}} {
				want := c.n / c.s
				if rel := math.Abs(res.Params[c.name]/want - 1); rel > 1e-7 {
					t.Errorf("%s = %.10g, want %.10g", c.name, res.Params[c.name], want)
				}
				wantSE := want / math.Sqrt(c.n)
				if rel := math.Abs(res.StdErrors[c.name]/wantSE - 1); rel > 1e-4 {
					t.Errorf("se(%s) = %.8g, want %.8g", c.name, res.StdErrors[c.name], wantSE)
				}
			}
			wantLL := tt.n1*math.Log(tt.n1/tt.s1) - tt.n1 + tt.n2*math.Log(tt.n2/tt.s2) - tt.n2
			if math.Abs(res.LogLikelihood-wantLL) > 1e-8*math.Abs(wantLL)+1e-9 {
				t.Errorf("LL = %.10g, want %.10g", res.LogLikelihood, wantLL)
			}
			if !res.Converged || !res.HasLikelihood {
				t.Errorf("converged %v, has likelihood %v", res.Converged, res.HasLikelihood)
			}
			if want := 2*2 - 2*wantLL; math.Abs(res.AIC-want) > 1e-6 {
				t.Errorf("AIC = %v, want %v", res.AIC, want)
			}
			if want := 2*math.Log(tt.n1+tt.n2) - 2*wantLL; math.Abs(res.BIC-want) > 1e-6 {
				t.Errorf("BIC = %v, want %v", res.BIC, want)
			}
		})
	}
}

func TestMaximizeFixedParameter(t *testing.T) {
	res, err := maximize(context.Background(), twoExponentials(100, 250, 40, 8), FitOptions{Fixed: Params{"l2": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Params["l2"] != 3 {
		t.Errorf("fixed l2 moved to %v", res.Params["l2"])
	}
	if _, ok := res.StdErrors["l2"]; ok {
		t.Errorf("a fixed parameter has no standard error")
	}
	if math.Abs(res.Params["l1"]-0.4) > 1e-7 {
		t.Errorf("l1 = %v, want 0.4", res.Params["l1"])
	}
}

// The likelihood ln λ grows without bound: there is no maximum and the fit
// must say so instead of returning λ = 1e58.
func TestMaximizeReportsDivergence(t *testing.T) {
	lk := likelihood{
		model: "unbounded", names: []string{"l"}, start: []float64{1}, n: 10,
		logLik: func(p, grad []float64) float64 {
			if grad != nil {
				grad[0] = 10 / p[0]
			}
			return 10 * math.Log(p[0])
		},
	}
	res, err := maximize(context.Background(), lk, FitOptions{})
	var ce *ConvergenceError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConvergenceError", err)
	}
	if res == nil || res.Converged {
		t.Fatalf("result %+v should be present and not converged", res)
	}
	if msg := err.Error(); !strings.Contains(msg, "edge") || !strings.Contains(msg, "penalty") {
		t.Errorf("message lacks diagnostics: %s", msg)
	}
	// With a penalty the same problem has a maximum: 10 ln λ − 10 λ_pen (ln λ)²
	// in mean form: ln λ − λ_pen (ln λ)² → ln λ = 1/(2 λ_pen).
	res, err = maximize(context.Background(), lk, FitOptions{Penalty: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := math.Log(res.Params["l"]); math.Abs(got-1) > 1e-6 {
		t.Errorf("penalized ln λ = %v, want 1", got)
	}
}

func TestMaximizeRejectsBadStart(t *testing.T) {
	_, err := maximize(context.Background(), twoExponentials(1, 1, 1, 1), FitOptions{Start: Params{"l1": -1}})
	if err == nil || !strings.Contains(err.Error(), "l1") {
		t.Errorf("err = %v, want one naming l1", err)
	}
}

func TestMaximizeHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := maximize(ctx, twoExponentials(100, 250, 40, 8), FitOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestParallelSumIsDeterministic(t *testing.T) {
	n := 3*chunkSize + 17
	f := func(lo, hi int, grad []float64) float64 {
		s := 0.0
		for i := lo; i < hi; i++ {
			v := 1 / float64(i+1)
			s += v
			if grad != nil {
				grad[0] += v * v
			}
		}
		return s
	}
	g1 := make([]float64, 1)
	v1 := parallelSum(n, 1, g1, f)
	for range 5 {
		g2 := make([]float64, 1)
		if v2 := parallelSum(n, 1, g2, f); v2 != v1 || g2[0] != g1[0] {
			t.Fatalf("sums differ between runs: %v vs %v", v1, v2)
		}
	}
	want := 0.0
	for i := 0; i < n; i++ {
		want += 1 / float64(i+1)
	}
	if math.Abs(v1-want) > 1e-12 {
		t.Errorf("sum = %v, want %v", v1, want)
	}
}
