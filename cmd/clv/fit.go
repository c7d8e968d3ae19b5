package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

// fitFlags are the flags of clv fit beyond the transaction log's.
type fitFlags struct {
	df                   dataFlags
	model, summary, surv string
	asJSON               bool
	plotDir, periodName  string
	retentionPeriod      string
	penalty              float64
	maxIter              int
	// covariates, covariateCols and covariateID name the covariates of a
	// covariate model (bgnbd_cov, mbgnbd_cov, paretonbd_cov).
	covariates, covariateID string
	covariateCols           []string
}

func newFitCmd(s streams) *cobra.Command {
	reg := models.NewRegistry()
	var ff fitFlags
	c := &cobra.Command{
		Use:   "fit",
		Short: "Fit one model by maximum likelihood and print its parameters",
		Long: `fit estimates one model and prints its parameters with standard errors, the
log-likelihood, AIC and BIC, and whether the optimizer converged.

Models: ` + strings.Join(reg.Names(), ", ") + `.

The data is either a summary CSV (what clv summarize writes; the header aliases
ID, x, t_x, T, zbar, n, periods, weights and count are understood too), or a
transaction log given with the same flags as clv summarize, or for sbg a CSV of
cohort survivors (period, customers still active) given with --survival.
From a transaction log, bgbb counts each calendar period of --unit (year,
quarter, month ...) as one opportunity, and retention needs
--retention-period (the length of one activity period: month, quarter ...).

With --json it prints one object:
  {"model", "params", "std_errors", "log_likelihood", "aic", "bic",
   "converged", "iterations", "customers", ...}
A fit that does not converge prints its diagnostics and exits with code 1.`,
		Example: `  clv fit --model bgnbd --summary ../shared/datasets/cdnow_customers_summary.csv --json
  clv fit --model bgbb --summary ../shared/datasets/donations.csv
  clv fit --model retention --retention-period month --data ../shared/datasets/CDNOW_sample.txt --customer 1 --date 2 --amount 4 --date-format 20060102 --calibration-end 1997-09-30
  clv fit --model sbg --survival configs/data/survival_regular.csv --plot sbg-plots --period year
  clv fit --model bgnbd_cov --data configs/data/covariates_log.csv --calibration-end 2024-12-29 --covariates configs/data/covariates.csv --covariate vip:categorical:both:no --covariate score`,
		RunE: func(cmd *cobra.Command, args []string) error {
			desc, err := fitModel(reg, ff.model)
			if err != nil {
				return err
			}
			if err := checkOutputs([]atomicfile.Named{{Key: "--rejects", Path: ff.df.rejects}},
				[]atomicfile.Named{{Key: "--data", Path: ff.df.path}, {Key: "--summary", Path: ff.summary}, {Key: "--survival", Path: ff.surv}}); err != nil {
				return err
			}
			in, err := ff.input(cmd.Context(), desc)
			if err != nil {
				return err
			}
			if err := checkFitData(desc, in); err != nil {
				return err
			}
			if in.Covariates, err = ff.covariatesInput(); err != nil {
				return err
			}
			opts := models.FitOptions{Penalty: ff.penalty, MaxIterations: ff.maxIter}
			out, err := experiments.FitModel(cmd.Context(), reg, desc.Name, in, opts, nil)
			if out == nil {
				return usageErr(withFlagHint(err))
			}
			if c := out.Covariates; c != nil {
				fmt.Fprintf(s.err, "likelihood-ratio test against %s: LR = %.4g, df = %d, p = %.4g\n", c.Plain, float64(c.LRStatistic), c.DF, float64(c.PValue))
			}
			if out.ZeroAge > 0 {
				fmt.Fprintf(s.err, "note: %d customers with T = 0 (first purchase on the calibration end) carry no information and are left out of the fit\n", out.ZeroAge)
			}
			if err == nil && ff.plotDir != "" && out.Survival != nil {
				if err := ff.drawSurvival(s, out.Survival, in.Survivors); err != nil {
					return err
				}
			}
			return printFit(s, out.Result, err, ff.asJSON)
		},
	}
	ff.df.register(c)
	f := c.Flags()
	f.StringVar(&ff.model, "model", "", "model to fit (required; any case): "+strings.Join(reg.Names(), ", "))
	f.StringVar(&ff.summary, "summary", "", "summary CSV to fit on (instead of a transaction log)")
	f.StringVar(&ff.surv, "survival", "", "for sbg: CSV of cohort survivors per period")
	f.BoolVar(&ff.asJSON, "json", false, "print one JSON object instead of a table")
	f.StringVar(&ff.plotDir, "plot", "", "for sbg: draw the survival and retention curves (actual, fitted, projected) into this folder")
	f.StringVar(&ff.periodName, "period", "period", "for sbg: the name of one survival period in the plots (year, month, ...)")
	f.StringVar(&ff.retentionPeriod, "retention-period", "", "for retention: the length of one activity period (week, month, quarter, year or a number of days such as 30d)")
	f.Float64Var(&ff.penalty, "penalty", 0, "L2 penalty on the log-parameters (e.g. 0.001 for degenerate data)")
	f.IntVar(&ff.maxIter, "max-iterations", 1000, "cap on optimizer iterations")
	f.StringVar(&ff.covariates, "covariates", "", "for bgnbd_cov, mbgnbd_cov, paretonbd_cov: CSV of the customers' covariates, one row per customer")
	f.StringArrayVar(&ff.covariateCols, "covariate", nil, "a covariate column of --covariates, NAME[:TYPE[:PROCESS[:REFERENCE]]] (numeric or categorical; purchase, dropout or both); repeat for each")
	f.StringVar(&ff.covariateID, "covariates-customer", "", "customer id column of --covariates (default: the --customer column's name)")
	return c
}

