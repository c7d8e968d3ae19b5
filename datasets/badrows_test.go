package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// badLog holds one row of every kind the reader rejects, between good
// rows. The windows (badWindows) run from 1997-01-01 to the holdout end
// 1998-06-30.
var badLog = []string{
	"customer_id,date,amount", // 1: header
	"1,1997-01-01,10.00",      // 2: good
	"2,1997-01-02",            // 3: 2 fields, expected 3
	",1997-01-03,5",           // 4: missing id
	"3,1997-13-01,5",          // 5: month 13
	"4,1997-01-04,abc",        // 6: not a number
	"5,1997-01-05,-3",         // 7: negative
	"6,1997-01-06,NaN",        // 8: not finite
	`7,"1997-01-07"x,5`,       // 9: text after a closing quote
	"",                        // 10: blank: not a row
	"8,1998-07-02,4",          // 11: after the holdout end
	"9,1996-12-31,4",          // 12: before the start
	`"1,0",1997-02-01,"2.50"`, // 13: good, quoted
	"10,1997-03-01,1e400",     // 14: overflows to +Inf
	"11,1997-04-01,",          // 15: empty amount
	"12,1997-05-01,1,2",       // 16: 4 fields
	"  ",                      // 17: blank
	"13,1997-06-01,7.5",       // 18: good
}

var badWindows = SummaryOptions{
	Unit:           Week,
	CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
	HoldoutEnd:     time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC),
}

var badStart = time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)

// wantBad lists the bad rows of badLog in order, with the exact location,
// column and reason the reader must report.
var wantBad = []struct {
	line   int64
	column string
	index  int
	reason Reason
	text   string
	msg    string // the whole message, when checked
}{
	{3, "", -1, ReasonFieldCount, "2,1997-01-02",
		"data.csv:3: the row has 2 fields, expected 3 (as in the header): fix the row (a missing field, or a delimiter inside an unquoted value?), or skip bad rows"},
	{4, "customer_id", 0, ReasonMissingID, "",
		"data.csv:4: column 0 (customer_id): the customer id is empty: fill in the customer id, or skip bad rows"},
	{5, "date", 1, ReasonBadDate, "1997-13-01",
		`data.csv:5: column 1 (date): cannot parse "1997-13-01" as a date with layout 2006-01-02: fix the row, change the date format, or skip bad rows`},
	{6, "amount", 2, ReasonBadAmount, "abc", ""},
	{7, "amount", 2, ReasonNegative, "-3", ""},
	{8, "amount", 2, ReasonNonFinite, "NaN", ""},
	{9, "", -1, ReasonBadQuote, `7,"1997-01-07"x,5`, ""},
	{11, "date", 1, ReasonOutsideWindow, "1998-07-02",
		"data.csv:11: column 1 (date): the date 1998-07-02 is after the holdout end 1998-06-30: set a later holdout end, or skip bad rows to leave such rows out"},
	{12, "date", 1, ReasonOutsideWindow, "1996-12-31", ""},
	{14, "amount", 2, ReasonNonFinite, "1e400", ""},
	{15, "amount", 2, ReasonBadAmount, "", ""},
	{16, "", -1, ReasonFieldCount, "12,1997-05-01,1,2", ""},
}

// TestBadRowsFail walks badLog as a user would under the fail policy: read,
// get the first bad row, fix it, read again. Every bad row must be found in
// order with its exact line, column and reason.
func TestBadRowsFail(t *testing.T) {
	lines := append([]string(nil), badLog...)
	ro := ReadOptions{Start: badStart}
	for _, want := range wantBad {
		_, err := Summarize(strings.NewReader(strings.Join(lines, "\n")), "data.csv", ro, badWindows)
		var bad *BadRowError
		if !errors.As(err, &bad) {
			t.Fatalf("line %d: got error %v, want a *BadRowError", want.line, err)
		}
		if bad.File != "data.csv" || bad.Line != want.line || bad.Column != want.column || bad.ColumnIndex != want.index ||
			bad.Reason != want.reason || bad.Text != want.text {
			t.Errorf("got %s:%d column %d (%s) %s text %q; want line %d column %d (%s) %s text %q",
				bad.File, bad.Line, bad.ColumnIndex, bad.Column, bad.Reason, bad.Text,
				want.line, want.index, want.column, want.reason, want.text)
		}
		if want.msg != "" && err.Error() != want.msg {
			t.Errorf("message\n got %s\nwant %s", err.Error(), want.msg)
		}
		if n := len(bad.Options); n == 0 || bad.Options[n-1] != OptionOnBadRow || strings.Contains(err.Error(), "--") {
			t.Errorf("line %d: options %v, message %q: want the options that fix the row, ending with on_bad_row, and no flag named", want.line, bad.Options, err)
		}
		if bad.Hint == "" || bad.Detail == "" {
			t.Errorf("line %d: missing detail or hint: %+v", want.line, bad)
		}
		lines[want.line-1] = "99,1997-05-01,1.00" // the fix
	}
	s, err := Summarize(strings.NewReader(strings.Join(lines, "\n")), "data.csv", ro, badWindows)
	if err != nil {
		t.Fatalf("after fixing every bad row: %v", err)
	}
	if a := s.Accounting; a.RowsRead != 15 || a.RowsUsed != 15 || a.RowsRejected != 0 {
		t.Errorf("accounting after the fixes: %+v, want 15 rows read and used", a)
	}
}

