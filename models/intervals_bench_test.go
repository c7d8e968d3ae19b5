package models

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// BenchmarkPurchaseIntervals computes BG/NBD intervals (20 parameter
// draws) on the pattern table of 100,000 simulated customers (whole days,
// so histories repeat as in a real log), at the BG/NBD fitted to them.
func BenchmarkPurchaseIntervals(b *testing.B) {
	start := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 52*7-1)
	sim, err := datasets.Simulate(datasets.SimulationConfig{Model: "bgnbd", Params: map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5},
		Customers: 100000, Start: start, End: end, Unit: datasets.Week, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sim.WriteCSV(&buf); err != nil {
		b.Fatal(err)
	}
	s, err := datasets.Summarize(&buf, "simulated.csv", datasets.ReadOptions{}, datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: end})
	if err != nil {
		b.Fatal(err)
	}
	pt := datasets.NewPatterns(s)
	d := &Data{Frequency: pt.Frequency, Recency: pt.Recency, T: pt.T, Weight: pt.Weight}
	f, err := FitBGNBD(context.Background(), d, FitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(d.Len()), "patterns")
	for b.Loop() {
		if _, err := NewPurchaseIntervals(f, d, 26, IntervalOptions{Level: 0.8, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRevenueIntervals finds the 80% holdout-revenue quantiles of
// every history of 50,000 customers simulated from the BG/NBD with
// Gamma-Gamma spend (the rows' root searches dominate a large run).
func BenchmarkRevenueIntervals(b *testing.B) {
	s, pt, d, gg, pi := revenueBenchSetUp(b)
	rows, monetary := make([]int, len(s.Customers)), make([]float64, len(s.Customers))
	for i, c := range s.Customers {
		rows[i], monetary[i] = int(pt.Of[i]), c.Monetary
	}
	b.ReportMetric(float64(d.Len()), "patterns")
	for b.Loop() {
		if _, err := NewRevenueIntervals(pi, gg, d, rows, monetary, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFutureDistributions computes the whole distributions of the
// next 26 weeks (futureOf and futurePMFCached, as drawFutures does per
// (x, T) group and draw) of 600 histories, x = 0…59 repeat purchases at ages
// T = 4…76 weeks, under parameters near the 1M default run's fits.
func BenchmarkFutureDistributions(b *testing.B) {
	pnbd, _ := NewFittedParetoNBD(0.2916, 7.4, 1.30, 146)
	bg, _ := NewFittedBGNBD(0.25, 4, 0.8, 2.5)
	mbg, _ := NewFittedMBGNBD(0.25, 4, 0.8, 2.5)
	var histories []Customer
	for x := range 60 {
		for T := 4.0; T <= 76; T += 8 {
			histories = append(histories, Customer{Frequency: float64(x), Recency: T / 2, T: T})
		}
	}
	for _, m := range []struct {
		name string
		pm   predictiveModel
	}{{"paretonbd", paretoPredictive{pnbd, newLegendreRules()}}, {"bgnbd", bgnbdPredictive{bg}}, {"mbgnbd", mbgnbdPredictive{mbg}}} {
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				cache := newFutureCache()
				for _, c := range histories {
					next, err := futureOf(m.pm, c)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := futurePMFCached(next, 26, cache); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// revenueBenchSetUp is the revenue benchmarks' cohort: 50,000 customers
// simulated from the BG/NBD with Gamma-Gamma spend, their pattern table
// and its Data, the true Gamma-Gamma, and the BG/NBD's 80% purchase
// intervals over the holdout at the true parameters.
func revenueBenchSetUp(b *testing.B) (*datasets.Summary, *datasets.Patterns, *Data, *FittedGammaGamma, *PurchaseIntervals) {
	b.Helper()
	truth := map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}
	s := simulatedSummary(b, "bgnbd", 50000, truth, map[string]float64{"p": 6, "q": 4, "gamma": 15})
	pt := datasets.NewPatterns(s)
	d := &Data{Frequency: pt.Frequency, Recency: pt.Recency, T: pt.T, Weight: pt.Weight}
	bg, _ := NewFittedBGNBD(truth["r"], truth["alpha"], truth["a"], truth["b"])
	gg, _ := NewFittedGammaGamma(6, 4, 15)
	pi, err := NewPurchaseIntervals(bg, d, s.Customers[0].DurationHoldout, IntervalOptions{Level: 0.8, FixedParameters: true})
	if err != nil {
		b.Fatal(err)
	}
	return s, pt, d, gg, pi
}
