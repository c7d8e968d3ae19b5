package models

import (
	"context"
	"fmt"
	"math"
	"math/bits"
)

// Retention is a customer-migration model in the style of Pfeifer &
// Carraway (2000), "Modeling customer relationships as Markov chains",
// Journal of Interactive Marketing 14(2): in every activity period a
// customer is active (bought in the period) or has been silent for r = 1, 2,
// …, R or more periods, and moves between these recency states as a Markov
// chain. From recency r the customer is active in the next period with
// probability
//
//	q_0 = p = P(active next | active now)              (retention),
//	q_r     = P(active next | silent for r periods)    (reactivation, r ≥ 1),
//
// the same for every customer, and otherwise moves to recency r + 1 (R
// stays R). An active period brings m purchases on average. With R = 1 it
// is the two-state active/inactive model with retention p and reactivation
// q = q_1. Unlike a "bought again next period" rate used as a survival
// probability, the chain counts every silent period once: in the state it
// leaves the customer in, never again in a rate or a discount.
//
// Memory in time, not in periods. The recency states span a fixed time S,
// the memory, whatever the period length L: x = S/L periods. When x is
// whole, R = x; otherwise the forecast interpolates linearly between the
// chains with R − 1 = ⌊x⌋ and R = ⌊x⌋ + 1 states, with weights 1 − w and
// w = x − ⌊x⌋, so it moves smoothly with L. Weekly, monthly and quarterly
// periods thus tell apart silences up to the same time and pool longer ones
// as "lapsed". S defaults to a third of the observed window (the longest
// customer age T); Memory sets it, and RecencyStates fixes R instead (no
// blending). The memory is at least one period.
//
// The reason is measured. On real logs customers differ in how often they
// buy and whether they have left, and a chain that remembers one period
// forgets within a week, with weekly periods, who has been silent for
// months: its projection runs every customer at the pooled stationary rate
// and grows as the period shrinks. On the quickstart and CDNOW logs
// (39-week calibration, 39-week holdout) the two-state chain's holdout
// total was 5,720, 4,502 and 3,347 (actual 3,563) and 2,659, 2,090 and 1,599
// (actual 1,882) for weeks, months and quarters; with the memory at a third
// of the window it is 3,370, 3,402 and 3,347, and 1,611, 1,621 and 1,599.
// The span sets the level, the period hardly matters: a memory of four
// weeks or a month gives 4,765 and 4,502 (2,199 and 2,090) with weekly and
// monthly periods, two months 3,967 and 3,844 (1,795 and 1,749), half the
// window 2,965 and 3,074 (1,412 and 1,456). Longer spans lean low, as long
// silences are seen ending only among the earliest customers, mostly
// one-time buyers; shorter ones lean high. A third of the window is the
// compromise: low by 5% on the quickstart and 14% on CDNOW, and by 9–23% on
// the full CDNOW log (23,570 customers) with calibrations of 26 to 65 weeks,
// whose totals by week, month and quarter stay within 3% of each other
// except where a quarter is longer than the memory (30 weeks: −13% against
// months) or the window holds two quarters, so that no reactivation is ever
// seen (26 weeks: q_1 taken as 0, with a warning). Customers who buy more
// often than others are still underpredicted and one-time buyers
// overpredicted: the chain pools every customer.
//
// Activity periods. The data's Activity bitmaps (Data.Activity, one per row)
// mark the periods, each Data.ActivityPeriod time units long (L), in which
// a customer bought: bit k for the k-th period counted back from the end of
// calibration, bit 0 the last period. Data.ActivityPeriods (P, 2 ≤ P ≤ 64)
// periods are covered. The periods end at the calibration end, so the last
// one is whole.
//
// Estimation (maximum likelihood of the chain, pooled over customers with
// weights w_i). A customer's periods start with the one holding their first
// purchase, K_i = ⌊T_i/L⌋, which is active by definition. Every pair of
// consecutive periods (k+1, k) from there to the end of calibration is one
// observed transition out of the recency state of period k+1, so
//
//	q_r = #(recency r → active) / #(recency r → ·).
//
// Periods before the first purchase are not observed and never counted; a
// customer whose first purchase lies before the P periods enters the counts
// from their first active period inside them (before it their recency is
// unknown). The last state R pools every recency ≥ R; R (and R − 1 when
// blending) come from the memory as above, R at most P − 1 and lowered
// until the pooled last state holds at least minTailReactivations weighted
// reactivations, so that a sparse tail does not make long silence
// absorbing (either drops the blend).
//
// The acquisition period is partial: the customer joined a fraction
// e_i = T_i/L − K_i of a period before its end. Assuming an active period
// holds one purchase plus on average m − 1 more spread evenly over it, the
// acquisition period holds 1 + (m−1)·e_i purchases on average, which gives
// the moment estimator
//
//	m = Σ_i w_i (x_i + e_i) / Σ_i w_i (a_i − 1 + e_i),
//
// with a_i the number of active periods and x_i the repeat purchases (the
// first purchase is the "one" of the acquisition period), over the
// customers whose whole history lies inside the P periods.
//
// Prediction. From the customer's recency state at the end of calibration
// (0 when active in the last period, else the periods since the last
// purchase, capped at R), the chain gives P_j = P(active in period j ahead)
// by stepping the state distribution forward. Purchases in an active period
// are spread evenly over it, so a holdout of t time units, n = ⌊t/L⌋ whole
// periods and a fraction f = t/L − n of the next, brings
//
//	E[Y(t) | state] = m · ( Σ_{j=1}^{n} P_j + f · P_{n+1} ).
//
// The fraction f keeps a holdout that is not a whole number of periods from
// swinging with the period length. For the two-state chain (R = 1) P_j has
// the closed form π + (s_0 − π) λ^j, with λ = p − q_1, π = q_1/(1 − λ) and
// s_0 = 1 when active, 0 otherwise. ProbabilityAlive is P_1 = q_state,
// the probability of being active in the first holdout period. A new
// customer, acquired at the start of a period, is predicted (m−1)·min(t/L, 1)
// repeat purchases in that period plus the chain from the active state.
// A blended memory gives (1 − w) times the forecast of the chain with R − 1
// states (the state capped at R − 1) plus w times that of the chain with R,
// for every forecast and value below.
//
// Value. With the end-of-period discounting of Pfeifer & Carraway, the
// expected discounted purchases V_r = Σ_{j≥1} m P_j/(1+d)^j from recency r
// solve V_r = v (q_r (m + V_0) + (1 − q_r) V_{min(r+1, R)}), v = 1/(1+d),
// one linear recursion (MigrationValue); without reactivation (q_r = 0 for
// r ≥ 1) V_0 is Gupta & Lehmann's m·p/(1 + d − p) (RetentionCLV).
// DiscountedExpectedPurchasesWithin gives the sum for continuous
// discounting over any horizon, as the CLV of the other models uses.
//
// Assumptions (also returned by Assumptions): the recency state, up to the
// memory span, is all the chain remembers; p, q_r and m are the same for
// every customer; purchases in an active period average m whatever the
// customer's history.
//
// Params reports "retention" (p), "reactivation" (all transitions out of
// silence pooled), "reactivation_after_1" (q_1), "reactivation_after_last"
// (q_R), "recency_states" (R), "memory" (the span the forecast remembers,
// in time units: (R − 1 + w)·L, R·L unblended),
// "purchases_per_active_period" (m), "period" (L), "pairs" (the weighted
// transitions from the active state) and "inactive_pairs" (from silence).
//
// References: Pfeifer & Carraway (2000), above; Berger & Nasr (1998),
// "Customer lifetime value: marketing models and applications", Journal of
// Interactive Marketing 12(1) (the retention and migration cases); Gupta &
// Lehmann (2003), "Customers as assets", Journal of Interactive Marketing
// 17(1) (m·r/(1+d−r)).
type Retention struct {
	// Memory is the span S, in time units, over which the chain tells
	// silences apart (see Retention); 0 takes a third of the observed
	// window (the longest customer age T).
	Memory float64
	// RecencyStates, when > 0, fixes R, the number of silent states,
	// whatever the period length (1: the two-state active/inactive model);
	// 0 derives R from Memory.
	RecencyStates int
}

