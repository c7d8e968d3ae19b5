package experiments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Scorer scores and segments many predictions of the same customers. It
// puts the customer ids in their tie-breaking order once (see
// PredictionOrder) and remembers every order it computes, by the slice it
// sorted: a model's predictions are ranked once for its scores, segments
// and plots, and a target's actuals once for all models. The slices given
// to a Scorer must not change afterwards. It is safe for concurrent use.
//
// A Scorer made by NewPatternScorer also knows each customer's row in a
// table of distinct histories (datasets.Patterns): predictions that are
// equal for the customers of every row (those of a purchase model) are
// then ordered by sorting the rows and counting the customers, in id
// order, into the places of their rows' values, which gives the same
// order as sorting the customers.
//
// The big slices an order needs while it is built (one word per
// customer) are kept for the next order, and an order's own slice for
// the next order once it is forgotten (see forget), so that a run of
// many models does not fault in fresh memory for each.
type Scorer struct {
	// n is the number of customers and id(i) names customer i in errors:
	// the ids themselves are not kept (see newScorer).
	n    int
	id   func(i int) string
	byID []int32 // the customers in tie-breaking order of their ids

	// rowOf[i] is customer i's row among rows (nil: no table), rowByID
	// the rows of the customers in id order (rowOf[byID[j]]) and
	// rowCount[r] how many customers row r holds.
	rowOf, rowByID, rowCount []int32
	rows                     int

	// idRank[i] is customer i's place in byID, computed on first use.
	idRank   []int32
	rankOnce sync.Once

	mu      sync.Mutex
	orders  map[sliceKey]*cachedOrder
	actuals map[sliceKey]*actualOrder
	// segmentsOf holds the number of groups of the segments expected of
	// the predictions scored against an actual (see expectSegments).
	segmentsOf map[sliceKey]int

	// sorting holds a token while an order or the actuals' sort is made:
	// as many as there are cores, since more at once would not finish
	// sooner but would each need their own scratch (see pools).
	sorting chan struct{}

	pools
}

// pools are free lists of the big slices a Scorer's work needs (by
// customer or by table row), for reuse: memory the process has not
// touched yet costs a page fault per 4 KiB on first use, far more than
// writing it.
type pools struct {
	words  scratch[uint64]
	places scratch[int32]
	floats scratch[float64]
	halves scratch[uint32] // average ranks, doubled (see tiedRanks)
}

// scratch is a free list of slices, for reuse.
type scratch[T any] struct {
	mu   sync.Mutex
	free [][]T
}

// get returns a slice of length n: the smallest on the free list that is
// long enough and not much longer, or a new one. Its elements hold
// whatever they held (the caller sets every one). A Scorer asks for two
// sizes, one element per customer and one per table row: a request by
// row taking a free slice by customer would leave the next request by
// customer to fault in a new one, so a slice serves requests of about
// its own length only.
func (s *scratch[T]) get(n int) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := -1
	for k, v := range s.free {
		if cap(v) >= n && cap(v)-n <= n/8 && (best < 0 || cap(v) < cap(s.free[best])) {
			best = k
		}
	}
	if best < 0 {
		return make([]T, n)
	}
	v := s.free[best]
	s.free = slices.Delete(s.free, best, best+1)
	return v[:n]
}

// put returns a slice, no longer used, to the free list.
func (s *scratch[T]) put(v []T) {
	if cap(v) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free = append(s.free, v)
}

// sliceKey names a slice by its first element and length.
type sliceKey struct {
	first *float64
	n     int
}

func keyOf(v []float64) sliceKey { return sliceKey{&v[0], len(v)} }

// cachedOrder is the prediction order of one slice, computed once, or
// the error that the slice holds a value that is not a prediction.
type cachedOrder struct {
	once sync.Once
	err  error
	// users counts the callers using the order, of the slices of equal
	// values remembered with it (see sameOrder), and ready that it is
	// made, without error; forgotten tells that it is no longer
	// remembered (all under the Scorer's mu).
	users     int
	of        [][]float64
	ready     bool
	forgotten bool
	order     []int32
	// ties are the runs [s, e) of places of the order that hold tied
	// predictions, for predictions ordered by customer (customerOrder).
	ties [][2]int32
	// total is Σ p_i, compensated, in customer order (summed while the
	// order is made).
	total float64
	// rowValues holds the value of each table row when the values are
	// equal for the customers of every row (nil otherwise), and rowRanks
	// the average rank (ascending, ties sharing the mean) of each row's
	// customers.
	rowValues, rowRanks []float64
	// segments are the segments totalled while the order's predictions
	// were scored (see expectSegments; under the Scorer's mu).
	segments map[segmentsKey][]Segment
}

