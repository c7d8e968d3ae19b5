package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

var (
	_ PurchaseModel   = Average{}
	_ SpendModel      = AverageSpend{}
	_ FittedPurchases = (*FittedAverage)(nil)
	_ FittedSpend     = (*FittedAverageSpend)(nil)
)

// avgData is a small cohort whose averages are worked out by hand:
//
//	row  x  t_x   T  monetary  weight
//	A    2    8  10     10       1
//	B    0    0   5      0       1
//	C    3   12  15     20       2
//
// Σwx = 2 + 0 + 2·3 = 8, ΣwT = 10 + 5 + 2·15 = 45, Σw = 4, so the cohort
// rate is 8/45, the mean frequency 2 and the mean T 11.25. Repeat revenue
// is 2·10 + 2·3·20 = 140 over 8 repeat purchases: 17.5 per purchase; the
// repeat customers' mean of means is (10 + 2·20)/3 = 50/3.
func avgData() *Data {
	return &Data{
		Frequency: []float64{2, 0, 3},
		Recency:   []float64{8, 0, 12},
		T:         []float64{10, 5, 15},
		Monetary:  []float64{10, 0, 20},
		Weight:    []float64{1, 1, 2},
	}
}

func TestAverageByHand(t *testing.T) {
	f, err := Average{}.Fit(context.Background(), avgData(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := f.Result()
	for name, want := range map[string]float64{"rate": 8.0 / 45, "mean_frequency": 2, "mean_T": 11.25} {
		if got := res.Params[name]; math.Abs(got-want) > 1e-15 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if res.Model != "average" || res.HasLikelihood || !res.Converged || res.Method != "heuristic" || res.Customers != 4 {
		t.Errorf("result %+v: want a converged heuristic fit of model average on 4 customers", res)
	}
	// Holdout predictions: the customer's own rate x/T times t.
	tests := []struct {
		name string
		c    Customer
		t    float64
		want float64
	}{
		{"A over 5: 2/10·5", Customer{Frequency: 2, Recency: 8, T: 10}, 5, 1},
		{"B has no repeats", Customer{Frequency: 0, Recency: 0, T: 5}, 5, 0},
		{"C over 5: 3/15·5", Customer{Frequency: 3, Recency: 12, T: 15}, 5, 1},
		{"C over 39: 3/15·39", Customer{Frequency: 3, Recency: 12, T: 15}, 39, 7.8},
		{"zero horizon", Customer{Frequency: 3, Recency: 12, T: 15}, 0, 0},
		{"negative horizon", Customer{Frequency: 3, Recency: 12, T: 15}, -2, 0},
	}
	for _, tt := range tests {
		if got := f.ConditionalExpectedPurchases(tt.c, tt.t); math.Abs(got-tt.want) > 1e-14 {
			t.Errorf("%s: E[Y] = %v, want %v", tt.name, got, tt.want)
		}
		if p := f.ProbabilityAlive(tt.c); p != 1 {
			t.Errorf("%s: P(alive) = %v, want 1", tt.name, p)
		}
	}
	// A new customer at the cohort rate: 8/45 · 9 = 1.6.
	if got := f.ExpectedPurchases(9); math.Abs(got-1.6) > 1e-15 {
		t.Errorf("E[X(9)] = %v, want 1.6", got)
	}
	if got := f.ExpectedPurchases(-1); got != 0 {
		t.Errorf("E[X(-1)] = %v, want 0", got)
	}
	// The heuristic's JSON carries no likelihood.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"log_likelihood", "aic", "bic", "std_errors"} {
		if strings.Contains(string(b), `"`+key+`"`) {
			t.Errorf("JSON %s has %q", b, key)
		}
	}
}

func TestAverageSpendByHand(t *testing.T) {
	f, err := AverageSpend{}.Fit(context.Background(), avgData(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := f.Result()
	for name, want := range map[string]float64{"mean_spend": 17.5, "customer_mean_spend": 50.0 / 3, "repeat_customers": 3} {
		if got := res.Params[name]; math.Abs(got-want) > 1e-14 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if res.Model != "average" || res.HasLikelihood || res.Method != "heuristic" {
		t.Errorf("result %+v: want a heuristic fit of model average", res)
	}
	tests := []struct {
		name string
		c    Customer
		want float64
	}{
		{"repeat customer: own mean", Customer{Frequency: 2, Monetary: 10, T: 10}, 10},
		{"no repeats: cohort mean per purchase", Customer{Frequency: 0, T: 5}, 17.5},
		{"no repeats, stray monetary ignored", Customer{Frequency: 0, Monetary: 99, T: 5}, 17.5},
	}
	for _, tt := range tests {
		if got := f.ExpectedSpend(tt.c); got != tt.want {
			t.Errorf("%s: spend = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAverageErrors(t *testing.T) {
	ctx := context.Background()
	noMoney := avgData()
	noMoney.Monetary = nil
	noRepeats := avgData()
	noRepeats.Frequency = []float64{0, 0, 0}
	noRepeats.Recency = []float64{0, 0, 0}
	bad := avgData()
	bad.T[1] = -1
	zeroWeight := avgData()
	zeroWeight.Weight = []float64{0, 0, 0}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	if _, err := (Average{}).Fit(ctx, bad, FitOptions{}); err == nil {
		t.Error("Average on invalid data: no error")
	}
	if _, err := (Average{}).Fit(ctx, zeroWeight, FitOptions{}); err == nil {
		t.Error("Average with zero total weight: no error")
	}
	if _, err := (Average{}).Fit(ctx, nil, FitOptions{}); err == nil {
		t.Error("Average on nil data: no error")
	}
	if _, err := (Average{}).Fit(cancelled, avgData(), FitOptions{}); err == nil {
		t.Error("Average with a cancelled context: no error")
	}
	if _, err := (AverageSpend{}).Fit(ctx, noMoney, FitOptions{}); err == nil || !strings.Contains(err.Error(), "monetary") {
		t.Errorf("AverageSpend without monetary column: error %v, want one naming the monetary column", err)
	}
	if _, err := (AverageSpend{}).Fit(ctx, noRepeats, FitOptions{}); err == nil {
		t.Error("AverageSpend without repeat purchases: no error")
	}
}

// historicalExample is the worked example of published.json
// (simple_formulas.historical_net_clv_example).
type historicalExample struct {
	Customers                float64 `json:"customers"`
	AverageSpendPerCustomer  float64 `json:"average_spend_per_customer_2y"`
	AcquisitionRetentionCost float64 `json:"acquisition_and_retention_costs"`
	NetCLVPerCustomer        float64 `json:"net_clv_per_customer"`
}

// TestHistoricalCLVPublished reproduces the worked example of the shared
// reference file: 100 customers who spend $50 each over two years, with
// $3,000 of acquisition and retention costs, are worth $20 net each. The
// spend is split into 250 purchases of $20 (1.25 purchases a year) over a
// two-year window and a two-year lifespan: $20 × 1.25 × 2 = $50 gross.
func TestHistoricalCLVPublished(t *testing.T) {
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Simple struct {
			Example historicalExample `json:"historical_net_clv_example"`
		} `json:"simple_formulas"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	ex := ref.Simple.Example
	if ex.Customers == 0 {
		t.Fatal("published.json has no simple_formulas.historical_net_clv_example")
	}
	for _, split := range []struct{ acquisition, retention float64 }{
		{ex.AcquisitionRetentionCost, 0},
		{ex.AcquisitionRetentionCost / 3, 2 * ex.AcquisitionRetentionCost / 3},
	} {
		in := HistoricalInputs{
			Revenue:         ex.Customers * ex.AverageSpendPerCustomer,
			Purchases:       250,
			Customers:       ex.Customers,
			Periods:         2,
			Lifespan:        2,
			Margin:          1,
			AcquisitionCost: split.acquisition,
			RetentionCost:   split.retention,
		}
		r, err := HistoricalCLV(in)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.CLV-ex.AverageSpendPerCustomer) > 1e-12 {
			t.Errorf("gross CLV = %v, want %v", r.CLV, ex.AverageSpendPerCustomer)
		}
		if math.Abs(r.NetCLV-ex.NetCLVPerCustomer) > 1e-12 {
			t.Errorf("net CLV = %v, want %v", r.NetCLV, ex.NetCLVPerCustomer)
		}
		if want := ex.NetCLVPerCustomer * ex.Customers; math.Abs(r.NetTotal-want) > 1e-9 {
			t.Errorf("net total = %v, want %v", r.NetTotal, want)
		}
	}
}

// TestHistoricalCLVByHand: $12,000 of revenue from 400 purchases by 50
// customers over 4 quarters: $30 a purchase, 2 purchases a customer a
// quarter, $60 a quarter; over a 6-quarter lifespan at a 25% margin that is
// $60 × 6 × 0.25 = $90; costs of $1,000 + $500 are $30 a customer, so the
// net CLV is $60 and the cohort's $3,000.
func TestHistoricalCLVByHand(t *testing.T) {
	r, err := HistoricalCLV(HistoricalInputs{
		Revenue: 12000, Purchases: 400, Customers: 50, Periods: 4,
		Lifespan: 6, Margin: 0.25, AcquisitionCost: 1000, RetentionCost: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := HistoricalCLVResult{
		AveragePurchaseValue: 30, PurchaseFrequency: 2, CustomerValue: 60,
		CLV: 90, CostPerCustomer: 30, NetCLV: 60, NetTotal: 3000,
	}
	if r != want {
		t.Errorf("HistoricalCLV = %+v, want %+v", r, want)
	}
	for name, in := range map[string]HistoricalInputs{
		"zero purchases": {Revenue: 1, Purchases: 0, Customers: 1, Periods: 1, Margin: 1},
		"zero customers": {Revenue: 1, Purchases: 1, Customers: 0, Periods: 1, Margin: 1},
		"zero periods":   {Revenue: 1, Purchases: 1, Customers: 1, Periods: 0, Margin: 1},
		"zero margin":    {Revenue: 1, Purchases: 1, Customers: 1, Periods: 1, Margin: 0},
		"negative cost":  {Revenue: 1, Purchases: 1, Customers: 1, Periods: 1, Margin: 1, RetentionCost: -1},
		"NaN revenue":    {Revenue: math.NaN(), Purchases: 1, Customers: 1, Periods: 1, Margin: 1},
		"Inf lifespan":   {Revenue: 1, Purchases: 1, Customers: 1, Periods: 1, Margin: 1, Lifespan: math.Inf(1)},
	} {
		if _, err := HistoricalCLV(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCustomerHistoricalCLV checks the per-customer formula by hand and
// against CLV of the fitted Average and AverageSpend over the same horizon
// at a zero discount rate.
func TestCustomerHistoricalCLV(t *testing.T) {
	ctx := context.Background()
	p, err := Average{}.Fit(ctx, avgData(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := AverageSpend{}.Fit(ctx, avgData(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		c        Customer
		lifespan float64
		margin   float64
		want     float64
	}{
		// 0.3 × $20 × 3/15 a week × 52 weeks = $62.40.
		{"C", Customer{Frequency: 3, Recency: 12, T: 15, Monetary: 20}, 52, 0.3, 62.4},
		// 1 × $10 × 2/10 × 10 = $20.
		{"A", Customer{Frequency: 2, Recency: 8, T: 10, Monetary: 10}, 10, 1, 20},
		{"no repeats", Customer{Frequency: 0, T: 5}, 52, 1, 0},
		{"zero lifespan", Customer{Frequency: 2, Recency: 8, T: 10, Monetary: 10}, 0, 1, 0},
	}
	for _, tt := range tests {
		got := CustomerHistoricalCLV(tt.c, tt.lifespan, tt.margin)
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: CLV = %v, want %v", tt.name, got, tt.want)
		}
		if tt.lifespan > 0 {
			viaCLV := CLV(p, s, tt.c, CLVOptions{Horizon: tt.lifespan, Margin: tt.margin})
			if math.Abs(viaCLV-got) > 1e-9*math.Max(1, got) {
				t.Errorf("%s: CLV via Average/AverageSpend = %v, want %v", tt.name, viaCLV, got)
			}
		}
	}
}

func TestAverageNames(t *testing.T) {
	if Average.Name(Average{}) != "average" || AverageSpend.Name(AverageSpend{}) != "average" {
		t.Errorf("names %q, %q: want average", Average{}.Name(), AverageSpend{}.Name())
	}
}

func ExampleHistoricalCLV() {
	// 100 customers spent $5,000 in 250 purchases over two years; a customer
	// stays two years; acquiring and keeping them cost $3,000.
	r, err := HistoricalCLV(HistoricalInputs{
		Revenue: 5000, Purchases: 250, Customers: 100, Periods: 2,
		Lifespan: 2, Margin: 1, AcquisitionCost: 2000, RetentionCost: 1000,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("$%.2f a purchase × %.3g purchases a year × 2 years = $%.2f\n", r.AveragePurchaseValue, r.PurchaseFrequency, r.CLV)
	fmt.Printf("net of $%.2f costs: $%.2f a customer, $%.2f in all\n", r.CostPerCustomer, r.NetCLV, r.NetTotal)
	// Output:
	// $20.00 a purchase × 1.25 purchases a year × 2 years = $50.00
	// net of $30.00 costs: $20.00 a customer, $2000.00 in all
}

func ExampleAverage() {
	d := &Data{
		Frequency: []float64{2, 0, 3},
		Recency:   []float64{8, 0, 12},
		T:         []float64{10, 5, 15},
	}
	f, err := Average{}.Fit(context.Background(), d, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("cohort rate %.4f purchases per week\n", f.Result().Params["rate"])
	c := Customer{Frequency: 3, Recency: 12, T: 15}
	fmt.Printf("next 39 weeks: %.2f purchases\n", f.ConditionalExpectedPurchases(c, 39))
	// Output:
	// cohort rate 0.1667 purchases per week
	// next 39 weeks: 7.80 purchases
}

// avgBenchCustomers returns n varied customers for the prediction
// benchmarks.
func avgBenchCustomers(n int) []Customer {
	cs := make([]Customer, n)
	for i := range cs {
		T := 27 + float64(i%12)
		x := float64(i % 7)
		tx := 0.0
		if x > 0 {
			tx = T * float64(i%10) / 10
		}
		cs[i] = Customer{Frequency: x, Recency: tx, T: T, Monetary: 15, Activity: uint64(i*2654435761) & 0xFFF}
	}
	return cs
}

func BenchmarkAverageConditionalExpectedPurchases(b *testing.B) {
	f, err := Average{}.Fit(context.Background(), avgData(), FitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchConditionalExpected(b, f)
}

// benchConditionalExpected times the 39-period forecasts of the 1,000
// avgBenchCustomers.
func benchConditionalExpected(b *testing.B, f FittedPurchases) {
	cs := avgBenchCustomers(1000)
	sink := 0.0
	for b.Loop() {
		for _, c := range cs {
			sink += f.ConditionalExpectedPurchases(c, 39)
		}
	}
	_ = sink
}
