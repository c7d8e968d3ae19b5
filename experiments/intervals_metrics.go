package experiments

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Prediction intervals in a run.
//
// Every model with a predictive distribution listed in intervals.models
// (BG/NBD, MBG/NBD, Pareto/NBD and BG/BB by default) gets, per
// level of intervals.levels, each customer's interval of holdout purchases
// and the cohort total's interval (models.NewPurchaseIntervals: the model's
// own P(X = y) mixed over intervals.draws draws of the parameters from
// their asymptotic normal, seeded by the config's seed). They are computed
// once per distinct history (datasets.Patterns) and read at every level
// from the same distributions. The heuristics get none.
//
// Scored in a backtest, as ordinary metrics at model.interval_80.<metric>:
//
//   - coverage: the share of customers whose randomized probability
//     integral transform u = F(y−1) + V·P(y) lies in [(1−L)/2, (1+L)/2]
//     (Czado, Gneiting & Held 2009); under the model it is L exactly, where
//     the share inside the integer bounds (within_bounds) is at least L and
//     often well above it for sparse counts;
//   - total_covered: 1 when the actual cohort total lies inside the total's
//     interval, 0 otherwise;
//   - total_mean, total_lower, total_upper and actual_total.

// intervalMetricNames are the metrics of an interval target.
var intervalMetricNames = []string{"coverage", "within_bounds", "total_covered", "total_mean", "total_lower", "total_upper", "actual_total"}

// IntervalMetricNames returns the metrics of an interval gate target
// (model.interval_80.coverage ...). The slice is a copy.
func IntervalMetricNames() []string { return slices.Clone(intervalMetricNames) }

// IntervalMethod states once, in metrics.json and the report, how the
// intervals are made and scored.
const IntervalMethod = "per-customer intervals of holdout purchases from the model's predictive distribution P(X = y | history) " +
	"mixed over parameter draws from the asymptotic normal of the log-parameters; the cohort total's interval mixes normals over the same draws. " +
	"coverage is the share of customers whose randomized PIT u = F(y-1) + V*P(y) lies in [(1-L)/2, (1+L)/2] (expected L); " +
	"within_bounds the share inside the integer bounds (at least L for counts); total_covered is 1 when the actual total lies in its interval. " +
	"Heuristics have no predictive distribution and get no intervals."

// IntervalScores are one model's interval metrics at one level.
type IntervalScores struct {
	Level        float64 `json:"level"`
	Coverage     Metric  `json:"coverage"`
	WithinBounds Metric  `json:"within_bounds"`
	TotalCovered Metric  `json:"total_covered"`
	TotalMean    Metric  `json:"total_mean"`
	TotalLower   Metric  `json:"total_lower"`
	TotalUpper   Metric  `json:"total_upper"`
	ActualTotal  Metric  `json:"actual_total"`
}

// Value returns the metric with the given JSON name and whether it is one
// of IntervalMetricNames.
func (s IntervalScores) Value(name string) (float64, bool) {
	m, ok := map[string]Metric{"coverage": s.Coverage, "within_bounds": s.WithinBounds, "total_covered": s.TotalCovered,
		"total_mean": s.TotalMean, "total_lower": s.TotalLower, "total_upper": s.TotalUpper, "actual_total": s.ActualTotal}[name]
	return float64(m), ok
}

// IntervalsReport is the intervals section of metrics.json.
type IntervalsReport struct {
	Method string    `json:"method"`
	Levels []float64 `json:"levels"`
	Draws  int       `json:"draws"`
	// Models maps a model to its main-window metrics by target
	// (interval_80 ...), or the error that kept it from having intervals.
	Models map[string]*ModelIntervals `json:"models"`
	// Without names the models that get no intervals and why.
	Without map[string]string `json:"without,omitempty"`
	// Backtest maps model → target → metric to the mean and spread over
	// the backtest windows (absent without origins).
	Backtest map[string]map[string]map[string]Spread `json:"backtest,omitempty"`
}

// ModelIntervals is one model's interval metrics, by target.
type ModelIntervals struct {
	Scores map[string]IntervalScores `json:"scores,omitempty"`
	// PITHistogram is the share of customers whose randomized PIT falls
	// in each tenth of (0, 1): 0.1 each for a calibrated model, more in the
	// outer bins when the intervals are too narrow, more in the middle
	// when too wide, rising or falling when the model is biased.
	PITHistogram []float64 `json:"pit_histogram,omitempty"`
	Error        string    `json:"error,omitempty"`
}

