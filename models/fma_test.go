package models

import (
	"fmt"
	"math"
)

// The inputs of the run-time check for fused multiply-adds. They are
// package-level variables (never written) so the compiler cannot fold
// fmaProbeX*fmaProbeY+fmaProbeZ at compile time: (1+2⁻³⁰)(1−2⁻³⁰) = 1−2⁻⁶⁰
// exactly, which rounds to 1 as a float64, so the unfused sum is 0 and the
// fused one (a single rounding) is −2⁻⁶⁰.
var fmaProbeX, fmaProbeY, fmaProbeZ = 1 + 0x1p-30, 1 - 0x1p-30, -1.0

// buildFuses reports whether this build compiles x*y+z to one fused
// multiply-add (GOAMD64=v3, and by default arm64, ppc64le, s390x). Where it
// does, the compiler fuses a fast form and its reference copy differently,
// so their low bits may differ although both compute the same formula; on
// amd64 v1 (CI) nothing is fused and the two agree bit for bit.
func buildFuses() bool {
	return fmaProbe(fmaProbeX, fmaProbeY, fmaProbeZ) != 0
}

// fmaProbe is x*y+z as the compiler builds it for code like the models':
// not inlined, so its operands arrive in registers (an operand read from
// memory is folded into the multiply, which then is not fused).
//
//go:noinline
func fmaProbe(x, y, z float64) float64 {
	return x*y + z
}

// Tolerances of the bit-for-bit tests when the build fuses multiply-adds:
// fusedULPs units in the last place for a value of a few operations;
// fusedRel relative for a value that sums many terms or goes through exp
// of a sum (a P(alive) from its log-odds); fusedRelQuad for a probability
// of a quadrature over many nodes (30 to 100 ulps apart on GOAMD64=v3,
// 1.9e-14 relative at most).
const (
	fusedULPs    = 8
	fusedRel     = 1e-14
	fusedRelQuad = 1e-13
)

// ulpsApart is the number of float64 values between a and b (0 when their
// bits are equal; maximal across signs, NaN or infinity unless the bits
// are equal).
func ulpsApart(a, b float64) uint64 {
	if math.Float64bits(a) == math.Float64bits(b) {
		return 0
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) || math.Signbit(a) != math.Signbit(b) && a != 0 && b != 0 {
		return math.MaxUint64
	}
	ia, ib := int64(math.Float64bits(math.Abs(a))), int64(math.Float64bits(math.Abs(b)))
	if ia > ib {
		return uint64(ia - ib)
	}
	return uint64(ib - ia)
}

// fmaSame reports whether got equals want bit for bit or, only when the
// build fuses multiply-adds, within fusedULPs ulps or rel relative (rel 0:
// ulps alone).
func fmaSame(got, want, rel float64) bool {
	if math.Float64bits(got) == math.Float64bits(want) {
		return true
	}
	if !buildFuses() {
		return false
	}
	return ulpsApart(got, want) <= fusedULPs || math.Abs(got-want) <= rel*math.Max(math.Abs(got), math.Abs(want))
}

// fmaSameSlice reports whether a and b have one length and agree one by
// one by fmaSame with rel.
func fmaSameSlice(a, b []float64, rel float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !fmaSame(a[i], b[i], rel) {
			return false
		}
	}
	return true
}

// bitsMode names the comparison of fmaSame with rel for the tests'
// messages: "bit for bit" on a build that does not fuse multiply-adds.
func bitsMode(rel float64) string {
	switch {
	case buildFuses() && rel == 0:
		return fmt.Sprintf("bit for bit or within %d ulps, as this build fuses multiply-adds", fusedULPs)
	case buildFuses():
		return fmt.Sprintf("bit for bit or within %d ulps or %g relative, as this build fuses multiply-adds", fusedULPs, rel)
	}
	return "bit for bit"
}
