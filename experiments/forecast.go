package experiments

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// forecastProbeEnd is the calibration end a log is first read with when a
// forecast runs to the data's last date: later than any transaction, so
// that the read finds that date (datasets.Summary.LastDate).
func forecastProbeEnd() time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }

// forecastRun is the experiment of a config without split.holdout_end: the
// models are fitted on every purchase up to split.calibration_end (by
// default the data's last date) and every customer is predicted over
// clv.horizon: expected purchases, P(alive), expected spend per purchase,
// CLV, net CLV and value tier. Nothing is scored: there is no holdout.
type forecastRun struct{}

func (forecastRun) execute(ctx context.Context, env *runEnv) (*runResult, error) {
	data, err := openRunData(ctx, env.cfg)
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
	t0 := time.Now()
	env.prog.step("reading and summarizing " + data.Name)
	cfg, s, discrete, err := forecastData(env, data)
	if err != nil {
		return nil, err
	}
	env.cfg = cfg // the calibration end resolved: the manifest states it
	w := cfg.Resolved.Windows[0]
	env.timed("read", t0)
	readDone(env, data)
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	collectGarbage() // the reader's tables (see runWindow)
	t0 = time.Now()
	env.prog.step("fitting and predicting " + forecastLabel(cfg))
	var afterFit error
	wr := fitPredictWindow(ctx, cfg, env.reg, s, discrete, w, env.prog, func() {
		env.timed("fit", t0)
		t0 = time.Now()
		afterFit = env.afterFit(ctx)
	})
	if afterFit != nil {
		return nil, afterFit
	}
	if err := interrupted(ctx); err != nil {
		return nil, err
	}
	if err := intervalsUnlessDone(ctx, cfg, env.reg, wr); err != nil { // over clv.horizon, the forecast's period
		return nil, err
	}
	env.timed("predict", t0)
	startPredictions(env, cfg, wr)
	mf, err := buildMetrics(ctx, cfg, env.reg, data.Name, wr, []*windowResult{wr})
	if err != nil {
		return nil, err
	}
	wr.releaseScoring()
	collectGarbage()
	res := mainWindowResult(cfg, mf, wr, 1, data.Name)
	if handed, err = res.checksumOf(data); err != nil {
		return nil, err
	}
	return res, nil
}

