package experiments

import (
	"context"
	"fmt"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// FitInput is the data of one fit outside an experiment (clv fit): a
// customer summary (continuous, or in calendar periods for a model of
// discrete opportunities) or a cohort's survivor counts.
type FitInput struct {
	Summary   *datasets.Summary
	Survivors []float64
	// Covariates are the customers' covariates, for a covariate model.
	Covariates *FitCovariates
}

// FitOutcome is what FitModel produced: the fit result (also the best point
// of a fit that did not converge), the fitted contractual model (for its
// plots) and the customers with T = 0 left out of the fit.
type FitOutcome struct {
	Result   *models.FitResult
	Survival models.FittedSurvival
	ZeroAge  int
	// Covariates is a covariate model's likelihood-ratio test and effects.
	Covariates *CovariateModelReport
}

// FitModel fits the model of a name on the input, with the given options.
// It fails with a message naming what the model needs when the input
// cannot serve it. A fit that did not converge returns its outcome
// together with the error.
func FitModel(ctx context.Context, reg *models.Registry, name string, in FitInput, o models.FitOptions, opts models.Params) (*FitOutcome, error) {
	d, ok := reg.Find(name)
	if !ok {
		return nil, &models.UnknownModelError{Name: name, Kind: "known", Known: reg.Names()}
	}
	if d.Kind == models.KindContractual {
		if in.Survivors == nil {
			return nil, fmt.Errorf("%s needs %s", name, d.Needs())
		}
		f, err := d.Survival(ctx, in.Survivors, o)
		out := &FitOutcome{Result: models.ResultOf(f)}
		if err == nil {
			out.Survival = f
		}
		return out, err
	}
	if in.Summary == nil {
		return nil, fmt.Errorf("%s needs %s", name, d.Needs())
	}
	if d.Data == models.DataActivity && in.Summary.ActivityPeriods == 0 {
		return nil, fmt.Errorf("%s needs %s: a summary file has none", name, d.Needs())
	}
	if d.Covariate != nil || in.Covariates != nil { // covariates_fit.go
		if d.Covariate == nil {
			return nil, fmt.Errorf("%s has no covariates: covariates go with %s", name, strings.Join(covariateModelNames(reg), " or "))
		}
		if in.Covariates == nil {
			return nil, &models.NeedsCovariatesError{Model: name}
		}
		return fitWithCovariates(ctx, d, in.Summary, in.Covariates, o)
	}
	data, zeroAge := ModelData(in.Summary)
	// Purchase likelihoods read (x, t_x, T) only, so identical histories
	// merge; activity bitmaps and spend differ between them.
	if d.Kind == models.KindPurchase && d.Data != models.DataActivity {
		full := data
		data, _ = ModelData(datasets.Compress(in.Summary))
		// Compressed rows keep no log inter-purchase times; their total
		// is the same.
		data.LogInterPurchase, data.HasLogInterPurchase = full.LogInterPurchase, full.HasLogInterPurchase
	}
	out := &FitOutcome{ZeroAge: zeroAge}
	var err error
	if d.Kind == models.KindSpend {
		var f models.FittedSpend
		f, err = d.Spend(opts).Fit(ctx, data, o)
		out.Result = models.ResultOf(f)
	} else {
		var f models.FittedPurchases
		f, err = d.Purchase(opts).Fit(ctx, data, o)
		out.Result = models.ResultOf(f)
	}
	return out, err
}

// windowData returns the model data of a window's calibration summary s
// (and of its discrete summary, when not nil), by data form: the full
// table (one row per customer with T > 0, activity bitmaps and spend
// included) and the tables of distinct histories with their weights
// (patternData), which purchase likelihoods read; with the pattern
// tables, which the predictions reuse, and the number of customers with
// T = 0. The full table and the pattern table are built concurrently.
func windowData(s, discrete *datasets.Summary) (data map[models.DataForm]*models.Data, pt, discretePt *datasets.Patterns, zeroAge int) {
	var full *models.Data
	done := make(chan struct{})
	go func() {
		defer close(done)
		full, zeroAge = ModelData(s)
	}()
	pt = datasets.NewPatterns(s)
	<-done
	data = map[models.DataForm]*models.Data{models.DataContinuous: patternData(pt, full), models.DataActivity: full}
	if discrete != nil {
		discretePt = datasets.NewPatterns(discrete)
		data[models.DataDiscrete] = patternData(discretePt, &models.Data{}) // no log inter-purchase times
	}
	return data, pt, discretePt, zeroAge
}

// patternData returns the model data of the distinct histories of p with
// T > 0, weighted (what ModelData makes of p.Summary, without building
// the summary): no spend, activity or log inter-purchase times per row,
// the total of the last taken from the customers' table full (the same
// over the merged rows). When every history has T > 0 the data share p's
// columns (the fits only read them) instead of copying them.
func patternData(p *datasets.Patterns, full *models.Data) *models.Data {
	d := &models.Data{LogInterPurchase: full.LogInterPurchase, HasLogInterPurchase: full.HasLogInterPurchase}
	keep := 0
	weighted := false
	for j, t := range p.T {
		if t > 0 {
			keep++
			weighted = weighted || p.Weight[j] != 0
		}
	}
	if keep == p.Len() {
		d.Frequency, d.Recency, d.T = p.Frequency, p.Recency, p.T
		if weighted {
			d.Weight = p.Weight
		}
		return d
	}
	d.Frequency, d.Recency, d.T = make([]float64, 0, keep), make([]float64, 0, keep), make([]float64, 0, keep)
	if weighted {
		d.Weight = make([]float64, 0, keep)
	}
	for j, t := range p.T {
		if !(t > 0) {
			continue
		}
		d.Frequency, d.Recency, d.T = append(d.Frequency, p.Frequency[j]), append(d.Recency, p.Recency[j]), append(d.T, t)
		if weighted {
			d.Weight = append(d.Weight, p.Weight[j])
		}
	}
	return d
}
