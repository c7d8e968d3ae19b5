package experiments

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// cpuMeter reports a benchmark's CPU time (user and system, all threads)
// per operation as cpu-ns/op: on a shared machine the wall time per
// operation depends on the other work, the CPU time much less.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{cputime.Process()} }

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(cputime.Process()-m.start)/float64(b.N), "cpu-ns/op")
}

// tablesBenchWindow is benchWindow's 1M customers with the value columns
// a run with a spend model has: discounted purchases and time alive,
// margin, costs and the value tiers.
func tablesBenchWindow(b *testing.B) (*windowResult, []string, []float64) {
	b.Helper()
	wr, names := benchWindow(1_000_000, 7)
	age := make([]float64, len(wr.summary.Customers))
	for i, c := range wr.summary.Customers {
		age[i] = c.T
	}
	sc := wr.scorer()
	for k, name := range names {
		p := wr.preds[name]
		alive := make([]float64, len(p.purchases))
		for j, v := range p.purchases {
			alive[j] = min(1, v/(4+float64(k)))
		}
		p.alive, p.discounted, p.aliveTime, p.margin = alive, p.purchases, alive, 0.3
		p.net = NetCLVOptions{Margin: 0.3, CostPerPurchase: 0.5, CostPerCustomer: 0.01}
		p.tiers = AssignTiers(sc, p.Column(PredNetCLV), p.Column(PredAliveTime), age, DefaultTiers())
	}
	return wr, names, age
}

// BenchmarkModelTables times the parts of the score stage's per-model
// tables that are not the Scorer's (the value tiers' totals and the
// total CLV: the tables of a forecast) for the six models of a generated
// window of 1M customers.
func BenchmarkModelTables(b *testing.B) {
	wr, names, _ := tablesBenchWindow(b)
	cfg := &Config{Models: names}
	cfg.Resolved.Forecast = true
	reg := models.NewRegistry()
	cpu := startCPU()
	for b.Loop() {
		for _, name := range names {
			var t modelTables
			wr.modelTables(context.Background(), cfg, reg, name, TargetPurchases, 10, &t)
		}
	}
	cpu.report(b)
}

// BenchmarkAssignTiers times the predict stage's value tiers of the six
// models of a generated window of 1M customers (the Scorer's id ranks
// made once, as the predict stage has them).
func BenchmarkAssignTiers(b *testing.B) {
	wr, names, age := tablesBenchWindow(b)
	sc := wr.scorer()
	sc.idRanks()
	cpu := startCPU()
	for b.Loop() {
		for _, name := range names {
			p := wr.preds[name]
			AssignTiers(sc, p.Column(PredNetCLV), p.Column(PredAliveTime), age, DefaultTiers())
		}
	}
	cpu.report(b)
}

// BenchmarkTargetVerdicts times a run's verdict on the six models and
// both targets of a generated window of 1M customers, 1000 resamples of
// 32768 random batches, from the prediction columns to the verdicts.
func BenchmarkTargetVerdicts(b *testing.B) {
	wr, names, _ := tablesBenchWindow(b)
	_, actP, actR := wr.holdoutActuals()
	preds := []map[string][]float64{{}, {}}
	for _, name := range names {
		preds[0][name] = wr.column(name, PredPurchases)
		preds[1][name] = wr.column(name, PredRevenue)
	}
	o := VerdictOptions{Metric: DefaultVerdictMetric, Resamples: 1000, Level: 0.95, Seed: 7}
	cpu := startCPU()
	for b.Loop() {
		targetVerdicts(context.Background(), names, preds, [][]float64{actP, actR}, o)
	}
	cpu.report(b)
}

// BenchmarkSummarizeTiers totals the value tiers of one model of 1M
// customers in 250k pattern rows (rows in random order, as the histories
// are numbered apart from the customers), with holdout revenue.
func BenchmarkSummarizeTiers(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, rows := 1_000_000, 250_000
	col := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.ExpFloat64()
		}
		return v
	}
	p := randomRowPrediction(rng, n, rows, col)
	tiers := make([]Tier, n)
	for i := range p.rows {
		tiers[i] = Tier([]uint8{0, 1, 2, 2, 2, 3}[rng.IntN(6)])
	}
	rev := col(n)
	cpu := startCPU()
	for b.Loop() {
		SummarizeTiers(tiers, p, rev)
	}
	cpu.report(b)
}
