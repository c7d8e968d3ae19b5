package experiments

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	parent := t.TempDir()
	rd, err := newResultsDir(filepath.Join(parent, "run"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.abort()
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
