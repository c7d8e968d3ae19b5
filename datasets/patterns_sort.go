package datasets

import (
	"math/bits"
	"slices"

	"github.com/clv-dev/clv/datasets/keyindex"
)

// patternsBySort builds the pattern table of s by sorting instead of
// hashing the histories: each customer's (x, t_x, T) becomes the ranks of
// its three values among the distinct values of each column (few in
// practice: whole purchase counts, times on a day grid), packed into one
// 64-bit integer above the customer's number; a stable radix sort of
// those integers lines equal histories up in the table's order
// (frequency, then recency, then T), each history's customers in their
// order, so a single pass numbers the rows, hands every customer its row
// and adds the weights in customer order. The columns are coded in
// patternParts parts in parallel, each part with small indexes of values
// that stay in cache.
//
// It returns nil, for NewPatterns to hash the histories instead, when a
// value is negative or NaN or when the three ranks and the customer's
// number need more than 64 bits (times on a continuous scale, nearly one
// value per customer).
func patternsBySort(s *Summary) *Patterns {
	n := len(s.Customers)
	if n == 0 {
		return nil
	}
	idBits := bits.Len(uint(n))
	parts := 1
	if n >= patternParallelMin {
		parts = patternParts
	}
	bounds := func(k int) (lo, hi int) { return k * n / parts, (k + 1) * n / parts }
	packed := make([]uint64, n)
	codes := make([]*partCodes, parts)
	parallelParts(parts, func(k int) {
		lo, hi := bounds(k)
		codes[k] = codeColumns(s, lo, hi, packed, 64-idBits)
	})
	if slices.Contains(codes, nil) {
		return nil
	}
	values, rankOf, widths := rankColumns(codes)
	keyBits := widths[0] + widths[1] + widths[2]
	if keyBits+idBits > 64 {
		return nil
	}
	parallelParts(parts, func(k int) {
		lo, hi := bounds(k)
		r := &rankOf[k]
		for i := lo; i < hi; i++ {
			c := packed[i]
			key := r[0][c>>(2*codeBits)]<<(widths[1]+widths[2]) | r[1][c>>codeBits&codeMask]<<widths[2] | r[2][c&codeMask]
			packed[i] = key<<idBits | uint64(i)
		}
	})
	radixSortBits(packed, idBits, keyBits)
	return scanSorted(s, packed, idBits, widths, values, !allUnitWeights(codes))
}

// codeBits is the width of a column's code of first appearance within a
// part (partCodes), three of which are packed into one uint64.
const (
	codeBits = 21
	codeMask = 1<<codeBits - 1
)

// partCodes are the distinct values of the three columns of a part of
// the customers, numbered in order of first appearance, and whether every
// customer of the part has weight 1.
type partCodes struct {
	cols        [3]*keyindex.Values
	unitWeights bool
}

// codeColumns codes customers [lo, hi) of s: packed[i] holds the numbers
// of customer i's frequency, recency and T (each +0, so that −0 counts as
// 0) within the part, codeBits each. It returns nil when a value is
// negative or NaN, when a column has 2^codeBits values or more, or when
// the widths of the three columns' ranks already exceed keyBits.
func codeColumns(s *Summary, lo, hi int, packed []uint64, keyBits int) *partCodes {
	pc := &partCodes{unitWeights: true}
	for c := range pc.cols {
		pc.cols[c] = keyindex.NewValues(256)
	}
	width := 0 // Σ bits.Len(number of values − 1) over the columns
	for i := lo; i < hi; i++ {
		cu := &s.Customers[i]
		var code uint64
		for c, v := range [3]float64{cu.Frequency + 0, cu.Recency + 0, cu.T + 0} {
			if !(v >= 0) {
				return nil
			}
			j, old := pc.cols[c].Of(v)
			if !old && j > 0 && j&(j-1) == 0 { // one bit more
				if width++; width > keyBits || j >= codeMask {
					return nil
				}
			}
			code = code<<codeBits | uint64(j)
		}
		packed[i] = code
		if w := cu.Weight; w != 1 && (s.Compressed || w != 0) {
			pc.unitWeights = false
		}
	}
	return pc
}

// allUnitWeights reports whether every customer of every part has weight 1.
func allUnitWeights(codes []*partCodes) bool {
	for _, pc := range codes {
		if !pc.unitWeights {
			return false
		}
	}
	return true
}

// rankColumns returns, for each column, its distinct values over all
// parts in increasing order, the rank among them of each part's value
// numbers (rankOf[part][column][number]) and the bits a rank needs.
func rankColumns(codes []*partCodes) (values [3][]float64, rankOf [][3][]uint64, widths [3]int) {
	rankOf = make([][3][]uint64, len(codes))
	for c := range values {
		var all []float64
		for _, pc := range codes {
			for j := range pc.cols[c].Len() {
				all = append(all, pc.cols[c].Value(j))
			}
		}
		slices.Sort(all)
		values[c] = slices.Compact(all)
		widths[c] = bits.Len(uint(len(values[c]) - 1))
		for k, pc := range codes {
			r := make([]uint64, pc.cols[c].Len())
			for j := range r {
				at, _ := slices.BinarySearch(values[c], pc.cols[c].Value(j))
				r[j] = uint64(at)
			}
			rankOf[k][c] = r
		}
	}
	return values, rankOf, widths
}

// radixSortBits sorts a stably by bits [lo, lo+width) of its elements
// (the bits above are 0), least significant digit first, in digits of at
// most 11 bits.
func radixSortBits(a []uint64, lo, width int) {
	if width == 0 {
		return
	}
	passes := (width + 10) / 11
	digit := (width + passes - 1) / passes
	mask := uint64(1)<<digit - 1
	src, dst := a, make([]uint64, len(a))
	count := make([]int, 1<<digit)
	for p := range passes {
		shift := lo + p*digit
		clear(count)
		for _, v := range src {
			count[v>>shift&mask]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, v := range src {
			d := v >> shift & mask
			dst[count[d]] = v
			count[d]++
		}
		src, dst = dst, src
	}
	if passes%2 == 1 {
		copy(a, src)
	}
}

// scanSorted numbers the rows of the sorted packed histories (rank key
// above idBits, customer number below) and returns the table, the
// weights counted (each customer 1) or, when weighted, summed in customer
// order.
func scanSorted(s *Summary, packed []uint64, idBits int, widths [3]int, values [3][]float64, weighted bool) *Patterns {
	rows := 0
	prev := ^uint64(0)
	for _, v := range packed {
		if key := v >> idBits; key != prev {
			rows++
			prev = key
		}
	}
	p := &Patterns{
		Frequency: make([]float64, rows), Recency: make([]float64, rows),
		T: make([]float64, rows), Weight: make([]float64, rows), Of: make([]int32, len(packed)),
	}
	idMask := uint64(1)<<idBits - 1
	r := -1
	prev = ^uint64(0)
	for _, v := range packed {
		if key := v >> idBits; key != prev {
			r++
			prev = key
			p.Frequency[r] = values[0][key>>(widths[1]+widths[2])]
			p.Recency[r] = values[1][key>>widths[2]&(1<<widths[1]-1)]
			p.T[r] = values[2][key&(1<<widths[2]-1)]
		}
		i := v & idMask
		p.Of[i] = int32(r)
		if !weighted {
			p.Weight[r]++
			continue
		}
		w := s.Customers[i].Weight
		if !s.Compressed && w == 0 {
			w = 1
		}
		p.Weight[r] += w
	}
	return p
}
