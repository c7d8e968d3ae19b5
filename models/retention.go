package models

import (
	"context"
	"fmt"
	"math"
	"math/bits"
)

// Retention is the retention-probability heuristic: the period-to-period
// retention rate r that managers track, estimated from the customers'
// activity periods and used to project purchases under geometric survival.
//
// Activity periods. The data's Activity bitmaps (Data.Activity, one per row)
// mark the activity periods, each Data.ActivityPeriod time units long
// (L), in which a customer bought: bit k for the k-th period counted back
// from the end of calibration, bit 0 the last period. Data.ActivityPeriods
// (P, 2 ≤ P ≤ 64) periods are covered. Data.ActivityPeriod is in the data's
// time unit, like T; a runner that knows the period in days divides it by
// the unit's length in days.
//
// Estimator. A customer is "active" in a period when they bought in it.
// Over every pair of consecutive periods (k+1, k), k = 0 … P−2, in which the
// customer was active in the earlier period k+1, the pair counts as retained
// when they were active again in period k:
//
//	r = Σ_i w_i · #{k : bit k+1 and bit k set in A_i} / Σ_i w_i · #{k : bit k+1 set in A_i},
//
// pooled over customers (weights w_i) and period pairs. Only periods from a
// customer's first purchase on can hold activity, so periods before it never
// enter the denominator; the period of the first purchase enters it when the
// summary marks the first purchase as activity. The estimate is the share of
// (customer, period) pairs active in one period that are active again in the
// next, the "retention rate" of practitioners; it does not separate churn
// from a temporary pause. Params reports "retention" (r), "rate" (λ̄, see
// below), "period" (L) and "pairs" (the weighted denominator).
//
// Predictions. Let g be the number of whole periods since the customer's
// last activity: the index of the lowest set bit of A_i among the P bits,
// or, when none is set (the last purchase precedes the window),
// ⌊(T − t_x)/L⌋. Each silent period is counted as one more retention
// decision, so
//
//	P(alive at T) = r^g,
//
// which is 1 for a customer active in the last period. A customer alive at
// T is alive in the j-th period ahead, (T+(j−1)L, T+jL], with probability
// r^j (survival into a period is decided at its start, as in Gupta &
// Lehmann's m·r/(1+d−r)), and buys at their calibration rate x/T while
// alive. Hence
//
//	E[Y(t) | history] = (x/T) · r^g · A(t),  A(t) = Σ_{j≥1} r^j · |((j−1)L, jL] ∩ (0, t]|
//	                  = (x/T) · r^g · ( L · r(1 − r^n)/(1 − r) + (t − nL) · r^(n+1) ),  n = ⌊t/L⌋,
//
// the expected time alive in (T, T+t] times the rate (A(t) = t when r = 1).
// x/T, the rate over the whole calibration span, is the same rate the
// simple-average model carries forward, so the two models differ only by
// the survival discount r^g · A(t)/t; a customer without repeat purchases is
// predicted none. A new customer is predicted E[X(t)] = λ̄ · A(t) with the
// cohort rate λ̄ = Σwx/ΣwT. The rate x/T already includes the customer's
// past silences, so these projections lean low: they are what the
// practitioners' rule gives, not a probability model.
//
// References: Gupta & Lehmann (2003), "Customers as assets", Journal of
// Interactive Marketing 17(1) (retention-based CLV); Berger & Nasr (1998),
// "Customer lifetime value: marketing models and applications", Journal of
// Interactive Marketing 12(1) (retention models of CLV).
type Retention struct{}

// Name returns "retention".
func (Retention) Name() string { return "retention" }

// errNoActivity is returned when the data carries no activity bitmaps.
const errNoActivity = "the retention model needs activity periods: set the activity period"