// defaultMemoryShare divides the observed window into the default memory
// span: S = window/3 (see Retention for the measurements behind it).
const defaultMemoryShare = 3

// maxRecencyStates bounds R before the cap of P − 1 periods.
const maxRecencyStates = 63

// minTailReactivations is the least weighted number of reactivations the
// pooled last recency state must rest on when R > 1.
const minTailReactivations = 30

// maxChainPeriods bounds the periods the chain is stepped through; beyond
// it (over 1,300 years of weekly periods) P_j is held at its last value.
const maxChainPeriods = 1 << 16

// RetentionAssumptions states the retention model's assumptions in words,
// for reports.
const RetentionAssumptions = "Customer migration (Pfeifer & Carraway 2000): in each activity period a customer " +
	"is active (bought in the period) or has been silent for 1, 2, … periods; from one period to the next an " +
	"active customer stays active with the retention probability p and one silent for r periods becomes active " +
	"with the reactivation probability q_r, the same for every customer; an active period brings m purchases " +
	"on average, spread evenly over the period. The recency states cover a fixed time, the memory (by default a " +
	"third of the observed window), whatever the period length: silences longer than it are pooled as lapsed " +
	"(a memory between whole periods blends the forecasts of the neighbouring numbers of states), so the " +
	"forecast depends little on the period chosen, as long as a period is shorter than the memory. p and q_r are the shares of observed period-to-period " +
	"transitions, m the purchases per active period (the partial first period counted by its length). " +
	"Predictions follow the chain from each customer's recency at the end of calibration; a holdout that is " +
	"not a whole number of periods counts the last period by the fraction covered. Customers are not told " +
	"apart by how often they buy: frequent buyers are underpredicted and one-time buyers overpredicted."

