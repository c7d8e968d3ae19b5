package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/experiments/report"
)

func newReportCmd(s streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Redraw the figures and rewrite report.html and report.md of a results folder",
		Long: `report regenerates the figures and the report of a results folder that clv run
wrote, without fitting anything again: it reads metrics.json, params.json and
predictions.csv, rebuilds the BG/NBD, Pareto/NBD and MBG/NBD models from their
parameters, redraws plots/ (PNG at 300 dpi and SVG) and writes:

  report.html   one self-contained page: data, split, models, scores with the
                best marked, segments, gates, warnings and every figure
  report.md     the same in Markdown, with the PNG figures linked

Use it after a run made with output.plots or output.report off, or to redraw
an old run with a newer clv. The tracking plot needs the daily purchases only
a run computes: it is kept from the folder's plots/data.json when there is
one and skipped otherwise. The paths written are printed; warnings go to
stderr.`,
		Example: `  # a quick run of two models without figures or report, then both drawn
  clv run configs/quickstart.yaml --set models=average,bgnbd --set output.plots=false --set output.report=false --out runs/quick
  clv report runs/quick`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFinishedRun(args[0]); err != nil {
				return err
			}
			removeStaleTemps(args[0])
			res, err := report.FromDir(args[0])
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return usageErr(err)
				}
				return err
			}
			fmt.Fprintln(s.out, res.HTML)
			fmt.Fprintln(s.out, res.Markdown)
			for _, w := range res.Warnings {
				fmt.Fprintln(s.err, "warning: "+w)
			}
			return nil
		},
	}
	return c
}
