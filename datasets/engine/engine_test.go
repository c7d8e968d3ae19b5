package engine_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func cdnowPath(t *testing.T) string {
	dir := os.Getenv("CLV_SHARED")
	if dir == "" {
		dir = "../../../shared"
	}
	p := filepath.Join(dir, "datasets", "CDNOW_sample.txt")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("CDNOW sample not found (set CLV_SHARED): %v", err)
	}
	return p
}

// badLog has a row of every reason a table can reject, same-day
// purchases to merge, and a customer first seen after calibration.
const badLog = `customer_id,date,amount
a,2024-01-01,10
a,2024-01-01,5.5
a,2024-01-09,3
a,2024-02-01,7
,2024-01-03,4
b,,4
b,2024-01-02,
b,2024-01-02,NaN
b,2024-01-02,Inf
b,2024-01-02,-1
b,2023-12-01,2
b,2024-01-02,2
b,2024-01-20,0
c,2024-01-25,8
c,2024-03-05,9
d,2024-02-10,1
`

// badRows is badLog as table rows: an empty field is NULL.
func badRows(t *testing.T) []enginetest.Row {
	rows := enginetest.ReadCSV(t, []byte(strings.ReplaceAll(badLog, ",,", ",-,")))
	for i := range rows {
		for _, f := range []**string{&rows[i].Customer, &rows[i].Date, &rows[i].Amount} {
			if **f == "" || **f == "-" {
				*f = nil
			}
		}
	}
	return rows
}

// testEngine is an engine the tests start.
type testEngine struct {
	dialect engine.Dialect
	start   func(testing.TB) *enginetest.Engine
}

// testEngines are the engines every test runs on.
func testEngines() []testEngine {
	return []testEngine{{engine.Postgres, enginetest.Postgres}, {engine.ClickHouse, enginetest.ClickHouse}}
}

type sumCase struct {
	name, table  string
	file         func() (*datasets.Summary, error)
	spec         engine.Spec
	wantBadError bool
}

func cases(t *testing.T) []sumCase {
	cdnow := cdnowPath(t)
	cdnowRead := datasets.ReadOptions{Format: datasets.FormatWhitespace, Header: "no", Customer: datasets.ColumnAt(1), Date: datasets.ColumnAt(2), Amount: datasets.ColumnAt(4), DateFormat: "20060102"}
	published := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: day("1997-09-30"), HoldoutEnd: day("1998-06-30"), ActivityPeriodDays: 365.25 / 12}
	origin := datasets.SummaryOptions{Unit: datasets.Month, CalibrationEnd: day("1997-06-30"), HoldoutEnd: day("1997-12-31")}
	rollRead := cdnowRead
	rollRead.ExcludeAfterEnd, rollRead.Start, rollRead.OnBadRow = true, day("1997-01-05"), "skip"
	qs, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	qsOpts := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: day("2024-09-29"), HoldoutEnd: day("2025-06-29")}
	badOpts := datasets.SummaryOptions{Unit: datasets.Day, CalibrationEnd: day("2024-01-31"), HoldoutEnd: day("2024-02-29"), ActivityPeriodDays: 7}
	badRead := datasets.ReadOptions{OnBadRow: "skip", Start: day("2024-01-01")}
	col := func(s engine.Spec, so datasets.SummaryOptions) engine.Spec {
		s.Customer, s.Date, s.Amount, s.Summary = "customer_id", "date", "amount", so
		return s
	}
	return []sumCase{
		{name: "cdnow", table: "cdnow", spec: col(engine.Spec{Table: "cdnow"}, published),
			file: func() (*datasets.Summary, error) { return datasets.SummarizeFile(cdnow, cdnowRead, published) }},
		{name: "cdnow-rolling-origin", table: "cdnow",
			spec: col(engine.Spec{Query: "SELECT * FROM cdnow", ExcludeAfterEnd: true, Start: rollRead.Start, OnBadRow: "skip"}, origin),
			file: func() (*datasets.Summary, error) { return datasets.SummarizeFile(cdnow, rollRead, origin) }},
		{name: "quickstart", table: "quickstart", spec: col(engine.Spec{Table: "quickstart"}, qsOpts),
			file: func() (*datasets.Summary, error) {
				return datasets.Summarize(bytes.NewReader(qs), "quickstart.csv", datasets.ReadOptions{}, qsOpts)
			}},
		{name: "bad-rows-skipped", table: "badrows", spec: col(engine.Spec{Table: "badrows", OnBadRow: "skip", Start: badRead.Start}, badOpts),
			file: func() (*datasets.Summary, error) {
				return datasets.Summarize(strings.NewReader(badLog), "bad.csv", badRead, badOpts)
			}},
		{name: "bad-rows-fail", table: "badrows", spec: col(engine.Spec{Table: "badrows"}, badOpts), wantBadError: true},
	}
}

