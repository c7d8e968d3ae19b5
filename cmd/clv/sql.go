package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/experiments"
)

func newSQLCmd(s streams) *cobra.Command {
	var sets []string
	var dialect string
	c := &cobra.Command{
		Use:   "sql CONFIG",
		Short: "Print the SQL a database config runs, per backtest window",
		Long: `sql prints the queries clv run sends to the database of a config with
data.engine set (postgres or clickhouse), for every backtest window: the
accounting of every row by reason, one row per customer, and the repeat
purchases per day. Run them yourself to read or check what clv computes;
nothing is connected to. --engine prints the SQL of the other engine.`,
		Example: `  clv sql configs/postgres.yaml
  clv sql configs/postgres.yaml --engine clickhouse`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := experiments.Load(args[0], sets)
			if err != nil {
				return usageErr(err)
			}
			if cfg.Survival != nil || cfg.Data.Engine == "" {
				return usageErr(fmt.Errorf("%s: data.engine is not set: clv sql prints the SQL of a database config (see configs/postgres.yaml)", args[0]))
			}
			for _, w := range cfg.Resolved.Windows {
				spec, err := experiments.EngineSpec(cfg, w)
				if err != nil {
					return usageErr(err)
				}
				if dialect != "" {
					if spec.Dialect, err = engine.ParseDialect(dialect); err != nil {
						return &flagError{fmt.Errorf("--engine: %w", err)}
					}
				}
				st, err := engine.SQL(spec)
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", args[0], err))
				}
				fmt.Fprintf(s.out, "-- %s, window with calibration to %s and holdout to %s\n", spec.Dialect,
					w.CalibrationEnd.Format("2006-01-02"), w.HoldoutEnd.Format("2006-01-02"))
				fmt.Fprintf(s.out, "-- rows by reason\n%s;\n-- customers, one row each, and the repeat purchase days per day\n%s;\n-- or the pattern table: distinct customer patterns, spend pairs and repeat days, with counts\n%s;\n\n", st.Accounting, st.Customers, st.Patterns)
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override a config key, as in clv run (key=value, repeatable)")
	c.Flags().StringVar(&dialect, "engine", "", "print the SQL of this engine (postgres or clickhouse) instead of data.engine")
	return c
}
