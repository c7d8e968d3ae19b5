package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// Covariates are time-invariant customer characteristics, one row per
// row of the Data: Purchase[i] enters the purchase process and Dropout[i]
// the dropout process of row i (either may be nil: no covariate on that
// process). Names label the columns in the fit's parameters.
type Covariates struct {
	Purchase, Dropout           [][]float64
	PurchaseNames, DropoutNames []string
}

// CovariateBGF is the BG/NBD, or with DropoutAtZero the MBG/NBD, with
// static covariates in the parametrization of the R package CLVTools
// (Meierer et al., "CLVTools: A Package for Probabilistic Customer
// Lifetime Value Models", 2022; after Fader & Hardie's note "Incorporating
// Time-Invariant Covariates into the Pareto/NBD and BG/NBD Models",
// 2007): customer i with covariates z_P on the purchase process and z_D on
// the dropout process has
//
//	α_i = α·exp(−γ_P'z_P),  a_i = a·exp(γ_D'z_D),  b_i = b·exp(γ_D'z_D),
//
// and r shared, and is otherwise a BG/NBD (MBG/NBD) customer: her
// likelihood and predictions are the plain model's at (r, α_i, a_i, b_i).
// A purchase coefficient γ multiplies the mean purchase rate r/α_i by
// e^γ per unit of its covariate; a dropout coefficient scales a_i and
// b_i together, which leaves the mean dropout probability a/(a+b)
// unchanged and makes it more (γ > 0) or less concentrated around it.
//
// The log-likelihood is exact; its gradient follows from the plain
// model's by the chain rule (∂ℓ/∂γ_P = −α_i z_P ∂ℓ/∂α_i, ∂ℓ/∂γ_D =
// z_D (a_i ∂ℓ/∂a_i + b_i ∂ℓ/∂b_i)). With every covariate zero the fit
// is the plain model's.
type CovariateBGF struct {
	DropoutAtZero bool
}

// Name returns "bgnbd_cov" or "mbgnbd_cov".
func (m CovariateBGF) Name() string {
	if m.DropoutAtZero {
		return "mbgnbd_cov"
	}
	return "bgnbd_cov"
}

// FittedCovariateBGF is a fitted CovariateBGF. GammaPurchase[j] is the
// coefficient of the covariate PurchaseNames[j], GammaDropout[j] that of
// DropoutNames[j]. PlainLogLikelihood is the maximized log-likelihood of
// the plain model on the same data (NaN for a model rebuilt from its
// parameters), the restriction of the likelihood-ratio test.
type FittedCovariateBGF struct {
	R, Alpha, A, B              float64
	GammaPurchase               []float64
	GammaDropout                []float64
	PurchaseNames, DropoutNames []string
	DropoutAtZero               bool
	PlainLogLikelihood          float64
	*FitResult
}

// CovariateModel is a purchase model whose customers differ by static
// covariates (CovariateBGF; the Pareto/NBD with covariates): it fits on
// the customers' histories together with their covariates, row by row.
type CovariateModel interface {
	Name() string
	FitCovariates(ctx context.Context, d *Data, z Covariates, o FitOptions) (FittedCovariates, error)
}

// FittedCovariates is a fitted CovariateModel.
type FittedCovariates interface {
	Result() *FitResult
	// CovariateNames returns the names of the purchase and the dropout
	// covariates, in the order Customer takes their values.
	CovariateNames() (purchase, dropout []string)
	// Customer returns the plain model of a customer with the given
	// covariate values: her predictions are its predictions.
	Customer(zp, zd []float64) (FittedPurchases, error)
	// PlainLL is the plain model's maximized log-likelihood on the same
	// data (NaN when unknown).
	PlainLL() float64
	// Effects says what a one-unit rise of each covariate does.
	Effects() []CovariateEffect
}

// CovariateEffect is what a one-unit rise of one covariate does to a
// customer whose covariates are otherwise 0, on one process.
type CovariateEffect struct {
	// Process is "purchase" or "dropout"; Name the covariate.
	Process, Name string
	// Coefficient is γ and SE its standard error (NaN when unavailable).
	Coefficient, SE float64
	// RateMultiplier multiplies the mean purchase rate: e^γ for a
	// purchase covariate, 1 for a dropout one.
	RateMultiplier float64
	// LifetimeMultiplier multiplies the expected lifetime (time from the
	// first purchase to dropping out); NaN when the expected lifetime is
	// infinite at either value (see Note).
	LifetimeMultiplier float64
	Note               string
}