// actualOrder is what Score needs of a target's actuals, computed once:
// their validation, the actuals sorted ascending with their average
// ranks by customer, and ln(1+a) by customer.
type actualOrder struct {
	checked, sortedOnce sync.Once
	err                 error
	total               float64 // Σ a_i, compensated, in customer order
	// log1p holds ln(1+a_i) by customer, or log1pOf ln(1+v) by value v
	// when every actual is a small integer (see countedKeys).
	log1p, log1pOf []float64
	// bytes holds every actual as a byte when they are all integers
	// below 256 (see countedKeys): an eighth of the memory to gather
	// them from in prediction order (see orderSums).
	bytes  []uint8
	values *correlationSide
	// ranks is the correlation side of the actuals' average ranks, and
	// gini what the Gini coefficient needs of them (or sortErr why they
	// are not known).
	ranks   *correlationSide
	gini    giniSide
	sortErr error
}

// NewScorer returns a Scorer of the customers with the given ids.
func NewScorer(ids []string) *Scorer {
	return newScorer(ids, func(i int) string { return ids[i] })
}

// newScorer returns a Scorer of the customers with the given ids that
// reads them only to put them in order and then names customer i by
// id(i): it keeps no reference to ids, so a caller whose ids are held
// elsewhere (a run's, in its summary rows) can drop the slice (a million
// strings are 16 MB the collector scans).
func newScorer(ids []string, id func(i int) string) *Scorer {
	sc := &Scorer{n: len(ids), id: id, orders: map[sliceKey]*cachedOrder{}, actuals: map[sliceKey]*actualOrder{},
		sorting: make(chan struct{}, runtime.GOMAXPROCS(0))}
	sc.byID = sc.idOrder(ids)
	return sc
}

// NewPatternScorer returns a Scorer of the customers with the given ids
// that knows rowOf[i], customer i's row in a table of rows distinct
// histories (datasets.Patterns.Of and Len). It returns an error when
// rowOf does not have one row in [0, rows) per customer.
func NewPatternScorer(ids []string, rowOf []int32, rows int) (*Scorer, error) {
	return newPatternScorer(ids, func(i int) string { return ids[i] }, rowOf, rows)
}

// newPatternScorer is NewPatternScorer that keeps no reference to ids
// and names customer i by id(i) (see newScorer).
func newPatternScorer(ids []string, id func(i int) string, rowOf []int32, rows int) (*Scorer, error) {
	if len(rowOf) != len(ids) {
		return nil, fmt.Errorf("scorer: %d pattern rows for %d customers", len(rowOf), len(ids))
	}
	for i, r := range rowOf {
		if r < 0 || int(r) >= rows {
			return nil, fmt.Errorf("scorer: customer %d (%q) has pattern row %d of %d", i, ids[i], r, rows)
		}
	}
	sc := newScorer(ids, id)
	sc.rowOf, sc.rows = rowOf, rows
	sc.rowByID = make([]int32, len(ids))
	sc.rowCount = make([]int32, rows)
	for j, i := range sc.byID {
		r := rowOf[i]
		sc.rowByID[j] = r
		sc.rowCount[r]++
	}
	return sc, nil
}

// idRanks returns every customer's place in the id order (byID's
// inverse), computed on first use.
func (sc *Scorer) idRanks() []int32 {
	sc.rankOnce.Do(func() {
		sc.idRank = make([]int32, len(sc.byID))
		for j, i := range sc.byID {
			sc.idRank[i] = int32(j)
		}
	})
	return sc.idRank
}

