package datasets

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// parquetBytes is a Parquet file holding rows, as bytes.
func parquetBytes[T any](tb testing.TB, rows []T) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzSummarizeParquet feeds arbitrary bytes, starting from small Parquet
// logs (string and typed columns, bad rows, several row groups), to the
// Parquet reader through SummarizeFile. It must never panic, whatever the
// footer, schema or pages hold; when it returns no error every row must be
// accounted for and every summary row be sane.
// Run it with
//
//	go test ./datasets -run '^$' -fuzz '^FuzzSummarizeParquet$' -fuzztime 60s
func FuzzSummarizeParquet(f *testing.F) {
	day := func(y int, m time.Month, d int) int32 { return int32(date(y, m, d).Unix() / 86400) }
	amount := func(v float64) *float64 { return &v }
	seeds := [][]byte{
		parquetBytes(f, []pqPlain{{"1", "1997-01-01", 10}, {"1", "1997-02-01", 5.5}, {"2", "1997-03-01", 1}}),
		parquetBytes(f, []pqTyped{
			{Note: "x", Cust: 1, Day: day(1997, 1, 1), TS: date(1997, 1, 1), Cents: 1000, Spend: amount(10), Amount: "10"},
			{Note: "=x", Cust: 1, Day: day(1997, 2, 1), TS: date(1997, 2, 1), Cents: 550, Amount: "5.5"},
			{Note: "y", Cust: 2, Day: day(1997, 3, 1), TS: date(1997, 3, 1), Cents: 100, Spend: amount(1), Amount: "1"},
		}),
		parquetBytes(f, []pqBad{
			{"1", "1997-01-01", amount(3), false}, {"", "1997-01-02", amount(3), true},
			{"2", "1997-01-03", nil, false}, {"3", "1997-01-04", amount(-1), false}, {"4", "1997-02-30", amount(1), false},
		}),
	}
	for i, s := range seeds {
		for _, mode := range []uint8{0, 4, 8} {
			f.Add(s, uint8(i)<<4|mode)
		}
	}
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(1997, 9, 30), HoldoutEnd: date(1998, 6, 30)}
	columns := [][3]string{{}, {"cust", "day", "cents"}, {"cust", "ts", "spend"}, {"0", "1", "2"}}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		path := filepath.Join(t.TempDir(), "fuzz.parquet")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ro := ReadOptions{}
		if mode&1 != 0 {
			ro.Format = FormatParquet
		}
		if mode&4 != 0 {
			ro.OnBadRow = "skip"
		}
		cols := columns[(mode>>4)%4]
		ro.Customer, ro.Date, ro.Amount = ParseColumn(cols[0]), ParseColumn(cols[1]), ParseColumn(cols[2])
		s, err := SummarizeFile(path, ro, so)
		if err != nil {
			var bad *BadRowError
			if errors.As(err, &bad) && (bad.Line < 1 || bad.Reason == "" || bad.Hint == "") {
				t.Fatalf("incomplete bad-row error: %+v", bad)
			}
			if len(err.Error()) > 4096 {
				t.Fatalf("message of %d bytes quotes too much of the input", len(err.Error()))
			}
			return
		}
		a := s.Accounting
		var by int64
		for _, n := range a.RejectedBy {
			by += n
		}
		if a.RowsRead != a.RowsUsed+a.RowsRejected || by != a.RowsRejected || a.RowsUsed < 0 {
			t.Fatalf("accounting broken: %+v", a)
		}
		if ro.OnBadRow == "" && a.RowsRejected != 0 {
			t.Fatalf("rows rejected under fail: %+v", a)
		}
		for _, c := range s.Customers {
			ok := c.ID != "" && c.Frequency >= 0 && c.Recency >= 0 && c.Recency <= c.T && !math.IsInf(c.T, 0)
			for _, v := range []float64{c.Monetary, c.MonetaryHoldout, c.FirstAmount} {
				ok = ok && v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v)
			}
			if !ok {
				t.Fatalf("bad summary row %+v", c)
			}
		}
	})
}
