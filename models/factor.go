package models

import "math"

// AliveFactored is implemented by purchase models whose conditional
// expectation is the probability of being alive at T times the expected
// purchases of a customer known to be alive at T:
//
//	E[Y(t) | x, t_x, T] = P(alive | x, t_x, T) · A(t | x, T),
//
// where A depends on the history through x and T only: given that the
// customer is alive at T, the posterior of the purchase rate is
// λ ~ Gamma(r+x, α+T) and, for the BG/NBD family, that of the dropout
// probability p ~ Beta(a, b+x+shift), neither involving t_x (Fader,
// Hardie & Lee 2005, eq. 10; Schmittlein, Morrison & Colombo 1987 for the
// Pareto/NBD). A customer base is then predicted with the expensive part
// (a Gauss hypergeometric function, a discounted integral for CLV) once
// per distinct (x, T), of which even very large logs hold few, and the
// cheap, closed-form P(alive) once per distinct (x, t_x, T).
type AliveFactored interface {
	// AliveCurve returns t ↦ A(t | x, T), the expected number of purchases
	// in (T, T+t] of a customer alive at T with x repeat purchases.
	AliveCurve(x, T float64) func(t float64) float64
	// AliveDiscounted returns ∫₀^H e^{−δt} dA(t | x, T), δ = ln(1+d):
	// the discounted expected purchases within the horizon H of a
	// customer alive at T, so that DiscountedExpectedPurchasesWithin(c,
	// d, H) = P(alive | c) · AliveDiscounted(x, T, d, H).
	AliveDiscounted(x, T, d, horizon float64) float64
	// AliveRate returns E[λ | alive at T, x, T] = (r+x)/(α+T), the
	// posterior mean purchase rate of a customer alive at T.
	AliveRate(x, T float64) float64
}

// aliveCurve returns t ↦ A(t | x, T) = G(t; r+x, α+T, a, b+x+shift), the
// mean purchases of a fresh BG/NBD customer with the posterior parameters
// (see AliveFactored); 0 for t ≤ 0.
func (m bgfModel) aliveCurve(x, T float64) func(t float64) float64 {
	return func(t float64) float64 {
		if math.IsNaN(t) {
			return math.NaN()
		}
		return bgfMean(t, m.r+x, m.alpha+T, m.a, m.b+x+m.shift)
	}
}

// aliveDiscounted returns ∫₀^H e^{−δt} dA(t | x, T) by the bounded
// quadrature of discountedCurve (A(H) without discounting).
func (m bgfModel) aliveDiscounted(x, T, d, horizon float64) float64 {
	if horizon == 0 {
		return 0
	}
	alpha := m.alpha + T
	curve := m.aliveCurve(x, T)
	delta := math.Log1p(d)
	if delta == 0 {
		return curve(horizon)
	}
	return discountedCurve(curve, alpha, delta, horizon)
}

// aliveRate returns (r+x)/(α+T).
func (m bgfModel) aliveRate(x, T float64) float64 { return (m.r + x) / (m.alpha + T) }

// AliveCurve implements AliveFactored for the BG/NBD.
func (f *FittedBGNBD) AliveCurve(x, T float64) func(t float64) float64 {
	return f.model().aliveCurve(x, T)
}

// AliveDiscounted implements AliveFactored for the BG/NBD.
func (f *FittedBGNBD) AliveDiscounted(x, T, d, horizon float64) float64 {
	return f.model().aliveDiscounted(x, T, d, horizon)
}

// AliveRate implements AliveFactored for the BG/NBD.
func (f *FittedBGNBD) AliveRate(x, T float64) float64 { return f.model().aliveRate(x, T) }

// AliveCurve implements AliveFactored for the MBG/NBD.
func (f *FittedMBGNBD) AliveCurve(x, T float64) func(t float64) float64 {
	return f.model().aliveCurve(x, T)
}

// AliveDiscounted implements AliveFactored for the MBG/NBD.
func (f *FittedMBGNBD) AliveDiscounted(x, T, d, horizon float64) float64 {
	return f.model().aliveDiscounted(x, T, d, horizon)
}

// AliveRate implements AliveFactored for the MBG/NBD.
func (f *FittedMBGNBD) AliveRate(x, T float64) float64 { return f.model().aliveRate(x, T) }

// AliveCurve returns t ↦ A(t | x, T) for the Pareto/NBD: with the
// posterior λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T) of a customer alive
// at T,
//
//	A(t) = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)],
//
// continued at s = 1 by (r+x)(β+T)/(α+T) · ln(1 + t/(β+T)); NaN for t < 0.
func (m *FittedParetoNBD) AliveCurve(x, T float64) func(t float64) float64 {
	bt := m.Beta + T
	k := (m.R + x) / (m.Alpha + T) * bt
	return func(t float64) float64 {
		if !(t >= 0) {
			return math.NaN()
		}
		l := math.Log1p(t / bt)
		return k * l * pnbdPhi((m.S-1)*l)
	}
}

// AliveDiscounted returns the finite-horizon DERT of a customer alive at
// T (see DiscountedExpectedPurchasesWithin, whose value is P(alive) times
// this): (r+x)/(α+T) · B · ∫_0^(H/B) e^(−δBw) (1+w)^(−s) dw, B = β+T.
func (m *FittedParetoNBD) AliveDiscounted(x, T, d, horizon float64) float64 {
	return m.AliveDiscountedAt(x, T, d, horizon, m.AgeDiscount(T, d, horizon))
}

