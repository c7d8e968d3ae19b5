package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Targets scored for every model: holdout purchases and, with a spend
// model, holdout revenue.
const (
	TargetPurchases = "holdout"
	TargetRevenue   = "holdout_revenue"
)

// MetricsFile is the content of metrics.json: deterministic, with no
// timings or timestamps, so a rerun of the same config and data gives the
// same bytes.
type MetricsFile struct {
	Name  string    `json:"name"`
	Unit  string    `json:"unit"`
	Data  DataFacts `json:"data"`
	Split SplitInfo `json:"split"`
	// SpendModel is the fitted spend model (absent with spend_model none).
	SpendModel *models.FitResult `json:"spend_model,omitempty"`
	// SegmentTarget is the target the segments rank and total:
	// holdout_revenue with a spend model, holdout otherwise.
	SegmentTarget string                  `json:"segment_target"`
	Models        map[string]*ModelReport `json:"models"`
	// Backtest holds every window of a rolling backtest and the mean and
	// spread of each metric across them (absent without origins).
	Backtest *Backtest `json:"backtest,omitempty"`
	// Verdict names the best model per target and how sure (see
	// verdict_metrics.go); Intervals holds the prediction intervals'
	// metrics (see intervals_metrics.go).
	Verdict   *VerdictReport   `json:"verdict,omitempty"`
	Intervals *IntervalsReport `json:"intervals,omitempty"`
	// Tiers are each model's value tiers (models with CLV only).
	Tiers    map[string][]TierSummary `json:"tiers,omitempty"`
	Gates    []GateResult             `json:"gates,omitempty"`
	Warnings []string                 `json:"warnings,omitempty"`

	// Covariates and Regularity report the covariate models and the
	// regular buyers (see covariates_metrics.go).
	Covariates *CovariatesReport `json:"covariates,omitempty"`
	Regularity *RegularityReport `json:"regularity,omitempty"`
}

// DataFacts accounts for the input rows and customers.
type DataFacts struct {
	File                 string           `json:"file"`
	SHA256               string           `json:"sha256"`
	RowsRead             int64            `json:"rows_read"`
	RowsUsed             int64            `json:"rows_used"`
	RowsRejected         int64            `json:"rows_rejected"`
	RejectedBy           map[string]int64 `json:"rejected_by,omitempty"`
	Customers            int              `json:"customers"`
	CalibrationCustomers int              `json:"calibration_customers"`
	LateCustomers        int              `json:"late_customers"`
	HasAmount            bool             `json:"has_amount"`
	// DuplicateRows counts rows identical to the customer's previous row
	// (same day, same amount): merged into one purchase day with their
	// amounts summed, as every same-day purchase is.
	DuplicateRows int64 `json:"duplicate_rows,omitempty"`
	// NoAmountReason says why no amounts were read (so no revenue or CLV).
	NoAmountReason string `json:"no_amount_reason,omitempty"`
}

// SplitInfo describes the main window.
type SplitInfo struct {
	CalibrationEnd string  `json:"calibration_end"`
	HoldoutEnd     string  `json:"holdout_end"`
	HoldoutLength  float64 `json:"holdout_length"`
	Horizon        float64 `json:"clv_horizon"`
	// Forecast is true for a forecast run (no holdout: HoldoutEnd is
	// empty and nothing is scored); CalibrationEndFromData when its
	// calibration end is the data's last date, split.calibration_end not
	// being given.
	Forecast               bool    `json:"forecast,omitempty"`
	CalibrationEndFromData bool    `json:"calibration_end_from_data,omitempty"`
	DiscountRatePerYear    float64 `json:"discount_rate_per_year"`
	DiscountRatePerUnit    float64 `json:"discount_rate_per_unit"`
	Margin                 float64 `json:"margin"`
}

// ModelReport is one model's fit and scores on the main window.
type ModelReport struct {
	// Fit is the estimate: params, std_errors, log_likelihood, aic, bic,
	// converged, iterations ...
	Fit *models.FitResult `json:"fit"`
	// Error is set when the model failed; the scores are then absent.
	Error          string    `json:"error,omitempty"`
	Holdout        *Scores   `json:"holdout,omitempty"`
	HoldoutRevenue *Scores   `json:"holdout_revenue,omitempty"`
	Segments       []Segment `json:"segments,omitempty"`
	// CLV sums and averages the customers' discounted CLV over the horizon.
	CLV *CLVSummary `json:"clv,omitempty"`
}

// CLVSummary totals the predicted customer lifetime value.
type CLVSummary struct {
	Total Metric `json:"total"`
	Mean  Metric `json:"mean"`
}

// Backtest holds a rolling backtest: every window and the spread of each
// metric across windows.
type Backtest struct {
	Windows []WindowScores `json:"windows"`
	// Summary maps model → target → metric → mean and standard deviation
	// across the windows where the model succeeded.
	Summary map[string]map[string]map[string]Spread `json:"summary"`
}

