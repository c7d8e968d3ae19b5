package experiments

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/models"
)

// quickstartWriters loads the quickstart config with two models, its
// plots and report on and predictions in the given format.
func quickstartWriters(t *testing.T, predictions string) *Config {
	t.Helper()
	cfg, err := Load("../configs/quickstart.yaml", []string{"models=[average,bgnbd]", "intervals.levels=[]", "output.predictions=" + predictions})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// leftBehind fails the test when the parent folder of a failed run is not
// empty (no results folder, no staging folder).
func leftBehind(t *testing.T, parent string) {
	t.Helper()
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		names := make([]string, len(entries))
		for i, e := range entries {
			names[i] = e.Name()
		}
		t.Errorf("a failed run left %v behind", names)
	}
}

// stagingOf returns the staging folder of the run being made in parent.
func stagingOf(t *testing.T, parent string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(parent, ".run"+stagingMarker+"*"))
	if len(m) != 1 {
		t.Fatalf("staging folders %v, want one", m)
	}
	return m[0]
}

// A failing writer stops the run with its own error while the others
// write concurrently, and leaves no results folder: the predictions file
// that cannot be created (a folder stands in its way), a plot writer that
// fails while the predictions are written, a report writer that fails
// after them; and a run cancelled while the plots are drawn (the
// predictions still being written) leaves nothing either.
func TestFailingWriterFailsRunCleanly(t *testing.T) {
	plotErr := errors.New("plot broke")
	for _, tc := range []struct {
		name, predictions, want string
		opts                    func(parent string, cancel func()) RunOptions
	}{
		{"predictions into a folder", "csv", "writing predictions.csv", func(parent string, _ func()) RunOptions {
			return RunOptions{AfterFit: func() {
				// Something the writer cannot replace, where it writes.
				if err := os.MkdirAll(filepath.Join(stagingOf(t, parent), "predictions.csv", "x"), 0o755); err != nil {
					t.Fatal(err)
				}
			}}
		}},
		{"parquet into a folder", "parquet", "writing predictions.parquet", func(parent string, _ func()) RunOptions {
			return RunOptions{AfterFit: func() {
				if err := os.MkdirAll(filepath.Join(stagingOf(t, parent), "predictions.parquet", "x"), 0o755); err != nil {
					t.Fatal(err)
				}
			}}
		}},
		{"plot error", "csv", "writing plots: plot broke", func(string, func()) RunOptions {
			return RunOptions{Plots: func(string, *Artifacts) error { return plotErr }}
		}},
		{"report error", "csv", "writing the report: plot broke", func(string, func()) RunOptions {
			return RunOptions{Report: func(string, *Artifacts) error { return plotErr }}
		}},
		{"cancelled while drawing", "csv", "interrupted", func(_ string, cancel func()) RunOptions {
			return RunOptions{Plots: func(string, *Artifacts) error { cancel(); return nil }}
		}},
		{"cancelled before scoring", "parquet", "interrupted", func(_ string, cancel func()) RunOptions {
			return RunOptions{AfterFit: cancel}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quickstartWriters(t, tc.predictions)
			parent := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := tc.opts(parent, cancel)
			o.OutDir = filepath.Join(parent, "run")
			_, err := Run(ctx, cfg, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			leftBehind(t, parent)
		})
	}
}

// A file being written when its run is cancelled stops at its next write
// with the run's interruption, not after writing everything.
func TestCancelStopsWriterMidFile(t *testing.T) {
	rd := stagingIn(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	g, wctx := newWriterGroup(ctx)
	rd.ctx = wctx
	env := &runEnv{stages: map[string]float64{}}
	started := make(chan struct{})
	writes := 0
	g.start(env, "write_predictions", func() error {
		return rd.writeFile("predictions.csv", func(w io.Writer) error {
			line := []byte(strings.Repeat("x", 1000) + "\n")
			for {
				if _, err := w.Write(line); err != nil {
					return err
				}
				if writes++; writes == 100 {
					close(started)
				}
			}
		})
	})
	<-started
	cancel()
	if err := g.wait(); err != nil {
		t.Errorf("a cancelled writer is reported as failing on its own: %v", err)
	}
	if err := g.failed(context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("run error %v, want the cancellation", err)
	}
	if _, ok := env.stageSeconds()["write_predictions"]; !ok {
		t.Error("the writer's seconds were not recorded")
	}
}

// A writer that fails on its own cancels the run's context with its error,
// which the run reports rather than its own interruption.
func TestWriterErrorIsTheRunsError(t *testing.T) {
	g, ctx := newWriterGroup(context.Background())
	env := &runEnv{stages: map[string]float64{}}
	boom := errors.New("disk full")
	g.start(env, "write_predictions", func() error { return boom })
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), boom) {
		t.Errorf("cause %v, want the writer's error", context.Cause(ctx))
	}
	if err := g.failed(interrupted(ctx)); !errors.Is(err, boom) {
		t.Errorf("run error %v, want the writer's", err)
	}
}

