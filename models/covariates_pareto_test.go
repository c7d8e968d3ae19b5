package models

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// pcovTruth are the parameters of the simulated covariate Pareto/NBD
// bases: three covariates z = (vip, score, tenure), vip binary, the others
// standard normal; vip enters both processes, score only the purchase
// process and tenure only the dropout process.
var pcovTruth = struct {
	r, alpha, s, beta float64
	gp, gd            []float64 // per simulated column (0: not in the process)
}{0.7, 6, 0.9, 12, []float64{0.6, -0.4, 0}, []float64{0.5, 0, 0.3}}

// simulatePCov draws n customers with coefficients gp, gd (per simulated
// column) and returns their summary, calibration data and covariates in
// the model's layout (purchase: vip, score; dropout: vip, tenure).
func simulatePCov(t testing.TB, n int, seed uint64, gp, gd []float64) (*datasets.Summary, *Data, Covariates) {
	t.Helper()
	s, z, err := datasets.SimulateCovariates(datasets.CovariateConfig{
		Base: datasets.ErlangConfig{Customers: n, Acquisition: 12, Calibration: 52, Holdout: 26, Unit: datasets.Week, Seed: seed},
		R:    pcovTruth.r, Alpha: pcovTruth.alpha, ParetoNBD: true, S: pcovTruth.s, Beta: pcovTruth.beta,
		GammaPurchase: gp, GammaDropout: gd, Binary: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := &Data{}
	cov := Covariates{PurchaseNames: []string{"vip", "score"}, DropoutNames: []string{"vip", "tenure"}}
	for i, c := range s.Customers {
		d.Frequency = append(d.Frequency, c.Frequency)
		d.Recency = append(d.Recency, c.Recency)
		d.T = append(d.T, c.T)
		cov.Purchase = append(cov.Purchase, []float64{z[i][0], z[i][1]})
		cov.Dropout = append(cov.Dropout, []float64{z[i][0], z[i][2]})
	}
	return s, d, cov
}

// zeroCovariates returns z with every value set to 0.
func zeroCovariates(z Covariates) Covariates {
	out := z
	out.Purchase, out.Dropout = make([][]float64, len(z.Purchase)), make([][]float64, len(z.Dropout))
	for i := range out.Purchase {
		out.Purchase[i] = make([]float64, len(z.Purchase[i]))
		out.Dropout[i] = make([]float64, len(z.Dropout[i]))
	}
	return out
}

// TestCovariateParetoRowMatchesPlain checks the per-customer
// log-likelihood of the covariate model (pnbdLogJc, both orientations)
// against the plain model's LogLikelihood (paretoLogJ, another code path)
// at the customer's (α_i, β_i), on histories and parameters where α > β,
// α < β and α = β.
func TestCovariateParetoRowMatchesPlain(t *testing.T) {
	params := [][4]float64{{0.55, 10.6, 0.61, 11.7}, {0.55, 30, 0.61, 2}, {2, 1, 0.3, 1}, {0.3, 0.05, 4, 500}}
	hist := []Customer{{Frequency: 0, Recency: 0, T: 30}, {Frequency: 2, Recency: 10, T: 38}, {Frequency: 20, Recency: 37.9, T: 38}, {Frequency: 1, Recency: 0.5, T: 300}, {Frequency: 500, Recency: 70, T: 70}}
	for _, p := range params {
		m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		for _, c := range hist {
			var dv pcovDerivs
			got := pcovRowLogLik(newPCovTables(2), p[0], p[1], p[2], p[3], c.Frequency, pnbdRecency(c.Frequency, c.Recency, c.T), c.T, 2, &dv)
			checkClose(t, "row log-likelihood", got, m.LogLikelihood(c), 1e-12)
		}
	}
}

// TestCovariateParetoZeroMatchesPlainTable checks that, with every
// covariate 0, the covariate likelihood and its gradient and Hessian in
// (ln r, ln α, ln s, ln β) equal the plain model's table evaluation
// (pnbdData.evaluate, its own derivative code), to 1e-12 relative.
func TestCovariateParetoZeroMatchesPlainTable(t *testing.T) {
	_, d, z := simulatePCov(t, 2000, 11, pcovTruth.gp, pcovTruth.gd)
	z = zeroCovariates(z)
	rs, err := newPCovRows("test", d, z)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][4]float64{{0.7, 6, 0.9, 12}, {1.3, 20, 0.4, 3}} {
		theta := make([]float64, rs.dim())
		for i, v := range p {
			theta[i] = math.Log(v)
		}
		k := rs.dim()
		acc := make([]float64, k+k*k)
		ll := rs.eval(theta, 2, acc)
		want := newPNBDData(d).evaluate(p, 2)
		checkClose(t, "log-likelihood", ll, want.v, 1e-12)
		scale := 1e-12 * math.Abs(want.v)
		for i := range 4 {
			checkNear(t, "gradient", acc[i], want.g[i]*p[i], scale)
			for j := range 4 {
				hw := want.h[4*i+j] * p[i] * p[j]
				if i == j {
					hw += want.g[i] * p[i]
				}
				checkNear(t, "Hessian", acc[k+i*k+j], hw, scale)
			}
		}
	}
}

// pcovPoints are parameter points θ for the derivative checks, with
// coefficients away from 0 and, at the second, α ≈ β so that customers
// of both orientations (α_i ≥ β_i and α_i < β_i) occur.
var pcovPoints = [][]float64{
	{math.Log(0.7), math.Log(6), math.Log(0.9), math.Log(12), 0.6, -0.4, 0.5, 0.3},
	{0.1, 2, -0.5, 2.05, -0.7, 0.2, 0.3, -0.6},
}

// TestCovariateParetoGradient checks the analytic gradient against
// fourth-order finite differences, and the analytic Hessian against
// central differences of the analytic gradient.
func TestCovariateParetoGradient(t *testing.T) {
	_, d, z := simulatePCov(t, 400, 12, pcovTruth.gp, pcovTruth.gd)
	rs, err := newPCovRows("test", d, z)
	if err != nil {
		t.Fatal(err)
	}
	a, b := rs.orientations(pcovPoints[1])
	if a < 20 || b < 20 {
		t.Fatalf("%d customers with α_i ≥ β_i and %d with α_i < β_i: want both orientations", a, b)
	}
	checkGradient(t, rs.logLik, pcovPoints, 1e-7)
	k := rs.dim()
	for _, th := range pcovPoints {
		acc := make([]float64, k+k*k)
		rs.eval(th, 2, acc)
		worst := 0.0
		for j := range k {
			h := 1e-5
			gp, gm := make([]float64, k), make([]float64, k)
			tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
			tp[j] += h
			tm[j] -= h
			rs.logLik(tp, gp)
			rs.logLik(tm, gm)
			for i := range k {
				num := (gp[i] - gm[i]) / (2 * h)
				got := acc[k+i*k+j]
				rel := math.Abs(got-num) / math.Max(math.Abs(num), 1)
				worst = math.Max(worst, rel)
				if rel > 1e-6 {
					t.Errorf("at %v: ∂²ℓ/∂θ%d∂θ%d analytic %.12g, differenced %.12g", th, i, j, got, num)
				}
			}
		}
		t.Logf("Hessian vs differenced gradient at %v: worst relative difference %.2g", th, worst)
	}
}

// orientations counts the rows with α_i ≥ β_i and with α_i < β_i at θ.
func (rs *pcovRows) orientations(theta []float64) (ge, lt int) {
	for i := range rs.x {
		if a, b := rs.individual(theta, i); a >= b {
			ge++
		} else {
			lt++
		}
	}
	return ge, lt
}

// TestCovariateParetoZeroEqualsPlain checks that with every covariate 0
// the fit is the plain Pareto/NBD fit (log-likelihood to 1e-12, estimates
// to 1e-8, coefficients 0) and that a customer's P(alive), E[Y(t)] and
// DERT are the plain model's.
func TestCovariateParetoZeroEqualsPlain(t *testing.T) {
	_, d, z := simulatePCov(t, 5000, 13, pcovTruth.gp, pcovTruth.gd)
	z = zeroCovariates(z)
	f, err := FitCovariateParetoNBD(context.Background(), d, z, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := FitParetoNBD(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "log-likelihood", f.LogLikelihood, plain.Result().LogLikelihood, 1e-12)
	got := [4]float64{f.R, f.Alpha, f.S, f.Beta}
	for i, want := range [4]float64{plain.R, plain.Alpha, plain.S, plain.Beta} {
		checkClose(t, pnbdNames[i], got[i], want, 1e-8)
	}
	for _, g := range append(f.GammaPurchase, f.GammaDropout...) {
		if g != 0 {
			t.Errorf("coefficient %v with zero covariates, want 0", g)
		}
	}
	if len(f.Warnings) == 0 || !strings.Contains(f.Warnings[0], "no standard errors") {
		t.Errorf("warnings %q: want one saying that zero covariates have no standard errors", f.Warnings)
	}
	own, err := f.ParetoNBD([]float64{0, 0}, []float64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Customer{{Frequency: 0, Recency: 0, T: 40}, {Frequency: 2, Recency: 20, T: 40}, {Frequency: 9, Recency: 39, T: 45}} {
		checkClose(t, "P(alive)", own.ProbabilityAlive(c), plain.ProbabilityAlive(c), 1e-8)
		checkClose(t, "E[Y(26)]", own.ConditionalExpectedPurchases(c, 26), plain.ConditionalExpectedPurchases(c, 26), 1e-8)
		checkClose(t, "DERT", own.DiscountedExpectedResidualPurchases(c, 0.002), plain.DiscountedExpectedResidualPurchases(c, 0.002), 1e-8)
	}
}

// pcovRecover fits n simulated customers with coefficients gp, gd and
// checks every parameter against the truth within three standard errors.
func pcovRecover(t *testing.T, n int, seed uint64, gp, gd []float64) (*FittedCovariateParetoNBD, *datasets.Summary, Covariates) {
	t.Helper()
	s, d, z := simulatePCov(t, n, seed, gp, gd)
	f, err := FitCovariateParetoNBD(context.Background(), d, z, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	truth := []struct {
		name string
		v    float64
	}{{"r", pcovTruth.r}, {"alpha", pcovTruth.alpha}, {"s", pcovTruth.s}, {"beta", pcovTruth.beta},
		{"purchase.vip", gp[0]}, {"purchase.score", gp[1]}, {"dropout.vip", gd[0]}, {"dropout.tenure", gd[2]}}
	t.Logf("%d customers, %d Newton steps", n, f.Iterations)
	t.Logf("%-15s %8s %9s %8s %6s", "parameter", "truth", "estimate", "SE", "z")
	for _, p := range truth {
		got, se := f.Params[p.name], f.StdErrors[p.name]
		t.Logf("%-15s %8.3f %9.4f %8.4f %6.2f", p.name, p.v, got, se, (got-p.v)/se)
		if !(se > 0) || math.Abs(got-p.v) > 3*se {
			t.Errorf("%s = %.4g ± %.2g, truth %v", p.name, got, se, p.v)
		}
	}
	return f, s, z
}

// TestCovariateParetoRecovery fits 50,000 customers simulated with known
// coefficients (a covariate on both processes, one on each alone) and
// checks recovery within three standard errors, a clear rejection of the
// plain model by the likelihood-ratio test, and the predicted holdout
// purchases per covariate group against the simulated ones.
func TestCovariateParetoRecovery(t *testing.T) {
	f, s, z := pcovRecover(t, 50000, 3, pcovTruth.gp, pcovTruth.gd)
	stat, p, err := f.LikelihoodRatio()
	if err != nil || !(p < 1e-12) {
		t.Errorf("likelihood-ratio test: statistic %v, p %v (%v); want a clear rejection", stat, p, err)
	}
	t.Logf("likelihood ratio %.1f on 4 df, p = %.3g", stat, p)
	// Holdout purchases of the VIP and other customers: predicted with
	// each one's covariates, against the simulated count.
	var pred, actual [2]float64
	for i, c := range s.Customers {
		m, err := f.Customer(z.Purchase[i], z.Dropout[i])
		if err != nil {
			t.Fatal(err)
		}
		g := int(z.Purchase[i][0])
		pred[g] += m.ConditionalExpectedPurchases(Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}, c.DurationHoldout)
		actual[g] += c.FrequencyHoldout
	}
	for g := range 2 {
		// Poisson noise of the total alone is about 1%; the per-customer
		// rates add estimation error of the same order.
		if math.Abs(pred[g]/actual[g]-1) > 0.04 {
			t.Errorf("vip = %d: predicted %.0f holdout purchases, simulated %.0f", g, pred[g], actual[g])
		}
		t.Logf("vip = %d: predicted %.0f holdout purchases, simulated %.0f", g, pred[g], actual[g])
	}
}

// TestCovariateParetoNoEffect fits 10,000 customers whose covariates have
// no effect: every coefficient lies within three standard errors of 0 and
// the likelihood-ratio test does not reject the plain model at 0.1%.
func TestCovariateParetoNoEffect(t *testing.T) {
	f, _, _ := pcovRecover(t, 10000, 4, []float64{0, 0, 0}, []float64{0, 0, 0})
	stat, p, err := f.LikelihoodRatio()
	if err != nil || !(p > 1e-3) {
		t.Errorf("likelihood-ratio test: statistic %v, p %v (%v); want no rejection", stat, p, err)
	}
	t.Logf("likelihood ratio %.2f on 4 df, p = %.3g", stat, p)
}

// TestCovariateParetoMerging checks that identical (history, covariate)
// rows are merged into weights without changing the likelihood.
func TestCovariateParetoMerging(t *testing.T) {
	_, d, z := simulatePCov(t, 300, 14, pcovTruth.gp, pcovTruth.gd)
	twice := &Data{Frequency: append(d.Frequency, d.Frequency...), Recency: append(d.Recency, d.Recency...), T: append(d.T, d.T...)}
	z2 := z
	z2.Purchase, z2.Dropout = append(z.Purchase, z.Purchase...), append(z.Dropout, z.Dropout...)
	one, err := newPCovRows("test", d, z)
	if err != nil {
		t.Fatal(err)
	}
	two, err := newPCovRows("test", twice, z2)
	if err != nil {
		t.Fatal(err)
	}
	if len(two.x) != len(one.x) || two.n != 2*one.n {
		t.Errorf("doubled table: %d rows of weight %v, want %d of weight %v", len(two.x), two.n, len(one.x), 2*one.n)
	}
	th := pcovPoints[0]
	checkClose(t, "doubled log-likelihood", two.eval(th, 0, nil), 2*one.eval(th, 0, nil), 1e-13)
}

// TestCovariateParetoInputErrors checks that bad covariates are errors
// that say what is wrong.
func TestCovariateParetoInputErrors(t *testing.T) {
	d := &Data{Frequency: []float64{1, 0}, Recency: []float64{3, 0}, T: []float64{10, 8}}
	good := func() Covariates {
		return Covariates{Purchase: [][]float64{{1}, {0}}, PurchaseNames: []string{"vip"}}
	}
	cases := []struct {
		name string
		edit func(*Covariates)
		want string
	}{
		{"short", func(z *Covariates) { z.Purchase = z.Purchase[:1] }, "1 rows of purchase covariates for 2 customers"},
		{"names", func(z *Covariates) { z.PurchaseNames = nil }, "0 purchase covariate names for 1 columns"},
		{"ragged", func(z *Covariates) { z.Purchase[1] = []float64{0, 1} }, "row 2: 2 purchase covariates, want 1"},
		{"NaN", func(z *Covariates) { z.Purchase[0][0] = math.NaN() }, "row 1: purchase covariate vip = NaN must be finite"},
		{"orphan names", func(z *Covariates) { z.DropoutNames = []string{"x"} }, "1 dropout covariate names but no dropout covariates"},
	}
	for _, c := range cases {
		z := good()
		c.edit(&z)
		_, err := FitCovariateParetoNBD(context.Background(), d, z, FitOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	f := &FittedCovariateParetoNBD{GammaPurchase: []float64{1}, FitResult: &FitResult{Model: "paretonbd_cov"}}
	if _, err := f.Customer(nil, nil); err == nil {
		t.Error("Customer with too few covariates: no error")
	}
}

// BenchmarkCovariateParetoLogLik measures one evaluation of the
// log-likelihood with its gradient and Hessian on 50,000 customers.
func BenchmarkCovariateParetoLogLik(b *testing.B) {
	_, d, z := simulatePCov(b, 50000, 3, pcovTruth.gp, pcovTruth.gd)
	rs, err := newPCovRows("bench", d, z)
	if err != nil {
		b.Fatal(err)
	}
	k := rs.dim()
	acc := make([]float64, k+k*k)
	for b.Loop() {
		clear(acc)
		rs.eval(pcovPoints[0], 2, acc)
	}
}

// BenchmarkCovariateParetoFit measures the whole fit (the plain
// Pareto/NBD start included) on 50,000 customers.
func BenchmarkCovariateParetoFit(b *testing.B) {
	_, d, z := simulatePCov(b, 50000, 3, pcovTruth.gp, pcovTruth.gd)
	for b.Loop() {
		if _, err := FitCovariateParetoNBD(context.Background(), d, z, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParetoFitPlain is the plain Pareto/NBD fit on the same
// customers, for the ratio of the two.
func BenchmarkParetoFitPlain(b *testing.B) {
	_, d, _ := simulatePCov(b, 50000, 3, pcovTruth.gp, pcovTruth.gd)
	for b.Loop() {
		if _, err := FitParetoNBD(context.Background(), d, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The covariate Pareto/NBD is a covariate model like the BG family.
var (
	_ CovariateModel   = CovariateParetoNBD{}
	_ FittedCovariates = (*FittedCovariateParetoNBD)(nil)
)

// TestCovariateParetoRebuild rebuilds a model from saved parameters: the
// covariates come back in sorted order per process, a customer's model
// has her α_i and β_i, and bad parameters are errors.
func TestCovariateParetoRebuild(t *testing.T) {
	p := Params{"r": 0.7, "alpha": 6, "s": 0.9, "beta": 12, "purchase.vip": 0.6, "dropout.vip": 0.5, "dropout.tenure": 0.3}
	f, err := NewFittedCovariateParetoNBD(p)
	if err != nil {
		t.Fatal(err)
	}
	pn, dn := f.CovariateNames()
	if strings.Join(pn, ",") != "vip" || strings.Join(dn, ",") != "tenure,vip" {
		t.Errorf("covariates %v and %v, want [vip] and [tenure vip]", pn, dn)
	}
	m, err := f.ParetoNBD([]float64{1}, []float64{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "alpha_i", m.Alpha, 6*math.Exp(-0.6), 1e-15)
	checkClose(t, "beta_i", m.Beta, 12*math.Exp(-0.5-2*0.3), 1e-15)
	if !math.IsNaN(f.PlainLL()) {
		t.Errorf("rebuilt model: plain log-likelihood %v, want NaN", f.PlainLL())
	}
	for _, c := range []struct {
		edit func(Params)
		want string
	}{
		{func(p Params) { delete(p, "beta") }, "parameter beta is missing"},
		{func(p Params) { p["k"] = 2 }, "unknown parameter k"},
		{func(p Params) { p["spend.x"] = 2 }, "a coefficient is named purchase.NAME or dropout.NAME"},
		{func(p Params) { p["dropout.x"] = math.Inf(1) }, "coefficient dropout.x = +Inf must be finite"},
		{func(p Params) { p["s"] = -1 }, "must be a finite number > 0"},
	} {
		q := Params{}
		for k, v := range p {
			q[k] = v
		}
		c.edit(q)
		if _, err := NewFittedCovariateParetoNBD(q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parameters %v: error %v, want one containing %q", q, err, c.want)
		}
	}
}

// TestCovariateParetoEffects checks what a one-unit change does: the
// purchase rate by e^γ_P, the mean lifetime β_i/(s−1) (finite for s > 1)
// by the ratio at β·e^(−γ_D) and β, and no finite mean for s ≤ 1.
func TestCovariateParetoEffects(t *testing.T) {
	for _, s := range []float64{0.9, 1.7} {
		f, err := NewFittedCovariateParetoNBD(Params{"r": 0.7, "alpha": 6, "s": s, "beta": 12, "purchase.vip": 0.6, "dropout.vip": 0.5})
		if err != nil {
			t.Fatal(err)
		}
		eff := f.Effects()
		if len(eff) != 2 || eff[0].Process != "purchase" || eff[1].Process != "dropout" {
			t.Fatalf("effects %+v: want the purchase then the dropout coefficient", eff)
		}
		checkClose(t, "purchase rate multiplier", eff[0].RateMultiplier, (0.7/(6*math.Exp(-0.6)))/(0.7/6), 1e-14)
		if eff[0].LifetimeMultiplier != 1 || eff[1].RateMultiplier != 1 {
			t.Errorf("effects %+v: a purchase covariate leaves the lifetime, a dropout one the purchase rate alone", eff)
		}
		if s <= 1 {
			if !math.IsNaN(eff[1].LifetimeMultiplier) || !strings.Contains(eff[1].Note, "infinite") {
				t.Errorf("s = %v: lifetime effect %+v, want NaN with a note", s, eff[1])
			}
			continue
		}
		meanLife := func(beta float64) float64 { return beta / (s - 1) }
		checkClose(t, "lifetime multiplier", eff[1].LifetimeMultiplier, meanLife(12*math.Exp(-0.5))/meanLife(12), 1e-14)
	}
}

// TestCovariateParetoOneProcess fits covariates on one process only (the
// other without covariates), and a constant covariate, which the
// intercept absorbs: its fit keeps the plain model's likelihood and
// reports that it has no standard errors.
func TestCovariateParetoOneProcess(t *testing.T) {
	_, d, z := simulatePCov(t, 5000, 15, pcovTruth.gp, pcovTruth.gd)
	purchaseOnly := Covariates{Purchase: z.Purchase, PurchaseNames: z.PurchaseNames}
	f, err := FitCovariateParetoNBD(context.Background(), d, purchaseOnly, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.GammaPurchase) != 2 || len(f.GammaDropout) != 0 || !(f.StdErrors["purchase.score"] > 0) {
		t.Errorf("purchase-only fit: coefficients %v and %v, standard errors %v", f.GammaPurchase, f.GammaDropout, f.StdErrors)
	}
	if stat, p, err := f.LikelihoodRatio(); err != nil || !(p < 1e-6) {
		t.Errorf("purchase-only likelihood-ratio test: %v, %v, %v; want a rejection", stat, p, err)
	}
	constant := Covariates{Dropout: make([][]float64, d.Len()), DropoutNames: []string{"one"}}
	for i := range constant.Dropout {
		constant.Dropout[i] = []float64{1}
	}
	f, err = FitCovariateParetoNBD(context.Background(), d, constant, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "log-likelihood with a constant covariate", f.LogLikelihood, f.PlainLogLikelihood, 1e-12)
	if len(f.Warnings) == 0 || !strings.Contains(f.Warnings[0], "no standard errors") {
		t.Errorf("constant covariate: warnings %q, want one about standard errors", f.Warnings)
	}
}

// TestCovariateParetoUnits checks that the fit does not depend on the
// covariates' units and origins: with z″ = c·z + b per column (scales from
// 1e-3 to 1e3, an origin far from the data) the log-likelihood is the
// same, γ″ = γ/c with se″ = se/|c|, and ln α″ = ln α + Σ γ″b (ln β″
// likewise), even where ln β″ lies beyond the box the search keeps its
// standardized parameters in.
func TestCovariateParetoUnits(t *testing.T) {
	_, d, z := simulatePCov(t, 5000, 16, pcovTruth.gp, pcovTruth.gd)
	base, err := FitCovariateParetoNBD(context.Background(), d, z, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cp, bp := []float64{1, 1000}, []float64{0, -3}
	cd, bd := []float64{1, 1e-3}, []float64{70, 0}
	moved := z
	moved.Purchase, moved.Dropout = make([][]float64, len(z.Purchase)), make([][]float64, len(z.Dropout))
	for i := range z.Purchase {
		moved.Purchase[i] = []float64{cp[0]*z.Purchase[i][0] + bp[0], cp[1]*z.Purchase[i][1] + bp[1]}
		moved.Dropout[i] = []float64{cd[0]*z.Dropout[i][0] + bd[0], cd[1]*z.Dropout[i][1] + bd[1]}
	}
	f, err := FitCovariateParetoNBD(context.Background(), d, moved, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "log-likelihood", f.LogLikelihood, base.LogLikelihood, 1e-11)
	lnAlpha, lnBeta := math.Log(base.Alpha), math.Log(base.Beta)
	for j, name := range z.PurchaseNames {
		checkClose(t, "purchase."+name, f.GammaPurchase[j], base.GammaPurchase[j]/cp[j], 1e-6)
		checkClose(t, "se purchase."+name, f.StdErrors["purchase."+name], base.StdErrors["purchase."+name]/cp[j], 1e-4)
		lnAlpha += f.GammaPurchase[j] * bp[j]
	}
	for j, name := range z.DropoutNames {
		checkClose(t, "dropout."+name, f.GammaDropout[j], base.GammaDropout[j]/cd[j], 1e-6)
		checkClose(t, "se dropout."+name, f.StdErrors["dropout."+name], base.StdErrors["dropout."+name]/cd[j], 1e-4)
		lnBeta += f.GammaDropout[j] * bd[j]
	}
	checkClose(t, "ln alpha", math.Log(f.Alpha), lnAlpha, 1e-6)
	checkClose(t, "ln beta", math.Log(f.Beta), lnBeta, 1e-6)
	if math.Log(f.Beta) < maxLogParam {
		t.Errorf("ln beta″ = %v: the test means it to lie beyond %d", math.Log(f.Beta), maxLogParam)
	}
}
