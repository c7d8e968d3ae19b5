package experiments

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/clv-dev/clv/internal/cputime"
)

// BenchmarkBuildMetricsBig runs the score stage (buildMetrics: the
// holdout scores, segments, tiers' tables and the verdict) of the main
// window of the config named by BIG_FIT_CONFIG (a 1M-customer backtest;
// skipped without it), read, fitted and predicted once, with a fresh
// Scorer and column store each run, as a run has. cpu-s/op is the
// process's CPU time (user and system, GC included) per run.
//
//	BIG_FIT_CONFIG=/work/big/bt1m_noiv.yaml go test ./experiments -run XXX -bench BuildMetricsBig -benchtime 5x
func BenchmarkBuildMetricsBig(b *testing.B) {
	cfg := bigConfig(b)
	ctx := context.Background()
	env, data, wr := benchMainWindow(b, ctx, cfg, false)
	data.Close()
	runtime.GC()
	var cpu time.Duration
	for b.Loop() {
		wr.ranks, wr.cols, wr.actP, wr.actR = nil, nil, nil, nil
		wr.shareColumns()
		cpu0 := cputime.Process()
		if _, err := buildMetrics(ctx, cfg, env.reg, "bench", wr, []*windowResult{wr}); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - cpu0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
