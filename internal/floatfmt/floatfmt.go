// Package floatfmt formats float64 values in the shortest decimal form
// that reads back to the same value, byte for byte as
// strconv.AppendFloat(dst, v, 'g', -1, 64) writes them, at about half the
// cost: the decimal digits come from the Dragonbox algorithm (J. Jeon,
// "Dragonbox: A New Floating-Point Binary-to-Decimal Conversion
// Algorithm", 2020; the algorithm strconv itself runs, its tie-breaking
// included) and are written straight into dst, two at a time, in strconv's
// %e or %f layout (%e when the decimal exponent is below −4 or at least 6).
//
//go:generate go run gen.go
package floatfmt

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

// uint128 is an unsigned 128-bit integer.
type uint128 struct{ Hi, Lo uint64 }

const (
	mantBits = 52   // the explicit significand bits of a float64
	bias     = 1023 // the exponent bias of a float64
	kappa    = 2    // Dragonbox's κ for float64 (section 5.1.3)
)

// AppendG appends v as strconv.AppendFloat(dst, v, 'g', -1, 64) does.
func AppendG(dst []byte, v float64) []byte {
	b := math.Float64bits(v)
	neg := b>>63 != 0
	exp := int(b>>mantBits) & 0x7ff
	mant := b & (1<<mantBits - 1)
	switch {
	case exp == 0x7ff && mant != 0:
		return append(dst, "NaN"...)
	case exp == 0x7ff && neg:
		return append(dst, "-Inf"...)
	case exp == 0x7ff:
		return append(dst, "+Inf"...)
	}
	if neg {
		dst = append(dst, '-')
	}
	if exp == 0 && mant == 0 {
		return append(dst, '0')
	}
	denorm := exp == 0
	if denorm {
		exp++
	} else {
		mant |= 1 << mantBits
	}
	digits, exp10 := shortest(mant, exp-bias-mantBits, denorm)
	return appendDecimal(dst, digits, exp10, uint64(math.Abs(v)))
}

