package experiments

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// The one pass over a model's per-row losses that a paired bootstrap
// needs before it resamples: the weighted loss sum (the mean's
// numerator) and the losses of the resampled units (the rows themselves,
// or the random batches' sums). A run's verdict computes the losses from
// the predictions and actuals a block at a time inside that pass, so the
// losses of a million customers are never held, and a model's losses are
// read once instead of four times (losses, checks, means, batch sums).
// Every sum is taken in row order, as a plain loop over the rows would,
// so the verdict is the same to the bit.

// lossBlockRows is the number of rows whose losses a computed lossSource
// holds at a time (16 KiB: in the first-level cache).
const lossBlockRows = 2048

// lossSource is one model's per-row losses: given, or computed from its
// predictions and the actuals under a verdict metric (CustomerLoss).
type lossSource struct {
	model  string
	losses []float64 // given
	// computed: the losses are CustomerLoss(metric, predicted[i],
	// actual[i]), one per actual.
	computed          bool
	metric            string
	predicted, actual []float64
	// values, when set, writes the predictions of rows [lo, lo+len(dst))
	// in place of predicted (a Prediction's Values: no column is made),
	// into valueBuf, a buffer of lossBlockRows made on first use.
	values   func(lo int, dst []float64)
	valueBuf []float64
}

func (s *lossSource) rows() int {
	if s.computed {
		return len(s.actual)
	}
	return len(s.losses)
}

// block returns the losses of rows [lo, hi), computed into buf (of length
// hi − lo) when they are not given.
func (s *lossSource) block(lo, hi int, buf []float64) []float64 {
	if !s.computed {
		return s.losses[lo:hi]
	}
	if s.values == nil {
		customerLossesInto(s.metric, s.predicted[lo:hi], s.actual[lo:hi], buf)
		return buf
	}
	if s.valueBuf == nil {
		s.valueBuf = make([]float64, lossBlockRows)
	}
	predicted := s.valueBuf[:hi-lo]
	s.values(lo, predicted)
	customerLossesInto(s.metric, predicted, s.actual[lo:hi], buf)
	return buf
}

// customerLossesInto writes CustomerLoss(metric, predicted[i], actual[i])
// into out[i]. A loss that comes out finite had finite inputs (a
// difference of finite numbers, or their logarithms, is all it is made
// of), so only the others are recomputed by CustomerLoss for its NaN
// rules.
func customerLossesInto(metric string, predicted, actual, out []float64) {
	predicted = predicted[:len(actual)]
	out = out[:len(actual)]
	switch metric {
	case VerdictSquaredError:
		for i, a := range actual {
			out[i] = (predicted[i] - a) * (predicted[i] - a)
		}
	case VerdictAbsoluteError:
		for i, a := range actual {
			out[i] = math.Abs(predicted[i] - a)
		}
	default:
		for i, a := range actual {
			out[i] = CustomerLoss(metric, predicted[i], a)
		}
		return
	}
	for i, l := range out {
		if !verdictFinite(l) {
			out[i] = CustomerLoss(metric, predicted[i], actual[i])
		}
	}
}

// unitLosses is one model's losses reduced by one pass over its rows: sum
// is Σ w_i l_i over the rows of weight w_i ≠ 0 (every row when the
// weights are nil, w_i = 1), accumulated in row order; units are the
// losses of the resampled units: the rows' own (a loss that is not finite
// at weight 0 counting 0), or each random batch's Σ w_i l_i in row order.
type unitLosses struct {
	model string
	rows  int
	sum   float64
	units []float64
	// nan is the first row whose loss is NaN, bad the first row of
	// positive weight whose loss is not finite, of loss badLoss (−1:
	// none). A computed source's pass stops at its first NaN.
	nan, bad int
	badLoss  float64
	// ownUnits is false while units are the given losses themselves.
	ownUnits bool
}

// bootstrapPlan is what the reductions of every set of a bootstrap
// share: the options, the weights and the random batches of rows, and
// the context whose end stops the reductions and the resampling.
type bootstrapPlan struct {
	ctx     context.Context
	o       VerdictOptions
	weights []float64
	mu      sync.Mutex
	batched map[int]*rowBatches // by row count
}

// rowBatches puts each row in one of the random batches (of[i]) and holds
// each batch's total weight (size).
type rowBatches struct {
	of   []int32
	size []float64
}

func newBootstrapPlan(ctx context.Context, o VerdictOptions, weights []float64) *bootstrapPlan {
	return &bootstrapPlan{ctx: ctx, o: o, weights: weights, batched: map[int]*rowBatches{}}
}

// batchCount is the number of random batches resampled for n rows: the
// options', or DefaultVerdictBatches above VerdictBatchedRows rows, or 0
// (the rows are resampled).
func (pl *bootstrapPlan) batchCount(n int) int {
	if pl.o.Batches == 0 && n > VerdictBatchedRows {
		return DefaultVerdictBatches
	}
	return max(pl.o.Batches, 0)
}

