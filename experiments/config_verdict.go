package experiments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// VerdictConfig sets how a run names the best model (see verdict_metrics.go).
type VerdictConfig struct {
	// Metric is the per-customer loss the verdict compares: squared_error
	// (the default), absolute_error or squared_log_error.
	Metric string `mapstructure:"metric" json:"metric,omitempty"`
	// Resamples is the number of paired bootstrap resamples (default
	// 1000, at least 100).
	Resamples int `mapstructure:"resamples" json:"resamples,omitempty"`
}

// IntervalsConfig sets the prediction intervals (see intervals_metrics.go).
type IntervalsConfig struct {
	// Levels are the interval probabilities, each in (0, 1) (default
	// [0.8, 0.95]); an empty list switches intervals off.
	Levels []float64 `mapstructure:"levels" json:"levels,omitzero"`
	// Draws is the number of parameter draws mixed into every interval
	// (default 20).
	Draws int `mapstructure:"draws" json:"draws,omitempty"`
	// Models are the models that get intervals when they are run (default
	// all that have a predictive distribution: bgnbd, mbgnbd, paretonbd
	// and bgbb).
	Models []string `mapstructure:"models" json:"models,omitempty"`
	// Money switches the spend, revenue and CLV intervals on or off (nil:
	// on when the spend model is Gamma-Gamma). They cost far more than the
	// purchase intervals on large logs: each history's revenue quantiles
	// are root searches over a mixture of incomplete beta functions.
	Money *bool `mapstructure:"money" json:"money,omitempty"`
}

// MoneyIntervals reports whether intervals.money leaves the spend,
// revenue and CLV intervals on (the default).
func (c IntervalsConfig) MoneyIntervals() bool { return c.Money == nil || *c.Money }

// Defaults of the verdict and intervals keys.
const (
	DefaultVerdictRunResamples = 1000
	DefaultIntervalRunDraws    = 20
)

// DefaultIntervalLevels returns the default intervals.levels.
func DefaultIntervalLevels() []float64 { return []float64{0.8, 0.95} }

// DefaultIntervalModels returns the default intervals.models.
func DefaultIntervalModels() []string { return []string{"bgnbd", "mbgnbd", "paretonbd", "bgbb"} }

var (
	// intervalCapableModels have a predictive distribution.
	intervalCapableModels = []string{"bgnbd", "mbgnbd", "paretonbd", "bgbb"}
	verdictMetrics        = []string{VerdictSquaredError, VerdictAbsoluteError, VerdictSquaredLogError}
)

// canonicalVerdict leaves the verdict and intervals keys out of the
// canonical form at their defaults (keys added after the first release:
// a config that does not use them keeps its hash).
func canonicalVerdict(k *Config) {
	if k.Verdict.Metric == DefaultVerdictMetric || k.Verdict.Metric == "" {
		k.Verdict.Metric = ""
	}
	if k.Verdict.Resamples == DefaultVerdictRunResamples {
		k.Verdict.Resamples = 0
	}
	k.Intervals.Levels = slices.Clone(k.Intervals.Levels)
	if slices.Equal(k.Intervals.Levels, DefaultIntervalLevels()) {
		k.Intervals.Levels = nil
	} else if k.Intervals.Levels != nil && len(k.Intervals.Levels) == 0 {
		k.Intervals.Levels = []float64{} // off: kept apart from the default
	}
	if k.Intervals.Draws == DefaultIntervalRunDraws {
		k.Intervals.Draws = 0
	}
	k.Intervals.Models = slices.Clone(k.Intervals.Models)
	if slices.Equal(k.Intervals.Models, DefaultIntervalModels()) {
		k.Intervals.Models = nil
	}
	if k.Intervals.MoneyIntervals() {
		k.Intervals.Money = nil
	}
}

