package experiments

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/models"
)

// Writing the predictions back into the database (output.table).
//
// After a run from data.engine, output.table creates in the same
// database a table with the columns and values of predictions.csv, one
// row per customer, without sending the customers back: the purchase-model
// values (expected purchases, P(alive), interval bounds, and the
// discounted purchases and time alive CLV needs) depend on a customer only
// through the calibration pattern, so one row per distinct pattern is
// sent (engine.PatternTable) and the engine joins it to its own
// per-customer summary. What depends on the customer's own spend is
// computed there in SQL:
//
//	spend     E[M | x, m̄] = p(γ + m̄x)/(px + q − 1)   (Gamma-Gamma; m̄ when px + q ≤ 1)
//	          m̄ when x > 0, else the cohort mean        (average spend)
//	revenue   E[purchases] · spend
//	CLV       margin · spend · discounted purchases
//	net CLV   margin · spend · DERT − c_p · DERT − c_t · D  (tiers.go)
//	tier      from cut-offs clv computes (the last best customer's net
//	          CLV and id, the young age and the potential rate), checked
//	          here to reproduce every customer's tier before they are used.
//	bounds    of the spend, revenue and CLV intervals: a per-pattern
//	          quantile times the customer's posterior rate θ = γ + x·m̄
//	          (models/intervals_spend.go), checked here for every customer.
//
// Every operation is the one clv does, in the same order, on the same
// float64 values, so the table equals predictions.csv (to the last bits
// of the amounts the engine sums in its own order).
//
// The heuristics are written like the models: the average and hiatus
// predictions depend on (x, t_x, T) only, and the retention model's on its
// recency state, the whole periods since the last active one, which is
// the period of the last calibration purchase, fixed by T − t_x. Every
// sent value is checked to be the same for all customers of its pattern;
// a model for which one is not (a future model reading more of a
// customer's history) is left out of the table, with the reason in the
// manifest and on the console, as are the models fitted on calendar
// periods (BG/BB), whose patterns are not the summary's.

// TableWritten is what manifest.json records of output.table.
type TableWritten struct {
	Table    string `json:"table"`
	Engine   string `json:"engine"`
	Rows     int64  `json:"rows"`
	Columns  int    `json:"columns"`
	Replaced bool   `json:"replaced"`
	// PatternRows are the per-pattern rows sent and BytesSent their size;
	// PerCustomerBytes is what the same table sent one row per customer
	// would take, in the same format.
	PatternRows      int     `json:"pattern_rows"`
	BytesSent        int64   `json:"bytes_sent"`
	PerCustomerBytes int64   `json:"per_customer_upload_bytes"`
	Seconds          float64 `json:"seconds"`
	// Excluded names the models left out of the table, with the reason.
	Excluded map[string]string `json:"excluded_models,omitempty"`
}

// writeBackTable creates output.table from a run's main window.
func writeBackTable(ctx context.Context, a *Artifacts) (*TableWritten, error) {
	t0 := time.Now()
	cfg := a.Config
	dialect, err := engine.ParseDialect(cfg.Data.Engine)
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("output.table: %w", err)}
	}
	wb, tw, err := buildWriteBack(cfg, a, dialect)
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("output.table %s: %w", cfg.Output.Table, err)}
	}
	dsn := os.Getenv(cfg.Data.DSNEnv)
	conn, err := engine.Open(ctx, dialect, dsn)
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("output.table %s (connection from %s, %s): %w", cfg.Output.Table, cfg.Data.DSNEnv, RedactDSN(dsn), err)}
	}
	defer conn.Close()
	w, err := engine.WriteTable(ctx, conn, wb)
	var exists *engine.TableExistsError
	switch {
	case errors.As(err, &exists):
		return nil, tableExistsError(cfg)
	case err != nil:
		return nil, &DataError{Err: fmt.Errorf("output.table %s: %w (nothing was written)", cfg.Output.Table, err)}
	}
	tw.Rows, tw.Replaced, tw.PatternRows, tw.BytesSent = w.Rows, w.Replaced, w.PatternRows, w.BytesSent
	tw.Seconds = time.Since(t0).Seconds()
	return tw, nil
}

