package experiments

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/models"
)

// engineData checks the data section of a config that reads from a
// database (data.engine): the engine, the variable holding the connection
// string, exactly one of data.table and data.query, the column names.
func (k *cfgCheck) engineData() {
	d, r := k.c.Data, &k.r
	if _, err := engine.ParseDialect(d.Engine); err != nil {
		k.ps.add("data.engine", "%q is not one of postgres, clickhouse", d.Engine)
	}
	if d.Path != "" || d.Embedded != "" {
		k.ps.add("data.engine", "is set with data.path or data.embedded: give one source of data")
	}
	if d.DSNEnv == "" {
		k.ps.add("data.dsn_env", "is required with data.engine: name the environment variable that holds the connection string")
	}
	if (d.Table == "") == (strings.TrimSpace(d.Query) == "") {
		k.ps.add("data.table", "and data.query: give exactly one with data.engine")
	}
	for _, c := range []struct{ key, val string }{{"data.customer", d.Customer}, {"data.date", d.Date}} {
		if c.val == "" {
			k.ps.add(c.key, "is required with data.engine: give the column's name")
		}
	}
	if d.Rejects != "" {
		k.ps.add("data.rejects", "is not supported with data.engine: the rejected rows stay in the database and are counted by reason")
	}
	if !slices.Contains(cfgOnBadRows, strings.ToLower(d.OnBadRow)) {
		k.ps.add("data.on_bad_row", "%q is not one of %s", d.OnBadRow, strings.Join(cfgOnBadRows, ", "))
	}
	if a := strings.ToLower(d.Amount); a != "" && a != "none" {
		r.HasAmount = true
	}
}

// EngineSpec returns the database summary spec of a window of an engine
// config (data.engine set).
func EngineSpec(cfg *Config, w BacktestWindow) (engine.Spec, error) {
	dialect, err := engine.ParseDialect(cfg.Data.Engine)
	if err != nil {
		return engine.Spec{}, err
	}
	amount := cfg.Data.Amount
	if !cfg.Resolved.HasAmount {
		amount = "none"
	}
	return engine.Spec{
		Dialect: dialect, Table: cfg.Data.Table, Query: cfg.Data.Query,
		Customer: cfg.Data.Customer, Date: cfg.Data.Date, Amount: amount,
		Summary: datasets.SummaryOptions{Unit: cfg.Resolved.Unit, CalibrationEnd: w.CalibrationEnd, HoldoutEnd: w.HoldoutEnd,
			ActivityPeriodDays: cfg.Resolved.RetentionPeriod.Days()},
		// As for a file, purchases after a window's end are set aside.
		ExcludeAfterEnd: true,
		OnBadRow:        cfg.Data.OnBadRow,
		// Only the tracking plot (in the plots and the report) reads the
		// repeat purchases per day.
		NoRepeatDays: !cfg.Output.Plots && !cfg.Output.Report,
	}, nil
}

// dbSource is an open database connection with the spec of a run.
type dbSource struct {
	ctx  context.Context
	conn engine.Conn
	spec engine.Spec
	// patterns is set when the run needs only the pattern table (see
	// needsOnlyPatterns); facts is what the manifest records.
	patterns bool
	// noActivity drops the activity bitmaps from the pattern key when no
	// model of the run fits on them (they would split every pattern).
	noActivity bool
	facts      EngineFacts
}

// EngineFacts is what manifest.json records about a database source: the
// engine, what was fetched (the pattern table or one row per customer),
// how many rows came back for the main window and how many bytes were
// received from the engine over the whole run (as they crossed the
// network, so compressed where the engine compressed them; -1 when the
// driver does not count them).
type EngineFacts struct {
	Engine        string `json:"engine"`
	Fetched       string `json:"fetched"`
	Rows          int    `json:"rows"`
	BytesReceived int64  `json:"bytes_received"`
}

// What an engine run fetches.
const (
	FetchedPatterns  = "patterns"
	FetchedCustomers = "customers"
)

// needsOnlyPatterns reports whether a run can be made from the pattern
// table (distinct calibration patterns and holdout purchases, with
// counts) instead of one row per customer: a backtest that writes no
// per-customer predictions (output.predictions: none) and fits no spend
// model, whose revenue scores, CLV and value tiers need every customer's
// own amounts. Fits, purchase predictions and their scores depend on a
// customer only through the pattern.
func needsOnlyPatterns(cfg *Config) bool {
	r := cfg.Resolved
	return strings.EqualFold(cfg.Output.Predictions, "none") && (r.SpendModel == "" || r.SpendModel == "none" || !r.HasAmount) && !r.Forecast
}

// needsActivity reports whether a model of the run fits on activity
// bitmaps (the pattern table then keeps them in its key).
func needsActivity(cfg *Config) bool {
	reg := models.NewRegistry()
	for _, name := range cfg.Models {
		if d, ok := reg.Lookup(models.KindPurchase, name); ok && d.Data == models.DataActivity {
			return true
		}
	}
	return false
}

