package main

import (
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/experiments/report"
)

// init links the figures and the report into the runner: clv run draws
// plots/ and writes report.html and report.md into every results folder
// (when output.plots and output.report are on).
func init() {
	experiments.PlotWriter = plot.WriteAll
	experiments.ReportWriter = report.Write
}
