package experiments

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// FitCovariates is the covariates of a fit outside an experiment (clv fit
// --covariates): the file, its id column and the columns, as a config's
// covariates section gives them, and what to do with a customer without
// covariates (fail, or skip: leave the customer out).
type FitCovariates struct {
	Section  CovariatesConfig
	OnBadRow string
}

// ParseCovariateSpec reads a covariate column written NAME[:TYPE[:PROCESS[:REFERENCE]]]
// (TYPE numeric or categorical, PROCESS purchase, dropout or both), the
// form of clv fit's --covariate flag.
func ParseCovariateSpec(s string) (CovariateColumnConfig, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 4 || strings.TrimSpace(parts[0]) == "" {
		return CovariateColumnConfig{}, fmt.Errorf("%q: write NAME[:TYPE[:PROCESS[:REFERENCE]]], e.g. channel:categorical:both:web or age", s)
	}
	c := CovariateColumnConfig{Name: strings.TrimSpace(parts[0])}
	if len(parts) > 1 {
		c.Type = strings.TrimSpace(parts[1])
	}
	if len(parts) > 2 {
		c.Process = strings.TrimSpace(parts[2])
	}
	if len(parts) > 3 {
		c.Reference = strings.TrimSpace(parts[3])
	}
	return c, nil
}

// fitWithCovariates fits a covariate model on a summary outside an
// experiment, checking the covariates as a config's are checked.
func fitWithCovariates(ctx context.Context, desc models.Descriptor, s *datasets.Summary, fc *FitCovariates, o models.FitOptions) (*FitOutcome, error) {
	cfg := &Config{Covariates: &fc.Section, Models: []string{desc.Name}, Data: DataConfig{OnBadRow: fc.OnBadRow}}
	var ps cfgProblems
	k := &cfgCheck{c: cfg, checkFiles: true, r: ResolvedConfig{Customer: Column{Index: -1}}}
	k.r.BaseDir = "."
	k.covariates()
	ps.list = append(ps.list, k.ps.list...)
	if len(ps.list) > 0 {
		msgs := make([]string, len(ps.list))
		for i, p := range ps.list {
			msgs[i] = strings.Replace(p.Key, "covariates.columns", "--covariate", 1) + ": " + p.Message
		}
		return nil, fmt.Errorf("--covariates: %s", strings.Join(msgs, "; "))
	}
	cfg.Resolved = k.r
	s, err := restrictToCovariates(cfg, s, time.Time{})
	if err != nil {
		return nil, err
	}
	_, zeroAge := ModelData(s)
	f, res, err := fitCovariateModel(ctx, cfg, desc, s, o)
	out := &FitOutcome{Result: res, ZeroAge: zeroAge}
	if cf, ok := f.(*covariateFit); ok {
		out.Covariates = covariateModelReport(desc.Plain, cf.fit)
	}
	return out, err
}
