package experiments

import (
	"context"
	"fmt"
	"math"
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
	if err := checkLengths(sc.ids, predicted, actual, true); err != nil {
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
	order := ranked.order
	out := make([]Segment, groups)
	start := 0
	for g, size := range sizes {
		pg, ag, err := sumsInOrder(ctx, order[start:start+size], predicted, actual)
		if err != nil {
			return nil, fmt.Errorf("segments: %w", err)
		}
		start += size
		seg := Segment{
			Group:          g + 1,
			Customers:      size,
			PredictedTotal: finiteOrNaN(pg.value()),
			ActualTotal:    Metric(ag.value()),
			ShareOfActual:  Metric(math.NaN()),
			Lift:           Metric(math.NaN()),
		}
		if A > 0 {
			share := ag.value() / A
			seg.ShareOfActual = Metric(share)
			seg.Lift = finiteOrNaN(share * float64(n) / float64(size))
		}
		out[g] = seg
	}
	return out, nil
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
			sx.add(bx[k])
			sy.add(by[k])
		}
	}
	return sx, sy, nil
}