// Fit estimates the retention rate r and the cohort rate λ̄. It fails when
// the data has no activity bitmaps, when the period length or count is
// unusable, or when no customer was active in a period followed by another
// inside the window.
func (Retention) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	c, err := cohortOf(d)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if d.Activity == nil {
		return nil, fmt.Errorf("%s", errNoActivity)
	}
	L, P := d.ActivityPeriod, d.ActivityPeriods
	if !(L > 0) || math.IsInf(L, 0) {
		return nil, fmt.Errorf("retention: the activity period %v must be a finite number of time units > 0 (%s)", L, errNoActivity)
	}
	if P < 2 || P > 64 {
		return nil, fmt.Errorf("retention: the activity bitmaps cover %d periods; the retention rate needs 2 to 64 periods", P)
	}
	mask := periodMask(P)
	var active, retained float64
	for i := 0; i < d.Len(); i++ {
		a := d.Activity[i] & mask
		w := d.W(i)
		active += w * float64(bits.OnesCount64(a>>1))
		retained += w * float64(bits.OnesCount64(a&(a>>1)))
	}
	if !(active > 0) {
		return nil, fmt.Errorf("retention: no customer was active in a period followed by another inside the %d-period window, so the retention rate cannot be estimated", P)
	}
	r := retained / active
	res := &FitResult{
		Model:     "retention",
		Params:    Params{"retention": r, "rate": c.rate, "period": L, "pairs": active},
		Converged: true,
		Method:    "heuristic",
		Customers: c.n,
	}
	if active < 30 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the retention rate rests on only %.4g active (customer, period) pairs", active))
	}
	return &FittedRetention{r: r, logR: math.Log(r), rate: c.rate, period: L, periods: P, result: res}, nil
}

// periodMask returns the mask of the low p bits (p ≤ 64).
func periodMask(p int) uint64 {
	if p >= 64 {
		return math.MaxUint64
	}
	return 1<<uint(p) - 1
}

// FittedRetention is the fitted retention heuristic (see Retention).
type FittedRetention struct {
	r       float64 // retention rate per period
	logR    float64 // ln r (−Inf when r = 0)
	rate    float64 // cohort rate λ̄
	period  float64 // L, in time units
	periods int     // P
	result  *FitResult
}

// Result returns r, λ̄ and L as a heuristic FitResult.
func (f *FittedRetention) Result() *FitResult { return f.result }

// RetentionRate returns r, the estimated retention rate per period.
func (f *FittedRetention) RetentionRate() float64 { return f.r }

// PeriodsSinceActivity returns g, the whole activity periods between the
// customer's last purchase and the end of calibration (see Retention).
func (f *FittedRetention) PeriodsSinceActivity(c Customer) int {
	if a := c.Activity & periodMask(f.periods); a != 0 {
		return bits.TrailingZeros64(a)
	}
	gap := (c.T - c.Recency) / f.period
	if !(gap > 0) {
		return 0
	}
	// Absorb rounding in T − t_x that falls a hair below a whole period.
	g := math.Floor(gap * (1 + 1e-12))
	if g > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(g)
}

// ProbabilityAlive returns r^g (see Retention).
func (f *FittedRetention) ProbabilityAlive(c Customer) float64 {
	g := f.PeriodsSinceActivity(c)
	if g == 0 {
		return 1
	}
	return math.Exp(float64(g) * f.logR)
}

// aliveTime returns A(t), the expected time alive in (0, t] of a customer
// alive at 0 who survives into each further period with probability r.
func (f *FittedRetention) aliveTime(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	r, L := f.r, f.period
	if r >= 1 {
		return t
	}
	if r <= 0 {
		return 0
	}
	n := math.Floor(t / L)
	frac := t - n*L
	if frac < 0 {
		frac = 0
	}
	// Σ_{j=1}^{n} r^j = r(1 − r^n)/(1 − r), with 1 − r^n = −expm1(n ln r).
	lr := f.logR
	whole := r * -math.Expm1(n*lr) / (1 - r)
	return L*whole + frac*math.Exp((n+1)*lr)
}

// ExpectedPurchases returns λ̄ · A(t), the expected repeat purchases in
// (0, t] of a new customer at the cohort rate.
func (f *FittedRetention) ExpectedPurchases(t float64) float64 {
	return f.rate * f.aliveTime(t)
}

