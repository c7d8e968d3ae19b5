package experiments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments/inputfile"
	"github.com/clv-dev/clv/models"
)

// Targets scored in a contractual experiment: the sBG's projection of the
// holdout periods and its fit of the calibration periods.
const (
	TargetSurvival            = "survival"
	TargetSurvivalCalibration = "calibration"
)

// SurvivalScores is what metrics.json holds for one target of a contractual
// experiment: the projected survivors p_t = n_0·S(t) against the actual
// survivors a_t = n_t over the periods t = FirstPeriod … LastPeriod (H of
// them), with n_0 the cohort size, P = Σ p_t and A = Σ a_t:
//
//	customers       = n_0, the cohort size
//	periods         = H
//	actual_total    = A
//	predicted_total = P
//	bias            = P/A − 1                       (NaN when A = 0)
//	mae             = (1/H) Σ |p_t − a_t|           (in customers)
//	rmse            = √((1/H) Σ (p_t − a_t)²)
//	mape            = (1/H) Σ |p_t − a_t| / a_t      (NaN when some a_t = 0)
//	max_ape         = max_t |p_t − a_t| / a_t        (NaN when some a_t = 0)
//
// The target survival covers the holdout periods c+1 … m after
// survival.calibration_periods = c, and calibration the fitted periods
// 1 … c (period 0 is fitted exactly: S(0) = 1). Sums are accumulated in
// period order with Neumaier's compensated summation; an undefined metric
// holds NaN and marshals as null (see Metric).
type SurvivalScores struct {
	FirstPeriod    int    `json:"first_period"`
	LastPeriod     int    `json:"last_period"`
	Periods        int    `json:"periods"`
	Customers      Metric `json:"customers"`
	ActualTotal    Metric `json:"actual_total"`
	PredictedTotal Metric `json:"predicted_total"`
	Bias           Metric `json:"bias"`
	MAE            Metric `json:"mae"`
	RMSE           Metric `json:"rmse"`
	MAPE           Metric `json:"mape"`
	MaxAPE         Metric `json:"max_ape"`
}

// survivalScoreNames are the gate metric names of SurvivalScores.
var survivalScoreNames = []string{
	"customers", "periods", "actual_total", "predicted_total", "bias", "mae", "rmse", "mape", "max_ape",
}

// SurvivalMetricNames returns the metric names a gate of a contractual
// config may use (sbg.survival.mape): customers, periods, actual_total,
// predicted_total, bias, mae, rmse, mape, max_ape. The slice is a copy.
func SurvivalMetricNames() []string { return slices.Clone(survivalScoreNames) }

// Value returns the metric with the given name (one of
// SurvivalMetricNames; customers and periods as float64) and whether the
// name is known. The value may be NaN.
func (s SurvivalScores) Value(name string) (float64, bool) {
	switch name {
	case "customers":
		return float64(s.Customers), true
	case "periods":
		return float64(s.Periods), true
	case "actual_total":
		return float64(s.ActualTotal), true
	case "predicted_total":
		return float64(s.PredictedTotal), true
	case "bias":
		return float64(s.Bias), true
	case "mae":
		return float64(s.MAE), true
	case "rmse":
		return float64(s.RMSE), true
	case "mape":
		return float64(s.MAPE), true
	case "max_ape":
		return float64(s.MaxAPE), true
	}
	return 0, false
}

