package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/experiments/report"
	"github.com/clv-dev/clv/models"
)

// withWriters links the figures and the report into a run's options: clv
// run draws plots/ and writes report.html and report.md into every results
// folder (when output.plots and output.report are on), a backtest's or a
// forecast's figures started while the run scores (plot.StartAll).
// Contractual runs get the survival and retention figures and their own
// report.
func withWriters(o experiments.RunOptions) experiments.RunOptions {
	o.Plots = func(dir string, a *experiments.Artifacts) error {
		if a.Survival != nil {
			return writeSurvivalPlots(dir, a.Survival)
		}
		return plot.WriteAll(dir, withoutCovariateFits(a))
	}
	o.StartPlots = func(ctx context.Context, dir string, early *experiments.Artifacts) (func(*experiments.Artifacts) error, error) {
		return plot.StartAll(ctx, dir, withoutCovariateFits(early))
	}
	o.Report = func(dir string, a *experiments.Artifacts) error {
		if a.Survival != nil {
			_, err := report.WriteContractual(dir, a.Survival.Metrics)
			return err
		}
		return report.Write(dir, a)
	}
	return o
}

// withoutCovariateFits returns the artifacts without the fits of covariate
// models: their customers each have their own model, so the figures drawn
// from one model for every customer (tracking, heat maps) leave them out;
// the figures drawn from predictions keep them.
func withoutCovariateFits(a *experiments.Artifacts) *experiments.Artifacts {
	reg := models.NewRegistry()
	out := *a
	out.Fits = map[string]models.FittedPurchases{}
	for name, f := range a.Fits {
		if d, ok := reg.Lookup(models.KindPurchase, name); !ok || d.Covariate == nil {
			out.Fits[name] = f
		}
	}
	return &out
}

// writeSurvivalPlots draws each fitted survival model's survival and
// retention curves, observed and projected to twice the observed span.
func writeSurvivalPlots(dir string, a *experiments.SurvivalArtifacts) error {
	folder := filepath.Join(dir, "plots")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	m := len(a.Survivors) - 1
	for name, f := range a.Fits {
		sbg, ok := f.(*models.FittedSBG)
		if !ok {
			continue // no figures for this model yet
		}
		if _, err := plot.SBG(folder, sbg, a.Survivors, a.Metrics.Unit, max(2*m, m+5)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
