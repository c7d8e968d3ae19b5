package models

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

var (
	_ PurchaseModel   = Hiatus{}
	_ FittedPurchases = (*FittedHiatus)(nil)
)

// hiaData is a cohort worked out by hand:
//
//	row  x  t_x   T  weight  mean gap t_x/x  silence T−t_x
//	A    2    8  10    1        4               2
//	B    0    0   5    1        –               5
//	C    3    3  15    2        1              12
//	D    1    6  20    1        6              14
//
// The repeat customers' mean gaps, with weights, sorted: 1 (2), 4 (1),
// 6 (1), total weight 4. The lower 0.9-quantile is the first gap at which
// the cumulative weight reaches 3.6: 6. The 0.5-quantile (weight 2) is 1,
// the 0.75-quantile (weight 3) is 4. The cohort rate is
// (2+0+6+1)/(10+5+30+20) = 9/65.
func hiaData() *Data {
	return &Data{
		Frequency: []float64{2, 0, 3, 1},
		Recency:   []float64{8, 0, 3, 6},
		T:         []float64{10, 5, 15, 20},
		Weight:    []float64{1, 1, 2, 1},
	}
}

func TestHiatusDerived(t *testing.T) {
	tests := []struct {
		quantile float64
		h        float64
		active   float64 // weighted share of customers with T − t_x ≤ h
	}{
		{0, 6, 2.0 / 5},   // default 0.9: A (2) and B (5) active
		{0.9, 6, 2.0 / 5}, // the same, explicitly
		{0.75, 4, 1.0 / 5},
		{0.5, 1, 0},
		{1, 6, 2.0 / 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.quantile), func(t *testing.T) {
			f, err := Hiatus{Quantile: tt.quantile}.Fit(context.Background(), hiaData(), FitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res := f.Result()
			q := tt.quantile
			if q == 0 {
				q = DefaultHiatusQuantile
			}
			for name, want := range map[string]float64{"hiatus": tt.h, "active_share": tt.active, "rate": 9.0 / 65, "quantile": q} {
				if got := res.Params[name]; math.Abs(got-want) > 1e-15 {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if res.Model != "hiatus" || res.HasLikelihood || !res.Converged || res.Method != "heuristic" || res.Customers != 5 {
				t.Errorf("result %+v: want a converged heuristic fit of model hiatus on 5 customers", res)
			}
		})
	}
}

func TestHiatusPredictionsByHand(t *testing.T) {
	d := hiaData()
	tests := []struct {
		name  string
		h     float64
		row   int
		alive float64
		want  float64 // over t = 10
	}{
		{"A, h=6: silence 2, rate 2/10", 6, 0, 1, 2},
		{"B, h=6: silence 5, no repeats: the cohort rate 9/65", 6, 1, 1, 90.0 / 65},
		{"C, h=6: silence 12 > 6", 6, 2, 0, 0},
		{"D, h=6: silence 14 > 6", 6, 3, 0, 0},
		{"C, h=13: silence 12, rate 3/15", 13, 2, 1, 2},
		{"C, h=12: a silence of exactly h stays active", 12, 2, 1, 2},
		{"D, h=13: silence 14 > 13", 13, 3, 0, 0},
		{"D, h=14: rate 1/20", 14, 3, 1, 0.5},
	}
	for _, tt := range tests {
		f, err := Hiatus{H: tt.h}.Fit(context.Background(), d, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := d.Customer(tt.row)
		if p := f.ProbabilityAlive(c); p != tt.alive {
			t.Errorf("%s: P(alive) = %v, want %v", tt.name, p, tt.alive)
		}
		if got := f.ConditionalExpectedPurchases(c, 10); math.Abs(got-tt.want) > 1e-14 {
			t.Errorf("%s: E[Y(10)] = %v, want %v", tt.name, got, tt.want)
		}
		if got := f.ConditionalExpectedPurchases(c, -1); got != 0 {
			t.Errorf("%s: E[Y(-1)] = %v, want 0", tt.name, got)
		}
		if h := f.(*FittedHiatus).HiatusLength(); h != tt.h {
			t.Errorf("%s: hiatus %v, want %v", tt.name, h, tt.h)
		}
		if _, ok := f.Result().Params["quantile"]; ok {
			t.Errorf("%s: a given hiatus reports a quantile", tt.name)
		}
		// A new customer at the cohort rate: 9/65 · 13 = 1.8.
		if got := f.ExpectedPurchases(13); math.Abs(got-1.8) > 1e-14 {
			t.Errorf("E[X(13)] = %v, want 1.8", got)
		}
	}
}

func TestHiatusErrors(t *testing.T) {
	ctx := context.Background()
	noRepeats := hiaData()
	noRepeats.Frequency = []float64{0, 0, 0, 0}
	noRepeats.Recency = []float64{0, 0, 0, 0}
	for name, c := range map[string]struct {
		m Hiatus
		d *Data
	}{
		"negative H":    {Hiatus{H: -1}, hiaData()},
		"NaN H":         {Hiatus{H: math.NaN()}, hiaData()},
		"Inf H":         {Hiatus{H: math.Inf(1)}, hiaData()},
		"quantile 1.5":  {Hiatus{Quantile: 1.5}, hiaData()},
		"quantile -0.1": {Hiatus{Quantile: -0.1}, hiaData()},
		"no repeats":    {Hiatus{}, noRepeats},
		"nil data":      {Hiatus{H: 3}, nil},
	} {
		if _, err := c.m.Fit(ctx, c.d, FitOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// With a given hiatus, customers without repeats are no obstacle.
	if _, err := (Hiatus{H: 3}).Fit(ctx, noRepeats, FitOptions{}); err != nil {
		t.Errorf("given hiatus without repeat customers: %v", err)
	}
}

// TestHeuristicsCDNOW fits Average and Hiatus on the CDNOW sample
// (published.json cdnow_sample.summary: 2,357 customers, Σx = 2,457, mean
// T = 32.716 weeks): the cohort rate must be Σx / (n · mean T) to the
// rounding of the published mean (5e-4 weeks), and the derived hiatus the
// 90th percentile of t_x/x over the 946 repeat customers, computed here by
// sorting (element ⌈0.9·946⌉ − 1). The holdout totals are logged for
// comparison with the 1,882 repeat purchases observed, not asserted: the
// heuristics are not expected to match them.
func TestHeuristicsCDNOW(t *testing.T) {
	d := readCDNOWSummary(t)
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		CDNOW struct {
			Summary struct {
				Customers       float64 `json:"customers"`
				Repeat          float64 `json:"repeat_customers"`
				SumFrequency    float64 `json:"sum_frequency"`
				MeanT           float64 `json:"mean_T"`
				HoldoutPurchase float64 `json:"sum_frequency_holdout"`
			} `json:"summary"`
		} `json:"cdnow_sample"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	sum := ref.CDNOW.Summary
	if float64(d.Len()) != sum.Customers {
		t.Fatalf("%d customers, published %v", d.Len(), sum.Customers)
	}
	ctx := context.Background()
	avg, err := Average{}.Fit(ctx, d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rate := avg.Result().Params["rate"]
	lo, hi := sum.SumFrequency/(sum.Customers*(sum.MeanT+5e-4)), sum.SumFrequency/(sum.Customers*(sum.MeanT-5e-4))
	if rate < lo || rate > hi {
		t.Errorf("cohort rate %.6f, want Σx/(n·mean T) in [%.6f, %.6f]", rate, lo, hi)
	}
	var gaps []float64
	for i := 0; i < d.Len(); i++ {
		if d.Frequency[i] > 0 {
			gaps = append(gaps, d.Recency[i]/d.Frequency[i])
		}
	}
	if float64(len(gaps)) != sum.Repeat {
		t.Fatalf("%d repeat customers, published %v", len(gaps), sum.Repeat)
	}
	sort.Float64s(gaps)
	wantH := gaps[int(math.Ceil(0.9*float64(len(gaps))))-1]
	hia, err := Hiatus{}.Fit(ctx, d, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := hia.Result().Params["hiatus"]; h != wantH {
		t.Errorf("derived hiatus %v weeks, want the 90th percentile %v", h, wantH)
	}
	var totAvg, totHia float64
	for i := 0; i < d.Len(); i++ {
		c := d.Customer(i)
		totAvg += avg.ConditionalExpectedPurchases(c, 39)
		totHia += hia.ConditionalExpectedPurchases(c, 39)
	}
	t.Logf("CDNOW, 39-week holdout: average predicts %.1f, hiatus (h=%.2f weeks, %.1f%% active) %.1f; observed %v",
		totAvg, hia.Result().Params["hiatus"], 100*hia.Result().Params["active_share"], totHia, sum.HoldoutPurchase)
}

func TestHiatusName(t *testing.T) {
	if got := (Hiatus{}).Name(); got != "hiatus" {
		t.Errorf("Name() = %q, want hiatus", got)
	}
}

// TestHiatusConsistent checks the rule that ties the two outputs: a
// customer counted active is predicted purchases and one counted gone is
// predicted none, whatever their history, and the rule is stated with the
// unit of h.
func TestHiatusConsistent(t *testing.T) {
	d := hiaData()
	for _, h := range []float64{1, 5, 6, 12, 14, 30} {
		f, err := Hiatus{H: h}.Fit(context.Background(), d, FitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < d.Len(); i++ {
			c := d.Customer(i)
			alive, e := f.ProbabilityAlive(c), f.ConditionalExpectedPurchases(c, 10)
			if (alive > 0) != (e > 0) {
				t.Errorf("h=%v row %d: P(alive) %v but E[Y(10)] %v", h, i, alive, e)
			}
		}
	}
	if s := (Hiatus{}).Assumptions(); !strings.Contains(s, "split.unit") {
		t.Errorf("Assumptions() = %q: does not name the unit of h", s)
	}
}

func ExampleHiatus() {
	// Weeks; a customer silent for more than 39 weeks (9 months) is gone.
	d := &Data{
		Frequency: []float64{4, 2, 0},
		Recency:   []float64{60, 10, 0},
		T:         []float64{70, 70, 20},
	}
	f, err := Hiatus{H: 39}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < d.Len(); i++ {
		c := d.Customer(i)
		fmt.Printf("customer %d: alive %v, next 52 weeks %.2f purchases\n", i+1, f.ProbabilityAlive(c), f.ConditionalExpectedPurchases(c, 52))
	}
	// Customer 1 buys at 4/70 a week (52·4/70 = 2.97), customer 2 is gone,
	// customer 3 has no repeats yet and buys at the cohort rate
	// (4+2+0)/(70+70+20) = 0.0375 a week (52·0.0375 = 1.95).

	// Output:
	// customer 1: alive 1, next 52 weeks 2.97 purchases
	// customer 2: alive 0, next 52 weeks 0.00 purchases
	// customer 3: alive 1, next 52 weeks 1.95 purchases
}

func BenchmarkHiatusConditionalExpectedPurchases(b *testing.B) {
	f, err := Hiatus{}.Fit(context.Background(), hiaData(), FitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchConditionalExpected(b, f)
}

// TestSelectWeightedMatchesSortedSum checks selectWeighted against the
// running sum over the sorted gaps (the rule hiatusFromGaps states), on
// gaps with many ties and whole weights, at targets that fall inside, on
// and between the partial sums, below the first and above the total.
func TestSelectWeightedMatchesSortedSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 200 {
		n := 1 + rng.IntN(3000)
		levels := 1 + rng.IntN(60)
		gaps := make([]hiatusGap, n)
		total := 0.0
		for i := range gaps {
			gaps[i] = hiatusGap{v: float64(rng.IntN(levels)) / 7, w: float64(1 + rng.IntN(5))}
			total += gaps[i].w
		}
		sorted := slices.Clone(gaps)
		slices.SortStableFunc(sorted, func(a, b hiatusGap) int { return cmp.Compare(a.v, b.v) })
		want := func(target float64) float64 {
			cum := 0.0
			for _, g := range sorted {
				if cum += g.w; cum >= target {
					return g.v
				}
			}
			return sorted[len(sorted)-1].v
		}
		for _, target := range []float64{0.5, 1, total * rng.Float64(), math.Floor(total * rng.Float64()), total - 1, total, total + 1} {
			got := selectWeighted(slices.Clone(gaps), target)
			if w := want(target); got != w {
				t.Fatalf("trial %d (n=%d): target %v: got %v, the sorted sum gives %v", trial, n, target, got, w)
			}
		}
	}
}