// ScoreSurvival scores projected survivor counts against actual ones over
// the periods first … last (see SurvivalScores). actual and predicted are
// indexed by period and have the same length; actual[0] is the cohort size.
// It returns an error when the lengths differ, the periods are not
// 1 ≤ first ≤ last < len(actual), the cohort size is not > 0, or a value
// scored is negative or not finite.
func ScoreSurvival(actual, predicted []float64, first, last int) (SurvivalScores, error) {
	if len(actual) != len(predicted) {
		return SurvivalScores{}, fmt.Errorf("survival scores: %d actual counts but %d predicted", len(actual), len(predicted))
	}
	if first < 1 || last < first || last >= len(actual) {
		return SurvivalScores{}, fmt.Errorf("survival scores: periods %d…%d are not within 1…%d", first, last, len(actual)-1)
	}
	if n0 := actual[0]; !(n0 > 0) || math.IsInf(n0, 0) {
		return SurvivalScores{}, fmt.Errorf("survival scores: the cohort size %v must be a finite number > 0", n0)
	}
	for t := first; t <= last; t++ {
		for _, v := range []struct {
			name string
			x    float64
		}{{"actual", actual[t]}, {"predicted", predicted[t]}} {
			if math.IsNaN(v.x) || math.IsInf(v.x, 0) || v.x < 0 {
				return SurvivalScores{}, fmt.Errorf("survival scores: %s survivors at period %d are %v, not a finite number ≥ 0", v.name, t, v.x)
			}
		}
	}
	h := float64(last - first + 1)
	var pt, at, abs, sq, ape ksum
	maxAPE, apeDefined := 0.0, true
	for t := first; t <= last; t++ {
		p, a := predicted[t], actual[t]
		pt.add(p)
		at.add(a)
		e := math.Abs(p - a)
		abs.add(e)
		sq.add(e * e)
		if a > 0 {
			ape.add(e / a)
			maxAPE = max(maxAPE, e/a)
		} else {
			apeDefined = false
		}
	}
	P, A := pt.value(), at.value()
	s := SurvivalScores{
		FirstPeriod: first, LastPeriod: last, Periods: last - first + 1,
		Customers: Metric(actual[0]), ActualTotal: finiteOrNaN(A), PredictedTotal: finiteOrNaN(P),
		Bias: Metric(math.NaN()), MAE: finiteOrNaN(abs.value() / h), RMSE: finiteOrNaN(math.Sqrt(sq.value() / h)),
		MAPE: Metric(math.NaN()), MaxAPE: Metric(math.NaN()),
	}
	if A > 0 {
		s.Bias = finiteOrNaN(P/A - 1)
	}
	if apeDefined {
		s.MAPE, s.MaxAPE = finiteOrNaN(ape.value()/h), finiteOrNaN(maxAPE)
	}
	return s, nil
}

// SurvivalPoint is one period of a contractual experiment's projection:
// the survivors counted and those the fitted model predicts, n_0·S(t), and
// the retention rates n_t/n_{t−1} and r_t = S(t)/S(t−1) (absent at period
// 0; null where n_{t−1} = 0). Holdout marks the periods after
// survival.calibration_periods.
type SurvivalPoint struct {
	Period             int     `json:"period"`
	Actual             Metric  `json:"actual"`
	Predicted          Metric  `json:"predicted"`
	RetentionActual    *Metric `json:"retention_actual,omitempty"`
	RetentionPredicted *Metric `json:"retention_predicted,omitempty"`
	Holdout            bool    `json:"holdout,omitempty"`
}

// SurvivalCLV values a contractual cohort with clv.margin paid at the start
// of every period a customer is active, discounted at the per-period rate d
// (Fader & Hardie 2010):
//
//	new_customer = margin · DEL(d)                  the expected CLV of a just-acquired customer
//	survivors    = n_c                              customers active at the start of period c
//	per_survivor = margin · DERL(d | c+1)           the residual value of one of them
//	total        = n_c · margin · DERL(d | c+1)     the residual value of the cohort
//
// with c = survival.calibration_periods, valued at the end of period c (the
// next payment undiscounted). A value the model cannot give (d = 0 with
// α ≤ 1, where the lifetime has no finite mean) is null.
type SurvivalCLV struct {
	Margin      Metric `json:"margin"`
	NewCustomer Metric `json:"new_customer"`
	Survivors   Metric `json:"survivors"`
	PerSurvivor Metric `json:"per_survivor"`
	Total       Metric `json:"total"`
}

// SurvivalReport is one contractual model's fit, scores, projection and
// valuation in metrics.json. Error is set when the model failed, and the
// rest but the fit is then absent.
type SurvivalReport struct {
	// Fit is the estimate: model, params, std_errors, log_likelihood, aic,
	// bic, converged, iterations ...
	Fit   *models.FitResult `json:"fit"`
	Error string            `json:"error,omitempty"`
	// Survival scores the holdout periods (absent when there are none) and
	// Calibration the fitted periods.
	Survival    *SurvivalScores `json:"survival,omitempty"`
	Calibration *SurvivalScores `json:"calibration,omitempty"`
	// Projection lists every period of the data, fitted and holdout.
	Projection []SurvivalPoint `json:"projection,omitempty"`
	// DEL is the discounted expected lifetime of a new customer, DEL(d) =
	// Σ_{t≥0} S(t)/(1+d)^t, and DERL the discounted expected residual
	// lifetime DERL(d | DERLPeriods) of a customer active at the end of
	// calibration, DERLPeriods = c+1 (see models.FittedSBG); both in
	// periods of payment, null when undefined.
	DEL         *Metric `json:"del,omitempty"`
	DERL        *Metric `json:"derl,omitempty"`
	DERLPeriods int     `json:"derl_n,omitempty"`
	// CLV turns DEL and DERL into money with clv.margin.
	CLV *SurvivalCLV `json:"clv,omitempty"`
}

