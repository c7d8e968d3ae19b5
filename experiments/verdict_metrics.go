package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/clv-dev/clv/models"
)

// The verdict of a run: per target (holdout purchases, holdout revenue),
// the model with the lowest mean loss on the primary metric (verdict.metric,
// the squared error per customer by default, see DefaultVerdictMetric) and,
// for every other model, the difference with a 95% paired bootstrap
// interval over the customers (PairedBootstrap, verdict.resamples
// resamples seeded by the config's seed); a model whose interval covers 0
// is indistinguishable from the best. With rolling origins, each model's
// mean rank and wins over the windows on the same metric (its mean form:
// rmse for the squared error, mae, msle).
//
// Alongside: which models' AIC/BIC may be compared (those fitted by
// likelihood on the same calibration summary), which fits are weakly
// identified, and which models' cohort bias is beyond ±50%.

// LargeBias is the cohort bias beyond which a model is marked next to its
// stars: a model off by more than half the total is not a usable forecast,
// whatever its per-customer scores.
const LargeBias = 0.5

// VerdictReport is the verdict section of metrics.json.
type VerdictReport struct {
	Metric string `json:"metric"`
	// Targets maps holdout and holdout_revenue to their verdicts.
	Targets map[string]*TargetVerdict `json:"targets"`
	// Likelihood says which models' AIC and BIC are comparable.
	Likelihood *LikelihoodComparison `json:"likelihood_comparison,omitempty"`
	// WeaklyIdentified lists the fits whose parameters the data pin only
	// loosely (FitResult.WeaklyIdentified; spend:<model> for the spend
	// model).
	WeaklyIdentified []string `json:"weakly_identified,omitempty"`
}

// TargetVerdict is one target's verdict.
type TargetVerdict struct {
	*Verdict
	// LargeBias lists the models whose cohort bias is beyond ±LargeBias.
	LargeBias []string `json:"large_bias,omitempty"`
	// Excluded names the models left out of the comparison and why.
	Excluded map[string]string `json:"excluded,omitempty"`
	// Origins ranks the models over the backtest windows (absent without
	// origins) on OriginMetric.
	OriginMetric string       `json:"origin_metric,omitempty"`
	Origins      []OriginRank `json:"origins,omitempty"`
	// Error says why there is no verdict (fewer than two models scored).
	Error string `json:"error,omitempty"`
}

// LikelihoodComparison names the models whose information criteria are
// comparable: fitted by maximum likelihood on the same data.
type LikelihoodComparison struct {
	Data    string   `json:"data"`
	Models  []string `json:"models"`
	BestAIC string   `json:"best_aic,omitempty"`
	BestBIC string   `json:"best_bic,omitempty"`
}

// verdictScoreMetric maps a verdict metric to the Scores metric that is
// its mean (or a monotone function of it).
var verdictScoreMetric = map[string]string{VerdictSquaredError: "rmse", VerdictAbsoluteError: "mae", VerdictSquaredLogError: "msle"}

// buildVerdict computes the verdict of a run from the main window's
// predictions and mf's scores (which must be filled in).
func buildVerdict(cfg *Config, reg *models.Registry, mf *MetricsFile, mainWin *windowResult) *VerdictReport {
	return startVerdict(context.Background(), cfg, reg, mainWin).finish(mf)
}

// pendingVerdict is a verdict whose bootstrap runs in the background.
type pendingVerdict struct {
	cfg     *Config
	reg     *models.Registry
	mainWin *windowResult
	metric  string
	targets []string
	tvs     []*TargetVerdict
	done    chan struct{}
	cancel  context.CancelFunc
}