// Name returns "retention".
func (Retention) Name() string { return "retention" }

// Assumptions returns RetentionAssumptions.
func (Retention) Assumptions() string { return RetentionAssumptions }

// errNoActivity is returned when the data carries no activity bitmaps.
const errNoActivity = "the retention model needs activity periods: set the activity period"

// migrationCounts holds the weighted sufficient statistics of the chain,
// by recency state (index 0: active).
type migrationCounts struct {
	from, active        [64]float64 // transitions out of recency r, and those to the active state
	purchases, exposure float64     // Σ w(x + e) and Σ w(a − 1 + e) over fully observed customers
}

// migrationHistory is one customer's observed periods.
type migrationHistory struct {
	bits      uint64  // activity over periods 0 … top
	top       int     // the earliest observed period
	acquired  bool    // the first purchase lies in period top
	firstPart float64 // e: the fraction of the acquisition period after the first purchase
}

// historyOf reads a customer's activity periods: the first purchase's
// period K = ⌊T/L⌋ (the highest set bit when rounding disagrees), clipped to
// the P periods of the bitmaps.
func historyOf(c Customer, L float64, P int) migrationHistory {
	return historyAt(c.Activity, c.T, L, P)
}

// historyAt is historyOf of a customer with the given activity bitmap and
// age T.
func historyAt(activity uint64, T, L float64, P int) migrationHistory {
	a := activity & periodMask(P)
	pos := T / L
	k := math.Floor(pos + 1e-9) // absorb rounding a hair below a boundary
	if top := bits.Len64(a) - 1; float64(top) > k {
		k = float64(top)
	}
	if k >= float64(P) {
		return migrationHistory{bits: a, top: P - 1}
	}
	K := int(k)
	return migrationHistory{
		bits: a | 1<<uint(K), top: K, acquired: true,
		firstPart: math.Min(1, math.Max(0, pos-k)),
	}
}

// add counts the history's transitions and, when the whole history is
// observed, its purchases and exposure, with weight w.
func (mc *migrationCounts) add(h migrationHistory, x, w float64) {
	mc.addTransitions(h, w)
	mc.addExposure(h, x, w)
}

// addTransitions counts the history's transitions with weight w.
func (mc *migrationCounts) addTransitions(h migrationHistory, w float64) {
	r := -1 // recency in periods; −1 while unknown
	if h.bits>>uint(h.top)&1 == 1 {
		r = 0
	}
	for k := h.top - 1; k >= 0; k-- {
		on := h.bits>>uint(k)&1 == 1
		if r >= 0 {
			mc.from[r] += w
			if on {
				mc.active[r] += w
			}
		}
		switch {
		case on:
			r = 0
		case r >= 0:
			r++
		}
	}
}

