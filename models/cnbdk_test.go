package models

import (
	"context"
	"math"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"gonum.org/v1/gonum/integrate/quad"
)

var cnbdkHistories = []Customer{
	{Frequency: 0, Recency: 0, T: 30},
	{Frequency: 0, Recency: 0, T: 0},
	{Frequency: 1, Recency: 5, T: 38},
	{Frequency: 2, Recency: 30.43, T: 38.86},
	{Frequency: 7, Recency: 29, T: 29},
	{Frequency: 40, Recency: 70, T: 77},
}

// TestCNBDKEqualsBGFamilyAtK1 checks that with k = 1 the BG/CNBD-k and
// MBG/CNBD-k are the BG/NBD and MBG/NBD exactly: log-likelihood, P(alive),
// E[X(t)] and E[Y(t) | history] agree with the BG/NBD family's own
// closed forms (₂F₁), which the CNBD-k code does not use.
func TestCNBDKEqualsBGFamilyAtK1(t *testing.T) {
	params := [][4]float64{{0.243, 4.414, 0.793, 2.426}, {2.5, 10, 3, 8}, {0.5, 1, 0.6, 0.9}}
	for _, p := range params {
		bg, _ := NewFittedBGNBD(p[0], p[1], p[2], p[3])
		mbg, _ := NewFittedMBGNBD(p[0], p[1], p[2], p[3])
		for _, tc := range []struct {
			ref interface {
				FittedPurchases
				LogLikelihood(Customer) float64
			}
			zero bool
		}{{bg, false}, {mbg, true}} {
			f, err := NewFittedCNBDK(tc.zero, 1, p[0], p[1], p[2], p[3])
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cnbdkHistories {
				checkNear(t, "log-likelihood", f.LogLikelihood(c), tc.ref.LogLikelihood(c), 1e-12)
				checkNear(t, "P(alive)", f.ProbabilityAlive(c), tc.ref.ProbabilityAlive(c), 1e-12)
				for _, h := range []float64{0.5, 39, 200} {
					checkClose(t, "E[Y(t)|c]", f.ConditionalExpectedPurchases(c, h), tc.ref.ConditionalExpectedPurchases(c, h), 1e-9)
				}
			}
			for _, h := range []float64{1, 39, 78, 300} {
				checkClose(t, "E[X(t)]", f.ExpectedPurchases(h), tc.ref.ExpectedPurchases(h), 1e-9)
			}
		}
	}
}

// checkNear compares with a tolerance relative to max(|want|, 1).
func checkNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol*math.Max(math.Abs(want), 1) {
		t.Errorf("%s: got %.15g, want %.15g", what, got, want)
	}
}

func checkClose(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > rel*math.Max(math.Abs(want), 1e-300) {
		t.Errorf("%s: got %.15g, want %.15g", what, got, want)
	}
}

// TestCNBDKLikelihoodByIntegration checks the closed-form likelihood for
// k > 1 against a numerical integral of the individual-level likelihood
// over the Gamma(r, α) rate and the Beta(a, b) dropout probability:
//
//	L(λ, p) = [λ^k t_j^(k−1) e^(−λ t_j)/(k−1)!]_j=1..x ·
//	          [(1−p)^(x+m) e^(−λ(T−t_x)) Σ_{i<k} (λ(T−t_x))^i/i! + 1{x+m>0} p (1−p)^(x−1+m)],
//
// with inter-purchase times t_j that add up to t_x.
func TestCNBDKLikelihoodByIntegration(t *testing.T) {
	// Shapes above 2 keep both densities smooth at 0, where Gauss–Legendre
	// converges fast.
	r, alpha, a, b := 2.7, 6.0, 2.3, 3.2
	for _, k := range []int{2, 3, 5} {
		for _, zero := range []bool{false, true} {
			m := 0.0
			if zero {
				m = 1
			}
			f, _ := NewFittedCNBDK(zero, k, r, alpha, a, b)
			for _, h := range []struct {
				gaps []float64
				T    float64
			}{{nil, 12}, {[]float64{4}, 9}, {[]float64{3, 5, 2.5}, 20}, {[]float64{6, 6}, 12}} {
				x, tx, litt := float64(len(h.gaps)), 0.0, 0.0
				for _, g := range h.gaps {
					tx += g
					litt += math.Log(g)
				}
				kf := float64(k)
				indiv := func(lambda, p float64) float64 {
					l := math.Exp(kf*x*math.Log(lambda) - lambda*tx + (kf-1)*litt - x*lgamma(kf))
					alive, term := 0.0, 1.0
					for i := 0; i < k; i++ {
						if i > 0 {
							term *= lambda * (h.T - tx) / float64(i)
						}
						alive += term
					}
					v := math.Pow(1-p, x+m) * math.Exp(-lambda*(h.T-tx)) * alive
					if x+m > 0 {
						v += p * math.Pow(1-p, x-1+m)
					}
					return l * v
				}
				gammaPDF := func(l float64) float64 {
					return math.Exp(r*math.Log(alpha) + (r-1)*math.Log(l) - alpha*l - lgamma(r))
				}
				betaPDF := func(p float64) float64 {
					return math.Exp((a-1)*math.Log(p) + (b-1)*math.Log1p(-p) - lbeta(a, b))
				}
				inner := func(lambda float64) float64 {
					return gammaPDF(lambda) * quad.Fixed(func(p float64) float64 { return betaPDF(p) * indiv(lambda, p) }, 0, 1, 100, quad.Legendre{}, 0)
				}
				integral := 0.0
				for lo := 0.0; lo < 12; lo += 1 {
					integral += quad.Fixed(inner, lo, lo+1, 40, quad.Legendre{}, 0)
				}
				c := Customer{Frequency: x, Recency: tx, T: h.T}
				got := f.LogLikelihood(c) + (kf-1)*litt
				if math.Abs(got-math.Log(integral)) > 1e-6 { // quadrature error near λ = 0 is about 1e-7
					t.Errorf("k=%d m=%v history %v T=%v: ln L %.10g, numerical integral %.10g", k, m, h.gaps, h.T, got, math.Log(integral))
				}
			}
		}
	}
}

