package report

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

// The fixture: 80 simulated customers in weeks, calibration to 2024-06-30,
// holdout to 2024-12-29; BG/NBD, Pareto/NBD and MBG/NBD with the CDNOW-like
// parameters below, the average model fitted on the data, and hiatus
// failed. One gate passes and one fails, MBG/NBD did not converge, and a
// two-window backtest is recorded.
var (
	fxFirst  = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fxCal    = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	fxHold   = time.Date(2024, 12, 29, 0, 0, 0, 0, time.UTC)
	fxModels = []string{"average", "hiatus", "bgnbd", "paretonbd", "mbgnbd"}
)

func days(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

// fixtureSummary simulates the customers day by day (see the plot
// package's fixture): the summary's columns and daily counts agree.
func fixtureSummary(n int) *datasets.Summary {
	rng := rand.New(rand.NewPCG(5, 2024))
	cal, hold := days(fxFirst, fxCal), days(fxFirst, fxHold)
	u := 7.0
	s := &datasets.Summary{Unit: datasets.Week, CalibrationEnd: fxCal, HoldoutEnd: fxHold, HasHoldout: true, HasAmount: true,
		FirstDay: fxFirst, RepeatsPerDay: make([]float64, hold+1)}
	for i := range n {
		first := 0
		if i > 0 {
			first = rng.IntN(120)
		}
		rate, life := 0.03*rng.ExpFloat64(), first+int(250*rng.ExpFloat64())
		x, xh, last := 0, 0, first
		for d := first + 1; d <= min(life, hold); d++ {
			if rng.Float64() < rate {
				s.RepeatsPerDay[d]++
				if d <= cal {
					x, last = x+1, d
				} else {
					xh++
				}
			}
		}
		c := datasets.CustomerSummary{ID: fmt.Sprintf("%04d", i+1), Frequency: float64(x), Recency: float64(last-first) / u,
			T: float64(cal-first) / u, FrequencyHoldout: float64(xh), DurationHoldout: float64(hold-cal) / u, Weight: 1}
		if xh > 0 {
			c.MonetaryHoldout = 10 + float64(i%5)
		}
		s.Customers = append(s.Customers, c)
	}
	return s
}

// fixtureArtifacts returns what a run hands the report writer.
func fixtureArtifacts(t testing.TB) *experiments.Artifacts {
	t.Helper()
	s := fixtureSummary(80)
	f, r, tt, _, _ := s.Columns()
	data := &models.Data{Frequency: f, Recency: r, T: tt}
	fits := map[string]models.FittedPurchases{}
	var err error
	if fits["bgnbd"], err = models.NewFittedBGNBD(0.243, 4.414, 0.793, 2.426); err != nil {
		t.Fatal(err)
	}
	if fits["paretonbd"], err = models.NewFittedParetoNBD(0.553, 10.578, 0.606, 11.669); err != nil {
		t.Fatal(err)
	}
	if fits["mbgnbd"], err = models.NewFittedMBGNBD(0.5, 6, 1.0, 2.3); err != nil {
		t.Fatal(err)
	}
	if fits["average"], err = (models.Average{}).Fit(t.Context(), data, models.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	n := len(s.Customers)
	ids := make([]string, n)
	actP, actR := make([]float64, n), make([]float64, n)
	for i, c := range s.Customers {
		ids[i], actP[i], actR[i] = c.ID, c.FrequencyHoldout, c.FrequencyHoldout*c.MonetaryHoldout
	}
	lo, hi := -0.25, 0.25
	mae := 0.1
	mf := &experiments.MetricsFile{
		Name: "fixture", Unit: "week",
		Data: experiments.DataFacts{File: "shop.csv", SHA256: "abc123", RowsRead: 1000, RowsUsed: 990, RowsRejected: 10,
			RejectedBy: map[string]int64{"bad_date": 7, "negative_amount": 3}, Customers: n + 2, CalibrationCustomers: n, LateCustomers: 2, HasAmount: true},
		Split: experiments.SplitInfo{CalibrationEnd: "2024-06-30", HoldoutEnd: "2024-12-29", HoldoutLength: 26, Horizon: 52,
			DiscountRatePerYear: 0.1, DiscountRatePerUnit: models.PerUnitDiscountRate(0.1, 7), Margin: 1},
		SpendModel: &models.FitResult{Model: "gammagamma", Params: models.Params{"p": 6.25, "q": 3.74, "gamma": 15.44},
			StdErrors: models.Params{"p": 0.5, "q": 0.2, "gamma": 2}, HasLikelihood: true, LogLikelihood: -4000.5, AIC: 8007, BIC: 8020,
			Converged: true, Iterations: 20, Method: "LBFGS"},
		SegmentTarget: experiments.TargetRevenue,
		Models:        map[string]*experiments.ModelReport{},
		Warnings: []string{"10 of 1000 rows were rejected (on_bad_row: skip); see rejects.csv",
			"2 customers first bought after the calibration end and are not scored",
			"hiatus failed: hiatus: no repeat customer to derive the hiatus from"},
	}
	preds := map[string]*experiments.Prediction{}
	for _, m := range fxModels {
		if m == "hiatus" {
			mf.Models[m] = &experiments.ModelReport{Fit: &models.FitResult{Model: m}, Error: "hiatus: no repeat customer to derive the hiatus from"}
			continue
		}
		f := fits[m]
		p := &fixturePrediction{Purchases: make([]float64, n), PAlive: make([]float64, n), Revenue: make([]float64, n), CLV: make([]float64, n)}
		for i, c := range s.Customers {
			mc := models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}
			p.Purchases[i] = f.ConditionalExpectedPurchases(mc, c.DurationHoldout)
			p.PAlive[i] = f.ProbabilityAlive(mc)
			p.Revenue[i] = 12 * p.Purchases[i]
			p.CLV[i] = 20 * p.Purchases[i]
		}
		preds[m] = p.prediction(12)
		sp, err := experiments.Score(ids, p.Purchases, actP)
		if err != nil {
			t.Fatal(err)
		}
		sr, err := experiments.Score(ids, p.Revenue, actR)
		if err != nil {
			t.Fatal(err)
		}
		seg, err := experiments.Segments(ids, p.Revenue, actR, 5)
		if err != nil {
			t.Fatal(err)
		}
		res := *f.Result()
		if m != "average" {
			res.HasLikelihood, res.LogLikelihood, res.AIC, res.BIC = true, -1234.5, 2477, 2490
			res.StdErrors = models.Params{}
			for k, v := range res.Params {
				res.StdErrors[k] = v / 10
			}
			res.Converged, res.Iterations, res.Method = m != "mbgnbd", 15, "LBFGS"
		}
		mf.Models[m] = &experiments.ModelReport{Fit: &res, Holdout: &sp, HoldoutRevenue: &sr, Segments: seg,
			CLV: &experiments.CLVSummary{Total: experiments.Metric(sumOf(p.CLV)), Mean: experiments.Metric(sumOf(p.CLV) / float64(n))}}
	}
	mf.Gates = experiments.ScoreSet(mf.ScoreSet()).CheckGates([]experiments.Gate{
		{Metric: "bgnbd.holdout.bias", Min: &lo, Max: &hi},
		{Metric: "paretonbd.holdout.mae", Max: &mae},
	})
	for _, g := range mf.Gates {
		if !g.Passed {
			mf.Warnings = append(mf.Warnings, g.Message)
		}
	}
	// A two-window backtest: an earlier window with shifted scores.
	bt := &experiments.Backtest{Summary: map[string]map[string]map[string]experiments.Spread{}}
	early := experiments.WindowScores{CalibrationEnd: "2024-03-31", HoldoutEnd: "2024-09-29", Customers: 50, Scores: map[string]map[string]experiments.Scores{}}
	main := experiments.WindowScores{CalibrationEnd: "2024-06-30", HoldoutEnd: "2024-12-29", Main: true, Customers: n, Scores: map[string]map[string]experiments.Scores{}}
	for m, rep := range mf.Models {
		if rep.Holdout == nil {
			continue
		}
		e := *rep.Holdout
		e.MAE *= 1.1
		early.Scores[m] = map[string]experiments.Scores{experiments.TargetPurchases: e}
		main.Scores[m] = map[string]experiments.Scores{experiments.TargetPurchases: *rep.Holdout}
		bt.Summary[m] = map[string]map[string]experiments.Spread{experiments.TargetPurchases: {}}
		for k, v := range rep.Holdout.Values() {
			ev, _ := e.Value(k)
			bt.Summary[m][experiments.TargetPurchases][k] = experiments.Spread{Mean: experiments.Metric((v + ev) / 2),
				SD: experiments.Metric(math.Abs(v-ev) / math.Sqrt2), Windows: 2}
		}
	}
	bt.Windows = []experiments.WindowScores{early, main}
	mf.Backtest = bt
	return &experiments.Artifacts{Config: &experiments.Config{Models: fxModels}, Metrics: mf, Summary: s,
		Predictions: preds, Fits: fits, Windows: 2}
}

func sumOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// writeRun writes the files a run leaves before its report: metrics.json
// (in the layout the runner intends), params.json, predictions.csv (the
// runner's columns) and, unless noPlots, the figures.
func writeRun(t testing.TB, dir string, a *experiments.Artifacts, noPlots bool) {
	t.Helper()
	b, err := encodeMetrics(a.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "metrics.json"), b, 0o644))
	params := map[string]*models.FitResult{}
	for m, rep := range a.Metrics.Models {
		params[m] = rep.Fit
	}
	pb, err := json.MarshalIndent(params, "", "  ")
	must(err)
	must(os.WriteFile(filepath.Join(dir, "params.json"), pb, 0o644))
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var sb strings.Builder
	sb.WriteString("customer_id,frequency,recency,T,monetary_value,frequency_holdout,monetary_value_holdout,duration_holdout,revenue_holdout")
	var names []string
	for _, m := range a.Config.Models {
		if _, ok := a.Predictions[m]; ok {
			names = append(names, m)
			sb.WriteString("," + m + "_purchases," + m + "_p_alive," + m + "_revenue," + m + "_clv")
		}
	}
	sb.WriteString("\n")
	for i, c := range a.Summary.Customers {
		sb.WriteString(strings.Join([]string{c.ID, g(c.Frequency), g(c.Recency), g(c.T), g(c.Monetary), g(c.FrequencyHoldout),
			g(c.MonetaryHoldout), g(c.DurationHoldout), g(c.FrequencyHoldout * c.MonetaryHoldout)}, ","))
		for _, m := range names {
			p := a.Predictions[m]
			sb.WriteString("," + strings.Join([]string{g(p.Purchases(i)), g(p.PAlive(i)), g(p.Revenue(i)), g(p.CLV(i))}, ","))
		}
		sb.WriteString("\n")
	}
	must(os.WriteFile(filepath.Join(dir, "predictions.csv"), []byte(sb.String()), 0o644))
	if !noPlots {
		must(plot.WriteAll(dir, a))
	}
}

