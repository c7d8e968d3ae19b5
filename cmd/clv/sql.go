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
	var dateText bool
	c := &cobra.Command{
		Use:   "sql CONFIG",
		Short: "Print the SQL a database config runs, per backtest window",
		Long: `sql prints the queries clv run sends to the database of a config with
data.engine set (postgres or clickhouse), for every backtest window: the
accounting of every row by reason, one row per customer, and the repeat
purchases per day. With output.table set, it then prints the statements
that write the table back, in the order clv runs them; what the run
computes (the per-pattern values, the model columns) is shown as /* */
comments. Run them yourself to read or check what clv computes; nothing is
connected to. --engine prints the SQL of the other engine. The SQL is that
of a date column of a date or timestamp type; --date-text prints it for a
text column (clv run reads the column's type): YYYY-MM-DD, anything else
counted as unparseable_date, as the file reader reads dates.`,
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
			d := engine.Dialect("")
			if dialect != "" {
				if d, err = engine.ParseDialect(dialect); err != nil {
					return &flagError{fmt.Errorf("--engine: %w", err)}
				}
			}
			for _, w := range cfg.Resolved.Windows {
				spec, err := experiments.EngineSpec(cfg, w)
				if err != nil {
					return usageErr(err)
				}
				if d != "" {
					spec.Dialect = d
				}
				spec.DateText = dateText
				st, err := engine.SQL(spec)
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", args[0], err))
				}
				fmt.Fprintf(s.out, "-- %s, window with calibration to %s and holdout to %s\n", spec.Dialect,
					w.CalibrationEnd.Format("2006-01-02"), w.HoldoutEnd.Format("2006-01-02"))
				fmt.Fprintf(s.out, "-- rows by reason\n%s;\n-- customers, one row each, and the repeat purchase days per day\n%s;\n-- or the pattern table: distinct customer patterns, spend pairs and repeat days, with counts\n%s;\n\n", st.Accounting, st.Customers, st.Patterns)
				d = spec.Dialect
			}
			if cfg.Output.Table == "" {
				return nil
			}
			create, replace, err := experiments.WriteBackSQL(cfg, d, dateText)
			if err != nil {
				return usageErr(fmt.Errorf("%s: output.table: %w", args[0], err))
			}
			fmt.Fprintf(s.out, "-- %s, output.table %s: the statements that write the table after the run, in order (<suffix> is chosen by the run; /* */ marks what the run computes)\n", d, cfg.Output.Table)
			printStatements(s, create)
			if len(replace) > 0 {
				same := 0
				for same < len(create) && create[same] == replace[same] {
					same++
				}
				fmt.Fprintln(s.out, "-- when the table exists (output.table_replace: true), the statements after the row count are instead:")
				printStatements(s, replace[same:])
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override a config key, as in clv run (key=value, repeatable)")
	c.Flags().BoolVar(&dateText, "date-text", false, "print the SQL for a date column of text (YYYY-MM-DD) instead of a date or timestamp type")
	c.Flags().StringVar(&dialect, "engine", "", "print the SQL of this engine (postgres or clickhouse) instead of data.engine")
	return c
}

// printStatements prints write-back statements with their notes.
func printStatements(s streams, list []engine.Statement) {
	for _, st := range list {
		if st.Note != "" {
			fmt.Fprintf(s.out, "-- %s\n", st.Note)
		}
		fmt.Fprintf(s.out, "%s;\n", st.SQL)
		if st.Data != "" {
			fmt.Fprintf(s.out, "-- (data sent with it: %s)\n", st.Data)
		}
	}
}
