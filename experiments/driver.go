package experiments

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
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
	// Plots and Report, when set, draw the figures and write the report
	// into the results folder being staged (with output.plots and
	// output.report on). The command that links the drawing code passes
	// them, so that this package does not depend on it.
	Plots  func(dir string, a *Artifacts) error
	Report func(dir string, a *Artifacts) error
	// StartPlots, when set, draws a backtest's or a forecast's figures in
	// place of Plots, in two steps that overlap the score stage (see
	// plots_early.go): it is called as soon as the main window's
	// predictions exist, with artifacts whose Metrics holds only what
	// metrics.json knows before scoring (name, unit, split, segment
	// target), and draws the figures that need no scores; the function it
	// returns is called with the run's complete artifacts once the run is
	// scored, and draws the rest. Both steps stop soon after ctx (the
	// run's) ends, returning its error. A contractual run still uses
	// Plots.
	StartPlots func(ctx context.Context, dir string, early *Artifacts) (finish func(a *Artifacts) error, err error)
	// BoundedHeap says that the caller set the process's soft memory
	// limit (debug.SetMemoryLimit) to bound the run's heap, as clv run
	// does (cmd/clv's softMemoryLimit): the collector's pacing is then
	// turned off while a window's log is read and summarized, the limit
	// still bounding the heap (see pauseCollections). Leave it false
	// under a limit not chosen for that, such as a user's GOMEMLIMIT,
	// which may exceed the machine's memory.
	BoundedHeap bool
	// fileOps, when set, replaces the calls that make the results folder
	// durable and put it in place (tests record their order or make one
	// fail; see resultsync.go).
	fileOps *fileOps
}

// Artifacts is what plot and report writers get from a run: the config and,
// for a backtest, its metrics, main-window summary, predictions and fitted
// models; for a contractual run, Survival.
type Artifacts struct {
	Config      *Config
	Metrics     *MetricsFile
	Summary     *datasets.Summary
	Predictions map[string]*Prediction
	Fits        map[string]models.FittedPurchases
	Spend       models.FittedSpend
	Windows     int
	// Survival is set, and the fields above but Config are not, for a
	// contractual run.
	Survival *SurvivalArtifacts
	// Patterns, Scorer, Column and AcquireColumn are set in the artifacts
	// StartPlots gets (nil otherwise): the main window's table of distinct
	// histories (datasets.NewPatterns of Summary), its Scorer (nil in a
	// forecast) and a model's prediction column, shared with the score
	// stage (see plots_early.go). A column from Column is the window's
	// for good; one from AcquireColumn until its done is called (once,
	// after the last read), and then recycled: prefer it. Neither may be
	// modified.
	Patterns      *datasets.Patterns
	Scorer        *Scorer
	Column        func(model string, q Quantity) []float64
	AcquireColumn func(model string, q Quantity) (column []float64, done func())
}

// Outcome is what a finished run produced.
type Outcome struct {
	// Dir is the results folder, complete and in place.
	Dir string
	// Metrics is what metrics.json holds: a *MetricsFile for a backtest, a
	// *ContractualMetrics for a contractual run.
	Metrics RunMetrics
	// Gates are the results of the config's expect list.
	Gates []GateResult
	// FailedModels names the models whose fit or prediction failed; their
	// errors are in Metrics.
	FailedModels []string
	// Table is the output.table written (nil without one).
	Table *TableWritten
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
			msgs[i] = m + ": " + o.Metrics.ModelError(m)
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

// DataError reports a problem with the input data (exit code 2).
type DataError struct{ Err error }

// Error returns the underlying error's message.
func (e *DataError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *DataError) Unwrap() error { return e.Err }

// An experiment is one kind of run: a backtest of purchase models on a
// transaction log, or a contractual run of survival models on a cohort's
// survivor counts. It reads its data, fits, predicts and scores; the
// driver (Run) owns everything around it: validation, the staging folder,
// progress, gates, metrics.json and params.json, the plots and report
// hooks, the manifest and the commit.
type experiment interface {
	execute(ctx context.Context, env *runEnv) (*runResult, error)
}

// runEnv is what the driver hands an experiment.
type runEnv struct {
	cfg  *Config
	opts RunOptions
	reg  *models.Registry
	rd   *resultsDir
	prog *progress
	// writers run the results' files that overlap other stages (see
	// writers.go).
	writers *writerGroup
	// scored hands the run's complete artifacts to the figures started
	// before scoring (nil when they were not: see plots_early.go).
	scored chan<- *Artifacts
	mu     sync.Mutex // guards stages
	stages map[string]float64
}

// timed records the seconds since t0 as a stage's time.
func (e *runEnv) timed(stage string, t0 time.Time) {
	d := time.Since(t0).Seconds()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stages[stage] = d
}

// stageSeconds returns a copy of the stages' seconds.
func (e *runEnv) stageSeconds() map[string]float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.stages)
}

