package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// TestExitCodeOfEachErrorKind: exitCode maps each kind of error, however
// wrapped, to the documented code: 2 for flag, config and data errors
// (a model the data cannot identify is one), 1 for a model failure (a
// runaway fit) and anything else.
func TestExitCodeOfEachErrorKind(t *testing.T) {
	ident := &models.IdentificationError{Model: "bgnbd", Reason: models.NoRepeatPurchases, Customers: 3, Option: models.OptionPenalty}
	conv := &models.ConvergenceError{Result: &models.FitResult{Model: "bgnbd"}, Reason: "alpha ran off", Option: models.OptionPenalty}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"identification", ident, exitUsage},
		{"identification, hinted", withFlagHint(fmt.Errorf("fit: %w", ident)), exitUsage},
		{"bad row", fmt.Errorf("read: %w", &datasets.BadRowError{File: "a.csv", Line: 2, Reason: datasets.ReasonBadDate}), exitUsage},
		{"config", &experiments.ConfigError{File: "c.yaml", Problems: []experiments.Problem{{Key: "models", Message: "x"}}}, exitUsage},
		{"config data", &experiments.DataError{Err: errors.New("holdout past the data")}, exitUsage},
		{"flag", &flagError{errors.New("unknown flag")}, exitUsage},
		{"convergence", withFlagHint(conv), exitFailure},
		{"models failed", &experiments.ModelsError{Models: []string{"bgnbd"}, Messages: []string{"bgnbd: x"}}, exitFailure},
		{"gates", &exitError{code: exitGatesFailed, err: &experiments.GatesError{}}, exitGatesFailed},
		{"other", errors.New("disk full"), exitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(context.Background(), io.Discard, tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := exitCode(ctx, io.Discard, ident); got != exitInterrupted {
		t.Errorf("interrupted: exit %d, want %d", got, exitInterrupted)
	}
}

// TestFitIdentificationExitsTwo: data that cannot identify the model (no
// repeat buyer; a single customer) is a data error, exit code 2 with the
// --penalty fix; the same data with --penalty fits.
func TestFitIdentificationExitsTwo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noRepeat := write("norepeat.csv", "customer_id,frequency,recency,T,monetary_value\na,0,0,10,0\nb,0,0,12,0\nc,0,0,30,0\n")
	single := write("single.csv", "customer_id,frequency,recency,T,monetary_value\na,3,8,10,5\n")
	tests := []struct {
		model, summary string
	}{
		{"bgnbd", noRepeat},
		{"paretonbd", noRepeat},
		{"bgnbd", single},
		{"gammagamma", noRepeat},
	}
	for _, tt := range tests {
		code, _, errOut := clv(t, "fit", "--model", tt.model, "--summary", tt.summary)
		if code != exitUsage || !strings.Contains(errOut, "cannot identify") {
			t.Errorf("fit %s on %s: exit %d, %q; want exit 2 and \"cannot identify\"", tt.model, filepath.Base(tt.summary), code, errOut)
		}
	}
	if code, _, errOut := clv(t, "fit", "--model", "bgnbd", "--summary", single, "--penalty", "0.01"); code == exitUsage {
		t.Errorf("fit with --penalty: exit %d, %s", code, errOut)
	}
}

// TestRunawayFitExitsOneInFitAndRun: customers who buy every day drive
// BG/NBD's parameters off to infinity; the fit is reported as not
// converged, a model failure: exit code 1, in clv fit as in clv run.
func TestRunawayFitExitsOneInFitAndRun(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "daily.csv")
	if err := os.WriteFile(summary, []byte("customer_id,frequency,recency,T\na,10,10,10\nb,20,20,20\nc,5,5,5\nd,30,30,30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := clv(t, "fit", "--model", "bgnbd", "--summary", summary)
	if code != exitFailure || !strings.Contains(errOut, "did not converge") {
		t.Errorf("fit: exit %d, %q; want exit 1 and \"did not converge\"", code, errOut)
	}
	var log strings.Builder
	log.WriteString("customer_id,date\n")
	for c, first := range []int{21, 11, 26, 1} { // every day from January <first> to February 10
		for d := first; d <= 41; d++ {
			fmt.Fprintf(&log, "c%d,%s\n", c, time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		}
	}
	data := filepath.Join(dir, "daily-log.csv")
	if err := os.WriteFile(data, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "daily.yaml")
	yaml := "name: daily\ndata: {path: daily-log.csv, customer: customer_id, date: date}\n" +
		"split: {unit: day, calibration_end: 2024-01-31, holdout_end: 2024-02-10}\n" +
		"models: [bgnbd]\noutput: {dir: out, plots: false, report: false}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = clv(t, "run", cfg, "--no-progress")
	if code != exitFailure || !strings.Contains(errOut, "did not converge") {
		t.Errorf("run: exit %d, %q; want exit 1 and \"did not converge\"", code, errOut)
	}
}
