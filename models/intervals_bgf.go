package models

import "math"

// The whole distribution of a BG/NBD-family customer's purchases at once.
//
// The prediction intervals need P(X(t) = n) for every n up to the far
// tail, per distinct (x, T) and parameter draw. Term by term (bgfModel.pmf)
// each n costs a beta ratio, a log-gamma ratio and an incomplete beta
// function. All n together follow from three recurrences:
//
//	NB(n) = Γ(r+n)/(Γ(r) n!) z^n (1−z)^r,   NB(n+1) = NB(n)·z·(r+n)/(n+1),   z = t/(α+t),
//	R(m) = (b)_m/(a+b)_m = B(a, b+m)/B(a, b),   R(m+1) = R(m)·(b+m)/(a+b+m),
//	P(N ≥ n) = I_z(n, r) = Σ_{j≥n} NB(j),
//
// with N the purchases of the immortal process, so that (see pmf)
//
//	P(X(t) = n) = R(n+shift)·NB(n) + a/(a+b+m)·R(m)·P(N ≥ n),   m = n−1+shift ≥ 0.
//
// The tails are summed from the far end down, a sum of positive terms
// (the forward difference P(N ≥ n) − NB(n) would cancel in the right
// tail), or taken as 1 less the head while that is below ½; the negative binomial terms are generated until the rest of the
// series is below 1e-30, far below the smallest tail the distribution
// needs (above pmfTailMass). Each recurrence step costs a few roundings,
// so the probabilities agree with pmf's to about 1e-13 relative (the
// tests check).

// bgfTailNegligible is where the negative binomial series is cut: a bound
// on the sum of the terms left out.
const bgfTailNegligible = 1e-30

// distribution returns P(X(t) = n) for n = 0, 1, … until the mass left is
// below tail (or n reaches maxY), and false when the recurrences do not
// apply (t not finite and > 0, a negative binomial head below e^−600, or
// a series longer than maxY terms); futurePMF then goes term by term.
func (m bgfModel) distribution(t, tail float64, maxY int) ([]float64, bool) {
	if !(t > 0) || math.IsInf(t, 1) {
		return nil, false
	}
	lz := -math.Log1p(m.alpha / t) // ln z
	lw := -math.Log1p(t / m.alpha) // ln(1−z)
	lnb0 := m.r * lw
	if lnb0 < -600 {
		return nil, false
	}
	nb := negBinomialTerms(m.r, math.Exp(lz), math.Exp(lnb0), maxY)
	if nb == nil {
		return nil, false
	}
	tails := negBinomialTails(nb)
	out := make([]float64, 0, len(nb))
	cum := 0.0
	prev, ratio := math.NaN(), 1.0 // R(n−1+shift), R(n+shift)
	for k := 0.0; k < m.shift; k++ {
		prev, ratio = ratio, ratio*(m.b+k)/(m.a+m.b+k)
	}
	for n := 0; n <= maxY && cum < 1-tail; n++ {
		if n >= len(nb) {
			return nil, false
		}
		p := ratio * nb[n]
		if mm := float64(n) - 1 + m.shift; mm >= 0 {
			tailN := 1.0 // P(N ≥ 0)
			if n > 0 {
				tailN = tails[n]
			}
			p += m.a / (m.a + m.b + mm) * prev * tailN
		}
		p = math.Min(p, 1)
		out = append(out, p)
		cum += p
		mm := float64(n) + m.shift
		prev, ratio = ratio, ratio*(m.b+mm)/(m.a+m.b+mm)
	}
	return out, true
}

// negBinomialTerms returns NB(n) for n = 0, 1, … (NB(0) = first, the
// ratio z) until the terms left out add up to less than bgfTailNegligible,
// or nil when that takes more than 4·maxY+64 terms.
func negBinomialTerms(r, z, first float64, maxY int) []float64 {
	// Room for the mean r·z/(1−z) and 40 standard deviations √(r·z)/(1−z).
	size := r*z/(1-z) + 40*math.Sqrt(r*z)/(1-z) + 32
	out := make([]float64, 1, int(math.Min(size, float64(4*maxY+64))))
	out[0] = first
	v := first
	for n := 0.0; ; n++ {
		// The ratios z(r+j)/(j+1), j ≥ n, of the later terms are at most
		// ρ: this one when r ≥ 1 (they fall toward z), z when r < 1
		// (they rise toward it).
		ratio := z * (r + n) / (n + 1)
		rho := ratio
		if r < 1 {
			rho = z
		}
		if rho < 1 && v*rho < bgfTailNegligible*(1-rho) {
			return out
		}
		if len(out) > 4*maxY+64 {
			return nil
		}
		v *= ratio
		out = append(out, v)
	}
}

// negBinomialTails returns P(N ≥ n) = Σ_{j≥n} NB(j) for n = 0, …,
// len(nb): summed from the far end with compensation (Kahan), or as 1 less
// the head Σ_{j<n} NB(j) while that head is below ½ (then without
// cancellation, and free of the rounding of a long sum near 1).
func negBinomialTails(nb []float64) []float64 {
	tails := make([]float64, len(nb)+1)
	sum, comp := 0.0, 0.0
	for n := len(nb) - 1; n >= 0; n-- {
		y := nb[n] - comp
		s := sum + y
		comp = (s - sum) - y
		sum = s
		tails[n] = sum
	}
	head := 0.0
	for n := range nb {
		if head >= 0.5 {
			break
		}
		tails[n] = 1 - head
		head += nb[n]
	}
	return tails
}

// distribution gives futurePMF the BG/NBD's whole distribution at once.
func (f *FittedBGNBD) distribution(t float64) ([]float64, bool) {
	return f.model().distribution(t, pmfTailMass, maxPurchasesInInterval)
}
