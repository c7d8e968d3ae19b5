package datasets

import (
	"strings"
	"testing"
	"time"
)

// TestDiscretePeriods counts calendar periods as opportunities: a donor
// first giving in 1995 and again in 1997 and 2000 (twice that year) has,
// with calibration to 2001-12-31, x = 2 later years with a gift, t_x = 5
// (2000 is the fifth year after 1995) and n = 6 opportunities (1996–2001);
// in the holdout 2002–2003 one year with a gift.
func TestDiscretePeriods(t *testing.T) {
	log := "id,date\n" +
		"a,1995-01-01\na,1997-06-30\na,2000-01-01\na,2000-12-31\na,2003-05-05\n" +
		"b,1999-03-01\n" +
		"c,2001-12-31\n"
	cal := time.Date(2001, 12, 31, 0, 0, 0, 0, time.UTC)
	hold := time.Date(2003, 12, 31, 0, 0, 0, 0, time.UTC)
	ro := ReadOptions{Format: FormatCSV, Header: "yes", Customer: ColumnNamed("id"), Date: ColumnNamed("date"), Amount: NoColumn()}
	tests := []struct {
		unit Unit
		want map[string][4]float64 // x, t_x, n, holdout purchases
	}{
		{Year, map[string][4]float64{"a": {2, 5, 6, 1}, "b": {0, 0, 2, 0}, "c": {0, 0, 0, 0}}},
		{Quarter, map[string][4]float64{"a": {3, 23, 27, 1}, "b": {0, 0, 11, 0}, "c": {0, 0, 0, 0}}},
		{Month, map[string][4]float64{"a": {3, 71, 83, 1}, "b": {0, 0, 33, 0}, "c": {0, 0, 0, 0}}},
	}
	for _, tc := range tests {
		s, err := Summarize(strings.NewReader(log), "log.csv", ro, SummaryOptions{Unit: tc.unit, CalibrationEnd: cal, HoldoutEnd: hold, Discrete: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.unit, err)
		}
		for _, c := range s.Customers {
			w := tc.want[c.ID]
			if got := [4]float64{c.Frequency, c.Recency, c.T, c.FrequencyHoldout}; got != w {
				t.Errorf("%s: customer %s: (x, t_x, n, holdout) = %v, want %v", tc.unit, c.ID, got, w)
			}
		}
	}
	holdYears := 2.0
	s, _ := Summarize(strings.NewReader(log), "log.csv", ro, SummaryOptions{Unit: Year, CalibrationEnd: cal, HoldoutEnd: hold, Discrete: true})
	if s.Customers[0].DurationHoldout != holdYears {
		t.Errorf("holdout duration %v years, want %v", s.Customers[0].DurationHoldout, holdYears)
	}
	_, err := Summarize(strings.NewReader(log), "log.csv", ro, SummaryOptions{Unit: Year, CalibrationEnd: time.Date(2001, 6, 30, 0, 0, 0, 0, time.UTC), Discrete: true})
	if err == nil || !strings.Contains(err.Error(), "2001-12-31") {
		t.Errorf("calibration end mid-year: error %v, want one naming 2001-12-31", err)
	}
}
