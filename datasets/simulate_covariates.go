package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// CovariateConfig describes a BG/NBD (or, with DropoutAtZero, MBG/NBD)
// customer base whose rates depend on static covariates, as in CLVTools:
// customer i has covariates z_i (the first Binary of them 0/1 with
// probability ½, the others standard normal), and
//
//	λ_i ~ Gamma(R, rate Alpha·exp(−γ_P'z_i)),
//	p_i ~ Beta(A·exp(γ_D'z_i), B·exp(γ_D'z_i)),
//
// so a positive purchase coefficient raises the mean purchase rate by the
// factor exp(γ) per unit. The purchase process is that of SimulateErlang
// with K = 1, on the windows of Base (whose parameters are ignored).
type CovariateConfig struct {
	Base           ErlangConfig
	R, Alpha, A, B float64
	GammaPurchase  []float64
	GammaDropout   []float64
	Binary         int
}

// covariateDomain separates the random streams of SimulateCovariates.
const covariateDomain = 0x436F76617273

// SimulateCovariates draws the summary and each customer's covariates
// (row i of z for customer i; len(GammaPurchase) = len(GammaDropout)
// columns, the same covariates entering both processes).
func SimulateCovariates(cfg CovariateConfig) (*Summary, [][]float64, error) {
	if len(cfg.GammaPurchase) != len(cfg.GammaDropout) {
		return nil, nil, fmt.Errorf("simulate covariates: %d purchase and %d dropout coefficients: give one of each per covariate", len(cfg.GammaPurchase), len(cfg.GammaDropout))
	}
	base := cfg.Base
	base.K, base.R, base.Alpha, base.A, base.B = 1, cfg.R, cfg.Alpha, cfg.A, cfg.B
	if err := base.check(); err != nil {
		return nil, nil, err
	}
	s := &Summary{Unit: base.Unit, HasHoldout: base.Holdout > 0, Customers: make([]CustomerSummary, base.Customers)}
	z := make([][]float64, base.Customers)
	gr := newGammaSampler(cfg.R)
	width := idWidth(base.Customers)
	for i := range s.Customers {
		s1, s2 := streamSeeds(base.Seed, covariateDomain, uint64(i))
		rng := rand.New(rand.NewPCG(s1, s2))
		zi := make([]float64, len(cfg.GammaPurchase))
		var lp, ld float64
		for j := range zi {
			if j < cfg.Binary {
				zi[j] = float64(rng.IntN(2))
			} else {
				zi[j] = rng.NormFloat64()
			}
			lp += cfg.GammaPurchase[j] * zi[j]
			ld += cfg.GammaDropout[j] * zi[j]
		}
		z[i] = zi
		lambda := gr.sample(rng) / (cfg.Alpha * math.Exp(-lp))
		ga, gb := newGammaSampler(cfg.A*math.Exp(ld)), newGammaSampler(cfg.B*math.Exp(ld))
		p := betaSample(rng, &ga, &gb)
		base.customer(rng, i, width, lambda, p, &s.Customers[i])
	}
	return s, z, nil
}