// PITBins is the number of bins of the PIT histogram.
const PITBins = 10

// pitHistogram returns the share of the values in each of PITBins equal
// bins of [0, 1].
func pitHistogram(u []float64) []float64 {
	if len(u) == 0 {
		return nil
	}
	h := make([]float64, PITBins)
	for _, v := range u {
		h[min(PITBins-1, max(0, int(v*PITBins)))]++
	}
	for k := range h {
		h[k] /= float64(len(u))
	}
	return h
}

// addIntervals computes the intervals of every model of a window that gets
// them and attaches them to its predictions; a failure is kept as the
// intervals' Err (the model itself stands). It runs the models in
// parallel. The spend intervals, the same for every purchase model, are
// computed once.
func addIntervals(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult) {
	names := intervalModelsOf(cfg)
	spend := windowSpendIntervals(cfg, wr)
	var mu sync.Mutex
	eachInParallel(len(names), func(k int) {
		p, ok := wr.preds[names[k]]
		if !ok {
			return
		}
		iv, err := windowIntervals(ctx, cfg, reg, wr, names[k], spend)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			iv = &PredictionIntervals{Err: err.Error()}
		}
		p.Intervals = iv
	})
	if len(names) > 0 && len(wr.summary.Customers) >= intervalsReleaseCustomers {
		// The rows' distributions, a few times the customers' table at
		// their height, are garbage now: collected and returned to the
		// operating system here, they neither stay resident nor set the
		// collector's next target (twice the live heap it last found),
		// which the score and write stages would otherwise fill.
		// Without intervals there is nothing to return: a release would
		// only hand back the free memory the score and write stages are
		// about to reuse, which they would then fault in again a 4 KiB
		// page at a time (a released part of a huge page is split): on
		// the 1M backtest without intervals, 16-19k page faults instead
		// of 6k. With intervals the release stays: keeping their
		// memory instead (a collection only) saved page faults on the 1M
		// backtest but raised its peak RSS from 1.9 to 2.1-2.5 GB.
		debug.FreeOSMemory()
	}
}

// intervalsReleaseCustomers is the window size from which addIntervals
// returns the intervals' working memory to the operating system (a
// collection of the whole heap, about a tenth of a second per million
// customers).
const intervalsReleaseCustomers = 500_000

// windowSpendIntervals returns the servers of every customer's interval
// of the mean spend per purchase at each level (Gamma-Gamma posterior), or
// nil without money intervals.
func windowSpendIntervals(cfg *Config, wr *windowResult) []*spendBounds {
	gg, ok := wr.spend.(*models.FittedGammaGamma)
	if !ok || !cfg.Intervals.MoneyIntervals() || len(cfg.Intervals.Levels) == 0 || wr.patterns == nil {
		return nil
	}
	var out []*spendBounds
	for _, level := range cfg.Intervals.Levels {
		out = append(out, newSpendBounds(gg, level, wr.summary, wr.patterns))
	}
	return out
}

// customerMonetary returns customer i's calibration mean spend.
func customerMonetary(s *datasets.Summary) func(i int) float64 {
	return func(i int) float64 { return s.Customers[i].Monetary }
}

