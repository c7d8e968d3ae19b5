package datasets

import (
	"cmp"
	"slices"
	"strings"
)

// idOrder returns the indices of ids in output order: by integer value
// when every id is an unsigned integer of up to 18 digits (so "2" comes
// before "10" and "0002" next to "2", ties broken by the text), else by
// text.
func idOrder(ids []string) []int32 {
	order := make([]int32, len(ids))
	for i := range order {
		order[i] = int32(i)
	}
	keys := make([]uint64, len(ids))
	numeric := true
	for i, id := range ids {
		k, ok := idNumber(id)
		if !ok {
			numeric = false
			break
		}
		keys[i] = k
	}
	if numeric {
		slices.SortFunc(order, func(a, b int32) int {
			if c := cmp.Compare(keys[a], keys[b]); c != 0 {
				return c
			}
			return strings.Compare(ids[a], ids[b])
		})
	} else {
		slices.SortFunc(order, func(a, b int32) int { return strings.Compare(ids[a], ids[b]) })
	}
	return order
}

// idNumber reads an id made of 1 to 18 digits.
func idNumber(id string) (uint64, bool) {
	if len(id) == 0 || len(id) > 18 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// radixSortEntries sorts es by key, stably, in passes of radixBits bits
// from the least significant, skipping the digits that every key shares.
func radixSortEntries(es []tableEntry) {
	if len(es) < 2 {
		return
	}
	or, and := uint64(0), ^uint64(0)
	for _, e := range es {
		or, and = or|e.key, and&e.key
	}
	varying := or &^ and
	src, dst := es, make([]tableEntry, len(es))
	adviseHugePages(dst)
	for shift := uint(0); shift < 64; shift += radixBits {
		if varying>>shift&radixMask == 0 {
			continue
		}
		var start [radixMask + 1]int
		for _, e := range src {
			start[e.key>>shift&radixMask]++
		}
		pos := 0
		for d, n := range start {
			start[d], pos = pos, pos+n
		}
		for _, e := range src {
			d := e.key >> shift & radixMask
			dst[start[d]] = e
			start[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}

// The digits of radixSortEntries: 2048 buckets, whose write positions stay
// within the caches.
const (
	radixBits = 11
	radixMask = 1<<radixBits - 1
)
