package experiments

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Pattern-first prediction.
//
// Every purchase-model quantity a run needs (the conditional expected
// purchases over a duration, P(alive), the discounted expected purchases
// of CLV and the discounted expected time alive) depends on a customer
// through (x, t_x, T) and the duration only. So each is computed once per
// distinct history of the pattern table (datasets.Patterns) and handed to
// every customer that shares it. Models that factor their conditional
// expectation as P(alive) · A(t | x, T) (models.AliveFactored: the BG/NBD,
// MBG/NBD and Pareto/NBD) go further: the expensive A and its discounted
// integral are computed once per distinct (x, T), P(alive) once per
// history, and of P(alive) itself the terms in (x, T) once per distinct
// (x, T) (models.AliveTabulator: the Pareto/NBD's hypergeometric integral
// in T, the BG/NBD's dropout term). The distinct (x, T) are indexed once
// per pattern table (ageIndex, predict_ages.go): a million simulated
// customers have about 290,000 distinct histories but 5,000 distinct
// (x, T). Spend-model values are closed-form and computed per customer.
//
// Customers observed for no time (T = 0: their first purchase fell on the
// calibration end) are predicted as new customers by every model: the
// factored models do so themselves (A(t | 0, 0) times P(alive) at the
// first purchase is E[X(t)]); for the others the unconditional E[X(t)] and
// its discounted integral are used, with P(alive) the model's value at
// T = 0 where it is a probability, and 1 otherwise.
//
// Models that do not factor are evaluated per distinct history when the
// summary has no activity bitmaps or the model does not read them
// (models.ActivityFree), once per distinct (x, T, recency class) when
// they read the recency only through a class (models.RecencyClassed: the
// simple average ignores it, the hiatus heuristic tells active from
// inactive), once per state for the retention heuristic (statekeyed.go),
// and per customer otherwise; their predictions are closed-form or a
// quadrature of a closed-form curve.
//
// The discounted expected time alive over the horizon,
// D(c) = ∫₀^H e^{−δt} P(alive at T+t | c) dt, prices the cost of keeping a
// customer (see NetCLV). For the Pareto/NBD it is exact: given alive at T,
// the rate λ ~ Gamma(r+x, α+T) and the lifetime are independent, so
// DERT = E[λ | alive] · D and D = DERT · (α+T)/(r+x). The same identity is
// used for the BG/NBD and MBG/NBD, where it is an approximation from below
// (a customer who buys more often has more chances to drop out, so the
// rate and the time alive are negatively correlated and DERT/E[λ] is at most
// D). The heuristics have no dropout process after T: D = P(alive) ·
// ∫₀^H e^{−δt} dt.

// predictInput is what predicting a window needs: the customers, their
// pattern table and the CLV options.
type predictInput struct {
	summary  *datasets.Summary
	patterns *datasets.Patterns
	clv      models.CLVOptions
	// spend, when set, is the spend model's expected spend per purchase of
	// every customer of summary, shared by the models (see spendColumn);
	// nil: predictModel computes it.
	spend []float64
	// table, when set, is the row table of summary and patterns, shared by
	// the models (see newRowTable); nil: predictPurchases makes it.
	table *rowTable
	// ungrouped evaluates every pattern on its own, as before the (x, T)
	// groups of models.RecencyClassed and models.AliveTabulator: the
	// reference that tests and benchmarks compare the grouped path with.
	ungrouped bool
}

// rowTable is the table of rows a window's pattern-first values are
// computed on: every distinct history of the pattern table for every
// distinct holdout length, row pattern + class · patterns. Its row index
// is the pattern table's own (datasets.Patterns.Of) when every customer
// has the same holdout length, so the models of a window share one.
type rowTable struct {
	durations []float64 // the distinct holdout lengths (nil: no table)
	rows      []int32   // customer → row (nil: no table)
	// classes are the distinct holdout lengths and class each customer's
	// among them (see durationClasses), made once for the models that
	// key their values by state (statekeyed.go); nil when too many.
	classes []float64
	class   []uint8
	// ages groups the patterns by (x, T), made on first use (agesOf).
	agesOnce sync.Once
	ages     *ageIndex
}

// agesOf returns the (x, T) groups of the table's patterns pt, made once.
func (t *rowTable) agesOf(pt *datasets.Patterns) *ageIndex {
	t.agesOnce.Do(func() { t.ages = newAgeIndex(pt) })
	return t.ages
}

