package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"github.com/clv-dev/clv/models"
)

// verdictWindow builds a main window of n customers with known holdout
// purchases and revenue, and models whose errors are known: "close" is
// off by +1/8 for everyone, "twin" by −1/8 (+1/8 at 0; the same squared
// error), "far" by +1/2, and "zero" predicts nothing.
func verdictWindow(n int) (*windowResult, []string) {
	s := &datasets.Summary{HasHoldout: true, HasAmount: true}
	for i := range n {
		y := float64(i % 4)
		s.Customers = append(s.Customers, datasets.CustomerSummary{ID: fmt.Sprint(i), FrequencyHoldout: y, MonetaryHoldout: 10})
	}
	wr := &windowResult{summary: s, preds: map[string]*Prediction{}, results: map[string]*models.FitResult{}, errs: map[string]error{},
		spend: &models.FittedAverageSpend{}}
	offsets := map[string]float64{"close": 0.125, "twin": -0.125, "far": 0.5} // exact in binary
	names := []string{"far", "close", "twin", "zero"}
	for _, name := range names {
		var purchases, spend []float64
		for _, c := range s.Customers {
			y := c.FrequencyHoldout
			switch {
			case name == "zero":
				y = 0
			case name == "twin" && y == 0:
				y = 0.125 // predictions are ≥ 0: the same error the other way
			default:
				y += offsets[name]
			}
			purchases = append(purchases, y)
			spend = append(spend, 10) // revenue 10·y
		}
		wr.preds[name] = NewPrediction(PredictionColumns{Purchases: purchases, Spend: spend})
	}
	return wr, names
}

// TestVerdictKnownAnswer checks the verdict through the metrics path on a
// constructed case: with squared error, "close" and "twin" have loss 1/64
// for every customer, "far" 1/4 and "zero" E[y²] = 3.5; the best is close
// (the first of a tie), twin is indistinguishable with interval [0, 0], far
// is worse by exactly 15/64 with interval [15/64, 15/64]; on revenue
// (predictions ×10) the differences are ×100. Zero's bias of −100% is
// marked; the JSON carries the verdict.
func TestVerdictKnownAnswer(t *testing.T) {
	wr, names := verdictWindow(400)
	cfg := &Config{Models: names, Seed: 3, Verdict: VerdictConfig{Resamples: 200}}
	mf := &MetricsFile{Models: map[string]*ModelReport{}}
	_, actP, actR := wr.holdoutActuals()
	for _, name := range names {
		sp, err := wr.scorer().Score(wr.preds[name].Column(PredPurchases), actP)
		if err != nil {
			t.Fatal(err)
		}
		sr, _ := wr.scorer().Score(wr.preds[name].Column(PredRevenue), actR)
		mf.Models[name] = &ModelReport{Fit: &models.FitResult{Model: name}, Holdout: &sp, HoldoutRevenue: &sr}
	}
	mf.Verdict = buildVerdict(cfg, nil, mf, wr)
	for target, scale := range map[string]float64{TargetPurchases: 1, TargetRevenue: 100} {
		tv := mf.Verdict.Targets[target]
		if tv == nil || tv.Error != "" {
			t.Fatalf("%s: verdict %+v", target, tv)
		}
		if tv.Best != "close" || math.Abs(tv.BestLoss-scale/64) > 1e-9*scale || tv.Metric != VerdictSquaredError || tv.Resamples != 200 {
			t.Errorf("%s: best %s with %v (%s, %d resamples), want close with %v", target, tv.Best, tv.BestLoss, tv.Metric, tv.Resamples, scale/64)
		}
		want := map[string][3]float64{"twin": {0, 0, 0}, "far": {15.0 / 64, 15.0 / 64, 15.0 / 64}}
		for _, c := range tv.Others {
			w, ok := want[c.Model]
			if !ok {
				continue
			}
			if math.Abs(c.Difference-w[0]*scale) > 1e-9*scale || math.Abs(c.Lower-w[1]*scale) > 1e-9*scale || math.Abs(c.Upper-w[2]*scale) > 1e-9*scale {
				t.Errorf("%s %s: %v [%v, %v], want %v", target, c.Model, c.Difference, c.Lower, c.Upper, w)
			}
			if c.Indistinguishable != (c.Model == "twin") {
				t.Errorf("%s %s: indistinguishable %v", target, c.Model, c.Indistinguishable)
			}
		}
		if len(tv.LargeBias) != 1 || tv.LargeBias[0] != "zero" {
			t.Errorf("%s: large bias %v, want [zero]", target, tv.LargeBias)
		}
	}
	b, err := json.Marshal(mf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict":{"metric":"squared_error","targets":{"holdout":{"metric":"squared_error","best":"close"`, `"large_bias":["zero"]`, `"indistinguishable":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics.json lacks %s", want)
		}
	}
	lines := strings.Join(mf.Verdict.VerdictLines(), "\n")
	for _, want := range []string{"best close", "twin", "indistinguishable from the best", "vs zero       +3.484 [", "(cohort bias beyond ±50%)"} {
		if !strings.Contains(lines, want) {
			t.Errorf("console verdict lacks %q:\n%s", want, lines)
		}
	}
}

