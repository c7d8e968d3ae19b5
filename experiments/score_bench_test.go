package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// benchWindow builds a backtest window of n generated customers shaped
// like the issue-11 simulation: calibration histories at day resolution
// in weeks (about a quarter as many distinct patterns as customers),
// six models whose purchase predictions are functions of the pattern
// (one, like the average model, of frequency and T only, so distinct
// patterns share values), revenue predictions that are those times a
// per-customer spend, and Poisson-like holdout actuals. The ids are
// zero-padded numbers in a random order, as in a log whose customers are
// listed by first purchase.
func benchWindow(n int, seed uint64) (*windowResult, []string) {
	rng := rand.New(rand.NewPCG(seed, 11))
	s := &datasets.Summary{HasHoldout: true, HasAmount: true}
	s.Customers = make([]datasets.CustomerSummary, n)
	monetary := make([]float64, n)
	ids := rng.Perm(n) // customers by first purchase, not by id
	for i := range s.Customers {
		T := float64(rng.IntN(365)) / 7
		x := math.Floor(rng.ExpFloat64() * 3 * T / 52)
		tx := 0.0
		if x > 0 {
			tx = float64(rng.IntN(int(T*7)+1)) / 7
		}
		monetary[i] = 5 + math.Round(rng.ExpFloat64()*2000)/100
		y := math.Floor(rng.ExpFloat64() * (x + 0.2) * 0.6)
		s.Customers[i] = datasets.CustomerSummary{ID: fmt.Sprintf("%07d", ids[i]+1), Frequency: x, Recency: tx, T: T,
			Monetary: monetary[i], FrequencyHoldout: y, MonetaryHoldout: monetary[i] * (0.8 + 0.4*rng.Float64())}
	}
	pt := datasets.NewPatterns(s)
	wr := &windowResult{summary: s, patterns: pt, preds: map[string]*Prediction{}, results: map[string]*models.FitResult{},
		errs: map[string]error{}, spend: &models.FittedAverageSpend{}}
	names := []string{"average", "retention", "hiatus", "bgnbd", "paretonbd", "mbgnbd"}
	for k, name := range names {
		byPattern := make([]float64, pt.Len())
		for j := range byPattern {
			x, tx, T := pt.Frequency[j], pt.Recency[j], pt.T[j]
			switch k {
			case 0:
				byPattern[j] = 26 * x / math.Max(T, 1)
			default:
				byPattern[j] = 26 * (x + 0.3*float64(k)) / (T + 2) * math.Exp(-(T-tx)/(10*float64(k)))
			}
		}
		spend := make([]float64, n)
		for i := range spend {
			spend[i] = (s.Customers[i].Frequency*monetary[i] + 4*20) / (s.Customers[i].Frequency + 4)
		}
		zeros := make([]float64, pt.Len())
		p := &Prediction{rows: pt.Of, purchases: byPattern, alive: zeros, discounted: zeros, aliveTime: zeros, spend: spend}
		wr.preds[name] = p
	}
	return wr, names
}

