package experiments

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/models"
)

// TestCovariatesConfigProblems checks the covariates and cnbdk keys: each
// problem names its key and the fix.
func TestCovariatesConfigProblems(t *testing.T) {
	cov := "covariates:\n  path: cov.csv\n  columns:\n"
	for _, tc := range []struct {
		name, models, extra string
		key, want           string
	}{
		{"model without covariates", "models: [bgnbd, bgnbd_cov]", "", "models", "bgnbd_cov needs the customers' covariates: add a covariates section"},
		{"covariates without a model", "models: [bgnbd]", cov + "    - {name: age}", "covariates", "no covariate model is listed: add bgnbd_cov or mbgnbd_cov or paretonbd_cov"},
		{"no columns", "models: [bgnbd_cov]", "covariates: {path: cov.csv}", "covariates.columns", "is empty"},
		{"no file", "models: [bgnbd_cov]", "covariates:\n  path: nowhere.csv\n  columns:\n    - {name: age}", "covariates.path", "nowhere.csv: no such file"},
		{"process", "models: [bgnbd_cov]", cov + "    - {name: age, process: lifetime}", "covariates.columns[0].process", `"lifetime" is not one of purchase, dropout, both`},
		{"type", "models: [bgnbd_cov]", cov + "    - {name: age, type: text}", "covariates.columns[0].type", `"text" is not one of numeric, categorical`},
		{"reference on numeric", "models: [bgnbd_cov]", cov + "    - {name: age, reference: \"30\"}", "covariates.columns[0].reference", "is set for a numeric column"},
		{"twice", "models: [bgnbd_cov]", cov + "    - {name: age}\n    - {name: age}", "covariates.columns[1].name", "age is listed twice"},
		{"dot", "models: [bgnbd_cov]", cov + "    - {name: a.b}", "covariates.columns[0].name", "may not hold '.' or '='"},
		{"unknown key", "models: [bgnbd_cov]", cov + "    - {name: age, levels: 3}", "covariates.columns[0].levels", "is not a known key"},
		{"k", "models: [bgcnbdk]", "cnbdk: {k: 101}", "cnbdk.k", "must lie in 1..100"},
	} {
		path := writeConfig(t, "c.yaml", configYAML(map[string]string{"models": tc.models, "extra": tc.extra, "expect": ""}))
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), "cov.csv"), []byte("customer_id,age\nc1,30\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadWith(path, LoadOptions{Environ: []string{}})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		ce := configErrorOf(t, err)
		i := slices.IndexFunc(ce.Problems, func(p Problem) bool { return strings.HasPrefix(p.Key, tc.key) })
		if i < 0 || !strings.Contains(ce.Problems[i].Message, tc.want) {
			t.Errorf("%s: problems %v, want %s: …%s…", tc.name, ce.Problems, tc.key, tc.want)
		}
	}
}

// TestRegularityReport runs the Erlang-k model on the quickstart data,
// drawn from the BG/NBD (Poisson purchases, k = 1): Wheat & Morrison's k̂
// is near 1, the log-likelihood by k is reported for k = 1..cnbdk.k_max
// with the chosen k its maximum, and cnbdk.k fixes k.
func TestRegularityReport(t *testing.T) {
	base := `name: reg
data: {embedded: quickstart}
split: {unit: week, calibration_end: 2024-09-29, holdout_end: 2025-06-29}
models: [bgnbd, bgcnbdk]
intervals: {levels: []}
verdict: {resamples: 100}
output: {plots: false, report: false}
`
	out := runConfigIn(t, t.TempDir(), base+"cnbdk: {k_max: 2}\n")
	mf := out.Metrics.(*MetricsFile)
	r := mf.Regularity
	if r == nil {
		t.Fatal("no regularity section")
	}
	t.Logf("Wheat & Morrison k = %v from %d customers; log-likelihood by k %v", r.WheatMorrisonK, r.Customers, r.LogLikelihoodByK)
	if k := float64(r.WheatMorrisonK); math.Abs(k-1) > 0.25 || r.Customers < 100 {
		t.Errorf("Wheat & Morrison k = %v from %d customers, want about 1 (Poisson purchases)", k, r.Customers)
	}
	ll := r.LogLikelihoodByK["bgcnbdk"]
	fit := mf.Models["bgcnbdk"].Fit
	best := slices.IndexFunc(ll, func(v Metric) bool { return v == slices.Max(ll) }) + 1
	if len(ll) != 2 || r.ChosenK["bgcnbdk"] != best || float64(ll[best-1]) != fit.LogLikelihood || fit.Params["k"] != float64(best) {
		t.Errorf("log-likelihood by k %v, chosen k %d, fit %v (ℓ %v)", ll, r.ChosenK["bgcnbdk"], fit.Params, fit.LogLikelihood)
	}
	out = runConfigIn(t, t.TempDir(), base+"cnbdk: {k: 2}\n")
	mf = out.Metrics.(*MetricsFile)
	if fit := mf.Models["bgcnbdk"].Fit; fit.Params["k"] != 2 || mf.Regularity.ChosenK["bgcnbdk"] != 2 || mf.Regularity.LogLikelihoodByK["bgcnbdk"] != nil {
		t.Errorf("cnbdk.k 2: fit k %v, regularity %+v", fit.Params["k"], mf.Regularity)
	}
}

// TestCovariateModelsNeedCovariates: the registry's stand-in for a
// covariate model fails with a NeedsCovariatesError, and clv fit's path
// says so too.
func TestCovariateModelsNeedCovariates(t *testing.T) {
	reg := models.NewRegistry()
	m, err := reg.PurchaseModel("bgnbd_cov", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ne *models.NeedsCovariatesError
	if _, err := m.Fit(t.Context(), &models.Data{}, models.FitOptions{}); err == nil || !strings.Contains(err.Error(), "covariates.path") {
		t.Errorf("fit without covariates: %v", err)
	} else if !errors.As(err, &ne) {
		t.Errorf("%T is not a *NeedsCovariatesError", err)
	}
}
