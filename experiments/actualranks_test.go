package experiments

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCountedSidesMatchSort checks the counted ranks and Gini side of
// integer actuals against those of the sorted actuals, to the bit, and
// that other actuals are left to the sort.
func TestCountedSidesMatchSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 200 {
		n := 1 + rng.IntN(3000)
		a := make([]float64, n)
		top := []int{1, 3, 40, countLimit}[trial%4]
		for i := range a {
			a[i] = float64(rng.IntN(top))
			if trial%4 == 3 && i%2 == 0 {
				a[i] = float64(rng.IntN(4))
			}
		}
		ranks, gini, ok := countedSides(a)
		if !ok {
			t.Fatalf("trial %d: integer actuals not counted", trial)
		}
		sorted := sortByValue(a)
		wantRanks, wantGini := newCorrelationSide(averageRanks(sorted)), newGiniSide(sorted, a)
		if gini != wantGini {
			t.Fatalf("trial %d: Gini side %+v, want %+v", trial, gini, wantGini)
		}
		if ranks.constant != wantRanks.constant || math.Float64bits(ranks.ss) != math.Float64bits(wantRanks.ss) ||
			!slices.Equal(ranks.dev, wantRanks.dev) {
			t.Fatalf("trial %d: rank side differs", trial)
		}
	}
	for _, a := range [][]float64{{1, 2.5, 3}, {countLimit, 1}, {1e300, 0}} {
		if _, _, ok := countedSides(a); ok {
			t.Errorf("%v counted", a)
		}
	}
}
