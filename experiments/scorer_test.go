package experiments

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// TestScorerOrderAgainstComparisonSort checks the radix-sorted prediction
// order against a plain comparison sort of the documented rule
// (prediction descending; ties by numeric id, then string id, then
// position), with many ties, for numeric and non-numeric ids, and that a
// Scorer reused across predictions gives what fresh ones give.
func TestScorerOrderAgainstComparisonSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, numeric := range []bool{true, false} {
		n := 5000
		ids := make([]string, n)
		for i := range ids {
			ids[i] = strconv.Itoa(rng.IntN(3 * n))
			if !numeric && i%7 == 0 {
				ids[i] = fmt.Sprintf("c%03d", rng.IntN(50))
			}
		}
		sc := NewScorer(ids)
		for trial := range 5 {
			pred := make([]float64, n)
			for i := range pred {
				pred[i] = float64(rng.IntN(40)) / 8 // ties
				if trial == 2 {
					pred[i] = rng.ExpFloat64() * 1e-300 // subnormals too
				}
				if trial == 4 {
					// Most values in one top digit of the window (set by
					// 1e300 against 1), apart in the rest of it: each
					// bucket sorted by its low digits.
					pred[i] = []float64{0, 1e300, 1 + float64(rng.IntN(1<<20))*0x1p-25}[min(2, rng.IntN(60))]
				}
				if trial == 3 && i%3 != 0 {
					// Values that differ only below the 32-bit window
					// (set by 0 against 1e6): runs sorted by the full key.
					pred[i] = []float64{0, 1e6, 1 + float64(rng.IntN(4))*0x1p-45, 2 - float64(rng.IntN(3))*0x1p-50}[rng.IntN(4)]
				}
			}
			want := ruleOrder(ids, pred, numeric)
			if got := orderOf(t, sc, pred); !slices.Equal(got, want) {
				t.Fatalf("numeric=%v trial %d: radix order differs from the comparison sort", numeric, trial)
			}
			if got := orderOf(t, NewScorer(ids), pred); !slices.Equal(got, want) {
				t.Fatalf("numeric=%v trial %d: a fresh scorer's order differs", numeric, trial)
			}
		}
	}
}

// TestIDOrderInOrder checks the id order of numeric ids listed in
// increasing order (taken as they are) and of lists that are nearly so:
// a repeated value ("7" and "007"), one out of place, a negative id.
func TestIDOrderInOrder(t *testing.T) {
	for _, ids := range [][]string{
		{"1", "2", "3", "10", "11"}, {"-5", "0", "7", "9"}, {"1", "7", "007", "8"}, {"1", "3", "2", "4"}, {"5"},
	} {
		want := ruleOrder(ids, make([]float64, len(ids)), true)
		if got := orderOf(t, NewScorer(ids), make([]float64, len(ids))); !slices.Equal(got, want) {
			t.Errorf("ids %v: order %v, want %v", ids, got, want)
		}
	}
}