// covariatesInput returns the covariates the flags name (nil without
// --covariates).
func (ff *fitFlags) covariatesInput() (*experiments.FitCovariates, error) {
	if ff.covariates == "" {
		if len(ff.covariateCols) > 0 || ff.covariateID != "" {
			return nil, usageErrf("--covariate and --covariates-customer go with --covariates FILE")
		}
		return nil, nil
	}
	if len(ff.covariateCols) == 0 {
		return nil, usageErrf("--covariates %s needs at least one --covariate NAME[:TYPE[:PROCESS[:REFERENCE]]]", ff.covariates)
	}
	fc := &experiments.FitCovariates{Section: experiments.CovariatesConfig{Path: ff.covariates, Customer: ff.covariateID}, OnBadRow: ff.df.onBadRow}
	if fc.Section.Customer == "" {
		fc.Section.Customer = "customer_id"
		if name, ok := datasets.ParseColumn(ff.df.customer).Name(); ok && name != "" {
			fc.Section.Customer = name
		}
	}
	for _, spec := range ff.covariateCols {
		col, err := experiments.ParseCovariateSpec(spec)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--covariate %w", err))
		}
		fc.Section.Columns = append(fc.Section.Columns, col)
	}
	return fc, nil
}

// input reads the data the flags name in the form the model needs, or
// says what the model needs.
func (ff *fitFlags) input(ctx context.Context, d models.Descriptor) (experiments.FitInput, error) {
	var in experiments.FitInput
	if d.Data == models.DataSurvival {
		if ff.surv == "" {
			return in, usageErrf("--model %s needs %s: give --survival PATH (a CSV of period, customers still active)", d.Name, d.Needs())
		}
		survivors, err := readSurvivalFlag(ctx, ff.surv)
		in.Survivors = survivors
		return in, err
	}
	if d.Data == models.DataActivity {
		if ff.retentionPeriod == "" {
			return in, usageErrf("--model %s needs %s: give --retention-period (month, quarter, ...) and a transaction log with --data", d.Name, d.Needs())
		}
		u, err := datasets.ParseUnit(ff.retentionPeriod)
		if err != nil {
			return in, usageErr(fmt.Errorf("--retention-period: %w", err))
		}
		ff.df.activityDays = u.Days()
	}
	var err error
	switch {
	case ff.summary != "" && ff.df.given():
		return in, usageErrf("give either --summary or a transaction log (--data), not both")
	case ff.summary != "" && d.Data == models.DataActivity:
		return in, usageErrf("--model %s needs %s, which a summary CSV does not hold: give the transaction log with --data", d.Name, d.Needs())
	case ff.summary != "":
		in.Summary, err = readSummaryFlag(ctx, ff.summary)
		return in, err
	case ff.df.given():
		// Only calibration purchases matter to a fit: later rows are set
		// aside (and counted), not failed.
		ff.df.excludeAfterEnd = true
		ff.df.discrete = d.Data == models.DataDiscrete
		ff.df.interPurchase = models.NeedsInterPurchase(d.Name)
		in.Summary, err = ff.df.summarize(ctx)
		return in, err
	}
	return in, usageErrf("name the data: --summary PATH (a summary CSV) or --data PATH (a transaction log)")
}

