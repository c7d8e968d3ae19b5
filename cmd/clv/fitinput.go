package main

import (
	"bytes"
	"context"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/inputfile"
	"github.com/clv-dev/clv/models"
)

// fitModel checks --model, ignoring case as configs do, and returns the
// model's descriptor.
func fitModel(reg *models.Registry, name string) (models.Descriptor, error) {
	known := strings.Join(reg.Names(), ", ")
	if strings.TrimSpace(name) == "" {
		return models.Descriptor{}, usageErrf("--model is required: choose one of %s", known)
	}
	d, ok := reg.Find(strings.ToLower(strings.TrimSpace(name)))
	if !ok {
		return models.Descriptor{}, usageErrf("unknown model %q (--model): choose one of %s", name, known)
	}
	return d, nil
}

// readSummaryFlag reads --summary under ctx, within the limits of a
// summary file (a device such as /dev/zero is refused, not read whole).
func readSummaryFlag(ctx context.Context, path string) (*datasets.Summary, error) {
	in, err := inputfile.Open(ctx, path, inputfile.SummaryLimits)
	if err != nil {
		return nil, usageErrf("cannot read --summary %s: %v", path, err)
	}
	defer in.Close()
	s, err := datasets.ParseSummaryCSV(in.Reader(), path)
	if err != nil && ctx.Err() == nil {
		return nil, dataErr(err)
	}
	return s, err
}

// readSurvivalFlag reads --survival under ctx, within the limits of a
// survival file.
func readSurvivalFlag(ctx context.Context, path string) ([]float64, error) {
	raw, err := inputfile.ReadAll(ctx, path, inputfile.SurvivalLimits)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, usageErrf("cannot read --survival %s: %v", path, err)
	}
	s, err := datasets.ParseSurvivalCSV(bytes.NewReader(raw), path)
	return s, dataErr(err)
}

// checkFitData refuses data that cannot be fitted at all (exit code 2):
// no customer, or no spend for a spend model.
func checkFitData(d models.Descriptor, in experiments.FitInput) error {
	if in.Summary == nil {
		return nil
	}
	if len(in.Summary.Customers) == 0 {
		return usageErrf("no customer to fit %s on: the data has no customer observed before the calibration end (check --calibration-end, the date column and --date-format)", d.Name)
	}
	if d.Data == models.DataAmounts && !in.Summary.HasAmount {
		return usageErrf("--model %s fits spend, and the data has no amounts: name the amount column with --amount (or give a summary with monetary_value)", d.Name)
	}
	return nil
}
