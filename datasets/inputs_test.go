package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// The inputs of issue 9 §3 and §5: rows that must not be lost and encodings
// that must be read. Every attack file is built here.

// encodeUTF16 returns s in UTF-16 with a byte order mark.
func encodeUTF16(s string, bigEndian bool) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2+2*len(units))
	if bigEndian {
		out = append(out, 0xfe, 0xff)
	} else {
		out = append(out, 0xff, 0xfe)
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncodings reads one log (with ids outside ASCII, one beyond the
// Basic Multilingual Plane) in every encoding, compression and line ending
// a spreadsheet or a shell produces, through a reader and a file whose
// name does not give the content away, and checks the same summary.
func TestEncodings(t *testing.T) {
	plain := "customer_id,date,amount\nzoé,2024-01-01,10\nzoé,2024-01-09,2.5\n😀,2024-01-03,4\n"
	want := []CustomerSummary{
		{ID: "zoé", Frequency: 1, Recency: 8, T: 30, Monetary: 2.5, FirstAmount: 10, Weight: 1},
		{ID: "😀", Frequency: 0, Recency: 0, T: 28, FirstAmount: 4, Weight: 1},
	}
	cr := strings.ReplaceAll(plain, "\n", "\r")
	variants := []struct {
		name string
		data []byte
	}{
		{"plain", []byte(plain)},
		{"bom", append([]byte("\xef\xbb\xbf"), plain...)},
		{"cr-only", []byte(cr)},
		{"utf16le", encodeUTF16(plain, false)},
		{"utf16be", encodeUTF16(plain, true)},
		{"utf16le-crlf", encodeUTF16(strings.ReplaceAll(plain, "\n", "\r\n"), false)},
		{"utf16be-cr", encodeUTF16(cr, true)},
		{"gzip", gzipped(t, []byte(plain))},
		{"gzip-bom-crlf", gzipped(t, []byte("\xef\xbb\xbf"+strings.ReplaceAll(plain, "\n", "\r\n")))},
		{"gzip-utf16le", gzipped(t, encodeUTF16(plain, false))},
		{"gzip-cr", gzipped(t, []byte(cr))},
		{"semicolon", []byte(strings.ReplaceAll(plain, ",", ";"))},
		{"pipe-gzip", gzipped(t, []byte(strings.ReplaceAll(plain, ",", "|")))},
	}
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	dir := t.TempDir()
	for _, v := range variants {
		for _, name := range []string{v.name + ".csv", v.name + ".txt", v.name} {
			s, err := Summarize(bytes.NewReader(v.data), name, ReadOptions{}, so)
			if err != nil || !slices.Equal(s.Customers, want) || s.Accounting.RowsRead != 3 || s.Accounting.RowsUsed != 3 {
				t.Errorf("%s through a reader: %v %+v", name, err, s)
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, v.data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err = SummarizeFile(path, ReadOptions{}, so)
			if err != nil || !slices.Equal(s.Customers, want) {
				t.Errorf("%s as a file: %v %+v", name, err, s)
			}
			// A one-pass reader gives the same.
			s, err = Summarize(onlyReader{bytes.NewReader(v.data)}, name, ReadOptions{}, so)
			if err != nil || !slices.Equal(s.Customers, want) {
				t.Errorf("%s through a one-pass reader: %v", name, err)
			}
		}
	}
}

// TestSecondPassDecoded checks that a log read twice (customers out of
// date order) is decoded again from its start on the second read.
func TestSecondPassDecoded(t *testing.T) {
	text := "customer_id,date,amount\n1,2024-01-01,1\n1,2024-01-20,1\n1,2024-01-10,1\n1,2024-01-05,1\n1,2024-01-15,1\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	ref, err := Summarize(strings.NewReader(text), "ref.csv", ReadOptions{}, so)
	if err != nil || ref.Customers[0].Frequency != 4 {
		t.Fatalf("reference: %v %+v", err, ref)
	}
	for name, data := range map[string][]byte{"gz": gzipped(t, []byte(text)), "u16": encodeUTF16(text, true)} {
		path := filepath.Join(t.TempDir(), name+".csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := SummarizeFile(path, ReadOptions{}, so)
		if err != nil || !slices.Equal(s.Customers, ref.Customers) {
			t.Errorf("%s: %v %+v", name, err, s)
		}
	}
}

// TestRefusedInputs checks that what is not a text log is refused with a
// short message saying what the file looks like, and that no message
// quotes more than a short escaped excerpt of the input.
func TestRefusedInputs(t *testing.T) {
	binary := make([]byte, 6000) // like an executable: NULs and control bytes
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	copy(binary, "\x7fELF\x02\x01\x01")
	controls := bytes.Repeat([]byte("a\x01\x02,\x1b[31m\x07"), 800)
	longHeader := strings.Repeat("«colonne \u200b»,", 600) + "\n1,2\n"
	cases := []struct {
		name string
		data []byte
		ro   ReadOptions
		want string
	}{
		{"ls", binary, ReadOptions{}, "binary data"},
		{"controls.csv", controls, ReadOptions{}, "control characters"},
		{"nobom16.csv", encodeUTF16("customer_id,date\n1,2024-01-01\n", false)[2:], ReadOptions{}, "UTF-16 text without a byte order mark"},
		{"book.csv", append([]byte("PK\x03\x04"), binary...), ReadOptions{}, "ZIP archive"},
		{"log.csv.bz2", []byte("BZh91AY&SY" + string(binary[:100])), ReadOptions{}, "bzip2"},
		{"log.zst", append([]byte{0x28, 0xb5, 0x2f, 0xfd}, binary[:100]...), ReadOptions{}, "zstd"},
		{"u32.csv", []byte("\xff\xfe\x00\x00c\x00\x00\x00"), ReadOptions{}, "UTF-32"},
		{"badgzip.csv", []byte{0x1f, 0x8b, 0x08, 0, 0, 0}, ReadOptions{}, "gzip"},
		{"twice.gz", gzipped(t, gzipped(t, []byte("customer_id,date\n1,2024-01-01\n"))), ReadOptions{}, "compressed twice"},
		{"header.csv", []byte(longHeader), ReadOptions{Header: "yes"}, `no customer_id column "customer_id" in the header`},
		{"header.txt", []byte(longHeader), ReadOptions{}, `the first line does not look like a header`},
		{"date.csv", []byte("customer_id,date\n1,\x1b[31m" + strings.Repeat("x", 5000) + "\n"), ReadOptions{}, `cannot parse "\x1b[31mxxx`},
		{"amount.csv", []byte("customer_id,date,amount\n1,2024-01-01,\x1b" + strings.Repeat("9x", 3000) + "\n"), ReadOptions{}, `cannot parse "\x1b9x9x`},
	}
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := SummarizeFile(path, c.ro, so)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
			continue
		}
		checkShortMessage(t, c.name, err.Error(), len(path))
	}
}

// checkShortMessage fails when a message is long or holds raw control
// characters or invalid UTF-8 (input must be quoted escaped).
func checkShortMessage(t *testing.T, name, msg string, pathLen int) {
	t.Helper()
	if len(msg) > 700+pathLen || !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("%s: message of %d bytes, or with raw bytes: %q", name, len(msg), msg)
	}
}

// TestParquetByMagic checks that a Parquet file named .csv (or .txt) is
// read as Parquet, and that a text log named .parquet is refused clearly.
func TestParquetByMagic(t *testing.T) {
	dir := t.TempDir()
	rows := []pqPlain{{"1", "2024-01-01", 10}, {"1", "2024-01-09", 2.5}, {"2", "2024-01-03", 4}}
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	for _, name := range []string{"export.csv", "export.txt", "export"} {
		path := filepath.Join(dir, name)
		writeParquet(t, path, rows)
		s, err := SummarizeFile(path, ReadOptions{}, so)
		if err != nil || len(s.Customers) != 2 || s.Accounting.RowsUsed != 3 {
			t.Errorf("%s: %v %+v", name, err, s)
		}
		in, err := Inspect(path, ReadOptions{})
		if err != nil || in.Format != FormatParquet {
			t.Errorf("%s: inspected as %+v, %v", name, in, err)
		}
		if _, err := SummarizeFile(path, ReadOptions{Format: FormatCSV}, so); err == nil || !strings.Contains(err.Error(), "is a Parquet file") {
			t.Errorf("%s with format csv: %v", name, err)
		}
	}
	path := filepath.Join(dir, "text.parquet")
	if err := os.WriteFile(path, []byte("customer_id,date\n1,2024-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := SummarizeFile(path, ReadOptions{}, so); err != nil || len(s.Customers) != 1 {
		t.Errorf("a CSV named .parquet under format auto: %v", err)
	}
	if _, err := SummarizeFile(path, ReadOptions{Format: FormatParquet}, so); err == nil || !strings.Contains(err.Error(), "not a Parquet file") {
		t.Errorf("a CSV under format parquet: %v", err)
	}
}

// TestHeaderNotSwallowed is the case: with columns by index, a first
// row whose date holds letters is a data row, read and accounted for.
func TestHeaderNotSwallowed(t *testing.T) {
	text := "a,N/A,10\na,2024-01-05,10\nb,2024-01-07,5\nb,2024-02-07,5\n"
	ro := ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Amount: ColumnAt(2)}
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 3, 31)}
	_, err := Summarize(strings.NewReader(text), "h.csv", ro, so)
	var bad *BadRowError
	if !errors.As(err, &bad) || bad.Line != 1 || bad.Reason != ReasonBadDate || !strings.Contains(bad.Hint, "line 1 was read as data") || bad.Options[0] != OptionHeader {
		t.Errorf("fail: got %v (options %v), want the bad date of line 1 with a hint about the header option", err, bad.Options)
	}
	ro.OnBadRow = "skip"
	s, err := Summarize(strings.NewReader(text), "h.csv", ro, so)
	if err != nil || s.Accounting.RowsRead != 4 || s.Accounting.RowsRejected != 1 || s.Accounting.RejectedBy[ReasonBadDate] != 1 {
		t.Errorf("skip: %v %+v", err, s)
	}
	// Whitespace and a letter in the amount position: also data.
	text = "a 2024-01-01 ten\na 2024-01-05 10\n"
	s, err = Summarize(strings.NewReader(text), "h.txt", ro, so)
	if err != nil || s.Accounting.RowsRead != 2 || s.Accounting.RejectedBy[ReasonBadAmount] != 1 {
		t.Errorf("amount with letters: %v %+v", err, s)
	}
	// A real header is still found.
	s, err = Summarize(strings.NewReader("who,when,howmuch\na,2024-01-05,10\n"), "h.csv", ro, so)
	if err != nil || s.Accounting.RowsRead != 1 {
		t.Errorf("header: %v %+v", err, s)
	}
}