// patternIndex groups a summary's customers by pattern key: of[i] is
// customer i's pattern and rep[j] the first customer of pattern j.
type patternIndex struct {
	keys    []engine.PatternKey
	of, rep []int32
}

func newPatternIndex(a *Artifacts) (*patternIndex, error) {
	s := a.Summary
	px := &patternIndex{of: make([]int32, len(s.Customers))}
	index := map[engine.PatternKey]int32{}
	for i := range s.Customers {
		k, err := engine.PatternKeyOf(&s.Customers[i], s.Unit)
		if err != nil {
			return nil, err
		}
		j, ok := index[k]
		if !ok {
			j = int32(len(px.keys))
			index[k] = j
			px.keys = append(px.keys, k)
			px.rep = append(px.rep, int32(i))
		}
		px.of[i] = j
	}
	return px, nil
}

// rowValues returns the values of each pattern of a quantity given by
// row (customer i's value byRow[rows[i]]; rows nil: byRow[i]), when it is
// the same for every customer of each pattern (NaN equal to NaN), as
// values of the customers' column would: without making that column. ok
// is false otherwise, or when the ok passed in is false (a quantity that
// Prediction.RowValues does not give by row).
func (px *patternIndex) rowValues(byRow []float64, rows []int32, ok bool) ([]float64, bool) {
	if !ok {
		return nil, false
	}
	at := func(i int) float64 {
		if rows == nil {
			return byRow[i]
		}
		return byRow[rows[i]]
	}
	out := make([]float64, len(px.rep))
	for j, i := range px.rep {
		out[j] = at(int(i))
	}
	for i, j := range px.of {
		if x, y := at(i), out[j]; x != y && (x == x || y == y) {
			return nil, false
		}
	}
	return out, true
}

// summarySQL are the summary columns of predictions.csv as scope columns.
var summarySQL = map[string]string{
	"customer_id": engine.ColID, "frequency": engine.ColFrequency, "recency": engine.ColRecency, "T": engine.ColT,
	"monetary_value": engine.ColMonetary, "frequency_holdout": engine.ColFrequencyHoldout,
	"monetary_value_holdout": engine.ColMonetaryHoldout, "duration_holdout": engine.ColDurationHoldout,
	"revenue_holdout": engine.ColFrequencyHoldout + " * " + engine.ColMonetaryHoldout,
}

// spendColumns are the model columns computed in SQL from the spend.
var spendColumns = []string{"spend", "revenue", "clv", "net_clv", "tier"}

// wbBuilder assembles a write-back.
type wbBuilder struct {
	d        engine.Dialect
	cfg      *Config
	a        *Artifacts
	px       *patternIndex
	wb       engine.WriteBack
	tw       *TableWritten
	numbers  int64
	texts    int64
	textLen  int64
	spendSQL string
	nets     []engine.Column
	// theta is each customer's Gamma-Gamma posterior rate θ = γ + x·m̄
	// (nil without that spend model), and usesTheta whether a column
	// scales by it.
	theta     []float64
	usesTheta bool
}

// patternValues adds a pattern column of per-pattern values.
func (b *wbBuilder) patternValues(v []float64) string {
	name := "pv_" + strconv.Itoa(len(b.wb.Patterns.Columns))
	b.wb.Patterns.Columns = append(b.wb.Patterns.Columns, name)
	b.wb.Patterns.Values = append(b.wb.Patterns.Values, v)
	return name
}

// thetaScaled returns per-pattern factors f with v = f·θ for every
// customer (to 1e-12 relative), when there are such: the spend, revenue
// and CLV interval bounds of the Gamma-Gamma spend model are a quantile
// of the pattern times the customer's posterior rate θ = γ + x·m̄
// (models/intervals_spend.go).
func (b *wbBuilder) thetaScaled(v []float64) ([]float64, bool) {
	if b.theta == nil {
		return nil, false
	}
	f := make([]float64, len(b.px.rep))
	for j, i := range b.px.rep {
		f[j] = v[i] / b.theta[i]
	}
	for i, x := range v {
		y := f[b.px.of[i]] * b.theta[i]
		if !(x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y))) {
			return nil, false
		}
	}
	return f, true
}

