package models

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
)

// bbReadDonations reads the BG/BB example data of Fader, Hardie & Shang
// (2010) (columns frequency, recency, periods, weights; 22 patterns,
// 11,104 donors).
func bbReadDonations(t testing.TB) *Data {
	t.Helper()
	recs := bbReadSharedCSV(t, "donations.csv", []string{"frequency", "recency", "periods", "weights"})
	d := &Data{}
	for _, r := range recs {
		d.Frequency = append(d.Frequency, r[0])
		d.Recency = append(d.Recency, r[1])
		d.T = append(d.T, r[2])
		d.Weight = append(d.Weight, r[3])
	}
	return d
}

// bbReadSharedCSV reads a shared CSV file whose header must be header and
// returns its rows as numbers.
func bbReadSharedCSV(t testing.TB, name string, header []string) [][]float64 {
	t.Helper()
	fh, err := os.Open(sharedtest.Path(t, "datasets", name))
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	if len(recs) < 2 || strings.Join(recs[0], ",") != strings.Join(header, ",") {
		t.Fatalf("%s: header %v, want %v", name, recs[0], header)
	}
	out := make([][]float64, 0, len(recs)-1)
	for i, r := range recs[1:] {
		row := make([]float64, len(r))
		for j, s := range r {
			if row[j], err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
				t.Fatalf("%s line %d: %v", name, i+2, err)
			}
		}
		out = append(out, row)
	}
	return out
}

// bbPublished returns a number from /work/shared/reference/published.json by
// its path of keys, e.g. bbPublished(t, "donations", "bgbb", "log_likelihood").
func bbPublished(t testing.TB, keys ...string) float64 {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatalf("reading published.json: %v", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("parsing published.json: %v", err)
	}
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("published.json: %v is not an object at %q", keys, k)
		}
		v = m[k]
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("published.json: %v is %v, not a number", keys, v)
	}
	return f
}

func bbRelDiff(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), math.Abs(got))
}

// TestFitBGBBDonations reproduces the BG/BB fit of Fader, Hardie & Shang
// (2010), Marketing Science 29(6), on the 1995 donor cohort: α=1.204,
// β=0.750, γ=0.657, δ=2.783, LL=−33,225.6, and the expected number of
// donations of the cohort in the five holdout years, 12,884.2 (values from
// shared/reference/published.json). The published estimates have 4
// significant digits, so they are compared to 0.2%; ours differ from them
// by less than 0.05%.
func TestFitBGBBDonations(t *testing.T) {
	d := bbReadDonations(t)
	if w := d.TotalWeight(); w != 11104 {
		t.Fatalf("donations hold %v donors, want 11104", w)
	}
	f, err := FitBGBB(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("FitBGBB: %v", err)
	}
	r := f.Result()
	if !r.Converged || r.Model != "bgbb" || r.Customers != 11104 {
		t.Errorf("result: converged %v, model %q, customers %v; want true, bgbb, 11104", r.Converged, r.Model, r.Customers)
	}
	got := map[string]float64{"alpha": f.Alpha, "beta": f.Beta, "gamma": f.Gamma, "delta": f.Delta}
	for _, name := range bgbbNames {
		want := bbPublished(t, "donations", "bgbb", "params", name)
		if rel := bbRelDiff(got[name], want); rel > 2e-3 {
			t.Errorf("%s = %.6g, published %v (relative difference %.2g > 0.2%%)", name, got[name], want, rel)
		}
		if r.Params[name] != got[name] {
			t.Errorf("Params[%s] = %v, field %v", name, r.Params[name], got[name])
		}
		if se := r.StdErrors[name]; !(se > 0) || se > got[name] {
			t.Errorf("standard error of %s = %v, want a positive number below the estimate", name, se)
		}
	}
	if want := bbPublished(t, "donations", "bgbb", "log_likelihood"); math.Abs(r.LogLikelihood-want) > 0.05 {
		t.Errorf("log-likelihood %.4f, published %v (tolerance 0.05)", r.LogLikelihood, want)
	}

	holdout := 0.0
	for i := 0; i < d.Len(); i++ {
		holdout += d.W(i) * f.ConditionalExpectedPurchases(d.Customer(i), 5)
	}
	if want := bbPublished(t, "donations", "holdout_expected_total_5_years", "value"); bbRelDiff(holdout, want) > 1e-3 {
		t.Errorf("expected 5-year holdout donations %.2f, published %v (tolerance 0.1%%)", holdout, want)
	}
	t.Logf("alpha=%.6f beta=%.6f gamma=%.6f delta=%.6f LL=%.4f holdout(5)=%.3f", f.Alpha, f.Beta, f.Gamma, f.Delta, r.LogLikelihood, holdout)

	// The interface fit returns the same concrete model.
	fp, err := BGBB{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("BGBB.Fit: %v", err)
	}
	if g, ok := fp.(*FittedBGBB); !ok || g.Alpha != f.Alpha {
		t.Errorf("BGBB.Fit returned %T with alpha %v, want *FittedBGBB with alpha %v", fp, fp.Result().Params["alpha"], f.Alpha)
	}
}

