package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// sbgReference is one data set of published.json's "sbg" entry.
type sbgReference struct {
	Survivors     []float64          `json:"survivors"`
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
}

// sbgPublished reads the sBG entries of the shared reference file: Fader &
// Hardie (2007), "How to project customer retention", J. Interactive
// Marketing 21(1), the "high end" and "regular" cohorts.
func sbgPublished(t *testing.T) map[string]sbgReference {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatalf("reading published.json: %v", err)
	}
	var ref struct {
		SBG map[string]json.RawMessage `json:"sbg"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("parsing published.json: %v", err)
	}
	out := map[string]sbgReference{}
	for _, name := range []string{"high_end", "regular"} {
		var r sbgReference
		if err := json.Unmarshal(ref.SBG[name], &r); err != nil {
			t.Fatalf("parsing published.json sbg.%s: %v", name, err)
		}
		if len(r.Survivors) == 0 {
			t.Fatalf("published.json sbg.%s has no survivors", name)
		}
		out[name] = r
	}
	return out
}

// TestSBGPublished reproduces Fader & Hardie's (2007) estimates: α and β
// within 0.2% relative (the paper gives 3 decimals) and LL within 0.05.
func TestSBGPublished(t *testing.T) {
	for name, ref := range sbgPublished(t) {
		t.Run(name, func(t *testing.T) {
			f, err := SBG{}.FitSurvival(context.Background(), ref.Survivors, FitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res := f.Result()
			for _, p := range []string{"alpha", "beta"} {
				want := ref.Params[p]
				if rel := math.Abs(res.Params[p]/want - 1); rel > 0.002 {
					t.Errorf("%s = %.6g, want %.6g (relative error %.2g > 0.002)", p, res.Params[p], want, rel)
				}
				if !(res.StdErrors[p] > 0) {
					t.Errorf("standard error of %s = %v, want > 0", p, res.StdErrors[p])
				}
			}
			if d := math.Abs(res.LogLikelihood - ref.LogLikelihood); d > 0.05 {
				t.Errorf("LL = %.4f, want %.2f (off by %.3g > 0.05)", res.LogLikelihood, ref.LogLikelihood, d)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings %q on a clean fit", res.Warnings)
			}
			if res.Model != "sbg" || !res.HasLikelihood || !res.Converged || res.Customers != ref.Survivors[0] {
				t.Errorf("result %+v: want model sbg, a converged likelihood fit on %v customers", res, ref.Survivors[0])
			}
			if f.Alpha != res.Params["alpha"] || f.Beta != res.Params["beta"] {
				t.Errorf("fields α=%v β=%v differ from params %v", f.Alpha, f.Beta, res.Params)
			}
		})
	}
}

// TestSBGLogLikByHand checks the likelihood at α = β = 1, where θ is
// uniform and P(T=t) = 1/(t(t+1)), S(t) = 1/(t+1). For survivors
// [10, 6, 3]: 4 lifetimes T=1 (P = 1/2), 3 lifetimes T=2 (P = 1/6) and 3
// with T > 2 (S = 1/3): LL = 4 ln(1/2) + 3 ln(1/6) + 3 ln(1/3).
func TestSBGLogLikByHand(t *testing.T) {
	var c sbgCounts
	if err := c.addSurvivors([]float64{10, 6, 3}); err != nil {
		t.Fatal(err)
	}
	got := c.logLik([]float64{1, 1}, nil)
	want := 4*math.Log(0.5) + 3*math.Log(1.0/6) + 3*math.Log(1.0/3)
	if math.Abs(got-want) > 1e-13 {
		t.Errorf("LL = %.15g, want %.15g", got, want)
	}
	if c.n != 10 {
		t.Errorf("n = %v, want 10", c.n)
	}
}

// TestSBGLogLikBetaForm compares the recursive likelihood with the
// beta-function form of the published formulas at several points.
func TestSBGLogLikBetaForm(t *testing.T) {
	surv := []float64{1000, 631, 468, 382, 326, 289, 262, 241}
	var c sbgCounts
	if err := c.addSurvivors(surv); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]float64{{0.704, 1.182}, {0.668, 3.806}, {0.05, 40}, {25, 0.3}, {3, 3}} {
		a, b := p[0], p[1]
		want := 0.0
		for tt := 1; tt < len(surv); tt++ {
			want += (surv[tt-1] - surv[tt]) * (lbeta(a+1, b+float64(tt)-1) - lbeta(a, b))
		}
		m := len(surv) - 1
		want += surv[m] * (lbeta(a, b+float64(m)) - lbeta(a, b))
		got := c.logLik([]float64{a, b}, nil)
		if math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("α=%v β=%v: LL = %.12g, beta form %.12g", a, b, got, want)
		}
	}
	if ll := c.logLik([]float64{-1, 1}, nil); !math.IsInf(ll, -1) {
		t.Errorf("LL outside the parameter space = %v, want -Inf", ll)
	}
}

// TestSBGGradient compares the analytic gradient with central finite
// differences (gonum diff/fd), relative tolerance 1e-6, on survivor data
// and on individual subscriptions with censoring at several lengths.
func TestSBGGradient(t *testing.T) {
	var cohort sbgCounts
	if err := cohort.addSurvivors([]float64{1000, 869, 743, 653, 593, 551, 517, 491}); err != nil {
		t.Fatal(err)
	}
	subs := sbgCounts{
		churn:   []float64{0, 5, 3, 0, 2, 1},
		atLeast: []float64{4, 0, 2, 1, 0, 6},
		n:       24,
	}
	for _, c := range []struct {
		name   string
		counts *sbgCounts
	}{{"cohort", &cohort}, {"subscriptions", &subs}} {
		for _, p := range [][]float64{{0.668, 3.806}, {0.2, 0.1}, {5, 12}, {1, 1}} {
			t.Run(fmt.Sprintf("%s/%v", c.name, p), func(t *testing.T) {
				grad := make([]float64, 2)
				c.counts.logLik(p, grad)
				num := fd.Gradient(nil, func(x []float64) float64 { return c.counts.logLik(x, nil) }, p,
					&fd.Settings{Formula: fd.Central, Step: 1e-6})
				for i := range grad {
					if d := math.Abs(grad[i] - num[i]); d > 1e-6*math.Max(1, math.Abs(num[i])) {
						t.Errorf("∂LL/∂p[%d] = %.10g, finite differences %.10g", i, grad[i], num[i])
					}
				}
			})
		}
	}
}

// TestSBGSurvivalForms checks that the beta-function forms (Survival,
// ProbabilityChurn) agree with the recursion (SurvivalCurve, Retention) and
// that P(T=1) + … + P(T=n) + S(n) = 1, to 1e-12.
func TestSBGSurvivalForms(t *testing.T) {
	for _, p := range [][2]float64{{0.668, 3.806}, {0.704, 1.182}, {0.1, 0.1}, {30, 70}} {
		f, err := NewFittedSBG(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		curve := f.SurvivalCurve(200)
		cum := 0.0
		for tt := 0; tt <= 200; tt++ {
			if s := f.Survival(tt); math.Abs(s-curve[tt]) > 1e-12*math.Max(curve[tt], 1e-300) && math.Abs(s-curve[tt]) > 1e-14 {
				t.Errorf("α=%v β=%v: S(%d) = %.15g, recursion %.15g", p[0], p[1], tt, s, curve[tt])
			}
			if tt >= 1 {
				pc := f.ProbabilityChurn(tt)
				if want := curve[tt-1] - curve[tt]; math.Abs(pc-want) > 1e-12 {
					t.Errorf("α=%v β=%v: P(T=%d) = %.15g, S(t−1)−S(t) = %.15g", p[0], p[1], tt, pc, want)
				}
				cum += pc
				if math.Abs(cum+curve[tt]-1) > 1e-12 {
					t.Errorf("α=%v β=%v: Σ P(T≤%d) + S(%d) = %.15g, want 1", p[0], p[1], tt, tt, cum+curve[tt])
				}
			}
		}
		if f.Survival(-3) != 1 || f.ProbabilityChurn(0) != 0 || f.Retention(0) != f.Retention(1) {
			t.Errorf("edge values: S(-3)=%v P(T=0)=%v r_0=%v r_1=%v", f.Survival(-3), f.ProbabilityChurn(0), f.Retention(0), f.Retention(1))
		}
	}
}

// sbgDirectSum returns Σ_{t≥from} S(t)/S(from−1) · z^(t−from) (from ≥ 1) or,
// for from = 0, Σ_{t≥0} S(t) z^t, with S from the beta-function form, summed
// until the terms are negligible.
func sbgDirectSum(f *FittedSBG, z float64, from int) float64 {
	norm := 1.0
	if from > 0 {
		norm = f.Survival(from - 1)
	}
	sum := 0.0
	for k := 0; ; k++ {
		term := f.Survival(from+k) / norm * math.Pow(z, float64(k))
		sum += term
		if term < 1e-18*sum {
			return sum
		}
	}
}

// TestSBGDEL checks DEL(d) = 2F1(1, β; α+β; 1/(1+d)) against the direct
// discounted sum Σ_{t≥0} S(t)/(1+d)^t of Fader & Hardie (2010), which counts
// the first payment at t = 0 undiscounted, to 1e-8 relative; against the
// closed form −ln(1−z)/z at α = β = 1 (S(t) = 1/(t+1)); and checks
// DEL(d) = 1 + DERL(d, 1)/(1+d).
func TestSBGDEL(t *testing.T) {
	tests := []struct{ alpha, beta, d float64 }{
		{0.668, 3.806, 0.10}, {0.704, 1.182, 0.10}, {0.704, 1.182, 0.01},
		{1, 1, 0.2}, {2.5, 0.4, 0.05}, {0.3, 8, 1}, {50, 120, 0.1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("a=%v,b=%v,d=%v", tt.alpha, tt.beta, tt.d), func(t *testing.T) {
			f, err := NewFittedSBG(tt.alpha, tt.beta)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.DEL(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			z := 1 / (1 + tt.d)
			if want := sbgDirectSum(f, z, 0); math.Abs(got/want-1) > 1e-8 {
				t.Errorf("DEL = %.12g, direct sum %.12g", got, want)
			}
			derl, err := f.DERL(tt.d, 1)
			if err != nil {
				t.Fatal(err)
			}
			if want := 1 + z*derl; math.Abs(got/want-1) > 1e-12 {
				t.Errorf("DEL = %.15g, 1 + DERL(d,1)/(1+d) = %.15g", got, want)
			}
			if tt.alpha == 1 && tt.beta == 1 {
				if want := -math.Log1p(-z) / z; math.Abs(got/want-1) > 1e-13 {
					t.Errorf("DEL = %.15g, closed form −ln(1−z)/z = %.15g", got, want)
				}
			}
		})
	}
}

// TestSBGDERL checks DERL(d, n) against the direct sum
// Σ_{t≥n} S(t)/S(n−1) / (1+d)^(t−n), to 1e-8 relative.
func TestSBGDERL(t *testing.T) {
	for _, p := range [][2]float64{{0.668, 3.806}, {0.704, 1.182}, {3, 0.5}} {
		f, err := NewFittedSBG(p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []float64{0.1, 0.03} {
			for _, n := range []int{1, 2, 5, 8, 40} {
				got, err := f.DERL(d, n)
				if err != nil {
					t.Fatal(err)
				}
				if want := sbgDirectSum(f, 1/(1+d), n); math.Abs(got/want-1) > 1e-8 {
					t.Errorf("α=%v β=%v d=%v n=%d: DERL = %.12g, direct sum %.12g", p[0], p[1], d, n, got, want)
				}
			}
		}
	}
}

// TestSBGUndiscounted checks the d = 0 limits: DEL(0) = E[T] =
// (α+β−1)/(α−1) and DERL(0, n) = (β+n−1)/(α−1) for α > 1, which the series
// approaches as d → 0 (compared at d = 1e-5 to 1e-3 relative: the
// derivative in d is finite only for α > 2, hence α = 3.2 here), and an
// error for α ≤ 1 or d < 0.
func TestSBGUndiscounted(t *testing.T) {
	f, err := NewFittedSBG(3.2, 1.7)
	if err != nil {
		t.Fatal(err)
	}
	del0, err := f.DEL(0)
	if err != nil {
		t.Fatal(err)
	}
	if want := (3.2 + 1.7 - 1) / (3.2 - 1); math.Abs(del0-want) > 1e-14 {
		t.Errorf("DEL(0) = %v, want %v", del0, want)
	}
	near, err := f.DEL(1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(near/del0-1) > 1e-3 {
		t.Errorf("DEL(1e-5) = %v, far from DEL(0) = %v", near, del0)
	}
	derl0, err := f.DERL(0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := (1.7 + 3) / (3.2 - 1); math.Abs(derl0-want) > 1e-14 {
		t.Errorf("DERL(0, 4) = %v, want %v", derl0, want)
	}
	heavy, _ := NewFittedSBG(0.668, 3.806)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"DEL(0) α≤1", sbgErrOf(heavy.DEL(0))},
		{"DERL(0) α≤1", sbgErrOf(heavy.DERL(0, 3))},
		{"DEL(-0.1)", sbgErrOf(f.DEL(-0.1))},
		{"DEL(NaN)", sbgErrOf(f.DEL(math.NaN()))},
		{"DERL n=0", sbgErrOf(f.DERL(0.1, 0))},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func sbgErrOf(_ float64, err error) error { return err }

// TestSBGHyp2F1 compares the series with gonum's mathext.Hypergeo (Cephes)
// to 1e-12 relative and checks the argument guards.
func TestSBGHyp2F1(t *testing.T) {
	for _, c := range [][3]float64{{0.5, 1.2, 0.3}, {3.806, 4.474, 1 / 1.1}, {1.182, 1.886, 0.99}, {10, 10.5, 0.5}, {0.01, 5, 0.9}} {
		got, err := sbgHyp2F1(c[0], c[1], c[2])
		if err != nil {
			t.Fatal(err)
		}
		want := mathext.Hypergeo(1, c[0], c[1], c[2])
		if math.Abs(got/want-1) > 1e-12 {
			t.Errorf("2F1(1, %v; %v; %v) = %.15g, mathext.Hypergeo %.15g", c[0], c[1], c[2], got, want)
		}
	}
	for _, c := range [][3]float64{{1, 1, 0.5}, {2, 1, 0.5}, {0, 1, 0.5}, {1, 2, 1}, {1, 2, -0.1}, {1, 2, math.NaN()}} {
		if _, err := sbgHyp2F1(c[0], c[1], c[2]); err == nil {
			t.Errorf("2F1(1, %v; %v; %v): no error", c[0], c[1], c[2])
		}
	}
}

// TestSBGFitForms checks that the same lifetimes give the same fit as a
// cohort, as one of several cohorts, and as individual subscriptions (the
// n_m survivors of period m have paid for m+1 periods and are still
// active), to 1e-6 relative.
func TestSBGFitForms(t *testing.T) {
	surv := []float64{1000, 631, 468, 382, 326, 289, 262, 241}
	ctx := context.Background()
	base, err := SBG{}.FitSurvival(ctx, surv, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var durations []float64
	var active []bool
	for tt := 1; tt < len(surv); tt++ {
		for range int(surv[tt-1] - surv[tt]) {
			durations = append(durations, float64(tt))
			active = append(active, false)
		}
	}
	m := len(surv) - 1
	for range int(surv[m]) {
		durations = append(durations, float64(m+1))
		active = append(active, true)
	}
	subs, err := SBG{}.FitSubscriptions(ctx, durations, active, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := SBG{}.FitCohorts(ctx, [][]float64{surv}, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*FittedSBG{"subscriptions": subs, "one cohort": one} {
		for _, p := range []string{"alpha", "beta"} {
			if rel := math.Abs(f.Result().Params[p]/base.Result().Params[p] - 1); rel > 1e-6 {
				t.Errorf("%s: %s = %.10g, cohort fit %.10g", name, p, f.Result().Params[p], base.Result().Params[p])
			}
		}
		if d := math.Abs(f.Result().LogLikelihood - base.Result().LogLikelihood); d > 1e-6 {
			t.Errorf("%s: LL = %.10g, cohort fit %.10g", name, f.Result().LogLikelihood, base.Result().LogLikelihood)
		}
	}

	// Two cohorts: the likelihood is the sum of the cohorts' likelihoods.
	short := []float64{500, 400, 330}
	two, err := SBG{}.FitCohorts(ctx, [][]float64{surv, short}, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var a, b sbgCounts
	if err := a.addSurvivors(surv); err != nil {
		t.Fatal(err)
	}
	if err := b.addSurvivors(short); err != nil {
		t.Fatal(err)
	}
	p := []float64{two.Alpha, two.Beta}
	if want := a.logLik(p, nil) + b.logLik(p, nil); math.Abs(two.Result().LogLikelihood-want) > 1e-8 {
		t.Errorf("two cohorts: LL = %.10g, sum of the cohorts' LL %.10g", two.Result().LogLikelihood, want)
	}
	if two.Result().Customers != 1500 {
		t.Errorf("two cohorts: customers = %v, want 1500", two.Result().Customers)
	}
}

// TestSBGRecovery simulates 20,000 customers with θ ~ Beta(0.8, 2.5),
// geometric lifetimes observed for 12 periods, and checks that the fit
// recovers α and β within 3.5 standard errors.
func TestSBGRecovery(t *testing.T) {
	const alpha, beta, n, periods = 0.8, 2.5, 20000, 12
	rng := rand.New(rand.NewPCG(7, 11))
	theta := distuv.Beta{Alpha: alpha, Beta: beta, Src: rng}
	surv := make([]float64, periods+1)
	for range n {
		th := theta.Rand()
		life := 1 // periods paid for: the customer churns at the end of a period with probability θ
		for life <= periods && rng.Float64() >= th {
			life++
		}
		for tt := 0; tt < life && tt <= periods; tt++ {
			surv[tt]++
		}
	}
	f, err := SBG{}.FitSurvival(context.Background(), surv, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := f.Result()
	for name, want := range map[string]float64{"alpha": alpha, "beta": beta} {
		if z := math.Abs(res.Params[name]-want) / res.StdErrors[name]; z > 3.5 {
			t.Errorf("%s = %.4g ± %.3g, true %v (%.1f standard errors off)", name, res.Params[name], res.StdErrors[name], want, z)
		}
	}
}

// TestSBGErrors checks that bad input is refused with an error.
func TestSBGErrors(t *testing.T) {
	ctx := context.Background()
	for name, s := range map[string][]float64{
		"too short": {100},
		"rising":    {100, 80, 90},
		"negative":  {100, -1},
		"zero size": {0, 0},
		"NaN":       {100, math.NaN()},
		"Inf":       {math.Inf(1), 10},
	} {
		if _, err := (SBG{}).FitSurvival(ctx, s, FitOptions{}); err == nil {
			t.Errorf("FitSurvival(%s %v): no error", name, s)
		}
	}
	if _, err := (SBG{}).FitSurvival(ctx, []float64{1000, 1000, 1000}, FitOptions{}); err == nil || !strings.Contains(err.Error(), "no customer churned") {
		t.Errorf("FitSurvival without churn: error %v, want one saying no customer churned", err)
	}
	if _, err := (SBG{}).FitCohorts(ctx, nil, FitOptions{}); err == nil {
		t.Error("FitCohorts(nil): no error")
	}
	for name, c := range map[string]struct {
		d []float64
		a []bool
	}{
		"empty":      {nil, nil},
		"mismatch":   {[]float64{1, 2}, []bool{true}},
		"zero":       {[]float64{0}, []bool{false}},
		"fractional": {[]float64{1.5}, []bool{false}},
		"NaN":        {[]float64{math.NaN()}, []bool{false}},
	} {
		if _, err := (SBG{}).FitSubscriptions(ctx, c.d, c.a, FitOptions{}); err == nil {
			t.Errorf("FitSubscriptions(%s): no error", name)
		}
	}
	for _, p := range [][2]float64{{0, 1}, {1, -1}, {math.Inf(1), 1}, {1, math.NaN()}} {
		if _, err := NewFittedSBG(p[0], p[1]); err == nil {
			t.Errorf("NewFittedSBG(%v, %v): no error", p[0], p[1])
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (SBG{}).FitSurvival(cancelled, []float64{1000, 631, 468}, FitOptions{}); err == nil {
		t.Error("FitSurvival with a cancelled context: no error")
	}
}

// TestSBGDegenerateWarnings checks that fits at the edge of the parameter
// space say so: survivors halving every period are exactly geometric with
// θ = 1/2 (α, β → ∞ with α/(α+β) = 1/2), and a cohort that all churns in
// the first period has θ = 1 for everyone.
func TestSBGDegenerateWarnings(t *testing.T) {
	for _, s := range [][]float64{{1024, 512, 256, 128, 64}, {1000, 0}} {
		f, err := SBG{}.FitSurvival(context.Background(), s, FitOptions{})
		if err != nil && !IsConvergence(err) {
			t.Fatalf("%v: %v", s, err)
		}
		if f == nil || len(f.Result().Warnings) == 0 {
			t.Errorf("%v: no warning for a degenerate fit", s)
			continue
		}
		if s[1] == 512 {
			if churn := f.Alpha / (f.Alpha + f.Beta); math.Abs(churn-0.5) > 1e-4 {
				t.Errorf("%v: churn probability α/(α+β) = %v, want 0.5", s, churn)
			}
		}
	}
}

// TestSBGName pins the name the command line and configs use.
func TestSBGName(t *testing.T) {
	if got := (SBG{}).Name(); got != "sbg" {
		t.Errorf("Name() = %q, want sbg", got)
	}
}

func ExampleSBG_FitSurvival() {
	// The "high end" cohort of Fader & Hardie (2007): customers still active
	// at the start of years 0..7.
	survivors := []float64{1000, 869, 743, 653, 593, 551, 517, 491}
	f, err := SBG{}.FitSurvival(context.Background(), survivors, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res := f.Result()
	fmt.Printf("alpha=%.3f beta=%.3f LL=%.2f\n", res.Params["alpha"], res.Params["beta"], res.LogLikelihood)
	curve := f.SurvivalCurve(12)
	for year := 8; year <= 12; year++ {
		fmt.Printf("year %d: %.0f survivors, retention %.3f\n", year, 1000*curve[year], f.Retention(year))
	}
	// Output:
	// alpha=0.668 beta=3.806 LL=-1611.16
	// year 8: 460 survivors, retention 0.942
	// year 9: 436 survivors, retention 0.946
	// year 10: 414 survivors, retention 0.950
	// year 11: 395 survivors, retention 0.954
	// year 12: 378 survivors, retention 0.957
}

func ExampleFittedSBG_DEL() {
	// The "regular" cohort's estimates (Fader & Hardie 2007), valued at a
	// discount rate of 10% per year.
	f, err := NewFittedSBG(0.704, 1.182)
	if err != nil {
		fmt.Println(err)
		return
	}
	del, _ := f.DEL(0.10)
	derl, _ := f.DERL(0.10, 5)
	fmt.Printf("DEL = %.3f years of payments\n", del)
	fmt.Printf("DERL after 5 years = %.3f\n", derl)
	// Output:
	// DEL = 3.695 years of payments
	// DERL after 5 years = 5.894
}

func BenchmarkSBGFitSurvival(b *testing.B) {
	survivors := []float64{1000, 869, 743, 653, 593, 551, 517, 491}
	ctx := context.Background()
	for b.Loop() {
		if _, err := (SBG{}).FitSurvival(ctx, survivors, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSBGDEL(b *testing.B) {
	f, _ := NewFittedSBG(0.704, 1.182)
	for b.Loop() {
		if _, err := f.DEL(0.01); err != nil {
			b.Fatal(err)
		}
	}
}
