package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/clv-dev/clv/models"
)

// quickstartWindow reads the main window of configs/quickstart.yaml (the
// embedded data, the six default models and Gamma-Gamma) with the
// overrides given.
func quickstartWindow(t *testing.T, over ...string) (*Config, *LogInput, BacktestWindow) {
	t.Helper()
	cfg, err := Load("../configs/quickstart.yaml", over)
	if err != nil {
		t.Fatal(err)
	}
	data, err := openRunData(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	return cfg, data, cfg.Resolved.Windows[0]
}

// The pipelined fits and predictions of a window give every model the
// predictions computed directly, customer by customer (checkDirect), and
// the value tiers AssignTiers gives with a Scorer of its own; a model
// that fails to fit fails alone; fitted is called once, after every fit
// and before the flow returns; and the progress counts each fit and each
// prediction (or its absence) once, to the total it announced.
func TestFitPredictWindow(t *testing.T) {
	cfg, data, w := quickstartWindow(t, "clv.cost_per_purchase=0.5", "clv.cost_per_customer=0.01")
	s, err := summarizeWindow(cfg, data, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Models = append(slices.Clone(cfg.Models), "nosuchmodel") // its fit fails
	var out lockedBuffer
	calls := 0
	var fittedSeen int
	wr := fitPredictWindow(context.Background(), cfg, models.NewRegistry(), s, nil, w, newProgress(&out, false), func() {
		calls++
		fittedSeen = len(out.String())
	})
	if calls != 1 {
		t.Fatalf("fitted called %d times, want 1", calls)
	}
	if wr.errs["nosuchmodel"] == nil || len(wr.errs) != 1 || wr.spend == nil {
		t.Fatalf("errors %v (want nosuchmodel's only), spend %v", wr.errs, wr.spend)
	}
	if wr.ages != nil {
		t.Error("the customers' ages are kept after predicting")
	}
	o := models.CLVOptions{Horizon: cfg.Resolved.Horizon, DiscountRate: cfg.Resolved.DiscountRatePerUnit, Margin: cfg.CLV.Margin}
	checkDirect(t, cfg, wr, o)
	ids, _, _ := actuals(s)
	sc := NewScorer(ids)
	ages := make([]float64, len(s.Customers))
	for i, c := range s.Customers {
		ages[i] = c.T
	}
	for name, p := range wr.preds {
		want := AssignTiers(sc, p.Column(PredNetCLV), p.Column(PredAliveTime), ages, cfg.Tiers.orDefaults())
		if !slices.Equal(p.Tiers(), want) {
			t.Errorf("%s: the tiers differ from AssignTiers'", name)
		}
	}
	checkProgress(t, out.String(), "fitting and predicting", 2*len(cfg.Models)+1)
	fits := regexp.MustCompile(`\((\S+) (fitted|failed)\)`).FindAllStringSubmatch(out.String()[:fittedSeen], -1)
	if len(fits) != len(cfg.Models) {
		t.Errorf("%d fits reported before fitted was called, want %d:\n%s", len(fits), len(cfg.Models), out.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// checkProgress checks that the plain progress lines of a bar count
// 1, 2, ... n of n.
func checkProgress(t *testing.T, out, what string, n int) {
	t.Helper()
	lines := regexp.MustCompile(`clv: `+what+` (\d+)/(\d+) done`).FindAllStringSubmatch(out, -1)
	if len(lines) != n {
		t.Fatalf("%d progress lines, want %d:\n%s", len(lines), n, out)
	}
	for k, m := range lines {
		if m[1] != strconv.Itoa(k+1) || m[2] != strconv.Itoa(n) {
			t.Errorf("progress line %d says %s/%s, want %d/%d", k+1, m[1], m[2], k+1, n)
		}
	}
}

// predictWindow (clv score's: the fits made elsewhere) predicts the
// models in parallel to the same values as the pipeline, tiers included.
func TestPredictWindowEqualsPipeline(t *testing.T) {
	cfg, data, w := quickstartWindow(t)
	s, err := summarizeWindow(cfg, data, w, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	reg := models.NewRegistry()
	piped := fitPredictWindow(context.Background(), cfg, reg, s, nil, w, &progress{}, nil)
	var out bytes.Buffer
	staged := fitWindow(context.Background(), cfg, reg, s, nil, w, newProgress(&out, false))
	checkProgress(t, out.String(), "fitting", len(cfg.Models)+1)
	if len(staged.preds) != 0 {
		t.Fatalf("fitWindow predicted %d models", len(staged.preds))
	}
	out.Reset()
	predictWindow(context.Background(), cfg, reg, staged, newProgress(&out, false))
	checkProgress(t, out.String(), "predicting", len(cfg.Models))
	if len(piped.preds) != len(cfg.Models) || len(staged.preds) != len(cfg.Models) {
		t.Fatalf("%d and %d models predicted, want %d", len(piped.preds), len(staged.preds), len(cfg.Models))
	}
	for name, p := range piped.preds {
		q := staged.preds[name]
		for _, c := range []Quantity{PredPurchases, PredPAlive, PredSpend, PredCLV, PredNetCLV, PredAliveTime} {
			if !slices.Equal(p.Column(c), q.Column(c)) {
				t.Errorf("%s: quantity %d differs", name, c)
			}
		}
		if !slices.Equal(p.Tiers(), q.Tiers()) {
			t.Errorf("%s: tiers differ", name)
		}
	}
}

// A run's manifest keeps the stage names of a window (read_, fit_ and
// predict_ with its calibration end) and every model's fit seconds.
func TestWindowStages(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"output.plots=false", "output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: t.TempDir() + "/run"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out.Dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	day := cfg.Resolved.CalibrationEnd.Format("2006-01-02")
	for _, stage := range []string{"read_", "fit_", "predict_"} {
		if v, ok := m.StageSeconds[stage+day]; !ok || !(v > 0) {
			t.Errorf("stage %s: %v, %v", stage+day, v, ok)
		}
	}
	if len(m.ModelSeconds) != len(cfg.Models)+1 {
		t.Errorf("model seconds for %d models, want %d", len(m.ModelSeconds), len(cfg.Models)+1)
	}
}
