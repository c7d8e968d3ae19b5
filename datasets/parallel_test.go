package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// summarizeWith is Summarize with the parallel reader's settings: parallel
// workers (-1: the sequential reader), blocks of blockSize bytes and a
// customer table of shards shards (0: the default). The
// rejects file, under skip, is returned too.
func summarizeWith(t testing.TB, data []byte, name string, ro ReadOptions, so SummaryOptions, parallel, blockSize, shards int) (*Summary, []byte, error) {
	t.Helper()
	if ro.OnBadRow == "skip" {
		ro.RejectsPath = filepath.Join(t.TempDir(), "rejects.csv")
	}
	c, err := ro.config()
	if err != nil {
		return nil, nil, err
	}
	c.parallel, c.blockSize, c.shards = parallel, blockSize, shards
	w, err := newWindow(so, ro)
	if err != nil {
		return nil, nil, err
	}
	src, err := openReaderSource(bytes.NewReader(data), name, c)
	if err != nil {
		return nil, nil, err
	}
	s, err := summarizeSource(src, c, w)
	var rejects []byte
	if err == nil && ro.RejectsPath != "" {
		if rejects, err = os.ReadFile(ro.RejectsPath); err != nil {
			t.Fatal(err)
		}
	}
	return s, rejects, err
}

// checkParallelEqual reads data with the sequential reader and with the
// parallel one under several block sizes (down to a few bytes, so that
// blocks cut lines everywhere) and worker counts, and fails unless every
// result is the same: the summary, the error (its message and its fields)
// and the rejects file.
func checkParallelEqual(t testing.TB, data []byte, ro ReadOptions, so SummaryOptions) {
	t.Helper()
	want, wantRej, wantErr := summarizeWith(t, data, "log.csv", ro, so, -1, 0, 1)
	for _, run := range []struct{ workers, block, shards int }{{1, 1, 1}, {2, 7, 2}, {3, 64, 4}, {2, 4096, 8}, {0, 0, 0}} {
		got, gotRej, err := summarizeWith(t, data, "log.csv", ro, so, run.workers, run.block, run.shards)
		where := fmt.Sprintf("%d workers, blocks of %d bytes, %d shards", run.workers, run.block, run.shards)
		var wantBad, gotBad *BadRowError
		switch {
		case (err == nil) != (wantErr == nil):
			t.Fatalf("%s: error %v, the sequential reader's %v", where, err, wantErr)
		case err != nil && err.Error() != wantErr.Error():
			t.Fatalf("%s: error\n%v\nthe sequential reader's\n%v", where, err, wantErr)
		case errors.As(err, &gotBad) != errors.As(wantErr, &wantBad) || gotBad != nil && !reflect.DeepEqual(*gotBad, *wantBad):
			t.Fatalf("%s: bad row %+v, the sequential reader's %+v", where, gotBad, wantBad)
		case !reflect.DeepEqual(got, want):
			t.Fatalf("%s: summary\n%+v\nthe sequential reader's\n%+v", where, got, want)
		case !bytes.Equal(gotRej, wantRej):
			t.Fatalf("%s: rejects\n%s\nthe sequential reader's\n%s", where, gotRej, wantRej)
		}
	}
}

