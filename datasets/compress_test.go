package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCompress checks that identical (frequency, recency, T) rows merge
// into weighted rows, sorted, with the total weight kept and the
// per-customer columns dropped.
func TestCompress(t *testing.T) {
	s := &Summary{Unit: Week, HasAmount: true, HasHoldout: true, LateCustomers: 2,
		Accounting: Accounting{RowsRead: 9, RowsUsed: 9, RejectedBy: map[Reason]int64{}}}
	for i, c := range [][3]float64{{1, 2, 5}, {0, 0, 5}, {1, 2, 5}, {0, 0, 4}, {1, 2, 5}, {0, 0, 5}, {1, 3, 5}} {
		s.Customers = append(s.Customers, CustomerSummary{ID: string(rune('a' + i)), Frequency: c[0], Recency: c[1], T: c[2],
			Monetary: 7, FrequencyHoldout: 1, DurationHoldout: 3, Weight: 1, Activity: 5})
	}
	got := Compress(s)
	want := []CustomerSummary{
		{Frequency: 0, Recency: 0, T: 4, Weight: 1},
		{Frequency: 0, Recency: 0, T: 5, Weight: 2},
		{Frequency: 1, Recency: 2, T: 5, Weight: 3},
		{Frequency: 1, Recency: 3, T: 5, Weight: 1},
	}
	if !slices.Equal(got.Customers, want) {
		t.Errorf("got %+v\nwant %+v", got.Customers, want)
	}
	if !got.Compressed || got.HasAmount || got.HasHoldout || got.LateCustomers != 2 || got.Unit != Week || got.Accounting.RowsRead != 9 {
		t.Errorf("summary fields: %+v", got)
	}
	if len(s.Customers) != 7 || s.Compressed || s.Customers[0].ID != "a" {
		t.Error("Compress changed its input")
	}
	// Compressing again changes nothing; nil stays nil.
	if again := Compress(got); !slices.Equal(again.Customers, got.Customers) {
		t.Errorf("compressing twice: %+v", again.Customers)
	}
	if Compress(nil) != nil {
		t.Error("Compress(nil) != nil")
	}
}

// TestCompressCounts compresses a random discrete table and checks the
// weights against counts made with a map.
func TestCompressCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := &Summary{}
	counts := map[[3]float64]float64{}
	for i := 0; i < 5000; i++ {
		x := float64(rng.IntN(4))
		r := 0.0
		if x > 0 {
			r = float64(rng.IntN(6) + 1)
		}
		c := CustomerSummary{Frequency: x, Recency: r, T: 6, Weight: 1}
		counts[[3]float64{x, r, 6}]++
		s.Customers = append(s.Customers, c)
	}
	got := Compress(s)
	if len(got.Customers) != len(counts) {
		t.Fatalf("%d rows, want %d", len(got.Customers), len(counts))
	}
	for i, c := range got.Customers {
		if counts[[3]float64{c.Frequency, c.Recency, c.T}] != c.Weight {
			t.Errorf("row %+v: weight, want %v", c, counts[[3]float64{c.Frequency, c.Recency, c.T}])
		}
		if i > 0 {
			p := got.Customers[i-1]
			if p.Frequency > c.Frequency || p.Frequency == c.Frequency && p.Recency >= c.Recency {
				t.Errorf("rows %d and %d out of order", i-1, i)
			}
		}
	}
}

// TestPatternsOf checks that every customer points at the row of its own
// history, that the rows are distinct and sorted, that −0 and 0 share a
// row, and that the weights count the customers.
func TestPatternsOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := &Summary{}
	negZero := math.Copysign(0, -1)
	for i := 0; i < 3000; i++ {
		x := float64(rng.IntN(3))
		r := 0.0
		if x > 0 {
			r = float64(rng.IntN(4) + 1)
		} else if i%2 == 0 {
			r = negZero
		}
		s.Customers = append(s.Customers, CustomerSummary{Frequency: x, Recency: r, T: float64(5 + rng.IntN(2))})
	}
	p := NewPatterns(s)
	if len(p.Of) != len(s.Customers) {
		t.Fatalf("%d customer rows, want %d", len(p.Of), len(s.Customers))
	}
	count := make([]float64, p.Len())
	for i, c := range s.Customers {
		j := p.Of[i]
		if p.Frequency[j] != c.Frequency || p.Recency[j] != c.Recency || p.T[j] != c.T {
			t.Fatalf("customer %d %+v points at row %d (%v, %v, %v)", i, c, j, p.Frequency[j], p.Recency[j], p.T[j])
		}
		count[j]++
	}
	for j := range count {
		if count[j] != p.Weight[j] {
			t.Errorf("row %d: weight %v, %v customers", j, p.Weight[j], count[j])
		}
		if math.Signbit(p.Recency[j]) {
			t.Errorf("row %d keeps a negative zero", j)
		}
		if j > 0 {
			a := history{x: p.Frequency[j-1], tx: p.Recency[j-1], t: p.T[j-1]}
			b := history{x: p.Frequency[j], tx: p.Recency[j], t: p.T[j]}
			if compareHistory(a, b) >= 0 {
				t.Errorf("rows %d and %d not in strictly increasing order", j-1, j)
			}
		}
	}
	if NewPatterns(nil) != nil {
		t.Error("NewPatterns(nil) != nil")
	}
}