// addExposure counts, when the whole history is observed, its purchases
// and exposure with weight w.
func (mc *migrationCounts) addExposure(h migrationHistory, x, w float64) {
	if h.acquired {
		mc.purchases += w * (x + h.firstPart)
		mc.exposure += w * (float64(bits.OnesCount64(h.bits)) - 1 + h.firstPart)
	}
}

// countMigrations counts the transitions, purchases and exposure of the
// customers of d over P activity periods of length L. Where every weight
// is 1 and the bitmaps are short, the transitions are counted once per
// distinct (bitmap, first period), with the number of its customers as
// weight: the same whole-number sums, far fewer steps.
func countMigrations(d *Data, L float64, P int) *migrationCounts {
	var mc migrationCounts
	unit := P <= foldPeriods
	for i := 0; unit && d.Weight != nil && i < len(d.Weight); i++ {
		unit = d.Weight[i] == 1
	}
	if !unit {
		for i := 0; i < d.Len(); i++ {
			mc.add(historyAt(d.Activity[i], d.T[i], L, P), d.Frequency[i], d.W(i))
		}
		return &mc
	}
	// count[top<<P | bits]: the customers of each distinct history.
	count := make([]int32, P<<P)
	activity, T, x := d.Activity, d.T[:len(d.Activity)], d.Frequency[:len(d.Activity)]
	for i, a := range activity {
		h := historyAt(a, T[i], L, P)
		count[h.top<<P|int(h.bits)]++
		mc.addExposure(h, x[i], 1)
	}
	for k, c := range count {
		if c > 0 {
			h := migrationHistory{bits: uint64(k) & periodMask(P), top: k >> P}
			mc.addTransitions(h, float64(c))
		}
	}
	return &mc
}

// foldPeriods is the most activity periods for which countMigrations
// counts distinct histories (a table of P·2^P counts).
const foldPeriods = 14

// states returns R: the cap, lowered until the pooled last state rests on
// minTailReactivations.
func (mc *migrationCounts) states(limit int) int {
	R := limit
	for R > 1 {
		tail := 0.0
		for r := R; r < len(mc.from); r++ {
			tail += mc.active[r]
		}
		if tail >= minTailReactivations {
			break
		}
		R--
	}
	return R
}

// probabilities returns q_0 … q_R with the states ≥ R pooled, and whether
// a silent state had no transitions (its q is then taken from the state
// before it, or 0 for q_1).
func (mc *migrationCounts) probabilities(R int) (q []float64, missing bool) {
	q = make([]float64, R+1)
	for r := 0; r <= R; r++ {
		from, act := mc.from[r], mc.active[r]
		if r == R {
			for k := R + 1; k < len(mc.from); k++ {
				from += mc.from[k]
				act += mc.active[k]
			}
		}
		switch {
		case from > 0:
			q[r] = act / from
		case r > 1:
			q[r], missing = q[r-1], true
		default:
			missing = true
		}
	}
	return q, missing
}

// Fit estimates the chain and m. It fails when the data has no activity
// bitmaps, when the period length or count is unusable, when no customer
// was observed leaving the active state, or when no fully observed history
// has any exposure to value purchases by.
func (m Retention) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
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
		return nil, fmt.Errorf("retention: the activity bitmaps cover %d periods; the migration model needs 2 to 64 periods", P)
	}
	if m.RecencyStates < 0 {
		return nil, fmt.Errorf("retention: RecencyStates %d must be ≥ 0 (0: from the memory span; 1: the two-state model)", m.RecencyStates)
	}
	if !(m.Memory >= 0) || math.IsInf(m.Memory, 0) {
		return nil, fmt.Errorf("retention: the memory span %v must be a finite number of time units ≥ 0 (0: a third of the observed window)", m.Memory)
	}
	mc := countMigrations(d, L, P)
	if !(mc.from[0] > 0) {
		return nil, fmt.Errorf("retention: no customer was active in a period followed by another inside the %d-period window, so the retention probability cannot be estimated", P)
	}
	if !(mc.exposure > 0) {
		return nil, fmt.Errorf("retention: no customer whose whole history lies inside the %d-period window was active after their first purchase, so the purchases per active period cannot be estimated", P)
	}
	R, w := mc.chooseStates(m.memoryPeriods(d, L), m.RecencyStates > 0, P)
	q, missing := mc.probabilities(R)
	f := newFittedRetention(q, mc.purchases/mc.exposure, L, P)
	if w < 1 {
		shorter, _ := mc.probabilities(R - 1)
		f.shorter, f.shorterWeight = newChainTable(shorter), 1-w
	}
	f.result = mc.result(f, c.n, missing)
	return f, nil
}