// TestStrayQuote: one stray opening quote costs one row, wherever it is,
// and the rows after it keep their line numbers.
func TestStrayQuote(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,note,date,amount\n")
	for i := 2; i <= 5003; i++ {
		switch i {
		case 2, 4990:
			fmt.Fprintf(&b, "%d,\"oops,2024-01-01,1\n", i)
		case 50:
			fmt.Fprintf(&b, "%d,x,2024-13-01,1\n", i)
		default:
			fmt.Fprintf(&b, "%d,\"ok, quoted\",2024-01-01,1\n", i)
		}
	}
	text := b.String()
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	s, err := Summarize(strings.NewReader(text), "q.csv", ReadOptions{OnBadRow: "skip", RejectsPath: rejects}, so)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Accounting
	if a.RowsRead != 5002 || a.RowsRejected != 3 || a.RejectedBy[ReasonBadQuote] != 2 || a.RejectedBy[ReasonBadDate] != 1 || len(s.Customers) != 4999 {
		t.Errorf("got %+v and %d customers, want 5002 read, 3 rejected", a, len(s.Customers))
	}
	got, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "q.csv,2,,malformed_quotes,") ||
		!strings.HasPrefix(lines[2], "q.csv,50,date,unparseable_date,") || !strings.HasPrefix(lines[3], "q.csv,4990,,malformed_quotes,") {
		t.Errorf("rejects:\n%s", got)
	}
	_, err = Summarize(strings.NewReader(text), "q.csv", ReadOptions{}, so)
	var bad *BadRowError
	if !errors.As(err, &bad) || bad.Line != 2 || bad.Reason != ReasonBadQuote || !strings.Contains(bad.Detail, "a stray quote?") {
		t.Errorf("fail: %v", err)
	}
	// Past the bounds: 32 lines, or 64 KiB.
	plainRows := "customer_id,note,date,amount\n1,\"oops,2024-01-01,1\n" + strings.Repeat("2,x,2024-01-01,1\n", 100)
	longRows := "customer_id,note,date,amount\n1,\"oops,2024-01-01,1\n" + strings.Repeat("2,"+strings.Repeat("x", 10000)+",2024-01-01,1\n", 10)
	for _, c := range []struct {
		text string
		rows int64
		want string
	}{{plainRows, 101, "not closed within 32 lines"}, {longRows, 11, "not closed within 32 lines or 64 KiB"}} {
		s, err = Summarize(strings.NewReader(c.text), "b.csv", ReadOptions{OnBadRow: "skip"}, so)
		if err != nil || s.Accounting.RowsRead != c.rows || s.Accounting.RowsRejected != 1 {
			t.Errorf("bounds: %v %+v", err, s)
		}
		_, err = Summarize(strings.NewReader(c.text), "b.csv", ReadOptions{}, so)
		if !errors.As(err, &bad) || bad.Line != 2 || !strings.Contains(bad.Detail, c.want) {
			t.Errorf("bounds, fail: %v", err)
		}
	}
	// A quoted field with line breaks within the bound is one record.
	s, err = Summarize(strings.NewReader("customer_id,note,date\n1,\"a\n\nb\n\"\"c\"\"\",2024-01-01\n2,x,2024-01-02\n"), "m.csv", ReadOptions{}, so)
	if err != nil || s.Accounting.RowsRead != 2 {
		t.Errorf("multi-line field: %v %+v", err, s)
	}
	// A long line with a stray quote in CR-only text.
	cr := "customer_id,date\r1,\"2024-01-01\r" + strings.Repeat("2,2024-01-02\r", 100)
	s, err = Summarize(strings.NewReader(cr), "cr.csv", ReadOptions{OnBadRow: "skip"}, so)
	if err != nil || s.Accounting.RowsRead != 101 || s.Accounting.RowsRejected != 1 {
		t.Errorf("CR-only with a stray quote: %v %+v", err, s)
	}
}

