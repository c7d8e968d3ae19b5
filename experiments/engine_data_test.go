package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
	"github.com/clv-dev/clv/datasets/sharedtest"
)

// engineRunConfig is a rolling backtest on CDNOW (retention included, for
// the activity bitmaps; Gamma-Gamma, for the amounts); %s is the data
// section.
const engineRunConfig = `name: engine-check
seed: 1
data:
%s
split:
  unit: week
  calibration_end: 1997-09-30
  holdout_end: 1998-06-30
  origins: [1997-08-31]
models: [average, retention, bgnbd]
spend_model: gammagamma
retention:
  period: month
output:
  plots: false
  report: false
`

// runMetrics runs a config text and returns its metrics.json as a tree.
func runMetrics(t *testing.T, text string) map[string]any {
	t.Helper()
	dir := t.TempDir()
	if err := runConfigIn(t, dir, text).Err(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "run", "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameJSON compares two metrics trees: numbers within a relative 1e-4,
// everything else exactly, and the optimizer's convergence diagnostics
// not at all. The engine sums amounts in an order of its own (a table has
// no row order), so spends differ in the last bits (on CDNOW about 5% of
// the rows; the summary test checks them to 1e-12); a fit stops anywhere
// within its tolerance, so what is fitted moves by up to about that
// tolerance (1e-6 seen), and a rank statistic over near-tied revenues by
// a little more (3e-5 seen); the gradient norm at the stop moves freely.
func sameJSON(path string, a, b any) error {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return fmt.Errorf("%s: %v vs %v", path, a, b)
		}
		for k := range x {
			if convergenceDiagnostics[k] {
				continue
			}
			if err := sameJSON(path+"."+k, x[k], y[k]); err != nil {
				return err
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Errorf("%s: %v vs %v", path, a, b)
		}
		for i := range x {
			if err := sameJSON(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); err != nil {
				return err
			}
		}
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > 1e-4*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
			return fmt.Errorf("%s: %v vs %v", path, a, b)
		}
	default:
		if a != b {
			return fmt.Errorf("%s: %v vs %v", path, a, b)
		}
	}
	return nil
}

var convergenceDiagnostics = map[string]bool{"gradient_norm": true, "iterations": true, "evaluations": true}