// windowIntervals computes one model's intervals on a window at every
// level and scores them against the holdout when there is one. A model of
// discrete opportunities (BG/BB) is taken on the window's discrete
// summary, its horizon and actuals counted in periods. The purchase
// distributions over the holdout and, for the CLV intervals, over
// clv.horizon come from the same parameter draws.
func windowIntervals(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult, name string, spend []*spendBounds) (iv *PredictionIntervals, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	f := wr.fits[name]
	s, patterns := wr.summary, wr.patterns
	discrete := reg != nil && wr.isDiscrete(reg, name)
	if discrete {
		s, patterns = wr.discrete, wr.discretePatterns
	}
	horizon, err := intervalHorizon(cfg, s, discrete)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := predictionData(patterns.Summary(s)) // T = 0 rows too: iv.Rows indexes every pattern
	p := wr.preds[name]
	gg, money := wr.spend.(*models.FittedGammaGamma)
	money = money && !discrete && cfg.Intervals.MoneyIntervals()
	horizons := []float64{horizon}
	withCLV := money && p != nil && cfg.Resolved.Horizon > 0
	if withCLV && cfg.Resolved.Horizon != horizon { // a forecast's horizon is the CLV's: one set serves both
		horizons = append(horizons, cfg.Resolved.Horizon)
	}
	levels := cfg.Intervals.Levels
	pis, err := models.NewPurchaseIntervalsAt(f, d, horizons, models.IntervalOptions{Level: levels[0], Draws: cfg.Intervals.Draws, Seed: uint64(cfg.Seed)})
	if err != nil {
		return nil, err
	}
	iv = &PredictionIntervals{Rows: patterns.Of}
	if iv.Levels, err = atLevels(pis[0], levels); err != nil {
		return nil, err
	}
	defer iv.dropDistributions()
	if money {
		var clv *models.PurchaseIntervals
		if withCLV {
			clv = pis[len(pis)-1]
		}
		if err := iv.addMoney(cfg, f, gg, s, d, p, spend, clv, patterns); err != nil {
			return nil, err
		}
	}
	if !s.HasHoldout {
		return iv, nil
	}
	actual, revenue := wr.holdoutTargets()
	if reg != nil {
		actual, _ = wr.modelActuals(reg, name)
	}
	if err := iv.score(actual, uint64(cfg.Seed)); err != nil {
		return nil, err
	}
	return iv, iv.scoreRevenue(revenue, uint64(cfg.Seed))
}

// intervalHorizon returns the holdout length the purchase intervals are
// made for: the customers' common holdout duration, or the configured
// holdout in split units when the summary has none.
func intervalHorizon(cfg *Config, s *datasets.Summary, discrete bool) (float64, error) {
	horizon := float64(cfg.Resolved.HoldoutDays) / cfg.Resolved.Unit.Days()
	for _, c := range s.Customers {
		if c.DurationHoldout != s.Customers[0].DurationHoldout {
			return 0, fmt.Errorf("the customers' holdout lengths differ (%v and %v %ss): intervals need one horizon", c.DurationHoldout, s.Customers[0].DurationHoldout, cfg.Resolved.Unit.Name)
		}
	}
	switch {
	case len(s.Customers) > 0 && s.Customers[0].DurationHoldout > 0:
		horizon = s.Customers[0].DurationHoldout
	case discrete:
		return 0, fmt.Errorf("the discrete summary has no holdout length")
	}
	return horizon, nil
}

// atLevels returns first and its distributions read at each further level.
func atLevels(first *models.PurchaseIntervals, levels []float64) ([]*models.PurchaseIntervals, error) {
	out := []*models.PurchaseIntervals{first}
	for _, l := range levels[1:] {
		pi, err := first.AtLevel(l)
		if err != nil {
			return nil, err
		}
		out = append(out, pi)
	}
	return out, nil
}

// addMoney adds the spend (computed once per window: spend), revenue and,
// given the purchase distributions over clv.horizon (clv, nil: none), CLV
// intervals at every level (see models.RevenueIntervals). Each customer's
// CLV is her revenue over the horizon scaled by the margin and her mean
// discount factor per purchase, DERT/E[Y(H)] at the estimate (clvFactors),
// so that their mean is the point CLV (up to the parameter draws' shift
// of the mean purchases).
func (iv *PredictionIntervals) addMoney(cfg *Config, f models.FittedPurchases, gg *models.FittedGammaGamma, s *datasets.Summary, d *models.Data, p *Prediction, spend []*spendBounds, clv *models.PurchaseIntervals, pt *datasets.Patterns) error {
	iv.Spend = spend
	customers := models.RevenueCustomers{Rows: iv.Rows, Monetary: customerMonetary(s)}
	var err error
	if iv.Revenue, err = models.NewRevenueTablesAt(iv.Levels, gg, d, customers); err != nil {
		return err
	}
	if clv == nil {
		return nil
	}
	levels := []float64{}
	for _, pi := range iv.Levels {
		levels = append(levels, pi.Level)
	}
	atH, err := atLevels(clv, levels)
	if err != nil {
		return err
	}
	customers.Factor = clvFactors(cfg, f, d, iv.Rows, p, pt)
	if iv.CLV, err = models.NewRevenueTablesAt(atH, gg, d, customers); err != nil {
		return fmt.Errorf("CLV intervals: %w", err)
	}
	return nil
}