// rowBatches returns the random batches of n rows (seeded; made once):
// each row in one of batchCount(n) batches, each batch's size the sum of
// its rows' weights in row order.
func (pl *bootstrapPlan) rowBatches(n int) *rowBatches {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if rb := pl.batched[n]; rb != nil {
		return rb
	}
	nb := pl.batchCount(n)
	rng := rand.New(rand.NewPCG(uint64(pl.o.Seed), 0x6261746368)) // "batch"
	rb := &rowBatches{of: make([]int32, n), size: make([]float64, nb)}
	for i := range rb.of {
		j := rng.IntN(nb)
		rb.of[i] = int32(j)
		if pl.weights == nil {
			rb.size[j]++
		} else {
			rb.size[j] += pl.weights[i]
		}
	}
	pl.batched[n] = rb
	return rb
}

// total returns the total weight of n rows, Σ w_i in row order (n when
// the weights are nil: a sum of ones is exact).
func (pl *bootstrapPlan) total(n int) float64 {
	if pl.weights == nil {
		return float64(n)
	}
	total := 0.0
	for _, w := range pl.weights[:n] {
		total += w
	}
	return total
}

// reduce passes once over a source's rows (whose count must match the
// weights'); it stops early once the plan's context is done.
func (pl *bootstrapPlan) reduce(src *lossSource) *unitLosses {
	n := src.rows()
	u := &unitLosses{model: src.model, rows: n, nan: -1, bad: -1}
	var of []int32
	switch nb := pl.batchCount(n); {
	case nb > 0:
		of, u.units, u.ownUnits = pl.rowBatches(n).of, make([]float64, nb), true
	case src.computed:
		u.units, u.ownUnits = make([]float64, n), true
	default:
		u.units = src.losses
	}
	var buf []float64
	if src.computed && of != nil {
		buf = make([]float64, lossBlockRows)
	}
	for lo := 0; lo < n && !(src.computed && u.nan >= 0); lo += lossBlockRows {
		if lo%cancelBlock == 0 && pl.ctx.Err() != nil {
			break // the plan's bootstrap gives the error
		}
		hi := min(n, lo+lossBlockRows)
		var b []float64
		switch {
		case !src.computed:
			b = src.block(lo, hi, nil)
		case of == nil:
			b = src.block(lo, hi, u.units[lo:hi])
		default:
			b = src.block(lo, hi, buf[:hi-lo])
		}
		var blockOf []int32
		if of != nil {
			blockOf = of[lo:hi]
		}
		if pl.weights == nil {
			u.addBlock(b, blockOf)
		} else {
			u.addWeightedBlock(b, pl.weights[lo:hi], blockOf)
		}
		if !verdictFinite(u.sum) || pl.weights != nil {
			u.checkBlock(b, lo, pl.weights, src.computed, of == nil && !src.computed)
		}
	}
	return u
}

// addBlock adds a block of rows of weight 1 to the sum and, with batches
// (of), to the batches' sums.
func (u *unitLosses) addBlock(b []float64, of []int32) {
	sum := u.sum
	if of == nil {
		for _, l := range b {
			sum += l
		}
	} else {
		units := u.units
		of = of[:len(b)]
		for j, l := range b {
			sum += l
			units[of[j]] += l
		}
	}
	u.sum = sum
}

// addWeightedBlock adds a block of weighted rows, those of weight 0 left
// out (a loss that is not finite may stand there).
func (u *unitLosses) addWeightedBlock(b, w []float64, of []int32) {
	for j, l := range b {
		if w[j] == 0 {
			continue
		}
		u.sum += w[j] * l
		if of != nil {
			u.units[of[j]] += w[j] * l
		}
	}
}

// checkBlock records the block's first NaN and first loss that is not
// finite at a positive weight, and, where the units are the given rows'
// losses, makes those at weight 0 count 0 (in a copy). It is called for
// a block whose sum is not finite, or with weights: a loss that is not
// finite spoils the sum for good, so no such loss goes unseen.
func (u *unitLosses) checkBlock(b []float64, lo int, weights []float64, stopAtNaN, rowUnits bool) {
	for j, l := range b {
		if verdictFinite(l) {
			continue
		}
		i := lo + j
		if math.IsNaN(l) && u.nan < 0 {
			u.nan = i
		}
		if weights == nil || weights[i] > 0 {
			if u.bad < 0 {
				u.bad, u.badLoss = i, l
			}
		} else if rowUnits {
			if !u.ownUnits {
				u.units, u.ownUnits = slices.Clone(u.units), true
			}
			u.units[i] = 0
		}
		if stopAtNaN && u.nan >= 0 {
			return
		}
	}
}
