package experiments

import (
	"math"
	"math/rand/v2"
	"testing"
)

// neumaierSum is Neumaier's compensated sum as published (Neumaier 1974):
// the error of each addition by Fast2Sum, the larger magnitude first.
func neumaierSum(xs []float64) float64 {
	var s, c float64
	for _, x := range xs {
		t := s + x
		if math.Abs(s) >= math.Abs(x) {
			c += (s - t) + x
		} else {
			c += (x - t) + s
		}
		s = t
	}
	return s + c
}

// TestKsumIsNeumaier checks that ksum's branch-free error term gives the
// same bits as the published Neumaier sum, on sums built to exercise both
// branches: values of mixed sign and magnitude that cancel, deviations
// around zero, ties of equal magnitude and opposite sign, and zeros.
func TestKsumIsNeumaier(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	gens := map[string]func() float64{
		"deviations": func() float64 { return rng.NormFloat64() },
		"wide": func() float64 {
			return math.Ldexp(rng.Float64()-0.5, rng.IntN(120)-60)
		},
		"cancelling": func() float64 {
			v := math.Ldexp(1+rng.Float64(), rng.IntN(80))
			if rng.IntN(2) == 0 {
				return -v
			}
			return v
		},
		"ties and zeros": func() float64 { return float64(rng.IntN(5)-2) * 0.1 },
		"positive":       func() float64 { return rng.ExpFloat64() * 100 },
	}
	for name, gen := range gens {
		for trial := range 200 {
			xs := make([]float64, 1+rng.IntN(2000))
			for i := range xs {
				xs[i] = gen()
			}
			var k ksum
			for _, x := range xs {
				k.add(x)
			}
			if got, want := k.value(), neumaierSum(xs); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%s trial %d: ksum %v (%x), Neumaier %v (%x)", name, trial, got, math.Float64bits(got), want, math.Float64bits(want))
			}
		}
	}
}
