package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/models"
)

// ScoreOptions says what clv score applies a run's models to and where the
// per-customer predictions go.
type ScoreOptions struct {
	// DataPath is a transaction log read with the run's columns, unit and
	// date format; its calibration end is its last date. SummaryPath is a
	// per-customer summary CSV instead (frequency, recency, T, monetary).
	DataPath, SummaryPath string
	// CovariatesPath is the covariates file of the customers scored
	// (default: the run's own); used by runs with covariate models.
	CovariatesPath string
	// Out is the file to write ("-": w); Format is csv or parquet.
	Out, Format string
}

// ScoreResult is what ScoreRun computed: the models applied and those left
// out because a run's fit of them cannot be rebuilt from parameters.
type ScoreResult struct {
	Customers       int
	Models, Skipped []string
	// CalibrationEnd is the log's last date (empty for a summary).
	CalibrationEnd string
}

// ScoreRun applies the fitted models of a finished run (params.json is the
// saved model, rebuilt through the registry without refitting) to another
// log or summary, predicting every customer over the run's clv.horizon
// with its CLV options, and writes the run's per-customer forecast
// columns to o.Out (or w for "-").
func ScoreRun(ctx context.Context, runDir string, o ScoreOptions, w io.Writer) (*ScoreResult, error) {
	cfg, err := scoreConfig(runDir, o)
	if err != nil {
		return nil, err
	}
	reg := models.NewRegistry()
	fits, spend, skipped, err := rebuildRun(reg, cfg, runDir)
	if err != nil {
		return nil, err
	}
	cfg.Models = cfgModelsOf(fits, cfg)
	wr, cfg, err := scoreData(ctx, reg, cfg, o)
	if err != nil {
		return nil, err
	}
	wr.fits, wr.spend = fits, spend
	predictWindow(ctx, cfg, reg, wr, newProgress(nil, false))
	for name, err := range wr.errs {
		return nil, fmt.Errorf("scoring with %s: %w", name, err)
	}
	cols := predictionColumns(cfg, wr)
	write := func(w io.Writer) error { return writePredictionsCSV(w, cols) }
	if o.Format == "parquet" {
		write = func(w io.Writer) error { return writePredictionsParquet(w, cols) }
	}
	if err := writeOutput(o.Out, w, write); err != nil {
		return nil, err
	}
	res := &ScoreResult{Customers: len(wr.summary.Customers), Models: cfg.Models, Skipped: skipped}
	if end := cfg.Resolved.CalibrationEnd; !end.IsZero() { // zero for a summary
		res.CalibrationEnd = end.Format(time.DateOnly)
	}
	return res, nil
}

