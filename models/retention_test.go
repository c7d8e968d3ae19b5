package models

import (
	"context"
	"fmt"
	"math"
	"testing"
)

var (
	_ PurchaseModel   = Retention{}
	_ FittedPurchases = (*FittedRetention)(nil)
)

// retData is a cohort with P = 4 activity periods of L = 2 time units,
// worked out by hand (bit k: bought in the k-th period before the end of
// calibration):
//
//	row  x  t_x   T  activity  pairs active→next       retained
//	A    5  7.5   8  0b1111    3→2, 2→1, 1→0: 3        3
//	B    1  5     8  0b1010    3→2, 1→0: 2             0
//	C    2  4.5   6  0b0110    2→1, 1→0: 2             1 (2→1)
//	D    0  0     1  0b0001    none (bit 0 ends the window)
//	E    1  1    10  0b10000   none (bit 4 lies outside the 4 periods)
//
// r = (3+0+1)/(3+2+2) = 4/7. The cohort rate is Σx/ΣT = 9/33 = 3/11.
func retData() *Data {
	return &Data{
		Frequency:       []float64{5, 1, 2, 0, 1},
		Recency:         []float64{7.5, 5, 4.5, 0, 1},
		T:               []float64{8, 8, 6, 1, 10},
		Activity:        []uint64{0b1111, 0b1010, 0b0110, 0b0001, 0b10000},
		ActivityPeriod:  2,
		ActivityPeriods: 4,
	}
}

