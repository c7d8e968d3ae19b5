package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/experiments"
)

func newCompareCmd(s streams) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "compare RUN_DIR [RUN_DIR...]",
		Short: "Tabulate models × metrics across one or more results folders",
		Long: `compare reads metrics.json from each results folder and prints a table of
models × metrics, with the best value per metric marked (lowest |bias|, mae,
rmse and msle; highest pearson, spearman, top shares and gini). A
rolling-origin run adds one row per model and target for each of its other
backtest windows ("origin" and the calibration end), never marked best. A
contractual run's folder gives one row per model and target (survival,
calibration) with its survival scores.`,
		Example: `  # two runs of one config, differing in one value, side by side
  clv run configs/quickstart.yaml --out runs/weekly
  clv run configs/quickstart.yaml --set split.unit=day --out runs/daily
  clv compare runs/weekly runs/daily --format markdown`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rows []experiments.CompareRow
			for _, dir := range args {
				if err := checkFinishedRun(dir); err != nil {
					return err
				}
				m, err := experiments.ReadMetrics(cmd.Context(), dir)
				if err != nil {
					return usageErr(err)
				}
				rows = append(rows, m.CompareRows(filepath.Base(filepath.Clean(dir)))...)
			}
			if len(rows) == 0 {
				return fmt.Errorf("no scored model in %v", args)
			}
			return experiments.WriteComparison(s.out, rows, format)
		},
	}
	c.Flags().StringVar(&format, "format", "markdown", "output format: markdown, csv or json")
	return c
}