// TestVerdictAbsoluteErrorRewardsZero shows why MAE is not the default: on
// sparse counts (80% zeros) the zero forecast beats the true mean under
// absolute error and loses under squared error.
func TestVerdictAbsoluteErrorRewardsZero(t *testing.T) {
	actual := make([]float64, 1000)
	for i := range actual {
		if i%5 == 0 {
			actual[i] = 1
		}
	}
	mean := make([]float64, len(actual))
	for i := range mean {
		mean[i] = 0.2
	}
	preds := map[string][]float64{"mean": mean, "zero": make([]float64, len(actual))}
	for metric, best := range map[string]string{VerdictSquaredError: "mean", VerdictAbsoluteError: "zero"} {
		tv := targetVerdict([]string{"mean", "zero"}, preds, actual, VerdictOptions{Metric: metric, Resamples: 100, Seed: 1})
		if tv.Error != "" || tv.Best != best {
			t.Errorf("%s: best %s (%s), want %s", metric, tv.Best, tv.Error, best)
		}
	}
}

// TestVerdictOrigins ranks the models over constructed backtest windows
// on the mean form of the verdict metric (rmse for squared error).
func TestVerdictOrigins(t *testing.T) {
	bt := &Backtest{}
	for _, rmse := range [][2]float64{{1, 2}, {1, 2}, {3, 2}} {
		bt.Windows = append(bt.Windows, WindowScores{Scores: map[string]map[string]Scores{
			"a": {TargetPurchases: {RMSE: Metric(rmse[0]), MAE: 9}}, "b": {TargetPurchases: {RMSE: Metric(rmse[1]), MAE: 0}}}})
	}
	got := RankOverOrigins(originScores(bt, TargetPurchases, verdictScoreMetric[VerdictSquaredError]))
	if len(got) != 2 || got[0].Model != "a" || got[0].Wins != 2 || math.Abs(got[0].MeanRank-4.0/3) > 1e-12 || got[1].Wins != 1 {
		t.Errorf("ranks %+v, want a first with 2 wins and mean rank 4/3", got)
	}
}

// TestLikelihoodComparison compares AIC/BIC only between likelihood fits
// on the summary: heuristics, failed fits and the retention model are left
// out.
func TestLikelihoodComparison(t *testing.T) {
	wr := &windowResult{summary: &datasets.Summary{Customers: make([]datasets.CustomerSummary, 10)}, errs: map[string]error{"mbgnbd": fmt.Errorf("failed")},
		results: map[string]*models.FitResult{
			"average":   {Model: "average"},
			"bgnbd":     {Model: "bgnbd", HasLikelihood: true, AIC: 10, BIC: 30},
			"paretonbd": {Model: "paretonbd", HasLikelihood: true, AIC: 12, BIC: 25},
			"mbgnbd":    {Model: "mbgnbd", HasLikelihood: true, AIC: 1, BIC: 1},
			"retention": {Model: "retention", HasLikelihood: true, AIC: 0, BIC: 0},
		}}
	cfg := &Config{Models: []string{"average", "retention", "bgnbd", "paretonbd", "mbgnbd"}}
	lc := likelihoodComparison(cfg, models.NewRegistry(), wr)
	if lc == nil || strings.Join(lc.Models, ",") != "bgnbd,paretonbd" || lc.BestAIC != "bgnbd" || lc.BestBIC != "paretonbd" {
		t.Errorf("comparison %+v, want bgnbd and paretonbd, best AIC bgnbd, best BIC paretonbd", lc)
	}
}

// TestRollingVerdict runs the rolling CDNOW backtest with two models: the
// verdict ranks them at every origin (mean ranks 1..2, wins adding up to
// the windows), and the interval metrics are summarized over the windows.
func TestRollingVerdict(t *testing.T) {
	sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	cfg, err := Load("../configs/rolling.yaml", []string{"models=[average,bgnbd]", "output.plots=false", "output.report=false", "expect=[]", "intervals.levels=[0.8]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	mf := out.Metrics.(*MetricsFile)
	tv := mf.Verdict.Targets[TargetPurchases]
	windows := len(cfg.Resolved.Windows)
	wins := 0.0
	for _, r := range tv.Origins {
		wins += r.Wins
		if r.Origins != windows || r.MeanRank < 1 || r.MeanRank > 2 {
			t.Errorf("rank %+v over %d windows", r, windows)
		}
	}
	if len(tv.Origins) != 2 || wins != float64(windows) || tv.OriginMetric != "rmse" {
		t.Errorf("origins %+v on %s", tv.Origins, tv.OriginMetric)
	}
	sp := mf.Intervals.Backtest["bgnbd"]["interval_80"]["coverage"]
	if sp.Windows != windows || !(float64(sp.Mean) > 0.5 && float64(sp.Mean) < 1) {
		t.Errorf("coverage over the windows %+v", sp)
	}
	t.Logf("ranks %+v; bgnbd 80%% coverage over %d windows %.3f ± %.3f", tv.Origins, windows, float64(sp.Mean), float64(sp.SD))
}

// TestVerdictStop checks that a verdict stopped before it is finished (a
// score stage that failed) ends its bootstraps at once, each target
// carrying the cancellation, instead of running on until the run's
// context ends. Its resamples (2,000 of 50,000 rows and four models per
// target) take far longer than reaching stop.
func TestVerdictStop(t *testing.T) {
	wr, names := verdictWindow(50_000)
	cfg := &Config{Models: names, Seed: 3}
	pv := startVerdict(context.Background(), cfg, nil, wr)
	pv.stop()
	<-pv.done
	for k, tv := range pv.tvs {
		if !strings.Contains(tv.Error, context.Canceled.Error()) {
			t.Errorf("target %d: error %q, want the cancellation", k, tv.Error)
		}
	}
	var none *pendingVerdict
	none.stop() // no holdout: nothing to stop
}
