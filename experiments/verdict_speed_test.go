package experiments

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestPairedBootstrapMatchesReference checks the chunked, shared-draw
// bootstrap against the one-resample-at-a-time reference
// (verdict_ref_test.go) bit for bit: rows with and without weights
// (weights of 0 with a loss that is not finite, fractional weights, weights
// of 10 and more drawn by rejection), batches with and without weights,
// and totals so small that empty resamples are drawn again.
func TestPairedBootstrapMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	weighted := func(n int, zeroNaN bool) ([]ModelLosses, []float64) {
		losses := verdictCase(n)
		w := make([]float64, n)
		for i := range w {
			w[i] = []float64{0, 1, 2, 3.5, 12, 1, 1, 40}[rng.IntN(8)]
			if w[i] == 0 && zeroNaN {
				losses[1].Losses[i] = math.NaN()
			}
		}
		return losses, w
	}
	type testCase struct {
		name    string
		losses  []ModelLosses
		weights []float64
		o       VerdictOptions
	}
	cases := []testCase{
		{"rows", verdictCase(3000), nil, VerdictOptions{Seed: 1, Resamples: 300}},
		{"rows, many chunks", verdictCase(20000), nil, VerdictOptions{Seed: 2, Resamples: 150}},
		{"batches", verdictCase(5000), nil, VerdictOptions{Seed: 5, Resamples: 200, Batches: 257}},
		{"tiny totals", []ModelLosses{{"a", []float64{1, 2, 3}}, {"b", []float64{2, 2, 5}}}, []float64{0.01, 0.02, 0}, VerdictOptions{Seed: 6, Resamples: 100}},
		{"two models", verdictCase(500)[:2], nil, VerdictOptions{Seed: 8, Resamples: 100, Level: 0.9}},
	}
	l, w := weighted(2000, true)
	cases = append(cases, testCase{"weighted rows", l, w, VerdictOptions{Seed: 7, Resamples: 200}})
	l, w = weighted(4000, false)
	cases = append(cases, testCase{"weighted batches", l, w, VerdictOptions{Seed: 9, Resamples: 200, Batches: 100}})
	five := verdictCase(1000)
	five = append(five, ModelLosses{"fifth", five[2].Losses})
	cases = append(cases, testCase{"five models", five, nil, VerdictOptions{Seed: 10, Resamples: 120}})
	for _, c := range cases {
		// The reference lets a loss that is not finite at weight 0 spoil
		// the means; it must count for nothing.
		finite := make([]ModelLosses, len(c.losses))
		for k, m := range c.losses {
			finite[k] = ModelLosses{m.Model, make([]float64, len(m.Losses))}
			for i, l := range m.Losses {
				if verdictFinite(l) {
					finite[k].Losses[i] = l
				}
			}
		}
		want, werr := refPairedBootstrap(finite, c.weights, c.o)
		got, err := PairedBootstrap(c.losses, c.weights, c.o)
		if werr != nil || err != nil {
			t.Fatalf("%s: errors %v, %v", c.name, werr, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, want)
		}
	}
}

// TestPairedBootstrapsSharesDraws checks that bootstrapping two targets
// at once gives each what it gets alone, including a set that fails (one
// model) and one with fewer models.
func TestPairedBootstrapsSharesDraws(t *testing.T) {
	for _, batches := range []int{0, 64} {
		o := VerdictOptions{Seed: 11, Resamples: 150, Batches: batches}
		a := verdictCase(3000)
		b := verdictCase(3000)[1:]
		for i := range b[0].Losses {
			b[0].Losses[i] *= 2
		}
		vs, errs := PairedBootstraps([][]ModelLosses{a, a[:1], b}, nil, o)
		if errs[0] != nil || errs[1] == nil || errs[2] != nil || vs[1] != nil {
			t.Fatalf("batches %d: errors %v, verdicts %v", batches, errs, vs)
		}
		for s, set := range map[int][]ModelLosses{0: a, 2: b} {
			want, err := refPairedBootstrap(set, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(vs[s], want) {
				t.Errorf("batches %d, set %d:\n got %+v\nwant %+v", batches, s, vs[s], want)
			}
		}
	}
}

// TestPCGStream checks the written-out generator against math/rand/v2's
// PCG: the same outputs for the same seeds.
func TestPCGStream(t *testing.T) {
	for _, seed := range [][2]uint64{{0, 0}, {1, 2}, {7, 0x76657264696374}, {^uint64(0), 12345}} {
		want, got := rand.NewPCG(seed[0], seed[1]), newPCGStream(seed[0], seed[1])
		for i := range 10000 {
			if w, g := want.Uint64(), got.Uint64(); w != g {
				t.Fatalf("seed %v, draw %d: %#x, want %#x", seed, i, g, w)
			}
		}
	}
}

// TestFillOnesMatchesDraws checks the two interleaved streams of fillOnes
// against one Poisson(1) count at a time from the same stream, for short
// and odd lengths, and that the stream goes on from the same state.
func TestFillOnesMatchesDraws(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 8, 1001} {
		got, want := newPoissonDraws(int64(n)+5), newPoissonDraws(int64(n)+5)
		c := make([]float64, n)
		for round := range 3 {
			got.fillOnes(c)
			for u, cu := range c {
				if w := want.count(1); cu != w {
					t.Fatalf("length %d, round %d, unit %d: %v, want %v", n, round, u, cu, w)
				}
			}
		}
		if g, w := got.src.Uint64(), want.src.Uint64(); g != w {
			t.Errorf("length %d: the stream goes on with %#x, want %#x", n, g, w)
		}
	}
}