// startVerdict starts the verdict's paired bootstraps, one stream of
// resamples for every target, in the background: they need the main
// window's predictions and actuals only, so they run while the models
// are scored, until ctx is done or stop is called. It returns nil
// without a holdout.
func startVerdict(ctx context.Context, cfg *Config, reg *models.Registry, mainWin *windowResult) *pendingVerdict {
	if !mainWin.summary.HasHoldout {
		return nil
	}
	metric := cfg.Verdict.Metric
	if metric == "" {
		metric = DefaultVerdictMetric
	}
	actP, actR := mainWin.holdoutTargets()
	targets := []string{TargetPurchases}
	if mainWin.summary.HasAmount && mainWin.spend != nil {
		targets = append(targets, TargetRevenue)
	}
	names, left := comparableModels(cfg, reg, mainWin)
	if len(names) > 0 && reg != nil && mainWin.isDiscrete(reg, names[0]) {
		actP, actR = mainWin.modelActuals(reg, names[0])
	}
	ctx, cancel := context.WithCancel(ctx)
	pv := &pendingVerdict{cfg: cfg, reg: reg, mainWin: mainWin, metric: metric, targets: targets, done: make(chan struct{}), cancel: cancel}
	actuals := make([][]float64, len(targets))
	preds := make([]map[string]predSource, len(targets))
	for t, target := range targets {
		actuals[t], preds[t] = actP, map[string]predSource{}
		if target == TargetRevenue {
			actuals[t] = actR
		}
		for _, name := range names {
			if mainWin.preds[name] != nil {
				q := PredPurchases
				if target == TargetRevenue {
					q = PredRevenue
				}
				preds[t][name] = predSource{pred: mainWin.preds[name], q: q} // read a block at a time
			}
		}
	}
	o := VerdictOptions{Metric: metric, Resamples: cfg.Verdict.Resamples, Level: 0.95, Seed: cfg.Seed}
	go func() {
		defer close(pv.done)
		pv.tvs = targetVerdictsOf(ctx, names, preds, actuals, o)
		for _, tv := range pv.tvs {
			for name, why := range left {
				if tv.Excluded == nil {
					tv.Excluded = map[string]string{}
				}
				tv.Excluded[name] = why
			}
		}
	}()
	return pv
}

// stop ends the bootstraps of a verdict that will not be finished (the
// score stage failed), so that they do not run on until the run's
// context ends; after finish it does nothing. A nil pendingVerdict is
// left alone.
func (pv *pendingVerdict) stop() {
	if pv != nil {
		pv.cancel()
	}
}

// finish waits for the bootstraps and adds what needs mf's scores: the
// models of large bias, the ranks over origins, the likelihood comparison
// and the weakly identified fits. A nil pendingVerdict gives nil.
func (pv *pendingVerdict) finish(mf *MetricsFile) *VerdictReport {
	if pv == nil {
		return nil
	}
	<-pv.done
	cfg, mainWin := pv.cfg, pv.mainWin
	v := &VerdictReport{Metric: pv.metric, Targets: map[string]*TargetVerdict{}}
	for t, target := range pv.targets {
		tv := pv.tvs[t]
		tv.LargeBias = largeBias(mf, cfg.Models, target)
		if mf.Backtest != nil {
			tv.OriginMetric = verdictScoreMetric[pv.metric]
			tv.Origins = RankOverOrigins(originScores(mf.Backtest, target, tv.OriginMetric))
		}
		v.Targets[target] = tv
	}
	v.Likelihood = likelihoodComparison(cfg, pv.reg, mainWin)
	for _, name := range cfg.Models {
		if r := mainWin.results[name]; r != nil && r.WeaklyIdentified {
			v.WeaklyIdentified = append(v.WeaklyIdentified, name)
		}
	}
	if r := mainWin.spendFit; r != nil && r.WeaklyIdentified {
		v.WeaklyIdentified = append(v.WeaklyIdentified, "spend:"+r.Model)
	}
	return v
}

// comparableModels returns the models a verdict compares, scored on the
// same actuals: the models of continuous time (holdout purchases) when
// there are any, the models of discrete opportunities (holdout periods
// with a purchase) otherwise; and those left out, with why.
func comparableModels(cfg *Config, reg *models.Registry, wr *windowResult) (names []string, left map[string]string) {
	var continuous, discrete []string
	for _, name := range cfg.Models {
		if reg != nil && wr.isDiscrete(reg, name) {
			discrete = append(discrete, name)
		} else {
			continuous = append(continuous, name)
		}
	}
	if len(continuous) == 0 {
		return discrete, nil
	}
	left = map[string]string{}
	for _, name := range discrete {
		left[name] = "scored on holdout periods with a purchase (discrete opportunities), not on purchase counts: not comparable"
	}
	return continuous, left
}

