package models

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

var (
	_ PurchaseModel     = Retention{}
	_ FittedPurchases   = (*FittedRetention)(nil)
	_ HorizonDiscounter = (*FittedRetention)(nil)
	// The experiments' prediction path sends models with this method
	// through its per-customer path, since they read the activity bitmaps.
	_ interface{ RecencyState(Customer) int } = (*FittedRetention)(nil)
)

// retData is a cohort with P = 4 activity periods of L = 2 time units,
// worked out by hand (bit k: bought in the k-th period before the end of
// calibration; K = ⌊T/L⌋ the period of the first purchase, e = T/L − K;
// recency r: 0 when active, else periods since the last active one):
//
//	row  x  T    activity  K  e     transitions from period 3 down to 0   a  x+e   a−1+e
//	A    4  7.5  0b1111    3  0.75  0→A 0→A 0→A                           4  4.75  3.75
//	B    1  7    0b1010    3  0.5   0→1 1→A 0→1                           2  1.5   1.5
//	C    2  5    0b0110    2  0.5   0→A 0→1                               2  2.5   1.5
//	D    0  1    0b0001    0  0.5   none                                  1  0.5   0.5
//	E    1  10   0b10000   5  —     none (history before the window, recency unknown)
//	F    1  6    0b1001    3  0     0→1 1→2 2→A                           2  1     1
//
// From recency 0: 3+2+2+1 = 8 transitions, 4 to active: p = 1/2. From
// recency 1: 2 (B, F), 1 to active; from recency 2: 1 (F), 1 to active.
// m = 10.25/8.25 = 41/33 (E, not fully observed, is left out).
func retData() *Data {
	return &Data{
		Frequency:       []float64{4, 1, 2, 0, 1, 1},
		Recency:         []float64{7, 4, 3, 0, 1, 5.5},
		T:               []float64{7.5, 7, 5, 1, 10, 6},
		Activity:        []uint64{0b1111, 0b1010, 0b0110, 0b0001, 0b10000, 0b1001},
		ActivityPeriod:  2,
		ActivityPeriods: 4,
	}
}

