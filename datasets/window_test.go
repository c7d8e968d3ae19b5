package datasets

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Rows after the window's end are set aside, not failed, with
// ExcludeAfterEnd, and still accounted for.
func TestExcludeAfterEnd(t *testing.T) {
	log := "customer_id,date,amount\n" +
		"1,2024-01-01,10\n" +
		"1,2024-01-05,20\n" +
		"2,2024-01-03,5\n" +
		"1,2024-02-10,7\n" + // after the calibration end 2024-01-31
		"2,2024-03-01,9\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: day("2024-01-31")}
	if _, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{}, so); err == nil {
		t.Fatal("without ExcludeAfterEnd a row after the end is a bad row under fail")
	}
	s, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{ExcludeAfterEnd: true}, so)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Accounting
	if a.RowsRead != 5 || a.RowsUsed != 3 || a.RowsRejected != 2 || a.RejectedBy[ReasonAfterEnd] != 2 {
		t.Errorf("accounting %+v, want 5 read, 3 used, 2 rejected as %s", a, ReasonAfterEnd)
	}
	if len(s.Customers) != 2 || s.Customers[0].Frequency != 1 {
		t.Errorf("customers %+v", s.Customers)
	}
	// A row before the start is still a bad row.
	_, err = Summarize(strings.NewReader(log), "log.csv", ReadOptions{ExcludeAfterEnd: true, Start: day("2024-01-02")}, so)
	if err == nil || !strings.Contains(err.Error(), "before the start") {
		t.Errorf("err = %v, want a row before the start to fail", err)
	}
}

// RepeatsPerDay counts each calibration customer's repeat purchase days by
// day: same-day purchases once, first days and late customers not at all.
func TestRepeatsPerDay(t *testing.T) {
	log := "customer_id,date,amount\n" +
		"1,2024-01-01,10\n" + // first day of 1
		"2,2024-01-02,5\n" + // first day of 2
		"1,2024-01-03,20\n" + // repeat of 1
		"1,2024-01-03,1\n" + // same day: counts once
		"2,2024-01-03,4\n" + // repeat of 2
		"3,2024-01-05,8\n" + // customer 3 first buys after the calibration end: late
		"3,2024-01-06,8\n" +
		"2,2024-01-06,3\n" // holdout repeat of 2
	so := SummaryOptions{Unit: Day, CalibrationEnd: day("2024-01-04"), HoldoutEnd: day("2024-01-07")}
	s, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	if !s.FirstDay.Equal(day("2024-01-01")) {
		t.Errorf("FirstDay %v, want 2024-01-01", s.FirstDay)
	}
	want := []float64{0, 0, 2, 0, 0, 1, 0} // 2024-01-01 .. 2024-01-07
	if len(s.RepeatsPerDay) != len(want) {
		t.Fatalf("RepeatsPerDay %v, want %v", s.RepeatsPerDay, want)
	}
	for i := range want {
		if s.RepeatsPerDay[i] != want[i] {
			t.Errorf("RepeatsPerDay %v, want %v", s.RepeatsPerDay, want)
			break
		}
	}
	// Out of date order, the count cannot be kept exactly: none is given.
	shuffled := "customer_id,date,amount\n1,2024-01-03,1\n1,2024-01-01,1\n1,2024-01-02,1\n1,2024-01-04,1\n1,2024-01-02,1\n"
	s, err = Summarize(strings.NewReader(shuffled), "log.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	if s.RepeatsPerDay != nil {
		t.Errorf("out-of-order log gave RepeatsPerDay %v, want nil", s.RepeatsPerDay)
	}
}

// On the CDNOW sample the daily repeat counts add up to the summary's
// calibration and holdout frequencies (2,457 and 1,882).
func TestRepeatsPerDayCDNOW(t *testing.T) {
	path := sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	so := SummaryOptions{Unit: Week, CalibrationEnd: day("1997-09-30"), HoldoutEnd: day("1998-06-30")}
	s, err := SummarizeFile(path, ReadOptions{Customer: ColumnAt(1), Date: ColumnAt(2), Amount: ColumnAt(4), DateFormat: "20060102"}, so)
	if err != nil {
		t.Fatal(err)
	}
	if s.RepeatsPerDay == nil {
		t.Fatal("no daily repeat counts for a log grouped by customer in date order")
	}
	calDays := int(s.CalibrationEnd.Sub(s.FirstDay).Hours()/24) + 1
	var cal, hold float64
	for k, v := range s.RepeatsPerDay {
		if k < calDays {
			cal += v
		} else {
			hold += v
		}
	}
	if cal != 2457 || hold != 1882 {
		t.Errorf("daily repeats add to %v in calibration and %v in the holdout, want 2457 and 1882", cal, hold)
	}
	if math.Abs(float64(len(s.RepeatsPerDay))-546) > 0 {
		t.Errorf("%d days from 1997-01-01 to 1998-06-30, want 546", len(s.RepeatsPerDay))
	}
}
