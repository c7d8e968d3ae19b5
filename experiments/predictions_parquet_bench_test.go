package experiments

import (
	"testing"

	"github.com/clv-dev/clv/internal/cputime"
)

// BenchmarkWritePredictionsParquetBig encodes the predictions of a big
// log (see bigPredictionColumns) as Parquet without writing them.
func BenchmarkWritePredictionsParquetBig(b *testing.B) {
	cols := bigPredictionColumns(b)
	b.Run("discard", func(b *testing.B) {
		cpu0 := cputime.Process()
		for b.Loop() {
			if err := writePredictionsParquet(discard{}, cols); err != nil {
				b.Fatal(err)
			}
		}
		reportCPUSeconds(b, cpu0)
	})
}
