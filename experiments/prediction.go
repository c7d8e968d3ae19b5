package experiments

import (
	"math"
	"sync"
)

// Prediction is one model's predictions for every customer of a window,
// stored pattern first (see predict.go): the purchase-model values once
// per row of a table of distinct histories, with one row index per
// customer that the models of a window predicting from the same patterns
// share; the expected spend per purchase once per customer, shared by all
// the models of the window; revenue, CLV and net CLV derived on demand by
// the same floating-point expressions a per-customer column would hold:
//
//	revenue(i) = purchases(i) · spend(i)
//	CLV(i)     = margin · spend(i) · discounted(i)
//	net CLV(i) = margin · spend(i) · discounted(i) − c_p · discounted(i) − c_t · alive time(i)
//
// and the value tier as one byte per customer. Read it through Value (one
// customer) or Column (every customer, materialized).
type Prediction struct {
	// rows maps customer i to its row of the row columns (nil: row i).
	rows []int32
	// purchases, alive, discounted and aliveTime are the holdout
	// purchases, P(alive), discounted expected purchases over the CLV
	// horizon and discounted expected time alive over it, by row.
	purchases, alive, discounted, aliveTime []float64
	// spend is every customer's expected spend per purchase (nil without
	// a spend model).
	spend  []float64
	margin float64
	// net holds the settings of net CLV and tiers the value tier of every
	// customer (nil without tiers; see tiers.go).
	net   NetCLVOptions
	tiers []Tier
	// Intervals are the prediction intervals of holdout purchases (nil
	// for a model without them; see intervals_metrics.go).
	Intervals *PredictionIntervals
	// store, when set, holds the columns Column hands out, shared with
	// the window's other consumers (see columnStore).
	store *columnStore
}

// A Quantity is one of the per-customer values of a Prediction.
type Quantity uint8

// The quantities of a Prediction.
const (
	// PredPurchases is the expected purchases over the holdout (or the
	// forecast horizon); PredPAlive the probability of being alive at the
	// calibration end.
	PredPurchases Quantity = iota
	PredPAlive
	// PredDiscounted is the discounted expected purchases over the CLV
	// horizon and PredAliveTime the discounted expected time alive over it.
	PredDiscounted
	PredAliveTime
	// PredSpend is the expected spend per purchase, PredRevenue the
	// expected holdout revenue and PredCLV the CLV (with a spend model).
	PredSpend
	PredRevenue
	PredCLV
	// PredNetCLV is the net CLV (with tiers).
	PredNetCLV
)

// PredictionColumns are per-customer prediction columns, from which
// NewPrediction builds a Prediction outside a run (tests, tools). A nil
// column of the first four is taken as zeros; Spend nil means no spend
// model (no revenue or CLV).
type PredictionColumns struct {
	Purchases, PAlive, Discounted, AliveTime []float64
	Spend                                    []float64
	Margin                                   float64
}

// NewPrediction returns the prediction of per-customer columns (every
// customer its own row).
func NewPrediction(c PredictionColumns) *Prediction {
	n := max(len(c.Purchases), len(c.PAlive), len(c.Discounted), len(c.AliveTime), len(c.Spend))
	orZeros := func(v []float64) []float64 {
		if v == nil {
			return make([]float64, n)
		}
		return v
	}
	return &Prediction{purchases: orZeros(c.Purchases), alive: orZeros(c.PAlive), discounted: orZeros(c.Discounted),
		aliveTime: orZeros(c.AliveTime), spend: c.Spend, margin: c.Margin}
}

// Len returns the number of customers.
func (p *Prediction) Len() int {
	if p.rows != nil {
		return len(p.rows)
	}
	return len(p.purchases)
}

// row returns customer i's row.
func (p *Prediction) row(i int) int {
	if p.rows != nil {
		return int(p.rows[i])
	}
	return i
}

// HasSpend reports whether the prediction has a spend model's values:
// spend, revenue and CLV.
func (p *Prediction) HasSpend() bool { return p.spend != nil }

// HasTiers reports whether the prediction has net CLV and value tiers.
func (p *Prediction) HasTiers() bool { return p.tiers != nil }

// Has reports whether the prediction holds the quantity.
func (p *Prediction) Has(q Quantity) bool {
	switch q {
	case PredSpend, PredRevenue, PredCLV:
		return p.HasSpend()
	case PredNetCLV:
		return p.HasTiers()
	}
	return q < PredSpend
}

// Purchases returns customer i's expected holdout purchases.
func (p *Prediction) Purchases(i int) float64 { return p.purchases[p.row(i)] }

// PAlive returns customer i's probability of being alive.
func (p *Prediction) PAlive(i int) float64 { return p.alive[p.row(i)] }

