package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
)

// covariateTruth are the coefficients the covariate tests simulate with.
var covariateTruth = map[string]float64{
	"purchase.vip=yes": 0.5, "purchase.score": -0.3,
	"dropout.vip=yes": 0.4, "dropout.score": 0.2,
}

// simulateCovariateRun draws a log of n customers with covariates (vip
// yes/no, score standard normal) and writes a config that runs bgnbd and
// bgnbd_cov on it; it returns the config's and the files' paths. The
// purchase rate r/α = 0.08 a week keeps same-day purchases (merged into
// one by the reader) rare, so the log holds the drawn process.
func simulateCovariateRun(t *testing.T, n int, extra string) (cfg, log, cov string) {
	t.Helper()
	dir := t.TempDir()
	log, cov = filepath.Join(dir, "log.csv"), filepath.Join(dir, "cov.csv")
	code, _, errOut := clv(t, "simulate", "--params", "r=0.8,alpha=10,a=1.2,b=3", "--customers", strconv.Itoa(n),
		"--end", "2025-06-29", "--seed", "11", "--out", log, "--covariates", cov,
		"--purchase-coefficients", "vip=0.5,score=-0.3", "--dropout-coefficients", "vip=0.4,score=0.2", "--binary", "vip")
	if code != 0 {
		t.Fatalf("simulate: exit %d\n%s", code, errOut)
	}
	cfg = filepath.Join(dir, "cov.yaml")
	text := `name: cov
data: {path: log.csv, customer: customer_id, date: date}
split: {unit: week, calibration_end: 2024-12-29, holdout_end: 2025-06-29}
models: [bgnbd, bgnbd_cov]
covariates:
  path: cov.csv
  columns:
    - {name: vip, type: categorical, reference: "no"}
    - {name: score}
clv: {horizon: 26}
intervals: {levels: []}
verdict: {resamples: 100}
output: {plots: false}
` + extra
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, log, cov
}

