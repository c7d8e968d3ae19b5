package experiments

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// benchSummary is a 200,000-customer summary on a daily grid.
func benchSummary(b *testing.B) (*datasets.Summary, *datasets.Patterns) {
	b.Helper()
	s := patternSummary(200_000, false)
	return s, datasets.NewPatterns(s)
}

// BenchmarkPredict predicts 200,000 customers with the BG/NBD and
// Gamma-Gamma, pattern first: the predict stage of a run, per model.
func BenchmarkPredict(b *testing.B) {
	s, pt := benchSummary(b)
	f, _ := models.NewFittedBGNBD(0.8, 4, 0.6, 3)
	spend, _ := models.NewFittedGammaGamma(6, 4, 15)
	in := predictInput{summary: s, patterns: pt, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}}
	for b.Loop() {
		if _, err := predictModel(context.Background(), "bgnbd", f, spend, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore scores and segments one model's predictions of 200,000
// customers against their holdout actuals, with a fresh Scorer (the ids
// ranked) each time: the score stage of a run, per model and target.
func BenchmarkScore(b *testing.B) {
	s, pt := benchSummary(b)
	f, _ := models.NewFittedBGNBD(0.8, 4, 0.6, 3)
	in := predictInput{summary: s, patterns: pt, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}}
	p, err := predictModel(context.Background(), "bgnbd", f, nil, in)
	if err != nil {
		b.Fatal(err)
	}
	ids, actual, _ := actuals(s)
	for i := range actual {
		actual[i] = float64(i % 7)
	}
	purchases := p.Column(PredPurchases)
	for b.Loop() {
		sc := NewScorer(ids)
		if _, err := sc.Score(purchases, actual); err != nil {
			b.Fatal(err)
		}
		if _, err := sc.Segments(purchases, actual, 10); err != nil {
			b.Fatal(err)
		}
	}
}

// logSummary returns n customers with histories about as varied as
// those of the issue-11 simulated log (a million customers there have
// about 200,000 distinct histories): first purchases over a year, in days,
// geometric repeat counts, the last purchase anywhere after the repeats,
// activity bitmaps and holdout purchases.
func logSummary(n int) *datasets.Summary {
	rng := rand.New(rand.NewPCG(5, 6))
	s := &datasets.Summary{Unit: datasets.Week, HasAmount: true, HasHoldout: true, ActivityPeriod: 28, ActivityPeriods: 12}
	s.Customers = make([]datasets.CustomerSummary, n)
	for i := range s.Customers {
		age := 1 + rng.IntN(365)
		x := 0
		for x < age && rng.Float64() < 0.55 {
			x++
		}
		last := 0
		if x > 0 {
			last = x + rng.IntN(age-x+1)
		}
		c := datasets.CustomerSummary{ID: strconv.Itoa(1_000_000 + i*7), Frequency: float64(x), Recency: float64(last) / 7,
			T: float64(age) / 7, FrequencyHoldout: float64(rng.IntN(4)), DurationHoldout: 26, Weight: 1, Activity: rng.Uint64() & 0xfff}
		if x > 0 {
			c.Monetary = 5 + 40*rng.Float64()
		}
		if c.FrequencyHoldout > 0 {
			c.MonetaryHoldout = 5 + 40*rng.Float64()
		}
		s.Customers[i] = c
	}
	return s
}

// benchCustomers is the number of customers of the predictions-writing
// benchmarks.
const benchCustomers = 100_000

// benchPredictionColumns is the predictions table of benchCustomers
// customers (logSummary) and the six models of patternModels with spend
// and tiers, and the same table with every column materialized per
// customer.
func benchPredictionColumns(b *testing.B) (byRow, perCustomer []predColumn) {
	cfg, wr := patternWindow(b, logSummary(benchCustomers))
	byRow = predictionColumns(cfg, wr)
	for _, c := range byRow {
		perCustomer = append(perCustomer, c.materialized())
	}
	b.ReportMetric(float64(wr.patterns.Len()), "patterns")
	return byRow, perCustomer
}

// reportPerCustomer reports the time and the CPU time (all threads,
// since cpu0 was read before the benchmark's loop) per customer of a
// benchmark: on a shared machine the CPU time is the steadier figure.
func reportPerCustomer(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchCustomers, "ns/customer")
	b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N)/benchCustomers, "cpu-ns/customer")
}

// BenchmarkWritePredictionsCSV formats benchCustomers customers'
// predictions of six models with spend and tiers as CSV: by_row as a run
// writes them (a pattern's fields formatted once), per_customer every
// field formatted customer by customer (the same bytes).
func BenchmarkWritePredictionsCSV(b *testing.B) {
	byRow, perCustomer := benchPredictionColumns(b)
	for _, bc := range []struct {
		name string
		cols []predColumn
	}{{"by_row", byRow}, {"per_customer", perCustomer}} {
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := writePredictionsCSV(discard{}, bc.cols); err != nil {
					b.Fatal(err)
				}
			}
			reportPerCustomer(b, cpu0)
		})
	}
}

// BenchmarkWritePredictionsParquet writes the table of
// BenchmarkWritePredictionsCSV as Parquet (row groups in parallel).
func BenchmarkWritePredictionsParquet(b *testing.B) {
	byRow, _ := benchPredictionColumns(b)
	cpu0 := cputime.Process()
	for b.Loop() {
		if err := writePredictionsParquet(discard{}, byRow); err != nil {
			b.Fatal(err)
		}
	}
	reportPerCustomer(b, cpu0)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
