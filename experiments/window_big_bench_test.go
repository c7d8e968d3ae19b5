package experiments

import (
	"context"
	"runtime"
	"testing"

	"github.com/clv-dev/clv/models"
)

// BenchmarkRunWindowBig runs a run's critical path before scoring on the
// config named by BIG_FIT_CONFIG (a 1M-customer backtest; skipped
// without it): the main window's read, fits and predictions (runWindow)
// and the data's checksum, as backtestRun.execute does them. It reports
// the stages' seconds as the manifest records them (read_, fit_ and
// predict_ of the window) and the wait for the checksum after them.
//
//	BIG_FIT_CONFIG=/work/big/bt1m_noiv.yaml go test ./experiments -run XXX -bench RunWindowBig -benchtime 3x
func BenchmarkRunWindowBig(b *testing.B) {
	cfg := bigConfig(b)
	ctx := context.Background()
	day := cfg.Resolved.Windows[0].CalibrationEnd.Format("2006-01-02")
	stages := map[string]float64{}
	for b.Loop() {
		env, data, _ := benchMainWindow(b, ctx, cfg, true)
		t0 := b.Elapsed()
		if _, err := data.SHA256(); err != nil {
			b.Fatal(err)
		}
		stages["checksum_wait"] += (b.Elapsed() - t0).Seconds()
		for _, s := range []string{"read_", "fit_", "predict_"} {
			stages[s] += env.stages[s+day]
		}
		data.Close()
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
	}
	for s, sec := range stages {
		b.ReportMetric(sec/float64(b.N), s+"s/op")
	}
}

// benchMainWindow opens cfg's data (its checksum taken aside when aside)
// and runs its main window's read, fits and predictions as a run does
// (runWindow), failing b on any error, a model's included.
func benchMainWindow(b *testing.B, ctx context.Context, cfg *Config, aside bool) (*runEnv, *LogInput, *windowResult) {
	b.Helper()
	data, err := openRunData(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if aside {
		data.ChecksumAside()
	}
	env := &runEnv{cfg: cfg, reg: models.NewRegistry(), prog: &progress{}, stages: map[string]float64{}}
	wr, err := runWindow(ctx, env, data, 0, cfg.Resolved.Windows[0])
	if err != nil {
		b.Fatal(err)
	}
	if len(wr.errs) > 0 {
		b.Fatal(wr.errs)
	}
	return env, data, wr
}
