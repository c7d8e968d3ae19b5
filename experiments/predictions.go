package experiments

import (
	"io"
	"math"

	"github.com/clv-dev/clv/datasets"
)

// predColumn is one column of the predictions table: customer ids (text,
// or textOf each customer), numbers (number, or of each customer, or fill
// a block of customers at a time, or by row: customer i's is
// byRow[rows[i]], as a Prediction's purchase-model values are, or a
// quantity q of a prediction pred, computed a block of customers at a
// time) or tiers. Exactly one source is set.
type predColumn struct {
	name   string
	text   []string
	textOf func(i int) string
	number []float64
	of     func(i int) float64
	// fill sets dst[k] to customer lo+k's number for every k < len(dst).
	fill  func(lo int, dst []float64)
	byRow []float64
	rows  []int32
	pred  *Prediction
	q     Quantity
	tier  []Tier
	// n is the number of customers of a column of textOf, of or fill.
	n int
	// key, when set, names the column's values: two columns of the same
	// key hold the same number for every customer (one model's spend
	// bounds are every model's), so that a writer may copy the first
	// one's instead of computing them again.
	key any
	// pair, when set on a column of fill and the one after it (second
	// set on the latter), computes both columns' numbers of a block of
	// customers at once: a lower and an upper bound that share each
	// customer's scale. Its values are each column's fill's, bit for bit.
	pair   *columnPair
	second bool
}

// columnPair computes two columns together (see predColumn.pair): fill
// sets first[k] and second[k] to customer lo+k's numbers of each.
type columnPair struct {
	fill func(lo int, first, second []float64)
}

// isNumber reports whether the column holds numbers.
func (c predColumn) isNumber() bool { return c.text == nil && c.textOf == nil && c.tier == nil }

// value returns customer i's number.
func (c predColumn) value(i int) float64 {
	switch {
	case c.byRow != nil:
		return c.byRow[c.rows[i]]
	case c.of != nil:
		return c.of(i)
	case c.fill != nil:
		var one [1]float64
		c.fill(i, one[:])
		return one[0]
	case c.pred != nil:
		return c.pred.Value(c.q, i)
	}
	return c.number[i]
}

// values returns the numbers of customers lo … lo+len(dst)−1: in dst, or
// the column's own slice when it holds one number per customer.
func (c predColumn) values(lo int, dst []float64) []float64 {
	switch {
	case c.byRow != nil:
		for k, r := range c.rows[lo : lo+len(dst)] {
			dst[k] = c.byRow[r]
		}
	case c.of != nil:
		for k := range dst {
			dst[k] = c.of(lo + k)
		}
	case c.fill != nil:
		c.fill(lo, dst)
	case c.pred != nil:
		c.pred.Values(c.q, lo, dst)
	default:
		return c.number[lo : lo+len(dst)]
	}
	return dst
}

// textAt returns customer i's text.
func (c predColumn) textAt(i int) string {
	if c.textOf != nil {
		return c.textOf(i)
	}
	return c.text[i]
}

// len returns the number of customers of a column.
func (c predColumn) len() int {
	switch {
	case c.text != nil:
		return len(c.text)
	case c.tier != nil:
		return len(c.tier)
	case c.byRow != nil:
		return len(c.rows)
	case c.number != nil:
		return len(c.number)
	case c.pred != nil:
		return c.pred.Len()
	}
	return c.n
}

// materialized returns the column with one number per customer (number
// set) when its numbers are computed or by row.
func (c predColumn) materialized() predColumn {
	if c.byRow == nil && c.of == nil && c.fill == nil && c.pred == nil {
		return c
	}
	n := c.len()
	out := predColumn{name: c.name, number: make([]float64, n)}
	parallelFor(n, func(lo, hi int) { c.values(lo, out.number[lo:hi]) })
	return out
}

// rowInputs returns, for a column of a quantity that a prediction stored
// by row derives per customer from her row's values and her expected
// spend per purchase (see Prediction), those by-row values: revenue's
// purchases, CLV's discounted purchases, net CLV's discounted purchases
// and alive time (not the alive time when its cost is zero, see
// aliveTimeCostless); nil for any other column.
func (c predColumn) rowInputs() [][]float64 {
	p := c.pred
	if p == nil || p.rows == nil || p.spend == nil {
		return nil
	}
	switch c.q {
	case PredRevenue:
		return [][]float64{p.purchases}
	case PredCLV:
		return [][]float64{p.discounted}
	case PredNetCLV:
		if aliveTimeCostless(p) {
			return [][]float64{p.discounted}
		}
		return [][]float64{p.discounted, p.aliveTime}
	}
	return nil
}

// aliveTimeCostless reports whether a prediction's net CLV is the same,
// bit for bit, with every alive time taken as 0: the cost per customer is
// +0 and every alive time finite with its sign bit clear, so that each
// product c_t · alive time is +0, as c_t · 0 is.
func aliveTimeCostless(p *Prediction) bool {
	if math.Float64bits(p.net.CostPerCustomer) != 0 {
		return false
	}
	return allFiniteUnsigned(p.aliveTime)
}

// allFiniteUnsigned reports whether every value is finite with its sign
// bit clear (+0 included; −0, negative, infinite and NaN values not).
func allFiniteUnsigned(values []float64) bool {
	for _, v := range values {
		if math.Float64bits(v) >= math.Float64bits(math.Inf(1)) {
			return false
		}
	}
	return true
}

