package plot

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// Fixture calendar: daily purchases from 2024-01-01, calibration to
// 2024-06-30 (day 181), holdout to 2024-12-29 (day 363), in weeks.
var (
	fxFirst   = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fxCal     = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	fxHold    = time.Date(2024, 12, 29, 0, 0, 0, 0, time.UTC)
	fxModels  = []string{"average", "bgnbd", "paretonbd", "mbgnbd"}
	fxSpend   = 12.5 // predicted revenue per purchase
	fxHoldout = 26.0 // weeks
)

// fixtureSummary simulates n customers day by day with a fixed seed: each
// first buys on a day in [0, 120) (customer 0 on day 0, so the daily counts
// start on the earliest first purchase), then buys on any later day with a
// customer-specific probability until a customer-specific lifetime ends.
// The summary, including RepeatsPerDay, is computed from the purchase days,
// so its columns and daily counts agree by construction.
func fixtureSummary(n int, seed uint64) *datasets.Summary {
	rng := rand.New(rand.NewPCG(seed, 2024))
	cal := dayIndex(fxFirst, fxCal)
	hold := dayIndex(fxFirst, fxHold)
	u := datasets.Week.Days()
	s := &datasets.Summary{
		Unit: datasets.Week, CalibrationEnd: fxCal, HoldoutEnd: fxHold, HasHoldout: true, HasAmount: true,
		FirstDay: fxFirst, RepeatsPerDay: make([]float64, hold+1),
	}
	for i := range n {
		first := 0
		if i > 0 {
			first = rng.IntN(120)
		}
		rate := 0.03 * rng.ExpFloat64()
		life := first + int(250*rng.ExpFloat64())
		var x, xh, last int
		last = first
		for d := first + 1; d <= min(life, hold); d++ {
			if rng.Float64() >= rate {
				continue
			}
			s.RepeatsPerDay[d]++
			if d <= cal {
				x++
				last = d
			} else {
				xh++
			}
		}
		c := datasets.CustomerSummary{
			ID: fmt.Sprintf("%04d", i+1), Frequency: float64(x),
			Recency: float64(last-first) / u, T: float64(cal-first) / u,
			FrequencyHoldout: float64(xh), DurationHoldout: float64(hold-cal) / u, Weight: 1,
			FirstAmount: 20,
		}
		if x > 0 {
			c.Monetary = 10 + float64(i%7)
		}
		if xh > 0 {
			c.MonetaryHoldout = 10 + float64(i%5)
		}
		s.Customers = append(s.Customers, c)
	}
	return s
}

// fixtureFits returns the fixture's models: the BG/NBD and Pareto/NBD with
// the CDNOW estimates of Fader, Hardie & Lee (2005), an MBG/NBD with
// similar parameters, and the simple-average model fitted on the data.
func fixtureFits(t testing.TB, s *datasets.Summary) map[string]models.FittedPurchases {
	t.Helper()
	bg, err := models.NewFittedBGNBD(0.243, 4.414, 0.793, 2.426)
	if err != nil {
		t.Fatal(err)
	}
	pn, err := models.NewFittedParetoNBD(0.553, 10.578, 0.606, 11.669)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := models.NewFittedMBGNBD(0.5, 6, 1.0, 2.3)
	if err != nil {
		t.Fatal(err)
	}
	av, err := models.Average{}.Fit(context.Background(), summaryData(s), models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]models.FittedPurchases{"average": av, "bgnbd": bg, "paretonbd": pn, "mbgnbd": mb}
}

// fixtureArtifacts builds what a run hands the plot writer: the summary,
// predictions of every model, and metrics computed by the experiments
// package's own scoring.
func fixtureArtifacts(t testing.TB, n int, seed uint64) *experiments.Artifacts {
	t.Helper()
	s := fixtureSummary(n, seed)
	fits := fixtureFits(t, s)
	return artifactsFor(t, s, fits, fxModels)
}