// TestCNBDKGradient checks the analytic gradient against finite
// differences for k = 1, 2, 4, both variants, at several points.
func TestCNBDKGradient(t *testing.T) {
	d := &Data{
		Frequency: []float64{0, 0, 1, 2, 7, 40, 3},
		Recency:   []float64{0, 0, 5, 30.43, 29, 70, 10},
		T:         []float64{30, 0.5, 38, 38.86, 29, 77, 60},
		Weight:    []float64{3, 1, 2, 1, 1, 1, 4},
	}
	points := [][]float64{{0.243, 4.414, 0.793, 2.426}, {2.5, 10, 3, 8}, {0.05, 0.2, 20, 0.3}}
	for _, k := range []float64{1, 2, 4} {
		for _, zero := range []bool{false, true} {
			rows := newCNBDKRows(d)
			lk := rows.likelihood(CNBDK{DropoutAtZero: zero}, k, d)
			checkGradient(t, lk.logLik, points, 1e-7)
		}
	}
}

// TestDigamma checks ψ against ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2 and the
// recurrence at large arguments (ψ(x+1) − ψ(x) = 1/x).
func TestDigamma(t *testing.T) {
	const euler = 0.57721566490153286061
	checkClose(t, "ψ(1)", digamma(1), -euler, 1e-14)
	checkClose(t, "ψ(1/2)", digamma(0.5), -euler-2*math.Ln2, 1e-14)
	for _, x := range []float64{1e-3, 3.7, 12.5, 1e4} {
		checkClose(t, "ψ(x+1)−ψ(x)", digamma(x+1)-digamma(x), 1/x, 1e-10)
	}
}

// simulateErlang draws a summary and its model data (with litt).
func simulateErlang(t *testing.T, cfg datasets.ErlangConfig) (*datasets.Summary, *Data) {
	t.Helper()
	s, err := datasets.SimulateErlang(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Customers)
	d := &Data{Frequency: make([]float64, n), Recency: make([]float64, n), T: make([]float64, n), HasLogInterPurchase: true}
	for i, c := range s.Customers {
		d.Frequency[i], d.Recency[i], d.T[i] = c.Frequency, c.Recency, c.T
		d.LogInterPurchase += c.LogInterPurchase
	}
	return s, d
}

// TestCNBDKRecovery fits both variants, k chosen over 1..6, on customers
// simulated with Erlang-3 inter-purchase times and checks that k is found
// and r, α, a, b lie within three standard errors of the truth.
func TestCNBDKRecovery(t *testing.T) {
	for _, zero := range []bool{false, true} {
		truth := map[string]float64{"r": 2.0, "alpha": 12.0, "a": 0.8, "b": 6.0}
		_, d := simulateErlang(t, datasets.ErlangConfig{K: 3, R: truth["r"], Alpha: truth["alpha"], A: truth["a"], B: truth["b"],
			DropoutAtZero: zero, Customers: 8000, Acquisition: 12, Calibration: 52, Holdout: 26, Unit: datasets.Week, Seed: 42})
		m := CNBDK{DropoutAtZero: zero}
		f, err := FitCNBDK(context.Background(), m, d, FitOptions{})
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		if f.K != 3 {
			t.Errorf("%s: chose k = %d (log-likelihoods %v), want 3", m.Name(), f.K, f.LogLikelihoodByK)
		}
		for name, want := range truth {
			got, se := f.Params[name], f.StdErrors[name]
			if !(se > 0) || math.Abs(got-want) > 3*se {
				t.Errorf("%s: %s = %.4g ± %.2g, truth %v", m.Name(), name, got, se, want)
			}
		}
		t.Logf("%s: k=%d %v ± %v; LL by k %v", m.Name(), f.K, f.Params, f.StdErrors, f.LogLikelihoodByK)
	}
}