// clvFactors returns each customer's money factor of the CLV intervals:
// the margin times DERT/E[Y(H)] (0 when E[Y(H)] = 0), with DERT the
// predictions' discounted expected purchases. For a model that factors as
// P(alive)·A(t | x, T) (models.AliveFactored), E[Y(H)] is the predictions'
// P(alive) times A(H | x, T), computed once per distinct (x, T); otherwise
// the model's conditional expectation, once per row. When the predictions
// are stored by the rows of the intervals (the pattern table's index),
// the factor is one per row; otherwise one per customer.
func clvFactors(cfg *Config, f models.FittedPurchases, d *models.Data, rows []int32, p *Prediction, pt *datasets.Patterns) func(i int) float64 {
	H := cfg.Resolved.Horizon
	var expected func(i, r int) float64
	if af, ok := f.(models.AliveFactored); ok {
		type xt struct{ x, t float64 }
		curve := map[xt]float64{}
		expected = func(i, r int) float64 {
			key := xt{d.Frequency[r], d.T[r]}
			a, ok := curve[key]
			if !ok {
				a = af.AliveCurve(key.x, key.t)(H)
				curve[key] = a
			}
			return p.PAlive(i) * a
		}
	} else {
		perRow := make([]float64, d.Len())
		for r := range perRow {
			perRow[r] = f.ConditionalExpectedPurchases(d.Customer(r), H)
		}
		expected = func(_, r int) float64 { return perRow[r] }
	}
	factorOf := func(i, r int) float64 {
		if mean := expected(i, r); mean > 0 {
			return cfg.CLV.Margin * p.Value(PredDiscounted, i) / mean
		}
		return 0
	}
	if first := firstCustomers(p, rows, d.Len()); first != nil {
		factor := make([]float64, d.Len())
		for r, i := range first {
			if i >= 0 {
				factor[r] = factorOf(int(i), r)
			}
		}
		return func(i int) float64 { return factor[rows[i]] }
	}
	factor := make([]float64, len(rows))
	for i, r := range rows {
		factor[i] = factorOf(i, int(r))
	}
	return func(i int) float64 { return factor[i] }
}

// firstCustomers returns each row's first customer (−1 for a row without
// one) when the prediction is stored by the same rows (its row index is
// rows itself), so that every customer of a row has the row's values; nil
// otherwise.
func firstCustomers(p *Prediction, rows []int32, n int) []int32 {
	if len(rows) == 0 || len(p.rows) != len(rows) || &p.rows[0] != &rows[0] {
		return nil
	}
	first := make([]int32, n)
	for r := range first {
		first[r] = -1
	}
	for i, r := range rows {
		if first[r] < 0 {
			first[r] = int32(i)
		}
	}
	return first
}

// scoreRevenue sets the revenue intervals' metrics at every level: the
// randomized PIT coverage of each customer's actual holdout revenue (its
// atom at 0 randomized, the rest continuous; the same PIT at every level),
// the share inside the bounds, and the cohort total.
func (iv *PredictionIntervals) scoreRevenue(actual []float64, seed uint64) error {
	if len(iv.Revenue) == 0 {
		return nil
	}
	total := 0.0
	for _, v := range actual {
		total += v
	}
	u, err := iv.Revenue[0].PIT(actual, seed)
	if err != nil {
		return fmt.Errorf("revenue intervals: %w", err)
	}
	for _, ri := range iv.Revenue {
		randomized, within := ri.CoverageOf(u, actual)
		covered := 0.0
		if total >= ri.TotalLower && total <= ri.TotalUpper {
			covered = 1
		}
		iv.RevenueScores = append(iv.RevenueScores, IntervalScores{Level: ri.Level, Coverage: Metric(randomized), WithinBounds: Metric(within),
			TotalCovered: Metric(covered), TotalMean: Metric(ri.TotalMean), TotalLower: Metric(ri.TotalLower),
			TotalUpper: Metric(ri.TotalUpper), ActualTotal: Metric(total)})
	}
	return nil
}