// WindowScores are the scores of one backtest window.
type WindowScores struct {
	CalibrationEnd string                       `json:"calibration_end"`
	HoldoutEnd     string                       `json:"holdout_end"`
	Main           bool                         `json:"main,omitempty"`
	Customers      int                          `json:"calibration_customers"`
	Scores         map[string]map[string]Scores `json:"scores"`
	Errors         map[string]string            `json:"errors,omitempty"`
}

// Spread is the mean and sample standard deviation of a metric across
// backtest windows.
type Spread struct {
	Mean    Metric `json:"mean"`
	SD      Metric `json:"sd"`
	Windows int    `json:"windows"`
}

// windowResult is everything computed for one backtest window.
type windowResult struct {
	window   BacktestWindow
	summary  *datasets.Summary
	patterns *datasets.Patterns // the distinct histories of summary
	// discrete is the summary in calendar periods for the models that fit
	// on discrete opportunities (nil when none is run), with its patterns
	// and actuals; its customers are those of summary, in the same order.
	discrete         *datasets.Summary
	discretePatterns *datasets.Patterns
	discreteActuals  [2][]float64
	spend            models.FittedSpend
	spendFit         *models.FitResult
	spendErr         error
	fits             map[string]models.FittedPurchases
	results          map[string]*models.FitResult
	errs             map[string]error
	preds            map[string]*Prediction
	seconds          map[string]float64
	// zeroAge counts customers left out of fitting because T = 0.
	zeroAge int
	// ages are the customers' T for the value tiers, while predicting.
	ages []float64
	// ranks ranks the customers for scoring, and actP, actR are the
	// actuals (see scorer and holdoutTargets), made on first use (the
	// actuals, like discreteActuals, under colMu).
	ranks      *Scorer
	actP, actR []float64
	// cols holds the per-customer columns of the predictions that
	// consumers read whole (the score stage's, each materialized once:
	// the Scorer caches its orders by slice) and recycles their slices,
	// until releaseScoring.
	colMu sync.Mutex
	cols  *columnStore
}

// store returns the window's column store, made on first use.
func (wr *windowResult) store() *columnStore {
	wr.colMu.Lock()
	defer wr.colMu.Unlock()
	if wr.cols == nil {
		wr.cols = &columnStore{}
	}
	return wr.cols
}

// shareColumns makes the predictions' Column hand out the window's
// columns (see columnStore), so that the figures and the score stage
// materialize each once.
func (wr *windowResult) shareColumns() {
	cs := wr.store()
	for _, p := range wr.preds {
		if p != nil {
			p.store = cs
		}
	}
}

// column returns every customer's q of a model's prediction, materialized
// on first use and held until forget or releaseScoring.
func (wr *windowResult) column(name string, q Quantity) []float64 {
	return wr.store().hold(wr.preds[name], q)
}

// releaseScoring drops what only ranking and scoring customers needs (the
// Scorer with its cached orders, the actuals and the materialized
// columns), so that it is not held while the results are written.
func (wr *windowResult) releaseScoring() {
	wr.store().close()
	wr.colMu.Lock()
	defer wr.colMu.Unlock()
	wr.ranks, wr.actP, wr.actR, wr.discreteActuals = nil, nil, nil, [2][]float64{}
}

// forget ends the window's hold of a model's scored columns (their slices
// are recycled, and the Scorer's orders of them dropped, once no one
// else uses them), once the model is scored (a later use makes them
// again).
func (wr *windowResult) forget(name string) {
	cs := wr.store()
	for _, q := range []Quantity{PredPurchases, PredRevenue} {
		cs.unhold(wr.preds[name], q)
	}
}

// scoresRevenue reports whether the score stage scores p's revenue: a
// model with a spend model, on data with amounts.
func (wr *windowResult) scoresRevenue(p *Prediction) bool {
	return p.HasSpend() && wr.summary.HasAmount
}

// expectScored tells the window's column store which columns the score
// stage will hold (scoreWindow: every model's purchases and, with a spend
// model and amounts, revenue), so that a column made by another user
// first (the gains chart drawn meanwhile) is kept for it.
func (wr *windowResult) expectScored() {
	cs := wr.store()
	for _, p := range wr.preds {
		if p == nil {
			continue
		}
		cs.expect(p, PredPurchases)
		if wr.scoresRevenue(p) {
			cs.expect(p, PredRevenue)
		}
	}
}

// scorer returns the window's Scorer.
func (wr *windowResult) scorer() *Scorer {
	if wr.ranks == nil {
		// The ids are read to put them in order, then named from the
		// summary rows: the slice is not held (see newScorer).
		ids, cs := customerIDs(wr.summary), wr.summary.Customers
		id := func(i int) string { return cs[i].ID }
		if pt := wr.patterns; pt != nil {
			// Purchase predictions are per pattern: ordered by pattern.
			wr.ranks, _ = newPatternScorer(ids, id, pt.Of, pt.Len())
		}
		if wr.ranks == nil {
			wr.ranks = newScorer(ids, id)
		}
		wr.store().setScorer(wr.ranks)
	}
	return wr.ranks
}

