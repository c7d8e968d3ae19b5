package experiments

import (
	"context"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// The resampling of PairedBootstrap, arranged for speed without changing
// a bit of its results: the draws of a resample depend on the seed, the
// units' means and nothing else, so they are made once for every set of
// losses (a verdict's targets), into a buffer, by one stream; the loss
// sums, the multiply-adds, run on every core over whole resamples, each
// sum accumulated in unit order as a single loop would, so the result does
// not depend on the number of cores.

// bootstrapSet is one set of model losses being bootstrapped: its exact
// means over the rows, its best model, its per-unit losses and the
// resampled differences.
type bootstrapSet struct {
	index  int // in the sets given to PairedBootstraps
	models []string
	means  []float64
	total  float64
	best   int
	// units holds each model's loss per resampled unit: the rows' losses,
	// or the batches' weighted loss sums (see unitLosses).
	units [][]float64
	// diffs holds, for every model but the best, the resampled
	// differences of mean losses (model − best), one per resample.
	diffs [][]float64
}

// newBootstrapSet takes each model's weighted mean loss, Σ w_i l_i / Σ w_i
// (the sum in row order, see unitLosses), its units and the best model
// (the first of the lowest).
func newBootstrapSet(index int, reduced []*unitLosses, total float64) *bootstrapSet {
	b := &bootstrapSet{index: index, total: total, means: make([]float64, len(reduced))}
	for k, u := range reduced {
		b.models = append(b.models, u.model)
		b.units = append(b.units, u.units)
		b.means[k] = u.sum / total
		if b.means[k] < b.means[b.best] {
			b.best = k
		}
	}
	return b
}

// verdict turns the set's means and resampled differences into its
// Verdict: percentile intervals at o.Level, the others by increasing
// difference.
func (b *bootstrapSet) verdict(o VerdictOptions, batches int) *Verdict {
	v := &Verdict{Metric: o.Metric, Best: b.models[b.best], BestLoss: b.means[b.best], Level: o.Level, Resamples: o.Resamples, Customers: b.total, Batches: batches}
	lo, hi := (1-o.Level)/2, (1+o.Level)/2
	for k, model := range b.models {
		if k == b.best {
			continue
		}
		d := b.diffs[k]
		slices.Sort(d)
		c := VerdictComparison{Model: model, Difference: b.means[k] - b.means[b.best], Lower: quantileSorted(d, lo), Upper: quantileSorted(d, hi)}
		c.Indistinguishable = c.Lower <= 0 && c.Upper >= 0
		v.Others = append(v.Others, c)
	}
	sort.SliceStable(v.Others, func(a, c int) bool { return v.Others[a].Difference < v.Others[c].Difference })
	return v
}

// resampler holds what a bootstrap resamples: unit u enters a resample
// Poisson(lambda[u]) times, each time adding size[u] customers and the
// set's units[k][u] to model k's loss sum (lambda or size nil: 1 for
// every unit).
type resampler struct {
	lambda, size []float64
	n            int
}

// resampleChunkBytes bounds the draws buffered per chunk of resamples.
const resampleChunkBytes = 2 << 20

// resampleChunk is a run of consecutive resamples: their draws, one row
// of n counts each, and each one's customer count Σ c_u size_u.
type resampleChunk struct {
	first  int
	counts [][]float64
	total  []float64
}

// run draws o.Resamples non-empty resamples, in chunks by one goroutine,
// while every core scores the chunks drawn on every set; each set's diffs
// are filled in resample order. Once ctx is done no more chunks are
// drawn (the diffs left are zeros).
func (rs *resampler) run(ctx context.Context, sets []*bootstrapSet, o VerdictOptions) {
	for _, b := range sets {
		b.diffs = make([][]float64, len(b.units))
		for k := range b.diffs {
			if k != b.best {
				b.diffs[k] = make([]float64, o.Resamples)
			}
		}
	}
	per := max(1, min(o.Resamples, resampleChunkBytes/(8*rs.n)))
	workers := max(1, runtime.GOMAXPROCS(0))
	free, drawn := make(chan *resampleChunk, workers+1), make(chan *resampleChunk, workers+1)
	for range workers + 1 {
		c := &resampleChunk{counts: make([][]float64, per), total: make([]float64, per)}
		for r := range c.counts {
			c.counts[r] = make([]float64, rs.n)
		}
		free <- c
	}
	go func() {
		d := newPoissonDraws(o.Seed)
		for first := 0; first < o.Resamples && ctx.Err() == nil; first += per {
			c := <-free
			c.first = first
			for r := range min(per, o.Resamples-first) {
				for c.total[r] = 0; c.total[r] == 0; { // an empty resample (tiny totals only): draw again
					c.total[r] = d.fill(c.counts[r], rs.lambda, rs.size)
				}
			}
			drawn <- c
		}
		close(drawn)
	}()
	lanes := newLaneGroups(sets, rs.n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums := make([][laneWidth]float64, len(lanes.groups))
			for c := range drawn {
				for r := range min(per, o.Resamples-c.first) {
					for g, units := range lanes.groups {
						sums[g] = dotLanes(units, c.counts[r])
					}
					for s, b := range sets {
						best := lanes.sum(sums, s, b.best)
						for k, d := range b.diffs {
							if d != nil {
								d[c.first+r] = (lanes.sum(sums, s, k) - best) / c.total[r]
							}
						}
					}
				}
				free <- c
			}
		}()
	}
	wg.Wait()
}