// TestDuplicateRows: identical rows merge into one day and are counted.
func TestDuplicateRows(t *testing.T) {
	text := "customer_id,date,amount\n1,2024-01-01,10\n1,2024-01-01,10\n1,2024-01-01,10\n1,2024-01-02,5\n" +
		"2,2024-01-01,3\n1,2024-01-02,5\n2,2024-01-01,4\n3,2024-01-01,1\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	s, err := Summarize(strings.NewReader(text), "d.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 3 and 4 repeat row 2; the second "1,2024-01-02,5" repeats
	// customer 1's previous row although customer 2's row came between;
	// customer 2's rows differ in amount.
	if s.Accounting.DuplicateRows != 3 || s.Accounting.RowsUsed != 8 {
		t.Errorf("got %+v, want 3 duplicate rows of 8", s.Accounting)
	}
	if c := s.Customers[0]; c.FirstAmount != 30 || c.Frequency != 1 || c.Monetary != 10 {
		t.Errorf("merge changed: %+v", c)
	}
	// Count-only: rows identical in the columns read.
	s, err = Summarize(strings.NewReader("customer_id,date\n1,2024-01-01\n1,2024-01-01\n"), "d.csv", ReadOptions{}, so)
	if err != nil || s.Accounting.DuplicateRows != 1 {
		t.Errorf("count-only: %v %+v", err, s)
	}
}

