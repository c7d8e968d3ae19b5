package datasets

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// CovariateLogConfig describes a transaction log of BG/NBD or MBG/NBD
// customers (Log.Model bgnbd or mbgnbd, Log.Params r, alpha, a, b those of
// a customer whose covariates are all 0) with static covariates in the
// CLVTools parametrization (see CovariateConfig): customer i has
// covariates z_i, the first Binary of them 0/1 with probability ½ and the
// others standard normal, and
//
//	λ_i ~ Gamma(r, rate α·exp(−γ_P'z_i)),  p_i ~ Beta(a·exp(γ_D'z_i), b·exp(γ_D'z_i)).
//
// Names names the covariates (one per coefficient). Customer i's
// covariates depend only on Seed and i, and her purchases only on Seed,
// i, the parameters and her covariates.
type CovariateLogConfig struct {
	Log           SimulationConfig
	Names         []string
	GammaPurchase []float64
	GammaDropout  []float64
	Binary        int
}

// covariateLogDomain separates the covariate streams of
// SimulateCovariateLog from the purchase and spend streams.
const covariateLogDomain uint64 = 0x436F764C6F67

// SimulateCovariateLog draws the customer base cfg describes: the log
// (as Simulate draws it, customer by customer with her own α_i, a_i, b_i)
// and each customer's covariates, row i for customer i.
func SimulateCovariateLog(cfg CovariateLogConfig) (*Simulation, [][]float64, error) {
	const op = "simulate covariates"
	k := len(cfg.Names)
	if len(cfg.GammaPurchase) != k || len(cfg.GammaDropout) != k || k == 0 {
		return nil, nil, fmt.Errorf("%s: %d names, %d purchase and %d dropout coefficients: give one name and two coefficients per covariate", op, k, len(cfg.GammaPurchase), len(cfg.GammaDropout))
	}
	if cfg.Binary < 0 || cfg.Binary > k {
		return nil, nil, fmt.Errorf("%s: %d binary covariates of %d", op, cfg.Binary, k)
	}
	for _, g := range slices.Concat(cfg.GammaPurchase, cfg.GammaDropout) {
		if math.IsNaN(g) || math.IsInf(g, 0) || math.Abs(g) > 20 {
			return nil, nil, fmt.Errorf("%s: coefficient %v must be finite and at most 20 in size", op, g)
		}
	}
	p, err := newSimPlan(cfg.Log)
	if err != nil {
		return nil, nil, err
	}
	if p.model == simParetoNBD {
		return nil, nil, fmt.Errorf("%s: model %s: covariate logs are drawn for bgnbd and mbgnbd", op, cfg.Log.Model)
	}
	a, b := cfg.Log.Params["a"], cfg.Log.Params["b"]
	z := make([][]float64, cfg.Log.Customers)
	customers := make([]SimulatedCustomer, cfg.Log.Customers)
	w := newSimWorker()
	ids := p.ids(0, len(customers))
	for i := range customers {
		s1, s2 := streamSeeds(p.seed, covariateLogDomain, uint64(i))
		rng := rand.New(rand.NewPCG(s1, s2))
		zi, lp, ld := drawCovariates(rng, cfg.GammaPurchase, cfg.GammaDropout, cfg.Binary)
		z[i] = zi
		own := *p
		own.alpha = p.alpha * math.Exp(-lp)
		own.drop1, own.drop2 = newGammaSampler(a*math.Exp(ld)), newGammaSampler(b*math.Exp(ld))
		birth, err := own.customer(i, w)
		if err != nil {
			return nil, nil, err
		}
		c := &customers[i]
		c.ID, c.Birth = ids[i*p.idWidth:(i+1)*p.idWidth], birth
		c.Purchases = slices.Clone(w.times)
		if p.spend {
			c.Amounts = slices.Clone(w.amounts)
		}
	}
	return &Simulation{Config: cfg.Log, Customers: customers}, z, nil
}

// drawCovariates draws one customer's covariates (the first binary of
// them 0/1 with probability ½, the others standard normal) and returns
// them with the linear predictors γ_P'z and γ_D'z.
func drawCovariates(rng *rand.Rand, gp, gd []float64, binary int) (z []float64, lp, ld float64) {
	z = make([]float64, len(gp))
	for j := range z {
		if j < binary {
			z[j] = float64(rng.IntN(2))
		} else {
			z[j] = rng.NormFloat64()
		}
		lp += gp[j] * z[j]
		ld += gd[j] * z[j]
	}
	return z, lp, ld
}

// WriteCovariatesCSV writes the covariates of a simulated customer base:
// a header customer_id,NAME... and one row per customer; the first binary
// columns as the levels yes (1) and no (0), the others as numbers.
func WriteCovariatesCSV(w io.Writer, s *Simulation, names []string, z [][]float64, binary int) error {
	if len(z) != len(s.Customers) {
		return fmt.Errorf("write covariates: %d rows for %d customers", len(z), len(s.Customers))
	}
	b := append([]byte("customer_id"), ',')
	for j, n := range names {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, n)
	}
	b = append(b, '\n')
	for i, c := range s.Customers {
		b = append(b, c.ID...)
		for j, v := range z[i] {
			b = append(b, ',')
			switch {
			case j >= binary:
				b = strconv.AppendFloat(b, v, 'g', 10, 64)
			case v == 1:
				b = append(b, "yes"...)
			default:
				b = append(b, "no"...)
			}
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}