// isDiscrete reports whether a model fits on the window's discrete-time
// summary.
func (wr *windowResult) isDiscrete(reg *models.Registry, name string) bool {
	d, ok := reg.Lookup(models.KindPurchase, name)
	return ok && d.Data == models.DataDiscrete && wr.discrete != nil
}

// modelActuals returns the holdout purchases and revenue a model is scored
// on: those of its own summary (a model of discrete opportunities counts
// the periods with a purchase).
func (wr *windowResult) modelActuals(reg *models.Registry, name string) (purchases, revenue []float64) {
	if !wr.isDiscrete(reg, name) {
		return wr.holdoutTargets()
	}
	wr.colMu.Lock() // the models' tables and the verdict ask at once
	defer wr.colMu.Unlock()
	if wr.discreteActuals[0] == nil {
		wr.discreteActuals[0], wr.discreteActuals[1] = holdoutColumns(wr.discrete)
	}
	return wr.discreteActuals[0], wr.discreteActuals[1]
}

// holdoutTargets returns the window's holdout purchases and revenue,
// made on first use (by whichever of the stages running at once asks
// first: the models' tables, the verdict).
func (wr *windowResult) holdoutTargets() (purchases, revenue []float64) {
	wr.colMu.Lock()
	defer wr.colMu.Unlock()
	if wr.actP == nil {
		wr.actP, wr.actR = holdoutColumns(wr.summary)
	}
	return wr.actP, wr.actR
}

// backtestRun is the experiment of a transaction log: it reads and
// summarizes the data, fits every model on each backtest window (in
// parallel, each isolated: one failing does not stop the others), predicts
// and scores the holdout, and leaves predictions.csv to write.
type backtestRun struct{}

func (backtestRun) execute(ctx context.Context, env *runEnv) (*runResult, error) {
	cfg := env.cfg
	// The data, read once per window (a window's summary depends on its
	// calibration end); its checksum is recorded.
	data, err := openRunData(ctx, cfg)
	if err != nil {
		return nil, err
	}
	handed := false // to the driver, with the checksum to wait for
	defer func() {
		if !handed {
			data.Close()
		}
	}()
	data.ChecksumAside() // hashed on a goroutine of its own (see checksumLate)
	dataName := data.Name
	var windows []*windowResult
	var mainWin *windowResult
	for i, w := range cfg.Resolved.Windows {
		wr, err := runWindow(ctx, env, data, i, w)
		if err != nil {
			return nil, err
		}
		windows = append(windows, wr)
		if w.Main {
			mainWin = wr
		}
	}
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	startPredictions(env, cfg, mainWin)
	t0 := time.Now()
	env.prog.step("scoring")
	mf, err := buildMetrics(ctx, cfg, env.reg, dataName, mainWin, windows)
	if err != nil {
		return nil, err
	}
	env.timed("score", t0)
	for _, wr := range windows {
		wr.releaseScoring()
	}
	collectGarbage()
	res := mainWindowResult(cfg, mf, mainWin, len(windows), dataName)
	if handed, err = res.checksumOf(data); err != nil {
		return nil, err
	}
	res.engine = data.engineFacts()
	return res, nil
}

// checksumLate reports whether the checksum of a run's log, taken aside
// (LogInput.ChecksumAside), waits for room on the cores instead of
// starting once the log is read: SHA-256 is a serial cost of about half
// a second per gigabyte, which beside the fits, the predictions and the
// score stage (all on every core) holds them up. When files are written
// beside the score stage (the predictions, the figures), a core is free
// once the first of them is written and the score stage is done: the
// driver starts the checksum then (writeResults), while the other file
// is still being written, so that it is never the last thing the run
// waits for. Without such files it starts at once, as the models are
// fitted.
func checksumLate(env *runEnv) bool {
	cfg := env.cfg
	return predictionsFile(cfg) != "" || cfg.Output.Plots && env.opts.StartPlots != nil
}

// readDone notes the bytes of the log read (LogInput.NoteRead), which its
// checksum taken aside hashes, and starts that checksum unless it is left
// for later (checksumLate).
func readDone(env *runEnv, data *LogInput) {
	if checksumLate(env) {
		data.NoteRead()
	} else {
		data.StartChecksum()
	}
}

// checksumOf records the checksum of the run's log data: at once when it
// is known or cheap (embedded data, a database, a FIFO hashed as it was
// read, Parquet), or, for a checksum taken aside, by the driver, which
// then owns data (handed: it closes it; see awaitChecksum).
func (res *runResult) checksumOf(data *LogInput) (handed bool, err error) {
	if data.aside {
		res.input = data
		return true, nil
	}
	sum, err := data.SHA256()
	if err != nil {
		return false, &DataError{Err: err}
	}
	res.setChecksum(sum)
	return false, nil
}

// setChecksum records the data's checksum in the result and its metrics.
func (res *runResult) setChecksum(sum string) {
	res.dataSHA = sum
	if mf, ok := res.metrics.(*MetricsFile); ok {
		mf.Data.SHA256 = sum
	}
}

