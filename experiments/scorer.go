package experiments

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
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

	// rowOf[i] is customer i's row among rows (nil: no table); byRow
	// lists the customers by row and, within a row, in id order, row r's
	// from rowStart[r] to rowStart[r+1]; idRank[i] is customer i's place
	// in byID.
	rowOf, byRow, rowStart, idRank []int32
	rows                           int
	rankOnce                       sync.Once

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
	// equal for the customers of every row (nil otherwise), and rowRanks
	// the average rank (ascending, ties sharing the mean) of each row's
	// customers.
	rowValues, rowRanks []float64
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
	sc.idRank = make([]int32, len(ids))
	sc.rowStart = make([]int32, rows+1)
	for j, i := range sc.byID {
		sc.idRank[i] = int32(j)
		sc.rowStart[rowOf[i]+1]++
	}
	for r := range rows {
		sc.rowStart[r+1] += sc.rowStart[r]
	}
	next := slices.Clone(sc.rowStart[:rows])
	sc.byRow = make([]int32, len(ids))
	for _, i := range sc.byID {
		r := rowOf[i]
		sc.byRow[next[r]] = i
		next[r]++
	}
	return sc, nil
}

// idRanks returns every customer's place in the id order (byID's
// inverse), computed on first use.
func (sc *Scorer) idRanks() []int32 {
	sc.rankOnce.Do(func() {
		if sc.idRank != nil {
			return
		}
		sc.idRank = make([]int32, len(sc.byID))
		for j, i := range sc.byID {
			sc.idRank[i] = int32(j)
		}
	})
	return sc.idRank
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
	byID = keyOrder(keys)
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
			c.order, c.rowRanks = sc.rowOrder(c.rowValues)
		} else {
			c.order = sc.radixOrder(predicted)
		}
	})
	return c
}