// forecastData reads the log of a forecast run: the config with its
// calibration end resolved (the data's last date when not given, the end
// of that date's period with models of discrete periods), and the
// summaries whose customers are each predicted over clv.horizon.
func forecastData(env *runEnv, data *LogInput) (*Config, *datasets.Summary, *datasets.Summary, error) {
	cfg := env.cfg
	w := cfg.Resolved.Windows[0]
	var s *datasets.Summary
	if w.CalibrationEnd.IsZero() {
		var err error
		if cfg, s, err = forecastToLastDate(env, data); err != nil {
			return nil, nil, nil, err
		}
		w = cfg.Resolved.Windows[0]
	} else {
		var err error
		if s, err = summarizeWindow(cfg, data, w, env.rd, false); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := CheckSplitAgainstData(cfg, s.LastDate); err != nil {
		return nil, nil, nil, err
	}
	var discrete *datasets.Summary
	if len(discreteModels(cfg, env.reg)) > 0 {
		var err error
		if discrete, err = summarizeDiscrete(cfg, data, w, env.rd, s); err != nil {
			return nil, nil, nil, err
		}
	}
	setForecastHorizon(s, cfg.Resolved.Horizon)
	setForecastHorizon(discrete, cfg.Resolved.Horizon)
	return cfg, s, discrete, nil
}

// forecastToLastDate reads the log of a forecast whose calibration end is
// the data's last date, once when it can: the last lines of the log (a
// time-ordered log ends on its last date) give a candidate end, the log is
// read to it, and the read confirms it when the data's last date (every
// row's, those set aside included) is the candidate. Otherwise, or without
// a candidate, the log is read again to the last date that read found: the
// summary is then the same as one read to the data's last date from the
// start.
func forecastToLastDate(env *runEnv, data *LogInput) (*Config, *datasets.Summary, error) {
	cfg := env.cfg
	main := BacktestWindow{CalibrationEnd: forecastProbeEnd(), Main: true}
	if end, ok := candidateLastDate(env, data); ok {
		c := cfg.withCalibrationEnd(end)
		s, err := summarizeWindow(c, data, c.Resolved.Windows[0], env.rd, false)
		if err == nil && lastDate(c, env.reg, s).Equal(end) {
			return c, s, nil
		}
		if err == nil {
			main.CalibrationEnd = lastDate(c, env.reg, s)
		}
	}
	if main.CalibrationEnd.Equal(forecastProbeEnd()) {
		probe, err := summarizeWindow(cfg, data, main, env.rd, false)
		if err != nil {
			return nil, nil, err
		}
		main.CalibrationEnd = lastDate(cfg, env.reg, probe)
	}
	cfg = cfg.withCalibrationEnd(main.CalibrationEnd)
	s, err := summarizeWindow(cfg, data, cfg.Resolved.Windows[0], env.rd, false)
	return cfg, s, err
}

// forecastTailBytes is how much of the end of a log is read for the
// candidate of its last date.
const forecastTailBytes = 64 << 10

// candidateLastDate returns the last date of the log's last lines (with
// models of discrete periods the end of its period), read with the
// config's layout and bad rows skipped; ok is false when there is none.
func candidateLastDate(env *runEnv, data *LogInput) (time.Time, bool) {
	first, last, ok := data.ends(forecastTailBytes)
	if !ok || len(last) == 0 {
		return time.Time{}, false
	}
	cfg := env.cfg
	ro := ReadOptions(cfg)
	ro.OnBadRow, ro.RejectsPath, ro.ExcludeAfterEnd = "skip", "", true
	so := datasets.SummaryOptions{Unit: cfg.Resolved.Unit, CalibrationEnd: forecastProbeEnd()}
	chunk := append(append([]byte(nil), first...), last...)
	s, err := datasets.Summarize(bytes.NewReader(chunk), data.Name, ro, so)
	if err != nil || s.LastDate.IsZero() {
		return time.Time{}, false
	}
	return lastDate(cfg, env.reg, s), true
}

// withCalibrationEnd returns a copy of a forecast config whose calibration
// end was left to the data, with that end filled in.
func (c *Config) withCalibrationEnd(end time.Time) *Config {
	out := *c
	out.Resolved.CalibrationEnd = end
	out.Resolved.Windows = []BacktestWindow{{CalibrationEnd: end, Main: true}}
	out.Resolved.CalibrationEndFromData = true
	return &out
}

// setForecastHorizon makes every customer's prediction period the CLV
// horizon (a forecast has no holdout whose length would set it).
func setForecastHorizon(s *datasets.Summary, horizon float64) {
	if s == nil {
		return
	}
	for i := range s.Customers {
		s.Customers[i].DurationHoldout = horizon
	}
}

// forecastLabel describes a forecast's window for progress and reports.
func forecastLabel(cfg *Config) string {
	r := cfg.Resolved
	from := "split.calibration_end"
	if r.CalibrationEndFromData {
		from = "the last date in the data"
	}
	return fmt.Sprintf("a forecast from %s (%s) over %g %ss", r.CalibrationEnd.Format(time.DateOnly), from, r.Horizon, r.Unit.Name)
}

// startPredictions starts writing the main window's predictions file,
// which needs the predictions and their tiers only, in the background: it
// is written while the run scores (see writers.go). The figures that need
// no scores start with it (plots_early.go).
func startPredictions(env *runEnv, cfg *Config, mainWin *windowResult) {
	env.writers.startTrailing(env, "write_predictions", func() error { return writePredictions(env.rd, cfg, mainWin) })
	startPlots(env, cfg, mainWin)
}

// mainWindowResult is the result of a run whose files come from its main
// window: metrics, params.json and the artifacts for the plots and report
// (the predictions file was started by startPredictions).
func mainWindowResult(cfg *Config, mf *MetricsFile, mainWin *windowResult, windows int, dataName string) *runResult {
	res := &runResult{
		metrics: mf, dataName: dataName, modelSeconds: maps.Clone(mainWin.seconds),
		params: paramsOf(mainWin),
		artifacts: &Artifacts{Config: cfg, Metrics: mf, Summary: mainWin.summary, Predictions: mainWin.preds,
			Fits: mainWin.fits, Spend: mainWin.spend, Windows: windows},
	}
	for _, name := range cfg.Models {
		if mainWin.errs[name] != nil {
			res.failed = append(res.failed, name)
		}
	}
	return res
}

// writeForecastSummary writes the console summary of a forecast run: its
// calibration end and horizon, and each model's total and mean CLV.
func (mf *MetricsFile) writeForecastSummary(w io.Writer, order []string) {
	from := ""
	if mf.Split.CalibrationEndFromData {
		from = " (the last date in the data)"
	}
	fmt.Fprintf(w, "forecast from %s%s over %g %ss (no holdout: nothing scored)\n", mf.Split.CalibrationEnd, from, mf.Split.Horizon, mf.Unit)
	fmt.Fprintf(w, "%-10s %14s %12s\n", "model", "total CLV", "mean CLV")
	for _, name := range inOrder(order, mf.Models) {
		rep := mf.Models[name]
		switch {
		case rep.Error != "":
			fmt.Fprintf(w, "%-10s failed: %s\n", name, rep.Error)
		case rep.CLV == nil:
			fmt.Fprintf(w, "%-10s %14s %12s\n", name, "-", "-")
		default:
			fmt.Fprintf(w, "%-10s %14.2f %12.4f\n", name, float64(rep.CLV.Total), float64(rep.CLV.Mean))
		}
	}
}