// TestRetentionByHand checks the two-state chain: every silent state
// pooled, q = 2/3.
func TestRetentionByHand(t *testing.T) {
	d := retData()
	fp, err := Retention{RecencyStates: 1}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fp.(*FittedRetention)
	const p, q, m = 0.5, 2.0 / 3, 41.0 / 33
	res := f.Result()
	for name, want := range map[string]float64{
		"retention": p, "reactivation": q, "reactivation_after_1": q, "reactivation_after_last": q,
		"recency_states": 1, "purchases_per_active_period": m, "period": 2, "pairs": 8, "inactive_pairs": 3,
	} {
		if got := res.Params[name]; math.Abs(got-want) > 1e-15 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if res.Model != "retention" || res.HasLikelihood || !res.Converged || res.Method != "heuristic" || res.Customers != 6 {
		t.Errorf("result %+v: want a converged heuristic fit of model retention on 6 customers", res)
	}
	// Over t = 3 = 1.5 periods, by the transition matrix:
	//   active now: P1 = p = 1/2, P2 = p·p + (1−p)·q = 7/12, E = m(1/2 + ½·7/12) = m·19/24;
	//   silent now: P1 = q = 2/3, P2 = q·p + (1−q)·q = 5/9,  E = m(2/3 + ½·5/9) = m·17/18.
	active, silent := m*19/24, m*17/18
	tests := []struct {
		row, state, since int
		alive, three      float64
	}{
		{0, 0, 0, p, active}, // A: bit 0 set
		{1, 1, 1, q, silent}, // B
		{2, 1, 1, q, silent}, // C
		{3, 0, 0, p, active}, // D: first purchase in the last period
		{4, 1, 4, q, silent}, // E: silent for ⌊(10−1)/2⌋ = 4 periods, capped at R = 1
		{5, 0, 0, p, active}, // F
		{0, 0, 0, p, active}, // A again: the table grown by others gives the same
	}
	for _, tt := range tests {
		c := d.Customer(tt.row)
		if got := f.RecencyState(c); got != tt.state {
			t.Errorf("row %d: state %v, want %v", tt.row, got, tt.state)
		}
		if got := f.PeriodsSinceActivity(c); got != tt.since {
			t.Errorf("row %d: %v periods since activity, want %v", tt.row, got, tt.since)
		}
		if got := f.ProbabilityAlive(c); math.Abs(got-tt.alive) > 1e-15 {
			t.Errorf("row %d: P(active next period) = %v, want %v", tt.row, got, tt.alive)
		}
		if got := f.ConditionalExpectedPurchases(c, 3); math.Abs(got-tt.three) > 1e-14 {
			t.Errorf("row %d: E[Y(3)] = %.15g, want %.15g", tt.row, got, tt.three)
		}
		if got := f.ConditionalExpectedPurchases(c, 0); got != 0 {
			t.Errorf("row %d: E[Y(0)] = %v, want 0", tt.row, got)
		}
	}
	// A new customer over 3: (m−1) in the acquisition period, then half a
	// period from the active state: m·½·p.
	if got, want := f.ExpectedPurchases(3), (m-1)+m*0.5*p; math.Abs(got-want) > 1e-15 {
		t.Errorf("E[X(3)] = %v, want %v", got, want)
	}
	if got, want := f.ExpectedPurchases(1), (m-1)/2; math.Abs(got-want) > 1e-15 {
		t.Errorf("E[X(1)] = %v, want %v", got, want)
	}
	if !strings.Contains(f.Assumptions(), "Pfeifer & Carraway") || (Retention{}).Assumptions() != f.Assumptions() {
		t.Errorf("Assumptions() = %q", f.Assumptions())
	}
}

// TestRetentionMemoryStates checks the memory in periods by hand on
// retData (L = 2, the longest T 10): S/L for the memory span S, a third of
// the window by default, or RecencyStates; a customer of weight 0 does not
// stretch the window. Then the states chosen for it: ⌊x⌋ + 1 with weight
// x − ⌊x⌋ on the longer chain, whole memories and fixed states unblended,
// the caps dropping the blend.
func TestRetentionMemoryStates(t *testing.T) {
	zeroOldest := retData()
	zeroOldest.Weight = []float64{1, 1, 1, 1, 0, 1} // T = 10 weighs nothing: window 7.5
	for _, c := range []struct {
		name  string
		model Retention
		d     *Data
		want  float64
	}{
		{"default: 10/3/2", Retention{}, retData(), 5.0 / 3},
		{"window without the weightless customer: 7.5/3/2", Retention{}, zeroOldest, 1.25},
		{"memory 7", Retention{Memory: 7}, retData(), 3.5},
		{"fixed states win", Retention{Memory: 6, RecencyStates: 5}, retData(), 5},
	} {
		if got := c.model.memoryPeriods(c.d, c.d.ActivityPeriod); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: x = %v, want %v", c.name, got, c.want)
		}
	}
	var wide, narrow migrationCounts // reactivations in every state, or from recency 1 only
	for r := range wide.from {
		wide.from[r], wide.active[r] = 100, 50
	}
	narrow.from[0], narrow.active[0], narrow.from[1], narrow.active[1] = 100, 50, 100, 50
	for _, c := range []struct {
		name  string
		mc    *migrationCounts
		x     float64
		fixed bool
		P     int
		R     int
		w     float64
	}{
		{"5/3 periods", &wide, 5.0 / 3, false, 64, 2, 2.0 / 3},
		{"whole", &wide, 3, false, 64, 3, 1},
		{"fixed", &wide, 3, true, 64, 3, 1},
		{"under one period", &wide, 0.5, false, 64, 1, 1},
		{"one and a quarter", &wide, 1.25, false, 64, 2, 0.25},
		{"capped by P − 1", &wide, 2.5, false, 3, 2, 1},
		{"huge", &wide, 1e300, false, 64, maxRecencyStates, 1},
		{"sparse tail", &narrow, 2.5, false, 64, 1, 1},
	} {
		if R, w := c.mc.chooseStates(c.x, c.fixed, c.P); R != c.R || math.Abs(w-c.w) > 1e-15 {
			t.Errorf("%s: R = %d, w = %v; want %d, %v", c.name, R, w, c.R, c.w)
		}
	}
}

// TestRetentionRecencyByHand asks for R = 3 on the same data, each row
// standing for 100 customers: no customer silent for 3 periods was seen,
// so the last state is lowered to R = 2, with q_1 = 1/2 and q_2 = 1/1.
func TestRetentionRecencyByHand(t *testing.T) {
	d := retData()
	d.Weight = []float64{100, 100, 100, 100, 100, 100}
	fp, err := Retention{RecencyStates: 3}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := fp.(*FittedRetention)
	if got := f.ReactivationRates(); !slices.Equal(got, []float64{0.5, 1}) || f.RetentionRate() != 0.5 || f.Result().Params["recency_states"] != 2 {
		t.Errorf("q = %v, p = %v, params %v: want [0.5 1], 0.5, R = 2", got, f.RetentionRate(), f.Result().Params)
	}
	// With unit weights the last state holds one reactivation, fewer than
	// 30: the chain falls back to two states.
	d.Weight = nil
	if fp, err := (Retention{RecencyStates: 3}).Fit(context.Background(), d, FitOptions{}); err != nil || fp.Result().Params["recency_states"] != 1 {
		t.Errorf("unit weights: %v, %v; want R = 1", err, fp)
	}
	const m = 41.0 / 33
	// B, silent one period, over t = 4 = 2 periods: P1 = q_1 = 1/2; then
	// half active, half silent for 2: P2 = ½·p + ½·q_2 = 3/4.
	if got, want := f.ConditionalExpectedPurchases(d.Customer(1), 4), m*(0.5+0.75); math.Abs(got-want) > 1e-14 {
		t.Errorf("B over 2 periods: %v, want %v", got, want)
	}
	// E, silent 4 periods, is in state 2: P1 = q_2 = 1.
	if s, a := f.RecencyState(d.Customer(4)), f.ProbabilityAlive(d.Customer(4)); s != 2 || a != 1 {
		t.Errorf("E: state %d, P(active next) %v; want 2 and 1", s, a)
	}
	if _, err := (Retention{RecencyStates: -1}).Fit(context.Background(), d, FitOptions{}); err == nil {
		t.Error("RecencyStates −1: no error")
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := (Retention{Memory: bad}).Fit(context.Background(), d, FitOptions{}); err == nil || !strings.Contains(err.Error(), "memory span") {
			t.Errorf("Memory %v: error %v, want one naming the memory span", bad, err)
		}
	}
}

