package models

import (
	"context"
	"fmt"
	"math"

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

// FittedCovariateBGF is a fitted CovariateBGF.
type FittedCovariateBGF struct {
	R, Alpha, A, B float64
	GammaPurchase  []float64
	GammaDropout   []float64
	DropoutAtZero  bool
	*FitResult
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
	return rs.result(m, z, res, err)
}

// result turns the optimizer's point into the fitted model with its
// standard errors.
func (rs *covRows) result(m CovariateBGF, z Covariates, res *optimize.Result, optErr error) (*FittedCovariateBGF, error) {
	th := res.X
	f := &FittedCovariateBGF{R: math.Exp(th[0]), Alpha: math.Exp(th[1]), A: math.Exp(th[2]), B: math.Exp(th[3]),
		GammaPurchase: append([]float64(nil), th[4:4+rs.nP]...), GammaDropout: append([]float64(nil), th[4+rs.nP:]...),
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