// TestAmountColumn: an amount column named explicitly must exist; the
// assumed default says why no amounts were read.
func TestAmountColumn(t *testing.T) {
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	text := "customer_id,date,price\n1,2024-01-01,3\n"
	for _, name := range []string{"amount", "Amount", "2x"} {
		_, err := Summarize(strings.NewReader(text), "a.csv", ReadOptions{Amount: ColumnNamed(name)}, so)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != OptionAmount || !strings.Contains(err.Error(), "no amount column") {
			t.Errorf("Amount %q missing: %v", name, err)
		}
	}
	s, err := Summarize(strings.NewReader(text), "a.csv", ReadOptions{}, so)
	if err != nil || s.HasAmount || !strings.Contains(s.NoAmountReason, `no column called "amount"`) {
		t.Errorf("default assumed: %v %+v", err, s)
	}
	s, err = Summarize(strings.NewReader(text), "a.csv", ReadOptions{Amount: NoColumn()}, so)
	if err != nil || s.HasAmount || !strings.Contains(s.NoAmountReason, "none") {
		t.Errorf("none: %v %+v", err, s)
	}
	s, err = Summarize(strings.NewReader(text), "a.csv", ReadOptions{Amount: ColumnNamed("price")}, so)
	if err != nil || !s.HasAmount || s.NoAmountReason != "" || s.Customers[0].FirstAmount != 3 {
		t.Errorf("price: %v %+v", err, s)
	}
	s, err = Summarize(strings.NewReader("1,2024-01-01,3\n"), "a.csv", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1)}, so)
	if err != nil || s.HasAmount || !strings.Contains(s.NoAmountReason, "0-based index") {
		t.Errorf("no header: %v %+v", err, s)
	}
}

