package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/experiments/report"
)

// init links the figures and the report into the runner: clv run draws
// plots/ and writes report.html and report.md into every results folder
// (when output.plots and output.report are on). Contractual runs get the
// sBG survival and retention figures.
func init() {
	experiments.PlotWriter = plot.WriteAll
	experiments.ReportWriter = report.Write
	experiments.SurvivalPlotWriter = writeSurvivalPlots
}

// writeSurvivalPlots draws each fitted sBG model's survival and retention
// curves, observed and projected to twice the observed span.
func writeSurvivalPlots(dir string, a *experiments.SurvivalArtifacts) error {
	folder := filepath.Join(dir, "plots")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	m := len(a.Survivors) - 1
	for name, f := range a.Fits {
		if _, err := plot.SBG(folder, f, a.Survivors, a.Metrics.Unit, max(2*m, m+5)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
