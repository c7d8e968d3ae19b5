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
rmse and msle; highest pearson, spearman, top shares and gini). A contractual
run's folder gives one row per model and target (survival, calibration) with
its survival scores.`,
		Example: `  clv compare results/cdnow/20261123T101500Z-1a2b3c4d results/cdnow/20261124T090000Z-5e6f7a8b --format markdown`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rows []experiments.CompareRow
			for _, dir := range args {
				m, err := experiments.ReadMetrics(dir)
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