// TestDelimiters reads one log with each delimiter, detected and given.
func TestDelimiters(t *testing.T) {
	plain := "customer_id,note,date,amount\n1,\"a;b|c\td\",2024-01-01,10\n1,x,2024-01-09,2.5\n2,,2024-01-03,4\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	ref, err := Summarize(strings.NewReader(plain), "ref.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Delimiter{DelimiterComma, DelimiterSemicolon, DelimiterTab, DelimiterPipe} {
		text := strings.ReplaceAll(plain, ",", string(d.char()))
		text = strings.Replace(text, `"a;b|c`+"\t"+`d"`, `"a;b|c`+"\t"+`d,e"`, 1)
		for _, name := range []string{"log.csv", "log.txt", "log"} {
			for _, ro := range []ReadOptions{{}, {Delimiter: d}} {
				in, err := openReaderSource(strings.NewReader(text), name, mustConfig(t, ro))
				if err != nil || in.inspection().Delimiter != d {
					t.Errorf("%s %s %+v: %v", d, name, ro, err)
					continue
				}
				s, err := Summarize(strings.NewReader(text), name, ro, so)
				if err != nil || !slices.Equal(s.Customers, ref.Customers) {
					t.Errorf("%s %s %+v: %v", d, name, ro, err)
				}
			}
		}
	}
	ws := "customer_id date amount\n1 2024-01-01 10\n1 2024-01-09 2.5\n2 2024-01-03 4\n"
	s, err := Summarize(strings.NewReader(ws), "w.csv", ReadOptions{Delimiter: DelimiterWhitespace}, so)
	if err != nil || !slices.Equal(s.Customers, ref.Customers) {
		t.Errorf("whitespace given: %v", err)
	}
	if _, err := Summarize(strings.NewReader(ws), "w", ReadOptions{Format: FormatTSV, Delimiter: DelimiterComma}, so); err == nil || !strings.Contains(err.Error(), "contradicts") {
		t.Errorf("conflict: %v", err)
	}
	if _, err := Summarize(strings.NewReader(ws), "w", ReadOptions{Delimiter: Delimiter(99)}, so); err == nil {
		t.Error("no error for an unknown delimiter")
	}
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]Delimiter{
		"": DelimiterAuto, "auto": DelimiterAuto, ",": DelimiterComma, "Comma": DelimiterComma, ";": DelimiterSemicolon,
		"semicolon": DelimiterSemicolon, "\t": DelimiterTab, `\t`: DelimiterTab, "TAB": DelimiterTab, "|": DelimiterPipe,
		"pipe": DelimiterPipe, "whitespace": DelimiterWhitespace, "space": DelimiterWhitespace,
	} {
		got, err := ParseDelimiter(in)
		if err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %v, %v; want %v", in, got, err, want)
		}
		if want != DelimiterAuto {
			if back, err := ParseDelimiter(got.String()); err != nil || back != got {
				t.Errorf("%v does not read back: %v", got, err)
			}
		}
	}
	if _, err := ParseDelimiter(":\x1b"); err == nil || !strings.Contains(err.Error(), `":\x1b"`) {
		t.Errorf("unknown delimiter: %v", err)
	}
}

