package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/experiments"
)

func newValidateCmd(s streams) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "validate CONFIG",
		Short: "Check a config and its data columns without fitting anything",
		Long: `validate runs every check of a config that clv run would: unknown or misspelt
keys, wrong types, dates that do not parse, unknown models, a holdout that ends
before calibration, gates on metrics that do not exist. It then opens the data
and reads it as a run would: every column the config names must be there
(all missing ones are listed), the dates must parse with data.date_format,
and the windows must lie within the data (split.holdout_end not after the
last transaction). It fits nothing.
Exit code 0 when all is well, 2 with every problem listed otherwise.`,
		Example: `  clv validate configs/cdnow.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := experiments.Load(args[0], sets)
			if err != nil {
				return usageErr(err)
			}
			if cfg.Survival != nil {
				// A contractual config: read the survivor counts and check
				// them against survival.calibration_periods.
				in, err := experiments.ReadSurvivalInput(cfg)
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", args[0], err))
				}
				c, m := cfg.Survival.CalibrationPeriods, len(in.Survivors)-1
				fmt.Fprintf(s.out, "survival %s: cohort of %g, periods 0..%d; fit on 0..%d, holdout %d period(s)\n",
					in.File, in.Survivors[0], m, c, m-c)
				fmt.Fprintf(s.out, "%s is valid: contractual, models %s, period %s\n",
					args[0], strings.Join(cfg.Models, ", "), cfg.Resolved.Unit.Name)
				return nil
			}
			printSources(s.out, cfg)
			dc, err := experiments.CheckData(cfg)
			if err != nil {
				return usageErr(fmt.Errorf("%s: %w", args[0], experiments.WithConfigHint(err)))
			}
			if in := dc.Inspection; in != nil {
				amount := "none (count-only)"
				if in.HasAmount() {
					amount = fmt.Sprintf("%s (column %d)", in.AmountName, in.Amount)
				}
				fmt.Fprintf(s.out, "data %s: %s, header %v, %d fields; customer %s (column %d), date %s (column %d), amount %s (columns 0-based)\n",
					cfg.Data.Path, in.Format, in.Header, in.Fields, in.CustomerName, in.Customer, in.DateName, in.Date, amount)
			}
			fmt.Fprintf(s.out, "%d rows read, %d rejected; last transaction %s; %d customers by split.calibration_end\n",
				dc.Accounting.RowsRead, dc.Accounting.RowsRejected, dc.LastDate.Format("2006-01-02"), dc.Customers)
			run := fmt.Sprintf("%d backtest window(s)", len(cfg.Resolved.Windows))
			if cfg.Resolved.Forecast {
				run = "a forecast (no holdout) over clv.horizon"
			}
			fmt.Fprintf(s.out, "%s is valid: %d models, %s, unit %s\n", args[0], len(cfg.Models), run, cfg.Resolved.Unit.Name)
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override a config key, e.g. --set split.unit=day (repeatable)")
	return c
}
