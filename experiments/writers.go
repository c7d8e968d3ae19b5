package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Overlapped stages.
//
// The files of a results folder only read what the run computed, so the
// driver writes them while other work goes on: predictions.csv (or
// .parquet) starts as soon as the predictions and their value tiers exist
// and is written while the score stage runs, and so are the figures that
// need no scores (plots_early.go); metrics.json, params.json and the other
// figures follow the score stage, still beside the predictions; the
// report, which reads the predictions' header and the plots' data, comes
// last, as soon as the figures are done and the predictions file's header
// is on the disk: while the predictions file, the last writer, is still
// being written (see writeResults). manifest.json's stage_seconds then holds each stage's own wall
// time from its start to its end, so that stages may overlap:
//
//	read_*                    (read) reading and summarizing the window
//	fit_*, predict_*          (fit, predict) the fits, then the predictions still running after the
//	                          last fit; predictions of models fitted early run inside fit_* (windowflow.go)
//	score                     scoring, segments, tiers' summaries, verdict
//	write_predictions         the predictions file, from its start (before scoring) to its end
//	write_files               a contractual run's projection.csv
//	write_plots               the figures, from their start (before scoring, see plots_early.go) to their end
//	write_report              the report
//	write                     after scoring: from the first of metrics.json to the last file
//	total                     the whole run, from its start to the manifest
//
// A writer that fails cancels the run (the other stages stop at their next
// check) and its error is the run's; every writer has ended before the
// staging folder is removed or committed.

// writerGroup runs the writers that overlap other stages.
type writerGroup struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // every writer
	mu     sync.Mutex
	err    error // the first writer's error that was not a cancellation
	// running counts, under mu, the writers of each kind still running:
	// leading, those started by start (the report reads their files), and
	// trailing, those of startTrailing (the predictions' writer); ended
	// is broadcast (its L is &mu) each time one ends.
	running [2]int
	ended   sync.Cond
}

// The kinds of writers of writerGroup.running.
const (
	leadingWriters = iota
	trailingWriters
)

// newWriterGroup returns a group of writers under ctx and the context the
// run's stages check: it ends when ctx does or a writer fails.
func newWriterGroup(ctx context.Context) (*writerGroup, context.Context) {
	wctx, cancel := context.WithCancelCause(ctx)
	g := &writerGroup{ctx: wctx, cancel: cancel}
	g.ended.L = &g.mu
	return g, wctx
}

// start runs write in the background, recording its seconds as the stage
// named stage; an error cancels the run.
func (g *writerGroup) start(env *runEnv, stage string, write func() error) {
	g.startKind(env, stage, write, leadingWriters)
}

// startTrailing is start for a writer that waitLeading does not wait for.
func (g *writerGroup) startTrailing(env *runEnv, stage string, write func() error) {
	g.startKind(env, stage, write, trailingWriters)
}

// startKind runs write in the background as a writer of the kind given,
// recording its seconds as the stage named stage. A failed write records
// its error and cancels the run before the writer is counted as ended:
// so that a wait for it (waitLeading, waitEither) returns with the run's
// context ended by the failure.
func (g *writerGroup) startKind(env *runEnv, stage string, write func() error, kind int) {
	g.mu.Lock()
	g.running[kind]++
	g.mu.Unlock()
	g.wg.Go(func() {
		defer func() {
			g.mu.Lock()
			g.running[kind]--
			g.ended.Broadcast()
			g.mu.Unlock()
		}()
		t0 := time.Now()
		err := write()
		env.timed(stage, t0)
		if err == nil {
			return
		}
		g.mu.Lock()
		if g.err == nil && g.ctx.Err() == nil {
			g.err = err
		}
		g.mu.Unlock()
		g.cancel(err)
	})
}

// waitUntil waits, under mu, until done holds of the writers running.
func (g *writerGroup) waitUntil(done func(running [2]int) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !done(g.running) {
		g.ended.Wait()
	}
}

// wait waits for every writer started and returns the first error of a
// writer that failed on its own (not cancelled by the run's end).
func (g *writerGroup) wait() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// waitLeading waits for the writers started by start (not those of
// startTrailing); their errors are wait's, and a failed one has cancelled
// the group's context by the time it returns.
func (g *writerGroup) waitLeading() {
	g.waitUntil(func(r [2]int) bool { return r[leadingWriters] == 0 })
}

// waitEither waits until the writers started by start, or those started
// by startTrailing, have all ended (at once when there are none of
// either): once one of the two kinds of files is written, a core is free
// for other work (see checksumLate).
func (g *writerGroup) waitEither() {
	g.waitUntil(func(r [2]int) bool { return r[leadingWriters] == 0 || r[trailingWriters] == 0 })
}

// failed waits for the writers and returns the error a run that failed
// with err reports: a writer's own failure (which cancelled the run) comes
// first.
func (g *writerGroup) failed(err error) error {
	g.cancel(err)
	if werr := g.wait(); werr != nil {
		return werr
	}
	return err
}

// stop cancels the writers still running and waits for them.
func (g *writerGroup) stop() {
	g.cancel(errors.New("run ended"))
	g.wg.Wait()
}

// collectGarbage collects between stages what the stage before left (the
// reader's tables and the model data after fitting, the scorer's orders
// and columns after scoring): Go lets the heap grow to twice what was live
// at its last collection, so without it the next stage would grow the heap
// on top of the dead tables, and a 10M-customer run's peak with it.
func collectGarbage() { runtime.GC() }

// ctxWriter stops writing once its context ends, so that a cancelled run
// does not finish a large file first.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("run interrupted: %w", context.Cause(c.ctx))
	}
	return c.w.Write(b)
}
