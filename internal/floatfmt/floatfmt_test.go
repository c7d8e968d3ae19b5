package floatfmt

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// check fails the test when AppendNumber or Put and strconv differ on v:
// AppendNumber after a prefix it must keep, Put into a buffer of Width
// bytes of garbage, and neither may write before its start.
func check(t testing.TB, v float64) {
	t.Helper()
	want := strconv.AppendFloat(nil, v, 'g', -1, 64)
	if got := AppendNumber([]byte("x,"), v); string(got) != "x,"+string(want) {
		t.Fatalf("AppendNumber(%#x) = %s, strconv %s", math.Float64bits(v), got, want)
	}
	var buf [1 + Width]byte
	for i := range buf {
		buf[i] = 0xa5
	}
	n := Put(buf[1:], v)
	if got := buf[1 : 1+n]; string(got) != string(want) || buf[0] != 0xa5 {
		t.Fatalf("Put(%#x) = %q (byte before %#x), strconv %s", math.Float64bits(v), got, buf[0], want)
	}
}

// adversarial returns the values where a shortest formatter goes wrong
// first: zeros, infinities, NaN, the extremes, every power of two and
// of ten with its neighbours, whole numbers up to 2^53 and the 'g'
// layout's boundaries.
func adversarial() []float64 {
	vs := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0x1p-1022, math.Nextafter(0x1p-1022, 0),
		1e-5, 1e-4, 0.0001234, 0.00001234, 999999, 999999.5, 1e6, 1234567, 123456.7, 1e21, 1e22, 1e23,
		5e-324, 1.7976931348623157e308, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, math.Pi, math.E, 9007199254740993,
		1 << 53, 1<<53 - 1, 1<<53 + 2, 1 << 63, 1 << 64}
	near := func(v float64) {
		vs = append(vs, v, -v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
	}
	for e := -1074; e <= 1023; e++ {
		near(math.Ldexp(1, e))
		near(math.Ldexp(3, e-1))
	}
	for e := -323; e <= 308; e++ {
		v, _ := strconv.ParseFloat("1e"+strconv.Itoa(e), 64)
		near(v)
		v, _ = strconv.ParseFloat("9.999999999999999e"+strconv.Itoa(e), 64)
		near(v)
	}
	for i := range 100000 {
		vs = append(vs, float64(i), float64(i)/10, float64(i)/100, float64(i)/1000, float64(i)*1e3)
	}
	for i := uint64(0); i < 20000; i++ {
		vs = append(vs, math.Float64frombits(i), math.Float64frombits(0x000fffffffffffff-i)) // subnormals
	}
	// Halfway cases: m·2^e for small |e| is exact with more than 17
	// digits, and its shortest digits end on a tie more often than
	// random values' do (the last digit's 5 or the interval's ends exact).
	rng := rand.New(rand.NewPCG(9, 10))
	for e := -12; e <= 12; e++ {
		for range 2000 {
			m := 1<<52 | rng.Uint64N(1<<52)
			vs = append(vs, math.Ldexp(float64(m), e), math.Ldexp(float64(m|1), e), math.Ldexp(float64(m&^0xff|0x80), e))
		}
	}
	return vs
}

// TestRegularRanges checks, for every exponent of a normal float64 and
// the least and greatest significands, the ranges putRegular's layout
// rests on: the big divisor's s has 15 or 16 digits and the interval's
// width δ, in units of the small divisor's last digit, is in [100, 1000)
// (so that the small divisor's digit t is 1 … 9 and its result never
// ends in a zero).
func TestRegularRanges(t *testing.T) {
	for biased := 1; biased < 0x7ff; biased++ {
		exp := biased - bias - mantBits
		for _, mant := range []uint64{1<<mantBits + 1, 1<<(mantBits+1) - 1} {
			k0 := -mulLog10of2(exp)
			phi, beta := scaledPow10(kappa+k0, exp)
			zi, _ := mulPow10(uint64(mant*2+1)<<beta, phi)
			s := zi / p10k1
			delta := phi.Hi >> (64 - 1 - beta)
			if s < 1e14 || s >= 1e16 || delta < 100 || delta >= 1000 {
				t.Fatalf("exponent %d, significand %#x: s = %d, δ = %d", exp, mant, s, delta)
			}
		}
	}
}