// AgeDiscount returns the logarithm of the integral of AliveDiscounted,
// ln ∫_0^(H/B) e^(−δBw) (1+w)^(−s) dw with B = β+T, which depends on T
// alone (0 without discounting or horizon, where AliveDiscounted does not
// use it). It implements AgeDiscounter.
func (m *FittedParetoNBD) AgeDiscount(T, d, horizon float64) float64 {
	delta := math.Log1p(d)
	if delta == 0 || horizon == 0 {
		return 0
	}
	bt := m.Beta + T
	return logDiscountedPower(m.S, delta*bt, math.Log1p(horizon/bt))
}

// AliveDiscountedAt returns AliveDiscounted(x, T, d, horizon) given
// ad = AgeDiscount(T, d, horizon). It implements AgeDiscounter.
func (m *FittedParetoNBD) AliveDiscountedAt(x, T, d, horizon, ad float64) float64 {
	if math.Log1p(d) == 0 || horizon == 0 {
		return m.AliveCurve(x, T)(horizon)
	}
	bt := m.Beta + T
	return math.Exp(math.Log(m.R+x) - math.Log(m.Alpha+T) + math.Log(bt) + ad)
}

// AgeDiscounter is implemented by factored models (AliveFactored) whose
// AliveDiscounted(x, T, d, H) is a closed form in x and T times a part in
// T alone, a quadrature: a customer base is then discounted with one
// quadrature per distinct age T instead of one per distinct (x, T) (a
// million simulated customers: 84 ages, 5,000 (x, T)). The Pareto/NBD's
// discounted integral, ∫ e^(−δBw)(1+w)^(−s) dw with B = β+T, does not
// involve x.
type AgeDiscounter interface {
	// AgeDiscount returns the part of AliveDiscounted(x, T, d, horizon)
	// in T alone.
	AgeDiscount(T, d, horizon float64) float64
	// AliveDiscountedAt returns AliveDiscounted(x, T, d, horizon), bit
	// for bit, given ad = AgeDiscount(T, d, horizon).
	AliveDiscountedAt(x, T, d, horizon, ad float64) float64
}

// AliveRate returns (r+x)/(α+T).
func (m *FittedParetoNBD) AliveRate(x, T float64) float64 { return (m.R + x) / (m.Alpha + T) }

// AliveTabulator is implemented by purchase models whose P(alive) shares
// work between the histories of a table: a part that depends on a history
// through (x, T) only, computed once per distinct (x, T) by AliveAgeTerms,
// and a remainder per history. The Pareto/NBD's P(alive) needs two Gauss
// hypergeometric integrals, one in (x, T) and one in (x, t_x); the
// BG/NBD's a dropout term in x alone.
type AliveTabulator interface {
	// AliveAgeTerms returns the terms of P(alive) of a history with x
	// repeat purchases and age T that do not depend on t_x.
	AliveAgeTerms(x, T float64) AliveAgeTerms
	// ProbabilitiesAlive sets out[j] to ProbabilityAlive of the history
	// (frequency[j], recency[j], T[j]), bit for bit, given that
	// terms[age[j]] is AliveAgeTerms(frequency[j], T[j]).
	ProbabilitiesAlive(frequency, recency, T []float64, age []int32, terms []AliveAgeTerms, out []float64)
}

// AliveAgeTerms are the terms of a history's P(alive) that depend on it
// through (x, T) only (see AliveTabulator); what they hold is the model's.
type AliveAgeTerms struct{ u, v float64 }

// RecencyClassed is implemented by purchase models whose predictions of a
// customer depend on the recency t_x only through a class: two customers
// with the same x and T and the same RecencyClass get the same values,
// bit for bit, from ConditionalExpectedPurchases, ProbabilityAlive and
// DiscountedExpectedPurchases. A customer base is then predicted once per
// distinct (x, T, class), of which there are far fewer than histories (a
// million simulated customers: 290,000 histories, 5,000 (x, T)).
type RecencyClassed interface {
	// RecencyClasses returns the number of classes n; RecencyClass
	// returns a class in [0, n).
	RecencyClasses() int
	RecencyClass(c Customer) int
}

// RecencyClasses returns 1: the simple average reads x and T only (x/T,
// the curve of its discounted purchases too).
func (f *FittedAverage) RecencyClasses() int { return 1 }

// RecencyClass returns 0 (see RecencyClasses).
func (f *FittedAverage) RecencyClass(Customer) int { return 0 }

// RecencyClasses returns 2: the hiatus heuristic reads t_x only through
// Active.
func (f *FittedHiatus) RecencyClasses() int { return 2 }

// RecencyClass returns 1 for an active customer and 0 otherwise.
func (f *FittedHiatus) RecencyClass(c Customer) int {
	if f.Active(c) {
		return 1
	}
	return 0
}

// ActivityFree is implemented by purchase models whose predictions do not
// read Customer.Activity: they depend on a customer through (x, t_x, T)
// only, so a customer base is predicted once per distinct history even
// when the summary carries activity bitmaps (which the retention heuristic
// reads).
type ActivityFree interface {
	ActivityFree()
}

// ActivityFree marks the simple average as reading no activity bitmap.
func (f *FittedAverage) ActivityFree() {}

// ActivityFree marks the hiatus heuristic as reading no activity bitmap.
func (f *FittedHiatus) ActivityFree() {}
