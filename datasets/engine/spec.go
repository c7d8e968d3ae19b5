// Package engine computes the per-customer calibration/holdout summary
// inside a database (PostgreSQL, or ClickHouse from 18.16 on, single
// server or Distributed table) with the file reader's conventions, so that
// only one row per customer crosses the wire instead of the raw log.
//
// The conventions are those of datasets.SummarizeFile: purchases on the
// same UTC day are merged with their amounts summed; frequency counts the
// repeat purchase days in calibration; recency and T are fractional in the
// unit (days / Unit.Days()); the calibration window runs through the end of
// its last day and the holdout from the next day through the end of its
// last day, both inclusive; customers whose first purchase falls after the
// calibration end are counted as late and left out; rows are classified in
// the same query as missing customer id (NULL or ”), unparseable date
// (NULL), unparseable amount (NULL), non-finite amount (NaN, ±Inf),
// negative amount, date outside the window, or after the window's end
// (ReadOptions.ExcludeAfterEnd), in that order of precedence, as the file
// reader checks a row.
//
// The SQL differs by dialect only where the engines do: PostgreSQL takes a
// customer's first day from a window function, ClickHouse (which had no
// window functions in 18.16) from arrays per customer. Every ClickHouse
// function used exists in 18.16 and in current releases.
package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// Dialect names a database engine.
type Dialect string

// The supported engines.
const (
	Postgres   Dialect = "postgres"
	ClickHouse Dialect = "clickhouse"
)

// ParseDialect reads an engine name.
func ParseDialect(s string) (Dialect, error) {
	switch Dialect(strings.ToLower(strings.TrimSpace(s))) {
	case Postgres, "postgresql":
		return Postgres, nil
	case ClickHouse:
		return ClickHouse, nil
	}
	return "", fmt.Errorf("unknown engine %q: use postgres or clickhouse", s)
}

// Spec says where the transactions are and how to summarize them.
type Spec struct {
	Dialect Dialect
	// Table is a table name (optionally schema.table); Query is a SELECT
	// whose rows are the log. Exactly one is set.
	Table string
	Query string
	// Customer, Date and Amount are column names; Amount "" or "none"
	// makes a count-only log.
	Customer, Date, Amount string
	// Summary sets the windows and the unit, as for the file reader.
	Summary datasets.SummaryOptions
	// Start, ExcludeAfterEnd and OnBadRow ("fail" or "skip") mean what
	// they mean in datasets.ReadOptions.
	Start           time.Time
	ExcludeAfterEnd bool
	OnBadRow        string
	// PatternSpend asks the Patterns statement for the distinct spend
	// pairs (x, m̄) of the repeat customers too (see Patterns.Spend):
	// about one row per repeat customer, so only when a spend model is
	// fitted on them.
	PatternSpend bool
	// DateText reads the date column as text, YYYY-MM-DD as the file
	// reader reads it by default, anything else counted as an
	// unparseable date (see textDay); otherwise the column is a date or
	// timestamp converted by the engine. Summarize, SummarizePatterns and
	// WriteTable set it from the column's type (DetectDateText).
	DateText bool
	// NoRepeatDays leaves the repeat purchase days per day out of the
	// Customers and Patterns statements, and Summary.RepeatsPerDay empty:
	// only the tracking plot reads them, and on a large log expanding
	// every customer's purchase days is most of the work left to the
	// server that receives the query.
	NoRepeatDays bool
}

// hasAmount tells whether the log has an amount column.
func (s *Spec) hasAmount() bool {
	a := strings.ToLower(strings.TrimSpace(s.Amount))
	return a != "" && a != "none"
}

// quoteIdent quotes a column or table name for the dialect: a dotted name
// is quoted part by part. Names are quoted, not trusted: a name holding a
// quote character is refused.
func quoteIdent(d Dialect, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("empty name")
	}
	parts := strings.Split(name, ".")
	q := `"`
	if d == ClickHouse {
		q = "`"
	}
	for i, p := range parts {
		if p == "" || strings.ContainsAny(p, "\"`\\\x00") {
			return "", fmt.Errorf("the name %q cannot be quoted: use letters, digits and underscores", name)
		}
		parts[i] = q + p + q
	}
	return strings.Join(parts, "."), nil
}

// window holds the checked day numbers (days since 1970-01-01).
type window struct {
	cal, hold, start  int64
	hasHold, hasStart bool
	unitDays, period  float64
}

// end is the last day of the window.
func (w window) end() int64 {
	if w.hasHold {
		return w.hold
	}
	return w.cal
}

func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// check validates the spec and returns its window.
func (s *Spec) check() (window, error) {
	var w window
	if s.Dialect != Postgres && s.Dialect != ClickHouse {
		return w, fmt.Errorf("engine: unknown dialect %q: use postgres or clickhouse", s.Dialect)
	}
	if (s.Table == "") == (strings.TrimSpace(s.Query) == "") {
		return w, fmt.Errorf("engine: set exactly one of a table and a query")
	}
	if s.Customer == "" || s.Date == "" {
		return w, fmt.Errorf("engine: the customer and date columns must be named")
	}
	switch strings.ToLower(s.OnBadRow) {
	case "", "fail", "skip":
	default:
		return w, fmt.Errorf("engine: on_bad_row %q: use fail or skip", s.OnBadRow)
	}
	so := s.Summary
	w.unitDays, w.period = so.Unit.Days(), so.ActivityPeriodDays
	if !(w.unitDays > 0) {
		return w, fmt.Errorf("engine: the time unit is not set")
	}
	if so.CalibrationEnd.IsZero() {
		return w, fmt.Errorf("engine: the calibration end is not set")
	}
	w.cal = dayNumber(so.CalibrationEnd)
	if !so.HoldoutEnd.IsZero() {
		w.hold, w.hasHold = dayNumber(so.HoldoutEnd), true
		if w.hold <= w.cal {
			return w, fmt.Errorf("engine: the holdout end must be after the calibration end")
		}
	}
	if !s.Start.IsZero() {
		w.start, w.hasStart = dayNumber(s.Start), true
		if w.start > w.cal {
			return w, fmt.Errorf("engine: the start is after the calibration end")
		}
	}
	if w.period < 0 || w.period != w.period {
		return w, fmt.Errorf("engine: the activity period must be ≥ 0")
	}
	return w, nil
}