// memoryPeriods returns the memory in periods, x = S/L, before the caps:
// RecencyStates when set, else the span S (Memory, or a third of the
// observed window: the longest T of a customer with weight) over L.
func (m Retention) memoryPeriods(d *Data, L float64) float64 {
	if m.RecencyStates > 0 {
		return float64(m.RecencyStates)
	}
	S := m.Memory
	if S == 0 {
		// The ages are finite and ≥ 0 (validated), so a comparison finds
		// the largest as math.Max would.
		for i, t := range d.T {
			if t > S && d.W(i) > 0 {
				S = t
			}
		}
		S /= defaultMemoryShare
	}
	return S / L
}

// chooseStates returns R and the weight w ∈ (0, 1] of the chain with R
// states for a memory of x periods: R = ⌊x⌋ + 1 and w = x − ⌊x⌋ when x is
// not whole (the forecast blends in the chain with R − 1 states with weight
// 1 − w), else R = x and w = 1; at least one state. R is capped at
// maxRecencyStates and P − 1 and lowered (see states) until its pooled tail
// is well observed; a cap or a lowering drops the blend (w = 1).
func (mc *migrationCounts) chooseStates(x float64, fixed bool, P int) (R int, w float64) {
	x = math.Max(1, math.Min(maxRecencyStates, x))
	lo := math.Floor(x)
	R, w = int(lo), 1.0
	if frac := x - lo; frac > 0 && !fixed {
		R, w = R+1, frac
	}
	capped := mc.states(min(P-1, R))
	if capped != R {
		return capped, 1
	}
	return R, w
}

// result reports the fit as a heuristic FitResult.
func (mc *migrationCounts) result(f *FittedRetention, customers float64, missing bool) *FitResult {
	silent, back := 0.0, 0.0
	for r := 1; r < len(mc.from); r++ {
		silent += mc.from[r]
		back += mc.active[r]
	}
	R := len(f.q) - 1
	params := Params{
		"retention": f.q[0], "reactivation_after_1": f.q[1], "reactivation_after_last": f.q[R],
		"recency_states": float64(R), "memory": (float64(R) - f.shorterWeight) * f.period,
		"purchases_per_active_period": f.m, "period": f.period,
		"pairs": mc.from[0], "inactive_pairs": silent,
	}
	if silent > 0 {
		params["reactivation"] = back / silent
	}
	res := &FitResult{Model: "retention", Params: params, Converged: true, Method: "heuristic", Customers: customers}
	if missing {
		res.Warnings = append(res.Warnings, "some silent states were never observed: their reactivation probability is taken from the state before (0 for the first)")
	}
	if mc.from[0] < 30 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the retention probability rests on only %.4g transitions from the active state", mc.from[0]))
	}
	return res
}

// periodMask returns the mask of the low p bits (p ≤ 64).
func periodMask(p int) uint64 {
	if p >= 64 {
		return math.MaxUint64
	}
	return 1<<uint(p) - 1
}

// FittedRetention is the fitted migration model (see Retention).
type FittedRetention struct {
	q       []float64 // q[r]: P(active next period | recency r); q[0] = p
	m       float64   // mean purchases per active period
	period  float64   // L, in time units
	periods int       // P
	chain   *chainTable
	// shorter, when not nil, is the chain with R − 1 states, blended into
	// every forecast with weight shorterWeight (a memory between R − 1 and
	// R periods).
	shorter       *chainTable
	shorterWeight float64
	result        *FitResult
}

func newFittedRetention(q []float64, m, L float64, P int) *FittedRetention {
	return &FittedRetention{q: q, m: m, period: L, periods: P, chain: newChainTable(q)}
}