// orderOf is the Scorer's PredictionOrder of pred, which must succeed.
func orderOf(t *testing.T, sc *Scorer, pred []float64) []int {
	t.Helper()
	o, err := sc.PredictionOrder(pred)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// ruleOrder sorts the customers by the documented rule of PredictionOrder
// with a comparison sort: prediction descending; ties by numeric id (when
// numeric), then string id, then position.
func ruleOrder(ids []string, pred []float64, numeric bool) []int {
	want := make([]int, len(pred))
	for i := range want {
		want[i] = i
	}
	sort.SliceStable(want, func(a, b int) bool {
		i, j := want[a], want[b]
		if pred[i] != pred[j] {
			return pred[i] > pred[j]
		}
		if numeric {
			ki, _ := strconv.ParseInt(ids[i], 10, 64)
			kj, _ := strconv.ParseInt(ids[j], 10, 64)
			if ki != kj {
				return ki < kj
			}
		}
		return ids[i] < ids[j]
	})
	return want
}

// TestPatternScorer checks the Scorer that orders per-pattern predictions
// by their pattern rows: its orders against a comparison sort of the
// customers by the documented rule, with values shared by many rows
// (tied levels both small, put back in id order by sorting, and large,
// by a bit set), rows without customers and −0; predictions that are not
// equal within rows (revenue) fall back to sorting the customers; its
// Scores and Segments equal a plain Scorer's bit for bit and, for integer
// ids, independent naive computations.
func TestPatternScorer(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial, tc := range []struct {
		n, rows, levels int
		numeric         bool
	}{
		{300, 40, 5, true}, {300, 40, 200, false}, {5000, 700, 300, true}, {5000, 700, 3, false}, {1, 1, 1, true},
	} {
		n := tc.n
		ids := make([]string, n)
		for i, k := range rng.Perm(n) {
			ids[i] = strconv.Itoa(3 * k)
			if !tc.numeric && i%5 == 0 {
				ids[i] = fmt.Sprintf("c%03d", rng.IntN(50)) // repeated ids too
			}
		}
		rowValue := make([]float64, tc.rows)
		for r := range rowValue {
			if rng.IntN(10) > 0 {
				rowValue[r] = float64(1+rng.IntN(tc.levels)) / 4
			}
		}
		rowOf := make([]int32, n)
		purchases, revenue, actual := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range rowOf {
			rowOf[i] = int32(rng.IntN(tc.rows))
			purchases[i] = rowValue[rowOf[i]]
			if purchases[i] == 0 && i%2 == 0 {
				purchases[i] = math.Copysign(0, -1)
			}
			revenue[i] = purchases[i] * float64(1+rng.IntN(3))
			actual[i] = float64(rng.IntN(4))
		}
		sc, err := NewPatternScorer(ids, rowOf, tc.rows)
		if err != nil {
			t.Fatal(err)
		}
		plain := NewScorer(ids)
		for _, pred := range [][]float64{purchases, revenue} {
			c, _ := sc.ranked(context.Background(), pred)
			byRows := c.rowValues != nil
			if wantRows := &pred[0] == &purchases[0] || n == 1; byRows != wantRows {
				t.Errorf("trial %d: ordered by rows %v, want %v", trial, byRows, wantRows)
			}
			if got, want := orderOf(t, sc, pred), ruleOrder(ids, pred, tc.numeric); !slices.Equal(got, want) {
				t.Fatalf("trial %d (rows %v): the order differs from the comparison sort", trial, byRows)
			}
			got, err := sc.Score(pred, actual)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := plain.Score(pred, actual)
			if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Errorf("trial %d: pattern scores %s, plain %s", trial, g, w)
			}
			if tc.numeric && n <= 1000 { // the naive sums are O(n²)
				checkAgainstNaive(t, fmt.Sprintf("trial %d", trial), ids, pred, actual, got)
			}
			groups := min(n, 10)
			gs, err1 := sc.Segments(pred, actual, groups)
			ws, err2 := plain.Segments(pred, actual, groups)
			if err1 != nil || err2 != nil || fmt.Sprint(gs) != fmt.Sprint(ws) {
				t.Errorf("trial %d: pattern segments %v (%v), plain %v (%v)", trial, gs, err1, ws, err2)
			}
		}
	}
	if _, err := NewPatternScorer([]string{"1", "2"}, []int32{0, 2}, 2); err == nil {
		t.Error("a row beyond the table accepted")
	}
	if _, err := NewPatternScorer([]string{"1", "2"}, []int32{0}, 2); err == nil {
		t.Error("fewer rows than customers accepted")
	}
}

// TestKeyOrder checks the packed radix sort against a stable comparison
// sort: keys spread over all 64 bits, over few low bits (no run to
// repair), with many equal in the sorted window but not below it (runs
// repaired by a comparison sort), exact ties, the float bits of
// predictions, and all equal.
func TestKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	gens := map[string]func(i int) uint64{
		"wide":        func(int) uint64 { return rng.Uint64() },
		"low bits":    func(int) uint64 { return uint64(rng.IntN(5000)) },
		"window ties": func(int) uint64 { return uint64(rng.IntN(4))<<60 | uint64(rng.IntN(3))<<20 | uint64(rng.IntN(1<<10)) },
		"exact ties":  func(int) uint64 { return uint64(rng.IntN(6)) << 40 },
		"floats":      func(int) uint64 { return ^math.Float64bits(math.Round(rng.ExpFloat64()*1e4) / 100) },
		"all equal":   func(int) uint64 { return 42 },
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 7, 3000} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = gen(i)
			}
			want := make([]int32, n)
			for i := range want {
				want[i] = int32(i)
			}
			slices.SortStableFunc(want, func(a, b int32) int { return cmp.Compare(keys[a], keys[b]) })
			if got := new(pools).keyOrder(keys, make([]int32, n)); !slices.Equal(got, want) {
				t.Errorf("%s, n=%d: keyOrder differs from a stable sort", name, n)
			}
		}
	}
}

// TestScorerForgetWhileInUse ranks, scores and segments several columns
// on many goroutines while others forget them (the slices of a forgotten
// order are reused by later orders): every order, score and segment table
// must equal those of a fresh Scorer. Run with -race, a reuse of an order
// still in use is also a data race.
func TestScorerForgetWhileInUse(t *testing.T) {
	for _, counted := range []bool{true, false} {
		scorerForgetWhileInUse(t, counted)
	}
}

