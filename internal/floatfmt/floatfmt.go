// Package floatfmt formats float64 values in the shortest decimal form
// that reads back to the same value, byte for byte as
// strconv.AppendFloat(dst, v, 'g', -1, 64) writes them, at a fraction of
// the cost: the decimal digits come from the Dragonbox algorithm (J. Jeon,
// "Dragonbox: A New Floating-Point Binary-to-Decimal Conversion
// Algorithm", 2020; the algorithm strconv itself runs, its tie-breaking
// included), are turned into ASCII in the lanes of machine words (eight
// digits a word) and stored a word at a time in strconv's %e or %f layout
// (%e when the decimal exponent is below −4 or at least 6). Put writes
// into a buffer with room to spare (Width bytes), AppendNumber appends.
//
//go:generate go run gen.go
package floatfmt

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// uint128 is an unsigned 128-bit integer.
type uint128 struct{ Hi, Lo uint64 }

const (
	mantBits = 52   // the explicit significand bits of a float64
	bias     = 1023 // the exponent bias of a float64
	kappa    = 2    // Dragonbox's κ for float64 (section 5.1.3)
)

// Width is the room Put needs at the start of its buffer: a sign, the
// longest layout (maxLen) and the rest of a word.
const Width = 40

// AppendNumber appends v as strconv.AppendFloat(dst, v, 'g', -1, 64)
// does (see Put).
func AppendNumber(dst []byte, v float64) []byte {
	n := len(dst)
	dst = slices.Grow(dst, Width)
	return dst[:n+Put(dst[n:n+Width], v)]
}

// Put writes v at the start of dst as strconv.AppendFloat(nil, v, 'g',
// −1, 64) formats it and returns the number of bytes written; dst must
// hold at least Width bytes, and the bytes past the number may be
// overwritten. Whole numbers of magnitude below 10⁶, which 'g' writes as
// plain digits (counts and most holdout figures), take a shorter path.
func Put(dst []byte, v float64) int {
	out := dst[:Width]
	if v == math.Trunc(v) && math.Abs(v) < 1e6 && (v != 0 || !math.Signbit(v)) {
		return putWhole(out, v)
	}
	b := math.Float64bits(v)
	exp := int(b>>mantBits) & 0x7ff
	mant := b & (1<<mantBits - 1)
	if exp == 0x7ff {
		return putNonFinite(out, b)
	}
	at := int(b >> 63) // a minus sign, written either way
	out[0] = '-'
	var digits uint64
	var exp10 int
	switch {
	case exp == 0 && mant == 0: // −0 (the whole numbers' path takes +0)
		out[1] = '0'
		return 2
	case exp == 0: // subnormal
		digits, exp10 = shortestEdge(mant, 1-bias-mantBits)
	case mant == 0:
		digits, exp10 = shortestAtPowerOfTwo(exp - bias - mantBits)
	default:
		if n := putRegular(out[at:at+maxLen], mant|1<<mantBits, exp-bias-mantBits); n > 0 {
			return at + n
		}
		digits, exp10 = shortestEdge(mant|1<<mantBits, exp-bias-mantBits)
	}
	return at + putDecimal(out[at:at+maxLen], digits, exp10)
}

// putWhole writes a whole v of magnitude below 10⁶, other than −0.
func putWhole(out []byte, v float64) int {
	at := 0
	if v < 0 {
		out[0] = '-'
		at, v = 1, -v
	}
	n := uint64(v)
	nd := max(1, decimalLen(n))
	binary.LittleEndian.PutUint64(out[at:], eightDigits(uint32(n))>>(8*(8-nd)))
	return at + nd
}

// putNonFinite writes NaN, +Inf or −Inf, the float64 of bits b.
func putNonFinite(out []byte, b uint64) int {
	switch {
	case b&(1<<mantBits-1) != 0:
		return copy(out, "NaN")
	case b>>63 != 0:
		return copy(out, "-Inf")
	}
	return copy(out, "+Inf")
}

// putRegular writes mant·2^exp (mant has its top bit, 2⁵², and others)
// at the start of out (maxLen bytes) in strconv's 'g' layout, its
// shortest digits computed as Dragonbox's usual case does (Algorithms 5.2
// and 5.4 of the paper), and returns the length; it returns 0 when an
// end of the rounding interval is hit or tied (shortestEdge's cases).
//
// With k0 = −⌊exp·log₁₀2⌋, the interval's upper end scaled by 10^(κ+k0)
// is zi, in [4.5·10¹⁷, 9.01·10¹⁸): the big divisor's s = ⌊zi/10³⌋ has 15
// digits or, from 10¹⁵ on, 16, and the small divisor's 10s+t one more.
// Either result, ten times s with t or without, scaled to 17 digits is
// what putDigits lays out, and the decimal point falls after 16 − k0
// digits, one more when s has 16, whichever it is (the small divisor's
// exponent is one less); which one it is, as good as random, is picked
// without a branch. Only the big divisor's result may end in zeros (a
// small divisor's 10s+0 would be the big divisor's s).
func putRegular(out []byte, mant uint64, exp int) int {
	k0 := -mulLog10of2(exp)
	phi, beta := scaledPow10(kappa+k0, exp)
	zi, _ := mulPow10(uint64(mant*2+1)<<beta, phi)
	s, r := zi/p10k1, uint32(zi%p10k1)
	delta := uint32(phi.Hi >> (64 - 1 - beta))
	d := r + p10k/2 - delta/2
	t, rho := d/p10k, d%p10k
	if r == 0 || r == delta || rho == 0 {
		return 0
	}
	var long, small uint64 // s has 16 digits; the result is the small divisor's
	if s >= 1e15 {
		long = 1
	}
	if r >= delta {
		small = 1
	}
	nd := 15 + int(long+small)
	if s%10 == 0 && small == 0 { // rarely true, tested first
		_, zeros := trimZeros(s)
		nd -= zeros
	}
	return putDigits(out, (10*s+uint64(t)&-small)*(10-9*long), nd, 16+int(long)-k0)
}

