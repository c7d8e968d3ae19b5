package datasets

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestSummarizeHandWorked checks a small log against values worked out by
// hand from the definitions (weeks = days/7; calibration ends 2024-01-31,
// holdout 2024-02-29, so the holdout lasts 29 days).
//
//	a: 01-01 (10 + 5 the same day), 01-08 (20), 01-08 (2), 01-31 (4), 02-10 (6), 02-10 (1), 02-29 (3)
//	   first day 01-01 with 15; repeat days 01-08 (22) and 01-31 (4): x = 2,
//	   t_x = 30 days, T = 30 days, monetary = (22+4)/2 = 13; holdout days
//	   02-10 (7) and 02-29 (3): 2 days, mean 5.
//	b: 01-31 only: x = 0, t_x = 0, T = 0 (first purchase on the last day).
//	c: 02-05 only: first purchase after calibration, a late customer.
func TestSummarizeHandWorked(t *testing.T) {
	log := `customer_id,date,amount
a,2024-01-01,10
a,2024-01-01,5
a,2024-01-08,20
a,2024-01-08,2
c,2024-02-05,9
b,2024-01-31,1
a,2024-01-31,4
a,2024-02-10,6
a,2024-02-10,1
a,2024-02-29,3
`
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 1, 31), HoldoutEnd: date(2024, 2, 29), ActivityPeriodDays: 7}
	s, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	// Activity periods of 7 days back from 01-31: 01-31 is in period 0,
	// 01-08 (23 days before) in period 3, 01-01 (30 days before) in 4.
	want := []CustomerSummary{
		{ID: "a", Frequency: 2, Recency: 30.0 / 7, T: 30.0 / 7, Monetary: 13, FirstAmount: 15,
			FrequencyHoldout: 2, MonetaryHoldout: 5, DurationHoldout: 29.0 / 7, Weight: 1, Activity: 1<<0 | 1<<3 | 1<<4},
		{ID: "b", Frequency: 0, Recency: 0, T: 0, Monetary: 0, FirstAmount: 1,
			FrequencyHoldout: 0, MonetaryHoldout: 0, DurationHoldout: 29.0 / 7, Weight: 1, Activity: 1},
	}
	if !slices.Equal(s.Customers, want) {
		t.Errorf("got\n%+v\nwant\n%+v", s.Customers, want)
	}
	if s.LateCustomers != 1 || !s.HasAmount || !s.HasHoldout || s.Unit != Week {
		t.Errorf("late %d, amount %v, holdout %v, unit %v", s.LateCustomers, s.HasAmount, s.HasHoldout, s.Unit)
	}
	if !s.CalibrationEnd.Equal(date(2024, 1, 31)) || !s.HoldoutEnd.Equal(date(2024, 2, 29)) {
		t.Errorf("windows %v %v", s.CalibrationEnd, s.HoldoutEnd)
	}
	// ceil((31 days from 01-01 to 01-31 inclusive) / 7) = 5 periods.
	if s.ActivityPeriod != 7 || s.ActivityPeriods != 5 {
		t.Errorf("activity period %v × %d, want 7 × 5", s.ActivityPeriod, s.ActivityPeriods)
	}
	if a := s.Accounting; a.RowsRead != 10 || a.RowsUsed != 10 || a.RowsRejected != 0 {
		t.Errorf("accounting %+v", a)
	}
}

// TestSummarizeTimestamps checks that RFC 3339 timestamps are cut to UTC
// days: two purchases at 23:00 and 01:00 UTC the next day are two days,
// and 2024-01-01T23:30:00-05:00 is 2024-01-02 in UTC.
func TestSummarizeTimestamps(t *testing.T) {
	log := "id\tts\n" +
		"7\t2024-01-01T23:00:00Z\n" +
		"7\t2024-01-02T01:00:00+00:00\n" +
		"7\t2024-01-01T23:30:00-05:00\n" + // 2024-01-02T04:30Z: the same day as the last
		"7\t2024-01-03T00:30:00+01:00\n" // 2024-01-02T23:30Z: the same day again
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 10)}
	s, err := Summarize(strings.NewReader(log), "log.tsv", ReadOptions{Customer: ColumnNamed("id"), Date: ColumnNamed("ts"), DateFormat: "rfc3339"}, so)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Customers[0]
	if c.Frequency != 1 || c.Recency != 1 || c.T != 9 || s.HasAmount {
		t.Errorf("got %+v (amount %v), want x=1, t_x=1, T=9 days, count-only", c, s.HasAmount)
	}
}

