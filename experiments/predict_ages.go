package experiments

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/clv-dev/clv/datasets"
)

// ageIndex groups the histories of a pattern table by their distinct
// (x, T): what the factored models' curves (models.AliveFactored), the
// (x, T) terms of P(alive) (models.AliveTabulator) and the values of the
// models that read the recency through a class (models.RecencyClassed)
// depend on. A million simulated customers have about 290,000 distinct
// histories but 5,000 distinct (x, T). It is made once per pattern table
// and shared by the models of a window (see rowTable.agesOf).
type ageIndex struct {
	of   []int32   // pattern → group
	x, T []float64 // per group
}

// len returns the number of groups.
func (a *ageIndex) len() int { return len(a.x) }

// newAgeIndex groups the patterns by the bits of (x, T), in a few
// contiguous parts in parallel, cut where x changes. In a table sorted by
// frequency (datasets.Patterns is) no group spans two parts; in another,
// a group that does is listed once per part, which costs work but changes
// no value: every group's values are computed from its own (x, T) (−0
// and 0 apart).
func newAgeIndex(pt *datasets.Patterns) *ageIndex {
	n := pt.Len()
	parts := 1
	if n >= 1<<14 {
		parts = max(1, runtime.GOMAXPROCS(0))
	}
	of := make([]int32, n)
	xs, ts := make([][]float64, parts), make([][]float64, parts)
	cut := make([]int, parts+1) // part k is [cut[k], cut[k+1])
	for k := 1; k <= parts; k++ {
		c := max(cut[k-1], k*n/parts)
		for c < n && c > 0 && k < parts && pt.Frequency[c] == pt.Frequency[c-1] {
			c++
		}
		cut[k] = c
	}
	bounds := func(k int) (lo, hi int) { return cut[k], cut[k+1] }
	eachInParallel(parts, func(k int) {
		lo, hi := bounds(k)
		index := map[[2]uint64]int32{}
		for j := lo; j < hi; j++ {
			key := [2]uint64{math.Float64bits(pt.Frequency[j]), math.Float64bits(pt.T[j])}
			g, ok := index[key]
			if !ok {
				g = int32(len(xs[k]))
				index[key] = g
				xs[k], ts[k] = append(xs[k], pt.Frequency[j]), append(ts[k], pt.T[j])
			}
			of[j] = g
		}
	})
	a := &ageIndex{of: of}
	for k := range parts {
		start := int32(len(a.x))
		a.x, a.T = append(a.x, xs[k]...), append(a.T, ts[k]...)
		if lo, hi := bounds(k); start > 0 {
			for j := lo; j < hi; j++ {
				of[j] += start
			}
		}
	}
	return a
}

// eachChunk runs f over [0, n) in chunks of size chunk, handed out one at
// a time to a goroutine per core: for items of uneven cost (the (x, T)
// groups of a factored model, whose curves cost more as x grows, come in
// the order of x).
func eachChunk(n, chunk int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := min(max(1, runtime.GOMAXPROCS(0)), (n+chunk-1)/chunk)
	if workers <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				f(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
