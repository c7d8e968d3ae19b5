package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// update rewrites the golden files under testdata/ instead of comparing
// with them: go test ./experiments -run Golden -update. It is the one
// -update flag of the package; other test files use it too.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// compareRows is a comparison of two runs exercising every rule: two
// targets, a tie (pearson of bgnbd and paretonbd in run 2024-02), a
// negative bias closest to zero, an undefined value (NaN gini), a missing
// metric (no msle in the heuristic row), an extra metric, a metric with a
// single defined value per target (gini on revenue), and a run name with a
// pipe.
func compareRows() []CompareRow {
	return []CompareRow{
		{Run: "2024-01", Model: "bgnbd", Target: "holdout", Metrics: map[string]float64{
			"customers": 2357, "bias": 0.031, "mae": 0.9731, "rmse": 1.52, "msle": 0.212,
			"pearson": 0.61, "spearman": 0.44, "top10_share": 0.3512, "top20_share": 0.5234, "gini": 0.4412,
		}},
		{Run: "2024-01", Model: "bgnbd", Target: "holdout_revenue", Metrics: map[string]float64{
			"customers": 2357, "bias": -0.12, "mae": 41.5, "rmse": 120.25, "msle": 1.9,
			"pearson": 0.5, "spearman": 0.41, "top10_share": 0.4, "top20_share": 0.6, "gini": math.NaN(),
		}},
		{Run: "2024-02", Model: "bgnbd", Target: "holdout", Metrics: map[string]float64{
			"customers": 2357, "bias": -0.02, "mae": 0.95, "rmse": 1.5, "msle": 0.2,
			"pearson": 0.62, "spearman": 0.45, "top10_share": 0.35, "top20_share": 0.52, "gini": 0.45,
		}},
		{Run: "2024-02", Model: "paretonbd", Target: "holdout", Metrics: map[string]float64{
			"customers": 2357, "bias": 0.05, "mae": 0.96, "rmse": 1.49, "msle": 0.21,
			"pearson": 0.62, "spearman": 0.47, "top10_share": 0.36, "top20_share": 0.51, "gini": 0.44,
			"loglik": -9582.4,
		}},
		{Run: "2024-02", Model: "paretonbd", Target: "holdout_revenue", Metrics: map[string]float64{
			"customers": 2357, "bias": 0.08, "mae": 40.123456, "rmse": 125, "msle": 2.1,
			"pearson": 0.52, "spearman": 0.4, "top10_share": 0.41, "top20_share": 0.59, "gini": 0.38,
		}},
		{Run: "a|b", Model: "average", Target: "holdout", Metrics: map[string]float64{
			"customers": 2357, "bias": 0.3, "mae": 1.2, "rmse": 2.1e-5,
			"pearson": 0.2, "spearman": 0.3, "top10_share": 0.2, "top20_share": 0.3, "gini": 0.1,
		}},
	}
}

