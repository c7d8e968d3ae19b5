package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
)

// dataFlags are the transaction-log flags shared by summarize and fit.
type dataFlags struct {
	path, embedded                     string
	format, header, delimiter          string
	customer, date, amount, dateFormat string
	onBadRow, rejects                  string
	calibrationEnd, holdoutEnd, unit   string
	start                              string
	// excludeAfterEnd sets aside rows after the window instead of failing.
	excludeAfterEnd bool
	// interPurchase computes the log inter-purchase times (for the
	// Erlang-k models).
	interPurchase bool
	// discrete counts calendar periods of --unit (clv fit of a model of
	// discrete opportunities); activityDays turns on activity periods of
	// this many days (clv fit --model retention).
	discrete     bool
	activityDays float64
}

func (f *dataFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.path, "data", "", "transaction log to read (CSV, TSV, whitespace-separated text or Parquet)")
	fl.StringVar(&f.embedded, "embedded", "", "use data built into clv instead of --data (available: quickstart)")
	fl.StringVar(&f.format, "format", "auto", "file format: auto, csv, tsv, whitespace or parquet")
	fl.StringVar(&f.delimiter, "delimiter", "auto", "field separator of a text log: auto (from the first line), comma, semicolon, tab, pipe or whitespace")
	fl.StringVar(&f.header, "header", "auto", "whether the first line is a header: auto, yes or no")
	fl.StringVar(&f.customer, "customer", "customer_id", "customer id column: header name or 0-based index")
	fl.StringVar(&f.date, "date", "date", "date column: header name or 0-based index")
	fl.StringVar(&f.amount, "amount", "", `amount column: header name or 0-based index; none for count-only data (default: a column named "amount" if the header has one)`)
	fl.StringVar(&f.dateFormat, "date-format", "iso", "date layout: iso, 20060102, rfc3339, unix, or any Go layout such as 01/02/2006")
	fl.StringVar(&f.onBadRow, "on-bad-row", "fail", "what to do with a bad row: fail (stop at the first) or skip (count, report and leave out)")
	fl.StringVar(&f.rejects, "rejects", "", "with --on-bad-row skip: write the rejected rows and their reasons to this CSV file")
	fl.StringVar(&f.calibrationEnd, "calibration-end", "", "last day of the calibration period, YYYY-MM-DD (inclusive)")
	fl.StringVar(&f.holdoutEnd, "holdout-end", "", "last day of the holdout period, YYYY-MM-DD (inclusive; optional)")
	fl.StringVar(&f.unit, "unit", "week", "time unit of recency and T: day, week, month, year or a number of days such as 14d")
	fl.StringVar(&f.start, "start", "", "first day of the window, YYYY-MM-DD (optional): earlier rows are bad rows")
}

// given reports whether the user named any data source.
func (f *dataFlags) given() bool { return f.path != "" || f.embedded != "" }

// parseDay parses a YYYY-MM-DD flag value.
func parseDay(flag, v string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, usageErrf("--%s %q is not a date: write it as YYYY-MM-DD", flag, v)
	}
	return t, nil
}

// options turns the flags into reader and summary options.
func (f *dataFlags) options() (datasets.ReadOptions, datasets.SummaryOptions, error) {
	ro := datasets.ReadOptions{
		Header: f.header, Customer: datasets.ParseColumn(f.customer), Date: datasets.ParseColumn(f.date),
		Amount: datasets.ParseColumn(f.amount), DateFormat: f.dateFormat, OnBadRow: f.onBadRow, RejectsPath: f.rejects,
		ExcludeAfterEnd: f.excludeAfterEnd,
	}
	so := datasets.SummaryOptions{InterPurchase: f.interPurchase}
	var err error
	if ro.Format, err = datasets.ParseFormat(f.format); err != nil {
		return ro, so, usageErr(fmt.Errorf("--format: %w", err))
	}
	if ro.Delimiter, err = datasets.ParseDelimiter(f.delimiter); err != nil {
		return ro, so, usageErr(fmt.Errorf("--delimiter: %w", err))
	}
	if f.calibrationEnd == "" {
		return ro, so, usageErrf("--calibration-end is required: the last day of the calibration period, YYYY-MM-DD")
	}
	if so.CalibrationEnd, err = parseDay("calibration-end", f.calibrationEnd); err != nil {
		return ro, so, err
	}
	if f.holdoutEnd != "" {
		if so.HoldoutEnd, err = parseDay("holdout-end", f.holdoutEnd); err != nil {
			return ro, so, err
		}
		if !so.HoldoutEnd.After(so.CalibrationEnd) {
			return ro, so, usageErrf("--holdout-end %s must be after --calibration-end %s", f.holdoutEnd, f.calibrationEnd)
		}
	}
	if f.start != "" {
		if ro.Start, err = parseDay("start", f.start); err != nil {
			return ro, so, err
		}
	}
	if so.Unit, err = datasets.ParseUnit(f.unit); err != nil {
		return ro, so, usageErr(fmt.Errorf("--unit: %w", err))
	}
	so.Discrete, so.ActivityPeriodDays = f.discrete, f.activityDays
	return ro, so, nil
}

// summarize reads the log the flags name and summarizes it, under ctx
// (SIGINT ends the read). A pipe or device (/dev/stdin) is streamed once.
func (f *dataFlags) summarize(ctx context.Context) (*datasets.Summary, error) {
	return f.summarizeTo(ctx, nil)
}

// summarizeTo is summarize; with csv not nil the customers' rows are
// written to it as CSV instead of kept (datasets.SummaryOptions.CSV).
func (f *dataFlags) summarizeTo(ctx context.Context, csv io.Writer) (*datasets.Summary, error) {
	ro, so, err := f.options()
	if err != nil {
		return nil, err
	}
	so.CSV = csv
	var in *experiments.LogInput
	switch {
	case f.path != "" && f.embedded != "":
		return nil, usageErrf("give either --data or --embedded, not both")
	case f.embedded != "":
		raw, err := datasets.Embedded(f.embedded)
		if err != nil {
			return nil, usageErr(err)
		}
		in = experiments.EmbeddedLog(f.embedded, raw)
	case f.path != "":
		if _, err := os.Stat(f.path); err != nil {
			return nil, usageErrf("cannot read --data %s: %v", f.path, err)
		}
		if in, err = experiments.OpenLog(ctx, f.path, f.path, "--data", f.format); err != nil {
			return nil, dataErr(err)
		}
	default:
		return nil, usageErrf("name the transaction log with --data PATH (or --embedded quickstart)")
	}
	defer in.Close()
	in.SkipChecksum() // summarize and fit print no checksum
	s, err := in.Summarize(ro, so)
	if err != nil && ctx.Err() != nil {
		return nil, err // interrupted, not a data error
	}
	return s, dataErr(err)
}

// checkOutputs refuses an output flag that names the same file as an
// input flag or another output (exit code 2), and "-" for the rejects.
func checkOutputs(outputs, inputs []atomicfile.Named) error {
	for _, o := range outputs {
		if o.Key == "--rejects" && o.Path == "-" {
			return usageErrf("--rejects -: standard output is not available for the rejected rows; name a file")
		}
	}
	return usageErr(atomicfile.CheckDistinct(outputs, inputs))
}

// dataErr marks errors from reading data as data errors (exit code 2).
func dataErr(err error) error {
	if err == nil {
		return nil
	}
	return usageErr(withFlagHint(err))
}