// laneWidth is the number of loss sums accumulated in one pass over a
// resample's counts: enough independent additions to keep the adder
// busy, few enough to stay in registers.
const laneWidth = 6

// laneGroups lays out the units of every model of every set in groups of
// laneWidth interleaved series (unit u of lane l at u·laneWidth + l;
// unused lanes hold 0), so that one pass over the counts accumulates
// laneWidth sums.
type laneGroups struct {
	groups [][]float64
	first  []int // the lane of each set's first model
}

func newLaneGroups(sets []*bootstrapSet, n int) *laneGroups {
	lg := &laneGroups{}
	lane := 0
	for _, b := range sets {
		lg.first = append(lg.first, lane)
		for _, units := range b.units {
			g, l := lane/laneWidth, lane%laneWidth
			if l == 0 {
				lg.groups = append(lg.groups, make([]float64, laneWidth*n))
			}
			for u, v := range units {
				lg.groups[g][u*laneWidth+l] = v
			}
			lane++
		}
	}
	return lg
}

// sum returns the sum of set s's model k from the groups' sums.
func (lg *laneGroups) sum(sums [][laneWidth]float64, s, k int) float64 {
	lane := lg.first[s] + k
	return sums[lane/laneWidth][lane%laneWidth]
}

// dotLanes returns Σ_u c_u·units[u·laneWidth + l] for every lane l, each
// accumulated in unit order from 0 (the order of a plain loop, so the
// same bits).
func dotLanes(units, c []float64) [laneWidth]float64 {
	var s0, s1, s2, s3, s4, s5 float64
	units = units[:laneWidth*len(c)]
	for u, cu := range c {
		row := units[u*laneWidth : u*laneWidth+laneWidth : u*laneWidth+laneWidth]
		s0 += cu * row[0]
		s1 += cu * row[1]
		s2 += cu * row[2]
		s3 += cu * row[3]
		s4 += cu * row[4]
		s5 += cu * row[5]
	}
	return [laneWidth]float64{s0, s1, s2, s3, s4, s5}
}

// poissonDraws draws Poisson counts from one seeded stream: by inversion
// of a cumulative table, kept per mean, for means below 10 (the common
// weights 1, 2, …; one uniform each), by gonum's transformed rejection
// (Hörmann 1993) above.
type poissonDraws struct {
	src    *pcgStream
	tables map[float64]*poissonTable
	one    *poissonTable
}

func newPoissonDraws(seed int64) *poissonDraws {
	d := &poissonDraws{src: newPCGStream(uint64(seed), 0x76657264696374), tables: map[float64]*poissonTable{}} // "verdict"
	d.one = d.table(1).withRanges()
	return d
}

// pcgStream is math/rand/v2's PCG generator (PCG-DXSM: a 128-bit linear
// congruential state, Go's multiplier and increment, the "double
// xorshift multiply" output), the same stream rand.NewPCG(seed1, seed2)
// gives (TestPCGStream), written out so that a loop of draws keeps the
// state in registers.
type pcgStream struct{ hi, lo uint64 }

func newPCGStream(seed1, seed2 uint64) *pcgStream { return &pcgStream{seed1, seed2} }