// refSummary is a plain reference implementation of the summary, written
// straight from the definitions with every purchase day kept.
func refSummary(rows []testRow, cal, hold int64, hasHold bool, u float64) (map[string]CustomerSummary, int) {
	days := map[string]map[int64]float64{}
	for _, r := range rows {
		if days[r.id] == nil {
			days[r.id] = map[int64]float64{}
		}
		days[r.id][r.day] += r.amount
	}
	out := map[string]CustomerSummary{}
	late := 0
	for id, m := range days {
		var ds []int64
		for d := range m {
			ds = append(ds, d)
		}
		slices.Sort(ds)
		first := ds[0]
		if first > cal {
			late++
			continue
		}
		c := CustomerSummary{ID: id, T: float64(cal-first) / u, FirstAmount: m[first], Weight: 1}
		var rep, hsum float64
		var nh int
		for _, d := range ds[1:] {
			switch {
			case d <= cal:
				c.Frequency++
				c.Recency = float64(d-first) / u
				rep += m[d]
			case hasHold && d <= hold:
				nh++
				hsum += m[d]
			}
		}
		if c.Frequency > 0 {
			c.Monetary = rep / c.Frequency
		}
		if hasHold {
			c.FrequencyHoldout = float64(nh)
			if nh > 0 {
				c.MonetaryHoldout = hsum / float64(nh)
			}
			c.DurationHoldout = float64(hold-cal) / u
		}
		out[id] = c
	}
	return out, late
}

type testRow struct {
	id     string
	day    int64
	amount float64
}

// randomRows makes a log of purchases by n customers over 120 days from
// 2024-01-01, with same-day repeats.
func randomRows(rng *rand.Rand, n int) []testRow {
	base := dayOf(date(2024, 1, 1))
	var rows []testRow
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%03d", rng.IntN(1000))
		if rng.IntN(5) == 0 {
			id = "c" + id // some non-numeric ids
		}
		k := 1 + rng.IntN(12)
		for j := 0; j < k; j++ {
			d := base + int64(rng.IntN(120))
			rows = append(rows, testRow{id, d, float64(rng.IntN(10000)) / 100})
			if rng.IntN(4) == 0 {
				rows = append(rows, testRow{id, d, float64(rng.IntN(500)) / 100})
			}
		}
	}
	return rows
}

func rowsCSV(rows []testRow) []byte {
	var b bytes.Buffer
	b.WriteString("customer_id,date,amount\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s\n", r.id, formatDay(r.day), strconv.FormatFloat(r.amount, 'f', -1, 64))
	}
	return b.Bytes()
}

// onlyReader hides every method of a reader but Read, so that it cannot
// be read twice.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestSummarizeAnyOrder compares the summary of random logs with the
// reference implementation, the rows in time order, grouped by customer,
// reversed and shuffled. The relative tolerance of 1e-12 covers the
// different order of the floating-point additions.
func TestSummarizeAnyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cal, hold := dayOf(date(2024, 3, 1)), dayOf(date(2024, 4, 29))
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 3, 1), HoldoutEnd: date(2024, 4, 29)}
	for trial := 0; trial < 20; trial++ {
		rows := randomRows(rng, 60)
		want, late := refSummary(rows, cal, hold, true, 7)
		orders := map[string]func([]testRow){
			"time": func(r []testRow) { sort.SliceStable(r, func(i, j int) bool { return r[i].day < r[j].day }) },
			"grouped": func(r []testRow) {
				sort.SliceStable(r, func(i, j int) bool {
					return r[i].id < r[j].id || r[i].id == r[j].id && r[i].day < r[j].day
				})
			},
			"reversed": func(r []testRow) {
				sort.SliceStable(r, func(i, j int) bool { return r[i].day > r[j].day })
			},
			"shuffled": func(r []testRow) { rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] }) },
		}
		for name, order := range orders {
			rs := append([]testRow(nil), rows...)
			order(rs)
			s, err := Summarize(bytes.NewReader(rowsCSV(rs)), "log.csv", ReadOptions{}, so)
			if err != nil {
				t.Fatalf("trial %d, %s: %v", trial, name, err)
			}
			if s.LateCustomers != late || len(s.Customers) != len(want) {
				t.Fatalf("trial %d, %s: %d customers and %d late, want %d and %d", trial, name, len(s.Customers), s.LateCustomers, len(want), late)
			}
			for _, c := range s.Customers {
				if !summaryClose(c, want[c.ID], 1e-12) {
					t.Fatalf("trial %d, %s: customer %s\n got %+v\nwant %+v", trial, name, c.ID, c, want[c.ID])
				}
			}
			if name == "time" || name == "grouped" {
				// In date order per customer: one pass, so an unseekable
				// reader does too.
				s2, err := Summarize(onlyReader{bytes.NewReader(rowsCSV(rs))}, "log.csv", ReadOptions{}, so)
				if err != nil {
					t.Fatalf("trial %d, %s, unseekable: %v", trial, name, err)
				}
				if !slices.Equal(s2.Customers, s.Customers) {
					t.Errorf("trial %d, %s: unseekable reader gives another summary", trial, name)
				}
			}
		}
	}
}