// TestNumberAdversarial checks AppendNumber and Put against strconv on
// the adversarial values.
func TestNumberAdversarial(t *testing.T) {
	for _, v := range adversarial() {
		check(t, v)
	}
}

// TestNumberRandom checks AppendNumber and Put against strconv on two
// million random values: any bits (every exponent, subnormals, both
// signs), doubles in [0, 1000) with 17 significant digits, integers below
// 2^53, products of two such doubles as a predictions table holds, and
// short decimals.
func TestNumberRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 400_000
	if testing.Short() {
		n = 40_000
	}
	for range n {
		check(t, math.Float64frombits(rng.Uint64()))
		check(t, 1000*rng.Float64())
		check(t, float64(rng.Uint64N(1<<53)))
		check(t, (50*rng.Float64())*(3*rng.Float64()))
		v, _ := strconv.ParseFloat(strconv.Itoa(rng.IntN(1e6))+"e"+strconv.Itoa(rng.IntN(40)-20), 64)
		check(t, v)
	}
}

// TestNumberManyBits checks Put against strconv on FLOATFMT_BITS random
// bit patterns and as many doubles of a predictions table's kinds (see
// TestNumberRandom), on every core; without the variable it is skipped
// (hundreds of millions take minutes).
func TestNumberManyBits(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("FLOATFMT_BITS"))
	if err != nil {
		t.Skip("FLOATFMT_BITS names no count")
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var failed atomic.Uint64
	failed.Store(math.MaxUint64)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			var buf [Width]byte
			var want []byte
			for i := w; i < n && failed.Load() == math.MaxUint64; i += workers {
				for _, v := range [...]float64{math.Float64frombits(rng.Uint64()), (50 * rng.Float64()) * (3 * rng.Float64())} {
					want = strconv.AppendFloat(want[:0], v, 'g', -1, 64)
					if got := buf[:Put(buf[:], v)]; string(got) != string(want) {
						failed.Store(math.Float64bits(v))
					}
				}
			}
		})
	}
	wg.Wait()
	if b := failed.Load(); b != math.MaxUint64 {
		check(t, math.Float64frombits(b))
		t.Fatalf("Put(%#x) differs from strconv", b)
	}
}

// FuzzNumber checks AppendNumber and Put against strconv on any bits.
func FuzzNumber(f *testing.F) {
	for _, v := range []float64{0, 1, 0.1, 1e23, 5e-324, 123456.7, 1e6, math.MaxFloat64, 0x1p-1022, 9007199254740993} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, b uint64) { check(t, math.Float64frombits(b)) })
}

// TestPow10Mantissas recomputes the table from exact powers of ten:
// 10^e·2^s for the s that puts it in [2^127, 2^128), truncated.
func TestPow10Mantissas(t *testing.T) {
	two128 := new(big.Int).Lsh(big.NewInt(1), 128)
	for e := pow10Min; e <= pow10Max; e++ {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(e, -e))), nil)
		var m *big.Int
		if e >= 0 {
			m = new(big.Int).Set(p)
			for m.Cmp(two128) >= 0 {
				m.Rsh(m, 1) // truncates
			}
			for m.BitLen() < 128 {
				m.Lsh(m, 1)
			}
		} else {
			s := uint(128 + p.BitLen())
			m = new(big.Int).Quo(new(big.Int).Lsh(big.NewInt(1), s), p)
			for m.BitLen() > 128 {
				s--
				m = new(big.Int).Quo(new(big.Int).Lsh(big.NewInt(1), s), p)
			}
		}
		got := pow10Mantissas[e-pow10Min]
		want := uint128{new(big.Int).Rsh(m, 64).Uint64(), new(big.Int).And(m, new(big.Int).SetUint64(math.MaxUint64)).Uint64()}
		if got != want {
			t.Fatalf("10^%d: %#x, want %#x", e, got, want)
		}
	}
}

