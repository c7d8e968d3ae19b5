package report

import (
	"fmt"

	"github.com/clv-dev/clv/experiments"
)

// forecastNote replaces the scores of a forecast run, which has none.
const forecastNote = "Forecast run (no split.holdout_end): there is no holdout, so the scores, segments, gains and the holdout comparisons are left out; the fits, heat maps, CLV and tiers are shown."

// forecastSubtitle is the subtitle of a forecast run's report.
func forecastSubtitle(mf *experiments.MetricsFile) string {
	return fmt.Sprintf("Forecast · data %s · unit %s · %s · %d customers",
		mf.Data.File, mf.Unit, forecastFrom(mf), mf.Data.CalibrationCustomers)
}

// forecastFrom says where a forecast starts and how far it looks.
func forecastFrom(mf *experiments.MetricsFile) string {
	s := mf.Split
	from := s.CalibrationEnd
	if s.CalibrationEndFromData {
		from += " (the last date in the data)"
	}
	return fmt.Sprintf("fitted to %s, predicting %s %ss ahead", from, fmtNum(s.Horizon), mf.Unit)
}

// forecastSplit replaces the holdout rows of the split table with the
// forecast's.
func forecastSplit(rows []keyValue) []keyValue {
	out := rows[:0]
	for _, kv := range rows {
		switch kv.Key {
		case "Holdout end", "Holdout length", "Segments ranked by":
			continue
		}
		out = append(out, kv)
	}
	return append(out, keyValue{"Run", "forecast: no holdout, nothing scored"})
}