func (b *wbBuilder) output(name, expr string, text bool) {
	b.wb.Output = append(b.wb.Output, engine.Column{Name: name, Expr: expr, Text: text})
	if text {
		b.texts++
	} else {
		b.numbers++
	}
}

// buildWriteBack describes the table of a run: the columns of
// predictions.csv, each from the summary, the pattern table or SQL.
func buildWriteBack(cfg *Config, a *Artifacts, d engine.Dialect) (engine.WriteBack, *TableWritten, error) {
	px, err := newPatternIndex(a)
	if err != nil {
		return engine.WriteBack{}, nil, err
	}
	spec, err := EngineSpec(cfg, BacktestWindow{CalibrationEnd: a.Summary.CalibrationEnd, HoldoutEnd: a.Summary.HoldoutEnd})
	if err != nil {
		return engine.WriteBack{}, nil, err
	}
	spec.Start = ReadOptions(cfg).Start
	b := &wbBuilder{d: d, cfg: cfg, a: a, px: px, tw: &TableWritten{Table: cfg.Output.Table, Engine: string(d), Excluded: map[string]string{}},
		wb: engine.WriteBack{Source: spec, Table: cfg.Output.Table, Replace: cfg.Output.TableReplace,
			Patterns: engine.PatternTable{Keys: px.keys}, ExpectRows: int64(len(a.Summary.Customers))}}
	if gg, ok := a.Spend.(*models.FittedGammaGamma); ok {
		b.theta = make([]float64, len(a.Summary.Customers))
		for i, c := range a.Summary.Customers {
			_, b.theta[i] = gg.SpendPosterior(models.Customer{Frequency: c.Frequency, Monetary: c.Monetary})
		}
	}
	cols := predictionColumns(cfg, &windowResult{summary: a.Summary, preds: a.Predictions})
	byModel := map[string][]predColumn{}
	for _, c := range cols {
		if expr, ok := summarySQL[c.name]; ok {
			b.output(c.name, expr, !c.isNumber())
			continue
		}
		m := modelOfColumn(cfg.Models, c.name)
		byModel[m] = append(byModel[m], c)
	}
	for _, id := range a.Summary.Customers {
		b.textLen += int64(len(id.ID))
	}
	for _, name := range cfg.Models {
		if mc, ok := byModel[name]; ok {
			if err := b.model(name, mc); err != nil {
				return engine.WriteBack{}, nil, err
			}
		}
	}
	var spendLayer []engine.Column
	if b.spendSQL != "" {
		spendLayer = append(spendLayer, engine.Column{Name: "wb_spend", Expr: b.spendSQL})
	}
	if gg, ok := a.Spend.(*models.FittedGammaGamma); ok && b.usesTheta {
		spendLayer = append(spendLayer, engine.Column{Name: "wb_theta", Expr: engine.Literal(d, gg.Gamma) + " + " + engine.ColFrequency + " * " + engine.ColMonetary})
	}
	if len(spendLayer) > 0 {
		b.wb.Derived = append(b.wb.Derived, spendLayer)
	}
	if len(b.nets) > 0 {
		b.wb.Derived = append(b.wb.Derived, b.nets)
	}
	n := int64(len(a.Summary.Customers))
	b.tw.Columns = len(b.wb.Output)
	b.tw.PerCustomerBytes = engine.UploadBytes(d, n, b.numbers, b.texts, b.textLen)
	if len(b.tw.Excluded) == 0 {
		b.tw.Excluded = nil
	}
	return b.wb, b.tw, nil
}

// modelOfColumn returns the model whose column name is (the longest
// model name that prefixes it with "_").
func modelOfColumn(names []string, column string) string {
	best := ""
	for _, n := range names {
		if strings.HasPrefix(column, n+"_") && len(n) > len(best) {
			best = n
		}
	}
	return best
}

