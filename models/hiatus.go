package models

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// DefaultHiatusQuantile is the quantile of the repeat customers' mean
// inter-purchase times that sets the hiatus when Hiatus.H is 0.
const DefaultHiatusQuantile = 0.9

// Hiatus is the hiatus heuristic of Wübben & Wangenheim (2008), "Instant
// customer base analysis: managerial heuristics often 'get it right'",
// Journal of Marketing 72(3): a customer who has not bought for longer than
// a hiatus h is taken to be gone.
//
// Rule. A customer with history (x, t_x, T) is inactive when
//
//	T − t_x > h
//
// (strictly: a silence of exactly h keeps the customer active), and active
// otherwise. ProbabilityAlive is 1 for an active customer and 0 for an
// inactive one.
//
// The hiatus h, H and the "hiatus" parameter are in the data's time unit,
// which in a config run is the split's unit (split.unit: weeks for
// hiatus.h = 26 and unit week), never in days unless the unit is days.
//
// The hiatus. H > 0 is taken as given, in the data's time unit (W&W used
// the 9 months managers of their apparel retailer and airline applied, 9 ×
// 365.25/12 days in the data's unit). H = 0 derives h from the data: for
// every repeat customer (x ≥ 1) the mean inter-purchase time t_x / x is the
// mean of their x observed gaps; h is the Quantile-th weighted quantile of
// these means (default 0.9: the lower quantile, the smallest value with at
// least 90% of the repeat customers' weight at or below it, without
// interpolation). Nine in ten repeat buyers buy on average at least once
// every h, so a silence longer than h is long even for the slow buyers, the
// logic of the managers' rule expressed in the data's own rhythm. Customers
// with x = 0 have no gap to measure and do not enter the quantile.
//
// Predictions. Every active customer is predicted to buy, every inactive
// one to buy nothing, so that "counted active" and "predicted purchases"
// never disagree. An active customer with repeat purchases keeps buying at
// their calibration rate x/T (the whole calibration span, as in the
// simple-average model, rather than x/t_x, which overstates the rate of
// customers with one early repeat purchase). An active customer without
// repeats (x = 0, first purchase no more than h ago) has no rate of their
// own yet: like a new customer, they are predicted at the cohort rate
// λ̄ = Σwx/ΣwT:
//
//	E[Y(t) | history] = 1{T − t_x ≤ h} · (x > 0 ? x/T : λ̄) · t.
//
// A new customer is active by definition and is predicted E[X(t)] = λ̄ · t.
//
// The FitResult has HasLikelihood false, Method "heuristic" and Params
// {"hiatus": h, "rate": λ̄, "active_share": the weighted share of active
// customers} plus "quantile" when h was derived.
type Hiatus struct {
	// H is the hiatus in the data's time unit (split.unit in a config
	// run, as hiatus.h): ≥ 0, 0 derives it from the data.
	H float64
	// Quantile is the quantile of the mean inter-purchase times used when H
	// is 0, in (0, 1]; 0 means DefaultHiatusQuantile.
	Quantile float64
}

// Name returns "hiatus".
func (Hiatus) Name() string { return "hiatus" }

// Fit sets or derives the hiatus and the cohort rate.
func (m Hiatus) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hiatus: %w", err)
	}
	if !(m.H >= 0) || math.IsInf(m.H, 0) {
		return nil, fmt.Errorf("hiatus: the hiatus H=%v must be a finite number ≥ 0 (0 derives it from the data)", m.H)
	}
	q := m.Quantile
	if q == 0 {
		q = DefaultHiatusQuantile
	}
	if !(q > 0 && q <= 1) {
		return nil, fmt.Errorf("hiatus: the quantile %v must lie in (0, 1]", m.Quantile)
	}
	c, err := cohortOf(d)
	if err != nil {
		return nil, fmt.Errorf("hiatus: %w", err)
	}
	h := m.H
	params := Params{}
	if h == 0 {
		h, err = hiatusFromGaps(d, q)
		if err != nil {
			return nil, fmt.Errorf("hiatus: %w", err)
		}
		params["quantile"] = q
	}
	f := &FittedHiatus{h: h, rate: c.rate}
	var active float64
	for i, T := range d.T {
		if f.Active(Customer{Recency: d.Recency[i], T: T}) {
			active += d.W(i)
		}
	}
	params["hiatus"] = h
	params["rate"] = c.rate
	params["active_share"] = active / c.n
	f.result = &FitResult{
		Model:     "hiatus",
		Params:    params,
		Converged: true,
		Method:    "heuristic",
		Customers: c.n,
	}
	if h == 0 {
		f.result.Warnings = append(f.result.Warnings, "the derived hiatus is 0: only customers who bought at the very end of calibration count as active")
	}
	return f, nil
}

