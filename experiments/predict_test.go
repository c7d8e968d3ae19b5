package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
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
func patternModels(t testing.TB, s *datasets.Summary) map[string]models.FittedPurchases {
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

// directValues computes a customer's purchase-model values straight from
// the model's methods, the way a run defines them, without the pattern
// table or customerPrediction: the reference of TestPredictionsEqualDirect.
func directValues(f models.FittedPurchases, c models.Customer, duration float64, o models.CLVOptions) (purchases, alive, discounted, aliveTime float64) {
	af, factored := f.(models.AliveFactored)
	if c.T == 0 && !factored {
		purchases = f.ExpectedPurchases(duration)
		alive = f.ProbabilityAlive(models.Customer{})
		if !(alive >= 0 && alive <= 1) {
			alive = 1
		}
		discounted = models.DiscountedExpectedPurchases(curveModel{f.ExpectedPurchases}, models.Customer{}, o)
	} else {
		purchases = f.ConditionalExpectedPurchases(c, duration)
		alive = f.ProbabilityAlive(c)
		discounted = models.DiscountedExpectedPurchases(f, c, o)
	}
	if factored && af.AliveRate(c.Frequency, c.T) > 0 {
		return purchases, alive, discounted, discounted / af.AliveRate(c.Frequency, c.T)
	}
	delta := math.Log1p(o.DiscountRate)
	unit := o.Horizon
	if delta != 0 {
		unit = -math.Expm1(-delta*o.Horizon) / delta
	}
	return purchases, alive, discounted, alive * unit
}

// checkDirect compares every prediction of a window, read through the
// Prediction's accessors, with directValues and the spend model's own
// ExpectedSpend: bit for bit for the models evaluated by the same
// formulas per pattern as per customer, within 1e-12 relative for the
// factored ones (P(alive) · A(t | x, T) rounds differently), and revenue,
// CLV and net CLV bit for bit from the stored values by their formulas.
func checkDirect(t *testing.T, cfg *Config, wr *windowResult, o models.CLVOptions) {
	t.Helper()
	s := wr.summary
	nets := NetCLVOptions{Margin: cfg.CLV.Margin, CostPerPurchase: cfg.CLV.CostPerPurchase, CostPerCustomer: cfg.CLV.CostPerCustomer}
	if len(wr.preds) < 6 {
		t.Fatalf("%d models predicted, want 6", len(wr.preds))
	}
	for name, p := range wr.preds {
		f := wr.fits[name]
		_, factored := f.(models.AliveFactored)
		tol := 0.0
		if factored {
			tol = 1e-12
		}
		if p.Len() != len(s.Customers) || !p.HasSpend() || !p.HasTiers() {
			t.Fatalf("%s: %d customers, spend %v, tiers %v", name, p.Len(), p.HasSpend(), p.HasTiers())
		}
		for i := range s.Customers {
			cs := &s.Customers[i]
			c := models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Monetary: cs.Monetary, Activity: cs.Activity}
			purchases, alive, discounted, aliveTime := directValues(f, c, cs.DurationHoldout, o)
			sp := wr.spend.ExpectedSpend(c)
			for _, q := range []struct {
				what      string
				got, want float64
				tol       float64
			}{
				{"purchases", p.Purchases(i), purchases, tol},
				{"p_alive", p.PAlive(i), alive, tol},
				{"discounted", p.Value(PredDiscounted, i), discounted, tol},
				{"alive time", p.Value(PredAliveTime, i), aliveTime, tol},
				{"spend", p.Value(PredSpend, i), sp, 0},
				{"revenue", p.Revenue(i), p.Purchases(i) * sp, 0},
				{"clv", p.CLV(i), o.Margin * sp * p.Value(PredDiscounted, i), 0},
				{"net clv", p.NetCLV(i), nets.Margin*sp*p.Value(PredDiscounted, i) - nets.CostPerPurchase*p.Value(PredDiscounted, i) - nets.CostPerCustomer*p.Value(PredAliveTime, i), 0},
			} {
				if !(q.got == q.want || math.Abs(q.got-q.want) <= q.tol*math.Abs(q.want)) {
					t.Fatalf("%s customer %d %+v: %s %v, direct %v", name, i, *cs, q.what, q.got, q.want)
				}
			}
		}
	}
}

