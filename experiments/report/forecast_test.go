package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
)

func TestForecastReport(t *testing.T) {
	cfg, err := experiments.Load("../../configs/forecast.yaml", []string{"models=[bgnbd]", "output.formats=[svg]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := experiments.Run(context.Background(), cfg, experiments.RunOptions{
		OutDir: filepath.Join(t.TempDir(), "run"), Report: Write, Plots: plot.WriteAll})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out.Dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	mf := out.Metrics.(*experiments.MetricsFile)
	for _, want := range []string{"Forecast", "fitted to " + mf.Split.CalibrationEnd + " (the last date in the data)", forecastNote, "Value tiers",
		"figure gains not drawn: a forecast run has no holdout", "Expected purchases by repeat purchases in calibration (forecast)",
		"plots/heatmap_bgnbd_p_alive", "plots/calibration_fit"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md does not say %q", want)
		}
	}
	for _, absent := range []string{"Holdout end", "| Segments ranked by"} {
		if strings.Contains(md, absent) {
			t.Errorf("a forecast's report.md has %q", absent)
		}
	}
}
