package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clv-dev/clv/experiments"
)

// version is the clv version recorded in every run's manifest.
const version = "0.1.0"

func newRunCmd(s streams) *cobra.Command {
	var (
		out        string
		sets       []string
		noProgress bool
	)
	c := &cobra.Command{
		Use:   "run CONFIG",
		Short: "Fit, backtest, score and compare every model a config names",
		Long: `run carries out the experiment a config file describes: it reads and summarizes
the data, fits every model on the calibration period (in parallel; one model
failing is reported and the others still complete), predicts each customer's
holdout purchases, revenue and CLV, scores the predictions, and writes a
results folder:

  metrics.json      scores per model, deterministic (byte-identical on a rerun)
  predictions.csv   one row per customer with every model's predictions
  params.json       fitted parameters with standard errors
  manifest.json     config as given and resolved, data checksum, versions, timings
  plots/, report.html, report.md   when output.plots / output.report are on

The folder is written under a temporary name and renamed into place when
complete, so an interrupted run never leaves a folder that looks finished.
Its path is printed at the end. Then the gates of the config's expect list are
checked: exit code 3 when one fails, 2 for a config or data error, 1 when a
model failed or anything else went wrong.

See configs/README.md for every key.`,
		Example: `  clv run configs/quickstart.yaml
  clv run configs/cdnow.yaml --set split.calibration_end=1997-10-31 --out runs/cdnow-october`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "-" {
				return usageErrf("--out names the results folder to create, and standard output (-) cannot hold one: name a folder")
			}
			cfg, err := experiments.Load(args[0], sets)
			if err != nil {
				return usageErr(err)
			}
			printSources(s.err, cfg)
			limit := softMemoryLimit()
			opts := withWriters(experiments.RunOptions{OutDir: out, Version: version, BoundedHeap: limit > 0})
			if s.afterFit != nil {
				ctx := cmd.Context()
				opts.AfterFit = func() { s.afterFit(ctx) }
			}
			if !noProgress {
				opts.Progress = s.err
				if f, ok := s.err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					opts.Terminal = true
				}
			}
			outcome, err := experiments.Run(cmd.Context(), cfg, opts)
			if err != nil {
				var ce *experiments.ConfigError
				var de *experiments.DataError
				if errors.As(err, &ce) || errors.As(err, &de) {
					return usageErr(experiments.WithConfigHint(err))
				}
				return err
			}
			fmt.Fprintln(s.out, outcome.Dir)
			printRunSummary(s, outcome, cfg.Models)
			for _, line := range outcome.Table.Lines() {
				fmt.Fprintln(s.err, line)
			}
			if err := outcome.Err(); err != nil {
				var ge *experiments.GatesError
				if errors.As(err, &ge) {
					return &exitError{code: exitGatesFailed, err: err}
				}
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "results folder to create (default <output.dir>/<name>/<UTC time>-<config hash>)")
	c.Flags().StringArrayVar(&sets, "set", nil, "override a config key, e.g. --set clv.discount_rate=0.05 (repeatable)")
	c.Flags().BoolVar(&noProgress, "no-progress", false, "print no progress on stderr")
	return c
}

// printRunSummary prints a short table of the main scores on stderr, the
// models in the config's order (the report's order).
func printRunSummary(s streams, o *experiments.Outcome, order []string) {
	o.Metrics.WriteSummary(s.err, order)
}
