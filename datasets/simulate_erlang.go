package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ErlangConfig describes a customer base of regular buyers drawn from the
// BG/CNBD-k or MBG/CNBD-k model (Platzer & Reutterer 2016, "Ticking Away
// the Moments: Timing Regularity Helps to Better Predict Customer
// Activity", Marketing Science 35(5); the BTYDplus package's
// (m)bgcnbd.GenerateData): λ ~ Gamma(shape R, rate Alpha) and
// p ~ Beta(A, B) per customer; while alive, the times between purchases
// are Erlang-K with rate λ (the sum of K exponential times of rate λ, so
// the mean time between purchases is K/λ); right after each repeat
// purchase the customer drops out with probability p, and with
// DropoutAtZero (MBG/CNBD-k) also right after the first purchase.
//
// Time is continuous, in the summary's Unit: customers are born uniformly
// in [0, Acquisition), calibration ends at Calibration and the holdout
// lasts Holdout after it. With K = 1 it is the BG/NBD (or MBG/NBD).
type ErlangConfig struct {
	K              int
	R, Alpha, A, B float64
	DropoutAtZero  bool
	Customers      int
	Acquisition    float64
	Calibration    float64
	Holdout        float64
	Unit           Unit
	Seed           uint64
}

// erlangDomain separates the random streams of SimulateErlang from those
// of Simulate.
const erlangDomain = 0x45726C616E67

// SimulateErlang draws the summary of cfg.Customers customers (see
// ErlangConfig): frequency, recency, T, the log inter-purchase times and
// the last-interval share of the calibration window, and the purchases of
// the holdout window. Customer i's history depends only on Seed, i and the
// parameters.
func SimulateErlang(cfg ErlangConfig) (*Summary, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Summary{Unit: cfg.Unit, HasHoldout: cfg.Holdout > 0, Customers: make([]CustomerSummary, cfg.Customers)}
	gr, ga, gb := newGammaSampler(cfg.R), newGammaSampler(cfg.A), newGammaSampler(cfg.B)
	width := idWidth(cfg.Customers)
	for i := range s.Customers {
		s1, s2 := streamSeeds(cfg.Seed, erlangDomain, uint64(i))
		rng := rand.New(rand.NewPCG(s1, s2))
		lambda := gr.sample(rng) / cfg.Alpha
		p := betaSample(rng, &ga, &gb)
		cfg.customer(rng, i, width, lambda, p, &s.Customers[i])
	}
	return s, nil
}

// customer draws customer i's birth and follows her with rate λ and
// dropout probability p, filling c.
func (cfg ErlangConfig) customer(rng *rand.Rand, i, width int, lambda, p float64, c *CustomerSummary) {
	birth := cfg.Acquisition * rng.Float64()
	c.ID = makeIDs(i, i+1, width)
	c.T = cfg.Calibration - birth
	c.DurationHoldout = cfg.Holdout
	c.Weight = 1
	cfg.purchases(rng, lambda, p, c)
}

func (cfg ErlangConfig) check() error {
	for _, v := range []float64{cfg.R, cfg.Alpha, cfg.A, cfg.B} {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("simulate erlang: parameters r, alpha, a, b must be finite and > 0, got %v, %v, %v, %v", cfg.R, cfg.Alpha, cfg.A, cfg.B)
		}
	}
	switch {
	case cfg.K < 1 || cfg.K > 1000:
		return fmt.Errorf("simulate erlang: k = %d must lie in 1..1000", cfg.K)
	case cfg.Customers < 1:
		return fmt.Errorf("simulate erlang: %d customers: want at least 1", cfg.Customers)
	case !(cfg.Acquisition >= 0) || !(cfg.Calibration > cfg.Acquisition) || math.IsInf(cfg.Calibration, 0):
		return fmt.Errorf("simulate erlang: the acquisition window %v must be ≥ 0 and shorter than the calibration window %v", cfg.Acquisition, cfg.Calibration)
	case !(cfg.Holdout >= 0) || math.IsInf(cfg.Holdout, 0):
		return fmt.Errorf("simulate erlang: the holdout %v must be a finite number ≥ 0", cfg.Holdout)
	case !(cfg.Unit.Days() > 0):
		return fmt.Errorf("simulate erlang: the time unit is not set")
	}
	return nil
}

// purchases follows one customer from the first purchase (time 0) to the
// holdout end, filling the calibration and holdout columns of c.
func (cfg ErlangConfig) purchases(rng *rand.Rand, lambda, p float64, c *CustomerSummary) {
	if cfg.DropoutAtZero && rng.Float64() < p {
		return
	}
	end := c.T + cfg.Holdout
	var now, lastGap float64
	for {
		gap := 0.0
		for range cfg.K {
			gap -= math.Log(1 - rng.Float64())
		}
		gap /= lambda
		now += gap
		if now > end {
			return
		}
		if now <= c.T {
			c.Frequency++
			c.Recency = now
			c.LogInterPurchase += math.Log(gap)
			if lastGap > 0 {
				c.LastIntervalShare = lastGap / (lastGap + gap)
			}
			lastGap = gap
		} else {
			c.FrequencyHoldout++
		}
		if rng.Float64() < p {
			return
		}
	}
}