// model adds a model's columns, or records why it is left out.
func (b *wbBuilder) model(name string, cols []predColumn) error {
	p := b.a.Predictions[name]
	if d, ok := models.NewRegistry().Lookup(models.KindPurchase, name); ok && d.Data == models.DataDiscrete {
		b.tw.Excluded[name] = "fitted on calendar periods, whose patterns are not the summary's: not written (see predictions.csv)"
		return nil
	}
	// The per-pattern values of the columns that have them (a purchase
	// model's, checked row by row), and the per-pattern factors of those
	// that are the customer's θ times one.
	perPattern, scaled := map[string][]float64{}, map[string][]float64{}
	for k, c := range cols {
		suffix := strings.TrimPrefix(c.name, name+"_")
		if !c.isNumber() || slices.Contains(spendColumns, suffix) {
			continue
		}
		byRow := c.byRow != nil
		if byRow {
			if v, ok := b.px.rowValues(c.byRow, c.rows, true); ok {
				perPattern[c.name] = v
				continue
			}
		}
		c = c.materialized() // the checks below read every customer's value
		cols[k] = c
		if c.number == nil {
			continue
		}
		if !byRow { // a column by row was checked above, with the same values
			if v, ok := b.px.rowValues(c.number, nil, true); ok {
				perPattern[c.name] = v
				continue
			}
		}
		f, ok := b.thetaScaled(c.number)
		if !ok {
			b.tw.Excluded[name] = fmt.Sprintf("its %s differs between customers of the same (frequency, recency, T) (it reads more of a customer's history): not written (see predictions.csv)", c.name)
			return nil
		}
		scaled[c.name] = f
	}
	var disc, alive string
	if p.HasSpend() {
		discounted, okD := b.px.rowValues(p.RowValues(PredDiscounted))
		aliveTime, okA := b.px.rowValues(p.RowValues(PredAliveTime))
		if !okD || !okA {
			b.tw.Excluded[name] = "its discounted purchases differ between customers of the same (frequency, recency, T): not written (see predictions.csv)"
			return nil
		}
		disc, alive = b.patternValues(discounted), b.patternValues(aliveTime)
	}
	var purchases, net string
	for _, c := range cols {
		suffix := strings.TrimPrefix(c.name, name+"_")
		switch {
		case perPattern[c.name] != nil:
			col := b.patternValues(perPattern[c.name])
			if suffix == "purchases" {
				purchases = col
			}
			b.output(c.name, col, false)
		case scaled[c.name] != nil:
			b.usesTheta = true
			b.output(c.name, b.patternValues(scaled[c.name])+" * wb_theta", false)
		case suffix == "spend":
			b.output(c.name, "wb_spend", false)
		case suffix == "revenue":
			b.output(c.name, purchases+" * wb_spend", false)
		case suffix == "clv":
			b.output(c.name, engine.Literal(b.d, b.cfg.CLV.Margin)+" * wb_spend * "+disc, false)
		case suffix == "net_clv":
			net = b.netCLV(disc, alive)
			b.output(c.name, net, false)
		case suffix == "tier":
			expr, err := b.tierSQL(name, p, net, alive)
			if err != nil {
				return err
			}
			b.output(c.name, expr, true)
			for _, t := range p.Tiers() {
				b.textLen += int64(len(t.String()))
			}
		default:
			return fmt.Errorf("column %s has no SQL form", c.name)
		}
	}
	if p.HasSpend() {
		return b.ensureSpend()
	}
	return nil
}

