package experiments

import (
	"cmp"
	"fmt"
	"math"
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
// then ordered by sorting the rows and counting the customers into place,
// which gives the same order as sorting the customers.
type Scorer struct {
	ids  []string
	byID []int32 // the customers in tie-breaking order of their ids

	// rowOf[i] is customer i's row among rows (nil: no table), and
	// rowByID the rows of the customers of byID.
	rowOf, rowByID []int32
	rows           int

	mu      sync.Mutex
	orders  map[sliceKey]*cachedOrder
	actuals map[sliceKey]*actualOrder
}

// sliceKey names a slice by its first element and length.
type sliceKey struct {
	first *float64
	n     int
}

func keyOf(v []float64) sliceKey { return sliceKey{&v[0], len(v)} }

// cachedOrder is the prediction order of one slice, computed once.
type cachedOrder struct {
	once  sync.Once
	order []int
	// rowValues holds the value of each table row when the values are
	// equal for the customers of every row (nil otherwise).
	rowValues []float64
}

// actualOrder is what Score needs of a target's actuals, computed once:
// their validation, the actuals sorted ascending with their average
// ranks by customer, and ln(1+a) by customer.
type actualOrder struct {
	checked, sortedOnce sync.Once
	err                 error
	total               float64 // Σ a_i, compensated, in customer order
	log1p               []float64
	values              *correlationSide
	// ranks is the correlation side of the actuals' average ranks, and
	// gini what the Gini coefficient needs of them.
	ranks *correlationSide
	gini  giniSide
}

// NewScorer returns a Scorer of the customers with the given ids.
func NewScorer(ids []string) *Scorer {
	return &Scorer{ids: ids, byID: idOrder(ids), orders: map[sliceKey]*cachedOrder{}, actuals: map[sliceKey]*actualOrder{}}
}

// NewPatternScorer returns a Scorer of the customers with the given ids
// that knows rowOf[i], customer i's row in a table of rows distinct
// histories (datasets.Patterns.Of and Len). It returns an error when
// rowOf does not have one row in [0, rows) per customer.
func NewPatternScorer(ids []string, rowOf []int32, rows int) (*Scorer, error) {
	if len(rowOf) != len(ids) {
		return nil, fmt.Errorf("scorer: %d pattern rows for %d customers", len(rowOf), len(ids))
	}
	for i, r := range rowOf {
		if r < 0 || int(r) >= rows {
			return nil, fmt.Errorf("scorer: customer %d (%q) has pattern row %d of %d", i, ids[i], r, rows)
		}
	}
	sc := NewScorer(ids)
	sc.rowOf, sc.rows = rowOf, rows
	sc.rowByID = make([]int32, len(ids))
	for j, i := range sc.byID {
		sc.rowByID[j] = rowOf[i]
	}
	return sc, nil
}

// idOrder returns the customers in the tie-breaking order of their ids
// (see PredictionOrder): numeric ids by a radix sort of their values,
// then runs of equal values by string and position; other ids by a
// comparison sort.
func idOrder(ids []string) []int32 {
	keys := make([]uint64, len(ids))
	byID := make([]int32, len(ids))
	numeric := true
	for i, id := range ids {
		byID[i] = int32(i)
		k, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			numeric = false
			break
		}
		keys[i] = uint64(k) ^ 1<<63 // signed order as unsigned
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
	radixSort(keys, byID)
	for s := 0; s < len(keys); {
		e := s + 1
		for e < len(keys) && keys[e] == keys[s] {
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
	if err := checkInputs(sc.ids, predicted, nil, false); err != nil {
		return nil, fmt.Errorf("prediction order: %w", err)
	}
	return sc.order(predicted), nil
}

// order returns the prediction order of validated predictions: the
// customers in id order, sorted stably by prediction descending.
func (sc *Scorer) order(predicted []float64) []int {
	if len(predicted) == 0 {
		return nil
	}
	return sc.cached(predicted).order
}

// cached returns the remembered order of predicted, computing it on first
// use (once, however many goroutines ask).
func (sc *Scorer) cached(predicted []float64) *cachedOrder {
	sc.mu.Lock()
	c, ok := sc.orders[keyOf(predicted)]
	if !ok {
		c = &cachedOrder{}
		sc.orders[keyOf(predicted)] = c
	}
	sc.mu.Unlock()
	c.once.Do(func() {
		if c.rowValues = sc.rowValues(predicted); c.rowValues != nil {
			c.order = sc.rowOrder(c.rowValues)
		} else {
			c.order = sc.radixOrder(predicted)
		}
	})
	return c
}

// radixOrder is a stable radix sort, by prediction descending, of the
// customers in id order.
func (sc *Scorer) radixOrder(predicted []float64) []int {
	idx := slices.Clone(sc.byID)
	keys := make([]uint64, len(idx))
	for j, i := range idx {
		// The bits of a value ≥ 0 sort as the value; complemented, the
		// largest comes first.
		keys[j] = ^math.Float64bits(predicted[i] + 0)
	}
	radixSort(keys, idx)
	o := make([]int, len(idx))
	for j, i := range idx {
		o[j] = int(i)
	}
	return o
}

// unsetRow marks a table row no customer has given a value yet (a NaN,
// which no validated prediction is).
const unsetRow = ^uint64(0)

// rowValues returns the value of every table row when the predictions
// (validated) are equal for the customers of each row, −0 counting as 0;
// nil when they are not or there is no table. A row no customer falls in
// gets 0.
func (sc *Scorer) rowValues(predicted []float64) []float64 {
	if sc.rowOf == nil || len(predicted) != len(sc.rowOf) {
		return nil
	}
	bits := make([]uint64, sc.rows)
	for r := range bits {
		bits[r] = unsetRow
	}
	for i, r := range sc.rowOf {
		b := math.Float64bits(predicted[i] + 0)
		if old := bits[r]; old != b {
			if old != unsetRow {
				return nil
			}
			bits[r] = b
		}
	}
	values := make([]float64, sc.rows)
	for r, b := range bits {
		if b != unsetRow {
			values[r] = math.Float64frombits(b)
		}
	}
	return values
}

// rowOrder orders the customers by their rows' values, highest first,
// ties in id order: the rows are sorted by value and numbered by level
// (equal values sharing one), and the customers, taken in id order, are
// counted into their levels' places. This is the order a stable sort of
// the customers by value would give.
func (sc *Scorer) rowOrder(values []float64) []int {
	keys := make([]uint64, len(values))
	byValue := make([]int32, len(values))
	for r, v := range values {
		keys[r], byValue[r] = ^math.Float64bits(v), int32(r)
	}
	radixSort(keys, byValue)
	level := make([]int32, len(values))
	levels := 0
	for j, r := range byValue {
		if j > 0 && keys[j] != keys[j-1] {
			levels++
		}
		level[r] = int32(levels)
	}
	start := make([]int, levels+2)
	for _, r := range sc.rowByID {
		start[level[r]+1]++
	}
	for l := 1; l < len(start); l++ {
		start[l] += start[l-1]
	}
	o := make([]int, len(sc.byID))
	for j, r := range sc.rowByID {
		l := level[r]
		o[start[l]] = int(sc.byID[j])
		start[l]++
	}
	return o
}

// byValue returns the facts of the validated actuals that need them
// sorted: their average ranks and their Gini denominator.
func (sc *Scorer) byValue(actual []float64) *actualOrder {
	a := sc.actual(actual)
	a.sortedOnce.Do(func() {
		sorted := sortByValue(actual)
		a.ranks = newCorrelationSide(averageRanks(sorted))
		a.gini = newGiniSide(sorted, actual)
	})
	return a
}

// actualFacts validates a target's actuals against the customers (as
// checkInputs does) and returns their total and logarithms, computed once.
func (sc *Scorer) actualFacts(actual []float64) (*actualOrder, error) {
	if len(actual) != len(sc.ids) {
		return nil, fmt.Errorf("%d predictions but %d actuals", len(sc.ids), len(actual))
	}
	a := sc.actual(actual)
	a.checked.Do(func() {
		if a.err = checkValues(sc.ids, "actual", actual); a.err != nil {
			return
		}
		var total ksum
		a.log1p = make([]float64, len(actual))
		for i, v := range actual {
			total.add(v)
			a.log1p[i] = math.Log1p(v)
		}
		a.total = total.value()
		a.values = newCorrelationSide(actual)
	})
	return a, a.err
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

// radixSort sorts keys ascending, carrying idx along, stably: a
// least-significant-digit radix sort in 11-bit digits (whose counts fit
// in the first-level cache), skipping the digits every key shares. The
// counts of every digit are taken in one pass over the keys.
func radixSort(keys []uint64, idx []int32) {
	const bits, buckets, digits = 11, 1 << 11, (64 + 10) / 11
	n := len(keys)
	if n < 2 {
		return
	}
	var count [digits][buckets]int
	for _, k := range keys {
		for d := range digits {
			count[d][(k>>(d*bits))&(buckets-1)]++
		}
	}
	srcK, srcI := keys, idx
	var dstK []uint64
	var dstI []int32
	for d := range digits {
		shift := uint(d * bits)
		c := &count[d]
		if c[(srcK[0]>>shift)&(buckets-1)] == n {
			continue // every key has this digit
		}
		if dstK == nil {
			dstK, dstI = make([]uint64, n), make([]int32, n)
		}
		sum := 0
		for b, m := range c {
			c[b] = sum
			sum += m
		}
		for j, k := range srcK {
			b := (k >> shift) & (buckets - 1)
			dstK[c[b]], dstI[c[b]] = k, srcI[j]
			c[b]++
		}
		srcK, dstK, srcI, dstI = dstK, srcK, dstI, srcI
	}
	if &srcK[0] != &keys[0] {
		copy(keys, srcK)
		copy(idx, srcI)
	}
}
