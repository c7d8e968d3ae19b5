package models

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is the Gamma-Gamma model of monetary value (Fader, Hardie &
// Lee 2005, "RFM and CLV: using iso-value curves for customer base
// analysis", Journal of Marketing Research 42(4), 415–430; Fader & Hardie
// 2013, "The Gamma-Gamma model of monetary value").
//
// A customer's transaction values are z_j ~ Gamma(p, ν) (shape p, rate ν),
// and ν varies across customers as Gamma(q, γ) (shape q, rate γ). The mean
// m̄ of x transactions is then Gamma(px, νx), and integrating over ν gives
// the density of m̄ given x,
//
//	f(m̄ | p, q, γ, x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q · x^{px} · m̄^{px−1} / (γ + x·m̄)^{px+q},
//
// whose logarithm, summed over customers, is the log-likelihood (the x^{px}
// term, the Jacobian of the mean, is included, as in the published
// log-likelihood −4055.92 on CDNOW).
//
// The model reads Customer.Frequency (x, the number of repeat
// transactions) and Customer.Monetary (m̄, their mean value). It is fitted
// on repeat customers only: rows with x = 0 carry no spend information and
// are skipped, and so are rows with x > 0 but m̄ = 0 (free transactions),
// which lie outside the model's support m̄ > 0; the fit's warnings say how
// many rows were skipped. The model assumes spend independent of
// frequency; the fit warns when the two are correlated among the repeat
// customers (weighted |Pearson r| > 0.3).
type GammaGamma struct{}

// Name returns "gammagamma".
func (GammaGamma) Name() string { return "gammagamma" }

// Fit estimates p, q, γ by maximum likelihood; the result is a
// *FittedGammaGamma (see FitGammaGamma).
func (GammaGamma) Fit(ctx context.Context, d *Data, o FitOptions) (FittedSpend, error) {
	f, err := FitGammaGamma(ctx, d, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// FittedGammaGamma is a Gamma-Gamma model with its parameters (all > 0)
// and, after FitGammaGamma, the fit's diagnostics.
type FittedGammaGamma struct {
	P     float64    // shape of the transaction values
	Q     float64    // shape of the rate ν across customers
	Gamma float64    // rate (inverse scale) of ν across customers
	fit   *FitResult // estimates and diagnostics (Result)
}

// NewFittedGammaGamma returns a Gamma-Gamma model with the given
// parameters, which must be finite and > 0. Its Result names the
// parameters, with no likelihood.
func NewFittedGammaGamma(p, q, gamma float64) (*FittedGammaGamma, error) {
	for _, v := range []struct {
		name string
		v    float64
	}{{"p", p}, {"q", q}, {"gamma", gamma}} {
		if !(v.v > 0) || math.IsInf(v.v, 0) {
			return nil, fmt.Errorf("gammagamma: parameter %s=%v must be a finite number > 0", v.name, v.v)
		}
	}
	f := &FittedGammaGamma{P: p, Q: q, Gamma: gamma, fit: &FitResult{
		Model:  "gammagamma",
		Params: Params{"p": p, "q": q, "gamma": gamma},
		Method: "given",
	}}
	f.fit.Warnings = f.spendWarnings()
	return f, nil
}

// Compile-time checks that the Gamma-Gamma types implement the interfaces.
var (
	_ SpendModel  = GammaGamma{}
	_ FittedSpend = (*FittedGammaGamma)(nil)
)

// ggNames are the parameter names in the order of the likelihood's
// parameter vector.
var ggNames = []string{"p", "q", "gamma"}

// ggRows holds the repeat customers a Gamma-Gamma fit uses, reduced to
// what the likelihood needs. The parameter-dependent part of a customer's
// log-likelihood reads the customer only through x·m̄ (one logarithm and
// one division per customer and evaluation, summed in parallel); the gamma
// functions of px are evaluated once per distinct x, and the sums that do
// not depend on the parameters are taken once.
type ggRows struct {
	// One entry per repeat customer.
	xm   []float64 // x·m̄
	lnXM []float64 // ln(x·m̄)
	w    []float64 // weight; nil: every weight is 1
	wx   []float64 // weight·x
	xi   []int32   // index of x into xs
	// One entry per distinct x.
	xs   []float64 // x
	wsum []float64 // Σ weight
	// Σ w, Σ w·ln m̄ and Σ w·ln(x m̄) over all rows.
	total, sumLnM, sumLnXM float64
	// scale is the unit of the amounts m̄ above: the data's mean spends
	// divided by scale (see ggCollect).
	scale float64
}

// FitGammaGamma fits the Gamma-Gamma model on the repeat customers of d
// (see GammaGamma). Data.Monetary is required. FitResult.Customers counts
// the repeat customers used; a warning names how many rows were skipped
// and why. The fit works on the mean spends divided by their geometric
// mean, so that it gives the same p and q, and γ in proportion, in any
// currency unit (see ggCollect); the log-likelihood is that of the
// amounts as given. Unless o.Start is given, the start (1, 1, 1) is
// refined by damped Newton steps with the analytic Hessian (on a sample of
// the customers first when there are many), from which the shared
// optimizer normally stops at once. A fit that does not converge returns
// its best point together with a *ConvergenceError.
func FitGammaGamma(ctx context.Context, d *Data, o FitOptions) (*FittedGammaGamma, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("gammagamma: %w", err)
	}
	if d.Monetary == nil {
		return nil, fmt.Errorf("gammagamma: the data has no monetary column (mean spend of the repeat purchases)")
	}
	rows, warnings, err := ggCollect(d, 0)
	if err != nil {
		return nil, fmt.Errorf("gammagamma: %w", err)
	}
	if rows.total == 0 {
		// Nothing to fit on, with or without a penalty.
		return nil, &IdentificationError{Model: "gammagamma", Reason: NoRepeatPurchases}
	}
	if err := checkIdentifiable("gammagamma", o, rows.total, rows.total, rows.distinct()); err != nil {
		return nil, err
	}
	scaled := ggScaledOptions(o, rows.scale)
	mem := newLastEval() // the warm start's last point is maximize's start
	if len(o.Start) == 0 {
		scaled.Start = rows.warmStart(ctx, scaled, mem)
	}
	res, err := maximize(ctx, rows.likelihood(mem), scaled)
	if res == nil {
		return nil, err
	}
	ggUnscale(res, rows.scale, rows.total)
	f := &FittedGammaGamma{P: res.Params["p"], Q: res.Params["q"], Gamma: res.Params["gamma"], fit: res}
	res.Warnings = append(res.Warnings, warnings...)
	res.Warnings = append(res.Warnings, f.spendWarnings()...)
	return f, err
}

// ggWarmSample is the number of customers above which the Gamma-Gamma
// warm start first polishes on a sample of about that many.
const ggWarmSample = 20000

// ggPolishSteps caps the Newton steps of each stage of the warm start.
const ggPolishSteps = 40

// warmStart returns the start of maximize: (1, 1, 1), or the free values
// of o (on the fit's scale), refined by newtonPolish, first on a sample of
// the customers when there are many; nil (the likelihood's own start)
// when the polish cannot start.
func (r *ggRows) warmStart(ctx context.Context, o FitOptions, mem *lastEval) Params {
	p := []float64{1, 1, 1}
	if len(r.xm) > 2*ggWarmSample {
		sub := r.sample(ggWarmSample)
		p, _, _ = newtonPolish(ctx, sub.logLikHess, ggNames, sub.total, p, o, newtonSettings(ggPolishSteps))
	}
	llHess := func(p, grad, hess []float64) float64 { return mem.eval(p, 2, grad, hess, r.eval) }
	p, _, _ = newtonPolish(ctx, llHess, ggNames, r.total, p, o, newtonSettings(ggPolishSteps))
	start := Params{}
	for i, name := range ggNames {
		if !(p[i] > 0) || math.IsInf(p[i], 0) {
			return nil
		}
		start[name] = p[i]
	}
	return start
}

// likelihood returns the rows' likelihood for maximize, with the analytic
// Hessian, its evaluations remembered in mem.
func (r *ggRows) likelihood(mem *lastEval) likelihood {
	return likelihood{
		model: "gammagamma",
		names: ggNames,
		start: []float64{1, 1, 1},
		n:     r.total,
		logLik: func(p, grad []float64) float64 {
			if grad == nil {
				return mem.eval(p, 0, nil, nil, r.eval)
			}
			return mem.eval(p, 1, grad, nil, r.eval)
		},
		hessian: func(p []float64) []float64 {
			h := make([]float64, 9)
			mem.eval(p, 2, make([]float64, 3), h, r.eval)
			return h
		},
	}
}

// ggScaledOptions returns o with the start and fixed values of γ, which
// is in currency units, divided by scale.
func ggScaledOptions(o FitOptions, scale float64) FitOptions {
	scaled := func(p Params) Params {
		v, ok := p["gamma"]
		if !ok {
			return p
		}
		out := Params{}
		for k, x := range p {
			out[k] = x
		}
		out["gamma"] = v / scale
		return out
	}
	o.Start, o.Fixed = scaled(o.Start), scaled(o.Fixed)
	return o
}

// ggUnscale turns a fit on the amounts divided by scale into the fit on
// the amounts: γ and its standard error are multiplied by scale, and the
// log-likelihood of the N = total mean spends, whose density picks up the
// Jacobian 1/scale each, falls by N·ln(scale) (AIC and BIC follow).
func ggUnscale(res *FitResult, scale, total float64) {
	res.Params["gamma"] *= scale
	if se, ok := res.StdErrors["gamma"]; ok {
		res.StdErrors["gamma"] = se * scale
	}
	shift := total * math.Log(scale)
	res.LogLikelihood -= shift
	res.AIC += 2 * shift
	res.BIC += 2 * shift
}

// ggCollect picks the rows with x > 0 and m̄ > 0, divides their mean
// spends by scale, precomputes their constants and returns the warnings
// about skipped rows and about the correlation of frequency and spend.
// A scale ≤ 0 stands for the weighted geometric mean of the picked mean
// spends (FitGammaGamma's choice): the currency unit the fit works in, so
// that the estimates do not depend on the unit of the amounts.
//
// The model is scale-equivariant: with amounts divided by s, p and q stay
// and γ becomes γ/s, so the fit on amounts/s, with γ multiplied back by s,
// is the fit on the amounts, in any currency unit (cents, or a unit of
// 1e-15), where a fit on the raw amounts would meet a flat likelihood in
// γ far from 1 and stop early.
//
// One logarithm is taken per customer, ln m̄ of the amounts as given:
// ln(x·m̄/s) is then ln x (once per distinct x) + ln m̄ − ln s.
func ggCollect(d *Data, scale float64) (*ggRows, []string, error) {
	r := &ggRows{}
	xs := newFreqIndex()
	var zeroX, zeroM, sumLnRaw float64
	firstZeroM := 0
	used := 0
	for i := 0; i < d.Len(); i++ {
		if d.Frequency[i] > 0 && d.Monetary[i] > 0 && d.W(i) > 0 {
			used++
		}
	}
	// Until scaled below: xm holds m̄ as given and lnXM its logarithm.
	r.xm, r.lnXM, r.wx, r.xi = make([]float64, 0, used), make([]float64, 0, used), make([]float64, 0, used), make([]int32, 0, used)
	weighted := d.Weight != nil
	if weighted {
		r.w = make([]float64, 0, used)
	}
	for i := 0; i < d.Len(); i++ {
		x, m, w := d.Frequency[i], d.Monetary[i], d.W(i)
		switch {
		case w == 0:
			continue
		case x == 0:
			zeroX += w
			continue
		case m == 0:
			if firstZeroM == 0 {
				firstZeroM = i + 1
			}
			zeroM += w
			continue
		}
		g := xs.of(x)
		if int(g) == len(r.wsum) {
			r.wsum = append(r.wsum, w)
		} else {
			r.wsum[g] += w
		}
		r.xi = append(r.xi, g)
		lnM := math.Log(m)
		r.xm = append(r.xm, m)
		r.lnXM = append(r.lnXM, lnM)
		if weighted {
			r.w = append(r.w, w)
		}
		r.wx = append(r.wx, w*x)
		r.total += w
		sumLnRaw += w * lnM
	}
	r.xs = xs.values
	if r.total == 0 {
		r.scale = 1
		return r, nil, nil
	}
	if !(scale > 0) {
		scale = math.Exp(sumLnRaw / r.total)
	}
	// The scaled m̄, once: the correlation of x and m̄/s reads them, and
	// then xm turns into x·m̄/s.
	for i := range r.xm {
		r.xm[i] /= scale
	}
	c, correlated := ggPearson(r.xs, r.xi, r.xm, r.w)
	r.scaleSpends(scale)
	var warnings []string
	if zeroX > 0 {
		warnings = append(warnings, fmt.Sprintf("skipped %g customers without repeat purchases (x = 0); fitted on %g repeat customers", zeroX, r.total))
	}
	if zeroM > 0 {
		warnings = append(warnings, fmt.Sprintf("skipped %g repeat customers whose mean spend is 0 (first at row %d), outside the model's support m̄ > 0", zeroM, firstZeroM))
	}
	if correlated && math.Abs(c) > ggCorrelationLimit {
		warnings = append(warnings, fmt.Sprintf("frequency and mean spend are correlated among repeat customers (Pearson r = %.3f, |r| > %.1f): the Gamma-Gamma model assumes they are independent", c, ggCorrelationLimit))
	}
	return r, warnings, nil
}

// scaleSpends turns the collected mean spends divided by s = scale (> 0)
// in xm, m̄/s, and the logarithms of m̄ as given in lnXM into x·m̄/s and
// ln(x·m̄/s), and sets the sums of the logarithms and r.scale.
func (r *ggRows) scaleSpends(scale float64) {
	r.scale = scale
	lnS := math.Log(scale)
	lnX := make([]float64, len(r.xs))
	for j, x := range r.xs {
		lnX[j] = math.Log(x)
	}
	for i, g := range r.xi {
		w := 1.0
		if r.w != nil {
			w = r.w[i]
		}
		lnM := r.lnXM[i] - lnS
		r.xm[i] = r.xs[g] * r.xm[i]
		r.lnXM[i] = lnX[g] + lnM
		r.sumLnM += w * lnM
		r.sumLnXM += w * r.lnXM[i]
	}
}

// ggCorrelationLimit is the |Pearson r| between x and m̄ above which a
// fit warns that the independence assumption is doubtful. Fader, Hardie &
// Lee (2005) report r = 0.11 on CDNOW and call it negligible; 0.3 is the
// usual threshold of a "moderate" correlation.
const ggCorrelationLimit = 0.3

// ggPearson returns the weighted Pearson correlation of x and m with
// weights w (nil: every weight is 1), row i's x being xs[xi[i]] and its m
// m[i] (the rows' frequencies and scaled mean spends); ok is false when
// either has no variance.
func ggPearson(xs []float64, xi []int32, m []float64, w []float64) (r float64, ok bool) {
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	var sw, sx, sm float64
	for i, g := range xi {
		wi := weight(i)
		sw += wi
		sx += wi * xs[g]
		sm += wi * m[i]
	}
	mx, mm := sx/sw, sm/sw
	var cxx, cmm, cxm float64
	for i, g := range xi {
		wi := weight(i)
		dx, dm := xs[g]-mx, m[i]-mm
		cxx += wi * dx * dx
		cmm += wi * dm * dm
		cxm += wi * dx * dm
	}
	if !(cxx > 0) || !(cmm > 0) {
		return 0, false
	}
	return cxm / math.Sqrt(cxx*cmm), true
}

// logLik returns Σ w·ln f(m̄ | p, q, γ, x) and, when grad is not nil, stores
// its gradient in grad (see eval).
func (r *ggRows) logLik(par, grad []float64) float64 {
	if grad == nil {
		return r.eval(par, 0, nil, nil)
	}
	return r.eval(par, 1, grad, nil)
}

// logLikHess returns Σ w·ln f(m̄ | p, q, γ, x) with its gradient and Hessian
// (row-major 3×3; see eval).
func (r *ggRows) logLikHess(par, grad, hess []float64) float64 {
	return r.eval(par, 2, grad, hess)
}

// eval returns Σ w·ln f(m̄ | p, q, γ, x) (−Inf outside the parameter
// space) and, by order, its gradient (order ≥ 1, in grad) and Hessian
// (order 2, row-major 3×3 in hess). Per row, with L1 = ln(x m̄ + γ) − ln(x m̄),
//
//	ln f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) − ln m̄ − px·L1 − q·(L1 + ln(x m̄) − ln γ),
//
// which equals the form with q ln γ + (px−1) ln m̄ + px ln x −
// (px+q) ln(x m̄ + γ) but keeps the large logs from cancelling; its
// gradient is
//
//	∂/∂p = x·[ψ(px+q) − ψ(px) − L1],
//	∂/∂q = ψ(px+q) − ψ(q) − L1 − ln(x m̄) + ln γ,
//	∂/∂γ = q/γ − (px+q)/(γ + x m̄),
//
// and its Hessian
//
//	∂²/∂p² = x²·[ψ′(px+q) − ψ′(px)],  ∂²/∂p∂q = x·ψ′(px+q),  ∂²/∂p∂γ = −x/(γ + x m̄),
//	∂²/∂q² = ψ′(px+q) − ψ′(q),        ∂²/∂q∂γ = 1/γ − 1/(γ + x m̄),
//	∂²/∂γ² = (px+q)/(γ + x m̄)² − q/γ².
//
// The customers enter only through A = Σ w·x·L1, B = Σ w·L1,
// C = Σ w·x/(γ+x m̄), D = Σ w/(γ+x m̄), E = Σ w·x/(γ+x m̄)² and
// F = Σ w/(γ+x m̄)² (sumRows); the rest is summed once per distinct x.
func (r *ggRows) eval(par []float64, order int, grad, hess []float64) float64 {
	p, q, g := par[0], par[1], par[2]
	for _, v := range par {
		if !(v > 0) || math.IsInf(v, 0) {
			return math.Inf(-1)
		}
	}
	A, B, C, D, E, F := r.sumRows(g, order)
	lnG := math.Log(g)
	ll := -r.total*lgamma(q) - r.sumLnM - p*A - q*(B+r.sumLnXM-r.total*lnG)
	var gp, gq, hpp, hpq, hqq float64
	for j, x := range r.xs {
		px := p * x
		w := r.wsum[j]
		ll += w * (lgamma(px+q) - lgamma(px))
		if order >= 1 {
			psiPQ := mathext.Digamma(px + q)
			gp += w * x * (psiPQ - mathext.Digamma(px))
			gq += w * psiPQ
		}
		if order >= 2 {
			triPQ := trigamma(px + q)
			hpp += w * x * x * (triPQ - trigamma(px))
			hpq += w * x * triPQ
			hqq += w * triPQ
		}
	}
	if order >= 1 {
		grad[0] = gp - A
		grad[1] = gq - r.total*mathext.Digamma(q) - B - r.sumLnXM + r.total*lnG
		grad[2] = r.total*q/g - p*C - q*D
	}
	if order >= 2 {
		hqq -= r.total * trigamma(q)
		hpg := -C
		hqg := r.total/g - D
		hgg := p*E + q*F - r.total*q/(g*g)
		copy(hess, []float64{hpp, hpq, hpg, hpq, hqq, hqg, hpg, hqg, hgg})
	}
	return ll
}

// sumRows returns the sums A and B of eval and, by order, C and D (order
// ≥ 1) and E and F (order 2), at γ = g, summed in parallel in fixed chunks.
func (r *ggRows) sumRows(g float64, order int) (A, B, C, D, E, F float64) {
	dim := [3]int{1, 3, 5}[order]
	var acc [5]float64
	A = parallelSum(len(r.xm), dim, acc[:dim], func(lo, hi int, s []float64) float64 {
		var a, b, c, d, e, f float64
		for i := lo; i < hi; i++ {
			w := 1.0
			if r.w != nil {
				w = r.w[i]
			}
			wx, xm := r.wx[i], r.xm[i]
			l1 := math.Log(g+xm) - r.lnXM[i]
			a += wx * l1
			b += w * l1
			if order == 0 {
				continue
			}
			inv := 1 / (g + xm)
			c += wx * inv
			d += w * inv
			if order == 2 {
				e += wx * inv * inv
				f += w * inv * inv
			}
		}
		s[0] += b
		if order >= 1 {
			s[1] += c
			s[2] += d
		}
		if order == 2 {
			s[3] += e
			s[4] += f
		}
		return a
	})
	return A, acc[0], acc[1], acc[2], acc[3], acc[4]
}

// distinct returns the number of distinct (x, x·m̄) among the customers,
// up to 2.
func (r *ggRows) distinct() int {
	for i := range r.xm {
		if r.xm[i] != r.xm[0] || r.xi[i] != r.xi[0] {
			return 2
		}
	}
	return min(len(r.xm), 1)
}

func (r *ggRows) weightOf(i int) float64 {
	if r.w == nil {
		return 1
	}
	return r.w[i]
}

// sample returns about m of the customers (see weightedSample), each
// drawn k times weighing k.
func (r *ggRows) sample(m int) *ggRows {
	c := min(len(r.xm), m) // the rows drawn, at most
	sub := &ggRows{scale: r.scale, xs: r.xs, wsum: make([]float64, len(r.xs)),
		xi: make([]int32, 0, c), xm: make([]float64, 0, c), lnXM: make([]float64, 0, c), w: make([]float64, 0, c), wx: make([]float64, 0, c)}
	weightedSample(len(r.xm), r.weightOf, r.total, m, func(i int, k float64) {
		x := r.xs[r.xi[i]]
		sub.wsum[r.xi[i]] += k
		sub.xi = append(sub.xi, r.xi[i])
		sub.xm = append(sub.xm, r.xm[i])
		sub.lnXM = append(sub.lnXM, r.lnXM[i])
		sub.w = append(sub.w, k)
		sub.wx = append(sub.wx, k*x)
		sub.total += k
		sub.sumLnM += k * (r.lnXM[i] - math.Log(x))
		sub.sumLnXM += k * r.lnXM[i]
	})
	return sub
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedGammaGamma) Result() *FitResult { return f.fit }

// spendWarnings notes when the population mean spend pγ/(q−1) is infinite.
func (f *FittedGammaGamma) spendWarnings() []string {
	if f.Q > 1 {
		return nil
	}
	return []string{fmt.Sprintf("q = %.4g ≤ 1: the population mean spend pγ/(q−1) is infinite, so ExpectedSpend returns the customer's own mean spend for customers without repeat purchases (and for any customer whose posterior mean is infinite)", f.Q)}
}

// PopulationMeanSpend returns E[Z] = pγ/(q−1), the mean transaction value
// across customers, or +Inf when q ≤ 1 (the mean does not exist).
func (f *FittedGammaGamma) PopulationMeanSpend() float64 {
	if f.Q <= 1 {
		return math.Inf(1)
	}
	return f.P * f.Gamma / (f.Q - 1)
}

// ExpectedSpend returns E[Z | x, m̄], the expected value of the customer's
// future transactions (Fader, Hardie & Lee 2005):
//
//	E[Z | p, q, γ, x, m̄] = p(γ + x m̄)/(px + q − 1),
//
// a weighted mean of the population mean pγ/(q−1) and the customer's own
// mean m̄. For x = 0 it is the population mean pγ/(q−1). When that is
// infinite (q ≤ 1, or px + q ≤ 1) it returns the customer's own mean
// c.Monetary instead, as the fit's warnings say; it never returns Inf or
// NaN for finite input. A Frequency ≤ 0 (or NaN) counts as no repeat
// purchases.
func (f *FittedGammaGamma) ExpectedSpend(c Customer) float64 {
	x := c.Frequency
	if !(x > 0) {
		x = 0
	}
	den := f.P*x + f.Q - 1
	if !(den > 0) {
		return c.Monetary
	}
	return f.P * (f.Gamma + x*c.Monetary) / den
}