func TestRetentionByHand(t *testing.T) {
	d := retData()
	f, err := Retention{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const r = 4.0 / 7
	res := f.Result()
	for name, want := range map[string]float64{"retention": r, "rate": 3.0 / 11, "period": 2, "pairs": 7} {
		if got := res.Params[name]; math.Abs(got-want) > 1e-15 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if res.Model != "retention" || res.HasLikelihood || !res.Converged || res.Method != "heuristic" || res.Customers != 5 {
		t.Errorf("result %+v: want a converged heuristic fit of model retention on 5 customers", res)
	}
	// Expected time alive over a horizon t with L = 2 (survival into each
	// period ahead decided at its start):
	//   A(3) = 2·r + 1·r² = 8/7 + 16/49 = 72/49    (one whole period, half of the next)
	//   A(4) = 2·(r + r²) = 88/49
	//   A(1) = 1·r = 4/7
	a3, a4 := 72.0/49, 88.0/49
	tests := []struct {
		name    string
		row     int
		g       int
		t       float64
		alive   float64
		want    float64
		comment string
	}{
		{"A", 0, 0, 3, 1, 5.0 / 8 * a3, "active in the last period: P(alive)=1, 5/8·72/49"},
		{"A", 0, 0, 4, 1, 5.0 / 8 * a4, "5/8·88/49"},
		{"A", 0, 0, 1, 1, 5.0 / 8 * r, "5/8·4/7"},
		{"B", 1, 1, 3, r, 1.0 / 8 * r * a3, "last active one period back: 1/8·4/7·72/49"},
		{"C", 2, 1, 3, r, 2.0 / 6 * r * a3, "2/6·4/7·72/49"},
		{"D", 3, 0, 3, 1, 0, "no repeats: rate 0"},
		{"E", 4, 4, 3, r * r * r * r, 1.0 / 10 * r * r * r * r * a3, "no activity inside the window: g = ⌊(10−1)/2⌋ = 4"},
		{"A, zero horizon", 0, 0, 0, 1, 0, ""},
	}
	for _, tt := range tests {
		c := d.Customer(tt.row)
		if g := f.(*FittedRetention).PeriodsSinceActivity(c); g != tt.g {
			t.Errorf("%s: g = %d, want %d", tt.name, g, tt.g)
		}
		if p := f.ProbabilityAlive(c); math.Abs(p-tt.alive) > 1e-15 {
			t.Errorf("%s: P(alive) = %v, want %v", tt.name, p, tt.alive)
		}
		if got := f.ConditionalExpectedPurchases(c, tt.t); math.Abs(got-tt.want) > 1e-14 {
			t.Errorf("%s over %v (%s): E[Y] = %.15g, want %.15g", tt.name, tt.t, tt.comment, got, tt.want)
		}
	}
	if got, want := f.ExpectedPurchases(3), 3.0/11*a3; math.Abs(got-want) > 1e-15 {
		t.Errorf("E[X(3)] = %v, want %v", got, want)
	}
}

// TestRetentionAliveTime checks A(t) against RetentionCLVFinite (A(nL) is
// the undiscounted retention CLV of margin L over n periods), its
// continuity at period boundaries, and the limit r = 1 where A(t) = t and
// the model predicts what Average does.
func TestRetentionAliveTime(t *testing.T) {
	for _, r := range []float64{0.3, 0.9, 0.999999} {
		f := &FittedRetention{r: r, logR: math.Log(r), period: 3, periods: 8}
		for _, n := range []int{1, 2, 7, 50} {
			got := f.aliveTime(3 * float64(n))
			if want := RetentionCLVFinite(3, r, 0, n); math.Abs(got-want) > 1e-12*want {
				t.Errorf("r=%v: A(%d·L) = %.15g, Σ L·r^j = %.15g", r, n, got, want)
			}
			below, above := f.aliveTime(3*float64(n)-1e-9), f.aliveTime(3*float64(n)+1e-9)
			if math.Abs(above-below) > 1e-8 {
				t.Errorf("r=%v: A jumps at %d·L: %.12g → %.12g", r, n, below, above)
			}
		}
	}
	d := retData()
	d.Activity = []uint64{0b1111, 0b1111, 0b1111, 0b1, 0b1}
	f, err := Retention{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	avg, err := Average{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Result().Params["retention"]; r != 1 {
		t.Fatalf("retention = %v, want 1", r)
	}
	for i := 0; i < d.Len(); i++ {
		c := d.Customer(i)
		if got, want := f.ConditionalExpectedPurchases(c, 7.3), avg.ConditionalExpectedPurchases(c, 7.3); math.Abs(got-want) > 1e-14 {
			t.Errorf("row %d at r=1: E[Y] = %v, Average %v", i, got, want)
		}
	}
}

func TestRetentionErrors(t *testing.T) {
	ctx := context.Background()
	noActivity := retData()
	noActivity.Activity = nil
	_, err := Retention{}.Fit(ctx, noActivity, FitOptions{})
	if err == nil || err.Error() != "the retention model needs activity periods: set the activity period" {
		t.Errorf("without activity: error %v, want %q", err, "the retention model needs activity periods: set the activity period")
	}
	for name, mod := range map[string]func(d *Data){
		"zero period":       func(d *Data) { d.ActivityPeriod = 0 },
		"NaN period":        func(d *Data) { d.ActivityPeriod = math.NaN() },
		"one period":        func(d *Data) { d.ActivityPeriods = 1 },
		"65 periods":        func(d *Data) { d.ActivityPeriods = 65 },
		"no active pairs":   func(d *Data) { d.Activity = []uint64{1, 1, 0, 0, 1} },
		"short activity":    func(d *Data) { d.Activity = d.Activity[:2] },
		"invalid recency":   func(d *Data) { d.Recency[0] = 99 },
		"zero total weight": func(d *Data) { d.Weight = []float64{0, 0, 0, 0, 0} },
	} {
		d := retData()
		mod(d)
		if _, err := (Retention{}).Fit(ctx, d, FitOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRetentionFullWindow checks that all 64 periods can be used.
func TestRetentionFullWindow(t *testing.T) {
	d := retData()
	d.ActivityPeriods = 64
	d.Activity = []uint64{math.MaxUint64, 0b1010, 0, 1, 1}
	f, err := Retention{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// All ones: 63 pairs, 63 retained; 0b1010: 2 pairs, 0 retained.
	if got, want := f.Result().Params["retention"], 63.0/65; math.Abs(got-want) > 1e-15 {
		t.Errorf("retention = %v, want %v", got, want)
	}
}

// TestRetentionCLV checks Gupta & Lehmann's m·r/(1+d−r) and its finite
// sum, by hand and against the explicit sum.
func TestRetentionCLV(t *testing.T) {
	tests := []struct {
		name       string
		m, r, d    float64
		n          int
		finite     float64
		infinite   float64
		hasClosure bool
	}{
		// 100·0.8/1.1 = 72.7272…
		{"one period", 100, 0.8, 0.1, 1, 100 * 0.8 / 1.1, 100 * 0.8 / 0.3, true},
		// 72.7272… + 100·0.64/1.21 = 125.6198…
		{"two periods", 100, 0.8, 0.1, 2, 100*0.8/1.1 + 100*0.64/1.21, 100 * 0.8 / 0.3, true},
		// r = 1, d = 0: m per period, forever.
		{"no churn, no discount", 5, 1, 0, 10, 50, math.Inf(1), true},
		{"no retention", 5, 0, 0.1, 10, 0, 0, true},
		{"no periods", 5, 0.5, 0.1, 0, 0, 5 * 0.5 / 0.6, true},
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
			if k == 200 {
				if got := RetentionCLVFinite(m, r, d, k); math.Abs(got/explicit-1) > 1e-12 {
					t.Errorf("m=%v r=%v d=%v: finite(%d) = %.15g, explicit %.15g", m, r, d, k, got, explicit)
				}
			}
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

func TestRetentionName(t *testing.T) {
	if got := (Retention{}).Name(); got != "retention" {
		t.Errorf("Name() = %q, want retention", got)
	}
}

func ExampleRetentionCLV() {
	// $100 of margin a year, 80% of customers renew each year, money is
	// discounted at 10% a year.
	fmt.Printf("infinite horizon: $%.2f\n", RetentionCLV(100, 0.8, 0.1))
	fmt.Printf("five years: $%.2f\n", RetentionCLVFinite(100, 0.8, 0.1, 5))
	// Output:
	// infinite horizon: $266.67
	// five years: $212.41
}

func ExampleRetention() {
	// Four 13-week activity periods; bit 0 is the last quarter.
	d := &Data{
		Frequency:       []float64{6, 1, 2},
		Recency:         []float64{50, 20, 30},
		T:               []float64{52, 52, 40},
		Activity:        []uint64{0b1111, 0b1000, 0b0110},
		ActivityPeriod:  13,
		ActivityPeriods: 4,
	}
	f, err := Retention{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("retention per quarter: %.3f\n", f.Result().Params["retention"])
	for i := 0; i < d.Len(); i++ {
		c := d.Customer(i)
		fmt.Printf("customer %d: P(alive) %.3f, next 26 weeks %.3f purchases\n", i+1, f.ProbabilityAlive(c), f.ConditionalExpectedPurchases(c, 26))
	}
	// Output:
	// retention per quarter: 0.667
	// customer 1: P(alive) 1.000, next 26 weeks 1.667 purchases
	// customer 2: P(alive) 0.296, next 26 weeks 0.082 purchases
	// customer 3: P(alive) 0.667, next 26 weeks 0.481 purchases
}

func BenchmarkRetentionConditionalExpectedPurchases(b *testing.B) {
	f, err := Retention{}.Fit(context.Background(), retData(), FitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cs := avgBenchCustomers(1000)
	sink := 0.0
	for b.Loop() {
		for _, c := range cs {
			sink += f.ConditionalExpectedPurchases(c, 39)
		}
	}
	_ = sink
}

// The retention model's exact discounted sum agrees with the generic
// quadrature run on a fine fixed grid.
func TestRetentionDiscountedExact(t *testing.T) {
	f := &FittedRetention{r: 0.6, logR: math.Log(0.6), rate: 0.2, period: 4.35, periods: 12, result: &FitResult{}}
	c := Customer{Frequency: 3, Recency: 20, T: 30, Activity: 1}
	for _, d := range []float64{0, 0.002, 0.05} {
		for _, h := range []float64{1, 4.35, 30, 52} {
			exact := f.DiscountedExpectedPurchasesWithin(c, d, h)
			// A quadrature over the same curve, on a grid fine enough to
			// resolve the kinks (the generic path, bypassing the interface).
			curve := func(t float64) float64 { return f.ConditionalExpectedPurchases(c, t) }
			n := 200000
			step := h / float64(n)
			delta := math.Log1p(d)
			sum, prev := 0.0, 0.0
			for k := 1; k <= n; k++ {
				e := curve(float64(k) * step)
				sum += (e - prev) * math.Exp(-delta*(float64(k)-0.5)*step)
				prev = e
			}
			if math.Abs(exact-sum) > 1e-7*math.Max(1e-9, sum) {
				t.Errorf("d=%v H=%v: exact %.12g, fine sum %.12g", d, h, exact, sum)
			}
		}
	}
	if got := DiscountedExpectedPurchases(f, c, CLVOptions{Horizon: 52, DiscountRate: 0.05, Margin: 1}); got != f.DiscountedExpectedPurchasesWithin(c, 0.05, 52) {
		t.Errorf("DiscountedExpectedPurchases does not use the exact sum: %v", got)
	}
}
