package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// formatsLog is one log written in every text format the reader takes; all
// must give the same summary.
var formatsLog = []struct {
	name string
	ro   ReadOptions
	text string
}{
	{"plain.csv", ReadOptions{}, "customer_id,date,amount\n01,2024-01-01,10\n01,2024-01-09,2.5\n2,2024-01-03,4\n"},
	{"crlf-bom.csv", ReadOptions{}, "\xef\xbb\xbfcustomer_id,date,amount\r\n01,2024-01-01,10\r\n01,2024-01-09,2.5\r\n2,2024-01-03,4\r\n"},
	{"quoted.csv", ReadOptions{}, "\"customer_id\",\"date\",\"amount\"\n\"01\",\"2024-01-01\",\"10\"\n \"01\" , 2024-01-09 ,\"2.5\"\n2,\"2024-01-03\",4"},
	{"blank-lines.csv", ReadOptions{}, "\n\ncustomer_id,date,amount\n\n01,2024-01-01,10\n   \n01,2024-01-09,2.5\n2,2024-01-03,4\n\n"},
	{"reordered.csv", ReadOptions{}, "amount,note,date,customer_id\n10,\"a, b\",2024-01-01,01\n2.5,\"say \"\"hi\"\"\",2024-01-09,01\n4,x,2024-01-03,2\n"},
	{"multiline.csv", ReadOptions{}, "customer_id,note,date,amount\n01,\"two\nlines\",2024-01-01,10\n01,,2024-01-09,2.5\n2,\"\",2024-01-03,4\n"},
	{"tabs.tsv", ReadOptions{}, "customer_id\tdate\tamount\n01\t2024-01-01\t10\n01\t2024-01-09\t2.5\n2\t2024-01-03\t4\n"},
	{"quoted.tsv", ReadOptions{}, "customer_id\tnote\tdate\tamount\n\"01\"\t\t\"2024-01-01\"\t10\n01\t\"a\tb \"\"c\"\"\"\t2024-01-09\t2.5\n\"2\" \t x \t2024-01-03\t\"4\"\n"},
	{"spaces.txt", ReadOptions{}, "customer_id  date   amount\r\n 01 2024-01-01   10\r\n 01 2024-01-09  2.5\r\n 2 2024-01-03 4\r\n"},
	{"noheader.dat", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, "01 2024-01-01 10\n01 2024-01-09 2.5\n2 2024-01-03 4\n"},
	{"commas.txt", ReadOptions{}, "customer_id,date,amount\n01,2024-01-01,10\n01,2024-01-09,2.5\n2,2024-01-03,4\n"},
	{"compact", ReadOptions{Customer: ColumnAt(1), Date: ColumnAt(0), Amount: ColumnAt(3), DateFormat: "yyyymmdd"}, "20240101 01 x 10\n20240109 01 y 2.5\n20240103 2 z 4\n"},
	{"named-compact.txt", ReadOptions{Customer: ColumnNamed("CUSTOMER_ID"), Date: ColumnNamed("Day"), Amount: ColumnNamed("Spend"), DateFormat: "20060102"},
		"customer_id day spend\n01 20240101 10\n01 20240109 2.5\n2 20240103 4\n"},
	{"indices-with-header.txt", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, "who when howmuch\n01 2024-01-01 10\n01 2024-01-09 2.5\n2 2024-01-03 4\n"},
	{"go-layout.csv", ReadOptions{DateFormat: "02/01/2006"}, "customer_id,date,amount\n01,01/01/2024,10\n01,09/01/2024,2.5\n2,03/01/2024,4\n"},
	{"unix.csv", ReadOptions{DateFormat: "unix"}, "customer_id,date,amount\n01,1704067200,10\n01,1704844799,2.5\n2,1704240000.5,4\n"},
}

// TestFormats reads formatsLog and checks that every form gives the same
// summary: customer 01 with one repeat 8 days after the first purchase,
// customer 2 with none.
func TestFormats(t *testing.T) {
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	want := []CustomerSummary{
		{ID: "01", Frequency: 1, Recency: 8, T: 30, Monetary: 2.5, FirstAmount: 10, Weight: 1},
		{ID: "2", Frequency: 0, Recency: 0, T: 28, FirstAmount: 4, Weight: 1},
	}
	dir := t.TempDir()
	for _, c := range formatsLog {
		s, err := Summarize(strings.NewReader(c.text), c.name, c.ro, so)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(s.Customers, want) || !s.HasAmount || s.Accounting.RowsRead != 3 || s.Accounting.RowsUsed != 3 {
			t.Errorf("%s: got %+v %+v", c.name, s.Customers, s.Accounting)
		}
		// The same through a file.
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		s2, err := SummarizeFile(path, c.ro, so)
		if err != nil || !slices.Equal(s2.Customers, want) {
			t.Errorf("%s as a file: %v %+v", c.name, err, s2)
		}
	}
}

