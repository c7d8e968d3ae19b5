package experiments

import (
	"fmt"
	"sync"
)

// Figures drawn while the run scores.
//
// Most figures of a backtest (tracking, conditional expectations,
// calibration fit, gains, heat maps) read only the main window's
// customers, predictions and fits, and metrics.json's head (name, unit,
// split, segment target); the others (deciles, comparisons, intervals)
// read the scores. With RunOptions.StartPlots the first are computed and
// drawn by a writer (writers.go) started with the predictions file, while
// the run scores, and the writer then waits for the run's complete
// artifacts (writeResults hands them over) to draw the others and write
// plots/data.json. A run that fails or is cancelled meanwhile ends the
// writer, and its staging folder, figures included, is removed.
//
// The gains chart ranks the customers by every model's predictions, as
// the score stage does: the figures get the window's Scorer and the very
// columns the score stage ranks (the window's columnStore), so that each
// column is made and each order computed once for both (the Scorer
// remembers orders by slice). A column made after the score stage
// released its columns is the figure's own.

// startPlots starts the main window's figures in the background when the
// run draws them with RunOptions.StartPlots; writeResults then hands them
// the complete artifacts through env.scored.
func startPlots(env *runEnv, cfg *Config, mainWin *windowResult) {
	if !cfg.Output.Plots || env.opts.StartPlots == nil {
		return
	}
	early := earlyArtifacts(cfg, mainWin)
	scored := make(chan *Artifacts, 1)
	env.scored = scored
	dir, ctx := env.rd.staging, env.writers.ctx
	env.writers.start(env, "write_plots", func() error {
		finish, err := env.opts.StartPlots(ctx, dir, early)
		early = nil // what the figures drawn hold of the window
		if err != nil {
			return fmt.Errorf("writing plots: %w", err)
		}
		select {
		case a := <-scored:
			if err := finish(a); err != nil {
				return fmt.Errorf("writing plots: %w", err)
			}
			return nil
		case <-ctx.Done():
			return interrupted(ctx)
		}
	})
}

// earlyArtifacts returns the artifacts of the main window before scoring:
// metrics.json's head (newMetricsFile, without the data's name and
// checksum), the predictions and fits, the pattern table and, in a
// backtest, the Scorer with the columns it ranks.
func earlyArtifacts(cfg *Config, wr *windowResult) *Artifacts {
	a := &Artifacts{
		Config: cfg, Metrics: newMetricsFile(cfg, "", wr), Summary: wr.summary, Predictions: wr.preds,
		Fits: wr.fits, Spend: wr.spend, Windows: len(cfg.Resolved.Windows), Patterns: wr.patterns,
	}
	// The figures' columns are the window's (shared with the score stage
	// while it holds them): kept when taken through Column, which has no
	// end, and recycled once every user is done when taken through
	// AcquireColumn.
	cs := wr.store()
	a.Column = func(name string, q Quantity) []float64 { return cs.keep(wr.preds[name], q) }
	a.AcquireColumn = func(name string, q Quantity) ([]float64, func()) {
		p := wr.preds[name]
		return cs.acquire(p, q), sync.OnceFunc(func() { cs.release(p, q) })
	}
	if cfg.Resolved.Forecast {
		return a // nothing is ranked
	}
	a.Scorer = wr.scorer() // made here, before the score stage shares it
	return a
}
