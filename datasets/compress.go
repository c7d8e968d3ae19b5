package datasets

import (
	"cmp"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/clv-dev/clv/datasets/keyindex"
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

// NewPatterns builds the pattern table of s. A weight of 0 in a summary
// that is not Compressed counts as 1 (a hand-built table may leave Weight
// unset). It returns nil for a nil summary.
//
// The histories are sorted by the ranks of their values (see
// patternsBySort); where those do not fit in an integer they are hashed
// (see patternsByHash).
func NewPatterns(s *Summary) *Patterns {
	if s == nil {
		return nil
	}
	if p := patternsBySort(s); p != nil {
		return p
	}
	return patternsByHash(s)
}

// patternsByHash builds the pattern table of s with a hash index of the
// histories. A large summary is indexed in patternParts parts in
// parallel, whose tables are then merged in order (a fixed number of
// parts, so that the weights are added in the same order on every
// machine).
func patternsByHash(s *Summary) *Patterns {
	n := len(s.Customers)
	of := make([]int32, n)
	parts := 1
	if n >= patternParallelMin {
		parts = patternParts
	}
	bounds := func(k int) (lo, hi int) { return k * n / parts, (k + 1) * n / parts }
	indexes := make([]*historyIndex, parts)
	parallelParts(parts, func(k int) {
		lo, hi := bounds(k)
		indexes[k] = indexHistories(s, lo, hi, of)
	})
	// Merge the parts into the first; remap[k] takes part k's rows to it.
	index := indexes[0]
	remap := make([][]int32, parts)
	for k := 1; k < parts; k++ {
		remap[k] = make([]int32, len(indexes[k].rows))
		for j, r := range indexes[k].rows {
			m := index.of(r.x, r.tx, r.t)
			index.rows[m].w += r.w
			remap[k][j] = m
		}
	}
	// Sort only the distinct rows (far fewer than the customers when
	// histories repeat), each carrying its number, then renumber the
	// customers' rows.
	rows := index.rows
	sortHistories(rows)
	p := &Patterns{
		Frequency: make([]float64, len(rows)), Recency: make([]float64, len(rows)),
		T: make([]float64, len(rows)), Weight: make([]float64, len(rows)), Of: of,
	}
	rank := make([]int32, len(rows))
	for r, c := range rows {
		rank[c.num] = int32(r)
		p.Frequency[r], p.Recency[r], p.T[r], p.Weight[r] = c.x, c.tx, c.t, c.w
	}
	parallelParts(parts, func(k int) {
		lo, hi := bounds(k)
		for i := lo; i < hi; i++ {
			if k > 0 {
				of[i] = rank[remap[k][of[i]]]
			} else {
				of[i] = rank[of[i]]
			}
		}
	})
	return p
}

// A summary of at least patternParallelMin customers is indexed in
// patternParts parts in parallel.
const (
	patternParallelMin = 1 << 17
	patternParts       = 4
)

// parallelParts runs f(0), …, f(parts−1) on up to GOMAXPROCS goroutines.
func parallelParts(parts int, f func(k int)) {
	if parts == 1 {
		f(0)
		return
	}
	next := make(chan int, parts)
	for k := 0; k < parts; k++ {
		next <- k
	}
	close(next)
	var wg sync.WaitGroup
	for range min(parts, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				f(k)
			}
		}()
	}
	wg.Wait()
}

// indexHistories indexes the histories of customers [lo, hi) of s, with
// their weights, and sets of[i] to the number of customer i's row.
func indexHistories(s *Summary, lo, hi int, of []int32) *historyIndex {
	index := newHistoryIndex(min((hi-lo)/4, 1<<22)) // grown less often
	for i := lo; i < hi; i++ {
		c := &s.Customers[i]
		w := c.Weight
		if !s.Compressed && w == 0 {
			w = 1
		}
		// Adding 0 turns −0 into +0, so the two share a row.
		j := index.of(c.Frequency+0, c.Recency+0, c.T+0)
		index.rows[j].w += w
		of[i] = j
	}
	return index
}

// historyIndex numbers the distinct histories (x, t_x, T), compared by
// their bits, in order of first appearance (keyindex), with each one's
// row.
type historyIndex struct {
	keys *keyindex.Index
	rows []history // by number
}

func newHistoryIndex(hint int) *historyIndex {
	return &historyIndex{keys: keyindex.New(hint), rows: make([]history, 0, hint)}
}

// of returns the number of the history (x, t_x, T), adding it with weight
// 0 when it is new.
func (ix *historyIndex) of(x, tx, t float64) int32 {
	j, old := ix.keys.Of(x, tx, t)
	if !old {
		ix.rows = append(ix.rows, history{x: x, tx: tx, t: t, num: j})
	}
	return j
}

// history is a distinct (x, t_x, T) with its total weight and its number
// in order of first appearance.
type history struct {
	x, tx, t, w float64
	num         int32
}

// sortHistories sorts rows (distinct histories) by compareHistory: a
// large table as two halves sorted in parallel and merged. When every
// value is ≥ 0 (as in any valid summary) it compares their bits instead,
// which order such numbers alike and cost less.
func sortHistories(rows []history) {
	less := compareHistory
	valid := true
	for _, r := range rows {
		if !(r.x >= 0 && r.tx >= 0 && r.t >= 0) {
			valid = false
			break
		}
	}
	if valid {
		less = compareHistoryBits
	}
	if len(rows) < 1<<15 {
		slices.SortFunc(rows, less)
		return
	}
	mid := len(rows) / 2
	parallelParts(2, func(k int) {
		if k == 0 {
			slices.SortFunc(rows[:mid], less)
		} else {
			slices.SortFunc(rows[mid:], less)
		}
	})
	a, b := slices.Clone(rows[:mid]), rows[mid:]
	i, j := 0, 0
	for k := range rows {
		if j == len(b) || (i < len(a) && less(a[i], b[j]) < 0) {
			rows[k] = a[i]
			i++
		} else {
			rows[k] = b[j]
			j++
		}
	}
}

// compareHistoryBits is compareHistory for histories of values ≥ 0,
// whose bits order them alike.
func compareHistoryBits(a, b history) int {
	if c := cmp.Compare(math.Float64bits(a.x), math.Float64bits(b.x)); c != 0 {
		return c
	}
	if c := cmp.Compare(math.Float64bits(a.tx), math.Float64bits(b.tx)); c != 0 {
		return c
	}
	return cmp.Compare(math.Float64bits(a.t), math.Float64bits(b.t))
}

// compareHistory orders histories by frequency, then recency, then T.
func compareHistory(a, b history) int {
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