// TestQuotedLineNumbers checks that a record spanning lines takes the
// number of its first line and the following records keep counting.
func TestQuotedLineNumbers(t *testing.T) {
	log := "customer_id,note,date,amount\n1,\"a\nb\nc\",2024-01-01,1\n2,x,2024-13-01,1\n"
	_, err := Summarize(strings.NewReader(log), "q.csv", ReadOptions{}, SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)})
	if err == nil || !strings.HasPrefix(err.Error(), "q.csv:5: column 2 (date)") {
		t.Errorf("got %v, want the bad date on line 5", err)
	}
	log = "customer_id,note,date,amount\n1,\"never closed,2024-01-01,1\n2,x,2024-01-01,1\n"
	_, err = Summarize(strings.NewReader(log), "q.csv", ReadOptions{}, SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)})
	if err == nil || !strings.HasPrefix(err.Error(), "q.csv:2: the quoted field 2 opened on this line is never closed") {
		t.Errorf("got %v, want the unclosed quote of line 2", err)
	}
}

// TestHeaderDetection checks Header auto, yes and no.
func TestHeaderDetection(t *testing.T) {
	cases := []struct {
		text   string
		ro     ReadOptions
		header bool
		amount int
		err    string
	}{
		{"customer_id,date,amount\n1,2024-01-01,3\n", ReadOptions{}, true, 2, ""},
		{"customer_id,date\n1,2024-01-01\n", ReadOptions{}, true, -1, ""}, // the default amount is optional
		{"customer_id,date,price\n1,2024-01-01,3\n", ReadOptions{Amount: NoColumn()}, true, -1, ""},
		{"id,day,x\n1,2024-01-01,3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, true, 2, ""},
		{"1,2024-01-01,3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, false, 2, ""},
		// A malformed date holds no letter: a data row, not a header.
		{"1,2024-13-01,3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, false, 2, ""},
		// A field that reads as a date makes a data row, even with a
		// letter in the amount position (a bad row, not a header).
		{"a,2024-01-01,amt\n1,2024-01-01,3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, false, 2, ""},
		// The case: a letter in the date position, but an amount.
		{"a,N/A,10\na,2024-01-05,10\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, false, 2, ""},
		{"customer,date,amount\n1,2024-01-01,3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, true, 2, ""},
		{"customer;date;amount\n1;2024-01-01;3\n", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1)}, true, 2, ""},
		{"1,2024-01-01,3\n", ReadOptions{}, false, 0, "does not look like a header"},
		{"1,2024-01-01,3\n", ReadOptions{Header: "yes", Customer: ColumnAt(0), Date: ColumnAt(1)}, true, -1, ""},
		{"id,day\n", ReadOptions{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(1)}, false, -1, ""},
		{"who,when\n1,2024-01-01\n", ReadOptions{}, true, 0, `no customer_id column "customer_id" in the header; the columns are: who, when`},
	}
	for _, c := range cases {
		src, err := openReaderSource(strings.NewReader(c.text), "h.csv", mustConfig(t, c.ro))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %+v: got %v, want an error containing %q", c.text, c.ro, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q %+v: %v", c.text, c.ro, err)
			continue
		}
		in := src.inspection()
		if in.Header != c.header || in.Amount != c.amount {
			t.Errorf("%q %+v: header %v amount %d, want %v %d", c.text, c.ro, in.Header, in.Amount, c.header, c.amount)
		}
	}
}

func parseFloatRef(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

func mustConfig(t *testing.T, ro ReadOptions) *readConfig {
	t.Helper()
	c, err := ro.config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSniffFormat checks the format chosen by extension and content.
func TestSniffFormat(t *testing.T) {
	cases := []struct {
		name, text string
		want       Format
	}{
		{"a.csv", "x y,z\n", FormatCSV}, // the extension wins
		{"a.TSV", "x,y\tz\n", FormatTSV},
		{"a.txt", "\n 0001 19970101 1 2.00\n", FormatWhitespace},
		{"a.dat", "a,b,c\n", FormatCSV},
		{"a.dat", "a\tb\tc\n", FormatTSV},
		{"a", "a\tb,c\tc\n", FormatTSV},
		{"-", "", FormatWhitespace},
	}
	for _, c := range cases {
		src, err := openReaderSource(strings.NewReader(c.text), c.name, mustConfig(t, ReadOptions{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(1)}))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := src.inspection().Format; got != c.want {
			t.Errorf("%s %q: format %s, want %s", c.name, c.text, got, c.want)
		}
	}
	if _, err := openReaderSource(strings.NewReader("PAR1...."), "x", mustConfig(t, ReadOptions{})); err == nil || !strings.Contains(err.Error(), "Parquet") {
		t.Errorf("Parquet bytes through a reader: %v", err)
	}
}

// TestInspect checks the columns a file's options resolve to.
func TestInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(path, []byte("order,Customer_ID,DATE,amount\n1,7,2024-01-01,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := Inspect(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Inspection{File: path, Format: FormatCSV, Header: true, Columns: []string{"order", "Customer_ID", "DATE", "amount"}, Fields: 4,
		Customer: 1, Date: 2, Amount: 3, CustomerName: "Customer_ID", DateName: "DATE", AmountName: "amount", DateLayout: "2006-01-02"}
	if in.File != want.File || in.Format != want.Format || !in.Header || !slices.Equal(in.Columns, want.Columns) || in.Fields != 4 ||
		in.Customer != 1 || in.Date != 2 || in.Amount != 3 || in.CustomerName != "Customer_ID" || in.DateName != "DATE" ||
		in.AmountName != "amount" || in.DateLayout != "2006-01-02" || !in.HasAmount() {
		t.Errorf("got %+v\nwant %+v", *in, want)
	}
	if _, err := Inspect(filepath.Join(t.TempDir(), "missing.csv"), ReadOptions{}); err == nil {
		t.Error("no error for a missing file")
	}
}

// TestParseAmount checks the fast path against strconv.ParseFloat and the
// statuses.
func TestParseAmount(t *testing.T) {
	for _, s := range []string{"0", "29.33", "-4", "+0.5", "123456789012345", "1234567890123456", "0.1", "1.", ".5",
		"99999999999999.9", "1e3", "1E-2", "000001.000", "-0"} {
		got, st := parseAmount([]byte(s))
		want, err := parseFloatRef(s)
		if err != nil || st != amountOK || got != want {
			t.Errorf("%q: got %v (%d), want %v (%v)", s, got, st, want, err)
		}
	}
	for s, want := range map[string]amountStatus{"": amountEmpty, "abc": amountBad, "1,5": amountBad, ".": amountBad, "-": amountBad,
		"NaN": amountNonFinite, "inf": amountNonFinite, "-Infinity": amountNonFinite, "1e400": amountNonFinite, "1_000": amountBad, "0x1p-2": amountBad, "+NaN": amountNonFinite, "1e": amountBad} {
		if _, st := parseAmount([]byte(s)); st != want {
			t.Errorf("%q: status %d, want %d", s, st, want)
		}
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestReadErrors checks long lines, read errors (which leave no rejects
// file behind), a rejects file that cannot be created and the names of
// columns without a header.
func TestReadErrors(t *testing.T) {
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	// A 200 kB note: the buffer grows and the row reads.
	long := "customer_id,note,date\n1," + strings.Repeat("x", 200<<10) + ",2024-01-01\n2,y,2024-01-02\n"
	s, err := Summarize(strings.NewReader(long), "long.csv", ReadOptions{}, so)
	if err != nil || len(s.Customers) != 2 {
		t.Errorf("long line: %v", err)
	}
	// A 3 MB line is not a log.
	huge := "customer_id,date\n" + strings.Repeat("1", 3<<20)
	if _, err := Summarize(strings.NewReader(huge), "huge.csv", ReadOptions{}, so); err == nil || !strings.Contains(err.Error(), "huge.csv:2: line longer than") {
		t.Errorf("huge line: %v", err)
	}
	// A long bad field is clipped in the error.
	bad := "customer_id,date\n1," + strings.Repeat("é", 300) + "\n"
	_, err = Summarize(strings.NewReader(bad), "clip.csv", ReadOptions{}, so)
	var be *BadRowError
	if !errors.As(err, &be) || len(be.Text) > maxText+3 || !strings.HasSuffix(be.Text, "...") || !utf8.ValidString(be.Text) {
		t.Errorf("clipped text: %v", err)
	}
	// A read error mid-way: no rejects file, no temporary file.
	dir := t.TempDir()
	rejects := filepath.Join(dir, "rejects.csv")
	r := &failingReader{data: []byte("customer_id,date\n1,2024-01-01\n1,bad\n"), err: errors.New("disk on fire")}
	_, err = Summarize(r, "x.csv", ReadOptions{OnBadRow: "skip", RejectsPath: rejects}, so)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
	// A rejects file in a missing folder.
	_, err = Summarize(strings.NewReader("customer_id,date\n"), "x.csv",
		ReadOptions{OnBadRow: "skip", RejectsPath: filepath.Join(dir, "no", "such", "r.csv")}, so)
	if err == nil || !strings.Contains(err.Error(), "rejects file") {
		t.Errorf("rejects in a missing folder: %v", err)
	}
	// Without a header, columns are named by their role.
	_, err = Summarize(strings.NewReader("1 2024-01-01 x\n"), "n.txt", ReadOptions{Header: "no", Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}, so)
	if !errors.As(err, &be) || be.Column != "amount" || be.ColumnIndex != 2 {
		t.Errorf("no header: %v", err)
	}
}
