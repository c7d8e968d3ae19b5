package models

import (
	"math"
	"slices"

	"github.com/clv-dev/clv/datasets/keyindex"
)

// The fits of the BG/NBD family and of the Pareto/NBD receive the table of
// distinct histories (x, t_x, T) with their weights, built once per data
// set by the caller (datasets.Patterns); they do not merge rows again. What
// they index here is smaller: the distinct frequencies of the rows, whose
// gamma-function terms are computed once per evaluation, and the distinct
// times (whole days in a log), whose logarithms are.

// freqIndex numbers distinct frequencies in order of first appearance,
// with a direct table for small whole numbers (the usual case).
type freqIndex struct {
	table  []int32         // whole x < 2¹⁶ → number, or −1
	other  *keyindex.Index // the other frequencies
	num    []int32         // number of the other frequencies, by their index
	values []float64       // the frequencies by number
}

func newFreqIndex() *freqIndex { return &freqIndex{other: keyindex.New(8)} }

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
	k, old := f.other.Of(x, 0, 0)
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
	times := keyindex.New(256)
	// Sized for the first rows, so that rows with too many times cost
	// little before giving up, and for all of them once those passed.
	ia, ib = make([]int32, 0, min(n, 1<<16)), make([]int32, 0, min(n, 1<<16))
	lastA, lastIA := math.NaN(), int32(0) // rows sorted by x, then t_x
	for i := 0; i < n; i++ {
		if v := a[i]; v != lastA {
			lastA = v
			lastIA, _ = times.Of(v, 0, 0)
		}
		j, _ := times.Of(b[i], 0, 0)
		if len(ia) == cap(ia) {
			ia, ib = slices.Grow(ia, n-len(ia)), slices.Grow(ib, n-len(ib))
		}
		ia, ib = append(ia, lastIA), append(ib, j)
		if times.Len() > limit {
			return nil, nil, nil, false
		}
	}
	tau = make([]float64, times.Len())
	for j := range tau {
		tau[j], _, _ = times.Key(j)
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
