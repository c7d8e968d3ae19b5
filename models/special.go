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

// dampedNewtonStep solves (H + μ·diag(max(1, |H_jj|)))Δ = g for the k×k
// symmetric H (k = len(g) ≤ 4) by Cholesky factorization: one
// Levenberg-damped Newton step of the models' warm starts. It reports false
// when the matrix is not positive definite; entries of the result beyond k
// are zero.
func dampedNewtonStep(h, g []float64, mu float64) ([4]float64, bool) {
	k := len(g)
	var a [16]float64
	copy(a[:], h)
	for j := 0; j < k; j++ {
		a[j*k+j] += mu * math.Max(1, math.Abs(h[j*k+j]))
	}
	// In place: a = L·Lᵀ with L in the lower triangle.
	for j := 0; j < k; j++ {
		s := a[j*k+j]
		for l := 0; l < j; l++ {
			s -= a[j*k+l] * a[j*k+l]
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return [4]float64{}, false
		}
		a[j*k+j] = math.Sqrt(s)
		for i := j + 1; i < k; i++ {
			s := a[i*k+j]
			for l := 0; l < j; l++ {
				s -= a[i*k+l] * a[j*k+l]
			}
			a[i*k+j] = s / a[j*k+j]
		}
	}
	var x [4]float64
	copy(x[:], g)
	for i := 0; i < k; i++ {
		for l := 0; l < i; l++ {
			x[i] -= a[i*k+l] * x[l]
		}
		x[i] /= a[i*k+i]
	}
	for i := k - 1; i >= 0; i-- {
		for l := i + 1; l < k; l++ {
			x[i] -= a[l*k+i] * x[l]
		}
		x[i] /= a[i*k+i]
	}
	for _, v := range x[:k] {
		if !finite(v) {
			return [4]float64{}, false
		}
	}
	return x, true
}