// ConditionalExpectedPurchases returns (x/T) · r^g · A(t) (see Retention).
func (f *FittedRetention) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	rate := pastRate(c)
	if rate == 0 {
		return 0
	}
	return rate * f.ProbabilityAlive(c) * f.aliveTime(t)
}

// DiscountedExpectedPurchasesWithin returns the discounted expected
// purchases in (T, T+horizon] exactly, with continuous discounting at force
// δ = ln(1+d) per time unit as in DiscountedExpectedPurchases:
//
//	(x/T) · r^g · Σ_{j≥1} r^j ∫_{(j−1)L}^{min(jL, H)} e^{−δt} dt.
//
// The expected time alive A(t) has a kink at every period boundary, which
// slows a quadrature down; this sum has one term per period. It returns
// NaN for a negative or NaN d or horizon.
func (f *FittedRetention) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	if !(d >= 0) || !(horizon >= 0) || math.IsInf(d, 0) {
		return math.NaN()
	}
	rate := pastRate(c)
	if rate == 0 || horizon == 0 {
		return 0
	}
	delta := math.Log1p(d)
	// ∫_a^b e^{−δt} dt, with the δ → 0 limit b − a.
	integral := func(a, b float64) float64 {
		if delta == 0 {
			return b - a
		}
		return math.Exp(-delta*a) * -math.Expm1(-delta*(b-a)) / delta
	}
	L := f.period
	total := 0.0
	weight := 1.0 // r^j
	for j := 1; ; j++ {
		lo := float64(j-1) * L
		if lo >= horizon || math.IsInf(horizon, 1) && weight < 1e-300 {
			break
		}
		weight *= f.r
		if weight == 0 {
			break
		}
		total += weight * integral(lo, math.Min(float64(j)*L, horizon))
	}
	return rate * f.ProbabilityAlive(c) * total
}

// RetentionCLV returns the infinite-horizon CLV of a customer under a
// constant retention rate,
//
//	CLV = Σ_{t≥1} m · r^t / (1+d)^t = m · r / (1 + d − r),
//
// for a margin m per period received at the end of each period the customer
// is retained for, retention rate r ∈ [0, 1] and discount rate d ≥ 0 per
// period (Gupta & Lehmann 2003, "Customers as assets", Journal of
// Interactive Marketing 17(1)). It returns +Inf (times the sign of m) when
// r = 1 and d = 0, and NaN for r outside [0, 1], d < 0 or non-finite inputs.
func RetentionCLV(margin, r, d float64) float64 {
	if !retentionInputsOK(margin, r, d) {
		return math.NaN()
	}
	if r == 0 || margin == 0 {
		return 0
	}
	den := (1 - r) + d // 1 − r is exact for r ≥ 1/2, unlike 1 + d
	if den == 0 {
		return math.Copysign(math.Inf(1), margin)
	}
	return margin * r / den
}

// RetentionCLVFinite returns the CLV over the first N periods,
//
//	Σ_{t=1}^{N} m · r^t / (1+d)^t = m · q (1 − q^N) / (1 − q),  q = r/(1+d),
//
// which tends to RetentionCLV as N grows (m · N when q = 1). It returns 0
// for N ≤ 0 and NaN for the inputs RetentionCLV rejects.
func RetentionCLVFinite(margin, r, d float64, periods int) float64 {
	if !retentionInputsOK(margin, r, d) {
		return math.NaN()
	}
	if periods <= 0 || r == 0 || margin == 0 {
		return 0
	}
	q := r / (1 + d)
	n := float64(periods)
	if q == 1 {
		return margin * n
	}
	lq := math.Log(q)
	// 1 − q^N = −expm1(N ln q) and 1 − q = −expm1(ln q) keep full precision
	// when q is close to 1.
	return margin * q * math.Expm1(n*lq) / math.Expm1(lq)
}

func retentionInputsOK(margin, r, d float64) bool {
	return finite(margin) && finite(r) && finite(d) && r >= 0 && r <= 1 && d >= 0
}
