package experiments

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// groupedSummary returns logSummary(n) with two holdout lengths and
// without activity bitmaps, so that every model but the retention
// heuristic is predicted per pattern.
func groupedSummary(n int) *datasets.Summary {
	s := logSummary(n)
	for i := range s.Customers {
		if i%50 == 0 {
			s.Customers[i].DurationHoldout = 13
		}
	}
	return s
}

// TestGroupedEqualsUngrouped checks the (x, T) groups of the pattern path
// (models.RecencyClassed values once per (x, T, class), the
// models.AliveTabulator terms of P(alive) once per (x, T)) against every
// pattern evaluated on its own: the same rows and every value bit for bit,
// on a table large enough to be grouped in parallel parts.
func TestGroupedEqualsUngrouped(t *testing.T) {
	s := groupedSummary(36_000)
	pt := datasets.NewPatterns(s)
	if pt.Len() < 1<<14 {
		t.Fatalf("%d patterns: the table should be grouped in parts", pt.Len())
	}
	in := predictInput{summary: s, patterns: pt, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}}
	in.table = newRowTable(s, pt)
	if len(in.table.durations) != 2 {
		t.Fatalf("%d holdout lengths, want 2", len(in.table.durations))
	}
	ungrouped := in
	ungrouped.ungrouped = true
	for name, f := range patternModels(t, s) {
		got := predictPurchases(context.Background(), f, in)
		want := predictPurchases(context.Background(), f, ungrouped)
		if !slices.Equal(got.rows, want.rows) {
			t.Fatalf("%s: the rows differ", name)
		}
		for _, c := range []struct {
			what      string
			got, want []float64
		}{{"purchases", got.purchases, want.purchases}, {"p_alive", got.alive, want.alive},
			{"discounted", got.discounted, want.discounted}, {"alive time", got.aliveTime, want.aliveTime}} {
			for r := range c.want {
				if math.Float64bits(c.got[r]) != math.Float64bits(c.want[r]) {
					t.Fatalf("%s row %d: %s grouped %v, pattern by pattern %v", name, r, c.what, c.got[r], c.want[r])
				}
			}
		}
	}
}

// TestAgeIndex checks the (x, T) groups of a pattern table: every
// pattern's group has its (x, T), bit for bit, and, the table being
// sorted by frequency, every distinct (x, T) is one group; and in a table
// with the rows in another order, every pattern's group still has its
// (x, T).
func TestAgeIndex(t *testing.T) {
	pt := datasets.NewPatterns(groupedSummary(36_000))
	shuffled := &datasets.Patterns{Frequency: slices.Clone(pt.Frequency), Recency: slices.Clone(pt.Recency), T: slices.Clone(pt.T)}
	rng := rand.New(rand.NewPCG(5, 6))
	rng.Shuffle(pt.Len(), func(i, j int) {
		shuffled.Frequency[i], shuffled.Frequency[j] = shuffled.Frequency[j], shuffled.Frequency[i]
		shuffled.T[i], shuffled.T[j] = shuffled.T[j], shuffled.T[i]
	})
	for _, table := range []*datasets.Patterns{pt, shuffled} {
		a := newAgeIndex(table)
		distinct := map[[2]float64]bool{}
		for j := range table.Len() {
			g := a.of[j]
			if math.Float64bits(a.x[g]) != math.Float64bits(table.Frequency[j]) || math.Float64bits(a.T[g]) != math.Float64bits(table.T[j]) {
				t.Fatalf("pattern %d (x %v, T %v) is in group %d (x %v, T %v)", j, table.Frequency[j], table.T[j], g, a.x[g], a.T[g])
			}
			distinct[[2]float64{table.Frequency[j], table.T[j]}] = true
		}
		if table == pt && a.len() != len(distinct) {
			t.Fatalf("%d groups for %d distinct (x, T)", a.len(), len(distinct))
		}
	}
}

// TestPredictionValues checks Values, and so Column, against Value
// customer by customer, bit for bit, for every quantity, with and without
// a row index, over blocks that start anywhere.
func TestPredictionValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, rowsN = 500, 40
	col := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.Float64() * 10
		}
		return v
	}
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(rng.IntN(rowsN))
	}
	net := NetCLVOptions{Margin: 0.3, CostPerPurchase: 0.7, CostPerCustomer: 0.11}
	byRow := &Prediction{rows: rows, purchases: col(rowsN), alive: col(rowsN), discounted: col(rowsN), aliveTime: col(rowsN),
		spend: col(n), margin: 0.3, net: net, tiers: make([]Tier, n)}
	perCustomer := &Prediction{purchases: col(n), alive: col(n), discounted: col(n), aliveTime: col(n),
		spend: col(n), margin: 0.3, net: net, tiers: make([]Tier, n)}
	for _, p := range []*Prediction{byRow, perCustomer} {
		for q := PredPurchases; q <= PredNetCLV; q++ {
			column := p.Column(q)
			for i := range n {
				if math.Float64bits(column[i]) != math.Float64bits(p.Value(q, i)) {
					t.Fatalf("rows %v quantity %d customer %d: Column %v, Value %v", p.rows != nil, q, i, column[i], p.Value(q, i))
				}
			}
			for range 20 {
				lo := rng.IntN(n)
				dst := make([]float64, rng.IntN(n-lo+1))
				p.Values(q, lo, dst)
				for k, v := range dst {
					if math.Float64bits(v) != math.Float64bits(p.Value(q, lo+k)) {
						t.Fatalf("rows %v quantity %d customer %d: Values %v, Value %v", p.rows != nil, q, lo+k, v, p.Value(q, lo+k))
					}
				}
			}
		}
	}
}

// BenchmarkPredictPatterns predicts the purchase values of 200,000
// customers with histories as varied as the issue-11 simulated log's
// (logSummary) by the five models predicted per pattern (the average,
// hiatus, BG/NBD, MBG/NBD and Pareto/NBD), with a fresh row table per
// iteration as each window makes one: "ungrouped" evaluates every
// pattern on its own, "grouped" shares the (x, T) work (the run's path).
func BenchmarkPredictPatterns(b *testing.B) {
	s := logSummary(200_000)
	pt := datasets.NewPatterns(s)
	fits := patternModels(b, s)
	names := []string{"average", "hiatus", "bgnbd", "mbgnbd", "paretonbd"}
	ages := newAgeIndex(pt).len()
	for _, ungrouped := range []bool{true, false} {
		name := "grouped"
		if ungrouped {
			name = "ungrouped"
		}
		b.Run(name, func(b *testing.B) {
			cpu0 := cputime.Process()
			for b.Loop() {
				in := predictInput{summary: s, patterns: pt, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1},
					table: newRowTable(s, pt), ungrouped: ungrouped}
				for _, m := range names {
					predictPurchases(context.Background(), fits[m], in)
				}
			}
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N)/float64(len(s.Customers)), "cpu-ns/customer")
			b.ReportMetric(float64(pt.Len()), "patterns")
			b.ReportMetric(float64(ages), "(x,T)")
		})
	}
}