// newRowTable returns the row table of a summary's customers, without
// rows (every customer then evaluated on its own) when there is no
// pattern table or too many holdout lengths.
func newRowTable(s *datasets.Summary, pt *datasets.Patterns) *rowTable {
	durations, class := durationClasses(s)
	t := &rowTable{classes: durations, class: class}
	switch {
	case pt == nil || durations == nil || int64(len(durations))*int64(pt.Len()) > math.MaxInt32:
		return t
	case len(durations) == 1:
		t.durations, t.rows = durations, pt.Of
		return t
	}
	rows := make([]int32, len(class))
	P := int32(pt.Len())
	for i, k := range class {
		rows[i] = int32(k)*P + pt.Of[i]
	}
	t.durations, t.rows = durations, rows
	return t
}

// spendColumn returns the spend model's expected spend per purchase of
// every customer, closed-form per customer. It depends on the summary
// only, so one column serves every purchase model of a window.
func spendColumn(s *datasets.Summary, spend models.FittedSpend) []float64 {
	out := make([]float64, len(s.Customers))
	parallelFor(len(out), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			cs := &s.Customers[i]
			out[i] = spend.ExpectedSpend(models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Monetary: cs.Monetary})
		}
	})
	return out
}

// durationClasses returns the distinct holdout durations of the customers
// and, per customer, the index of its own, or nil classes when there are
// too many to tabulate (every customer is then evaluated on its own).
func durationClasses(s *datasets.Summary) (values []float64, class []uint8) {
	const maxClasses = 16
	class = make([]uint8, len(s.Customers))
	for i, c := range s.Customers {
		k := -1
		for j, v := range values {
			if v == c.DurationHoldout {
				k = j
				break
			}
		}
		if k < 0 {
			if len(values) == maxClasses {
				return nil, nil
			}
			k = len(values)
			values = append(values, c.DurationHoldout)
		}
		class[i] = uint8(k)
	}
	return values, class
}

// discountedUnit returns ∫₀^H e^{−δt} dt with δ = ln(1+d).
func discountedUnit(o models.CLVOptions) float64 {
	delta := math.Log1p(o.DiscountRate)
	if delta == 0 {
		return o.Horizon
	}
	return -math.Expm1(-delta*o.Horizon) / delta
}

// curveModel presents a curve t ↦ E(t) as a purchase model, so that
// models.DiscountedExpectedPurchases discounts it.
type curveModel struct{ curve func(float64) float64 }

func (m curveModel) Result() *models.FitResult           { return nil }
func (m curveModel) ExpectedPurchases(t float64) float64 { return m.curve(t) }
func (m curveModel) ConditionalExpectedPurchases(_ models.Customer, t float64) float64 {
	return m.curve(t)
}
func (m curveModel) ProbabilityAlive(models.Customer) float64 { return 1 }
func (m curveModel) ConditionalCurve(models.Customer) func(float64) float64 {
	return m.curve
}

// discountCurve returns ∫₀^H e^{−δt} dE(t), as models.DiscountedExpectedPurchases
// evaluates it.
func discountCurve(curve func(float64) float64, o models.CLVOptions) float64 {
	return models.DiscountedExpectedPurchases(curveModel{curve}, models.Customer{}, o)
}

// customerValues are one customer's purchase-model predictions.
type customerValues struct {
	purchases, alive, discounted, aliveTime float64
}

// newCustomerValues predicts a customer observed for no time (T = 0) over
// a duration: as a new customer.
func newCustomerValues(f models.FittedPurchases, duration float64, o models.CLVOptions) customerValues {
	v := customerValues{
		purchases:  f.ExpectedPurchases(duration),
		alive:      f.ProbabilityAlive(models.Customer{}),
		discounted: discountCurve(f.ExpectedPurchases, o),
	}
	if !(v.alive >= 0 && v.alive <= 1) {
		v.alive = 1
	}
	v.aliveTime = aliveTime(f, 0, 0, v.alive, v.discounted, o)
	return v
}

// aliveTime returns the discounted expected time alive of a customer with
// x repeat purchases and age T (see the package notes above).
func aliveTime(f models.FittedPurchases, x, T, alive, discounted float64, o models.CLVOptions) float64 {
	if af, ok := f.(models.AliveFactored); ok {
		if rate := af.AliveRate(x, T); rate > 0 {
			return discounted / rate
		}
	}
	return alive * discountedUnit(o)
}