// Result returns the estimates as a heuristic FitResult.
func (f *FittedRetention) Result() *FitResult { return f.result }

// Assumptions returns RetentionAssumptions.
func (f *FittedRetention) Assumptions() string { return RetentionAssumptions }

// RetentionRate returns p = q_0, the probability that an active customer
// is active in the next period.
func (f *FittedRetention) RetentionRate() float64 { return f.q[0] }

// ReactivationRates returns q_1 … q_R, the probabilities that a customer
// silent for r periods (R or more for the last) is active in the next, of
// the chain with R states (a blended forecast also uses the chain with R −
// 1, whose q_{R−1} pools the last two).
func (f *FittedRetention) ReactivationRates() []float64 { return append([]float64(nil), f.q[1:]...) }

// PurchasesPerActivePeriod returns m.
func (f *FittedRetention) PurchasesPerActivePeriod() float64 { return f.m }

// PeriodsSinceActivity returns g, the whole activity periods between the
// customer's last active period and the end of calibration: 0 when active
// in the last period, from the bitmap when it holds a purchase, else from
// T − t_x. Predictions read the activity bitmaps through it (the
// experiments' per-customer path detects it).
func (f *FittedRetention) PeriodsSinceActivity(c Customer) int {
	if a := c.Activity & periodMask(f.periods); a != 0 {
		// historyOf adds the first purchase's period, at or above the
		// highest active one: the lowest set bit is a's.
		return bits.TrailingZeros64(a)
	}
	h := historyOf(c, f.period, f.periods)
	if h.bits != 0 {
		return bits.TrailingZeros64(h.bits)
	}
	g := math.Floor((c.T-c.Recency)/f.period + 1e-9)
	if !(g < math.MaxInt32) {
		return math.MaxInt32
	}
	return max(0, int(g))
}

// RecencyState returns the customer's state at the end of calibration:
// PeriodsSinceActivity capped at R.
func (f *FittedRetention) RecencyState(c Customer) int {
	return min(len(f.q)-1, f.PeriodsSinceActivity(c))
}

// ProbabilityAlive returns the probability of being active in the first
// holdout period, q of the customer's recency state.
func (f *FittedRetention) ProbabilityAlive(c Customer) float64 {
	return f.blend(f.PeriodsSinceActivity(c), func(ch *chainTable, state int) float64 { return ch.q[state] })
}

// blend returns g of the chain with R states from the state of a customer
// silent for gap periods (capped at R), or, when the memory lies between
// R − 1 and R periods, the weighted mean of g over the chains with R − 1
// and R states: (1 − w)·g(R − 1) + w·g(R).
func (f *FittedRetention) blend(gap int, g func(ch *chainTable, state int) float64) float64 {
	v := g(f.chain, min(len(f.chain.q)-1, gap))
	if s := f.shorter; s != nil {
		v = (1-f.shorterWeight)*v + f.shorterWeight*g(s, min(len(s.q)-1, gap))
	}
	return v
}

// ExpectedPurchases returns the expected repeat purchases in (0, t] of a
// customer acquired at 0, the start of a period: (m−1)·min(t/L, 1) in the
// acquisition period, then the chain from the active state.
func (f *FittedRetention) ExpectedPurchases(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	u := t / f.period
	after := f.blend(0, func(ch *chainTable, state int) float64 { return ch.activePeriods(state, math.Max(0, u-1)) })
	return math.Max(0, f.m-1)*math.Min(u, 1) + f.m*after
}

// ConditionalExpectedPurchases returns m times the expected number of
// active periods in (T, T+t] from the customer's recency state (see
// Retention).
func (f *FittedRetention) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	// The blend written out: this is the per-customer hot path.
	u, gap := t/f.period, f.PeriodsSinceActivity(c)
	v := f.chain.activePeriods(min(len(f.q)-1, gap), u)
	if s := f.shorter; s != nil {
		v = (1-f.shorterWeight)*v + f.shorterWeight*s.activePeriods(min(len(s.q)-1, gap), u)
	}
	return f.m * v
}

