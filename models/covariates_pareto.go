package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// CovariateParetoNBD is the Pareto/NBD (Schmittlein, Morrison & Colombo
// 1987) with static covariates in the parametrization of the R package
// CLVTools (Meierer et al. 2022, pnbd with static covariates; after Fader
// & Hardie's note "Incorporating Time-Invariant Covariates into the
// Pareto/NBD and BG/NBD Models", 2007): customer i with covariates z_P on
// the purchase process and z_D on the dropout process has
//
//	λ_i ~ Gamma(r, α_i),  μ_i ~ Gamma(s, β_i)  (shape, rate),
//	α_i = α·exp(−γ_P'z_P),  β_i = β·exp(−γ_D'z_D),
//
// r and s shared, and is otherwise a Pareto/NBD customer: her likelihood
// and predictions are the plain model's at (r, α_i, s, β_i). The signs are
// CLVTools' (pnbd_staticcov_alpha_i, pnbd_staticcov_beta_i): a positive
// purchase coefficient γ multiplies the mean purchase rate r/α_i by e^γ
// per unit of its covariate, and a positive dropout coefficient multiplies
// the mean dropout rate s/β_i by e^γ, shortening the expected lifetime.
// Each covariate may enter either process or both (a column of
// Covariates.Purchase, of Covariates.Dropout, or of each).
//
// The log-likelihood is exact (the plain model's per customer, see
// pcovRowLogLik); its gradient and Hessian follow from the plain model's
// in (r, α_i, s, β_i) by the chain rule (∂ℓ/∂γ_P = −α_i z_P ∂ℓ/∂α_i,
// ∂ℓ/∂γ_D = −β_i z_D ∂ℓ/∂β_i, and likewise at second order). With every
// covariate zero the fit is the plain model's.
type CovariateParetoNBD struct{}

// Name returns "paretonbd_cov".
func (CovariateParetoNBD) Name() string { return "paretonbd_cov" }

// FittedCovariateParetoNBD is a fitted CovariateParetoNBD: the base
// parameters (those of a customer whose covariates are all 0), the
// coefficients (GammaPurchase[j] that of the covariate PurchaseNames[j],
// GammaDropout[j] that of DropoutNames[j]), the fit's diagnostics, and
// PlainLogLikelihood, the maximized log-likelihood of the plain
// Pareto/NBD on the same data (the restriction of the likelihood-ratio
// test; NaN for a model rebuilt from its parameters).
type FittedCovariateParetoNBD struct {
	R, Alpha, S, Beta           float64
	GammaPurchase               []float64
	GammaDropout                []float64
	PurchaseNames, DropoutNames []string
	PlainLogLikelihood          float64
	*FitResult
}

