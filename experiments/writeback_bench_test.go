package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/engine"
	"github.com/clv-dev/clv/datasets/engine/enginetest"
)

// BenchmarkWriteBackTable runs the quickstart backtest (every model,
// Gamma-Gamma) from each engine with output.table and reports what the
// write-back sent against a per-customer upload of the same table, and
// its seconds. CLV_BENCH_LOG names another customer_id,date,amount log
// with the quickstart's dates (clv simulate … --customers 300000 writes
// one), e.g.
//
//	CLV_BENCH_LOG=/tmp/wb300k.csv go test ./experiments -run '^$' -bench WriteBackTable -benchtime 1x
func BenchmarkWriteBackTable(b *testing.B) {
	data, err := datasets.Embedded("quickstart")
	if p := os.Getenv("CLV_BENCH_LOG"); p != "" {
		data, err = os.ReadFile(p)
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []struct {
		dialect engine.Dialect
		start   func(testing.TB) *enginetest.Engine
	}{{engine.Postgres, enginetest.Postgres}, {engine.ClickHouse, enginetest.ClickHouse}} {
		b.Run(string(e.dialect), func(b *testing.B) {
			eng := e.start(b)
			eng.Load(b, "quickstart", enginetest.ReadCSV(b, data))
			b.Setenv("WB_TEST_DSN", eng.DSN)
			text := fmt.Sprintf(writeBackConfig, e.dialect, "[average, retention, hiatus, bgnbd, paretonbd, mbgnbd]", "  table: bench_predictions\n  table_replace: true")
			dir := b.TempDir()
			path := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(text, "writeback", "bench", 1)), 0o644); err != nil {
				b.Fatal(err)
			}
			cfg, err := Load(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			var tw *TableWritten
			for b.Loop() {
				out, err := Run(b.Context(), cfg, RunOptions{OutDir: filepath.Join(b.TempDir(), "run")})
				if err != nil {
					b.Fatal(err)
				}
				tw = out.Table
			}
			b.ReportMetric(float64(tw.Rows), "rows")
			b.ReportMetric(float64(tw.PatternRows), "patterns")
			b.ReportMetric(float64(tw.BytesSent), "bytes_sent")
			b.ReportMetric(float64(tw.PerCustomerBytes)/float64(tw.BytesSent), "x_fewer_bytes")
			b.ReportMetric(tw.Seconds, "writeback_s")
		})
	}
}