// openEngineData connects to the database of an engine config.
func openEngineData(ctx context.Context, cfg *Config) (*LogInput, error) {
	spec, err := EngineSpec(cfg, cfg.Resolved.Windows[len(cfg.Resolved.Windows)-1])
	if err != nil {
		return nil, &ConfigError{File: cfg.File, Problems: []Problem{{Key: "data.engine", Message: err.Error()}}}
	}
	dsn := os.Getenv(cfg.Data.DSNEnv)
	if dsn == "" {
		return nil, &DataError{Err: fmt.Errorf("data.dsn_env: the environment variable %s is empty or not set: export it with the connection string", cfg.Data.DSNEnv)}
	}
	conn, err := engine.Open(ctx, spec.Dialect, dsn)
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("data.engine %s (connection from %s, %s): %w", spec.Dialect, cfg.Data.DSNEnv, RedactDSN(dsn), err)}
	}
	what := "table " + cfg.Data.Table
	if cfg.Data.Table == "" {
		what = "query"
	}
	db := &dbSource{ctx: ctx, conn: conn, spec: spec, patterns: needsOnlyPatterns(cfg)}
	db.facts = EngineFacts{Engine: string(spec.Dialect), Fetched: FetchedCustomers}
	if db.patterns {
		db.facts.Fetched = FetchedPatterns
		db.noActivity = !needsActivity(cfg)
	}
	return &LogInput{Name: string(spec.Dialect) + " " + RedactDSN(dsn) + " " + what, Key: "data.engine", db: db}, nil
}

// summarize computes a window's summary in the database: from the pattern
// table when the run needs no more (expanded into one row per customer,
// without ids, in the table's order), or one row per customer.
func (d *dbSource) summarize(ro datasets.ReadOptions, so datasets.SummaryOptions) (*datasets.Summary, error) {
	spec := d.spec
	spec.Summary = so
	spec.ExcludeAfterEnd, spec.Start = ro.ExcludeAfterEnd, ro.Start
	defer func() { d.facts.BytesReceived = engine.BytesReceived(d.conn) }()
	if !d.patterns || so.Discrete || so.InterPurchase {
		s, err := engine.Summarize(d.ctx, d.conn, spec)
		if err == nil {
			d.facts.Rows, d.facts.Fetched = len(s.Customers), FetchedCustomers
		}
		return s, err
	}
	if d.noActivity {
		spec.Summary.ActivityPeriodDays = 0
	}
	p, err := engine.SummarizePatterns(d.ctx, d.conn, spec)
	if err != nil {
		return nil, err
	}
	d.facts.Rows = len(p.Summary.Customers)
	return ExpandPatterns(p.Summary), nil
}

// ExpandPatterns turns a compressed summary into one row per customer
// (Weight 1), each pattern row repeated Weight times in the table's order;
// the customers have no ids. Weights must be whole numbers.
func ExpandPatterns(p *datasets.Summary) *datasets.Summary {
	s := *p
	s.Compressed = false
	n := 0
	for _, c := range p.Customers {
		n += int(c.Weight)
	}
	s.Customers = make([]datasets.CustomerSummary, 0, n)
	for _, c := range p.Customers {
		k := int(c.Weight)
		c.Weight = 1
		for range k {
			s.Customers = append(s.Customers, c)
		}
	}
	return &s
}

// engineFacts returns what the manifest records about a database source
// (nil for a file).
func (l *LogInput) engineFacts() *EngineFacts {
	if l.db == nil {
		return nil
	}
	f := l.db.facts
	return &f
}

var keyValuePassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// RedactDSN returns a connection string without its password, for the
// manifest and messages.
func RedactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return strings.Replace(u.String(), "xxxxx", "REDACTED", -1)
	}
	return keyValuePassword.ReplaceAllString(dsn, "${1}REDACTED")
}

// summarizeEngine computes one summary in the database of an engine
// config (for CheckData).
func summarizeEngine(cfg *Config, ro datasets.ReadOptions, so datasets.SummaryOptions) (*datasets.Summary, error) {
	l, err := openEngineData(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Summarize(ro, so)
}

// writeBackSummaryColumns are the columns of predictions.csv that come
// from a customer's own summary, in its order (a forecast has the first
// five).
var writeBackSummaryColumns = []string{"customer_id", "frequency", "recency", "T", "monetary_value",
	"frequency_holdout", "monetary_value_holdout", "duration_holdout", "revenue_holdout"}

// WriteBackSQL returns the statements output.table runs after a run of an
// engine config, in dialect d, for a run not made yet (see
// engine.WriteBackTemplate): for a new table, and with
// output.table_replace those that replace an existing one; dateText
// reads the date column as text (engine.Spec.DateText).
func WriteBackSQL(cfg *Config, d engine.Dialect, dateText bool) (create, replace []engine.Statement, err error) {
	spec, err := EngineSpec(cfg, cfg.Resolved.Windows[len(cfg.Resolved.Windows)-1])
	if err != nil {
		return nil, nil, err
	}
	spec.Dialect, spec.Start, spec.DateText = d, ReadOptions(cfg).Start, dateText
	names := writeBackSummaryColumns
	if cfg.Resolved.Forecast {
		names = names[:5]
	}
	cols := make([]engine.Column, len(names))
	for i, n := range names {
		cols[i] = engine.Column{Name: n, Expr: summarySQL[n], Text: n == "customer_id"}
	}
	return engine.WriteBackTemplate(spec, cfg.Output.Table, cfg.Output.TableReplace, cols)
}