// score sets the PIT and the metrics at every level (the same PIT at
// every level).
func (iv *PredictionIntervals) score(actual []float64, seed uint64) error {
	pit, err := iv.Levels[0].PIT(iv.Rows, actual, seed)
	if err != nil {
		return err
	}
	iv.PITHistogram = pitHistogram(pit)
	total := 0.0
	for _, y := range actual {
		total += y
	}
	for _, pi := range iv.Levels {
		randomized, within := pi.CoverageOf(iv.Rows, pit, actual)
		covered := 0.0
		if pi.TotalCovers(total) {
			covered = 1
		}
		iv.Scores = append(iv.Scores, IntervalScores{Level: pi.Level, Coverage: Metric(randomized), WithinBounds: Metric(within),
			TotalCovered: Metric(covered), TotalMean: Metric(pi.TotalMean), TotalLower: Metric(pi.TotalLower),
			TotalUpper: Metric(pi.TotalUpper), ActualTotal: Metric(total)})
	}
	return nil
}

// intervalsReport assembles the intervals section of metrics.json from
// the windows' predictions and interval errors (nil when no level is
// configured).
func intervalsReport(cfg *Config, mainWin *windowResult, windows []*windowResult) *IntervalsReport {
	if len(cfg.Intervals.Levels) == 0 {
		return nil
	}
	rep := &IntervalsReport{Method: IntervalMethod, Levels: slices.Clone(cfg.Intervals.Levels), Draws: cfg.Intervals.Draws,
		Models: map[string]*ModelIntervals{}, Without: map[string]string{}}
	with := intervalModelsOf(cfg)
	for _, name := range cfg.Models {
		switch {
		case !slices.Contains(intervalCapableModels, name):
			rep.Without[name] = "a heuristic: no predictive distribution, so no intervals"
		case !slices.Contains(with, name):
			rep.Without[name] = "not in intervals.models"
		}
	}
	for _, name := range with {
		p := mainWin.preds[name]
		switch {
		case p == nil || p.Intervals == nil:
		case p.Intervals.Err != "":
			rep.Models[name] = &ModelIntervals{Error: p.Intervals.Err}
		case p.Intervals.Scores == nil: // a forecast: bounds in the predictions, nothing to score
		default:
			rep.Models[name] = &ModelIntervals{Scores: scoresByTarget(p.Intervals.Scores, p.Intervals.RevenueScores), PITHistogram: p.Intervals.PITHistogram}
		}
	}
	if len(rep.Without) == 0 {
		rep.Without = nil
	}
	if len(windows) > 1 {
		rep.Backtest = intervalBacktest(with, windows)
	}
	return rep
}

// scoresByTarget keys the purchase intervals' scores by LevelTarget and
// the revenue intervals' by RevenueTarget.
func scoresByTarget(scores, revenue []IntervalScores) map[string]IntervalScores {
	if scores == nil {
		return nil
	}
	out := map[string]IntervalScores{}
	for _, s := range scores {
		out[LevelTarget(s.Level)] = s
	}
	for _, s := range revenue {
		out[RevenueTarget(s.Level)] = s
	}
	return out
}

// RevenueTarget names the gate target of the revenue intervals at a
// level: revenue_interval_80 for 0.8.
func RevenueTarget(level float64) string { return "revenue_" + LevelTarget(level) }

// isIntervalTarget reports whether a gate target is an interval's
// (interval_80, revenue_interval_80 ...).
func isIntervalTarget(t string) bool {
	return strings.HasPrefix(t, "interval_") || strings.HasPrefix(t, "revenue_interval_")
}

