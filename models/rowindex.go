package models

import "math"

// The fits of the BG/NBD family and of the Pareto/NBD receive the table of
// distinct histories (x, t_x, T) with their weights, built once per data
// set by the caller (datasets.Patterns); they do not merge rows again. What
// they index here is smaller: the distinct frequencies of the rows, whose
// gamma-function terms are computed once per evaluation, and the distinct
// times (whole days in a log), whose logarithms are.

// keyIndex numbers distinct keys of up to three float64s, compared by
// their bits (−0 and +0 merely stay apart), in order of first appearance:
// an open-addressing hash table with linear probing, kept at most half
// full.
type keyIndex struct {
	keys  [][3]uint64
	slots []int32 // −1: empty; else an index into keys
	mask  uint64
}

func newKeyIndex(hint int) *keyIndex {
	size := 16
	for size < 2*hint {
		size *= 2
	}
	ix := &keyIndex{keys: make([][3]uint64, 0, hint)}
	ix.resize(size)
	return ix
}

func (ix *keyIndex) resize(size int) {
	ix.slots = make([]int32, size)
	for i := range ix.slots {
		ix.slots[i] = -1
	}
	ix.mask = uint64(size - 1)
	for j, k := range ix.keys {
		h := keyHash(k) & ix.mask
		for ix.slots[h] >= 0 {
			h = (h + 1) & ix.mask
		}
		ix.slots[h] = int32(j)
	}
}

// keyHash mixes the bits of a key (multiplicative mixing and the
// splitmix64 finalizer: whole numbers and day fractions, whose low bits
// are 0, spread over the table).
func keyHash(k [3]uint64) uint64 {
	h := k[0]*0x9E3779B97F4A7C15 ^ (k[1]+0x632BE59BD9B4E019)*0xC2B2AE3D27D4EB4F ^ (k[2]+0x85EBCA77C2B2AE63)*0x165667B19E3779F9
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	return h ^ h>>31
}

// of returns the number of the key (a, b, c) and whether it was seen
// before (a new key gets the next number).
func (ix *keyIndex) of(a, b, c float64) (int32, bool) {
	k := [3]uint64{math.Float64bits(a), math.Float64bits(b), math.Float64bits(c)}
	h := keyHash(k) & ix.mask
	for {
		j := ix.slots[h]
		if j < 0 {
			break
		}
		if ix.keys[j] == k {
			return j, true
		}
		h = (h + 1) & ix.mask
	}
	j := int32(len(ix.keys))
	ix.keys = append(ix.keys, k)
	ix.slots[h] = j
	if 2*len(ix.keys) > len(ix.slots) {
		ix.resize(2 * len(ix.slots))
	}
	return j, false
}

// freqIndex numbers distinct frequencies in order of first appearance,
// with a direct table for small whole numbers (the usual case).
type freqIndex struct {
	table  []int32   // whole x < 2¹⁶ → number, or −1
	other  *keyIndex // the other frequencies
	num    []int32   // number of the other frequencies, by their index
	values []float64 // the frequencies by number
}

func newFreqIndex() *freqIndex { return &freqIndex{other: newKeyIndex(8)} }

func (f *freqIndex) of(x float64) int32 {
	if x == math.Trunc(x) && x >= 0 && x < 1<<16 {
		i := int(x)
		if i >= len(f.table) {
			old := len(f.table)
			f.table = append(f.table, make([]int32, max(i+1, 2*old)-old)...)
			for j := old; j < len(f.table); j++ {
				f.table[j] = -1
			}
		}
		if f.table[i] < 0 {
			f.table[i] = int32(len(f.values))
			f.values = append(f.values, x)
		}
		return f.table[i]
	}
	k, old := f.other.of(x, 0, 0)
	if !old {
		f.num = append(f.num, int32(len(f.values)))
		f.values = append(f.values, x)
	}
	return f.num[k]
}

// indexTimes numbers the distinct values of the columns a and b together
// (by their bits) and returns them with each row's number in a and in b.
// It gives up, returning ok false, once they number more than limit
// (continuous times, where a table would not pay).
func indexTimes(a, b []float64, limit int) (tau []float64, ia, ib []int32, ok bool) {
	n := len(a)
	times := newKeyIndex(256)
	// Grown as they fill, so that rows with too many times cost little
	// before giving up.
	ia, ib = make([]int32, 0, min(n, 1<<16)), make([]int32, 0, min(n, 1<<16))
	lastA, lastIA := math.NaN(), int32(0) // rows sorted by x, then t_x
	for i := 0; i < n; i++ {
		if v := a[i]; v != lastA {
			lastA = v
			lastIA, _ = times.of(v, 0, 0)
		}
		j, _ := times.of(b[i], 0, 0)
		ia, ib = append(ia, lastIA), append(ib, j)
		if len(times.keys) > limit {
			return nil, nil, nil, false
		}
	}
	tau = make([]float64, len(times.keys))
	for j, k := range times.keys {
		tau[j] = math.Float64frombits(k[0])
	}
	return tau, ia, ib, true
}

// informativeHistories returns the number of distinct histories
// (x, t_x, T) with T > 0 among the rows of weight > 0, up to 2: rows with
// T = 0 have probability 1 and say nothing, and identical customers tell
// no more than one (x of row i is xs[xi[i]]).
func informativeHistories(xs []float64, xi []int32, tx, T []float64, weight func(int) float64) int {
	first := -1
	for i, t := range T {
		if !(t > 0 && weight(i) > 0) {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if xs[xi[i]] != xs[xi[first]] || tx[i] != tx[first] || t != T[first] {
			return 2
		}
	}
	if first < 0 {
		return 0
	}
	return 1
}
