package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// runCDNOW runs configs/cdnow.yaml with the given models into a fresh
// folder and returns the outcome.
func runCDNOW(t *testing.T, models string) *Outcome {
	t.Helper()
	sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	cfg, err := Load("../configs/cdnow.yaml", []string{"models=" + models, "output.plots=false", "output.report=false", "expect=[]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// predictionsCSV reads the run's predictions.csv into columns by name.
func predictionsCSV(t *testing.T, dir string) (ids []string, cols map[string][]float64) {
	t.Helper()
	rows := predictionRows(t, dir)
	cols = map[string][]float64{}
	for _, row := range rows[1:] {
		ids = append(ids, row[0])
		for j, name := range rows[0][1:] {
			if strings.HasSuffix(name, "_tier") {
				continue // a tier name, not a number
			}
			v, err := strconv.ParseFloat(row[j+1], 64)
			if err != nil {
				t.Fatalf("predictions.csv %s: %v", name, err)
			}
			cols[name] = append(cols[name], v)
		}
	}
	return ids, cols
}

// predictionRows reads the rows of dir/predictions.csv, the header first.
func predictionRows(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "predictions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// hyp2f1Series sums the Gauss hypergeometric series term by term; an
// independent check of the models' own evaluation for |z| < 1.
func hyp2f1Series(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for k := 0; k < 100000; k++ {
		term *= (a + float64(k)) * (b + float64(k)) / ((c + float64(k)) * float64(k+1)) * z
		sum += term
		if math.Abs(term) < 1e-17*math.Abs(sum) {
			break
		}
	}
	return sum
}

// bgnbdConditional is eq. (10) of Fader, Hardie & Lee (2005): the expected
// purchases in (T, T+t] of a customer with history (x, t_x, T).
func bgnbdConditional(r, alpha, a, b, x, tx, T, t float64) float64 {
	z := t / (alpha + T + t)
	num := (a + b + x - 1) / (a - 1) * (1 - math.Pow((alpha+T)/(alpha+T+t), r+x)*hyp2f1Series(r+x, b+x, a+b+x-1, z))
	den := 1.0
	if x > 0 {
		den += a / (b + x - 1) * math.Pow((alpha+T)/(alpha+tx), r+x)
	}
	return num / den
}

// The CDNOW run's BG/NBD holdout scores, recomputed here from the fitted
// parameters with the paper's closed form and plain formulas for the
// metrics.
func TestCDNOWBGNBDScoresRecomputed(t *testing.T) {
	out := runCDNOW(t, "[average,bgnbd]")
	rep := out.Metrics.(*MetricsFile).Models["bgnbd"]
	p := rep.Fit.Params
	ids, cols := predictionsCSV(t, out.Dir)
	if len(ids) != 2357 {
		t.Fatalf("%d customers, want 2357", len(ids))
	}
	n := float64(len(ids))
	var predTotal, actTotal, absErr, sqErr float64
	pred := make([]float64, len(ids))
	for i := range ids {
		x, tx, T, dur := cols["frequency"][i], cols["recency"][i], cols["T"][i], cols["duration_holdout"][i]
		pred[i] = bgnbdConditional(p["r"], p["alpha"], p["a"], p["b"], x, tx, T, dur)
		if got := cols["bgnbd_purchases"][i]; math.Abs(got-pred[i]) > 1e-8*math.Max(1, pred[i]) {
			t.Fatalf("customer %s: predictions.csv has %v, eq. 10 gives %v", ids[i], got, pred[i])
		}
		act := cols["frequency_holdout"][i]
		predTotal += pred[i]
		actTotal += act
		absErr += math.Abs(pred[i] - act)
		sqErr += (pred[i] - act) * (pred[i] - act)
	}
	if actTotal != 1882 {
		t.Errorf("actual holdout total %v, want 1882 (published)", actTotal)
	}
	h := rep.Holdout
	check := func(name string, got Metric, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.12g, recomputed %.12g", name, float64(got), want)
		}
	}
	check("predicted_total", h.PredictedTotal, predTotal)
	check("actual_total", h.ActualTotal, actTotal)
	check("mae", h.MAE, absErr/n)
	check("rmse", h.RMSE, math.Sqrt(sqErr/n))
	check("pearson", h.Pearson, pearsonPlain(pred, cols["frequency_holdout"]))
}

// The simple-average baseline: each customer's calibration rate x/T times
// the 39-week holdout, every metric computed by hand from its definition.
func TestCDNOWAverageScoresByHand(t *testing.T) {
	out := runCDNOW(t, "[average]")
	ids, cols := predictionsCSV(t, out.Dir)
	n := len(ids)
	pred := make([]float64, n)
	act := cols["frequency_holdout"]
	for i := range ids {
		if cols["duration_holdout"][i] != 39 {
			t.Fatalf("holdout length %v weeks, want 39", cols["duration_holdout"][i])
		}
		pred[i] = cols["frequency"][i] / cols["T"][i] * 39
	}
	var pt, at, ae, se, sle float64
	for i := range pred {
		pt += pred[i]
		at += act[i]
		ae += math.Abs(pred[i] - act[i])
		se += (pred[i] - act[i]) * (pred[i] - act[i])
		d := math.Log1p(pred[i]) - math.Log1p(act[i])
		sle += d * d
	}
	// Ranking: prediction descending, ties by numeric customer id.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	idNum := func(i int) int { v, _ := strconv.Atoi(ids[i]); return v }
	sort.SliceStable(order, func(i, j int) bool {
		if pred[order[i]] != pred[order[j]] {
			return pred[order[i]] > pred[order[j]]
		}
		return idNum(order[i]) < idNum(order[j])
	})
	top := func(f float64) float64 {
		k := int(math.Ceil(f * float64(n)))
		s := 0.0
		for _, i := range order[:k] {
			s += act[i]
		}
		return s / at
	}
	// Normalized Gini: Σ_j a_(j)(n+1−2j) in prediction order over the same
	// in actual order.
	giniSum := func(ord []int) float64 {
		s := 0.0
		for j, i := range ord {
			s += act[i] * float64(n+1-2*(j+1))
		}
		return s
	}
	perfect := append([]int(nil), order...)
	sort.SliceStable(perfect, func(i, j int) bool { return act[perfect[i]] > act[perfect[j]] })
	want := map[string]float64{
		"customers": float64(n), "actual_total": at, "predicted_total": pt, "bias": pt/at - 1,
		"mae": ae / float64(n), "rmse": math.Sqrt(se / float64(n)), "msle": sle / float64(n),
		"pearson": pearsonPlain(pred, act), "spearman": pearsonPlain(avgRanks(pred), avgRanks(act)),
		"top10_share": top(0.1), "top20_share": top(0.2), "gini": giniSum(order) / giniSum(perfect),
	}
	got := out.Metrics.(*MetricsFile).Models["average"].Holdout.Values()
	for name, w := range want {
		if g := got[name]; math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("average %s = %.12g, by hand %.12g", name, g, w)
		}
	}
}

func pearsonPlain(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// avgRanks gives 1-based ranks, ties sharing their average rank.
func avgRanks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && v[idx[j]] == v[idx[i]] {
			j++
		}
		for k := i; k < j; k++ {
			r[idx[k]] = float64(i+j+1) / 2
		}
		i = j
	}
	return r
}

// Two runs of the same config and data write byte-identical metrics.json,
// predictions.csv and params.json.
func TestRunIsByteIdentical(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"output.plots=false", "output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"metrics.json", "predictions.csv", "params.json"}
	first := map[string][]byte{}
	for i := 0; i < 2; i++ {
		out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(out.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first[f] = b
			} else if !bytes.Equal(first[f], b) {
				t.Errorf("%s differs between two runs of the same config", f)
			}
		}
	}
}

