package experiments

// The paired bootstrap as it was before the verdict was made cheap at
// 1M customers (one resample at a time, a closure call and a branchy
// table search per draw): the reference the new code must match bit for
// bit (verdict_speed_test.go).

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

func refPairedBootstrap(losses []ModelLosses, weights []float64, o VerdictOptions) (*Verdict, error) {
	o, err := o.checked()
	if err != nil {
		return nil, err
	}
	n, err := checkLosses(losses, weights)
	if err != nil {
		return nil, err
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	means := make([]float64, len(losses))
	total := 0.0
	for i := 0; i < n; i++ {
		total += w(i)
		for k, m := range losses {
			means[k] += w(i) * m.Losses[i]
		}
	}
	for k := range means {
		means[k] /= total
	}
	best := 0
	for k, m := range means {
		if m < means[best] {
			best = k
		}
	}
	units := refRowUnits(losses, w, n)
	batches := o.Batches
	if batches == 0 && n > VerdictBatchedRows {
		batches = DefaultVerdictBatches
	}
	if batches > 0 {
		units = refBatchUnits(losses, w, n, batches, o.Seed)
	}
	diffs := refBootstrapDifferences(units, best, o)
	v := &Verdict{Metric: o.Metric, Best: losses[best].Model, BestLoss: means[best], Level: o.Level, Resamples: o.Resamples, Customers: total, Batches: batches}
	lo, hi := (1-o.Level)/2, (1+o.Level)/2
	for k, m := range losses {
		if k == best {
			continue
		}
		d := diffs[k]
		slices.Sort(d)
		c := VerdictComparison{Model: m.Model, Difference: means[k] - means[best], Lower: quantileSorted(d, lo), Upper: quantileSorted(d, hi)}
		c.Indistinguishable = c.Lower <= 0 && c.Upper >= 0
		v.Others = append(v.Others, c)
	}
	sort.SliceStable(v.Others, func(a, b int) bool { return v.Others[a].Difference < v.Others[b].Difference })
	return v, nil
}

// refResampleUnits are what a bootstrap resamples: unit u enters a resample
// Poisson(lambda[u]) times, each time adding size[u] customers and
// losses[k][u] to model k's loss sum.
type refResampleUnits struct {
	lambda func(int) float64
	size   func(int) float64
	losses [][]float64
	n      int
}

// rowUnits resamples the rows: row i enters Poisson(w_i) times as one
// customer with its own loss.
func refRowUnits(losses []ModelLosses, w func(int) float64, n int) refResampleUnits {
	u := refResampleUnits{lambda: w, size: func(int) float64 { return 1 }, n: n}
	for _, m := range losses {
		u.losses = append(u.losses, m.Losses)
	}
	return u
}

// batchUnits puts every row in one of b random batches (seeded) and
// resamples the batches: each enters Poisson(1) times with its total weight
// W_b and its weighted loss sums S_bk.
func refBatchUnits(losses []ModelLosses, w func(int) float64, n, b int, seed int64) refResampleUnits {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6261746368)) // "batch"
	weight := make([]float64, b)
	sums := make([][]float64, len(losses))
	for k := range sums {
		sums[k] = make([]float64, b)
	}
	for i := 0; i < n; i++ {
		j, wi := rng.IntN(b), w(i)
		weight[j] += wi
		for k, m := range losses {
			sums[k][j] += wi * m.Losses[i]
		}
	}
	return refResampleUnits{lambda: func(int) float64 { return 1 }, size: func(j int) float64 { return weight[j] }, losses: sums, n: b}
}

// bootstrapDifferences returns, for every model but the best, the
// resampled differences of mean losses (model − best), one per resample.
func refBootstrapDifferences(u refResampleUnits, best int, o VerdictOptions) [][]float64 {
	src := rand.NewPCG(uint64(o.Seed), 0x76657264696374) // "verdict"
	draw := refPoissonSampler{rng: rand.New(src), src: src, tables: map[float64][]float64{}}
	models := len(u.losses)
	diffs := make([][]float64, models)
	for k := range diffs {
		if k != best {
			diffs[k] = make([]float64, 0, o.Resamples)
		}
	}
	sums := make([]float64, models)
	for len(diffs[(best+1)%models]) < o.Resamples {
		clear(sums)
		count := 0.0
		for i := 0; i < u.n; i++ {
			c := draw.count(u.lambda(i))
			if c == 0 {
				continue
			}
			count += c * u.size(i)
			for k, l := range u.losses {
				sums[k] += c * l[i]
			}
		}
		if count == 0 {
			continue // an empty resample (tiny totals only): draw again
		}
		for k := range models {
			if k != best {
				diffs[k] = append(diffs[k], (sums[k]-sums[best])/count)
			}
		}
	}
	return diffs
}

// refPoissonSampler draws Poisson counts: by inversion of a cumulative table
// kept per mean below 10 (the common weights 1, 2, …), by gonum's
// transformed rejection (Hörmann 1993) above.
type refPoissonSampler struct {
	rng     *rand.Rand
	src     rand.Source
	tables  map[float64][]float64
	last    float64   // the mean of the last table used
	lastCDF []float64 // and its table: rows mostly share one weight
}

func (p *refPoissonSampler) count(lambda float64) float64 {
	switch {
	case !(lambda > 0):
		return 0
	case lambda >= 10:
		return distuv.Poisson{Lambda: lambda, Src: p.src}.Rand()
	}
	cdf, ok := p.lastCDF, lambda == p.last && p.lastCDF != nil
	if !ok {
		cdf, ok = p.tables[lambda]
	}
	if !ok {
		term := math.Exp(-lambda)
		cdf = []float64{term}
		for k := 1.0; cdf[len(cdf)-1] < 1-1e-16 && term > 0; k++ {
			term *= lambda / k
			cdf = append(cdf, cdf[len(cdf)-1]+term)
		}
		p.tables[lambda] = cdf
	}
	p.last, p.lastCDF = lambda, cdf
	u := p.rng.Float64()
	for k, c := range cdf {
		if u < c {
			return float64(k)
		}
	}
	return float64(len(cdf))
}