// netCLVIsCLV reports whether a prediction's net CLV is its CLV, bit for
// bit, for every customer: no cost per purchase (+0), the same margin,
// every discounted purchases finite with its sign bit clear and the alive
// time costless (aliveTimeCostless), so that each cost's product is +0
// and subtracting it leaves margin · spend · discounted as it is.
func netCLVIsCLV(p *Prediction) bool {
	if !p.HasTiers() || !p.HasSpend() || math.Float64bits(p.net.CostPerPurchase) != 0 ||
		math.Float64bits(p.net.Margin) != math.Float64bits(p.margin) || !aliveTimeCostless(p) {
		return false
	}
	return allFiniteUnsigned(p.discounted)
}

// quantityColumn returns the column of a prediction's quantity: by row
// for the purchase-model values of a prediction stored by row.
func quantityColumn(name string, p *Prediction, q Quantity) predColumn {
	if byRow := p.byRow(q); byRow != nil && p.rows != nil {
		return predColumn{name: name, byRow: byRow, rows: p.rows}
	}
	return predColumn{name: name, pred: p, q: q}
}

// summaryColumns returns the columns of the summary: the customer ids,
// frequency, recency, T, mean spend and, in a backtest, the holdout
// purchases, mean spend, length and revenue. Frequency, recency and T are
// by row of the pattern table when every customer's values are her
// pattern's bit for bit.
func summaryColumns(cfg *Config, wr *windowResult) []predColumn {
	cs := wr.summary.Customers
	field := func(name string, f func(c *datasets.CustomerSummary) float64) predColumn {
		return predColumn{name: name, of: func(i int) float64 { return f(&cs[i]) }, n: len(cs)}
	}
	cols := []predColumn{
		{name: "customer_id", textOf: func(i int) string { return cs[i].ID }, n: len(cs)},
		field("frequency", func(c *datasets.CustomerSummary) float64 { return c.Frequency }),
		field("recency", func(c *datasets.CustomerSummary) float64 { return c.Recency }),
		field("T", func(c *datasets.CustomerSummary) float64 { return c.T }),
		field("monetary_value", func(c *datasets.CustomerSummary) float64 { return c.Monetary }),
	}
	if pt := wr.patterns; pt != nil && len(pt.Of) == len(cs) && patternsExact(cs, pt) {
		cols[1] = predColumn{name: "frequency", byRow: pt.Frequency, rows: pt.Of}
		cols[2] = predColumn{name: "recency", byRow: pt.Recency, rows: pt.Of}
		cols[3] = predColumn{name: "T", byRow: pt.T, rows: pt.Of}
	}
	if cfg.Resolved.Forecast { // a forecast has no holdout
		return cols
	}
	return append(cols,
		field("frequency_holdout", func(c *datasets.CustomerSummary) float64 { return c.FrequencyHoldout }),
		field("monetary_value_holdout", func(c *datasets.CustomerSummary) float64 { return c.MonetaryHoldout }),
		field("duration_holdout", func(c *datasets.CustomerSummary) float64 { return c.DurationHoldout }),
		field("revenue_holdout", func(c *datasets.CustomerSummary) float64 { return c.FrequencyHoldout * c.MonetaryHoldout }))
}

// patternsExact reports whether every customer's frequency, recency and T
// are those of her row of the pattern table bit for bit (the table merges
// −0 with +0).
func patternsExact(cs []datasets.CustomerSummary, pt *datasets.Patterns) bool {
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for i := range cs {
		c, r := &cs[i], pt.Of[i]
		if !same(c.Frequency, pt.Frequency[r]) || !same(c.Recency, pt.Recency[r]) || !same(c.T, pt.T[r]) {
			return false
		}
	}
	return true
}

// predictionColumns returns the predictions table of a window: the
// summary columns, the holdout actuals and, per model that produced
// predictions, its holdout purchases, P(alive) and, with a spend model,
// holdout revenue, CLV, net CLV and tier.
func predictionColumns(cfg *Config, wr *windowResult) []predColumn {
	cols := summaryColumns(cfg, wr)
	for _, name := range cfg.Models {
		p, ok := wr.preds[name]
		if !ok {
			continue
		}
		cols = append(cols, quantityColumn(name+"_purchases", p, PredPurchases), quantityColumn(name+"_p_alive", p, PredPAlive))
		cols = append(cols, intervalColumns(name, p)...)
		if p.HasSpend() && cfg.Resolved.Forecast {
			cols = append(cols, predColumn{name: name + "_spend", pred: p, q: PredSpend})
		}
		if p.HasSpend() {
			cols = append(cols, predColumn{name: name + "_revenue", pred: p, q: PredRevenue}, predColumn{name: name + "_clv", pred: p, q: PredCLV})
		}
		if p.HasTiers() {
			cols = append(cols, predColumn{name: name + "_net_clv", pred: p, q: PredNetCLV}, predColumn{name: name + "_tier", tier: p.Tiers()})
		}
	}
	return cols
}

// predictionsFile returns the name of the per-customer predictions' file
// of output.predictions: predictions.csv (the default),
// predictions.parquet, or "" for none.
func predictionsFile(cfg *Config) string {
	switch cfg.Output.Predictions {
	case "none":
		return ""
	case "parquet":
		return "predictions.parquet"
	default:
		return "predictions.csv"
	}
}

// writePredictions writes the per-customer predictions in the format of
// output.predictions (see predictionsFile).
func writePredictions(rd *resultsDir, cfg *Config, wr *windowResult) error {
	name := predictionsFile(cfg)
	if name == "" {
		return nil
	}
	cols := predictionColumns(cfg, wr)
	if name == "predictions.parquet" {
		return rd.writeLargeFile(name, func(w io.Writer) error { return writePredictionsParquet(w, cols) })
	}
	return rd.writeLargeFile(name, func(w io.Writer) error { return writePredictionsCSV(w, cols) })
}