// idOrder returns the customers in the tie-breaking order of their ids
// (see PredictionOrder): numeric ids already in increasing order as they
// are, other numeric ids by a radix sort of their values,
// then runs of equal values by string and position; other ids by a
// comparison sort.
func (p *pools) idOrder(ids []string) []int32 {
	keys := p.words.get(len(ids))
	defer p.words.put(keys)
	byID := make([]int32, len(ids))
	numeric, ascending := true, true
	for i, id := range ids {
		byID[i] = int32(i)
		k, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			numeric = false
			break
		}
		keys[i] = uint64(k) ^ 1<<63 // signed order as unsigned
		ascending = ascending && (i == 0 || keys[i] > keys[i-1])
	}
	if numeric && ascending { // in id order already (a summary by id)
		return byID
	}
	byString := func(a, b int32) int {
		if c := strings.Compare(ids[a], ids[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	if !numeric {
		for i := range byID {
			byID[i] = int32(i)
		}
		slices.SortFunc(byID, byString)
		return byID
	}
	byID = p.keyOrder(keys, byID)
	for s := 0; s < len(byID); {
		e := s + 1
		for e < len(byID) && keys[byID[e]] == keys[byID[s]] {
			e++
		}
		if e-s > 1 { // "7" and "007"
			slices.SortFunc(byID[s:e], byString)
		}
		s = e
	}
	return byID
}

// PredictionOrder is the package-level PredictionOrder for the Scorer's
// customers (remembered for the slice, as the Scorer's orders are).
func (sc *Scorer) PredictionOrder(predicted []float64) ([]int, error) {
	var order []int
	err := sc.WithPredictionOrder(context.Background(), predicted, func(o []int32) {
		order = make([]int, len(o))
		for t, i := range o {
			order[t] = int(i)
		}
	})
	return order, err
}

// WithPredictionOrder calls use with the customers in the order
// PredictionOrder returns, as indices into the Scorer's customers: the
// Scorer's remembered order itself, without a copy, which use must
// neither change nor keep. It returns PredictionOrder's error (use is
// then not called), or ctx's when ctx is done before the order is made.
func (sc *Scorer) WithPredictionOrder(ctx context.Context, predicted []float64, use func(order []int32)) error {
	if err := checkLengths(sc.n, predicted, nil, false); err != nil {
		return fmt.Errorf("prediction order: %w", err)
	}
	c, err := sc.ranked(ctx, predicted)
	defer sc.release(c)
	if err != nil {
		return fmt.Errorf("prediction order: %w", err)
	}
	use(c.order)
	return nil
}

// ranked returns the remembered order of predictions whose number is that
// of the customers (at least one), computing it on first use (once,
// however many goroutines ask); the error is that of checkValues when a
// prediction is negative or not finite, or ctx's when ctx is done while
// the order is made (the order is then not remembered: a later call
// makes it again). A caller whose ctx is not done that waited for an
// order another caller's context cancelled makes the order again. The
// caller uses the order until it calls release.
func (sc *Scorer) ranked(ctx context.Context, predicted []float64) (*cachedOrder, error) {
	for {
		sc.mu.Lock()
		c, ok := sc.orders[keyOf(predicted)]
		if !ok {
			if c = sc.sameOrder(predicted); c == nil {
				c = &cachedOrder{}
			}
			c.of = append(c.of, predicted)
			sc.orders[keyOf(predicted)] = c
		}
		c.users++
		sc.mu.Unlock()
		mine := false // the order is made with this caller's ctx
		c.once.Do(func() {
			mine = true
			if c.err = sc.startSort(ctx); c.err != nil {
				return
			}
			defer sc.endSort()
			if c.rowValues, c.total, c.err = sc.rowValues(ctx, predicted); c.err == nil && c.rowValues != nil {
				c.order, c.rowRanks, c.err = sc.rowOrder(ctx, c.rowValues)
			} else if c.err == nil {
				c.order, c.ties, c.total, c.err = sc.customerOrder(ctx, predicted)
			}
			sc.mu.Lock()
			c.ready = c.err == nil
			sc.mu.Unlock()
		})
		if c.err == nil || !isCancel(c.err) {
			return c, c.err
		}
		sc.mu.Lock()
		if sc.orders[keyOf(predicted)] == c {
			sc.drop(predicted, c)
		}
		sc.mu.Unlock()
		if mine || ctx.Err() != nil {
			return c, c.err
		}
		sc.release(c) // cancelled by another caller's context
	}
}

// sameOrder returns the order made of a remembered slice whose values
// equal those of v (its order, ties and row values are then v's), or nil
// (with sc.mu held). Columns of equal values are ordered once: the gains
// chart's actuals and the Scorer's own, say. A slice of other values
// almost always differs in its first values, so the search costs little.
func (sc *Scorer) sameOrder(v []float64) *cachedOrder {
	for _, c := range sc.orders {
		if c.ready && len(c.of[0]) == len(v) && slices.Equal(c.of[0], v) {
			return c
		}
	}
	return nil
}

// drop forgets the slice v of order c (with sc.mu held); an order none of
// whose slices is remembered is forgotten, and its slices are kept for
// the next order once no caller uses it.
func (sc *Scorer) drop(v []float64, c *cachedOrder) {
	delete(sc.orders, keyOf(v))
	c.of = slices.DeleteFunc(c.of, func(o []float64) bool { return keyOf(o) == keyOf(v) })
	if len(c.of) > 0 {
		return
	}
	if c.forgotten = true; c.users == 0 {
		sc.recycle(c)
	}
}

// startSort waits for a sorting token (see Scorer.sorting), or returns
// ctx's error once ctx is done first.
func (sc *Scorer) startSort(ctx context.Context) error {
	select {
	case sc.sorting <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endSort hands a sorting token back.
func (sc *Scorer) endSort() { <-sc.sorting }

// cancelBlock is the number of customers a long loop of the Scorer
// handles between two looks at its context.
const cancelBlock = 1 << 16

// isCancel reports whether err is a context's error.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// release ends a use of an order (see ranked); the last use of a
// forgotten order hands its slices back for the next order.
func (sc *Scorer) release(c *cachedOrder) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c.users--; c.users == 0 && c.forgotten {
		sc.recycle(c)
	}
}

// forget drops the remembered order of predicted (see ranked): a column
// scored for the last time. Its slices are kept for the next order once
// no caller uses it.
func (sc *Scorer) forget(predicted []float64) {
	if len(predicted) == 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c := sc.orders[keyOf(predicted)]; c != nil {
		sc.drop(predicted, c)
	}
}

// recycle hands the slices of an order no one uses to the pools (with
// sc.mu held; an order with no user is not being computed).
func (sc *Scorer) recycle(c *cachedOrder) {
	sc.places.put(c.order)
	sc.floats.put(c.rowValues)
	sc.floats.put(c.rowRanks)
	c.order, c.rowValues, c.rowRanks, c.of, c.segments = nil, nil, nil, nil, nil
}

// notPrediction is the smallest bit pattern of x + 0 that is not a
// prediction: +Inf; NaNs and negative values (sign bit set) lie above it.
const notPrediction = 0x7FF0000000000000

// customerOrder orders the customers by prediction descending, ties in id
// order, sorting the customers themselves: words that pack a 32-bit
// window of the prediction's bits (see valueWindow; the largest value
// first) above the customer's index are laid out in id order and
// radix-sorted stably by the window; runs of equal windows that may hold
// unequal values are then sorted stably by the full value. It validates
// the predictions on the way, and returns the runs of places that hold
// tied predictions, and their total (see cachedOrder).
func (sc *Scorer) customerOrder(ctx context.Context, predicted []float64) (order []int32, ties [][2]int32, total float64, err error) {
	n := len(predicted)
	vw, total, err := newValueWindow(ctx, predicted)
	if err != nil {
		return nil, nil, 0, err
	}
	if vw.hi >= notPrediction {
		return nil, nil, 0, checkValues(sc.id, "predicted", predicted)
	}
	packed, tmp := sc.words.get(n), sc.words.get(n)
	defer sc.words.put(packed)
	defer sc.words.put(tmp)
	for s := 0; s < n; s += cancelBlock {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		for j, i := range sc.byID[s:min(n, s+cancelBlock)] {
			packed[s+j] = vw.of(math.Float64bits(predicted[i]+0))<<32 | uint64(i)
		}
	}
	sorted := radixSortHigh(packed, tmp)
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	key := func(w uint64) uint64 { return ^math.Float64bits(predicted[uint32(w)] + 0) }
	var keys []uint64
	for s := 0; s < n; {
		e, w := s+1, sorted[s]>>32
		for e < n && sorted[e]>>32 == w {
			e++
		}
		switch {
		case e-s == 1:
		case vw.exact(w):
			ties = append(ties, [2]int32{int32(s), int32(e)})
		default:
			ties, keys = appendTies(ties, sorted[s:e], s, key, keys)
		}
		s = e
	}
	order = sc.places.get(n)
	for t, p := range sorted {
		order[t] = int32(uint32(p))
	}
	return order, ties, total, nil
}

// valueWindow maps the bits of valid predictions (finite, not negative,
// −0 as 0) to 32-bit windows that order them descending: the largest value
// hi gets 0 and a value v above the smallest lo gets (hi − v) >> shift
// (the bits of such values order as the values), shift the fewest bits
// that bring the range hi − lo2 of the values above lo below 2^31; the
// values equal to lo (often many zeros) get 2^31, after all the others.
// Measuring the range by the difference of the bits rather than by the
// first bit in which they differ, and setting the smallest value apart,
// keeps most of the mantissa bits in the window where the values span
// binades and start at 0: few distinct values share a window.
type valueWindow struct {
	lo, hi uint64
	shift  uint
}

// newValueWindow finds the window of predictions (hi ≥ notPrediction when
// one is not valid), and their compensated total in customer order. The
// error is ctx's.
func newValueWindow(ctx context.Context, predicted []float64) (valueWindow, float64, error) {
	lo, lo2, hi := uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(0)
	var total ksum
	n := len(predicted)
	for s := 0; s < n; s += cancelBlock {
		if err := ctx.Err(); err != nil {
			return valueWindow{}, 0, err
		}
		for _, p := range predicted[s:min(n, s+cancelBlock)] {
			total.addNonNeg(p)
			b := math.Float64bits(p + 0) // −0 as 0
			hi = max(hi, b)
			// lo2 is the smallest value above lo: the larger of lo and b
			// unless they are equal.
			nlo, t := min(lo, b), max(lo, b)
			if t == nlo {
				t = math.MaxUint64
			}
			lo, lo2 = nlo, min(lo2, t)
		}
	}
	vw := valueWindow{lo: lo, hi: hi}
	if lo2 <= hi {
		vw.shift = uint(max(0, bits.Len64(hi-lo2)-31))
	}
	return vw, total.value(), nil
}

// of returns the window of a prediction's bits b.
func (vw valueWindow) of(b uint64) uint64 {
	if b == vw.lo {
		return 1 << 31
	}
	return (vw.hi - b) >> vw.shift
}

// exact reports whether the predictions of window w are all equal.
func (vw valueWindow) exact(w uint64) bool { return vw.shift == 0 || w == 1<<31 }

// appendTies sorts a run of packed words, at place at of the order,
// stably by key and appends the runs of equal keys to ties. keys is
// scratch (see sortRun), returned for the next run.
func appendTies(ties [][2]int32, run []uint64, at int, key func(uint64) uint64, keys []uint64) ([][2]int32, []uint64) {
	keys = sortRun(run, key, keys)
	for s := 0; s < len(run); {
		e := s + 1
		for e < len(run) && keys[e] == keys[s] {
			e++
		}
		if e-s > 1 {
			ties = append(ties, [2]int32{int32(at + s), int32(at + e)})
		}
		s = e
	}
	return ties, keys
}

// sortRun sorts a run of packed words stably by key and returns the keys
// of the sorted run, in keys (scratch, grown as needed). The keys are
// gathered once, by a loop that only loads (each from anywhere in
// memory: many loads in flight at once): a run already in order of key,
// such as one of equal values, is left as it is, and another is sorted
// with its keys.
func sortRun(run []uint64, key func(uint64) uint64, keys []uint64) []uint64 {
	keys = slices.Grow(keys[:0], len(run))[:len(run)]
	for j, w := range run {
		keys[j] = key(w)
	}
	if slices.IsSorted(keys) {
		return keys
	}
	pairs := make([][2]uint64, len(run))
	for j, w := range run {
		pairs[j] = [2]uint64{keys[j], w}
	}
	slices.SortStableFunc(pairs, func(a, b [2]uint64) int { return cmp.Compare(a[0], b[0]) })
	for j, p := range pairs {
		keys[j], run[j] = p[0], p[1]
	}
	return keys
}

// unsetRow marks a table row no customer has given a value yet (a NaN,
// which no validated prediction is).
const unsetRow = ^uint64(0)

// rowValues returns the value of every table row when the predictions
// are equal for the customers of each row, −0 counting as 0, and all
// valid (finite, not negative); nil when they are not or there is no
// table. A row no customer falls in gets 0. It also returns their
// compensated total in customer order (see cachedOrder). The error is
// ctx's.
func (sc *Scorer) rowValues(ctx context.Context, predicted []float64) ([]float64, float64, error) {
	if sc.rowOf == nil || len(predicted) != len(sc.rowOf) {
		return nil, 0, nil
	}
	bits := sc.words.get(sc.rows)
	defer sc.words.put(bits)
	for r := range bits {
		bits[r] = unsetRow
	}
	var hi uint64
	var total ksum
	n := len(predicted)
	for s := 0; s < n; s += cancelBlock {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		for i, r := range sc.rowOf[s:min(n, s+cancelBlock)] {
			p := predicted[s+i]
			total.addNonNeg(p)
			b := math.Float64bits(p + 0)
			hi = max(hi, b)
			if old := bits[r]; old != b {
				if old != unsetRow {
					return nil, 0, nil
				}
				bits[r] = b
			}
		}
	}
	if hi >= notPrediction {
		return nil, 0, nil // customerOrder names the bad value
	}
	values := sc.floats.get(sc.rows)
	for r, b := range bits {
		values[r] = 0
		if b != unsetRow {
			values[r] = math.Float64frombits(b)
		}
	}
	return values, total.value(), nil
}

// rowOrder orders the customers by their rows' values, highest first,
// ties in id order: the rows are sorted by value, each distinct value
// gets the places of its rows' customers, and the customers, taken in id
// order, are counted into the places of their rows' values. This is the
// order a stable sort of the customers in id order by value gives. ranks
// are the average ranks of each row's customers. The error is ctx's.
func (sc *Scorer) rowOrder(ctx context.Context, values []float64) (order []int32, ranks []float64, err error) {
	keys := sc.words.get(len(values))
	defer sc.words.put(keys)
	byValue := sc.keyOrder(descendingKeys(keys, values), sc.places.get(len(values)))
	defer sc.places.put(byValue)
	n := len(sc.byID)
	// level[r] is the rank of row r's value among the distinct values,
	// and next[l] the next place of the customers of level l.
	level, next := sc.places.get(len(values)), sc.places.get(len(values))
	defer sc.places.put(level)
	defer sc.places.put(next)
	ranks = sc.floats.get(len(values))
	first, levels := 0, 0
	for s := 0; s < len(byValue); {
		e := s + 1
		for e < len(byValue) && keys[byValue[e]] == keys[byValue[s]] {
			e++
		}
		count := 0
		for _, r := range byValue[s:e] {
			level[r] = int32(levels)
			count += int(sc.rowCount[r])
		}
		next[levels] = int32(first)
		levels++
		// Places first..first+count−1 of the descending order have
		// ascending ranks n−first down to n−first−count+1: they share
		// their mean.
		rank := float64(n) - float64(first+first+count-1)/2
		for _, r := range byValue[s:e] {
			ranks[r] = rank
		}
		first += count
		s = e
	}
	order = sc.places.get(n)
	// The levels of a block of customers are gathered first, by a loop
	// that only loads (see sumsInOrder).
	var lv [gatherBlock]int32
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				sc.places.put(order)
				sc.floats.put(ranks)
				return nil, nil, err
			}
		}
		e := min(n, s+gatherBlock)
		for k, r := range sc.rowByID[s:e] {
			lv[k] = level[r]
		}
		for k, i := range sc.byID[s:e] {
			l := lv[k]
			order[next[l]] = i
			next[l]++
		}
	}
	return order, ranks, nil
}

