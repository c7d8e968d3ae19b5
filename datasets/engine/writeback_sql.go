package engine

import (
	"strings"
)

// The statements of a write-back, built once for WriteTable to run and
// for `clv sql` to print, so that what is printed is what runs.

// Statement is one step of a write-back: its SQL, what the step is for,
// and (for the upload) what data is sent with it.
type Statement struct {
	Note string
	SQL  string
	// Data describes the rows sent with the statement ("" when none).
	Data string
}

// wbSQL holds the statements of one write-back.
type wbSQL struct {
	target, staging, stagingName, patterns, patternsName string
	old, oldName                                         string // the replaced table's name during a ClickHouse swap
	last                                                 string // the table's last name part, quoted (PostgreSQL's RENAME TO)
	exists                                               string
	createPatterns, upload, createStaging, fill, count   string
}

// pgPatterns is the PostgreSQL pattern table: a temporary table of the
// write-back's transaction.
const pgPatterns = "clv_wb_patterns"

// statements builds the statements of wb, naming its tables with suffix.
func (wb *WriteBack) statements(suffix string) (*wbSQL, error) {
	d := wb.Source.Dialect
	s := &wbSQL{}
	var err error
	if s.target, err = quoteIdent(d, wb.Table); err != nil {
		return nil, err
	}
	s.stagingName, _ = sibling(wb.Table, stagingSuffix+suffix)
	s.staging, _ = quoteIdent(d, s.stagingName)
	s.oldName, _ = sibling(wb.Table, "_clv_replaced_"+suffix)
	s.old, _ = quoteIdent(d, s.oldName)
	_, last := sibling(wb.Table, "")
	s.last, _ = quoteIdent(d, last)
	s.patternsName = pgPatterns
	if d == ClickHouse {
		s.patternsName, _ = sibling(wb.Table, patternsSuffix+suffix)
	}
	s.patterns, _ = quoteIdent(d, s.patternsName)
	if d == Postgres {
		s.patterns = pgPatterns
	}
	if s.fill, err = wb.SelectSQL(s.patterns); err != nil {
		return nil, err
	}
	s.fill = "INSERT INTO " + s.staging + " " + s.fill
	names := append([]string{keyX, keyR, keyT}, wb.Patterns.Columns...)
	if d == Postgres {
		s.exists = "SELECT to_regclass(" + TextLiteral(d, s.target) + ") IS NOT NULL"
		s.createPatterns = "CREATE TEMPORARY TABLE " + s.patterns + " " + wb.patternsDDL() + " ON COMMIT DROP"
		s.upload = "COPY " + s.patterns + " (" + strings.Join(names, ", ") + ") FROM STDIN (FORMAT binary)"
		s.createStaging = "CREATE TABLE " + s.staging + " " + wb.columnsDDL()
		return s, nil
	}
	first, _ := quoteIdent(d, wb.Output[0].Name)
	s.exists = "EXISTS TABLE " + s.target
	s.createPatterns = "CREATE TABLE " + s.patterns + " " + wb.patternsDDL() + " ENGINE = Memory"
	s.upload = "INSERT INTO " + s.patterns + " FORMAT RowBinary"
	s.createStaging = "CREATE TABLE " + s.staging + " " + wb.columnsDDL() + " ENGINE = MergeTree() ORDER BY " + first
	s.count = "SELECT count() FROM " + s.staging
	return s, nil
}

// publish returns the statements that give the staging table the table's
// name, replacing the table when it exists.
func (s *wbSQL) publish(d Dialect, exists bool) []string {
	switch {
	case d == Postgres && exists:
		return []string{"DROP TABLE " + s.target, "ALTER TABLE " + s.staging + " RENAME TO " + s.last}
	case d == Postgres:
		return []string{"ALTER TABLE " + s.staging + " RENAME TO " + s.last}
	case exists:
		return []string{"RENAME TABLE " + s.target + " TO " + s.old + ", " + s.staging + " TO " + s.target, "DROP TABLE " + s.old}
	}
	return []string{"RENAME TABLE " + s.staging + " TO " + s.target}
}