// awaitChecksum starts the checksum of the log taken aside that was left
// for later (checksumLate) once the cores have room: when the writers
// started beside the score stage, the figures or the predictions file,
// have ended (whichever first: writerGroup.waitEither); then it waits
// for the checksum and records it. Without such a log it does nothing.
func (res *runResult) awaitChecksum(g *writerGroup) error {
	if res.input == nil {
		return nil
	}
	if res.input.checksumPending() {
		g.waitEither() // SHA256 then starts it
	}
	sum, err := res.input.SHA256()
	if err != nil {
		if ierr := interrupted(g.ctx); ierr != nil {
			return ierr
		}
		return &DataError{Err: err}
	}
	res.setChecksum(sum)
	return nil
}

// runWindow reads, fits and predicts the i-th backtest window.
func runWindow(ctx context.Context, env *runEnv, data *LogInput, i int, w BacktestWindow) (*windowResult, error) {
	cfg := env.cfg
	day := w.CalibrationEnd.Format("2006-01-02")
	label := fmt.Sprintf("window %d/%d (calibration to %s)", i+1, len(cfg.Resolved.Windows), day)
	t0 := time.Now()
	env.prog.step("reading and summarizing " + data.Name + ", " + label)
	resume := pauseCollections(env.opts.BoundedHeap)
	defer resume()
	s, err := summarizeWindow(cfg, data, w, env.rd, false)
	if err != nil {
		return nil, err
	}
	if err := CheckSplitAgainstData(cfg, lastDate(cfg, env.reg, s)); err != nil {
		return nil, err
	}
	var discrete *datasets.Summary
	if len(discreteModels(cfg, env.reg)) > 0 {
		if discrete, err = summarizeDiscrete(cfg, data, w, env.rd, s); err != nil {
			return nil, err
		}
	}
	env.timed("read_"+day, t0)
	readDone(env, data)
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	// The reader's tables are garbage now: collected before the fits'
	// and predictions' tables grow the heap on top of them, and the
	// collector paced again from what is left.
	collectGarbage()
	resume()
	t0 = time.Now()
	env.prog.step("fitting and predicting " + label)
	var afterFit error
	wr := fitPredictWindow(ctx, cfg, env.reg, s, discrete, w, env.prog, func() {
		env.timed("fit_"+day, t0)
		t0 = time.Now()
		if w.Main {
			afterFit = env.afterFit(ctx)
		}
	})
	if afterFit != nil {
		return nil, afterFit
	}
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	if err := intervalsUnlessDone(ctx, cfg, env.reg, wr); err != nil {
		return nil, err
	}
	wr.shareColumns()
	env.timed("predict_"+day, t0)
	return wr, nil
}

// pauseCollections turns the collector's pacing off until the function it
// returns is first called (later calls do nothing), when bounded says
// that the process's soft memory limit was set to bound the run's heap
// (RunOptions.BoundedHeap; the collector still runs when the heap reaches
// that limit): for the reading and summarizing of a window, whose tables
// die at its end (runWindow collects them then), so that the collections
// Go would start meanwhile do not mark and scan them while they grow.
// Their memory is reused by the stages after, which need more: the run's
// peak heap is not raised. Resumed after the collection that ends the
// read, the collector is paced from what that collection left (resumed
// before, it would start one at once, the heap being past its goal). On
// this project's 2-core VM a collection during the 1M-customer
// backtest's read marked ~260 MB of the reader's tables for 0.1-0.3
// CPU-s. Under no limit, or one the caller did not choose (a user's
// GOMEMLIMIT may exceed the machine's memory), it does nothing.
func pauseCollections(bounded bool) (resume func()) {
	if !bounded || debug.SetMemoryLimit(-1) == math.MaxInt64 {
		return func() {}
	}
	old := debug.SetGCPercent(-1)
	if old < 0 {
		// Off already: GOGC=off, or another run of this process paused
		// it (runs in one process, as tests run them, overlap), which
		// resumes it; resuming here too would leave it off.
		return func() {}
	}
	return sync.OnceFunc(func() { debug.SetGCPercent(old) })
}

// ReadOptions returns the transaction-log reader options of a config.
func ReadOptions(cfg *Config) datasets.ReadOptions {
	r := cfg.Resolved
	format, _ := datasets.ParseFormat(r.Format) // validated with the config
	ro := datasets.ReadOptions{
		Format: format, Header: r.Header,
		Customer: columnOption(r.Customer), Date: columnOption(r.Date), Amount: datasets.NoColumn(),
		DateFormat: cfg.Data.DateFormat, OnBadRow: cfg.Data.OnBadRow, Delimiter: r.Delimiter,
	}
	if r.HasAmount {
		ro.Amount = columnOption(r.Amount)
	}
	if cfg.Data.Embedded != "" {
		// Embedded data sets are CSV logs with the simulator's columns.
		ro.Format, ro.Header = datasets.FormatCSV, "yes"
		ro.Customer, ro.Date = datasets.ColumnNamed("customer_id"), datasets.ColumnNamed("date")
		if r.HasAmount {
			ro.Amount = datasets.ColumnNamed("amount")
		}
	}
	if ro.DateFormat == "" {
		ro.DateFormat = "iso"
	}
	return ro
}