// descendingKeys sets keys[r] to the descending key of values[r] (the complement
// of its bits) and returns keys.
func descendingKeys(keys []uint64, values []float64) []uint64 {
	for r, v := range values {
		keys[r] = ^math.Float64bits(v)
	}
	return keys
}

// byValue adds to a, the facts actualFacts returned of actual, those that
// need the actuals sorted: their average ranks and their Gini
// denominator (counted, not sorted, for small integer actuals: see
// countedSides).
func (sc *Scorer) byValue(a *actualOrder, actual []float64) (*actualOrder, error) {
	a.sortedOnce.Do(func() {
		if a.log1pOf != nil { // small integers (countedKeys), found by actualFacts
			a.ranks, a.gini = countedSides(actual, len(a.log1pOf)-1)
			return
		}
		a.ranks, a.gini, a.sortErr = sc.sortedSides(actual)
	})
	return a, a.sortErr
}

// sortedSides computes the average ranks' correlation side and the Gini
// side of validated actuals from their prediction order (the actuals
// taken as predictions: remembered, and shared with any column of the
// same values, see sameOrder): both depend only on the sorted values
// and their runs of ties, which the order gives.
func (sc *Scorer) sortedSides(actual []float64) (*correlationSide, giniSide, error) {
	c, err := sc.ranked(context.Background(), actual)
	defer sc.release(c)
	if err != nil { // not for actuals actualFacts validated
		return nil, giniSide{}, fmt.Errorf("ordering the actuals: %w", err)
	}
	n := len(actual)
	order := c.order
	// The ranks are kept in the side, as halves (see tiedRanks).
	ranks := make([]uint32, n)
	if c.rowRanks != nil {
		for i, r := range sc.rowOf {
			ranks[i] = uint32(2 * c.rowRanks[r])
		}
	} else {
		// Place j (from 0) of the descending order has ascending rank
		// n − j; tied values share the mean.
		for j, i := range order {
			ranks[i] = uint32(2 * (n - j))
		}
		tiedRanks(order, c.ties, ranks)
	}
	side := newHalfRankSide(ranks)
	// Σ_j a*_(j)·(n+1−2j) over the actuals in descending order: the Gini
	// ratio's denominator (the actuals' own ordering).
	value := func(j int) float64 { return actual[order[j-1]] }
	g := giniSide{constant: value(1) == value(n)}
	if !g.constant {
		g.exp = scaleExp(actual)
		var den ksum
		for j := 1; j <= n; j++ {
			den.add(scaled(value(j), g.exp) * float64(n+1-2*j))
		}
		g.den = den.value()
	}
	return side, g, nil
}