// TestCovariateRunEndToEnd runs a config with covariates on 20,000
// simulated customers: the coefficients are recovered within three
// standard errors, the likelihood-ratio test is in metrics.json and the
// report, and clv score rebuilds the model from params.json and the
// covariates file and reproduces the run's predictions.
func TestCovariateRunEndToEnd(t *testing.T) {
	cfg, _, _ := simulateCovariateRun(t, 20000, "")
	run := filepath.Join(t.TempDir(), "run")
	code, _, errOut := clv(t, "run", cfg, "--out", run, "--no-progress")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	mf, err := experiments.ReadMetrics(t.Context(), run)
	if err != nil {
		t.Fatal(err)
	}
	m := mf.(*experiments.MetricsFile)
	fit := m.Models["bgnbd_cov"].Fit
	for name, truth := range covariateTruth {
		est, se := fit.Params[name], fit.StdErrors[name]
		t.Logf("%-18s true %5.2f estimate %7.4f SE %.4f (%+.2f SE)", name, truth, est, se, (est-truth)/se)
		if !(se > 0) || math.Abs(est-truth) > 3*se {
			t.Errorf("%s = %v (SE %v), want %v within 3 SE", name, est, se, truth)
		}
	}
	lr := m.Covariates.Models["bgnbd_cov"]
	t.Logf("LR = %v on %d df, p = %v", lr.LRStatistic, lr.DF, lr.PValue)
	if lr.DF != 4 || !(lr.LRStatistic > 100) || !(lr.PValue < 1e-10) || m.Covariates.Columns[0].Reference != "no" {
		t.Errorf("likelihood-ratio test %+v, coding %+v", lr, m.Covariates.Columns)
	}
	if got, want := float64(lr.LRStatistic), 2*(fit.LogLikelihood-m.Models["bgnbd"].Fit.LogLikelihood); math.Abs(got-want) > 1e-6*want {
		t.Errorf("LR %v, want 2(ℓ_cov − ℓ_bgnbd) = %v from the run's own plain fit", got, want)
	}
	report, err := os.ReadFile(filepath.Join(run, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Covariates", "Likelihood-ratio test against BG/NBD: LR = ", "| purchase | vip=yes |", `reference level "no" (as the config states`} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// clv score on the run's own customers (predictions.csv is a summary
	// table) over the holdout's 26 weeks reproduces the run's predictions.
	code, out, errOut := clv(t, "score", run, "--summary", filepath.Join(run, "predictions.csv"), "--out", "-")
	if code != 0 {
		t.Fatalf("score: exit %d\n%s", code, errOut)
	}
	compareScored(t, readCSV(t, filepath.Join(run, "predictions.csv")), out, "bgnbd_cov_purchases", "bgnbd_cov_p_alive")
}

// compareScored checks that the scored columns equal the run's, customer
// by customer.
func compareScored(t *testing.T, runRows [][]string, scored string, cols ...string) {
	t.Helper()
	scoredRows, err := csv.NewReader(strings.NewReader(scored)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	index := func(rows [][]string) map[string]map[string]string {
		out := map[string]map[string]string{}
		for _, r := range rows[1:] {
			row := map[string]string{}
			for j, h := range rows[0] {
				row[h] = r[j]
			}
			out[r[0]] = row
		}
		return out
	}
	a, b := index(runRows), index(scoredRows)
	if len(a) != len(b) {
		t.Fatalf("%d customers scored, the run has %d", len(b), len(a))
	}
	for id, row := range a {
		for _, c := range cols {
			x, _ := strconv.ParseFloat(row[c], 64)
			y, err := strconv.ParseFloat(b[id][c], 64)
			if err != nil || math.Abs(x-y) > 1e-9*math.Max(1, math.Abs(x)) {
				t.Fatalf("customer %s: %s scored %q, the run predicted %v", id, c, b[id][c], x)
			}
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
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

// TestCovariateFileErrors: a customer of the log missing from the
// covariates file fails the run naming the customer and the fix, or with
// data.on_bad_row: skip is left out and counted; a bad value names the
// file, line and column.
func TestCovariateFileErrors(t *testing.T) {
	cfg, _, cov := simulateCovariateRun(t, 300, "")
	b, err := os.ReadFile(cov)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	missing := strings.Split(lines[5], ",")[0]
	write := func(ls []string) {
		if err := os.WriteFile(cov, []byte(strings.Join(ls, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(append(append([]string{}, lines[:5]...), lines[6:]...))
	code, _, errOut := clv(t, "run", cfg, "--out", filepath.Join(t.TempDir(), "r"), "--no-progress", "--set", "output.report=false")
	if want := `customer "` + missing + `" of the log has no row in ` + cov; code != exitUsage || !strings.Contains(errOut, want) || !strings.Contains(errOut, "data.on_bad_row: skip") {
		t.Errorf("missing customer: exit %d, want %d and %q with the fix\n%s", code, exitUsage, want, errOut)
	}
	run := filepath.Join(t.TempDir(), "skip")
	code, _, errOut = clv(t, "run", cfg, "--out", run, "--no-progress", "--set", "output.report=false", "--set", "data.on_bad_row=skip")
	if code != 0 {
		t.Fatalf("skip: exit %d\n%s", code, errOut)
	}
	mf, err := experiments.ReadMetrics(t.Context(), run)
	if err != nil {
		t.Fatal(err)
	}
	m := mf.(*experiments.MetricsFile)
	if c := m.Covariates; c.SkippedCustomers != 1 || c.FirstSkipped != missing || m.Data.CalibrationCustomers != 299 {
		t.Errorf("skip: %d skipped (first %q), %d customers scored; want 1 (%s) and 299", c.SkippedCustomers, c.FirstSkipped, m.Data.CalibrationCustomers, missing)
	}
	bad := append([]string{}, lines...)
	fields := strings.Split(bad[7], ",")
	fields[2] = "n/a"
	bad[7] = strings.Join(fields, ",")
	write(bad)
	code, _, errOut = clv(t, "run", cfg, "--out", filepath.Join(t.TempDir(), "b"), "--no-progress")
	if want := cov + `:8: column 2 (score): "n/a" is not a finite number`; code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("bad value: exit %d, want %d and %q\n%s", code, exitUsage, want, errOut)
	}
}

// TestFitWithCovariates fits bgnbd_cov from the example log and its
// covariates on the command line: the coefficients are named by process
// and coded column, and the likelihood-ratio test is printed.
func TestFitWithCovariates(t *testing.T) {
	data := filepath.Join(repoRoot(t), "configs", "data")
	code, out, errOut := clv(t, "fit", "--model", "bgnbd_cov", "--data", filepath.Join(data, "covariates_log.csv"), "--calibration-end", "2024-12-29",
		"--covariates", filepath.Join(data, "covariates.csv"), "--covariate", "vip:categorical:both:no", "--covariate", "score:numeric:purchase", "--json")
	if code != 0 {
		t.Fatalf("fit: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{`"purchase.vip=yes"`, `"purchase.score"`, `"dropout.vip=yes"`} {
		if !strings.Contains(out, want) {
			t.Errorf("fit output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"dropout.score"`) || !strings.Contains(errOut, "likelihood-ratio test against bgnbd: LR = ") || !strings.Contains(errOut, "df = 3") {
		t.Errorf("score enters the purchase process only, and the LR test has 3 df:\n%s\n%s", out, errOut)
	}
	for _, bad := range [][]string{
		{"fit", "--model", "bgnbd_cov", "--data", filepath.Join(data, "covariates_log.csv"), "--calibration-end", "2024-12-29"},
		{"fit", "--model", "bgnbd", "--data", filepath.Join(data, "covariates_log.csv"), "--calibration-end", "2024-12-29", "--covariates", filepath.Join(data, "covariates.csv"), "--covariate", "score"},
		{"fit", "--model", "bgnbd_cov", "--data", filepath.Join(data, "covariates_log.csv"), "--calibration-end", "2024-12-29", "--covariates", filepath.Join(data, "covariates.csv"), "--covariate", "score:text"},
	} {
		if code, _, errOut := clv(t, bad...); code == 0 || !strings.Contains(errOut, "covariate") {
			t.Errorf("%v: exit %d\n%s", bad[len(bad)-1], code, errOut)
		}
	}
}