// customerPrediction computes one customer's values directly, without the
// pattern table: the reference the pattern-first path must agree with,
// and the path of models that read activity bitmaps.
func customerPrediction(f models.FittedPurchases, c models.Customer, duration float64, o models.CLVOptions) customerValues {
	if _, factored := f.(models.AliveFactored); c.T == 0 && !factored {
		return newCustomerValues(f, duration, o)
	}
	v := customerValues{
		purchases:  f.ConditionalExpectedPurchases(c, duration),
		alive:      f.ProbabilityAlive(c),
		discounted: models.DiscountedExpectedPurchases(f, c, o),
	}
	v.aliveTime = aliveTime(f, c.Frequency, c.T, v.alive, v.discounted, o)
	return v
}

// purchaseColumns holds a model's purchase predictions by row: customer
// i's are row rows[i] (row i when rows is nil).
type purchaseColumns struct {
	rows                                    []int32
	purchases, alive, discounted, aliveTime []float64
}

// newPurchaseColumns returns the columns of n rows.
func newPurchaseColumns(n int) *purchaseColumns {
	return &purchaseColumns{
		purchases: make([]float64, n), alive: make([]float64, n),
		discounted: make([]float64, n), aliveTime: make([]float64, n),
	}
}

func (p *purchaseColumns) set(r int, v customerValues) {
	p.purchases[r], p.alive[r], p.discounted[r], p.aliveTime[r] = v.purchases, v.alive, v.discounted, v.aliveTime
}

// copyRow sets pattern j's values to pattern j0's, for each of the
// classes of durations (rows j + k · P).
func (p *purchaseColumns) copyRow(j, j0, P, classes int) {
	for k := range classes {
		r, r0 := k*P+j, k*P+j0
		p.purchases[r], p.alive[r], p.discounted[r], p.aliveTime[r] = p.purchases[r0], p.alive[r0], p.discounted[r0], p.aliveTime[r0]
	}
}

// predictPurchases returns f's purchase predictions for every customer of
// in, pattern first (see the notes at the top of this file): by row of the
// window's row table, or by customer for a model that reads the activity
// bitmaps or without a table.
func predictPurchases(ctx context.Context, f models.FittedPurchases, in predictInput) *purchaseColumns {
	s := in.summary
	table := in.table
	if table == nil {
		table = newRowTable(s, in.patterns)
	}
	af, factored := f.(models.AliveFactored)
	_, activityFree := f.(models.ActivityFree)
	if sk, ok := f.(models.StateKeyed); ok && !factored {
		if table.classes != nil {
			return statePurchases(ctx, f, sk, s, table.classes, table.class, in.clv) // statekeyed.go
		}
	}
	if !factored && !activityFree && s.ActivityPeriods > 0 || table.rows == nil {
		out := newPurchaseColumns(len(s.Customers))
		parallelFor(len(s.Customers), func(lo, hi int) {
			for i := lo; i < hi && ctx.Err() == nil; i++ {
				cs := &s.Customers[i]
				c := models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Monetary: cs.Monetary, Activity: cs.Activity}
				out.set(i, customerPrediction(f, c, cs.DurationHoldout, in.clv))
			}
		})
		return out
	}
	out := newPurchaseColumns(len(table.durations) * in.patterns.Len())
	out.rows = table.rows
	ages := table.agesOf(in.patterns)
	if factored {
		factoredPatternValues(ctx, f, af, in, ages, table.durations, out)
	} else {
		patternValues(ctx, f, in, ages, table.durations, out)
	}
	return out
}

// patternValues sets every pattern's values for each duration (row
// pattern + class · patterns), one pattern at a time, or, for a model
// whose values read the recency only through a class
// (models.RecencyClassed), once per distinct (x, T, class) of each block
// of patterns, copied to the block's other patterns of the same key.
func patternValues(ctx context.Context, f models.FittedPurchases, in predictInput, ages *ageIndex, durations []float64, out *purchaseColumns) {
	pt, o := in.patterns, in.clv
	P := pt.Len()
	rc, classed := f.(models.RecencyClassed)
	classed = classed && !in.ungrouped
	parallelFor(P, func(lo, hi int) {
		var first []int32 // by group · classes + class: the block's first pattern, or −1
		classes := 0
		if classed {
			classes = rc.RecencyClasses()
			first = make([]int32, ages.len()*classes)
			for i := range first {
				first[i] = -1
			}
		}
		for j := lo; j < hi && ctx.Err() == nil; j++ {
			c := models.Customer{Frequency: pt.Frequency[j], Recency: pt.Recency[j], T: pt.T[j]}
			if classed {
				if k := rc.RecencyClass(c); k >= 0 && k < classes {
					slot := int(ages.of[j])*classes + k
					if j0 := first[slot]; j0 >= 0 {
						out.copyRow(j, int(j0), P, len(durations))
						continue
					}
					first[slot] = int32(j)
				}
			}
			patternValue(f, c, j, P, durations, o, out)
		}
	})
}

