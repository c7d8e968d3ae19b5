package datasets

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A log of more numeric ids than one range of fillRows holds, some equal
// but for leading zeros, comes out in SortByID's order (by value, then
// text) with each customer's repeat days as counted here row by row.
func TestSummaryNumericIDsOrderAndRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("customer_id,date,amount\n")
	days := map[string]map[int]bool{}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := range 60 {
		date := start.AddDate(0, 0, d).Format("2006-01-02")
		for range 4000 {
			id := strconv.Itoa(rng.IntN(200000))
			id = strings.Repeat("0", rng.IntN(8)/6*rng.IntN(3)) + id // a few with leading zeros
			fmt.Fprintf(&b, "%s,%s,%d.5\n", id, date, rng.IntN(100))
			if days[id] == nil {
				days[id] = map[int]bool{}
			}
			days[id][d] = true
		}
	}
	so := SummaryOptions{Unit: Day, CalibrationEnd: start.AddDate(0, 0, 59)}
	s, err := Summarize(strings.NewReader(b.String()), "log.csv", ReadOptions{}, so)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Customers) != len(days) || len(s.Customers) < 2*65536 {
		t.Fatalf("%d customers, want %d (more than two ranges)", len(s.Customers), len(days))
	}
	sorted := slices.Clone(s.Customers)
	SortByID(sorted)
	for i, c := range s.Customers {
		if c.ID != sorted[i].ID {
			t.Fatalf("row %d is %q, SortByID puts %q there", i, c.ID, sorted[i].ID)
		}
		if want := float64(len(days[c.ID]) - 1); c.Frequency != want {
			t.Fatalf("customer %q: frequency %v, want %v", c.ID, c.Frequency, want)
		}
	}
}

// radixSortEntries sorts as a stable comparison sort does, whatever bits
// the keys share.
func TestRadixSortEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, mask := range []uint64{0, 1, 0xff, 0xfff0, 1<<40 | 7, ^uint64(0)} {
		for _, n := range []int{0, 1, 2, 1000} {
			es := make([]tableEntry, n)
			states := make([]custState, n)
			for i := range es {
				es[i] = tableEntry{key: rng.Uint64()&mask | 1<<62, st: &states[i]}
			}
			want := slices.Clone(es)
			slices.SortStableFunc(want, func(a, b tableEntry) int { return cmp.Compare(a.key, b.key) })
			radixSortEntries(es)
			if !slices.Equal(es, want) {
				t.Fatalf("mask %#x, %d keys: radix order differs from a stable sort", mask, n)
			}
		}
	}
}

// With SummaryOptions.CSV the rows written are those WriteSummaryCSV
// writes of the summary kept, and so are the summary's other facts.
func TestSummaryStreamedCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("customer_id,date,amount\n")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 120_000 {
		id := strconv.Itoa(rng.IntN(40000))
		if i%1000 == 0 {
			id = "c" + id // a few string ids: the other order
		}
		fmt.Fprintf(&b, "%s,%s,%d.25\n", id, start.AddDate(0, 0, i*400/120_000).Format("2006-01-02"), rng.IntN(100))
	}
	log := b.String()
	for name, so := range map[string]SummaryOptions{
		"holdout":    {Unit: Week, CalibrationEnd: start.AddDate(0, 0, 300), HoldoutEnd: start.AddDate(0, 0, 400)},
		"no holdout": {Unit: Day, CalibrationEnd: start.AddDate(0, 0, 400)},
		"numeric":    {Unit: Week, CalibrationEnd: start.AddDate(0, 0, 30), HoldoutEnd: start.AddDate(0, 0, 400)},
	} {
		data := log
		if name == "numeric" {
			data = strings.NewReplacer("\nc", "\n").Replace(log)
		}
		for _, ro := range []ReadOptions{{}, {Amount: NoColumn()}} {
			kept, err := Summarize(strings.NewReader(data), "log.csv", ro, so)
			if err != nil {
				t.Fatal(err)
			}
			var want, got bytes.Buffer
			if err := WriteSummaryCSV(&want, kept); err != nil {
				t.Fatal(err)
			}
			sso := so
			sso.CSV = &got
			streamed, err := Summarize(strings.NewReader(data), "log.csv", ro, sso)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s: the rows written differ from WriteSummaryCSV's", name)
			}
			if streamed.WrittenCustomers != len(kept.Customers) || len(streamed.Customers) != 0 {
				t.Errorf("%s: %d rows written, %d kept; want %d, 0", name, streamed.WrittenCustomers, len(streamed.Customers), len(kept.Customers))
			}
			streamed.WrittenCustomers, streamed.Customers = 0, kept.Customers
			if !reflect.DeepEqual(streamed, kept) {
				t.Errorf("%s: the streamed summary's facts differ", name)
			}
		}
	}
}

// Amounts whose sums overflow are an error naming the first such customer
// in output order, whether the rows are kept or written (and then nothing
// is written).
func TestSummaryAmountOverflow(t *testing.T) {
	log := "customer_id,date,amount\n9,2024-01-01,1\n7,2024-01-01,1\n7,2024-01-02,1e308\n7,2024-01-03,1e308\n" +
		"3,2024-01-01,1e308\n3,2024-01-01,1e308\n"
	so := SummaryOptions{Unit: Week, CalibrationEnd: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)}
	const want = `log.csv: the amounts of customer "3" add up to more than a float64 holds`
	for _, stream := range []bool{false, true} {
		var out bytes.Buffer
		if stream {
			so.CSV = &out
		}
		_, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{}, so)
		if err == nil || err.Error() != want || out.Len() != 0 {
			t.Errorf("streamed %v: error %v and %d bytes written; want %q and none", stream, err, out.Len(), want)
		}
	}
}