// actualFacts validates a target's actuals against the customers (their
// length and checkValues) and returns their total and logarithms,
// computed once; or ctx's error when ctx is done while they are computed
// (they are then not remembered).
func (sc *Scorer) actualFacts(ctx context.Context, actual []float64) (*actualOrder, error) {
	if len(actual) != sc.n {
		return nil, fmt.Errorf("%d predictions but %d actuals", sc.n, len(actual))
	}
	for {
		a, mine, err := sc.checkedActual(ctx, actual)
		if err == nil || !isCancel(err) || mine || ctx.Err() != nil {
			return a, err
		}
		// cancelled by another caller's context: computed again
	}
}

// checkedActual is actualFacts once: the facts of actual, computed by
// the first caller with its ctx (a caller waiting for them gets its
// error); mine tells that this caller computed them.
func (sc *Scorer) checkedActual(ctx context.Context, actual []float64) (a *actualOrder, mine bool, err error) {
	a = sc.actual(actual)
	a.checked.Do(func() {
		mine = true
		if a.err = checkValues(sc.id, "actual", actual); a.err != nil {
			return
		}
		if top, ok := countedKeys(actual); ok {
			a.total, a.log1pOf, a.values = keyedFacts(actual, top)
			if top < 1<<8 {
				a.bytes = make([]uint8, len(actual))
				for i, v := range actual {
					a.bytes[i] = uint8(v)
				}
			}
			return
		}
		var total ksum
		a.log1p = make([]float64, len(actual))
		n := len(actual)
		for s := 0; s < n; s += cancelBlock {
			if a.err = ctx.Err(); a.err != nil {
				return
			}
			for i, v := range actual[s:min(n, s+cancelBlock)] {
				total.addNonNeg(v)
				a.log1p[s+i] = math.Log1p(v)
			}
		}
		a.total = total.value()
		a.values = newCorrelationSide(actual)
	})
	if a.err != nil && isCancel(a.err) {
		sc.mu.Lock()
		if sc.actuals[keyOf(actual)] == a {
			delete(sc.actuals, keyOf(actual))
		}
		sc.mu.Unlock()
	}
	return a, mine, a.err
}

