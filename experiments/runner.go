package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
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

// RunOptions tunes a run beyond its config.
type RunOptions struct {
	// OutDir is the results folder to create; empty means
	// <output.dir>/<name>/<UTC start time>-<config hash>.
	OutDir string
	// Progress receives progress messages (nil: none). With Terminal set
	// they are progress bars, otherwise one plain line per step.
	Progress io.Writer
	Terminal bool
	// Version is the clv version recorded in the manifest.
	Version string
	// Now returns the current time (tests fix it); nil means time.Now.
	Now func() time.Time
	// AfterFit, when set, is called after the models of the main window are
	// fitted, before anything is written (tests use it to interrupt a run).
	AfterFit func()
}

// Outcome is what a finished run produced.
type Outcome struct {
	// Dir is the results folder, complete and in place.
	Dir string
	// Metrics is what metrics.json holds.
	Metrics *MetricsFile
	// Gates are the results of the config's expect list.
	Gates []GateResult
	// FailedModels names the models whose fit or prediction failed; their
	// errors are in Metrics.
	FailedModels []string
	// Contractual holds the full metrics of a contractual (survival)
	// experiment; Metrics then only summarizes it.
	Contractual *ContractualMetrics
}

// Err summarizes what went wrong in a finished run: failed gates first
// (a *GatesError), then failed models (a *ModelsError); nil when all passed.
func (o *Outcome) Err() error {
	var failed []GateResult
	for _, g := range o.Gates {
		if !g.Passed {
			failed = append(failed, g)
		}
	}
	if len(failed) > 0 {
		return &GatesError{Failed: failed}
	}
	if len(o.FailedModels) > 0 {
		msgs := make([]string, len(o.FailedModels))
		for i, m := range o.FailedModels {
			msgs[i] = m + ": " + o.Metrics.Models[m].Error
		}
		return &ModelsError{Models: o.FailedModels, Messages: msgs}
	}
	return nil
}

// GatesError reports the gates of the expect list that failed.
type GatesError struct{ Failed []GateResult }

// Error lists the failed gates, one a line.
func (e *GatesError) Error() string {
	lines := make([]string, len(e.Failed))
	for i, g := range e.Failed {
		lines[i] = g.Message
	}
	return fmt.Sprintf("%d gate(s) failed:\n  %s", len(e.Failed), strings.Join(lines, "\n  "))
}

// ModelsError reports models that failed to fit or predict while the others
// completed.
type ModelsError struct {
	Models   []string
	Messages []string
}

// Error lists the failed models with their errors.
func (e *ModelsError) Error() string {
	return fmt.Sprintf("%d model(s) failed:\n  %s", len(e.Models), strings.Join(e.Messages, "\n  "))
}

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
	// Tiers are each model's value tiers (models with CLV only).
	Tiers    map[string][]TierSummary `json:"tiers,omitempty"`
	Gates    []GateResult             `json:"gates,omitempty"`
	Warnings []string                 `json:"warnings,omitempty"`
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
}

// SplitInfo describes the main window.
type SplitInfo struct {
	CalibrationEnd      string  `json:"calibration_end"`
	HoldoutEnd          string  `json:"holdout_end"`
	HoldoutLength       float64 `json:"holdout_length"`
	Horizon             float64 `json:"clv_horizon"`
	DiscountRatePerYear float64 `json:"discount_rate_per_year"`
	DiscountRatePerUnit float64 `json:"discount_rate_per_unit"`
	Margin              float64 `json:"margin"`
}

// ModelReport is one model's fit and scores on the main window.
type ModelReport struct {
	// Fit is the estimate: params, std_errors, log_likelihood, aic, bic,
	// converged, iterations ...
	*models.FitResult
	// Error is set when the model failed; the scores are then absent.
	Error          string    `json:"error,omitempty"`
	Holdout        *Scores   `json:"holdout,omitempty"`
	HoldoutRevenue *Scores   `json:"holdout_revenue,omitempty"`
	Segments       []Segment `json:"segments,omitempty"`
	// CLV sums and averages the customers' discounted CLV over the horizon.
	CLV *CLVSummary `json:"clv,omitempty"`
}