// targetVerdict runs the paired bootstrap on the models' per-customer
// losses, in the order of names; a model without predictions or with a
// loss that is not finite is left out (and named).
func targetVerdict(names []string, preds map[string][]float64, actual []float64, o VerdictOptions) *TargetVerdict {
	return targetVerdicts(context.Background(), names, []map[string][]float64{preds}, [][]float64{actual}, o)[0]
}

// targetVerdicts is targetVerdict for several targets of the same
// customers, bootstrapped together (see PairedBootstraps). Each model's
// losses are computed and reduced in one pass (see unitLosses), the same
// to the bit as PairedBootstraps on the losses. Once ctx is done the
// verdicts left say so (Error).
func targetVerdicts(ctx context.Context, names []string, preds []map[string][]float64, actuals [][]float64, o VerdictOptions) []*TargetVerdict {
	sources := make([]map[string]predSource, len(preds))
	for t, m := range preds {
		sources[t] = map[string]predSource{}
		for name, p := range m {
			if p != nil {
				sources[t][name] = predSource{column: p}
			}
		}
	}
	return targetVerdictsOf(ctx, names, sources, actuals, o)
}

// predSource is a model's predictions of a target: a column, or a
// Prediction's quantity q read a block at a time (Values), so that no
// column of it is made for the verdict.
type predSource struct {
	column []float64
	pred   *Prediction
	q      Quantity
}

// targetVerdictsOf is targetVerdicts of predictions given as predSource.
func targetVerdictsOf(ctx context.Context, names []string, preds []map[string]predSource, actuals [][]float64, o VerdictOptions) []*TargetVerdict {
	tvs := make([]*TargetVerdict, len(actuals))
	reduced := make([][]*unitLosses, len(actuals))
	checked, optionsErr := o.checked()
	pl := newBootstrapPlan(ctx, checked, nil)
	for t, actual := range actuals {
		tv := &TargetVerdict{Excluded: map[string]string{}}
		for _, name := range names {
			p, ok := preds[t][name]
			if !ok || p.column == nil && p.pred == nil {
				tv.Excluded[name] = "no predictions"
				continue
			}
			src := &lossSource{model: name, computed: true, metric: o.Metric, predicted: p.column, actual: actual}
			if p.pred != nil {
				src.values = func(lo int, dst []float64) { p.pred.Values(p.q, lo, dst) }
			}
			u := pl.reduce(src)
			if u.nan >= 0 {
				tv.Excluded[name] = fmt.Sprintf("its %s is not finite for customer %d", o.Metric, u.nan+1)
				continue
			}
			reduced[t] = append(reduced[t], u)
		}
		if len(tv.Excluded) == 0 {
			tv.Excluded = nil
		}
		tvs[t] = tv
	}
	vs, errs := make([]*Verdict, len(actuals)), make([]error, len(actuals))
	for t := range errs {
		if errs[t] = optionsErr; errs[t] == nil {
			errs[t] = checkUnits(reduced[t])
		}
	}
	pl.bootstrap(reduced, vs, errs)
	for t, tv := range tvs {
		if errs[t] != nil {
			tv.Error = errs[t].Error()
			tv.Verdict = &Verdict{Metric: o.Metric}
			continue
		}
		tv.Verdict = vs[t]
	}
	return tvs
}

// largeBias lists the models whose bias on target is beyond ±LargeBias.
func largeBias(mf *MetricsFile, names []string, target string) []string {
	var out []string
	for _, name := range names {
		if b, ok := mf.Lookup(name + "." + target + ".bias"); ok && math.Abs(b) > LargeBias {
			out = append(out, name)
		}
	}
	return out
}