// TestCompareTableBest states by hand which row is best at what.
func TestCompareTableBest(t *testing.T) {
	c := CompareTable(compareRows())
	wantCols := append(MetricNames()[:1], MetricNames()[3:]...) // no totals in the rows
	wantCols = append(wantCols, "loglik")
	if !slices.Equal(c.Columns, wantCols) {
		t.Errorf("Columns = %v, want %v", c.Columns, wantCols)
	}
	type key struct{ run, model, target string }
	want := map[key][]string{
		// holdout: |bias| 0.031, 0.02, 0.05, 0.3 → 2024-02 bgnbd; mae .9731
		// .95 .96 1.2 → bgnbd 02; rmse 1.52 1.5 1.49 2.1e-5 → average;
		// msle .212 .2 .21 (average missing) → bgnbd 02; pearson .61 .62
		// .62 .2 → tie; spearman → paretonbd; top10 → paretonbd; top20
		// .5234 .52 .51 .3 → bgnbd 01; gini .4412 .45 .44 .1 → bgnbd 02.
		{"2024-01", "bgnbd", "holdout"}:     {"top20_share"},
		{"2024-02", "bgnbd", "holdout"}:     {"bias", "mae", "msle", "pearson", "gini"},
		{"2024-02", "paretonbd", "holdout"}: {"pearson", "spearman", "top10_share"},
		{"a|b", "average", "holdout"}:       {"rmse"},
		// holdout_revenue: |bias| .12 .08 → paretonbd; mae 41.5 40.12 →
		// paretonbd; rmse 120.25 125 → bgnbd; msle 1.9 2.1 → bgnbd; pearson
		// .5 .52 → paretonbd; spearman .41 .4 → bgnbd; top10 .4 .41 →
		// paretonbd; top20 .6 .59 → bgnbd; gini: one defined value, no mark.
		{"2024-01", "bgnbd", "holdout_revenue"}:     {"rmse", "msle", "spearman", "top20_share"},
		{"2024-02", "paretonbd", "holdout_revenue"}: {"bias", "mae", "pearson", "top10_share"},
	}
	order := []key{
		{"2024-01", "bgnbd", "holdout"}, {"2024-02", "bgnbd", "holdout"},
		{"2024-02", "paretonbd", "holdout"}, {"a|b", "average", "holdout"},
		{"2024-01", "bgnbd", "holdout_revenue"}, {"2024-02", "paretonbd", "holdout_revenue"},
	}
	if len(c.Rows) != len(order) {
		t.Fatalf("%d rows, want %d", len(c.Rows), len(order))
	}
	for k, r := range c.Rows {
		got := key{r.Run, r.Model, r.Target}
		if got != order[k] {
			t.Errorf("row %d is %v, want %v", k, got, order[k])
		}
		if !slices.Equal(r.Best, want[got]) {
			t.Errorf("%v best at %v, want %v", got, r.Best, want[got])
		}
	}
}

func TestCompareTableEdges(t *testing.T) {
	// A single row is best at nothing (fewer than two values).
	c := CompareTable([]CompareRow{{Run: "r", Model: "m", Target: "t", Metrics: map[string]float64{"mae": 1}}})
	if len(c.Rows) != 1 || len(c.Rows[0].Best) != 0 {
		t.Errorf("single row: %+v", c.Rows)
	}
	// NaN is never best; equal values are both best; bias compares |bias|.
	c = CompareTable([]CompareRow{
		{Run: "1", Target: "t", Metrics: map[string]float64{"gini": math.NaN(), "bias": -0.1}},
		{Run: "2", Target: "t", Metrics: map[string]float64{"gini": 0.1, "bias": 0.1}},
		{Run: "3", Target: "t", Metrics: map[string]float64{"gini": 0.1, "bias": 0.2}},
	})
	for k, want := range [][]string{{"bias"}, {"bias", "gini"}, {"gini"}} {
		if !slices.Equal(c.Rows[k].Best, want) {
			t.Errorf("row %d best at %v, want %v", k, c.Rows[k].Best, want)
		}
	}
	// No rows: no columns, and every format still writes.
	if c := CompareTable(nil); len(c.Columns) != 0 || len(c.Rows) != 0 {
		t.Errorf("empty: %+v", c)
	}
	for _, f := range CompareFormats() {
		if err := WriteComparison(&bytes.Buffer{}, nil, f); err != nil {
			t.Errorf("%s of no rows: %v", f, err)
		}
	}
	// The input is not modified.
	rows := compareRows()
	CompareTable(rows)
	if rows[0].Run != "2024-01" || rows[0].Target != "holdout" || len(rows[0].Metrics) != 10 {
		t.Errorf("CompareTable modified its input: %+v", rows[0])
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteComparisonWriteError(t *testing.T) {
	for _, f := range CompareFormats() {
		err := WriteComparison(failWriter{}, compareRows(), f)
		if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "writing "+f) {
			t.Errorf("%s: error %v", f, err)
		}
	}
}

func TestWriteComparisonUnknownFormat(t *testing.T) {
	err := WriteComparison(&bytes.Buffer{}, compareRows(), "html")
	if err == nil || !strings.Contains(err.Error(), `unknown format "html"`) ||
		!strings.Contains(err.Error(), "markdown, csv, json") {
		t.Errorf("error %v", err)
	}
}

// TestWriteComparisonGolden compares each format with its golden file
// under testdata/ (rewritten with -update).
func TestWriteComparisonGolden(t *testing.T) {
	for format, file := range map[string]string{
		"markdown": "compare.md", "csv": "compare.csv", "json": "compare.json",
	} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteComparison(&buf, compareRows(), format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", format, path, buf.Bytes())
			}
			// Byte-identical on a second call (map iteration is unordered).
			var again bytes.Buffer
			if err := WriteComparison(&again, compareRows(), format); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("second call differs (%v)", err)
			}
		})
	}
}