// drawSurvival draws a contractual model's survival and retention curves
// into --plot.
func (ff *fitFlags) drawSurvival(s streams, f models.FittedSurvival, survivors []float64) error {
	sbg, ok := f.(*models.FittedSBG)
	if !ok {
		return fmt.Errorf("--plot: no figures for model %s", ff.model)
	}
	if err := os.MkdirAll(ff.plotDir, 0o755); err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	horizon := max(2*(len(survivors)-1), len(survivors)-1+5)
	figs, err := plot.SBG(ff.plotDir, sbg, survivors, ff.periodName, horizon)
	if err != nil {
		return fmt.Errorf("drawing the survival curves: %w", err)
	}
	for _, fig := range figs {
		fmt.Fprintf(s.err, "wrote %s.png and .svg\n", filepath.Join(ff.plotDir, fig.Name))
	}
	return nil
}

// printFit prints a fit result (also the best point of a fit that did not
// converge, with the error).
func printFit(s streams, res *models.FitResult, fitErr error, asJSON bool) error {
	if res == nil {
		if fitErr == nil {
			fitErr = fmt.Errorf("the fit returned no result")
		}
		return withFlagHint(fitErr)
	}
	if asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		writeFitTable(s.out, s.err, res)
	}
	return withFlagHint(fitErr)
}

func writeFitTable(w, errOut io.Writer, r *models.FitResult) {
	fmt.Fprintf(w, "model %s, %g customers\n", r.Model, r.Customers)
	names := r.Params.Names()
	sort.Strings(names)
	fmt.Fprintf(w, "%-10s %14s %14s\n", "parameter", "estimate", "std. error")
	for _, n := range names {
		se := "-"
		if v, ok := r.StdErrors[n]; ok {
			se = fmt.Sprintf("%.6g", v)
		}
		fmt.Fprintf(w, "%-10s %14.6g %14s\n", n, r.Params[n], se)
	}
	if r.HasLikelihood {
		fmt.Fprintf(w, "log-likelihood %.4f, AIC %.4f, BIC %.4f\n", r.LogLikelihood, r.AIC, r.BIC)
	}
	fmt.Fprintf(w, "converged %v (%s, %d iterations)\n", r.Converged, r.Method, r.Iterations)
	if r.Runaway != nil {
		fmt.Fprintf(w, "runaway: %v ran off toward 0 or ∞ (rule %s); --penalty keeps them finite\n", r.Runaway.Params, r.Runaway.Rule)
	}
	if r.WeaklyIdentified {
		fmt.Fprintf(w, "weakly identified: largest relative standard error %.3g, condition number %.3g\n", r.MaxRelativeSE, r.ConditionNumber)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(errOut, "warning: %s\n", warn)
	}
}