// FitCovariates fits m on d with covariates z (see FitCovariateBGF).
func (m CovariateBGF) FitCovariates(ctx context.Context, d *Data, z Covariates, o FitOptions) (FittedCovariates, error) {
	f, err := FitCovariateBGF(ctx, m, d, z, o)
	if f == nil {
		return nil, err
	}
	return f, err
}

// CovariateNames returns the purchase and dropout covariate names.
func (f *FittedCovariateBGF) CovariateNames() (purchase, dropout []string) {
	return f.PurchaseNames, f.DropoutNames
}

// PlainLL returns the plain model's log-likelihood on the fit's data.
func (f *FittedCovariateBGF) PlainLL() float64 { return f.PlainLogLikelihood }

// Effects says what a one-unit rise of each covariate does. A purchase
// coefficient γ_P multiplies the mean purchase rate r/α_i by e^γ_P and,
// as every customer makes the same number of purchases before dropping
// out, only faster, her expected lifetime by e^−γ_P. A dropout
// coefficient γ_D scales a and b by e^γ_D: the number of repeat purchases
// J before dropping out is geometric in p ~ Beta(a_i, b_i), so the
// expected lifetime E[J]·E[1/λ] changes by the ratio of E[1/p] =
// (a+b−1)/(a−1) (BG/NBD) or E[(1−p)/p] = b/(a−1) (MBG/NBD, which may drop
// out at the first purchase) at a·e^γ_D, b·e^γ_D and at a, b; it is
// infinite, and the multiplier NaN, when a ≤ 1 at either.
func (f *FittedCovariateBGF) Effects() []CovariateEffect {
	var out []CovariateEffect
	se := func(name string) float64 {
		if f.FitResult == nil {
			return math.NaN()
		}
		if v, ok := f.StdErrors[name]; ok {
			return v
		}
		return math.NaN()
	}
	for j, g := range f.GammaPurchase {
		out = append(out, CovariateEffect{Process: "purchase", Name: f.PurchaseNames[j], Coefficient: g,
			SE: se("purchase." + f.PurchaseNames[j]), RateMultiplier: math.Exp(g), LifetimeMultiplier: math.Exp(-g)})
	}
	meanLife := func(a, b float64) float64 {
		if a <= 1 {
			return math.Inf(1)
		}
		if f.DropoutAtZero {
			return b / (a - 1)
		}
		return (a + b - 1) / (a - 1)
	}
	for j, g := range f.GammaDropout {
		e := CovariateEffect{Process: "dropout", Name: f.DropoutNames[j], Coefficient: g,
			SE: se("dropout." + f.DropoutNames[j]), RateMultiplier: 1, LifetimeMultiplier: math.NaN()}
		before, after := meanLife(f.A, f.B), meanLife(f.A*math.Exp(g), f.B*math.Exp(g))
		if finite(before) && finite(after) {
			e.LifetimeMultiplier = after / before
		} else {
			e.Note = fmt.Sprintf("expected lifetime infinite (a = %.3g, a·e^γ = %.3g: a ≤ 1 puts much mass on p near 0)", f.A, f.A*math.Exp(g))
		}
		out = append(out, e)
	}
	return out
}

// NewFittedCovariateBGF returns the model with the given parameters and
// coefficients (by covariate name), as a fit saved them: params r, alpha,
// a, b, "purchase.NAME" and "dropout.NAME" (the covariates in sorted
// order of their names).
func NewFittedCovariateBGF(dropoutAtZero bool, p Params) (*FittedCovariateBGF, error) {
	m := CovariateBGF{DropoutAtZero: dropoutAtZero}
	v, err := paramValues(m.Name(), p, bgfNames...)
	if err != nil {
		return nil, err
	}
	if err := checkBGFParams(m.Name(), v[0], v[1], v[2], v[3]); err != nil {
		return nil, err
	}
	f := &FittedCovariateBGF{R: v[0], Alpha: v[1], A: v[2], B: v[3], DropoutAtZero: dropoutAtZero, PlainLogLikelihood: math.NaN()}
	for _, name := range p.Names() {
		process, cov, ok := strings.Cut(name, ".")
		if !ok {
			if !slices.Contains(bgfNames, name) {
				return nil, fmt.Errorf("%s: unknown parameter %s (want r, alpha, a, b, purchase.NAME and dropout.NAME)", m.Name(), name)
			}
			continue
		}
		g := p[name]
		if !finite(g) {
			return nil, fmt.Errorf("%s: coefficient %s = %v must be finite", m.Name(), name, g)
		}
		switch process {
		case "purchase":
			f.PurchaseNames, f.GammaPurchase = append(f.PurchaseNames, cov), append(f.GammaPurchase, g)
		case "dropout":
			f.DropoutNames, f.GammaDropout = append(f.DropoutNames, cov), append(f.GammaDropout, g)
		default:
			return nil, fmt.Errorf("%s: parameter %s: a coefficient is named purchase.NAME or dropout.NAME", m.Name(), name)
		}
	}
	f.FitResult = givenBGFResult(m.Name(), f.R, f.Alpha, f.A, f.B)
	for k, v := range p {
		f.FitResult.Params[k] = v
	}
	return f, nil
}