// actual returns the remembered facts of a target's actuals.
func (sc *Scorer) actual(actual []float64) *actualOrder {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	a, ok := sc.actuals[keyOf(actual)]
	if !ok {
		a = &actualOrder{}
		sc.actuals[keyOf(actual)] = a
	}
	return a
}

// keyOrder returns the positions 0..n−1 of keys in ascending order of
// key, equal keys in position order (a stable sort). It radix-sorts words
// that pack a 32-bit window of the key above the position: the largest
// key hi gets the last window, 2^31, and any other key k the window
// (k − lo) >> shift, lo the smallest key and shift the fewest bits that
// bring the range of the keys below hi under 2^31 (the largest key is set
// apart as the zeros of descending keys often are, see valueWindow);
// three passes of at most 11 bits sort the windows, and keys equal in the
// window but not below it (rare for the values scored) are then put in
// order by a stable comparison sort of their run. Positions must fit 31
// bits. The order is written to out, of the keys' length; the scratch
// comes from and goes back to the pools.
func (p *pools) keyOrder(keys []uint64, out []int32) []int32 {
	n := len(keys)
	if n == 0 {
		return out
	}
	lo, hi, hi2 := uint64(math.MaxUint64), uint64(0), uint64(0)
	for _, k := range keys {
		lo = min(lo, k)
		// hi2 is the largest key below hi: the smaller of hi and k unless
		// they are equal.
		nhi, t := max(hi, k), min(hi, k)
		if t == nhi {
			t = 0
		}
		hi, hi2 = nhi, max(hi2, t)
	}
	var shift uint
	if hi2 >= lo && hi > lo {
		shift = uint(max(0, bits.Len64(hi2-lo)-31))
	}
	packed, tmp := p.words.get(n), p.words.get(n)
	for j, k := range keys {
		w := uint64(1) << 31
		if k != hi {
			w = (k - lo) >> shift
		}
		packed[j] = w<<32 | uint64(j)
	}
	sorted := radixSortHigh(packed, tmp)
	if shift > 0 {
		sortRuns(sorted, func(p uint64) uint64 { return keys[uint32(p)] })
	}
	for t, p := range sorted {
		out[t] = int32(uint32(p))
	}
	p.words.put(packed)
	p.words.put(tmp)
	return out
}