// verdictProblems checks the verdict and intervals keys.
func (c *Config) verdictProblems() []Problem {
	var ps cfgProblems
	if m := c.Verdict.Metric; m != "" && !slices.Contains(verdictMetrics, m) {
		ps.add("verdict.metric", "%q is not one of %s", m, strings.Join(verdictMetrics, ", "))
	}
	if r := c.Verdict.Resamples; r != 0 && r < 100 {
		ps.add("verdict.resamples", "%d is too few for a percentile interval: use at least 100 (default %d)", r, DefaultVerdictRunResamples)
	}
	seen := map[string]bool{}
	for i, l := range c.Intervals.Levels {
		key := fmt.Sprintf("intervals.levels[%d]", i)
		switch {
		case !(l > 0 && l < 1):
			ps.add(key, "%v must lie strictly between 0 and 1 (0.8 is an 80%% interval)", l)
		case seen[LevelTarget(l)]:
			ps.add(key, "%v is listed twice", l)
		}
		seen[LevelTarget(l)] = true
	}
	if d := c.Intervals.Draws; d < 0 {
		ps.add("intervals.draws", "%d must be ≥ 1 (default %d)", d, DefaultIntervalRunDraws)
	}
	for i, m := range c.Intervals.Models {
		if !slices.Contains(intervalCapableModels, m) {
			ps.add(fmt.Sprintf("intervals.models[%d]", i), "%q has no predictive distribution: intervals exist for %s (the heuristics get none)",
				m, strings.Join(intervalCapableModels, ", "))
		}
	}
	return ps.list
}

// LevelTarget names the gate target of an interval level: interval_80 for
// 0.8, interval_97_5 for 0.975.
func LevelTarget(level float64) string {
	pct := strconv.FormatFloat(level*100, 'f', -1, 64)
	if f, err := strconv.ParseFloat(strconv.FormatFloat(level*100, 'f', 6, 64), 64); err == nil {
		pct = strconv.FormatFloat(f, 'f', -1, 64) // 0.95*100 = 94.99999999999999
	}
	return "interval_" + strings.ReplaceAll(pct, ".", "_")
}

// intervalModelsOf returns the config's models that get intervals, in
// config order.
func intervalModelsOf(cfg *Config) []string {
	if len(cfg.Intervals.Levels) == 0 {
		return nil
	}
	var out []string
	for _, m := range cfg.Models {
		if slices.Contains(cfg.Intervals.Models, m) {
			out = append(out, m)
		}
	}
	return out
}

// intervalGatePath checks a gate on an interval metric,
// model.interval_80.coverage: a listed model that gets intervals, a
// configured level and a metric of IntervalMetricNames.
func (k *cfgCheck) intervalGatePath(key, metric string, parts []string, listed map[string]bool) {
	if !listed[parts[0]] {
		k.ps.add(key, "%q: model %q is not in models (%s)", metric, parts[0], cfgShortList(k.c.Models))
	} else if !slices.Contains(k.c.Intervals.Models, parts[0]) {
		k.ps.add(key, "%q: model %q gets no prediction intervals: add it to intervals.models (%s have a predictive distribution)",
			metric, parts[0], strings.Join(intervalCapableModels, ", "))
	}
	var targets []string
	for _, l := range k.c.Intervals.Levels {
		targets = append(targets, LevelTarget(l))
		if k.r.SpendModel == "gammagamma" && k.c.Intervals.MoneyIntervals() {
			targets = append(targets, RevenueTarget(l))
		}
	}
	switch {
	case strings.HasPrefix(parts[1], "revenue_") && k.r.SpendModel != "gammagamma":
		k.ps.add(key, "%q: revenue intervals need the Gamma-Gamma spend model (spend_model: gammagamma)", metric)
	case strings.HasPrefix(parts[1], "revenue_") && !k.c.Intervals.MoneyIntervals():
		k.ps.add(key, "%q: revenue intervals are switched off by intervals.money: false (remove the gate or the key)", metric)
	case !slices.Contains(targets, parts[1]):
		k.ps.add(key, "%q: target %q names no level of intervals.levels (the targets are %s)", metric, parts[1], strings.Join(targets, ", "))
	}
	if !slices.Contains(intervalMetricNames, parts[2]) {
		k.ps.add(key, "%q: metric %q is not one of %s", metric, parts[2], strings.Join(intervalMetricNames, ", "))
	}
}
