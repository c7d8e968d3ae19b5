package experiments

import (
	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// ModelData turns a customer summary into the columns the models fit on:
// the calibration frequency, recency, T, mean spend, weight and, when the
// summary has them, the activity bitmaps (with their period converted from
// days into the summary's time unit).
//
// Customers observed for no time at all (T = 0: their first purchase fell
// on the calibration end) carry no information about their purchase
// process and contribute nothing to any likelihood; they are left out, and
// their number is returned. They are still predicted, as new customers.
func ModelData(s *datasets.Summary) (d *models.Data, zeroAge int) {
	return modelData(s, false)
}

// predictionData is ModelData with every row kept, those of T = 0 too:
// the rows the prediction intervals follow one for one (a customer's row
// in the pattern table is her row here). A T = 0 row is a new customer's
// history (x = t_x = T = 0, a valid one) whose likelihood is 1 for every
// parameter, so it adds nothing to the information the parameter draws
// come from, and her future is the model's unconditional one.
func predictionData(s *datasets.Summary) *models.Data {
	d, _ := modelData(s, true)
	return d
}

// modelData is ModelData, keeping the rows of T = 0 when keepZeroAge is
// set.
func modelData(s *datasets.Summary, keepZeroAge bool) (d *models.Data, zeroAge int) {
	keep := make([]int, 0, len(s.Customers))
	for i, c := range s.Customers {
		if c.T > 0 || keepZeroAge {
			keep = append(keep, i)
		}
	}
	n := len(keep)
	d = &models.Data{
		Frequency: make([]float64, n), Recency: make([]float64, n), T: make([]float64, n),
	}
	weights := make([]float64, n)
	weighted := false
	monetary := make([]float64, n)
	var activity []uint64
	if s.ActivityPeriods > 0 {
		activity = make([]uint64, n)
		d.ActivityPeriod = s.ActivityPeriod / s.Unit.Days()
		d.ActivityPeriods = s.ActivityPeriods
	}
	d.HasLogInterPurchase = s.HasInterPurchase
	for j, i := range keep {
		c := s.Customers[i]
		d.LogInterPurchase += c.Weight * c.LogInterPurchase
		d.Frequency[j], d.Recency[j], d.T[j], monetary[j], weights[j] = c.Frequency, c.Recency, c.T, c.Monetary, c.Weight
		// A table whose weights were never set (all zero) stands for one
		// customer per row.
		if c.Weight != 0 {
			weighted = true
		}
		if activity != nil {
			activity[j] = c.Activity
		}
	}
	if weighted {
		d.Weight = weights
	}
	if s.HasAmount {
		d.Monetary = monetary
	}
	d.Activity = activity
	return d, len(s.Customers) - n
}
