package models

import (
	"context"
	"math"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// simulateCovariates draws a covariate customer base with one binary and
// one normal covariate on both processes.
func simulateCovariates(t *testing.T, n int, zero bool, gp, gd []float64) (*Data, Covariates) {
	t.Helper()
	s, z, err := datasets.SimulateCovariates(datasets.CovariateConfig{
		Base: datasets.ErlangConfig{DropoutAtZero: zero, Customers: n, Acquisition: 12, Calibration: 52, Holdout: 26, Unit: datasets.Week, Seed: 5},
		R:    0.8, Alpha: 5, A: 1.2, B: 3, GammaPurchase: gp, GammaDropout: gd, Binary: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &Data{}
	for _, c := range s.Customers {
		d.Frequency = append(d.Frequency, c.Frequency)
		d.Recency = append(d.Recency, c.Recency)
		d.T = append(d.T, c.T)
	}
	return d, Covariates{Purchase: z, Dropout: z, PurchaseNames: []string{"vip", "score"}, DropoutNames: []string{"vip", "score"}}
}

// TestCovariateGradient checks the chain-rule gradient against finite
// differences, with coefficients away from 0, for both variants.
func TestCovariateGradient(t *testing.T) {
	for _, zero := range []bool{false, true} {
		d, z := simulateCovariates(t, 300, zero, []float64{0.5, -0.3}, []float64{0.4, 0.2})
		rs, err := newCovRows(CovariateBGF{DropoutAtZero: zero}, d, z)
		if err != nil {
			t.Fatal(err)
		}
		points := [][]float64{{math.Log(0.8), math.Log(5), math.Log(1.2), math.Log(3), 0.5, -0.3, 0.4, 0.2}, {0.1, 1, -0.5, 0.7, -1, 0.2, 0.3, -0.6}}
		checkGradient(t, rs.logLik, points, 1e-7)
	}
}

// TestCovariateZeroEqualsPlain checks that with every covariate 0 the
// fit is the plain BG/NBD (MBG/NBD) fit: same estimates, same
// log-likelihood, coefficients 0, and a customer's model is the plain one.
func TestCovariateZeroEqualsPlain(t *testing.T) {
	for _, zero := range []bool{false, true} {
		d, z := simulateCovariates(t, 3000, zero, []float64{0, 0}, []float64{0, 0})
		for i := range z.Purchase {
			z.Purchase[i] = []float64{0, 0}
		}
		z.Dropout = z.Purchase
		m := CovariateBGF{DropoutAtZero: zero}
		f, err := FitCovariateBGF(context.Background(), m, d, z, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var plain *FitResult
		if zero {
			p, _ := FitMBGNBD(context.Background(), d, FitOptions{})
			plain = p.Result()
		} else {
			p, _ := FitBGNBD(context.Background(), d, FitOptions{})
			plain = p.Result()
		}
		checkNear(t, m.Name()+" log-likelihood", f.FitResult.LogLikelihood, plain.LogLikelihood, 1e-12)
		for _, name := range bgfNames {
			checkClose(t, m.Name()+" "+name, f.Params[name], plain.Params[name], 1e-9)
		}
		for _, g := range append(f.GammaPurchase, f.GammaDropout...) {
			if g != 0 {
				t.Errorf("%s: coefficient %v with zero covariates, want 0", m.Name(), g)
			}
		}
		c := Customer{Frequency: 2, Recency: 20, T: 40}
		own, _ := f.Customer([]float64{0, 0}, []float64{0, 0})
		ref, _ := NewFittedBGNBD(f.R, f.Alpha, f.A, f.B)
		if zero {
			mref, _ := NewFittedMBGNBD(f.R, f.Alpha, f.A, f.B)
			checkClose(t, "E[Y]", own.ConditionalExpectedPurchases(c, 10), mref.ConditionalExpectedPurchases(c, 10), 1e-15)
		} else {
			checkClose(t, "E[Y]", own.ConditionalExpectedPurchases(c, 10), ref.ConditionalExpectedPurchases(c, 10), 1e-15)
		}
	}
}

// TestCovariateRecovery fits 50,000 simulated customers and checks that
// every parameter and coefficient lies within three standard errors of
// the truth, and that the likelihood-ratio test against the plain model
// rejects it.
func TestCovariateRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 customers")
	}
	gp, gd := []float64{0.6, -0.4}, []float64{0.5, 0.3}
	d, z := simulateCovariates(t, 50000, false, gp, gd)
	f, err := FitCovariateBGF(context.Background(), CovariateBGF{}, d, z, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]float64{"r": 0.8, "alpha": 5, "a": 1.2, "b": 3,
		"purchase.vip": gp[0], "purchase.score": gp[1], "dropout.vip": gd[0], "dropout.score": gd[1]}
	for name, want := range truth {
		got, se := f.Params[name], f.StdErrors[name]
		if !(se > 0) || math.Abs(got-want) > 3*se {
			t.Errorf("%s = %.4g ± %.2g, truth %v", name, got, se, want)
		}
	}
	plain, _ := FitBGNBD(context.Background(), d, FitOptions{})
	stat, p, err := LikelihoodRatioTest(f.FitResult.LogLikelihood, plain.Result().LogLikelihood, 4)
	if err != nil || !(p < 1e-6) {
		t.Errorf("likelihood-ratio test: statistic %v, p %v (%v); want a clear rejection", stat, p, err)
	}
	t.Logf("%v ± %v; LR %.1f, p %.3g", f.Params, f.StdErrors, stat, p)
}

// TestLikelihoodRatioTest checks the χ² tail at known quantiles.
func TestLikelihoodRatioTest(t *testing.T) {
	// The 95% quantile of χ²(1) is 3.841459, of χ²(4) 9.487729.
	for _, c := range []struct {
		stat float64
		df   int
	}{{3.841458820694124, 1}, {9.487729036781154, 4}} {
		_, p, err := LikelihoodRatioTest(c.stat/2, 0, c.df)
		if err != nil || math.Abs(p-0.05) > 1e-9 {
			t.Errorf("χ²(%d) tail at %v: %v (%v), want 0.05", c.df, c.stat, p, err)
		}
	}
}
