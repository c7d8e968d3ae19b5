package models

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
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

// clvReference returns ∫₀^H e^{−δt} dE(t) = e^{−δH}E(H) + δ∫₀^H e^{−δt}E(t)dt
// by composite 20-point Gauss–Legendre quadrature in t (gonum's
// quad.Fixed) over panels [0, w], [w, 2w], [2w, 4w], … doubling up to H,
// with w = H/2^20 split into 16 equal panels: each panel is at most as
// wide as its distance from t = 0, where the curves' singularities lie
// beyond (at t = −(α+T)), so every panel converges to rounding. A
// high-accuracy reference that shares neither the variable nor the rule of
// the models' own methods (the curves themselves are checked against ₂F₁
// in 256-bit arithmetic in bgnbd_test.go).
func clvReference(curve func(float64) float64, delta, H float64) float64 {
	f := func(t float64) float64 { return math.Exp(-delta*t) * curve(t) }
	w := H / (1 << 20)
	sum := 0.0
	for k := 0; k < 16; k++ {
		sum += quad.Fixed(f, w*float64(k)/16, w*float64(k+1)/16, 20, quad.Legendre{}, 0)
	}
	for a := w; a < H; a *= 2 {
		sum += quad.Fixed(f, a, math.Min(2*a, H), 20, quad.Legendre{}, 0)
	}
	return math.Exp(-delta*H)*curve(H) + delta*sum
}

// TestDiscountedClosedForms checks the models' own discounted expected
// purchases (Pareto/NBD's finite-horizon DERT, the bounded quadrature of
// BG/NBD and MBG/NBD) against the high-accuracy reference to 1e-9
// relative and against the Simpson quadrature they replace to 1e-7, over
// CDNOW-like histories (including T = 0 and x = 0), horizons from 1 to
// 520 weeks and discount rates from 0.1% to 100% a year; and the
// Pareto/NBD over a very long horizon against the infinite-horizon DERT
// (Fader, Hardie & Lee 2005, eq. 2).
func TestDiscountedClosedForms(t *testing.T) {
	models := clvBenchModels()
	customers := []Customer{{}, {Frequency: 0, T: 30}, {Frequency: 2, Recency: 30.43, T: 38.86}, {Frequency: 1, Recency: 1.71, T: 38.86}, {Frequency: 14, Recency: 35, T: 36}, {Frequency: 40, Recency: 76, T: 78}}
	for _, name := range []string{"bgnbd", "mbgnbd", "paretonbd"} {
		m := models[name]
		for _, c := range customers {
			for _, H := range []float64{1, 39, 520} {
				for _, perYear := range []float64{0.001, 0.1, 1} {
					o := CLVOptions{Horizon: H, DiscountRate: PerUnitDiscountRate(perYear, 7), Margin: 1}
					got := DiscountedExpectedPurchases(m, c, o)
					ref := clvReference(func(t float64) float64 { return m.ConditionalExpectedPurchases(c, t) }, math.Log1p(o.DiscountRate), H)
					simpson := discountedBySimpson(m, c, o)
					if math.Abs(got-ref) > 1e-9*ref || math.Abs(got-simpson) > 1e-7*simpson {
						t.Errorf("%s %+v H=%v %v/year: %.15g, reference %.15g (%.2g), Simpson %.15g (%.2g)",
							name, c, H, perYear, got, ref, got/ref-1, simpson, got/simpson-1)
					}
				}
			}
		}
	}
	pn := models["paretonbd"].(*FittedParetoNBD)
	d := PerUnitDiscountRate(0.1, 7)
	for _, c := range customers {
		long := pn.DiscountedExpectedPurchasesWithin(c, d, 1e6)
		inf := pn.DiscountedExpectedPurchasesWithin(c, d, math.Inf(1))
		dert := pn.DiscountedExpectedResidualPurchases(c, d)
		if math.Abs(long-dert) > 1e-12*dert || inf != dert {
			t.Errorf("paretonbd %+v: 1e6 weeks %.15g, +Inf %.15g, DERT %.15g", c, long, inf, dert)
		}
	}
	// BG/NBD over an infinite horizon: the cut at δH = 40 against the
	// reference over 40/δ.
	bg := models["bgnbd"].(*FittedBGNBD)
	for _, c := range customers {
		delta := math.Log1p(d)
		got := bg.DiscountedExpectedPurchasesWithin(c, d, math.Inf(1))
		ref := clvReference(func(t float64) float64 { return bg.ConditionalExpectedPurchases(c, t) }, delta, 60/delta)
		if math.Abs(got-ref) > 1e-9*ref {
			t.Errorf("bgnbd %+v: DERT %.15g, reference %.15g", c, got, ref)
		}
	}
}
