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
	// StepsPerUnit, when > 0, fixes the resolution of the integral: at
	// least that many Simpson intervals per time unit. The default (0)
	// refines the grid until the integral settles (see
	// DiscountedExpectedPurchases).
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
	return max(2, int(math.Ceil(o.Horizon*float64(o.StepsPerUnit))))
}

// DiscountedExpectedPurchases returns the discounted expected number of
// purchases of a customer with history c over (T, T+Horizon], the
// discounted expected residual transactions (DERT) of the literature:
//
//	DERT = ∫₀^H e^{−δt} dE(t) = e^{−δH} E(H) + δ ∫₀^H e^{−δt} E(t) dt,  δ = ln(1+d),
//
// where E(t) is the conditional expected number of purchases in (T, T+t].
// The second form (integration by parts) is evaluated by Simpson's rule on
// nested grids that double until two successive estimates agree to 1e-7
// relative (from 8 to 4096 intervals), then refined by one Richardson step
// (Simpson's error falls 16-fold per halving), which leaves an error far
// below 1e-9 for smooth E(t); StepsPerUnit fixes the grid instead. With
// no discounting it is E(H) exactly.
//
// Models whose E(t) has steps or kinks (BG/BB, retention) implement
// DiscreteDiscounter, and their exact sum is used instead.
func DiscountedExpectedPurchases(p FittedPurchases, c Customer, o CLVOptions) float64 {
	if dd, ok := p.(DiscreteDiscounter); ok {
		return dd.DiscountedExpectedPurchasesWithin(c, o.DiscountRate, o.Horizon)
	}
	delta := math.Log1p(o.DiscountRate)
	curve := func(t float64) float64 { return p.ConditionalExpectedPurchases(c, t) }
	if cc, ok := p.(ConditionalCurver); ok {
		curve = cc.ConditionalCurve(c)
	}
	H := o.Horizon
	eH := curve(H)
	if delta == 0 {
		return eH
	}
	f := func(t float64) float64 { return math.Exp(-delta*t) * curve(t) }
	// Nested trapezoid sums T_n; Simpson S_2n = (4 T_2n − T_n) / 3. The
	// integrand is 0 at t = 0 since E(0) = 0.
	fixed := 0
	if o.StepsPerUnit > 0 {
		fixed = o.steps()
	}
	n := 1
	trap := H / 2 * f(H)
	simpson := math.NaN()
	for {
		h := H / float64(2*n)
		odd := 0.0
		for k := 1; k < 2*n; k += 2 {
			odd += f(float64(k) * h)
		}
		next := trap/2 + h*odd
		s := (4*next - trap) / 3
		n *= 2
		trap = next
		done := false
		switch {
		case fixed > 0:
			done = n >= fixed
		case n >= 8:
			done = math.Abs(s-simpson) <= 1e-7*math.Abs(s) || n >= 4096
			if done {
				// Richardson: Simpson's error falls 16-fold per halving.
				s += (s - simpson) / 15
			}
		}
		simpson = s
		if done {
			break
		}
	}
	return math.Exp(-delta*H)*eH + delta*simpson
}

// DiscreteDiscounter is implemented by purchase models whose expected
// purchases change in steps or kinks, which quadrature handles poorly: the
// discrete-time BG/BB (the next horizon opportunities, 1/(1+d)^k for the
// k-th) and the retention heuristic (survival decided period by period).
// They return the discounted expected purchases within the horizon exactly.
type DiscreteDiscounter interface {
	DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64
}

// ConditionalCurver is implemented by purchase models that can split the
// conditional expectation E[Y(t) | history] into a part that depends on
// the history alone, computed once, and a cheap function of t. CLV
// evaluates the curve at many t for each customer and uses it when present.
type ConditionalCurver interface {
	// ConditionalCurve returns t ↦ ConditionalExpectedPurchases(c, t).
	ConditionalCurve(c Customer) func(t float64) float64
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
