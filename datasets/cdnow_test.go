package datasets

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// cdnowOptions reads CDNOW_sample.txt: whitespace-separated, no header,
// columns master id, sample id, date (yyyymmdd), number of CDs, dollars.
var cdnowOptions = ReadOptions{Customer: ColumnAt(1), Date: ColumnAt(2), Amount: ColumnAt(4), DateFormat: "20060102"}

// cdnowWindows is the standard split of Fader, Hardie & Lee (2005):
// calibration 1997-01-01 to 1997-09-30 (39 weeks), holdout to 1998-06-30.
var cdnowWindows = SummaryOptions{
	Unit:           Week,
	CalibrationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
	HoldoutEnd:     time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC),
}

// readReference reads a summary CSV of the shared folder as rows of
// numbers keyed by integer id.
func readReference(t *testing.T, path string) (header []string, rows map[int][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = map[int][]float64{}
	for _, rec := range recs[1:] {
		id, err := strconv.Atoi(rec[0])
		if err != nil {
			t.Fatal(err)
		}
		var v []float64
		for _, s := range rec[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			v = append(v, x)
		}
		rows[id] = v
	}
	return recs[0], rows
}

// TestCDNOWSample checks the summary of the CDNOW sample against the
// calibration summary lifetimes distributes (cdnow_customers_summary.csv,
// the input of the BG/NBD fit of Fader, Hardie & Lee 2005) and the spend
// summary (cdnow_customers_summary_with_transactions.csv, the input of the
// Gamma-Gamma fit). The reference files round weeks and dollars to 2
// decimals (half up), so the tolerance is 0.005 (plus 1e-9 for the binary
// representation of a half cent). The sums are from the shared README:
// Σx = 2457 in calibration and 1882 repeat transactions in the holdout.
func TestCDNOWSample(t *testing.T) {
	s, err := SummarizeFile(sharedtest.Path(t, "datasets", "CDNOW_sample.txt"), cdnowOptions, cdnowWindows)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Customers) != 2357 || s.LateCustomers != 0 {
		t.Fatalf("got %d customers (%d late), want 2357 (0 late)", len(s.Customers), s.LateCustomers)
	}
	acc := s.Accounting
	if acc.RowsRead != 6919 || acc.RowsUsed != 6919 || acc.RowsRejected != 0 {
		t.Errorf("accounting %+v, want 6919 rows read and used", acc)
	}
	_, ref := readReference(t, sharedtest.Path(t, "datasets", "cdnow_customers_summary.csv"))
	_, spend := readReference(t, sharedtest.Path(t, "datasets", "cdnow_customers_summary_with_transactions.csv"))
	const tol = 0.005 + 1e-9
	var sumX, sumXh float64
	for i, c := range s.Customers {
		id, err := strconv.Atoi(c.ID)
		if err != nil || id != i+1 || len(c.ID) != 4 {
			t.Fatalf("customer %d has id %q, want the zero-padded sample id %04d in order", i, c.ID, i+1)
		}
		want, ok := ref[id]
		if !ok {
			t.Fatalf("customer %s missing from the reference", c.ID)
		}
		if c.Frequency != want[0] || math.Abs(c.Recency-want[1]) > tol || math.Abs(c.T-want[2]) > tol {
			t.Errorf("customer %s: (x, t_x, T) = (%v, %v, %v), reference (%v, %v, %v)", c.ID, c.Frequency, c.Recency, c.T, want[0], want[1], want[2])
		}
		z := spend[id]
		if z[0] != c.Frequency || math.Abs(c.Monetary-z[3]) > tol {
			t.Errorf("customer %s: monetary %v (x %v), reference zbar %v (x %v)", c.ID, c.Monetary, c.Frequency, z[3], z[0])
		}
		if c.DurationHoldout != 39 {
			t.Errorf("customer %s: holdout duration %v, want 39 weeks", c.ID, c.DurationHoldout)
		}
		sumX += c.Frequency
		sumXh += c.FrequencyHoldout
	}
	if sumX != 2457 || sumXh != 1882 {
		t.Errorf("Σfrequency = %v, Σfrequency_holdout = %v; want 2457 and 1882", sumX, sumXh)
	}
}

// TestCDNOWMaster reads the full CDNOW log (header line, whitespace,
// CRLF) by column name and checks the counts of the shared README: 69,659
// rows, 23,570 customers, none late (all first purchases fall in 1997 Q1),
// and every dollar accounted for: the first-day amounts plus the repeat and
// holdout means times their counts add up to the column total $2,500,315.63.
func TestCDNOWMaster(t *testing.T) {
	ro := ReadOptions{Amount: ColumnNamed("dollar_value"), DateFormat: "20060102"}
	s, err := SummarizeFile(sharedtest.Path(t, "datasets", "CDNOW_master.txt"), ro, cdnowWindows)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Accounting; a.RowsRead != 69659 || a.RowsUsed != 69659 || len(s.Customers) != 23570 || s.LateCustomers != 0 {
		t.Fatalf("accounting %+v, %d customers, %d late", a, len(s.Customers), s.LateCustomers)
	}
	var total float64
	for _, c := range s.Customers {
		total += c.FirstAmount + c.Monetary*c.Frequency + c.MonetaryHoldout*c.FrequencyHoldout
	}
	if math.Abs(total-2500315.63) > 1e-6 {
		t.Errorf("dollars %.6f, want 2500315.63", total)
	}
	if s.Customers[0].ID != "00001" || s.Customers[len(s.Customers)-1].ID != "23570" {
		t.Errorf("ids from %s to %s", s.Customers[0].ID, s.Customers[len(s.Customers)-1].ID)
	}
}
