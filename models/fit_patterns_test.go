package models

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// The fits receive the table of distinct histories that clv builds once
// per data set (datasets.Patterns), with weights. These tests hold its
// likelihoods to the plain sum over the customers, and the benchmarks
// time each fit on it as clv runs them.

// patternSets caches simulated summaries by size: simulating is done once.
var patternSets sync.Map // n → *patternSet

type patternSet struct {
	once sync.Once
	s    *datasets.Summary
	err  error
}

// patternSummary simulates n BG/NBD customers with Gamma-Gamma spend over
// 78 weeks (the first 12 of acquisition, calibration to week 39), with
// times in whole days as a log gives them, so that histories repeat.
func patternSummary(tb testing.TB, n int) *datasets.Summary {
	tb.Helper()
	v, _ := patternSets.LoadOrStore(n, &patternSet{})
	set := v.(*patternSet)
	set.once.Do(func() {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg := datasets.SimulationConfig{Model: "bgnbd", Params: map[string]float64{"r": 1, "alpha": 5, "a": 0.5, "b": 10},
			Spend: map[string]float64{"p": 6, "q": 4, "gamma": 15}, Customers: n, Start: start,
			AcquisitionDays: 84, End: start.AddDate(0, 0, 545), Unit: datasets.Week, Seed: 7}
		set.s, set.err = datasets.SimulateSummary(cfg, start.AddDate(0, 0, 272), time.Time{}, datasets.Week)
		if set.err != nil {
			return
		}
		for i := range set.s.Customers {
			c := &set.s.Customers[i]
			c.T = math.Max(math.Floor(c.T*7), 1) / 7
			c.Recency = math.Min(math.Floor(c.Recency*7)/7, c.T)
		}
	})
	if set.err != nil {
		tb.Fatal(set.err)
	}
	return set.s
}

// patternData returns the customers of s as rows, and their table of
// distinct histories with weights (what clv fits the purchase models on).
func patternData(s *datasets.Summary) (customers, patterns *Data) {
	f, r, t, m, _ := s.Columns()
	customers = &Data{Frequency: f, Recency: r, T: t, Monetary: m}
	p := datasets.NewPatterns(s)
	patterns = &Data{Frequency: p.Frequency, Recency: p.Recency, T: p.T, Weight: p.Weight}
	return customers, patterns
}

// TestLikelihoodOnPatterns checks, for BG/NBD, MBG/NBD and Pareto/NBD, that
// the log-likelihood of the pattern table (distinct histories, weights,
// time tables, pair tables and parallel chunks) equals the plain sum of
// the fitted model's per-customer LogLikelihood over 30,000 customers to
// 1e-12 relative, at several parameter points.
func TestLikelihoodOnPatterns(t *testing.T) {
	customers, patterns := patternData(patternSummary(t, 30_000))
	if patterns.Len() >= customers.Len()*9/10 || patterns.Len() <= chunkSize {
		t.Fatalf("%d patterns of %d customers: want repeats and more than one chunk", patterns.Len(), customers.Len())
	}
	sum := func(ll func(Customer) float64) float64 {
		s := 0.0
		for i := 0; i < customers.Len(); i++ {
			s += ll(customers.Customer(i))
		}
		return s
	}
	check := func(name string, p []float64, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("%s at %v: pattern table %.17g, customer by customer %.17g (relative %.2g)", name, p, got, want, math.Abs(got-want)/math.Abs(want))
		}
	}
	for _, p := range [][]float64{{1, 5, 0.5, 10}, {0.3, 12, 2, 0.7}, {4, 0.8, 0.05, 30}} {
		for shift, name := range []string{"bgnbd", "mbgnbd"} {
			rows, err := newBGFRows(patterns, float64(shift))
			if err != nil {
				t.Fatal(err)
			}
			if rows.tau == nil {
				t.Fatalf("%s: no time table on times in whole days", name)
			}
			m := bgfModel{p[0], p[1], p[2], p[3], float64(shift)}
			check(name, p, rows.logLik(p, nil), sum(m.logLik))
		}
		pd := newPNBDData(patterns)
		if pd.r1 == nil {
			t.Fatal("paretonbd: no pair tables on times in whole days")
		}
		m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		check("paretonbd", p, pd.logLik(p, nil), sum(m.LogLikelihood))
	}
}

