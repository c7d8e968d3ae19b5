package plot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
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
