package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// ggReadCDNOW reads the CDNOW calibration summary with mean spend
// (columns ID, x, t_x, T, zbar; 2,357 customers, 946 with x > 0).
func ggReadCDNOW(t testing.TB) *Data {
	t.Helper()
	recs := bbReadSharedCSV(t, "cdnow_customers_summary_with_transactions.csv", []string{"ID", "x", "t_x", "T", "zbar"})
	d := &Data{}
	for _, r := range recs {
		d.Frequency = append(d.Frequency, r[1])
		d.Recency = append(d.Recency, r[2])
		d.T = append(d.T, r[3])
		d.Monetary = append(d.Monetary, r[4])
	}
	return d
}

// TestFitGammaGammaCDNOW reproduces the Gamma-Gamma fit of Fader, Hardie &
// Lee (2005), "RFM and CLV: using iso-value curves", JMR 42(4), and
// Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", on
// the 946 repeat customers of the CDNOW sample: p=6.25, q=3.74, γ=15.44,
// LL=−4055.92 (shared/reference/published.json). The published estimates
// have 3–4 significant digits and are compared to 0.2%. The published
// log-likelihood is that of the density of m̄, which includes the
// Jacobian term px·ln x; without it the log-likelihood would be far lower,
// which this test also pins down.
func TestFitGammaGammaCDNOW(t *testing.T) {
	d := ggReadCDNOW(t)
	f, err := FitGammaGamma(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	r := f.Result()
	if !r.Converged || r.Model != "gammagamma" {
		t.Errorf("converged %v, model %q", r.Converged, r.Model)
	}
	if r.Customers != 946 {
		t.Errorf("fitted on %v customers, want the 946 repeat customers", r.Customers)
	}
	got := map[string]float64{"p": f.P, "q": f.Q, "gamma": f.Gamma}
	for _, name := range ggNames {
		want := bbPublished(t, "cdnow_sample", "gammagamma", "params", name)
		if rel := bbRelDiff(got[name], want); rel > 2e-3 {
			t.Errorf("%s = %.6g, published %v (relative difference %.2g > 0.2%%)", name, got[name], want, rel)
		}
		if se := r.StdErrors[name]; !(se > 0) || se > got[name] {
			t.Errorf("standard error of %s = %v, want a positive number below the estimate", name, se)
		}
	}
	want := bbPublished(t, "cdnow_sample", "gammagamma", "log_likelihood")
	if math.Abs(r.LogLikelihood-want) > 0.05 {
		t.Errorf("log-likelihood %.4f, published %v (tolerance 0.05)", r.LogLikelihood, want)
	}
	jacobian := 0.0
	for _, x := range d.Frequency {
		if x > 0 {
			jacobian += f.P * x * math.Log(x)
		}
	}
	if withoutLnX := r.LogLikelihood - jacobian; math.Abs(withoutLnX-want) < 1000 {
		t.Errorf("without the px·ln x terms the log-likelihood is %.2f, which should be far from the published %v", withoutLnX, want)
	}
	t.Logf("p=%.6f q=%.6f gamma=%.6f LL=%.4f (without the px·ln x terms %.4f)", f.P, f.Q, f.Gamma, r.LogLikelihood, r.LogLikelihood-jacobian)

	// The warnings report the 1,411 one-time buyers skipped, and no
	// correlation warning: FHL (2005) report r = 0.11 between frequency and
	// mean spend on these data.
	warned := strings.Join(r.Warnings, "\n")
	if !strings.Contains(warned, "skipped 1411 customers without repeat purchases") {
		t.Errorf("warnings %q do not report the 1411 skipped customers", warned)
	}
	if strings.Contains(warned, "correlated") {
		t.Errorf("unexpected correlation warning: %q", warned)
	}
	var xs, ms, ws []float64
	var xi []int32
	for i, x := range d.Frequency {
		if x > 0 {
			xi = append(xi, int32(len(xs)))
			xs, ms, ws = append(xs, x), append(ms, d.Monetary[i]), append(ws, 1)
		}
	}
	if c, ok := ggPearson(xs, xi, ms, ws); !ok || math.Abs(c-0.11) > 0.005 {
		t.Errorf("Pearson correlation of x and mean spend %v, FHL (2005) report 0.11", c)
	}

	// FHL (2005) interpret E[Z | x, m̄] as a weighted mean of the
	// population mean pγ/(q−1) and m̄ with weight (q−1)/(px+q−1).
	pop := f.P * f.Gamma / (f.Q - 1)
	if bbRelDiff(f.PopulationMeanSpend(), pop) > 1e-15 || bbRelDiff(f.ExpectedSpend(Customer{}), pop) > 1e-15 {
		t.Errorf("population mean %v, ExpectedSpend(x=0) %v, want %v", f.PopulationMeanSpend(), f.ExpectedSpend(Customer{}), pop)
	}
	for _, c := range []Customer{{Frequency: 1, Monetary: 20}, {Frequency: 4, Monetary: 55.5}, {Frequency: 20, Monetary: 9}} {
		w := (f.Q - 1) / (f.P*c.Frequency + f.Q - 1)
		if got, want := f.ExpectedSpend(c), w*pop+(1-w)*c.Monetary; bbRelDiff(got, want) > 1e-14 {
			t.Errorf("ExpectedSpend(%+v) = %v, weighted mean %v", c, got, want)
		}
	}

	// The interface fit returns the same concrete model.
	fs, err := GammaGamma{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("GammaGamma.Fit: %v", err)
	}
	if g, ok := fs.(*FittedGammaGamma); !ok || g.P != f.P {
		t.Errorf("GammaGamma.Fit returned %T, want *FittedGammaGamma with p = %v", fs, f.P)
	}
}

// ggTestRows builds the likelihood rows from (x, m̄, weight) triples.
func ggTestRows(t testing.TB, rows [][3]float64) (*ggRows, *Data) {
	t.Helper()
	d := &Data{}
	for _, r := range rows {
		d.Frequency = append(d.Frequency, r[0])
		d.Recency = append(d.Recency, 0)
		d.T = append(d.T, 1)
		d.Monetary = append(d.Monetary, r[1])
		d.Weight = append(d.Weight, r[2])
	}
	g, _, err := ggCollect(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	return g, d
}

// TestGammaGammaGradient compares the analytic gradient with fourth-order
// central differences of the log-likelihood, and the analytic Hessian with
// those of the gradient, to 1e-6 relative at parameters from 1e-3 to 1e3.
func TestGammaGammaGradient(t *testing.T) {
	rows, _ := ggTestRows(t, [][3]float64{
		{1, 12.5, 3}, {1, 40, 1}, {2, 22.35, 2}, {2, 6.25, 2}, {5, 0.9, 1}, {13, 150, 1}, {1, 1e-3, 1}, {200, 3e4, 1}, {3, 35, 7},
	})
	points := [][]float64{
		{6.25, 3.74, 15.44}, {1, 1, 1}, {0.3, 8, 200}, {40, 0.6, 0.05},
		{1e-3, 1e-3, 1e-3}, {1e3, 1e3, 1e3}, {1e-3, 1e3, 1e-3}, {1e3, 1e-3, 1e3},
	}
	checkGradient(t, rows.logLik, points, 1e-6)
	checkHessian(t, rows.logLik, rows.likelihood(newLastEval()).hessian, points, 1e-6)
}

// TestGammaGammaDensity checks the per-customer log-likelihood against the
// form in the brief, lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄ +
// px ln x − (px+q) ln(x m̄ + γ), and checks that it is a density of m̄ for
// each x: ∫ f(m̄ | x) dm̄ = 1, by the trapezoid rule in u = ln m̄ (exact to
// rounding for such smooth, fast-decaying integrands).
func TestGammaGammaDensity(t *testing.T) {
	for _, par := range [][]float64{{6.25, 3.74, 15.44}, {0.7, 2.5, 3}, {15, 1.2, 400}} {
		p, q, g := par[0], par[1], par[2]
		for _, x := range []float64{1, 2, 7, 30} {
			for _, m := range []float64{0.5, 22.35, 1000} {
				rows, _ := ggTestRows(t, [][3]float64{{x, m, 1}})
				got := rows.logLik(par, nil)
				want := lgamma(p*x+q) - lgamma(p*x) - lgamma(q) + q*math.Log(g) + (p*x-1)*math.Log(m) + p*x*math.Log(x) - (p*x+q)*math.Log(x*m+g)
				if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("params %v, x=%v, m̄=%v: ln f = %.15g, brief's form %.15g", par, x, m, got, want)
				}
			}
			integral := 0.0
			const h = 0.01
			for u := -60.0; u <= 60; u += h {
				m := math.Exp(u)
				rows, _ := ggTestRows(t, [][3]float64{{x, m, 1}})
				integral += h * m * math.Exp(rows.logLik(par, nil))
			}
			if math.Abs(integral-1) > 1e-9 {
				t.Errorf("params %v, x=%v: ∫ f(m̄) dm̄ = %.12f, want 1", par, x, integral)
			}
		}
	}
}

// TestGammaGammaWeightedRows checks that the weighted, grouped-by-x and
// parallel sums leave the log-likelihood and its gradient unchanged: the
// total equals the weighted sum of single-row log-likelihoods (customers
// with equal x·m̄ included), on a table longer than one chunk of
// parallelSum.
func TestGammaGammaWeightedRows(t *testing.T) {
	data := [][3]float64{{1, 20, 2}, {2, 10, 1}, {4, 5, 3}, {2, 10, 4}, {3, 7, 1}, {1, 20, 0.5}}
	for i := 0; len(data) < 3*chunkSize; i++ {
		data = append(data, [3]float64{float64(1 + i%17), 3 + float64(i%1001)/7, float64(1 + i%3)})
	}
	rows, _ := ggTestRows(t, data)
	if len(rows.xm) != len(data) || len(rows.xs) != 17 {
		t.Fatalf("%d rows and %d distinct x, want %d and 17", len(rows.xm), len(rows.xs), len(data))
	}
	par := []float64{2.5, 3.5, 12}
	grad := make([]float64, 3)
	got := rows.logLik(par, grad)
	want, wantGrad := 0.0, make([]float64, 3)
	// Customer by customer, in the textbook form (Fader, Hardie & Lee
	// 2005) and its derivatives, with the standard library's gamma
	// functions: a path independent of ggRows.
	p, q, g := par[0], par[1], par[2]
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	for _, r := range data {
		x, m, w := r[0], r[1], r[2]
		px := p * x
		want += w * (lg(px+q) - lg(px) - lg(q) + q*math.Log(g) + (px-1)*math.Log(m) + px*math.Log(x) - (px+q)*math.Log(g+m*x))
		wantGrad[0] += w * x * (mathext.Digamma(px+q) - mathext.Digamma(px) + math.Log(m) + math.Log(x) - math.Log(g+m*x))
		wantGrad[1] += w * (mathext.Digamma(px+q) - mathext.Digamma(q) + math.Log(g) - math.Log(g+m*x))
		wantGrad[2] += w * (q/g - (px+q)/(g+m*x))
	}
	if math.Abs(got-want) > 1e-12*math.Abs(want) {
		t.Errorf("log-likelihood %.15g, sum of rows %.15g", got, want)
	}
	for i := range grad {
		if math.Abs(grad[i]-wantGrad[i]) > 1e-11*math.Max(1, math.Abs(wantGrad[i])) {
			t.Errorf("gradient[%d] %.15g, sum of rows %.15g", i, grad[i], wantGrad[i])
		}
	}
}

// TestGammaGammaExtremesFinite sweeps p, q, γ over 1e-4…1e4 and extreme
// rows, and checks that the log-likelihood, its gradient and the expected
// spend are finite, and the expected spend positive.
func TestGammaGammaExtremesFinite(t *testing.T) {
	rows, _ := ggTestRows(t, [][3]float64{{1, 1e-6, 1}, {1, 1e6, 1}, {1000, 1e-6, 1}, {1000, 1e6, 1}, {3, 25, 100}})
	vals := []float64{1e-4, 1e-2, 1, 1e2, 1e4}
	for _, p := range vals {
		for _, q := range vals {
			for _, g := range vals {
				grad := make([]float64, 3)
				ll := rows.logLik([]float64{p, q, g}, grad)
				bad := math.IsNaN(ll) || math.IsInf(ll, 0)
				for _, v := range grad {
					bad = bad || math.IsNaN(v) || math.IsInf(v, 0)
				}
				f, err := NewFittedGammaGamma(p, q, g)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []Customer{{}, {Frequency: 1, Monetary: 1e-6}, {Frequency: 1000, Monetary: 1e6}, {Frequency: 2, Monetary: 30}} {
					s := f.ExpectedSpend(c)
					bad = bad || !(s >= 0) || math.IsInf(s, 0)
				}
				if bad {
					t.Errorf("p=%v q=%v γ=%v: ln L %v, gradient %v, or a non-finite expected spend", p, q, g, ll, grad)
				}
			}
		}
	}
}

// TestGammaGammaExpectedSpendInfiniteMean checks the fallback for q ≤ 1,
// where the population mean pγ/(q−1) does not exist: the customer's own
// mean is returned and the model carries a warning.
func TestGammaGammaExpectedSpendInfiniteMean(t *testing.T) {
	f, err := NewFittedGammaGamma(0.05, 0.8, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(f.PopulationMeanSpend(), 1) {
		t.Errorf("population mean %v, want +Inf for q ≤ 1", f.PopulationMeanSpend())
	}
	if len(f.fit.Warnings) != 1 || !strings.Contains(f.fit.Warnings[0], "q = 0.8 ≤ 1") {
		t.Errorf("warnings %q, want one about q ≤ 1", f.Result().Warnings)
	}
	tests := []struct {
		c    Customer
		want float64
	}{
		{Customer{Frequency: 0, Monetary: 17}, 17},                       // no repeats: own mean
		{Customer{Frequency: 2, Monetary: 30}, 30},                       // px + q − 1 = −0.1 ≤ 0: own mean
		{Customer{Frequency: 10, Monetary: 30}, 0.05 * (10 + 300) / 0.3}, // px + q − 1 = 0.3 > 0: posterior mean
	}
	for _, tt := range tests {
		if got := f.ExpectedSpend(tt.c); bbRelDiff(got, tt.want) > 1e-14 {
			t.Errorf("ExpectedSpend(%+v) = %v, want %v", tt.c, got, tt.want)
		}
	}
	if _, err := NewFittedGammaGamma(1, math.Inf(1), 1); err == nil || !strings.Contains(err.Error(), "q=") {
		t.Errorf("NewFittedGammaGamma with q=Inf: error %v, want one naming q", err)
	}
}

// TestFitGammaGammaSkipsRows checks which rows the fit uses: one-time
// buyers and repeat customers whose mean spend is 0 are skipped with
// warnings that count them, and a fit without any repeat customer or
// without a monetary column is an error.
func TestFitGammaGammaSkipsRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := &Data{}
	add := func(x, m, w float64) {
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, 0)
		d.T = append(d.T, 10)
		d.Monetary = append(d.Monetary, m)
		d.Weight = append(d.Weight, w)
	}
	for i := 0; i < 300; i++ {
		add(float64(1+rng.IntN(5)), 5+40*rng.Float64(), 1)
	}
	add(0, 0, 40)
	add(3, 0, 2) // free repeat purchases: row 302
	add(0, 0, 5)
	f, err := FitGammaGamma(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	if f.Result().Customers != 300 {
		t.Errorf("fitted on %v customers, want 300", f.Result().Customers)
	}
	w := strings.Join(f.Result().Warnings, "\n")
	for _, want := range []string{"skipped 45 customers without repeat purchases", "skipped 2 repeat customers whose mean spend is 0 (first at row 302)"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}

	errs := []struct {
		name string
		d    *Data
		want string
	}{
		{"no monetary column", &Data{Frequency: []float64{1}, Recency: []float64{1}, T: []float64{2}}, "no monetary column"},
		{"only one-time buyers", &Data{Frequency: []float64{0, 0}, Recency: []float64{0, 0}, T: []float64{2, 3}, Monetary: []float64{0, 0}}, "no customer made a repeat purchase"},
		{"negative spend", &Data{Frequency: []float64{1, 2}, Recency: []float64{1, 1}, T: []float64{2, 3}, Monetary: []float64{3, -1}}, "row 2"},
	}
	for _, tt := range errs {
		if _, err := FitGammaGamma(context.Background(), tt.d, FitOptions{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestFitGammaGammaWarnsOnCorrelation checks the independence warning: when
// mean spend grows with frequency the fit reports the correlation.
func TestFitGammaGammaWarnsOnCorrelation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := &Data{}
	for i := 0; i < 2000; i++ {
		x := float64(1 + rng.IntN(8))
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, 1)
		d.T = append(d.T, 10)
		d.Monetary = append(d.Monetary, 10*x*(0.8+0.4*rng.Float64()))
	}
	f, err := FitGammaGamma(context.Background(), d, FitOptions{})
	if err != nil && !IsConvergence(err) {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	w := strings.Join(f.Result().Warnings, "\n")
	if !strings.Contains(w, "frequency and mean spend are correlated among repeat customers (Pearson r = 0.9") {
		t.Errorf("warnings %q lack the correlation warning", w)
	}
}

// TestFitGammaGammaRecovery simulates 60,000 repeat customers of the
// Gamma-Gamma model directly (ν ~ Gamma(q, rate γ), x ~ 1 + geometric,
// m̄ the mean of x draws of Gamma(p, rate ν)), fits them and checks that
// each estimate lies within 3 standard errors of the truth.
func TestFitGammaGammaRecovery(t *testing.T) {
	cases := []struct {
		p, q, gamma float64
		seed        uint64
	}{
		{6.25, 3.74, 15.44, 1},
		{1.5, 6, 40, 2},
	}
	const customers = 60000
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.p, tc.q, tc.gamma), func(t *testing.T) {
			src := rand.NewPCG(tc.seed, 99)
			rng := rand.New(src)
			nu := distuv.Gamma{Alpha: tc.q, Beta: tc.gamma, Src: src}
			d := &Data{}
			for i := 0; i < customers; i++ {
				x := 1 + math.Floor(math.Log(1-rng.Float64())/math.Log(0.6)) // mean 2.5
				z := distuv.Gamma{Alpha: tc.p, Beta: nu.Rand(), Src: src}
				sum := 0.0
				for j := 0; j < int(x); j++ {
					sum += z.Rand()
				}
				d.Frequency = append(d.Frequency, x)
				d.Recency = append(d.Recency, 1)
				d.T = append(d.T, 2)
				d.Monetary = append(d.Monetary, sum/x)
			}
			f, err := FitGammaGamma(context.Background(), d, FitOptions{})
			if err != nil {
				t.Fatalf("FitGammaGamma: %v", err)
			}
			truth := map[string]float64{"p": tc.p, "q": tc.q, "gamma": tc.gamma}
			for _, name := range ggNames {
				est, se := f.Result().Params[name], f.Result().StdErrors[name]
				if z := (est - truth[name]) / se; !(math.Abs(z) <= 3) {
					t.Errorf("%s = %.4f ± %.4f, true %v (%.2f standard errors away)", name, est, se, truth[name], z)
				}
			}
		})
	}
}

// ExampleFittedGammaGamma_ExpectedSpend shows how the expected spend per
// future purchase moves from the population mean toward a customer's own
// mean as the customer's repeat purchases accumulate, with the CDNOW
// estimates of Fader, Hardie & Lee (2005).
func ExampleFittedGammaGamma_ExpectedSpend() {
	f, err := NewFittedGammaGamma(6.25, 3.74, 15.44)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("population mean: %.2f\n", f.PopulationMeanSpend())
	for _, x := range []float64{0, 1, 5, 50} {
		c := Customer{Frequency: x, Monetary: 60}
		fmt.Printf("x=%-2v mean spend 60 -> expected %.2f\n", x, f.ExpectedSpend(c))
	}
	// Output:
	// population mean: 35.22
	// x=0  mean spend 60 -> expected 35.22
	// x=1  mean spend 60 -> expected 52.45
	// x=5  mean spend 60 -> expected 58.00
	// x=50 mean spend 60 -> expected 59.78
}

// ExampleFitGammaGamma fits the Gamma-Gamma model to a small table of
// repeat customers (x, mean spend, number of customers); one-time buyers
// are skipped with a warning.
func ExampleFitGammaGamma() {
	rows := [][3]float64{
		{0, 0, 50}, {1, 12, 9}, {1, 25, 11}, {1, 48, 6}, {2, 18, 7}, {2, 31, 8}, {2, 75, 3},
		{3, 15, 4}, {3, 29, 6}, {4, 22, 3}, {5, 35, 2}, {7, 26, 2}, {1, 9, 5}, {2, 12, 4},
	}
	d := &Data{}
	for _, r := range rows {
		d.Frequency = append(d.Frequency, r[0])
		d.Recency = append(d.Recency, 1)
		d.T = append(d.T, 10)
		d.Monetary = append(d.Monetary, r[1])
		d.Weight = append(d.Weight, r[2])
	}
	f, err := FitGammaGamma(context.Background(), d, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("p=%.3f q=%.3f gamma=%.3f LL=%.3f on %v customers\n", f.P, f.Q, f.Gamma, f.Result().LogLikelihood, f.Result().Customers)
	fmt.Println(f.Result().Warnings[0])
	// Output:
	// p=4.503 q=9.291 gamma=47.538 LL=-269.119 on 70 customers
	// skipped 50 customers without repeat purchases (x = 0); fitted on 70 repeat customers
}

// BenchmarkFitGammaGamma_CDNOW times the Gamma-Gamma fit on the CDNOW
// sample (2,357 rows, 946 repeat customers).
func BenchmarkFitGammaGamma_CDNOW(b *testing.B) {
	d := ggReadCDNOW(b)
	for b.Loop() {
		if _, err := FitGammaGamma(context.Background(), d, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGammaGammaCurrencyUnit holds issue 9 §4: the fit must not depend on
// the currency unit. With the CDNOW amounts multiplied by 1e8, 1e9, 1e10,
// 1e15 (and 1e-6) it gives the same p and q, γ multiplied by the same
// factor, and the log-likelihood shifted by the Jacobian −N·ln(factor) of
// the N mean spends (issue 9: ×1e9 once gave p = 2.66e6 and a
// log-likelihood 5.08 below the maximum; ×1e8, ×1e10, ×1e15 failed).
func TestGammaGammaCurrencyUnit(t *testing.T) {
	d := ggReadCDNOW(t)
	base, err := FitGammaGamma(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []float64{1e8, 1e9, 1e10, 1e15, 1e-6} {
		scaled := *d
		scaled.Monetary = make([]float64, len(d.Monetary))
		for i, m := range d.Monetary {
			scaled.Monetary[i] = m * k
		}
		f, err := FitGammaGamma(context.Background(), &scaled, FitOptions{})
		if err != nil {
			t.Errorf("amounts ×%g: %v", k, err)
			continue
		}
		rel := func(a, b float64) float64 { return math.Abs(a/b - 1) }
		if rel(f.P, base.P) > 1e-6 || rel(f.Q, base.Q) > 1e-6 || rel(f.Gamma/k, base.Gamma) > 1e-6 {
			t.Errorf("amounts ×%g: p=%v q=%v γ/%g=%v; unscaled p=%v q=%v γ=%v", k, f.P, f.Q, k, f.Gamma/k, base.P, base.Q, base.Gamma)
		}
		if want := base.Result().LogLikelihood - base.Result().Customers*math.Log(k); math.Abs(f.Result().LogLikelihood-want) > 1e-6*math.Abs(want) {
			t.Errorf("amounts ×%g: log-likelihood %.10g, want %.10g (unscaled %.10g − N·ln %g)", k, f.Result().LogLikelihood, want, base.Result().LogLikelihood, k)
		}
		if rel(f.Result().StdErrors["gamma"]/k, base.Result().StdErrors["gamma"]) > 1e-4 || rel(f.Result().StdErrors["p"], base.Result().StdErrors["p"]) > 1e-4 {
			t.Errorf("amounts ×%g: standard errors %v, unscaled %v", k, f.Result().StdErrors, base.Result().StdErrors)
		}
		c := Customer{Frequency: 3, Monetary: 40 * k}
		if got, want := f.ExpectedSpend(c)/k, base.ExpectedSpend(Customer{Frequency: 3, Monetary: 40}); rel(got, want) > 1e-6 {
			t.Errorf("amounts ×%g: expected spend / %g = %v, unscaled %v", k, k, got, want)
		}
	}
}