func summaryClose(a, b CustomerSummary, tol float64) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= tol*math.Max(1, math.Abs(y)) }
	return a.ID == b.ID && a.Frequency == b.Frequency && a.Recency == b.Recency && a.T == b.T &&
		c(a.Monetary, b.Monetary) && c(a.FirstAmount, b.FirstAmount) && a.FrequencyHoldout == b.FrequencyHoldout &&
		c(a.MonetaryHoldout, b.MonetaryHoldout) && a.DurationHoldout == b.DurationHoldout && a.Weight == b.Weight
}

// TestSummarizeOutOfOrder exercises the three ways the reader copes with
// rows out of date order: days rebuilt from the state (exact mode), a
// second read, and the error when the input cannot be read twice.
func TestSummarizeOutOfOrder(t *testing.T) {
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31), HoldoutEnd: date(2024, 2, 29)}
	cases := []struct {
		name      string
		log       string
		x, tx, T  float64
		xh        float64
		monetary  float64
		needsTwo  bool
		firstAmnt float64
	}{
		// Two days known (01-05, 01-20), then 01-10 and 01-05 again.
		{"two days known", "1,2024-01-05,1\n1,2024-01-20,2\n1,2024-01-10,4\n1,2024-01-05,8\n",
			2, 15, 26, 0, 3, false, 9},
		// Contiguous days 01-05..01-07, then an earlier first day 01-01.
		{"contiguous", "1,2024-01-05,1\n1,2024-01-06,1\n1,2024-01-07,1\n1,2024-01-01,5\n1,2024-01-06,1\n",
			3, 6, 30, 0, 4.0 / 3, false, 5},
		// 01-05, 01-10, 01-20 (a gap: day 01-08 unknown), then 01-08 and 02-02.
		{"gap", "1,2024-01-05,1\n1,2024-01-10,2\n1,2024-01-20,3\n1,2024-01-08,4\n1,2024-02-02,5\n1,2024-01-10,6\n",
			3, 15, 26, 1, 5, true, 1},
		// A holdout day first, then the calibration days.
		{"holdout first", "1,2024-02-10,1\n1,2024-01-03,2\n1,2024-01-03,3\n",
			0, 0, 28, 1, 0, false, 5},
	}
	for _, c := range cases {
		for _, seekable := range []bool{true, false} {
			var r io.Reader = strings.NewReader(c.log)
			if !seekable {
				r = onlyReader{r}
			}
			s, err := Summarize(r, "log.csv", ReadOptions{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, so)
			if !seekable && c.needsTwo {
				if err == nil || !strings.Contains(err.Error(), "cannot be read a second time") || !strings.Contains(err.Error(), `"1"`) {
					t.Errorf("%s: unseekable input gives %v, want the out-of-order error", c.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s (seekable %v): %v", c.name, seekable, err)
			}
			got := s.Customers[0]
			if got.Frequency != c.x || got.Recency != c.tx || got.T != c.T || got.FrequencyHoldout != c.xh ||
				math.Abs(got.Monetary-c.monetary) > 1e-12 || got.FirstAmount != c.firstAmnt {
				t.Errorf("%s (seekable %v): got %+v; want x=%v t_x=%v T=%v x_h=%v m=%v first=%v", c.name, seekable, got,
					c.x, c.tx, c.T, c.xh, c.monetary, c.firstAmnt)
			}
		}
	}
}

// TestSummarizeOrder checks the output order: by integer value when every
// id is an integer, else by text.
func TestSummarizeOrder(t *testing.T) {
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	for _, c := range []struct{ ids, want string }{
		{"10 9 0002 2 100 1", "1 0002 2 9 10 100"},
		{"10 9 b 2 a", "10 2 9 a b"},
		{"123456789012345678 99 1234567890123456", "99 1234567890123456 123456789012345678"},
	} {
		var b strings.Builder
		for _, id := range strings.Fields(c.ids) {
			fmt.Fprintf(&b, "%s,2024-01-01\n", id)
		}
		s, err := Summarize(strings.NewReader(b.String()), "ids.csv", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1)}, so)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range s.Customers {
			got = append(got, c.ID)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("ids %s: order %v, want %s", c.ids, got, c.want)
		}
	}
}

