package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments/atomicfile"
)

func newSummarizeCmd(s streams) *cobra.Command {
	var (
		df       dataFlags
		out      string
		compress bool
	)
	c := &cobra.Command{
		Use:   "summarize",
		Short: "Turn a transaction log into one row per customer (frequency, recency, T, spend)",
		Long: `summarize reads a transaction log and writes the per-customer summary every
model fits on, as CSV with the column names users know from lifetimes:

  customer_id, frequency, recency, T, monetary_value
  and with --holdout-end also frequency_holdout, monetary_value_holdout, duration_holdout

frequency counts repeat purchase days (purchases on the same day count once,
the first purchase is not a repeat); recency and T are fractional in --unit.
Customers whose first purchase is after --calibration-end are left out and
counted on stderr. Every input row is accounted for: read = used + rejected.`,
		Example: `  # the CDNOW sample: no header, whitespace-separated, dates as 19970101
  clv summarize --data ../shared/datasets/CDNOW_sample.txt --customer 1 --date 2 --amount 4 \
    --date-format 20060102 --calibration-end 1997-09-30 --holdout-end 1998-06-30 --unit week

  # the data built into clv
  clv summarize --embedded quickstart --calibration-end 2024-09-29 --holdout-end 2025-06-29`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutputs(
				[]atomicfile.Named{{Key: "--out", Path: out}, {Key: "--rejects", Path: df.rejects}},
				[]atomicfile.Named{{Key: "--data", Path: df.path}},
			); err != nil {
				return err
			}
			if !compress {
				sum, err := summarizeToOutput(cmd.Context(), &df, out, s.out)
				if err != nil {
					return err
				}
				reportAccounting(s.err, sum)
				return nil
			}
			sum, err := df.summarize(cmd.Context())
			if err != nil {
				return err
			}
			sum = datasets.Compress(sum)
			if err := writeOutput(out, s.out, func(w io.Writer) error { return datasets.WriteSummaryCSV(w, sum) }); err != nil {
				return err
			}
			reportAccounting(s.err, sum)
			return nil
		},
	}
	df.register(c)
	c.Flags().StringVar(&out, "out", "", "write the summary CSV to this file (- or nothing: standard output)")
	c.Flags().BoolVar(&compress, "compress", false, "merge customers with identical (frequency, recency, T) into one row with a weight")
	return c
}

// summarizeToOutput summarizes the log the flags name and writes the
// summary's rows to out (as writeOutput does) as they are made, without
// holding them all. An error of the data is returned as summarize returns
// it (nothing is written: the output is left as it was, or empty when it
// is standard output, a device or a FIFO).
func summarizeToOutput(ctx context.Context, df *dataFlags, out string, stdout io.Writer) (*datasets.Summary, error) {
	var sum *datasets.Summary
	var dataErr error
	err := writeOutput(out, stdout, func(w io.Writer) error {
		sum, dataErr = df.summarizeTo(ctx, w)
		return dataErr
	})
	if dataErr != nil {
		return nil, dataErr
	}
	return sum, err
}

// reportAccounting prints what became of every input row.
func reportAccounting(w io.Writer, s *datasets.Summary) {
	a := s.Accounting
	fmt.Fprintf(w, "rows: %d read, %d used, %d rejected; customers: %d in calibration", a.RowsRead, a.RowsUsed, a.RowsRejected, len(s.Customers)+s.WrittenCustomers)
	if s.LateCustomers > 0 {
		fmt.Fprintf(w, ", %d left out (first purchase after calibration end)", s.LateCustomers)
	}
	fmt.Fprintln(w)
	reasons := make([]string, 0, len(a.RejectedBy))
	for r := range a.RejectedBy {
		reasons = append(reasons, string(r))
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "  rejected %d rows: %s\n", a.RejectedBy[datasets.Reason(r)], r)
	}
}

// writeOutput writes through write to standard output when path is "" or
// "-", else to the file path as atomicfile does (atomically for a regular
// file, in place for a device, FIFO or terminal, through a symbolic link).
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	return atomicfile.Write(path, write)
}
