package engine

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/datasets"
)

// Writing per-customer predictions back into the database.
//
// A run's per-customer predictions are of two kinds: those of a purchase
// model, which depend on a customer only through the calibration pattern
// (x, t_x, T), and those that also depend on the customer's own spend or
// holdout (the expected spend per purchase, revenue, CLV, net CLV and the
// value tier). So the write-back sends one row per distinct pattern (a
// PatternTable, a few hundred thousand rows at most however many
// customers there are) and lets the engine compute every customer's
// summary with the same SQL as Summarize, join it to the patterns on
// integer day counts (never on floats) and evaluate the per-customer
// columns from SQL expressions the caller gives as data.
//
// The expressions see, per customer, the scope columns below (the
// summary's values computed exactly as Summarize computes them), the
// pattern table's value columns by their names, and the columns of
// earlier Derived layers.

// The scope columns the expressions of a WriteBack may use.
const (
	ColID               = "wb_id" // the customer id, as text
	ColFrequency        = "wb_x"  // frequency x
	ColRecency          = "wb_r"  // recency t_x in the unit
	ColT                = "wb_t"  // age T in the unit
	ColMonetary         = "wb_m"  // mean repeat spend m̄ (0 when x = 0)
	ColFrequencyHoldout = "wb_xh" // holdout purchase days (backtests)
	ColMonetaryHoldout  = "wb_mh" // mean holdout spend (backtests)
	ColDurationHoldout  = "wb_dh" // the holdout's length in the unit (backtests)
	keyX, keyR, keyT    = "k_x", "k_r", "k_t"
	stagingSuffix       = "_clv_staging_"
	patternsSuffix      = "_clv_patterns_"
)

// PatternKey identifies a calibration pattern by integers: the repeat
// purchase days x, and the recency and age in whole days (t_x and T times
// the unit's days), so that the engine joins on exact values.
type PatternKey struct{ X, RecencyDays, AgeDays int64 }

// PatternKeyOf returns the key of a customer of a summary in unit u. It
// fails when the summary's values are not whole days in the unit (they
// always are for a summary Summarize or the file reader computed).
func PatternKeyOf(c *datasets.CustomerSummary, u datasets.Unit) (PatternKey, error) {
	days := u.Days()
	k := PatternKey{X: int64(c.Frequency), RecencyDays: int64(math.Round(c.Recency * days)), AgeDays: int64(math.Round(c.T * days))}
	if float64(k.X) != c.Frequency || float64(k.RecencyDays)/days != c.Recency || float64(k.AgeDays)/days != c.T {
		return k, fmt.Errorf("customer %s: frequency %g, recency %g, T %g are not whole days in %ss", c.ID, c.Frequency, c.Recency, c.T, u.Name)
	}
	return k, nil
}

// PatternTable is the per-pattern values sent to the engine: Keys[j] and
// Values[c][j] for value column Columns[c].
type PatternTable struct {
	Columns []string
	Keys    []PatternKey
	Values  [][]float64
}

// Column is a column of the written table or of a Derived layer: its name
// and the SQL expression that computes it; Text makes it a text column
// (a number otherwise).
type Column struct {
	Name string
	Text bool
	Expr string
}

// WriteBack describes a table of per-customer predictions to create.
type WriteBack struct {
	// Source is the summary spec of the run's window: its customers are
	// the table's rows.
	Source Spec
	// Table is the table to create (optionally schema.table or
	// database.table); Replace allows replacing an existing one.
	Table   string
	Replace bool
	// Patterns holds the per-pattern values; every customer's pattern
	// must be among its keys.
	Patterns PatternTable
	// Derived are intermediate layers of columns (internal names, each
	// layer seeing the previous ones), Output the table's columns in
	// order.
	Derived [][]Column
	Output  []Column
	// ExpectRows is the number of customers the run predicted: a table
	// with another number of rows is not kept.
	ExpectRows int64
}