// ensureSpend adds the expected spend per purchase as the derived column
// wb_spend (once).
func (b *wbBuilder) ensureSpend() error {
	if b.spendSQL != "" {
		return nil
	}
	lit := func(v float64) string { return engine.Literal(b.d, v) }
	x, m := engine.ColFrequency, engine.ColMonetary
	switch s := b.a.Spend.(type) {
	case *models.FittedGammaGamma:
		den := lit(s.P) + " * " + x + " + " + lit(s.Q) + " - " + lit(1)
		b.spendSQL = "CASE WHEN " + den + " > 0 THEN " + lit(s.P) + " * (" + lit(s.Gamma) + " + " + x + " * " + m + ") / (" + den + ") ELSE " + m + " END"
	case *models.FittedAverageSpend:
		b.spendSQL = "CASE WHEN " + x + " > 0 THEN " + m + " ELSE " + lit(s.MeanSpend()) + " END"
	default:
		return fmt.Errorf("the spend model %T has no SQL form", b.a.Spend)
	}
	return nil
}

// netCLV adds a model's net CLV as a derived column and returns its name:
// margin · spend · DERT − c_p · DERT − c_t · D, in NetCLV's order.
func (b *wbBuilder) netCLV(disc, alive string) string {
	col := "nv_" + strconv.Itoa(len(b.nets))
	lit := func(v float64) string { return engine.Literal(b.d, v) }
	c := b.cfg.CLV
	expr := lit(c.Margin) + " * wb_spend * " + disc + " - " + lit(c.CostPerPurchase) + " * " + disc + " - " + lit(c.CostPerCustomer) + " * " + alive
	b.nets = append(b.nets, engine.Column{Name: col, Expr: expr})
	return col
}

// checkTableFree fails a run whose output.table exists without
// output.table_replace before any work is done.
func checkTableFree(ctx context.Context, cfg *Config) error {
	if cfg.Output.Table == "" || cfg.Output.TableReplace {
		return nil
	}
	dialect, err := engine.ParseDialect(cfg.Data.Engine)
	if err != nil {
		return nil // the config check reports it
	}
	dsn := os.Getenv(cfg.Data.DSNEnv)
	conn, err := engine.Open(ctx, dialect, dsn)
	if err != nil {
		return &DataError{Err: fmt.Errorf("output.table %s (connection from %s, %s): %w", cfg.Output.Table, cfg.Data.DSNEnv, RedactDSN(dsn), err)}
	}
	defer conn.Close()
	exists, err := engine.TableExists(ctx, conn, cfg.Output.Table)
	switch {
	case err != nil:
		return &DataError{Err: fmt.Errorf("output.table %s: %w", cfg.Output.Table, err)}
	case exists:
		return tableExistsError(cfg)
	}
	return nil
}

func tableExistsError(cfg *Config) error {
	return &DataError{Err: fmt.Errorf("output.table: the table %s already exists in the database: set output.table_replace: true to replace it, or name another table", cfg.Output.Table)}
}

// writeTable writes output.table, when the config asks for it, after the
// results are staged and before they are committed: a failure leaves
// neither a table nor a results folder.
func writeTable(ctx context.Context, env *runEnv, res *runResult) error {
	if env.cfg.Output.Table == "" || res.artifacts == nil || res.artifacts.Summary == nil {
		return nil
	}
	t0 := time.Now()
	env.prog.step("writing the table " + env.cfg.Output.Table + " into the " + env.cfg.Data.Engine + " database")
	tw, err := writeBackTable(ctx, res.artifacts)
	if err != nil {
		return err
	}
	env.timed("output_table", t0)
	res.table = tw
	return nil
}

// Lines describes the written table for the console: where it is, its
// size, and the models left out.
func (t *TableWritten) Lines() []string {
	if t == nil {
		return nil
	}
	verb := "created"
	if t.Replaced {
		verb = "replaced"
	}
	out := []string{fmt.Sprintf("table %s %s in the %s database: %d rows, %d columns (%d patterns sent, %d bytes; one row per customer would be %d)",
		t.Table, verb, t.Engine, t.Rows, t.Columns, t.PatternRows, t.BytesSent, t.PerCustomerBytes)}
	names := slices.Sorted(maps.Keys(t.Excluded))
	for _, m := range names {
		out = append(out, fmt.Sprintf("table %s leaves out %s: %s", t.Table, m, t.Excluded[m]))
	}
	return out
}
