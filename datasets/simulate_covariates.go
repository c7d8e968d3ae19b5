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
//
// With ParetoNBD the customers are Pareto/NBD customers instead
// (Schmittlein, Morrison & Colombo 1987, with static covariates as in
// CLVTools' pnbd), and A and B are ignored:
//
//	λ_i ~ Gamma(R, rate Alpha·exp(−γ_P'z_i)),
//	μ_i ~ Gamma(S, rate Beta·exp(−γ_D'z_i)),
//
// each buying as a Poisson process of rate λ_i from her first purchase
// (at her birth) until she dies, after an exponential lifetime of rate
// μ_i; so a positive dropout coefficient raises the mean dropout rate by
// the factor exp(γ) per unit (shortens lifetimes).
type CovariateConfig struct {
	Base           ErlangConfig
	R, Alpha, A, B float64
	ParetoNBD      bool
	S, Beta        float64
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
	if cfg.ParetoNBD {
		if !(cfg.S > 0) || !(cfg.Beta > 0) || math.IsInf(cfg.S, 0) || math.IsInf(cfg.Beta, 0) {
			return nil, nil, fmt.Errorf("simulate covariates: Pareto/NBD parameters s and beta must be finite and > 0, got %v, %v", cfg.S, cfg.Beta)
		}
		base.A, base.B = cfg.S, cfg.Beta // checked above; only the windows remain to check
	}
	if err := base.check(); err != nil {
		return nil, nil, err
	}
	s := &Summary{Unit: base.Unit, HasHoldout: base.Holdout > 0, Customers: make([]CustomerSummary, base.Customers)}
	z := make([][]float64, base.Customers)
	gr, gs := newGammaSampler(cfg.R), newGammaSampler(cfg.S)
	width := idWidth(base.Customers)
	for i := range s.Customers {
		s1, s2 := streamSeeds(base.Seed, covariateDomain, uint64(i))
		rng := rand.New(rand.NewPCG(s1, s2))
		zi, lp, ld := drawCovariates(rng, cfg.GammaPurchase, cfg.GammaDropout, cfg.Binary)
		z[i] = zi
		lambda := gr.sample(rng) / (cfg.Alpha * math.Exp(-lp))
		if cfg.ParetoNBD {
			mu := gs.sample(rng) / (cfg.Beta * math.Exp(-ld))
			paretoCustomer(base, rng, i, width, lambda, mu, &s.Customers[i])
			continue
		}
		ga, gb := newGammaSampler(cfg.A*math.Exp(ld)), newGammaSampler(cfg.B*math.Exp(ld))
		p := betaSample(rng, &ga, &gb)
		base.customer(rng, i, width, lambda, p, &s.Customers[i])
	}
	return s, z, nil
}

// paretoCustomer draws customer i's birth and lifetime (exponential of
// rate μ) and her purchases (Poisson of rate λ while alive) in the
// windows of cfg, filling c.
func paretoCustomer(cfg ErlangConfig, rng *rand.Rand, i, width int, lambda, mu float64, c *CustomerSummary) {
	birth := cfg.Acquisition * rng.Float64()
	c.ID = makeIDs(i, i+1, width)
	c.T = cfg.Calibration - birth
	c.DurationHoldout = cfg.Holdout
	c.Weight = 1
	death := rng.ExpFloat64() / mu // +Inf when μ underflowed
	end := math.Min(c.T+cfg.Holdout, death)
	for now := rng.ExpFloat64() / lambda; now <= end; now += rng.ExpFloat64() / lambda {
		if now <= c.T {
			c.Frequency++
			c.Recency = now
		} else {
			c.FrequencyHoldout++
		}
	}
}
