package plot

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
)

// folderFiles returns the files of a folder by name.
func folderFiles(t *testing.T, folder string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(folder, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// StartAll, given first what a run knows before it scores (metrics.json's
// head, with the run's pattern table and a Scorer of the customers) and
// then the complete artifacts, writes the files WriteAll writes from the
// complete artifacts, byte for byte; its first step draws only the figures
// that need no scores and writes no data.json.
func TestStartAllAsWriteAll(t *testing.T) {
	full := fixtureArtifacts(t, 400, 7)
	full.Metrics = withBacktest(full.Metrics)
	want := t.TempDir()
	if err := WriteAll(want, full); err != nil {
		t.Fatal(err)
	}

	early := *full
	mf := full.Metrics
	early.Metrics = &experiments.MetricsFile{Name: mf.Name, Unit: mf.Unit, Split: mf.Split, SegmentTarget: mf.SegmentTarget}
	early.Patterns = datasets.NewPatterns(full.Summary)
	ids := make([]string, len(full.Summary.Customers))
	for i, c := range full.Summary.Customers {
		ids[i] = c.ID
	}
	sc, err := experiments.NewPatternScorer(ids, early.Patterns.Of, early.Patterns.Len())
	if err != nil {
		t.Fatal(err)
	}
	early.Scorer = sc
	got := t.TempDir()
	finish, err := StartAll(context.Background(), got, &early)
	if err != nil {
		t.Fatal(err)
	}
	first := folderFiles(t, filepath.Join(got, Dir))
	for _, name := range []string{DataFile, "deciles.png", "comparison_holdout.png"} {
		if _, ok := first[name]; ok {
			t.Errorf("the first step wrote %s, which needs the scores", name)
		}
	}
	for _, name := range []string{"tracking_cumulative.png", "gains.png", "heatmap_bgnbd_p_alive.png"} {
		if _, ok := first[name]; !ok {
			t.Errorf("the first step did not draw %s", name)
		}
	}
	if err := finish(full); err != nil {
		t.Fatal(err)
	}
	wantFiles, gotFiles := folderFiles(t, filepath.Join(want, Dir)), folderFiles(t, filepath.Join(got, Dir))
	var wantNames, gotNames []string
	for name := range wantFiles {
		wantNames = append(wantNames, name)
	}
	for name := range gotFiles {
		gotNames = append(gotNames, name)
	}
	slices.Sort(wantNames)
	slices.Sort(gotNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("files %v, WriteAll's %v", gotNames, wantNames)
	}
	for name, b := range wantFiles {
		if !bytes.Equal(gotFiles[name], b) {
			t.Errorf("%s differs from WriteAll's", name)
		}
	}
	if err := finish(&experiments.Artifacts{}); err == nil {
		t.Error("no error finishing without metrics")
	}
}

// countdownCtx is a context that ends at its n-th look (a call of Err, or
// of Done before then: a worker waiting for a slot), counting the files of
// a folder at that moment.
type countdownCtx struct {
	context.Context
	left       atomic.Int64
	done       chan struct{}
	once       sync.Once
	folder     string
	filesAtEnd int
}

func newCountdownCtx(n int64, folder string) *countdownCtx {
	c := &countdownCtx{Context: context.Background(), done: make(chan struct{}), folder: folder}
	c.left.Store(n)
	return c
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) >= 0 {
		return nil
	}
	c.once.Do(func() {
		entries, _ := os.ReadDir(c.folder)
		c.filesAtEnd = len(entries)
		close(c.done)
	})
	return context.Canceled
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

// looks returns how many times the context was looked at.
func (c *countdownCtx) looks(n int64) int64 { return n - c.left.Load() }

// StartAll and its finish, their context ending at any point (in the
// loops over the customers, between the parts, while the figures are
// drawn), return the context's error, and write at most the figures being
// drawn at that moment (one) after it: 9,000 customers, so that
// the loops look at the context several times. The figures are drawn as
// SVG, the cheaper format: the drawer looks at the context alike.
func TestStartAllStopsOnCancel(t *testing.T) {
	full := fixtureArtifacts(t, 9000, 7)
	early := *full
	mf := full.Metrics
	early.Metrics = &experiments.MetricsFile{Name: mf.Name, Unit: mf.Unit, Split: mf.Split, SegmentTarget: mf.SegmentTarget}
	early.Config = &experiments.Config{Models: full.Config.Models, Output: experiments.OutputConfig{Formats: []string{experiments.FormatSVG}}}
	run := func(ctx context.Context, dir string) error {
		finish, err := StartAll(ctx, dir, &early)
		if err != nil {
			return err
		}
		return finish(full)
	}
	// The looks of a whole run.
	never := newCountdownCtx(math.MaxInt64, "")
	if err := run(never, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	total := never.looks(math.MaxInt64)
	if total < 20 {
		t.Fatalf("a run looks at its context %d times", total)
	}
	for _, at := range []int64{0, 1, total / 8, total / 3, total * 2 / 3, total - 2} {
		dir := t.TempDir()
		ctx := newCountdownCtx(at, filepath.Join(dir, Dir))
		err := run(ctx, dir)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ended at look %d of %d: error %v, want the context's", at, total, err)
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(dir, Dir))
		if after := len(entries) - ctx.filesAtEnd; after > 1 {
			t.Errorf("ended at look %d of %d: %d files written after the end", at, total, after)
		}
		for _, e := range entries {
			if e.Name() == DataFile {
				t.Errorf("ended at look %d of %d: %s written", at, total, DataFile)
			}
		}
	}
}

// scoredCanvases is the largest canvas of the figures that need the
// scores: none of the fixture's is larger, and one is as large.
func TestScoredCanvases(t *testing.T) {
	in := fixtureInput(t)
	in.Metrics = withBacktest(in.Metrics)
	c := newComputation(in)
	if err := c.run(in, true); err != nil {
		t.Fatal(err)
	}
	bound, largest := scoredCanvases(len(in.Models)), 0
	figs := c.figures(true)
	for _, f := range figs {
		w, h := f.PixelSize()
		if 4*w*h > bound {
			t.Errorf("%s: %d bytes, more than the bound %d", f.Name, 4*w*h, bound)
		}
		largest = max(largest, 4*w*h)
	}
	if len(figs) == 0 || largest != bound {
		t.Errorf("the %d scored figures' largest canvas is %d bytes, the bound %d", len(figs), largest, bound)
	}
}
