package experiments

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// The fit → predict flow of a window.
//
// A model's predictions need its own fit and the spend model's, nothing
// else: so each purchase model is predicted as soon as both are done,
// while the slower fits (the Pareto/NBD) still run, and the predictions of
// different models run beside each other. Fits and predictions share
// GOMAXPROCS slots (each also splits its own work over the cores), so the
// machine stays busy without running every model at once. The window's
// Scorer (its id order, which the value tiers and the score stage rank
// by) is made beside the fits.
//
// What each model computes does not depend on when it runs: the
// predictions, tiers and scores are the same as fitting every model first
// and predicting them one after another (predictWindow still does that
// for fits made elsewhere, clv score's).
//
// Stage times (manifest.json's stage_seconds): fit_* (fit in a forecast)
// runs from the start of the fits to the end of the last one; predict_*
// (predict) from there to the end of the last prediction. The two add up
// to the window's fit-and-predict wall time; the predictions of models
// fitted early ran inside fit_*.

// windowFlow runs a window's fits and predictions.
type windowFlow struct {
	ctx   context.Context
	cfg   *Config
	reg   *models.Registry
	wr    *windowResult
	slots chan struct{} // one per running fit or prediction
	mu    sync.Mutex    // guards wr's maps and fields the tasks set
	bar   *progressBar
	fits  sync.WaitGroup
	preds sync.WaitGroup
	// spendDone is closed once the spend model is fitted, failed or
	// absent (wr.spend and spendCols are then final); ranked once wr's
	// Scorer and ages are made.
	spendDone, ranked chan struct{}
	clv               models.CLVOptions
	tables            map[*datasets.Summary]*rowTable // one row table per summary
	spendCols         map[*datasets.Summary][]float64 // one spend column per summary
	// predictAll, when set, predicts every model fitted as soon as it and
	// the spend model are (the pipeline); otherwise predictions are
	// started by predictFitted.
	predictAll bool
}

// newWindowFlow starts the flow of wr: its row tables are made, and on a
// goroutine of its own its Scorer when rank is set (the value tiers, with
// tiers set, or the score stage will rank the customers) and the
// customers' ages for the value tiers with tiers.
func newWindowFlow(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult, bar *progressBar, rank, tiers bool) *windowFlow {
	fl := &windowFlow{
		ctx: ctx, cfg: cfg, reg: reg, wr: wr, bar: bar,
		slots:     make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
		spendDone: make(chan struct{}), ranked: make(chan struct{}),
		clv:       models.CLVOptions{Horizon: cfg.Resolved.Horizon, DiscountRate: cfg.Resolved.DiscountRatePerUnit, Margin: cfg.CLV.Margin},
		tables:    map[*datasets.Summary]*rowTable{wr.summary: newRowTable(wr.summary, wr.patterns)},
		spendCols: map[*datasets.Summary][]float64{},
	}
	if wr.discrete != nil {
		fl.tables[wr.discrete] = newRowTable(wr.discrete, wr.discretePatterns)
	}
	go func() {
		defer close(fl.ranked)
		if rank || tiers {
			wr.scorer()
		}
		if tiers {
			wr.ages = customerAges(wr.summary)
		}
	}()
	return fl
}

// acquire waits for a free slot; release frees it.
func (fl *windowFlow) acquire() { fl.slots <- struct{}{} }
func (fl *windowFlow) release() { <-fl.slots }

// settleSpend records the spend model's fit (f nil when it failed or there
// is none) and makes the spend column of every summary a model predicts
// on, shared by the models.
func (fl *windowFlow) settleSpend(f models.FittedSpend) {
	if f != nil {
		fl.spendCols[fl.wr.summary] = spendColumn(fl.wr.summary, f)
		if fl.wr.discrete != nil {
			fl.spendCols[fl.wr.discrete] = spendColumn(fl.wr.discrete, f)
		}
	}
	close(fl.spendDone)
}

// startPrediction predicts a fitted model on a goroutine of its own once
// the spend model is settled; a model whose predictions are not finite
// (or that panics) fails.
func (fl *windowFlow) startPrediction(name string, f models.FittedPurchases) {
	fl.preds.Go(func() {
		<-fl.spendDone
		fl.acquire()
		p, err := fl.predict(name, f)
		fl.release()
		fl.mu.Lock()
		defer fl.mu.Unlock()
		if err != nil {
			fl.wr.errs[name] = err
			delete(fl.wr.fits, name)
		} else {
			fl.wr.preds[name] = p
		}
		fl.bar.add(name + " predicted")
	})
}