// BenchmarkNewPatterns builds the pattern table of 1,000,000 customers on
// a daily grid (about 200,000 distinct histories).
func BenchmarkNewPatterns(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := &Summary{}
	for range 1_000_000 {
		T := float64(280+rng.IntN(85)) / 7
		x := float64(rng.IntN(12))
		tx := 0.0
		if x > 0 {
			tx = float64(rng.IntN(int(T*7)+1)) / 7
		}
		s.Customers = append(s.Customers, CustomerSummary{Frequency: x, Recency: tx, T: T, Weight: 1})
	}
	for b.Loop() {
		NewPatterns(s)
	}
}

// TestPatternsManyDistinct checks the pattern table where most histories
// are distinct (the index grows several times past its first size), on
// enough customers to be indexed in parts and enough rows to be sorted in
// parallel, against counts made with a map, and that every customer's row
// holds its history.
func TestPatternsManyDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := &Summary{}
	counts := map[[3]float64]float64{}
	for i := 0; i < patternParallelMin+1000; i++ {
		x := float64(rng.IntN(3))
		T := math.Round(rng.Float64()*1e5) / 1000 // about 100,000 distinct values
		r := 0.0
		if x > 0 {
			r = T * float64(rng.IntN(3)) / 2
		}
		counts[[3]float64{x, r, T}]++
		s.Customers = append(s.Customers, CustomerSummary{Frequency: x, Recency: r, T: T})
	}
	p := NewPatterns(s)
	if p.Len() != len(counts) || p.Len() < 1<<15 {
		t.Fatalf("%d rows, want %d (at least 2^15)", p.Len(), len(counts))
	}
	for j := 1; j < p.Len(); j++ {
		a := history{x: p.Frequency[j-1], tx: p.Recency[j-1], t: p.T[j-1]}
		b := history{x: p.Frequency[j], tx: p.Recency[j], t: p.T[j]}
		if compareHistory(a, b) >= 0 {
			t.Fatalf("rows %d and %d not in strictly increasing order", j-1, j)
		}
	}
	for j := 0; j < p.Len(); j++ {
		if w := counts[[3]float64{p.Frequency[j], p.Recency[j], p.T[j]}]; w != p.Weight[j] {
			t.Errorf("row %d %v %v %v: weight %v, want %v", j, p.Frequency[j], p.Recency[j], p.T[j], p.Weight[j], w)
		}
	}
	for i, c := range s.Customers {
		j := p.Of[i]
		if p.Frequency[j] != c.Frequency || p.Recency[j] != c.Recency || p.T[j] != c.T {
			t.Fatalf("customer %d %+v points at row %d (%v, %v, %v)", i, c, j, p.Frequency[j], p.Recency[j], p.T[j])
		}
	}
}

// TestPatternsBySortMatchesHash checks the table built by sorting the
// ranks against the one built by hashing the histories (the rows, their
// weights and every customer's row), bit for bit, on tables of one part
// and of several, weighted and not, with −0; and that a table whose
// ranks do not fit in an integer, or with a negative value, is left to
// the hash.
func TestPatternsBySortMatchesHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	table := func(n int, weighted bool, scale float64) *Summary {
		s := &Summary{Compressed: weighted}
		for i := range n {
			T := math.Round(rng.Float64()*scale) / 7
			x := float64(rng.IntN(9))
			tx := 0.0
			if x > 0 {
				tx = math.Round(rng.Float64()*T*7) / 7
			} else if i%3 == 0 {
				tx = math.Copysign(0, -1)
			}
			c := CustomerSummary{Frequency: x, Recency: tx, T: T}
			if weighted {
				c.Weight = float64(rng.IntN(4)) + 0.25
			} else if i%2 == 0 {
				c.Weight = 1
			}
			s.Customers = append(s.Customers, c)
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		s        *Summary
		fallback bool
	}{
		{"one customer", table(1, false, 300), false},
		{"small", table(5000, false, 300), false},
		{"small weighted", table(5000, true, 300), false},
		{"parts", table(patternParallelMin+7, false, 400), false},
		{"continuous values", continuous(table(patternParallelMin+7, false, 1e12)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := patternsBySort(tc.s), patternsByHash(tc.s)
			if tc.fallback {
				if got != nil {
					t.Fatal("the ranks of continuous times were packed; want the hash")
				}
				return
			}
			if got == nil {
				t.Fatal("left to the hash")
			}
			for _, col := range []struct {
				name      string
				got, want []float64
			}{{"frequency", got.Frequency, want.Frequency}, {"recency", got.Recency, want.Recency}, {"T", got.T, want.T}, {"weight", got.Weight, want.Weight}} {
				if len(col.got) != len(col.want) {
					t.Fatalf("%s: %d rows, want %d", col.name, len(col.got), len(col.want))
				}
				for j := range col.got {
					if math.Float64bits(col.got[j]) != math.Float64bits(col.want[j]) {
						t.Fatalf("%s of row %d: %v, want %v", col.name, j, col.got[j], col.want[j])
					}
				}
			}
			if !slices.Equal(got.Of, want.Of) {
				t.Fatal("the customers' rows differ")
			}
		})
	}
	neg := table(100, false, 300)
	neg.Customers[50].Recency = -1
	if patternsBySort(neg) != nil {
		t.Error("a negative recency was sorted; want the hash")
	}
}

// continuous gives every customer of s a frequency of its own, so that
// with times on a continuous scale the three ranks and the customer's
// number need more than 64 bits.
func continuous(s *Summary) *Summary {
	for i := range s.Customers {
		s.Customers[i].Frequency = float64(i)
	}
	return s
}