// MigrationValue returns Pfeifer & Carraway's infinite-horizon expected
// discounted purchases of a customer in recency state r (0: active),
// discounted at d > 0 per period at the end of each period:
//
//	V_r = Σ_{j≥1} m P_j / (1+d)^j,  V_r = v (q_r (m + V_0) + (1 − q_r) V_{min(r+1,R)}),  v = 1/(1+d).
//
// Written V_r = α_r + β_r V_0, the recursion runs from R (where
// V_R = v q_R (m + V_0)/(1 − v(1 − q_R))) down to 0, and V_0 = α_0/(1 − β_0).
// Without reactivation V_0 = m·p/(1+d−p) = RetentionCLV(m, p, d). It is +Inf
// when d = 0 and the customer can be active again forever, and NaN for
// d < 0, NaN or r outside [0, R]. A blended forecast blends the values of
// the two chains, r capped at R − 1 in the shorter.
func (f *FittedRetention) MigrationValue(r int, d float64) float64 {
	if !(d >= 0) || math.IsInf(d, 0) || r < 0 || r > len(f.q)-1 {
		return math.NaN()
	}
	return f.blend(r, func(ch *chainTable, state int) float64 { return migrationValue(ch.q, f.m, state, d) })
}

// migrationValue is MigrationValue for the chain q, from state r.
func migrationValue(q []float64, m float64, r int, d float64) float64 {
	R := len(q) - 1
	v := 1 / (1 + d)
	alpha, beta := make([]float64, R+1), make([]float64, R+1)
	den := 1 - v*(1-q[R])
	if den == 0 { // d = 0 and q_R = 0: never back from R
		alpha[R], beta[R] = 0, 0
	} else {
		beta[R] = v * q[R] / den
		alpha[R] = beta[R] * m
	}
	for k := R - 1; k >= 0; k-- {
		next := k + 1
		alpha[k] = v * (q[k]*m + (1-q[k])*alpha[next])
		beta[k] = v * (q[k] + (1-q[k])*beta[next])
	}
	if beta[0] >= 1 {
		if alpha[r] == 0 && beta[r] == 0 {
			return 0
		}
		return math.Inf(1)
	}
	v0 := alpha[0] / (1 - beta[0])
	return alpha[r] + beta[r]*v0
}

// DiscountedExpectedPurchasesWithin returns the discounted expected
// purchases in (T, T+horizon] exactly, with continuous discounting at force
// δ = ln(1+d) per time unit as in DiscountedExpectedPurchases. Purchases of
// an active period j, ((j−1)L, jL], arrive evenly at rate m/L, so
//
//	(m/L) ( Σ_{j=1}^{n} P_j ∫_{(j−1)L}^{jL} e^{−δt} dt + P_{n+1} ∫_{nL}^{H} e^{−δt} dt ),  n = ⌊H/L⌋.
//
// An infinite horizon sums until the discount leaves nothing (+Inf without
// discounting when the customer can be active forever). It returns NaN for
// a negative or NaN d or horizon.
func (f *FittedRetention) DiscountedExpectedPurchasesWithin(c Customer, d, horizon float64) float64 {
	if !(d >= 0) || !(horizon >= 0) || math.IsInf(d, 0) {
		return math.NaN()
	}
	if horizon == 0 {
		return 0
	}
	return f.m * f.blend(f.PeriodsSinceActivity(c), func(ch *chainTable, state int) float64 {
		return ch.discountedActive(state, math.Log1p(d), horizon, f.period)
	})
}

// discountedActive returns (1/L) Σ_j P_j ∫_{period j ∩ (0, H]} e^{−δt} dt
// from the start state (see DiscountedExpectedPurchasesWithin), for
// periods of L time units.
func (c *chainTable) discountedActive(state int, delta, horizon, L float64) float64 {
	if delta == 0 {
		return c.activePeriods(state, horizon/L)
	}
	// ∫_{(j−1)L}^{jL} e^{−δt} dt = D ρ^{j−1}
	rho := math.Exp(-delta * L)
	D := -math.Expm1(-delta*L) / delta
	n := math.Floor(horizon / L)
	if math.IsInf(horizon, 1) {
		// Stop once ρ^j < 1e-17; the tail beyond the table holds P_j.
		n = math.Min(maxChainPeriods, math.Ceil(-39/math.Log(rho)))
	}
	total, weight := 0.0, D
	for j := 1; float64(j) <= n; j++ {
		total += c.active(state, j) * weight
		weight *= rho
	}
	if math.IsInf(horizon, 1) {
		total += c.active(state, int(n)+1) * weight / (1 - rho)
	} else if rest := horizon - n*L; rest > 0 {
		total += c.active(state, int(n)+1) * math.Exp(-delta*n*L) * -math.Expm1(-delta*rest) / delta
	}
	return total / L
}