// FitCovariates fits the model on d with covariates z (see
// FitCovariateParetoNBD).
func (CovariateParetoNBD) FitCovariates(ctx context.Context, d *Data, z Covariates, o FitOptions) (FittedCovariates, error) {
	f, err := FitCovariateParetoNBD(ctx, d, z, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// pcovMaxSteps caps the Newton steps of FitCovariateParetoNBD.
const pcovMaxSteps = 200

// pcovTolerance is the largest gradient component of the mean
// log-likelihood (in θ) at which the fit stops.
const pcovTolerance = 1e-10

// FitCovariateParetoNBD fits the Pareto/NBD with covariates z on d by
// maximum likelihood: it fits the plain Pareto/NBD first (FitParetoNBD
// with o) and starts from its estimates with every coefficient 0, then
// takes Levenberg–Marquardt-damped Newton steps with the analytic Hessian
// on the mean log-likelihood in θ = (ln r, ln α, ln s, ln β, γ_P…, γ_D…),
// minus o.Penalty·Σ of the squared free log-parameters of θ′ (the plain model's
// penalty; the coefficients are not penalized). The steps are taken in
// standardized covariates (see pcovScaling), so that neither the units
// nor the origin of a covariate matter; the box |θ′| ≤ 25 that stops a
// runaway applies there. Parameters in o.Fixed stay at their values. Standard errors come from the inverse of the analytic
// observed information, those of r, α, s, β by the delta method; the
// coefficients are named "purchase.NAME" and "dropout.NAME" in the
// result's Params and StdErrors. A fit that does not converge returns its
// best point together with a *ConvergenceError.
func FitCovariateParetoNBD(ctx context.Context, d *Data, z Covariates, o FitOptions) (*FittedCovariateParetoNBD, error) {
	m := CovariateParetoNBD{}
	rs, err := newPCovRows(m.Name(), d, z)
	if err != nil {
		return nil, err
	}
	if err := checkCovariateNames(m.Name(), z); err != nil {
		return nil, err
	}
	plain, err := FitParetoNBD(ctx, d, o)
	if plain == nil {
		return nil, fmt.Errorf("%s: the plain Pareto/NBD start: %w", m.Name(), err)
	}
	theta := make([]float64, rs.dim())
	var free []int
	for i, name := range pnbdNames {
		theta[i] = math.Log(plain.Result().Params[name])
		if _, fixed := o.Fixed[name]; !fixed {
			free = append(free, i)
		}
	}
	for i := 4; i < len(theta); i++ {
		free = append(free, i)
	}
	// Search in standardized covariates (θ′ = θ at the start: every
	// coefficient is 0), centred where the base parameter is free.
	_, alphaFixed := o.Fixed["alpha"]
	_, betaFixed := o.Fixed["beta"]
	sc := rs.standardize(!alphaFixed, !betaFixed)
	nt := newPCovNewton(rs, free, o.Penalty)
	steps, reason := nt.run(ctx, theta, max(o.MaxIterations, pcovMaxSteps))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: fit interrupted: %w", m.Name(), err)
	}
	f := nt.result(m, z, sc, steps)
	f.PlainLogLikelihood = plain.Result().LogLikelihood
	if reason != "" {
		return f, &ConvergenceError{Result: f.FitResult, Reason: reason, Option: OptionPenalty}
	}
	return f, nil
}

// pcovNewton maximizes the penalized mean log-likelihood of rs over the
// free components of θ.
type pcovNewton struct {
	rs      *pcovRows
	free    []int
	penalty float64
	// The point reached, with the objective, its gradient and Hessian
	// (mean scale, full θ).
	theta, g, h []float64
	f           float64
}

func newPCovNewton(rs *pcovRows, free []int, penalty float64) *pcovNewton {
	return &pcovNewton{rs: rs, free: free, penalty: penalty}
}

// evaluate sets the objective, gradient and Hessian at θ (a copy).
func (nt *pcovNewton) evaluate(theta []float64) {
	k := nt.rs.dim()
	acc := make([]float64, k+k*k)
	ll := nt.rs.eval(theta, 2, acc)
	n := nt.rs.n
	nt.theta, nt.f, nt.g, nt.h = append([]float64(nil), theta...), ll/n, acc[:k], acc[k:]
	for i := range acc {
		acc[i] /= n
	}
	for _, i := range nt.free {
		if i < 4 {
			nt.f -= nt.penalty * theta[i] * theta[i]
			nt.g[i] -= 2 * nt.penalty * theta[i]
			nt.h[i*k+i] -= 2 * nt.penalty
		}
	}
}

// maxGrad returns the largest free gradient component.
func (nt *pcovNewton) maxGrad() float64 {
	m := 0.0
	for _, i := range nt.free {
		m = math.Max(m, math.Abs(nt.g[i]))
	}
	if math.IsNaN(nt.f) || math.IsInf(nt.f, 0) {
		return math.Inf(1)
	}
	return m
}

// step returns the damped Newton step (−H + μ·diag(max(1, |H_jj|)))Δ = g
// over the free components, each at most 3 long, and false when the matrix
// is not positive definite.
func (nt *pcovNewton) step(mu float64) ([]float64, bool) {
	k, nf := nt.rs.dim(), len(nt.free)
	a := mat.NewSymDense(nf, nil)
	b := mat.NewVecDense(nf, nil)
	for p, i := range nt.free {
		b.SetVec(p, nt.g[i])
		for q := p; q < nf; q++ {
			v := -nt.h[i*k+nt.free[q]]
			if p == q {
				v += mu * math.Max(1, math.Abs(v))
			}
			a.SetSym(p, q, v)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(a) {
		return nil, false
	}
	var x mat.VecDense
	if err := chol.SolveVecTo(&x, b); err != nil {
		return nil, false
	}
	longest := 0.0
	for p := range nf {
		longest = math.Max(longest, math.Abs(x.AtVec(p)))
	}
	scale := 1.0
	if longest > 3 {
		scale = 3 / longest
	}
	next := append([]float64(nil), nt.theta...)
	for p, i := range nt.free {
		next[i] += scale * x.AtVec(p)
	}
	return next, true
}

// run takes Newton steps from θ0 until the largest free gradient
// component is below pcovTolerance and returns the number of steps and,
// when it stopped elsewhere, why. A step is kept when it raises the
// objective or, within its rounding, shrinks the gradient; μ then shrinks
// eightfold (to 0 below 1e-10), otherwise it grows eightfold.
func (nt *pcovNewton) run(ctx context.Context, theta0 []float64, maxSteps int) (int, string) {
	nt.evaluate(theta0)
	if math.IsInf(nt.f, 0) || math.IsNaN(nt.f) {
		return 0, "the log-likelihood is not finite at the plain model's estimates"
	}
	mu := 1e-3
	for steps := 0; ; steps++ {
		gmax := nt.maxGrad()
		switch {
		case gmax < pcovTolerance:
			return steps, ""
		case steps == maxSteps:
			return steps, fmt.Sprintf("%d Newton steps without reaching the maximum", steps)
		case mu > 1e12:
			if gmax < 1e3*pcovTolerance {
				return steps, "" // at the maximum to the rounding of the objective
			}
			return steps, "no Newton step raises the likelihood"
		case ctx.Err() != nil:
			return steps, ctx.Err().Error()
		}
		next, ok := nt.step(mu)
		if !ok {
			mu = math.Max(8*mu, 1e-6)
			continue
		}
		if pcovOutside(next) {
			return steps, fmt.Sprintf("a parameter runs off toward 0 or ∞ (|log-parameter| or |coefficient| beyond %d)", maxLogParam)
		}
		prev := *nt
		nt.evaluate(next)
		if nt.f > prev.f || (nt.f >= prev.f-1e-13*math.Abs(prev.f) && nt.maxGrad() < gmax) {
			if mu /= 8; mu < 1e-10 {
				mu = 0
			}
			continue
		}
		*nt = prev
		mu = math.Max(8*mu, 1e-6)
	}
}

// pcovOutside reports whether θ leaves the box |θ_i| ≤ maxLogParam.
func pcovOutside(theta []float64) bool {
	for _, v := range theta {
		if !(math.Abs(v) <= maxLogParam) {
			return true
		}
	}
	return false
}

// result turns the point reached (in the standardized θ′ of sc) into the
// fitted model with its standard errors (from the analytic Hessian,
// penalized as the search was; see standardErrors).
func (nt *pcovNewton) result(m CovariateParetoNBD, z Covariates, sc *pcovScaling, steps int) *FittedCovariateParetoNBD {
	rs := nt.rs
	th := sc.natural(nt.theta)
	f := &FittedCovariateParetoNBD{R: math.Exp(th[0]), Alpha: math.Exp(th[1]), S: math.Exp(th[2]), Beta: math.Exp(th[3]),
		GammaPurchase: append([]float64(nil), th[4:4+rs.nP]...), GammaDropout: append([]float64(nil), th[4+rs.nP:]...),
		PurchaseNames: slices.Clone(z.PurchaseNames), DropoutNames: slices.Clone(z.DropoutNames)}
	names := append([]string(nil), pnbdNames...)
	for _, n := range z.PurchaseNames {
		names = append(names, "purchase."+n)
	}
	for _, n := range z.DropoutNames {
		names = append(names, "dropout."+n)
	}
	ll := rs.eval(nt.theta, 0, nil)
	k := float64(len(nt.free))
	fr := &FitResult{Model: m.Name(), Params: Params{}, StdErrors: Params{}, HasLikelihood: true, LogLikelihood: ll,
		AIC: 2*k - 2*ll, BIC: k*math.Log(rs.n) - 2*ll, Customers: rs.n, Method: "Newton", Iterations: steps,
		MaxRelativeSE: math.Inf(1), ConditionNumber: math.Inf(1)}
	gsq := 0.0
	for _, i := range nt.free {
		gsq += nt.g[i] * nt.g[i]
	}
	fr.GradientNorm = math.Sqrt(gsq)
	fr.Converged = fr.GradientNorm < gradientTolerance
	for i, v := range th {
		if i < 4 {
			v = math.Exp(v)
		}
		fr.Params[names[i]] = v
	}
	se, cond, err := nt.standardErrors(sc)
	if err != nil {
		fr.Warnings = append(fr.Warnings, fmt.Sprintf("no standard errors: %v (a covariate that is constant, or a linear combination of others?)", err))
		f.FitResult = fr
		return f
	}
	fr.MaxRelativeSE = 0
	for _, i := range nt.free {
		s := se[i]
		if i < 4 {
			fr.MaxRelativeSE = math.Max(fr.MaxRelativeSE, s)
			s *= math.Exp(th[i]) // delta method: se(θ) = θ·se(ln θ)
		}
		fr.StdErrors[names[i]] = s
	}
	fr.ConditionNumber = cond
	fr.WeaklyIdentified = fr.MaxRelativeSE > weakRelativeSE || cond > weakCondition
	f.FitResult = fr
	return f
}

// standardErrors returns the standard errors of θ (0 for fixed
// components) from the inverse C′ of the observed information n·(−H) in
// the free components of θ′, mapped by C = A·C′·Aᵀ (see pcovScaling), and
// the condition number of the information in θ′.
func (nt *pcovNewton) standardErrors(sc *pcovScaling) ([]float64, float64, error) {
	k, nf := nt.rs.dim(), len(nt.free)
	info := mat.NewSymDense(nf, nil)
	for p, i := range nt.free {
		for q := p; q < nf; q++ {
			info.SetSym(p, q, -nt.rs.n*nt.h[i*k+nt.free[q]])
		}
	}
	var eig mat.EigenSym
	cond := math.Inf(1)
	if eig.Factorize(info, false) {
		if vals := eig.Values(nil); vals[0] > 0 {
			cond = vals[nf-1] / vals[0]
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(info) {
		return nil, cond, fmt.Errorf("the observed information is not positive definite (a flat or degenerate likelihood)")
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return nil, cond, fmt.Errorf("inverting the observed information: %w", err)
	}
	full := mat.NewDense(k, k, nil)
	for p, i := range nt.free {
		for q, j := range nt.free {
			full.Set(i, j, inv.At(p, q))
		}
	}
	a := mat.NewDense(k, k, sc.jacobian())
	var c mat.Dense
	c.Product(a, full, a.T())
	se := make([]float64, k)
	for i := range k {
		v := c.At(i, i)
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, cond, fmt.Errorf("variance of parameter %d is %v", i, v)
		}
		se[i] = math.Sqrt(v)
	}
	return se, cond, nil
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedCovariateParetoNBD) Result() *FitResult { return f.FitResult }

// Customer returns the plain Pareto/NBD of the customer with covariates
// zp (purchase) and zd (dropout), a *FittedParetoNBD at
// (r, α·e^(−γ_P'zp), s, β·e^(−γ_D'zd)), whose predictions are hers:
// P(alive), E[Y(t) | history], the discounted expected residual purchases
// (DERT) and CLV.
func (f *FittedCovariateParetoNBD) Customer(zp, zd []float64) (FittedPurchases, error) {
	return f.ParetoNBD(zp, zd)
}

// ParetoNBD is Customer with the concrete type, for the Pareto/NBD's own
// methods (DiscountedExpectedResidualPurchases, ProbabilityOfPurchases).
func (f *FittedCovariateParetoNBD) ParetoNBD(zp, zd []float64) (*FittedParetoNBD, error) {
	if len(zp) != len(f.GammaPurchase) || len(zd) != len(f.GammaDropout) {
		return nil, fmt.Errorf("%s: %d purchase and %d dropout covariates, want %d and %d", f.Model, len(zp), len(zd), len(f.GammaPurchase), len(f.GammaDropout))
	}
	lp, ld := 0.0, 0.0
	for j, v := range zp {
		lp += f.GammaPurchase[j] * v
	}
	for j, v := range zd {
		ld += f.GammaDropout[j] * v
	}
	return NewFittedParetoNBD(f.R, f.Alpha*math.Exp(-lp), f.S, f.Beta*math.Exp(-ld))
}

// LikelihoodRatio tests the covariate model against the plain Pareto/NBD
// fitted on the same data (see LikelihoodRatioTest), with one degree of
// freedom per coefficient.
func (f *FittedCovariateParetoNBD) LikelihoodRatio() (stat, p float64, err error) {
	return LikelihoodRatioTest(f.LogLikelihood, f.PlainLogLikelihood, len(f.GammaPurchase)+len(f.GammaDropout))
}

// CovariateNames returns the purchase and dropout covariate names.
func (f *FittedCovariateParetoNBD) CovariateNames() (purchase, dropout []string) {
	return f.PurchaseNames, f.DropoutNames
}

// PlainLL returns the plain Pareto/NBD's log-likelihood on the fit's data.
func (f *FittedCovariateParetoNBD) PlainLL() float64 { return f.PlainLogLikelihood }

// Effects says what a one-unit rise of each covariate does to a customer
// whose covariates are otherwise 0. A purchase coefficient γ_P multiplies
// the mean purchase rate r/α_i by e^γ_P and leaves the lifetime alone. A
// dropout coefficient γ_D multiplies the dropout rate μ of every
// customer, in distribution, by e^γ_D (μ ~ Gamma(s, β_i) with β_i =
// β·e^(−γ_D)), so that the lifetime, an exponential time of rate μ, is
// multiplied by e^(−γ_D) in distribution: its median and, where it is
// finite (s > 1, E[lifetime] = β_i/(s−1)), its mean. For s ≤ 1 the mean
// lifetime is infinite and LifetimeMultiplier is NaN (see Note).
func (f *FittedCovariateParetoNBD) Effects() []CovariateEffect {
	se := func(name string) float64 {
		if v, ok := f.StdErrors[name]; ok && f.FitResult != nil {
			return v
		}
		return math.NaN()
	}
	var out []CovariateEffect
	for j, g := range f.GammaPurchase {
		out = append(out, CovariateEffect{Process: "purchase", Name: f.PurchaseNames[j], Coefficient: g,
			SE: se("purchase." + f.PurchaseNames[j]), RateMultiplier: math.Exp(g), LifetimeMultiplier: 1})
	}
	for j, g := range f.GammaDropout {
		e := CovariateEffect{Process: "dropout", Name: f.DropoutNames[j], Coefficient: g,
			SE: se("dropout." + f.DropoutNames[j]), RateMultiplier: 1, LifetimeMultiplier: math.Exp(-g)}
		if f.S <= 1 {
			e.LifetimeMultiplier = math.NaN()
			e.Note = fmt.Sprintf("expected lifetime infinite (s = %.3g ≤ 1); the lifetime's distribution, its median included, is multiplied by e^−γ = %.3g", f.S, math.Exp(-g))
		}
		out = append(out, e)
	}
	return out
}

// NewFittedCovariateParetoNBD returns the model with the given parameters
// and coefficients, as a fit saved them: r, alpha, s, beta,
// "purchase.NAME" and "dropout.NAME" (the covariates in sorted order of
// their names within each process).
func NewFittedCovariateParetoNBD(p Params) (*FittedCovariateParetoNBD, error) {
	const model = "paretonbd_cov"
	v, err := paramValues(model, p, pnbdNames...)
	if err != nil {
		return nil, err
	}
	if _, err := NewFittedParetoNBD(v[0], v[1], v[2], v[3]); err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	f := &FittedCovariateParetoNBD{R: v[0], Alpha: v[1], S: v[2], Beta: v[3], PlainLogLikelihood: math.NaN(),
		FitResult: &FitResult{Model: model, Params: Params{}, Method: "given"}}
	for _, name := range p.Names() {
		g := p[name]
		f.Params[name] = g
		process, cov, ok := strings.Cut(name, ".")
		switch {
		case !ok && slices.Contains(pnbdNames, name):
		case !ok:
			return nil, fmt.Errorf("%s: unknown parameter %s (want r, alpha, s, beta, purchase.NAME and dropout.NAME)", model, name)
		case !finite(g):
			return nil, fmt.Errorf("%s: coefficient %s = %v must be finite", model, name, g)
		case process == "purchase":
			f.PurchaseNames, f.GammaPurchase = append(f.PurchaseNames, cov), append(f.GammaPurchase, g)
		case process == "dropout":
			f.DropoutNames, f.GammaDropout = append(f.DropoutNames, cov), append(f.GammaDropout, g)
		default:
			return nil, fmt.Errorf("%s: parameter %s: a coefficient is named purchase.NAME or dropout.NAME", model, name)
		}
	}
	return f, nil
}