// modelScores is the part of a ModelReport beyond the fit.
type modelScores struct {
	Error          string      `json:"error,omitempty"`
	Holdout        *Scores     `json:"holdout,omitempty"`
	HoldoutRevenue *Scores     `json:"holdout_revenue,omitempty"`
	Segments       []Segment   `json:"segments,omitempty"`
	CLV            *CLVSummary `json:"clv,omitempty"`
}

// MarshalJSON writes one object: the fit's fields (model, params,
// std_errors, log_likelihood ...) followed by the scores. (Without it the
// embedded FitResult's own MarshalJSON would be promoted and write the fit
// alone.)
func (r ModelReport) MarshalJSON() ([]byte, error) {
	return withFit(r.FitResult, modelScores{Error: r.Error, Holdout: r.Holdout, HoldoutRevenue: r.HoldoutRevenue, Segments: r.Segments, CLV: r.CLV})
}

// withFit writes one JSON object holding the fields of fit (when not nil)
// followed by those of rest, a struct.
func withFit(fit *models.FitResult, rest any) ([]byte, error) {
	tail, err := json.Marshal(rest)
	if err != nil {
		return nil, err
	}
	if fit == nil {
		return tail, nil
	}
	head, err := json.Marshal(fit)
	if err != nil {
		return nil, err
	}
	if len(tail) <= 2 { // {}
		return head, nil
	}
	out := make([]byte, 0, len(head)+len(tail))
	out = append(out, head[:len(head)-1]...)
	out = append(out, ',')
	return append(out, tail[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *ModelReport) UnmarshalJSON(b []byte) error {
	var fit models.FitResult
	if err := json.Unmarshal(b, &fit); err != nil {
		return err
	}
	var sc modelScores
	if err := json.Unmarshal(b, &sc); err != nil {
		return err
	}
	*r = ModelReport{FitResult: &fit, Error: sc.Error, Holdout: sc.Holdout, HoldoutRevenue: sc.HoldoutRevenue, Segments: sc.Segments, CLV: sc.CLV}
	return nil
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

// Manifest is manifest.json: how the run came about, with timings.
type Manifest struct {
	Name           string             `json:"name"`
	ClvVersion     string             `json:"clv_version"`
	GoVersion      string             `json:"go_version"`
	ConfigFile     string             `json:"config_file"`
	ConfigGiven    string             `json:"config_given"`
	ConfigResolved any                `json:"config_resolved"`
	ConfigHash     string             `json:"config_hash"`
	Overrides      []string           `json:"overrides,omitempty"`
	DataFile       string             `json:"data_file"`
	DataSHA256     string             `json:"data_sha256"`
	Seed           int64              `json:"seed"`
	Started        string             `json:"started"`
	Finished       string             `json:"finished"`
	StageSeconds   map[string]float64 `json:"stage_seconds"`
	ModelSeconds   map[string]float64 `json:"model_seconds"`
	DiscountNote   string             `json:"discount_conversion"`
	GOMAXPROCS     int                `json:"gomaxprocs"`
}

// Prediction is one model's predictions for every customer of a window.
type Prediction struct {
	Purchases []float64
	PAlive    []float64
	Revenue   []float64 // nil without a spend model
	CLV       []float64 // nil without a spend model
	// Discounted is the discounted expected purchases over the CLV
	// horizon and AliveTime the discounted expected time alive over it
	// (see predict.go); Spend the expected spend per purchase (nil without
	// a spend model).
	Discounted []float64
	AliveTime  []float64
	Spend      []float64
	// NetCLV and Tier are the net CLV and value tier (see tiers.go), nil
	// without a spend model.
	NetCLV []float64
	Tier   []Tier
}

// windowResult is everything computed for one backtest window.
type windowResult struct {
	window   BacktestWindow
	summary  *datasets.Summary
	patterns *datasets.Patterns // the distinct histories of summary
	spend    models.FittedSpend
	spendFit *models.FitResult
	spendErr error
	fits     map[string]models.FittedPurchases
	results  map[string]*models.FitResult
	errs     map[string]error
	preds    map[string]*Prediction
	seconds  map[string]float64
	// zeroAge counts customers left out of fitting because T = 0.
	zeroAge int
	// ranks ranks the customers for scoring, and ids, actP, actR are
	// the actuals (see scorer and holdoutActuals), made on first use.
	ranks      *Scorer
	ids        []string
	actP, actR []float64
}

// scorer returns the window's Scorer.
func (wr *windowResult) scorer() *Scorer {
	if wr.ranks == nil {
		ids, _, _ := wr.holdoutActuals()
		wr.ranks = NewScorer(ids)
	}
	return wr.ranks
}

// holdoutActuals returns the window's ids, holdout purchases and revenue.
func (wr *windowResult) holdoutActuals() (ids []string, purchases, revenue []float64) {
	if wr.ids == nil {
		wr.ids, wr.actP, wr.actR = actuals(wr.summary)
	}
	return wr.ids, wr.actP, wr.actR
}

// Run carries out an experiment: it reads and summarizes the data, fits
// every model on each backtest window (in parallel, each isolated: one
// failing does not stop the others), predicts and scores the holdout,
// writes the results folder atomically and checks the gates. A run that
// completes returns its Outcome even when models or gates failed
// (Outcome.Err says so); an error means no results folder was written.
func Run(ctx context.Context, cfg *Config, o RunOptions) (*Outcome, error) {
	if cfg.Survival != nil {
		return runContractual(ctx, cfg, o)
	}
	if err := cfg.ensureResolved(); err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	started := now()
	stages := map[string]float64{}
	prog := newProgress(o.Progress, o.Terminal)
	r := cfg.Resolved

	// The data, read once per window (a window's summary depends on its
	// calibration end); its checksum is recorded.
	data, err := openRunData(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer data.Close()
	dataName := data.Name
	rd, err := stageResults(cfg, o, started)
	if err != nil {
		return nil, err
	}
	outDir := rd.final
	committed := false
	defer func() {
		if !committed {
			rd.abort()
		}
	}()

	var windows []*windowResult
	var mainWin *windowResult
	for i, w := range r.Windows {
		label := fmt.Sprintf("window %d/%d (calibration to %s)", i+1, len(r.Windows), w.CalibrationEnd.Format("2006-01-02"))
		t0 := time.Now()
		prog.step("reading and summarizing " + dataName + ", " + label)
		s, err := summarizeWindow(cfg, data, w, rd)
		if err != nil {
			return nil, err
		}
		if err := CheckSplitAgainstData(cfg, s.LastDate); err != nil {
			return nil, err
		}
		stages["read_"+w.CalibrationEnd.Format("2006-01-02")] = time.Since(t0).Seconds()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("run interrupted: %w", err)
		}
		t0 = time.Now()
		wr := fitWindow(ctx, cfg, s, w, prog)
		stages["fit_"+w.CalibrationEnd.Format("2006-01-02")] = time.Since(t0).Seconds()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("run interrupted: %w", err)
		}
		if w.Main && o.AfterFit != nil {
			o.AfterFit()
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("run interrupted: %w", err)
			}
		}
		t0 = time.Now()
		prog.step("predicting " + label)
		predictWindow(ctx, cfg, wr, prog)
		stages["predict_"+w.CalibrationEnd.Format("2006-01-02")] = time.Since(t0).Seconds()
		windows = append(windows, wr)
		if w.Main {
			mainWin = wr
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run interrupted: %w", err)
	}

	sum, err := data.SHA256()
	if err != nil {
		return nil, &DataError{Err: err}
	}
	t0 := time.Now()
	prog.step("scoring")
	mf, err := buildMetrics(cfg, dataName, sum, mainWin, windows)
	if err != nil {
		return nil, err
	}
	stages["score"] = time.Since(t0).Seconds()

	gates := ScoreSet(mainScores(mf)).CheckGates(cfg.Expect)
	mf.Gates = gates

	t0 = time.Now()
	prog.step("writing " + outDir)
	if err := rd.writeJSON("metrics.json", mf); err != nil {
		return nil, err
	}
	if err := writePredictions(rd, cfg, mainWin); err != nil {
		return nil, err
	}
	if err := writeParams(rd, mainWin); err != nil {
		return nil, err
	}
	art := &Artifacts{Config: cfg, Metrics: mf, Summary: mainWin.summary, Predictions: mainWin.preds,
		Fits: mainWin.fits, Spend: mainWin.spend, Windows: len(windows)}
	if cfg.Output.Plots && PlotWriter != nil {
		if err := PlotWriter(rd.staging, art); err != nil {
			return nil, fmt.Errorf("writing plots: %w", err)
		}
	}
	if cfg.Output.Report && ReportWriter != nil {
		if err := ReportWriter(rd.staging, art); err != nil {
			return nil, fmt.Errorf("writing the report: %w", err)
		}
	}
	stages["write"] = time.Since(t0).Seconds()

	modelSeconds := map[string]float64{}
	for k, v := range mainWin.seconds {
		modelSeconds[k] = v
	}
	if err := commitRun(ctx, rd, cfg, o.Version, started, now, stages, modelSeconds, dataName, sum); err != nil {
		return nil, err
	}
	committed = true

	out := &Outcome{Dir: rd.final, Metrics: mf, Gates: gates}
	for _, name := range cfg.Models {
		if mainWin.errs[name] != nil {
			out.FailedModels = append(out.FailedModels, name)
		}
	}
	return out, nil
}

// resultsPath returns the results folder of a run: RunOptions.OutDir, or
// <output.dir>/<name>/<UTC start time>-<config hash>.
func resultsPath(cfg *Config, o RunOptions, started time.Time) string {
	if o.OutDir != "" {
		return o.OutDir
	}
	return filepath.Join(cfg.Resolved.OutputDir, cfg.Name, started.UTC().Format("20060102T150405Z")+"-"+cfg.Hash())
}

// commitRun writes manifest.json (the config as given and resolved, the
// data's checksum, versions, seed, start and end times, and the seconds each
// stage and model took) and moves the staged results folder into place,
// unless the run was cancelled meanwhile.
func commitRun(ctx context.Context, rd *resultsDir, cfg *Config, version string, started time.Time, now func() time.Time,
	stages, modelSeconds map[string]float64, dataName, dataSum string) error {
	r := cfg.Resolved
	resolved, err := cfg.ResolvedJSON()
	if err != nil {
		return err
	}
	given := ""
	if r.ConfigFile != "" {
		if b, err := os.ReadFile(r.ConfigFile); err == nil {
			given = string(b)
		}
	}
	man := Manifest{
		Name: cfg.Name, ClvVersion: version, GoVersion: runtime.Version(),
		ConfigFile: r.ConfigFile, ConfigGiven: given, ConfigResolved: jsonRaw(resolved), ConfigHash: cfg.Hash(),
		Overrides: cfg.Overrides, DataFile: dataName, DataSHA256: dataSum, Seed: cfg.Seed,
		Started: started.UTC().Format(time.RFC3339Nano), StageSeconds: stages, ModelSeconds: modelSeconds,
		DiscountNote: fmt.Sprintf("discount rate %g per year → (1 + %g)^(%g days / 365.25) − 1 = %.10g per %s",
			cfg.CLV.DiscountRate, cfg.CLV.DiscountRate, r.Unit.Days(), r.DiscountRatePerUnit, r.Unit.Name),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	man.Finished = now().UTC().Format(time.RFC3339Nano)
	if err := rd.writeJSON("manifest.json", man); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted: %w", err)
	}
	return rd.commit()
}

// Artifacts is what plot and report writers get from a run.
type Artifacts struct {
	Config      *Config
	Metrics     *MetricsFile
	Summary     *datasets.Summary
	Predictions map[string]*Prediction
	Fits        map[string]models.FittedPurchases
	Spend       models.FittedSpend
	Windows     int
}

// PlotWriter and ReportWriter, when set (by the command that links the
// plot and report packages), write plots and the report into a results
// folder being staged. They are variables so that this package does not
// depend on the drawing code.
var (
	PlotWriter   func(dir string, a *Artifacts) error
	ReportWriter func(dir string, a *Artifacts) error
)

type jsonRaw []byte

// MarshalJSON writes the bytes as they are.
func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }

// DataError reports a problem with the input data (exit code 2).
type DataError struct{ Err error }

// Error returns the underlying error's message.
func (e *DataError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *DataError) Unwrap() error { return e.Err }

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
func summarizeWindow(cfg *Config, data *LogInput, w BacktestWindow, rd *resultsDir) (*datasets.Summary, error) {
	ro := ReadOptions(cfg)
	// Purchases after a window's end are valid rows beyond the period
	// studied (an early origin's holdout ends before the log does): they
	// are set aside and counted, never failed.
	ro.ExcludeAfterEnd = true
	if ro.OnBadRow == "skip" && w.Main {
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
	s, err := data.Summarize(ro, so)
	if err != nil {
		return nil, &DataError{Err: err}
	}
	if len(s.Customers) == 0 {
		return nil, &DataError{Err: fmt.Errorf("no customer made a first purchase by the calibration end %s: check split.calibration_end and data.date",
			w.CalibrationEnd.Format("2006-01-02"))}
	}
	return s, nil
}

// purchaseModel builds the named model with the config's settings.
func purchaseModel(cfg *Config, name string) (models.PurchaseModel, error) {
	if name == "hiatus" {
		return models.Hiatus{H: cfg.Hiatus.H}, nil
	}
	return models.PurchaseModelByName(name)
}

// fitWindow fits the spend model and every purchase model on a window's
// calibration data, in parallel, each isolated from the others' failures
// (a panic in one model is reported as its error).
func fitWindow(ctx context.Context, cfg *Config, s *datasets.Summary, w BacktestWindow, prog *progress) *windowResult {
	wr := &windowResult{
		window: w, summary: s,
		fits: map[string]models.FittedPurchases{}, results: map[string]*models.FitResult{},
		errs: map[string]error{}, preds: map[string]*Prediction{}, seconds: map[string]float64{},
	}
	full, zeroAge := ModelData(s)
	wr.patterns = datasets.NewPatterns(s)
	compressed, _ := ModelData(wr.patterns.Summary(s))
	// The patterns keep no log inter-purchase times: their total is the
	// same for the compressed rows.
	compressed.LogInterPurchase, compressed.HasLogInterPurchase = full.LogInterPurchase, full.HasLogInterPurchase
	wr.zeroAge = zeroAge
	opts := models.FitOptions{Penalty: cfg.Fit.Penalty, MaxIterations: cfg.Fit.MaxIterations}

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	bar := prog.bar("fitting", len(cfg.Models)+1)
	run := func(name string, fit func() (any, *models.FitResult, error)) {
		defer wg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		t0 := time.Now()
		var (
			f   any
			res *models.FitResult
			err error
		)
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("%s: internal error: %v\n%s", name, p, debug.Stack())
				}
			}()
			f, res, err = fit()
		}()
		mu.Lock()
		defer mu.Unlock()
		wr.seconds[name] = time.Since(t0).Seconds()
		bar.add(name)
		if name == "spend:"+cfg.Resolved.SpendModel {
			wr.spendFit, wr.spendErr = res, err
			if err == nil {
				wr.spend = f.(models.FittedSpend)
			}
			return
		}
		wr.results[name] = res
		if err != nil {
			wr.errs[name] = err
			return
		}
		wr.fits[name] = f.(models.FittedPurchases)
	}
	if sm := cfg.Resolved.SpendModel; sm != "none" && sm != "" {
		wg.Add(1)
		go run("spend:"+sm, func() (any, *models.FitResult, error) {
			m, err := models.SpendModelByName(sm)
			if err != nil {
				return nil, nil, err
			}
			f, err := m.Fit(ctx, full, opts)
			if err != nil {
				return nil, models.ResultOf(f), err
			}
			return f, f.Result(), nil
		})
	} else {
		bar.add("no spend model")
	}
	for _, name := range cfg.Models {
		wg.Add(1)
		go run(name, func() (any, *models.FitResult, error) {
			m, err := purchaseModel(cfg, name)
			if err != nil {
				return nil, nil, err
			}
			d := compressed
			if name == "retention" {
				d = full // activity bitmaps differ between identical (x, t_x, T)
			}
			f, err := m.Fit(ctx, d, opts)
			if err != nil {
				return nil, models.ResultOf(f), err
			}
			return f, f.Result(), nil
		})
	}
	wg.Wait()
	bar.finish()
	return wr
}

