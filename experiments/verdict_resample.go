package experiments

import (
	"math"
	"math/rand/v2"
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
	losses []ModelLosses
	models []string
	means  []float64
	total  float64
	best   int
	// units holds each model's loss per resampled unit: the rows' losses,
	// or the batches' weighted loss sums.
	units [][]float64
	// diffs holds, for every model but the best, the resampled
	// differences of mean losses (model − best), one per resample.
	diffs [][]float64
}

// newBootstrapSet computes the weighted mean loss of each model, Σ w_i
// l_ik / Σ w_i with the sums in row order, and the best model (the first
// of the lowest).
func newBootstrapSet(index int, losses []ModelLosses, weights []float64) *bootstrapSet {
	b := &bootstrapSet{index: index, losses: losses, means: make([]float64, len(losses))}
	for _, w := range weightsOrOnes(weights, len(losses[0].Losses)) {
		b.total += w
	}
	for k, m := range losses {
		b.models = append(b.models, m.Model)
		sum := 0.0
		if weights == nil {
			for _, l := range m.Losses {
				sum += l
			}
		} else {
			for i, l := range m.Losses {
				if w := weights[i]; w != 0 { // a loss that is not finite may stand at weight 0
					sum += w * l
				}
			}
		}
		b.means[k] = sum / b.total
		if b.means[k] < b.means[b.best] {
			b.best = k
		}
	}
	return b
}

// weightsOrOnes returns weights, or n ones when it is nil.
func weightsOrOnes(weights []float64, n int) []float64 {
	if weights != nil {
		return weights
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	return ones
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

// rowResampler resamples the rows: row i enters Poisson(w_i) times as one
// customer with its own loss. A loss that is not finite may only stand
// where the weight is 0, where the row is never drawn: it counts as 0.
func rowResampler(sets []*bootstrapSet, weights []float64, n int) *resampler {
	for _, b := range sets {
		b.units = make([][]float64, len(b.losses))
		for k, m := range b.losses {
			b.units[k] = m.Losses
			for i, l := range m.Losses {
				if !verdictFinite(l) { // weights[i] is 0 (checkLosses)
					if &b.units[k][0] == &m.Losses[0] {
						b.units[k] = slices.Clone(m.Losses)
					}
					b.units[k][i] = 0
				}
			}
		}
	}
	return &resampler{lambda: weights, n: n}
}

// batchResampler puts every row in one of nb random batches (seeded) and
// resamples the batches: each enters Poisson(1) times with its total
// weight W_b and its weighted loss sums S_bk (rows of weight 0 left out).
func batchResampler(sets []*bootstrapSet, weights []float64, n, nb int, seed int64) *resampler {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6261746368)) // "batch"
	of := make([]int32, n)
	size := make([]float64, nb)
	for i := range of {
		j := rng.IntN(nb)
		of[i] = int32(j)
		if weights == nil {
			size[j]++
		} else {
			size[j] += weights[i]
		}
	}
	for _, b := range sets {
		b.units = make([][]float64, len(b.losses))
		for k, m := range b.losses {
			sums := make([]float64, nb)
			if weights == nil {
				for i, l := range m.Losses {
					sums[of[i]] += l
				}
			} else {
				for i, l := range m.Losses {
					if w := weights[i]; w != 0 {
						sums[of[i]] += w * l
					}
				}
			}
			b.units[k] = sums
		}
	}
	return &resampler{size: size, n: nb}
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
// are filled in resample order.
func (rs *resampler) run(sets []*bootstrapSet, o VerdictOptions) {
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
		for first := 0; first < o.Resamples; first += per {
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
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums := make([]float64, 0, 8)
			for c := range drawn {
				for r := range min(per, o.Resamples-c.first) {
					for _, b := range sets {
						sums = dotSums(sums[:0], b.units, c.counts[r])
						for k, d := range b.diffs {
							if d != nil {
								d[c.first+r] = (sums[k] - sums[b.best]) / c.total[r]
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

// dotSums appends Σ_u c_u·units[k][u] for every k to sums, each
// accumulated in unit order, four models per pass over the counts.
func dotSums(sums []float64, units [][]float64, c []float64) []float64 {
	k := 0
	for ; k+4 <= len(units); k += 4 {
		a, b, d, e := units[k][:len(c)], units[k+1][:len(c)], units[k+2][:len(c)], units[k+3][:len(c)]
		var s0, s1, s2, s3 float64
		for u, cu := range c {
			s0 += cu * a[u]
			s1 += cu * b[u]
			s2 += cu * d[u]
			s3 += cu * e[u]
		}
		sums = append(sums, s0, s1, s2, s3)
	}
	for ; k < len(units); k++ {
		a := units[k][:len(c)]
		var s float64
		for u, cu := range c {
			s += cu * a[u]
		}
		sums = append(sums, s)
	}
	return sums
}

// poissonDraws draws Poisson counts from one seeded stream: by inversion
// of a cumulative table, kept per mean, for means below 10 (the common
// weights 1, 2, …; one uniform each), by gonum's transformed rejection
// (Hörmann 1993) above.
type poissonDraws struct {
	src    *rand.PCG
	tables map[float64]*poissonTable
	one    *poissonTable
}

func newPoissonDraws(seed int64) *poissonDraws {
	d := &poissonDraws{src: rand.NewPCG(uint64(seed), 0x76657264696374), tables: map[float64]*poissonTable{}} // "verdict"
	d.one = d.table(1)
	return d
}

// poissonTable is the cumulative distribution F(k), k = 0, 1, …, of a
// Poisson mean up to 1 − 1e−16, as the bounds a 53-bit uniform integer m
// is compared with: the uniform m/2⁵³ < F(k) exactly when m < ⌈F(k)·2⁵³⌉
// (a product by a power of two is exact).
type poissonTable struct {
	bound []uint64
}

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

// invert returns the count of the 53-bit uniform m: the first k with
// m < bound[k], or the length of the table.
func (t *poissonTable) invert(m uint64, from int) float64 {
	for k := from; k < len(t.bound); k++ {
		if m < t.bound[k] {
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

// fillOnes draws Poisson(1) counts into c: the first three bounds are
// compared without branches (a count of 0 to 3 covers 98% of draws).
func (d *poissonDraws) fillOnes(c []float64) {
	t := d.one
	b0, b1, b2 := t.bound[0]-1, t.bound[1]-1, t.bound[2]-1
	for u := range c {
		m := d.src.Uint64() << 11 >> 11
		// (b − m) >> 63 is 1 exactly when m > b, m and b being below 2⁵³.
		k := int((b0-m)>>63 + (b1-m)>>63 + (b2-m)>>63)
		if k == 3 {
			c[u] = t.invert(m, 3)
			continue
		}
		c[u] = float64(k)
	}
}

// count draws one Poisson(lambda) count (0 for a mean of 0).
func (d *poissonDraws) count(lambda float64) float64 {
	switch {
	case !(lambda > 0):
		return 0
	case lambda >= 10:
		return distuv.Poisson{Lambda: lambda, Src: d.src}.Rand()
	case lambda == 1:
		return d.one.invert(d.src.Uint64()<<11>>11, 0)
	}
	return d.table(lambda).invert(d.src.Uint64()<<11>>11, 0)
}