// Revenue returns customer i's expected holdout revenue (with a spend model).
func (p *Prediction) Revenue(i int) float64 { return p.purchases[p.row(i)] * p.spend[i] }

// CLV returns customer i's CLV (with a spend model).
func (p *Prediction) CLV(i int) float64 { return p.margin * p.spend[i] * p.discounted[p.row(i)] }

// NetCLV returns customer i's net CLV (with tiers; see NetCLV).
func (p *Prediction) NetCLV(i int) float64 {
	r := p.row(i)
	return netCLV(p.net, p.spend[i], p.discounted[r], p.aliveTime[r])
}

// Tier returns customer i's value tier (with tiers).
func (p *Prediction) Tier(i int) Tier { return p.tiers[i] }

// Value returns customer i's value of q.
func (p *Prediction) Value(q Quantity, i int) float64 {
	switch q {
	case PredPurchases:
		return p.Purchases(i)
	case PredPAlive:
		return p.PAlive(i)
	case PredDiscounted:
		return p.discounted[p.row(i)]
	case PredAliveTime:
		return p.aliveTime[p.row(i)]
	case PredSpend:
		return p.spend[i]
	case PredRevenue:
		return p.Revenue(i)
	case PredCLV:
		return p.CLV(i)
	case PredNetCLV:
		return p.NetCLV(i)
	}
	panic("experiments: unknown prediction quantity")
}

// Column returns every customer's value of q (filled by Values, block by
// block), which the caller must not modify: a prediction of a window whose
// columns are shared (windowResult.shareColumns) returns the window's
// column, materialized once for every consumer; any other a new slice.
func (p *Prediction) Column(q Quantity) []float64 {
	if p.store != nil {
		return p.store.keep(p, q)
	}
	return p.newColumn(q)
}

// newColumn returns every customer's value of q in a new slice.
func (p *Prediction) newColumn(q Quantity) []float64 {
	out := make([]float64, p.Len())
	parallelFor(len(out), func(lo, hi int) { p.Values(q, lo, out[lo:hi]) })
	return out
}

// byRow returns the values of q by row (nil for a quantity derived per
// customer).
func (p *Prediction) byRow(q Quantity) []float64 {
	switch q {
	case PredPurchases:
		return p.purchases
	case PredPAlive:
		return p.alive
	case PredDiscounted:
		return p.discounted
	case PredAliveTime:
		return p.aliveTime
	}
	return nil
}

// RowValues returns the values of q by row of the prediction's table of
// distinct histories and every customer's row: customer i's value is
// values[rows[i]] (rows nil: values[i]). A consumer that sums, counts or
// selects per row reads these instead of a per-customer column. ok is
// false for a quantity derived per customer (spend, revenue, CLV, net
// CLV). The slices are the prediction's own: not to be modified.
func (p *Prediction) RowValues(q Quantity) (values []float64, rows []int32, ok bool) {
	if values = p.byRow(q); values == nil {
		return nil, nil, false
	}
	return values, p.rows, true
}

// Tiers returns every customer's value tier (nil without tiers); the
// slice is the prediction's own.
func (p *Prediction) Tiers() []Tier { return p.tiers }

// firstInvalid returns the first customer with a value that is not a
// finite number ≥ 0 (purchases, P(alive), discounted purchases, alive
// time, then spend, revenue and CLV with a spend model) and that value;
// −1 when there is none.
func (p *Prediction) firstInvalid() (int, float64) {
	if p.allValid() {
		return -1, 0
	}
	qs := []Quantity{PredPurchases, PredPAlive, PredDiscounted, PredAliveTime}
	if p.HasSpend() {
		qs = append(qs, PredSpend, PredRevenue, PredCLV)
	}
	bad, value := -1, 0.0
	var mu sync.Mutex
	parallelFor(p.Len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for _, q := range qs {
				if v := p.Value(q, i); !validValue(v) {
					mu.Lock()
					if bad < 0 || i < bad {
						bad, value = i, v
					}
					mu.Unlock()
					return
				}
			}
		}
	})
	return bad, value
}

// allValid reports, without visiting every customer, that every value is
// a finite number ≥ 0: every row's values and every spend are, and so are
// the products of the largest factors, which no customer's revenue or CLV
// exceeds (rounding is monotone). False means "look customer by customer".
func (p *Prediction) allValid() bool {
	maxPurchases, okP := largestValid(p.purchases)
	maxDiscounted, okD := largestValid(p.discounted)
	_, okA := largestValid(p.alive)
	_, okT := largestValid(p.aliveTime)
	if !okP || !okD || !okA || !okT {
		return false
	}
	if p.spend == nil {
		return true
	}
	maxSpend, ok := largestValid(p.spend)
	return ok && p.margin >= 0 && validValue(maxPurchases*maxSpend) && validValue(p.margin*maxSpend*maxDiscounted)
}

