package datasets

import (
	"math"
	"strings"
	"testing"
)

// paretoMeanPurchases is the Pareto/NBD's expected number of repeat
// purchases in (0, t] (Schmittlein, Morrison & Colombo 1987; Fader &
// Hardie 2005 note, eq. 17): rβ/(α(s−1))·[1 − (β/(β+t))^(s−1)], s ≠ 1.
func paretoMeanPurchases(r, alpha, s, beta, t float64) float64 {
	return r * beta / (alpha * (s - 1)) * (1 - math.Pow(beta/(beta+t), s-1))
}

// TestSimulateCovariatesParetoNBD checks the Pareto/NBD draw with one
// binary covariate on both processes: in each group the mean number of
// calibration purchases and of calibration plus holdout purchases agree
// with the closed form at the group's α·e^(−γ_P z) and β·e^(−γ_D z)
// within four standard errors of the sample mean.
func TestSimulateCovariatesParetoNBD(t *testing.T) {
	const r, alpha, s, beta, gp, gd = 0.7, 6.0, 1.8, 12.0, 0.6, 0.5
	sum, z, err := SimulateCovariates(CovariateConfig{
		Base: ErlangConfig{Customers: 40000, Acquisition: 12, Calibration: 52, Holdout: 26, Unit: Week, Seed: 9},
		R:    r, Alpha: alpha, ParetoNBD: true, S: s, Beta: beta,
		GammaPurchase: []float64{gp}, GammaDropout: []float64{gd}, Binary: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for g := range 2 {
		ai, bi := alpha*math.Exp(-gp*float64(g)), beta*math.Exp(-gd*float64(g))
		for _, total := range []bool{false, true} {
			var n, m, m2, want float64
			for i, c := range sum.Customers {
				if z[i][0] != float64(g) {
					continue
				}
				x, t := c.Frequency, c.T
				if total {
					x, t = x+c.FrequencyHoldout, t+c.DurationHoldout
				}
				n++
				m += x
				m2 += x * x
				want += paretoMeanPurchases(r, ai, s, bi, t)
			}
			m, want = m/n, want/n
			se := math.Sqrt((m2/n - m*m) / n)
			if math.Abs(m-want) > 4*se {
				t.Errorf("group %d (through the holdout: %v): mean purchases %.4f, closed form %.4f (SE %.4f)", g, total, m, want, se)
			}
		}
	}
}

// TestSimulateCovariatesParetoNBDChecks checks that customer i depends on
// the seed and i alone, and that bad Pareto/NBD parameters are errors.
func TestSimulateCovariatesParetoNBDChecks(t *testing.T) {
	cfg := CovariateConfig{
		Base: ErlangConfig{Customers: 50, Acquisition: 12, Calibration: 52, Holdout: 26, Unit: Week, Seed: 3},
		R:    0.7, Alpha: 6, ParetoNBD: true, S: 0.9, Beta: 12, GammaPurchase: []float64{0.2, 0.1}, GammaDropout: []float64{0, -0.3}, Binary: 1,
	}
	small, zs, err := SimulateCovariates(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Base.Customers = 80
	big, zb, err := SimulateCovariates(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range small.Customers {
		a, b := small.Customers[i], big.Customers[i]
		if a.Frequency != b.Frequency || a.Recency != b.Recency || a.T != b.T || a.FrequencyHoldout != b.FrequencyHoldout || zs[i][1] != zb[i][1] {
			t.Fatalf("customer %d differs between 50 and 80 customers: %+v, %+v", i, a, b)
		}
	}
	for _, bad := range [][2]float64{{0, 12}, {0.9, math.Inf(1)}, {math.NaN(), 1}} {
		cfg.S, cfg.Beta = bad[0], bad[1]
		if _, _, err := SimulateCovariates(cfg); err == nil || !strings.Contains(err.Error(), "s and beta must be finite and > 0") {
			t.Errorf("s = %v, beta = %v: error %v", bad[0], bad[1], err)
		}
	}
}
