package models

import (
	"cmp"
	"context"
	"math"
	"slices"
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

// tabulatedHistories returns histories with repeated x, t_x and T in no
// particular order, with T = 0, −0, t_x at and just past T (invalid
// beyond the slack of ValidHistory) and NaN, and each history's index
// among the distinct (x, T) (by bits) with those (x, T).
func tabulatedHistories() (h []Customer, age []int32, ages [][2]float64) {
	xs := []float64{0, 1, 2, 5, 13}
	Ts := []float64{0, math.Copysign(0, -1), 0.5, 10, 38.5}
	for k := range 3 {
		for _, x := range xs {
			for _, T := range Ts {
				for _, tx := range []float64{0, T / 3, T, T * (1 + 1e-13), T*1.1 + 1} {
					h = append(h, Customer{Frequency: x, Recency: tx, T: T})
				}
			}
		}
		h = append(h, Customer{Frequency: math.NaN(), Recency: 1, T: 2}, Customer{Frequency: 1, Recency: 1, T: float64(k + 3)})
	}
	// Interleave, so that runs of equal (x, t_x) are short and broken.
	for i := range h {
		j := (i * 7919) % len(h)
		h[i], h[j] = h[j], h[i]
	}
	index := map[[2]uint64]int32{}
	for _, c := range h {
		k := [2]uint64{math.Float64bits(c.Frequency), math.Float64bits(c.T)}
		g, ok := index[k]
		if !ok {
			g = int32(len(ages))
			index[k] = g
			ages = append(ages, [2]float64{c.Frequency, c.T})
		}
		age = append(age, g)
	}
	return h, age, ages
}

// TestAliveTabulated checks that ProbabilitiesAlive of a table of
// histories, given the terms of each distinct (x, T), equals
// ProbabilityAlive history by history, bit for bit, NaN for NaN, both in
// the table's order and sorted by frequency then recency (the runs of the
// Pareto/NBD's integral in t_x).
func TestAliveTabulated(t *testing.T) {
	bg, _ := NewFittedBGNBD(0.24, 4.4, 0.79, 2.43)
	mbg, _ := NewFittedMBGNBD(0.5, 6, 1.2, 4)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	pnbdWide, _ := NewFittedParetoNBD(2.5, 3, 0.4, 40) // α < β: the other branch of the integrals
	h, age, ages := tabulatedHistories()
	sorted := slices.Clone(h)
	sortedAge := slices.Clone(age)
	order := make([]int, len(h))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(h[a].Frequency, h[b].Frequency), cmp.Compare(h[a].Recency, h[b].Recency))
	})
	for k, i := range order {
		sorted[k], sortedAge[k] = h[i], age[i]
	}
	for _, m := range []interface {
		FittedPurchases
		AliveTabulator
	}{bg, mbg, pnbd, pnbdWide} {
		terms := make([]AliveAgeTerms, len(ages))
		for g, a := range ages {
			terms[g] = m.AliveAgeTerms(a[0], a[1])
		}
		for _, table := range []struct {
			h   []Customer
			age []int32
		}{{h, age}, {sorted, sortedAge}} {
			x, tx, T := make([]float64, len(table.h)), make([]float64, len(table.h)), make([]float64, len(table.h))
			for j, c := range table.h {
				x[j], tx[j], T[j] = c.Frequency, c.Recency, c.T
			}
			out := make([]float64, len(table.h))
			m.ProbabilitiesAlive(x, tx, T, table.age, terms, out)
			valid := 0
			for j, c := range table.h {
				want := m.ProbabilityAlive(c)
				if math.Float64bits(out[j]) != math.Float64bits(want) {
					t.Fatalf("%T %+v: tabulated P(alive) %v, one by one %v", m, c, out[j], want)
				}
				if !math.IsNaN(want) {
					valid++
				}
			}
			if valid < len(table.h)/2 {
				t.Fatalf("%T: only %d of %d histories valid", m, valid, len(table.h))
			}
		}
	}
}

// TestRecencyClassed checks that the models marked RecencyClassed predict
// the same, bit for bit, for every recency of a class (so that predicting
// once per distinct (x, T, class) is exact), that their classes are in
// range, that the hiatus heuristic's two classes do differ, and that the
// models whose predictions read t_x otherwise are not marked.
func TestRecencyClassed(t *testing.T) {
	d := &Data{Frequency: []float64{0, 1, 3, 5, 2, 8}, Recency: []float64{0, 4, 10, 30, 12, 38}, T: []float64{20, 30, 35, 39, 40, 39}}
	ctx := context.Background()
	o := CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}
	for _, m := range []PurchaseModel{Average{}, Hiatus{H: 8}} {
		f, err := m.Fit(ctx, d, FitOptions{})
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		rc, ok := f.(RecencyClassed)
		if !ok {
			t.Fatalf("%s is not marked RecencyClassed", m.Name())
		}
		for _, x := range []float64{0, 1, 4} {
			for _, T := range []float64{3, 20, 39} {
				first := map[int]Customer{}
				for k := 0; k <= 40; k++ {
					c := Customer{Frequency: x, Recency: T * float64(k) / 40, T: T}
					if x == 0 {
						c.Recency = 0
					}
					class := rc.RecencyClass(c)
					if class < 0 || class >= rc.RecencyClasses() {
						t.Fatalf("%s %+v: class %d of %d", m.Name(), c, class, rc.RecencyClasses())
					}
					c0, seen := first[class]
					if !seen {
						first[class] = c
						continue
					}
					for _, v := range [][2]float64{
						{f.ConditionalExpectedPurchases(c, 26), f.ConditionalExpectedPurchases(c0, 26)},
						{f.ProbabilityAlive(c), f.ProbabilityAlive(c0)},
						{DiscountedExpectedPurchases(f, c, o), DiscountedExpectedPurchases(f, c0, o)},
					} {
						if math.Float64bits(v[0]) != math.Float64bits(v[1]) {
							t.Fatalf("%s: %+v and %+v of class %d predict %v and %v", m.Name(), c, c0, class, v[0], v[1])
						}
					}
				}
				if m.Name() == "hiatus" && x > 0 && T > 8 && len(first) != 2 {
					t.Errorf("hiatus x=%v T=%v: %d classes seen, want active and inactive", x, T, len(first))
				}
			}
		}
	}
	bg, _ := NewFittedBGNBD(0.24, 4.4, 0.79, 2.43)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	for _, f := range []FittedPurchases{bg, pnbd} {
		if _, ok := f.(RecencyClassed); ok {
			t.Errorf("%T reads t_x but is marked RecencyClassed", f)
		}
	}
}

// BenchmarkBGFAliveDiscounted computes what a run's predictions compute
// per distinct (x, T) with the BG/NBD fit of the 1M-customer simulation:
// A(26 | x, T), the discounted purchases over 52 weeks at 10% a year
// (a quadrature of the curve) and the rate.
func BenchmarkBGFAliveDiscounted(b *testing.B) {
	f, err := NewFittedBGNBD(1.0323807826576024, 5.336001568133207, 0.47650065922744933, 9.419825980832657)
	if err != nil {
		b.Fatal(err)
	}
	d := PerUnitDiscountRate(0.10, 7)
	for b.Loop() {
		for _, x := range []float64{0, 1, 3, 8, 20, 45} {
			for _, T := range []float64{26, 40, 52, 60} {
				f.AliveCurve(x, T)(26)
				f.AliveDiscounted(x, T, d, 52)
				f.AliveRate(x, T)
			}
		}
	}
}
