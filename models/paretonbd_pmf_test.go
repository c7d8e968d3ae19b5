package models

import (
	"math"
	"testing"
)

// pnbdGridParams and pnbdGridHistories are the grid of the closed-form checks.
var pnbdGridParams = [][4]float64{
	{0.55315, 10.57633, 0.60625, 11.67150}, // CDNOW (Fader, Hardie & Lee 2005), α < β
	{0.55315, 11.67150, 0.60625, 10.57633}, // α > β
	{2.1, 7.3, 1.4, 7.3},                   // α = β
	{0.25, 4.4, 0.9, 461.6},                // β ≫ α (a weakly identified fit)
	{1.5, 40, 3.5, 0.2},                    // α ≫ β, s > 1
}
var pnbdGridHistories = []Customer{
	{Frequency: 0, Recency: 0, T: 38.86},
	{Frequency: 0, Recency: 0, T: 2},
	{Frequency: 2, Recency: 30.43, T: 38.86},
	{Frequency: 7, Recency: 10, T: 35},
	{Frequency: 25, Recency: 37.5, T: 38},
}

// TestParetoNBDConditionalPMFClosedForm checks the closed form of the
// conditional distribution P(Y(t) = y | x, t_x, T) (the series of
// paretonbd_pmf.go at the history-updated parameters, mixed with
// P(alive)) against the same distribution with the dead part integrated
// numerically (pnbdLogDeathIntegral), over a grid of histories, horizons
// and parameters with α < β, α > β, α = β, |α−β|/max(α, β) near 1 and
// s above and below 1: every probability down to 1e-12 agrees to 1e-8
// relative (1e-14 absolute below), the distribution sums to 1 to 1e-10,
// and its mean is the closed-form E[Y(t) | history] to 1e-9 relative.
func TestParetoNBDConditionalPMFClosedForm(t *testing.T) {
	params, histories := pnbdGridParams, pnbdGridHistories
	worstRel, worstAbs := 0.0, 0.0
	for _, p := range params {
		f, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		for _, c := range histories {
			alive := f.ProbabilityAlive(c)
			next, _ := NewFittedParetoNBD(p[0]+c.Frequency, p[1]+c.T, p[2], p[3]+c.T)
			for _, horizon := range []float64{0.5, 13, 39, 150} {
				sum, mean := 0.0, 0.0
				for y := 0; y < 5000; y++ {
					yf := float64(y)
					closed := alive * math.Exp(next.logProbabilityOfPurchases(yf, horizon))
					quad := alive * math.Exp(next.logProbabilityOfPurchasesByQuadrature(yf, horizon))
					if y == 0 {
						closed, quad = closed+1-alive, quad+1-alive
					}
					d := math.Abs(closed - quad)
					if quad >= 1e-12 {
						worstRel = math.Max(worstRel, d/quad)
						if d > 1e-8*quad {
							t.Errorf("params %v, history %+v, t=%v: P(Y = %d) closed form %.15g, quadrature %.15g", p, c, horizon, y, closed, quad)
						}
					} else if worstAbs = math.Max(worstAbs, d); d > 1e-14 {
						t.Errorf("params %v, history %+v, t=%v: P(Y = %d) closed form %.6g, quadrature %.6g", p, c, horizon, y, closed, quad)
					}
					sum += closed
					mean += yf * closed
					if y > 0 && closed < 1e-15 && yf*closed < 1e-13*mean {
						break
					}
				}
				want := f.ConditionalExpectedPurchases(c, horizon)
				if math.Abs(sum-1) > 1e-10 || math.Abs(mean-want) > 1e-9*want+1e-13 {
					t.Errorf("params %v, history %+v, t=%v: Σ P = %.15g, mean %.12g, E[Y] %.12g", p, c, horizon, sum, mean, want)
				}
			}
		}
	}
	t.Logf("largest relative difference (P ≥ 1e-12) %.3g, largest absolute difference below %.3g", worstRel, worstAbs)
}

// TestParetoNBDDistributionRule checks the whole-distribution rule of the
// intervals (pnbdDistribution) against the closed form, y by y, over the
// grid of TestParetoNBDConditionalPMFClosedForm at the history-updated
// parameters: 1e-9 relative down to 1e-12, 1e-14 absolute below, and the
// same number of y.
func TestParetoNBDDistributionRule(t *testing.T) {
	lr := newLegendreRules()
	worst := 0.0
	for _, p := range pnbdGridParams {
		for _, c := range pnbdGridHistories {
			next, _ := NewFittedParetoNBD(p[0]+c.Frequency, p[1]+c.T, p[2], p[3]+c.T)
			for _, horizon := range []float64{0.5, 13, 39, 150} {
				got := next.pnbdDistribution(lr, horizon, 1e-10, maxPurchasesInInterval)
				cum, n := 0.0, 0
				for ; cum < 1-1e-10; n++ {
					want := next.ProbabilityOfPurchases(n, horizon)
					cum += want
					if n >= len(got) {
						continue
					}
					d := math.Abs(got[n] - want)
					if want >= 1e-12 {
						worst = math.Max(worst, d/want)
					}
					if d > 1e-9*want+1e-14 {
						t.Errorf("params %v, history %+v, t=%v: P(X = %d) by the rule %.15g, closed form %.15g", p, c, horizon, n, got[n], want)
					}
				}
				if n != len(got) {
					t.Errorf("params %v, history %+v, t=%v: %d probabilities, closed form %d", p, c, horizon, len(got), n)
				}
			}
		}
	}
	t.Logf("largest relative difference (P ≥ 1e-12) %.3g", worst)
}

// BenchmarkParetoNBDDistribution times the whole distribution of a heavy
// buyer's next 39 weeks (x = 12, T = 30; the quickstart's fit, where
// |α−β|/max(α, β) ≈ 0.95) down to a tail of 1e-10: by the shared
// Gauss–Legendre rule, by the closed form y by y, and by quadrature y by y.
func BenchmarkParetoNBDDistribution(b *testing.B) {
	next, _ := NewFittedParetoNBD(0.4754+12, 9.8215+30, 11.755, 461.57+30)
	lr := newLegendreRules()
	n := len(next.pnbdDistribution(lr, 39, pmfTailMass, maxPurchasesInInterval))
	b.Run("rule", func(b *testing.B) {
		for b.Loop() {
			next.pnbdDistribution(lr, 39, pmfTailMass, maxPurchasesInInterval)
		}
	})
	b.Run("closed-form", func(b *testing.B) {
		for b.Loop() {
			for y := range n {
				next.logProbabilityOfPurchases(float64(y), 39)
			}
		}
	})
	b.Run("quadrature", func(b *testing.B) {
		for b.Loop() {
			for y := range n {
				next.logProbabilityOfPurchasesByQuadrature(float64(y), 39)
			}
		}
	})
}