// SurvivalDataFacts describes the survivor counts read: the file as written
// in the config, its SHA-256, the cohort size n_0, the number of counts
// (periods 0 … last_period).
type SurvivalDataFacts struct {
	File       string `json:"file"`
	SHA256     string `json:"sha256"`
	CohortSize Metric `json:"cohort_size"`
	Periods    int    `json:"periods"`
	LastPeriod int    `json:"last_period"`
}

// SurvivalSplit describes a contractual experiment's split and valuation
// settings: fitted on periods 0 … calibration_periods, scored on the
// holdout_periods after them; the period's length, and the yearly discount
// rate converted to it as (1 + d)^(period days / 365.25) − 1.
type SurvivalSplit struct {
	CalibrationPeriods    int     `json:"calibration_periods"`
	HoldoutPeriods        int     `json:"holdout_periods"`
	Period                string  `json:"period"`
	PeriodDays            float64 `json:"period_days"`
	DiscountRatePerYear   float64 `json:"discount_rate_per_year"`
	DiscountRatePerPeriod float64 `json:"discount_rate_per_period"`
	Margin                float64 `json:"margin"`
}

// ContractualMetrics is the metrics.json of a contractual experiment (a
// config with a survival section): the same top level as a transaction-log
// run's MetricsFile (name, unit, data, split, models, gates, warnings), with
// the data, split and model reports of survivor counts. It holds no timings
// or timestamps: a rerun of the same config and data gives the same bytes.
type ContractualMetrics struct {
	Name     string                     `json:"name"`
	Unit     string                     `json:"unit"`
	Data     SurvivalDataFacts          `json:"data"`
	Split    SurvivalSplit              `json:"split"`
	Models   map[string]*SurvivalReport `json:"models"`
	Gates    []GateResult               `json:"gates,omitempty"`
	Warnings []string                   `json:"warnings,omitempty"`
}

// ReadContractualMetrics reads the metrics.json of a contractual run's
// results folder.
func ReadContractualMetrics(dir string) (*ContractualMetrics, error) {
	b, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		return nil, fmt.Errorf("reading contractual metrics: %w", err)
	}
	var m ContractualMetrics
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading contractual metrics %s: %w", filepath.Join(dir, "metrics.json"), err)
	}
	return &m, nil
}

// Lookup returns the metric at a path model.target.metric, target survival
// or calibration and metric one of SurvivalMetricNames, and whether it
// exists; the value may be NaN. Its method value is the lookup CheckGates
// takes.
func (m *ContractualMetrics) Lookup(path string) (float64, bool) {
	model, target, metric, err := SplitMetricPath(path)
	if err != nil {
		return 0, false
	}
	rep := m.Models[model]
	if rep == nil {
		return 0, false
	}
	var s *SurvivalScores
	switch target {
	case TargetSurvival:
		s = rep.Survival
	case TargetSurvivalCalibration:
		s = rep.Calibration
	}
	if s == nil {
		return 0, false
	}
	return s.Value(metric)
}