// TestPredictionsEqualDirect checks the pattern-first predictions against
// the direct per-customer computation (directValues) on a generated
// summary whose histories repeat (with T = 0 customers, activity bitmaps
// and two holdout lengths) and on the CDNOW sample through a run's own fit
// and predict steps.
func TestPredictionsEqualDirect(t *testing.T) {
	t.Run("generated", func(t *testing.T) {
		cfg, wr := patternWindow(t, patternSummary(4000, true))
		checkDirect(t, cfg, wr, models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 0.3})
	})
	t.Run("cdnow", func(t *testing.T) {
		sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
		cfg, err := Load("../configs/cdnow.yaml", []string{"clv.margin=0.3", "clv.cost_per_purchase=0.5", "clv.cost_per_customer=0.01"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		data, err := openRunData(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer data.Close()
		w := cfg.Resolved.Windows[0]
		s, err := summarizeWindow(cfg, data, w, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		reg := models.NewRegistry()
		wr := fitWindow(ctx, cfg, reg, s, nil, w, &progress{})
		predictWindow(ctx, cfg, reg, wr, &progress{})
		if len(wr.errs) > 0 {
			t.Fatal(wr.errs)
		}
		if pt := wr.patterns; pt.Len() >= len(s.Customers)/2 {
			t.Fatalf("%d patterns for %d customers", pt.Len(), len(s.Customers))
		}
		checkDirect(t, cfg, wr, models.CLVOptions{Horizon: cfg.Resolved.Horizon, DiscountRate: cfg.Resolved.DiscountRatePerUnit, Margin: cfg.CLV.Margin})
	})
}

// TestFirstInvalid checks Prediction.firstInvalid, with its shortcut over
// rows and largest factors, against a plain scan of every customer's
// values in order: NaN or negative row values, an infinite spend, a
// revenue or CLV that overflows only for some customers, a bad row no
// customer uses, and none at all.
func TestFirstInvalid(t *testing.T) {
	rows := []int32{2, 0, 1, 1, 0, 2, 3, 1}
	spend := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	base := func() *Prediction {
		return &Prediction{rows: rows, purchases: []float64{1, 2, 3, 9}, alive: []float64{0.5, 0.5, 1, 0.1},
			discounted: []float64{3, 4, 5, 6}, aliveTime: []float64{7, 8, 9, 1}, spend: slices.Clone(spend), margin: 0.5}
	}
	plain := func(p *Prediction) (int, float64) {
		for i := range p.Len() {
			for _, q := range []Quantity{PredPurchases, PredPAlive, PredDiscounted, PredAliveTime, PredSpend, PredRevenue, PredCLV} {
				if v := p.Value(q, i); !(v >= 0) || math.IsInf(v, 1) {
					return i, v
				}
			}
		}
		return -1, 0
	}
	for _, c := range []struct {
		name   string
		change func(p *Prediction)
		want   int
	}{
		{"none", func(*Prediction) {}, -1},
		{"NaN P(alive) of row 0", func(p *Prediction) { p.alive[0] = math.NaN() }, 1},
		{"negative purchases of row 2", func(p *Prediction) { p.purchases[2] = -1 }, 0},
		{"infinite spend", func(p *Prediction) { p.spend[3] = math.Inf(1) }, 3},
		{"revenue overflows", func(p *Prediction) { p.purchases[1], p.spend[4], p.spend[7] = 1e300, 1e10, 1e10 }, 7},
		{"CLV overflows", func(p *Prediction) { p.discounted[3], p.spend[6] = 1e300, 1e300 }, 6},
		{"unused row", func(p *Prediction) { p.rows = []int32{0, 0, 1, 1, 0, 2, 2, 1}; p.alive[3] = math.NaN() }, -1},
	} {
		p := base()
		c.change(p)
		got, v := p.firstInvalid()
		want, wv := plain(p)
		if got != c.want || got != want || math.Float64bits(v) != math.Float64bits(wv) {
			t.Errorf("%s: first invalid customer %d (%v), plain scan %d (%v), want %d", c.name, got, v, want, wv, c.want)
		}
	}
}
