package experiments

import (
	"context"
	"testing"

	"github.com/clv-dev/clv/datasets"
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

// benchPredictionColumns is the predictions table of 200,000 customers
// and one model with spend and tiers.
func benchPredictionColumns(b *testing.B) []predColumn {
	s, pt := benchSummary(b)
	f, _ := models.NewFittedBGNBD(0.8, 4, 0.6, 3)
	spend, _ := models.NewFittedGammaGamma(6, 4, 15)
	in := predictInput{summary: s, patterns: pt, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1}}
	p, err := predictModel(context.Background(), "bgnbd", f, spend, in)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{Models: []string{"bgnbd"}}
	wr := &windowResult{summary: s, patterns: pt, preds: map[string]*Prediction{"bgnbd": p}}
	addValueTiers(cfg, wr, p)
	cols := predictionColumns(cfg, wr)
	return cols
}

// BenchmarkWritePredictionsCSV formats 200,000 customers' predictions of
// one model with spend and tiers as CSV.
func BenchmarkWritePredictionsCSV(b *testing.B) {
	cols := benchPredictionColumns(b)
	for b.Loop() {
		if err := writePredictionsCSV(discard{}, cols); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWritePredictionsParquet writes the table of
// BenchmarkWritePredictionsCSV as Parquet (row groups in parallel).
func BenchmarkWritePredictionsParquet(b *testing.B) {
	cols := benchPredictionColumns(b)
	for b.Loop() {
		if err := writePredictionsParquet(discard{}, cols); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
