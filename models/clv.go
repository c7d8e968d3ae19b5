package models

import (
	"fmt"
	"math"
)

// CLVOptions sets how future purchases are turned into money.
type CLVOptions struct {
	// Horizon is how far ahead to count, in the data's time unit (> 0).
	Horizon float64
	// DiscountRate is the discount rate per time unit, d ≥ 0: money one
	// unit ahead is worth 1/(1+d) now. Discounting is continuous, with
	// force δ = ln(1+d), so that it agrees with the closed forms (DERT) of
	// the literature.
	DiscountRate float64
	// Margin multiplies revenue into profit (1 means revenue).
	Margin float64
	// StepsPerUnit is the resolution of the discrete sum (default 10 steps
	// per time unit, at least 200 steps in all).
	StepsPerUnit int
}

// Validate checks the options.
func (o CLVOptions) Validate() error {
	switch {
	case !(o.Horizon > 0) || math.IsInf(o.Horizon, 0):
		return fmt.Errorf("CLV horizon %v must be a finite number > 0", o.Horizon)
	case !(o.DiscountRate >= 0) || math.IsInf(o.DiscountRate, 0):
		return fmt.Errorf("CLV discount rate %v must be a finite number ≥ 0", o.DiscountRate)
	case !(o.Margin >= 0) || math.IsInf(o.Margin, 0):
		return fmt.Errorf("CLV margin %v must be a finite number ≥ 0", o.Margin)
	}
	return nil
}

func (o CLVOptions) steps() int {
	per := o.StepsPerUnit
	if per <= 0 {
		per = 10
	}
	n := int(math.Ceil(o.Horizon * float64(per)))
	return max(n, 200)
}

// DiscountedExpectedPurchases returns the discounted expected number of
// purchases of a customer with history c over (T, T+Horizon]:
//
//	Σ_k [E(t_k) − E(t_{k−1})] · exp(−δ·(t_k + t_{k−1})/2),  δ = ln(1+d),
//
// where E(t) is the conditional expected number of purchases in (T, T+t]
// and t_k runs over a fine grid. It converges to ∫ e^{−δt} dE(t), the
// discounted expected residual transactions (DERT) of the literature.
func DiscountedExpectedPurchases(p FittedPurchases, c Customer, o CLVOptions) float64 {
	n := o.steps()
	h := o.Horizon / float64(n)
	delta := math.Log1p(o.DiscountRate)
	total, prev := 0.0, 0.0
	for k := 1; k <= n; k++ {
		t := float64(k) * h
		e := p.ConditionalExpectedPurchases(c, t)
		total += (e - prev) * math.Exp(-delta*(t-h/2))
		prev = e
	}
	return total
}

// CLV returns the discounted customer lifetime value of a customer with
// history c over the horizon: margin × expected spend per purchase ×
// discounted expected purchases. The spend model may be nil, in which case
// the customer's own mean spend (c.Monetary) is used.
func CLV(p FittedPurchases, s FittedSpend, c Customer, o CLVOptions) float64 {
	spend := c.Monetary
	if s != nil {
		spend = s.ExpectedSpend(c)
	}
	return o.Margin * spend * DiscountedExpectedPurchases(p, c, o)
}

// PerUnitDiscountRate converts a discount rate per year into the rate per
// time unit of unitDays days: (1 + d)^(unitDays/365.25) − 1.
func PerUnitDiscountRate(perYear, unitDays float64) float64 {
	return math.Expm1(math.Log1p(perYear) * unitDays / 365.25)
}
