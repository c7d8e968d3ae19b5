package models

import (
	"context"
	"math"
	"testing"
)

// TestAliveFactored checks the factorization E[Y(t) | x, t_x, T] =
// P(alive) · A(t | x, T) against each model's own conditional expectation,
// and that A(t | 0, 0) of a brand-new customer alive at 0 is the model's
// E[X(t)] divided by its P(alive) at the first purchase.
func TestAliveFactored(t *testing.T) {
	bg, _ := NewFittedBGNBD(0.24, 4.4, 0.79, 2.43)
	mbg, _ := NewFittedMBGNBD(0.5, 6, 1.2, 4)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	histories := []Customer{{Frequency: 0, Recency: 0, T: 30}, {Frequency: 1, Recency: 2, T: 30}, {Frequency: 4, Recency: 29, T: 39}, {Frequency: 12, Recency: 20, T: 38.5}, {Frequency: 2, Recency: 0.5, T: 1}}
	for _, m := range []interface {
		FittedPurchases
		AliveFactored
	}{bg, mbg, pnbd} {
		for _, c := range histories {
			for _, d := range []float64{0, 0.5, 39, 500} {
				want := m.ConditionalExpectedPurchases(c, d)
				got := m.ProbabilityAlive(c) * m.AliveCurve(c.Frequency, c.T)(d)
				if math.Abs(got-want) > 1e-13*math.Abs(want) {
					t.Errorf("%T %+v t=%v: P(alive)·A = %v, conditional %v", m, c, d, got, want)
				}
			}
			if r := m.AliveRate(c.Frequency, c.T); !(r > 0) {
				t.Errorf("%T %+v: rate %v", m, c, r)
			}
		}
	}
	for _, d := range []float64{1, 39} {
		if got, want := bg.AliveCurve(0, 0)(d), bg.ExpectedPurchases(d); math.Abs(got-want) > 1e-14*want {
			t.Errorf("BG/NBD A(%v | 0, 0) = %v, E[X] = %v", d, got, want)
		}
		if got, want := pnbd.AliveCurve(0, 0)(d), pnbd.ExpectedPurchases(d); math.Abs(got-want) > 1e-13*want {
			t.Errorf("Pareto/NBD A(%v | 0, 0) = %v, E[X] = %v", d, got, want)
		}
		// The MBG/NBD customer survives the first purchase with b/(a+b).
		if got, want := mbg.B/(mbg.A+mbg.B)*mbg.AliveCurve(0, 0)(d), mbg.ExpectedPurchases(d); math.Abs(got-want) > 1e-14*want {
			t.Errorf("MBG/NBD b/(a+b)·A(%v | 0, 0) = %v, E[X] = %v", d, got, want)
		}
	}
}

// TestActivityFree checks that the models marked ActivityFree predict the
// same for every activity bitmap of a history (so that predicting once per
// distinct history is exact), and that the retention heuristic, whose
// predictions read the bitmaps, is not marked.
func TestActivityFree(t *testing.T) {
	d := &Data{
		Frequency: []float64{0, 1, 3, 5, 2, 8}, Recency: []float64{0, 4, 10, 30, 12, 38}, T: []float64{20, 30, 35, 39, 40, 39},
		Activity: []uint64{0, 1, 0b101, 0b1111, 0b11, 0b111111}, ActivityPeriod: 4, ActivityPeriods: 10,
	}
	ctx := context.Background()
	fitted := map[string]FittedPurchases{}
	for _, m := range []PurchaseModel{Average{}, Hiatus{H: 8}, Retention{}} {
		f, err := m.Fit(ctx, d, FitOptions{})
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		fitted[m.Name()] = f
	}
	for _, name := range []string{"average", "hiatus"} {
		f := fitted[name]
		if _, ok := f.(ActivityFree); !ok {
			t.Errorf("%s is not marked ActivityFree", name)
		}
		for i := range d.Frequency {
			c := d.Customer(i)
			for _, bits := range []uint64{0, 1, 0b1010, math.MaxUint64} {
				o := c
				o.Activity = bits
				if f.ConditionalExpectedPurchases(o, 13) != f.ConditionalExpectedPurchases(c, 13) || f.ProbabilityAlive(o) != f.ProbabilityAlive(c) {
					t.Errorf("%s: the prediction of %+v changes with the activity bitmap %b", name, c, bits)
				}
			}
		}
	}
	if _, ok := fitted["retention"].(ActivityFree); ok {
		t.Error("the retention heuristic reads the activity bitmaps but is marked ActivityFree")
	}
}