// cfgModelsOf lists the run's models that were rebuilt, in config order.
func cfgModelsOf(fits map[string]models.FittedPurchases, cfg *Config) []string {
	var out []string
	for _, name := range cfg.Models {
		if fits[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// scoreConfig returns the run's config (from its manifest) made a forecast
// of the new data: same unit, columns, date format and CLV options, the
// calibration end left to the data's last date, no gates.
func scoreConfig(runDir string, o ScoreOptions) (*Config, error) {
	manPath, err := filepath.Abs(filepath.Join(runDir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(manPath)
	if err != nil {
		return nil, fmt.Errorf("clv score: %w (RUN_DIR must be a finished run's results folder)", err)
	}
	var man struct {
		ConfigResolved cfgResolvedJSON `json:"config_resolved"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("reading %s: %w", manPath, err)
	}
	cfg := &Config{}
	if err := json.Unmarshal(man.ConfigResolved.Config, cfg); err != nil {
		return nil, fmt.Errorf("reading the config in %s: %w", manPath, err)
	}
	if cfg.Survival != nil {
		return nil, fmt.Errorf("clv score: %s is a contractual run; score applies purchase models to a transaction log", runDir)
	}
	if cfg.Data.Embedded != "" {
		cfg.Data.Embedded, cfg.Data.Format, cfg.Data.Header = "", "csv", "yes"
		cfg.Data.Customer, cfg.Data.Date = "customer_id", "date"
		if cfg.Data.Amount == "" {
			cfg.Data.Amount = "amount"
		}
	}
	if o.DataPath != "" {
		if cfg.Data.Path, err = filepath.Abs(o.DataPath); err != nil {
			return nil, err
		}
	} else if cfg.Data.Engine == "" {
		// Summaries are read apart; a file that exists satisfies the data
		// checks (the run's own data.path may be relative to a folder
		// elsewhere).
		cfg.Data.Path = manPath
	}
	cfg.File = manPath
	cfg.Split.HoldoutEnd, cfg.Split.CalibrationEnd, cfg.Split.Origins = "", "", nil
	cfg.Expect = nil
	cfg.Data.Rejects = ""
	if err := scoreCovariates(cfg, runDir, o.CovariatesPath); err != nil { // covariates_score.go
		return nil, err
	}
	if cfg.Resolved, err = cfg.Resolve(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// rebuildRun rebuilds the run's fitted models from params.json; models
// without parameters to rebuild from (the heuristics fit on the data
// itself) are listed as skipped.
func rebuildRun(reg *models.Registry, cfg *Config, runDir string) (map[string]models.FittedPurchases, models.FittedSpend, []string, error) {
	path := filepath.Join(runDir, "params.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("clv score: %w", err)
	}
	var params map[string]*models.FitResult
	if err := json.Unmarshal(b, &params); err != nil {
		return nil, nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	fits := map[string]models.FittedPurchases{}
	var skipped []string
	for _, name := range cfg.Models {
		d, _ := reg.Lookup(models.KindPurchase, name)
		res := params[name]
		if d.RebuildCovariates != nil && res != nil && len(res.Params) > 0 { // covariates_score.go
			if fits[name], err = rebuildCovariateFit(cfg, d, res.Params); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: rebuilding %s: %w", path, name, err)
			}
			continue
		}
		if d.RebuildPurchases == nil || res == nil || len(res.Params) == 0 {
			skipped = append(skipped, name)
			continue
		}
		if fits[name], err = reg.RebuildPurchases(name, res.Params); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: rebuilding %s: %w", path, name, err)
		}
	}
	if len(fits) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: none of the run's models (%v) can be rebuilt from its parameters", path, cfg.Models)
	}
	var spend models.FittedSpend
	if sm := cfg.Resolved.SpendModel; sm != "" && sm != "none" {
		d, _ := reg.Lookup(models.KindSpend, sm)
		if res := params["spend:"+sm]; d.RebuildSpend != nil && res != nil {
			if spend, err = d.RebuildSpend(res.Params); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: rebuilding spend model %s: %w", path, sm, err)
			}
		}
	}
	return fits, spend, skipped, nil
}

// scoreData summarizes the data to score, as a forecast run does.
func scoreData(ctx context.Context, reg *models.Registry, cfg *Config, o ScoreOptions) (*windowResult, *Config, error) {
	wr := &windowResult{fits: map[string]models.FittedPurchases{}, results: map[string]*models.FitResult{},
		errs: map[string]error{}, preds: map[string]*Prediction{}, seconds: map[string]float64{}}
	if o.SummaryPath != "" {
		s, err := datasets.ReadSummaryCSV(o.SummaryPath)
		if err != nil {
			return nil, nil, &DataError{Err: err}
		}
		if s, err = restrictToCovariates(cfg, s, time.Time{}); err != nil { // covariates_run.go
			return nil, nil, err
		}
		setForecastHorizon(s, cfg.Resolved.Horizon)
		wr.summary = s
	} else {
		data, err := openRunData(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		defer data.Close()
		env := &runEnv{cfg: cfg, reg: reg, stages: map[string]float64{}}
		var s, discrete *datasets.Summary
		if cfg, s, discrete, err = forecastData(env, data); err != nil {
			return nil, nil, err
		}
		wr.summary, wr.discrete = s, discrete
		if discrete != nil {
			wr.discretePatterns = datasets.NewPatterns(discrete)
		}
	}
	wr.window = cfg.Resolved.Windows[0]
	wr.patterns = datasets.NewPatterns(wr.summary)
	return wr, cfg, nil
}

// writeOutput writes to path atomically, or to w when path is "-".
func writeOutput(path string, w io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(w)
	}
	return atomicfile.Write(path, write)
}