// originScores returns, per backtest window, each model's metric on
// target.
func originScores(bt *Backtest, target, metric string) []map[string]float64 {
	var out []map[string]float64
	for _, w := range bt.Windows {
		m := map[string]float64{}
		for model, targets := range w.Scores {
			if s, ok := targets[target]; ok {
				m[model], _ = s.Value(metric)
			}
		}
		out = append(out, m)
	}
	return out
}

// likelihoodComparison names the models fitted by maximum likelihood on
// the calibration summary (x, t_x, T) of the main window, whose AIC and
// BIC are therefore comparable, and the best of each (nil when none).
// Models fitted on other data (activity periods, discrete opportunities)
// are left out.
func likelihoodComparison(cfg *Config, reg *models.Registry, wr *windowResult) *LikelihoodComparison {
	lc := &LikelihoodComparison{Data: fmt.Sprintf("the calibration purchases (x, t_x, T) of the same %d customers", len(wr.summary.Customers)-wr.zeroAge)}
	bestAIC, bestBIC := math.Inf(1), math.Inf(1)
	for _, name := range cfg.Models {
		r := wr.results[name]
		if r == nil || !r.HasLikelihood || wr.errs[name] != nil || !onSummary(reg, name) {
			continue
		}
		lc.Models = append(lc.Models, name)
		if r.AIC < bestAIC {
			bestAIC, lc.BestAIC = r.AIC, name
		}
		if r.BIC < bestBIC {
			bestBIC, lc.BestBIC = r.BIC, name
		}
	}
	if len(lc.Models) == 0 {
		return nil
	}
	return lc
}

// targetLabel names a target for people.
func targetLabel(target string) string {
	if target == TargetRevenue {
		return "holdout revenue"
	}
	return "holdout purchases"
}

// metricLabel names a verdict metric for people.
func metricLabel(metric string) string {
	return strings.ReplaceAll(metric, "_", " ") + " per customer"
}

// VerdictLines returns the verdict as console lines: per target the best
// model and every other model's difference with its interval.
func (v *VerdictReport) VerdictLines() []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, target := range []string{TargetPurchases, TargetRevenue} {
		tv := v.Targets[target]
		if tv == nil {
			continue
		}
		if tv.Error != "" {
			out = append(out, fmt.Sprintf("verdict on %s: none (%s)", targetLabel(target), tv.Error))
			continue
		}
		over := formatFloat(tv.Customers) + " customers"
		if tv.Batches > 0 {
			over += fmt.Sprintf(" in %d random batches", tv.Batches)
		}
		out = append(out, fmt.Sprintf("verdict on %s (%s, %.0f%% paired bootstrap over %s): best %s%s, mean %s",
			targetLabel(target), metricLabel(tv.Metric), tv.Level*100, over, tv.Best, tv.biasMark(tv.Best), formatSig(tv.BestLoss)))
		for _, c := range tv.Others {
			note := "worse"
			if c.Indistinguishable {
				note = "indistinguishable from the best"
			}
			out = append(out, fmt.Sprintf("  vs %-10s +%s [%s, %s] %s%s", c.Model, formatSig(c.Difference), formatSig(c.Lower), formatSig(c.Upper), note, tv.biasMark(c.Model)))
		}
	}
	return out
}

// biasMark is " (bias beyond ±50%)" for a model with a large cohort bias.
func (tv *TargetVerdict) biasMark(model string) string {
	for _, m := range tv.LargeBias {
		if m == model {
			return fmt.Sprintf(" (cohort bias beyond ±%.0f%%)", LargeBias*100)
		}
	}
	return ""
}

// formatSig writes v with 4 significant digits.
func formatSig(v float64) string { return fmt.Sprintf("%.4g", v) }

// onSummary reports whether a model is fitted on the (x, t_x, T) summary
// (by the registry; without one, every model but retention).
func onSummary(reg *models.Registry, name string) bool {
	if reg == nil {
		return name != "retention"
	}
	d, ok := reg.Lookup(models.KindPurchase, name)
	return ok && d.Data == models.DataContinuous
}
