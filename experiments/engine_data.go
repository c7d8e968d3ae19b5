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
	}, nil
}

// dbSource is an open database connection with the spec of a run.
type dbSource struct {
	ctx  context.Context
	conn engine.Conn
	spec engine.Spec
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
	return &LogInput{Name: string(spec.Dialect) + " " + RedactDSN(dsn) + " " + what, Key: "data.engine",
		db: &dbSource{ctx: ctx, conn: conn, spec: spec}}, nil
}

// summarize computes a window's summary in the database.
func (d *dbSource) summarize(ro datasets.ReadOptions, so datasets.SummaryOptions) (*datasets.Summary, error) {
	spec := d.spec
	spec.Summary = so
	spec.ExcludeAfterEnd, spec.Start = ro.ExcludeAfterEnd, ro.Start
	return engine.Summarize(d.ctx, d.conn, spec)
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
