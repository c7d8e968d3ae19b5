package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Segment is one group of customers ranked by predicted value, as in a
// decile (groups = 10) or quintile (groups = 5) lift table.
//
// With A the actual total of all n customers and A_g the actual total of the
// n_g customers of group g,
//
//	share_of_actual = A_g / A
//	lift            = (A_g / A) / (n_g / n)
//
// so a lift of 2 means the group's customers bought twice as much as the
// average customer. Both are NaN (JSON null) when A = 0.
type Segment struct {
	Group          int    `json:"group"` // 1 = highest predicted value
	Customers      int    `json:"customers"`
	PredictedTotal Metric `json:"predicted_total"`
	ActualTotal    Metric `json:"actual_total"`
	ShareOfActual  Metric `json:"share_of_actual"`
	Lift           Metric `json:"lift"`
}

// GroupSizes returns the sizes of groups near-equal groups of n customers:
// each holds ⌊n/groups⌋ customers, and the first n mod groups hold one more,
// so sizes differ by at most one and larger groups come first. For example
// 10 customers in 3 groups gives 4, 3, 3. It returns an error unless
// 1 ≤ groups ≤ n.
func GroupSizes(n, groups int) ([]int, error) {
	if groups < 1 || groups > n {
		return nil, fmt.Errorf("%d groups for %d customers: want 1 ≤ groups ≤ customers", groups, n)
	}
	sizes := make([]int, groups)
	for g := range sizes {
		sizes[g] = n / groups
		if g < n%groups {
			sizes[g]++
		}
	}
	return sizes, nil
}

// Segments splits customers into groups by predicted value and summarises
// each group (see Segment). Customers are ranked as PredictionOrder does
// (prediction descending, ties by customer id) and cut into consecutive
// groups of the sizes GroupSizes gives, group 1 holding the highest
// predictions. Tied customers may thus fall on both sides of a cut; the id
// decides which, so the result is deterministic.
//
// It returns an error when the lengths differ, there are no customers, a
// value is negative or not finite, groups is not between 1 and the number
// of customers, or the actual total overflows a float64.
func Segments(ids []string, predicted, actual []float64, groups int) ([]Segment, error) {
	return NewScorer(ids).Segments(predicted, actual, groups)
}

// Segments is the package-level Segments for the Scorer's customers.
func (sc *Scorer) Segments(predicted, actual []float64, groups int) ([]Segment, error) {
	return sc.SegmentsContext(context.Background(), predicted, actual, groups)
}

// SegmentsContext is Segments that stops when ctx is done: it looks at
// ctx between its steps and every cancelBlock customers of its walk, and
// returns ctx's error (wrapped) once ctx is done.
func (sc *Scorer) SegmentsContext(ctx context.Context, predicted, actual []float64, groups int) ([]Segment, error) {
	if err := checkLengths(sc.n, predicted, actual, true); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	ranked, err := sc.ranked(ctx, predicted) // validates the predictions
	defer sc.release(ranked)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	facts, err := sc.actualFacts(ctx, actual) // validates; the total, once per target
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	n := len(predicted)
	sizes, err := GroupSizes(n, groups)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	A := facts.total
	if math.IsInf(A, 0) || math.IsNaN(A) {
		return nil, fmt.Errorf("segments: the actual total overflows a float64")
	}
	if out := sc.rememberedSegments(ranked, actual, groups); out != nil {
		return out, nil // totalled while scoring (see expectSegments)
	}
	order := ranked.order
	g := newGroupSums(sizes, predicted)
	start := 0
	for k, size := range sizes {
		var err error
		if g.pred[k], g.act[k], err = sumsInOrder(ctx, order[start:start+size], predicted, actual); err != nil {
			return nil, fmt.Errorf("segments: %w", err)
		}
		start += size
	}
	return g.segments(A), nil
}

// groupSums are the compensated sums, in prediction order, of the
// predictions and actuals of the groups of Segments, of the given sizes
// in order; the sum of the group being added is kept in registers (see
// add).
type groupSums struct {
	sizes     []int
	predicted []float64
	pred, act []ksum
	// at is the group the next customer falls in, left the customers
	// still to come in it, and p, a its sums so far.
	at, left int
	p, a     ksum
}