// BenchmarkAppendNumber appends numbers of a predictions table's kinds
// (products of a spend and purchases with 16 or 17 significant digits,
// probabilities, sevenths) one after another, comma-separated, with
// AppendNumber and with strconv.
func BenchmarkAppendNumber(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 1 << 16
	vs := make([]float64, n)
	for i := range vs {
		switch i % 4 {
		case 0:
			vs[i] = (50 * rng.Float64()) * (10 * rng.Float64())
		case 1:
			vs[i] = rng.Float64()
		case 2:
			vs[i] = 20 * rng.Float64() * 1.7
		default:
			vs[i] = float64(rng.IntN(300)) / 7
		}
	}
	for name, appendNumber := range map[string]func([]byte, float64) []byte{
		"floatfmt": AppendNumber,
		"strconv":  func(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) },
	} {
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 1<<20)
			i := 0
			for b.Loop() {
				if len(buf) > cap(buf)-64 {
					buf = buf[:0]
				}
				buf = appendNumber(append(buf, ','), vs[i%n])
				i++
			}
		})
	}
}

// TestAppendNumber checks the integer fast path of AppendNumber against
// strconv's shortest 'g' form on whole numbers around every boundary
// (0, −0, ±1, 999999, 10⁶ where 'g' turns to an exponent), fractions,
// infinities and NaN.
func TestAppendNumber(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 2, 17, 99999, 100000, 999999, -999999, 1e6, -1e6, 1234567,
		0.5, -0.5, 1.0000000000000002, 999999.5, 1e-7, 3.25e12, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64}
	for i := range 2000 {
		values = append(values, float64(i*i)-1e5, float64(i)/7)
	}
	for _, v := range values {
		want := strconv.AppendFloat(nil, v, 'g', -1, 64)
		if got := AppendNumber(nil, v); string(got) != string(want) {
			t.Errorf("AppendNumber(%v) = %s, want %s", v, got, want)
		}
	}
}

// TestEightDigits checks the lane arithmetic of eightDigits against
// strconv on every x below 2·10⁵, every multiple of 99 below 10⁸ and
// the extremes of each lane.
func TestEightDigits(t *testing.T) {
	check := func(x uint32) {
		var got [8]byte
		binary.LittleEndian.PutUint64(got[:], eightDigits(x))
		want := fmt.Sprintf("%08d", x)
		if string(got[:]) != want {
			t.Fatalf("eightDigits(%d) = %q, want %q", x, got[:], want)
		}
	}
	for x := range uint32(200_000) {
		check(x)
	}
	for x := uint32(0); x < 1e8; x += 99 {
		check(x)
	}
	for _, x := range []uint32{9999_9999, 9999_0000, 1_0000, 9999, 10_000_000, 99_999_999 - 1, 50_005_000, 99_990_099} {
		check(x)
	}
}

// TestDigits17 checks digits17 against strconv on random values of
// every magnitude below 10¹⁷ and the extremes.
func TestDigits17(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	xs := []uint64{0, 1, 9, 10, 99999999, 100000000, 1e16 - 1, 1e16, 1e17 - 1, 12345678901234567, 10000000100000001}
	for range 100000 {
		xs = append(xs, rng.Uint64N(1e17)>>rng.IntN(57))
	}
	for p := uint64(1); p < 1e17; p *= 10 { // where a digit carries: m·10^k and its neighbours
		for m := uint64(1); m < 100 && m*p < 1e17; m++ {
			xs = append(xs, m*p, m*p-1, m*p+1, m*p+p/2)
		}
	}
	for _, x := range xs {
		first, a, b := digits17(x)
		var got [17]byte
		got[0] = byte(first)
		binary.LittleEndian.PutUint64(got[1:], a)
		binary.LittleEndian.PutUint64(got[9:], b)
		if want := fmt.Sprintf("%017d", x); string(got[:]) != want || first>>8 != 0 {
			t.Fatalf("digits17(%d) = %q (first %#x), want %q", x, got[:], first, want)
		}
	}
}
