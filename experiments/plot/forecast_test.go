package plot

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clv-dev/clv/models"
)

// countingClassed counts the values a recency-classed model is asked for
// (from several goroutines).
type countingClassed struct {
	models.FittedPurchases
	models.RecencyClassed
	calls *atomic.Int64
}

func (c countingClassed) ActivityFree() {}

func (c countingClassed) ConditionalExpectedPurchases(cu models.Customer, t float64) float64 {
	c.calls.Add(1)
	return c.FittedPurchases.ConditionalExpectedPurchases(cu, t)
}

// The tracking forecast of a model that reads the recency only through a
// class (the simple average, the hiatus heuristic) computes each
// (x, T, class) once and is, bit for bit, the sum over every distinct
// history in their order (weightedSums): on 3,000 generated customers
// whose 3,000 histories share far fewer (x, T), some observed for no time
// (T = 0).
func TestClassedSumsAsWeightedSums(t *testing.T) {
	in := inputWithNewCustomers(t)
	hiatus, err := models.Hiatus{}.Fit(t.Context(), &models.Data{Frequency: []float64{1, 3, 0}, Recency: []float64{5, 20, 0}, T: []float64{30, 25, 10}}, models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := []float64{0.5, 1, 7.25, 26}
	tables := newHistoryTables(in)
	ht, err := tables.table(false)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]models.FittedPurchases{"average": in.Fits["average"], "hiatus": hiatus} {
		var calls atomic.Int64
		counted := countingClassed{FittedPurchases: f, RecencyClassed: f.(models.RecencyClassed), calls: &calls}
		got, err := holdoutForecast(counted, tables, ts, column{})
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ x, T, class float64 }
		keys := map[key]bool{}
		for _, h := range ht.hs {
			if h.T != 0 { // a new customer's value is ExpectedPurchases
				keys[key{h.x, h.T, float64(counted.RecencyClass(h.customer()))}] = true
			}
		}
		if n := int(calls.Load()); n != len(keys)*len(ts) || len(keys) >= len(ht.hs) {
			t.Errorf("%s: %d values for %d histories of %d (x, T, class) at %d times: not once per (x, T, class)", name, n, len(ht.hs), len(keys), len(ts))
		}
		want, err := weightedSums(nil, len(ht.hs), ts, ht.count, func(g int, dst []float64) {
			c := ht.hs[g].customer()
			for j, tt := range ts {
				if c.T == 0 {
					dst[j] = f.ExpectedPurchases(tt)
				} else {
					dst[j] = f.ConditionalExpectedPurchases(c, tt)
				}
			}
		}, func(g int) history { return ht.hs[g] })
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, want) {
			t.Errorf("%s: per (x, T, class) %v, per history %v", name, got, want)
		}
	}
}

// nanAtAge is the simple average with no value at one age.
type nanAtAge struct {
	*models.FittedAverage
	x float64
}

func (m nanAtAge) ConditionalExpectedPurchases(c models.Customer, t float64) float64 {
	if c.Frequency == m.x {
		return math.NaN()
	}
	return m.FittedAverage.ConditionalExpectedPurchases(c, t)
}

// A value that is not finite is reported for the first history, in the
// histories' order, that has it.
func TestClassedSumsNotFinite(t *testing.T) {
	in := &Input{Customers: []Customer{{Frequency: 1, Recency: 1, T: 3}, {Frequency: 2, Recency: 1, T: 3}, {Frequency: 2, Recency: 2, T: 3}}}
	av, err := models.Average{}.Fit(t.Context(), &models.Data{Frequency: []float64{1, 2}, Recency: []float64{1, 2}, T: []float64{3, 3}}, models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = holdoutForecast(nanAtAge{av.(*models.FittedAverage), 2}, newHistoryTables(in), []float64{1}, column{})
	if err == nil || !strings.Contains(err.Error(), "x = 2, t_x = 1,") {
		t.Errorf("error %v, want one naming the history x = 2, t_x = 1", err)
	}
}
