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
//
// One pass counts the values by the top topCutBits bits of their
// descending keys (sign, exponent and the first mantissa bits: a
// sixteenth of a binade each), which finds the bucket of the k-th; a
// second collects that bucket's customers, among whom the radix selection
// finds the cut, and the ties at it.
func (sc *Scorer) topCut(v []float64, k int) (cut float64, last int, ok bool) {
	const shift = 64 - topCutBits
	count := make([]int32, 1<<topCutBits)
	m := 0
	for _, x := range v {
		if x > 0 {
			count[^math.Float64bits(x)>>shift]++ // descending
			m++
		}
	}
	if m == 0 {
		return 0, 0, false
	}
	k = min(k, m)
	b, above := 0, 0 // the bucket of the k-th, and the customers in the buckets before
	for above+int(count[b]) < k {
		above += int(count[b])
		b++
	}
	bucket := make([]int32, 0, count[b])
	for i, x := range v {
		if x > 0 && ^math.Float64bits(x)>>shift == uint64(b) {
			bucket = append(bucket, int32(i))
		}
	}
	keys := make([]uint64, len(bucket))
	for j, i := range bucket {
		keys[j] = ^math.Float64bits(v[i])
	}
	cut = math.Float64frombits(^selectKey(keys, k-above-1))
	// k less those above the cut are taken from the ties at it, in id
	// order.
	var tied []int32
	for _, i := range bucket {
		if x := v[i]; x > cut {
			above++
		} else if x == cut {
			tied = append(tied, i)
		}
	}
	rank := sc.idRanks()
	slices.SortFunc(tied, func(a, b int32) int { return int(rank[a]) - int(rank[b]) })
	return cut, int(tied[k-above-1]), true
}

// topCutBits is the number of leading key bits topCut counts by.
const topCutBits = 16

// inTop reports whether customer i, of value x, is among the first
// customers of the order up to the customer last of value cut (topCut).
func (sc *Scorer) inTop(x float64, i int, cut float64, last int) bool {
	if x != cut {
		return x > cut
	}
	rank := sc.idRanks()
	return rank[i] <= rank[last]
}
