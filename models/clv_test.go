package models

import (
	"math"
	"testing"
)

// poissonForever is a purchase model with a constant rate and no dropout:
// E[Y(t)] = λt, so the discounted expected purchases over (0, H] are
// λ(1 − e^{−δH})/δ with δ = ln(1+d).
type poissonForever struct{ rate float64 }

func (p poissonForever) Result() *FitResult                  { return &FitResult{} }
func (p poissonForever) ExpectedPurchases(t float64) float64 { return p.rate * t }
func (p poissonForever) ConditionalExpectedPurchases(_ Customer, t float64) float64 {
	return p.rate * t
}
func (p poissonForever) ProbabilityAlive(Customer) float64 { return 1 }

// exponentialLife has E[Y(t)] = (λ/μ)(1 − e^{−μt}); the discounted sum is
// λ/(μ+δ)·(1 − e^{−(μ+δ)H}).
type exponentialLife struct{ rate, death float64 }

func (p exponentialLife) Result() *FitResult { return &FitResult{} }
func (p exponentialLife) ExpectedPurchases(t float64) float64 {
	return p.rate / p.death * -math.Expm1(-p.death*t)
}
func (p exponentialLife) ConditionalExpectedPurchases(_ Customer, t float64) float64 {
	return p.ExpectedPurchases(t)
}
func (p exponentialLife) ProbabilityAlive(Customer) float64 { return 1 }

type fixedSpend float64

func (f fixedSpend) Result() *FitResult             { return &FitResult{} }
func (f fixedSpend) ExpectedSpend(Customer) float64 { return float64(f) }

func TestDiscountedExpectedPurchasesClosedForms(t *testing.T) {
	tests := []struct {
		name   string
		model  FittedPurchases
		o      CLVOptions
		want   float64
		relTol float64
	}{
		{"no discount telescopes exactly", poissonForever{0.3}, CLVOptions{Horizon: 52, DiscountRate: 0, Margin: 1}, 0.3 * 52, 1e-12},
		{"poisson, 10% per unit", poissonForever{0.3}, CLVOptions{Horizon: 52, DiscountRate: 0.1, Margin: 1},
			0.3 * -math.Expm1(-math.Log1p(0.1)*52) / math.Log1p(0.1), 1e-9},
		{"poisson, weekly rate of 10% a year", poissonForever{2}, CLVOptions{Horizon: 520, DiscountRate: PerUnitDiscountRate(0.1, 7), Margin: 1},
			2 * -math.Expm1(-math.Log1p(PerUnitDiscountRate(0.1, 7))*520) / math.Log1p(PerUnitDiscountRate(0.1, 7)), 1e-9},
		{"exponential lifetime", exponentialLife{1.5, 0.05}, CLVOptions{Horizon: 100, DiscountRate: 0.02, Margin: 1},
			1.5 / (0.05 + math.Log1p(0.02)) * -math.Expm1(-(0.05+math.Log1p(0.02))*100), 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiscountedExpectedPurchases(tt.model, Customer{T: 1}, tt.o)
			if rel := math.Abs(got-tt.want) / tt.want; rel > tt.relTol {
				t.Errorf("got %.12g, want %.12g (relative error %.2g > %.2g)", got, tt.want, rel, tt.relTol)
			}
		})
	}
}

func TestCLVUsesSpendAndMargin(t *testing.T) {
	o := CLVOptions{Horizon: 10, DiscountRate: 0, Margin: 0.25}
	c := Customer{Frequency: 2, Recency: 3, T: 5, Monetary: 40}
	// Without a spend model the customer's own mean spend is used.
	if got, want := CLV(poissonForever{1}, nil, c, o), 0.25*40*10.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("CLV without spend model = %v, want %v", got, want)
	}
	if got, want := CLV(poissonForever{1}, fixedSpend(12), c, o), 0.25*12*10.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("CLV with spend model = %v, want %v", got, want)
	}
}

func TestPerUnitDiscountRate(t *testing.T) {
	// 52.178... weeks compound to one year: (1+d_week)^(365.25/7) = 1.1.
	d := PerUnitDiscountRate(0.1, 7)
	if got := math.Pow(1+d, 365.25/7); math.Abs(got-1.1) > 1e-12 {
		t.Errorf("weekly rate compounds to %v over a year, want 1.1", got)
	}
	if got := PerUnitDiscountRate(0.1, 365.25); math.Abs(got-0.1) > 1e-15 {
		t.Errorf("a yearly unit keeps the rate: got %v", got)
	}
}

func TestCLVOptionsValidate(t *testing.T) {
	bad := []CLVOptions{
		{Horizon: 0, Margin: 1}, {Horizon: math.Inf(1), Margin: 1}, {Horizon: 1, DiscountRate: -0.1, Margin: 1},
		{Horizon: 1, DiscountRate: math.NaN(), Margin: 1}, {Horizon: 1, Margin: -1},
	}
	for _, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", o)
		}
	}
	if err := (CLVOptions{Horizon: 52, DiscountRate: 0.1, Margin: 1}).Validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}
