package experiments

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// bigPredictionColumns returns the predictions table of the big log of
// BIG_FIT_CONFIG (see bigFitSummary) as a run writes it: every model
// fitted and predicted with the spend model and value tiers.
func bigPredictionColumns(b *testing.B) []predColumn {
	cfg, s := bigFitSummary(b)
	reg := models.NewRegistry()
	wr := fitWindow(context.Background(), cfg, reg, s, nil, cfg.Resolved.Windows[0], &progress{})
	predictWindow(context.Background(), cfg, reg, wr, &progress{})
	if len(wr.errs) > 0 {
		b.Fatal(wr.errs)
	}
	return predictionColumns(cfg, wr)
}

// BenchmarkWritePredictionsBig writes the predictions of a big log (see
// bigPredictionColumns) as CSV and as Parquet: to_file into a file of
// the benchmark's temporary folder (the write syscalls included),
// discard without them.
func BenchmarkWritePredictionsBig(b *testing.B) {
	cols := bigPredictionColumns(b)
	path := filepath.Join(b.TempDir(), "predictions")
	toFile := func(write func(w *os.File) error) func(b *testing.B) {
		return func(b *testing.B) {
			cpu0 := cputime.Process()
			for b.Loop() {
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := write(f); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUSeconds(b, cpu0)
		}
	}
	b.Run("csv_discard", func(b *testing.B) {
		cpu0 := cputime.Process()
		for b.Loop() {
			if err := writePredictionsCSV(discard{}, cols); err != nil {
				b.Fatal(err)
			}
		}
		reportCPUSeconds(b, cpu0)
	})
	b.Run("csv_to_file", toFile(func(f *os.File) error { return writePredictionsCSV(f, cols) }))
	b.Run("parquet_to_file", toFile(func(f *os.File) error { return writePredictionsParquet(f, cols) }))
}

// reportCPUSeconds reports the CPU seconds (all threads, user and
// system) per operation since cpu0.
func reportCPUSeconds(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