// covRows holds the data of a covariate fit.
type covRows struct {
	x, tx, T, w []float64
	zp, zd      [][]float64
	nP, nD      int
	shift       float64
	n           float64
}

func newCovRows(m CovariateBGF, d *Data, z Covariates) (*covRows, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	rs := &covRows{zp: z.Purchase, zd: z.Dropout}
	if m.DropoutAtZero {
		rs.shift = 1
	}
	for what, cols := range map[string][][]float64{"purchase": z.Purchase, "dropout": z.Dropout} {
		if cols != nil && len(cols) != d.Len() {
			return nil, fmt.Errorf("%s: %d rows of %s covariates for %d customers", m.Name(), len(cols), what, d.Len())
		}
	}
	rs.nP, rs.nD = covWidth(z.Purchase), covWidth(z.Dropout)
	if len(z.PurchaseNames) != rs.nP || len(z.DropoutNames) != rs.nD {
		return nil, fmt.Errorf("%s: %d purchase and %d dropout covariate names for %d and %d columns", m.Name(), len(z.PurchaseNames), len(z.DropoutNames), rs.nP, rs.nD)
	}
	for i := range d.Len() {
		c := d.Customer(i)
		for _, row := range [][]float64{covRow(z.Purchase, i), covRow(z.Dropout, i)} {
			for _, v := range row {
				if !finite(v) {
					return nil, fmt.Errorf("%s: row %d: covariate %v must be finite", m.Name(), i+1, v)
				}
			}
		}
		if len(covRow(z.Purchase, i)) != rs.nP || len(covRow(z.Dropout, i)) != rs.nD {
			return nil, fmt.Errorf("%s: row %d: the covariate rows differ in length", m.Name(), i+1)
		}
		rs.x, rs.tx, rs.T, rs.w = append(rs.x, c.Frequency), append(rs.tx, bgfRecency(c)), append(rs.T, c.T), append(rs.w, d.W(i))
		rs.n += d.W(i)
	}
	return rs, nil
}

func covWidth(cols [][]float64) int {
	if len(cols) == 0 {
		return 0
	}
	return len(cols[0])
}

func covRow(cols [][]float64, i int) []float64 {
	if cols == nil {
		return nil
	}
	return cols[i]
}

// individual returns customer i's (α_i, a_i, b_i) at θ = (ln r, ln α,
// ln a, ln b, γ_P..., γ_D...).
func (rs *covRows) individual(theta []float64, i int) (alpha, a, b float64) {
	var lp, ld float64
	for j, v := range covRow(rs.zp, i) {
		lp += theta[4+j] * v
	}
	for j, v := range covRow(rs.zd, i) {
		ld += theta[4+rs.nP+j] * v
	}
	return math.Exp(theta[1] - lp), math.Exp(theta[2] + ld), math.Exp(theta[3] + ld)
}

