package experiments

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// simulatedWindow simulates a BG/NBD cohort with known parameters (the
// CDNOW estimates), acquired over the first 12 weeks, reads it back as a
// log (whole days, so histories repeat) and fits the BG/NBD on it: a main
// window of a run.
func simulatedWindow(t *testing.T, customers int) (*Config, *windowResult) {
	t.Helper()
	return simulatedWindowWith(t, customers, "")
}

// simulatedWindowWith is simulatedWindow with the log's lines extra
// (customer,date) appended; calendar days are those of simulatedWindow:
// weeks from 2020-01-06, calibration to 2020-10-04, holdout to 2021-07-04.
func simulatedWindowWith(t *testing.T, customers int, extra string) (*Config, *windowResult) {
	t.Helper()
	start := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)
	calEnd, holdEnd := start.AddDate(0, 0, 39*7-1), start.AddDate(0, 0, 78*7-1)
	sim, err := datasets.Simulate(datasets.SimulationConfig{Model: "bgnbd",
		Params:    map[string]float64{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
		Customers: customers, Start: start, End: holdEnd, Unit: datasets.Week, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sim.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(extra)
	s, err := datasets.Summarize(&buf, "simulated.csv", datasets.ReadOptions{}, datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: calEnd, HoldoutEnd: holdEnd})
	if err != nil {
		t.Fatal(err)
	}
	wr := &windowResult{summary: s, patterns: datasets.NewPatterns(s), preds: map[string]*Prediction{}, fits: map[string]models.FittedPurchases{}}
	d, _ := ModelData(wr.patterns.Summary(s))
	f, err := models.FitBGNBD(context.Background(), d, models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wr.fits["bgnbd"], wr.preds["bgnbd"] = f, &Prediction{}
	wr.preds["average"] = &Prediction{}
	cfg := &Config{Models: []string{"average", "bgnbd"}, Seed: 2,
		Intervals: IntervalsConfig{Levels: []float64{0.8, 0.95}, Draws: 6, Models: DefaultIntervalModels()}}
	cfg.Resolved.Unit, cfg.Resolved.HoldoutDays = datasets.Week, 39*7
	return cfg, wr
}

// TestIntervalCoverageSimulated scores the BG/NBD's intervals on 20,000
// customers simulated from it: the randomized-PIT coverage of the nominal
// 80% and 95% intervals lies within 0.03 of nominal, the integer bounds
// hold at least the nominal share, the cohort total falls inside its 95%
// interval; the heuristic gets no intervals and says why; the gates on
// the new metrics pass and fail as their bounds say; the customers'
// bounds contain each other across levels.
func TestIntervalCoverageSimulated(t *testing.T) {
	cfg, wr := simulatedWindow(t, 20000)
	addIntervals(context.Background(), cfg, models.NewRegistry(), wr)
	if e := wr.preds["bgnbd"].Intervals.Err; e != "" {
		t.Fatal(e)
	}
	mf := &MetricsFile{Models: map[string]*ModelReport{}}
	mf.Intervals = intervalsReport(cfg, wr, []*windowResult{wr})
	if mf.Intervals.Without["average"] == "" || mf.Intervals.Models["average"] != nil {
		t.Errorf("average: intervals %+v, without %q", mf.Intervals.Models["average"], mf.Intervals.Without["average"])
	}
	for _, level := range cfg.Intervals.Levels {
		s := mf.Intervals.Models["bgnbd"].Scores[LevelTarget(level)]
		if c := float64(s.Coverage); c < level-0.03 || c > level+0.03 || float64(s.WithinBounds) < level {
			t.Errorf("%v: coverage %v, within bounds %v", level, s.Coverage, s.WithinBounds)
		}
		t.Logf("%v: coverage %.4f, within bounds %.4f, total %v in [%.1f, %.1f] (mean %.1f)", level, s.Coverage, s.WithinBounds, s.ActualTotal, s.TotalLower, s.TotalUpper, s.TotalMean)
	}
	if s := mf.Intervals.Models["bgnbd"].Scores["interval_95"]; s.TotalCovered != 1 {
		t.Errorf("the cohort total %v is outside its 95%% interval [%v, %v]", s.ActualTotal, s.TotalLower, s.TotalUpper)
	}
	iv := wr.preds["bgnbd"].Intervals
	lo80, hi80 := iv.Bounds(0)
	lo95, hi95 := iv.Bounds(1)
	for i := range lo80 {
		if lo95[i] > lo80[i] || hi95[i] < hi80[i] || lo80[i] > hi80[i] {
			t.Fatalf("customer %d: 80%% [%v, %v], 95%% [%v, %v]", i, lo80[i], hi80[i], lo95[i], hi95[i])
		}
	}
	if len(iv.PITHistogram) != PITBins {
		t.Errorf("PIT histogram of %d bins, want %d", len(iv.PITHistogram), PITBins)
	}
	sum := 0.0
	for _, h := range mf.Intervals.Models["bgnbd"].PITHistogram {
		sum += h
		if h < 0.08 || h > 0.12 {
			t.Errorf("PIT histogram %v: a calibrated model's bins hold about 0.1 each", mf.Intervals.Models["bgnbd"].PITHistogram)
			break
		}
	}
	if cols := intervalColumns("bgnbd", wr.preds["bgnbd"]); len(cols) != 4 || cols[0].name != "bgnbd_purchases_lower_80" || cols[3].name != "bgnbd_purchases_upper_95" {
		t.Errorf("interval columns %v", cols)
	}
	ptr := func(v float64) *float64 { return &v }
	res := mf.CheckGates([]Gate{
		{Metric: "bgnbd.interval_80.coverage", Min: ptr(0.75), Max: ptr(0.85)},
		{Metric: "bgnbd.interval_95.total_covered", Min: ptr(1)},
		{Metric: "bgnbd.interval_80.coverage", Min: ptr(0.9)},
		{Metric: "bgnbd.interval_80.coverag", Min: ptr(0.9)},
	})
	if !res[0].Passed || !res[1].Passed || res[2].Passed || res[3].Found {
		t.Errorf("gates: %+v", res)
	}
	if !strings.Contains(res[3].Message, "did you mean bgnbd.interval_80.coverage") {
		t.Errorf("unknown gate message %q", res[3].Message)
	}
}

// TestIntervalsWithNewCustomer adds to a simulated window a customer whose
// first purchase falls on the calibration end (T = 0; left out of the
// fits): she gets purchase bounds of her own, as a new customer (from 0,
// within the 95% bounds at 95%), and every other customer keeps the
// purchase bounds of the window without her, bit for bit (her row is left
// out of the information the parameter draws come from, as it is of the
// fits: its likelihood is 1 at every parameter). Once, her
// row in the pattern table was past the end of the intervals' rows, and
// no model got intervals at all.
func TestIntervalsWithNewCustomer(t *testing.T) {
	bounds := func(cfg *Config, wr *windowResult) map[string][4]float64 {
		addIntervals(context.Background(), cfg, models.NewRegistry(), wr)
		iv := wr.preds["bgnbd"].Intervals
		if iv.Err != "" {
			t.Fatal(iv.Err)
		}
		lo80, hi80 := iv.Bounds(0)
		lo95, hi95 := iv.Bounds(1)
		out := map[string][4]float64{}
		for i, c := range wr.summary.Customers {
			out[c.ID] = [4]float64{lo80[i], hi80[i], lo95[i], hi95[i]}
		}
		return out
	}
	cfg, without := simulatedWindow(t, 3000)
	cfgWith, with := simulatedWindowWith(t, 3000, "newbie,2020-10-04\n")
	if !slices.ContainsFunc(with.summary.Customers, func(c datasets.CustomerSummary) bool { return c.ID == "newbie" && c.T == 0 }) {
		t.Fatalf("the window has no newbie of T = 0")
	}
	a, b := bounds(cfg, without), bounds(cfgWith, with)
	if len(b) != len(a)+1 {
		t.Fatalf("%d customers with the newbie, %d without", len(b), len(a))
	}
	for id, want := range a {
		if got := b[id]; got != want {
			t.Fatalf("customer %s: bounds %v with the newbie, %v without", id, got, want)
		}
	}
	nb := b["newbie"]
	if nb[0] != 0 || nb[2] != 0 || !(nb[1] >= 1 && nb[3] >= nb[1]) {
		t.Errorf("the newbie's 80%% and 95%% bounds %v: want [0, ≥1] within [0, …]", nb)
	}
}

// TestIntervalConfig checks the keys and the gate paths on interval
// metrics.
func TestIntervalConfig(t *testing.T) {
	for _, c := range []struct {
		level float64
		want  string
	}{{0.8, "interval_80"}, {0.95, "interval_95"}, {0.975, "interval_97_5"}, {0.5, "interval_50"}} {
		if got := LevelTarget(c.level); got != c.want {
			t.Errorf("LevelTarget(%v) = %s, want %s", c.level, got, c.want)
		}
	}
	cases := []struct {
		overrides []string
		want      string // a problem's text; "" for none
	}{
		{[]string{"verdict.metric=mae"}, `verdict.metric "mae" is not one of squared_error`},
		{[]string{"verdict.resamples=10"}, "verdict.resamples 10 is too few"},
		{[]string{"intervals.levels=[0.8,1]"}, "intervals.levels[1] 1 must lie strictly between 0 and 1"},
		{[]string{"intervals.models=[average]"}, `intervals.models[0] "average" has no predictive distribution`},
		{[]string{"expect=[{metric: bgnbd.interval_80.coverage, min: 0.7}]"}, ""},
		{[]string{"expect=[{metric: bgnbd.interval_90.coverage, min: 0.7}]"}, `target "interval_90" names no level of intervals.levels`},
		{[]string{"expect=[{metric: paretonbd.interval_80.coverage, min: 0.7}]"}, ""},
		{[]string{"intervals.models=[bgnbd]", "expect=[{metric: paretonbd.interval_80.coverage, min: 0.7}]"}, "add it to intervals.models"},
		{[]string{"expect=[{metric: bgnbd.interval_80.mae, min: 0.7}]"}, `metric "mae" is not one of coverage`},
		{[]string{"expect=[{metric: bgnbd.revenue_interval_80.coverage, min: 0.7}]"}, ""},
		{[]string{"spend_model=none", "expect=[{metric: bgnbd.revenue_interval_80.coverage, min: 0.7}]"}, "revenue intervals need the Gamma-Gamma spend model"},
		{[]string{"expect=[{metric: bgnbd.revenue_interval_90.coverage, min: 0.7}]"}, `target "revenue_interval_90" names no level`},
		{[]string{"intervals.money=false", "expect=[{metric: bgnbd.revenue_interval_80.coverage, min: 0.7}]"}, "revenue intervals are switched off by intervals.money: false"},
		{[]string{"intervals.money=false", "expect=[{metric: bgnbd.interval_80.coverage, min: 0.7}]"}, ""},
	}
	for _, c := range cases {
		_, err := Load("../configs/quickstart.yaml", c.overrides)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.overrides, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want %q", c.overrides, err, c.want)
		}
	}
	load := func(overrides ...string) *Config {
		c, err := Load("../configs/quickstart.yaml", overrides)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base, same, other, off := load(), load("intervals.levels=[0.8,0.95]", "verdict.resamples=1000", "intervals.money=true"), load("verdict.resamples=2000"), load("intervals.levels=[]")
	if base.Hash() != same.Hash() || base.Hash() == other.Hash() || base.Hash() == off.Hash() {
		t.Errorf("hashes: default %s, defaults given %s, resamples 2000 %s, intervals off %s", base.Hash(), same.Hash(), other.Hash(), off.Hash())
	}
	if noMoney := load("intervals.money=false"); noMoney.Hash() == base.Hash() || noMoney.Intervals.MoneyIntervals() || !base.Intervals.MoneyIntervals() {
		t.Errorf("intervals.money=false: hash %s (default %s), money intervals %v (default %v)", noMoney.Hash(), base.Hash(), noMoney.Intervals.MoneyIntervals(), base.Intervals.MoneyIntervals())
	}
	if intervalModelsOf(off) != nil || len(intervalModelsOf(base)) == 0 {
		t.Errorf("intervals off: models %v; default: %v", intervalModelsOf(off), intervalModelsOf(base))
	}
}

// TestRunVerdictAndIntervals runs the quickstart (5,000 customers
// simulated from the BG/NBD) with the BG/NBD and the average: metrics.json
// holds the verdict (the true model best, the average far worse) and the
// interval metrics, the gates on them pass or fail as their bounds say,
// and predictions.csv has the bounds, which hold the share of customers
// metrics.json reports.
func TestRunVerdictAndIntervals(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"models=[average,bgnbd]", "output.plots=false", "output.report=false",
		"expect=[{metric: bgnbd.interval_80.coverage, min: 0.75, max: 0.85}, {metric: bgnbd.interval_95.within_bounds, min: 0.95}, {metric: bgnbd.interval_80.total_covered, min: 2}, {metric: bgnbd.revenue_interval_80.coverage, min: 0.75, max: 0.85}]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	g := out.Gates
	if len(g) != 4 || !g[0].Passed || !g[1].Passed || g[2].Passed || !g[2].Found || !g[3].Passed {
		t.Errorf("gates %+v: want the first two and the revenue coverage passed, the impossible third failed", g)
	}
	mf := out.Metrics.(*MetricsFile)
	tv := mf.Verdict.Targets[TargetPurchases]
	if tv == nil || tv.Best != "bgnbd" || len(tv.Others) != 1 || tv.Others[0].Indistinguishable || !(tv.Others[0].Lower > 0) {
		t.Errorf("verdict %+v", tv)
	}
	if mf.Intervals.Models["bgnbd"] == nil || mf.Intervals.Without["average"] == "" {
		t.Errorf("intervals %+v", mf.Intervals)
	}
	_, cols := predictionsCSV(t, out.Dir)
	lo, hi, actual := cols["bgnbd_purchases_lower_80"], cols["bgnbd_purchases_upper_80"], cols["frequency_holdout"]
	if len(lo) == 0 || len(hi) != len(lo) || cols["average_purchases_lower_80"] != nil {
		t.Fatalf("interval columns: %d lower, %d upper", len(lo), len(hi))
	}
	inside := 0.0
	for i := range lo {
		if lo[i] > hi[i] {
			t.Fatalf("customer %d: bounds [%v, %v]", i, lo[i], hi[i])
		}
		if actual[i] >= lo[i] && actual[i] <= hi[i] {
			inside++
		}
	}
	if want := float64(mf.Intervals.Models["bgnbd"].Scores["interval_80"].WithinBounds); math.Abs(inside/float64(len(lo))-want) > 1e-12 {
		t.Errorf("the predictions' bounds hold %v of the customers, metrics.json says %v", inside/float64(len(lo)), want)
	}
	// Revenue: the bounds hold the share metrics.json reports; spend and
	// CLV bounds are ordered and bracket the point spend.
	rlo, rhi, revenue := cols["bgnbd_revenue_lower_80"], cols["bgnbd_revenue_upper_80"], cols["revenue_holdout"]
	slo, shi, clo, chi := cols["bgnbd_spend_lower_80"], cols["bgnbd_spend_upper_80"], cols["bgnbd_clv_lower_80"], cols["bgnbd_clv_upper_80"]
	if len(rlo) != len(lo) || len(slo) != len(lo) || len(chi) != len(lo) {
		t.Fatalf("revenue, spend and CLV interval columns: %d, %d, %d values for %d customers", len(rlo), len(slo), len(chi), len(lo))
	}
	inside = 0
	for i := range rlo {
		if !(rlo[i] <= rhi[i] && slo[i] < shi[i] && clo[i] <= chi[i]) {
			t.Fatalf("customer %d: revenue [%v, %v], spend [%v, %v], CLV [%v, %v]", i, rlo[i], rhi[i], slo[i], shi[i], clo[i], chi[i])
		}
		if revenue[i] >= rlo[i] && revenue[i] <= rhi[i] {
			inside++
		}
	}
	if want := float64(mf.Intervals.Models["bgnbd"].Scores["revenue_interval_80"].WithinBounds); math.Abs(inside/float64(len(rlo))-want) > 1e-12 {
		t.Errorf("the predictions' revenue bounds hold %v of the customers, metrics.json says %v", inside/float64(len(rlo)), want)
	}
}

// TestBGBBIntervals computes the BG/BB's intervals on the donations data
// of Fader, Hardie & Shang (2010), on the model's own discrete summary: the
// horizon is the 5 holdout years (the total's predictive mean is the
// model's predicted total), the actuals the years with a donation. (The
// log's holdout is made up by donationsLog, so coverage is not checked.)
func TestBGBBIntervals(t *testing.T) {
	dir := t.TempDir()
	logPath, _ := donationsLog(t, dir)
	yaml := `name: donations
data: {path: ` + logPath + `, customer: donor, date: date, amount: none}
split: {unit: year, calibration_end: 2001-12-31, holdout_end: 2006-12-31}
models: [bgbb]
intervals: {levels: [0.8], draws: 5}
output: {plots: false, report: false}
`
	out := runConfigIn(t, dir, yaml)
	mf := out.Metrics.(*MetricsFile)
	mi := mf.Intervals.Models["bgbb"]
	if mi == nil || mi.Error != "" {
		t.Fatalf("bgbb intervals %+v", mi)
	}
	s := mi.Scores["interval_80"]
	h := mf.Models["bgbb"].Holdout
	if pred := float64(h.PredictedTotal); math.Abs(float64(s.TotalMean)-pred) > 0.01*pred || s.ActualTotal != h.ActualTotal || !(s.TotalLower < s.TotalMean && s.TotalMean < s.TotalUpper) {
		t.Errorf("bgbb 80%%: %+v (holdout predicted %v, actual %v)", s, h.PredictedTotal, h.ActualTotal)
	}
	if tv := mf.Verdict.Targets[TargetPurchases]; tv.Error == "" {
		t.Errorf("a verdict on one model: %+v", tv)
	}
	t.Logf("bgbb 80%%: coverage %.3f, within bounds %.3f, total %v in [%.0f, %.0f]", s.Coverage, s.WithinBounds, s.ActualTotal, s.TotalLower, s.TotalUpper)
}

// TestRunWithoutMoneyIntervals runs the quickstart with intervals.money:
// false: the purchase intervals and their scores stay, and no spend,
// revenue or CLV bound reaches predictions.csv or metrics.json.
func TestRunWithoutMoneyIntervals(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"models=[bgnbd]", "output.plots=false", "output.report=false", "intervals.money=false", "intervals.levels=[0.8]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	_, cols := predictionsCSV(t, out.Dir)
	if len(cols["bgnbd_purchases_lower_80"]) == 0 {
		t.Error("the purchase interval columns are missing")
	}
	for _, c := range []string{"bgnbd_spend_lower_80", "bgnbd_revenue_lower_80", "bgnbd_clv_lower_80"} {
		if cols[c] != nil {
			t.Errorf("column %s written with intervals.money: false", c)
		}
	}
	scores := out.Metrics.(*MetricsFile).Intervals.Models["bgnbd"].Scores
	if _, ok := scores[LevelTarget(0.8)]; !ok {
		t.Errorf("purchase interval scores missing: %v", scores)
	}
	if _, ok := scores[RevenueTarget(0.8)]; ok {
		t.Errorf("revenue interval scores present with intervals.money: false")
	}
}

// stallingContext is a context whose first look at Err cancels it and
// then stalls until release is closed: work that looks at the context
// once and then runs on (as the intervals' draws do) is held in that look
// while its caller must already see the cancellation.
type stallingContext struct {
	context.Context
	cancel  context.CancelFunc
	release chan struct{}
	once    sync.Once
}

func (c *stallingContext) Err() error {
	first := false
	c.once.Do(func() { first = true })
	if first {
		c.cancel()
		<-c.release
	}
	return c.Context.Err()
}

// TestIntervalsStopWhenInterrupted interrupts a window's intervals while
// they are being computed (a SIGINT landing just after the fits): the
// stage must return the run's interruption at once, not after the draws
// (which would spend the command's grace period), and the draws left
// running must finish on their own once released.
func TestIntervalsStopWhenInterrupted(t *testing.T) {
	cfg, wr := simulatedWindow(t, 2000)
	inner, cancel := context.WithCancel(context.Background())
	ctx := &stallingContext{Context: inner, cancel: cancel, release: make(chan struct{})}
	returned := make(chan error, 1)
	go func() { returned <- intervalsUnlessDone(ctx, cfg, models.NewRegistry(), wr) }()
	select {
	case err := <-returned:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run interrupted") {
			t.Errorf("interrupted intervals returned %v, want the run's interruption", err)
		}
	case <-time.After(time.Minute): // a deadlock guard, not a timing: the draws are stalled
		t.Error("the intervals stage did not return after the run was interrupted")
	}
	close(ctx.release)
}
