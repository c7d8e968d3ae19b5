package models

import (
	"math"
	"testing"
)

// bgfMeanSeriesEveryTerm is bgfMeanSeries as first written: the tail
// bound term·S/(1−R) formed at every term past the mode. bgfMeanSeries
// forms it only once term·S is below the tolerance, which must stop at
// the same term.
func bgfMeanSeriesEveryTerm(r, a, b, lz, lw float64, maxTerms int) (float64, bool) {
	const rescale = 1e200
	z := math.Exp(lz)
	logScale := math.Log(r) + r*lw + lz
	term, S, g, sum := 1.0, 1.0, 1.0, 0.0
	for k := 1; k <= maxTerms; k++ {
		fk := float64(k)
		sum += term * S
		rho := (r + fk) * z / (fk + 1)
		g *= (b + fk - 1) / (a + b + fk - 1)
		S += g
		term *= rho
		if term > rescale {
			term /= rescale
			sum /= rescale
			logScale += math.Log(rescale)
		}
		if rho < 1 {
			rNext := (r + fk + 1) * z / (fk + 2)
			R := math.Max(rNext, z) * (1 + 1/(fk+1))
			if R < 1 && term*S/(1-R) <= 1e-17*sum {
				return sum * math.Exp(logScale), true
			}
		}
	}
	return 0, false
}

// TestBGFMeanSeriesSameBits checks that bgfMeanSeries returns what the
// series summed with the tail bound formed at every term returns, bit
// for bit: over a grid of t/α from 1e-4 to 300 (where the mode lies far
// out and the terms are rescaled), r from 1e-3 to 300 and a, b from 1e-3
// to 1e3, including the BG/NBD and MBG/NBD estimates of the 1M-customer
// simulation, and where the term budget runs out.
func TestBGFMeanSeriesSameBits(t *testing.T) {
	cases := 0
	for _, s := range []float64{1e-4, 0.01, 0.3, 1, 4, 9.7, 60, 300} {
		for _, r := range []float64{1e-3, 0.3, 1.0323807826576024, 2, 7.5, 40, 300} {
			for _, a := range []float64{1e-3, 0.47650065922744933, 1, 3, 1e3} {
				for _, b := range []float64{1e-3, 0.7, 9.419825980832657, 25, 1e3} {
					lz, lw := -math.Log1p(1/s), -math.Log1p(s)
					for _, budget := range []int{1 << 22, 4*int(bgfSeriesTerms(r, s)) + 100, 30} {
						got, gotOK := bgfMeanSeries(r, a, b, lz, lw, budget)
						want, wantOK := bgfMeanSeriesEveryTerm(r, a, b, lz, lw, budget)
						cases++
						if gotOK != wantOK || math.Float64bits(got) != math.Float64bits(want) {
							t.Errorf("s=%v r=%v a=%v b=%v, %d terms: %v (%v), every-term bound %v (%v)", s, r, a, b, budget, got, gotOK, want, wantOK)
						}
					}
				}
			}
		}
	}
	t.Logf("%d cases", cases)
}

// BenchmarkBGFMean evaluates E[X(t)] at the (x, T) curves of the
// 1M-customer simulation's BG/NBD fit: r+x, α+T and t as its
// predictions use them.
func BenchmarkBGFMean(b *testing.B) {
	const r, alpha, a, bb = 1.0323807826576024, 5.336001568133207, 0.47650065922744933, 9.419825980832657
	for b.Loop() {
		for _, x := range []float64{0, 1, 3, 8, 20} {
			for _, T := range []float64{2, 20, 50} {
				for _, t := range []float64{0.5, 4, 26, 52} {
					bgfMean(t, r+x, alpha+T, a, bb+x)
				}
			}
		}
	}
}