// predict returns a model's predictions with their value tiers (see
// predictModel and addValueTiers).
func (fl *windowFlow) predict(name string, f models.FittedPurchases) (p *Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%s: internal error: %v\n%s", name, r, debug.Stack())
		}
	}()
	wr := fl.wr
	in := predictInput{summary: wr.summary, patterns: wr.patterns, clv: fl.clv}
	if wr.isDiscrete(fl.reg, name) {
		in.summary, in.patterns = wr.discrete, wr.discretePatterns
	}
	in.table, in.spend = fl.tables[in.summary], fl.spendCols[in.summary]
	if p, err = predictModel(fl.ctx, name, f, wr.spend, in); err != nil {
		return nil, err
	}
	<-fl.ranked
	addValueTiers(fl.cfg, wr, p)
	return p, nil
}

// fit runs one fit on a slot, isolated from the others' failures (a
// panic is reported as its error), and records its seconds.
func (fl *windowFlow) fit(name string, fit func() (any, *models.FitResult, error)) (f any, res *models.FitResult, err error) {
	fl.acquire()
	defer fl.release()
	t0 := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%s: internal error: %v\n%s", name, p, debug.Stack())
			}
		}()
		f, res, err = fit()
	}()
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.wr.seconds[name] = time.Since(t0).Seconds()
	return f, res, err
}

// startFits starts the spend model's fit and every purchase model's on
// the window's model data (see windowData), each on a goroutine of its
// own; with predictAll, each purchase model's prediction follows its fit.
func (fl *windowFlow) startFits(s *datasets.Summary, data map[models.DataForm]*models.Data) {
	ctx, cfg, reg, wr := fl.ctx, fl.cfg, fl.reg, fl.wr
	opts := models.FitOptions{Penalty: cfg.Fit.Penalty, MaxIterations: cfg.Fit.MaxIterations}
	if sm := cfg.Resolved.SpendModel; sm != "none" && sm != "" {
		fl.fits.Go(func() {
			name := "spend:" + sm
			f, res, err := fl.fit(name, func() (any, *models.FitResult, error) {
				m, err := reg.SpendModel(sm, nil)
				if err != nil {
					return nil, nil, err
				}
				f, err := m.Fit(ctx, data[models.DataActivity], opts)
				if err != nil {
					return nil, models.ResultOf(f), err
				}
				return f, f.Result(), nil
			})
			var spend models.FittedSpend
			fl.mu.Lock()
			wr.spendFit, wr.spendErr = res, err
			if err == nil {
				spend = f.(models.FittedSpend)
				wr.spend = spend
			}
			fl.mu.Unlock()
			fl.settleSpend(spend)
			fl.bar.add(name)
		})
	} else {
		fl.settleSpend(nil)
		fl.bar.add("no spend model")
	}
	for _, name := range cfg.Models {
		fl.fits.Go(func() {
			f, res, err := fl.fit(name, func() (any, *models.FitResult, error) {
				return fitPurchaseModel(ctx, cfg, reg, name, s, data, opts)
			})
			fl.mu.Lock()
			wr.results[name] = res
			if err != nil {
				wr.errs[name] = err
			} else {
				wr.fits[name] = f.(models.FittedPurchases)
			}
			fl.mu.Unlock()
			if err != nil {
				fl.bar.add(name + " failed")
				if fl.predictAll {
					fl.bar.add(name + " not predicted")
				}
				return
			}
			fl.bar.add(name + " fitted")
			if fl.predictAll {
				fl.startPrediction(name, f.(models.FittedPurchases))
			}
		})
	}
}

// fitPurchaseModel fits the purchase model of a name on the window's
// model data of its form (a covariate model on the customers of s).
func fitPurchaseModel(ctx context.Context, cfg *Config, reg *models.Registry, name string, s *datasets.Summary, data map[models.DataForm]*models.Data, opts models.FitOptions) (any, *models.FitResult, error) {
	m, err := reg.PurchaseModel(name, cfg.modelOptions(name))
	if err != nil {
		return nil, nil, err
	}
	// Activity bitmaps differ between identical (x, t_x, T): those
	// models fit on the full table.
	desc, _ := reg.Lookup(models.KindPurchase, name)
	if desc.Covariate != nil { // one row per customer, with covariates: covariates_run.go
		return fitCovariateModel(ctx, cfg, desc, s, opts)
	}
	d := data[desc.Data]
	if d == nil {
		return nil, nil, fmt.Errorf("%s needs %s", name, desc.Needs())
	}
	f, err := m.Fit(ctx, d, opts)
	if err != nil {
		return nil, models.ResultOf(f), err
	}
	return f, f.Result(), nil
}