// matrixActive returns P(active in period j), j = 1..n, from state start
// by multiplying the row vector by the full transition matrix of the
// recency chain, the check on the table the model steps.
func matrixActive(q []float64, start, n int) []float64 {
	R := len(q) - 1
	M := make([][]float64, R+1)
	for r := range M {
		M[r] = make([]float64, R+1)
		M[r][0] += q[r]
		M[r][min(r+1, R)] += 1 - q[r]
	}
	v := make([]float64, R+1)
	v[start] = 1
	out := make([]float64, n)
	for j := range out {
		w := make([]float64, R+1)
		for a := range v {
			for b := range w {
				w[b] += v[a] * M[a][b]
			}
		}
		v = w
		out[j] = v[0]
	}
	return out
}

// twoStateActive is the two-state closed form P_j = π + (s_0 − π) λ^j.
func twoStateActive(p, q float64, active bool, j int) float64 {
	s0 := 0.0
	if active {
		s0 = 1
	}
	lam := p - q
	if lam == 1 {
		return s0
	}
	pi := q / (1 - lam)
	return pi + (s0-pi)*math.Pow(lam, float64(j))
}

// TestRetentionChainClosedForm checks the expected active periods, whole
// and partial, against the two-state closed form (including a negative λ,
// q > p, and the absorbing p = 1, q = 0) and against the full transition
// matrix for a chain with four silent states.
func TestRetentionChainClosedForm(t *testing.T) {
	check := func(name string, f *FittedRetention, state int, probs []float64) {
		sum := 0.0
		for n := 0; n+1 < len(probs); n++ {
			for _, frac := range []float64{0, 0.25} {
				want := sum + frac*probs[n]
				if got := f.chain.activePeriods(state, float64(n)+frac); math.Abs(got-want) > 1e-12*math.Max(1, want) {
					t.Errorf("%s from state %d: %v periods: %.15g active, want %.15g", name, state, float64(n)+frac, got, want)
				}
			}
			sum += probs[n]
		}
	}
	for _, pq := range [][2]float64{{0.6, 0.1}, {0.2, 0.7}, {1, 0}, {0, 0}, {1, 1}, {0.999, 0.0001}, {0.3, 0}} {
		f := newFittedRetention([]float64{pq[0], pq[1]}, 1.7, 3, 10)
		for state, active := range []bool{true, false} {
			probs := make([]float64, 60)
			for j := range probs {
				probs[j] = twoStateActive(pq[0], pq[1], active, j+1)
			}
			check(fmt.Sprintf("p=%v q=%v", pq[0], pq[1]), f, state, probs)
		}
	}
	q := []float64{0.55, 0.3, 0.12, 0.05, 0.01}
	f := newFittedRetention(q, 1.7, 3, 10)
	for state := range q {
		check(fmt.Sprint("q=", q), f, state, matrixActive(q, state, 80))
	}
}