// predictWindow predicts every customer's holdout purchases, P(alive),
// revenue and CLV for each fitted model, pattern first (see predict.go). A
// model whose predictions are not finite fails.
func predictWindow(ctx context.Context, cfg *Config, wr *windowResult, prog *progress) {
	in := predictInput{summary: wr.summary, patterns: wr.patterns,
		clv: models.CLVOptions{Horizon: cfg.Resolved.Horizon, DiscountRate: cfg.Resolved.DiscountRatePerUnit, Margin: cfg.CLV.Margin}}
	bar := prog.bar("predicting", len(wr.fits))
	defer bar.finish()
	for _, name := range cfg.Models {
		f, ok := wr.fits[name]
		if !ok {
			continue
		}
		p, err := predictModel(ctx, name, f, wr.spend, in)
		if err == nil {
			addValueTiers(cfg, wr, p)
		}
		bar.add(name)
		if err != nil {
			wr.errs[name] = err
			delete(wr.fits, name)
			continue
		}
		wr.preds[name] = p
	}
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

// actuals returns the customers' ids, holdout purchases and holdout revenue.
func actuals(s *datasets.Summary) (ids []string, purchases, revenue []float64) {
	n := len(s.Customers)
	ids = make([]string, n)
	purchases = make([]float64, n)
	revenue = make([]float64, n)
	for i, c := range s.Customers {
		ids[i] = c.ID
		purchases[i] = c.FrequencyHoldout
		revenue[i] = c.FrequencyHoldout * c.MonetaryHoldout
	}
	return
}

// scoreWindow scores every model of a window that produced predictions,
// the models in parallel (the Scorer ranks the ids and each target's
// actuals once for all of them).
func scoreWindow(wr *windowResult) (map[string]map[string]Scores, error) {
	_, actP, actR := wr.holdoutActuals()
	sc := wr.scorer()
	names := make([]string, 0, len(wr.preds))
	for name := range wr.preds {
		names = append(names, name)
	}
	sort.Strings(names)
	scores := make([]map[string]Scores, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for k, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p := wr.preds[name]
			sp, err := sc.Score(p.Purchases, actP)
			if err != nil {
				errs[k] = fmt.Errorf("scoring %s: %w", name, err)
				return
			}
			scores[k] = map[string]Scores{TargetPurchases: sp}
			if p.Revenue != nil && wr.summary.HasAmount {
				sr, err := sc.Score(p.Revenue, actR)
				if err != nil {
					errs[k] = fmt.Errorf("scoring %s revenue: %w", name, err)
					return
				}
				scores[k][TargetRevenue] = sr
			}
		}()
	}
	wg.Wait()
	out := map[string]map[string]Scores{}
	for k, name := range names {
		if errs[k] != nil {
			return nil, errs[k]
		}
		out[name] = scores[k]
	}
	return out, nil
}