// shortest returns the shortest decimal digits·10^exp10 that rounds to
// mant·2^exp (ties to even), as Dragonbox computes it (Algorithms 5.2,
// 5.4 and, at a power of two, 5.6 of the paper).
func shortest(mant uint64, exp int, denorm bool) (digits uint64, exp10 int) {
	if mant == 1<<mantBits && !denorm {
		return shortestAtPowerOfTwo(exp)
	}
	k0 := -mulLog10of2(exp)
	phi, beta := scaledPow10(kappa+k0, exp)
	zi, exact := mulPow10(uint64(mant*2+1)<<beta, phi)
	const p10k, p10k1 = 100, 1000 // 10^κ, 10^(κ+1)
	s, r := zi/p10k1, uint32(zi%p10k1)
	delta := uint32(phi.Hi >> (64 - 1 - beta))
	if r < delta {
		if r != 0 || !exact || mant%2 == 0 {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
		s--
		r = p10k1
	} else if r == delta {
		parity, exact := parityOf(mant*2-1, phi, beta)
		if parity || exact && mant%2 == 0 {
			s, zeros := trimZeros(s)
			return s, -k0 + 1 + zeros
		}
	}
	d := r + p10k/2 - delta/2
	t, rho := d/p10k, d%p10k
	y := 10*s + uint64(t)
	if rho == 0 {
		parity, exact := parityOf(mant*2, phi, beta)
		if parity != ((d-p10k/2)%2 != 0) || exact && y%2 != 0 {
			y--
		}
	}
	return y, -k0
}

// shortestAtPowerOfTwo is shortest for a value 2^52·2^exp, whose lower
// neighbour is closer than its upper one (Algorithm 5.6).
func shortestAtPowerOfTwo(exp int) (digits uint64, exp10 int) {
	k0 := -((exp*631305 - 261663) >> 21) // ⌊exp·log₁₀2 − log₁₀(4/3)⌋
	phi, beta := scaledPow10(k0, exp)
	xi := (phi.Hi - phi.Hi>>(mantBits+2)) >> (64 - mantBits - 1 - beta)
	zi := (phi.Hi + phi.Hi>>(mantBits+1)) >> (64 - mantBits - 1 - beta)
	if exp != 2 && exp != 3 {
		xi++
	}
	if q := zi / 10; xi <= q*10 {
		q, zeros := trimZeros(q)
		return q, -k0 + 1 + zeros
	}
	y := (phi.Hi>>(64-mantBits-2-beta) + 1) / 2
	if exp == -77 && y%2 != 0 {
		y--
	} else if y < xi {
		y++
	}
	return y, -k0
}

// mulLog10of2 returns ⌊x·log₁₀2⌋ for |x| ≤ 1600.
func mulLog10of2(x int) int { return (x * 78913) >> 18 }

// mulLog2of10 returns ⌊x·log₂10⌋ for |x| ≤ 500.
func mulLog2of10(x int) int { return (x * 108853) >> 15 }

// scaledPow10 returns Dragonbox's φ̃_k, 10^k's 128-bit mantissa rounded
// up where it is inexact, and β, the shift that aligns it with 2^exp.
func scaledPow10(k, exp int) (phi uint128, beta int) {
	phi = pow10Mantissas[k-pow10Min]
	if k < 0 || k > 55 { // 10^k is exact in 128 bits for 0 ≤ k ≤ 55
		phi.Lo++
	}
	return phi, exp + mulLog2of10(k)
}

// mulPow10 returns the integer part of u·φ/2^128 and whether it has no
// fraction.
func mulPow10(u uint64, phi uint128) (intPart uint64, isInt bool) {
	hi, lo := bits.Mul64(u, phi.Hi)
	carry, _ := bits.Mul64(u, phi.Lo)
	lo, c := bits.Add64(lo, carry, 0)
	return hi + c, lo == 0
}

// parityOf returns the parity of the integer part of u·φ·2^β/2^128 and
// whether it has no fraction.
func parityOf(u uint64, phi uint128, beta int) (parity, isInt bool) {
	hh, hl := bits.Mul64(u, phi.Lo)
	hi := u*phi.Hi + hh
	parity = (hi>>(64-beta))&1 != 0
	isInt = hi<<beta|hl>>(64-beta) == 0
	return parity, isInt
}

// trimZeros returns x without its trailing decimal zeros and their count.
func trimZeros(x uint64) (uint64, int) {
	if x%10 != 0 { // most digits of a computed value
		return x, 0
	}
	zeros := 0
	for x%100000000 == 0 {
		x /= 100000000
		zeros += 8
	}
	if x%10000 == 0 {
		x /= 10000
		zeros += 4
	}
	if x%100 == 0 {
		x /= 100
		zeros += 2
	}
	if x%10 == 0 {
		x /= 10
		zeros++
	}
	return x, zeros
}

// appendDecimal appends digits·10^exp10 (digits > 0), the shortest
// digits of a value whose integer part is whole (for |v| < 10⁶; any
// otherwise), in strconv's 'g' layout: %e when the exponent of the first
// digit is below −4 or at least 6, %f otherwise. The digits are written
// once, into their place in dst, eight at a time (putDigits).
func appendDecimal(dst []byte, digits uint64, exp10 int, whole uint64) []byte {
	n := len(dst)
	if cap(dst)-n < maxLen {
		dst = append(dst, make([]byte, maxLen)...)
	}
	out := dst[n : n+maxLen]
	nd := decimalLen(digits)
	dp := nd + exp10 // the decimal point's position after the first digit
	if e := dp - 1; e < -4 || e >= 6 {
		putDigits(out[1:], digits, nd) // d.ddd: the digits one to the right, the first moved left
		out[0], out[1] = out[1], '.'
		w := nd + 1
		if nd == 1 {
			w = 1
		}
		out[w], out[w+1] = 'e', '+'
		if e < 0 {
			out[w+1] = '-'
			e = -e
		}
		if e < 100 {
			out[w+2], out[w+3] = pairs[2*e], pairs[2*e+1]
			return dst[:n+w+4]
		}
		out[w+2], out[w+3], out[w+4] = byte('0'+e/100), pairs[2*(e%100)], pairs[2*(e%100)+1]
		return dst[:n+w+5]
	}
	switch {
	case dp <= 0: // 0.000ddd
		copy(out, "0.000")
		putDigits(out[2-dp:], digits, nd)
		return dst[:n+2-dp+nd]
	case dp >= nd: // ddd000
		putDigits(out, digits, nd)
		copy(out[nd:dp], "00000")
		return dst[:n+dp]
	}
	// ddd.ddd (1 ≤ dp ≤ 6): the integer part's digits and the point in
	// one word, then the fraction's digits with their leading zeros. The
	// integer part of the digits is the value's, whole: no integer lies
	// between the two, or it would be a shorter decimal that reads back
	// to the value.
	binary.LittleEndian.PutUint64(out, eightDigits(uint32(whole))>>(8*(8-dp))|'.'<<(8*dp))
	putDigits(out[dp+1:], digits-whole*pow10u64[nd-dp], nd-dp)
	return dst[:n+nd+1]
}

// maxLen is the most bytes appendDecimal writes: 17 digits, a point, and
// e−ddd (or 0.000 and 17 digits), and the 8 bytes past the digits that
// putDigits may overwrite.
const maxLen = 32

// decimalLen returns the number of decimal digits of x > 0.
func decimalLen(x uint64) int {
	t := bits.Len64(x) * 1233 >> 12 // ⌊log₁₀ 2^Len⌋, the digits less one or two
	if x >= pow10u64[t] {
		return t + 1
	}
	return t
}

// pow10u64 holds 10^0 … 10^19.
var pow10u64 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// pairs is the two digits of 00 … 99, one pair after another.
const pairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// putDigits writes the nd decimal digits of x (nd = decimalLen(x), or
// more for leading zeros) at the start of buf, eight at a time
// (eightDigits); it may overwrite the 8 bytes after them, which buf must
// hold.
func putDigits(buf []byte, x uint64, nd int) {
	switch {
	case nd <= 8:
		putLast(buf, eightDigits(uint32(x)), nd)
	case nd <= 16:
		hi := x / 1e8
		putLast(buf, eightDigits(uint32(hi)), nd-8)
		binary.LittleEndian.PutUint64(buf[nd-8:], eightDigits(uint32(x-hi*1e8)))
	default:
		hi := x / 1e16 // at most 1844
		mid := x - hi*1e16
		q := mid / 1e8
		putLast(buf, eightDigits(uint32(hi)), nd-16)
		binary.LittleEndian.PutUint64(buf[nd-16:], eightDigits(uint32(q)))
		binary.LittleEndian.PutUint64(buf[nd-8:], eightDigits(uint32(mid-q*1e8)))
	}
}

// putLast writes the last n (1 … 8) of the eight digits d (eightDigits)
// at the start of buf, writing 8 bytes.
func putLast(buf []byte, d uint64, n int) {
	binary.LittleEndian.PutUint64(buf, d>>(8*(8-n)))
}

// eightDigits returns the eight decimal digits of x < 10⁸, leading zeros
// included, as the ASCII bytes of a little-endian word (the first digit
// in the low byte), computed in the word's lanes at once: x's two halves
// of four digits in 32-bit lanes, each split into two digit pairs
// (⌊v·10486/2²⁰⌋ = ⌊v/100⌋ for v < 10⁴) in 16-bit lanes, each split
// into two digits (⌊v·103/2¹⁰⌋ = ⌊v/10⌋ for v < 100) in bytes.
func eightDigits(x uint32) uint64 {
	hi := x / 10000
	v := uint64(hi) | uint64(x-hi*10000)<<32
	q := (v * 10486 >> 20) & 0x0000007f_0000007f
	v = q | (v-q*100)<<16
	q = (v * 103 >> 10) & 0x000f_000f_000f_000f
	v = q | (v-q*10)<<8
	return v + 0x30303030_30303030
}

// AppendNumber appends v as AppendG does, with a fast path for the whole
// numbers of magnitude below 10⁶ that 'g' writes as plain digits (counts
// and most holdout figures).
func AppendNumber(dst []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 && (v != 0 || !math.Signbit(v)) {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return AppendG(dst, v)
}
