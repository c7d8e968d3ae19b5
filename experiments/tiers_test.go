package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAssignTiersHandMade assigns the tiers of ten customers worked out by
// hand. By net CLV the order is 0 (100), 1 (60), 9 (60: the tie goes to
// the smaller id), 2, 7, 3, 6, 8, 5 (0), 4 (−5): with best_share 0.2 the
// best are 0 and 1, whose values per unit of time alive are 100/10 and
// 60/10, median 8; 4 and 5 are never profitable (net CLV ≤ 0); the young
// (T ≤ 0.25·50) are 2, 5, 6 and 8, of which 2 (40/4 = 10) and 6 (20/2 =
// 10) reach 8 and are potential, 8 (10/10 = 1) does not.
func TestAssignTiersHandMade(t *testing.T) {
	ids := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	net := []float64{100, 60, 40, 30, -5, 0, 20, 35, 10, 60}
	alive := []float64{10, 10, 4, 10, 10, 10, 2, 10, 10, 10}
	age := []float64{50, 50, 10, 50, 50, 5, 12, 50, 8, 50}
	got := AssignTiers(NewScorer(ids), net, alive, age, DefaultTiers())
	want := []Tier{TierBest, TierBest, TierPotential, TierGood, TierNeverProfitable,
		TierNeverProfitable, TierPotential, TierGood, TierGood, TierGood}
	if !slices.Equal(got, want) {
		t.Fatalf("tiers %v, want %v", got, want)
	}
	// A stricter potential threshold (the best's maximum, 10) still admits
	// 2 and 6; young_share 0 admits no one.
	strict := TiersConfig{BestShare: 0.2, YoungShare: 0.25, PotentialQuantile: 1}
	if got := AssignTiers(NewScorer(ids), net, alive, age, strict); !slices.Equal(got, want) {
		t.Errorf("quantile 1: %v", got)
	}
	none := TiersConfig{BestShare: 0.2, YoungShare: 0, PotentialQuantile: 0.5}
	if got := AssignTiers(NewScorer(ids), net, alive, age, none); got[2] != TierGood || got[6] != TierGood {
		t.Errorf("young_share 0: %v", got)
	}

	p := tierColumns{net: net, clv: []float64{110, 70, 45, 40, 1, 2, 25, 40, 15, 65},
		alive: []float64{1, 0.5, 1, 1, 0, 0.2, 1, 1, 1, 0.3}}
	rev := []float64{90, 50, 0, 10, 0, 0, 10, 20, 5, 15}
	sum := SummarizeTiers(got, p, rev)
	// best: 0 and 1, net 160 of 350, CLV (110+70)/2, P(alive) 0.75,
	// holdout revenue 140 of 200.
	b := sum[TierBest]
	if b.Tier != "best" || b.Customers != 2 || b.NetValue != 160 || b.NetValueShare != Metric(160.0/350) ||
		b.MeanCLV != 90 || b.MeanPAlive != 0.75 || *b.HoldoutRevenue != 140 || *b.HoldoutRevenueShare != 0.7 {
		t.Errorf("best tier %+v", b)
	}
	np := sum[TierNeverProfitable]
	if np.Customers != 2 || np.NetValue != -5 || np.MeanNetCLV != -2.5 || *np.HoldoutRevenue != 0 {
		t.Errorf("never_profitable tier %+v", np)
	}
	total := 0
	for _, s := range sum {
		total += s.Customers
	}
	if total != len(ids) {
		t.Errorf("tiers hold %d customers, want %d", total, len(ids))
	}
}

// tierColumns are per-customer TierValues.
type tierColumns struct{ net, clv, alive []float64 }

func (c tierColumns) NetCLV(i int) float64 { return c.net[i] }
func (c tierColumns) CLV(i int) float64    { return c.clv[i] }
func (c tierColumns) PAlive(i int) float64 { return c.alive[i] }

