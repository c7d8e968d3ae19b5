package plot

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clv-dev/clv/experiments"
)

// TestIntervalFigures draws the cohort-total interval figure and the PIT
// histograms from a metrics file's intervals: the actual curve is the
// tracking curve's holdout part counted from the calibration end, the
// totals are the metrics', and a run without intervals draws neither
// figure and warns of nothing.
func TestIntervalFigures(t *testing.T) {
	mf := &experiments.MetricsFile{Name: "i", Unit: "week", Split: experiments.SplitInfo{HoldoutLength: 4},
		Intervals: &experiments.IntervalsReport{Levels: []float64{0.8, 0.95}, Models: map[string]*experiments.ModelIntervals{
			"bgnbd": {Scores: map[string]experiments.IntervalScores{
				"interval_80": {Level: 0.8, TotalMean: 10, TotalLower: 8, TotalUpper: 12, ActualTotal: 11},
				"interval_95": {Level: 0.95, TotalMean: 10, TotalLower: 7, TotalUpper: 13, ActualTotal: 11}},
				PITHistogram: []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}}}}}
	in := &Input{Metrics: mf, Models: []string{"average", "bgnbd"}}
	tracking := &TrackingData{Cumulative: []Series{{Key: KeyActual, X: Floats{-2, -1, 0, 2, 4}, Y: Floats{0, 3, 5, 9, 16}}}}
	d, err := IntervalTotals(in, tracking)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Models) != 1 || d.Models[0].Lower[1] != 7 || d.Models[0].Upper[0] != 12 {
		t.Errorf("totals %+v", d.Models)
	}
	if want := (Floats{0, 2, 4}); len(d.Actual.X) != 3 || d.Actual.X[2] != want[2] || d.Actual.Y[1] != 4 || d.Actual.Y[2] != 11 {
		t.Errorf("actual curve %v, %v: want x 0, 2, 4 and y 0, 4, 11", d.Actual.X, d.Actual.Y)
	}
	pit, err := PITHistograms(in)
	if err != nil || len(pit.Models) != 1 || pit.Models[0] != "bgnbd" {
		t.Fatalf("PIT %+v, %v", pit, err)
	}
	dir := t.TempDir()
	data := &Data{Name: "i", Unit: "week", IntervalTotals: d, PIT: pit}
	if _, err := Render(dir, data, []string{experiments.FormatSVG}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"interval_total.svg", "pit_histograms.svg"} {
		if st, err := os.Stat(filepath.Join(dir, Dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	mf.Intervals = nil
	if d := Compute(in); d.IntervalTotals != nil || d.PIT != nil {
		t.Errorf("figures without intervals: %+v %+v", d.IntervalTotals, d.PIT)
	} else {
		for _, s := range d.Skipped {
			if s.Figure == "interval_total" || s.Figure == "pit_histograms" {
				t.Errorf("skipped %+v without intervals configured", s)
			}
		}
	}
}