// TestPredictionsHeaderWritten checks when the report may read the
// predictions file's header while the file is still being written: only
// once its first line is complete on the disk (not an empty or missing
// file, a cut line, or space the file system filled with zeros), and
// always when the run writes no predictions.csv.
func TestPredictionsHeaderWritten(t *testing.T) {
	for _, tc := range []struct {
		name, predictions string
		content           *string
		want              bool
	}{
		{"missing", "csv", nil, false},
		{"empty", "csv", ptrTo(""), false},
		{"cut header", "csv", ptrTo("customer_id,bgnbd_purch"), false},
		{"zeros", "csv", ptrTo(strings.Repeat("\x00", 100) + "\n"), false},
		{"complete header", "csv", ptrTo("customer_id,bgnbd_purchases\n00"), true},
		{"default format", "", ptrTo("customer_id,bgnbd_purchases\n"), true},
		{"parquet", "parquet", nil, true},
		{"none", "none", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != nil {
				if err := os.WriteFile(filepath.Join(dir, "predictions.csv"), []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := &Config{}
			cfg.Output.Predictions = tc.predictions
			if got := predictionsHeaderWritten(cfg, dir); got != tc.want {
				t.Errorf("predictionsHeaderWritten = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptrTo(s string) *string { return &s }

// TestReportBesidePredictions writes a run's results while its
// predictions file, its header on the disk, is still being written: the
// report must be written meanwhile (the predictions' writer here waits
// for it), after the figures' writers, and the folder then holds every
// file once the predictions end.
func TestReportBesidePredictions(t *testing.T) {
	rd := stagingIn(t, t.TempDir())
	g, wctx := newWriterGroup(context.Background())
	defer g.stop()
	rd.ctx = wctx
	plotsDone, reported := make(chan struct{}), make(chan struct{})
	// The figures end only once the header is on the disk, so that the
	// report's one look at the header always finds it.
	headerDone := make(chan struct{})
	env := &runEnv{cfg: &Config{}, rd: rd, prog: newProgress(nil, false), stages: map[string]float64{}, writers: g}
	env.cfg.Output.Report = true
	env.opts.Report = func(dir string, _ *Artifacts) error {
		select {
		case <-plotsDone:
		default:
			t.Error("the report was written before the figures")
		}
		close(reported)
		return os.WriteFile(filepath.Join(dir, "report.md"), []byte("report\n"), 0o644)
	}
	g.startTrailing(env, "write_predictions", func() error {
		if err := os.WriteFile(filepath.Join(rd.staging, "predictions.csv"), []byte("customer_id,bgnbd_purchases\n"), 0o644); err != nil {
			return err
		}
		close(headerDone)
		select {
		case <-reported:
			return nil
		case <-time.After(time.Minute): // a deadlock guard, not a timing
			return errors.New("the report waited for the whole predictions file")
		}
	})
	g.start(env, "write_plots", func() error {
		defer close(plotsDone)
		select {
		case <-headerDone:
		case <-time.After(time.Minute): // a deadlock guard, not a timing
			return errors.New("the predictions header was never written")
		}
		return os.WriteFile(filepath.Join(rd.staging, "plot.png"), []byte("png"), 0o644)
	})
	res := &runResult{metrics: &MetricsFile{}, params: map[string]*models.FitResult{}, artifacts: &Artifacts{}}
	if err := writeResults(env, res); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"predictions.csv", "report.md", "plot.png", "metrics.json", "params.json"} {
		if _, err := os.Stat(filepath.Join(rd.staging, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestFailedLeadingWriterCancelsBeforeWaitLeading checks that once
// waitLeading returns, a leading writer that failed has cancelled the
// group's context (the report is written only if it has not been): the
// writer used to be counted down before its error was recorded, and the
// report then drew from a failed figures writer's folder now and then.
func TestFailedLeadingWriterCancelsBeforeWaitLeading(t *testing.T) {
	env := &runEnv{stages: map[string]float64{}}
	failure := errors.New("the figures failed")
	for i := range 3000 {
		g, wctx := newWriterGroup(context.Background())
		g.start(env, "write_plots", func() error { return failure })
		g.waitLeading()
		if wctx.Err() == nil {
			t.Fatalf("round %d: waitLeading returned before the failed writer cancelled the run", i)
		}
		if err := g.wait(); !errors.Is(err, failure) {
			t.Fatalf("round %d: wait returned %v, want the writer's failure", i, err)
		}
		g.stop()
	}
}

// stagingIn returns a results folder "run" being staged in parent, aborted
// (removed) when the test ends.
func stagingIn(t *testing.T, parent string) *resultsDir {
	t.Helper()
	rd, err := newResultsDir(filepath.Join(parent, "run"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rd.abort)
	return rd
}
