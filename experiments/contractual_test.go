package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"github.com/clv-dev/clv/models"
)

// publishedCohort reads one cohort of published.json's "sbg" entry: the
// survivors of Fader & Hardie (2007), table 1, and their estimates.
func publishedCohort(t *testing.T, name string) (survivors []float64, alpha, beta, ll float64) {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "reference", "published.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		SBG map[string]json.RawMessage `json:"sbg"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("parsing published.json: %v", err)
	}
	var c struct {
		Survivors []float64          `json:"survivors"`
		Params    map[string]float64 `json:"params"`
		LL        float64            `json:"log_likelihood"`
	}
	if err := json.Unmarshal(ref.SBG[name], &c); err != nil {
		t.Fatalf("parsing published.json sbg.%s: %v", name, err)
	}
	if len(c.Survivors) != 8 {
		t.Fatalf("published.json sbg.%s: %d survivor counts, want 8 (years 0..7)", name, len(c.Survivors))
	}
	return c.Survivors, c.Params["alpha"], c.Params["beta"], c.LL
}

// survivalCSV writes survivor counts as the CSV datasets.ReadSurvivalCSV reads.
func survivalCSV(survivors []float64) string {
	var b strings.Builder
	b.WriteString("period,survivors\n")
	for t, v := range survivors {
		fmt.Fprintf(&b, "%d,%s\n", t, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return b.String()
}

// writeSurvivalConfig writes survivors.csv and a config into a fresh folder
// and returns the config's path.
func writeSurvivalConfig(t *testing.T, survivors []float64, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "survivors.csv"), []byte(survivalCSV(survivors)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "cohort.yaml")
	if err := os.WriteFile(p, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runSurvival loads and runs a contractual config into a fresh folder and
// returns the outcome and the metrics.json it wrote.
func runSurvival(t *testing.T, path string, sets ...string) (*Outcome, *ContractualMetrics) {
	t.Helper()
	cfg, err := Load(path, sets)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := ReadContractualMetrics(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return out, cm
}

// relErr returns |got − want| / |want| (|got| when want is 0).
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// sbgLnS and sbgLnP are ln S(t) = ln B(α, β+t) − ln B(α, β) and
// ln P(T=t) = ln B(α+1, β+t−1) − ln B(α, β) (Fader & Hardie 2007, eqs. 2
// and 3), written here from the beta function, independently of the
// recursions the models package uses.
func lnBeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

func sbgLnS(a, b float64, t int) float64 { return lnBeta(a, b+float64(t)) - lnBeta(a, b) }

func sbgLnP(a, b float64, t int) float64 { return lnBeta(a+1, b+float64(t-1)) - lnBeta(a, b) }

// sbgLogLik is the cohort log-likelihood of Fader & Hardie (2007), eq. 5,
// on survivors n_0 … n_c.
func sbgLogLik(a, b float64, n []float64) float64 {
	c := len(n) - 1
	ll := n[c] * sbgLnS(a, b, c)
	for t := 1; t <= c; t++ {
		ll += (n[t-1] - n[t]) * sbgLnP(a, b, t)
	}
	return ll
}

// discountedSum returns Σ_{t≥from} S(t)/S(from−1) / (1+d)^(t−from), or the
// same from t = 0 with from = 0, summing terms until they are negligible:
// a plain series for DEL (from = 0) and DERL(d | from).
func discountedSum(a, b, d float64, from int) float64 {
	sum := 0.0
	base := 0.0
	if from > 0 {
		base = sbgLnS(a, b, from-1)
	}
	for t := from; t < from+100000; t++ {
		term := math.Exp(sbgLnS(a, b, t)-base) / math.Pow(1+d, float64(t-from))
		sum += term
		if term < 1e-18*sum {
			break
		}
	}
	return sum
}

// Fitting every year of the two published cohorts (calibration_periods 7:
// all eight counts) as a contractual experiment reproduces the estimates of
// Fader & Hardie (2007), table 2 / published.json: α, β within 0.2% (they
// are published to three decimals) and the log-likelihood within 0.01.
func TestContractualPublishedCohorts(t *testing.T) {
	for _, name := range []string{"high_end", "regular"} {
		t.Run(name, func(t *testing.T) {
			survivors, alpha, beta, ll := publishedCohort(t, name)
			p := writeSurvivalConfig(t, survivors, "name: "+name+"\nsurvival: {path: survivors.csv, calibration_periods: 7}\noutput: {plots: false, report: false}\n")
			out, cm := runSurvival(t, p)
			if err := out.Err(); err != nil {
				t.Fatal(err)
			}
			rep := cm.Models["sbg"]
			if rep == nil || rep.Error != "" {
				t.Fatalf("sbg report %+v", rep)
			}
			if e := relErr(rep.Fit.Params["alpha"], alpha); e > 0.002 {
				t.Errorf("alpha = %.5g, published %g (rel. error %.2g > 0.2%%)", rep.Fit.Params["alpha"], alpha, e)
			}
			if e := relErr(rep.Fit.Params["beta"], beta); e > 0.002 {
				t.Errorf("beta = %.5g, published %g (rel. error %.2g > 0.2%%)", rep.Fit.Params["beta"], beta, e)
			}
			if d := math.Abs(rep.Fit.LogLikelihood - ll); d > 0.01 {
				t.Errorf("log-likelihood %.4f, published %.2f", rep.Fit.LogLikelihood, ll)
			}
			if !rep.Fit.Converged || rep.Survival != nil || rep.Calibration == nil || rep.Calibration.Periods != 7 {
				t.Errorf("converged %v, holdout scores %+v, calibration scores %+v: want no holdout and 7 fitted periods",
					rep.Fit.Converged, rep.Survival, rep.Calibration)
			}
			if cm.Data.CohortSize != 1000 || cm.Data.Periods != 8 || cm.Data.LastPeriod != 7 || cm.Unit != "year" {
				t.Errorf("data %+v, unit %s", cm.Data, cm.Unit)
			}
			if !slices.ContainsFunc(cm.Warnings, func(w string) bool { return strings.Contains(w, "no holdout") }) {
				t.Errorf("no warning about the missing holdout in %q", cm.Warnings)
			}
			// The metrics the Outcome carries are those of metrics.json.
			om, ok := out.Metrics.(*ContractualMetrics)
			if got := om.Models["sbg"]; !ok || got == nil || got.Fit.Params["alpha"] != rep.Fit.Params["alpha"] || om.Data.CohortSize != 1000 {
				t.Errorf("Outcome.Metrics %+v disagrees with metrics.json", out.Metrics)
			}
		})
	}
}

// A holdout experiment on the published "regular" cohort: fitted on years
// 0…4, scored on years 5…7. Every number of metrics.json is recomputed here
// from the fitted α, β with the beta-function forms of S(t) and P(T=t)
// (Fader & Hardie 2007, eqs. 2–3), the plain metric definitions, and
// series sums for DEL and DERL (Fader & Hardie 2010, eqs. 3 and 6).
// Tolerance 1e-9 relative: the two evaluations differ only in rounding.
func TestContractualHoldoutByHand(t *testing.T) {
	survivors, _, _, _ := publishedCohort(t, "regular")
	p := writeSurvivalConfig(t, survivors, `name: regular
survival: {path: survivors.csv, calibration_periods: 4, period: year}
models: [sbg]
clv: {discount_rate: 0.10, margin: 2}
expect:
  - {metric: sbg.survival.mape, max: 0.5}
output: {plots: false, report: false}
`)
	out, cm := runSurvival(t, p)
	if err := out.Err(); err != nil {
		t.Fatal(err)
	}
	rep := cm.Models["sbg"]
	a, b := rep.Fit.Params["alpha"], rep.Fit.Params["beta"]
	const tol = 1e-9
	near := func(what string, got Metric, want float64) {
		t.Helper()
		if e := relErr(float64(got), want); !(e <= tol) {
			t.Errorf("%s = %.15g, by hand %.15g (rel. error %.2g)", what, float64(got), want, e)
		}
	}

	// The fit used periods 0…4 only: its log-likelihood is eq. 5 on the
	// first five counts, and (α, β) is a stationary point of it.
	cal := survivors[:5]
	if e := relErr(rep.Fit.LogLikelihood, sbgLogLik(a, b, cal)); e > 1e-10 {
		t.Errorf("log-likelihood %.10g, eq. 5 on years 0..4 gives %.10g", rep.Fit.LogLikelihood, sbgLogLik(a, b, cal))
	}
	for i, f := range []func(h float64) float64{
		func(h float64) float64 { return sbgLogLik(a*math.Exp(h), b, cal) },
		func(h float64) float64 { return sbgLogLik(a, b*math.Exp(h), cal) },
	} {
		const h = 1e-5
		if g := (f(h) - f(-h)) / (2 * h); math.Abs(g) > 1e-3 {
			t.Errorf("d LL / d log(param %d) = %.3g at the estimate, want 0", i, g)
		}
	}
	if full := sbgLogLik(a, b, survivors); math.Abs(full-rep.Fit.LogLikelihood) < 1 {
		t.Errorf("the log-likelihood %g is that of all eight years (%g): the holdout leaked into the fit", rep.Fit.LogLikelihood, full)
	}

	// Projection and scores.
	n0 := survivors[0]
	pred := make([]float64, len(survivors))
	for i := range pred {
		pred[i] = n0 * math.Exp(sbgLnS(a, b, i))
	}
	if len(rep.Projection) != 8 {
		t.Fatalf("%d projected periods, want 8", len(rep.Projection))
	}
	for i, pt := range rep.Projection {
		if pt.Period != i || float64(pt.Actual) != survivors[i] || pt.Holdout != (i > 4) {
			t.Errorf("projection[%d] = %+v", i, pt)
		}
		near(fmt.Sprintf("predicted survivors, year %d", i), pt.Predicted, pred[i])
		if i > 0 {
			near(fmt.Sprintf("predicted retention, year %d", i), *pt.RetentionPredicted, (b+float64(i-1))/(a+b+float64(i-1)))
			near(fmt.Sprintf("actual retention, year %d", i), *pt.RetentionActual, survivors[i]/survivors[i-1])
		}
	}
	check := func(target string, s *SurvivalScores, first, last int) {
		t.Helper()
		if s == nil {
			t.Fatalf("%s scores missing", target)
		}
		var P, A, abs, sq, ape, maxAPE float64
		for i := first; i <= last; i++ {
			e := math.Abs(pred[i] - survivors[i])
			P += pred[i]
			A += survivors[i]
			abs += e
			sq += e * e
			ape += e / survivors[i]
			maxAPE = math.Max(maxAPE, e/survivors[i])
		}
		h := float64(last - first + 1)
		if s.FirstPeriod != first || s.LastPeriod != last || s.Periods != last-first+1 || s.Customers != 1000 {
			t.Errorf("%s covers %d..%d (%d periods, %v customers), want %d..%d", target, s.FirstPeriod, s.LastPeriod, s.Periods, s.Customers, first, last)
		}
		near(target+" predicted_total", s.PredictedTotal, P)
		near(target+" actual_total", s.ActualTotal, A)
		near(target+" bias", s.Bias, P/A-1)
		near(target+" mae", s.MAE, abs/h)
		near(target+" rmse", s.RMSE, math.Sqrt(sq/h))
		near(target+" mape", s.MAPE, ape/h)
		near(target+" max_ape", s.MaxAPE, maxAPE)
	}
	check("survival", rep.Survival, 5, 7)
	check("calibration", rep.Calibration, 1, 4)

	// Valuation: yearly periods, so d = 0.10 per period.
	if cm.Split.DiscountRatePerPeriod != 0.1 || cm.Split.CalibrationPeriods != 4 || cm.Split.HoldoutPeriods != 3 {
		t.Errorf("split %+v", cm.Split)
	}
	del, derl := discountedSum(a, b, 0.1, 0), discountedSum(a, b, 0.1, 5)
	near("del", *rep.DEL, del)
	near("derl", *rep.DERL, derl)
	if rep.DERLPeriods != 5 {
		t.Errorf("derl_n = %d, want 5 (customers active in years 0..4)", rep.DERLPeriods)
	}
	near("clv.new_customer", rep.CLV.NewCustomer, 2*del)
	near("clv.per_survivor", rep.CLV.PerSurvivor, 2*derl)
	near("clv.total", rep.CLV.Total, survivors[4]*2*derl)
	if rep.CLV.Survivors != Metric(survivors[4]) {
		t.Errorf("clv.survivors = %v, want %v", rep.CLV.Survivors, survivors[4])
	}

	// The gate reads the holdout MAPE.
	if len(out.Gates) != 1 || !out.Gates[0].Passed || float64(out.Gates[0].Value) != float64(rep.Survival.MAPE) {
		t.Errorf("gates %+v", out.Gates)
	}
	// projection.csv holds the same numbers.
	b2, err := os.ReadFile(filepath.Join(out.Dir, "projection.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b2)), "\n")
	if len(lines) != 9 || lines[0] != "period,holdout,actual,retention_actual,sbg_predicted,sbg_retention" {
		t.Fatalf("projection.csv:\n%s", b2)
	}
	f := strings.Split(lines[6], ",")
	if v, _ := strconv.ParseFloat(f[4], 64); f[0] != "5" || f[1] != "true" || relErr(v, pred[5]) > tol {
		t.Errorf("projection.csv row for year 5: %q, want predicted %g", lines[6], pred[5])
	}
	for _, name := range []string{"metrics.json", "params.json", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out.Dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// The yearly discount rate becomes a rate per survival period as
// (1 + d)^(period days / 365.25) − 1, evaluated here directly; pow − 1
// cancels about two digits for short periods, hence the tolerance 1e-13.
func TestContractualDiscountPerPeriod(t *testing.T) {
	survivors := []float64{1000, 631, 468, 382}
	for _, tc := range []struct {
		period string
		days   float64
	}{{"year", 365.25}, {"month", 365.25 / 12}, {"week", 7}, {"14d", 14}, {"", 365.25}} {
		cfgText := "survival: {path: survivors.csv, calibration_periods: 2, period: \"" + tc.period + "\"}\nclv: {discount_rate: 0.10}\n"
		c, err := Load(writeSurvivalConfig(t, survivors, cfgText), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := math.Pow(1.1, tc.days/365.25) - 1
		if got := c.Resolved.DiscountRatePerUnit; relErr(got, want) > 1e-13 {
			t.Errorf("period %q: %.17g per period, want %.17g", tc.period, got, want)
		}
		if c.Resolved.Unit.Days() != tc.days {
			t.Errorf("period %q: %g days, want %g", tc.period, c.Resolved.Unit.Days(), tc.days)
		}
	}
}

// Contractual configs are checked like the others: every problem at once,
// each naming the file and the key.
func TestContractualConfigErrors(t *testing.T) {
	const survival = "survival: {path: survivors.csv, calibration_periods: 4}\n"
	tests := []struct {
		name   string
		config string
		key    string
		want   string
	}{
		{"sbg without survival", configYAML(map[string]string{"models": "models: [bgnbd, sbg]"}),
			"models[1]", "sbg is a contractual model: it needs a cohort's survivor counts per period (a survival CSV), not a transaction log; give a survival section"},
		{"survival with data", survival + "data: {path: tx.csv, customer: customer_id, date: date}\n",
			"data", "data is given (data.path, data.customer, data.date), but this config has a survival section"},
		{"survival with an empty data section", survival + "data: {}\n",
			"data", "data is given, but this config has a survival section"},
		{"survival with split", survival + "split: {calibration_end: 1997-09-30, holdout_end: 1998-06-30}\n",
			"split", "split is given (split.calibration_end, split.holdout_end), but this config has a survival section"},
		{"survival with a default split unit", survival + "split: {unit: week}\n",
			"split", "split is given, but"},
		{"other model with survival", survival + "models: [sbg, bgnbd]\n",
			"models[1]", "bgnbd needs a transaction log or a continuous-time summary (frequency, recency, T), but this config has a survival section: a contractual experiment runs sbg only"},
		{"unknown model with survival", survival + "models: [sgb]\n",
			"models[0]", `"sgb" is not a known model: a contractual experiment (survival section) runs sbg`},
		{"sbg twice", survival + "models: [sbg, sbg]\n", "models[1]", "sbg is listed twice"},
		{"no models", survival + "models: []\n", "models", "is empty: list at least one of sbg"},
		{"missing path", "survival: {calibration_periods: 4}\n", "survival.path", "is required"},
		{"empty section", "survival: {}\n", "survival.calibration_periods", "is required"},
		{"missing file", "survival: {path: none.csv, calibration_periods: 4}\n", "survival.path", "none.csv: no such file (looked for "},
		{"missing calibration periods", "survival: {path: survivors.csv}\n", "survival.calibration_periods", "is required"},
		{"one calibration period", "survival: {path: survivors.csv, calibration_periods: 1}\n",
			"survival.calibration_periods", "1 must be ≥ 2"},
		{"fractional calibration periods", "survival: {path: survivors.csv, calibration_periods: 2.5}\n",
			"survival.calibration_periods", "2.5 is not a whole number"},
		{"bad period", "survival: {path: survivors.csv, calibration_periods: 4, period: fortnight}\n",
			"survival.period", `"fortnight" is not a time unit`},
		{"misspelt key", "survival: {path: survivors.csv, calibration_period: 4}\n",
			"survival.calibration_period", "is not a known key (did you mean survival.calibration_periods?)"},
		{"survival not a table", "survival: survivors.csv\n", "survival", "want a table of keys"},
		{"spend model", survival + "spend_model: gammagamma\n", "spend_model", "gammagamma needs a transaction log with amounts"},
		{"horizon", survival + "clv: {horizon: 5}\n", "clv.horizon", "values a customer's whole remaining lifetime"},
		{"gate on a transaction target", survival + "expect: [{metric: sbg.holdout.mae, max: 1}]\n",
			"expect[0].metric", `target "holdout" is not one of survival, calibration`},
		{"gate on an unknown metric", survival + "expect: [{metric: sbg.survival.gini, max: 1}]\n",
			"expect[0].metric", `metric "gini" is not one of customers, periods, actual_total`},
		{"gate on a model not run", survival + "expect: [{metric: bgnbd.survival.mae, max: 1}]\n",
			"expect[0].metric", `model "bgnbd" is not in models (sbg)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSurvivalConfig(t, []float64{1000, 631, 468, 382, 326, 289}, tc.config)
			_, err := Load(p, nil)
			ce := configErrorOf(t, err)
			found := false
			for _, pr := range ce.Problems {
				if pr.Key == tc.key && strings.Contains(pr.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem with key %q containing %q in:\n%v", tc.key, tc.want, err)
			}
			for i, line := range strings.Split(err.Error(), "\n") {
				if want := p + ": " + ce.Problems[i].Key; !strings.HasPrefix(line, want) {
					t.Errorf("line %q does not start with %q", line, want)
				}
			}
		})
	}
}

// A contractual config takes sbg as its default model, its canonical form
// normalizes the period's spelling, and a changed survival key changes the
// hash.
func TestContractualConfigDefaultsAndHash(t *testing.T) {
	p := writeSurvivalConfig(t, []float64{1000, 631, 468, 382}, "survival: {path: survivors.csv, calibration_periods: 2}\n")
	load := func(set ...string) *Config {
		t.Helper()
		c, err := Load(p, set)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := load()
	if !slices.Equal(c.Models, []string{"sbg"}) || c.Resolved.Unit.Name != "year" || c.Resolved.SpendModel != "none" || c.Resolved.Horizon != 0 {
		t.Errorf("models %v, unit %s, spend %s, horizon %g", c.Models, c.Resolved.Unit.Name, c.Resolved.SpendModel, c.Resolved.Horizon)
	}
	base := c.Hash()
	for _, same := range []string{"survival.period=years", "models=[sbg]", "spend_model=none"} {
		if h := load(same).Hash(); h != base {
			t.Errorf("--set %s changed the hash %s → %s", same, base, h)
		}
	}
	seen := map[string]string{base: "base"}
	for _, s := range []string{"survival.path=other.csv", "survival.calibration_periods=3", "survival.period=month", "clv.discount_rate=0.2"} {
		c, err := LoadWith(p, LoadOptions{Overrides: []string{s}, SkipFileChecks: true})
		if err != nil {
			t.Fatal(err)
		}
		h := c.Hash()
		if prev, ok := seen[h]; ok {
			t.Errorf("--set %s gives hash %s, as %s does", s, h, prev)
		}
		seen[h] = s
	}
	// A transaction-log config keeps its survival-free canonical form.
	q := writeConfig(t, "base.yaml", configYAML(nil))
	tx, err := Load(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := tx.CanonicalJSON(); bytes.Contains(b, []byte("survival")) {
		t.Errorf("canonical JSON of a transaction-log config mentions survival: %s", b)
	}
	// The manifest's resolved view names the survival file and no columns.
	rj, err := c.ResolvedJSON()
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Resolved map[string]any `json:"resolved"`
	}
	if err := json.Unmarshal(rj, &j); err != nil {
		t.Fatal(err)
	}
	if abs, _ := filepath.Abs(filepath.Join(filepath.Dir(p), "survivors.csv")); j.Resolved["survival_path"] != abs ||
		j.Resolved["customer"] != nil || j.Resolved["unit"] != "year" {
		t.Errorf("resolved %v", j.Resolved)
	}
}

// Gates on a contractual run pass and fail as on any run, and a failed gate
// makes Outcome.Err a *GatesError (clv run: exit code 3).
func TestContractualGates(t *testing.T) {
	survivors := []float64{1000, 631, 468, 382, 326, 289, 262, 241}
	p := writeSurvivalConfig(t, survivors, "survival: {path: survivors.csv, calibration_periods: 4}\noutput: {plots: false, report: false}\n")
	tests := []struct {
		name   string
		expect string
		pass   bool
		want   string
	}{
		{"pass", "[{metric: sbg.survival.mape, max: 0.5}, {metric: sbg.calibration.customers, min: 1000, max: 1000}]", true, "gate passed: sbg.survival.mape = "},
		{"fail", "[{metric: sbg.survival.mape, max: 1e-9}]", false, "gate failed: sbg.survival.mape = "},
		{"bias bounds", "[{metric: sbg.survival.bias, min: 10}]", false, "< min 10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, cm := runSurvival(t, p, "expect="+tc.expect)
			err := out.Err()
			var ge *GatesError
			if tc.pass != (err == nil) || (!tc.pass && !errors.As(err, &ge)) {
				t.Fatalf("Err() = %v, want pass %v", err, tc.pass)
			}
			if !strings.HasPrefix(out.Gates[0].Message, tc.want) && !strings.Contains(out.Gates[0].Message, tc.want) {
				t.Errorf("gate message %q, want %q", out.Gates[0].Message, tc.want)
			}
			if len(cm.Gates) != len(out.Gates) || cm.Gates[0].Message != out.Gates[0].Message {
				t.Errorf("metrics.json gates %+v differ from the outcome's %+v", cm.Gates, out.Gates)
			}
		})
	}
	// Without a holdout the survival target is absent; the gate names the
	// path that exists.
	out, _ := runSurvival(t, p, "survival.calibration_periods=7", "expect=[{metric: sbg.survival.mape, max: 1}]")
	if out.Err() == nil || !strings.Contains(out.Gates[0].Message, "sbg.survival.mape not found (there is no holdout: survival.calibration_periods 7 is the last period") {
		t.Errorf("gate on a missing holdout: %q", out.Gates[0].Message)
	}
}

// A cohort in which nobody churns during calibration has no finite
// estimate: the model fails, the run still completes and says so.
func TestContractualFailedFit(t *testing.T) {
	p := writeSurvivalConfig(t, []float64{1000, 1000, 1000, 900}, "survival: {path: survivors.csv, calibration_periods: 2}\noutput: {plots: false, report: false}\n")
	out, cm := runSurvival(t, p)
	var me *ModelsError
	if err := out.Err(); !errors.As(err, &me) || !slices.Equal(out.FailedModels, []string{"sbg"}) {
		t.Fatalf("Err() = %v, failed %v: want a *ModelsError for sbg", err, out.FailedModels)
	}
	if rep := cm.Models["sbg"]; rep == nil || !strings.Contains(rep.Error, "no customer churned") || rep.Projection != nil {
		t.Errorf("sbg report %+v", rep)
	}
	// A gate on the failed model says why its metric is missing.
	out, _ = runSurvival(t, p, "expect=[{metric: sbg.calibration.mae, max: 1}]")
	var ge *GatesError
	if !errors.As(out.Err(), &ge) || !strings.HasSuffix(out.Gates[0].Message, "sbg.calibration.mae not found (sbg failed)") {
		t.Errorf("gate on a failed model: %v", out.Err())
	}
}

// Problems with the survivor counts are data errors and leave no results
// folder.
func TestContractualDataErrors(t *testing.T) {
	for _, tc := range []struct {
		name, csv, want string
		c               int
	}{
		{"calibration beyond the data", "period,n\n0,100\n1,80\n2,70\n", "survival.calibration_periods 3 is beyond the file's last period 2", 3},
		{"rising counts", "period,n\n0,100\n1,80\n2,90\n", "survivor counts cannot rise", 2},
		{"not a number", "period,n\n0,100\n1,eighty\n2,70\n", `"eighty" is not a number`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(fmt.Sprintf("survival: {path: s.csv, calibration_periods: %d}\n", tc.c)), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			parent := t.TempDir()
			_, err = Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(parent, "run")})
			var de *DataError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: %v, want a *DataError containing %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a failed run left %v behind", entries)
			}
		})
	}
}

// configs/contractual.yaml runs end to end: it recovers the parameters its
// data were made from (counts rounded to whole customers, so within 1%),
// passes its gates, and a rerun writes byte-identical metrics.json,
// params.json and projection.csv.
func TestContractualExampleConfig(t *testing.T) {
	cfg, err := Load("../configs/contractual.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"metrics.json", "params.json", "projection.csv"}
	first := map[string][]byte{}
	for i := range 2 {
		out, err := Run(context.Background(), cfg, RunOptions{OutDir: filepath.Join(t.TempDir(), "run")})
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Err(); err != nil {
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
		if i == 0 {
			cm, err := ReadContractualMetrics(out.Dir)
			if err != nil {
				t.Fatal(err)
			}
			rep := cm.Models["sbg"]
			if relErr(rep.Fit.Params["alpha"], regularAlpha) > 0.01 || relErr(rep.Fit.Params["beta"], regularBeta) > 0.01 {
				t.Errorf("alpha %g, beta %g: want the generating %g, %g within 1%%", rep.Fit.Params["alpha"], rep.Fit.Params["beta"], regularAlpha, regularBeta)
			}
			if rep.Survival == nil || rep.Survival.Periods != cm.Data.LastPeriod-cfg.Survival.CalibrationPeriods {
				t.Errorf("holdout scores %+v", rep.Survival)
			}
		}
	}
}

// A run cancelled after fitting leaves nothing behind.
func TestContractualCancelledRunLeavesNothing(t *testing.T) {
	cfg, err := Load("../configs/contractual.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Run(ctx, cfg, RunOptions{OutDir: filepath.Join(parent, "run"), AfterFit: cancel}); err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("a cancelled run left %v behind", entries)
	}
}

// The published estimates of the "regular" cohort (Fader & Hardie 2007,
// table 2), from which configs/data/survival_regular.csv is made.
const (
	regularAlpha = 0.704
	regularBeta  = 1.182
)

// survivalRegularCSV is configs/data/survival_regular.csv: 1000·S(t) of the
// sBG with the published "regular" estimates, t = 0…12, rounded to whole
// customers.
func survivalRegularCSV(t *testing.T) []byte {
	t.Helper()
	f, err := models.NewFittedSBG(regularAlpha, regularBeta)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# A cohort of 1000 subscribers as the sBG model expects it: 1000 × S(t), years\n")
	b.WriteString("# t = 0..12, with alpha = 0.704, beta = 1.182 (the \"regular\" segment of Fader &\n")
	b.WriteString("# Hardie 2007), rounded to whole customers; S(t) from\n")
	b.WriteString("# models.NewFittedSBG(0.704, 1.182).SurvivalCurve(12).\n")
	b.WriteString("# Made by: go test ./experiments -run TestSurvivalRegularFile -update\n")
	b.WriteString("period,survivors\n")
	for i, s := range f.SurvivalCurve(12) {
		fmt.Fprintf(&b, "%d,%d\n", i, int(math.Round(1000*s)))
	}
	return b.Bytes()
}

// The committed example data are what their comment says they are.
func TestSurvivalRegularFile(t *testing.T) {
	path := filepath.Join("..", "configs", "data", "survival_regular.csv")
	want := survivalRegularCSV(t)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what its generator makes (rerun with -update):\n%s", path, got)
	}
	s, err := datasets.ReadSurvivalCSV(path)
	if err != nil || len(s) != 13 || s[0] != 1000 {
		t.Errorf("ReadSurvivalCSV: %v, %v", s, err)
	}
}

func TestScoreSurvival(t *testing.T) {
	// Survivors counted and projected; scored on periods 1..3.
	actual := []float64{100, 80, 60, 50}
	predicted := []float64{100, 82, 57, 50}
	s, err := ScoreSurvival(actual, predicted, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: errors 2, 3, 0; relative errors 2/80, 3/60, 0.
	for _, c := range []struct {
		name string
		want float64
	}{
		{"customers", 100}, {"periods", 3}, {"actual_total", 190}, {"predicted_total", 189},
		{"bias", 189.0/190 - 1}, {"mae", 5.0 / 3}, {"rmse", math.Sqrt(13.0 / 3)},
		{"mape", (2.0/80 + 3.0/60) / 3}, {"max_ape", 0.05},
	} {
		got, ok := s.Value(c.name)
		if !ok || relErr(got, c.want) > 1e-14 {
			t.Errorf("%s = %v (%v), want %v", c.name, got, ok, c.want)
		}
	}
	if _, ok := s.Value("gini"); ok {
		t.Error("Value knows gini")
	}
	if len(SurvivalMetricNames()) != len(survivalScoreNames) {
		t.Error("SurvivalMetricNames is not the list of names")
	}
	for _, name := range SurvivalMetricNames() {
		if _, ok := s.Value(name); !ok {
			t.Errorf("Value does not know %s", name)
		}
	}

	// A period with no survivors leaves the relative errors undefined.
	z, err := ScoreSurvival([]float64{100, 10, 0}, []float64{100, 12, 3}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if z.MAPE.Defined() || z.MaxAPE.Defined() || z.MAE != 2.5 {
		t.Errorf("with a zero count: mape %v, max_ape %v, mae %v", z.MAPE, z.MaxAPE, z.MAE)
	}

	for _, bad := range []struct {
		name              string
		actual, predicted []float64
		first, last       int
	}{
		{"lengths", []float64{1, 1}, []float64{1}, 1, 1},
		{"period 0", []float64{1, 1}, []float64{1, 1}, 0, 1},
		{"beyond the data", []float64{1, 1}, []float64{1, 1}, 1, 2},
		{"empty cohort", []float64{0, 0}, []float64{1, 1}, 1, 1},
		{"NaN", []float64{1, 1}, []float64{1, math.NaN()}, 1, 1},
		{"negative", []float64{1, -1}, []float64{1, 1}, 1, 1},
	} {
		if _, err := ScoreSurvival(bad.actual, bad.predicted, bad.first, bad.last); err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
}

// SurvivalReport round-trips through its JSON form, the fit first.
func TestSurvivalReportJSON(t *testing.T) {
	del := Metric(3.5)
	r := SurvivalReport{
		Fit: &models.FitResult{Model: "sbg", Params: models.Params{"alpha": 1, "beta": 2}, HasLikelihood: true, LogLikelihood: -5, Converged: true},
		DEL: &del, DERLPeriods: 3,
		Survival: &SurvivalScores{Periods: 2, MAPE: Metric(math.NaN())},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"fit":{"model":"sbg","params":`)) || !bytes.Contains(b, []byte(`"mape":null`)) {
		t.Errorf("JSON %s", b)
	}
	var back SurvivalReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Fit.Params["beta"] != 2 || back.Fit.LogLikelihood != -5 || *back.DEL != 3.5 || back.DERLPeriods != 3 || back.Survival.Periods != 2 {
		t.Errorf("round trip: %+v", back)
	}
}

func BenchmarkRunContractual(b *testing.B) {
	cfg, err := Load("../configs/contractual.yaml", nil)
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

// ExampleScoreSurvival scores a projection of survivors against the counts
// of three holdout periods.
func ExampleScoreSurvival() {
	actual := []float64{1000, 631, 468, 382, 326}
	projected := []float64{1000, 640, 470, 375, 318}
	s, err := ScoreSurvival(actual, projected, 3, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("periods %d..%d: actual %v, projected %v, bias %.4f, mae %.1f, mape %.4f\n",
		s.FirstPeriod, s.LastPeriod, s.ActualTotal, s.PredictedTotal, float64(s.Bias), float64(s.MAE), float64(s.MAPE))
	// Output:
	// periods 3..4: actual 708, projected 693, bias -0.0212, mae 7.5, mape 0.0214
}

// FuzzLoadContractual feeds arbitrary YAML, seeded with contractual
// configs, to Load: it must never panic, and a config it accepts must
// validate again to the same hash.
func FuzzLoadContractual(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "configs", "contractual.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("survival: {path: survivors.csv, calibration_periods: 4}\n"))
	f.Add([]byte("survival: {path: survivors.csv, calibration_periods: 4, period: 14d}\nsplit: {}\nmodels: [sbg, bgnbd]\n"))
	f.Add([]byte("survival:\nmodels: [sbg]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := writeSurvivalConfig(t, []float64{1000, 631, 468, 382, 326}, string(b))
		c, err := Load(p, nil)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 || err.Error() == "" {
				t.Fatalf("error %v (%T) is not a ConfigError with problems", err, err)
			}
			return
		}
		h := c.Hash()
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		if c.Hash() != h {
			t.Fatalf("hash changed on revalidation: %s → %s", h, c.Hash())
		}
	})
}