// columnOption turns a config's column into the reader's: a name stays a
// name (a column called "2024" included), an index an index.
func columnOption(c Column) datasets.Column {
	if c.ByIndex() {
		return datasets.ColumnAt(c.Index)
	}
	return datasets.ColumnNamed(c.Name)
}

// summarizeWindow reads the data into the summary of one window. Rejected
// rows go to the configured rejects file, or to rejects.csv in the results
// folder (for the main window).
func summarizeWindow(cfg *Config, data *LogInput, w BacktestWindow, rd *resultsDir, discrete bool) (*datasets.Summary, error) {
	ro := ReadOptions(cfg)
	// Purchases after a window's end are valid rows beyond the period
	// studied (an early origin's holdout ends before the log does): they
	// are set aside and counted, never failed.
	ro.ExcludeAfterEnd = true
	if ro.OnBadRow == "skip" && w.Main && !discrete && rd != nil {
		ro.RejectsPath = cfg.Resolved.RejectsPath
		if ro.RejectsPath == "" {
			ro.RejectsPath = rd.path("rejects.csv")
		}
	}
	so := datasets.SummaryOptions{
		Unit: cfg.Resolved.Unit, CalibrationEnd: w.CalibrationEnd, HoldoutEnd: w.HoldoutEnd,
		ActivityPeriodDays: cfg.Resolved.RetentionPeriod.Days(),
		InterPurchase:      slices.ContainsFunc(cfg.Models, models.NeedsInterPurchase),
	}
	if discrete {
		so.ActivityPeriodDays, so.Discrete = 0, true
		ro.RejectsPath = ""
	}
	s, err := data.Summarize(ro, so)
	if err != nil {
		return nil, &DataError{Err: err}
	}
	if s, err = restrictToCovariates(cfg, s, w.CalibrationEnd); err != nil { // covariates_run.go
		return nil, err
	}
	if len(s.Customers) == 0 {
		return nil, &DataError{Err: fmt.Errorf("no customer made a first purchase by the calibration end %s: check split.calibration_end and data.date",
			w.CalibrationEnd.Format("2006-01-02"))}
	}
	return s, nil
}

// lastDate returns the last transaction date of the data, or with models
// of discrete periods the last day of its period (a date stands for its
// whole period: an annual log dated 2006-01-01 covers 2006).
func lastDate(cfg *Config, reg *models.Registry, s *datasets.Summary) time.Time {
	if len(discreteModels(cfg, reg)) > 0 && !s.LastDate.IsZero() {
		if end, err := datasets.PeriodEnd(cfg.Resolved.Unit, s.LastDate); err == nil {
			return end
		}
	}
	return s.LastDate
}

// summarizeDiscrete reads the data into the discrete-time summary of one
// window (each calendar period of split.unit one opportunity) and checks
// that it holds the customers of the continuous summary s in its order.
func summarizeDiscrete(cfg *Config, data *LogInput, w BacktestWindow, rd *resultsDir, s *datasets.Summary) (*datasets.Summary, error) {
	d, err := summarizeWindow(cfg, data, w, rd, true)
	if err != nil {
		return nil, err
	}
	if len(d.Customers) != len(s.Customers) {
		return nil, fmt.Errorf("internal error: the discrete summary has %d customers, the continuous one %d", len(d.Customers), len(s.Customers))
	}
	for i := range d.Customers {
		if d.Customers[i].ID != s.Customers[i].ID {
			return nil, fmt.Errorf("internal error: customer %d is %q in the discrete summary but %q in the continuous one", i, d.Customers[i].ID, s.Customers[i].ID)
		}
	}
	return d, nil
}

// eachInParallel calls f(k) for every k in [0, n), at most GOMAXPROCS at
// once, handing out the next k to the first goroutine free (eachChunk in
// chunks of one), and returns when all have returned: for a few large
// tasks (a model each) of uneven length.
func eachInParallel(n int, f func(k int)) {
	eachChunk(n, 1, func(lo, _ int) { f(lo) })
}

// parallelFor runs f over [0, n) in contiguous blocks on every core.
func parallelFor(n int, f func(lo, hi int)) {
	workers := max(1, runtime.GOMAXPROCS(0))
	if n < 2048 || workers == 1 {
		f(0, n)
		return
	}
	block := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += block {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+block, n))
	}
	wg.Wait()
}

// customerIDs returns the customers' ids.
func customerIDs(s *datasets.Summary) []string {
	ids := make([]string, len(s.Customers))
	for i := range s.Customers {
		ids[i] = s.Customers[i].ID
	}
	return ids
}