// pcgStep advances the state and returns the next output.
func pcgStep(hi, lo uint64) (newHi, newLo, out uint64) {
	const (
		mulHi    = 2549297995355413924
		mulLo    = 4865540595714422341
		incHi    = 6364136223846793005
		incLo    = 1442695040888963407
		cheapMul = 0xda942042e4dd58b5
	)
	h, l := bits.Mul64(lo, mulLo)
	h += hi*mulLo + lo*mulHi
	l, c := bits.Add64(l, incLo, 0)
	h, _ = bits.Add64(h, incHi, c)
	out = h ^ h>>32
	out *= cheapMul
	out ^= out >> 48
	out *= l | 1
	return h, l, out
}

// Uint64 implements rand.Source.
func (p *pcgStream) Uint64() uint64 {
	var out uint64
	p.hi, p.lo, out = pcgStep(p.hi, p.lo)
	return out
}

// poissonTable is the cumulative distribution F(k), k = 0, 1, …, of a
// Poisson mean up to 1 − 1e−16, as the bounds a 53-bit uniform integer m
// is compared with: the uniform m/2⁵³ < F(k) exactly when m < ⌈F(k)·2⁵³⌉
// (a product by a power of two is exact). The count of m is the number
// of bounds ≤ m. For the mean 1, fast holds it for each of the 2¹²
// ranges of m sharing their top 12 bits, where no bound splits the range
// (all but at most one range per bound), and slowRange where one does.
type poissonTable struct {
	bound []uint64
	fast  *[1 << fastBits]uint8
}

const (
	fastBits  = 12
	slowRange = 255
)

func (d *poissonDraws) table(lambda float64) *poissonTable {
	if t, ok := d.tables[lambda]; ok {
		return t
	}
	term := math.Exp(-lambda)
	cdf := []float64{term}
	for k := 1.0; cdf[len(cdf)-1] < 1-1e-16 && term > 0; k++ {
		term *= lambda / k
		cdf = append(cdf, cdf[len(cdf)-1]+term)
	}
	t := &poissonTable{bound: make([]uint64, len(cdf))}
	for k, c := range cdf {
		t.bound[k] = uint64(math.Ceil(c * (1 << 53)))
	}
	d.tables[lambda] = t
	return t
}

// withRanges fills the table's ranges (see poissonTable).
func (t *poissonTable) withRanges() *poissonTable {
	const width = 1 << (53 - fastBits)
	t.fast = new([1 << fastBits]uint8)
	for r := range t.fast {
		first, last := t.invert(uint64(r)*width), t.invert(uint64(r+1)*width-1)
		t.fast[r] = slowRange
		if first == last && first < slowRange {
			t.fast[r] = uint8(first)
		}
	}
	return t
}

// invert returns the count of the 53-bit uniform m: the first k with
// m < bound[k], or the length of the table.
func (t *poissonTable) invert(m uint64) float64 {
	for k, b := range t.bound {
		if m < b {
			return float64(k)
		}
	}
	return float64(len(t.bound))
}

// fill draws one resample's counts into c, unit by unit, and returns its
// customer count Σ c_u size_u (accumulated in unit order).
func (d *poissonDraws) fill(c, lambda, size []float64) float64 {
	if lambda == nil {
		d.fillOnes(c)
	} else {
		for u, l := range lambda {
			c[u] = d.count(l)
		}
	}
	total := 0.0
	if size == nil {
		for _, cu := range c {
			total += cu
		}
		return total
	}
	for u, cu := range c {
		total += cu * size[u]
	}
	return total
}

// fillOnes draws Poisson(1) counts into c, by the table of ranges.
func (d *poissonDraws) fillOnes(c []float64) {
	fast := d.one.fast
	hi, lo := d.src.hi, d.src.lo
	for u := range c {
		var m uint64
		hi, lo, m = pcgStep(hi, lo)
		m = m << 11 >> 11
		if k := fast[m>>(53-fastBits)]; k != slowRange {
			c[u] = float64(k)
			continue
		}
		c[u] = d.one.invert(m)
	}
	d.src.hi, d.src.lo = hi, lo
}

// count draws one Poisson(lambda) count (0 for a mean of 0).
func (d *poissonDraws) count(lambda float64) float64 {
	switch {
	case !(lambda > 0):
		return 0
	case lambda >= 10:
		return distuv.Poisson{Lambda: lambda, Src: d.src}.Rand()
	case lambda == 1:
		return d.one.invert(d.src.Uint64() << 11 >> 11)
	}
	return d.table(lambda).invert(d.src.Uint64() << 11 >> 11)
}
