package experiments

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
)

// writeBackConfig is the quickstart backtest from a database table, with
// costs so that net CLV and every tier occur; %s are the engine, the
// models and the output.table keys.
const writeBackConfig = `name: writeback
seed: 1
data:
  engine: %s
  dsn_env: WB_TEST_DSN
  table: quickstart
  customer: customer_id
  date: date
  amount: amount
split:
  unit: week
  calibration_end: 2024-09-29
  holdout_end: 2025-06-29
models: %s
spend_model: gammagamma
clv:
  horizon: 52
  discount_rate: 0.10
  cost_per_purchase: 1
  cost_per_customer: 0.5
intervals:  # one model's intervals (their spend, revenue and CLV bounds too), to keep the test short
  models: [bgnbd]
  levels: [0.8]
output:
  plots: false
  report: false
%s
`

// TestWriteBackTableMatchesPredictions runs the quickstart from each
// engine with output.table and checks the table against predictions.csv
// of the same run: one row per customer, every value within 1e-9
// relative, every model written (the heuristics too: their values depend
// on (x, t_x, T) only); then that the existing table stops a run without
// output.table_replace, untouched, and is replaced with it; and a
// forecast's table (with the spend column).
func TestWriteBackTableMatchesPredictions(t *testing.T) {
	qs, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			eng := e.start(t)
			eng.Load(t, "quickstart", enginetest.ReadCSV(t, qs))
			t.Setenv("WB_TEST_DSN", eng.DSN)
			conn, err := engine.Open(context.Background(), e.dialect, eng.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			all := "[average, retention, hiatus, bgnbd, paretonbd, mbgnbd]"
			dir := t.TempDir()
			out := runConfigIn(t, dir, fmt.Sprintf(writeBackConfig, e.dialect, all, "  table: qs_predictions"))
			checkManifestTable(t, filepath.Join(dir, "run"), 5000, nil, false)
			checkTable(t, conn, "qs_predictions", filepath.Join(dir, "run", "predictions.csv"), "")
			if out.Table == nil || out.Table.Rows != 5000 {
				t.Fatalf("outcome's table %+v", out.Table)
			}

			cfg := loadText(t, t.TempDir(), fmt.Sprintf(writeBackConfig, e.dialect, "[hiatus]", "  table: qs_predictions"))
			_, err = Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
			if err == nil || !strings.Contains(err.Error(), "output.table_replace: true") {
				t.Fatalf("a run over an existing table: %v, want an error naming output.table_replace", err)
			}
			checkTable(t, conn, "qs_predictions", filepath.Join(dir, "run", "predictions.csv"), "")

			dir = t.TempDir()
			runConfigIn(t, dir, fmt.Sprintf(writeBackConfig, e.dialect, "[hiatus]", "  table: qs_predictions\n  table_replace: true"))
			checkManifestTable(t, filepath.Join(dir, "run"), 5000, nil, true)
			checkTable(t, conn, "qs_predictions", filepath.Join(dir, "run", "predictions.csv"), "")

			// A forecast (no holdout; the spend column) of a model and a
			// heuristic.
			forecast := strings.Replace(fmt.Sprintf(writeBackConfig, e.dialect, "[bgnbd, hiatus]", "  table: qs_forecast"), "  holdout_end: 2025-06-29\n", "", 1)
			dir = t.TempDir()
			runConfigIn(t, dir, forecast)
			checkTable(t, conn, "qs_forecast", filepath.Join(dir, "run", "predictions.csv"), "")
		})
	}
}

// loadText writes a config's text to dir/c.yaml and loads it, failing
// the test on an error.
func loadText(t *testing.T, dir, text string) *Config {
	t.Helper()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkManifestTable checks manifest.json's record of the table.
func checkManifestTable(t *testing.T, run string, rows int64, excluded map[string]bool, replaced bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(run, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OutputTable *TableWritten `json:"output_table"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	tw := m.OutputTable
	if tw == nil || tw.Table != "qs_predictions" || tw.Rows != rows || tw.Replaced != replaced || len(tw.Excluded) != len(excluded) {
		t.Fatalf("manifest output_table %+v, want %d rows, excluded %v, replaced %v", tw, rows, excluded, replaced)
	}
	for name := range excluded {
		if tw.Excluded[name] == "" {
			t.Fatalf("manifest does not say why %s is left out: %+v", name, tw.Excluded)
		}
	}
	if tw.PatternRows <= 0 || tw.PatternRows >= int(rows) || tw.BytesSent <= 0 || tw.BytesSent >= tw.PerCustomerBytes {
		t.Fatalf("manifest output_table sizes %+v", tw)
	}
}

// checkTable compares a written table with predictions.csv: the same
// columns (less those starting with skip), one row per customer, ids and
// tiers exact, numbers within 1e-9 relative.
func checkTable(t *testing.T, conn engine.Conn, table, predictions, skip string) {
	t.Helper()
	f, err := os.Open(predictions)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cols []int
	for j, name := range recs[0] {
		if skip == "" || !strings.HasPrefix(name, skip) {
			cols = append(cols, j)
		}
	}
	want := map[string][]string{}
	for _, r := range recs[1:] {
		want[r[0]] = r
	}
	names := tableColumns(t, conn, table)
	if len(names) != len(cols) {
		t.Fatalf("table %s has %d columns %v, predictions.csv %d to compare", table, len(names), names, len(cols))
	}
	quote := `"`
	if conn.Dialect() == engine.ClickHouse {
		quote = "`"
	}
	sel := make([]string, len(cols))
	for k, j := range cols {
		if !slices.Contains(names, recs[0][j]) {
			t.Fatalf("table %s has no column %s", table, recs[0][j])
		}
		sel[k] = quote + recs[0][j] + quote
	}
	rows, err := conn.Query(context.Background(), "SELECT "+strings.Join(sel, ", ")+" FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen, tiers := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		text, num := make([]string, len(cols)), make([]float64, len(cols))
		dest := make([]any, len(cols))
		for k, j := range cols {
			dest[k] = &num[k]
			if j == 0 || strings.HasSuffix(recs[0][j], "_tier") {
				dest[k] = &text[k]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		w, ok := want[text[0]]
		if !ok || seen[text[0]] {
			t.Fatalf("table row for customer %q: not in predictions.csv, or twice", text[0])
		}
		seen[text[0]] = true
		for k, j := range cols {
			if _, isText := dest[k].(*string); isText {
				if k > 0 {
					tiers[text[k]] = true
				}
				if text[k] != w[j] {
					t.Fatalf("customer %s, %s: %q, want %q", text[0], recs[0][j], text[k], w[j])
				}
				continue
			}
			v, err := strconv.ParseFloat(w[j], 64)
			if err != nil {
				t.Fatal(err)
			}
			if g := num[k]; g != v && math.Abs(g-v) > 1e-9*math.Max(math.Abs(g), math.Abs(v)) {
				t.Fatalf("customer %s, %s: %v, want %v", text[0], recs[0][j], g, v)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tiers) < 3 {
		t.Fatalf("the tiers compared are only %v: the fixture should give best, good and never_profitable at least", tiers)
	}
	if len(seen) != len(want) {
		t.Fatalf("table %s has %d customers, predictions.csv %d", table, len(seen), len(want))
	}
}

// tableColumns returns the column names of a table.
func tableColumns(t *testing.T, conn engine.Conn, table string) []string {
	t.Helper()
	q := "SELECT CAST(column_name AS text) FROM information_schema.columns WHERE table_name = '" + table + "'"
	if conn.Dialect() == engine.ClickHouse {
		q = "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '" + table + "'"
	}
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}
