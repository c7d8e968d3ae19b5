package keyindex

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIndexNumbersLikeAMap checks the numbering against a map keyed by the
// bits, in order of first appearance, across many resizes, with −0 and +0
// kept apart and NaN keys numbered by their bits.
func TestIndexNumbersLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix := New(1)
	seen := map[[3]uint64]int32{}
	var order [][3]float64
	for i := 0; i < 200_000; i++ {
		a, b, c := float64(rng.IntN(60)), float64(rng.IntN(500))/7, float64(rng.IntN(80))
		switch i % 1000 {
		case 1:
			a = math.Copysign(0, -1)
		case 2:
			b = math.NaN()
		}
		key := [3]uint64{math.Float64bits(a), math.Float64bits(b), math.Float64bits(c)}
		want, old := seen[key]
		if !old {
			want = int32(len(seen))
			seen[key] = want
			order = append(order, [3]float64{a, b, c})
		}
		got, gotOld := ix.Of(a, b, c)
		if got != want || gotOld != old {
			t.Fatalf("key %d (%v, %v, %v): number %d seen %v, want %d seen %v", i, a, b, c, got, gotOld, want, old)
		}
	}
	if ix.Len() != len(seen) {
		t.Fatalf("Len %d, want %d", ix.Len(), len(seen))
	}
	for j, k := range order {
		a, b, c := ix.Key(j)
		if math.Float64bits(a) != math.Float64bits(k[0]) || math.Float64bits(b) != math.Float64bits(k[1]) || math.Float64bits(c) != math.Float64bits(k[2]) {
			t.Fatalf("Key(%d) = (%v, %v, %v), want %v", j, a, b, c, k)
		}
	}
}

// TestValuesNumbersLikeAMap checks the numbering of single values against
// a map keyed by the bits, in order of first appearance, across many
// resizes, with −0 and +0 kept apart and NaN numbered by its bits.
func TestValuesNumbersLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := NewValues(1)
	seen := map[uint64]int32{}
	var order []float64
	for i := 0; i < 100_000; i++ {
		x := float64(rng.IntN(20_000)) / 7
		switch i % 1000 {
		case 1:
			x = math.Copysign(0, -1)
		case 2:
			x = math.NaN()
		}
		want, old := seen[math.Float64bits(x)]
		if !old {
			want = int32(len(seen))
			seen[math.Float64bits(x)] = want
			order = append(order, x)
		}
		if got, gotOld := v.Of(x); got != want || gotOld != old {
			t.Fatalf("value %d (%v): number %d seen %v, want %d seen %v", i, x, got, gotOld, want, old)
		}
	}
	if v.Len() != len(seen) {
		t.Fatalf("Len %d, want %d", v.Len(), len(seen))
	}
	for j, x := range order {
		if math.Float64bits(v.Value(j)) != math.Float64bits(x) {
			t.Fatalf("Value(%d) = %v, want %v", j, v.Value(j), x)
		}
	}
}
