package models

import (
	"context"
	"fmt"
	"math"
	"testing"
)

// TestMBGNBDPublishedCDNOW reproduces the MBG/NBD fit (Batislam, Denizel &
// Filiztekin 2007) on the CDNOW sample as reported by the BTYDplus package
// (r = 0.525, α = 6.183, a = 0.891, b = 1.614, LL = −9582.14; the digits of
// shared/reference/published.json).
func TestMBGNBDPublishedCDNOW(t *testing.T) {
	res := bgfCheckPublished(t, "mbgnbd", func(ctx context.Context, d *Data, o FitOptions) (*FitResult, error) {
		f, err := MBGNBD{}.Fit(ctx, d, o)
		if f == nil {
			return nil, err
		}
		if _, ok := f.(*FittedMBGNBD); !ok {
			t.Errorf("MBGNBD.Fit returned %T, want *FittedMBGNBD", f)
		}
		return f.Result(), err
	})
	f, err := NewFittedMBGNBD(res.Params["r"], res.Params["alpha"], res.Params["a"], res.Params["b"])
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

// TestMBGNBDReducesToBGNBD checks an exact link between the two models:
// for a customer with x ≥ 1 repeat purchases the MBG/NBD is a BG/NBD whose
// b is one larger, up to the factor b/(a+b), the probability of surviving
// the first purchase: L_MBG(r,α,a,b | x) = b/(a+b)·L_BG(r,α,a,b+1 | x), and
// P(alive) and E[Y(t) | history] are equal.
func TestMBGNBDReducesToBGNBD(t *testing.T) {
	r, alpha, a, b := 0.525, 6.183, 0.891, 1.614
	m := bgfModel{r, alpha, a, b, 1}
	bg := bgfModel{r, alpha, a, b + 1, 0}
	for _, c := range []Customer{{Frequency: 1, Recency: 2, T: 30}, {Frequency: 5, Recency: 25, T: 26}, {Frequency: 30, Recency: 1, T: 39}} {
		if got, want := m.logLik(c), math.Log(b/(a+b))+bg.logLik(c); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("%+v: MBG/NBD ln L %.15g, ln(b/(a+b)) + BG/NBD(b+1) ln L %.15g", c, got, want)
		}
		if got, want := m.alive(c), bg.alive(c); math.Abs(got-want) > 1e-15 {
			t.Errorf("%+v: MBG/NBD P(alive) %.15g, BG/NBD(b+1) %.15g", c, got, want)
		}
		if got, want := m.conditional(c, 39), bg.conditional(c, 39); math.Abs(got-want) > 1e-14*want {
			t.Errorf("%+v: MBG/NBD E[Y(39)] %.15g, BG/NBD(b+1) %.15g", c, got, want)
		}
	}
}

// ExampleMBGNBD scores customers with the MBG/NBD estimates that BTYDplus
// reports for the CDNOW sample. Unlike the BG/NBD, a customer without
// repeat purchases may already be gone.
func ExampleMBGNBD() {
	m, err := NewFittedMBGNBD(0.525, 6.183, 0.891, 1.614)
	if err != nil {
		panic(err)
	}
	for _, c := range []Customer{{Frequency: 0, Recency: 0, T: 38.86}, {Frequency: 2, Recency: 30.43, T: 38.86}} {
		fmt.Printf("x=%v: P(alive) = %.4f, E[purchases in the next 39 weeks] = %.4f\n",
			c.Frequency, m.ProbabilityAlive(c), m.ConditionalExpectedPurchases(c, 39))
	}
	fmt.Printf("E[X(39)] of a new customer = %.4f\n", m.ExpectedPurchases(39))
	// Output:
	// x=0: P(alive) = 0.3897, E[purchases in the next 39 weeks] = 0.1540
	// x=2: P(alive) = 0.7062, E[purchases in the next 39 weeks] = 1.2630
	// E[X(39)] of a new customer = 1.1830
}

// BenchmarkFitMBGNBD_CDNOW fits the MBG/NBD on the 2357-customer CDNOW
// summary (the Python reference takes about 260 ms).
func BenchmarkFitMBGNBD_CDNOW(b *testing.B) {
	d := readCDNOWSummary(b)
	bgfBenchLoop(b, func() error {
		_, err := FitMBGNBD(context.Background(), d, FitOptions{})
		return err
	})
}
