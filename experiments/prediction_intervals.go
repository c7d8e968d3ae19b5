package experiments

import (
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Interval storage. A model's intervals are kept by row of the window's
// pattern table, never per customer: the purchase bounds depend on the
// row alone (models.PurchaseIntervals), the revenue and CLV bounds on the
// row's quantiles of R/θ times the customer's scale (θ from her mean
// spend, times the CLV's factor; models.RevenueIntervals.Bounds), and the
// spend bounds on pθ over the inverse gamma function of the row's x
// (spendBounds). The predictions table reads each customer's value when
// it writes her line (predColumn byRow or fill), by the same floating-point
// expressions a materialized column held.

// PredictionIntervals are one model's intervals in one window.
type PredictionIntervals struct {
	// Levels holds the intervals at each configured level, in order, by
	// row; their distributions are dropped once scored, and their integer
	// bounds once kept as numbers (rowBounds).
	Levels []*models.PurchaseIntervals
	// lower and upper are the bounds by row at each level, as numbers.
	lower, upper [][]float64
	// Rows maps customer i to its row (distinct history) in Levels (the
	// pattern table's own index, shared).
	Rows []int32
	// PITHistogram is the histogram of the customers' randomized PIT and
	// Scores the metrics per level (both nil without holdout purchases).
	PITHistogram []float64
	Scores       []IntervalScores
	// Spend serves, per level, each customer's interval of the mean spend
	// per purchase; Revenue the intervals of holdout revenue and CLV those
	// of the CLV, per level; RevenueScores the revenue intervals' metrics
	// per level. All are nil without a Gamma-Gamma spend model and for a
	// model of discrete opportunities.
	Spend         []*spendBounds
	Revenue, CLV  []*models.RevenueIntervals
	RevenueScores []IntervalScores
	// Err says why the model has no intervals (the rest is then empty).
	Err string
}

// Bounds returns every customer's lower and upper bound at level k.
func (p *PredictionIntervals) Bounds(k int) (lower, upper []float64) {
	lowRow, highRow := p.rowBounds(k)
	lower, upper = make([]float64, len(p.Rows)), make([]float64, len(p.Rows))
	for i, r := range p.Rows {
		lower[i], upper[i] = lowRow[r], highRow[r]
	}
	return lower, upper
}

// rowBounds returns the integer bounds at level k by row, as numbers.
func (p *PredictionIntervals) rowBounds(k int) (lower, upper []float64) {
	if k < len(p.lower) {
		return p.lower[k], p.upper[k]
	}
	pi := p.Levels[k]
	lower, upper = make([]float64, len(pi.Lower)), make([]float64, len(pi.Upper))
	for r := range lower {
		lower[r], upper[r] = float64(pi.Lower[r]), float64(pi.Upper[r])
	}
	return lower, upper
}

// dropDistributions frees what only scoring needs: the rows'
// distributions and means, the revenue tables and moments, and the
// integer bounds, kept as the numbers the predictions table writes.
func (p *PredictionIntervals) dropDistributions() {
	if len(p.lower) == 0 {
		for k, pi := range p.Levels {
			lower, upper := p.rowBounds(k)
			p.lower, p.upper = append(p.lower, lower), append(p.upper, upper)
			pi.DropDistributions()
			pi.Lower, pi.Upper = nil, nil
		}
	}
	for _, ri := range append(append([]*models.RevenueIntervals{}, p.Revenue...), p.CLV...) {
		ri.DropDistributions()
	}
}

// spendBounds serves every customer's interval of the mean spend per
// purchase at one level (Gamma-Gamma posterior): pθ/G⁻¹(k, (1±L)/2), the
// inverse gamma function once per row of the pattern table; a customer
// whose x is not her row's bit for bit gets hers computed directly. The
// values are models.FittedGammaGamma.SpendIntervals'.
type spendBounds struct {
	gg          *models.FittedGammaGamma
	level       float64
	customers   []datasets.CustomerSummary
	rows        []int32   // customer → row of the pattern table
	x, low, upp []float64 // per row: x and the divisors of the two bounds
}

// newSpendBounds tabulates the divisors per row of pt.
func newSpendBounds(gg *models.FittedGammaGamma, level float64, s *datasets.Summary, pt *datasets.Patterns) *spendBounds {
	sb := &spendBounds{gg: gg, level: level, customers: s.Customers, rows: pt.Of, x: pt.Frequency,
		low: make([]float64, len(pt.Frequency)), upp: make([]float64, len(pt.Frequency))}
	divisors := map[float64][2]float64{}
	for r, x := range pt.Frequency {
		d, ok := divisors[x]
		if !ok {
			d[0], d[1] = gg.SpendDivisors(x, level)
			divisors[x] = d
		}
		sb.low[r], sb.upp[r] = d[0], d[1]
	}
	return sb
}

// lower returns customer i's lower bound, one customer at a time: the
// form TestSpendBoundsPerCustomer holds to FittedGammaGamma.SpendInterval
// and TestSpendBoundsFill holds the fillers to (the run uses the fillers).
func (sb *spendBounds) lower(i int) float64 {
	theta, divisor := sb.divisor(i, true)
	return sb.gg.P * theta / divisor
}

// upper returns customer i's upper bound (see lower).
func (sb *spendBounds) upper(i int) float64 {
	theta, divisor := sb.divisor(i, false)
	return sb.gg.P * theta / divisor
}

// fillLower sets dst[k] to customer lo+k's lower bound (lower(lo+k)), a
// block of customers at a time for the predictions table.
func (sb *spendBounds) fillLower(lo int, dst []float64) { sb.fill(lo, dst, true) }

// fillUpper sets dst[k] to customer lo+k's upper bound (upper(lo+k)).
func (sb *spendBounds) fillUpper(lo int, dst []float64) { sb.fill(lo, dst, false) }

// fill sets dst[k] to customer lo+k's lower (or upper) bound, by the
// expression of lower and upper.
func (sb *spendBounds) fill(lo int, dst []float64, lower bool) {
	for k := range dst {
		theta, divisor := sb.divisor(lo+k, lower)
		dst[k] = sb.gg.P * theta / divisor
	}
}

// fillBoth sets lower[k] and upper[k] to customer lo+k's bounds (those of
// fillLower and fillUpper), her θ and divisors found once for both.
func (sb *spendBounds) fillBoth(lo int, lower, upper []float64) {
	upper = upper[:len(lower)]
	for k := range lower {
		theta, low, upp := sb.divisors(lo + k)
		lower[k], upper[k] = sb.gg.P*theta/low, sb.gg.P*theta/upp
	}
}

// spendKey names the values of one spend bound column (predColumn.key):
// every model's spend bounds at a level are the window's one spendBounds.
type spendKey struct {
	sb    *spendBounds
	lower bool
}

// divisor returns customer i's θ and the divisor of her lower (or upper)
// bound (see divisors).
func (sb *spendBounds) divisor(i int, lower bool) (theta, divisor float64) {
	theta, low, upp := sb.divisors(i)
	if lower {
		return theta, low
	}
	return theta, upp
}

// divisors returns customer i's θ and the divisors of her lower and upper
// bounds: her row's, or her own when her x is not her row's.
func (sb *spendBounds) divisors(i int) (theta, low, upp float64) {
	c := &sb.customers[i]
	k, theta := sb.gg.SpendPosterior(models.Customer{Frequency: c.Frequency, Monetary: c.Monetary})
	r := sb.rows[i]
	if c.Frequency != sb.x[r] && sb.rowShape(r) != k {
		low, upp = sb.gg.SpendDivisors(c.Frequency, sb.level)
		return theta, low, upp
	}
	return theta, sb.low[r], sb.upp[r]
}

// rowShape returns the posterior shape k of row r's x.
func (sb *spendBounds) rowShape(r int32) float64 {
	k, _ := sb.gg.SpendPosterior(models.Customer{Frequency: sb.x[r]})
	return k
}

// intervalColumns returns a model's interval columns of the predictions
// table: <model>_purchases_lower_80, <model>_purchases_upper_80 and, with
// the Gamma-Gamma spend model, <model>_spend_…, <model>_revenue_… and
// <model>_clv_… per level (none for a model without intervals). The
// purchase bounds are by row; the money bounds are computed per customer,
// a block of customers at a time, as the line is written, each lower and
// upper bound together (a columnPair: one scale per customer). The spend
// bounds, the same for every model (the window's spendBounds), carry a
// key (spendKey) by which a writer copies the first model's.
func intervalColumns(name string, p *Prediction) []predColumn {
	iv := p.Intervals
	if iv == nil || iv.Err != "" {
		return nil
	}
	n := len(iv.Rows)
	pair := func(base, suffix string, lower, upper func(lo int, dst []float64), both func(lo int, lower, upper []float64)) []predColumn {
		cp := &columnPair{fill: both}
		return []predColumn{{name: name + "_" + base + "_lower" + suffix, fill: lower, n: n, pair: cp},
			{name: name + "_" + base + "_upper" + suffix, fill: upper, n: n, pair: cp, second: true}}
	}
	var cols []predColumn
	for k, pi := range iv.Levels {
		lower, upper := iv.rowBounds(k)
		suffix := strings.TrimPrefix(LevelTarget(pi.Level), "interval")
		cols = append(cols, predColumn{name: name + "_purchases_lower" + suffix, byRow: lower, rows: iv.Rows},
			predColumn{name: name + "_purchases_upper" + suffix, byRow: upper, rows: iv.Rows})
		if k < len(iv.Spend) {
			sb := iv.Spend[k]
			spend := pair("spend", suffix, sb.fillLower, sb.fillUpper, sb.fillBoth)
			spend[0].key, spend[1].key = spendKey{sb, true}, spendKey{sb, false}
			cols = append(cols, spend...)
		}
		if k < len(iv.Revenue) {
			ri := iv.Revenue[k]
			cols = append(cols, pair("revenue", suffix, revenueFill(ri, true), revenueFill(ri, false), revenueBoth(ri))...)
		}
		if k < len(iv.CLV) {
			ri := iv.CLV[k]
			cols = append(cols, pair("clv", suffix, revenueFill(ri, true), revenueFill(ri, false), revenueBoth(ri))...)
		}
	}
	return cols
}

// revenueFill returns the filler of a column of revenue (or CLV) bounds:
// dst[k] is customer lo+k's lower (or upper) bound, ri.LowerOf(lo+k) (or
// UpperOf).
func revenueFill(ri *models.RevenueIntervals, lower bool) func(lo int, dst []float64) {
	if lower {
		return func(lo int, dst []float64) {
			for k := range dst {
				dst[k] = ri.LowerOf(lo + k)
			}
		}
	}
	return func(lo int, dst []float64) {
		for k := range dst {
			dst[k] = ri.UpperOf(lo + k)
		}
	}
}

// revenueBoth returns the filler of both columns of revenue (or CLV)
// bounds: customer lo+k's ri.Bounds(lo+k), her scale found once for both
// (the values of LowerOf and UpperOf, bit for bit).
func revenueBoth(ri *models.RevenueIntervals) func(lo int, lower, upper []float64) {
	return func(lo int, lower, upper []float64) {
		upper = upper[:len(lower)]
		for k := range lower {
			lower[k], upper[k] = ri.Bounds(lo + k)
		}
	}
}
