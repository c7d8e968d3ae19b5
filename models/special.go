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