// A run cancelled between fitting and writing (as SIGINT does) leaves no
// results folder and no staging folder.
func TestCancelledRunLeavesNothing(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"models=[average,bgnbd]", "output.plots=false", "output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Run(ctx, cfg, RunOptions{OutDir: filepath.Join(parent, "run"), AfterFit: cancel})
	if err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 0 {
		t.Errorf("a cancelled run left %v behind", entries)
	}
}

// Rolling backtest: every origin is scored and summarized.
func TestRollingBacktest(t *testing.T) {
	sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	cfg, err := Load("../configs/rolling.yaml", []string{"models=[average,bgnbd]", "output.plots=false", "output.report=false", "expect=[]"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	bt := out.Metrics.(*MetricsFile).Backtest
	if bt == nil || len(bt.Windows) != len(cfg.Resolved.Windows) || len(bt.Windows) < 2 {
		t.Fatalf("backtest %+v, want %d windows", bt, len(cfg.Resolved.Windows))
	}
	sp := bt.Summary["bgnbd"][TargetPurchases]["mae"]
	if sp.Windows != len(bt.Windows) || !(float64(sp.SD) >= 0) {
		t.Errorf("bgnbd mae spread %+v", sp)
	}
	// The main window's scores are the ones reported at the top level.
	last := bt.Windows[len(bt.Windows)-1]
	if !last.Main || last.Scores["bgnbd"][TargetPurchases].MAE != out.Metrics.(*MetricsFile).Models["bgnbd"].Holdout.MAE {
		t.Errorf("main window scores differ from the top level")
	}
}

// metrics.json on disk has the documented shape, and reads back into a
// MetricsFile that writes the same bytes.
func TestMetricsJSONShape(t *testing.T) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"models=[average,bgnbd]", "output.plots=false", "output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out.Dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "unit", "data", "models"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("metrics.json lacks %q", k)
		}
	}
	data := doc["data"].(map[string]any)
	for _, k := range []string{"rows_read", "rows_used", "rows_rejected", "customers", "calibration_customers"} {
		if _, ok := data[k]; !ok {
			t.Errorf("metrics.json data lacks %q", k)
		}
	}
	bg := doc["models"].(map[string]any)["bgnbd"].(map[string]any)
	for _, k := range []string{"fit", "holdout", "holdout_revenue", "segments"} {
		if _, ok := bg[k]; !ok {
			t.Errorf("metrics.json models.bgnbd lacks %q", k)
		}
	}
	fit, _ := bg["fit"].(map[string]any)
	for _, k := range []string{"model", "params", "std_errors", "log_likelihood", "converged"} {
		if _, ok := fit[k]; !ok {
			t.Errorf("metrics.json models.bgnbd.fit lacks %q", k)
		}
	}
	holdout := bg["holdout"].(map[string]any)
	for _, k := range MetricNames() {
		if _, ok := holdout[k]; !ok {
			t.Errorf("metrics.json models.bgnbd.holdout lacks %q", k)
		}
	}
	var mf MetricsFile
	if err := json.Unmarshal(raw, &mf); err != nil {
		t.Fatal(err)
	}
	again, err := json.MarshalIndent(&mf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(raw), again) {
		t.Errorf("metrics.json does not survive a read and write:\n%s\nvs\n%s", raw, again)
	}
}

// BenchmarkRunQuickstart times a whole run of the quickstart config (5,000
// customers, six purchase models and Gamma-Gamma, CLV over 52 weeks)
// without plots and report:
//
//	go test ./experiments -run XXX -bench RunQuickstart -benchtime 5x
func BenchmarkRunQuickstart(b *testing.B) {
	cfg, err := Load("../configs/quickstart.yaml", []string{"output.plots=false", "output.report=false"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if _, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(dir, strconv.Itoa(i))}); err != nil {
			b.Fatal(err)
		}
	}
}
