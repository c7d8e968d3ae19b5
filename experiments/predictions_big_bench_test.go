package experiments

import (
	"context"
	"io"
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
// bigPredictionColumns) as CSV and as Parquet: to_file into a results
// folder as a run does (resultsDir.writeLargeFile: past the page cache
// where the system allows it, then synced), discard without the writes.
func BenchmarkWritePredictionsBig(b *testing.B) {
	cols := bigPredictionColumns(b)
	rd, err := newResultsDir(filepath.Join(b.TempDir(), "run"))
	if err != nil {
		b.Fatal(err)
	}
	defer rd.abort()
	toFile := func(name string, write func(w io.Writer, cols []predColumn) error) func(b *testing.B) {
		return func(b *testing.B) {
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := rd.writeLargeFile(name, func(w io.Writer) error { return write(w, cols) }); err != nil {
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
	b.Run("csv_to_file", toFile("predictions.csv", writePredictionsCSV))
	b.Run("parquet_to_file", toFile("predictions.parquet", writePredictionsParquet))
}

// reportCPUSeconds reports the CPU seconds (all threads, user and
// system) per operation since cpu0.
func reportCPUSeconds(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