// Paths returns every metric path of m, sorted.
func (m *ContractualMetrics) Paths() []string {
	var out []string
	for name, rep := range m.Models {
		for target, s := range map[string]*SurvivalScores{TargetSurvival: rep.Survival, TargetSurvivalCalibration: rep.Calibration} {
			if s == nil {
				continue
			}
			for _, metric := range survivalScoreNames {
				out = append(out, name+"."+target+"."+metric)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckGates evaluates the gates against m (see the package-level
// CheckGates), adding to the message of a metric that is not found why: the
// model failed, the run has no holdout, or the closest existing paths.
func (m *ContractualMetrics) CheckGates(gates []Gate) []GateResult {
	out := CheckGates(gates, m.Lookup)
	for k := range out {
		if out[k].Found || out[k].Gate.Validate() != nil {
			continue
		}
		path := out[k].Gate.Metric
		model, target, _, err := SplitMetricPath(path)
		rep := m.Models[model]
		switch {
		case err == nil && rep != nil && rep.Error != "":
			out[k].Message += " (" + model + " failed)"
		case err == nil && rep != nil && target == TargetSurvival && rep.Calibration != nil && rep.Survival == nil:
			out[k].Message += fmt.Sprintf(" (there is no holdout: survival.calibration_periods %d is the last period of the data)", m.Split.CalibrationPeriods)
		default:
			if near := ClosestNames(path, m.Paths(), 3); len(near) > 0 {
				out[k].Message += " (did you mean " + strings.Join(near, " or ") + "?)"
			}
		}
	}
	return out
}

// SurvivalInput is the data of a contractual experiment as read from
// survival.path.
type SurvivalInput struct {
	// File is survival.path as written in the config, SHA256 the checksum
	// of its bytes.
	File   string
	SHA256 string
	// Survivors are the counts n_0 … n_m by period.
	Survivors []float64
}

// ReadSurvivalInput reads the survivor counts of a validated contractual
// config and checks them against survival.calibration_periods, which must
// not exceed the last period of the file. Problems with the file are
// returned as a *DataError.
func ReadSurvivalInput(cfg *Config) (*SurvivalInput, error) {
	if cfg.Survival == nil {
		return nil, fmt.Errorf("config %s has no survival section", cfg.File)
	}
	if !cfg.Resolved.valid {
		return nil, fmt.Errorf("config %s: ReadSurvivalInput needs a validated config (call Validate first)", cfg.File)
	}
	path := cfg.Resolved.SurvivalPath
	raw, err := inputfile.ReadAll(context.Background(), path, inputfile.SurvivalLimits)
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("reading survival.path: %w", err)}
	}
	survivors, err := datasets.ParseSurvivalCSV(bytes.NewReader(raw), cfg.Survival.Path)
	if err != nil {
		return nil, &DataError{Err: err}
	}
	if c, m := cfg.Survival.CalibrationPeriods, len(survivors)-1; c > m {
		return nil, &DataError{Err: fmt.Errorf("%s: survival.calibration_periods %d is beyond the file's last period %d: fit on at most periods 0…%d",
			cfg.Survival.Path, c, m, m)}
	}
	sum := sha256.Sum256(raw)
	return &SurvivalInput{File: cfg.Survival.Path, SHA256: hex.EncodeToString(sum[:]), Survivors: survivors}, nil
}

// SurvivalArtifacts is what a plot writer gets from a contractual run.
type SurvivalArtifacts struct {
	Config    *Config
	Metrics   *ContractualMetrics
	Survivors []float64
	// Fits holds the fitted models by name (a model that failed is absent).
	Fits map[string]models.FittedSurvival
}

// contractualRun is the experiment of a cohort's survivor counts (a config
// with a survival section). It reads the counts n_0 … n_m, fits each model
// on periods 0 … c (c = survival.calibration_periods), projects n_0·S(t)
// over every period, scores the projection on the fitted periods (target
// calibration) and on the holdout c+1 … m (target survival), values the
// cohort (DEL, DERL) and leaves projection.csv to write.
type contractualRun struct{}

func (contractualRun) execute(ctx context.Context, env *runEnv) (*runResult, error) {
	cfg := env.cfg
	t0 := time.Now()
	env.prog.step("reading " + cfg.Survival.Path)
	in, err := ReadSurvivalInput(cfg)
	if err != nil {
		return nil, err
	}
	env.timed("read", t0)
	cm := newContractualMetrics(cfg, in)

	t0 = time.Now()
	fits, seconds, failed, err := fitSurvivalModels(ctx, env, cm, in.Survivors)
	if err != nil {
		return nil, err
	}
	env.timed("fit", t0)
	if err := env.afterFit(ctx); err != nil {
		return nil, err
	}
	params := map[string]*models.FitResult{}
	for name, rep := range cm.Models {
		if rep.Fit != nil && rep.Fit.Params != nil {
			params[name] = rep.Fit
		}
	}
	s := in.Survivors
	return &runResult{
		metrics: cm, dataName: in.File, dataSHA: in.SHA256, modelSeconds: seconds, params: params, failed: failed,
		write: func(rd *resultsDir) error { return writeProjection(rd, cfg.Models, cm, s) },
		artifacts: &Artifacts{Config: cfg,
			Survival: &SurvivalArtifacts{Config: cfg, Metrics: cm, Survivors: slices.Clone(s), Fits: fits}},
	}, nil
}

// newContractualMetrics starts the metrics of a contractual run: the data,
// the split and the warning for a run without holdout periods.
func newContractualMetrics(cfg *Config, in *SurvivalInput) *ContractualMetrics {
	r := cfg.Resolved
	c := cfg.Survival.CalibrationPeriods
	s := in.Survivors
	m := len(s) - 1
	cm := &ContractualMetrics{
		Name: cfg.Name, Unit: r.Unit.Name,
		Data: SurvivalDataFacts{File: in.File, SHA256: in.SHA256, CohortSize: Metric(s[0]), Periods: len(s), LastPeriod: m},
		Split: SurvivalSplit{
			CalibrationPeriods: c, HoldoutPeriods: m - c, Period: r.Unit.Name, PeriodDays: r.Unit.Days(),
			DiscountRatePerYear: cfg.CLV.DiscountRate, DiscountRatePerPeriod: r.DiscountRatePerUnit, Margin: cfg.CLV.Margin,
		},
		Models: map[string]*SurvivalReport{},
	}
	if c == m {
		cm.Warnings = append(cm.Warnings, fmt.Sprintf("survival.calibration_periods %d is the last period of %s: the model is fitted on every period and there is no holdout to score (target %s is absent)", c, in.File, TargetSurvival))
	}
	return cm
}

// fitSurvivalModels fits every model of the config on the calibration
// periods, one after the other, and fills its report in cm.
func fitSurvivalModels(ctx context.Context, env *runEnv, cm *ContractualMetrics, s []float64) (map[string]models.FittedSurvival, map[string]float64, []string, error) {
	cfg := env.cfg
	c := cfg.Survival.CalibrationPeriods
	fits := map[string]models.FittedSurvival{}
	seconds := map[string]float64{}
	var failed []string
	opts := models.FitOptions{Penalty: cfg.Fit.Penalty, MaxIterations: cfg.Fit.MaxIterations}
	for _, name := range cfg.Models {
		env.prog.step(fmt.Sprintf("fitting %s on periods 0…%d", name, c))
		tm := time.Now()
		f, err := fitSurvivalModel(ctx, env.reg, name, s[:c+1], opts)
		seconds[name] = time.Since(tm).Seconds()
		if err := interrupted(ctx); err != nil {
			return nil, nil, nil, err
		}
		rep := &SurvivalReport{Fit: models.ResultOf(f)}
		if rep.Fit == nil {
			rep.Fit = &models.FitResult{Model: name}
		}
		for _, w := range rep.Fit.Warnings {
			cm.Warnings = append(cm.Warnings, name+": "+w)
		}
		if err == nil {
			err = describeSurvival(rep, f, s, c, cfg.Resolved.DiscountRatePerUnit, cfg.CLV.Margin)
		}
		if err != nil {
			rep.Error = err.Error()
			cm.Warnings = append(cm.Warnings, name+" failed: "+err.Error())
			failed = append(failed, name)
		} else {
			fits[name] = f
			cm.Warnings = append(cm.Warnings, valuationWarnings(name, rep)...)
		}
		cm.Models[name] = rep
	}
	return fits, seconds, failed, nil
}

// fitSurvivalModel fits the named contractual model to survivor counts; a
// panic is reported as the model's error.
func fitSurvivalModel(ctx context.Context, reg *models.Registry, name string, survivors []float64, o models.FitOptions) (f models.FittedSurvival, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("%s: internal error: %v\n%s", name, p, debug.Stack())
		}
	}()
	d, ok := reg.Lookup(models.KindContractual, name)
	if !ok {
		return nil, fmt.Errorf("%s is not a contractual model", name)
	}
	return d.Survival(ctx, survivors, o)
}

// describeSurvival fills a fitted model's report: the projection of every
// period, the scores of the calibration and holdout periods, and the
// valuation at discount rate d per period.
func describeSurvival(rep *SurvivalReport, f models.FittedSurvival, s []float64, c int, d, margin float64) error {
	m := len(s) - 1
	curve := f.SurvivalCurve(m)
	pred := make([]float64, m+1)
	for t := range pred {
		pred[t] = s[0] * curve[t]
	}
	for t := 0; t <= m; t++ {
		p := SurvivalPoint{Period: t, Actual: Metric(s[t]), Predicted: finiteOrNaN(pred[t]), Holdout: t > c}
		if t > 0 {
			ra, rp := Metric(math.NaN()), finiteOrNaN(f.Retention(t))
			if s[t-1] > 0 {
				ra = Metric(s[t] / s[t-1])
			}
			p.RetentionActual, p.RetentionPredicted = &ra, &rp
		}
		rep.Projection = append(rep.Projection, p)
	}
	cal, err := ScoreSurvival(s, pred, 1, c)
	if err != nil {
		return fmt.Errorf("scoring the calibration periods: %w", err)
	}
	rep.Calibration = &cal
	if c < m {
		hold, err := ScoreSurvival(s, pred, c+1, m)
		if err != nil {
			return fmt.Errorf("scoring the holdout periods: %w", err)
		}
		rep.Survival = &hold
	}

	del, derl := Metric(math.NaN()), Metric(math.NaN())
	if v, err := f.DEL(d); err == nil {
		del = finiteOrNaN(v)
	}
	if v, err := f.DERL(d, c+1); err == nil {
		derl = finiteOrNaN(v)
	}
	rep.DEL, rep.DERL, rep.DERLPeriods = &del, &derl, c+1
	rep.CLV = &SurvivalCLV{
		Margin: Metric(margin), NewCustomer: finiteOrNaN(margin * float64(del)), Survivors: Metric(s[c]),
		PerSurvivor: finiteOrNaN(margin * float64(derl)), Total: finiteOrNaN(s[c] * margin * float64(derl)),
	}
	return nil
}

// valuationWarnings explains a DEL or DERL the model cannot give.
func valuationWarnings(name string, rep *SurvivalReport) []string {
	var out []string
	if rep.DEL != nil && !rep.DEL.Defined() {
		out = append(out, fmt.Sprintf("%s: the discounted expected lifetime (del) is undefined at this discount rate (alpha=%.4g ≤ 1 has no finite mean lifetime): set clv.discount_rate > 0", name, rep.Fit.Params["alpha"]))
	}
	if rep.DERL != nil && !rep.DERL.Defined() {
		out = append(out, fmt.Sprintf("%s: the discounted expected residual lifetime (derl) is undefined at this discount rate: set clv.discount_rate > 0", name))
	}
	return out
}

// writeProjection writes projection.csv: one row per period with the
// actual survivors and retention rate and, for each model that succeeded,
// its projected survivors and retention rate (empty where undefined).
func writeProjection(rd *resultsDir, names []string, cm *ContractualMetrics, s []float64) error {
	var ok []string
	for _, name := range names {
		if rep := cm.Models[name]; rep != nil && rep.Error == "" && len(rep.Projection) > 0 {
			ok = append(ok, name)
		}
	}
	return rd.writeFile("projection.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		header := []string{"period", "holdout", "actual", "retention_actual"}
		for _, name := range ok {
			header = append(header, name+"_predicted", name+"_retention")
		}
		if err := cw.Write(header); err != nil {
			return err
		}
		for t := 0; t <= cm.Data.LastPeriod; t++ {
			ret := ""
			if t > 0 && s[t-1] > 0 {
				ret = formatFloat(s[t] / s[t-1])
			}
			row := []string{strconv.Itoa(t), strconv.FormatBool(t > cm.Split.CalibrationPeriods), formatFloat(s[t]), ret}
			for _, name := range ok {
				p := cm.Models[name].Projection[t]
				row = append(row, csvMetric(p.Predicted), csvMetricPtr(p.RetentionPredicted))
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

func csvMetric(m Metric) string {
	if !m.Defined() {
		return ""
	}
	return formatFloat(float64(m))
}

func csvMetricPtr(m *Metric) string {
	if m == nil {
		return ""
	}
	return csvMetric(*m)
}
