package experiments

import (
	"context"
	"testing"

	"github.com/clv-dev/clv/internal/cputime"
	"github.com/clv-dev/clv/models"
)

// BenchmarkWritePredictionsIntervalsBig formats the predictions table of
// a big log (BIG_FIT_CONFIG, see bigFitSummary) with the prediction
// intervals of the config as a run writes it, CSV into a discarding
// writer: the interval columns' cost (money bounds computed per customer
// a block at a time, purchase bounds by row) on top of the point
// predictions'.
//
//	BIG_FIT_CONFIG=/work/big/bt1m.yaml go test ./experiments -run XXX -bench WritePredictionsIntervalsBig -benchtime 3x
func BenchmarkWritePredictionsIntervalsBig(b *testing.B) {
	cfg, s := bigFitSummary(b)
	reg := models.NewRegistry()
	ctx := context.Background()
	wr := fitWindow(ctx, cfg, reg, s, nil, cfg.Resolved.Windows[0], &progress{})
	predictWindow(ctx, cfg, reg, wr, &progress{})
	addIntervals(ctx, cfg, reg, wr)
	if len(wr.errs) > 0 {
		b.Fatal(wr.errs)
	}
	cols := predictionColumns(cfg, wr)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		if err := writePredictionsCSV(discard{}, cols); err != nil {
			b.Fatal(err)
		}
	}
	reportCPUSeconds(b, cpu0)
}
