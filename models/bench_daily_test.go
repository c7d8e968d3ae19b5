package models_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Large fits as they come from real logs: purchase times in whole days,
// so that identical (x, t_x, T) histories repeat and the compression that
// clv applies before fitting pays. The benchmarks time compression and the
// fit together; simulating the customers is done once, outside the timer.
//
//	go test ./models -run XXX -bench FitDaily -benchtime 3x -timeout 30m

var (
	dailyOnce sync.Map // key → *dailySet
)

type dailySet struct {
	once sync.Once
	s    *datasets.Summary
	err  error
}

func dailySummary(b *testing.B, model string, params map[string]float64, n int) *datasets.Summary {
	b.Helper()
	v, _ := dailyOnce.LoadOrStore(fmt.Sprint(model, n), &dailySet{})
	set := v.(*dailySet)
	set.once.Do(func() {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg := datasets.SimulationConfig{Model: model, Params: params, Customers: n, Start: start,
			AcquisitionDays: 84, End: start.AddDate(0, 0, 545), Unit: datasets.Week, Seed: 11}
		calEnd := start.AddDate(0, 0, 272)
		set.s, set.err = datasets.SimulateSummary(cfg, calEnd, time.Time{}, datasets.Week)
		if set.err != nil {
			return
		}
		// Round to whole days, as a summary of a log is.
		for i := range set.s.Customers {
			c := &set.s.Customers[i]
			c.T = math.Floor(c.T*7) / 7
			c.Recency = math.Min(math.Floor(c.Recency*7)/7, c.T)
			if c.T == 0 {
				c.T = 1.0 / 7
			}
		}
	})
	if set.err != nil {
		b.Fatal(set.err)
	}
	return set.s
}

func benchFitDaily(b *testing.B, model string, n int) {
	params := map[string]map[string]float64{
		"bgnbd":     {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
		"paretonbd": {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67},
	}[model]
	s := dailySummary(b, model, params, n)
	m, err := models.PurchaseModelByName(model)
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		c := datasets.Compress(s)
		f, r, t, _, w := c.Columns()
		rows = len(f)
		if _, err := m.Fit(context.Background(), &models.Data{Frequency: f, Recency: r, T: t, Weight: w}, models.FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows), "distinct-rows")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}

func BenchmarkFitDaily(b *testing.B) {
	for _, model := range []string{"bgnbd", "paretonbd"} {
		for _, n := range []int{1_000_000, 10_000_000} {
			b.Run(fmt.Sprintf("%s/%dM", model, n/1_000_000), func(b *testing.B) { benchFitDaily(b, model, n) })
		}
	}
}
