package experiments

import (
	"cmp"
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
		most, ok := countedKeys(a)
		if !ok {
			t.Fatalf("trial %d: integer actuals not counted", trial)
		}
		ranks, gini := countedSides(a, most)
		wantRanks, wantGini := referenceSides(a)
		if gini != wantGini {
			t.Fatalf("trial %d: Gini side %+v, want %+v", trial, gini, wantGini)
		}
		if ranks.constant != wantRanks.constant || math.Float64bits(ranks.ss) != math.Float64bits(wantRanks.ss) ||
			!slices.Equal(sideDevs(ranks, len(a)), sideDevs(wantRanks, len(a))) {
			t.Fatalf("trial %d: rank side differs", trial)
		}
	}
	for _, a := range [][]float64{{1, 2.5, 3}, {countLimit, 1}, {1e300, 0}} {
		if _, ok := countedKeys(a); ok {
			t.Errorf("%v counted", a)
		}
	}
}

// TestSortedSidesMatchReference checks the radix-sorted ranks and Gini
// side of actuals against referenceSides, to the bit: revenue-like
// actuals with many zeros and tied cents, values that differ only below
// the sorted 32-bit window, a single customer, all equal, and values
// beyond 2^±400 (scaled).
func TestSortedSidesMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	gens := map[string]func() float64{
		"revenue": func() float64 {
			if rng.IntN(3) == 0 {
				return 0
			}
			return math.Round(rng.ExpFloat64()*3000) / 100
		},
		"below window": func() float64 { return []float64{0, 1e6, 1 + float64(rng.IntN(4))*0x1p-45, 2}[rng.IntN(4)] },
		"equal":        func() float64 { return 2.5 },
		"huge":         func() float64 { return rng.Float64() * 1e300 },
		"tiny":         func() float64 { return float64(rng.IntN(5)) * 1e-300 },
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 50, 3000} {
			a := make([]float64, n)
			for i := range a {
				a[i] = gen()
			}
			sc := NewScorer(make([]string, n))
			ranks, gini, err := sc.sortedSides(a)
			if err != nil {
				t.Fatal(err)
			}
			wantRanks, wantGini := referenceSides(a)
			if gini != wantGini {
				t.Errorf("%s, n=%d: Gini side %+v, want %+v", name, n, gini, wantGini)
			}
			if ranks.constant != wantRanks.constant || math.Float64bits(ranks.ss) != math.Float64bits(wantRanks.ss) ||
				!slices.Equal(sideDevs(ranks, len(a)), sideDevs(wantRanks, len(a))) {
				t.Errorf("%s, n=%d: rank side differs", name, n)
			}
		}
	}
}

// referenceSides computes what byValue computes of actuals from a
// comparison sort, by the definitions: the average ranks (tied values
// share the mean of their places 1..n in ascending order) and the Gini
// denominator Σ_j a*_(j)·(n+1−2j) over the actuals in descending order,
// compensated in that order, after scaling by scaleExp.
func referenceSides(a []float64) (*correlationSide, giniSide) {
	n := len(a)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(a[x], a[y]) })
	ranks := make([]float64, n)
	for s := 0; s < n; {
		e := s + 1
		for e < n && a[idx[e]] == a[idx[s]] {
			e++
		}
		for _, i := range idx[s:e] {
			ranks[i] = float64(s+1+e) / 2
		}
		s = e
	}
	if constant(a) {
		return newCorrelationSide(ranks), giniSide{constant: true}
	}
	g := giniSide{exp: scaleExp(a)}
	var den ksum
	for j := 1; j <= n; j++ {
		den.add(scaled(a[idx[n-j]], g.exp) * float64(n+1-2*j))
	}
	g.den = den.value()
	return newCorrelationSide(ranks), g
}

// sideDevs returns every customer's deviation of a side (nil for a
// constant side), whether held by customer or by key.
func sideDevs(c *correlationSide, n int) []float64 {
	if c.constant {
		return nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = c.devAt(i)
	}
	return out
}