var internalName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// check validates the names of a write-back.
func (wb *WriteBack) check() error {
	if _, err := quoteIdent(wb.Source.Dialect, wb.Table); err != nil {
		return fmt.Errorf("engine: output table: %w", err)
	}
	seen := map[string]bool{ColID: true, ColFrequency: true, ColRecency: true, ColT: true, ColMonetary: true,
		ColFrequencyHoldout: true, ColMonetaryHoldout: true, ColDurationHoldout: true, keyX: true, keyR: true, keyT: true}
	internal := func(name string) error {
		if !internalName.MatchString(name) || seen[name] {
			return fmt.Errorf("engine: internal column name %q is not a fresh lower-case name", name)
		}
		seen[name] = true
		return nil
	}
	p := wb.Patterns
	if len(p.Values) != len(p.Columns) {
		return fmt.Errorf("engine: %d pattern columns named, %d given", len(p.Columns), len(p.Values))
	}
	for c, name := range p.Columns {
		if err := internal(name); err != nil {
			return err
		}
		if len(p.Values[c]) != len(p.Keys) {
			return fmt.Errorf("engine: pattern column %s has %d values for %d keys", name, len(p.Values[c]), len(p.Keys))
		}
	}
	for _, layer := range wb.Derived {
		for _, c := range layer {
			if err := internal(c.Name); err != nil {
				return err
			}
		}
	}
	out := map[string]bool{}
	for _, c := range wb.Output {
		if _, err := quoteIdent(wb.Source.Dialect, c.Name); err != nil || strings.Contains(c.Name, ".") || out[c.Name] || seen[c.Name] {
			return fmt.Errorf("engine: output column name %q is empty, repeated, dotted or internal", c.Name)
		}
		out[c.Name] = true
	}
	if len(wb.Output) == 0 {
		return fmt.Errorf("engine: the output table has no columns")
	}
	return nil
}

