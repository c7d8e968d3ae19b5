package experiments

import (
	"math"
	"slices"
)

// Order statistics without a full sort. The value tiers need the k-th
// customer of the prediction order (value descending, ties by id, see
// PredictionOrder) and two order statistics of the best customers' values
// per unit of time; a radix selection finds each in a few passes over the
// values instead of sorting them.

// selectKey returns the k-th smallest (0-based) of keys, 0 ≤ k < len(keys),
// by a most-significant-digit radix selection: each pass counts the
// candidates' next 11-bit digit and keeps only those in the digit that
// holds the k-th. It reorders keys.
func selectKey(keys []uint64, k int) uint64 {
	const digit = 11
	const buckets = 1 << digit
	var count [buckets]int
	for shift := 64 - digit; ; shift -= digit {
		shift = max(shift, 0)
		clear(count[:])
		for _, key := range keys {
			count[(key>>uint(shift))&(buckets-1)]++
		}
		b := 0
		for ; k >= count[b]; b++ {
			k -= count[b]
		}
		kept := 0
		for _, key := range keys {
			if (key>>uint(shift))&(buckets-1) == uint64(b) {
				keys[kept] = key
				kept++
			}
		}
		keys = keys[:kept]
		if shift == 0 || constantKeys(keys) {
			return keys[0]
		}
	}
}

// constantKeys reports whether every key equals the first.
func constantKeys(keys []uint64) bool {
	for _, k := range keys[1:] {
		if k != keys[0] {
			return false
		}
	}
	return true
}

// quantileSelect is quantileSorted of the values (none NaN, all ≥ 0)
// sorted ascending, by selecting the two order statistics it
// interpolates between. It reorders nothing of v.
func quantileSelect(v []float64, q float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	keys := make([]uint64, n)
	for i, x := range v {
		keys[i] = math.Float64bits(x + 0) // ≥ 0: the bits sort as the values
	}
	if lo >= n-1 {
		return math.Float64frombits(slices.Max(keys))
	}
	kLo := selectKey(keys, lo)
	// The next order statistic is kLo again when more than lo+1 keys are at
	// most kLo, and otherwise the smallest key above it.
	atMost, above := 0, uint64(math.MaxUint64)
	for _, x := range v {
		k := math.Float64bits(x + 0)
		if k <= kLo {
			atMost++
		} else {
			above = min(above, k)
		}
	}
	kHi := kLo
	if atMost <= lo+1 {
		kHi = above
	}
	a, b := math.Float64frombits(kLo), math.Float64frombits(kHi)
	return a + (h-float64(lo))*(b-a)
}

// topCut finds the k-th customer (k ≥ 1) of the prediction order of the
// customers with v > 0: value descending, ties in id order. It returns
// that customer's value and index; the first k customers are then those
// with a value above cut, or equal to it and no later in id order than
// last (see inTop). k larger than the number of such customers counts
// them all; ok is false when there are none.
func (sc *Scorer) topCut(v []float64, k int) (cut float64, last int, ok bool) {
	keys := make([]uint64, len(v))
	m := 0
	for _, x := range v {
		if x > 0 {
			keys[m] = ^math.Float64bits(x) // descending
			m++
		}
	}
	if m == 0 {
		return 0, 0, false
	}
	k = min(k, m)
	cut = math.Float64frombits(^selectKey(keys[:m], k-1))
	// k less those above the cut are taken from the ties at it, in id
	// order.
	above, ties := 0, 0
	for _, x := range v {
		if x > cut {
			above++
		} else if x == cut {
			ties++
		}
	}
	tied := make([]int32, 0, ties)
	for i, x := range v {
		if x == cut {
			tied = append(tied, int32(i))
		}
	}
	rank := sc.idRanks()
	slices.SortFunc(tied, func(a, b int32) int { return int(rank[a]) - int(rank[b]) })
	return cut, int(tied[k-above-1]), true
}

// inTop reports whether customer i, of value x, is among the first
// customers of the order up to the customer last of value cut (topCut).
func (sc *Scorer) inTop(x float64, i int, cut float64, last int) bool {
	if x != cut {
		return x > cut
	}
	rank := sc.idRanks()
	return rank[i] <= rank[last]
}