// TestBadRowsSkip reads badLog under the skip policy and checks the
// accounting row by row, and the rejects file.
func TestBadRowsSkip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(path, []byte(strings.Join(badLog, "\r\n")+"\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(dir, "rejects.csv")
	if err := os.WriteFile(rejects, []byte("stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := SummarizeFile(path, ReadOptions{OnBadRow: "skip", RejectsPath: rejects, Start: badStart}, badWindows)
	if err != nil {
		t.Fatal(err)
	}
	// 15 rows (18 lines less the header and the 2 blank lines): 3 good.
	a := s.Accounting
	if a.RowsRead != 15 || a.RowsUsed != 3 || a.RowsRejected != 12 || a.RowsRead != a.RowsUsed+a.RowsRejected {
		t.Errorf("accounting %+v, want 15 read = 3 used + 12 rejected", a)
	}
	want := map[Reason]int64{}
	for _, w := range wantBad {
		want[w.reason]++
	}
	if len(a.RejectedBy) != len(want) {
		t.Errorf("rejected by %v, want %v", a.RejectedBy, want)
	}
	var sum int64
	for r, n := range a.RejectedBy {
		sum += n
		if want[r] != n {
			t.Errorf("rejected for %s: %d, want %d", r, n, want[r])
		}
	}
	if sum != a.RowsRejected {
		t.Errorf("RejectedBy sums to %d, RowsRejected is %d", sum, a.RowsRejected)
	}
	// Used: customers 1 (line 2), "1,0" (line 13) and 13 (line 18); "1,0"
	// is not an integer, so the ids sort as text.
	var ids []string
	for _, c := range s.Customers {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, "|"); got != "1|1,0|13" {
		t.Errorf("customers %q, want 1|1,0|13", got)
	}
	got, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	wantFile := "file,line,column,reason,text\n"
	for _, w := range wantBad {
		text := w.text
		if strings.ContainsAny(text, `,"`) {
			text = `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
		}
		wantFile += path + "," + strconv.FormatInt(w.line, 10) + "," + w.column + "," + string(w.reason) + "," + text + "\n"
	}
	if string(got) != wantFile {
		t.Errorf("rejects file\n got:\n%s\nwant:\n%s", got, wantFile)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".rejects.csv.tmp-*")); len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

// TestBadRowsWhitespaceAndNoHoldout checks the field count of a
// whitespace log (set by its first row) and the window message without a
// holdout.
func TestBadRowsWhitespaceAndNoHoldout(t *testing.T) {
	log := " 0001 19970101 2 29.33\r\n 0002 19970102 1\r\n 0003 19971001 1 5.00\r\n"
	ro := ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(3), DateFormat: "20060102", OnBadRow: "skip"}
	so := SummaryOptions{Unit: Day, CalibrationEnd: badWindows.CalibrationEnd}
	s, err := Summarize(strings.NewReader(log), "cdnow.txt", ro, so)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Accounting
	if a.RowsRead != 3 || a.RowsUsed != 1 || a.RejectedBy[ReasonFieldCount] != 1 || a.RejectedBy[ReasonOutsideWindow] != 1 {
		t.Errorf("accounting %+v", a)
	}
	ro.OnBadRow = ""
	_, err = Summarize(strings.NewReader(log), "cdnow.txt", ro, so)
	want := "cdnow.txt:2: the row has 3 fields, expected 4 (as in the first row): fix the row (a missing field, or a delimiter inside an unquoted value?), or skip bad rows"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	log = " 0001 19970101 2 29.33\r\n 0003 19971001 1 5.00\r\n"
	_, err = Summarize(strings.NewReader(log), "cdnow.txt", ro, so)
	want = "cdnow.txt:2: column 1 (date): the date 1997-10-01 is after the calibration end 1997-09-30 and there is no holdout window: set a holdout end or a later calibration end, or skip bad rows to leave such rows out"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