// p10k and p10k1 are 10^κ and 10^(κ+1).
const p10k, p10k1 = 100, 1000

// shortestEdge is shortest for any mant·2^exp other than a power of two,
// subnormals included (Algorithms 5.2 and 5.4 of the paper, step by
// step).
func shortestEdge(mant uint64, exp int) (digits uint64, exp10 int) {
	k0 := -mulLog10of2(exp)
	phi, beta := scaledPow10(kappa+k0, exp)
	zi, exact := mulPow10(uint64(mant*2+1)<<beta, phi)
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

// putDecimal writes digits·10^exp10 (0 < digits < 10¹⁷, the shortest
// digits of a float64) at the start of out (maxLen bytes) in strconv's
// 'g' layout (see putDigits) and returns its length.
func putDecimal(out []byte, digits uint64, exp10 int) int {
	nd := decimalLen(digits)
	return putDigits(out, digits*pow10u64[17-nd], nd, nd+exp10)
}

// putDigits writes the first nd digits of x (exactly 17 digits, the
// first nonzero: a float64's shortest digits and the zeros that scale
// them), with the decimal point after the first dp, at the start of out
// (maxLen bytes) in strconv's 'g' layout, %e when the exponent of the
// first digit is below −4 or at least 6, %f otherwise, and returns its
// length. The digits are laid out in three little-endian words shifted
// and merged in registers and stored whole: the bytes past the number
// are beyond its length.
func putDigits(out []byte, x uint64, nd, dp int) int {
	first, a, b := digits17(x)
	switch {
	case dp <= -4 || dp > 6: // %e: d.ddde±dd
		return putExponent(out, first, a, b, nd, dp-1)
	case dp <= 0: // 0.000ddd: the zeros, then the digits over those past −dp
		at := 2 - dp
		binary.LittleEndian.PutUint64(out, zeroPoint)
		binary.LittleEndian.PutUint64(out[at:], first|a<<8)
		binary.LittleEndian.PutUint64(out[at+8:], a>>56|b<<8)
		out[at+16] = byte(b >> 56)
		return at + nd
	case dp >= nd: // ddd000: the zeros are the scaled digits'
		binary.LittleEndian.PutUint64(out, first|a<<8)
		return dp
	}
	// ddd.ddd: the first dp digits, the point, the rest one byte on.
	w := first | a<<8 // digits 0 … 7
	low := uint64(1)<<(8*dp) - 1
	binary.LittleEndian.PutUint64(out, w&low|'.'<<(8*dp)|w<<8&^(low<<8|0xff))
	binary.LittleEndian.PutUint64(out[8:], a>>48|b<<16)
	binary.LittleEndian.PutUint64(out[16:], b>>48)
	return nd + 1
}

// putExponent writes the nd digits of digits17's first, a and b in %e
// layout at the start of out (maxLen bytes): d.ddde±dd, without the point
// when there is one digit, exponent e; it returns the length.
func putExponent(out []byte, first, a, b uint64, nd, e int) int {
	binary.LittleEndian.PutUint64(out, first|'.'<<8|a<<16)
	binary.LittleEndian.PutUint64(out[8:], a>>48|b<<16)
	binary.LittleEndian.PutUint64(out[16:], b>>48)
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
		return w + 4
	}
	out[w+2], out[w+3], out[w+4] = byte('0'+e/100), pairs[2*(e%100)], pairs[2*(e%100)+1]
	return w + 5
}

// zeroPoint is "0.000000" as a little-endian word.
const zeroPoint = 0x30303030_30302e30

// maxLen is the room putDecimal needs: its longest layout, 0.000 and 17
// digits, and the rest of the word that holds the last.
const maxLen = 32

// digits17 returns the 17 decimal digits of x < 10¹⁷ (leading zeros
// included): the first as an ASCII byte, the next eight and the last
// eight as little-endian words of ASCII digits (eightDigits' layout).
func digits17(x uint64) (first, a, b uint64) {
	hi := x / 1e8
	f := hi / 1e8
	return '0' + f, eightDigits(uint32(hi - f*1e8)), eightDigits(uint32(x - hi*1e8))
}

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
