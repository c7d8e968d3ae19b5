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

// bgfStackTerms is how many negative binomial terms (and as many tails)
// distribution keeps on the stack; longer series go to the heap.
const bgfStackTerms = 256

// distribution returns P(X(t) = n) for n = 0, 1, … until the mass left is
// below tail (or n reaches maxY), and false when the recurrences do not
// apply (t not finite and > 0, a negative binomial head below e^−600, or
// a series longer than maxY terms); futurePMF then goes term by term. The
// slice has exactly the probabilities' length (it is kept per history and
// draw); the terms and tails are gathered on the stack, and P(X(t) = n)
// overwrites NB(n), which no later n reads.
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
	var nbBuf [bgfStackTerms]float64
	var tailsBuf [bgfStackTerms + 1]float64
	nb := negBinomialTerms(m.r, math.Exp(lz), math.Exp(lnb0), maxY, nbBuf[:0])
	if nb == nil {
		return nil, false
	}
	tails := negBinomialTails(nb, tailsBuf[:0])
	out := nb[:0] // out[n] = P(X(t) = n) replaces nb[n]
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
		p = min(p, 1) // the builtin: math.Min's value, inlined
		out = append(out, p)
		cum += p
		mm := float64(n) + m.shift
		prev, ratio = ratio, ratio*(m.b+mm)/(m.a+m.b+mm)
	}
	return append(make([]float64, 0, len(out)), out...), true
}

// negBinomialTerms returns NB(n) for n = 0, 1, … (NB(0) = first, the
// ratio z) until the terms left out add up to less than bgfTailNegligible,
// or nil when that takes more than 4·maxY+64 terms. The terms are appended
// to dst[:0], or to a new slice with room for the mean r·z/(1−z) and 40
// standard deviations √(r·z)/(1−z) when that is more than dst's capacity.
func negBinomialTerms(r, z, first float64, maxY int, dst []float64) []float64 {
	out := dst[:0]
	if size := r*z/(1-z) + 40*math.Sqrt(r*z)/(1-z) + 32; size > float64(cap(dst)) {
		out = make([]float64, 0, int(math.Min(size, float64(4*maxY+64))))
	}
	out = append(out, first)
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
// cancellation, and free of the rounding of a long sum near 1). The tails
// are written to dst when it has room for them.
func negBinomialTails(nb, dst []float64) []float64 {
	tails := dst[:0]
	if cap(dst) < len(nb)+1 {
		tails = make([]float64, 0, len(nb)+1)
	}
	tails = tails[:len(nb)+1]
	tails[len(nb)] = 0
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