// bgbbTestParams are parameter vectors (α, β, γ, δ) used across tests: the
// donations estimates, γ > 1 (finite undiscounted lifetime), γ = 1 exactly
// (the closed forms' removable singularity) and lopsided values.
var bgbbTestParams = [][]float64{
	{1.204, 0.750, 0.657, 2.783},
	{0.5, 2.5, 3.2, 7.5},
	{2, 1, 1, 4},
	{0.05, 40, 0.2, 300},
	{30, 0.3, 12, 0.4},
}

// bgbbHistories lists every valid (x, t_x) for n opportunities.
func bgbbHistories(n int) [][3]int {
	h := [][3]int{{0, 0, n}}
	for tx := 1; tx <= n; tx++ {
		for x := 1; x <= tx; x++ {
			h = append(h, [3]int{x, tx, n})
		}
	}
	return h
}

func bgbbCustomer(h [3]int) Customer {
	return Customer{Frequency: float64(h[0]), Recency: float64(h[1]), T: float64(h[2])}
}

func mustBGBB(t testing.TB, p []float64) *FittedBGBB {
	t.Helper()
	f, err := NewFittedBGBB(p[0], p[1], p[2], p[3])
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBGBBGradient compares the analytic gradient of the log-likelihood
// with fourth-order central differences to 1e-6 relative, on the donations
// patterns and on long histories (n up to 300), at parameters from 1e-3
// to 1e3.
func TestBGBBGradient(t *testing.T) {
	long := []bgbbPattern{
		{0, 0, 300, 5}, {1, 1, 300, 2}, {150, 299, 300, 1}, {300, 300, 300, 1},
		{7, 40, 120, 3}, {2, 9, 9, 4}, {0, 0, 1, 10}, {1, 1, 1, 6},
	}
	var donations []bgbbPattern
	for _, r := range [][4]float64{{0, 0, 6, 3464}, {1, 1, 6, 1091}, {2, 5, 6, 173}, {4, 6, 6, 512}, {6, 6, 6, 1203}} {
		donations = append(donations, bgbbPattern{int(r[0]), int(r[1]), int(r[2]), r[3]})
	}
	points := append([][]float64{}, bgbbTestParams...)
	points = append(points, []float64{1e-3, 1e-3, 1e-3, 1e-3}, []float64{1e3, 1e3, 1e3, 1e3},
		[]float64{1e-3, 1e3, 1e3, 1e-3}, []float64{1e3, 1e-3, 1e-3, 1e3}, []float64{0.9, 1.1, 1, 1})
	for _, set := range []struct {
		name string
		pats []bgbbPattern
	}{{"donations", donations}, {"long histories", long}} {
		t.Run(set.name, func(t *testing.T) {
			checkGradient(t, func(p, grad []float64) float64 { return bgbbTotalLogLik(set.pats, p, grad) }, points, 1e-6)
		})
	}
}

// TestBGBBExtremesFinite sweeps every parameter over 1e-4…1e4 and
// histories up to n = 1000 (x up to n) and checks that the likelihood, its
// gradient and the predictions are finite and within their ranges:
// ln L ≤ 0, probabilities in [0, 1], expected counts in [0, t], DERT in
// [0, 1/d].
func TestBGBBExtremesFinite(t *testing.T) {
	vals := []float64{1e-4, 1e-2, 1, 1e2, 1e4}
	hist := [][3]int{{0, 0, 1}, {1, 1, 1}, {0, 0, 1000}, {1000, 1000, 1000}, {1, 1, 1000}, {500, 1000, 1000}, {3, 7, 1000}, {999, 999, 1000}}
	if testing.Short() {
		vals = []float64{1e-4, 1, 1e4}
	}
	const d = 0.1
	for _, a := range vals {
		for _, b := range vals {
			for _, g := range vals {
				for _, dl := range vals {
					f := mustBGBB(t, []float64{a, b, g, dl})
					k := f.consts()
					var grad [4]float64
					if e := f.ExpectedPurchases(1000); !(e >= 0 && e <= 1000) {
						t.Errorf("params %v: E[X(1000)] = %v, want in [0, 1000]", []float64{a, b, g, dl}, e)
					}
					for _, h := range hist {
						c := bgbbCustomer(h)
						ll := k.logLik(h[0], h[1], h[2], &grad)
						bad := !(ll <= 1e-14) || math.IsInf(ll, 0)
						for _, v := range grad {
							bad = bad || math.IsNaN(v) || math.IsInf(v, 0)
						}
						pa := f.ProbabilityAlive(c)
						ce := f.ConditionalExpectedPurchases(c, 10)
						ceFar := f.ConditionalExpectedPurchases(c, 1e6)
						dert := f.DiscountedExpectedResidualPurchases(c, d)
						bad = bad || !(pa >= 0 && pa <= 1) || !(ce >= 0 && ce <= 10) || !(ceFar >= 0 && ceFar <= 1e6) || !(dert >= 0 && dert <= 1/d*(1+1e-12))
						if bad {
							t.Errorf("params %v, history %v: ln L %v, gradient %v, P(alive) %v, E[X(10)|·] %v, E[X(1e6)|·] %v, DERT %v",
								[]float64{a, b, g, dl}, h, ll, grad, pa, ce, ceFar, dert)
						}
					}
				}
			}
		}
	}
}

// TestBGBBPatternProbabilities checks the likelihood and every prediction
// against the law of total probability over all histories of n
// opportunities, where a history (x, t_x) stands for C(t_x−1, x−1)
// sequences (1 for x = 0), each of probability L:
//
//	Σ C·L = 1,  Σ_{t_x} C·L = P(X(n) = x),
//	Σ C·L·E[X(n, n+m) | x, t_x, n] = E[X(n+m)] − E[X(n)],
//	Σ C·L·P(alive at n+1 | ·) = B(γ, δ+n+1)/B(γ, δ),
//	Σ C·L·DERT(d | ·) = Σ_{k≥1} (1+d)^−k·(E[X(n+k)] − E[X(n+k−1)]).
func TestBGBBPatternProbabilities(t *testing.T) {
	const tol = 1e-11
	for _, p := range bgbbTestParams {
		for _, n := range []int{1, 2, 7, 12} {
			f := mustBGBB(t, p)
			k := f.consts()
			var total, cond, alive, dert float64
			pmf := make([]float64, n+1)
			const m, d = 4, 0.15
			for _, h := range bgbbHistories(n) {
				x, tx := h[0], h[1]
				lc := 0.0
				if x > 0 {
					lc = lgamma(float64(tx)) - lgamma(float64(x)) - lgamma(float64(tx-x+1))
				}
				w := math.Exp(lc + k.logLik(x, tx, n, nil))
				c := bgbbCustomer(h)
				total += w
				pmf[x] += w
				cond += w * f.ConditionalExpectedPurchases(c, m)
				alive += w * f.ProbabilityAlive(c)
				dert += w * f.DiscountedExpectedResidualPurchases(c, d)
			}
			fn := float64(n)
			wantDert, z := 0.0, 1/(1+d)
			for j := 1; j < 400; j++ {
				wantDert += math.Pow(z, float64(j)) * (f.ExpectedPurchases(fn+float64(j)) - f.ExpectedPurchases(fn+float64(j-1)))
			}
			// The differences of expectations lose the digits their
			// terms share, so errors are measured against scale.
			type check struct {
				what             string
				got, want, scale float64
			}
			checks := []check{
				{"Σ C·L", total, 1, 1},
				{"Σ C·L·E[X(n,n+m)|·]", cond, f.ExpectedPurchases(fn+m) - f.ExpectedPurchases(fn), f.ExpectedPurchases(fn + m)},
				{"Σ C·L·P(alive at n+1|·)", alive, math.Exp(lbeta(p[2], p[3]+fn+1) - lbeta(p[2], p[3])), 0},
				{"Σ C·L·DERT", dert, wantDert, f.ExpectedPurchases(fn + 400)},
			}
			for x := 0; x <= n; x++ {
				checks = append(checks, check{fmt.Sprintf("Σ_tx C·L at x=%d", x), pmf[x], f.ProbabilityOfPurchases(x, n), 0})
			}
			for _, c := range checks {
				if err := math.Abs(c.got - c.want); err > tol*math.Max(math.Abs(c.want), c.scale) {
					t.Errorf("params %v, n=%d: %s = %.15g, want %.15g (error %.2g > %.0g × max(|want|, %.3g))", p, n, c.what, c.got, c.want, err, tol, c.scale)
				}
			}
		}
	}
}

// TestBGBBProbabilityOfPurchases checks P(X(n)=x) (Fader, Hardie & Shang
// 2010): it sums to 1 over x = 0..n and its mean is E[X(n)].
func TestBGBBProbabilityOfPurchases(t *testing.T) {
	for _, p := range bgbbTestParams {
		f := mustBGBB(t, p)
		for _, n := range []int{0, 1, 6, 40, 200} {
			sum, mean := 0.0, 0.0
			for x := 0; x <= n; x++ {
				q := f.ProbabilityOfPurchases(x, n)
				if !(q >= 0 && q <= 1) {
					t.Errorf("params %v: P(X(%d)=%d) = %v", p, n, x, q)
				}
				sum += q
				mean += float64(x) * q
			}
			if bbRelDiff(sum, 1) > 1e-11 {
				t.Errorf("params %v: Σ_x P(X(%d)=x) = %.15g, want 1", p, n, sum)
			}
			if e := f.ExpectedPurchases(float64(n)); math.Abs(mean-e) > 1e-11*math.Max(1, e) {
				t.Errorf("params %v: Σ x·P(X(%d)=x) = %.15g, E[X(%d)] = %.15g", p, n, mean, n, e)
			}
		}
		if q := f.ProbabilityOfPurchases(3, 2); q != 0 {
			t.Errorf("P(X(2)=3) = %v, want 0", q)
		}
		if q := f.ProbabilityOfPurchases(0, -1); !math.IsNaN(q) {
			t.Errorf("P(X(−1)=0) = %v, want NaN", q)
		}
	}
}

// TestBGBBExpectedPurchasesClosedForm compares E[X(n)] with the paper's
// closed form (Fader, Hardie & Shang 2010)
//
//	α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)Γ(1+δ+n) / (Γ(γ+δ+n)Γ(1+δ))]
//
// for γ ≠ 1, over both of our evaluation paths (term by term for
// n ≤ 1000, closed form with careful gamma ratios above).
func TestBGBBExpectedPurchasesClosedForm(t *testing.T) {
	for _, p := range bgbbTestParams {
		a, b, g, d := p[0], p[1], p[2], p[3]
		if g == 1 {
			continue
		}
		f := mustBGBB(t, p)
		for _, n := range []float64{1, 6, 100, 1000, 1001, 5000, 1e6} {
			lr := lgamma(g+d) + lgamma(1+d+n) - lgamma(g+d+n) - lgamma(1+d)
			want := a / (a + b) * d / (g - 1) * -math.Expm1(lr)
			if got := f.ExpectedPurchases(n); bbRelDiff(got, want) > 1e-8 {
				t.Errorf("params %v: E[X(%v)] = %.15g, closed form %.15g", p, n, got, want)
			}
		}
		// Non-integer times count whole opportunities.
		if f.ExpectedPurchases(6.7) != f.ExpectedPurchases(6) || f.ExpectedPurchases(2.9999999999) != f.ExpectedPurchases(3) {
			t.Errorf("params %v: non-integer opportunities are not rounded down", p)
		}
		if f.ExpectedPurchases(-1) != 0 || f.ExpectedPurchases(0) != 0 {
			t.Errorf("params %v: E[X(t)] is not 0 for t ≤ 0", p)
		}
		if lim := f.ExpectedPurchases(math.Inf(1)); g > 1 && bbRelDiff(lim, a/(a+b)*d/(g-1)) > 1e-14 || g < 1 && !math.IsInf(lim, 1) {
			t.Errorf("params %v: E[X(∞)] = %v", p, lim)
		}
	}
}

// TestBGBBSurvivalSumPaths checks the closed-form path of S(γ, δ', m) =
// Σ_{k=1}^{m} B(γ, δ'+k)/B(γ, δ'), taken for m > 1000, against summing
// the terms one by one, near γ = 1 (where the closed form is 0/0) and
// across the branches of bgbbLGammaSlope (quadrature, Stirling, log-gamma
// difference), to 1e-11 relative.
func TestBGBBSurvivalSumPaths(t *testing.T) {
	for _, g := range []float64{1e-3, 0.5, 0.74, 0.76, 1 - 1e-9, 1, 1 + 1e-6, 1.26, 3, 100, 1e4} {
		for _, dp := range []float64{1e-4, 0.7, 20, 40, 1e4} {
			for _, m := range []int{1001, 4000} {
				want, term := 0.0, 1.0
				for k := 0; k < m; k++ {
					term *= (dp + float64(k)) / (g + dp + float64(k))
					want += term
				}
				if got := bgbbSurvivalSum(g, dp, float64(m)); bbRelDiff(got, want) > 1e-11 {
					t.Errorf("S(γ=%v, δ'=%v, m=%d) = %.15g, term by term %.15g (relative difference %.2g)", g, dp, m, got, want, bbRelDiff(got, want))
				}
			}
		}
	}
}

// TestBGBBDERTMatchesDiscountedSum checks the closed-form DERT (Fader,
// Hardie & Shang 2010, with 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)))
// against the direct sum over future opportunities,
//
//	Σ_{k≥1} (1+d)^−k · (E[X(n, n+k) | ·] − E[X(n, n+k−1) | ·]),
//
// truncated where the tail is below 1e-12 of the total, to 1e-9 relative
// (the brief asks for 1e-6).
func TestBGBBDERTMatchesDiscountedSum(t *testing.T) {
	hist := [][3]int{{0, 0, 6}, {1, 1, 6}, {3, 4, 6}, {6, 6, 6}, {2, 30, 50}, {40, 45, 50}}
	for _, p := range bgbbTestParams[:3] {
		f := mustBGBB(t, p)
		for _, d := range []float64{0.05, 0.1, 0.5, 2} {
			K := int(math.Ceil(math.Log(1e12/d) / math.Log1p(d)))
			for _, h := range hist {
				c := bgbbCustomer(h)
				want, prev := 0.0, 0.0
				for k := 1; k <= K; k++ {
					e := f.ConditionalExpectedPurchases(c, float64(k))
					want += (e - prev) / math.Pow(1+d, float64(k))
					prev = e
				}
				if got := f.DiscountedExpectedResidualPurchases(c, d); bbRelDiff(got, want) > 1e-9 {
					t.Errorf("params %v, history %v, d=%v: DERT %.15g, direct sum %.15g (relative difference %.2g)", p, h, d, got, want, bbRelDiff(got, want))
				}
			}
		}
		// Undiscounted: the expected number of all future transactions,
		// finite only for γ > 1.
		c := bgbbCustomer(hist[2])
		got := f.DiscountedExpectedResidualPurchases(c, 0)
		if want := f.ConditionalExpectedPurchases(c, math.Inf(1)); p[2] > 1 && bbRelDiff(got, want) > 1e-12 || p[2] <= 1 && !math.IsInf(got, 1) {
			t.Errorf("params %v: DERT(0) = %v, E[X(n, ∞)|·] = %v", p, got, want)
		}
		if v := f.DiscountedExpectedResidualPurchases(c, -0.1); !math.IsNaN(v) {
			t.Errorf("DERT(−0.1) = %v, want NaN", v)
		}
	}
}

// TestBGBBConditionalCurve checks that the curve CLV uses equals
// ConditionalExpectedPurchases exactly, whatever the order of the times
// (within fusedULPs where the build fuses multiply-adds: the two forms are
// fused differently).
func TestBGBBConditionalCurve(t *testing.T) {
	f := mustBGBB(t, bgbbTestParams[0])
	var _ ConditionalCurver = f
	for _, h := range [][3]int{{0, 0, 6}, {3, 4, 6}, {2, 30, 50}} {
		c := bgbbCustomer(h)
		curve := f.ConditionalCurve(c)
		for _, tt := range []float64{0, 5, 2.5, 1, 7.9999999999, 40, 3, 999, 1000, 1001, 5000, 12, -1} {
			if got, want := curve(tt), f.ConditionalExpectedPurchases(c, tt); got != want && !fmaSame(got, want, 0) {
				t.Errorf("history %v: curve(%v) = %.17g, ConditionalExpectedPurchases %.17g (compared %s)", h, tt, got, want, bitsMode(0))
			}
		}
		if v := curve(math.NaN()); !math.IsNaN(v) {
			t.Errorf("curve(NaN) = %v", v)
		}
	}
	if v := f.ConditionalCurve(Customer{Frequency: 2, Recency: 1, T: 3})(2); !math.IsNaN(v) {
		t.Errorf("curve of an invalid history = %v, want NaN", v)
	}
}

// TestBGBBDiscountedWithinHorizon checks the finite-horizon discounted sum
// against the direct sum Σ_{k ≤ H} (1+d)^−k·(E[X(n,n+k)|·] − E[X(n,n+k−1)|·])
// and its limits: E[X(n, n+H)|·] without discounting and DERT for an
// infinite horizon.
func TestBGBBDiscountedWithinHorizon(t *testing.T) {
	for _, p := range bgbbTestParams[:3] {
		f := mustBGBB(t, p)
		for _, h := range [][3]int{{0, 0, 6}, {3, 4, 6}, {40, 45, 50}} {
			c := bgbbCustomer(h)
			for _, d := range []float64{0.03, 0.1, 1} {
				want, prev := 0.0, 0.0
				for k := 1; k <= 60; k++ {
					e := f.ConditionalExpectedPurchases(c, float64(k))
					want += (e - prev) / math.Pow(1+d, float64(k))
					prev = e
					if k == 7 || k == 60 {
						if got := f.DiscountedExpectedPurchasesWithin(c, d, float64(k)+0.5); bbRelDiff(got, want) > 1e-12 {
							t.Errorf("params %v, history %v, d=%v, H=%d: %.15g, direct sum %.15g", p, h, d, k, got, want)
						}
					}
				}
				if got, want := f.DiscountedExpectedPurchasesWithin(c, d, math.Inf(1)), f.DiscountedExpectedResidualPurchases(c, d); got != want {
					t.Errorf("params %v, history %v, d=%v: infinite horizon %v, DERT %v", p, h, d, got, want)
				}
				if got, want := f.DiscountedExpectedPurchasesWithin(c, d, 1e7), f.DiscountedExpectedResidualPurchases(c, d); bbRelDiff(got, want) > 1e-12 {
					t.Errorf("params %v, history %v, d=%v: horizon 1e7 %v, DERT %v", p, h, d, got, want)
				}
			}
			for _, H := range []float64{0.5, 6, 2000} {
				if got, want := f.DiscountedExpectedPurchasesWithin(c, 0, H), f.ConditionalExpectedPurchases(c, H); bbRelDiff(got, want) > 1e-14 {
					t.Errorf("params %v, history %v: undiscounted within %v = %v, E[X(n, n+H)|·] = %v", p, h, H, got, want)
				}
			}
		}
	}
}

// TestBGBBPredictionsOfDonors checks predictions against values derived
// by hand from the definitions for the published donations parameters.
func TestBGBBPredictionsOfDonors(t *testing.T) {
	a, b, g, d := 1.204, 0.750, 0.657, 2.783
	f := mustBGBB(t, []float64{a, b, g, d})
	// A donor who gave in all 6 years can only be alive after year 6, so
	// L = B(α+6, β)/B(α,β)·B(γ, δ+6)/B(γ,δ) and P(alive at 7) = (δ+6)/(γ+δ+6).
	best := Customer{Frequency: 6, Recency: 6, T: 6}
	if got, want := f.ProbabilityAliveAt(best, 0), 1.0; bbRelDiff(got, want) > 1e-14 {
		t.Errorf("P(alive after 6 | 6,6,6) = %v, want 1", got)
	}
	if got, want := f.ProbabilityAlive(best), (d+6)/(g+d+6); bbRelDiff(got, want) > 1e-14 {
		t.Errorf("P(alive at 7 | 6,6,6) = %v, want %v", got, want)
	}
	// Its expected donations next year: E[p | x=6, n=6]·P(alive at 7).
	if got, want := f.ConditionalExpectedPurchases(best, 1), (a+6)/(a+b+6)*(d+6)/(g+d+6); bbRelDiff(got, want) > 1e-14 {
		t.Errorf("E[X(6,7) | 6,6,6] = %v, want %v", got, want)
	}
	// A new customer's first opportunity: E[X(1)] = α/(α+β)·δ/(γ+δ).
	if got, want := f.ExpectedPurchases(1), a/(a+b)*d/(g+d); bbRelDiff(got, want) > 1e-14 {
		t.Errorf("E[X(1)] = %v, want %v", got, want)
	}
	// Recency matters: of two donors with 1 gift in 6 years, the one who
	// gave last year is more likely alive.
	if early, late := f.ProbabilityAlive(Customer{Frequency: 1, Recency: 1, T: 6}), f.ProbabilityAlive(Customer{Frequency: 1, Recency: 6, T: 6}); !(early < late) {
		t.Errorf("P(alive | 1,1,6) = %v not below P(alive | 1,6,6) = %v", early, late)
	}
	// Invalid histories give NaN.
	for _, c := range []Customer{{Frequency: 2, Recency: 1, T: 6}, {Frequency: 1, Recency: 7, T: 6}, {Frequency: 0.5, Recency: 1, T: 6}, {Frequency: 0, Recency: 2, T: 6}} {
		if v := f.ConditionalExpectedPurchases(c, 5); !math.IsNaN(v) {
			t.Errorf("E[X | %+v] = %v, want NaN for an invalid history", c, v)
		}
		if v := f.ProbabilityAlive(c); !math.IsNaN(v) {
			t.Errorf("P(alive | %+v) = %v, want NaN for an invalid history", c, v)
		}
	}
}

// TestFitBGBBRejectsBadData checks that invalid discrete histories are
// errors naming the row.
func TestFitBGBBRejectsBadData(t *testing.T) {
	tests := []struct {
		name      string
		x, tx, n  float64
		wantInErr string
	}{
		{"fractional frequency", 1.5, 2, 6, "whole numbers"},
		{"fractional T", 1, 2, 6.5, "whole numbers"},
		{"x above t_x", 3, 2, 6, "exceeds recency"},
		{"recency without transactions", 0, 2, 6, "recency must be 0"},
		{"too many opportunities", 0, 0, 1 << 25, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Data{Frequency: []float64{1, tt.x}, Recency: []float64{1, tt.tx}, T: []float64{6, tt.n}}
			_, err := FitBGBB(context.Background(), d, FitOptions{})
			if err == nil || !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %v, want one naming row 2 and containing %q", err, tt.wantInErr)
			}
		})
	}
	if _, err := NewFittedBGBB(1, 0, 1, 1); err == nil || !strings.Contains(err.Error(), "beta") {
		t.Errorf("NewFittedBGBB with beta=0: error %v, want one naming beta", err)
	}
}

