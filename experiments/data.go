package experiments

import (
	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// ModelData turns a customer summary into the columns the models fit on:
// the calibration frequency, recency, T, mean spend, weight and, when the
// summary has them, the activity bitmaps (with their period converted from
// days into the summary's time unit).
func ModelData(s *datasets.Summary) *models.Data {
	f, r, t, m, w := s.Columns()
	d := &models.Data{Frequency: f, Recency: r, T: t}
	// A table whose weights were never set (all zero) stands for one
	// customer per row.
	for _, v := range w {
		if v != 0 {
			d.Weight = w
			break
		}
	}
	if s.HasAmount {
		d.Monetary = m
	}
	if s.ActivityPeriods > 0 {
		d.Activity = make([]uint64, len(s.Customers))
		for i, c := range s.Customers {
			d.Activity[i] = c.Activity
		}
		d.ActivityPeriod = s.ActivityPeriod / s.Unit.Days()
		d.ActivityPeriods = s.ActivityPeriods
	}
	return d
}
