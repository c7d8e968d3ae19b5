package datasets

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzSummarize feeds arbitrary bytes to the log reader under every format
// and both policies. It must never panic; when it returns no error, every
// row must be accounted for (RowsRead = RowsUsed + RowsRejected, and
// RejectedBy sums to RowsRejected), every summary row must be sane, and a
// reader that cannot be read twice must give the same summary or say that
// it needed a second read; and the parallel reader must give what the
// sequential one does (checkParallelEqual).
// Run it with
//
//	go test ./datasets -run XXX -fuzz FuzzSummarize -fuzztime 60s
func FuzzSummarize(f *testing.F) {
	seeds := []string{
		"customer_id,date,amount\n1,1997-01-01,10\n1,1997-02-01,5.5\n2,1997-03-01,1\n",
		"customer_id,date,amount\r\n0001,1997-01-01,10\r\n0001,1997-01-01,2\r\n",
		" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n",
		"\"customer_id\",\"date\",\"amount\"\n\"a,b\",\"1997-01-01\",\"1\"\n\"x \"\"y\"\"\",1997-05-01,2\n",
		"customer_id,note,date,amount\n1,\"multi\nline\",1997-01-01,1\n2,\"open,1997-01-01,1\n",
		"customer_id\tdate\tamount\n1\t1997-01-01\t3\n1\t1997-01-05\t-3\n",
		"\xef\xbb\xbfcustomer_id,date\n1,1997-01-01\n1,1996-01-01\n1,1997-01-03\n1,1997-01-02\n",
		"customer_id,date,amount\n1,1997-01-01,NaN\n,1997-01-01,1\n1,1997-13-01,1\n1,1998-08-01,1\n1,1997-01-01\n",
		"customer_id,date,amount\n1,1997-01-01,1e308\n1,1997-02-01,1e308\n1,1997-03-01,1e308\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	// The decoded inputs: UTF-16 with a byte order mark, gzip, CR-only
	// lines, other delimiters, a stray quote (their corpus files are in
	// testdata/fuzz/FuzzSummarize).
	for i, s := range fuzzEncodedSeeds(f) {
		f.Add(s, uint8(i))
	}
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(1997, 9, 30), HoldoutEnd: date(1998, 6, 30), ActivityPeriodDays: 30}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		formats := []Format{FormatAuto, FormatCSV, FormatTSV, FormatWhitespace}
		ro := ReadOptions{Format: formats[mode%4]}
		if mode&32 != 0 && mode%4 == 0 {
			ro.Delimiter = Delimiter(1 + (mode>>6)%4) // comma, semicolon, tab or pipe
		}
		if mode&4 != 0 {
			ro.OnBadRow = "skip"
		}
		if mode&8 != 0 {
			ro.Customer, ro.Date, ro.Amount, ro.DateFormat = ColumnAt(1), ColumnAt(2), ColumnAt(4), "20060102"
		}
		if mode&16 != 0 {
			ro.Header = "no"
			if mode&8 == 0 {
				ro.Customer, ro.Date, ro.Amount = ColumnAt(0), ColumnAt(1), ColumnAt(2)
			}
		}
		checkParallelEqual(t, data, ro, so)
		s, err := Summarize(bytes.NewReader(data), "fuzz", ro, so)
		if err != nil {
			var bad *BadRowError
			if errors.As(err, &bad) && (bad.Line < 1 || bad.Reason == "" || bad.Hint == "") {
				t.Fatalf("incomplete bad-row error: %+v", bad)
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
		if a.DuplicateRows < 0 || a.DuplicateRows > a.RowsUsed || (s.HasAmount == (s.NoAmountReason != "")) {
			t.Fatalf("duplicates %d of %d used rows, amount %v (%q)", a.DuplicateRows, a.RowsUsed, s.HasAmount, s.NoAmountReason)
		}
		if ro.OnBadRow == "" && a.RowsRejected != 0 {
			t.Fatalf("rows rejected under fail: %+v", a)
		}
		if int64(len(s.Customers)+s.LateCustomers) > a.RowsUsed {
			t.Fatalf("%d customers from %d rows", len(s.Customers)+s.LateCustomers, a.RowsUsed)
		}
		s1, err := Summarize(onlyReader{bytes.NewReader(data)}, "fuzz", ro, so)
		switch {
		case err != nil && !strings.Contains(err.Error(), "cannot be read a second time"):
			t.Fatalf("a one-pass reader fails with %v", err)
		case err == nil && !reflect.DeepEqual(s1, s):
			t.Fatalf("a one-pass reader gives another summary:\n%+v\n%+v", s1, s)
		}
		for _, c := range s.Customers {
			ok := c.ID != "" && c.Frequency >= 0 && c.Recency >= 0 && c.Recency <= c.T && !math.IsInf(c.T, 0) &&
				c.FrequencyHoldout >= 0 && c.DurationHoldout == 39 && c.Weight == 1
			for _, v := range []float64{c.Monetary, c.MonetaryHoldout, c.FirstAmount} {
				ok = ok && v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v)
			}
			if !ok {
				t.Fatalf("bad summary row %+v", c)
			}
		}
	})
}

// fuzzEncodedSeeds returns logs in the encodings the reader decodes.
func fuzzEncodedSeeds(tb testing.TB) [][]byte {
	log := "customer_id,date,amount\n1,1997-01-01,10\n1,1997-02-01,5.5\n2,1997-03-01,1\n"
	return [][]byte{
		append([]byte("\xef\xbb\xbf"), log...),
		encodeUTF16(log, false),
		encodeUTF16(strings.ReplaceAll(log, "\n", "\r\n"), true),
		gzipped(tb, []byte(log)),
		gzipped(tb, encodeUTF16(log, false)),
		[]byte(strings.ReplaceAll(log, "\n", "\r")),
		[]byte(strings.ReplaceAll(log, ",", ";")),
		[]byte(strings.ReplaceAll(log, ",", "|")),
		[]byte("customer_id,note,date\n1,\"oops,1997-01-01\n2,\"x\",1997-01-02\n" + strings.Repeat("3,y,1997-01-03\n", 40)),
		[]byte("a,N/A,10\na,1997-01-05,10\nb,1997-01-07,5\nb,1997-02-07,5\n"),
		[]byte("customer_id,date,amount\n1,1997-01-01,10\n1,1997-01-01,10\n"),
	}
}