// TestFitBGBBRecovery simulates 60,000 customers with datasets.SimulateBGBB
// (10 opportunities), merges identical histories into weighted rows and
// checks that every estimate lies within 3 standard errors of the truth.
// With the holdout variant it also checks that the expected holdout
// transactions under the true parameters match the simulated total within
// 4 standard deviations.
func TestFitBGBBRecovery(t *testing.T) {
	cases := []struct {
		params  []float64
		n, hold int
		seed    uint64
	}{
		{[]float64{1.204, 0.750, 0.657, 2.783}, 10, 5, 11},
		{[]float64{0.4, 2.2, 2.5, 6}, 10, 5, 12},
	}
	const customers = 60000
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.params), func(t *testing.T) {
			pm := map[string]float64{"alpha": tc.params[0], "beta": tc.params[1], "gamma": tc.params[2], "delta": tc.params[3]}
			s, err := datasets.SimulateBGBBHoldout(pm, customers, tc.n, tc.hold, tc.seed)
			if err != nil {
				t.Fatalf("SimulateBGBBHoldout: %v", err)
			}
			// Merge identical calibration histories into weighted rows.
			type key struct{ x, tx, n float64 }
			index := map[key]int{}
			d := &Data{}
			for _, c := range s.Customers {
				k := key{c.Frequency, c.Recency, c.T}
				i, ok := index[k]
				if !ok {
					i = d.Len()
					index[k] = i
					d.Frequency = append(d.Frequency, c.Frequency)
					d.Recency = append(d.Recency, c.Recency)
					d.T = append(d.T, c.T)
					d.Weight = append(d.Weight, 0)
				}
				d.Weight[i] += c.Weight
			}
			f, err := FitBGBB(context.Background(), d, FitOptions{})
			if err != nil {
				t.Fatalf("FitBGBB on %d patterns: %v", d.Len(), err)
			}
			if f.fit.Customers != customers {
				t.Errorf("fit on %v customers, want %d", f.fit.Customers, customers)
			}
			for i, name := range bgbbNames {
				est, se := f.fit.Params[name], f.fit.StdErrors[name]
				if z := (est - tc.params[i]) / se; !(math.Abs(z) <= 3) {
					t.Errorf("%s = %.4f ± %.4f, true %v (%.2f standard errors away)", name, est, se, tc.params[i], z)
				}
			}

			truth := mustBGBB(t, tc.params)
			var want, got, sum2 float64
			for _, c := range s.Customers {
				want += truth.ConditionalExpectedPurchases(Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}, float64(tc.hold))
				got += c.FrequencyHoldout
				sum2 += c.FrequencyHoldout * c.FrequencyHoldout
			}
			// The marginal variance of the holdout counts bounds the
			// average conditional variance.
			sd := math.Sqrt(sum2 - got*got/customers)
			if math.Abs(got-want) > 4*sd {
				t.Errorf("simulated holdout transactions %v, expected %.1f under the true parameters (sd %.1f)", got, want, sd)
			}
		})
	}
}

