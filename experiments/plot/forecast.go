package plot

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// holdoutForecast returns, at each time t of ts after the calibration
// end, the cohort's expected holdout purchases Σ_i HoldoutPurchases(f, c_i,
// t), computed once per distinct input of the model's prediction and
// weighted by the customers that share it:
//
//   - a model that predicts from a few states (models.StateKeyed: the
//     retention heuristic's recency state, read from the activity bitmaps)
//     once per state, and once for the new customers (T = 0);
//   - a factored model, E[Y(t)] = P(alive) · A(t | x, T)
//     (models.AliveFactored), as Σ_{(x,T)} A(t | x, T) · Σ P(alive) over the
//     customers of that (x, T): A once per distinct (x, T) and time,
//     P(alive) taken from alive (the run's, one per customer) or, when alive
//     is unknown, computed once per distinct history;
//   - any other model weighted once per distinct history (x, t_x, T), with
//     the activity bitmap unless it is models.ActivityFree, and computed
//     once per distinct history, or, for a model that reads the recency
//     only through a class (models.RecencyClassed), once per distinct
//     (x, T, class) (see classedSums).
//
// The sums run in a fixed order; they equal the customer-by-customer sum up
// to rounding. The work is spread over the CPUs. It returns the error of
// the context of the tables' input once that has ended.
func holdoutForecast(f models.FittedPurchases, tables *historyTables, ts []float64, alive column) ([]float64, error) {
	af, factored := f.(models.AliveFactored)
	if sk, ok := f.(models.StateKeyed); ok && !factored {
		return stateForecast(tables.in, f, sk, ts)
	}
	if factored && alive.known() && alive.len() == len(tables.in.Customers) {
		return factoredForecastFromAlive(af, tables, alive, ts)
	}
	_, activityFree := f.(models.ActivityFree)
	ht, err := tables.table(!factored && !activityFree)
	if err != nil {
		return nil, err
	}
	if factored {
		return factoredForecast(tables.in, f, af, ht, ts)
	}
	hs := ht.hs
	// experiments.HoldoutPurchases of a model that is not factored (as
	// here): a new customer's (T = 0) unconditional expectation, anyone
	// else's conditional one; the model's type asked once, not per value.
	eval := func(g int, dst []float64) {
		c := hs[g].customer()
		for j, t := range ts {
			if c.T == 0 {
				dst[j] = f.ExpectedPurchases(t)
			} else {
				dst[j] = f.ConditionalExpectedPurchases(c, t)
			}
		}
	}
	if rc, ok := f.(models.RecencyClassed); ok {
		return classedSums(tables.in, rc, ht, ts, eval)
	}
	return weightedSums(tables.in, len(hs), ts, ht.count, eval, func(g int) history { return hs[g] })
}

// stateForecast is holdoutForecast for a model that predicts from a few
// states: the customers counted by state, each state's forecast computed
// once from its representative customer, new customers (T = 0) as
// HoldoutPurchases predicts them.
func stateForecast(in *Input, f models.FittedPurchases, sk models.StateKeyed, ts []float64) ([]float64, error) {
	states := sk.States()
	count := make([]float64, states+1) // the last: new customers
	for i := range in.Customers {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		c := &in.Customers[i]
		s := states
		if c.T != 0 {
			s = sk.StateOf(models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Activity: c.Activity})
		}
		count[s]++
	}
	out := make([]float64, len(ts))
	for s, n := range count {
		if n == 0 {
			continue
		}
		c := models.Customer{} // T = 0: a new customer
		if s < states {
			c = sk.StateCustomer(s)
		}
		for j, t := range ts {
			v := experiments.HoldoutPurchases(f, c, t)
			if !finite(v) {
				return nil, fmt.Errorf("the expected purchases %v over %g of the customers in state %d are not finite", v, t, s)
			}
			out[j] += n * v
		}
	}
	return out, nil
}

// factoredForecast is holdoutForecast for a model that factors as
// P(alive) · A(t | x, T): the customers' P(alive) summed per distinct
// (x, T), in the order of the histories, then Σ_{(x,T)} A(t | x, T) times
// that sum, in the order of first appearance.
func factoredForecast(in *Input, f models.FittedPurchases, af models.AliveFactored, ht *historyTable, ts []float64) ([]float64, error) {
	hs, count := ht.hs, ht.count
	ageOf := make([]int, len(hs))
	ages := newAgeIndex(len(hs) / 4)
	for g, h := range hs {
		ageOf[g] = ages.add(age{h.x, h.T}, g)
	}
	alive := make([]float64, len(hs))
	parallelRange(len(hs), func(g int) { alive[g] = f.ProbabilityAlive(hs[g].customer()) })
	weight := make([]float64, len(ages.list)) // Σ count · P(alive) per age
	for g, pa := range alive {
		if !finite(pa) {
			return nil, fmt.Errorf("P(alive) = %v of a customer with x = %g, t_x = %g, T = %g is not finite", pa, hs[g].x, hs[g].tx, hs[g].T)
		}
		weight[ageOf[g]] += count[g] * pa
	}
	return weightedCurves(in, af, ages.list, weight, ts, func(k int) history { return hs[ages.first[k]] })
}

// factoredForecastFromAlive is factoredForecast with every customer's
// P(alive) given (the run's): summed per distinct (x, T) in the customers'
// order.
func factoredForecastFromAlive(af models.AliveFactored, tables *historyTables, alive column, ts []float64) ([]float64, error) {
	in := tables.in
	cs := in.Customers
	ages, err := tables.ageTable()
	if err != nil {
		return nil, err
	}
	weight := make([]float64, len(ages.list))
	bad, badValue := -1, 0.0 // the first customer whose P(alive) is not finite
	if err := in.each(alive, func(lo int, v []float64) {
		for k, pa := range v {
			if !finite(pa) && bad < 0 {
				bad, badValue = lo+k, pa
			}
			weight[ages.of(lo+k)] += pa
		}
	}); err != nil {
		return nil, err
	}
	if bad >= 0 {
		return nil, fmt.Errorf("P(alive) = %v of customer %q is not finite", badValue, cs[bad].ID)
	}
	return weightedCurves(in, af, ages.list, weight, ts, func(k int) history {
		c := cs[ages.first[k]]
		return history{x: c.Frequency, tx: c.Recency, T: c.T}
	})
}