// scorerForgetWhileInUse is TestScorerForgetWhileInUse with whole
// actuals (counted) or not: then the actuals are sorted like a
// prediction column, a copy of them is among the columns scored (their
// order shared), and the segments are announced (expectSegments).
func scorerForgetWhileInUse(t *testing.T, counted bool) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, rows = 3000, 400
	ids, rowOf := patternCustomers(rng, n, rows)
	actual := make([]float64, n)
	for i := range actual {
		actual[i] = float64(rng.IntN(5))
		if !counted {
			actual[i] = float64(rng.IntN(30)) * 1.5
		}
	}
	var cols [][]float64
	for k := range 6 {
		rowValue := make([]float64, rows)
		for r := range rowValue {
			rowValue[r] = float64(rng.IntN(50+k*20)) / 7
		}
		purchases, revenue := make([]float64, n), make([]float64, n)
		for i, r := range rowOf {
			purchases[i] = rowValue[r]
			revenue[i] = purchases[i] * float64(1+rng.IntN(4))
		}
		cols = append(cols, purchases, revenue)
	}
	// Columns of equal values in other slices share their orders.
	cols = append(cols, slices.Clone(cols[0]), slices.Clone(cols[3]))
	if !counted {
		cols = append(cols, slices.Clone(actual))
	}
	type want struct {
		order    []int
		scores   string
		segments string
	}
	wants := make([]want, len(cols))
	for k, c := range cols {
		fresh := NewScorer(ids)
		s, _ := fresh.Score(c, actual)
		g, _ := fresh.Segments(c, actual, 10)
		wants[k] = want{orderOf(t, fresh, c), fmt.Sprint(s), fmt.Sprint(g)}
	}
	sc, err := NewPatternScorer(ids, rowOf, rows)
	if err != nil {
		t.Fatal(err)
	}
	if !counted {
		sc.expectSegments(actual, 10)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 15))
			for range 60 {
				k := r.IntN(len(cols))
				switch r.IntN(4) {
				case 0:
					sc.forget(cols[k])
				case 1:
					if got, err := sc.PredictionOrder(cols[k]); err != nil || !slices.Equal(got, wants[k].order) {
						t.Errorf("counted=%v, column %d: order differs (%v)", counted, k, err)
					}
				case 2:
					if s, err := sc.Score(cols[k], actual); err != nil || fmt.Sprint(s) != wants[k].scores {
						t.Errorf("counted=%v, column %d: scores %v (%v), want %s", counted, k, s, err, wants[k].scores)
					}
				default:
					if g, err := sc.Segments(cols[k], actual, 10); err != nil || fmt.Sprint(g) != wants[k].segments {
						t.Errorf("counted=%v, column %d: segments differ (%v)", counted, k, err)
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestScorerSharesEqualColumns checks that a column of the same values
// as a remembered one, in another slice, is given its order (made once),
// which stays right after the first slice is forgotten and overwritten
// (as a recycled column is), and is recycled once both are forgotten.
func TestScorerSharesEqualColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const n = 2000
	ids, _ := patternCustomers(rng, n, 1)
	a := make([]float64, n)
	for i := range a {
		a[i] = math.Round(rng.ExpFloat64()*500) / 100
	}
	b, want := slices.Clone(a), ruleOrder(ids, a, true)
	sc := NewScorer(ids)
	ca, _ := sc.ranked(context.Background(), a)
	sc.release(ca)
	cb, _ := sc.ranked(context.Background(), b)
	sc.release(cb)
	if ca != cb {
		t.Fatal("a column of equal values ordered again")
	}
	sc.forget(a)
	for i := range a {
		a[i] = float64(i % 7) // the slice reused for another column
	}
	if got := orderOf(t, sc, b); !slices.Equal(got, want) {
		t.Error("the shared order changed when the first column was forgotten")
	}
	if got := orderOf(t, sc, a); !slices.Equal(got, ruleOrder(ids, a, true)) {
		t.Error("the overwritten column has the old order")
	}
	sc.forget(b)
	if !ca.forgotten || ca.order != nil {
		t.Error("the order is not recycled once both columns are forgotten")
	}
}

// patternCustomers returns n customers with numeric ids (multiples of 5)
// in a random order, each in a random one of rows pattern rows.
func patternCustomers(rng *rand.Rand, n, rows int) (ids []string, rowOf []int32) {
	ids, rowOf = make([]string, n), make([]int32, n)
	for i, k := range rng.Perm(n) {
		ids[i] = strconv.Itoa(5 * k)
		rowOf[i] = int32(rng.IntN(rows))
	}
	return ids, rowOf
}