// TestWriteComparisonRoundTrip reads the csv and json output back and
// checks every value against the input exactly, and the best markers
// against CompareTable.
func TestWriteComparisonRoundTrip(t *testing.T) {
	rows := compareRows()
	c := CompareTable(rows)

	var buf bytes.Buffer
	if err := WriteComparison(&buf, rows, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	if len(recs) != len(c.Rows)+1 || header[len(header)-1] != "best" {
		t.Fatalf("csv: %d records, header %v", len(recs), header)
	}
	for k, rec := range recs[1:] {
		r := c.Rows[k]
		if rec[0] != r.Run || rec[1] != r.Model || rec[2] != r.Target {
			t.Errorf("csv row %d: %v", k, rec[:3])
		}
		for j, col := range c.Columns {
			cell := rec[3+j]
			v, ok := r.Metrics[col]
			switch {
			case !ok:
				if cell != "" {
					t.Errorf("csv row %d %s = %q, want empty", k, col, cell)
				}
			default:
				got, err := strconv.ParseFloat(cell, 64)
				if err != nil || !closeTo(got, v, 0) {
					t.Errorf("csv row %d %s = %q, want %v", k, col, cell, v)
				}
			}
		}
		if best := rec[len(rec)-1]; best != strings.Join(r.Best, ";") {
			t.Errorf("csv row %d best = %q, want %v", k, best, r.Best)
		}
	}

	buf.Reset()
	if err := WriteComparison(&buf, rows, "json"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Columns []string
		Rows    []struct {
			Run, Model, Target string
			Metrics            map[string]Metric
			Best               []string
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Columns, c.Columns) || len(doc.Rows) != len(c.Rows) {
		t.Fatalf("json: columns %v, %d rows", doc.Columns, len(doc.Rows))
	}
	for k, jr := range doc.Rows {
		r := c.Rows[k]
		if jr.Run != r.Run || jr.Model != r.Model || jr.Target != r.Target || !slices.Equal(jr.Best, r.Best) {
			t.Errorf("json row %d: %+v", k, jr)
		}
		if len(jr.Metrics) != len(r.Metrics) {
			t.Errorf("json row %d: %d metrics, want %d", k, len(jr.Metrics), len(r.Metrics))
		}
		for name, v := range r.Metrics {
			if !closeTo(float64(jr.Metrics[name]), v, 0) {
				t.Errorf("json row %d %s = %v, want %v", k, name, jr.Metrics[name], v)
			}
		}
	}
}

func TestRoundedNumber(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{2357, "2357"},
		{-3, "-3"},
		{0.97312345, "0.9731"},
		{0.012345678, "0.01235"},
		{41.56789, "41.57"},
		{123456.78, "123457"},
		{-0.5, "-0.5"},
		{0.99996, "1"},
		{0.1000004, "0.1"},
		{2.1e-5, "2.1e-05"},
		{1e20, "1e+20"},
	}
	for _, tt := range tests {
		if got := roundedNumber(tt.v); got != tt.want {
			t.Errorf("roundedNumber(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestScoreSetCompareRows(t *testing.T) {
	set := ScoreSet{
		"paretonbd": {"holdout": {Customers: 3, MAE: 0.5}},
		"bgnbd":     {"holdout_revenue": {Customers: 3}, "holdout": {Customers: 3, MAE: 0.4}},
	}
	rows := set.CompareRows("run1")
	var got []string
	for _, r := range rows {
		got = append(got, r.Run+"/"+r.Model+"/"+r.Target)
		if len(r.Metrics) != len(MetricNames()) {
			t.Errorf("%s: %d metrics", got[len(got)-1], len(r.Metrics))
		}
	}
	want := []string{"run1/bgnbd/holdout", "run1/bgnbd/holdout_revenue", "run1/paretonbd/holdout"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if rows[0].Metrics["mae"] != 0.4 {
		t.Errorf("bgnbd holdout mae = %v", rows[0].Metrics["mae"])
	}
}

func ExampleWriteComparison() {
	rows := []CompareRow{
		{Run: "r1", Model: "bgnbd", Target: "holdout", Metrics: map[string]float64{"mae": 0.9731, "gini": 0.44}},
		{Run: "r1", Model: "paretonbd", Target: "holdout", Metrics: map[string]float64{"mae": 0.95, "gini": 0.41}},
	}
	if err := WriteComparison(os.Stdout, rows, "markdown"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// | run | model | target | mae | gini |
	// | --- | --- | --- | ---: | ---: |
	// | r1 | bgnbd | holdout | 0.9731 | 0.44* |
	// | r1 | paretonbd | holdout | 0.95* | 0.41 |
	//
	// `*` best per target and metric: lowest |bias|, mae, rmse, msle; highest pearson, spearman, top10_share, top20_share, gini.
}

// TestCompareRowsRollingOrigin: a rolling-origin run gives the main
// window's rows, then each other window's, labelled by origin; an origin
// row is never marked best, even where it scores better.
func TestCompareRowsRollingOrigin(t *testing.T) {
	sc := func(mae float64) Scores { return Scores{Customers: 10, MAE: Metric(mae)} }
	mf := &MetricsFile{
		Models: map[string]*ModelReport{
			"a": {Holdout: &Scores{Customers: 10, MAE: 2}},
			"b": {Holdout: &Scores{Customers: 10, MAE: 3}},
		},
		Backtest: &Backtest{Windows: []WindowScores{
			{CalibrationEnd: "2024-01-31", Scores: map[string]map[string]Scores{"a": {TargetPurchases: sc(1)}, "b": {TargetPurchases: sc(0.5)}}},
			{CalibrationEnd: "2024-02-29", Main: true, Scores: map[string]map[string]Scores{"a": {TargetPurchases: sc(2)}, "b": {TargetPurchases: sc(3)}}},
		}},
	}
	rows := mf.CompareRows("run")
	var got []string
	for _, r := range rows {
		got = append(got, r.Run+"|"+r.Model+"|"+r.Origin)
	}
	want := []string{"run|a|", "run|b|", "run origin 2024-01-31|a|2024-01-31", "run origin 2024-01-31|b|2024-01-31"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for _, r := range CompareTable(rows).Rows {
		marked := slices.Contains(r.Best, "mae")
		if want := r.Run == "run" && r.Model == "a"; marked != want {
			t.Errorf("%s %s: best mae %v, want %v", r.Run, r.Model, marked, want)
		}
	}
	var b strings.Builder
	if err := WriteComparison(&b, rows, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "never marked best") {
		t.Errorf("markdown lacks the origin legend:\n%s", b.String())
	}
	if (&MetricsFile{Models: mf.Models}).CompareRows("x")[0].Origin != "" {
		t.Error("a run without backtest has origin rows")
	}
}
