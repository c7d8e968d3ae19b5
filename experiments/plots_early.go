package experiments

import "fmt"

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
// columns the score stage ranks (windowResult.column), so that each order
// is computed once for both (the Scorer remembers orders by slice). The
// figures make each column as they need it and let it go, and one made
// after the score stage released its columns is not kept
// (sharedColumn).

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
		Config: cfg, Metrics: newMetricsFile(cfg, "", "", wr), Summary: wr.summary, Predictions: wr.preds,
		Fits: wr.fits, Spend: wr.spend, Windows: len(cfg.Resolved.Windows), Patterns: wr.patterns,
	}
	a.Column = func(name string, q Quantity) []float64 { return wr.preds[name].Column(q) }
	if cfg.Resolved.Forecast {
		return a // nothing is ranked
	}
	a.Scorer = wr.scorer() // made here, before the score stage shares it
	a.Column = func(name string, q Quantity) []float64 {
		if q == PredPurchases || q == PredRevenue {
			return wr.sharedColumn(name, q)
		}
		return wr.preds[name].Column(q)
	}
	return a
}

// sharedColumn is column for the figures: once the window has released
// its scoring columns (releaseScoring), the column made is not kept.
func (wr *windowResult) sharedColumn(name string, q Quantity) []float64 {
	c := wr.column(name, q)
	wr.colMu.Lock()
	defer wr.colMu.Unlock()
	if wr.ranks == nil {
		delete(wr.columns, columnKey{name, q})
	}
	return c
}
