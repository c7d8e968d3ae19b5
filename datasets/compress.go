package datasets

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// Patterns is the table of the distinct calibration histories
// (frequency, recency, T) of a summary, with the number of customers that
// share each, and the row of every customer. Every purchase-model
// likelihood and prediction depends on a customer through (x, t_x, T)
// only, so fitting and predicting on the rows and handing the values back
// through Of gives every customer what a computation of their own would.
// It is the one place where identical histories are merged.
//
// The rows are sorted by frequency, then recency, then T; −0 counts as 0.
type Patterns struct {
	Frequency []float64
	Recency   []float64
	T         []float64
	// Weight is the number of customers of the row (the sum of their
	// weights when the summary is itself weighted).
	Weight []float64
	// Of holds, for customer i of the summary, the index of its row.
	Of []int32
}

// Len returns the number of distinct histories.
func (p *Patterns) Len() int { return len(p.T) }

// patternKey is a history as the bits of x, t_x and T.
type patternKey [3]uint64

func newPatternKey(x, tx, t float64) patternKey {
	// Adding 0 turns −0 into +0, so the two share a row.
	return patternKey{math.Float64bits(x + 0), math.Float64bits(tx + 0), math.Float64bits(t + 0)}
}

// NewPatterns builds the pattern table of s. A weight of 0 in a summary
// that is not Compressed counts as 1 (a hand-built table may leave Weight
// unset). It returns nil for a nil summary.
func NewPatterns(s *Summary) *Patterns {
	if s == nil {
		return nil
	}
	n := len(s.Customers)
	of := make([]int32, n)
	index := make(map[patternKey]int32, min(n/4, 1<<22)) // grown less often
	var rows []history
	for i := range s.Customers {
		c := &s.Customers[i]
		w := c.Weight
		if !s.Compressed && w == 0 {
			w = 1
		}
		k := newPatternKey(c.Frequency, c.Recency, c.T)
		j, ok := index[k]
		if !ok {
			j = int32(len(rows))
			index[k] = j
			rows = append(rows, history{c.Frequency + 0, c.Recency + 0, c.T + 0, 0})
		}
		rows[j].w += w
		of[i] = j
	}
	// Sort only the distinct rows (far fewer than the customers when
	// histories repeat), then renumber the customers' rows.
	order := make([]int32, len(rows))
	for j := range order {
		order[j] = int32(j)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareHistory(&rows[a], &rows[b]) })
	p := &Patterns{
		Frequency: make([]float64, len(rows)), Recency: make([]float64, len(rows)),
		T: make([]float64, len(rows)), Weight: make([]float64, len(rows)), Of: of,
	}
	rank := make([]int32, len(rows))
	for r, j := range order {
		rank[j] = int32(r)
		c := rows[j]
		p.Frequency[r], p.Recency[r], p.T[r], p.Weight[r] = c.x, c.tx, c.t, c.w
	}
	for i, j := range of {
		of[i] = rank[j]
	}
	return p
}

// history is a distinct (x, t_x, T) with its total weight.
type history struct{ x, tx, t, w float64 }

// compareHistory orders histories by frequency, then recency, then T.
func compareHistory(a, b *history) int {
	if c := cmp.Compare(a.x, b.x); c != 0 {
		return c
	}
	if c := cmp.Compare(a.tx, b.tx); c != 0 {
		return c
	}
	return cmp.Compare(a.t, b.t)
}

// Compress merges the customers identical in (frequency, recency, T) into
// one row whose Weight is the sum of theirs, in a deterministic order
// (by frequency, then recency, then T): the rows of NewPatterns as a
// summary. Likelihoods of the purchase models depend on a customer through
// (x, t_x, T) only, so a fit on the compressed table weighs each row by its
// Weight and gives the same estimates, much faster when many customers
// share a history (as in discrete-time data).
//
// The result is for fitting purchase models only: ids, spend, holdout and
// activity columns cannot be merged meaningfully, so the rows carry an
// empty ID, zero Monetary, FirstAmount, holdout columns and Activity, and
// the summary has HasAmount, HasHoldout false and no activity periods. Its
// Accounting and LateCustomers are those of s. Compress returns nil for a
// nil summary and does not change s.
func Compress(s *Summary) *Summary {
	if s == nil {
		return nil
	}
	return NewPatterns(s).Summary(s)
}

// Summary returns the rows as a compressed summary with the unit,
// calibration end, late customers and accounting of s (see Compress).
func (p *Patterns) Summary(s *Summary) *Summary {
	out := &Summary{
		Unit:           s.Unit,
		CalibrationEnd: s.CalibrationEnd,
		LateCustomers:  s.LateCustomers,
		Compressed:     true,
		Accounting:     s.Accounting,
	}
	out.Accounting.RejectedBy = maps.Clone(s.Accounting.RejectedBy)
	out.Customers = make([]CustomerSummary, p.Len())
	for j := range out.Customers {
		out.Customers[j] = CustomerSummary{Frequency: p.Frequency[j], Recency: p.Recency[j], T: p.T[j], Weight: p.Weight[j]}
	}
	return out
}
