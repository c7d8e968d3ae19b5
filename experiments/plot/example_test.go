package plot_test

import (
	"fmt"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

// The Regular cohort of Fader & Hardie (2007), "How to project customer
// retention": customers still active at the start of years 0–4, and the
// survival the sBG model with their estimates α = 0.704, β = 1.182 fits
// and projects two years ahead.
func ExampleSBGCurves() {
	f, err := models.NewFittedSBG(0.704, 1.182)
	if err != nil {
		panic(err)
	}
	d, err := plot.SBGCurves(f, []float64{1000, 631, 468, 382, 326}, 6)
	if err != nil {
		panic(err)
	}
	for _, s := range d.Survival {
		fmt.Printf("%-16s", plot.Label(s.Key))
		for i := range s.X {
			fmt.Printf(" %g:%.3f", s.X[i], s.Y[i])
		}
		fmt.Println()
	}
	// Output:
	// Actual           0:1.000 1:0.631 2:0.468 3:0.382 4:0.326
	// sBG              0:1.000 1:0.627 2:0.474 3:0.388 4:0.332
	// sBG (projected)  4:0.332 5:0.292 6:0.262
}

// Mean holdout purchases by calibration frequency, actual and predicted,
// for four customers.
func ExampleConditionalExpectations() {
	in := &plot.Input{
		Unit:   datasets.Week,
		Models: []string{"bgnbd"},
		Customers: []plot.Customer{
			{ID: "a", Frequency: 0, FrequencyHoldout: 0},
			{ID: "b", Frequency: 0, FrequencyHoldout: 1},
			{ID: "c", Frequency: 2, FrequencyHoldout: 2},
			{ID: "d", Frequency: 12, FrequencyHoldout: 6},
		},
		Predictions: map[string]plot.Predicted{"bgnbd": {Purchases: []float64{0.2, 0.4, 1.5, 7}}},
	}
	cd, err := plot.ConditionalExpectations(in)
	if err != nil {
		panic(err)
	}
	for b, label := range cd.Buckets {
		if cd.Customers[b] > 0 {
			fmt.Printf("x = %-2s customers %d: actual %.2f, %s %.2f\n", label, cd.Customers[b], cd.Series[0].Y[b], plot.Label(cd.Series[1].Key), cd.Series[1].Y[b])
		}
	}
	// Output:
	// x = 0  customers 2: actual 0.50, BG/NBD 0.30
	// x = 2  customers 1: actual 2.00, BG/NBD 1.50
	// x = 7+ customers 1: actual 6.00, BG/NBD 7.00
}