// TestSummaryCSVPeers reads the summary tables the peers write: lifetimes'
// calibration_and_holdout_data and BTYD/BTYDplus/CLVTools's cbs, in any
// encoding, and checks them against the same table in our names.
func TestSummaryCSVPeers(t *testing.T) {
	ours := "customer_id,frequency,recency,T,monetary_value,frequency_holdout,monetary_value_holdout,duration_holdout\n" +
		"a,2,30.5,38,22.5,1,10,39\nb,0,0,12,0,0,0,39\n"
	ref, err := ParseSummaryCSV(strings.NewReader(ours), "ours.csv")
	if err != nil || len(ref.Customers) != 2 || !ref.HasAmount || !ref.HasHoldout {
		t.Fatalf("reference: %v %+v", err, ref)
	}
	lifetimes := "customer_id,frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout,monetary_value_holdout,duration_holdout\n" +
		"a,2.0,30.5,38.0,22.5,1.0,10.0,39.0\nb,0.0,0.0,12.0,0.0,0.0,0.0,39.0\n"
	btyd := "cust,x,t.x,litt,sales,first,T.cal,T.star,x.star,monetary_value,monetary_value_holdout\n" +
		"a,2,30.5,1.2,67.5,2024-01-01,38,39,1,22.5,10\nb,0,0,0,5,2024-01-01,12,39,0,0,0\n"
	for name, text := range map[string]string{"lifetimes": lifetimes, "btyd": btyd} {
		for enc, data := range map[string][]byte{
			"utf8": []byte(text), "bom": append([]byte("\xef\xbb\xbf"), text...), "utf16le": encodeUTF16(text, false),
			"utf16be-crlf": encodeUTF16(strings.ReplaceAll(text, "\n", "\r\n"), true), "cr": []byte(strings.ReplaceAll(text, "\n", "\r")),
			"gzip": gzipped(t, []byte(text)),
		} {
			s, err := ParseSummaryCSV(bytes.NewReader(data), name+".csv")
			if err != nil || !slices.Equal(s.Customers, ref.Customers) || !s.HasAmount || !s.HasHoldout {
				t.Errorf("%s %s: %v %+v", name, enc, err, s)
			}
		}
	}
	// BTYD's sales (the total, the first purchase included) is not the
	// mean repeat spend: no amounts, and the reason says so.
	s, err := ParseSummaryCSV(strings.NewReader("cust,x,t.x,T.cal,sales\na,2,30,38,67.5\n"), "btyd.csv")
	if err != nil || s.HasAmount || !strings.Contains(s.NoAmountReason, "sales") {
		t.Errorf("sales only: %v %+v", err, s)
	}
}

// TestSummaryCSVImpossible checks that rows no customer can have are
// refused with the file, the line and the fix.
func TestSummaryCSVImpossible(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"customer_id,frequency,recency,T\na,1,2,3\nb,1.5,2,3\n", `s.csv:3: column 1 (frequency): "1.5" is not a whole number`},
		{"x,t.x,T.cal,x.star,T.star\n1,2,3,0.25,39\n", `s.csv:2: column 3 (x.star): "0.25" is not a whole number`},
		{"customer_id,frequency,recency,T\na,0,2,3\n", "s.csv:2: frequency 0 with recency 2: a customer without repeat purchases has recency 0"},
		{"customer_id,frequency,recency,T\na,1,4,3\n", "s.csv:2: recency 4 exceeds T 3: the last purchase cannot come after the end of calibration"},
		{"customer_id,frequency,recency,T\na,1,2,3\nb,0,0,3\na,1,2,3\n", `s.csv:4: column 0 (customer_id): customer "a" already has a row on line 2`},
		{"customer_id,frequency,recency,T\n\"a\x1b[0m" + strings.Repeat("z", 500) + "\",1,2,3\n\"a\x1b[0m" + strings.Repeat("z", 500) + "\",1,2,3\n", `customer "a\x1b[0mzzz`},
	} {
		_, err := ParseSummaryCSV(strings.NewReader(c.text), "s.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, err, c.want)
			continue
		}
		checkShortMessage(t, "summary", err.Error(), 0)
	}
}

