package datasets

import (
	"math"
	"strconv"
	"strings"
)

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// amountStatus says what parseAmount found.
type amountStatus uint8

const (
	amountOK        amountStatus = iota
	amountEmpty                  // nothing to parse
	amountBad                    // not a number
	amountNonFinite              // NaN or ±Inf, or too large for a float64
)

// parseAmount reads a decimal amount. Plain decimals of up to 15 digits
// ("29.33", "-4", "+0.5") take a fast path that divides the integer of
// their digits by a power of ten: both are exact in a float64, so the one
// rounding of the division gives the correctly rounded value, the same as
// strconv.ParseFloat, which handles the other decimals (exponents, long
// mantissas). "NaN" and "Inf" (in any case, signed, or "Infinity") are
// reported as non-finite; hexadecimal and underscores are not amounts.
func parseAmount(b []byte) (float64, amountStatus) {
	if len(b) == 0 {
		return 0, amountEmpty
	}
	i, neg := 0, false
	switch b[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	var m uint64
	nd, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			m = m*10 + uint64(c-'0')
			nd++
			if dot {
				frac++
			}
			continue
		}
		if c == '.' && !dot {
			dot = true
			continue
		}
		nd = -1 // not a plain decimal
		break
	}
	if nd > 0 && nd <= 15 {
		v := float64(m) / pow10[frac]
		if neg {
			v = -v
		}
		return v, amountOK
	}
	if !decimalSyntax(b) {
		switch strings.ToLower(string(b)) {
		case "nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity":
			return 0, amountNonFinite
		}
		return 0, amountBad
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if err == nil || isRangeErr(err) {
			return 0, amountNonFinite
		}
	}
	if err != nil && !isRangeErr(err) {
		return 0, amountBad
	}
	return v, amountOK
}

// decimalSyntax reports whether b holds only the characters of a decimal
// number (strconv.ParseFloat also takes hexadecimal and underscores, which
// no log should hold).
func decimalSyntax(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