// TestRetentionDiscountedExact checks the closed-form discounted sum
// against a fine Riemann–Stieltjes sum of the undiscounted curve, its
// d = 0 and infinite-horizon limits, and that CLV uses it.
func TestRetentionDiscountedExact(t *testing.T) {
	f := newFittedRetention([]float64{0.6, 0.2, 0.1, 0.03}, 1.8, 4.35, 12)
	for _, c := range []Customer{{Frequency: 3, Recency: 20, T: 30, Activity: 1}, {Frequency: 3, Recency: 10, T: 30, Activity: 4}} {
		for _, d := range []float64{0.002, 0.05} {
			for _, h := range []float64{1, 30, 52} {
				exact := f.DiscountedExpectedPurchasesWithin(c, d, h)
				n := 200000
				step := h / float64(n)
				delta := math.Log1p(d)
				sum, prev := 0.0, 0.0
				for k := 1; k <= n; k++ {
					e := f.ConditionalExpectedPurchases(c, float64(k)*step)
					sum += (e - prev) * math.Exp(-delta*(float64(k)-0.5)*step)
					prev = e
				}
				if math.Abs(exact-sum) > 1e-8*math.Max(1e-9, sum) {
					t.Errorf("state %d d=%v H=%v: exact %.12g, fine sum %.12g", f.RecencyState(c), d, h, exact, sum)
				}
			}
			if d > 0 {
				inf, far := f.DiscountedExpectedPurchasesWithin(c, d, math.Inf(1)), f.DiscountedExpectedPurchasesWithin(c, d, 1e6)
				if math.Abs(inf-far) > 1e-12*inf {
					t.Errorf("d=%v: infinite horizon %.15g, 1e6 %.15g", d, inf, far)
				}
			}
		}
		if v := f.DiscountedExpectedPurchasesWithin(c, 0, math.Inf(1)); !math.IsInf(v, 1) {
			t.Errorf("undiscounted infinite horizon = %v, want +Inf", v)
		}
	}
	c := Customer{Frequency: 3, Recency: 20, T: 30, Activity: 1}
	if got, want := newFittedRetention([]float64{0.6, 0}, 1.8, 4.35, 12).DiscountedExpectedPurchasesWithin(c, 0, math.Inf(1)), 1.8*0.6/0.4; math.Abs(got-want) > 1e-15 {
		t.Errorf("undiscounted infinite horizon without reactivation = %v, want m·p/(1−p) = %v", got, want)
	}
	if got, want := f.DiscountedExpectedPurchasesWithin(c, 0, 30), f.ConditionalExpectedPurchases(c, 30); got != want {
		t.Errorf("undiscounted: %v, want E[Y(30)] = %v", got, want)
	}
	if got := DiscountedExpectedPurchases(f, c, CLVOptions{Horizon: 52, DiscountRate: 0.05, Margin: 1}); got != f.DiscountedExpectedPurchasesWithin(c, 0.05, 52) {
		t.Errorf("DiscountedExpectedPurchases does not use the exact sum: %v", got)
	}
	for _, bad := range [][2]float64{{-0.1, 5}, {math.NaN(), 5}, {0.1, -1}, {0.1, math.NaN()}} {
		if v := f.DiscountedExpectedPurchasesWithin(c, bad[0], bad[1]); !math.IsNaN(v) {
			t.Errorf("d=%v H=%v: %v, want NaN", bad[0], bad[1], v)
		}
	}
}

// TestRetentionMigrationValue checks Pfeifer & Carraway's value recursion
// against the explicit sum over the transition matrix, and that without
// reactivation it is Gupta & Lehmann's m·p/(1+d−p).
func TestRetentionMigrationValue(t *testing.T) {
	for _, q := range [][]float64{{0.6, 0.1}, {0.2, 0.7}, {0.8, 0}, {1, 0}, {0.55, 0.3, 0.12, 0.05}, {0.7, 0, 0}} {
		f := newFittedRetention(q, 2.5, 1, 10)
		for state := range q {
			for _, d := range []float64{0.01, 0.1, 1} {
				want := 0.0
				for j, pj := range matrixActive(q, state, 5000) {
					want += 2.5 * pj / math.Pow(1+d, float64(j+1))
				}
				if got := f.MigrationValue(state, d); math.Abs(got-want) > 1e-10*math.Max(1, want) {
					t.Errorf("q=%v state %d d=%v: %.15g, explicit %.15g", q, state, d, got, want)
				}
				if q[len(q)-1] == 0 && q[1] == 0 && state == 0 {
					if gl := RetentionCLV(2.5, q[0], d); math.Abs(f.MigrationValue(0, d)-gl) > 1e-12*gl {
						t.Errorf("q=%v d=%v: %v, m·p/(1+d−p) = %v", q, d, f.MigrationValue(0, d), gl)
					}
				}
			}
		}
	}
	f := newFittedRetention([]float64{0.6, 0.1}, 2.5, 1, 10)
	if v := f.MigrationValue(0, 0); !math.IsInf(v, 1) {
		t.Errorf("undiscounted value with reactivation = %v, want +Inf", v)
	}
	if v := newFittedRetention([]float64{0.6, 0}, 2.5, 1, 10).MigrationValue(0, 0); math.Abs(v-2.5*0.6/0.4) > 1e-15 {
		t.Errorf("undiscounted value without reactivation = %v, want m·p/(1−p) = 3.75", v)
	}
	for _, bad := range []struct {
		state int
		d     float64
	}{{0, -0.1}, {0, math.NaN()}, {2, 0.1}, {-1, 0.1}} {
		if v := f.MigrationValue(bad.state, bad.d); !math.IsNaN(v) {
			t.Errorf("state %d d=%v: %v, want NaN", bad.state, bad.d, v)
		}
	}
}

