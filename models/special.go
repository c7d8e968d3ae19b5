package models

import "math"

// lbeta returns ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a+b) for a, b > 0.
func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// lgamma returns ln Γ(x) for x > 0.
func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// logAddExp returns ln(e^a + e^b) without overflow.
func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// logSubExp returns ln(e^a − e^b) for a ≥ b without cancellation; it
// returns -Inf when a == b.
func logSubExp(a, b float64) float64 {
	if math.IsInf(b, -1) {
		return a
	}
	d := b - a
	if d >= 0 {
		return math.Inf(-1)
	}
	if d > -math.Ln2 {
		return a + math.Log(-math.Expm1(d))
	}
	return a + math.Log1p(-math.Exp(d))
}

// sigmoidOfLogs returns e^a / (e^a + e^b) without overflow.
func sigmoidOfLogs(a, b float64) float64 {
	return 1 / (1 + math.Exp(b-a))
}

// trigamma returns ψ′(x), the derivative of the digamma function, for
// x > 0: the recurrence ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 12, then the
// asymptotic expansion 1/x + 1/(2x²) + Σ_k B_2k/x^(2k+1) (Abramowitz &
// Stegun 6.4.12) through B₁₄, whose truncation error there is below 1e-16
// relative.
func trigamma(x float64) float64 {
	acc := 0.0
	for x < 12 {
		acc += 1 / (x * x)
		x++
	}
	y := 1 / x
	y2 := y * y
	// B2 = 1/6, B4 = −1/30, B6 = 1/42, B8 = −1/30, B10 = 5/66, B12 = −691/2730, B14 = 7/6.
	tail := y2 * (1.0/6 + y2*(-1.0/30+y2*(1.0/42+y2*(-1.0/30+y2*(5.0/66+y2*(-691.0/2730+y2*7.0/6))))))
	return acc + y + y2/2 + y*tail
}