// largestValid returns the largest value of a (0 when a is empty) and
// whether every value is a finite number ≥ 0 (validValue). Once the
// values are known not to be NaN, a comparison finds the largest: no call
// of max, which must look for NaN at every step.
func largestValid(a []float64) (largest float64, ok bool) {
	for _, v := range a {
		if !validValue(v) {
			return 0, false
		}
		if v > largest {
			largest = v
		}
	}
	return largest, true
}

// validValue reports whether v is a finite number ≥ 0.
func validValue(v float64) bool { return v >= 0 && !math.IsInf(v, 1) }

// Values sets dst[k] to customer lo+k's value of q (Value(q, lo+k)) for
// every k < len(dst), a column at a time: the same arithmetic as Value,
// bit for bit, without a call and a switch per customer.
func (p *Prediction) Values(q Quantity, lo int, dst []float64) {
	n := len(dst)
	rows := p.rowsOf(lo, n)
	switch q {
	case PredPurchases, PredPAlive, PredDiscounted, PredAliveTime:
		byRow := p.byRow(q)
		if rows == nil {
			copy(dst, byRow[lo:lo+n])
			return
		}
		for k, r := range rows {
			dst[k] = byRow[r]
		}
	case PredSpend:
		copy(dst, p.spend[lo:lo+n])
	case PredRevenue:
		if rows == nil {
			p.derive(q, dst, lo, [2][]float64{p.purchases[lo:]})
			return
		}
		spend := p.spend[lo : lo+n]
		for k, r := range rows {
			dst[k] = p.purchases[r] * spend[k]
		}
	case PredCLV:
		if rows == nil {
			p.derive(q, dst, lo, [2][]float64{p.discounted[lo:]})
			return
		}
		spend := p.spend[lo : lo+n]
		for k, r := range rows {
			dst[k] = p.margin * spend[k] * p.discounted[r]
		}
	case PredNetCLV:
		if rows == nil {
			p.derive(q, dst, lo, [2][]float64{p.discounted[lo:], p.aliveTime[lo:]})
			return
		}
		spend := p.spend[lo : lo+n]
		for k, r := range rows {
			dst[k] = netCLV(p.net, spend[k], p.discounted[r], p.aliveTime[r])
		}
	default:
		for k := range dst {
			dst[k] = p.Value(q, lo+k)
		}
	}
}

// derive sets dst[k] to customer first+k's revenue, CLV or net CLV (q)
// from the values of its row: in[0][k] is its purchases (revenue) or
// discounted purchases (CLV, net CLV) and in[1][k] its alive time (net
// CLV; nil: every alive time costless, see aliveTimeCostless). The one
// arithmetic of these quantities, for Values and the predictions files.
func (p *Prediction) derive(q Quantity, dst []float64, first int, in [2][]float64) {
	spend := p.spend[first : first+len(dst)]
	a := in[0][:len(dst)]
	switch q {
	case PredRevenue:
		for k, v := range a {
			dst[k] = v * spend[k]
		}
	case PredCLV:
		for k, d := range a {
			dst[k] = p.margin * spend[k] * d
		}
	case PredNetCLV:
		if in[1] == nil {
			for k, d := range a {
				dst[k] = netCLV(p.net, spend[k], d, 0)
			}
			return
		}
		aliveTime := in[1][:len(dst)]
		for k, d := range a {
			dst[k] = netCLV(p.net, spend[k], d, aliveTime[k])
		}
	default:
		panic("experiments: a quantity not derived from its row's values")
	}
}

// rowsOf returns the rows of customers lo … lo+n−1 (nil: customer i is
// row i).
func (p *Prediction) rowsOf(lo, n int) []int32 {
	if p.rows == nil {
		return nil
	}
	return p.rows[lo : lo+n]
}

// columnStore holds the per-customer columns of a window's predictions
// that consumers read whole (the Scorer ranks them, the value tiers
// select from them), each materialized at most once while it is in use,
// and recycles the slice of a column no one uses any more for the next
// one: memory the process has not touched yet costs a page fault per
// 4 KiB on first use, far more than writing it.
//
// A column is in use while it has users (acquire … release), while the
// window's scoring cache holds it (hold … unhold: the score stage's
// columns, see windowResult.column), for good once handed out without
// a release (keep), or while the score stage is expected to hold it and
// has not yet (expect … hold: a column another user made and released
// first, such as the gains chart's, is kept with its Scorer order for the
// score stage rather than made and ordered again). Only a column in none
// of these states is recycled, after forget (the Scorer's order of it) is
// told. It is safe for concurrent use.
type columnStore struct {
	mu   sync.Mutex
	cols map[storeKey]*storedColumn
	free [][]float64
	// expected are the columns the score stage will hold (see expect).
	expected map[storeKey]bool
	// ranks, when set, is told to forget its order of a column's slice
	// before the slice is recycled.
	ranks *Scorer
	// closed is set by close.
	closed bool
	// made counts the columns materialized, fresh the slices allocated.
	made, fresh int
}

