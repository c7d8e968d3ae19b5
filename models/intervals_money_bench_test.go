package models

import (
	"testing"
)

// BenchmarkRevenueTables times the per-row and per-customer work of the
// money side of a default run's intervals, on tables already built (as
// in a large run, where building them is a small part): the rows'
// quantiles at the levels 0.8 and 0.95 (four tails), the PIT of the
// customers' holdout revenue, and every customer's bounds read once per
// level (as the predictions table does). 50,000 customers simulated from
// the BG/NBD with Gamma-Gamma spend.
func BenchmarkRevenueTables(b *testing.B) {
	s, pt, d, gg, first := revenueBenchSetUp(b)
	second, err := first.AtLevel(0.95)
	if err != nil {
		b.Fatal(err)
	}
	rows, actual := make([]int32, len(s.Customers)), make([]float64, len(s.Customers))
	for i, c := range s.Customers {
		rows[i], actual[i] = pt.Of[i], c.MonetaryHoldout*c.FrequencyHoldout
	}
	customers := RevenueCustomers{Rows: rows, Monetary: func(i int) float64 { return s.Customers[i].Monetary }}
	ris, err := NewRevenueTablesAt([]*PurchaseIntervals{first, second}, gg, d, customers)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ris[0].PIT(actual, 1); err != nil { // every cell PIT reads, made
		b.Fatal(err)
	}
	tails := []float64{first.lowerTail, second.lowerTail, first.upperTail, second.upperTail}
	b.Run("quantiles", func(b *testing.B) {
		b.ReportMetric(float64(d.Len()), "rows")
		for b.Loop() {
			ris[0].rowQuantiles(tails)
		}
	})
	b.Run("pit", func(b *testing.B) {
		for b.Loop() {
			if _, err := ris[0].PIT(actual, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bounds", func(b *testing.B) {
		sum := 0.0
		for b.Loop() {
			for _, ri := range ris {
				for i := range ri.Len() {
					sum += ri.LowerOf(i) + ri.UpperOf(i)
				}
			}
		}
		_ = sum
	})
}