// TestSummaryMatchesFileReader loads CDNOW, the quickstart and a log of
// bad rows into each engine and checks that the engine's summary equals
// the file reader's row for row.
func TestSummaryMatchesFileReader(t *testing.T) {
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			t.Parallel()
			cs := cases(t)
			eng := e.start(t)
			eng.Load(t, "cdnow", enginetest.ReadCDNOW(t, cdnowPath(t)))
			qs, _ := datasets.Embedded("quickstart")
			eng.Load(t, "quickstart", enginetest.ReadCSV(t, qs))
			eng.Load(t, "badrows", badRows(t))
			ctx := context.Background()
			conn, err := engine.Open(ctx, e.dialect, eng.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, c := range cs {
				t.Run(c.name, func(t *testing.T) {
					got, err := engine.Summarize(ctx, conn, c.spec)
					if c.wantBadError {
						var be *engine.BadRowsError
						if !errors.As(err, &be) || be.Rejected[datasets.ReasonNegative] != 1 {
							t.Fatalf("want a BadRowsError counting 1 negative amount, got %v", err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					want, err := c.file()
					if err != nil {
						t.Fatal(err)
					}
					compareSummaries(t, got, want)
					spec := c.spec
					spec.PatternSpend = true
					p, err := engine.SummarizePatterns(ctx, conn, spec)
					if err != nil {
						t.Fatal(err)
					}
					comparePatterns(t, p, want)
					// Without the repeat days: the same but for them.
					spec.NoRepeatDays = true
					bare := *want
					bare.RepeatsPerDay = nil
					got, err = engine.Summarize(ctx, conn, spec)
					if err != nil {
						t.Fatal(err)
					}
					if got.RepeatsPerDay != nil {
						t.Fatalf("without repeat days: %d days", len(got.RepeatsPerDay))
					}
					compareSummaries(t, got, &bare)
					if p, err = engine.SummarizePatterns(ctx, conn, spec); err != nil {
						t.Fatal(err)
					}
					comparePatterns(t, p, &bare)
				})
			}
		})
	}
}

// close reports whether two sums of the same amounts agree: SQL sums in
// an order of its own, so the last bits may differ.
func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

func compareSummaries(t *testing.T, got, want *datasets.Summary) {
	t.Helper()
	if len(got.Customers) != len(want.Customers) || got.LateCustomers != want.LateCustomers {
		t.Fatalf("%d customers (%d late), want %d (%d late)", len(got.Customers), got.LateCustomers, len(want.Customers), want.LateCustomers)
	}
	if len(want.Customers) < 3 {
		t.Fatalf("fixture too small: %d customers", len(want.Customers))
	}
	for i, w := range want.Customers {
		g := got.Customers[i]
		exact := g.ID == w.ID && g.Frequency == w.Frequency && g.Recency == w.Recency && g.T == w.T &&
			g.FrequencyHoldout == w.FrequencyHoldout && g.DurationHoldout == w.DurationHoldout && g.Weight == w.Weight && g.Activity == w.Activity
		if !exact || !close(g.Monetary, w.Monetary) || !close(g.FirstAmount, w.FirstAmount) || !close(g.MonetaryHoldout, w.MonetaryHoldout) {
			t.Fatalf("row %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
	ga, wa := got.Accounting, want.Accounting
	if ga.RowsRead != wa.RowsRead || ga.RowsUsed != wa.RowsUsed || ga.RowsRejected != wa.RowsRejected || len(ga.RejectedBy) != len(wa.RejectedBy) {
		t.Fatalf("accounting %+v, want %+v", ga, wa)
	}
	for r, n := range wa.RejectedBy {
		if ga.RejectedBy[r] != n {
			t.Fatalf("rejected %s: %d, want %d", r, ga.RejectedBy[r], n)
		}
	}
	if !got.LastDate.Equal(want.LastDate) || !got.CalibrationEnd.Equal(want.CalibrationEnd) || !got.HoldoutEnd.Equal(want.HoldoutEnd) ||
		got.HasHoldout != want.HasHoldout || got.HasAmount != want.HasAmount || got.ActivityPeriods != want.ActivityPeriods {
		t.Fatalf("summary facts differ:\n got  last %v cal %v hold %v periods %d\n want last %v cal %v hold %v periods %d",
			got.LastDate, got.CalibrationEnd, got.HoldoutEnd, got.ActivityPeriods, want.LastDate, want.CalibrationEnd, want.HoldoutEnd, want.ActivityPeriods)
	}
	if want.RepeatsPerDay != nil {
		if !got.FirstDay.Equal(want.FirstDay) || len(got.RepeatsPerDay) != len(want.RepeatsPerDay) {
			t.Fatalf("repeats per day from %v (%d days), want from %v (%d days)", got.FirstDay, len(got.RepeatsPerDay), want.FirstDay, len(want.RepeatsPerDay))
		}
		for k := range want.RepeatsPerDay {
			if got.RepeatsPerDay[k] != want.RepeatsPerDay[k] {
				t.Fatalf("repeats on day %d: %v, want %v", k, got.RepeatsPerDay[k], want.RepeatsPerDay[k])
			}
		}
	}
}

// comparePatterns checks the engine's pattern table against the file
// reader's per-customer summary: its rows are the distinct (x, t_x, T,
// holdout purchases, activity) of the customers with their numbers, its
// spend pairs the customers' (x, m̄) with x > 0, and its accounting, late
// customers and repeats per day those of the summary.
func comparePatterns(t *testing.T, p *engine.Patterns, want *datasets.Summary) {
	t.Helper()
	type key struct {
		x, tx, T, xh float64
		act          uint64
	}
	counts := map[key]float64{}
	var spend [][2]float64
	for _, c := range want.Customers {
		counts[key{c.Frequency, c.Recency, c.T, c.FrequencyHoldout, c.Activity}]++
		if c.Frequency > 0 {
			spend = append(spend, [2]float64{c.Frequency, c.Monetary})
		}
	}
	s := p.Summary
	if !s.Compressed || len(s.Customers) != len(counts) {
		t.Fatalf("%d pattern rows (compressed %v), want %d distinct patterns", len(s.Customers), s.Compressed, len(counts))
	}
	for i, c := range s.Customers {
		k := key{c.Frequency, c.Recency, c.T, c.FrequencyHoldout, c.Activity}
		if counts[k] != c.Weight || c.DurationHoldout != want.Customers[0].DurationHoldout || c.ID != "" {
			t.Fatalf("pattern row %d %+v: want weight %v", i, c, counts[k])
		}
		if i > 0 && !lessPattern(s.Customers[i-1], c) {
			t.Fatalf("pattern rows %d and %d out of order", i-1, i)
		}
	}
	// The spend pairs as one (x, m̄) per customer, sorted, against the
	// customers' own.
	var got [][2]float64
	for _, sp := range p.Spend {
		for range int(sp.Weight) {
			got = append(got, [2]float64{sp.Frequency, sp.Monetary})
		}
	}
	less := func(a, b [2]float64) int {
		if a[0] != b[0] {
			return cmpFloat(a[0], b[0])
		}
		return cmpFloat(a[1], b[1])
	}
	slices.SortFunc(got, less)
	slices.SortFunc(spend, less)
	if len(got) != len(spend) {
		t.Fatalf("%d customers in the spend pairs, want %d", len(got), len(spend))
	}
	for i := range got {
		if got[i][0] != spend[i][0] || !close(got[i][1], spend[i][1]) {
			t.Fatalf("spend pair %d: %v, want %v", i, got[i], spend[i])
		}
	}
	if s.LateCustomers != want.LateCustomers || s.Accounting.RowsRead != want.Accounting.RowsRead || s.Accounting.RowsUsed != want.Accounting.RowsUsed ||
		!s.LastDate.Equal(want.LastDate) || s.ActivityPeriods != want.ActivityPeriods || !s.FirstDay.Equal(want.FirstDay) ||
		!slices.Equal(s.RepeatsPerDay, want.RepeatsPerDay) {
		t.Fatalf("pattern summary facts differ: late %d/%d, rows %+v/%+v, last %v/%v, periods %d/%d, first %v/%v",
			s.LateCustomers, want.LateCustomers, s.Accounting, want.Accounting, s.LastDate, want.LastDate,
			s.ActivityPeriods, want.ActivityPeriods, s.FirstDay, want.FirstDay)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lessPattern is the documented order of the pattern rows.
func lessPattern(a, b datasets.CustomerSummary) bool {
	ka := []float64{a.Frequency, a.Recency, a.T, a.FrequencyHoldout, float64(a.Activity)}
	kb := []float64{b.Frequency, b.Recency, b.T, b.FrequencyHoldout, float64(b.Activity)}
	return slices.Compare(ka, kb) < 0
}
