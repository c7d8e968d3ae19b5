package experiments

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/clv-dev/clv/experiments/inputfile"
)

// RunMetrics is the metrics.json of any kind of run: a backtest's
// *MetricsFile or a contractual run's *ContractualMetrics. Every metric is
// reached by one path, model.target.metric (see SplitMetricPath).
type RunMetrics interface {
	// Lookup returns the metric at a path and whether it exists; the value
	// may be NaN.
	Lookup(path string) (float64, bool)
	// Paths returns every metric path, sorted.
	Paths() []string
	// CheckGates evaluates gates, explaining a metric not found.
	CheckGates(gates []Gate) []GateResult
	// CompareRows returns one row per model and target, for clv compare.
	CompareRows(run string) []CompareRow
	// ModelError returns the error of a model that failed ("" otherwise).
	ModelError(name string) string
	// WriteSummary writes a few lines on the run's main scores, for the
	// console, the models in the given order (then any others, sorted).
	WriteSummary(w io.Writer, order []string)
	setGates(g []GateResult)
}

var (
	_ RunMetrics = (*MetricsFile)(nil)
	_ RunMetrics = (*ContractualMetrics)(nil)
)

// ReadMetrics reads the metrics.json of a results folder of any kind: a
// contractual run's (its split has calibration_periods) or a backtest's.
func ReadMetrics(ctx context.Context, dir string) (RunMetrics, error) {
	path := filepath.Join(dir, "metrics.json")
	b, err := inputfile.ReadAll(ctx, path, inputfile.MetricsLimits)
	if err != nil {
		return nil, fmt.Errorf("%s is not a results folder: %w", dir, err)
	}
	var probe struct {
		Split struct {
			CalibrationPeriods *int `json:"calibration_periods"`
		} `json:"split"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var m RunMetrics = &MetricsFile{}
	if probe.Split.CalibrationPeriods != nil {
		m = &ContractualMetrics{}
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return m, nil
}

// MetricsFile's Lookup, Paths and CheckGates (scores and interval
// metrics) are in intervals_metrics.go.

// ModelError returns the error of a model that failed.
func (mf *MetricsFile) ModelError(name string) string {
	if rep := mf.Models[name]; rep != nil {
		return rep.Error
	}
	return ""
}

func (mf *MetricsFile) setGates(g []GateResult) { mf.Gates = g }

// WriteSummary writes the customers and rows read and a table of each
// model's holdout purchases: predicted, actual, bias, mae and pearson.
func (mf *MetricsFile) WriteSummary(w io.Writer, order []string) {
	fmt.Fprintf(w, "%d customers in calibration, %d rows read, %d rejected\n", mf.Data.CalibrationCustomers, mf.Data.RowsRead, mf.Data.RowsRejected)
	for _, warning := range mf.Warnings {
		fmt.Fprintln(w, "warning:", warning)
	}
	if mf.Split.Forecast {
		mf.writeForecastSummary(w, order)
		return
	}
	fmt.Fprintf(w, "%-10s %12s %12s %9s %9s %9s\n", "model", "predicted", "actual", "bias", "mae", "pearson")
	for _, name := range inOrder(order, mf.Models) {
		rep := mf.Models[name]
		if rep.Holdout == nil {
			fmt.Fprintf(w, "%-10s failed: %s\n", name, rep.Error)
			continue
		}
		h := rep.Holdout
		fmt.Fprintf(w, "%-10s %12.1f %12.1f %9.4f %9.4f %9.4f\n", name, float64(h.PredictedTotal), float64(h.ActualTotal), float64(h.Bias), float64(h.MAE), float64(h.Pearson))
	}
	for _, line := range append(mf.Verdict.VerdictLines(), mf.Intervals.IntervalLines(inOrder(order, mf.Models))...) {
		fmt.Fprintln(w, line)
	}
	for _, g := range mf.Gates {
		fmt.Fprintln(w, g.Message)
	}
}

// CompareRows returns one row per model and target (survival,
// calibration) with the survival scores.
func (m *ContractualMetrics) CompareRows(run string) []CompareRow {
	var out []CompareRow
	for name, rep := range m.Models {
		for target, s := range map[string]*SurvivalScores{TargetSurvival: rep.Survival, TargetSurvivalCalibration: rep.Calibration} {
			if s == nil {
				continue
			}
			values := map[string]float64{}
			for _, metric := range survivalScoreNames {
				values[metric], _ = s.Value(metric)
			}
			out = append(out, CompareRow{Run: run, Model: name, Target: target, Metrics: values})
		}
	}
	slices.SortFunc(out, func(a, b CompareRow) int {
		return cmp.Or(cmp.Compare(a.Model, b.Model), cmp.Compare(a.Target, b.Target))
	})
	return out
}

// ModelError returns the error of a model that failed.
func (m *ContractualMetrics) ModelError(name string) string {
	if rep := m.Models[name]; rep != nil {
		return rep.Error
	}
	return ""
}

func (m *ContractualMetrics) setGates(g []GateResult) { m.Gates = g }

// WriteSummary writes the cohort and each model's holdout survivors:
// predicted, actual, bias and mape.
func (m *ContractualMetrics) WriteSummary(w io.Writer, order []string) {
	fmt.Fprintf(w, "cohort of %g customers over %d %ss, fitted on periods 0..%d\n", float64(m.Data.CohortSize), m.Data.Periods, m.Unit, m.Split.CalibrationPeriods)
	for _, name := range inOrder(order, m.Models) {
		rep := m.Models[name]
		switch {
		case rep.Error != "":
			fmt.Fprintf(w, "%-10s failed: %s\n", name, rep.Error)
		case rep.Survival != nil:
			fmt.Fprintf(w, "%-10s holdout survivors: predicted %.1f, actual %.1f, bias %.4f, mape %.4f\n",
				name, float64(rep.Survival.PredictedTotal), float64(rep.Survival.ActualTotal), float64(rep.Survival.Bias), float64(rep.Survival.MAPE))
		default:
			fmt.Fprintf(w, "%-10s fitted (no holdout periods to score)\n", name)
		}
	}
	for _, g := range m.Gates {
		fmt.Fprintln(w, g.Message)
	}
}

// inOrder returns the keys of m in the order of names, then any others
// sorted.
func inOrder[V any](names []string, m map[string]V) []string {
	out := make([]string, 0, len(m))
	for _, n := range names {
		if _, ok := m[n]; ok && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