// TestFitOnPatterns checks that each fit on the pattern table finds the
// maximum of the customers' likelihood: the customer-by-customer gradient
// (central differences in log-parameters, per customer) vanishes at the
// estimates.
func TestFitOnPatterns(t *testing.T) {
	customers, patterns := patternData(patternSummary(t, 5_000))
	n := float64(customers.Len())
	fits := []struct {
		name string
		fit  func() (*FitResult, error)
		// loglik of one customer at the natural parameters p.
		ll func(p []float64, c Customer) float64
	}{
		{"bgnbd", func() (*FitResult, error) {
			f, err := FitBGNBD(context.Background(), patterns, FitOptions{})
			return ResultOf(f), err
		},
			func(p []float64, c Customer) float64 { return bgfModel{p[0], p[1], p[2], p[3], 0}.logLik(c) }},
		{"mbgnbd", func() (*FitResult, error) {
			f, err := FitMBGNBD(context.Background(), patterns, FitOptions{})
			return ResultOf(f), err
		}, func(p []float64, c Customer) float64 { return bgfModel{p[0], p[1], p[2], p[3], 1}.logLik(c) }},
		{"paretonbd", func() (*FitResult, error) {
			f, err := FitParetoNBD(context.Background(), patterns, FitOptions{})
			return ResultOf(f), err
		}, func(p []float64, c Customer) float64 {
			m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
			return m.LogLikelihood(c)
		}},
	}
	for _, f := range fits {
		res, err := f.fit()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		names := pnbdNames
		if f.name != "paretonbd" {
			names = bgfNames
		}
		p := make([]float64, len(names))
		for i, k := range names {
			p[i] = res.Params[k]
		}
		// Central differences of the mean log-likelihood in ln θ.
		for i := range p {
			h := 1e-5
			at := func(d float64) float64 {
				q := append([]float64(nil), p...)
				q[i] *= math.Exp(d)
				s := 0.0
				for j := 0; j < customers.Len(); j++ {
					s += f.ll(q, customers.Customer(j))
				}
				return s / n
			}
			if g := (at(h) - at(-h)) / (2 * h); math.Abs(g) > 1e-6 {
				t.Errorf("%s: ∂(mean log-likelihood)/∂ln %s = %.3g at the estimates %v", f.name, names[i], g, p)
			}
		}
	}
}

// BenchmarkFitOnPatterns times each fit as clv runs it, on the pattern
// table of 100,000 simulated customers in whole days (Gamma-Gamma on the
// customers' spend), the table built outside the timer:
//
//	go test ./models -run XXX -bench FitOnPatterns
func BenchmarkFitOnPatterns(b *testing.B) {
	customers, patterns := patternData(patternSummary(b, 100_000))
	fits := map[string]func() error{
		"bgnbd":      func() error { _, err := FitBGNBD(context.Background(), patterns, FitOptions{}); return err },
		"mbgnbd":     func() error { _, err := FitMBGNBD(context.Background(), patterns, FitOptions{}); return err },
		"paretonbd":  func() error { _, err := FitParetoNBD(context.Background(), patterns, FitOptions{}); return err },
		"gammagamma": func() error { _, err := FitGammaGamma(context.Background(), customers, FitOptions{}); return err },
	}
	for _, name := range []string{"bgnbd", "mbgnbd", "paretonbd", "gammagamma"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := fits[name](); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(patterns.Len()), "patterns")
		})
	}
}

// BenchmarkPatterns times the pattern table of 100,000 customers.
func BenchmarkPatterns(b *testing.B) {
	s := patternSummary(b, 100_000)
	for b.Loop() {
		datasets.NewPatterns(s)
	}
	b.ReportMetric(float64(len(s.Customers)), "customers")
}