func artifactsFor(t testing.TB, s *datasets.Summary, fits map[string]models.FittedPurchases, order []string) *experiments.Artifacts {
	t.Helper()
	nc := len(s.Customers)
	ids := make([]string, nc)
	actP := make([]float64, nc)
	actR := make([]float64, nc)
	for i, c := range s.Customers {
		ids[i] = c.ID
		actP[i] = c.FrequencyHoldout
		actR[i] = c.FrequencyHoldout * c.MonetaryHoldout
	}
	mf := &experiments.MetricsFile{
		Name: "fixture", Unit: s.Unit.Name,
		Data: experiments.DataFacts{File: "fixture.csv", RowsRead: 1000, RowsUsed: 990, RowsRejected: 10,
			RejectedBy: map[string]int64{"bad_date": 10}, Customers: nc, CalibrationCustomers: nc, HasAmount: true},
		Split: experiments.SplitInfo{CalibrationEnd: s.CalibrationEnd.Format(time.DateOnly), HoldoutEnd: s.HoldoutEnd.Format(time.DateOnly),
			HoldoutLength: fxHoldout, Horizon: 52, DiscountRatePerYear: 0.1, DiscountRatePerUnit: models.PerUnitDiscountRate(0.1, 7), Margin: 1},
		SegmentTarget: experiments.TargetRevenue,
		Models:        map[string]*experiments.ModelReport{},
		Warnings:      []string{"10 of 1000 rows were rejected (on_bad_row: skip); see rejects.csv"},
	}
	preds := map[string]*experiments.Prediction{}
	for _, m := range order {
		f := fits[m]
		p := &fixturePrediction{Purchases: make([]float64, nc), PAlive: make([]float64, nc), Revenue: make([]float64, nc), CLV: make([]float64, nc)}
		for i, c := range s.Customers {
			mc := models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}
			p.Purchases[i] = f.ConditionalExpectedPurchases(mc, c.DurationHoldout)
			p.PAlive[i] = f.ProbabilityAlive(mc)
			p.Revenue[i] = p.Purchases[i] * fxSpend
			p.CLV[i] = 2 * p.Revenue[i]
		}
		preds[m] = p.prediction(fxSpend)
		sp, err := experiments.Score(ids, p.Purchases, actP)
		if err != nil {
			t.Fatal(err)
		}
		sr, err := experiments.Score(ids, p.Revenue, actR)
		if err != nil {
			t.Fatal(err)
		}
		seg, err := experiments.Segments(ids, p.Revenue, actR, 10)
		if err != nil {
			t.Fatal(err)
		}
		total := 0.0
		for _, v := range p.CLV {
			total += v
		}
		mf.Models[m] = &experiments.ModelReport{Fit: f.Result(), Holdout: &sp, HoldoutRevenue: &sr, Segments: seg,
			CLV: &experiments.CLVSummary{Total: experiments.Metric(total), Mean: experiments.Metric(total / float64(nc))}}
	}
	return &experiments.Artifacts{
		Config: &experiments.Config{Models: order}, Metrics: mf, Summary: s,
		Predictions: preds, Fits: fits, Windows: 1,
	}
}

// withBacktest adds a two-window backtest to a copy of mf: an earlier
// window whose scores are the main ones scaled, and the main window.
func withBacktest(mf *experiments.MetricsFile) *experiments.MetricsFile {
	out := *mf
	early := experiments.WindowScores{CalibrationEnd: "2024-03-31", HoldoutEnd: "2024-09-29", Customers: 50,
		Scores: map[string]map[string]experiments.Scores{}}
	main := experiments.WindowScores{CalibrationEnd: mf.Split.CalibrationEnd, HoldoutEnd: mf.Split.HoldoutEnd, Main: true,
		Customers: mf.Data.CalibrationCustomers, Scores: map[string]map[string]experiments.Scores{}}
	bt := &experiments.Backtest{Summary: map[string]map[string]map[string]experiments.Spread{}}
	for name, rep := range mf.Models {
		e := *rep.Holdout
		e.MAE *= 1.2
		e.Bias = e.Bias*0.5 + 0.1
		e.Gini *= 0.9
		early.Scores[name] = map[string]experiments.Scores{experiments.TargetPurchases: e}
		main.Scores[name] = map[string]experiments.Scores{experiments.TargetPurchases: *rep.Holdout}
		bt.Summary[name] = map[string]map[string]experiments.Spread{experiments.TargetPurchases: {}}
		for metric, v := range rep.Holdout.Values() {
			ev, _ := e.Value(metric)
			mean := (v + ev) / 2
			sd := math.Abs(v-ev) / math.Sqrt2
			bt.Summary[name][experiments.TargetPurchases][metric] = experiments.Spread{
				Mean: experiments.Metric(mean), SD: experiments.Metric(sd), Windows: 2}
		}
	}
	bt.Windows = []experiments.WindowScores{early, main}
	out.Backtest = bt
	return &out
}

// summaryData returns the calibration columns of a summary as model data.
func summaryData(s *datasets.Summary) *models.Data {
	f, r, t, _, _ := s.Columns()
	return &models.Data{Frequency: f, Recency: r, T: t}
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