// list returns the statements in the order WriteTable runs them.
func (s *wbSQL) list(d Dialect, exists bool) []Statement {
	upload := "one row per distinct (x, t_x, T) of the run's customers, in whole days, with its values, in "
	var out []Statement
	if d == Postgres {
		out = append(out, Statement{Note: "one transaction", SQL: "BEGIN"},
			Statement{Note: "does the table exist? (an existing table needs output.table_replace)", SQL: s.exists},
			Statement{Note: "the per-pattern predictions clv sends", SQL: s.createPatterns},
			Statement{SQL: s.upload, Data: upload + "binary COPY"},
			Statement{Note: "the table, computed by the database from its own customers", SQL: s.createStaging},
			Statement{Note: "its row count must be the run's number of customers, or nothing is kept", SQL: s.fill})
	} else {
		out = append(out, Statement{Note: "does the table exist? (an existing table needs output.table_replace)", SQL: s.exists},
			Statement{Note: "the per-pattern predictions clv sends", SQL: s.createPatterns},
			Statement{SQL: s.upload, Data: upload + "RowBinary (exact float64)"},
			Statement{Note: "the table, computed by the database from its own customers", SQL: s.createStaging},
			Statement{SQL: s.fill},
			Statement{Note: "must be the run's number of customers, or the staging table is dropped", SQL: s.count})
	}
	note := "the staging table takes the table's name"
	if exists {
		note = "with output.table_replace: true, the existing table is replaced"
	}
	for i, p := range s.publish(d, exists) {
		st := Statement{SQL: p}
		if i == 0 {
			st.Note = note
		}
		out = append(out, st)
	}
	if d == Postgres {
		return append(out, Statement{SQL: "COMMIT"})
	}
	return append(out, Statement{Note: "the pattern table is dropped in any case", SQL: "DROP TABLE IF EXISTS " + s.patterns})
}

// The names that stand for the run's columns in a write-back template.
const (
	templatePatternColumn = "pv_run"
	templateOutputColumn  = "clv_run_columns"
)

// WriteBackTemplate returns the statements WriteTable runs to create
// table (replacing it when it exists and replace is set) from the
// customers of source, for a run not made yet: the customers' scope, the
// summary columns (summary: predictions.csv's columns that come from the
// customer's own summary, as expressions of the scope columns), the
// join and the table's handling are exact; the per-pattern values and the
// model columns, which the run computes, are comments. Both the statements
// for a new table and, with replace, those that replace an existing one
// are returned.
func WriteBackTemplate(source Spec, table string, replace bool, summary []Column) (create, replaceExisting []Statement, err error) {
	wb := WriteBack{Source: source, Table: table, Replace: replace,
		Patterns: PatternTable{Columns: []string{templatePatternColumn}, Values: [][]float64{nil}},
		Output:   append(append([]Column(nil), summary...), Column{Name: templateOutputColumn, Expr: templatePatternColumn})}
	if err := wb.check(); err != nil {
		return nil, nil, err
	}
	s, err := wb.statements("<suffix>")
	if err != nil {
		return nil, nil, err
	}
	filled := func(exists bool) []Statement {
		list := s.list(source.Dialect, exists)
		for i := range list {
			list[i].SQL = fillTemplate(source.Dialect, list[i].SQL)
		}
		return list
	}
	create = filled(false)
	if replace {
		replaceExisting = filled(true)
	}
	return create, replaceExisting, nil
}

// fillTemplate replaces the stand-in columns of a template statement by
// comments saying what the run puts there.
func fillTemplate(d Dialect, sql string) string {
	out, _ := quoteIdent(d, templateOutputColumn)
	number := "Float64"
	if d == Postgres {
		number = "double precision"
	}
	r := strings.NewReplacer(
		"("+templatePatternColumn+") AS "+out, "/* the model columns of predictions.csv: each a pattern value pv_k, or the spend, revenue, CLV, net CLV and tier in SQL of wb_x, wb_m and pattern values with the fitted spend model's parameters */",
		out+" "+number, "/* the model columns of predictions.csv: "+number+", text for tiers */",
		templatePatternColumn+" "+number, "pv_0 "+number+", pv_1 "+number+" /* ...: one column per per-pattern value of the run */",
		", "+templatePatternColumn+")", ", pv_0, pv_1 /* ... */)",
		", "+templatePatternColumn+" FROM", ", pv_0, pv_1 /* ... */ FROM",
	)
	return r.Replace(sql)
}
