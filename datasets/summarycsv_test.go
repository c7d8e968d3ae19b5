package datasets

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// The -update flag (shared with the other golden tests of the package)
// rewrites testdata/golden_summary.csv.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateFlag() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestSummaryGolden summarizes testdata/golden_log.csv (quoted ids, a
// multi-line note, same-day purchases, a holdout, a late customer) and
// compares the CSV with testdata/golden_summary.csv. Rewrite it with
// go test ./datasets -run TestSummaryGolden -update, and check the diff by
// hand: customer 0042 buys 14.75 on 01-03 and repeats on 02-14 (8.00), so
// x=1, t_x=42 days=6 weeks, T=58 days, monetary 8, and 20.00 in the holdout.
func TestSummaryGolden(t *testing.T) {
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 3, 1), HoldoutEnd: date(2024, 4, 30)}
	s, err := SummarizeFile(filepath.Join("testdata", "golden_log.csv"), ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSummaryCSV(&buf, s); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden_summary.csv")
	if updateFlag() {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("summary CSV differs from %s:\n got:\n%s\nwant:\n%s", golden, buf.Bytes(), want)
	}
	if s.LateCustomers != 1 || s.Accounting.RowsRead != 9 || s.Accounting.RowsUsed != 9 {
		t.Errorf("late %d, accounting %+v", s.LateCustomers, s.Accounting)
	}
}

// TestSummaryCSVRoundTrip writes summaries of every shape and reads them
// back: the numbers must come back bit for bit.
func TestSummaryCSVRoundTrip(t *testing.T) {
	base := []CustomerSummary{
		{ID: "0001", Frequency: 2, Recency: 30.0 / 7, T: 38.0 / 7, Monetary: 0.1 + 0.2, FrequencyHoldout: 1, MonetaryHoldout: 1e-7, DurationHoldout: 39, Weight: 1},
		{ID: `a "b", c`, Frequency: 0, Recency: 0, T: 1e6, Monetary: 0, DurationHoldout: 39, Weight: 1},
		{ID: " padded ", Frequency: 12, Recency: math.Nextafter(5, 6), T: 5.5, Monetary: 123456789.125, FrequencyHoldout: 3, MonetaryHoldout: 2.5, DurationHoldout: 39, Weight: 1},
		{ID: "", Frequency: 1, Recency: 1, T: 1, Monetary: 4, DurationHoldout: 39, Weight: 1},
	}
	dir := t.TempDir()
	for _, shape := range []struct{ amount, holdout, compressed bool }{
		{true, true, false}, {false, false, false}, {true, false, false}, {false, true, false}, {false, false, true},
	} {
		s := &Summary{HasAmount: shape.amount, HasHoldout: shape.holdout, Compressed: shape.compressed}
		for _, c := range base {
			if !shape.amount {
				c.Monetary, c.MonetaryHoldout = 0, 0
			}
			if !shape.holdout {
				c.FrequencyHoldout, c.MonetaryHoldout, c.DurationHoldout = 0, 0, 0
			}
			if shape.compressed {
				c.Weight = 3
			}
			s.Customers = append(s.Customers, c)
		}
		path := filepath.Join(dir, "s.csv")
		var buf bytes.Buffer
		if err := WriteSummaryCSV(&buf, s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSummaryCSV(path)
		if err != nil {
			t.Fatalf("%+v: %v\n%s", shape, err, buf.Bytes())
		}
		if !slices.Equal(got.Customers, s.Customers) || got.HasAmount != s.HasAmount || got.HasHoldout != s.HasHoldout || got.Compressed != s.Compressed {
			t.Errorf("%+v: read back\n%+v\nwrote\n%+v\nfile:\n%s", shape, got.Customers, s.Customers, buf.Bytes())
		}
		header, _, _ := strings.Cut(buf.String(), "\n")
		if want := strings.Join(summaryColumns(s), ","); header != want {
			t.Errorf("%+v: header %q, want %q", shape, header, want)
		}
	}
}

// TestReadSummaryCSVAliases reads the reference files of the shared folder
// through their aliases: donations.csv (frequency,recency,periods,weights:
// the BG/BB table of Fader, Hardie & Shang 2010, 22 patterns of 11,104
// donors over 6 opportunities) and the CDNOW summary with spend (ID, x,
// t_x, T, zbar; 2,357 customers with Σx = 2,457), whose lines end in CRLF.
func TestReadSummaryCSVAliases(t *testing.T) {
	d, err := ReadSummaryCSV(sharedtest.Path(t, "datasets", "donations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var donors float64
	for _, c := range d.Customers {
		donors += c.Weight
		if c.T != 6 || c.Recency > 6 || c.Frequency > 6 {
			t.Errorf("pattern %+v outside 6 opportunities", c)
		}
	}
	if len(d.Customers) != 22 || donors != 11104 || !d.Compressed || d.HasAmount || d.HasHoldout {
		t.Errorf("donations: %d rows, %v donors, compressed %v, amount %v", len(d.Customers), donors, d.Compressed, d.HasAmount)
	}
	if c := d.Customers[0]; c.Frequency != 0 || c.Recency != 0 || c.Weight != 3464 {
		t.Errorf("first pattern %+v, want 0,0,6 × 3464", c)
	}

	s, err := ReadSummaryCSV(sharedtest.Path(t, "datasets", "cdnow_customers_summary_with_transactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var x float64
	for _, c := range s.Customers {
		x += c.Frequency
	}
	first := s.Customers[0]
	if len(s.Customers) != 2357 || x != 2457 || !s.HasAmount || s.Compressed ||
		first != (CustomerSummary{ID: "1", Frequency: 2, Recency: 30.43, T: 38.86, Monetary: 22.35, Weight: 1}) {
		t.Errorf("CDNOW: %d rows, Σx %v, amount %v, first %+v", len(s.Customers), x, s.HasAmount, first)
	}
}

// TestReadSummaryCSVErrors checks that bad tables are refused with the
// file, line and column.
func TestReadSummaryCSVErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"", "empty file"},
		{"id,frequency,T\n1,2,3\n", "s.csv:1: no recency column; the header is id, frequency, T"},
		{"frequency,recency,T\n1,2,3\n1,x,3\n", `s.csv:3: column 1 (recency): cannot parse "x" as a number`},
		{"frequency,recency,T\n1,2,3\n\n-1,2,3\n", `s.csv:4: column 0 (frequency): "-1" must be a finite number ≥ 0`},
		{"frequency,recency,T\nNaN,2,3\n", `s.csv:2: column 0 (frequency): "NaN" must be a finite number ≥ 0`},
		{"frequency,recency,T\n1,4,3\n", "s.csv:2: recency 4 exceeds T 3"},
		{"x,frequency,recency,T\n1,1,2,3\n", "s.csv:1: columns 0 (x) and 1 (frequency) both give frequency"},
		{"frequency,recency,T,frequency_holdout\n1,2,3,4\n", "needs both frequency_holdout (x.star) and duration_holdout (T.star)"},
		{"frequency,recency,T\n1,2\n", "s.csv:2: wrong number of fields"},
	} {
		path := filepath.Join(dir, "s.csv")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadSummaryCSV(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.text, err, c.want)
		}
	}
	if _, err := ReadSummaryCSV(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("no error for a missing file")
	}
}