// intervalBacktest summarizes each interval metric over the windows.
func intervalBacktest(names []string, windows []*windowResult) map[string]map[string]map[string]Spread {
	out := map[string]map[string]map[string]Spread{}
	for _, name := range names {
		values := map[string]map[string][]float64{}
		for _, wr := range windows {
			p := wr.preds[name]
			if p == nil || p.Intervals == nil {
				continue // Scores is empty on an error
			}
			for k, s := range append(slices.Clone(p.Intervals.Scores), p.Intervals.RevenueScores...) {
				t := LevelTarget(s.Level)
				if k >= len(p.Intervals.Scores) {
					t = RevenueTarget(s.Level)
				}
				if values[t] == nil {
					values[t] = map[string][]float64{}
				}
				for _, m := range intervalMetricNames {
					v, _ := s.Value(m)
					values[t][m] = append(values[t][m], v)
				}
			}
		}
		for t, metrics := range values {
			if out[name] == nil {
				out[name] = map[string]map[string]Spread{}
			}
			out[name][t] = map[string]Spread{}
			for m, vs := range metrics {
				out[name][t][m] = spread(vs)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Lookup returns the metric at a gate path model.target.metric of the
// main window: a score (bgnbd.holdout.mae) or an interval metric
// (bgnbd.interval_80.coverage).
func (mf *MetricsFile) Lookup(path string) (float64, bool) {
	i := strings.LastIndexByte(path, '.')
	j := -1
	if i > 0 {
		j = strings.LastIndexByte(path[:i], '.')
	}
	if j > 0 && isIntervalTarget(path[j+1:i]) {
		if mf.Intervals == nil || mf.Intervals.Models[path[:j]] == nil {
			return 0, false
		}
		s, ok := mf.Intervals.Models[path[:j]].Scores[path[j+1:i]]
		if !ok {
			return 0, false
		}
		return s.Value(path[i+1:])
	}
	return mainScores(mf).Lookup(path)
}

// Paths returns every gate path of the main window (scores and interval
// metrics), sorted.
func (mf *MetricsFile) Paths() []string {
	out := mainScores(mf).Paths()
	if mf.Intervals != nil {
		for model, mi := range mf.Intervals.Models {
			for t := range mi.Scores {
				for _, m := range intervalMetricNames {
					out = append(out, model+"."+t+"."+m)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// CheckGates checks the gates against the main window's scores and
// interval metrics, adding to the message of a metric not found the
// closest existing paths.
func (mf *MetricsFile) CheckGates(gates []Gate) []GateResult {
	out := CheckGates(gates, mf.Lookup)
	var paths []string
	for k := range out {
		if out[k].Found || out[k].Gate.Validate() != nil {
			continue
		}
		if paths == nil {
			paths = mf.Paths()
		}
		if near := ClosestNames(out[k].Gate.Metric, paths, 3); len(near) > 0 {
			out[k].Message += " (did you mean " + strings.Join(near, " or ") + "?)"
		}
	}
	return out
}

// IntervalLines returns the interval metrics as console lines, one per
// model and level.
func (r *IntervalsReport) IntervalLines(order []string) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, name := range order {
		mi := r.Models[name]
		switch {
		case mi == nil:
			continue
		case mi.Error != "":
			out = append(out, fmt.Sprintf("intervals of %s: none (%s)", name, mi.Error))
			continue
		}
		for _, l := range r.Levels {
			s, ok := mi.Scores[LevelTarget(l)]
			if !ok {
				continue
			}
			inside := "outside"
			if s.TotalCovered == 1 {
				inside = "inside"
			}
			out = append(out, fmt.Sprintf("intervals of %-10s %s%%: coverage %.3f by randomized PIT (%.3f within bounds); actual total %s %s [%s, %s]",
				name, levelPercent(l), float64(s.Coverage), float64(s.WithinBounds), formatFloat(float64(s.ActualTotal)), inside, formatSig(float64(s.TotalLower)), formatSig(float64(s.TotalUpper))))
			if rs, ok := mi.Scores[RevenueTarget(l)]; ok {
				inside := "outside"
				if rs.TotalCovered == 1 {
					inside = "inside"
				}
				out = append(out, fmt.Sprintf("  revenue %s%%: coverage %.3f by randomized PIT (%.3f within bounds); actual total %s %s [%s, %s]",
					levelPercent(l), float64(rs.Coverage), float64(rs.WithinBounds), formatSig(float64(rs.ActualTotal)), inside, formatSig(float64(rs.TotalLower)), formatSig(float64(rs.TotalUpper))))
			}
		}
	}
	return out
}

// levelPercent writes a level as a percentage: 80, 97.5.
func levelPercent(l float64) string {
	return strings.ReplaceAll(strings.TrimPrefix(LevelTarget(l), "interval_"), "_", ".")
}