// logLik returns the total log-likelihood at θ and, when grad is not nil,
// its gradient in θ.
func (rs *covRows) logLik(theta, grad []float64) float64 {
	if grad != nil {
		clear(grad)
	}
	r := math.Exp(theta[0])
	total := 0.0
	var g [4]float64
	for i := range rs.x {
		alpha, a, b := rs.individual(theta, i)
		m := cnbdkModel{k: 1, r: r, alpha: alpha, a: a, b: b, shift: rs.shift}
		px := m.perOne(rs.x[i], grad != nil)
		ll := m.rowLogLik(rs.x[i], rs.tx[i], rs.T[i], &px, grad != nil, &g)
		w := rs.w[i]
		total += w * ll
		if grad == nil {
			continue
		}
		grad[0] += w * g[0] * r
		grad[1] += w * g[1] * alpha
		grad[2] += w * g[2] * a
		grad[3] += w * g[3] * b
		for j, v := range covRow(rs.zp, i) {
			grad[4+j] -= w * g[1] * alpha * v
		}
		for j, v := range covRow(rs.zd, i) {
			grad[4+rs.nP+j] += w * (g[2]*a + g[3]*b) * v
		}
	}
	if math.IsNaN(total) {
		return math.Inf(-1)
	}
	return total
}

// FitCovariateBGF fits m on d with covariates z by maximum likelihood
// (LBFGS on ln r, ln α, ln a, ln b and the coefficients, from the plain
// model's fit with every coefficient 0). Standard errors come from the
// observed information, by central differences of the analytic gradient;
// those of r, α, a, b by the delta method.
func FitCovariateBGF(ctx context.Context, m CovariateBGF, d *Data, z Covariates, o FitOptions) (*FittedCovariateBGF, error) {
	rs, err := newCovRows(m, d, z)
	if err != nil {
		return nil, err
	}
	var plain *FitResult
	if err := checkCovariateNames(m.Name(), z); err != nil {
		return nil, err
	}
	if m.DropoutAtZero {
		f, err := FitMBGNBD(ctx, d, o)
		if f == nil {
			return nil, err
		}
		plain = f.Result()
	} else {
		f, err := FitBGNBD(ctx, d, o)
		if f == nil {
			return nil, err
		}
		plain = f.Result()
	}
	theta0 := make([]float64, 4+rs.nP+rs.nD)
	for i, name := range bgfNames {
		theta0[i] = math.Log(plain.Params[name])
	}
	problem := optimize.Problem{
		Func: func(th []float64) float64 { return -rs.logLik(th, nil) / rs.n },
		Grad: func(g, th []float64) {
			rs.logLik(th, g)
			for i := range g {
				g[i] /= -rs.n
			}
		},
	}
	settings := &optimize.Settings{GradientThreshold: 1e-9, MajorIterations: max(o.MaxIterations, 1000)}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	res, err := optimize.Minimize(problem, theta0, settings, &optimize.LBFGS{})
	if res == nil {
		return nil, fmt.Errorf("%s: %w", m.Name(), err)
	}
	f, err := rs.result(m, z, res, err)
	if f != nil {
		f.PlainLogLikelihood = plain.LogLikelihood
	}
	return f, err
}

// checkCovariateNames checks that the covariate names of each process are
// distinct and free of dots, so that "purchase.NAME" names one
// coefficient.
func checkCovariateNames(model string, z Covariates) error {
	for process, names := range map[string][]string{"purchase": z.PurchaseNames, "dropout": z.DropoutNames} {
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || strings.Contains(n, ".") || seen[n] {
				return fmt.Errorf("%s: %s covariate name %q must be non-empty, without '.', and given once", model, process, n)
			}
			seen[n] = true
		}
	}
	return nil
}

// result turns the optimizer's point into the fitted model with its
// standard errors.
func (rs *covRows) result(m CovariateBGF, z Covariates, res *optimize.Result, optErr error) (*FittedCovariateBGF, error) {
	th := res.X
	f := &FittedCovariateBGF{R: math.Exp(th[0]), Alpha: math.Exp(th[1]), A: math.Exp(th[2]), B: math.Exp(th[3]),
		GammaPurchase: append([]float64(nil), th[4:4+rs.nP]...), GammaDropout: append([]float64(nil), th[4+rs.nP:]...),
		PurchaseNames: slices.Clone(z.PurchaseNames), DropoutNames: slices.Clone(z.DropoutNames),
		DropoutAtZero: m.DropoutAtZero}
	names := append([]string(nil), bgfNames...)
	for _, n := range z.PurchaseNames {
		names = append(names, "purchase."+n)
	}
	for _, n := range z.DropoutNames {
		names = append(names, "dropout."+n)
	}
	ll := rs.logLik(th, nil)
	k := float64(len(th))
	fr := &FitResult{Model: m.Name(), Params: Params{}, StdErrors: Params{}, HasLikelihood: true, LogLikelihood: ll,
		AIC: 2*k - 2*ll, BIC: k*math.Log(rs.n) - 2*ll, Customers: rs.n, Method: "LBFGS", Iterations: res.Stats.MajorIterations,
		MaxRelativeSE: math.Inf(1), ConditionNumber: math.Inf(1)}
	g := make([]float64, len(th))
	rs.logLik(th, g)
	fr.GradientNorm = mat.Norm(mat.NewVecDense(len(g), g), 2) / rs.n
	// A line search that fails at a point whose gradient is already below
	// the package's tolerance has reached the maximum.
	if optErr != nil && fr.GradientNorm < gradientTolerance {
		optErr = nil
	}
	fr.Converged = optErr == nil
	se := rs.standardErrors(th)
	for i, name := range names {
		v := th[i]
		s := se[i]
		if i < 4 {
			v = math.Exp(v)
			s *= v
		}
		fr.Params[name] = v
		if finite(s) {
			fr.StdErrors[name] = s
		}
	}
	f.FitResult = fr
	if optErr != nil {
		return f, &ConvergenceError{Result: fr, Reason: optErr.Error(), Option: OptionPenalty}
	}
	return f, nil
}