// chainTable holds P_j, the probability of being active j periods ahead,
// for every starting recency state. newChainTable computes it once, by
// stepping the chain until the distributions stop changing (P_j is then
// constant) or for maxChainPeriods periods; it is read-only afterwards, so
// predictions read it concurrently without a lock or an allocation.
type chainTable struct {
	q   []float64
	cum [][]float64 // per start state, cum[j] = Σ_{i≤j} P_i (cum[0] = 0)
}

func newChainTable(q []float64) *chainTable {
	n := len(q)
	c := &chainTable{q: q, cum: make([][]float64, n)}
	dist := make([][]float64, n) // per start state, the state distribution after the last period
	for r := range dist {
		dist[r] = make([]float64, n)
		dist[r][r] = 1
		c.cum[r] = []float64{0}
	}
	next := make([]float64, n)
	for periods := 0; periods < maxChainPeriods; periods++ {
		change := 0.0
		for r := range dist {
			change = math.Max(change, c.step(dist[r], next))
			row := c.cum[r]
			c.cum[r] = append(row, row[len(row)-1]+dist[r][0])
		}
		if change < 1e-16 {
			break
		}
	}
	return c
}

// step moves one distribution a period ahead, in place, and returns the
// total change (L1).
func (c *chainTable) step(v, next []float64) float64 {
	R := len(c.q) - 1
	clear(next)
	for r, mass := range v {
		next[0] += mass * c.q[r]
		next[min(r+1, R)] += mass * (1 - c.q[r])
	}
	change := 0.0
	for r := range v {
		change += math.Abs(next[r] - v[r])
		v[r] = next[r]
	}
	return change
}

// prefix returns cum[0..n] for the start state; past maxChainPeriods or
// convergence the returned prefix is shorter (the caller extends it with
// the last P_j).
func (c *chainTable) prefix(state, n int) []float64 {
	row := c.cum[state]
	return row[:min(n+1, len(row))]
}

// active returns P_j (j ≥ 1) from the start state.
func (c *chainTable) active(state, j int) float64 {
	cum := c.prefix(state, j)
	k := len(cum) - 1
	if k == 0 {
		return c.q[state] // no period computed: converged before the first, P_1 = q
	}
	return cum[k] - cum[k-1]
}

// activePeriods returns Σ_{j=1}^{n} P_j + f·P_{n+1} for u = n + f ≥ 0
// periods ahead (+Inf for u = +Inf unless the chain ends inactive for good).
func (c *chainTable) activePeriods(state int, u float64) float64 {
	if !(u > 0) {
		return 0
	}
	n := int(math.Min(u, maxChainPeriods+1))
	cum := c.prefix(state, n+1)
	k := len(cum) - 1
	if k >= n+1 && !math.IsInf(u, 1) {
		return cum[n] + (u-float64(n))*(cum[n+1]-cum[n])
	}
	last := c.q[state] // P_k, held beyond the table (P_1 = q when no period was computed)
	if k > 0 {
		last = cum[k] - cum[k-1]
	}
	if math.IsInf(u, 1) {
		if last > 0 {
			return math.Inf(1)
		}
		return cum[k]
	}
	return cum[k] + (u-float64(k))*last
}

// RetentionCLV returns the infinite-horizon CLV of a customer under a
// constant retention rate,
//
//	CLV = Σ_{t≥1} m · r^t / (1+d)^t = m · r / (1 + d − r),
//
// for a margin m per period received at the end of each period the customer
// is retained for, retention rate r ∈ [0, 1] and discount rate d ≥ 0 per
// period (Gupta & Lehmann 2003, "Customers as assets", Journal of
// Interactive Marketing 17(1)). It is the migration model's value
// (FittedRetention.MigrationValue) without reactivation. It returns +Inf
// (times the sign of m) when r = 1 and d = 0, and NaN for r outside [0, 1],
// d < 0 or non-finite inputs.
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