// weightedCurves returns Σ_k weight_k · A(t | x_k, T_k) at every t of ts,
// A once per age and time (spread over the CPUs), summed in the ages'
// order; example names a customer of an age for the error of a value that
// is not finite.
func weightedCurves(in *Input, af models.AliveFactored, list []age, weight, ts []float64, example func(k int) history) ([]float64, error) {
	return weightedSums(in, len(list), ts, weight, func(k int, dst []float64) {
		curve := af.AliveCurve(list[k].x, list[k].T)
		for j, t := range ts {
			dst[j] = curve(t)
		}
	}, example)
}

// classedSums is weightedSums of the histories ht, weighted by their
// counts, for a model that reads the recency only through a class (see
// holdoutForecast): eval is called once per distinct (x, T, class), on
// the first history that has it, and every history adds the values of
// its (x, T, class), which are its own bit for bit
// (models.RecencyClassed), in the histories' order: the sums are
// weightedSums', a million customers' 290,000 histories evaluated as
// 10,000.
func classedSums(in *Input, rc models.RecencyClassed, ht *historyTable, ts []float64, eval func(g int, dst []float64)) ([]float64, error) {
	hs, nt := ht.hs, len(ts)
	classes := rc.RecencyClasses()
	ages := newAgeIndex(len(hs) / 16)
	key := make([]int32, len(hs)) // age · classes + class, then the key's number
	for g, h := range hs {
		key[g] = int32(ages.add(age{h.x, h.T}, g)*classes + rc.RecencyClass(h.customer()))
	}
	num := make([]int32, len(ages.list)*classes)
	for k := range num {
		num[k] = -1
	}
	var first []int // the first history of each key, by number
	for g, k := range key {
		if num[k] < 0 {
			num[k] = int32(len(first))
			first = append(first, g)
		}
		key[g] = num[k]
	}
	vals := make([]float64, len(first)*nt)
	parallelRange(len(first), func(k int) { eval(first[k], vals[k*nt:(k+1)*nt]) })
	// Each key's values are looked at once, not once per history: a
	// history of a key with a value not finite is the error, the first in
	// the order of the sum.
	bad := make([]bool, len(first))
	for k := range first {
		for _, v := range vals[k*nt : (k+1)*nt] {
			bad[k] = bad[k] || !finite(v)
		}
	}
	out := make([]float64, nt)
	for g, k := range key {
		if err := in.stoppedAt(g); err != nil {
			return nil, err
		}
		kv := vals[int(k)*nt : int(k+1)*nt]
		if bad[k] {
			for j, v := range kv {
				if !finite(v) {
					return nil, hs[g].notFinite(v, ts[j])
				}
			}
		}
		for j, v := range kv {
			out[j] += ht.count[g] * v
		}
	}
	return out, nil
}

// sumsBlock is the number of items whose values weightedSums computes in
// one worker's buffer at a time.
const sumsBlock = 2048

// weightedSums returns Σ_g weight_g · v_g(t) at every t of ts, summed in
// the order of g = 0, 1, …, n−1, where eval(g, dst) writes v_g at every
// time into dst. The values are computed a block of items per CPU at a
// time into buffers that stay in cache, and each round's blocks are then
// added in order (a table of every item's values would be 40 MB for the
// 200,000 histories of a million customers). A value that is not finite
// is an error naming example(g), the first in the order of the sum. It
// returns the error of in's context, looked at every round, once that has
// ended.
func weightedSums(in *Input, n int, ts, weight []float64, eval func(g int, dst []float64), example func(g int) history) ([]float64, error) {
	nt := len(ts)
	workers := max(1, runtime.GOMAXPROCS(0))
	if n <= sumsBlock {
		workers = 1
	}
	bufs := make([][]float64, workers)
	for w := range bufs {
		bufs[w] = make([]float64, min(n, sumsBlock)*nt)
	}
	fill := func(w, lo int) {
		for g := lo; g < min(lo+sumsBlock, n); g++ {
			eval(g, bufs[w][(g-lo)*nt:(g-lo+1)*nt])
		}
	}
	out := make([]float64, nt)
	for round := 0; round < n; round += workers * sumsBlock {
		if err := in.stopped(); err != nil {
			return nil, err
		}
		if workers == 1 {
			fill(0, round)
		} else {
			var wg sync.WaitGroup
			for w := range workers {
				if lo := round + w*sumsBlock; lo < n {
					wg.Go(func() { fill(w, lo) })
				}
			}
			wg.Wait()
		}
		for w := range workers {
			lo := round + w*sumsBlock
			for g := lo; g < min(lo+sumsBlock, n); g++ {
				vals := bufs[w][(g-lo)*nt : (g-lo+1)*nt]
				for j, v := range vals {
					if !finite(v) {
						return nil, example(g).notFinite(v, ts[j])
					}
					out[j] += weight[g] * v
				}
			}
		}
	}
	return out, nil
}

// parallelRange calls f(i) for every i in [0, n), spread over the CPUs in
// contiguous blocks.
func parallelRange(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 256 || workers == 1 {
		for i := range n {
			f(i)
		}
		return
	}
	block := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += block {
		wg.Go(func() {
			for i := lo; i < min(lo+block, n); i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}
