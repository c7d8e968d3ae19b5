package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// patternSummary returns a summary of n customers drawn at random on a
// daily grid in weeks, so that histories repeat, with T = 0 customers,
// activity bitmaps, spend, and holdout durations that differ for a few
// customers when mixed is set.
func patternSummary(n int, mixed bool) *datasets.Summary {
	rng := rand.New(rand.NewPCG(11, 12))
	s := &datasets.Summary{Unit: datasets.Week, HasAmount: true, HasHoldout: true, ActivityPeriod: 28, ActivityPeriods: 12}
	for i := range n {
		T := float64(30+rng.IntN(20)) / 7
		if i%97 == 0 {
			T = 0
		}
		x := 0.0
		tx := 0.0
		if T > 0 {
			x = float64(rng.IntN(6))
			if x > 0 {
				tx = float64(rng.IntN(int(T) + 1))
			}
		}
		m := 0.0
		if x > 0 {
			m = 5 + 40*rng.Float64()
		}
		d := 26.0
		if mixed && i%50 == 0 {
			d = 13
		}
		s.Customers = append(s.Customers, datasets.CustomerSummary{
			ID: fmt.Sprint(i), Frequency: x, Recency: tx, T: T, Monetary: m, DurationHoldout: d, Weight: 1,
			Activity: rng.Uint64() & 0xfff,
		})
	}
	return s
}

// patternModels returns fitted models of every kind the pattern path
// distinguishes: factored (BG/NBD, MBG/NBD, Pareto/NBD), per pattern
// (average, hiatus) and per customer (retention, which reads activity).
func patternModels(t *testing.T, s *datasets.Summary) map[string]models.FittedPurchases {
	t.Helper()
	out := map[string]models.FittedPurchases{}
	var err error
	if out["bgnbd"], err = models.NewFittedBGNBD(0.8, 4, 0.6, 3); err != nil {
		t.Fatal(err)
	}
	if out["mbgnbd"], err = models.NewFittedMBGNBD(0.8, 4, 0.6, 3); err != nil {
		t.Fatal(err)
	}
	if out["paretonbd"], err = models.NewFittedParetoNBD(0.6, 5, 0.8, 9); err != nil {
		t.Fatal(err)
	}
	d, _ := ModelData(s)
	for _, m := range []models.PurchaseModel{models.Average{}, models.Hiatus{}, models.Retention{}} {
		f, err := m.Fit(context.Background(), d, models.FitOptions{})
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		out[m.Name()] = f
	}
	return out
}

// TestPatternFirstEqualsPerCustomer checks that the pattern-first
// predictions of every model equal the direct per-customer computation:
// bit for bit where the same operations run (per pattern), and within
// 1e-12 relative where the factored form multiplies in another order.
func TestPatternFirstEqualsPerCustomer(t *testing.T) {
	for _, mixed := range []bool{false, true} {
		s := patternSummary(800, mixed)
		fits := patternModels(t, s)
		if !mixed {
			// Without activity bitmaps the heuristics are predicted per
			// history too.
			s.ActivityPeriods = 0
			delete(fits, "retention")
		}
		pt := datasets.NewPatterns(s)
		if pt.Len() >= len(s.Customers)*2/3 {
			t.Fatalf("%d patterns for %d customers: the test data should repeat histories", pt.Len(), len(s.Customers))
		}
		o := models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}
		spend, err := models.NewFittedGammaGamma(6, 4, 15)
		if err != nil {
			t.Fatal(err)
		}
		in := predictInput{summary: s, patterns: pt, clv: o}
		for name, f := range fits {
			_, factored := f.(models.AliveFactored)
			tol := 0.0
			if factored {
				// P(alive) times a per-(x, T) factor: the products round
				// differently from the direct per-customer formulas.
				tol = 1e-12
			}
			p, err := predictModel(context.Background(), name, f, spend, in)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i, cs := range s.Customers {
				c := models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Monetary: cs.Monetary, Activity: cs.Activity}
				want := customerPrediction(f, c, cs.DurationHoldout, o)
				sp := spend.ExpectedSpend(c)
				for _, q := range []struct {
					what      string
					got, want float64
				}{
					{"purchases", p.Purchases(i), want.purchases},
					{"p_alive", p.PAlive(i), want.alive},
					{"discounted", p.Value(PredDiscounted, i), want.discounted},
					{"alive time", p.Value(PredAliveTime, i), want.aliveTime},
					{"revenue", p.Revenue(i), want.purchases * sp},
					{"clv", p.CLV(i), sp * want.discounted},
				} {
					if !(math.Abs(q.got-q.want) <= tol*math.Abs(q.want)) {
						t.Fatalf("mixed=%v %s customer %d %+v: %s %v, per customer %v", mixed, name, i, cs, q.what, q.got, q.want)
					}
				}
			}
		}
	}
}

// TestZeroAgeCustomer checks that a customer whose first purchase falls
// on the calibration end (T = 0) is predicted as a new customer, E[X(t)],
// by every model, with finite values (the Pareto/NBD's P(alive) is not
// defined at T = 0).
func TestZeroAgeCustomer(t *testing.T) {
	s := patternSummary(500, false)
	o := models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}
	in := predictInput{summary: s, patterns: datasets.NewPatterns(s), clv: o}
	for name, f := range patternModels(t, s) {
		p, err := predictModel(context.Background(), name, f, nil, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Customers[0].T != 0 {
			t.Fatal("customer 0 should have T = 0")
		}
		if got, want := p.Purchases(0), f.ExpectedPurchases(26); !(math.Abs(got-want) <= 1e-12*want) || !(want > 0) && name != "hiatus" {
			t.Errorf("%s: T = 0 customer expects %v purchases, want E[X(26)] = %v", name, got, want)
		}
		if a := p.PAlive(0); !(a > 0 && a <= 1) {
			t.Errorf("%s: T = 0 customer has P(alive) %v", name, a)
		}
	}
}