// TestSurvivalCSVEncodings reads survivor counts and subscriptions as
// spreadsheets export them.
func TestSurvivalCSVEncodings(t *testing.T) {
	text := "period,survivors\n0,1000\n1,869\n2,743\n"
	subs := "customer,start,end\nc1,2023-01-15,2023-07-02\nc2,2023-03-01,\n"
	for enc, conv := range map[string]func(string) []byte{
		"bom":     func(s string) []byte { return append([]byte("\xef\xbb\xbf"), s...) },
		"utf16le": func(s string) []byte { return encodeUTF16(s, false) },
		"utf16be": func(s string) []byte { return encodeUTF16(strings.ReplaceAll(s, "\n", "\r\n"), true) },
		"cr":      func(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r")) },
		"gzip":    func(s string) []byte { return gzipped(t, []byte(s)) },
	} {
		out, err := ParseSurvivalCSV(bytes.NewReader(conv(text)), "s.csv")
		if err != nil || !slices.Equal(out, []float64{1000, 869, 743}) {
			t.Errorf("survival %s: %v %v", enc, err, out)
		}
		sub, err := ParseSubscriptionsCSV(bytes.NewReader(conv(subs)), "sub.csv", 30, date(2023, 9, 1))
		if err != nil || len(sub.IDs) != 2 || sub.IDs[0] != "c1" {
			t.Errorf("subscriptions %s: %v %+v", enc, err, sub)
		}
	}
	_, err := ParseSurvivalCSV(bytes.NewReader([]byte("\x7fELF\x00\x00\x01\x02")), "bin")
	if err == nil || !strings.Contains(err.Error(), "binary data") {
		t.Errorf("binary survival file: %v", err)
	}
	_, err = ParseSurvivalCSV(strings.NewReader("period,survivors\n0,\"\x1b[2J"+strings.Repeat("9", 900)+"\"\n"), "s.csv")
	if err == nil {
		t.Fatal("no error for a bad count")
	}
	checkShortMessage(t, "survival", err.Error(), 0)
}

// TestColumnByNameOrIndex: the name-or-index choice is explicit, so that a
// column named "2024" is chosen by its name; ParseColumn keeps the command
// line's convention (digits are an index).
func TestColumnByNameOrIndex(t *testing.T) {
	text := "2024,1,date\n7,x,2024-01-05\n8,y,2024-01-06\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	s, err := Summarize(strings.NewReader(text), "y.csv", ReadOptions{Customer: ColumnNamed("2024")}, so)
	if err != nil || len(s.Customers) != 2 || s.Customers[0].ID != "7" {
		t.Errorf("by name 2024: %v %+v", err, s)
	}
	s, err = Summarize(strings.NewReader(text), "y.csv", ReadOptions{Header: "yes", Customer: ColumnAt(1)}, so)
	if err != nil || len(s.Customers) != 2 || s.Customers[0].ID != "x" {
		t.Errorf("by index 1: %v %+v", err, s)
	}
	_, err = Summarize(strings.NewReader(text), "y.csv", ReadOptions{Customer: ColumnNamed("2025")}, so)
	if err == nil || !strings.Contains(err.Error(), `no customer_id column "2025" in the header; the columns are: 2024, 1, date`) {
		t.Errorf("missing name: %v", err)
	}
	_, err = Summarize(strings.NewReader(text), "y.csv", ReadOptions{Header: "yes", Customer: ColumnAt(7)}, so)
	if err == nil || !strings.Contains(err.Error(), `no customer_id column index 7`) {
		t.Errorf("index out of range: %v", err)
	}
	if _, err := Summarize(strings.NewReader(text), "y.csv", ReadOptions{Date: NoColumn()}, so); err == nil {
		t.Error("no error for a date column of none")
	}
	for in, want := range map[string]Column{"": {}, " none ": NoColumn(), "2024": ColumnAt(2024), "amount": ColumnNamed("amount"), "0x1": ColumnNamed("0x1")} {
		if got := ParseColumn(in); got != want {
			t.Errorf("ParseColumn(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]Format{"": FormatAuto, "AUTO": FormatAuto, "csv": FormatCSV, "tsv": FormatTSV, "Whitespace": FormatWhitespace, "parquet": FormatParquet} {
		got, err := ParseFormat(in)
		if err != nil || got != want || (in != "" && !strings.EqualFold(got.String(), in)) {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xlsx"); err == nil || !strings.Contains(err.Error(), `unknown log format "xlsx"`) {
		t.Errorf("ParseFormat(xlsx): %v", err)
	}
}

// TestLineEndingAtBlockEdge: a \r\n split across the 64 KiB block that
// decides the line ending is still a CRLF file.
func TestLineEndingAtBlockEdge(t *testing.T) {
	note := strings.Repeat("n", 64<<10-len("customer_id,date,note\r"))
	text := "customer_id,date,note" + note + "\r\n1,2024-01-01,x\r\n2,2024-01-02,y\r\n"
	so := SummaryOptions{Unit: Day, CalibrationEnd: date(2024, 1, 31)}
	s, err := Summarize(strings.NewReader(text), "edge.csv", ReadOptions{Customer: ColumnAt(0), Date: ColumnAt(1), Header: "yes"}, so)
	if err != nil || s.Accounting.RowsRead != 2 {
		t.Errorf("got %v %+v, want 2 rows", err, s)
	}
}
