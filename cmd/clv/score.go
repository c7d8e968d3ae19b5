package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/experiments"
)

// newScoreCmd is clv score RUN_DIR --data LOG | --summary FILE.
func newScoreCmd(s streams) *cobra.Command {
	var o experiments.ScoreOptions
	c := &cobra.Command{
		Use:   "score RUN_DIR",
		Short: "Apply a finished run's fitted models to another log or summary, without refitting",
		Long: `score rebuilds the fitted models of a finished run from its params.json (the
saved model) and predicts every customer of another transaction log (--data,
read with the run's columns, unit and date format; its calibration end is its
last date) or per-customer summary (--summary) over the run's clv.horizon:
expected purchases, P(alive), expected spend per purchase, revenue, CLV, net
CLV and value tier, the columns of a forecast run's predictions. Models that
fit on the data itself (average, retention, hiatus) cannot be rebuilt from
parameters and are left out, with a note.`,
		Example: `  clv run configs/forecast.yaml --out forecast-run
  clv simulate --model bgnbd --params r=1,alpha=5,a=0.5,b=10 --spend p=6,q=4,gamma=15 --customers 500 --start 2024-01-01 --acquisition-days 84 --end 2025-06-29 --seed 3 --out new.csv
  clv score forecast-run --data new.csv --out scores.csv
  clv summarize --data new.csv --calibration-end 2025-06-29 --out customers.csv
  clv score forecast-run --summary customers.csv --format parquet --out scores.parquet`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.DataPath == "") == (o.SummaryPath == "") {
				return &flagError{fmt.Errorf("give exactly one of --data LOG or --summary FILE")}
			}
			if o.Format != "csv" && o.Format != "parquet" {
				return &flagError{fmt.Errorf("--format %q: use csv or parquet", o.Format)}
			}
			if o.Out == "" {
				o.Out = "predictions." + o.Format
			}
			res, err := experiments.ScoreRun(cmd.Context(), args[0], o, s.out)
			if err != nil {
				return err
			}
			note := ""
			if len(res.Skipped) > 0 {
				note = "; not rebuildable from parameters, left out: " + strings.Join(res.Skipped, ", ")
			}
			from := "from " + res.CalibrationEnd
			if res.CalibrationEnd == "" {
				from = "of " + o.SummaryPath
			}
			fmt.Fprintf(s.err, "clv score: %d customers %s scored with %s%s\n", res.Customers, from, strings.Join(res.Models, ", "), note)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.DataPath, "data", "", "transaction log to score (read with the run's columns and date format)")
	f.StringVar(&o.SummaryPath, "summary", "", "per-customer summary CSV to score instead of a log")
	f.StringVar(&o.Out, "out", "", "output file (default predictions.csv or .parquet; - for stdout)")
	f.StringVar(&o.Format, "format", "csv", "csv or parquet")
	f.StringVar(&o.CovariatesPath, "covariates", "", "for a run with covariate models: the covariates file of the customers scored (default: the run's own), coded with the run's levels")
	return c
}