// radixSortHigh sorts words stably by their high 32 bits: a
// least-significant-digit radix sort in digits of 11, 11 and 10 bits
// (whose counts fit in the first-level cache), counted in one pass,
// skipping the digits every word shares. tmp, of the same length, is the
// other buffer; the sorted words are in words or tmp, whichever is
// returned.
func radixSortHigh(words, tmp []uint64) []uint64 {
	const buckets = 1 << 11
	shifts := [3]uint{32, 43, 54}
	var count [3][buckets]int
	for _, w := range words {
		count[0][(w>>32)&(buckets-1)]++
		count[1][(w>>43)&(buckets-1)]++
		count[2][w>>54]++
	}
	n := len(words)
	src, dst := words, tmp
	for d, shift := range shifts {
		c := &count[d]
		if c[(src[0]>>shift)&(buckets-1)] == n {
			continue // every word has this digit
		}
		sum := 0
		for b, m := range c {
			c[b] = sum
			sum += m
		}
		for _, w := range src {
			b := (w >> shift) & (buckets - 1)
			dst[c[b]] = w
			c[b]++
		}
		src, dst = dst, src
	}
	return src
}

// sortRuns orders, stably by key, each run of packed words whose windows
// (high 32 bits) are equal, but for the window 2^31 of the largest key.
func sortRuns(packed []uint64, key func(uint64) uint64) {
	var keys []uint64
	for s := 0; s < len(packed); {
		e := s + 1
		for e < len(packed) && packed[e]>>32 == packed[s]>>32 {
			e++
		}
		if e-s > 1 && packed[s]>>32 != 1<<31 {
			keys = sortRun(packed[s:e], key, keys)
		}
		s = e
	}
}
