package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

func newFitCmd(s streams) *cobra.Command {
	var (
		df                   dataFlags
		model, summary, surv string
		asJSON               bool
		plotDir, periodName  string
		penalty              float64
		maxIter              int
	)
	c := &cobra.Command{
		Use:   "fit",
		Short: "Fit one model by maximum likelihood and print its parameters",
		Long: `fit estimates one model and prints its parameters with standard errors, the
log-likelihood, AIC and BIC, and whether the optimizer converged.

Models: ` + joinNames(models.FitNames()) + `.

The data is either a summary CSV (what clv summarize writes; the header aliases
ID, x, t_x, T, zbar, n, periods, weights and count are understood too), or a
transaction log given with the same flags as clv summarize, or for sbg a CSV of
cohort survivors (period, customers still active) given with --survival.

With --json it prints one object:
  {"model", "params", "std_errors", "log_likelihood", "aic", "bic",
   "converged", "iterations", "customers", ...}
A fit that does not converge prints its diagnostics and exits with code 1.`,
		Example: `  clv fit --model bgnbd --summary ../shared/datasets/cdnow_customers_summary.csv --json
  clv fit --model bgbb --summary ../shared/datasets/donations.csv
  clv fit --model sbg --survival configs/data/survival_regular.csv --plot sbg-plots --period year`,
		RunE: func(cmd *cobra.Command, args []string) error {
			model, err := fitModelName(model)
			if err != nil {
				return err
			}
			if err := checkOutputs([]atomicfile.Named{{Key: "--rejects", Path: df.rejects}},
				[]atomicfile.Named{{Key: "--data", Path: df.path}, {Key: "--summary", Path: summary}, {Key: "--survival", Path: surv}}); err != nil {
				return err
			}
			opts := models.FitOptions{Penalty: penalty, MaxIterations: maxIter}
			var res *models.FitResult
			if model == "sbg" {
				if surv == "" {
					return usageErrf("--model sbg fits cohort survival counts: give --survival PATH (a CSV of period, customers still active)")
				}
				survivors, err := readSurvivalFlag(cmd.Context(), surv)
				if err != nil {
					return err
				}
				fitted, err := models.SBG{}.FitSurvival(cmd.Context(), survivors, opts)
				if fitted != nil {
					res = fitted.Result()
				}
				if err == nil && plotDir != "" {
					if err := os.MkdirAll(plotDir, 0o755); err != nil {
						return fmt.Errorf("--plot: %w", err)
					}
					horizon := max(2*(len(survivors)-1), len(survivors)-1+5)
					figs, err := plot.SBG(plotDir, fitted, survivors, periodName, horizon)
					if err != nil {
						return fmt.Errorf("drawing the sBG curves: %w", err)
					}
					for _, f := range figs {
						fmt.Fprintf(s.err, "wrote %s.png and .svg\n", filepath.Join(plotDir, f.Name))
					}
				}
				return printFit(s, res, err, asJSON)
			}
			var sum *datasets.Summary
			switch {
			case summary != "" && df.given():
				return usageErrf("give either --summary or a transaction log (--data), not both")
			case summary != "":
				if sum, err = readSummaryFlag(cmd.Context(), summary); err != nil {
					return err
				}
			case df.given():
				// Only calibration purchases matter to a fit: later rows are
				// set aside (and counted), not failed.
				df.excludeAfterEnd = true
				df.interPurchase = models.NeedsInterPurchase(model)
				if sum, err = df.summarize(cmd.Context()); err != nil {
					return err
				}
			default:
				return usageErrf("name the data: --summary PATH (a summary CSV) or --data PATH (a transaction log)")
			}
			data, zeroAge := experiments.ModelData(sum)
			if zeroAge > 0 {
				fmt.Fprintf(s.err, "note: %d customers with T = 0 (first purchase on the calibration end) carry no information and are left out of the fit\n", zeroAge)
			}
			if err := checkFitData(model, data); err != nil {
				return err
			}
			res, err = models.FitByName(cmd.Context(), model, data, opts)
			return printFit(s, res, err, asJSON)
		},
	}
	df.register(c)
	f := c.Flags()
	f.StringVar(&model, "model", "", "model to fit (required; any case): "+joinNames(models.FitNames()))
	f.StringVar(&summary, "summary", "", "summary CSV to fit on (instead of a transaction log)")
	f.StringVar(&surv, "survival", "", "for sbg: CSV of cohort survivors per period")
	f.BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	f.StringVar(&plotDir, "plot", "", "for sbg: draw the survival and retention curves (actual, fitted, projected) into this folder")
	f.StringVar(&periodName, "period", "period", "for sbg: the name of one survival period in the plots (year, month, ...)")
	f.Float64Var(&penalty, "penalty", 0, "L2 penalty on the log-parameters (e.g. 0.001 for degenerate data)")
	f.IntVar(&maxIter, "max-iterations", 1000, "cap on optimizer iterations")
	return c
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

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