// ExampleFitBGBB fits the BG/BB model to the donations of the 1995 donor
// cohort (Fader, Hardie & Shang 2010: 11,104 donors, 6 yearly
// opportunities) and predicts for a donor who gave in 3 of the 6 years,
// the last time in year 4.
func ExampleFitBGBB() {
	// Columns: donations x, year of the last donation t_x, number of donors.
	rows := [][3]float64{
		{0, 0, 3464}, {1, 1, 1091}, {1, 2, 277}, {1, 3, 129}, {1, 4, 78}, {1, 5, 119}, {1, 6, 129},
		{2, 2, 613}, {2, 3, 255}, {2, 4, 155}, {2, 5, 173}, {2, 6, 234}, {3, 3, 322}, {3, 4, 181},
		{3, 5, 225}, {3, 6, 357}, {4, 4, 240}, {4, 5, 284}, {4, 6, 512}, {5, 5, 335}, {5, 6, 728}, {6, 6, 1203},
	}
	d := &Data{}
	for _, r := range rows {
		d.Frequency = append(d.Frequency, r[0])
		d.Recency = append(d.Recency, r[1])
		d.T = append(d.T, 6)
		d.Weight = append(d.Weight, r[2])
	}
	f, err := FitBGBB(context.Background(), d, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("alpha=%.3f beta=%.3f gamma=%.3f delta=%.3f LL=%.1f\n", f.Alpha, f.Beta, f.Gamma, f.Delta, f.fit.LogLikelihood)

	donor := Customer{Frequency: 3, Recency: 4, T: 6}
	fmt.Printf("P(alive in year 7) = %.4f\n", f.ProbabilityAlive(donor))
	fmt.Printf("expected donations in years 7-11 = %.4f\n", f.ConditionalExpectedPurchases(donor, 5))
	fmt.Printf("DERT at 10%% = %.4f\n", f.DiscountedExpectedResidualPurchases(donor, 0.10))
	// Output:
	// alpha=1.204 beta=0.750 gamma=0.657 delta=2.783 LL=-33225.6
	// P(alive in year 7) = 0.4396
	// expected donations in years 7-11 = 1.0346
	// DERT at 10% = 1.6294
}

// BenchmarkFitBGBB_Donations times the BG/BB fit on the donations data
// (22 weighted patterns, 11,104 donors).
func BenchmarkFitBGBB_Donations(b *testing.B) {
	d := bbReadDonations(b)
	for b.Loop() {
		if _, err := FitBGBB(context.Background(), d, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
