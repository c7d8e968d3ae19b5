package experiments

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
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
		for trial := range 3 {
			pred := make([]float64, n)
			for i := range pred {
				pred[i] = float64(rng.IntN(40)) / 8 // ties
				if trial == 2 {
					pred[i] = rng.ExpFloat64() * 1e-300 // subnormals too
				}
			}
			want := make([]int, n)
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
			if got := sc.order(pred); !slices.Equal(got, want) {
				t.Fatalf("numeric=%v trial %d: radix order differs from the comparison sort", numeric, trial)
			}
			if got := NewScorer(ids).order(pred); !slices.Equal(got, want) {
				t.Fatalf("numeric=%v trial %d: a fresh scorer's order differs", numeric, trial)
			}
		}
	}
}
