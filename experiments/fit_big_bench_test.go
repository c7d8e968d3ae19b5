package experiments

import (
	"context"
	"os"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// bigConfig loads the config named by BIG_FIT_CONFIG (a 1M-customer
// backtest); the benchmark is skipped without it.
func bigConfig(b *testing.B) *Config {
	b.Helper()
	path := os.Getenv("BIG_FIT_CONFIG")
	if path == "" {
		b.Skip("BIG_FIT_CONFIG names no config")
	}
	cfg, err := Load(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// bigFitSummary reads the calibration summary of the config named by
// BIG_FIT_CONFIG (a 1M-customer backtest); the benchmark is skipped
// without it.
func bigFitSummary(b *testing.B) (*Config, *datasets.Summary) {
	b.Helper()
	cfg := bigConfig(b)
	ctx := context.Background()
	data, err := openRunData(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer data.Close()
	s, err := summarizeWindow(cfg, data, cfg.Resolved.Windows[0], nil, false)
	if err != nil {
		b.Fatal(err)
	}
	return cfg, s
}

// BenchmarkFitWindowBig runs the fit stage of a run (the pattern table,
// every model and the spend model) on a big log's calibration summary.
func BenchmarkFitWindowBig(b *testing.B) {
	cfg, s := bigFitSummary(b)
	reg := models.NewRegistry()
	seconds := map[string]float64{}
	for b.Loop() {
		wr := fitWindow(context.Background(), cfg, reg, s, nil, cfg.Resolved.Windows[0], &progress{})
		if len(wr.errs) > 0 || wr.spendErr != nil {
			b.Fatal(wr.errs, wr.spendErr)
		}
		for name, sec := range wr.seconds {
			seconds[name] += sec
		}
	}
	for name, sec := range seconds {
		b.ReportMetric(sec/float64(b.N), name+"-s/op")
	}
}

// BenchmarkPatternsBig builds the pattern table of a big log's
// calibration summary.
func BenchmarkPatternsBig(b *testing.B) {
	_, s := bigFitSummary(b)
	for b.Loop() {
		datasets.NewPatterns(s)
	}
}

// BenchmarkFitModelsBig fits each model alone on a big log's compressed
// calibration table (the spend model on the full one).
func BenchmarkFitModelsBig(b *testing.B) {
	cfg, s := bigFitSummary(b)
	reg := models.NewRegistry()
	full, _ := ModelData(s)
	compressed, _ := ModelData(datasets.Compress(s))
	compressed.LogInterPurchase, compressed.HasLogInterPurchase = full.LogInterPurchase, full.HasLogInterPurchase
	data := map[models.DataForm]*models.Data{models.DataContinuous: compressed, models.DataActivity: full}
	opts := models.FitOptions{Penalty: cfg.Fit.Penalty, MaxIterations: cfg.Fit.MaxIterations}
	for _, name := range cfg.Models {
		b.Run(name, func(b *testing.B) {
			m, err := reg.PurchaseModel(name, cfg.modelOptions(name))
			if err != nil {
				b.Fatal(err)
			}
			desc, _ := reg.Lookup(models.KindPurchase, name)
			for b.Loop() {
				if _, err := m.Fit(context.Background(), data[desc.Data], opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("gammagamma", func(b *testing.B) {
		m, err := reg.SpendModel("gammagamma", nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := m.Fit(context.Background(), full, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