// TestEngineRunMatchesFileRun runs the same rolling CDNOW backtest from
// the file and from each engine: metrics.json must agree except for the
// data-identity fields (data.file, data.sha256) and the count of duplicate
// rows, which only a file's row order can give.
func TestEngineRunMatchesFileRun(t *testing.T) {
	cdnow, fileData := cdnowFileData(t)
	want := runMetrics(t, fmt.Sprintf(engineRunConfig, fileData))
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			eng := e.start(t)
			eng.Load(t, "cdnow", enginetest.ReadCDNOW(t, cdnow))
			t.Setenv("ENGINE_TEST_DSN", eng.DSN)
			dbData := engineDataKeys(e.dialect, "cdnow")
			got := runMetrics(t, fmt.Sprintf(engineRunConfig, dbData))
			for _, m := range []map[string]any{got, want} {
				d := m["data"].(map[string]any)
				delete(d, "file")
				delete(d, "sha256")
				// A table has no row order, so an engine cannot tell a
				// row that repeats the one before it (the file's 20
				// duplicate rows and their warning).
				delete(d, "duplicate_rows")
				delete(m, "warnings")
			}
			if !strings.Contains(fmt.Sprint(got["models"]), "bgnbd") {
				t.Fatalf("no bgnbd in metrics: %v", got["models"])
			}
			if err := sameJSON("metrics", got, want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// runConfigIn writes a config's text to dir/c.yaml, loads it and runs it
// into dir/run, failing the test on a load or run error; gate results are
// left to the caller (Outcome.Err).
func runConfigIn(t *testing.T, dir, text string) *Outcome {
	t.Helper()
	out, err := Run(context.Background(), loadText(t, dir, text), RunOptions{OutDir: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// patternRunConfig is a rolling CDNOW backtest that needs only the
// pattern table: no per-customer predictions, no spend model.
const patternRunConfig = `name: engine-patterns
seed: 1
data:
%s
split:
  unit: week
  calibration_end: 1997-09-30
  holdout_end: 1998-06-30
  origins: [1997-08-31]
models: [average, retention, bgnbd, paretonbd]
spend_model: none
retention:
  period: month
output:
  plots: false
  report: false
  predictions: none
`

// TestEnginePatternRunMatchesFileRun runs a backtest that needs only the
// pattern table from each engine: the manifest says the pattern table was
// fetched (far fewer rows than customers), and metrics.json equals the
// file run's except where customers' identities matter: the file run
// breaks ties between equal predictions by customer id and draws its
// bootstrap resamples and randomized PITs over customers in id order, and
// the pattern table has no ids (its customers come in pattern order).
func TestEnginePatternRunMatchesFileRun(t *testing.T) {
	cdnow, fileData := cdnowFileData(t)
	want := runMetrics(t, fmt.Sprintf(patternRunConfig, fileData))
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			eng := e.start(t)
			eng.Load(t, "cdnow", enginetest.ReadCDNOW(t, cdnow))
			t.Setenv("ENGINE_TEST_DSN", eng.DSN)
			dbData := engineDataKeys(e.dialect, "cdnow")
			dir := t.TempDir()
			if err := runConfigIn(t, dir, fmt.Sprintf(patternRunConfig, dbData)).Err(); err != nil {
				t.Fatal(err)
			}
			var man struct{ Engine *EngineFacts }
			raw, err := os.ReadFile(filepath.Join(dir, "run", "manifest.json"))
			if err == nil {
				err = json.Unmarshal(raw, &man)
			}
			if err != nil {
				t.Fatal(err)
			}
			if man.Engine == nil || man.Engine.Fetched != FetchedPatterns || man.Engine.Rows < 100 || man.Engine.Rows > 2357/2 || man.Engine.BytesReceived <= 0 {
				t.Fatalf("manifest engine facts %+v: want the pattern table, fewer rows than half the 2357 customers, bytes counted", man.Engine)
			}
			raw, err = os.ReadFile(filepath.Join(dir, "run", "metrics.json"))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			for _, m := range []map[string]any{got, want} {
				dropIdentityFields(m)
			}
			if err := sameJSON("metrics", got, want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// dropIdentityFields deletes from a metrics tree what only customer ids or
// a file give: the data's identity, duplicate rows, the rank metrics that
// break ties by id, the lift segments, the verdict's bootstrap and the
// randomized PIT of the intervals (its uniform draws go to customers in
// id order).
func dropIdentityFields(m map[string]any) {
	d := m["data"].(map[string]any)
	delete(d, "file")
	delete(d, "sha256")
	delete(d, "duplicate_rows")
	delete(m, "warnings")
	delete(m, "verdict")
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"top10_share", "top20_share", "gini", "segments", "coverage", "pit_histogram"} {
				delete(x, k)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(m)
}

// testEngine is one engine the engine tests start: its dialect and the
// harness that starts a throwaway server.
type testEngine struct {
	dialect engine.Dialect
	start   func(testing.TB) *enginetest.Engine
}

// testEngines returns the engines every engine test runs on.
func testEngines() []testEngine {
	return []testEngine{{engine.Postgres, enginetest.Postgres}, {engine.ClickHouse, enginetest.ClickHouse}}
}

// cdnowFileData returns the shared CDNOW sample's path and the data keys
// that read it as a file (the engine runs' reference).
func cdnowFileData(t *testing.T) (path, keys string) {
	t.Helper()
	path = sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, "  path: " + abs + "\n  format: whitespace\n  header: no\n  customer: 1\n  date: 2\n  amount: 4\n  date_format: 20060102"
}

// engineDataKeys returns the data keys that read table from the engine
// whose connection string is in ENGINE_TEST_DSN.
func engineDataKeys(d engine.Dialect, table string) string {
	return "  engine: " + string(d) + "\n  dsn_env: ENGINE_TEST_DSN\n  table: " + table + "\n  customer: customer_id\n  date: date\n  amount: amount"
}
