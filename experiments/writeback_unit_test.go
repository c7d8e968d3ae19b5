package experiments

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
)

const writeBackUnitConfig = `name: wb-unit
data: {engine: postgres, dsn_env: WB_UNIT_DSN, table: log, customer: c, date: d, amount: a}
split: {unit: week, calibration_end: 2024-01-31, holdout_end: 2024-03-31}
models: [bgnbd, paretonbd]
output: {table: scores}
`

// TestWriteBackLeavesOutModelsNotPerPattern: a model whose predictions
// differ between two customers of one pattern is left out, with its
// reason; one whose predictions are per pattern is sent one row per
// pattern, and the SELECT of both dialects joins on the integer keys.
func TestWriteBackLeavesOutModelsNotPerPattern(t *testing.T) {
	cfg := loadText(t, t.TempDir(), writeBackUnitConfig)
	day := func(days float64) float64 { return days / 7 } // weeks
	s := &datasets.Summary{Unit: datasets.Week, CalibrationEnd: cfg.Resolved.Windows[0].CalibrationEnd, HoldoutEnd: cfg.Resolved.Windows[0].HoldoutEnd, HasHoldout: true,
		Customers: []datasets.CustomerSummary{
			{ID: "a", Frequency: 1, Recency: day(7), T: day(20), Weight: 1},
			{ID: "b", Frequency: 1, Recency: day(7), T: day(20), Weight: 1},
			{ID: "c", Frequency: 0, Recency: 0, T: day(3), Weight: 1},
		}}
	a := &Artifacts{Config: cfg, Summary: s, Predictions: map[string]*Prediction{
		"bgnbd":     NewPrediction(PredictionColumns{Purchases: []float64{1, 2, 3}, PAlive: []float64{0.5, 0.5, 0.9}}),
		"paretonbd": NewPrediction(PredictionColumns{Purchases: []float64{1, 1, 3}, PAlive: []float64{0.5, 0.5, 0.9}}),
	}}
	for _, d := range []engine.Dialect{engine.Postgres, engine.ClickHouse} {
		wb, tw, err := buildWriteBack(cfg, a, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tw.Excluded["bgnbd"], "differs between customers of the same") || len(tw.Excluded) != 1 {
			t.Fatalf("%s: excluded %v, want bgnbd alone", d, tw.Excluded)
		}
		if len(wb.Patterns.Keys) != 2 || wb.Patterns.Keys[0] != (engine.PatternKey{X: 1, RecencyDays: 7, AgeDays: 20}) ||
			len(wb.Patterns.Values) != 2 || wb.Patterns.Values[0][1] != 3 {
			t.Fatalf("%s: patterns %+v", d, wb.Patterns)
		}
		var names []string
		for _, c := range wb.Output {
			names = append(names, c.Name)
		}
		if got := strings.Join(names, ","); !strings.HasPrefix(got, "customer_id,frequency,recency,T,") || !strings.HasSuffix(got, ",paretonbd_purchases,paretonbd_p_alive") || strings.Contains(got, ",bgnbd_") {
			t.Fatalf("%s: columns %s", d, got)
		}
		sel, err := wb.SelectSQL("clv_p")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sel, "JOIN") || !strings.Contains(sel, "USING (k_x, k_r, k_t)") {
			t.Fatalf("%s: %s", d, sel)
		}
	}
}

// TestOutputTableKeys: output.table needs data.engine, a plain name that
// is not the source table; output.table_replace needs output.table.
func TestOutputTableKeys(t *testing.T) {
	for _, c := range []struct{ name, data, output, want string }{
		{"no engine", "{embedded: quickstart}", "{table: scores}", "needs data.engine"},
		{"replace alone", "{engine: postgres, dsn_env: X_DSN, table: log, customer: c, date: d}", "{table_replace: true}", "is set without output.table"},
		{"bad name", "{engine: postgres, dsn_env: X_DSN, table: log, customer: c, date: d}", "{table: 'a;b'}", "is not a table name"},
		{"source", "{engine: clickhouse, dsn_env: X_DSN, table: log, customer: c, date: d}", "{table: log}", "is the source table"},
		{"fine", "{engine: clickhouse, dsn_env: X_DSN, table: log, customer: c, date: d}", "{table: db.scores, table_replace: true}", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := "name: k\ndata: " + c.data + "\nsplit: {unit: week, calibration_end: 2024-09-29}\nmodels: [bgnbd]\noutput: " + c.output + "\n"
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, nil)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// rowValues gives a quantity by row per pattern when every customer of a
// pattern has the same value (NaN equal to NaN), whatever rows they are
// on, and refuses it otherwise, as the per-customer column's check does.
func TestPatternRowValues(t *testing.T) {
	px := &patternIndex{of: []int32{0, 1, 0, 1, 2}, rep: []int32{0, 1, 4}}
	nan := math.NaN()
	for _, c := range []struct {
		name  string
		byRow []float64
		rows  []int32
		want  []float64 // nil: refused
	}{
		{"rows equal per pattern", []float64{5, 6, 7}, []int32{0, 1, 0, 1, 2}, []float64{5, 6, 7}},
		{"different rows of equal values", []float64{5, 6, 5, 7}, []int32{0, 1, 2, 1, 3}, []float64{5, 6, 7}},
		{"different values in a pattern", []float64{5, 6, 8, 7}, []int32{0, 1, 2, 1, 3}, nil},
		{"NaN equal to NaN", []float64{nan, 6, nan, 7}, []int32{0, 1, 2, 1, 3}, []float64{nan, 6, 7}},
		{"NaN and a number", []float64{nan, 6, 5, 7}, []int32{0, 1, 2, 1, 3}, nil},
		{"one row per customer", []float64{5, 6, 5, 6, 7}, nil, []float64{5, 6, 7}},
	} {
		got, ok := px.rowValues(c.byRow, c.rows, true)
		column := make([]float64, len(px.of))
		for i := range column {
			if c.rows == nil {
				column[i] = c.byRow[i]
			} else {
				column[i] = c.byRow[c.rows[i]]
			}
		}
		if ok != px.perPattern(column) || ok != (c.want != nil) {
			t.Errorf("%s: ok %v, the column's check %v, want %v", c.name, ok, px.perPattern(column), c.want != nil)
			continue
		}
		if ok && !slices.EqualFunc(got, c.want, func(a, b float64) bool { return a == b || a != a && b != b }) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if _, ok := px.rowValues(nil, nil, false); ok {
		t.Error("values of a quantity without rows")
	}
}

// perPattern reports, customer by customer (the reference rowValues
// must agree with), whether v is the same for every customer of each
// pattern (NaN equal to NaN).
func (px *patternIndex) perPattern(v []float64) bool {
	for i, x := range v {
		y := v[px.rep[px.of[i]]]
		if x != y && (x == x || y == y) {
			return false
		}
	}
	return true
}
