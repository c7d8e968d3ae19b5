package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// StartPlots is called before scoring with metrics.json's head (no model
// scored yet), the Scorer and the columns the score stage ranks, and its
// finish with the complete artifacts; what both write lands in the
// results folder, and the writer's seconds are recorded as write_plots.
// A forecast gets no Scorer.
func TestStartPlotsBeforeScoring(t *testing.T) {
	for _, forecast := range []bool{false, true} {
		cfg := quickstartWriters(t, "csv")
		if forecast {
			var err error
			if cfg, err = Load("../configs/quickstart.yaml", []string{"models=[average,bgnbd]", "intervals.levels=[]", "split.holdout_end=", "expect=[]"}); err != nil {
				t.Fatal(err)
			}
		}
		var early, full *Artifacts
		var scorerSeen bool
		o := RunOptions{OutDir: filepath.Join(t.TempDir(), "run"), StartPlots: func(_ context.Context, dir string, a *Artifacts) (func(*Artifacts) error, error) {
			early = a
			scorerSeen = a.Scorer != nil
			if len(a.Metrics.Models) != 0 {
				t.Errorf("the first step got scored models %v", a.Metrics.ModelOrder())
			}
			for _, name := range cfg.Models {
				p := a.Predictions[name]
				want := make([]float64, p.Len())
				for i := range want {
					want[i] = p.Value(PredPurchases, i)
				}
				if got := a.Column(name, PredPurchases); !slices.Equal(got, want) {
					t.Errorf("%s: the shared purchases column differs from the prediction's values", name)
				}
				got, done := a.AcquireColumn(name, PredPurchases)
				if !slices.Equal(got, want) {
					t.Errorf("%s: the acquired purchases column differs from the prediction's values", name)
				}
				done()
			}
			if err := os.WriteFile(filepath.Join(dir, "first.txt"), []byte("x"), 0o644); err != nil {
				return nil, err
			}
			return func(a *Artifacts) error {
				full = a
				return os.WriteFile(filepath.Join(dir, "second.txt"), []byte("y"), 0o644)
			}, nil
		}}
		out, err := Run(context.Background(), cfg, o)
		if err != nil {
			t.Fatalf("forecast %v: %v", forecast, err)
		}
		if early == nil || full == nil || full.Metrics != out.Metrics {
			t.Fatalf("forecast %v: StartPlots got early %v, full %v", forecast, early != nil, full != nil)
		}
		if scorerSeen == forecast {
			t.Errorf("forecast %v: the first step had a Scorer: %v", forecast, scorerSeen)
		}
		if early.Metrics.Name != out.Metrics.(*MetricsFile).Name || early.Metrics.SegmentTarget != out.Metrics.(*MetricsFile).SegmentTarget {
			t.Errorf("forecast %v: the head's name and target differ from metrics.json's", forecast)
		}
		for _, f := range []string{"first.txt", "second.txt"} {
			if _, err := os.Stat(filepath.Join(out.Dir, f)); err != nil {
				t.Errorf("forecast %v: %v", forecast, err)
			}
		}
	}
}

// A failing first or second step of StartPlots, or a run cancelled while
// the first step draws (the second then waits for scores that never
// come), stops the run with that error and leaves no results folder.
func TestStartPlotsFailureLeavesNothing(t *testing.T) {
	boom := errors.New("figure broke")
	for _, tc := range []struct {
		name, want string
		start      func(cancel func()) func(context.Context, string, *Artifacts) (func(*Artifacts) error, error)
	}{
		{"first step fails", "writing plots: figure broke", func(func()) func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) {
			return func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) { return nil, boom }
		}},
		{"second step fails", "writing plots: figure broke", func(func()) func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) {
			return func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) {
				return func(*Artifacts) error { return boom }, nil
			}
		}},
		{"cancelled while drawing", "interrupted", func(cancel func()) func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) {
			return func(context.Context, string, *Artifacts) (func(*Artifacts) error, error) {
				cancel()
				return func(*Artifacts) error { return nil }, nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quickstartWriters(t, "csv")
			parent := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := RunOptions{OutDir: filepath.Join(parent, "run"), StartPlots: tc.start(cancel)}
			_, err := Run(ctx, cfg, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			leftBehind(t, parent)
		})
	}
}

// The figures' columns are the score stage's own while it holds them (the
// same slice, so that the Scorer's order of it is computed once), and a
// column made after the window released its scoring columns is the same
// values but not kept by the window.
func TestSharedColumn(t *testing.T) {
	wr := &windowResult{preds: map[string]*Prediction{"m": NewPrediction(PredictionColumns{Purchases: []float64{3, 1, 2}})}, summary: &datasets.Summary{}}
	wr.ranks = NewScorer([]string{"a", "b", "c"})
	a := earlyArtifacts(&Config{}, wr)
	scoring := wr.column("m", PredPurchases)
	if got := a.Column("m", PredPurchases); &got[0] != &scoring[0] {
		t.Error("the figures got a column of their own while the score stage holds it")
	}
	if got, done := a.AcquireColumn("m", PredPurchases); &got[0] != &scoring[0] {
		t.Error("the figures acquired a column of their own while the score stage holds it")
	} else {
		done()
	}
	wr.releaseScoring()
	got := a.Column("m", PredPurchases)
	if !slices.Equal(got, []float64{3, 1, 2}) {
		t.Errorf("column %v after the release, want [3 1 2]", got)
	}
	if &got[0] == &scoring[0] || len(wr.cols.cols) != 0 {
		t.Errorf("the window keeps columns made after it released them")
	}
}
