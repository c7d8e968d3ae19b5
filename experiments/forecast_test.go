package experiments

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// runForecast runs configs/forecast.yaml (the embedded quickstart data,
// no split.holdout_end) into a fresh folder.
func runForecast(t *testing.T) *Outcome {
	t.Helper()
	cfg, err := Load("../configs/forecast.yaml", []string{"output.plots=false", "output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Resolved.Forecast {
		t.Fatal("configs/forecast.yaml is not resolved as a forecast")
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// quickstartLog writes the embedded quickstart log to a file and returns
// its path, its customers' first and last purchase days and its last date,
// read here independently of the summarizer.
func quickstartLog(t *testing.T) (path string, first, last map[string]time.Time, lastDate time.Time) {
	t.Helper()
	raw, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "quickstart.csv")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	first, last = map[string]time.Time{}, map[string]time.Time{}
	for _, r := range rows[1:] {
		d, err := time.Parse(time.DateOnly, r[1])
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := first[r[0]]; !ok || d.Before(f) {
			first[r[0]] = d
		}
		if d.After(last[r[0]]) {
			last[r[0]] = d
		}
		if d.After(lastDate) {
			lastDate = d
		}
	}
	return path, first, last, lastDate
}

func TestForecastRunQuickstart(t *testing.T) {
	out := runForecast(t)
	_, first, lastBuy, lastDate := quickstartLog(t)
	mf := out.Metrics.(*MetricsFile)
	if !mf.Split.Forecast || !mf.Split.CalibrationEndFromData || mf.Split.HoldoutEnd != "" {
		t.Fatalf("split = %+v, want a forecast from the data's last date", mf.Split)
	}
	if want := lastDate.Format(time.DateOnly); mf.Split.CalibrationEnd != want {
		t.Errorf("calibration end %s, want the log's last date %s", mf.Split.CalibrationEnd, want)
	}
	for name, rep := range mf.Models {
		if rep.Holdout != nil || rep.HoldoutRevenue != nil || len(rep.Segments) > 0 {
			t.Errorf("%s has holdout scores or segments in a forecast", name)
		}
	}
	if len(mf.Tiers["bgnbd"]) == 0 {
		t.Error("no value tiers for bgnbd")
	}
	man, err := os.ReadFile(filepath.Join(out.Dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(man), `"calibration_end": "`+mf.Split.CalibrationEnd+`"`) {
		t.Error("manifest.json does not state the calibration end the forecast used")
	}

	ids, cols := predictionsCSV(t, out.Dir)
	if len(ids) != len(first) {
		t.Fatalf("%d customers predicted, the log has %d", len(ids), len(first))
	}
	for _, absent := range []string{"frequency_holdout", "revenue_holdout", "duration_holdout"} {
		if cols[absent] != nil {
			t.Errorf("forecast predictions have the holdout column %s", absent)
		}
	}
	for _, c := range []string{"bgnbd_purchases", "bgnbd_p_alive", "bgnbd_spend", "bgnbd_clv", "bgnbd_net_clv"} {
		if len(cols[c]) != len(ids) {
			t.Errorf("column %s has %d values for %d customers", c, len(cols[c]), len(ids))
		}
	}
	tiers := predictionTiers(t, out.Dir, "bgnbd_tier")
	if len(tiers) != len(ids) {
		t.Errorf("%d tiers for %d customers", len(tiers), len(ids))
	}

	// T is the weeks from the first purchase to the log's last date, and
	// the BG/NBD expectation over the 52-week horizon is the closed form
	// with the run's parameters (summed as a series, independently).
	p := mf.Models["bgnbd"].Fit.Params
	for i, id := range ids[:200] {
		wantT := lastDate.Sub(first[id]).Hours() / 24 / 7
		if math.Abs(cols["T"][i]-wantT) > 1e-9 {
			t.Fatalf("customer %s: T = %g, want %g", id, cols["T"][i], wantT)
		}
		wantRecency := lastBuy[id].Sub(first[id]).Hours() / 24 / 7
		if math.Abs(cols["recency"][i]-wantRecency) > 1e-9 {
			t.Fatalf("customer %s: recency = %g, want %g", id, cols["recency"][i], wantRecency)
		}
		want := bgnbdConditional(p["r"], p["alpha"], p["a"], p["b"], cols["frequency"][i], cols["recency"][i], cols["T"][i], 52)
		if got := cols["bgnbd_purchases"][i]; math.Abs(got-want) > 1e-8*math.Max(1, want) {
			t.Fatalf("customer %s: bgnbd_purchases = %.12g, the closed form gives %.12g", id, got, want)
		}
	}
}

// predictionTiers reads one tier column of a run's predictions.csv.
func predictionTiers(t *testing.T, dir, column string) []string {
	t.Helper()
	rows := predictionRows(t, dir)
	j := slices.Index(rows[0], column)
	if j < 0 {
		t.Fatalf("predictions.csv has no column %s", column)
	}
	var out []string
	for _, r := range rows[1:] {
		if r[j] == "" {
			t.Fatalf("customer %s has no %s", r[0], column)
		}
		out = append(out, r[j])
	}
	return out
}

func TestForecastRefusesHoldoutGates(t *testing.T) {
	_, err := Load("../configs/forecast.yaml", []string{"expect=[{metric: bgnbd.holdout.mae, max: 1}]"})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	if !strings.Contains(err.Error(), "expect[0].metric") || !strings.Contains(err.Error(), "split.holdout_end") {
		t.Errorf("error %q does not name expect[0].metric and split.holdout_end", err)
	}
	_, err = Load("../configs/forecast.yaml", []string{"split.origins=[2024-06-30]"})
	if err == nil || !strings.Contains(err.Error(), "split.origins") {
		t.Errorf("origins in a forecast: err = %v, want one naming split.origins", err)
	}
}

func TestScoreReproducesForecast(t *testing.T) {
	out := runForecast(t)
	log, _, _, _ := quickstartLog(t)
	dstDir := t.TempDir()
	dst := filepath.Join(dstDir, "predictions.csv")
	res, err := ScoreRun(context.Background(), out.Dir, ScoreOptions{DataPath: log, Out: dst, Format: "csv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Models, ",") != "bgnbd,paretonbd,mbgnbd" {
		t.Errorf("scored with %v, want the models rebuildable from parameters", res.Models)
	}
	runIDs, runCols := predictionsCSV(t, out.Dir)
	_, cols := predictionsCSV(t, dstDir)
	sameAsRun(t, "--data", dstDir, runIDs, runCols)
	if len(cols) < 4+3*6 {
		t.Errorf("only %d numeric columns scored", len(cols))
	}

	// The same customers as a summary (what clv summarize writes) score
	// the same.
	ro := datasets.ReadOptions{Format: datasets.FormatCSV, Header: "yes", Customer: datasets.ColumnNamed("customer_id"), Date: datasets.ColumnNamed("date"), Amount: datasets.ColumnNamed("amount"), DateFormat: "iso"}
	s, err := datasets.SummarizeFile(log, ro, datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: mustDay(t, res.CalibrationEnd)})
	if err != nil {
		t.Fatal(err)
	}
	sumPath := filepath.Join(t.TempDir(), "summary.csv")
	f, err := os.Create(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteSummaryCSV(f, s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sumDir := t.TempDir()
	if _, err := ScoreRun(context.Background(), out.Dir, ScoreOptions{SummaryPath: sumPath, Out: filepath.Join(sumDir, "predictions.csv"), Format: "csv"}, nil); err != nil {
		t.Fatal(err)
	}
	sameAsRun(t, "--summary", sumDir, runIDs, runCols)
}

// sameAsRun checks that the predictions.csv in dir has the run's customers
// and, in every column it has, the run's values exactly.
func sameAsRun(t *testing.T, label, dir string, runIDs []string, runCols map[string][]float64) {
	t.Helper()
	ids, cols := predictionsCSV(t, dir)
	if strings.Join(ids, ",") != strings.Join(runIDs, ",") {
		t.Fatalf("%s: clv score has other customers than the run", label)
	}
	for name, col := range cols {
		for i, v := range col {
			if v != runCols[name][i] {
				t.Fatalf("%s: %s of customer %s: score %v, run %v", label, name, ids[i], v, runCols[name][i])
			}
		}
	}
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestScoreOtherLogWithoutRefitting(t *testing.T) {
	out := runForecast(t)
	sim, err := datasets.Simulate(datasets.SimulationConfig{
		Model: "bgnbd", Params: map[string]float64{"r": 0.8, "alpha": 6, "a": 0.6, "b": 3},
		Spend: map[string]float64{"p": 6, "q": 4, "gamma": 15}, Customers: 300,
		Start: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), AcquisitionDays: 60,
		End: time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC), Seed: 11,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "other.csv")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.WriteCSV(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "predictions.csv")
	res, err := ScoreRun(context.Background(), out.Dir, ScoreOptions{DataPath: log, Out: dst, Format: "csv"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.CalibrationEnd > "2023-12-31" || res.CalibrationEnd < "2023-11-01" {
		t.Errorf("calibration end %s, want the other log's last date", res.CalibrationEnd)
	}
	ids, cols := predictionsCSV(t, dir)
	if len(ids) != 300 {
		t.Fatalf("%d customers scored, want 300", len(ids))
	}
	// The run's parameters, not a refit on the other log: its values are
	// the closed form with params.json's parameters.
	var params map[string]struct {
		Params map[string]float64 `json:"params"`
	}
	b, err := os.ReadFile(filepath.Join(out.Dir, "params.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &params); err != nil {
		t.Fatal(err)
	}
	p := params["bgnbd"].Params
	for i := range ids {
		want := bgnbdConditional(p["r"], p["alpha"], p["a"], p["b"], cols["frequency"][i], cols["recency"][i], cols["T"][i], 52)
		if got := cols["bgnbd_purchases"][i]; math.Abs(got-want) > 1e-8*math.Max(1, want) {
			t.Fatalf("customer %s: %.12g, the run's parameters give %.12g", ids[i], got, want)
		}
	}
}

// A forecast to the data's last date reads a time-ordered log once (its
// last lines give the end, which the read confirms) and any other log
// twice, and both give the summary of the reference: a read to find the
// last date, then a read to it.
func TestForecastReadsOrderedLogOnce(t *testing.T) {
	raw, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n")
	header, rows := lines[0], lines[1:]
	lastDay := strings.Split(rows[len(rows)-1], ",")[1]
	// The rows of the last date first: the log ends on an earlier date.
	var early, late []string
	for _, r := range rows {
		if strings.Split(r, ",")[1] == lastDay {
			early = append(early, strings.TrimSuffix(r, "\n")+"\n")
		} else {
			late = append(late, r)
		}
	}
	unordered := header + strings.Join(early, "") + strings.TrimSuffix(strings.Join(late, ""), "\n")
	for _, tc := range []struct {
		name  string
		log   []byte
		reads int
	}{
		{"time-ordered", raw, 1},
		{"last date first", []byte(unordered), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load("../configs/forecast.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			env := &runEnv{cfg: cfg, reg: models.NewRegistry(), stages: map[string]float64{}}
			data := EmbeddedLog("quickstart", tc.log)
			got, s, _, err := forecastData(env, data)
			if err != nil {
				t.Fatal(err)
			}
			if data.reads != tc.reads {
				t.Errorf("the log was read %d times, want %d", data.reads, tc.reads)
			}
			// The reference.
			ref := EmbeddedLog("quickstart", tc.log)
			probe, err := summarizeWindow(cfg, ref, BacktestWindow{CalibrationEnd: forecastProbeEnd(), Main: true}, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			want := cfg.withCalibrationEnd(probe.LastDate)
			ws, err := summarizeWindow(want, ref, want.Resolved.Windows[0], nil, false)
			if err != nil {
				t.Fatal(err)
			}
			setForecastHorizon(ws, cfg.Resolved.Horizon)
			if day := probe.LastDate.Format(time.DateOnly); day != lastDay || !got.Resolved.CalibrationEnd.Equal(probe.LastDate) || !got.Resolved.CalibrationEndFromData {
				t.Errorf("calibration end %s (from data %v), want the last date %s", got.Resolved.CalibrationEnd, got.Resolved.CalibrationEndFromData, day)
			}
			if !reflect.DeepEqual(s, ws) {
				t.Error("the summary differs from the reference's")
			}
		})
	}
}

// TestForecastTables checks the per-model tables of a forecast window:
// no segments (no holdout to rank), every customer in one tier, the total
// CLV the plain sum of the customers' CLVs in customer order; and once
// the run is interrupted, the context's error and nothing else.
func TestForecastTables(t *testing.T) {
	wr, names := benchWindow(3000, 5)
	wr.summary.HasHoldout = false
	sc := wr.scorer()
	age := make([]float64, len(wr.summary.Customers))
	for i, c := range wr.summary.Customers {
		age[i] = c.T
	}
	for _, name := range names {
		p := wr.preds[name]
		p.discounted, p.aliveTime, p.margin = p.purchases, p.purchases, 0.3
		p.net = NetCLVOptions{Margin: 0.3, CostPerPurchase: 0.5}
		p.tiers = AssignTiers(sc, p.Column(PredNetCLV), p.Column(PredAliveTime), age, DefaultTiers())
	}
	cfg := &Config{Models: names}
	cfg.Resolved.Forecast = true
	tables := tablesByModel(context.Background(), cfg, models.NewRegistry(), wr)
	for _, name := range names {
		tb := tables[name]
		if tb == nil || tb.err != nil || tb.segments != nil {
			t.Fatalf("%s: tables %+v", name, tb)
		}
		want, customers := 0.0, 0
		for i := range wr.preds[name].Len() {
			want += wr.preds[name].CLV(i)
		}
		for _, tier := range tb.tiers {
			customers += tier.Customers
		}
		if tb.clvTotal != want || customers != len(wr.summary.Customers) {
			t.Errorf("%s: total CLV %v (want %v), %d customers in tiers (want %d)", name, tb.clvTotal, want, customers, len(wr.summary.Customers))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tb := range tablesByModel(ctx, cfg, models.NewRegistry(), wr) {
		if !errors.Is(tb.err, context.Canceled) || tb.tiers != nil {
			t.Errorf("%s, interrupted: tables %+v", name, tb)
		}
	}
}
