package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
)

// textDateLog has a date column of text: ISO dates (one with spaces
// around it, leap days, dates before 1970 and across 400-year eras,
// one after the window) and texts that are not ISO dates (another
// layout, a timestamp, an empty text, impossible days, year 0), which
// the file reader rejects as unparseable_date.
const textDateLog = `customer_id,date,amount
a,2024-01-01,10
a,2024-01-09,3
a, 2024-01-15 ,2
a,2024-02-30,1
a,2024-1-05,1
b,not a date,4
b,2024-01-02T10:00:00,4
b,2024-01-02,5
b,,3
b,2024-02-10,6
c,2024-01-20,8
c,2024-02-29,2
c,2023-02-29,1
d,0000-01-01,1
d,2024-13-01,1
d,2024-04-31,1
e,1600-03-01,2
e,1900-02-29,1
e,1969-12-31,1
e,2000-02-29,3
f,2100-03-01,1
f,2024-01-31,1
`

// TestTextDatesAreCountedBadRows loads the log with a text date column
// into each engine and checks that a text that is not a date is a bad row
// with the file reader's reason and counts, not a query error: skipped,
// the summary (and pattern table) equals the file reader's row for row;
// under fail, the error counts what the file reader rejects.
func TestTextDatesAreCountedBadRows(t *testing.T) {
	so := datasets.SummaryOptions{Unit: datasets.Day, CalibrationEnd: day("2024-01-31"), HoldoutEnd: day("2024-02-29")}
	read := datasets.ReadOptions{OnBadRow: "skip", ExcludeAfterEnd: true}
	want, err := datasets.Summarize(strings.NewReader(textDateLog), "dates.csv", read, so)
	if err != nil {
		t.Fatal(err)
	}
	if n := want.Accounting.RejectedBy[datasets.ReasonBadDate]; n != 10 {
		t.Fatalf("the file reader rejects %d dates, want the fixture's 10", n)
	}
	for _, e := range testEngines() {
		t.Run(string(e.dialect), func(t *testing.T) {
			t.Parallel()
			eng := e.start(t)
			eng.LoadTextDates(t, "textdates", enginetest.ReadCSV(t, []byte(textDateLog)))
			ctx := context.Background()
			conn, err := engine.Open(ctx, e.dialect, eng.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			spec := engine.Spec{Table: "textdates", Customer: "customer_id", Date: "date", Amount: "amount", Summary: so, ExcludeAfterEnd: true, OnBadRow: "skip"}
			got, err := engine.Summarize(ctx, conn, spec)
			if err != nil {
				t.Fatal(err)
			}
			compareSummaries(t, got, want)
			ps := spec
			ps.PatternSpend = true
			p, err := engine.SummarizePatterns(ctx, conn, ps)
			if err != nil {
				t.Fatal(err)
			}
			comparePatterns(t, p, want)
			spec.OnBadRow = "fail"
			_, err = engine.Summarize(ctx, conn, spec)
			var be *engine.BadRowsError
			if !errors.As(err, &be) || len(be.Rejected) != 1 || be.Rejected[datasets.ReasonBadDate] != want.Accounting.RejectedBy[datasets.ReasonBadDate] {
				t.Fatalf("under fail: %v, want a BadRowsError counting %d unparseable dates alone", err, want.Accounting.RejectedBy[datasets.ReasonBadDate])
			}
		})
	}
}