// Literal writes a float64 as an SQL literal the dialect reads back to
// the same value (±Inf included; NaN is not a value a table gets).
func Literal(d Dialect, v float64) string {
	switch {
	case math.IsInf(v, 1) && d == Postgres:
		return "CAST('Infinity' AS double precision)"
	case math.IsInf(v, -1) && d == Postgres:
		return "CAST('-Infinity' AS double precision)"
	case math.IsInf(v, 1):
		return "(toFloat64(1) / 0)"
	case math.IsInf(v, -1):
		return "(toFloat64(-1) / 0)"
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if d == Postgres {
		return "CAST(" + s + " AS double precision)"
	}
	return "toFloat64(" + s + ")"
}

// TextLiteral writes a string as an SQL literal.
func TextLiteral(d Dialect, s string) string {
	if d == ClickHouse {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// IDAtMost returns a condition true for the customers whose id (the text
// column id) comes no later than cut in the order of ids clv breaks ties
// by: by value when every id is an integer (numeric), and byte by byte
// otherwise (and among equal values).
func IDAtMost(d Dialect, id, cut string, numeric bool) string {
	lit := TextLiteral(d, cut)
	bytewise := id + " <= " + lit
	if d == Postgres {
		bytewise = id + ` COLLATE "C" <= ` + lit + ` COLLATE "C"`
	}
	if !numeric {
		return "(" + bytewise + ")"
	}
	n, _ := strconv.ParseInt(cut, 10, 64)
	val := "CAST(" + id + " AS bigint)"
	if d == ClickHouse {
		val = "toInt64(" + id + ")"
	}
	return fmt.Sprintf("(%s < %d OR (%s = %d AND %s))", val, n, val, n, bytewise)
}

// scopeSQL returns one row per calibration customer with the pattern key
// and the scope columns, from the summary's customer statement.
func (wb *WriteBack) scopeSQL() (string, error) {
	spec := wb.Source
	spec.Summary.ActivityPeriodDays = 0
	w, err := spec.check()
	if err != nil {
		return "", err
	}
	g, err := newGen(spec, w)
	if err != nil {
		return "", err
	}
	d := spec.Dialect
	// The customers as Summarize aggregates them (cid, first_day,
	// last_cal, n_cal, n_hold, rep_sum, hold_sum), late ones included.
	customers := g.pgWith() + " SELECT cid, first_day, last_cal, n_cal, n_hold, rep_sum, hold_sum FROM clv_c"
	if d == ClickHouse {
		customers = "SELECT clv_cid AS cid, clv_first_day AS first_day, clv_last_cal AS last_cal, clv_n_cal AS n_cal, clv_n_hold AS n_hold," +
			" clv_rep_sum AS rep_sum, clv_hold_sum AS hold_sum FROM (" + g.chCustomerAgg() + ") AS clv_agg"
	}
	cal := num(w.cal)
	integer := func(e string) string {
		if d == Postgres {
			return "CAST(" + e + " AS bigint)"
		}
		return "toInt64(" + e + ")"
	}
	float := func(e string) string {
		if d == Postgres {
			return "CAST(" + e + " AS double precision)"
		}
		return "toFloat64(" + e + ")"
	}
	unit := Literal(d, w.unitDays)
	zero := Literal(d, 0)
	cols := []string{
		"cid AS " + ColID,
		integer("n_cal") + " - 1 AS " + keyX,
		integer("last_cal - first_day") + " AS " + keyR,
		integer(cal+" - first_day") + " AS " + keyT,
		float(integer("n_cal")+" - 1") + " AS " + ColFrequency,
		float("last_cal - first_day") + " / " + unit + " AS " + ColRecency,
		float(cal+" - first_day") + " / " + unit + " AS " + ColT,
		"CASE WHEN n_cal > 1 THEN rep_sum / " + float(integer("n_cal")+" - 1") + " ELSE " + zero + " END AS " + ColMonetary,
	}
	if w.hasHold {
		cols = append(cols,
			float("n_hold")+" AS "+ColFrequencyHoldout,
			"CASE WHEN n_hold > 0 THEN hold_sum / "+float("n_hold")+" ELSE "+zero+" END AS "+ColMonetaryHoldout,
			Literal(d, float64(w.hold-w.cal)/w.unitDays)+" AS "+ColDurationHoldout)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + customers + ") AS clv_cust WHERE first_day <= " + cal, nil
}

// SelectSQL returns the SELECT that computes the table's rows, joining
// the customers to the pattern table named patterns (as the dialect
// spells it).
func (wb *WriteBack) SelectSQL(patterns string) (string, error) {
	if err := wb.check(); err != nil {
		return "", err
	}
	scope, err := wb.scopeSQL()
	if err != nil {
		return "", err
	}
	join := "INNER JOIN " + patterns + " AS clv_p"
	if wb.Source.Dialect == ClickHouse {
		join = "ALL INNER JOIN (SELECT * FROM " + patterns + ") AS clv_p"
	}
	// The columns are listed: ClickHouse 18.16 expands * in a join to
	// the left side's columns only.
	cols := []string{ColID, ColFrequency, ColRecency, ColT, ColMonetary}
	if !wb.Source.Summary.HoldoutEnd.IsZero() {
		cols = append(cols, ColFrequencyHoldout, ColMonetaryHoldout, ColDurationHoldout)
	}
	cols = append(cols, wb.Patterns.Columns...)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM (" + scope + ") AS clv_c " + join + " USING (" + keyX + ", " + keyR + ", " + keyT + ")"
	for i, layer := range wb.Derived {
		parts := make([]string, len(layer))
		for j, c := range layer {
			parts[j] = "(" + c.Expr + ") AS " + c.Name
		}
		q = "SELECT *, " + strings.Join(parts, ", ") + " FROM (" + q + ") AS clv_l" + strconv.Itoa(i)
	}
	parts := make([]string, len(wb.Output))
	for j, c := range wb.Output {
		name, _ := quoteIdent(wb.Source.Dialect, c.Name)
		parts[j] = "(" + c.Expr + ") AS " + name
	}
	return "SELECT " + strings.Join(parts, ", ") + " FROM (" + q + ") AS clv_out", nil
}

// columnsDDL returns the column list of the output table.
func (wb *WriteBack) columnsDDL() string {
	d := wb.Source.Dialect
	text, number := "text", "double precision"
	if d == ClickHouse {
		text, number = "String", "Float64"
	}
	parts := make([]string, len(wb.Output))
	for j, c := range wb.Output {
		name, _ := quoteIdent(d, c.Name)
		typ := number
		if c.Text {
			typ = text
		}
		parts[j] = name + " " + typ
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// patternsDDL returns the column list of the pattern table.
func (wb *WriteBack) patternsDDL() string {
	integer, number := "bigint", "double precision"
	if wb.Source.Dialect == ClickHouse {
		integer, number = "Int64", "Float64"
	}
	parts := []string{keyX + " " + integer, keyR + " " + integer, keyT + " " + integer}
	for _, c := range wb.Patterns.Columns {
		parts = append(parts, c+" "+number)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// UploadBytes returns the bytes rows take in the binary upload format of
// the dialect (PostgreSQL's binary COPY: 2 bytes a row and 4 a field plus
// the values; ClickHouse's RowBinary: a length byte or more per string
// plus the values), with 8-byte numbers and text fields of the given
// total length: the measure of what a write-back sends.
func UploadBytes(d Dialect, rows, numbers, textFields, textBytes int64) int64 {
	if d == Postgres {
		return rows*2 + (rows*(numbers+textFields))*4 + rows*numbers*8 + textBytes
	}
	return rows*numbers*8 + rows*textFields + textBytes
}