// encodeMetrics writes metrics.json as the runner does.
func encodeMetrics(mf *experiments.MetricsFile) ([]byte, error) {
	return json.MarshalIndent(mf, "", "  ")
}

// drawn is the fixture's results folder with its figures, drawn once for
// all tests (drawing 14 figures at 300 dpi takes a few seconds).
var drawn struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if drawn.dir != "" {
		os.RemoveAll(drawn.dir)
	}
	os.Exit(code)
}

// drawnRun returns the fixture and a fresh copy of its results folder with
// the figures drawn (report not yet written).
func drawnRun(t testing.TB) (*experiments.Artifacts, string) {
	t.Helper()
	a := fixtureArtifacts(t)
	drawn.once.Do(func() {
		drawn.dir, drawn.err = os.MkdirTemp("", "clv-report-test-")
		if drawn.err == nil {
			writeRun(t, drawn.dir, a, false)
		}
	})
	if drawn.err != nil {
		t.Fatal(drawn.err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(drawn.dir)); err != nil {
		t.Fatal(err)
	}
	return a, dir
}

// fixturePrediction holds a fixture model's per-customer columns.
type fixturePrediction struct{ Purchases, PAlive, Revenue, CLV []float64 }

// prediction returns the run's Prediction of the columns, the spend per
// purchase the same for every customer (its revenue is Purchases · spend).
func (p *fixturePrediction) prediction(spend float64) *experiments.Prediction {
	sp := make([]float64, len(p.Purchases))
	for i := range sp {
		sp[i] = spend
	}
	return experiments.NewPrediction(experiments.PredictionColumns{Purchases: p.Purchases, PAlive: p.PAlive, Spend: sp, Margin: 1})
}
