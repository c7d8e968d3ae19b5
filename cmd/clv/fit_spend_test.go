package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// TestFitGammaGammaOnSummarizedCDNOW: `clv summarize` then `clv fit --model
// gammagamma` on its output reproduces the published Gamma-Gamma estimates
// on the CDNOW sample (Fader, Hardie & Lee 2005, JMR: p = 6.25, q = 3.74,
// gamma = 15.44, LL = -4055.92). A spend model is fitted on the customers'
// own mean spends, never on rows merged by (x, t_x, T).
func TestFitGammaGammaOnSummarizedCDNOW(t *testing.T) {
	shared := sharedtest.Dir(t)
	summary := filepath.Join(t.TempDir(), "cdnow.csv")
	if code, _, errOut := clv(t, "summarize", "--data", filepath.Join(shared, "datasets", "CDNOW_sample.txt"),
		"--customer", "1", "--date", "2", "--amount", "4", "--date-format", "20060102",
		"--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--unit", "week", "--out", summary); code != 0 {
		t.Fatalf("summarize: exit %d: %s", code, errOut)
	}
	code, out, errOut := clv(t, "fit", "--model", "gammagamma", "--summary", summary, "--json")
	if code != 0 {
		t.Fatalf("fit: exit %d: %s", code, errOut)
	}
	var got struct {
		Params        map[string]float64 `json:"params"`
		LogLikelihood float64            `json:"log_likelihood"`
		Customers     float64            `json:"customers"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for name, want := range map[string]float64{"p": 6.25, "q": 3.74, "gamma": 15.44} {
		if math.Abs(got.Params[name]-want) > 0.005*want {
			t.Errorf("%s = %v, published %v", name, got.Params[name], want)
		}
	}
	if math.Abs(got.LogLikelihood-(-4055.92)) > 0.01 {
		t.Errorf("log-likelihood %v, published -4055.92", got.LogLikelihood)
	}
}