// storeKey names a prediction's quantity.
type storeKey struct {
	p *Prediction
	q Quantity
}

// storedColumn is one column of a columnStore, materialized once.
type storedColumn struct {
	once  sync.Once
	v     []float64
	users int
	held  bool
	kept  bool
}

// buffer returns a slice of n values from the free list (its values are
// whatever they were), or a new one.
func (cs *columnStore) buffer(n int) []float64 {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for k, v := range cs.free {
		if cap(v) >= n {
			cs.free[k] = cs.free[len(cs.free)-1]
			cs.free = cs.free[:len(cs.free)-1]
			return v[:n]
		}
	}
	cs.fresh++
	return make([]float64, n)
}

// recycle hands a slice no one reads any more to the free list.
func (cs *columnStore) recycle(v []float64) {
	if cap(v) == 0 {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.free = append(cs.free, v)
}

// entry returns the column of (p, q), added when absent, after update
// (with the lock held), materialized.
func (cs *columnStore) entry(p *Prediction, q Quantity, update func(c *storedColumn)) []float64 {
	k := storeKey{p, q}
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return p.newColumn(q)
	}
	c := cs.cols[k]
	if c == nil {
		if cs.cols == nil {
			cs.cols = map[storeKey]*storedColumn{}
		}
		c = &storedColumn{}
		cs.cols[k] = c
	}
	update(c)
	cs.mu.Unlock()
	c.once.Do(func() {
		v := cs.buffer(p.Len())
		parallelFor(len(v), func(lo, hi int) { p.Values(q, lo, v[lo:hi]) })
		cs.mu.Lock()
		defer cs.mu.Unlock()
		cs.made++
		c.v = v
	})
	return c.v
}

// acquire returns every customer's q of p, materialized on first use,
// until the matching release.
func (cs *columnStore) acquire(p *Prediction, q Quantity) []float64 {
	return cs.entry(p, q, func(c *storedColumn) { c.users++ })
}

// release ends a use begun by acquire.
func (cs *columnStore) release(p *Prediction, q Quantity) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.cols[storeKey{p, q}]; c != nil && c.users > 0 {
		c.users--
		cs.dropIfUnused(storeKey{p, q}, c)
	}
}

// hold returns the column of (p, q) and holds it until unhold.
func (cs *columnStore) hold(p *Prediction, q Quantity) []float64 {
	return cs.entry(p, q, func(c *storedColumn) {
		c.held = true
		delete(cs.expected, storeKey{p, q})
	})
}

// expect tells the store that the score stage will hold the column of
// (p, q): until it does, the column is not recycled when its other users
// are done with it.
func (cs *columnStore) expect(p *Prediction, q Quantity) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return
	}
	if cs.expected == nil {
		cs.expected = map[storeKey]bool{}
	}
	cs.expected[storeKey{p, q}] = true
}

// unhold ends a hold (see hold).
func (cs *columnStore) unhold(p *Prediction, q Quantity) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	k := storeKey{p, q}
	if c := cs.cols[k]; c != nil && c.held {
		c.held = false
		if cs.ranks != nil && c.v != nil {
			cs.ranks.forget(c.v) // whoever ranks it again orders it again
		}
		cs.dropIfUnused(k, c)
	}
}

// keep returns the column of (p, q), never recycled: for a caller that
// does not say when it is done with it.
func (cs *columnStore) keep(p *Prediction, q Quantity) []float64 {
	return cs.entry(p, q, func(c *storedColumn) { c.kept = true })
}

// dropIfUnused removes a column no one uses and recycles its slice (with
// the lock held).
func (cs *columnStore) dropIfUnused(k storeKey, c *storedColumn) {
	if c.users > 0 || c.held || c.kept || cs.expected[k] {
		return
	}
	delete(cs.cols, k)
	if c.v == nil { // still being made (unheld meanwhile): left to the collector
		return
	}
	if cs.ranks != nil {
		cs.ranks.forget(c.v) // before another column reuses the slice
	}
	cs.free = append(cs.free, c.v)
}

// setScorer sets the Scorer whose orders of recycled columns are
// forgotten.
func (cs *columnStore) setScorer(sc *Scorer) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.ranks = sc
}

// close drops every column and the free list (to the collector); a
// column asked for afterwards is made for the caller alone.
func (cs *columnStore) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.cols, cs.free, cs.expected, cs.ranks, cs.closed = nil, nil, nil, nil, true
}
