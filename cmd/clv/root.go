package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes. A CI job can tell a regression (3) from a broken setup (2).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2 // a config, flag or data error
	exitGatesFailed = 3
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a config, flag or data error (exit code 2).
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// usageErrf formats a usage error.
func usageErrf(format string, args ...any) error {
	return usageErr(fmt.Errorf(format, args...))
}

// streams are the command's standard streams, passed down instead of
// reaching for os.Stdout, so commands can be tested.
type streams struct {
	in       io.Reader
	out, err io.Writer
	// afterFit, when set, is called by clv run between fitting and
	// writing (tests use it to interrupt a run).
	afterFit func()
}

// execute runs the clv command line and returns its exit code. Errors are
// printed to stderr; a panic is never shown as a Go trace.
func execute(args []string, in io.Reader, out, errOut io.Writer) (code int) {
	return executeWith(args, streams{in: in, out: out, err: errOut})
}

// executeWith runs the clv command line with the given streams and hooks.
func executeWith(args []string, s streams) (code int) {
	in, out, errOut := s.in, s.out, s.err
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(errOut, "clv: internal error: %v\nPlease report this with the command you ran.\n", r)
			code = exitFailure
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(errOut, "clv: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isFlagError(err) {
		return exitUsage
	}
	return exitFailure
}

// flagError marks errors cobra reports for bad flags or arguments.
type flagError struct{ error }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "clv",
		Short: "Predict customer lifetime value and compare CLV models reproducibly",
		Long: `clv predicts customer lifetime value (CLV) from a transaction log and runs
reproducible experiments that fit, backtest and compare CLV models.

A transaction log is a file of (customer id, date, amount) rows. clv summarizes
each customer (frequency, recency, age T, spend), fits models such as BG/NBD,
Pareto/NBD, MBG/NBD, BG/BB, Gamma-Gamma and sBG, and the simple heuristics
marketing teams use, predicts a holdout period and scores the predictions.

Start with:
  clv run configs/quickstart.yaml      fit, backtest and compare on the built-in data

Exit codes: 0 success, 1 failure, 2 a config, flag or data error, 3 a gate in
the config's expect list failed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &flagError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(
		newSummarizeCmd(s),
		newSimulateCmd(s),
		newFitCmd(s),
		newRunCmd(s),
		newValidateCmd(s),
		newCompareCmd(s),
		newReportCmd(s),
	)
	for _, c := range root.Commands() {
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
		wrapArgs(c)
	}
	return root
}

// wrapArgs makes argument-count errors usage errors (exit code 2).
func wrapArgs(c *cobra.Command) {
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &flagError{fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())}
		}
		return nil
	}
}
