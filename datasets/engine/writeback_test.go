package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
)

// TestWriteTableIsAtomic writes a small table from the bad-rows log in
// each engine and checks: its rows are the summary's customers with their
// values; a pattern missing from the pattern table fails the write with a
// RowCountError and leaves no table (nor staging table) behind; an
// existing table is a TableExistsError unless replacing is asked for.
func TestWriteTableIsAtomic(t *testing.T) {
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			t.Parallel()
			var spec engine.Spec
			for _, c := range cases(t) {
				if c.name == "bad-rows-skipped" {
					spec = c.spec
				}
			}
			want, err := datasets.Summarize(strings.NewReader(badLog), "bad.csv", datasets.ReadOptions{OnBadRow: "skip", Start: spec.Start}, spec.Summary)
			if err != nil {
				t.Fatal(err)
			}
			eng := e.start(t)
			eng.Load(t, "badrows", badRows(t))
			ctx := context.Background()
			conn, err := engine.Open(ctx, e.dialect, eng.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			spec.Dialect = e.dialect
			wb := engine.WriteBack{Source: spec, Table: "scores", ExpectRows: int64(len(want.Customers)),
				Patterns: engine.PatternTable{Columns: []string{"pv_0"}, Values: [][]float64{nil}},
				Output: []engine.Column{{Name: "customer_id", Text: true, Expr: engine.ColID}, {Name: "T", Expr: engine.ColT},
					{Name: "monetary_value", Expr: engine.ColMonetary}, {Name: "pattern", Expr: "pv_0"}}}
			for i := range want.Customers {
				k, err := engine.PatternKeyOf(&want.Customers[i], want.Unit)
				if err != nil {
					t.Fatal(err)
				}
				wb.Patterns.Keys = append(wb.Patterns.Keys, k)
				wb.Patterns.Values[0] = append(wb.Patterns.Values[0], float64(i))
			}

			broken := wb
			broken.Patterns = engine.PatternTable{Columns: []string{"pv_0"}, Keys: wb.Patterns.Keys[1:], Values: [][]float64{wb.Patterns.Values[0][1:]}}
			var rc *engine.RowCountError
			if _, err := engine.WriteTable(ctx, conn, broken); !errors.As(err, &rc) || rc.Rows != rc.Want-1 {
				t.Fatalf("a missing pattern: %v, want a RowCountError one row short", err)
			}
			if n := countTables(t, conn); n != 1 {
				t.Fatalf("after a failed write the database holds %d tables, want the source alone", n)
			}

			w, err := engine.WriteTable(ctx, conn, wb)
			if err != nil || w.Rows != int64(len(want.Customers)) || w.Replaced {
				t.Fatalf("write: %+v, %v", w, err)
			}
			checkScores(t, conn, want)
			var te *engine.TableExistsError
			if _, err := engine.WriteTable(ctx, conn, wb); !errors.As(err, &te) {
				t.Fatalf("writing over the table: %v, want a TableExistsError", err)
			}
			wb.Replace = true
			if w, err := engine.WriteTable(ctx, conn, wb); err != nil || !w.Replaced {
				t.Fatalf("replacing: %+v, %v", w, err)
			}
			checkScores(t, conn, want)
			if n := countTables(t, conn); n != 2 {
				t.Fatalf("after replacing, the database holds %d tables, want the source and the scores", n)
			}
		})
	}
}

// countTables counts the tables of the database (the ClickHouse shard
// the connection speaks to holds the source's local and Distributed
// tables).
func countTables(t *testing.T, conn engine.Conn) int {
	t.Helper()
	q := "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
	if conn.Dialect() == engine.ClickHouse {
		q = "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name != 'badrows_local'"
	}
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// checkScores checks the scores table against the summary.
func checkScores(t *testing.T, conn engine.Conn, want *datasets.Summary) {
	t.Helper()
	q := "SELECT customer_id, T, monetary_value, pattern FROM scores ORDER BY pattern"
	if conn.Dialect() == engine.Postgres {
		q = `SELECT customer_id, "T", monetary_value, pattern FROM scores ORDER BY pattern`
	}
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var id string
		var age, m, p float64
		if err := rows.Scan(&id, &age, &m, &p); err != nil {
			t.Fatal(err)
		}
		c := want.Customers[i]
		if id != c.ID || age != c.T || !close(m, c.Monetary) || p != float64(i) {
			t.Fatalf("row %d: %s %v %v %v, want %+v", i, id, age, m, p, c)
		}
	}
	if err := rows.Err(); err != nil || i != len(want.Customers) {
		t.Fatalf("%d rows (%v), want %d", i, err, len(want.Customers))
	}
}