func TestRetentionErrors(t *testing.T) {
	ctx := context.Background()
	noActivity := retData()
	noActivity.Activity = nil
	_, err := Retention{}.Fit(ctx, noActivity, FitOptions{})
	if err == nil || err.Error() != errNoActivity {
		t.Errorf("without activity: error %v, want %q", err, errNoActivity)
	}
	for name, mod := range map[string]func(d *Data){
		"zero period": func(d *Data) { d.ActivityPeriod = 0 },
		"NaN period":  func(d *Data) { d.ActivityPeriod = math.NaN() },
		"one period":  func(d *Data) { d.ActivityPeriods = 1 },
		"65 periods":  func(d *Data) { d.ActivityPeriods = 65 },
		"no active pairs": func(d *Data) {
			d.T = []float64{1, 1, 1, 1, 1, 1}
			d.Recency = make([]float64, 6)
			d.Activity = []uint64{1, 1, 1, 1, 1, 1}
		},
		"no exposure": func(d *Data) {
			// Every history begins before the window.
			d.T = []float64{20, 20, 20, 20, 20, 20}
		},
		"short activity":    func(d *Data) { d.Activity = d.Activity[:2] },
		"invalid recency":   func(d *Data) { d.Recency[0] = 99 },
		"zero total weight": func(d *Data) { d.Weight = make([]float64, 6) },
	} {
		d := retData()
		mod(d)
		if _, err := (Retention{}).Fit(ctx, d, FitOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (Retention{}).Fit(cancelled, retData(), FitOptions{}); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestRetentionWeightsAndWarnings checks that a weight counts as that many
// identical rows and that a chain never seen inactive warns and sets q = 0.
func TestRetentionWeightsAndWarnings(t *testing.T) {
	d := retData()
	d.Weight = []float64{2, 1, 1, 1, 1, 1}
	dup := retData()
	dup.Frequency = append(dup.Frequency, dup.Frequency[0])
	dup.Recency = append(dup.Recency, dup.Recency[0])
	dup.T = append(dup.T, dup.T[0])
	dup.Activity = append(dup.Activity, dup.Activity[0])
	fw, err1 := Retention{}.Fit(context.Background(), d, FitOptions{})
	fd, err2 := Retention{}.Fit(context.Background(), dup, FitOptions{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, k := range fw.Result().Params.Names() {
		if a, b := fw.Result().Params[k], fd.Result().Params[k]; math.Abs(a-b) > 1e-14*math.Abs(b) {
			t.Errorf("%s: weighted %v, duplicated %v", k, a, b)
		}
	}
	always := &Data{Frequency: []float64{3}, Recency: []float64{7}, T: []float64{7.5}, Activity: []uint64{0b1111}, ActivityPeriod: 2, ActivityPeriods: 4}
	f, err := Retention{}.Fit(context.Background(), always, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Result(); r.Params["retention"] != 1 || r.Params["reactivation"] != 0 || len(r.Warnings) != 2 {
		t.Errorf("always active: params %v, warnings %q", r.Params, r.Warnings)
	}
	// p = 1, q = 0: an active customer stays active, m per period.
	m := f.Result().Params["purchases_per_active_period"]
	if got := f.ConditionalExpectedPurchases(always.Customer(0), 5); math.Abs(got-2.5*m) > 1e-14 {
		t.Errorf("always active over 2.5 periods: %v, want %v", got, 2.5*m)
	}
}

// migrationSummary simulates a migration-model customer base and
// summarizes it through the ordinary reader with the given activity period.
func migrationSummary(t *testing.T, sim *datasets.Simulation, calEnd, holdEnd time.Time, periodDays float64) *datasets.Summary {
	t.Helper()
	var buf bytes.Buffer
	if err := sim.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := datasets.Summarize(&buf, "simulated.csv", datasets.ReadOptions{},
		datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: calEnd, HoldoutEnd: holdEnd, ActivityPeriodDays: periodDays})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// migrationFit fits the retention model on a summary (customers with T > 0)
// and returns it with the cohort's predicted and actual holdout totals.
func migrationFit(t *testing.T, model Retention, s *datasets.Summary) (f *FittedRetention, predicted, actual float64) {
	t.Helper()
	d := &Data{ActivityPeriod: s.ActivityPeriod / s.Unit.Days(), ActivityPeriods: s.ActivityPeriods}
	for _, c := range s.Customers {
		actual += c.FrequencyHoldout
		if c.T > 0 {
			d.Frequency = append(d.Frequency, c.Frequency)
			d.Recency = append(d.Recency, c.Recency)
			d.T = append(d.T, c.T)
			d.Activity = append(d.Activity, c.Activity)
		}
	}
	fp, err := model.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f = fp.(*FittedRetention)
	for _, c := range s.Customers {
		cust := Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Activity: c.Activity}
		if c.T > 0 {
			predicted += f.ConditionalExpectedPurchases(cust, c.DurationHoldout)
		} else {
			predicted += f.ExpectedPurchases(c.DurationHoldout)
		}
	}
	return f, predicted, actual
}

// migrationTruth is the simulated base of the recovery and stability
// tests: four-week periods, 13 of them in calibration (the calibration end
// is the last day of period 12) and a holdout of 150 days, 5.36 periods.
func migrationTruth(t *testing.T) (sim *datasets.Simulation, calEnd, holdEnd time.Time) {
	t.Helper()
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	sim, err := datasets.SimulateMigration(datasets.MigrationConfig{
		Retention: 0.6, Reactivation: 0.15, PurchasesPerActivePeriod: 1.8, PeriodDays: 28,
		Customers: 10000, Start: start, AcquisitionDays: 84, Days: 13*28 + 150, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim, start.AddDate(0, 0, 13*28-1), start.AddDate(0, 0, 13*28+150-1)
}

// TestRetentionRecoversSimulation fits the model on data drawn from its own
// assumptions, through the ordinary log reader: the estimates come back
// (p within 0.02, every q_r within 0.03, m within 3%: binomial standard
// errors are about 0.004 for p and q_1) and the cohort's holdout total, over
// a holdout that is not a whole number of periods, within 5% of the
// simulated one, for the two-state chain and for one with six silent states
// (whose reactivation probabilities are all 0.15 in truth), and with the
// recency states set by the memory span (the default and 8 weeks).
func TestRetentionRecoversSimulation(t *testing.T) {
	sim, calEnd, holdEnd := migrationTruth(t)
	s := migrationSummary(t, sim, calEnd, holdEnd, 28)
	for _, c := range []struct {
		model Retention
		R     int
	}{
		{Retention{RecencyStates: 1}, 1},
		// The default memory, a third of the 52-week window, is 4.3
		// four-week periods: chains of 4 and 5 states blended.
		{Retention{}, 5},
		{Retention{RecencyStates: 6}, 6},
		{Retention{Memory: 8}, 2},
		{Retention{Memory: 10}, 3},
	} {
		recoverMigration(t, c.model, c.R, s)
	}
}

func recoverMigration(t *testing.T, model Retention, wantR int, s *datasets.Summary) {
	f, predicted, actual := migrationFit(t, model, s)
	if R := len(f.q) - 1; R != wantR {
		t.Errorf("%+v: R = %d, want %d", model, R, wantR)
	}
	wantMemory := model.Memory
	switch {
	case model.RecencyStates > 0:
		wantMemory = float64(model.RecencyStates) * f.period
	case wantMemory == 0:
		for _, c := range s.Customers {
			wantMemory = math.Max(wantMemory, c.T/3)
		}
	}
	if got := f.Result().Params["memory"]; math.Abs(got-wantMemory) > 1e-12 {
		t.Errorf("%+v: memory %v, want %v", model, got, wantMemory)
	}
	q := f.ReactivationRates()
	for r, qr := range q {
		if math.Abs(qr-0.15) > 0.03 {
			t.Errorf("q_%d = %.4f, truth 0.15", r+1, qr)
		}
	}
	if math.Abs(f.RetentionRate()-0.6) > 0.02 || math.Abs(f.m/1.8-1) > 0.03 {
		t.Errorf("estimates p=%.4f m=%.4f, truth 0.6, 1.8", f.RetentionRate(), f.m)
	}
	if math.Abs(predicted/actual-1) > 0.05 {
		t.Errorf("holdout total predicted %.1f, simulated %.1f (%+.1f%%)", predicted, actual, 100*(predicted/actual-1))
	}
	t.Logf("p=%.4f q=%.3f m=%.4f; holdout total predicted %.1f, simulated %.1f (%+.2f%%)", f.RetentionRate(), q, f.m, predicted, actual, 100*(predicted/actual-1))
}

// TestRetentionBlend checks a memory between whole periods against two
// separate fits: 9 weeks of four-week periods (2.25 periods) forecast 3/4
// of the chain with 2 states plus 1/4 of the chain with 3, customer by customer,
// for every forecast the model gives (MigrationValue from state r uses
// state min(r, 2) of the shorter chain).
func TestRetentionBlend(t *testing.T) {
	sim, calEnd, holdEnd := migrationTruth(t)
	s := migrationSummary(t, sim, calEnd, holdEnd, 28)
	blend, _, _ := migrationFit(t, Retention{Memory: 9}, s)
	two, _, _ := migrationFit(t, Retention{RecencyStates: 2}, s)
	three, _, _ := migrationFit(t, Retention{RecencyStates: 3}, s)
	if got := blend.Result().Params["memory"]; got != 9 {
		t.Errorf("memory %v, want 9", got)
	}
	check := func(what string, g func(f *FittedRetention) float64) {
		t.Helper()
		got, want := g(blend), 0.75*g(two)+0.25*g(three)
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: blended %.15g, want %.15g", what, got, want)
		}
	}
	for i, sc := range s.Customers[:200] {
		c := Customer{Frequency: sc.Frequency, Recency: sc.Recency, T: sc.T, Activity: sc.Activity}
		name := fmt.Sprintf("customer %d", i)
		check(name+" ConditionalExpectedPurchases", func(f *FittedRetention) float64 { return f.ConditionalExpectedPurchases(c, 21.4) })
		check(name+" ProbabilityAlive", func(f *FittedRetention) float64 { return f.ProbabilityAlive(c) })
		check(name+" discounted 30", func(f *FittedRetention) float64 { return f.DiscountedExpectedPurchasesWithin(c, 0.002, 30) })
		check(name+" discounted ∞", func(f *FittedRetention) float64 { return f.DiscountedExpectedPurchasesWithin(c, 0.002, math.Inf(1)) })
	}
	check("ExpectedPurchases", func(f *FittedRetention) float64 { return f.ExpectedPurchases(9) })
	for r := 0; r <= 3; r++ {
		got := blend.MigrationValue(r, 0.01)
		want := 0.75*two.MigrationValue(min(r, 2), 0.01) + 0.25*three.MigrationValue(r, 0.01)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("MigrationValue(%d): blended %v, want %v", r, got, want)
		}
	}
	if v := blend.MigrationValue(4, 0.01); !math.IsNaN(v) {
		t.Errorf("MigrationValue beyond R = 3: %v, want NaN", v)
	}
}

// TestRetentionPeriodStability analyses the same simulated log with
// monthly and quarterly activity periods (neither the four-week period it
// was drawn with): the cohort's holdout totals differ by less than 10%, and
// each lies within 10% of the simulated total.
func TestRetentionPeriodStability(t *testing.T) {
	sim, calEnd, holdEnd := migrationTruth(t)
	totals := map[string]float64{}
	var actual float64
	for name, days := range map[string]float64{"month": datasets.Month.Days(), "quarter": 3 * datasets.Month.Days()} {
		_, predicted, act := migrationFit(t, Retention{}, migrationSummary(t, sim, calEnd, holdEnd, days))
		totals[name], actual = predicted, act
		if math.Abs(predicted/actual-1) > 0.10 {
			t.Errorf("%s periods: holdout total %.1f, simulated %.1f", name, predicted, actual)
		}
	}
	if ratio := totals["quarter"] / totals["month"]; math.Abs(ratio-1) > 0.10 {
		t.Errorf("holdout total by month %.1f, by quarter %.1f: ratio %.3f", totals["month"], totals["quarter"], ratio)
	}
	t.Logf("holdout totals: month %.1f, quarter %.1f, simulated %.1f", totals["month"], totals["quarter"], actual)
}

func TestRetentionName(t *testing.T) {
	if got := (Retention{}).Name(); got != "retention" {
		t.Errorf("Name() = %q, want retention", got)
	}
}

// TestRetentionCLV checks Gupta & Lehmann's m·r/(1+d−r) and its finite
// sum, by hand and against the explicit sum.
func TestRetentionCLV(t *testing.T) {
	tests := []struct {
		name     string
		m, r, d  float64
		n        int
		finite   float64
		infinite float64
	}{
		// 100·0.8/1.1 = 72.7272…
		{"one period", 100, 0.8, 0.1, 1, 100 * 0.8 / 1.1, 100 * 0.8 / 0.3},
		// 72.7272… + 100·0.64/1.21 = 125.6198…
		{"two periods", 100, 0.8, 0.1, 2, 100*0.8/1.1 + 100*0.64/1.21, 100 * 0.8 / 0.3},
		// r = 1, d = 0: m per period, forever.
		{"no churn, no discount", 5, 1, 0, 10, 50, math.Inf(1)},
		{"no retention", 5, 0, 0.1, 10, 0, 0},
		{"no periods", 5, 0.5, 0.1, 0, 0, 5 * 0.5 / 0.6},
	}
	for _, tt := range tests {
		if got := RetentionCLVFinite(tt.m, tt.r, tt.d, tt.n); math.Abs(got-tt.finite) > 1e-12*math.Max(1, tt.finite) {
			t.Errorf("%s: finite CLV = %.15g, want %.15g", tt.name, got, tt.finite)
		}
		got := RetentionCLV(tt.m, tt.r, tt.d)
		if math.IsInf(tt.infinite, 1) {
			if !math.IsInf(got, 1) {
				t.Errorf("%s: CLV = %v, want +Inf", tt.name, got)
			}
		} else if math.Abs(got-tt.infinite) > 1e-12*math.Max(1, tt.infinite) {
			t.Errorf("%s: CLV = %.15g, want %.15g", tt.name, got, tt.infinite)
		}
	}
	// The finite sum equals the explicit sum and tends to the infinite one.
	for _, c := range [][3]float64{{100, 0.8, 0.1}, {1, 0.95, 0.01}, {3, 0.999, 0.0001}} {
		m, r, d := c[0], c[1], c[2]
		explicit := 0.0
		for k := 1; k <= 200; k++ {
			explicit += m * math.Pow(r/(1+d), float64(k))
		}
		if got := RetentionCLVFinite(m, r, d, 200); math.Abs(got/explicit-1) > 1e-12 {
			t.Errorf("m=%v r=%v d=%v: finite(200) = %.15g, explicit %.15g", m, r, d, got, explicit)
		}
		inf := RetentionCLV(m, r, d)
		prev := 0.0
		for _, n := range []int{10, 100, 1000, 100000, 10000000} {
			got := RetentionCLVFinite(m, r, d, n)
			if got < prev || got > inf*(1+1e-13) {
				t.Errorf("m=%v r=%v d=%v: finite(%d) = %.15g not increasing toward %.15g", m, r, d, n, got, inf)
			}
			prev = got
		}
		if math.Abs(prev/inf-1) > 1e-12 {
			t.Errorf("m=%v r=%v d=%v: finite(1e7) = %.15g, infinite %.15g", m, r, d, prev, inf)
		}
	}
	for _, c := range [][3]float64{{1, 1.1, 0.1}, {1, -0.1, 0.1}, {1, 0.5, -0.1}, {math.NaN(), 0.5, 0.1}, {1, 0.5, math.Inf(1)}} {
		if v := RetentionCLV(c[0], c[1], c[2]); !math.IsNaN(v) {
			t.Errorf("RetentionCLV(%v) = %v, want NaN", c, v)
		}
		if v := RetentionCLVFinite(c[0], c[1], c[2], 5); !math.IsNaN(v) {
			t.Errorf("RetentionCLVFinite(%v) = %v, want NaN", c, v)
		}
	}
}

func ExampleRetentionCLV() {
	// $100 of margin a year, 80% of customers renew each year, money is
	// discounted at 10% a year: 100·0.8/(1.1−0.8).
	fmt.Printf("infinite horizon: $%.2f\n", RetentionCLV(100, 0.8, 0.1))
	// Output:
	// infinite horizon: $266.67
}

// BenchmarkRetentionConditionalExpectedPurchases predicts 1,000 customers
// from one chain (R = 2) and from a blend of two (a memory of 5/3 periods:
// R = 1 and 2), on retData weighted so that every state is well observed.
func BenchmarkRetentionConditionalExpectedPurchases(b *testing.B) {
	d := retData()
	d.Weight = []float64{100, 100, 100, 100, 100, 100}
	for _, c := range []struct {
		name  string
		model Retention
	}{{"one chain", Retention{RecencyStates: 2}}, {"blend", Retention{}}} {
		b.Run(c.name, func(b *testing.B) {
			f, err := c.model.Fit(context.Background(), d, FitOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if blended := f.(*FittedRetention).shorter != nil; blended != (c.model.RecencyStates == 0) {
				b.Fatalf("blended %v", blended)
			}
			benchConditionalExpected(b, f)
		})
	}
}

// TestRetentionConcurrent predicts from several goroutines at once, which
// grow the shared chain table (run under -race in CI), and checks they
// agree with a fresh fit predicting alone.
func TestRetentionConcurrent(t *testing.T) {
	q := []float64{0.55, 0.3, 0.12, 0.05}
	shared, alone := newFittedRetention(q, 1.5, 1, 10), newFittedRetention(q, 1.5, 1, 10)
	c := Customer{Frequency: 2, Recency: 3, T: 8, Activity: 0b10010000}
	got := make([]float64, 8)
	done := make(chan int)
	for g := range got {
		go func() {
			got[g] = shared.ConditionalExpectedPurchases(c, float64(10+20*g)+0.5)
			done <- g
		}()
	}
	for range got {
		<-done
	}
	for g, v := range got {
		if want := alone.ConditionalExpectedPurchases(c, float64(10+20*g)+0.5); v != want {
			t.Errorf("goroutine %d: %v, alone %v", g, v, want)
		}
	}
}

// TestCountMigrationsFolded checks the counts made once per distinct
// history (unit weights, short bitmaps) against the counts made customer
// by customer, bit for bit.
func TestCountMigrationsFolded(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const P, L = 12, 4.0
	d := &Data{ActivityPeriod: L, ActivityPeriods: P}
	for range 20_000 {
		T := rng.Float64() * 60
		x := float64(rng.IntN(8))
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, T*rng.Float64())
		d.T = append(d.T, T)
		d.Activity = append(d.Activity, rng.Uint64()&(1<<P-1))
	}
	var want migrationCounts
	for i := 0; i < d.Len(); i++ {
		want.add(historyOf(d.Customer(i), L, P), d.Frequency[i], 1)
	}
	if got := countMigrations(d, L, P); *got != want {
		t.Fatalf("folded counts %+v, want %+v", *got, want)
	}
}