// TestParallelEqualsSequential: the parallel reader gives what the
// sequential one does on logs with bad rows of every kind, duplicates,
// customers out of date order, CRLF, blank lines, quoted fields (on one
// line and over several, early and late in the file), named ids, a first
// line that is data, and rows outside the window.
func TestParallelEqualsSequential(t *testing.T) {
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(1997, 9, 30), HoldoutEnd: date(1998, 6, 30), ActivityPeriodDays: 30}
	body := "1,1997-01-01,10\n2,1997-01-01,5\n1,1997-01-01,10\n  \n3,1997-02-01,1.25\n2,1997-01-20,7\n" +
		"1,1997-03-01,2\n2,1997-01-10,1\n1,1997-02-01,3\n4,1998-01-05,9\n5,1998-08-01,1\n3,1996-12-31,4\n"
	bad := "6,1997-13-01,1\n7,1997-01-01,abc\n8,1997-01-01,-1\n,1997-01-01,1\n9,1997-01-01\n10,1997-01-01,NaN\n"
	quoted := "\"11\",\"1997-04-01\",\"2.5\"\n12,\"multi\nline\",1\n13,\"open,1997-01-01,1\n"
	cases := map[string]string{
		"good":            "customer_id,date,amount\n" + body,
		"bad rows":        "customer_id,date,amount\n" + body + bad + body,
		"crlf":            strings.ReplaceAll("customer_id,date,amount\n"+body+bad, "\n", "\r\n"),
		"no final break":  "customer_id,date,amount\n" + strings.TrimSuffix(body, "\n"),
		"quotes late":     "customer_id,date,amount\n" + strings.Repeat(body, 5) + quoted + body,
		"quotes first":    "customer_id,date,amount\n" + quoted + body,
		"named ids":       "customer_id,date,amount\n" + strings.ReplaceAll(body, "\n1,", "\nanna,") + "0001,1997-01-01,1\n001,1997-01-02,1\n",
		"no header":       body + bad,
		"blank lines":     "\n\ncustomer_id,date,amount\n\n" + body + "\n\n\t\n" + body,
		"spaces":          "customer_id , date , amount\n 1 , 1997-01-01 , 10 \n2,\t1997-01-02\t,5\n",
		"semicolons":      strings.ReplaceAll("customer_id,date,amount\n"+body+bad, ",", ";"),
		"extra column":    "customer_id,date,store,amount\n1,1997-01-01,a,1\n1,1997-01-02,b,2\n2,1997-01-02,,2\n",
		"count only":      "customer_id,date\n1,1997-01-01\n1,1997-01-03\n2,1997-01-02\n2,1997-01-02,x\n",
		"cr in a line":    "customer_id,date,amount\n1,1997-01-01,1\r2\n1,1997-01-02,1\n",
		"header only":     "customer_id,date,amount\n",
		"dates all bad":   "customer_id,date,amount\n1,x,1\n2,y,2\n",
		"after the end":   "customer_id,date,amount\n1,1997-01-01,1\n1,1999-01-01,1\n2,1999-02-01,1\n",
		"bad first row":   "1,1997-01-01,abc\n" + body,
		"long line first": "customer_id,date,amount\n" + strings.Repeat("9", 5000) + ",1997-01-01,1\n" + body,
		// Lines next to fastRow's: each of its conditions just met or just
		// missed, after a row that caches the date.
		"plain edges": "customer_id,date,amount\n1,1997-01-01,1\n" +
			"123456789012345,1997-01-01,1\n1234567890123456,1997-01-01,1\n007,1997-01-01,2\n7,1997-01-01,2\n" +
			"2,1997-01-01,5.\n2,1997-01-01,.5\n2,1997-01-01,.\n2,1997-01-01,\n2,1997-01-01,1.2.3\n" +
			"3,1997-01-01,123456789012345\n3,1997-01-01,1234567890123456\n3,1997-01-01,0.00000000000001\n" +
			"4,1997-01-01,+1\n4,1997-01-01,-1\n4,1997-01-01,1e3\n4,1997-01-01,1 \n4,1997-01-01, 1\n4,1997-01-01,1,\n" +
			"5,1997-01-011,1\n5,1997-01-0,1\n5, 1997-01-01,1\n5 ,1997-01-01,1\n5,1997-01-01 ,1\nx5,1997-01-01,1\n" +
			"6,1999-01-01,1\n6,1999-01-01,1\n6,1996-01-01,1\n6,1996-01-01,1\n6,1997-01-02,1\n6,1997-01-02,1\n",
	}
	for name, log := range cases {
		for _, ro := range []ReadOptions{
			{},
			{OnBadRow: "skip"},
			{OnBadRow: "skip", ExcludeAfterEnd: true, Start: date(1997, 1, 2)},
			{ExcludeAfterEnd: true},
			{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2), OnBadRow: "skip"},
		} {
			t.Run(name, func(t *testing.T) { checkParallelEqual(t, []byte(log), ro, so) })
		}
	}
	t.Run("discrete", func(t *testing.T) {
		dso := SummaryOptions{Unit: Month, CalibrationEnd: date(1997, 9, 30), HoldoutEnd: date(1998, 6, 30), Discrete: true}
		checkParallelEqual(t, []byte("customer_id,date,amount\n"+body+bad), ReadOptions{OnBadRow: "skip"}, dso)
	})
	t.Run("inter-purchase", func(t *testing.T) {
		iso := so
		iso.InterPurchase = true
		checkParallelEqual(t, []byte("customer_id,date,amount\n"+body+body+bad), ReadOptions{OnBadRow: "skip"}, iso)
	})
	t.Run("encoded", func(t *testing.T) {
		for _, data := range fuzzEncodedSeeds(t) {
			checkParallelEqual(t, data, ReadOptions{OnBadRow: "skip"}, so)
		}
	})
}

// TestParallelGeneratedLogs compares the readers on generated logs: time
// ordered with out-of-order and duplicate rows, bad rows and the odd
// quoted line sprinkled in.
func TestParallelGeneratedLogs(t *testing.T) {
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2020, 6, 30), HoldoutEnd: date(2020, 12, 31)}
	for seed := range uint64(20) {
		rng := splitmix64(seed)
		var b strings.Builder
		b.WriteString("customer_id,date,amount\n")
		for i := range 3000 {
			r := rng.next()
			day := benchLogStart.AddDate(0, 0, i*366/3000-int(r>>60)).Format("2006-01-02")
			line := fmt.Sprintf("%d,%s,%d.%02d\n", r%97, day, (r>>8)%300, (r>>16)%100)
			switch (r >> 24) % 200 {
			case 0:
				line = fmt.Sprintf("%d,%s,oops\n", r%97, day)
			case 1:
				line = fmt.Sprintf("c%d,%s,1\n", r%5, day)
			case 2:
				if seed%4 == 0 {
					line = fmt.Sprintf("\"%d\",%s,1\n", r%97, day)
				}
			case 3:
				line += line // a duplicate
			case 4:
				line = strings.ReplaceAll(line, "\n", "\r\n")
			}
			b.WriteString(line)
		}
		checkParallelEqual(t, []byte(b.String()), ReadOptions{OnBadRow: "skip"}, so)
	}
}

