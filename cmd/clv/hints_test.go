package main

import (
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// TestFlagHint checks that on the command line the errors of the data
// name the flags that fix them, each flag being one the commands have.
func TestFlagHint(t *testing.T) {
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	read := func(log string, ro datasets.ReadOptions) error {
		_, err := datasets.Summarize(strings.NewReader(log), "log.csv", ro, so)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bad date", read("customer_id,date\na,01/02/2024\n", datasets.ReadOptions{}), "set --date-format, or --on-bad-row skip"},
		{"outside", read("customer_id,date\na,2024-05-02\n", datasets.ReadOptions{}), "set --holdout-end, or --on-bad-row skip"},
		{"missing column", read("id,date\na,2024-01-02\n", datasets.ReadOptions{Customer: datasets.ColumnNamed("cust")}), "set --customer"},
		{"runaway fit", &models.ConvergenceError{Result: &models.FitResult{Model: "bgnbd"}, Reason: "r ran off", Option: models.OptionPenalty}, "set --penalty"},
	} {
		if got := flagHint(tc.err); got != tc.want {
			t.Errorf("%s: hint %q, want %q (error %v)", tc.name, got, tc.want, tc.err)
		}
		if got := withFlagHint(tc.err).Error(); !strings.HasSuffix(got, "("+tc.want+")") {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
	fit := newRootCmd(streams{})
	fitCmd, _, err := fit.Find([]string{"fit"})
	if err != nil {
		t.Fatal(err)
	}
	for o, flag := range optionFlags {
		if fitCmd.Flags().Lookup(strings.TrimPrefix(flag, "--")) == nil {
			t.Errorf("option %s: clv fit has no flag %s", o, flag)
		}
	}
}
