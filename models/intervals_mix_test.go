package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// mixRowsReference is the straightforward mixture mixRows replaces: each
// row its own CDF, each draw added into it in turn, then the running sum.
func mixRowsReference(lo, hi int, share float64, futures [][]groupFuture, group []int32, alive []float64, d *Data) (cdf [][]float64, mean, totals []float64) {
	draws := len(futures)
	cdf, mean, totals = make([][]float64, hi-lo), make([]float64, hi-lo), make([]float64, 2*draws)
	for i := lo; i < hi; i++ {
		g := group[i]
		a := alive[(i-lo)*draws : (i-lo+1)*draws]
		size := 0
		for k := range futures {
			size = max(size, len(futures[k][g].pmf))
		}
		row := make([]float64, size)
		for k := range futures {
			gf := &futures[k][g]
			mean[i-lo] += share * (a[k] * gf.mean)
			row[0] += share * (1 - a[k])
			sa := share * a[k]
			for y, p := range gf.pmf {
				row[y] += sa * p
			}
			m, sq := a[k]*gf.mean, a[k]*gf.sq
			totals[2*k] += d.W(i) * m
			totals[2*k+1] += d.W(i) * math.Max(0, sq-m*m)
		}
		for y := 1; y < len(row); y++ {
			row[y] += row[y-1]
		}
		cdf[i-lo] = row
	}
	return cdf, mean, totals
}

// TestMixRowsBits holds the lane-summed mixture to the straightforward
// one bit for bit, on awkward futures: draws whose PMFs end at different y
// (none at all, one value, a lane block exactly, one past it, inside a
// later block), P(alive) of 0 and 1, zero and negative-zero
// probabilities, a variance rounded below 0, weights of 0, blocks that
// start past row 0. Where the build fuses multiply-adds (share·a·p added
// in, a·m, W·m) the forms fuse differently: sums within fusedRel.
func TestMixRowsBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	pmfOf := func(n int) []float64 {
		p := make([]float64, n)
		for y := range p {
			switch rng.IntN(8) {
			case 0:
				p[y] = 0
			case 1:
				p[y] = math.Copysign(0, -1)
			case 2:
				p[y] = 1e-300 * rng.Float64()
			default:
				p[y] = rng.Float64() / float64(n)
			}
		}
		return p
	}
	cases := []struct {
		name    string
		lengths [][]int // per draw, per group: the PMF's length
	}{
		{"one draw", [][]int{{1, 2, 8, 9, 10, 17, 33}}},
		{"ragged draws", [][]int{{0, 9, 1, 16, 25}, {3, 9, 0, 17, 30}, {8, 1, 0, 40, 27}}},
		{"twenty draws", func() [][]int {
			out := make([][]int, 20)
			for k := range out {
				out[k] = []int{1 + k, 30 - k, 9, 1 + rng.IntN(60), 2}
			}
			return out
		}()},
	}
	for _, tc := range cases {
		draws, groups := len(tc.lengths), len(tc.lengths[0])
		futures := make([][]groupFuture, draws)
		for k := range futures {
			futures[k] = make([]groupFuture, groups)
			for g, n := range tc.lengths[k] {
				futures[k][g] = groupFuture{pmf: pmfOf(n), mean: 3 * rng.Float64(), sq: 9 * rng.Float64()}
			}
		}
		futures[0][0].sq = futures[0][0].mean*futures[0][0].mean - 1e-12 // Var < 0 by rounding: counted as 0
		const rows = 50
		d := &Data{Frequency: make([]float64, rows), Recency: make([]float64, rows), T: make([]float64, rows), Weight: make([]float64, rows)}
		group := make([]int32, rows)
		alive := make([]float64, rows*draws)
		for i := range rows {
			group[i] = int32(rng.IntN(groups))
			d.Weight[i] = float64(rng.IntN(4)) // 0 now and then
		}
		for j := range alive {
			alive[j] = [4]float64{0, 1, rng.Float64(), 1e-9}[rng.IntN(4)]
		}
		lengths, err := newGroupLengths(futures, d, make([]int, groups))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		share := 1 / float64(draws)
		for _, block := range [][2]int{{0, rows}, {17, 31}} {
			lo, hi := block[0], block[1]
			a := alive[lo*draws : hi*draws]
			pi := &PurchaseIntervals{cdf: make([][]float64, rows), Mean: make([]float64, rows)}
			totals := pi.mixRows(lo, hi, share, futures, lengths, group, a, d)
			wantCDF, wantMean, wantTotals := mixRowsReference(lo, hi, share, futures, group, a, d)
			for i := lo; i < hi; i++ {
				got, want := pi.cdf[i], wantCDF[i-lo]
				if len(got) != len(want) || cap(got) != len(want) {
					t.Fatalf("%s, rows [%d, %d), row %d: length %d (cap %d), want %d", tc.name, lo, hi, i, len(got), cap(got), len(want))
				}
				for y := range want {
					if !fmaSame(got[y], want[y], fusedRel) {
						t.Fatalf("%s, rows [%d, %d), row %d: CDF(%d) = %v, want %v (compared %s)", tc.name, lo, hi, i, y, got[y], want[y], bitsMode(fusedRel))
					}
				}
				if !fmaSame(pi.Mean[i], wantMean[i-lo], fusedRel) {
					t.Fatalf("%s, rows [%d, %d), row %d: mean %v, want %v (compared %s)", tc.name, lo, hi, i, pi.Mean[i], wantMean[i-lo], bitsMode(fusedRel))
				}
			}
			for j := range wantTotals {
				if !fmaSame(totals[j], wantTotals[j], fusedRel) {
					t.Fatalf("%s, rows [%d, %d): total %d = %v, want %v (compared %s)", tc.name, lo, hi, j, totals[j], wantTotals[j], bitsMode(fusedRel))
				}
			}
		}
	}
}

// TestGroupLengthsEmpty checks that a group without any distribution is
// an error naming its history, not a panic.
func TestGroupLengthsEmpty(t *testing.T) {
	futures := [][]groupFuture{{{pmf: []float64{1}}, {}}, {{pmf: []float64{0.5, 0.5}}, {}}}
	d := &Data{Frequency: []float64{0, 4}, Recency: []float64{0, 3}, T: []float64{5, 6}}
	_, err := newGroupLengths(futures, d, []int{0, 1})
	if err == nil || !strings.Contains(err.Error(), "x=4, T=6") {
		t.Errorf("error %v, want one naming x=4, T=6", err)
	}
}