// standardErrors returns the square roots of the diagonal of the inverse
// observed information in θ (NaN when it is not positive definite).
func (rs *covRows) standardErrors(th []float64) []float64 {
	n := len(th)
	h := mat.NewSymDense(n, nil)
	gp, gm := make([]float64, n), make([]float64, n)
	cols := make([][]float64, n)
	for j := range n {
		step := 1e-5 * math.Max(1, math.Abs(th[j]))
		t := append([]float64(nil), th...)
		t[j] = th[j] + step
		rs.logLik(t, gp)
		t[j] = th[j] - step
		rs.logLik(t, gm)
		cols[j] = make([]float64, n)
		for i := range n {
			cols[j][i] = -(gp[i] - gm[i]) / (2 * step)
		}
	}
	for i := range n {
		for j := i; j < n; j++ {
			h.SetSym(i, j, (cols[i][j]+cols[j][i])/2)
		}
	}
	out := make([]float64, n)
	var chol mat.Cholesky
	if !chol.Factorize(h) {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	for i := range n {
		out[i] = math.Sqrt(inv.At(i, i))
	}
	return out
}

// Result returns the estimates and the fit's diagnostics.
func (f *FittedCovariateBGF) Result() *FitResult { return f.FitResult }

// Customer returns the plain model of the customer with covariates zp,
// zd: a *FittedBGNBD or *FittedMBGNBD at (r, α_i, a_i, b_i), whose
// predictions (P(alive), E[Y(t) | history], CLV) are hers.
func (f *FittedCovariateBGF) Customer(zp, zd []float64) (FittedPurchases, error) {
	if len(zp) != len(f.GammaPurchase) || len(zd) != len(f.GammaDropout) {
		return nil, fmt.Errorf("%s: %d purchase and %d dropout covariates, want %d and %d", f.Model, len(zp), len(zd), len(f.GammaPurchase), len(f.GammaDropout))
	}
	var lp, ld float64
	for j, v := range zp {
		lp += f.GammaPurchase[j] * v
	}
	for j, v := range zd {
		ld += f.GammaDropout[j] * v
	}
	alpha, a, b := f.Alpha*math.Exp(-lp), f.A*math.Exp(ld), f.B*math.Exp(ld)
	if f.DropoutAtZero {
		return NewFittedMBGNBD(f.R, alpha, a, b)
	}
	return NewFittedBGNBD(f.R, alpha, a, b)
}

// LikelihoodRatioTest compares a model with its restriction (the
// covariate model with the plain one): the statistic 2(ℓ_full −
// ℓ_restricted) is asymptotically χ² with df degrees of freedom (the
// number of coefficients) under the restriction; p is its upper tail
// probability.
func LikelihoodRatioTest(llFull, llRestricted float64, df int) (stat, p float64, err error) {
	if df < 1 || !finite(llFull) || !finite(llRestricted) {
		return math.NaN(), math.NaN(), fmt.Errorf("likelihood-ratio test: need finite log-likelihoods and df ≥ 1, got %v, %v, %d", llFull, llRestricted, df)
	}
	stat = max(0, 2*(llFull-llRestricted))
	return stat, distuv.ChiSquared{K: float64(df)}.Survival(stat), nil
}
