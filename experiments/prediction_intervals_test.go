package experiments

import (
	"math"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// TestSpendBoundsPerCustomer holds the spend bounds served from the
// per-row divisors to the Gamma-Gamma posterior's own interval of each
// customer (models.FittedGammaGamma.SpendInterval, its inverse gamma
// function called per customer), bit for bit, at two levels; a customer
// whose x is not her row's (the last, pointed at another row) takes the
// direct path and still gets her own.
func TestSpendBoundsPerCustomer(t *testing.T) {
	gg, err := models.NewFittedGammaGamma(6, 4, 15)
	if err != nil {
		t.Fatal(err)
	}
	s := &datasets.Summary{Customers: []datasets.CustomerSummary{
		{ID: "a", Frequency: 0, Monetary: 0}, {ID: "b", Frequency: 1, Monetary: 12.5}, {ID: "c", Frequency: 3, Monetary: 40},
		{ID: "d", Frequency: 1, Monetary: 7.25}, {ID: "e", Frequency: 12, Monetary: 3.1}, {ID: "f", Frequency: 5, Monetary: 22},
	}}
	pt := &datasets.Patterns{Frequency: []float64{0, 1, 3, 12}, Of: []int32{0, 1, 2, 1, 3, 2}}
	for _, level := range []float64{0.8, 0.95} {
		sb := newSpendBounds(gg, level, s, pt)
		for i, c := range s.Customers {
			lo, hi := gg.SpendInterval(models.Customer{Frequency: c.Frequency, Monetary: c.Monetary}, level)
			if got := sb.lower(i); math.Float64bits(got) != math.Float64bits(lo) {
				t.Errorf("level %v, customer %s: lower %v, want %v", level, c.ID, got, lo)
			}
			if got := sb.upper(i); math.Float64bits(got) != math.Float64bits(hi) {
				t.Errorf("level %v, customer %s: upper %v, want %v", level, c.ID, got, hi)
			}
		}
	}
}
