package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
)

func TestForecastReport(t *testing.T) {
	cfg, err := experiments.Load("../../configs/forecast.yaml", []string{"output.plots=false", "models=[bgnbd]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := experiments.Run(context.Background(), cfg, experiments.RunOptions{
		OutDir: filepath.Join(t.TempDir(), "run"), Report: Write})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out.Dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	mf := out.Metrics.(*experiments.MetricsFile)
	for _, want := range []string{"Forecast", "fitted to " + mf.Split.CalibrationEnd + " (the last date in the data)", forecastNote, "Value tiers"} {
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