func newGroupSums(sizes []int, predicted []float64) *groupSums {
	return &groupSums{sizes: sizes, predicted: predicted, pred: make([]ksum, len(sizes)), act: make([]ksum, len(sizes)), left: sizes[0]}
}

// add adds the next customers of the order, their predictions p and
// actuals a.
func (g *groupSums) add(p, a []float64) {
	ps, as, at, left := g.p, g.a, g.at, g.left
	a = a[:len(p)]
	for k, x := range p {
		if left == 0 {
			g.pred[at], g.act[at] = ps, as
			ps, as = ksum{}, ksum{}
			at++
			left = g.sizes[at]
		}
		ps.addNonNeg(x)
		as.addNonNeg(a[k])
		left--
	}
	g.p, g.a, g.at, g.left = ps, as, at, left
	if at == len(g.sizes)-1 && left == 0 { // the last customer
		g.pred[at], g.act[at] = ps, as
	}
}

// segmentsKey names Segments' groups of a target: its actuals and the
// number of groups.
type segmentsKey struct {
	actual sliceKey
	groups int
}

// expectSegments tells the Scorer that Segments will be asked of the
// predictions it scores against actual, in groups groups: Score then
// totals the groups in the walk its top shares take, and Segments finds
// them made.
func (sc *Scorer) expectSegments(actual []float64, groups int) {
	if len(actual) == 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.segmentsOf == nil {
		sc.segmentsOf = map[sliceKey]int{}
	}
	sc.segmentsOf[keyOf(actual)] = groups
}

// expectedGroups returns the sums Score is to total for the segments of
// predicted against actual, of actual total A, or nil when none are
// expected (or they would be an error that Segments reports).
func (sc *Scorer) expectedGroups(predicted, actual []float64, A float64) *groupSums {
	sc.mu.Lock()
	groups := sc.segmentsOf[keyOf(actual)]
	sc.mu.Unlock()
	if groups == 0 || math.IsInf(A, 0) || math.IsNaN(A) {
		return nil
	}
	sizes, err := GroupSizes(len(predicted), groups)
	if err != nil {
		return nil
	}
	return newGroupSums(sizes, predicted)
}

// rememberSegments keeps the segments of an order against actual until
// the order is forgotten.
func (sc *Scorer) rememberSegments(c *cachedOrder, actual []float64, segs []Segment) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c.segments == nil {
		c.segments = map[segmentsKey][]Segment{}
	}
	c.segments[segmentsKey{keyOf(actual), len(segs)}] = segs
}

// rememberedSegments returns a copy of the segments of an order against
// actual in groups groups, when Score totalled them; nil otherwise.
func (sc *Scorer) rememberedSegments(c *cachedOrder, actual []float64, groups int) []Segment {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return slices.Clone(c.segments[segmentsKey{keyOf(actual), groups}])
}

// segments returns the groups' segments, with A the actual total.
func (g *groupSums) segments(A float64) []Segment {
	n := len(g.predicted) // the groups' sizes add up to it (GroupSizes)
	out := make([]Segment, len(g.sizes))
	for k, size := range g.sizes {
		pg, ag := g.pred[k].value(), g.act[k].value()
		seg := Segment{
			Group:          k + 1,
			Customers:      size,
			PredictedTotal: finiteOrNaN(pg),
			ActualTotal:    Metric(ag),
			ShareOfActual:  Metric(math.NaN()),
			Lift:           Metric(math.NaN()),
		}
		if A > 0 {
			share := ag / A
			seg.ShareOfActual = Metric(share)
			seg.Lift = finiteOrNaN(share * float64(n) / float64(size))
		}
		out[k] = seg
	}
	return out
}

// sumsInOrder returns the compensated sums of x and of y over the
// customers of order, added in that order. The values are gathered a
// block at a time into a buffer first: a loop that only gathers keeps
// many loads from memory in flight, which one that also adds them in a
// chain does not. The error is ctx's.
func sumsInOrder(ctx context.Context, order []int32, x, y []float64) (sx, sy ksum, err error) {
	var bx, by [gatherBlock]float64
	for s := 0; s < len(order); s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return sx, sy, err
			}
		}
		block := order[s:min(len(order), s+gatherBlock)]
		for k, i := range block {
			bx[k], by[k] = x[i], y[i]
		}
		for k := range block {
			sx.addNonNeg(bx[k])
			sy.addNonNeg(by[k])
		}
	}
	return sx, sy, nil
}