// BenchmarkBuildMetrics scores a generated window of 1M and 100k
// customers and six models as the score stage does (holdout metrics of
// purchases and revenue, segments, the verdict on both targets).
func BenchmarkBuildMetrics(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			wr, names := benchWindow(n, 7)
			cfg := &Config{Models: names, Seed: 3, Segments: SegmentsConfig{Groups: 10}}
			reg := models.NewRegistry()
			for b.Loop() {
				wr.ranks = nil // a fresh scorer each run, as a run has
				if _, err := buildMetrics(context.Background(), cfg, reg, "bench", wr, []*windowResult{wr}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValueTiers assigns and summarizes the value tiers of the six
// models of a generated window of 1M customers, as the predict and score
// stages do (the Scorer made once, as the predict stage makes it).
func BenchmarkValueTiers(b *testing.B) {
	wr, names := benchWindow(1_000_000, 7)
	age := make([]float64, len(wr.summary.Customers))
	for i, c := range wr.summary.Customers {
		age[i] = c.T
	}
	_, _, rev := wr.holdoutActuals()
	for _, name := range names {
		p := wr.preds[name]
		p.discounted, p.aliveTime, p.margin = p.purchases, p.purchases, 1
		p.net = NetCLVOptions{Margin: 1, CostPerPurchase: 0.5}
	}
	for b.Loop() {
		wr.ranks = nil
		sc := wr.scorer()
		for _, name := range names {
			p := wr.preds[name]
			p.tiers = AssignTiers(sc, p.Column(PredNetCLV), p.Column(PredAliveTime), age, DefaultTiers())
			SummarizeTiers(p.tiers, p, rev)
		}
	}
}

// BenchmarkRevenueOrder orders the revenue predictions of one model of a
// generated window of 1M customers (per customer: no pattern rows), a
// fresh order each time on the window's Scorer: with the ids in a random
// order, and in the summary's order (as a log's customers are when
// summarized by id, the common case).
func BenchmarkRevenueOrder(b *testing.B) {
	for _, sorted := range []bool{false, true} {
		b.Run(map[bool]string{false: "shuffled", true: "in_order"}[sorted], func(b *testing.B) {
			wr, names := benchWindow(1_000_000, 7)
			if sorted {
				idsInOrder(wr)
			}
			sc := wr.scorer()
			rev := wr.preds[names[3]].Column(PredRevenue)
			cpu := startCPU()
			for b.Loop() {
				order, _, _, err := sc.customerOrder(context.Background(), rev)
				if err != nil {
					b.Fatal(err)
				}
				sc.places.put(order)
			}
			cpu.report(b)
		})
	}
}

// idsInOrder renumbers a bench window's customers so that their ids are
// in the summary's order.
func idsInOrder(wr *windowResult) {
	for i := range wr.summary.Customers {
		wr.summary.Customers[i].ID = fmt.Sprintf("%07d", i+1)
	}
}

// BenchmarkScoreStage is the Scorer's share of the score stage on a
// generated window of 1M customers and six models, one model after the
// other on one goroutine: a fresh Scorer, then per model the scores of
// purchases and revenue and the revenue segments (deciles), after which
// the model's orders are forgotten, as scoreWindow and tablesByModel do.
// The columns are materialized once, outside the loop. cpu-s/op is the
// process's CPU time (user and system, GC included) per run of the
// stage. In "cold" the heap's free memory is returned to the system
// before each run (not counted), so that memory the run allocates is
// faulted in again, as in a run of clv whose heap has been scavenged; in
// "warm" the heap keeps it.
func BenchmarkScoreStage(b *testing.B) {
	wr, names := benchWindow(1_000_000, 7)
	_, actP, actR := wr.holdoutActuals()
	cols := make([][2][]float64, len(names))
	for k, name := range names {
		cols[k] = [2][]float64{wr.preds[name].Column(PredPurchases), wr.preds[name].Column(PredRevenue)}
	}
	for _, cold := range []bool{true, false} {
		b.Run(map[bool]string{true: "cold", false: "warm"}[cold], func(b *testing.B) {
			var cpu time.Duration
			runs := 0
			for b.Loop() {
				if cold {
					b.StopTimer()
					debug.FreeOSMemory()
					b.StartTimer()
				}
				cpu0 := cputime.Process()
				scoreStage(b, wr, cols, actP, actR)
				cpu += cputime.Process() - cpu0
				runs++
			}
			b.ReportMetric(cpu.Seconds()/float64(runs), "cpu-s/op")
		})
	}
}

// scoreStage is one run of BenchmarkScoreStage.
func scoreStage(b *testing.B, wr *windowResult, cols [][2][]float64, actP, actR []float64) {
	wr.ranks = nil // a fresh scorer each run, as a run has
	sc := wr.scorer()
	sc.expectSegments(actR, 10)
	for _, c := range cols {
		if _, err := sc.Score(c[0], actP); err != nil {
			b.Fatal(err)
		}
		if _, err := sc.Score(c[1], actR); err != nil {
			b.Fatal(err)
		}
		if _, err := sc.Segments(c[1], actR, 10); err != nil {
			b.Fatal(err)
		}
		sc.forget(c[0])
		sc.forget(c[1])
	}
}

// BenchmarkKsumNonNeg alternates, in one process, the seven sums of the
// customer walk (five of terms never negative, two signed) over 1M
// generated terms stepped by add alone and by addNonNeg where the terms
// are never negative, and reports each one's least CPU time per walk.
func BenchmarkKsumNonNeg(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 3))
	x, y := make([]float64, 1<<20), make([]float64, 1<<20)
	for i := range x {
		x[i], y[i] = rng.ExpFloat64()*3, math.Floor(rng.ExpFloat64())
	}
	walks := [2]func() float64{
		func() float64 {
			var abs, sq, pxx, rxx, sle, pxy, rxy ksum
			for i, p := range x {
				e := math.Abs(p - y[i])
				abs.add(e)
				sq.add(e * e)
				pxx.add((p - 3) * (p - 3))
				rxx.add(p * p)
				sle.add(e * 0.5)
				pxy.add((p - 3) * (y[i] - 1))
				rxy.add((p - 3) * y[i])
			}
			return abs.value() + sq.value() + pxx.value() + rxx.value() + sle.value() + pxy.value() + rxy.value()
		},
		func() float64 {
			var abs, sq, pxx, rxx, sle, pxy, rxy ksum
			for i, p := range x {
				e := math.Abs(p - y[i])
				abs.addNonNeg(e)
				sq.addNonNeg(e * e)
				pxx.addNonNeg((p - 3) * (p - 3))
				rxx.addNonNeg(p * p)
				sle.addNonNeg(e * 0.5)
				pxy.add((p - 3) * (y[i] - 1))
				rxy.add((p - 3) * y[i])
			}
			return abs.value() + sq.value() + pxx.value() + rxx.value() + sle.value() + pxy.value() + rxy.value()
		},
	}
	best := [2]time.Duration{math.MaxInt64, math.MaxInt64}
	var sums [2]float64
	for b.Loop() {
		for v, walk := range walks {
			t0 := cputime.Process()
			sums[v] = walk()
			best[v] = min(best[v], cputime.Process()-t0)
		}
	}
	if math.Float64bits(sums[0]) != math.Float64bits(sums[1]) {
		b.Fatalf("the walks' sums differ: %v, %v", sums[0], sums[1])
	}
	b.ReportMetric(float64(best[0]), "add-cpu-ns/walk")
	b.ReportMetric(float64(best[1]), "addnonneg-cpu-ns/walk")
}