// TestSummarizeOptionErrors checks that bad options are refused up front
// with a message saying what to set.
func TestSummarizeOptionErrors(t *testing.T) {
	log := "customer_id,date,amount\n1,2024-01-01,1\n"
	cal := date(2024, 1, 31)
	cases := []struct {
		ro   ReadOptions
		so   SummaryOptions
		want string
	}{
		{ReadOptions{}, SummaryOptions{Unit: Week}, "calibration end is not set"},
		{ReadOptions{}, SummaryOptions{CalibrationEnd: cal}, "time unit is not set"},
		{ReadOptions{}, SummaryOptions{Unit: Week, CalibrationEnd: cal, HoldoutEnd: cal}, "holdout end 2024-01-31 must be after the calibration end 2024-01-31"},
		{ReadOptions{Start: date(2024, 2, 1)}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, "start 2024-02-01 is after the calibration end"},
		{ReadOptions{}, SummaryOptions{Unit: Week, CalibrationEnd: cal, ActivityPeriodDays: -1}, "activity period"},
		{ReadOptions{Format: Format(99)}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, `unknown log format 99`},
		{ReadOptions{Header: "maybe"}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, `unknown header setting "maybe"`},
		{ReadOptions{OnBadRow: "ignore"}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, `unknown bad-row policy "ignore"`},
		{ReadOptions{DateFormat: "dd/mm/yyyy"}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, `date format "dd/mm/yyyy" does not name`},
		{ReadOptions{Amount: ColumnNamed("price")}, SummaryOptions{Unit: Week, CalibrationEnd: cal},
			`x.csv: no amount column "price" in the header; the columns are: customer_id, date, amount`},
		{ReadOptions{Customer: ColumnNamed("client")}, SummaryOptions{Unit: Week, CalibrationEnd: cal},
			`x.csv: no customer_id column "client" in the header`},
		{ReadOptions{Header: "no"}, SummaryOptions{Unit: Week, CalibrationEnd: cal},
			`x.csv: the log has no header, so the customer_id column must be given by 0-based index, not "customer_id"`},
		{ReadOptions{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(5)}, SummaryOptions{Unit: Week, CalibrationEnd: cal},
			"date column index 5 is out of range: the first row has 3 fields"},
		{ReadOptions{Customer: ColumnNamed("date")}, SummaryOptions{Unit: Week, CalibrationEnd: cal}, "both choose column 1 (date; 0-based)"},
	}
	for _, c := range cases {
		_, err := Summarize(strings.NewReader(log), "x.csv", c.ro, c.so)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %+v: got %v, want an error containing %q", c.ro, c.so, err, c.want)
		}
	}
}

// TestSummarizeEmpty checks that an empty log (or a header alone) gives an
// empty summary, all rows accounted for.
func TestSummarizeEmpty(t *testing.T) {
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 1, 31)}
	for _, log := range []string{"", "\n\n", "customer_id,date,amount\n", "customer_id,date,amount\r\n\r\n"} {
		s, err := Summarize(strings.NewReader(log), "x.csv", ReadOptions{}, so)
		if err != nil {
			t.Errorf("%q: %v", log, err)
			continue
		}
		if len(s.Customers) != 0 || s.Accounting.RowsRead != 0 {
			t.Errorf("%q: %d customers, %+v", log, len(s.Customers), s.Accounting)
		}
	}
}
