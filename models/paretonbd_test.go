package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"gonum.org/v1/gonum/stat/distuv"
)

// pnbdPublished reads the published Pareto/NBD fit on the CDNOW sample from
// reference/published.json (Fader, Hardie & Lee 2005, Marketing Science
// 24(2)).
func pnbdPublished(t testing.TB) (Params, float64) {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		CDNOW struct {
			ParetoNBD struct {
				Params        Params  `json:"params"`
				LogLikelihood float64 `json:"log_likelihood"`
			} `json:"paretonbd"`
		} `json:"cdnow_sample"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("published.json: %v", err)
	}
	p := ref.CDNOW.ParetoNBD
	if len(p.Params) != 4 {
		t.Fatalf("published.json: cdnow_sample.paretonbd has params %v, want r, alpha, s, beta", p.Params)
	}
	return p.Params, p.LogLikelihood
}

// TestParetoNBDCDNOW reproduces the published fit on the CDNOW sample:
// estimates within 0.2% and log-likelihood within 0.05.
func TestParetoNBDCDNOW(t *testing.T) {
	d := readCDNOWSummary(t)
	want, wantLL := pnbdPublished(t)
	f, err := ParetoNBD{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	m := f.(*FittedParetoNBD)
	res := m.Result()
	for _, name := range pnbdNames {
		got := res.Params[name]
		if rel := math.Abs(got/want[name] - 1); rel > 2e-3 {
			t.Errorf("%s = %.6g, published %.6g (relative difference %.2g > 0.2%%)", name, got, want[name], rel)
		}
		if se := res.StdErrors[name]; !(se > 0) || math.IsInf(se, 0) {
			t.Errorf("standard error of %s = %v, want a finite number > 0", name, se)
		}
	}
	if math.Abs(res.LogLikelihood-wantLL) > 0.05 {
		t.Errorf("log-likelihood %.4f, published %.4f", res.LogLikelihood, wantLL)
	}
	if m.R != res.Params["r"] || m.Alpha != res.Params["alpha"] || m.S != res.Params["s"] || m.Beta != res.Params["beta"] {
		t.Errorf("fields (%v, %v, %v, %v) differ from the result's params %v", m.R, m.Alpha, m.S, m.Beta, res.Params)
	}
	if !res.Converged || res.Model != "paretonbd" || res.Customers != 2357 {
		t.Errorf("result: converged %v, model %q, customers %v", res.Converged, res.Model, res.Customers)
	}
	// The fitted maximum cannot lie below the likelihood at the published
	// point (which is rounded), and the two are close.
	pd := newPNBDData(d)
	llPub := pd.logLik([]float64{want["r"], want["alpha"], want["s"], want["beta"]}, nil)
	if res.LogLikelihood < llPub-1e-9 || res.LogLikelihood-llPub > 0.05 {
		t.Errorf("maximum %.6f vs log-likelihood at the published estimates %.6f", res.LogLikelihood, llPub)
	}
}

// pnbdFHLogLik is the log-likelihood of one history by the formula of
// Fader & Hardie's note (2005), with its 2F1 summed by
// Gauss's series in math/big (pnbdBigHyp). It needs |z| < 1, which the
// orientation guarantees, and moderate parameters (slow as z → 1).
func pnbdFHLogLik(r, alpha, s, beta, x, tx, T float64) float64 {
	c := r + s + x
	var a0 float64
	if alpha >= beta {
		f1, _ := pnbdBigHyp(c, s+1, c+1, (alpha-beta)/(alpha+tx)).Float64()
		f2, _ := pnbdBigHyp(c, s+1, c+1, (alpha-beta)/(alpha+T)).Float64()
		a0 = f1/math.Pow(alpha+tx, c) - f2/math.Pow(alpha+T, c)
	} else {
		f1, _ := pnbdBigHyp(c, r+x, c+1, (beta-alpha)/(beta+tx)).Float64()
		f2, _ := pnbdBigHyp(c, r+x, c+1, (beta-alpha)/(beta+T)).Float64()
		a0 = f1/math.Pow(beta+tx, c) - f2/math.Pow(beta+T, c)
	}
	pre := lgamma(r+x) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta)
	return pre + math.Log(1/(math.Pow(alpha+T, r+x)*math.Pow(beta+T, s))+s/c*a0)
}

// pnbdLifetimeLik integrates the Pareto/NBD likelihood over the lifetime τ
// (Schmittlein et al. 1987): with λ integrated out, a customer alive
// throughout contributes Γ(r+x)α^r/Γ(r)·(α+T)^−(r+x) with probability
// (β/(β+T))^s, and one who dies at τ ∈ (t_x, T] contributes
// Γ(r+x)α^r/Γ(r)·(α+τ)^−(r+x) with density sβ^s(β+τ)^−(s+1). The integral
// over τ is taken by composite Simpson's rule with n panels, scaled by the
// integrand at t_x (its maximum). It returns ln L and ln of the alive term.
func pnbdLifetimeLik(r, alpha, s, beta, x, tx, T float64, n int) (ll, alive float64) {
	pre := lgamma(r+x) - lgamma(r) + r*math.Log(alpha) + s*math.Log(beta)
	lf := func(tau float64) float64 { return -(r+x)*math.Log(alpha+tau) - (s+1)*math.Log(beta+tau) }
	ref := lf(tx)
	h := (T - tx) / float64(n)
	sum := 0.0
	for i := 0; i <= n; i++ {
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		sum += w * math.Exp(lf(tx+float64(i)*h)-ref)
	}
	integral := math.Log(s) + ref + math.Log(sum*h/3)
	alive = -(r+x)*math.Log(alpha+T) - s*math.Log(beta+T)
	if T == tx {
		return pre + alive, alive
	}
	return pre + logAddExp(alive, integral), alive
}

// pnbdHistories are histories (x, t_x, T) in weeks covering the regions the
// likelihood's pieces reach.
var pnbdHistories = [][3]float64{
	{0, 0, 38.86}, {0, 0, 0.5}, {1, 1.71, 38.86}, {2, 30.43, 38.86}, {7, 35, 36},
	{3, 38.86, 38.86}, {29, 37.5, 38.9}, {15, 2, 30}, {1, 0.14, 1},
}

// TestParetoNBDLikelihoodIndependent checks the per-customer log-likelihood
// against two independent computations: the 2F1 formula of Fader & Hardie's
// note with the series in math/big, and numerical integration of the
// defining integral over the lifetime (Simpson, 2·10⁵ panels).
func TestParetoNBDLikelihoodIndependent(t *testing.T) {
	params := [][4]float64{
		{0.55315, 10.57633, 0.60625, 11.67150}, // CDNOW, α < β
		{0.55315, 11.67150, 0.60625, 10.57633}, // α > β
		{2.1, 7.3, 1.4, 7.3},                   // α = β
		{0.8, 3, 2.5, 25},                      // α ≪ β
		{1.5, 40, 0.3, 2},                      // α ≫ β
	}
	for _, p := range params {
		m, err := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range pnbdHistories {
			c := Customer{Frequency: h[0], Recency: h[1], T: h[2]}
			got := m.LogLikelihood(c)
			fh := pnbdFHLogLik(p[0], p[1], p[2], p[3], h[0], h[1], h[2])
			num, alive := pnbdLifetimeLik(p[0], p[1], p[2], p[3], h[0], h[1], h[2], 200000)
			if math.Abs(got-fh) > 1e-11*math.Max(1, math.Abs(fh)) {
				t.Errorf("params %v history %v: ln L = %.15g, Fader–Hardie 2F1 formula %.15g", p, h, got, fh)
			}
			if math.Abs(got-num) > 1e-10*math.Max(1, math.Abs(num)) {
				t.Errorf("params %v history %v: ln L = %.15g, lifetime integral %.15g", p, h, got, num)
			}
			pa := m.ProbabilityAlive(c)
			wantPA := math.Exp(lgamma(p[0]+h[0]) - lgamma(p[0]) + p[0]*math.Log(p[1]) + p[2]*math.Log(p[3]) + alive - num)
			if math.Abs(pa-wantPA) > 1e-10 {
				t.Errorf("params %v history %v: P(alive) = %.15g, from the lifetime integral %.15g", p, h, pa, wantPA)
			}
		}
	}
}

// TestParetoNBDLogLikMatchesRows checks that the fitting likelihood (with
// its per-frequency and t_x = 0 shortcuts and weights) equals the sum of the
// per-customer log-likelihoods, here on the CDNOW sample.
func TestParetoNBDLogLikMatchesRows(t *testing.T) {
	d := readCDNOWSummary(t)
	want, _ := pnbdPublished(t)
	p := []float64{want["r"], want["alpha"], want["s"], want["beta"]}
	m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
	sum := 0.0
	for i := 0; i < d.Len(); i++ {
		sum += m.LogLikelihood(d.Customer(i))
	}
	if got := newPNBDData(d).logLik(p, nil); math.Abs(got-sum) > 1e-9*math.Abs(sum) {
		t.Errorf("likelihood of the table %.10f, sum over customers %.10f", got, sum)
	}
	// Doubling every weight doubles the log-likelihood.
	dw := *d
	dw.Weight = make([]float64, d.Len())
	for i := range dw.Weight {
		dw.Weight[i] = 2
	}
	if got := newPNBDData(&dw).logLik(p, nil); math.Abs(got-2*sum) > 1e-9*math.Abs(sum) {
		t.Errorf("with weight 2 the log-likelihood is %.10f, want %.10f", got, 2*sum)
	}
}

// pnbdOneRow returns the likelihood of a single history as a function of
// (r, α, s, β), for the gradient checks.
func pnbdOneRow(x, tx, T float64) func(p, grad []float64) float64 {
	pd := newPNBDData(&Data{Frequency: []float64{x}, Recency: []float64{tx}, T: []float64{T}})
	return pd.logLik
}

// pnbdDerivPoints are the parameter points of the gradient and Hessian
// checks: both orientations, α = β and α ≈ β, the quadrature path, and
// small and large shapes.
var pnbdDerivPoints = [][]float64{
	{0.55315, 10.57633, 0.60625, 11.67150}, // α < β
	{0.55315, 11.67150, 0.60625, 10.57633}, // α > β
	{2.1, 7.3, 1.4, 7.3},                   // α = β
	{2.1, 7.3, 1.4, 7.3 * (1 + 1e-10)},     // α ≈ β
	{0.8, 3, 2.5, 25},                      // α ≪ β
	{1.5, 40, 0.3, 0.05},                   // α ≫ β: quadrature path at small t_x
	{0.02, 0.5, 0.01, 300},                 // small shapes
	{30, 2, 40, 900},                       // large shapes
}

// pnbdDerivHistories are the single histories of the derivative checks:
// large x, t_x = T, x = 0, and the histories of pnbdHistories.
var pnbdDerivHistories = append([][3]float64{{1000, 37, 38.9}, {1000, 0.5, 1000}, {500, 999, 1000}, {0, 0, 1000}}, pnbdHistories...)

// pnbdCDNOWSub returns every 7th CDNOW customer: 337 customers, 212
// distinct histories, 120 distinct (x, t_x) and 195 distinct (x, T) pairs,
// so that the likelihood takes the pair path.
func pnbdCDNOWSub(t testing.TB) *Data {
	d := readCDNOWSummary(t)
	sub := &Data{}
	for i := 0; i < d.Len(); i += 7 {
		sub.Frequency = append(sub.Frequency, d.Frequency[i])
		sub.Recency = append(sub.Recency, d.Recency[i])
		sub.T = append(sub.T, d.T[i])
	}
	return sub
}

// TestParetoNBDGradient checks the analytic gradient against fourth-order
// central differences to 1e-6 relative, on single histories (x = 0, large
// x, t_x = T) and on a CDNOW subsample, at α < β, α > β, α ≈ β and α = β.
func TestParetoNBDGradient(t *testing.T) {
	for _, h := range pnbdDerivHistories {
		checkGradient(t, pnbdOneRow(h[0], h[1], h[2]), pnbdDerivPoints, 1e-6)
	}
	// Rows that share the per-x tables and the pairs.
	pd := newPNBDData(pnbdCDNOWSub(t))
	if pd.r1 == nil {
		t.Fatal("the CDNOW subsample does not take the pair path")
	}
	checkGradient(t, pd.logLik, pnbdDerivPoints, 1e-6)
}

// checkHessian compares the analytic Hessian hess(p) (row-major) with
// fourth-order central differences (the stencil of gradCentral5, step
// h = 1e-3·p_j) of the analytic gradient of f, at every point. An entry
// passes when
//
//	|H_ij − fd| ≤ relTol·max(|H_ij|, |fd|, 1e-6·√|H_ii·H_jj|) + noise,
//
// noise = 1e3·ε·(max_k |g_k| + 1)/h bounding the round-off of the
// difference quotient; it also checks that the Hessian is symmetric.
func checkHessian(t *testing.T, f func(p, grad []float64) float64, hess func(p []float64) []float64, points [][]float64, relTol float64) {
	t.Helper()
	for _, p := range points {
		k := len(p)
		H := hess(p)
		g0 := make([]float64, k)
		f(p, g0)
		gmax := 0.0
		for _, v := range g0 {
			gmax = math.Max(gmax, math.Abs(v))
		}
		for j := range p {
			h := 1e-3 * p[j]
			num := make([]float64, k)
			for _, pt := range gradCentral5.Stencil {
				q := append([]float64(nil), p...)
				q[j] += pt.Loc * h
				g := make([]float64, k)
				f(q, g)
				for i := range num {
					num[i] += pt.Coeff * g[i] / h
				}
			}
			noise := 1e3 * 2.220446049250313e-16 * (gmax + 1) / h
			for i := range p {
				a := H[i*k+j]
				if !finite(a) {
					t.Errorf("at %v: H[%d][%d] = %v", p, i, j, a)
					continue
				}
				if a != H[j*k+i] {
					t.Errorf("at %v: H[%d][%d] = %v but H[%d][%d] = %v", p, i, j, a, j, i, H[j*k+i])
				}
				scale := math.Max(math.Max(math.Abs(a), math.Abs(num[i])), 1e-6*math.Sqrt(math.Abs(H[i*k+i]*H[j*k+j])))
				if d := math.Abs(a - num[i]); d > relTol*scale+noise {
					t.Errorf("at %v: H[%d][%d] analytic %.15g, differences of the gradient %.15g (relative difference %.3g)", p, i, j, a, num[i], d/scale)
				}
			}
		}
	}
}

// TestParetoNBDHessian checks the analytic Hessian that the fit's Newton
// steps and standard errors use against differences of the analytic
// gradient, to 1e-6 relative: on single histories (the row path, with the
// series and the quadrature path) and on a CDNOW subsample (the pair
// path), at the points of the gradient check.
func TestParetoNBDHessian(t *testing.T) {
	for _, h := range pnbdDerivHistories {
		pd := newPNBDData(&Data{Frequency: []float64{h[0]}, Recency: []float64{h[1]}, T: []float64{h[2]}})
		checkHessian(t, pd.logLik, pd.hessian, pnbdDerivPoints, 1e-6)
	}
	pd := newPNBDData(pnbdCDNOWSub(t))
	checkHessian(t, pd.logLik, pd.hessian, pnbdDerivPoints, 1e-6)
}

// TestParetoNBDPairsMatchRows checks that the pair path (terms computed
// once per distinct (x, t_x) and (x, T)) and the row path give the same
// log-likelihood, gradient and Hessian on the CDNOW table with weights, to
// 1e-12 relative; and that the value does not depend on the order of the
// evaluation (the cache hands an order-2 evaluation to a value request).
func TestParetoNBDPairsMatchRows(t *testing.T) {
	d := readCDNOWSummary(t)
	d.Weight = make([]float64, d.Len())
	for i := range d.Weight {
		d.Weight[i] = float64(1 + i%3)
	}
	pairs := newPNBDData(d)
	rows := newPNBDData(d)
	rows.tau, rows.p1, rows.p2, rows.r1, rows.r2 = nil, pnbdPairs{}, pnbdPairs{}, nil, nil
	if pairs.r1 == nil {
		t.Fatal("the CDNOW table does not take the pair path")
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b)) }
	for _, p := range pnbdDerivPoints {
		q := [4]float64(p)
		a, b := pairs.evaluate(q, 2), rows.evaluate(q, 2)
		if !close(a.v, b.v) {
			t.Errorf("at %v: log-likelihood %.17g on the pair path, %.17g on the row path", p, a.v, b.v)
		}
		for i := range a.g {
			if !close(a.g[i], b.g[i]) {
				t.Errorf("at %v: gradient[%d] %.17g on the pair path, %.17g on the row path", p, i, a.g[i], b.g[i])
			}
		}
		for i := range a.h {
			// Off-diagonal entries may be small next to the diagonal.
			if d := math.Abs(a.h[i] - b.h[i]); d > 1e-12*math.Sqrt(math.Abs(a.h[i/4*5]*a.h[i%4*5])) && !close(a.h[i], b.h[i]) {
				t.Errorf("at %v: Hessian[%d] %.17g on the pair path, %.17g on the row path", p, i, a.h[i], b.h[i])
			}
		}
		for _, pd := range []*pnbdData{pairs, rows} {
			v0, v1 := pd.evaluate(q, 0), pd.evaluate(q, 1)
			if v0.v != a.v && pd == pairs || v0.v != b.v && pd == rows || v1.v != v0.v {
				t.Errorf("at %v: the value depends on the order: %.17g, %.17g, %.17g", p, v0.v, v1.v, map[bool]float64{true: a.v, false: b.v}[pd == pairs])
			}
			if v1.g != map[bool]pnbdValue{true: a, false: b}[pd == pairs].g {
				t.Errorf("at %v: the gradient depends on the order", p)
			}
		}
	}
}

// TestParetoNBDDeterministic fits the same data with one and with four
// threads (rows and pairs summed in parallel chunks) and expects the same
// bits in every estimate, standard error and log-likelihood.
func TestParetoNBDDeterministic(t *testing.T) {
	cont := pnbdSimulate(t, Params{"r": 0.8, "alpha": 6, "s": 0.5, "beta": 20}, 20_000, 5)
	// Day resolution: the pair path, with more than one chunk (8192) of
	// rows and of pairs (about 34,000 rows and 14,000 pairs).
	daily := pnbdSimulate(t, Params{"r": 2, "alpha": 3, "s": 0.5, "beta": 20}, 40_000, 6)
	for i := range daily.T {
		daily.T[i] = math.Floor(daily.T[i]*7) / 7
		daily.Recency[i] = math.Min(math.Floor(daily.Recency[i]*7)/7, daily.T[i])
		if daily.T[i] == 0 {
			daily.T[i] = 1.0 / 7
		}
	}
	if pd := newPNBDData(daily); pd.r1 == nil || len(pd.p1.x)+len(pd.p2.x) <= chunkSize || pd.n <= chunkSize {
		t.Fatalf("the daily table has %d rows and %d pairs: it does not test the parallel pair path", pd.n, len(pd.p1.x)+len(pd.p2.x))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for name, d := range map[string]*Data{"continuous": cont, "daily": daily} {
		var results [2]*FitResult
		for k, procs := range []int{1, 4} {
			runtime.GOMAXPROCS(procs)
			f, err := FitParetoNBD(context.Background(), d, FitOptions{})
			if err != nil {
				t.Fatalf("%s, GOMAXPROCS %d: %v", name, procs, err)
			}
			results[k] = f.Result()
		}
		a, b := results[0], results[1]
		if a.LogLikelihood != b.LogLikelihood {
			t.Errorf("%s: log-likelihood %.17g with 1 thread, %.17g with 4", name, a.LogLikelihood, b.LogLikelihood)
		}
		for _, n := range pnbdNames {
			if a.Params[n] != b.Params[n] || a.StdErrors[n] != b.StdErrors[n] {
				t.Errorf("%s: %s = %.17g ± %.17g with 1 thread, %.17g ± %.17g with 4", name, n, a.Params[n], a.StdErrors[n], b.Params[n], b.StdErrors[n])
			}
		}
	}
}

// TestParetoNBDFinite sweeps parameters over 1e-4…1e4 and histories over
// x ≤ 1000, T ≤ 1000, 0 ≤ t_x ≤ T: the log-likelihood, its gradient and
// Hessian and the predictions must be finite, and probabilities (P(alive),
// P(X(t) = x) for x ≤ 1000 and t up to +Inf) within [0, 1].
func TestParetoNBDFinite(t *testing.T) {
	vals := []float64{1e-4, 1e-2, 1, 1e2, 1e4}
	if testing.Short() {
		vals = []float64{1e-4, 1, 1e4}
	}
	var hist [][3]float64
	for _, x := range []float64{0, 1, 30, 1000} {
		for _, T := range []float64{0.01, 39, 1000} {
			for _, f := range []float64{0, 0.3, 1} {
				if x == 0 && f > 0 {
					continue
				}
				hist = append(hist, [3]float64{x, f * T, T})
			}
		}
	}
	grad := make([]float64, 4)
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range vals {
		for _, alpha := range vals {
			for _, s := range vals {
				for _, beta := range vals {
					p := []float64{r, alpha, s, beta}
					m, _ := NewFittedParetoNBD(r, alpha, s, beta)
					ex := m.ExpectedPurchases(52)
					if !finite(ex) || ex < 0 {
						t.Errorf("params %v: E[X(52)] = %v", p, ex)
					}
					for _, x := range []int{0, 1, 30, 1000} {
						for _, tt := range []float64{0.01, 39, 1000, math.Inf(1)} {
							if pr := m.ProbabilityOfPurchases(x, tt); !(pr >= 0 && pr <= 1) {
								report("params %v: P(X(%v) = %d) = %v", p, tt, x, pr)
							}
						}
					}
					for _, h := range hist {
						pd := newPNBDData(&Data{Frequency: []float64{h[0]}, Recency: []float64{h[1]}, T: []float64{h[2]}})
						hess := pd.hessian(p)
						ll := pd.logLik(p, grad) // from the cache of the Hessian's evaluation
						c := Customer{Frequency: h[0], Recency: h[1], T: h[2]}
						pa := m.ProbabilityAlive(c)
						ey := m.ConditionalExpectedPurchases(c, 39)
						dert := m.DiscountedExpectedResidualPurchases(c, 0.003)
						// ln L may be large and positive: L is a density in t_x.
						ok := finite(ll) && pa >= 0 && pa <= 1 && finite(ey) && ey >= 0 && finite(dert) && dert >= 0
						for _, g := range grad {
							ok = ok && finite(g)
						}
						for _, v := range hess {
							ok = ok && finite(v)
						}
						if !ok {
							report("params %v history %v: ln L %v, gradient %v, Hessian %v, P(alive) %v, E[Y(39)] %v, DERT %v", p, h, ll, grad, hess, pa, ey, dert)
						}
					}
				}
			}
		}
	}
	if bad > 20 {
		t.Errorf("%d failures in all", bad)
	}
}

// TestParetoNBDExpectedPurchases checks E[X(t)] against numerical
// integration of its definition E[λ·min(τ, t)] = (r/α)∫_0^t (β/(β+u))^s du,
// taken in v = ln(β+u) as (r/α)β^s ∫ e^((1−s)v) dv (Simpson, 10⁵ panels),
// including s = 1 and s next to 1.
func TestParetoNBDExpectedPurchases(t *testing.T) {
	for _, p := range [][4]float64{{0.55, 10.6, 0.6, 11.7}, {2, 5, 1, 20}, {2, 5, 1 + 1e-9, 20}, {2, 5, 1 - 1e-7, 20}, {1, 1, 7, 0.5}} {
		m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		for _, tt := range []float64{0, 1, 39, 78, 500} {
			lb := math.Log(p[3])
			want := p[0] / p[1] * pnbdSimpson(func(v float64) float64 { return math.Exp(p[2]*lb + (1-p[2])*v) }, lb, math.Log(p[3]+tt), 100000)
			if got := m.ExpectedPurchases(tt); math.Abs(got-want) > 1e-10*math.Max(want, 1e-300) {
				t.Errorf("params %v: E[X(%v)] = %.15g, want %.15g", p, tt, got, want)
			}
		}
	}
}

// pnbdSimpson integrates f over [a, b] by composite Simpson's rule with n
// (even) panels.
func pnbdSimpson(f func(float64) float64, a, b float64, n int) float64 {
	if a == b {
		return 0
	}
	h := (b - a) / float64(n)
	sum := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(a+float64(i)*h)
	}
	return sum * h / 3
}

// TestParetoNBDConditional checks E[Y(t) | x, t_x, T] against its definition
// integrated over the lifetime: the customer buys in (T, T+t] only if alive
// at T, at posterior mean rate (r+x)/(α+T), for the expected time alive
// ∫_T^{T+t} (β/(β+v))^s dv, so that
//
//	E[Y(t) | ·] = Γ(r+x+1)α^r/(Γ(r)(α+T)^(r+x+1)) · β^s ∫_T^{T+t} (β+v)^(−s) dv / L,
//
// with L from pnbdLifetimeLik. It also checks that a customer just
// acquired (x = 0, T → 0) is expected to buy E[X(t)].
func TestParetoNBDConditional(t *testing.T) {
	for _, p := range [][4]float64{{0.55315, 10.57633, 0.60625, 11.67150}, {2.1, 7.3, 1, 7.3}, {1.5, 40, 0.3, 2}} {
		r, alpha, s, beta := p[0], p[1], p[2], p[3]
		m, _ := NewFittedParetoNBD(r, alpha, s, beta)
		for _, h := range pnbdHistories {
			x, tx, T := h[0], h[1], h[2]
			ll, _ := pnbdLifetimeLik(r, alpha, s, beta, x, tx, T, 200000)
			for _, tt := range []float64{1, 39, 300} {
				life := pnbdSimpson(func(v float64) float64 { return math.Pow((beta+T)/(beta+v), s) }, T, T+tt, 100000)
				lw := lgamma(r+x+1) - lgamma(r) + r*math.Log(alpha) - (r+x+1)*math.Log(alpha+T) + s*math.Log(beta) - s*math.Log(beta+T) + math.Log(life) - ll
				want := math.Exp(lw)
				got := m.ConditionalExpectedPurchases(Customer{Frequency: x, Recency: tx, T: T}, tt)
				if math.Abs(got-want) > 1e-9*want {
					t.Errorf("params %v history %v: E[Y(%v)] = %.15g, want %.15g", p, h, tt, got, want)
				}
			}
		}
		for _, tt := range []float64{1, 39, 300} {
			got := m.ConditionalExpectedPurchases(Customer{T: 1e-12}, tt)
			if want := m.ExpectedPurchases(tt); math.Abs(got-want) > 1e-9*want {
				t.Errorf("params %v: E[Y(%v) | new customer] = %.15g, E[X(%v)] = %.15g", p, tt, got, tt, want)
			}
		}
	}
}

// TestLogTricomiSS checks ∫_0^∞ e^(−zw)(1+w)^(−s) dw (= z^(s−1)U(s, s; z))
// against closed forms: s = 1/2 gives e^z √(π/z) erfc(√z), and integration
// by parts gives I(s+1) = (1 − z·I(s))/s, hence s = 3/2 and 5/2; s = 2 at
// large z against the asymptotic series Σ (−1)^k (s)_k / z^(k+1).
func TestLogTricomiSS(t *testing.T) {
	half := func(z float64) float64 { return math.Exp(z) * math.Sqrt(math.Pi/z) * math.Erfc(math.Sqrt(z)) }
	up := func(s float64, prev func(float64) float64) func(float64) float64 {
		return func(z float64) float64 { return (1 - z*prev(z)) / s }
	}
	threeHalves := up(0.5, half)
	fiveHalves := up(1.5, threeHalves)
	for _, z := range []float64{1e-6, 1e-3, 0.05, 1, 7.5, 40, 300} {
		for _, tc := range []struct {
			s   float64
			ref func(float64) float64
		}{{0.5, half}, {1.5, threeHalves}, {2.5, fiveHalves}} {
			want := tc.ref(z)
			// The recurrence loses accuracy at large z (1 − z·I cancels).
			tol := 1e-12
			if tc.s > 1 && z > 1 {
				tol = 1e-12 * math.Pow(z, tc.s)
			}
			if got := math.Exp(logTricomiSS(tc.s, z)); math.Abs(got-want) > tol*want {
				t.Errorf("s=%v z=%v: integral %.15g, closed form %.15g", tc.s, z, got, want)
			}
		}
	}
	// Asymptotic series at z = 1000, s = 2: terms (s)_k/z^(k+1) fall fast.
	sum, term := 0.0, 1/1000.0
	for k := 0; k < 12; k++ {
		sum += term
		term *= -(2 + float64(k)) / 1000
	}
	if got := math.Exp(logTricomiSS(2, 1000)); math.Abs(got-sum) > 1e-13*sum {
		t.Errorf("s=2 z=1000: integral %.15g, asymptotic series %.15g", got, sum)
	}
	// Extremes stay finite.
	for _, s := range []float64{1e-4, 1, 1e4} {
		for _, z := range []float64{1e-12, 1e-4, 1e4} {
			if v := logTricomiSS(s, z); !finite(v) {
				t.Errorf("logTricomiSS(%v, %v) = %v", s, z, v)
			}
		}
	}
}

// TestParetoNBDDERT checks the closed-form DERT against the discounted sum
// of increments of E[Y(t)] (DiscountedExpectedPurchases, 10 steps per unit)
// over a horizon of 60/δ units (5,000 weeks at d = 1.2% a week), where the
// discount leaves a tail below e^−60, to 1e-4 relative; and the undiscounted
// limit for s > 1 against lim_{t→∞} E[Y(t)].
func TestParetoNBDDERT(t *testing.T) {
	for _, p := range [][4]float64{{0.55315, 10.57633, 0.60625, 11.67150}, {2.1, 7.3, 1, 7.3}, {1.5, 40, 2.3, 2}} {
		m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		for _, h := range [][3]float64{{0, 0, 38.86}, {2, 30.43, 38.86}, {15, 2, 30}} {
			c := Customer{Frequency: h[0], Recency: h[1], T: h[2]}
			for _, d := range []float64{0.012, 0.1} {
				got := m.DiscountedExpectedResidualPurchases(c, d)
				horizon := 60 / math.Log1p(d)
				want := DiscountedExpectedPurchases(m, c, CLVOptions{Horizon: horizon, DiscountRate: d, Margin: 1})
				if math.Abs(got-want) > 1e-4*want {
					t.Errorf("params %v history %v d=%v: DERT %.10g, discounted sum %.10g", p, h, d, got, want)
				}
			}
			if p[2] > 1 {
				got := m.DiscountedExpectedResidualPurchases(c, 0)
				want := m.ConditionalExpectedPurchases(c, 1e12)
				if math.Abs(got-want) > 1e-6*want {
					t.Errorf("params %v history %v: undiscounted DERT %.12g, E[Y(∞)] %.12g", p, h, got, want)
				}
			} else if v := m.DiscountedExpectedResidualPurchases(c, 0); !math.IsInf(v, 1) {
				t.Errorf("params %v (s ≤ 1): undiscounted DERT = %v, want +Inf", p, v)
			}
		}
	}
	m, _ := NewFittedParetoNBD(1, 1, 1, 1)
	for _, d := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if v := m.DiscountedExpectedResidualPurchases(Customer{T: 1}, d); !math.IsNaN(v) {
			t.Errorf("DERT at discount %v = %v, want NaN", d, v)
		}
	}
}

// TestParetoNBDInvalid checks the constructor and the predictions' handling
// of invalid input.
func TestParetoNBDInvalid(t *testing.T) {
	for _, p := range [][4]float64{{0, 1, 1, 1}, {1, -1, 1, 1}, {1, 1, math.NaN(), 1}, {1, 1, 1, math.Inf(1)}} {
		if _, err := NewFittedParetoNBD(p[0], p[1], p[2], p[3]); err == nil {
			t.Errorf("NewFittedParetoNBD(%v): no error", p)
		}
	}
	m, err := NewFittedParetoNBD(1, 2, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res := m.Result(); res.Params["beta"] != 4 || res.Model != "paretonbd" || res.HasLikelihood {
		t.Errorf("Result() = %+v", res)
	}
	for _, c := range []Customer{{Frequency: -1, T: 1}, {Frequency: 1, Recency: 2, T: 1}, {Frequency: 1, T: 0}, {T: math.NaN()}} {
		if v := m.ProbabilityAlive(c); !math.IsNaN(v) {
			t.Errorf("P(alive | %+v) = %v, want NaN", c, v)
		}
		if v := m.ConditionalExpectedPurchases(c, 1); !math.IsNaN(v) {
			t.Errorf("E[Y | %+v] = %v, want NaN", c, v)
		}
	}
	if v := m.ExpectedPurchases(-1); !math.IsNaN(v) {
		t.Errorf("E[X(−1)] = %v, want NaN", v)
	}
	if _, err := (ParetoNBD{}).Fit(context.Background(), &Data{Frequency: []float64{1}, Recency: []float64{2}, T: []float64{1}}, FitOptions{}); err == nil {
		t.Error("Fit on recency > T: no error")
	}
}

// TestParetoNBDConditionalCurve checks that the curve handed to CLV equals
// ConditionalExpectedPurchases, and that FittedParetoNBD offers it.
func TestParetoNBDConditionalCurve(t *testing.T) {
	m, _ := NewFittedParetoNBD(0.55315, 10.57633, 0.60625, 11.67150)
	var _ ConditionalCurver = m
	for _, h := range pnbdHistories {
		c := Customer{Frequency: h[0], Recency: h[1], T: h[2]}
		curve := m.ConditionalCurve(c)
		for _, tt := range []float64{0, 0.5, 39, 1000} {
			if got, want := curve(tt), m.ConditionalExpectedPurchases(c, tt); got != want {
				t.Errorf("history %v t=%v: curve %v, ConditionalExpectedPurchases %v", h, tt, got, want)
			}
		}
	}
}

// TestParetoNBDStaged checks the staged fit of large tables (a coarse and,
// without pairs, a fine subsample, then Newton steps on the full table)
// against the plain optimizer (maximize from the default start) on the
// same rows, with the staging thresholds lowered so that 30,000 rows of
// continuous times count as large; and the fits with a penalty, fixed
// parameters or start values, which take other paths.
func TestParetoNBDStaged(t *testing.T) {
	stage := pnbdStaging{startRows: 10_000, coarseRows: 2_000, fineRows: 5_000}
	truth := Params{"r": 0.8, "alpha": 6, "s": 0.5, "beta": 20}
	d := pnbdSimulate(t, truth, 30_000, 99)
	f, err := fitParetoNBD(context.Background(), d, FitOptions{}, stage)
	if err != nil {
		t.Fatalf("staged fit: %v", err)
	}
	plain, err := maximize(context.Background(), newPNBDData(d).likelihood(), FitOptions{})
	if err != nil {
		t.Fatalf("plain fit: %v", err)
	}
	res := f.Result()
	if math.Abs(res.LogLikelihood-plain.LogLikelihood) > 1e-6 {
		t.Errorf("staged fit: log-likelihood %.9f, plain fit %.9f", res.LogLikelihood, plain.LogLikelihood)
	}
	for _, name := range pnbdNames {
		if got, want := res.Params[name], plain.Params[name]; math.Abs(got-want) > 1e-4*res.StdErrors[name] {
			t.Errorf("staged fit: %s = %.9g, plain fit %.9g (SE %.3g)", name, got, want, res.StdErrors[name])
		}
	}
	if res.GradientNorm > 1e-8 || !res.Converged {
		t.Errorf("staged fit: converged %v, gradient norm %.3g", res.Converged, res.GradientNorm)
	}
	// Other paths: a penalty pulls the estimates toward 1 and lowers the
	// likelihood; fixing r gives r exactly; explicit start values.
	pen, err := fitParetoNBD(context.Background(), d, FitOptions{Penalty: 0.01}, stage)
	if err != nil {
		t.Fatalf("penalized fit: %v", err)
	}
	if pen.Result().LogLikelihood > res.LogLikelihood+1e-9 || math.Abs(math.Log(pen.Beta)) >= math.Abs(math.Log(f.Beta)) {
		t.Errorf("penalized fit: LL %.6f (unpenalized %.6f), beta %.4g (unpenalized %.4g)", pen.Result().LogLikelihood, res.LogLikelihood, pen.Beta, f.Beta)
	}
	fixed, err := fitParetoNBD(context.Background(), d, FitOptions{Fixed: Params{"r": 0.8}}, stage)
	if err != nil {
		t.Fatalf("fit with r fixed: %v", err)
	}
	if fixed.R != 0.8 || fixed.Result().LogLikelihood > res.LogLikelihood+1e-9 {
		t.Errorf("fit with r fixed: r = %v, LL %.6f (free %.6f)", fixed.R, fixed.Result().LogLikelihood, res.LogLikelihood)
	}
	started, err := fitParetoNBD(context.Background(), d, FitOptions{Start: Params{"r": 1, "alpha": 1, "s": 1, "beta": 1}}, stage)
	if err != nil {
		t.Fatalf("fit from given start: %v", err)
	}
	if math.Abs(started.Result().LogLikelihood-res.LogLikelihood) > 1e-6 {
		t.Errorf("fit from given start: LL %.9f, staged %.9f", started.Result().LogLikelihood, res.LogLikelihood)
	}
}

// pnbdSimulate simulates n Pareto/NBD customers with datasets.SimulateSummary
// (acquired over 12 weeks from 1997-01-01, observed for 39 weeks, times in
// weeks, continuous time) and returns the calibration table.
func pnbdSimulate(t testing.TB, params Params, n int, seed uint64) *Data {
	t.Helper()
	start := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 7*39-1)
	s, err := datasets.SimulateSummary(datasets.SimulationConfig{
		Model: "paretonbd", Params: params, Customers: n,
		Start: start, AcquisitionDays: 84, End: end, Unit: datasets.Week, Seed: seed,
	}, end, time.Time{}, datasets.Week)
	if err != nil {
		t.Fatalf("simulating: %v", err)
	}
	x, tx, T, _, _ := s.Columns()
	return &Data{Frequency: x, Recency: tx, T: T}
}

// TestParetoNBDRecovery fits 50,000 simulated customers and expects every
// estimate within 3 standard errors of the truth.
func TestParetoNBDRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("fits 50,000 simulated customers")
	}
	for _, truth := range []Params{
		{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, // CDNOW-like, α < β
		{"r": 1.2, "alpha": 6, "s": 1.5, "beta": 4},         // α > β
	} {
		d := pnbdSimulate(t, truth, 50000, 20240601)
		f, err := ParetoNBD{}.Fit(context.Background(), d, FitOptions{})
		if err != nil {
			t.Fatalf("truth %v: %v", truth, err)
		}
		res := f.Result()
		for _, name := range pnbdNames {
			got, se := res.Params[name], res.StdErrors[name]
			if math.Abs(got-truth[name]) > 3*se {
				t.Errorf("truth %v: %s = %.4g ± %.2g, %.1f standard errors from %v", truth, name, got, se, math.Abs(got-truth[name])/se, truth[name])
			}
		}
	}
}

// TestParetoNBDProbabilityOfPurchasesSums checks that P(X(t) = x) is a
// distribution with the model's mean: Σ_x P = 1 to 1e-10 and
// Σ_x x·P = E[X(t)] (ExpectedPurchases) to 1e-9 relative, summed until the
// terms are below 1e-18, for both orientations, α = β, s < 1 and s > 1;
// and as t → ∞ (the purchases of a whole lifetime, whose tail falls like
// x^(−(s+1))) to 1e-7 and 1e-6 with s = 3.5.
func TestParetoNBDProbabilityOfPurchasesSums(t *testing.T) {
	for _, tc := range []struct {
		p  [4]float64
		ts []float64
	}{
		{[4]float64{0.55315, 10.57633, 0.60625, 11.67150}, []float64{0.5, 39, 78}}, // CDNOW, α < β
		{[4]float64{1.5, 4, 2.5, 1}, []float64{10, 100}},                           // α > β
		{[4]float64{2.1, 7.3, 1.4, 7.3}, []float64{39}},                            // α = β
		{[4]float64{1.2, 3, 3.5, 2}, []float64{5, math.Inf(1)}},
	} {
		m, _ := NewFittedParetoNBD(tc.p[0], tc.p[1], tc.p[2], tc.p[3])
		for _, tt := range tc.ts {
			tol, stop := 1e-10, 1e-18
			if math.IsInf(tt, 1) {
				// The tail beyond P = 1e-15 (x ≈ 2000) holds about 1e-12 of
				// the probability and 1e-9 of the mean.
				tol, stop = 1e-7, 1e-15
			}
			sum, mean := 0.0, 0.0
			for x := 0; x < 20000; x++ {
				pr := m.ProbabilityOfPurchases(x, tt)
				sum += pr
				mean += float64(x) * pr
				if pr < stop && x > 10 {
					break
				}
			}
			if math.Abs(sum-1) > tol {
				t.Errorf("params %v t=%v: Σ P(X(t) = x) = %.15g", tc.p, tt, sum)
			}
			want := tc.p[0] * tc.p[3] / (tc.p[1] * (tc.p[2] - 1)) // E[X(∞)] for s > 1
			if !math.IsInf(tt, 1) {
				want = m.ExpectedPurchases(tt)
			}
			if math.Abs(mean-want) > 10*tol*want {
				t.Errorf("params %v t=%v: Σ x·P(X(t) = x) = %.15g, E[X(t)] = %.15g", tc.p, tt, mean, want)
			}
		}
	}
}

// pnbdBigAtanh returns atanh(v) = Σ v^(2k+1)/(2k+1) in math/big, |v| ≤ 1/3,
// to 1e-70 relative.
func pnbdBigAtanh(v *big.Float) *big.Float {
	v2 := new(big.Float).SetPrec(pnbdBigPrec).Mul(v, v)
	pow := new(big.Float).SetPrec(pnbdBigPrec).Set(v)
	sum := new(big.Float).SetPrec(pnbdBigPrec).Set(v)
	for k := 1; k < 200; k++ {
		pow.Mul(pow, v2)
		sum.Add(sum, new(big.Float).SetPrec(pnbdBigPrec).Quo(pow, pnbdBig(float64(2*k+1))))
	}
	return sum
}

// pnbdBigLn2 is ln 2 = 2·atanh(1/3).
func pnbdBigLn2() *big.Float {
	third := new(big.Float).SetPrec(pnbdBigPrec).Quo(pnbdBig(1), pnbdBig(3))
	return new(big.Float).SetPrec(pnbdBigPrec).Mul(pnbdBig(2), pnbdBigAtanh(third))
}

// pnbdBigLogOf returns ln y for y > 0 in math/big: with y = m·2^e,
// m ∈ [1/2, 1), ln y = e·ln 2 + 2·atanh((m−1)/(m+1)).
func pnbdBigLogOf(y *big.Float) *big.Float {
	m := new(big.Float).SetPrec(pnbdBigPrec)
	e := y.MantExp(m)
	num := new(big.Float).SetPrec(pnbdBigPrec).Sub(m, pnbdBig(1))
	den := new(big.Float).SetPrec(pnbdBigPrec).Add(m, pnbdBig(1))
	lm := pnbdBigAtanh(num.Quo(num, den))
	lm.Mul(lm, pnbdBig(2))
	return lm.Add(lm, new(big.Float).SetPrec(pnbdBigPrec).Mul(pnbdBigLn2(), pnbdBig(float64(e))))
}

// pnbdBigExp returns e^v in math/big: v = k·ln 2 + f with |f| ≤ ln 2, e^f by
// its Taylor series, times 2^k.
func pnbdBigExp(v *big.Float) *big.Float {
	ln2 := pnbdBigLn2()
	kf, _ := new(big.Float).Quo(v, ln2).Float64()
	k := math.Round(kf)
	f := new(big.Float).SetPrec(pnbdBigPrec).Sub(v, new(big.Float).SetPrec(pnbdBigPrec).Mul(ln2, pnbdBig(k)))
	term, sum := pnbdBig(1), pnbdBig(1)
	for n := 1; n < 100; n++ {
		term.Mul(term, f)
		term.Quo(term, pnbdBig(float64(n)))
		sum.Add(sum, term)
	}
	return sum.SetMantExp(sum, int(k))
}

// pnbdFHLPmf is P(X(t) = x) by the closed form of Fader, Hardie & Lee
// (2006 note, brucehardie.com/notes/012):
//
//	P(X(t) = x) = Γ(r+x)/(Γ(r) x!) (α/(α+t))^r (t/(α+t))^x (β/(β+t))^s
//	  + α^r β^s B(r+x, s+1)/B(r, s) · [B₁ − Σ_{i=0}^x (r+s)_i/i! · t^i · B₂(i)],
//
// with, for α ≥ β (M = α, b = s+1; for α < β, M = β and b = r+x),
// B₁ = 2F1(r+s, b; r+s+x+1; |α−β|/M)/M^(r+s) and
// B₂(i) = 2F1(r+s+i, b; r+s+x+1; |α−β|/(M+t))/(M+t)^(r+s+i). The bracket is
// a difference of nearly equal terms when t is small or x large; it is
// formed in math/big at 256 bits from the exact inputs (the 2F1 by
// pnbdBigHypOf, the power (M/(M+t))^(r+s) by pnbdBigExp and pnbdBigLogOf),
// and only the factors in front of it and the first term in float64
// (about 1e-14 relative).
func pnbdFHLPmf(r, alpha, s, beta float64, x int, t float64) float64 {
	xf := float64(x)
	add := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(pnbdBigPrec).Add(a, b) }
	quo := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(pnbdBigPrec).Quo(a, b) }
	M := alpha
	bM, bm, br, bs, bx, bt := pnbdBig(alpha), pnbdBig(beta), pnbdBig(r), pnbdBig(s), pnbdBig(xf), pnbdBig(t)
	b := add(bs, pnbdBig(1)) // s+1
	if alpha < beta {
		M = beta
		bM, bm, b = bm, bM, add(br, bx)
	}
	rs := add(br, bs)
	c := add(add(rs, bx), pnbdBig(1)) // r+s+x+1
	D := new(big.Float).SetPrec(pnbdBigPrec).Sub(bM, bm)
	bMt := add(bM, bt)
	u := quo(bt, bMt) // t/(M+t)
	f1 := pnbdBigHypOf(rs, b, c, quo(D, bM))
	sum := pnbdBig(0)
	coef := pnbdBig(1) // (r+s)_i/i! · (t/(M+t))^i
	for i := 0; i <= x; i++ {
		rsi := add(rs, pnbdBig(float64(i)))
		sum.Add(sum, new(big.Float).SetPrec(pnbdBigPrec).Mul(coef, pnbdBigHypOf(rsi, b, c, quo(D, bMt))))
		coef.Mul(coef, quo(rsi, pnbdBig(float64(i+1))))
		coef.Mul(coef, u)
	}
	// (M/(M+t))^(r+s) = e^((r+s)·ln(M/(M+t))).
	lk := pnbdBigLogOf(quo(bM, bMt))
	sum.Mul(sum, pnbdBigExp(lk.Mul(lk, rs)))
	bracket, _ := f1.Sub(f1, sum).Float64() // times M^(r+s)
	dead := math.Exp(r*math.Log(alpha)+s*math.Log(beta)+lbeta(r+xf, s+1)-lbeta(r, s)-(r+s)*math.Log(M)) * bracket
	alive := math.Exp(lgamma(r+xf) - lgamma(r) - lgamma(xf+1) + r*math.Log(alpha/(alpha+t)) + xf*math.Log(t/(alpha+t)) + s*math.Log(beta/(beta+t)))
	return alive + dead
}

// TestParetoNBDProbabilityOfPurchasesClosedForm checks P(X(t) = x) against
// the closed form of Fader, Hardie & Lee (pnbdFHLPmf) to 1e-12 relative,
// for both orientations and α = β, including small t and x = 10 where the
// closed form's bracket cancels to a part in 10¹²; and the math/big
// exponential and logarithm of the reference against math.Exp and math.Log.
func TestParetoNBDProbabilityOfPurchasesClosedForm(t *testing.T) {
	for _, v := range []float64{1e-300, 0.004, 0.5, 0.9999, 1, 7.5, 1e200} {
		l, _ := pnbdBigLogOf(pnbdBig(v)).Float64()
		if math.Abs(l-math.Log(v)) > 1e-15*math.Max(1, math.Abs(l)) {
			t.Errorf("ln %v: math/big %.17g, math.Log %.17g", v, l, math.Log(v))
		}
	}
	for _, v := range []float64{-700, -3.2, 0, 1e-5, 0.69, 40} {
		e, _ := pnbdBigExp(pnbdBig(v)).Float64()
		if math.Abs(e-math.Exp(v)) > 1e-15*math.Exp(v) {
			t.Errorf("e^%v: math/big %.17g, math.Exp %.17g", v, e, math.Exp(v))
		}
	}
	for _, p := range [][4]float64{
		{0.55315, 10.57633, 0.60625, 11.67150}, // CDNOW, α < β
		{0.55315, 11.67150, 0.60625, 10.57633}, // α > β
		{2.1, 7.3, 1.4, 7.3},                   // α = β
		{1.5, 4, 2.5, 1},                       // α > β
		{0.8, 3, 0.5, 25},                      // α < β
	} {
		m, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		for _, tt := range []float64{0.3, 1, 39, 200} {
			for _, x := range []int{0, 1, 2, 5, 10} {
				got := m.ProbabilityOfPurchases(x, tt)
				want := pnbdFHLPmf(p[0], p[1], p[2], p[3], x, tt)
				if math.Abs(got-want) > 1e-12*want {
					t.Errorf("params %v: P(X(%v) = %d) = %.15g, closed form %.15g (relative difference %.3g)", p, tt, x, got, want, math.Abs(got/want-1))
				}
			}
		}
	}
}

// TestParetoNBDProbabilityOfPurchasesSimulated compares P(X(t) = x) with
// the frequencies of 200,000 customers simulated from the model's story
// (fixed seed): λ ~ Gamma(r, α), μ ~ Gamma(s, β), lifetime τ ~ Exp(μ),
// X ~ Poisson(λ·min(τ, t)). Each count for x = 0…5 and x ≥ 6 must lie
// within 4.5 binomial standard errors of n·P.
func TestParetoNBDProbabilityOfPurchasesSimulated(t *testing.T) {
	const n = 200_000
	r, alpha, s, beta, tt := 0.8, 6.0, 1.3, 15.0, 30.0
	m, _ := NewFittedParetoNBD(r, alpha, s, beta)
	src := rand.New(rand.NewPCG(20060101, 12))
	lam := distuv.Gamma{Alpha: r, Beta: alpha, Src: src}
	mu := distuv.Gamma{Alpha: s, Beta: beta, Src: src}
	var counts [7]float64
	for i := 0; i < n; i++ {
		exposure := math.Min(src.ExpFloat64()/mu.Rand(), tt)
		x := 0
		if mean := lam.Rand() * exposure; mean > 0 {
			x = int(distuv.Poisson{Lambda: mean, Src: src}.Rand())
		}
		counts[min(x, 6)]++
	}
	rest := 1.0
	for x := 0; x < 7; x++ {
		pr := rest
		if x < 6 {
			pr = m.ProbabilityOfPurchases(x, tt)
			rest -= pr
		}
		se := math.Sqrt(n * pr * (1 - pr))
		if d := counts[x] - n*pr; math.Abs(d) > 4.5*se {
			t.Errorf("x = %d%s: %v simulated customers, expected %.1f (%.1f standard errors away)", x, map[bool]string{true: "+"}[x == 6], counts[x], n*pr, d/se)
		}
	}
}

// TestParetoNBDProbabilityOfPurchasesEdges checks the edges: 0 for x < 0,
// NaN for t < 0 or NaN, the point mass at 0 for t = 0, and tiny but finite
// probabilities for x = 1000 in a short or long time.
func TestParetoNBDProbabilityOfPurchasesEdges(t *testing.T) {
	m, _ := NewFittedParetoNBD(0.55315, 10.57633, 0.60625, 11.67150)
	if v := m.ProbabilityOfPurchases(-1, 39); v != 0 {
		t.Errorf("P(X(39) = −1) = %v, want 0", v)
	}
	for _, tt := range []float64{-1, math.NaN()} {
		if v := m.ProbabilityOfPurchases(0, tt); !math.IsNaN(v) {
			t.Errorf("P(X(%v) = 0) = %v, want NaN", tt, v)
		}
	}
	if p0, p1 := m.ProbabilityOfPurchases(0, 0), m.ProbabilityOfPurchases(1, 0); p0 != 1 || p1 != 0 {
		t.Errorf("P(X(0) = 0) = %v, P(X(0) = 1) = %v; want 1 and 0", p0, p1)
	}
	// x = 1000 in 0.01 weeks: about (r)_x/x! (t/α)^x, far below the
	// smallest float64; in 1000 weeks a small positive number.
	if v := m.ProbabilityOfPurchases(1000, 0.01); v != 0 {
		t.Errorf("P(X(0.01) = 1000) = %v, want 0 (underflow)", v)
	}
	if v := m.ProbabilityOfPurchases(1000, 1000); !(v > 0 && v < 1e-3) {
		t.Errorf("P(X(1000) = 1000) = %v, want a small positive number", v)
	}
}

// ExampleFittedParetoNBD shows the predictions for one CDNOW customer
// (customer 1: 2 repeat purchases, the last at week 30.43, observed for
// 38.86 weeks) at the parameters of Fader, Hardie & Lee (2005), and the
// distribution of a new customer's repeat purchases over 39 weeks.
func ExampleFittedParetoNBD() {
	m, err := NewFittedParetoNBD(0.55315, 10.57633, 0.60625, 11.67150)
	if err != nil {
		panic(err)
	}
	c := Customer{Frequency: 2, Recency: 30.43, T: 38.86}
	fmt.Printf("ln L = %.4f\n", m.LogLikelihood(c))
	fmt.Printf("P(alive) = %.4f\n", m.ProbabilityAlive(c))
	fmt.Printf("E[purchases in the next 39 weeks] = %.4f\n", m.ConditionalExpectedPurchases(c, 39))
	weekly := PerUnitDiscountRate(0.15, 7) // 15% a year
	fmt.Printf("DERT at 15%% a year = %.4f\n", m.DiscountedExpectedResidualPurchases(c, weekly))
	fmt.Printf("E[X(39)] of a new customer = %.4f\n", m.ExpectedPurchases(39))
	for x := 0; x <= 2; x++ {
		fmt.Printf("P(X(39) = %d) = %.4f\n", x, m.ProbabilityOfPurchases(x, 39))
	}
	// Output:
	// ln L = -9.5544
	// P(alive) = 0.8691
	// E[purchases in the next 39 weeks] = 1.4551
	// DERT at 15% a year = 6.5135
	// E[X(39)] of a new customer = 1.2134
	// P(X(39) = 0) = 0.5936
	// P(X(39) = 1) = 0.1656
	// P(X(39) = 2) = 0.0825
}

// BenchmarkFitParetoNBD_CDNOW fits the 2,357 CDNOW customers.
func BenchmarkFitParetoNBD_CDNOW(b *testing.B) {
	d := readCDNOWSummary(b)
	for b.Loop() {
		if _, err := (ParetoNBD{}).Fit(context.Background(), d, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkFitParetoNBDSim(b *testing.B, n int) {
	d := pnbdSimulate(b, Params{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, n, 7)
	b.ResetTimer()
	for b.Loop() {
		if _, err := (ParetoNBD{}).Fit(context.Background(), d, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitParetoNBD_1M fits one million simulated customers
// (continuous-time histories; simulated outside the timed loop).
func BenchmarkFitParetoNBD_1M(b *testing.B) { benchmarkFitParetoNBDSim(b, 1_000_000) }

// BenchmarkFitParetoNBD_10M fits ten million simulated customers.
func BenchmarkFitParetoNBD_10M(b *testing.B) { benchmarkFitParetoNBDSim(b, 10_000_000) }

// BenchmarkParetoNBDPredict times the per-customer predictions over the
// CDNOW customers (per customer: one op is one customer).
func BenchmarkParetoNBDPredict(b *testing.B) {
	d := readCDNOWSummary(b)
	m, _ := NewFittedParetoNBD(0.55315, 10.57633, 0.60625, 11.67150)
	weekly := PerUnitDiscountRate(0.15, 7)
	for _, bc := range []struct {
		name string
		f    func(c Customer) float64
	}{
		{"ProbabilityAlive", m.ProbabilityAlive},
		{"ConditionalExpectedPurchases", func(c Customer) float64 { return m.ConditionalExpectedPurchases(c, 39) }},
		{"DERT", func(c Customer) float64 { return m.DiscountedExpectedResidualPurchases(c, weekly) }},
		{"LogLikelihood", m.LogLikelihood},
		{"ProbabilityOfPurchases", func(c Customer) float64 { return m.ProbabilityOfPurchases(int(c.Frequency), c.T) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i, s := 0, 0.0
			for b.Loop() {
				s += bc.f(d.Customer(i))
				if i++; i == d.Len() {
					i = 0
				}
			}
			_ = s
		})
	}
}

// BenchmarkParetoNBDEvaluate times one evaluation of the CDNOW table's
// log-likelihood (value, with the gradient, with the Hessian) at the
// published estimates, on the pair path and on the row path.
func BenchmarkParetoNBDEvaluate(b *testing.B) {
	d := readCDNOWSummary(b)
	p := [4]float64{0.55315, 10.57633, 0.60625, 11.67150}
	for _, path := range []string{"pairs", "rows"} {
		pd := newPNBDData(d)
		if path == "rows" {
			pd.r1, pd.r2 = nil, nil
		}
		for order := 0; order <= 2; order++ {
			b.Run(fmt.Sprintf("%s/order%d", path, order), func(b *testing.B) {
				for b.Loop() {
					pd.evaluate(p, order)
				}
			})
		}
	}
}

// BenchmarkParetoNBDData times the preparation of the CDNOW table (merging
// identical histories, the pair tables).
func BenchmarkParetoNBDData(b *testing.B) {
	d := readCDNOWSummary(b)
	for b.Loop() {
		newPNBDData(d)
	}
}

// TestParetoNBDTermReusesTail checks that a likelihood term whose series
// does not reach (its table cut short here) takes the quadrature path with
// the tail its frequency cached for the evaluation, below the series'
// limit too, and that this is bit for bit what pnbdLogJc computes afresh
// when its own series does not reach (pnbdSplitc): the tail is the same
// function of the exponents, D and the order. And pnbdLogJc's own table at
// z ≤ pnbdSeriesMaxZ is never longer than the cached one of a frequency
// that splits (pnbdTerms(pnbdSeriesMaxZ) is the longest), so where the
// cached table does not reach, neither does pnbdLogJc's series.
func TestParetoNBDTermReusesTail(t *testing.T) {
	for z := 0.01; z <= pnbdSeriesMaxZ; z += 0.01 {
		if pnbdTerms(z) > pnbdTerms(pnbdSeriesMaxZ) {
			t.Fatalf("pnbdTerms(%v) = %d > pnbdTerms(%v) = %d", z, pnbdTerms(z), pnbdSeriesMaxZ, pnbdTerms(pnbdSeriesMaxZ))
		}
	}
	// α = 10, β = 0.1: P = 0.1, Q = 10, D = 9.9; t_x = 0.5 gives z = 0.943
	// (the frequency's J1 splits), t_x = 5 gives z = 0.66 (the series').
	d := &Data{Frequency: []float64{2, 2}, Recency: []float64{0.5, 5}, T: []float64{10, 10}}
	pd := newPNBDData(d)
	for order := 0; order <= 2; order++ {
		ev := pd.prepare([4]float64{0.6, 10, 0.9, 0.1}, order)
		xc := &ev.xc[0]
		if !xc.split1 {
			t.Fatal("the frequency's J1 does not split: the test's premise is gone")
		}
		xc.t1 = xc.t1[:3] // the series at z = 0.66 needs more terms
		u := 5.0
		Pu, Qu := ev.P+u, ev.Q+u
		var got, want pnbdTerm
		ev.term(xc, 1, u, math.Log(Pu), math.Log(Qu), &got)
		v, g4, h4 := pnbdSplitc(xc.p1, xc.q1, xc.c, Pu, Qu, ev.D, order)
		want.e, want.h = ev.lnS+v, 1
		if order > 0 {
			ev.finish(xc, 1, &g4, &h4, &want)
		}
		if got != want {
			t.Errorf("order %d: term %+v, pnbdSplitc's %+v", order, got, want)
		}
		xc.tail1.lt++ // a marked tail: the term must read it
		ev.term(xc, 1, u, math.Log(Pu), math.Log(Qu), &got)
		marked, _, _ := pnbdSplitcWith(xc.p1, xc.q1, xc.c, Pu, Qu, ev.D, order, xc.tail1)
		if got.e != ev.lnS+marked || marked == v {
			t.Errorf("order %d: the term (e = %v) did not use its frequency's cached tail (e = %v with it)", order, got.e, ev.lnS+marked)
		}
	}
}