// radixOrder is a stable radix sort, by prediction descending, of the
// customers in id order.
func (sc *Scorer) radixOrder(predicted []float64) []int {
	keys := make([]uint64, len(sc.byID))
	for j, i := range sc.byID {
		// The bits of a value ≥ 0 sort as the value; complemented, the
		// largest comes first.
		keys[j] = ^math.Float64bits(predicted[i] + 0)
	}
	o := make([]int, len(keys))
	for t, j := range keyOrder(keys) {
		o[t] = int(sc.byID[j])
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
// ties in id order: the rows are sorted by value, a row alone at its value
// hands over its customers (already in id order), and the customers of
// rows sharing a value are put back in id order. This is the order a
// stable sort of the customers in id order by value gives.
func (sc *Scorer) rowOrder(values []float64) (order []int, ranks []float64) {
	keys := make([]uint64, len(values))
	for r, v := range values {
		keys[r] = ^math.Float64bits(v)
	}
	byValue := keyOrder(keys)
	n := len(sc.byID)
	o := make([]int, 0, n)
	ranks = make([]float64, len(values))
	var tied idMerge
	for s := 0; s < len(byValue); {
		e := s + 1
		for e < len(byValue) && keys[byValue[e]] == keys[byValue[s]] {
			e++
		}
		first := len(o)
		if e == s+1 {
			r := byValue[s]
			for _, i := range sc.byRow[sc.rowStart[r]:sc.rowStart[r+1]] {
				o = append(o, int(i))
			}
		} else {
			o = tied.merge(o, sc, byValue[s:e])
		}
		// Places first..len(o)−1 of the descending order have ascending
		// ranks n−first down to n−len(o)+1: they share their mean.
		rank := float64(n) - float64(first+len(o)-1)/2
		for _, r := range byValue[s:e] {
			ranks[r] = rank
		}
		s = e
	}
	return o, ranks
}

// idMerge puts the customers of several rows back in id order.
type idMerge struct {
	ranks []int32
	seen  []uint64 // a bit per place in id order
}

// merge appends the customers of the rows to o in id order: by sorting
// their places in id order, or, for many customers, by marking them in a
// bit set of all places and reading it in order.
func (m *idMerge) merge(o []int, sc *Scorer, rows []int32) []int {
	m.ranks = m.ranks[:0]
	for _, r := range rows {
		for _, i := range sc.byRow[sc.rowStart[r]:sc.rowStart[r+1]] {
			m.ranks = append(m.ranks, sc.idRank[i])
		}
	}
	n := len(sc.byID)
	if len(m.ranks) < n/64 {
		slices.Sort(m.ranks)
		for _, j := range m.ranks {
			o = append(o, int(sc.byID[j]))
		}
		return o
	}
	if m.seen == nil {
		m.seen = make([]uint64, (n+63)/64)
	}
	for _, j := range m.ranks {
		m.seen[j/64] |= 1 << (j % 64)
	}
	for w, word := range m.seen {
		for word != 0 {
			o = append(o, int(sc.byID[w*64+bits.TrailingZeros64(word)]))
			word &= word - 1
		}
		m.seen[w] = 0
	}
	return o
}

// byValue returns the facts of the validated actuals that need them
// sorted: their average ranks and their Gini denominator (counted, not
// sorted, for small integer actuals: see countedSides).
func (sc *Scorer) byValue(actual []float64) *actualOrder {
	a := sc.actual(actual)
	a.sortedOnce.Do(func() {
		var ok bool
		if a.ranks, a.gini, ok = countedSides(actual); ok {
			return
		}
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

// keyOrder returns the positions 0..n−1 of keys in ascending order of
// key, equal keys in position order (a stable sort). It radix-sorts words
// that pack a 32-bit window of the key above the position: the window
// starts at the highest bit in which two keys differ, so the bits above
// it are shared, and three passes of at most 11 bits sort it; keys equal
// in the window but not below it (rare for the values scored) are then put
// in order by a stable comparison sort of their run. Positions must fit
// 31 bits.
func keyOrder(keys []uint64) []int32 {
	n := len(keys)
	out := make([]int32, n)
	if n == 0 {
		return out
	}
	var diff uint64
	for _, k := range keys {
		diff |= k ^ keys[0]
	}
	shift := max(0, bits.Len64(diff)-32)
	packed := make([]uint64, n)
	for j, k := range keys {
		packed[j] = (k>>shift)<<32 | uint64(j)
	}
	radixSortHigh(packed)
	if shift > 0 {
		sortRuns(packed, keys)
	}
	for t, p := range packed {
		out[t] = int32(uint32(p))
	}
	return out
}

// radixSortHigh sorts words stably by their high 32 bits: a
// least-significant-digit radix sort in digits of 11, 11 and 10 bits
// (whose counts fit in the first-level cache), counted in one pass,
// skipping the digits every word shares.
func radixSortHigh(words []uint64) {
	const buckets = 1 << 11
	shifts := [3]uint{32, 43, 54}
	var count [3][buckets]int
	for _, w := range words {
		count[0][(w>>32)&(buckets-1)]++
		count[1][(w>>43)&(buckets-1)]++
		count[2][w>>54]++
	}
	n := len(words)
	src := words
	var dst []uint64
	for d, shift := range shifts {
		c := &count[d]
		if c[(src[0]>>shift)&(buckets-1)] == n {
			continue // every word has this digit
		}
		if dst == nil {
			dst = make([]uint64, n)
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
	if &src[0] != &words[0] {
		copy(words, src)
	}
}

// sortRuns orders, stably by the full key, each run of packed words
// whose windows are equal (see keyOrder).
func sortRuns(packed, keys []uint64) {
	key := func(p uint64) uint64 { return keys[uint32(p)] }
	for s := 0; s < len(packed); {
		e := s + 1
		for e < len(packed) && packed[e]>>32 == packed[s]>>32 {
			e++
		}
		if e-s > 1 && !sameKeys(packed[s:e], keys) {
			slices.SortStableFunc(packed[s:e], func(a, b uint64) int { return cmp.Compare(key(a), key(b)) })
		}
		s = e
	}
}

// sameKeys reports whether the packed words of a run have equal keys.
func sameKeys(run, keys []uint64) bool {
	k := keys[uint32(run[0])]
	for _, p := range run[1:] {
		if keys[uint32(p)] != k {
			return false
		}
	}
	return true
}