// TestCNBDKPredictionsMatchSimulation checks the exact expectations
// against simulated customers with the true parameters: the sum over
// customers of E[Y(t) | history] is the expected total of their holdout
// purchases (so the totals agree within three standard errors of the
// difference), and E[X(T)] is the mean calibration frequency of
// customers all born at time 0.
func TestCNBDKPredictionsMatchSimulation(t *testing.T) {
	for _, zero := range []bool{false, true} {
		cfg := datasets.ErlangConfig{K: 4, R: 1.5, Alpha: 10, A: 1.2, B: 5, DropoutAtZero: zero,
			Customers: 20000, Acquisition: 0, Calibration: 30, Holdout: 20, Unit: datasets.Week, Seed: 7}
		s, _ := simulateErlang(t, cfg)
		f, _ := NewFittedCNBDK(zero, cfg.K, cfg.R, cfg.Alpha, cfg.A, cfg.B)
		var sumE, sumY, sumSq, sumX, sumX2 float64
		for _, c := range s.Customers {
			e := f.ConditionalExpectedPurchases(Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}, cfg.Holdout)
			sumE += e
			sumY += c.FrequencyHoldout
			sumSq += (c.FrequencyHoldout - e) * (c.FrequencyHoldout - e)
			sumX += c.Frequency
			sumX2 += c.Frequency * c.Frequency
		}
		if diff := sumY - sumE; math.Abs(diff) > 3*math.Sqrt(sumSq) {
			t.Errorf("k=%d zero=%v: holdout purchases %v, Σ E[Y|history] %.1f (sd %.1f)", cfg.K, zero, sumY, sumE, math.Sqrt(sumSq))
		}
		n := float64(len(s.Customers))
		mean := sumX / n
		se := math.Sqrt((sumX2/n - mean*mean) / n)
		if ex := f.ExpectedPurchases(cfg.Calibration); math.Abs(ex-mean) > 3*se {
			t.Errorf("k=%d zero=%v: mean frequency %.4f ± %.4f, E[X(T)] %.4f", cfg.K, zero, mean, se, ex)
		}
	}
}

// TestRegularityWheatMorrison checks the estimator on simulated Erlang-k
// customers (little dropout, so that most have two inter-purchase times):
// k̂ lies within 0.4 of k for k = 1 and 4 (its standard error is below 0.1
// at these sizes).
func TestRegularityWheatMorrison(t *testing.T) {
	for _, k := range []int{1, 4} {
		s, _ := simulateErlang(t, datasets.ErlangConfig{K: k, R: 5, Alpha: 5 / float64(k), A: 1, B: 50,
			Customers: 10000, Acquisition: 5, Calibration: 30, Unit: datasets.Week, Seed: 3})
		shares := make([]float64, len(s.Customers))
		for i, c := range s.Customers {
			shares[i] = c.LastIntervalShare
		}
		got, n, err := RegularityWheatMorrison(shares)
		if err != nil || math.Abs(got-float64(k)) > 0.4 || n < 5000 {
			t.Errorf("k=%d: estimate %v from %d customers (%v)", k, got, n, err)
		}
	}
	if _, _, err := RegularityWheatMorrison([]float64{0, 0.5}); err == nil {
		t.Error("one value: want an error")
	}
}

// TestCNBDKNeedsLitt checks that choosing k without the log
// inter-purchase times is an error that says to fix k, and that a fixed
// k fits without them.
func TestCNBDKNeedsLitt(t *testing.T) {
	_, d := simulateErlang(t, datasets.ErlangConfig{K: 2, R: 2, Alpha: 8, A: 1, B: 4, Customers: 500, Acquisition: 5, Calibration: 30, Unit: datasets.Week, Seed: 1})
	d.HasLogInterPurchase = false
	if _, err := FitCNBDK(context.Background(), CNBDK{}, d, FitOptions{}); err == nil {
		t.Error("choosing k without litt: want an error")
	}
	if _, err := FitCNBDK(context.Background(), CNBDK{}, d, FitOptions{Fixed: Params{"k": 2}}); err != nil {
		t.Errorf("fixed k: %v", err)
	}
}

// BenchmarkCNBDKLogLik times one evaluation of the k = 3 log-likelihood
// with its gradient on 10,000 simulated customers.
func BenchmarkCNBDKLogLik(b *testing.B) {
	s, err := datasets.SimulateErlang(datasets.ErlangConfig{K: 3, R: 2, Alpha: 12, A: 0.8, B: 6,
		Customers: 10000, Acquisition: 12, Calibration: 52, Unit: datasets.Week, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	d := &Data{}
	for _, c := range s.Customers {
		d.Frequency, d.Recency, d.T = append(d.Frequency, c.Frequency), append(d.Recency, c.Recency), append(d.T, c.T)
	}
	lk := newCNBDKRows(d).likelihood(CNBDK{}, 3, d)
	p, g := []float64{2, 12, 0.8, 6}, make([]float64, 4)
	for b.Loop() {
		lk.logLik(p, g)
	}
}