// afterFit calls RunOptions.AfterFit and reports an interruption.
func (e *runEnv) afterFit(ctx context.Context) error {
	if e.opts.AfterFit != nil {
		e.opts.AfterFit()
	}
	return interrupted(ctx)
}

// interrupted returns the context's error as an interrupted run.
func interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted: %w", err)
	}
	return nil
}

// runResult is what an experiment produced, for the driver to write.
type runResult struct {
	metrics           RunMetrics
	dataName, dataSHA string
	modelSeconds      map[string]float64
	// params are the fits for params.json, by name.
	params map[string]*models.FitResult
	failed []string
	// write writes the experiment's own files (predictions.csv,
	// projection.csv); nil when the experiment started writing them
	// itself (env.writers).
	write     func(rd *resultsDir) error
	artifacts *Artifacts
	// table is output.table as written (nil without one).
	table *TableWritten
	// engine is what was fetched from a database (nil for a file).
	engine *EngineFacts
	// input, when set, is the log whose checksum, taken aside, is still
	// to be recorded as dataSHA and the metrics' (see awaitChecksum,
	// which writeResults calls before writing them); the driver closes
	// it.
	input *LogInput
}

// Run carries out an experiment: a backtest (the config has data and
// split) or a contractual run (it has a survival section). It validates
// the config, runs the experiment into a staging folder, checks the gates,
// writes metrics.json, params.json, the experiment's files, the plots and
// report (through RunOptions.Plots and Report) and manifest.json, and moves
// the folder into place. A run that completes returns its Outcome even when
// models or gates failed (Outcome.Err says so); an error means no results
// folder was written.
func Run(ctx context.Context, cfg *Config, o RunOptions) (*Outcome, error) {
	if err := cfg.ensureResolved(); err != nil {
		return nil, err
	}
	var exp experiment = backtestRun{}
	switch {
	case cfg.Survival != nil:
		exp = contractualRun{}
	case cfg.Resolved.Forecast:
		exp = forecastRun{}
	}
	return drive(ctx, cfg, o, exp)
}

// drive runs an experiment into a staged results folder and commits it.
// The results' files are written while other stages run where the data
// allow (see writers.go); every writer has ended before the folder is
// committed or removed.
func drive(ctx context.Context, cfg *Config, o RunOptions, exp experiment) (*Outcome, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	started := now()
	t0 := time.Now()
	if err := checkTableFree(ctx, cfg); err != nil {
		return nil, err
	}
	rd, err := stageResults(cfg, o, started)
	if err != nil {
		return nil, err
	}
	writers, ctx := newWriterGroup(ctx)
	rd.ctx = ctx
	committed := false
	defer func() {
		writers.stop()
		if !committed {
			rd.abort()
		}
	}()
	env := &runEnv{cfg: cfg, opts: o, reg: models.NewRegistry(), rd: rd, prog: newProgress(o.Progress, o.Terminal), stages: map[string]float64{}, writers: writers}
	res, err := exp.execute(ctx, env)
	if err == nil {
		if res.input != nil {
			defer res.input.Close()
		}
		err = interrupted(ctx)
	}
	if err != nil {
		return nil, writers.failed(err)
	}
	gates := res.metrics.CheckGates(cfg.Expect)
	res.metrics.setGates(gates)

	if err := writeResults(env, res); err != nil {
		return nil, writers.failed(err)
	}
	if err := writeTable(ctx, env, res); err != nil {
		return nil, err
	}
	env.timed("total", t0)
	if err := commitRun(ctx, env, res, started, now); err != nil {
		return nil, err
	}
	committed = true
	return &Outcome{Dir: rd.final, Metrics: res.metrics, Gates: gates, FailedModels: res.failed, Table: res.table}, nil
}