// newWindowResult returns the empty result of a window's summaries, with
// their pattern tables, and the window's model data (see windowData in
// driver_fit.go).
func newWindowResult(w BacktestWindow, s, discrete *datasets.Summary) (*windowResult, map[models.DataForm]*models.Data) {
	wr := &windowResult{
		window: w, summary: s, discrete: discrete,
		fits: map[string]models.FittedPurchases{}, results: map[string]*models.FitResult{},
		errs: map[string]error{}, preds: map[string]*Prediction{}, seconds: map[string]float64{},
	}
	var data map[models.DataForm]*models.Data
	data, wr.patterns, wr.discretePatterns, wr.zeroAge = windowData(s, discrete)
	return wr, data
}

// fitPredictWindow fits the spend model and every purchase model on a
// window's calibration data and predicts every customer with each model
// fitted (see the notes at the top of this file); fitted, when not nil,
// is called once every fit is done, before the last predictions end.
func fitPredictWindow(ctx context.Context, cfg *Config, reg *models.Registry, s, discrete *datasets.Summary, w BacktestWindow, prog *progress, fitted func()) *windowResult {
	wr, data := newWindowResult(w, s, discrete)
	bar := prog.bar("fitting and predicting", 2*len(cfg.Models)+1)
	defer bar.finish()
	tiers := cfg.Resolved.SpendModel != "" && cfg.Resolved.SpendModel != "none"
	fl := newWindowFlow(ctx, cfg, reg, wr, bar, tiers || !cfg.Resolved.Forecast, tiers)
	fl.predictAll = true
	fl.startFits(s, data)
	if !waitUnlessDone(ctx, func() { fl.fits.Wait() }) {
		return wr
	}
	if fitted != nil {
		fitted()
	}
	if !waitUnlessDone(ctx, func() { fl.preds.Wait(); <-fl.ranked }) {
		return wr
	}
	wr.ages = nil
	return wr
}

// waitUnlessDone calls wait and returns true when it returns, or false as
// soon as ctx ends: an interrupted run returns at once (a command is
// abandoned a second after its signal, and its staging folder must be
// removed first), and the fits and predictions still running stop at
// their next check, touching nothing but their window's result.
func waitUnlessDone(ctx context.Context, wait func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait()
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// intervalsUnlessDone adds the prediction intervals of the window's
// models (addIntervals) and returns the run's interruption as soon as ctx
// ends, as the fits' and predictions' waits do: the intervals' draws do
// not look at ctx, and a signal landing while they run must not spend the
// command's grace period on them. Intervals still being computed then
// touch nothing but wr, which the interrupted run abandons.
func intervalsUnlessDone(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult) error {
	if !waitUnlessDone(ctx, func() { addIntervals(ctx, cfg, reg, wr) }) {
		return interrupted(ctx)
	}
	return nil
}

// fitWindow fits the spend model and every purchase model on a window's
// calibration data, in parallel, each isolated from the others' failures
// (a panic in one model is reported as its error), without predicting.
func fitWindow(ctx context.Context, cfg *Config, reg *models.Registry, s, discrete *datasets.Summary, w BacktestWindow, prog *progress) *windowResult {
	wr, data := newWindowResult(w, s, discrete)
	bar := prog.bar("fitting", len(cfg.Models)+1)
	defer bar.finish()
	fl := newWindowFlow(ctx, cfg, reg, wr, bar, false, false)
	fl.startFits(s, data)
	fl.fits.Wait()
	<-fl.ranked
	return wr
}

// predictWindow predicts every customer's holdout purchases, P(alive),
// revenue and CLV for each model fitted in wr (wr.spend the spend model,
// if any), the models in parallel, pattern first (see predict.go). A
// model whose predictions are not finite fails.
func predictWindow(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult, prog *progress) {
	bar := prog.bar("predicting", len(wr.fits))
	defer bar.finish()
	fl := newWindowFlow(ctx, cfg, reg, wr, bar, false, wr.spend != nil)
	fl.settleSpend(wr.spend)
	for _, name := range cfg.Models {
		if f, ok := wr.fits[name]; ok {
			fl.startPrediction(name, f)
		}
	}
	fl.preds.Wait()
	<-fl.ranked
	wr.ages = nil
}