// buildMetrics assembles metrics.json.
func buildMetrics(cfg *Config, dataName, sum string, mainWin *windowResult, windows []*windowResult) (*MetricsFile, error) {
	r := cfg.Resolved
	s := mainWin.summary
	a := s.Accounting
	mf := &MetricsFile{
		Name: cfg.Name, Unit: r.Unit.Name,
		Data: DataFacts{
			File: dataName, SHA256: sum, RowsRead: a.RowsRead, RowsUsed: a.RowsUsed, RowsRejected: a.RowsRejected,
			Customers: len(s.Customers) + s.LateCustomers, CalibrationCustomers: len(s.Customers),
			LateCustomers: s.LateCustomers, HasAmount: s.HasAmount,
		},
		Split: SplitInfo{
			CalibrationEnd: r.CalibrationEnd.Format("2006-01-02"), HoldoutEnd: r.HoldoutEnd.Format("2006-01-02"),
			HoldoutLength: float64(r.HoldoutDays) / r.Unit.Days(), Horizon: r.Horizon,
			DiscountRatePerYear: cfg.CLV.DiscountRate, DiscountRatePerUnit: r.DiscountRatePerUnit, Margin: cfg.CLV.Margin,
		},
		SegmentTarget: TargetPurchases,
		Models:        map[string]*ModelReport{},
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
		mf.Warnings = append(mf.Warnings, fmt.Sprintf("%d rows dated after the holdout end were set aside", n))
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
	scores, err := scoreWindow(mainWin)
	if err != nil {
		return nil, err
	}
	_, actP, actR := mainWin.holdoutActuals()
	for _, name := range cfg.Models {
		rep := &ModelReport{FitResult: mainWin.results[name]}
		if rep.FitResult == nil {
			rep.FitResult = &models.FitResult{Model: name}
		}
		for _, w := range rep.FitResult.Warnings {
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
		p := mainWin.preds[name]
		pred, act := p.Purchases, actP
		if mf.SegmentTarget == TargetRevenue {
			pred, act = p.Revenue, actR
		}
		if rep.Segments, err = mainWin.scorer().Segments(pred, act, cfg.Segments.Groups); err != nil {
			return nil, fmt.Errorf("segments of %s: %w", name, err)
		}
		if p.Tier != nil {
			if mf.Tiers == nil {
				mf.Tiers = map[string][]TierSummary{}
			}
			var rev []float64
			if s.HasHoldout && s.HasAmount {
				rev = actR
			}
			mf.Tiers[name] = SummarizeTiers(p.Tier, p, rev)
		}
		if p.CLV != nil {
			total := 0.0
			for _, v := range p.CLV {
				total += v
			}
			rep.CLV = &CLVSummary{Total: Metric(total), Mean: Metric(total / float64(len(p.CLV)))}
		}
		mf.Models[name] = rep
	}
	if len(windows) > 1 {
		bt, err := backtest(cfg, windows)
		if err != nil {
			return nil, err
		}
		mf.Backtest = bt
	}
	return mf, nil
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

// backtest scores every window and summarizes each metric's mean and
// spread across them.
func backtest(cfg *Config, windows []*windowResult) (*Backtest, error) {
	bt := &Backtest{Summary: map[string]map[string]map[string]Spread{}}
	values := map[string]map[string]map[string][]float64{}
	for _, wr := range windows {
		sc, err := scoreWindow(wr)
		if err != nil {
			return nil, err
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

// writeParams writes params.json: every fitted model's estimates and
// diagnostics (the same as in metrics.json, on their own for tools).
func writeParams(rd *resultsDir, wr *windowResult) error {
	out := map[string]*models.FitResult{}
	for name, res := range wr.results {
		if res != nil {
			out[name] = res
		}
	}
	if wr.spendFit != nil {
		out["spend:"+wr.spendFit.Model] = wr.spendFit
	}
	return rd.writeJSON("params.json", out)
}
