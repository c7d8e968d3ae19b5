package models

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"github.com/clv-dev/clv/internal/cputime"
	"gonum.org/v1/gonum/mathext"
)

// bgfPublished is one model's entry under "cdnow_sample" in the shared
// published.json.
type bgfPublished struct {
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
	Source        string             `json:"source"`
}

func bgfReadPublished(t testing.TB, model string) bgfPublished {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CDNOW map[string]json.RawMessage `json:"cdnow_sample"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("published.json: %v", err)
	}
	var p bgfPublished
	if err := json.Unmarshal(doc.CDNOW[model], &p); err != nil || len(p.Params) != 4 {
		t.Fatalf("published.json: no cdnow_sample.%s entry with 4 parameters (%v)", model, err)
	}
	return p
}

// bgfCheckPublished fits model on the CDNOW summary and compares with the
// published estimates: every parameter within 0.2% relative and the
// log-likelihood within 0.05.
func bgfCheckPublished(t *testing.T, model string, fit func(context.Context, *Data, FitOptions) (*FitResult, error)) *FitResult {
	t.Helper()
	d := readCDNOWSummary(t)
	sumX, repeaters := 0.0, 0
	for _, x := range d.Frequency {
		sumX += x
		if x > 0 {
			repeaters++
		}
	}
	// Facts of the data set (shared/datasets/README.md), so that a reading
	// error cannot pass for a fitting error.
	if d.Len() != 2357 || sumX != 2457 || repeaters != 946 {
		t.Fatalf("CDNOW summary: %d customers, Σx = %v, %d repeaters; want 2357, 2457, 946", d.Len(), sumX, repeaters)
	}
	ref := bgfReadPublished(t, model)
	res, err := fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatalf("%s fit on CDNOW: %v", model, err)
	}
	if !res.Converged || res.Customers != 2357 {
		t.Errorf("converged %v, customers %v; want true, 2357", res.Converged, res.Customers)
	}
	for name, want := range ref.Params {
		got := res.Params[name]
		if rel := math.Abs(got-want) / want; !(rel <= 0.002) {
			t.Errorf("%s %s = %.7g, published %.7g (relative difference %.2g > 0.2%%; %s)", model, name, got, want, rel, ref.Source)
		}
		if se := res.StdErrors[name]; !(se > 0) || math.IsInf(se, 0) {
			t.Errorf("%s standard error of %s = %v, want a finite number > 0", model, name, se)
		}
	}
	if d := math.Abs(res.LogLikelihood - ref.LogLikelihood); !(d <= 0.05) {
		t.Errorf("%s log-likelihood %.4f, published %.4f (difference %.3g > 0.05)", model, res.LogLikelihood, ref.LogLikelihood, d)
	}
	if want := 8 - 2*res.LogLikelihood; math.Abs(res.AIC-want) > 1e-9 {
		t.Errorf("AIC %v, want 2k − 2LL = %v", res.AIC, want)
	}
	t.Logf("%s on CDNOW: %v, LL %.4f (published %v, LL %v), %d iterations, gradient norm %.2g",
		model, res.Params, res.LogLikelihood, ref.Params, ref.LogLikelihood, res.Iterations, res.GradientNorm)
	return res
}

// TestBGNBDPublishedCDNOW reproduces the BG/NBD fit of Fader, Hardie & Lee
// (2005, Marketing Science 24(2), §4: r = 0.243, α = 4.414, a = 0.793,
// b = 2.426, LL = −9582.4) on the 2357-customer CDNOW sample, with the
// digits of shared/reference/published.json.
func TestBGNBDPublishedCDNOW(t *testing.T) {
	res := bgfCheckPublished(t, "bgnbd", func(ctx context.Context, d *Data, o FitOptions) (*FitResult, error) {
		f, err := BGNBD{}.Fit(ctx, d, o)
		if f == nil {
			return nil, err
		}
		if _, ok := f.(*FittedBGNBD); !ok {
			t.Errorf("BGNBD.Fit returned %T, want *FittedBGNBD", f)
		}
		return f.Result(), err
	})
	// The per-customer log-likelihood (no merging, no parallel sum) adds up
	// to the fit's.
	f, err := NewFittedBGNBD(res.Params["r"], res.Params["alpha"], res.Params["a"], res.Params["b"])
	if err != nil {
		t.Fatal(err)
	}
	d := readCDNOWSummary(t)
	sum := 0.0
	for i := 0; i < d.Len(); i++ {
		sum += f.LogLikelihood(d.Customer(i))
	}
	if math.Abs(sum-res.LogLikelihood) > 1e-9*math.Abs(sum) {
		t.Errorf("Σ per-customer log-likelihood %.12g, fit %.12g", sum, res.LogLikelihood)
	}
}

// bgfGradientData holds histories that exercise every branch of the
// likelihood: x = 0, t_x = 0, t_x = T, a non-integer x, x = 1000, tiny and
// large T, and weights (including a zero weight).
func bgfGradientData() *Data {
	return &Data{
		Frequency: []float64{0, 0, 1, 1, 2, 3, 2.5, 10, 40, 1000, 7},
		Recency:   []float64{0, 0, 0.5, 30, 2, 5, 3, 9.9, 35, 999, 0},
		T:         []float64{38.9, 0.01, 30, 30, 39, 6, 12, 10, 40, 1000, 1e-3},
		Weight:    []float64{120, 3, 1, 2, 1, 1, 1, 0.5, 1, 1, 0},
	}
}

// bgfParamGrid returns the points of a grid spanning several orders of
// magnitude in each of r, α, a, b.
func bgfParamGrid() [][]float64 {
	var pts [][]float64
	for _, r := range []float64{0.003, 0.25, 4, 150} {
		for _, alpha := range []float64{0.02, 4.4, 300} {
			for _, a := range []float64{0.01, 0.8, 60} {
				for _, b := range []float64{0.05, 2.4, 900} {
					pts = append(pts, []float64{r, alpha, a, b})
				}
			}
		}
	}
	return pts
}

// TestBGFGradientHessian checks the analytic gradient of the total
// log-likelihood, and each row of the analytic Hessian (as the gradient of
// the gradient's component), against fourth-order central differences
// (gonum diff/fd) to 1e-6 relative, at 108 parameter points from 0.003 to
// 900, for the BG/NBD and the MBG/NBD.
func TestBGFGradientHessian(t *testing.T) {
	for _, m := range []struct {
		name  string
		shift float64
	}{{"bgnbd", 0}, {"mbgnbd", 1}} {
		t.Run(m.name, func(t *testing.T) {
			rows, err := newBGFRows(bgfGradientData(), m.shift)
			if err != nil {
				t.Fatal(err)
			}
			pts := bgfParamGrid()
			checkGradient(t, rows.logLik, pts, 1e-6)
			// logLikHess returns the same value and gradient as logLik.
			for _, p := range pts {
				g1, g2, h := make([]float64, 4), make([]float64, 4), make([]float64, 16)
				v1, v2 := rows.logLik(p, g1), rows.logLikHess(p, g2, h)
				if math.Abs(v1-v2) > 1e-12*math.Abs(v1) {
					t.Errorf("at %v: logLik %v, logLikHess %v", p, v1, v2)
				}
				for j := range g1 {
					if math.Abs(g1[j]-g2[j]) > 1e-10*math.Abs(g1[j])+1e-12 {
						t.Errorf("at %v: ∂/∂p[%d] logLik %v, logLikHess %v", p, j, g1[j], g2[j])
					}
				}
			}
			for j := 0; j < 4; j++ {
				row := func(p, g []float64) float64 {
					gr, h := make([]float64, 4), make([]float64, 16)
					rows.logLikHess(p, gr, h)
					copy(g, h[4*j:4*j+4])
					return gr[j]
				}
				checkGradient(t, row, pts, 1e-6)
			}
		})
	}
}

// TestBGNBDLogLikelihoodDirect compares the log-space likelihood with the
// likelihood of FHL (2005, eq. 6) evaluated as written, with Γ and powers
// (possible at moderate values), to 1e-12.
func TestBGNBDLogLikelihoodDirect(t *testing.T) {
	direct := func(shift, r, alpha, a, b, x, tx, T float64) float64 {
		A1 := math.Gamma(r+x) * math.Pow(alpha, r) / math.Gamma(r)
		A2 := mathext.Beta(a, b+x+shift) / mathext.Beta(a, b)
		L := math.Pow(alpha+T, -(r + x))
		if x+shift > 0 {
			L += a / (b + x - 1 + shift) * math.Pow(alpha+tx, -(r+x))
		}
		return math.Log(A1 * A2 * L)
	}
	for _, p := range [][4]float64{{0.2426, 4.414, 0.793, 2.426}, {2, 0.5, 3, 7}, {0.05, 30, 0.2, 0.6}} {
		for _, c := range []Customer{{T: 39}, {Frequency: 1, Recency: 1.7, T: 38.9}, {Frequency: 2, Recency: 30.43, T: 38.86},
			{Frequency: 12, Recency: 11.9, T: 12}, {Frequency: 4, T: 20}} {
			for shift, name := range []string{"bgnbd", "mbgnbd"} {
				m := bgfModel{p[0], p[1], p[2], p[3], float64(shift)}
				got := m.logLik(c)
				want := direct(float64(shift), p[0], p[1], p[2], p[3], c.Frequency, bgfRecency(c), c.T)
				if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("%s %v at %+v: log-likelihood %.15g, direct %.15g", name, p, c, got, want)
				}
			}
		}
	}
}

// bgfBigHyp2F1 sums ₂F₁(a, b; c; z) = Σ (a)_k (b)_k / ((c)_k k!) z^k in 256-bit
// floating point until a term falls below 2^−220 of the sum (a, b, c > 0,
// 0 ≤ z < 1, so all terms are positive).
func bgfBigHyp2F1(a, b, c, z *big.Float) *big.Float {
	const prec = 256
	nf := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	sum, term := nf(1), nf(1)
	eps := new(big.Float).SetPrec(prec).SetMantExp(nf(1), -220)
	tmp := nf(0)
	for k := 0; k < 200000; k++ {
		kf := nf(float64(k))
		term.Mul(term, tmp.Add(a, kf))
		term.Mul(term, tmp.Add(b, kf))
		term.Quo(term, tmp.Add(c, kf))
		term.Quo(term, tmp.Add(kf, nf(1)))
		term.Mul(term, z)
		sum.Add(sum, term)
		if new(big.Float).Mul(sum, eps).Cmp(term) > 0 {
			return sum
		}
	}
	panic("bgfBigHyp2F1 did not converge")
}

// bgfBigMean returns (a+b−1)/(a−1)·[1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; z)]
// (FHL 2005, eq. 9) in 256-bit arithmetic, for 2r a whole number (so that
// (α/(α+t))^r is exact by square roots) and a+b > 1.
func bgfBigMean(t, r, alpha, a, b float64) float64 {
	const prec = 256
	nf := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	at := new(big.Float).Add(nf(alpha), nf(t))
	z := new(big.Float).Quo(nf(t), at)
	w := new(big.Float).Quo(nf(alpha), at)
	twoR := int(2 * r)
	if float64(twoR) != 2*r {
		panic("bgfBigMean needs 2r whole")
	}
	sw := new(big.Float).Sqrt(w)
	wr := nf(1)
	for i := 0; i < twoR; i++ {
		wr.Mul(wr, sw)
	}
	c := new(big.Float).Sub(new(big.Float).Add(nf(a), nf(b)), nf(1))
	F := bgfBigHyp2F1(nf(r), nf(b), c, z)
	br := new(big.Float).Sub(nf(1), new(big.Float).Mul(wr, F))
	res := new(big.Float).Mul(c, br)
	res.Quo(res, new(big.Float).Sub(nf(a), nf(1)))
	v, _ := res.Float64()
	return v
}

// TestBGFMeanBigFloat checks E[X(t)] (bgfMean) against the published
// ₂F₁ form summed in 256-bit floating point, which has no cancellation
// problem at that precision: to 1e-13 relative, including a ≈ 1 (where
// the published form is 0/0 in float64), small t (where its bracket
// cancels), c = a+b−1 near 0 and z up to 0.95.
func TestBGFMeanBigFloat(t *testing.T) {
	cases := [][5]float64{ // t, r, α, a, b
		{39, 0.5, 4.4, 0.79, 2.43},
		{78, 0.5, 4.4, 0.79, 2.43},
		{10, 2, 40, 3.5, 0.7},
		{2, 1, 0.5, 1.0001, 5},
		{2, 1, 0.5, 0.9999, 5},
		{100, 1.5, 20, 0.2, 0.9},
		{5, 3, 1, 12, 30},
		{0.01, 0.5, 4, 0.8, 2.4},
		{1e-6, 2.5, 1, 0.3, 4},
		{1, 2, 1e3, 0.5, 0.6},
		{19, 1, 1, 40, 0.05},
		{50, 0.5, 2.5, 2, 200},
	}
	for _, c := range cases {
		got := bgfMean(c[0], c[1], c[2], c[3], c[4])
		want := bgfBigMean(c[0], c[1], c[2], c[3], c[4])
		if rel := math.Abs(got-want) / want; !(rel <= 1e-13) {
			t.Errorf("E[X(%v)] at r=%v α=%v a=%v b=%v: %.16g, 256-bit ₂F₁ %.16g (relative error %.2g)", c[0], c[1], c[2], c[3], c[4], got, want, rel)
		}
		// MBG/NBD: b/(a−1)·[1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; z)] =
		// b/(a+b) times the BG/NBD form at b+1.
		m := bgfModel{c[1], c[2], c[3], c[4], 1}
		wantM := c[4] / (c[3] + c[4]) * bgfBigMean(c[0], c[1], c[2], c[3], c[4]+1)
		if got := m.expected(c[0]); math.Abs(got-wantM) > 1e-13*wantM {
			t.Errorf("MBG/NBD E[X(%v)] at %v: %.16g, 256-bit %.16g", c[0], c[1:], got, wantM)
		}
	}
}

// TestBGFMeanMethodsAgree compares the two evaluations of E[X(t)], the
// positive series and the Beta-mixture quadrature, where both apply
// (s = t/α up to 300, parameters from 1e-3 to 1e3): to 1e-11 relative.
func TestBGFMeanMethodsAgree(t *testing.T) {
	worst := 0.0
	for _, s := range []float64{1e-3, 0.3, 4, 60, 300} {
		for _, r := range []float64{1e-3, 0.3, 2, 40} {
			for _, a := range []float64{1e-3, 0.5, 1, 3, 1e3} {
				for _, b := range []float64{1e-3, 0.7, 25, 1e3} {
					lz, lw := -math.Log1p(1/s), -math.Log1p(s)
					ser, ok := bgfMeanSeries(r, a, b, lz, lw, 1<<22)
					if !ok {
						t.Fatalf("series did not converge at s=%v r=%v a=%v b=%v", s, r, a, b)
					}
					q := bgfMeanQuad(s, r, a, b)
					rel := math.Abs(ser-q) / ser
					worst = math.Max(worst, rel)
					if !(rel <= 1e-11) {
						t.Errorf("s=%v r=%v a=%v b=%v: series %.16g, quadrature %.16g (relative difference %.2g)", s, r, a, b, ser, q, rel)
					}
				}
			}
		}
	}
	t.Logf("largest relative difference %.2g", worst)
}

// TestBGFMeanLimits checks E[X(t)] where it has closed-form limits:
//   - t → ∞ with a > 1: the customer surely drops out, after
//     E[J] = (a+b−1)/(a−1) purchases (Gauss's theorem ₂F₁(r,b;c;1) =
//     Γ(c)Γ(c−r−b)/(Γ(c−r)Γ(c−b)) makes the bracket 1); the remainder is
//     O(s^−min(r, a−1)), below 1e-20 here;
//   - t → ∞ with a < 1: G = s^(1−a)·r·B(a, r+1−a)/((1−a)·B(a, b)) +
//     (a+b−1)/(a−1) + O(s^−min(a, r)) (from G = E[(1 − (1+ps)^−r)/p] with
//     u = p·s, and the analytic continuation of B(a−1, b));
//   - t → 0: G = r·t/α·(1 + O(t/α)), where the published form cancels
//     completely.
func TestBGFMeanLimits(t *testing.T) {
	for _, c := range [][5]float64{{1e9, 3, 1, 5, 2}, {1e12, 5, 0.01, 8, 300}, {1e8, 40, 2, 4.5, 0.3}} {
		got := bgfMean(c[0], c[1], c[2], c[3], c[4])
		want := (c[3] + c[4] - 1) / (c[3] - 1)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("E[X(%v)] at %v = %.16g, want E[J] = %.16g", c[0], c[1:], got, want)
		}
	}
	for _, c := range [][5]float64{{1e14, 0.5, 1, 0.3, 2}, {1e16, 2, 0.1, 0.6, 0.5}, {1e15, 0.05, 3, 0.1, 40}, {1e12, 3, 1, 0.8, 3}} {
		s := c[0] / c[2]
		r, a, b := c[1], c[3], c[4]
		got := bgfMean(c[0], r, c[2], a, b)
		want := math.Pow(s, 1-a)*r*math.Exp(lnBeta(a, r+1-a)-lnBeta(a, b))/(1-a) + (a+b-1)/(a-1)
		// The next term is O(s^−min(a, r)) absolute.
		if d := math.Abs(got - want); !(d <= 1e-12*want+100*math.Pow(s, -math.Min(a, r))) {
			t.Errorf("E[X(%v)] at %v = %.16g, asymptote %.16g (difference %.2g)", c[0], c[1:], got, want, d)
		}
	}
	for _, c := range [][5]float64{{1e-9, 0.24, 4.4, 0.79, 2.43}, {1e-12, 3, 0.01, 0.001, 1e4}} {
		got := bgfMean(c[0], c[1], c[2], c[3], c[4])
		want := c[1] * c[0] / c[2]
		if rel := math.Abs(got-want) / want; !(rel <= 1e-6) {
			t.Errorf("E[X(%v)] at %v = %.16g, want r·t/α = %.16g", c[0], c[1:], got, want)
		}
	}
}

// TestBGFMeanGonum compares E[X(t)] with the published form evaluated by
// gonum's ₂F₁ (mathext.Hypergeo, a Cephes port) at moderate arguments.
func TestBGFMeanGonum(t *testing.T) {
	for _, c := range [][5]float64{{39, 0.2426, 4.414, 0.793, 2.426}, {20, 1.3, 7, 2.5, 3}, {5, 0.7, 10, 0.4, 9}} {
		z := c[0] / (c[2] + c[0])
		want := (c[3] + c[4] - 1) / (c[3] - 1) * (1 - math.Pow(c[2]/(c[2]+c[0]), c[1])*mathext.Hypergeo(c[1], c[4], c[3]+c[4]-1, z))
		if got := bgfMean(c[0], c[1], c[2], c[3], c[4]); math.Abs(got-want) > 1e-11*want {
			t.Errorf("E[X(%v)] at %v = %.16g, with gonum's ₂F₁ %.16g", c[0], c[1:], got, want)
		}
	}
}

// TestBGNBDConditionalPaper checks E[Y(t) | x, t_x, T] against eq. 10 of
// FHL (2005) evaluated as written with gonum's ₂F₁ at moderate arguments,
// and the MBG/NBD against the BTYDplus form (see MBGNBD), to 1e-10.
func TestBGNBDConditionalPaper(t *testing.T) {
	r, alpha, a, b := 0.2425945, 4.4136019, 0.7929199, 2.4258881
	for _, c := range []Customer{{Frequency: 0, T: 38.86}, {Frequency: 1, Recency: 1.71, T: 38.86}, {Frequency: 2, Recency: 30.43, T: 38.86}, {Frequency: 7, Recency: 29.43, T: 35.71}} {
		for _, tt := range []float64{1, 10, 39} {
			x, tx, T := c.Frequency, c.Recency, c.T
			for shift, name := range []string{"bgnbd", "mbgnbd"} {
				sh := float64(shift)
				z := tt / (alpha + T + tt)
				num := (a + b + x - 1 + sh) / (a - 1) * (1 - math.Pow((alpha+T)/(alpha+T+tt), r+x)*mathext.Hypergeo(r+x, b+x+sh, a+b+x-1+sh, z))
				den := 1.0
				if x+sh > 0 {
					den += a / (b + x - 1 + sh) * math.Pow((alpha+T)/(alpha+tx), r+x)
				}
				want := num / den
				got := bgfModel{r, alpha, a, b, sh}.conditional(c, tt)
				if math.Abs(got-want) > 1e-10*want {
					t.Errorf("%s E[Y(%v) | %+v] = %.15g, paper %.15g", name, tt, c, got, want)
				}
			}
		}
	}
}

// TestBGFIdentities checks identities that hold exactly:
//   - a new customer (x = t_x = T = 0) has E[Y(t) | history] = E[X(t)];
//   - P(alive | x = 0) = 1 for the BG/NBD, and 1/(1 + a/b·((α+T)/α)^r) for
//     the MBG/NBD;
//   - E[X(t)] = Σ_n P(X(t) = n)·n and Σ_n P(X(t) = n) = 1 (FHL 2005, eq. 8
//     against eq. 9), with the n-sum carried until the terms vanish;
//   - P(X(t) = 0) = (α/(α+t))^r (BG/NBD) and a/(a+b) + b/(a+b)·(α/(α+t))^r
//     (MBG/NBD).
func TestBGFIdentities(t *testing.T) {
	for _, p := range [][4]float64{{0.2425945, 4.4136019, 0.7929199, 2.4258881}, {0.525, 6.183, 0.891, 1.614}, {3, 2, 5, 1.5}, {0.05, 0.5, 0.3, 20}, {12, 40, 1.2, 0.6}} {
		for shift, name := range []string{"bgnbd", "mbgnbd"} {
			m := bgfModel{p[0], p[1], p[2], p[3], float64(shift)}
			for _, tt := range []float64{0.5, 39, 78} {
				e := m.expected(tt)
				if got := m.conditional(Customer{}, tt); math.Abs(got-e) > 1e-14*e {
					t.Errorf("%s %v: E[Y(%v) | new customer] = %.16g, E[X(%v)] = %.16g", name, p, tt, got, tt, e)
				}
				sum, mean := 0.0, 0.0
				n := 0
				for ; n < 100000; n++ {
					pn := m.pmf(n, tt)
					sum += pn
					mean += float64(n) * pn
					if n > 10 && pn*float64(n) < 1e-18*mean && 1-sum < 1e-15 {
						break
					}
				}
				if math.Abs(sum-1) > 1e-12 {
					t.Errorf("%s %v t=%v: Σ P(X(t)=n) over n ≤ %d = %.16g, want 1", name, p, tt, n, sum)
				}
				if math.Abs(mean-e) > 1e-11*e {
					t.Errorf("%s %v t=%v: Σ n·P(X(t)=n) = %.16g, E[X(t)] = %.16g", name, p, tt, mean, e)
				}
				w := math.Pow(p[1]/(p[1]+tt), p[0])
				want0 := w
				if shift == 1 {
					want0 = p[2]/(p[2]+p[3]) + p[3]/(p[2]+p[3])*w
				}
				if got := m.pmf(0, tt); math.Abs(got-want0) > 1e-14 {
					t.Errorf("%s %v: P(X(%v)=0) = %.16g, want %.16g", name, p, tt, got, want0)
				}
			}
			for _, T := range []float64{0.1, 39, 1000} {
				c := Customer{T: T}
				want := 1.0
				if shift == 1 {
					want = 1 / (1 + p[2]/p[3]*math.Pow((p[1]+T)/p[1], p[0]))
				}
				if got := m.alive(c); math.Abs(got-want) > 1e-14 {
					t.Errorf("%s %v: P(alive | x=0, T=%v) = %.16g, want %.16g", name, p, T, got, want)
				}
			}
		}
	}
}

// TestRegIncBetaPair checks the incomplete beta function against mpmath
// reference values (to 2e-13 relative), against gonum's Cephes port
// (whose own error reaches 4e-12 at these arguments) on a grid, and against
// the direct sum of NBD probabilities, P(N ≥ n) = I_z(n, r), including a
// far tail.
func TestRegIncBetaPair(t *testing.T) {
	for _, a := range []float64{0.01, 0.5, 3, 40, 1000} {
		for _, b := range []float64{0.02, 0.7, 6, 90, 2000} {
			for _, x := range []float64{1e-6, 0.01, 0.3, 0.5, 0.77, 0.999} {
				ix, iy := regIncBetaPair(a, b, x, 1-x)
				want := mathext.RegIncBeta(a, b, x)
				if math.Abs(ix-want) > 5e-12*math.Max(want, 1e-300) || math.Abs(ix+iy-1) > 1e-15 {
					t.Errorf("I_%v(%v, %v) = %.16g (complement %.16g), gonum %.16g", x, a, b, ix, iy, want)
				}
			}
		}
	}
	// Reference values of mpmath 1.3.0 (betainc, 40 digits) at the same
	// float64 arguments.
	for _, c := range []struct{ a, b, x, ix, iy float64 }{
		{1000, 0.7, 0.999, 0.23871312334716489357, 0.76128687665283510643},
		{0.7, 1000, 0.001, 0.76128687665283486052, 0.23871312334716513948},
		{2.5, 3.5, 0.3, 0.29675298929566637832, 0.70324701070433362168},
		{50, 60, 0.45, 0.46423529143060362867, 0.53576470856939637133},
		{1e-3, 2, 0.5, 0.99980674653694774818, 0.00019325346305225182068},
		{30, 2, 1e-10, 3.0999999997000033882e-299, 1},
		{0.01, 2000, 1e-6, 0.94508724728173797, 0.05491275271826203},
		{1000, 0.7, 0.77, 4.6605152411171442e-115, 1},
		{1000, 90, 0.5, 4.9056145242751477e-196, 1},
		{40, 2000, 0.01, 7.2172844290759314e-5, 0.99992782715570924},
		{3, 2000, 1e-6, 1.3333335996113249e-9, 0.99999999866666640},
	} {
		ix, iy := regIncBetaPair(c.a, c.b, c.x, 1-c.x)
		// The side computed by the continued fraction is good to 2e-13
		// relative; its complement inherits the same absolute error.
		direct, other, dRef, oRef := ix, iy, c.ix, c.iy
		if c.x >= (c.a+1)/(c.a+c.b+2) {
			direct, other, dRef, oRef = iy, ix, c.iy, c.ix
		}
		if math.Abs(direct-dRef) > 2e-13*dRef || math.Abs(other-oRef) > 2e-13*dRef {
			t.Errorf("I_%v(%v, %v) = %.17g, complement %.17g; mpmath %.17g, %.17g", c.x, c.a, c.b, ix, iy, c.ix, c.iy)
		}
	}
	// P(N ≥ n) for N ~ NBD(r, z), summed term by term.
	for _, c := range []struct{ r, z float64 }{{0.24, 0.9}, {5, 0.3}, {40, 0.97}} {
		pmf := math.Pow(1-c.z, c.r) // P(N = 0)
		cdf := 0.0
		for n := 0; n < 400; n++ {
			if n > 0 {
				ix, _ := regIncBetaPair(float64(n), c.r, c.z, 1-c.z)
				tail := 1 - cdf
				if tail > 1e-3 && math.Abs(ix-tail) > 1e-12 {
					t.Errorf("NBD(%v, %v): I_z(%d, r) = %.16g, 1 − P(N < n) = %.16g", c.r, c.z, n, ix, tail)
				}
			}
			cdf += pmf
			pmf *= (c.r + float64(n)) / float64(n+1) * c.z
		}
	}
	// Far tail: relative accuracy where 1 − CDF would cancel completely.
	r, z := 2.0, 0.1
	for _, n := range []int{30, 60} {
		want := 0.0 // Σ_{k≥n} P(N = k)
		lp := lgamma(r+float64(n)) - lgamma(r) - lgamma(float64(n)+1) + r*math.Log(1-z) + float64(n)*math.Log(z)
		pk := math.Exp(lp)
		for k := n; k < n+200; k++ {
			want += pk
			pk *= (r + float64(k)) / float64(k+1) * z
		}
		got, _ := regIncBetaPair(float64(n), r, z, 1-z)
		if math.Abs(got-want) > 1e-13*want {
			t.Errorf("P(N ≥ %d) = %.16g, direct sum %.16g", n, got, want)
		}
	}
}

// TestBGFTrigamma checks ψ′ at known values: ψ′(1) = π²/6, ψ′(½) = π²/2,
// ψ′(n) = Σ_{k≥n} 1/k² (summed backwards to 10⁶ plus the tail
// 1/N + 1/(2N²) + 1/(6N³)), ψ′(x) ≈ 1/x² + π²/6 for tiny x and
// 1/x + 1/(2x²) for huge x, to 2e-15 relative.
func TestBGFTrigamma(t *testing.T) {
	z2 := math.Pi * math.Pi / 6
	cases := []struct{ x, want float64 }{{1, z2}, {0.5, 3 * z2}, {1e-8, 1e16 + z2}, {1e8, 1/1e8 + 1/(2*1e16)}}
	const N = 1e6
	tail := 1/N + 1/(2*N*N) + 1/(6*N*N*N)
	for _, n := range []int{2, 3, 7, 11, 12, 13, 19, 20, 33, 41, 100, 1000} {
		s := tail
		for k := N - 1; k >= float64(n); k-- {
			s += 1 / (k * k)
		}
		cases = append(cases, struct{ x, want float64 }{float64(n), s})
	}
	for _, c := range cases {
		if got := trigamma(c.x); math.Abs(got-c.want) > 2e-15*c.want {
			t.Errorf("ψ′(%v) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
}

// TestBGFFiniteEverywhere sweeps the log-likelihood, its gradient and
// Hessian and every prediction over parameters from 1e-4 to 1e4 and
// histories with x up to 1000, T up to 1000 and t_x from 0 to T: all must
// be finite (probabilities in [0, 1], expectations ≥ 0).
func TestBGFFiniteEverywhere(t *testing.T) {
	grid := []float64{1e-4, 1e-2, 1, 1e2, 1e4}
	var hist []Customer
	for _, T := range []float64{0.01, 1, 1000} {
		hist = append(hist, Customer{T: T}, Customer{Frequency: 7, Recency: T / 2, T: T})
		for _, x := range []float64{1, 1000} {
			for _, f := range []float64{0, 1} {
				hist = append(hist, Customer{Frequency: x, Recency: f * T, T: T})
			}
		}
	}
	d := &Data{}
	for _, c := range hist {
		d.Frequency = append(d.Frequency, c.Frequency)
		d.Recency = append(d.Recency, c.Recency)
		d.T = append(d.T, c.T)
	}
	horizons := []float64{1e-3, 1, 1000} // for E[X(t)] and P(X(t) = n)
	condHorizons := []float64{1, 1000}   // for E[Y(t) | history]
	if testing.Short() {
		hist = []Customer{{T: 1000}, {Frequency: 1000, Recency: 0, T: 1000}, {Frequency: 7, Recency: 0.5, T: 1}, {Frequency: 1, Recency: 0.01, T: 0.01}}
		horizons = []float64{1, 1000}
	}
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	start := time.Now()
	for shift, name := range []string{"bgnbd", "mbgnbd"} {
		rows, err := newBGFRows(d, float64(shift))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range grid {
			for _, alpha := range grid {
				for _, a := range grid {
					for _, b := range grid {
						p := []float64{r, alpha, a, b}
						g, h := make([]float64, 4), make([]float64, 16)
						if v := rows.logLikHess(p, g, h); !finite(v) || !bgfAllFinite(g) || !bgfAllFinite(h) {
							report("%s %v: log-likelihood %v, gradient %v, Hessian %v", name, p, v, g, h)
						}
						m := bgfModel{r, alpha, a, b, float64(shift)}
						for _, tt := range horizons {
							if e := m.expected(tt); !finite(e) || e < 0 {
								report("%s %v: E[X(%v)] = %v", name, p, tt, e)
							}
							for _, n := range []int{0, 1, 10, 1000} {
								if pn := m.pmf(n, tt); !(pn >= 0 && pn <= 1+1e-12) {
									report("%s %v: P(X(%v)=%d) = %v", name, p, tt, n, pn)
								}
							}
						}
						for _, c := range hist {
							if v := m.logLik(c); !finite(v) {
								report("%s %v: log-likelihood of %+v = %v", name, p, c, v)
							}
							if pa := m.alive(c); !(pa >= 0 && pa <= 1) {
								report("%s %v: P(alive | %+v) = %v", name, p, c, pa)
							}
							for _, tt := range condHorizons {
								if e := m.conditional(c, tt); !finite(e) || e < 0 {
									report("%s %v: E[Y(%v) | %+v] = %v", name, p, tt, c, e)
								}
							}
						}
					}
				}
			}
		}
	}
	if bad > 20 {
		t.Errorf("… %d failures in all", bad)
	}
	t.Logf("sweep took %v", time.Since(start))
}

func bgfAllFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// bgfSimulate draws n customers of the given model with datasets.Simulate:
// first purchases spread over 12 weeks, observed until one year after the
// start, summarized in continuous weeks.
func bgfSimulate(t testing.TB, model string, n int, params map[string]float64, seed uint64) *Data {
	t.Helper()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 364)
	s, err := datasets.SimulateSummary(datasets.SimulationConfig{
		Model: model, Params: params, Customers: n, Start: start,
		AcquisitionDays: 84, End: end, Unit: datasets.Week, Seed: seed,
	}, end, time.Time{}, datasets.Week)
	if err != nil {
		t.Fatalf("simulating %s: %v", model, err)
	}
	f, r, T, _, w := s.Columns()
	return &Data{Frequency: f, Recency: r, T: T, Weight: w}
}

// TestBGFRecovery simulates 50,000 customers from known parameters and
// fits them back: every estimate must lie within 3 standard errors of the
// truth (a 4-parameter check that fails by chance with probability about
// 1%; the seeds are fixed, so the test is deterministic).
func TestBGFRecovery(t *testing.T) {
	for _, c := range []struct {
		model string
		truth map[string]float64
		fit   func(context.Context, *Data, FitOptions) (FittedPurchases, error)
	}{
		{"bgnbd", map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}, BGNBD{}.Fit},
		{"bgnbd", map[string]float64{"r": 2, "alpha": 10, "a": 2.5, "b": 8}, BGNBD{}.Fit},
		{"mbgnbd", map[string]float64{"r": 0.5, "alpha": 6, "a": 0.9, "b": 1.6}, MBGNBD{}.Fit},
	} {
		d := bgfSimulate(t, c.model, 50000, c.truth, 7)
		f, err := c.fit(context.Background(), d, FitOptions{})
		if err != nil {
			t.Fatalf("%s fit on simulated data: %v", c.model, err)
		}
		res := f.Result()
		for name, want := range c.truth {
			got, se := res.Params[name], res.StdErrors[name]
			if z := (got - want) / se; !(math.Abs(z) <= 3) {
				t.Errorf("%s %v: %s = %.5g ± %.2g, %.1f standard errors from the truth", c.model, c.truth, name, got, se, z)
			}
		}
		t.Logf("%s truth %v: estimates %v, standard errors %v", c.model, c.truth, res.Params, res.StdErrors)
	}
}

// TestBGNBDFitErrors checks that bad input and bad options fail with a
// message, that Fixed parameters are honoured and that a cancelled context
// stops the fit.
func TestBGNBDFitErrors(t *testing.T) {
	if _, err := FitBGNBD(context.Background(), &Data{}, FitOptions{}); err == nil {
		t.Error("fit on no data: no error")
	}
	bad := &Data{Frequency: []float64{1}, Recency: []float64{5}, T: []float64{2}}
	if _, err := FitBGNBD(context.Background(), bad, FitOptions{}); err == nil {
		t.Error("fit with recency > T: no error")
	}
	if _, err := NewFittedBGNBD(1, 0, 1, 1); err == nil {
		t.Error("NewFittedBGNBD with alpha = 0: no error")
	}
	d := bgfSimulate(t, "bgnbd", 3000, map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}, 3)
	f, err := FitBGNBD(context.Background(), d, FitOptions{Fixed: Params{"a": 0.8}})
	if err != nil {
		t.Fatal(err)
	}
	if f.A != 0.8 || f.fit.StdErrors["a"] != 0 {
		t.Errorf("fixed a = 0.8: got a = %v with standard error %v", f.A, f.fit.StdErrors["a"])
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FitBGNBD(ctx, d, FitOptions{}); err == nil {
		t.Error("fit with a cancelled context: no error")
	}
}

// TestBGFWeightedRows checks that the rows' likelihood is the weighted sum
// of the customers' (zero-weight rows adding nothing), that an x = 0 row's
// recency is ignored, and that rows are not merged (the caller passes
// distinct histories).
func TestBGFWeightedRows(t *testing.T) {
	d := &Data{
		Frequency: []float64{0, 0, 2, 2, 5, 0},
		Recency:   []float64{0, 3, 4, 4, 6, 0},
		T:         []float64{10, 10, 8, 8, 9, 10},
		Weight:    []float64{1, 2, 1, 3, 0, 1},
	}
	for _, shift := range []float64{0, 1} {
		rows, err := newBGFRows(d, shift)
		if err != nil {
			t.Fatal(err)
		}
		if rows.len() != 6 || rows.n != 8 {
			t.Errorf("shift %v: %d rows of total weight %v, want 6 rows of weight 8", shift, rows.len(), rows.n)
		}
		m := bgfModel{0.7, 3, 1.2, 2, shift}
		want := 0.0
		for i := 0; i < d.Len(); i++ {
			want += d.W(i) * m.logLik(d.Customer(i))
		}
		if got := rows.logLik([]float64{0.7, 3, 1.2, 2}, nil); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("shift %v: log-likelihood %v, customer by customer %v", shift, got, want)
		}
	}
}

// TestBGFTimeTable checks the table of distinct times used for data in
// whole days: with and without it the log-likelihood, gradient and Hessian
// agree to 1e-12, and the gradient on the table path matches finite
// differences.
func TestBGFTimeTable(t *testing.T) {
	d := &Data{}
	for i := 0; i < 300; i++ {
		T := []float64{10, 20, 38.86}[i%3]
		x := float64(i % 7)
		tx := 0.0
		if x > 0 {
			tx = math.Min(T, []float64{1, 5, 9.57}[i%5%3])
		}
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, tx)
		d.T = append(d.T, T)
	}
	for _, shift := range []float64{0, 1} {
		rows, err := newBGFRows(d, shift)
		if err != nil {
			t.Fatal(err)
		}
		if rows.tau == nil {
			t.Fatalf("shift %v: no time table for %d rows", shift, rows.len())
		}
		direct := *rows
		direct.tau, direct.iT, direct.iX = nil, nil, nil
		grid := bgfParamGrid()
		for i := 0; i < len(grid); i += 5 {
			p := grid[i]
			g1, g2, h1, h2 := make([]float64, 4), make([]float64, 4), make([]float64, 16), make([]float64, 16)
			v1, v2 := rows.logLikHess(p, g1, h1), direct.logLikHess(p, g2, h2)
			if math.Abs(v1-v2) > 1e-12*math.Abs(v2) {
				t.Errorf("shift %v at %v: log-likelihood %v with the table, %v without", shift, p, v1, v2)
			}
			for j := range h1 {
				if j < 4 && math.Abs(g1[j]-g2[j]) > 1e-12*math.Abs(g2[j]) {
					t.Errorf("shift %v at %v: ∂/∂p[%d] %v with the table, %v without", shift, p, j, g1[j], g2[j])
				}
				if math.Abs(h1[j]-h2[j]) > 1e-12*math.Abs(h2[j]) {
					t.Errorf("shift %v at %v: Hessian[%d] %v with the table, %v without", shift, p, j, h1[j], h2[j])
				}
			}
		}
		checkGradient(t, rows.logLik, [][]float64{{0.24, 4.4, 0.79, 2.4}, {3, 0.5, 20, 0.1}}, 1e-6)
	}
}

// ExampleBGNBD scores a CDNOW customer with the published BG/NBD
// estimates (FHL 2005): two repeat purchases, the last at week 30.43, seen
// for 38.86 weeks.
func ExampleBGNBD() {
	m, err := NewFittedBGNBD(0.2425945, 4.4136019, 0.7929199, 2.4258881)
	if err != nil {
		panic(err)
	}
	c := Customer{Frequency: 2, Recency: 30.43, T: 38.86}
	fmt.Printf("P(alive) = %.4f\n", m.ProbabilityAlive(c))
	fmt.Printf("E[purchases in the next 39 weeks] = %.4f\n", m.ConditionalExpectedPurchases(c, 39))
	fmt.Printf("E[X(39)] of a new customer = %.4f\n", m.ExpectedPurchases(39))
	fmt.Printf("P(X(39) = 0) = %.4f\n", m.ProbabilityOfPurchases(0, 39))
	// Output:
	// P(alive) = 0.7266
	// E[purchases in the next 39 weeks] = 1.2259
	// E[X(39)] of a new customer = 1.1950
	// P(X(39) = 0) = 0.5743
}

// TestKronrodExact checks the Gauss–Kronrod constants: the 15-point rule
// integrates x^k exactly on [−1, 1] for k ≤ 22 and the embedded 7-point
// Gauss rule for k ≤ 13 (but not k = 14), and both weight sets add to 2.
func TestKronrodExact(t *testing.T) {
	rule := func(k int, gauss bool) float64 {
		s := 0.0
		for i, x := range bgfGKNodes {
			w := bgfGKWeights[i]
			if gauss {
				if i%2 == 1 {
					continue
				}
				w = bgfGaussWeights[i/2]
			}
			v := math.Pow(x, float64(k))
			if i == 0 {
				if k == 0 {
					s += w
				}
				continue
			}
			s += w * (v + math.Pow(-x, float64(k)))
		}
		return s
	}
	exact := func(k int) float64 {
		if k%2 == 1 {
			return 0
		}
		return 2 / float64(k+1)
	}
	for k := 0; k <= 22; k++ {
		if got := rule(k, false); math.Abs(got-exact(k)) > 1e-15 {
			t.Errorf("Kronrod ∫x^%d = %.17g, want %.17g", k, got, exact(k))
		}
		if k <= 13 {
			if got := rule(k, true); math.Abs(got-exact(k)) > 1e-15 {
				t.Errorf("Gauss ∫x^%d = %.17g, want %.17g", k, got, exact(k))
			}
		}
	}
	if got := rule(14, true); math.Abs(got-exact(14)) < 1e-6 {
		t.Errorf("Gauss ∫x^14 = %v is exact: the 7-point rule should not be", got)
	}
}

// BenchmarkFitBGNBD_CDNOW fits the BG/NBD on the 2357-customer CDNOW
// summary (the Python reference takes about 125 ms).
func BenchmarkFitBGNBD_CDNOW(b *testing.B) {
	d := readCDNOWSummary(b)
	bgfBenchLoop(b, func() error {
		_, err := FitBGNBD(context.Background(), d, FitOptions{})
		return err
	})
}

// bgfBenchLoop runs fit in the benchmark loop and reports, next to the
// wall time, the CPU time of all threads per op (on a shared machine the
// wall time depends on the load; on an idle one it is about the CPU time
// divided by the number of busy cores).
func bgfBenchLoop(b *testing.B, fit func() error) {
	b.ReportAllocs()
	cpu0, n := cputime.Process(), 0
	for b.Loop() {
		if err := fit(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if cpu := cputime.Process() - cpu0; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// bgfBenchFit fits the BG/NBD on n simulated customers; the simulation
// is outside the timed loop.
func bgfBenchFit(b *testing.B, n int) {
	d := bgfSimulate(b, "bgnbd", n, map[string]float64{"r": 0.25, "alpha": 4, "a": 0.8, "b": 2.5}, 11)
	bgfBenchLoop(b, func() error {
		_, err := FitBGNBD(context.Background(), d, FitOptions{})
		return err
	})
}

// BenchmarkFitBGNBD_1M fits 1,000,000 simulated continuous-time customers.
func BenchmarkFitBGNBD_1M(b *testing.B) { bgfBenchFit(b, 1_000_000) }

// BenchmarkFitBGNBD_10M fits 10,000,000 simulated customers; it runs only
// when -bench names it explicitly (its data takes a minute to simulate
// and about 1 GB).
func BenchmarkFitBGNBD_10M(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || !strings.Contains(f.Value.String(), "10M") {
		b.Skip("run with -bench BenchmarkFitBGNBD_10M")
	}
	bgfBenchFit(b, 10_000_000)
}

// bgfBenchCustomers are CDNOW-like histories for the prediction benchmarks.
var bgfBenchCustomers = []Customer{
	{Frequency: 0, Recency: 0, T: 38.86}, {Frequency: 1, Recency: 1.71, T: 38.86},
	{Frequency: 2, Recency: 30.43, T: 38.86}, {Frequency: 7, Recency: 29.43, T: 35.71},
	{Frequency: 26, Recency: 35.14, T: 35.86}, {Frequency: 3, Recency: 5, T: 31},
}

func bgfBenchModel(b *testing.B) *FittedBGNBD {
	m, err := NewFittedBGNBD(0.2425945, 4.4136019, 0.7929199, 2.4258881)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkBGNBDConditionalExpected is one E[Y(39) | history] per op.
func BenchmarkBGNBDConditionalExpected(b *testing.B) {
	m := bgfBenchModel(b)
	i := 0
	for b.Loop() {
		m.ConditionalExpectedPurchases(bgfBenchCustomers[i%len(bgfBenchCustomers)], 39)
		i++
	}
}

// BenchmarkBGNBDProbabilityAlive is one P(alive | history) per op.
func BenchmarkBGNBDProbabilityAlive(b *testing.B) {
	m := bgfBenchModel(b)
	i := 0
	for b.Loop() {
		m.ProbabilityAlive(bgfBenchCustomers[i%len(bgfBenchCustomers)])
		i++
	}
}

// BenchmarkBGNBDExpected is one E[X(39)] per op.
func BenchmarkBGNBDExpected(b *testing.B) {
	m := bgfBenchModel(b)
	for b.Loop() {
		m.ExpectedPurchases(39)
	}
}

// BenchmarkBGNBDProbabilityOfPurchases is one P(X(39) = n), n = 0…9, per
// op.
func BenchmarkBGNBDProbabilityOfPurchases(b *testing.B) {
	m := bgfBenchModel(b)
	i := 0
	for b.Loop() {
		m.ProbabilityOfPurchases(i%10, 39)
		i++
	}
}

// BenchmarkBGNBDConditionalExpectedExtreme is one E[Y(t) | history] per op
// where the series would need too many terms (t/(α+T) = 10⁴) and the
// quadrature runs.
func BenchmarkBGNBDConditionalExpectedExtreme(b *testing.B) {
	m, err := NewFittedBGNBD(0.5, 0.01, 0.3, 2)
	if err != nil {
		b.Fatal(err)
	}
	c := Customer{Frequency: 3, Recency: 0.05, T: 0.09}
	for b.Loop() {
		m.ConditionalExpectedPurchases(c, 1000)
	}
}
