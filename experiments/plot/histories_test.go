package plot

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// patternsOf returns datasets.NewPatterns of a summary of the customers,
// as a run's pattern table of its summary.
func patternsOf(cs []Customer) *datasets.Patterns {
	s := &datasets.Summary{Customers: make([]datasets.CustomerSummary, len(cs))}
	for i, c := range cs {
		s.Customers[i] = datasets.CustomerSummary{ID: c.ID, Frequency: c.Frequency, Recency: c.Recency, T: c.T, Weight: 1}
	}
	return datasets.NewPatterns(s)
}

// mustTable returns the tables' histories without activity bitmaps.
func mustTable(t *testing.T, tables *historyTables) *historyTable {
	t.Helper()
	ht, err := tables.table(false)
	if err != nil {
		t.Fatal(err)
	}
	return ht
}

// mustAges returns the tables' ages.
func mustAges(t *testing.T, tables *historyTables) *ageTable {
	t.Helper()
	at, err := tables.ageTable()
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// sameBits reports whether two lists of histories, ages or counts hold the
// same values bit for bit (−0 differing from 0).
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// historyColumns returns a table's histories as columns x, t_x, T and
// their counts, to compare bit for bit.
func historyColumns(ht *historyTable) [][]float64 {
	cols := make([][]float64, 4)
	for g, h := range ht.hs {
		cols[0], cols[1], cols[2] = append(cols[0], h.x), append(cols[1], h.tx), append(cols[2], h.T)
		cols[3] = append(cols[3], ht.count[g])
	}
	return cols
}

// The histories and ages numbered from the run's pattern table are those
// hashing every customer gives, bit for bit, in the same order (the order
// of first appearance, which sets the order of the forecast's sums):
// customers with many repeated histories, some with −0 where others have
// 0 (the pattern table stores 0, the hashed tables the first customer's
// value), at several sizes; and a pattern table of other customers is not
// used.
func TestPatternTablesAsHashed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 17))
	for _, n := range []int{1, 2, 50, 5000} {
		cs := make([]Customer, n)
		for i := range cs {
			c := &cs[i]
			c.T = float64(1+rng.IntN(30)) / 7
			c.Frequency = float64(rng.IntN(4))
			if c.Frequency > 0 {
				c.Recency = c.T * float64(rng.IntN(3)) / 2
			}
			if i%11 == 3 {
				c.Recency = math.Copysign(0, -1)
			}
		}
		hashed := newHistoryTables(&Input{Customers: cs})
		fromRows := newHistoryTables(&Input{Customers: cs, Patterns: patternsOf(cs)})
		if rows, _ := fromRows.rowOrder(); rows == nil {
			t.Fatalf("n = %d: the customers' own pattern table was not used", n)
		}
		want, got := historyColumns(mustTable(t, hashed)), historyColumns(mustTable(t, fromRows))
		for k := range want {
			if !sameBits(got[k], want[k]) {
				t.Fatalf("n = %d: column %d of the histories %v, hashed %v", n, k, got[k], want[k])
			}
		}
		ha, ra := mustAges(t, hashed), mustAges(t, fromRows)
		for k, a := range ha.list {
			if k >= len(ra.list) || !sameBits([]float64{a.x, a.T}, []float64{ra.list[k].x, ra.list[k].T}) || ha.first[k] != ra.first[k] {
				t.Fatalf("n = %d: age %d differs: hashed %v (customer %d), from rows %v", n, k, a, ha.first[k], ra.list[k:])
			}
		}
		if len(ra.list) != len(ha.list) {
			t.Fatalf("n = %d: %d ages from rows, %d hashed", n, len(ra.list), len(ha.list))
		}
		for i := range cs {
			if ha.of(i) != ra.of(i) {
				t.Fatalf("n = %d: customer %d has age %d hashed, %d from rows", n, i, ha.of(i), ra.of(i))
			}
		}
	}
	// Another cohort's table (one customer's history changed) is refused.
	cs := []Customer{{Frequency: 1, Recency: 1, T: 2}, {Frequency: 0, T: 3}}
	pt := patternsOf(cs)
	cs[1].T = 4
	if rows, _ := newHistoryTables(&Input{Customers: cs, Patterns: pt}).rowOrder(); rows != nil {
		t.Errorf("a pattern table of other histories was used: rows %v", rows)
	}
}