// patternValue sets pattern j's values for each duration (row j + class ·
// P).
func patternValue(f models.FittedPurchases, c models.Customer, j, P int, durations []float64, o models.CLVOptions, out *purchaseColumns) {
	first := customerPrediction(f, c, durations[0], o)
	out.set(j, first)
	for k := 1; k < len(durations); k++ {
		v := first
		if c.T == 0 {
			v.purchases = f.ExpectedPurchases(durations[k])
		} else {
			v.purchases = f.ConditionalExpectedPurchases(c, durations[k])
		}
		out.set(k*P+j, v)
	}
}

// ageValues are the curve values a factored model's patterns of one
// (x, T) share.
type ageValues struct {
	discounted float64 // ∫₀^H e^{−δt} dA(t | x, T)
	rate       float64 // E[λ | alive, x, T]
}

// factoredPatternValues sets the patterns' values of a model that
// factors as P(alive) · A(t | x, T): A and its discounted integral once per
// distinct (x, T), P(alive) once per pattern (with its terms in (x, T)
// once per distinct (x, T) for a models.AliveTabulator).
func factoredPatternValues(ctx context.Context, f models.FittedPurchases, af models.AliveFactored, in predictInput, ages *ageIndex, durations []float64, out *purchaseColumns) {
	pt, o := in.patterns, in.clv
	G, D := ages.len(), len(durations)
	groups := make([]ageValues, G)
	atDuration := make([]float64, G*D) // A(d_k | x, T) at g·D + k
	tab, tabulated := f.(models.AliveTabulator)
	tabulated = tabulated && !in.ungrouped
	var terms []models.AliveAgeTerms
	if tabulated {
		terms = make([]models.AliveAgeTerms, G)
	}
	discounted := func(g int) float64 { return af.AliveDiscounted(ages.x[g], ages.T[g], o.DiscountRate, o.Horizon) }
	if ad, ok := f.(models.AgeDiscounter); ok && !in.ungrouped {
		discounted = ageDiscounts(ctx, ad, ages, o)
	}
	eachChunk(G, 64, func(lo, hi int) {
		for g := lo; g < hi && ctx.Err() == nil; g++ {
			x, T := ages.x[g], ages.T[g]
			curve := af.AliveCurve(x, T)
			for k, d := range durations {
				atDuration[g*D+k] = curve(d)
			}
			groups[g] = ageValues{discounted: discounted(g), rate: af.AliveRate(x, T)}
			if tabulated {
				terms[g] = tab.AliveAgeTerms(x, T)
			}
		}
	})
	P := pt.Len()
	parallelFor(P, func(lo, hi int) {
		if tabulated {
			// P(alive) of the block's patterns at once, into the first
			// class's rows (set again below).
			tab.ProbabilitiesAlive(pt.Frequency[lo:hi], pt.Recency[lo:hi], pt.T[lo:hi], ages.of[lo:hi], terms, out.alive[lo:hi])
		}
		for j := lo; j < hi && ctx.Err() == nil; j++ {
			g := int(ages.of[j])
			gr := &groups[g]
			var pa float64
			if tabulated {
				pa = out.alive[j]
			} else {
				pa = f.ProbabilityAlive(models.Customer{Frequency: pt.Frequency[j], Recency: pt.Recency[j], T: pt.T[j]})
			}
			v := customerValues{alive: pa, discounted: pa * gr.discounted}
			v.aliveTime = pa * gr.discounted / gr.rate
			for k := range durations {
				v.purchases = pa * atDuration[g*D+k]
				out.set(k*P+j, v)
			}
		}
	})
}