// TestSeedsWorkedExample runs the seeds' example through a config: 100
// customers who each spend $50 over two years, $3,000 of costs, so a net
// CLV of $20 per customer. Every customer bought twice, $25 each time, 52
// weeks before the calibration end (x = 1, T = 52): the average model
// expects 1/52 purchases a week, 2 over the 104-week horizon, at $25: $50
// of revenue. Costs: $8.50 per purchase ($17) and $0.125 per week alive
// over 104 weeks ($13), $30 a customer, $3,000 in all.
func TestSeedsWorkedExample(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	log.WriteString("customer_id,date,amount\n")
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&log, "%d,2024-01-01,25\n%d,2024-06-01,25\n%d,2025-03-01,25\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "log.csv"), []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	config := `name: seeds
data: {path: log.csv, customer: customer_id, date: date, amount: amount}
split: {unit: week, calibration_end: 2024-12-30, holdout_end: 2025-03-01}
models: [average]
spend_model: average
clv: {horizon: 104, discount_rate: 0, margin: 1, cost_per_purchase: 8.5, cost_per_customer: 0.125}
output: {plots: false, report: false}
`
	if err := os.WriteFile(filepath.Join(dir, "seeds.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(filepath.Join(dir, "seeds.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	ids, cols := predictionsCSV(t, out.Dir)
	if len(ids) != 100 {
		t.Fatalf("%d customers, want 100", len(ids))
	}
	for i, id := range ids {
		if clv, net := cols["average_clv"][i], cols["average_net_clv"][i]; math.Abs(clv-50) > 1e-9 || math.Abs(net-20) > 1e-9 {
			t.Fatalf("customer %s: CLV %v, net CLV %v; want 50 and 20", id, clv, net)
		}
	}
	tiers := out.Metrics.(*MetricsFile).Tiers["average"]
	var net float64
	for _, s := range tiers {
		net += float64(s.NetValue)
	}
	if math.Abs(net-2000) > 1e-6 {
		t.Errorf("total net value %v, want $2,000 (= $5,000 − $3,000)", net)
	}
	// Equal net CLVs: the best are the first 20 by id, the others good.
	if tiers[TierBest].Customers != 20 || tiers[TierGood].Customers != 80 {
		t.Errorf("tiers %+v", tiers)
	}
}

// perCustomer hides a Prediction's type, so that SummarizeTiers reads it
// one customer at a time through its methods.
type perCustomer struct{ p *Prediction }

func (c perCustomer) NetCLV(i int) float64 { return c.p.NetCLV(i) }
func (c perCustomer) CLV(i int) float64    { return c.p.CLV(i) }
func (c perCustomer) PAlive(i int) float64 { return c.p.PAlive(i) }

// TestSummarizeTiersByColumns checks the column walk of a prediction with
// pattern rows (addColumns, by blocks) against the customer-by-customer
// sums of the Prediction's methods, bit for bit: the same terms in the
// same order. Values span many magnitudes so that the compensated sums'
// order matters; the customers are more than a few blocks, some tiers
// empty in some blocks.
func TestSummarizeTiersByColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	n, rows := 5*tierBlock+37, 300
	col := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			// Signs and magnitudes so mixed that the compensated sums
			// lose bits, which the order of the terms then decides.
			v[i] = (rng.Float64() - 0.3) * math.Pow(10, float64(rng.IntN(80)-40))
		}
		return v
	}
	p := randomRowPrediction(rng, n, rows, col)
	tiers := make([]Tier, n)
	for i := range p.rows {
		tiers[i] = Tier(rng.IntN(3))
		if i > 2*tierBlock && i < 3*tierBlock {
			tiers[i] = TierNeverProfitable // a block of one tier
		}
	}
	for _, rev := range [][]float64{nil, col(n)} {
		got, gotCLV := summarizeTiers(tiers, p, rev)
		want, wantCLV := summarizeTiers(tiers, perCustomer{p}, rev)
		g, _ := json.Marshal(got) // every float's shortest round-trip decimal
		w, _ := json.Marshal(want)
		if string(g) != string(w) || math.Float64bits(gotCLV) != math.Float64bits(wantCLV) {
			t.Errorf("revenue %v: by columns\n%s, %v\nper customer\n%s, %v", rev != nil, g, gotCLV, w, wantCLV)
		}
		if rev == nil {
			continue
		}
		// The revenue's total given (as the Scorer's total of the
		// actuals, modelTables) rather than taken: the same summaries.
		positive := absValues(rev) // actuals are never negative
		total, err := NewScorer(make([]string, n)).actualFacts(context.Background(), positive)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range []TierValues{p, perCustomer{p}} {
			withTotal, _ := summarizeTiersOf(tiers, tp, positive, &total.total)
			without, _ := summarizeTiers(tiers, tp, positive)
			g, _ := json.Marshal(withTotal)
			w, _ := json.Marshal(without)
			if string(g) != string(w) {
				t.Errorf("%T: with the revenue's total given\n%s\ntaken\n%s", tp, g, w)
			}
		}
	}
}

// absValues returns |v_i| for every value, in a new slice.
func absValues(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Abs(x)
	}
	return out
}

// randomRowPrediction returns a prediction of n customers in random rows
// of a table of the given size, its columns drawn by col, with a spend
// model and the costs of net CLV.
func randomRowPrediction(rng *rand.Rand, n, rows int, col func(n int) []float64) *Prediction {
	p := &Prediction{rows: make([]int32, n), spend: col(n), margin: 0.3, purchases: col(rows), alive: col(rows),
		discounted: col(rows), aliveTime: col(rows), net: NetCLVOptions{Margin: 0.3, CostPerPurchase: 0.1, CostPerCustomer: 0.01}}
	for i := range p.rows {
		p.rows[i] = int32(rng.IntN(rows))
	}
	return p
}