// writeResults writes metrics.json, params.json, the experiment's files
// and, when asked, the plots and the report into the staging folder: the
// figures started before scoring get the run's artifacts first, so that
// they go on while metrics.json and params.json are written; the
// experiment's files (unless the experiment started them already) beside
// the plots, then the report, which reads the predictions' header and the
// plots' data, as soon as the figures are done and the predictions
// file's header is on the disk (beside the rest of that file), or else
// after every writer. The files are synced in the background
// (resultsync.go): those of other writers, the report written early
// among them, from the moment every writer has ended (rd.sweep).
func writeResults(env *runEnv, res *runResult) error {
	rd, cfg := env.rd, env.cfg
	t0 := time.Now()
	env.prog.step("writing " + rd.final)
	if env.scored != nil {
		env.scored <- res.artifacts // the figures started before scoring
	}
	if err := res.awaitChecksum(env.writers); err != nil { // for metrics.json, the report and the manifest
		return err
	}
	if err := rd.writeJSON("metrics.json", res.metrics); err != nil {
		return err
	}
	if err := rd.writeJSON("params.json", res.params); err != nil {
		return err
	}
	if res.write != nil {
		env.writers.start(env, "write_files", func() error { return res.write(rd) })
	}
	if env.scored == nil && cfg.Output.Plots && env.opts.Plots != nil {
		t1 := time.Now()
		if err := env.opts.Plots(rd.staging, res.artifacts); err != nil {
			return fmt.Errorf("writing plots: %w", err)
		}
		env.timed("write_plots", t1)
	}
	report := cfg.Output.Report && env.opts.Report != nil
	if report {
		// The report reads the figures' files and the predictions file's
		// header: written beside the rest of the predictions file when
		// that header is complete on the disk already.
		env.writers.waitLeading()
		if interrupted(env.writers.ctx) == nil && predictionsHeaderWritten(cfg, rd.staging) {
			if err := writeReport(env, res); err != nil {
				return err
			}
			report = false
		}
	}
	if err := env.writers.wait(); err != nil {
		return err
	}
	if err := interrupted(env.writers.ctx); err != nil {
		return err
	}
	rd.sweep()
	if report {
		if err := writeReport(env, res); err != nil {
			return err
		}
	}
	env.timed("write", t0)
	return nil
}

// writeReport writes the report into the staging folder.
func writeReport(env *runEnv, res *runResult) error {
	t1 := time.Now()
	if err := env.opts.Report(env.rd.staging, res.artifacts); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	env.timed("write_report", t1)
	return nil
}

// predictionsHeaderWritten reports whether what the report reads of the
// predictions file in the folder dir is final: its header line complete
// on the disk (the file is written from its start and only appended to),
// or no predictions.csv to write (output.predictions parquet or none).
func predictionsHeaderWritten(cfg *Config, dir string) bool {
	name := predictionsFile(cfg)
	if name != "predictions.csv" {
		return true
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	line, _, complete := bytes.Cut(head[:n], []byte{'\n'})
	return complete && bytes.IndexByte(line, 0) < 0
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
func commitRun(ctx context.Context, env *runEnv, res *runResult, started time.Time, now func() time.Time) error {
	cfg := env.cfg
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
		Name: cfg.Name, ClvVersion: env.opts.Version, GoVersion: runtime.Version(),
		ConfigFile: r.ConfigFile, ConfigGiven: given, ConfigResolved: jsonRaw(resolved), ConfigHash: cfg.Hash(),
		Overrides: cfg.Overrides, DataFile: res.dataName, DataSHA256: res.dataSHA, Seed: cfg.Seed,
		Started: started.UTC().Format(time.RFC3339Nano), StageSeconds: env.stageSeconds(), ModelSeconds: res.modelSeconds,
		DiscountNote: fmt.Sprintf("discount rate %g per year → (1 + %g)^(%g days / 365.25) − 1 = %.10g per %s",
			cfg.CLV.DiscountRate, cfg.CLV.DiscountRate, r.Unit.Days(), r.DiscountRatePerUnit, r.Unit.Name),
		GOMAXPROCS: runtime.GOMAXPROCS(0), OutputTable: res.table, Engine: res.engine,
	}
	man.Finished = now().UTC().Format(time.RFC3339Nano)
	if err := env.rd.writeJSON("manifest.json", man); err != nil {
		return err
	}
	if err := interrupted(ctx); err != nil {
		return err
	}
	return env.rd.commit()
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
	// OutputTable is the table output.table wrote.
	OutputTable *TableWritten `json:"output_table,omitempty"`
	// Engine says, for data read from a database, whether the pattern
	// table or one row per customer was fetched and the bytes received.
	Engine *EngineFacts `json:"engine,omitempty"`
}

type jsonRaw []byte

// MarshalJSON writes the bytes as they are.
func (j jsonRaw) MarshalJSON() ([]byte, error) { return j, nil }