// ageDiscounts returns g ↦ AliveDiscounted of the (x, T) group g of ages
// for a models.AgeDiscounter, its part in T computed once per distinct T
// of the groups (in parallel), which the groups of that T share.
func ageDiscounts(ctx context.Context, ad models.AgeDiscounter, ages *ageIndex, o models.CLVOptions) func(g int) float64 {
	index := map[uint64]int32{}
	age := make([]int32, ages.len()) // group → its T among ts
	var ts []float64
	for g, T := range ages.T {
		k, ok := index[math.Float64bits(T)]
		if !ok {
			k = int32(len(ts))
			index[math.Float64bits(T)] = k
			ts = append(ts, T)
		}
		age[g] = k
	}
	parts := make([]float64, len(ts))
	eachChunk(len(ts), 4, func(lo, hi int) {
		for k := lo; k < hi && ctx.Err() == nil; k++ {
			parts[k] = ad.AgeDiscount(ts[k], o.DiscountRate, o.Horizon)
		}
	})
	return func(g int) float64 {
		return ad.AliveDiscountedAt(ages.x[g], ages.T[g], o.DiscountRate, o.Horizon, parts[age[g]])
	}
}

// predictModel returns a model's predictions for every customer: the
// purchase-model values, and with a spend model the expected spend per
// purchase (closed-form per customer), holdout revenue and CLV. A value
// that is not a finite number ≥ 0 fails the model, naming the customer.
func predictModel(ctx context.Context, name string, f models.FittedPurchases, spend models.FittedSpend, in predictInput) (*Prediction, error) {
	cols, err := predictCovariatePurchases(ctx, f, in) // covariate models: covariates_run.go
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cols == nil {
		cols = predictPurchases(ctx, f, in)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := in.summary
	p := &Prediction{rows: cols.rows, purchases: cols.purchases, alive: cols.alive, discounted: cols.discounted,
		aliveTime: cols.aliveTime, margin: in.clv.Margin}
	if spend != nil {
		p.spend = in.spend
		if len(p.spend) != len(s.Customers) {
			p.spend = spendColumn(s, spend)
		}
	}
	if bad, v := p.firstInvalid(); bad >= 0 {
		cs := s.Customers[bad]
		return nil, fmt.Errorf("%s: prediction %v for customer %s (frequency %g, recency %g, T %g) is not a finite number ≥ 0",
			name, v, cs.ID, cs.Frequency, cs.Recency, cs.T)
	}
	return p, nil
}

// addValueTiers adds the net CLV and value tier of every customer to a
// prediction with CLV (see tiers.go). The customers' ages are made once
// for the models of a window (wr.ages, dropped after predicting).
func addValueTiers(cfg *Config, wr *windowResult, p *Prediction) {
	if !p.HasSpend() {
		return
	}
	p.net = NetCLVOptions{Margin: cfg.CLV.Margin, CostPerPurchase: cfg.CLV.CostPerPurchase, CostPerCustomer: cfg.CLV.CostPerCustomer}
	if wr.ages == nil {
		wr.ages = customerAges(wr.summary)
	}
	// The two columns the tiers select from are the window's scratch,
	// recycled for the next model's (and then the score stage's) columns.
	cs := wr.store()
	net, alive := cs.buffer(p.Len()), cs.buffer(p.Len())
	parallelFor(len(net), func(lo, hi int) {
		p.Values(PredNetCLV, lo, net[lo:hi])
		p.Values(PredAliveTime, lo, alive[lo:hi])
	})
	p.tiers = AssignTiers(wr.scorer(), net, alive, wr.ages, cfg.Tiers.orDefaults())
	cs.recycle(net)
	cs.recycle(alive)
}

// HoldoutPurchases returns the expected purchases of customer c over the
// next t time units as a run predicts them (and scores them): the
// conditional expectation E[Y(t) | c], except that a customer observed for
// no time (T = 0) is predicted as a new customer, E[X(t)], by a model that
// does not factor as P(alive) · A(t | x, T) (see the notes at the top of
// this file).
func HoldoutPurchases(f models.FittedPurchases, c models.Customer, t float64) float64 {
	if _, factored := f.(models.AliveFactored); c.T == 0 && !factored {
		return f.ExpectedPurchases(t)
	}
	return f.ConditionalExpectedPurchases(c, t)
}

// customerAges returns every customer's age T at the calibration end, in
// the summary's order (what the value tiers call a customer's age).
func customerAges(s *datasets.Summary) []float64 {
	ages := make([]float64, len(s.Customers))
	for i, c := range s.Customers {
		ages[i] = c.T
	}
	return ages
}