// TestParallelHandComputed checks the parallel reader against a summary
// worked out by hand: customer 1 buys on 1997-01-01 (10 + a duplicate
// 10), 1997-01-08 (4) and 1997-01-15 (6) in calibration and on 1998-01-01
// (5) in the holdout; customer 2 once, on 1997-01-08; one bad amount.
func TestParallelHandComputed(t *testing.T) {
	log := "customer_id,date,amount\r\n1,1997-01-01,10\r\n1,1997-01-01,10\r\n2,1997-01-08,3\r\n" +
		"1,1997-01-08,4\r\n1,1997-01-15,6\r\nx,1997-01-15,bad\r\n1,1998-01-01,5\r\n"
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(1997, 1, 29), HoldoutEnd: date(1998, 1, 28)}
	s, rej, err := summarizeWith(t, []byte(log), "log.csv", ReadOptions{OnBadRow: "skip"}, so, 2, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []CustomerSummary{
		{ID: "1", Frequency: 2, Recency: 2, T: 4, Monetary: 5, FirstAmount: 20, Weight: 1,
			FrequencyHoldout: 1, MonetaryHoldout: 5, DurationHoldout: 52},
		{ID: "2", Frequency: 0, Recency: 0, T: 3, FirstAmount: 3, Weight: 1, DurationHoldout: 52},
	}
	if !reflect.DeepEqual(s.Customers, want) {
		t.Errorf("customers\n%+v\nwant\n%+v", s.Customers, want)
	}
	wantAcc := Accounting{RowsRead: 7, RowsUsed: 6, RowsRejected: 1, RejectedBy: map[Reason]int64{ReasonBadAmount: 1}, DuplicateRows: 1}
	if !reflect.DeepEqual(s.Accounting, wantAcc) {
		t.Errorf("accounting %+v, want %+v", s.Accounting, wantAcc)
	}
	if !bytes.Contains(rej, []byte("log.csv,7,amount,unparseable_amount,bad")) {
		t.Errorf("rejects file:\n%s", rej)
	}
	_, _, err = summarizeWith(t, []byte(log), "log.csv", ReadOptions{}, so, 2, 16, 2)
	if err == nil || err.Error() != `log.csv:7: column 2 (amount): cannot parse "bad" as an amount: `+hints[ReasonBadAmount] {
		t.Errorf("error %v", err)
	}
}

// TestParallelDuplicatesFarApart compares the readers on a log with many
// customers whose duplicate rows come from a few to tens of thousands of
// rows after their originals, so that the cache of recent rows (which
// misses duplicates far apart) is exercised across shards.
func TestParallelDuplicatesFarApart(t *testing.T) {
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2020, 12, 31)}
	rng := splitmix64(3)
	var b strings.Builder
	b.WriteString("customer_id,date,amount\n")
	var pending []string
	for i := range 60_000 {
		line := fmt.Sprintf("%d,2020-01-%02d,%d\n", rng.next()%200_000, 1+i*28/60_000, rng.next()%3)
		if rng.next()%8 == 0 {
			pending = append(pending, line)
		}
		if len(pending) > 0 && rng.next()%64 == 0 {
			line += pending[0]
			pending = pending[1:]
		}
		b.WriteString(line)
	}
	data := []byte(b.String())
	s, _, err := summarizeWith(t, data, "log.csv", ReadOptions{}, so, -1, 0, 1)
	if err != nil || s.Accounting.DuplicateRows == 0 {
		t.Fatalf("no duplicates to compare (%v)", err)
	}
	checkParallelEqual(t, data, ReadOptions{}, so)
}

// TestParallelRescanMessage: a log whose customers go back in time, read
// from an input that cannot be read twice, names the same first such
// customer whatever the number of shards.
func TestParallelRescanMessage(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,date\n")
	for c := range 50 {
		fmt.Fprintf(&b, "%d,2020-01-01\n%d,2020-01-05\n%d,2020-01-09\n", c, c, c)
	}
	for c := 49; c >= 0; c-- {
		fmt.Fprintf(&b, "%d,2020-01-03\n", c)
	}
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2020, 12, 31)}
	var msgs []string
	for _, shards := range []int{1, 2, 4, 8} {
		c, err := ReadOptions{}.config()
		if err != nil {
			t.Fatal(err)
		}
		c.shards = shards
		w, err := newWindow(so, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		src, err := openReaderSource(onlyReader{strings.NewReader(b.String())}, "log.csv", c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = summarizeSource(src, c, w)
		if err == nil {
			t.Fatal("no error for a one-pass input with customers out of order")
		}
		msgs = append(msgs, err.Error())
	}
	want := `log.csv: the rows of 50 customers (the first is "49") are out of date order`
	for _, m := range msgs {
		if !strings.HasPrefix(m, want) {
			t.Errorf("message %q, want it to start %q", m, want)
		}
	}
}
