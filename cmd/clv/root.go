package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// Exit codes. A CI job can tell a regression (3) from a broken setup (2).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2 // a config, flag or data error
	exitGatesFailed = 3
	exitInterrupted = 130 // SIGINT or SIGTERM, as shells report 128+2
)

// interruptGrace is how long a command may take to clean up (remove its
// staging folder) after SIGINT or SIGTERM before clv returns regardless,
// abandoning a read that is blocked in the kernel.
const interruptGrace = 750 * time.Millisecond

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
	afterFit func(ctx context.Context)
}

// execute runs the clv command line and returns its exit code. Errors are
// printed to stderr; a panic is never shown as a Go trace. SIGINT and
// SIGTERM cancel the command's context; a command that has not returned
// interruptGrace later is abandoned, so that any command ends within a
// second of the signal.
func execute(args []string, in io.Reader, out, errOut io.Writer) int {
	return executeWith(args, streams{in: in, out: out, err: errOut})
}

// executeWith runs the clv command line with the given streams and hooks.
func executeWith(args []string, s streams) int {
	in, out, errOut := s.in, s.out, s.err
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- &exitError{code: exitFailure, err: fmt.Errorf("internal error: %v (please report this with the command you ran)", r)}
			}
		}()
		done <- root.ExecuteContext(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(interruptGrace):
			err = ctx.Err()
		}
	}
	return exitCode(ctx, errOut, err)
}

// exitCode prints err and returns the exit code it stands for.
func exitCode(ctx context.Context, errOut io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintf(errOut, "clv: interrupted (%v)\n", err)
		return exitInterrupted
	}
	fmt.Fprintf(errOut, "clv: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isFlagError(err) || isDataError(err) {
		return exitUsage
	}
	return exitFailure
}

// isDataError reports errors that say the data, not the model or clv, is
// at fault: a *models.IdentificationError (data that cannot identify the
// model, found before fitting: no repeat buyers, a single customer), a bad
// row (in a file, or counted in a database table), a config run's data
// error, or an unknown model name. They exit with code 2 wherever they
// surface. A *models.ConvergenceError is not one: the data was fitted and
// the optimizer ran off or stopped early, a model failure (exit code 1)
// in clv fit as in clv run, where the failed model is reported next to
// the others and the run exits 1.
func isDataError(err error) bool {
	var ie *models.IdentificationError
	var be *datasets.BadRowError
	var de *experiments.DataError
	var ce *experiments.ConfigError
	var ue *models.UnknownModelError
	var bre *engine.BadRowsError
	return errors.As(err, &ie) || errors.As(err, &be) || errors.As(err, &de) || errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &bre)
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
the config's expect list failed, 130 interrupted (SIGINT or SIGTERM).`,
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
		newScoreCmd(s),
		newRunCmd(s),
		newValidateCmd(s),
		newSQLCmd(s),
		newCompareCmd(s),
		newReportCmd(s),
		newVersionCmd(s),
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

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the clv version and the build's module and Go versions",
		Example: `  clv version`,
		RunE: func(cmd *cobra.Command, args []string) error {
			writeVersion(s.out)
			return nil
		},
	}
}

// writeVersion prints the clv version, then what the binary records of its
// build (runtime/debug.ReadBuildInfo): module path and version ("(devel)"
// for a build from a checkout), Go version and, when built from a git
// checkout, the commit and whether the tree was modified.
func writeVersion(w io.Writer) {
	fmt.Fprintf(w, "clv %s\n", version)
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(w, "build information: not recorded in this binary")
		return
	}
	fmt.Fprintf(w, "module %s %s\n", info.Main.Path, info.Main.Version)
	fmt.Fprintf(w, "go %s\n", info.GoVersion)
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH":
			fmt.Fprintf(w, "%s %s\n", st.Key, st.Value)
		}
	}
}