// hiatusFromGaps returns the q-th weighted (lower) quantile of t_x / x over
// the repeat customers: the first gap, in increasing order, at which the
// running sum of the weights reaches q·Σw (less a relative slack of 1e-12
// for the rounding of the sum).
func hiatusFromGaps(d *Data, q float64) (float64, error) {
	repeat := 0
	for i := 0; i < d.Len(); i++ {
		if d.Frequency[i] >= 1 && d.W(i) > 0 {
			repeat++
		}
	}
	gaps := make([]hiatusGap, 0, repeat)
	total := 0.0
	whole := true // every weight a whole number: the running sums are exact
	for i := 0; i < d.Len(); i++ {
		x, w := d.Frequency[i], d.W(i)
		if x >= 1 && w > 0 {
			gaps = append(gaps, hiatusGap{d.Recency[i] / x, w})
			total += w
			whole = whole && w == math.Trunc(w)
		}
	}
	if len(gaps) == 0 {
		return 0, fmt.Errorf("no repeat customers to derive the hiatus from: set H")
	}
	// The relative slack absorbs rounding in the running sum.
	target := q * total * (1 - 1e-12)
	if whole && total < 1<<53 {
		return selectWeighted(gaps, target), nil
	}
	return scanSorted(gaps, 0, target), nil
}

// scanSorted sorts gaps and returns the first value at which below plus
// the running sum of the weights reaches target, or the largest value when
// none does.
func scanSorted(gaps []hiatusGap, below, target float64) float64 {
	slices.SortFunc(gaps, func(a, b hiatusGap) int { return cmp.Compare(a.v, b.v) })
	for _, g := range gaps {
		if below += g.w; below >= target {
			return g.v
		}
	}
	return gaps[len(gaps)-1].v
}

// hiatusGap is a repeat customer's mean inter-purchase time and weight.
type hiatusGap struct{ v, w float64 }

// selectWeighted returns the smallest gap value v whose gaps up to v (all
// gaps ≤ v) weigh at least target, or the largest gap when none does: what
// the running sum over the sorted gaps finds first, when every partial sum
// of the weights is exact (whole weights of total below 2⁵³), whatever the
// order of the ties. It partitions around a pivot (median of three) and
// keeps the side that holds the answer, in expected linear time, and
// reorders gaps.
func selectWeighted(gaps []hiatusGap, target float64) float64 {
	below := 0.0 // the weight of the gaps left of gaps, all smaller
	for len(gaps) > 16 {
		a, b, c := gaps[0].v, gaps[len(gaps)/2].v, gaps[len(gaps)-1].v
		pivot := max(min(a, b), min(max(a, b), c))
		// Three-way partition: [0, lt) < pivot, [lt, i) == pivot, (gt, end) > pivot.
		lt, i, gt := 0, 0, len(gaps)-1
		for i <= gt {
			switch v := gaps[i].v; {
			case v < pivot:
				gaps[lt], gaps[i] = gaps[i], gaps[lt]
				lt++
				i++
			case v > pivot:
				gaps[i], gaps[gt] = gaps[gt], gaps[i]
				gt--
			default:
				i++
			}
		}
		var wLess, wEqual float64
		for _, g := range gaps[:lt] {
			wLess += g.w
		}
		for _, g := range gaps[lt:i] {
			wEqual += g.w
		}
		switch {
		case lt > 0 && below+wLess >= target:
			gaps = gaps[:lt]
		case below+wLess+wEqual >= target || i == len(gaps):
			return pivot
		default:
			below += wLess + wEqual
			gaps = gaps[i:]
		}
	}
	return scanSorted(gaps, below, target)
}

// FittedHiatus is the fitted hiatus heuristic (see Hiatus).
type FittedHiatus struct {
	h, rate float64
	result  *FitResult
}

// Result returns h, λ̄ and the share of active customers as a heuristic
// FitResult.
func (f *FittedHiatus) Result() *FitResult { return f.result }

// HiatusLength returns h in the data's time unit (split.unit in a config
// run).
func (f *FittedHiatus) HiatusLength() float64 { return f.h }

// Active reports whether the customer counts as active: T − t_x ≤ h.
func (f *FittedHiatus) Active(c Customer) bool { return c.T-c.Recency <= f.h }

// ProbabilityAlive returns 1 for an active customer and 0 otherwise.
func (f *FittedHiatus) ProbabilityAlive(c Customer) float64 {
	if f.Active(c) {
		return 1
	}
	return 0
}

// ExpectedPurchases returns λ̄ · t.
func (f *FittedHiatus) ExpectedPurchases(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	return f.rate * t
}

// ConditionalExpectedPurchases returns (x/T) · t for an active customer
// with repeat purchases, λ̄ · t for an active one without, and 0 for an
// inactive one (see Hiatus).
func (f *FittedHiatus) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	if !f.Active(c) || !(t > 0) {
		return 0
	}
	if c.Frequency > 0 {
		return pastRate(c) * t
	}
	return f.rate * t
}

// HiatusAssumptions states the hiatus heuristic's rule in words, for
// reports.
const HiatusAssumptions = "Hiatus heuristic (Wübben & Wangenheim 2008): a customer silent for longer than the " +
	"hiatus h (in the split's time unit, split.unit) counts as gone and is predicted no purchases; every other " +
	"customer counts as active and keeps buying at their calibration rate x/T, or, without repeat purchases yet, " +
	"at the cohort rate, as a new customer. h is hiatus.h, or when that is 0 the 90% quantile of the repeat " +
	"customers' mean inter-purchase times."

// Assumptions returns HiatusAssumptions.
func (Hiatus) Assumptions() string { return HiatusAssumptions }

// Assumptions returns HiatusAssumptions.
func (f *FittedHiatus) Assumptions() string { return HiatusAssumptions }