// holdoutColumns returns the customers' holdout purchases and holdout
// revenue.
func holdoutColumns(s *datasets.Summary) (purchases, revenue []float64) {
	n := len(s.Customers)
	purchases = make([]float64, n)
	revenue = make([]float64, n)
	for i, c := range s.Customers {
		purchases[i] = c.FrequencyHoldout
		revenue[i] = c.FrequencyHoldout * c.MonetaryHoldout
	}
	return
}

// scoreWindow scores every model of a window that produced predictions,
// the models in parallel (the Scorer ranks the ids and each target's
// actuals once for all of them), those named in order first in that
// order, the others by name; then, when set, is called for each model
// once it is scored, on the same goroutine. It stops with ctx's error
// once ctx is done.
func scoreWindow(ctx context.Context, reg *models.Registry, wr *windowResult, order []string, then func(name string) error) (map[string]map[string]Scores, error) {
	sc := wr.scorer()
	names := make([]string, 0, len(wr.preds))
	for name := range wr.preds {
		if !slices.Contains(order, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var first []string
	for _, name := range order {
		if _, ok := wr.preds[name]; ok && !slices.Contains(first, name) {
			first = append(first, name)
		}
	}
	names = append(first, names...)
	// Each model's actuals (a model of discrete periods has its own), made
	// before the models are scored in parallel.
	act := make([][2][]float64, len(names))
	for k, name := range names {
		act[k][0], act[k][1] = wr.modelActuals(reg, name)
	}
	scores := make([]map[string]Scores, len(names))
	errs := make([]error, len(names))
	eachInParallel(len(names), func(k int) {
		name := names[k]
		p := wr.preds[name]
		actP, actR := act[k][0], act[k][1]
		if errs[k] = interrupted(ctx); errs[k] != nil {
			return
		}
		sp, err := sc.ScoreContext(ctx, wr.column(name, PredPurchases), actP)
		if err != nil {
			errs[k] = fmt.Errorf("scoring %s: %w", name, err)
			return
		}
		scores[k] = map[string]Scores{TargetPurchases: sp}
		if wr.scoresRevenue(p) {
			sr, err := sc.ScoreContext(ctx, wr.column(name, PredRevenue), actR)
			if err != nil {
				errs[k] = fmt.Errorf("scoring %s revenue: %w", name, err)
				return
			}
			scores[k][TargetRevenue] = sr
		}
		if then != nil {
			errs[k] = then(name)
		}
	})
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	out := map[string]map[string]Scores{}
	for k, name := range names {
		if errs[k] != nil {
			return nil, errs[k]
		}
		out[name] = scores[k]
	}
	return out, nil
}

// buildMetrics assembles metrics.json; it stops with ctx's error once
// ctx is done.
func buildMetrics(ctx context.Context, cfg *Config, reg *models.Registry, dataName string, mainWin *windowResult, windows []*windowResult) (*MetricsFile, error) {
	mf := newMetricsFile(cfg, dataName, mainWin)
	// The verdict is bootstrapped while the models are scored, and not
	// left running after an error.
	verdict := startVerdict(ctx, cfg, reg, mainWin)
	defer verdict.stop()
	var scores map[string]map[string]Scores
	var tables map[string]*modelTables
	var err error
	if cfg.Resolved.Forecast { // a forecast has no holdout to score
		tables = tablesByModel(ctx, cfg, reg, mainWin)
	} else {
		scores, tables, err = scoreWithTables(ctx, cfg, reg, mainWin, mf.SegmentTarget)
	}
	if err == nil {
		err = interrupted(ctx)
	}
	if err != nil {
		return nil, err
	}
	for _, name := range cfg.Models {
		rep := &ModelReport{Fit: mainWin.results[name]}
		if rep.Fit == nil {
			rep.Fit = &models.FitResult{Model: name}
		}
		for _, w := range rep.Fit.Warnings {
			mf.Warnings = append(mf.Warnings, name+": "+w)
		}
		if err := mainWin.errs[name]; err != nil {
			rep.Error = WithConfigHint(err).Error()
			mf.Warnings = append(mf.Warnings, name+" failed: "+rep.Error)
			mf.Models[name] = rep
			continue
		}
		if sc, ok := scores[name][TargetPurchases]; ok {
			rep.Holdout = &sc
		}
		if sc, ok := scores[name][TargetRevenue]; ok {
			rep.HoldoutRevenue = &sc
		}
		p, t := mainWin.preds[name], tables[name]
		if !cfg.Resolved.Forecast { // segments rank actual holdout values
			groups := max(1, min(cfg.Segments.Groups, p.Len()))
			if groups < cfg.Segments.Groups && !slices.Contains(mf.Warnings, fewCustomersWarning(groups)) {
				mf.Warnings = append(mf.Warnings, fewCustomersWarning(groups))
			}
			if t.err != nil {
				return nil, t.err
			}
			rep.Segments = t.segments
		}
		if p.HasTiers() {
			if mf.Tiers == nil {
				mf.Tiers = map[string][]TierSummary{}
			}
			mf.Tiers[name] = t.tiers
		}
		if p.HasSpend() {
			rep.CLV = &CLVSummary{Total: Metric(t.clvTotal), Mean: Metric(t.clvTotal / float64(p.Len()))}
		}
		mf.Models[name] = rep
	}
	if len(windows) > 1 {
		bt, err := backtest(ctx, reg, windows, mainWin, scores)
		if err != nil {
			return nil, err
		}
		mf.Backtest = bt
	}
	mf.Intervals = intervalsReport(cfg, mainWin, windows)
	mf.Verdict = verdict.finish(mf)
	mf.Covariates, mf.Regularity = covariatesReport(cfg, reg, mainWin), regularityReport(cfg, mainWin) // covariates_metrics.go
	if w := mf.Covariates.skipWarning(); w != "" {
		mf.Warnings = append(mf.Warnings, w)
	}
	return mf, nil
}

// scoreWithTables scores every model of the main window and computes its
// tables (segments, tiers and CLV total, model_tables.go) right after, on
// the same goroutine, then drops the model's columns and their orders
// (windowResult.forget): the models are taken in parallel on every core,
// so that the score stage holds the columns and orders of as many models
// as cores at a time (scoring the models and computing their tables in two separate
// parallel loops, each in its own order of the models, held those of
// twice as many, and the Scorer's scratch for four tasks at once). They
// are taken in the config's order, that of the gains chart drawn
// meanwhile (plots_early.go), which ranks the same columns: so that it
// finds them and their orders made rather than making them again. The
// columns the chart made and released are kept for the score stage
// (expectScored): if the chart runs ahead of scoring, those of every
// model it passed are held until the score stage drops them.
func scoreWithTables(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult, segTarget string) (map[string]map[string]Scores, map[string]*modelTables, error) {
	tables := map[string]*modelTables{}
	for _, name := range cfg.Models {
		if wr.preds[name] != nil && wr.errs[name] == nil {
			tables[name] = &modelTables{}
		}
	}
	wr.scorer() // made before the goroutines share it
	wr.expectScored()
	wr.expectSegments(reg, tables, segTarget, cfg.Segments.Groups)
	scores, err := scoreWindow(ctx, reg, wr, cfg.Models, func(name string) error {
		if t := tables[name]; t != nil {
			wr.modelTables(ctx, cfg, reg, name, segTarget, cfg.Segments.Groups, t)
		}
		wr.forget(name)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	// A model scored without predictions in the window (none here) would
	// have no tables; every model with tables was scored.
	return scores, tables, nil
}

// newMetricsFile starts metrics.json with the data's accounting, the split,
// the spend model and the warnings about the data; the data's checksum is
// set by the caller once it is known (Data.SHA256).
func newMetricsFile(cfg *Config, dataName string, mainWin *windowResult) *MetricsFile {
	r := cfg.Resolved
	s := mainWin.summary
	a := s.Accounting
	mf := &MetricsFile{
		Name: cfg.Name, Unit: r.Unit.Name,
		Data: DataFacts{
			File: dataName, RowsRead: a.RowsRead, RowsUsed: a.RowsUsed, RowsRejected: a.RowsRejected,
			Customers: len(s.Customers) + s.LateCustomers, CalibrationCustomers: len(s.Customers),
			LateCustomers: s.LateCustomers, HasAmount: s.HasAmount,
			DuplicateRows: a.DuplicateRows, NoAmountReason: s.NoAmountReason,
		},
		Split: SplitInfo{
			CalibrationEnd: r.CalibrationEnd.Format("2006-01-02"), HoldoutEnd: r.HoldoutEnd.Format("2006-01-02"),
			HoldoutLength: float64(r.HoldoutDays) / r.Unit.Days(), Horizon: r.Horizon,
			DiscountRatePerYear: cfg.CLV.DiscountRate, DiscountRatePerUnit: r.DiscountRatePerUnit, Margin: cfg.CLV.Margin,
		},
		SegmentTarget: TargetPurchases,
		Models:        map[string]*ModelReport{},
	}
	if r.Forecast {
		mf.Split.Forecast, mf.Split.HoldoutEnd, mf.Split.CalibrationEndFromData = true, "", r.CalibrationEndFromData
	}
	if len(a.RejectedBy) > 0 {
		mf.Data.RejectedBy = map[string]int64{}
		for k, v := range a.RejectedBy {
			mf.Data.RejectedBy[string(k)] = v
		}
	}
	if bad := a.RowsRejected - a.RejectedBy[datasets.ReasonAfterEnd]; bad > 0 {
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d of %d rows were rejected as bad rows (on_bad_row: skip); see rejects.csv", bad, a.RowsRead))
	}
	if n := a.RejectedBy[datasets.ReasonAfterEnd]; n > 0 {
		end := "holdout end"
		if r.Forecast {
			end = "calibration end"
		}
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d rows dated after the %s were set aside", n, end))
	}
	if a.DuplicateRows > 0 {
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d rows repeat the customer's previous row exactly (same day, same amount): merged into one purchase day with the amounts summed; check the export if they are not real repeat orders", a.DuplicateRows))
	}
	if !s.HasAmount && s.NoAmountReason != "" {
		mf.Warnings = append(mf.Warnings, "no revenue or CLV computed: "+s.NoAmountReason)
	}
	if mainWin.zeroAge > 0 {
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d customers first bought on the calibration end (T = 0): they are not fitted on, and are predicted as new customers", mainWin.zeroAge))
	}
	if s.LateCustomers > 0 {
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d customers first bought after the calibration end and are not scored", s.LateCustomers))
	}
	if mainWin.spendFit != nil || mainWin.spendErr != nil {
		mf.SpendModel = mainWin.spendFit
		if mainWin.spendErr != nil {
			mf.Warnings = append(mf.Warnings, "spend model failed, so no revenue or CLV is predicted: "+mainWin.spendErr.Error())
		}
	}
	if mainWin.spend != nil && s.HasAmount {
		mf.SegmentTarget = TargetRevenue
	}
	return mf
}

// ScoreSet returns the main window's scores by model and target.
func (mf *MetricsFile) ScoreSet() ScoreSet { return mainScores(mf) }

// ModelOrder returns the model names in a stable order (sorted).
func (mf *MetricsFile) ModelOrder() []string {
	names := make([]string, 0, len(mf.Models))
	for n := range mf.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// mainScores returns the main window's scores as a ScoreSet.
func mainScores(mf *MetricsFile) ScoreSet {
	set := ScoreSet{}
	for name, rep := range mf.Models {
		if rep.Holdout == nil {
			continue
		}
		set[name] = map[string]Scores{TargetPurchases: *rep.Holdout}
		if rep.HoldoutRevenue != nil {
			set[name][TargetRevenue] = *rep.HoldoutRevenue
		}
	}
	return set
}

// backtest scores every window (the main one, mainWin, was: its scores
// are mainScores) and summarizes each metric's mean and spread across
// them.
func backtest(ctx context.Context, reg *models.Registry, windows []*windowResult, mainWin *windowResult, mainScores map[string]map[string]Scores) (*Backtest, error) {
	bt := &Backtest{Summary: map[string]map[string]map[string]Spread{}}
	values := map[string]map[string]map[string][]float64{}
	for _, wr := range windows {
		sc := mainScores
		if wr != mainWin || sc == nil {
			var err error
			if sc, err = scoreWindow(ctx, reg, wr, nil, nil); err != nil {
				return nil, err
			}
		}
		ws := WindowScores{
			CalibrationEnd: wr.window.CalibrationEnd.Format("2006-01-02"),
			HoldoutEnd:     wr.window.HoldoutEnd.Format("2006-01-02"),
			Main:           wr.window.Main, Customers: len(wr.summary.Customers), Scores: sc,
		}
		for name, err := range wr.errs {
			if ws.Errors == nil {
				ws.Errors = map[string]string{}
			}
			ws.Errors[name] = err.Error()
		}
		bt.Windows = append(bt.Windows, ws)
		for model, targets := range sc {
			for target, s := range targets {
				for metric, v := range s.Values() {
					if values[model] == nil {
						values[model] = map[string]map[string][]float64{}
					}
					if values[model][target] == nil {
						values[model][target] = map[string][]float64{}
					}
					values[model][target][metric] = append(values[model][target][metric], v)
				}
			}
		}
	}
	for model, targets := range values {
		bt.Summary[model] = map[string]map[string]Spread{}
		for target, metrics := range targets {
			bt.Summary[model][target] = map[string]Spread{}
			for metric, vs := range metrics {
				bt.Summary[model][target][metric] = spread(vs)
			}
		}
	}
	return bt, nil
}

// spread returns the mean and sample standard deviation of the finite
// values (NaN when there are too few).
func spread(vs []float64) Spread {
	var n, sum float64
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			n++
			sum += v
		}
	}
	if n == 0 {
		return Spread{Mean: Metric(math.NaN()), SD: Metric(math.NaN())}
	}
	mean := sum / n
	ss := 0.0
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			ss += (v - mean) * (v - mean)
		}
	}
	sd := math.NaN()
	if n > 1 {
		sd = math.Sqrt(ss / (n - 1))
	}
	return Spread{Mean: Metric(mean), SD: Metric(sd), Windows: int(n)}
}

// paramsOf returns what params.json holds: every fitted model's estimates
// and diagnostics (as in metrics.json, on their own for tools), and the
// spend model's as spend:NAME.
func paramsOf(wr *windowResult) map[string]*models.FitResult {
	out := map[string]*models.FitResult{}
	for name, res := range wr.results {
		if res != nil {
			out[name] = res
		}
	}
	if wr.spendFit != nil {
		out["spend:"+wr.spendFit.Model] = wr.spendFit
	}
	return out
}

// fewCustomersWarning says that the lift table has fewer groups than
// segments.groups asks for, one customer each, because there are only as
// many customers.
func fewCustomersWarning(customers int) string {
	return fmt.Sprintf("only %d customers: the lift table has one group per customer instead of segments.groups", customers)
}
