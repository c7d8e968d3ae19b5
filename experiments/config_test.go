package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/sharedtest"
	"github.com/clv-dev/clv/models"
)

// baseSections is a valid config, one YAML block per top-level key, that
// the table tests edit one block at a time (see configYAML).
var baseSections = []struct{ key, text string }{
	{"name", "name: base"},
	{"data", "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  amount: amount"},
	{"split", "split:\n  unit: week\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30"},
	{"models", "models: [bgnbd, paretonbd]"},
	{"spend_model", ""},
	{"clv", ""},
	{"segments", ""},
	{"fit", ""},
	{"retention", ""},
	{"hiatus", ""},
	{"expect", "expect:\n  - {metric: bgnbd.holdout.mae, max: 0.9}"},
	{"output", ""},
	{"extra", ""},
}

// configYAML returns the base config with the given top-level blocks
// replaced ("" removes a block).
func configYAML(edits map[string]string) string {
	var b strings.Builder
	for _, s := range baseSections {
		text := s.text
		if e, ok := edits[s.key]; ok {
			text = e
		}
		if text != "" {
			b.WriteString(text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// writeConfig writes a config file and a small transaction log (tx.csv)
// into a fresh folder and returns the config's path.
func writeConfig(t testing.TB, name, text string) string {
	t.Helper()
	dir := t.TempDir()
	tx, err := os.ReadFile(filepath.Join("testdata", "config", "tx.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tx.csv"), tx, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// configErrorOf asserts that err is a *ConfigError and returns it.
func configErrorOf(t testing.TB, err error) *ConfigError {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v (%T), want a *ConfigError", err, err)
	}
	return ce
}

func TestLoadBaseIsValid(t *testing.T) {
	p := writeConfig(t, "base.yaml", configYAML(nil))
	if _, err := Load(p, nil); err != nil {
		t.Fatalf("the base config of the table tests must be valid: %v", err)
	}
}

// TestLoadRejects feeds one broken config per row and checks that Load
// reports a *ConfigError with a problem about the right key, whose message
// starts with the file and the key and contains the expected explanation.
func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		key   string // the Problem.Key expected
		want  string // a substring of that problem's message
	}{
		// dates and windows
		{"bad date", map[string]string{"split": "split:\n  calibration_end: 1997-13-45\n  holdout_end: 1998-06-30"},
			"split.calibration_end", `"1997-13-45" is not a date YYYY-MM-DD`},
		{"date with time", map[string]string{"split": "split:\n  calibration_end: 1997-09-30T10:00:00Z\n  holdout_end: 1998-06-30"},
			"split.calibration_end", "is not a date YYYY-MM-DD"},
		{"missing calibration end", map[string]string{"split": "split:\n  holdout_end: 1998-06-30"},
			"split.calibration_end", "is required"},
		{"holdout before calibration", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1997-01-01"},
			"split.holdout_end", "split.holdout_end 1997-01-01 is before split.calibration_end 1997-09-30"},
		{"holdout on calibration end", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1997-09-30"},
			"split.holdout_end", "is the same day as split.calibration_end"},
		{"origin after holdout end", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1998-07-31]"},
			"split.origins[0]", "is not before split.calibration_end 1997-09-30"},
		{"origin inside holdout", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1997-10-31]"},
			"split.origins[0]", "it would end 1998-07-31, after split.holdout_end 1998-06-30"},
		{"origin equal to calibration end", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1997-09-30]"},
			"split.origins[0]", "is not before split.calibration_end"},
		{"origins unsorted", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1997-07-31, 1997-06-30]"},
			"split.origins[1]", "is not after the origin before it, 1997-07-31"},
		{"origins duplicate", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1997-06-30, 1997-06-30]"},
			"split.origins[1]", "each once"},
		{"origin not a date", map[string]string{"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [june]"},
			"split.origins[0]", `"june" is not a date`},
		{"unknown unit", map[string]string{"split": "split:\n  unit: fortnight\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30"},
			"split.unit", `"fortnight" is not a time unit`},

		// models
		{"unknown model", map[string]string{"models": "models: [bgnbd, paretonbdd]"},
			"models[1]", `"paretonbdd" is not a known model: choose among average, retention, hiatus, bgnbd, paretonbd, mbgnbd`},
		{"discrete model off a period end", map[string]string{"models": "models: [bgbb]", "expect": ""},
			"split.calibration_end", "bgbb counts each week as one opportunity, so the window must end on the last day of a week: use 1997-10-05"},
		{"duplicate model", map[string]string{"models": "models: [bgnbd, paretonbd, bgnbd]"},
			"models[2]", "bgnbd is listed twice"},
		{"no models", map[string]string{"models": "models: []", "expect": ""},
			"models", "models is empty"},
		{"models not a list", map[string]string{"models": "models: {bgnbd: 1}", "expect": ""},
			"models", "is a table of keys, want a list"},
		{"unknown spend model", map[string]string{"spend_model": "spend_model: gamma"},
			"spend_model", `"gamma" is not one of gammagamma, average, none, auto`},
		{"spend model without amounts", map[string]string{"spend_model": "spend_model: gammagamma",
			"data": "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  amount: none"},
			"spend_model", "gammagamma needs amounts"},

		// numbers
		{"groups zero", map[string]string{"segments": "segments: {groups: 0}"},
			"segments.groups", "0 must be between 1 and 1000"},
		{"groups too many", map[string]string{"segments": "segments: {groups: 1001}"},
			"segments.groups", "1001 must be between 1 and 1000"},
		{"groups fractional", map[string]string{"segments": "segments: {groups: 2.5}"},
			"segments.groups", "2.5 is not a whole number"},
		{"negative horizon", map[string]string{"clv": "clv: {horizon: -1}"},
			"clv.horizon", "-1 must be > 0"},
		{"horizon not a number", map[string]string{"clv": `clv: {horizon: "abc"}`},
			"clv.horizon", `clv.horizon "abc" is not a number`},
		{"horizon beyond a century", map[string]string{"clv": "clv: {horizon: 6000}"},
			"clv.horizon", "more than 100 years"},
		{"discount rate 10", map[string]string{"clv": "clv: {discount_rate: 10}"},
			"clv.discount_rate", "must be a yearly rate ≥ 0 and < 10"},
		{"negative discount rate", map[string]string{"clv": "clv: {discount_rate: -0.1}"},
			"clv.discount_rate", "-0.1 must be a yearly rate"},
		{"zero margin", map[string]string{"clv": "clv: {margin: 0}"},
			"clv.margin", "0 must be > 0"},
		{"negative penalty", map[string]string{"fit": "fit: {penalty: -1}"},
			"fit.penalty", "-1 must be ≥ 0"},
		{"zero iterations", map[string]string{"fit": "fit: {max_iterations: 0}"},
			"fit.max_iterations", "0 must be between 1 and 1000000"},
		{"seed not a number", map[string]string{"extra": "seed: abc"},
			"seed", `"abc" is not a whole number`},
		{"negative hiatus", map[string]string{"hiatus": "hiatus: {h: -2}"},
			"hiatus.h", "-2 must be ≥ 0"},
		{"unknown retention period", map[string]string{"retention": "retention: {period: fortnight}"},
			"retention.period", `"fortnight" is not a time unit`},
		{"plots not a boolean", map[string]string{"output": "output: {plots: maybe}"},
			"output.plots", `"maybe" is not true or false`},
		{"section given a value", map[string]string{"clv": "clv: 5"},
			"clv", "clv is 5, want a table of keys"},

		// data
		{"unknown format", map[string]string{"data": "data:\n  path: tx.csv\n  format: xlsx\n  customer: customer_id\n  date: date"},
			"data.format", `"xlsx" is not one of auto, csv, tsv, whitespace, parquet`},
		{"unknown header", map[string]string{"data": "data:\n  path: tx.csv\n  header: maybe\n  customer: customer_id\n  date: date"},
			"data.header", `"maybe" is not one of auto, yes, no`},
		{"parquet without header", map[string]string{"data": "data:\n  path: tx.csv\n  format: parquet\n  header: no\n  customer: 0\n  date: 1"},
			"data.header", "parquet files always name their columns"},
		{"unknown on_bad_row", map[string]string{"data": "data:\n  path: tx.csv\n  on_bad_row: ignore\n  customer: customer_id\n  date: date"},
			"data.on_bad_row", `"ignore" is not one of fail, skip`},
		{"rejects without skip", map[string]string{"data": "data:\n  path: tx.csv\n  rejects: bad.csv\n  customer: customer_id\n  date: date"},
			"data.rejects", "rows are only rejected with on_bad_row: skip"},
		{"path and embedded", map[string]string{"data": "data:\n  path: tx.csv\n  embedded: quickstart"},
			"data.path", "data.path and data.embedded are both set: give exactly one"},
		{"neither path nor embedded", map[string]string{"data": "data:\n  customer: customer_id\n  date: date"},
			"data.path", "give data.path (a transaction log file) or data.embedded (one of quickstart)"},
		{"unknown embedded", map[string]string{"data": "data:\n  embedded: cdnow"},
			"data.embedded", `"cdnow" is not a built-in data set: choose among quickstart`},
		{"layout with embedded", map[string]string{"data": "data:\n  embedded: quickstart\n  customer: id"},
			"data.customer", "embedded data has a fixed layout"},
		{"missing data file", map[string]string{"data": "data:\n  path: nowhere/tx.csv\n  customer: customer_id\n  date: date"},
			"data.path", "data.path nowhere/tx.csv: no such file (looked for "},
		{"data path is a folder", map[string]string{"data": "data:\n  path: .\n  customer: customer_id\n  date: date"},
			"data.path", "is a folder, not a file"},
		{"customer missing", map[string]string{"data": "data:\n  path: tx.csv\n  date: date"},
			"data.customer", "is required with data.path"},
		{"name without header", map[string]string{"data": "data:\n  path: tx.csv\n  header: no\n  customer: customer_id\n  date: 1"},
			"data.customer", `"customer_id" is a column name, but data.header is no`},
		{"negative column index", map[string]string{"data": "data:\n  path: tx.csv\n  header: no\n  customer: -1\n  date: 1"},
			"data.customer", "column index -1 is out of range"},
		{"same column twice", map[string]string{"data": "data:\n  path: tx.csv\n  customer: 0\n  date: 0"},
			"data.date", "selects the same column as data.customer (#0)"},
		{"bad date format", map[string]string{"data": "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  date_format: dd/mm/yyyy"},
			"data.date_format", `"dd/mm/yyyy" is neither one of iso, 20060102, rfc3339, unix nor a Go time layout`},
		{"date format without day", map[string]string{"data": "data:\n  path: tx.csv\n  customer: customer_id\n  date: date\n  date_format: 2006-01"},
			"data.date_format", `"2006-01" is neither`},

		// gates
		{"gate without bounds", map[string]string{"expect": "expect:\n  - {metric: bgnbd.holdout.mae}"},
			"expect[0]", "expect[0] (bgnbd.holdout.mae) has neither min nor max"},
		{"gate min above max", map[string]string{"expect": "expect:\n  - {metric: bgnbd.holdout.mae, min: 2, max: 1}"},
			"expect[0]", "has min 2 > max 1"},
		{"gate path not three parts", map[string]string{"expect": "expect:\n  - {metric: bgnbd.mae, max: 1}"},
			"expect[0].metric", `"bgnbd.mae" is not a path model.target.metric`},
		{"gate unknown target", map[string]string{"expect": "expect:\n  - {metric: bgnbd.calibration.mae, max: 1}"},
			"expect[0].metric", `target "calibration" is not one of holdout, holdout_revenue`},
		{"gate unknown metric", map[string]string{"expect": "expect:\n  - {metric: bgnbd.holdout.r2, max: 1}"},
			"expect[0].metric", `metric "r2" is not one of customers, actual_total`},
		{"gate model not run", map[string]string{"expect": "expect:\n  - {metric: mbgnbd.holdout.mae, max: 1}"},
			"expect[0].metric", `model "mbgnbd" is not in models (bgnbd, paretonbd)`},
		{"gate revenue without spend", map[string]string{"spend_model": "spend_model: none",
			"expect": "expect:\n  - {metric: bgnbd.holdout_revenue.mae, max: 1}"},
			"expect[0].metric", "the run has no revenue"},
		{"gate metric missing", map[string]string{"expect": "expect:\n  - {max: 1}"},
			"expect[0].metric", "is required"},
		{"gate misspelt key", map[string]string{"expect": "expect:\n  - {metric: bgnbd.holdout.mae, maxx: 1}"},
			"expect[0].maxx", "expect[0].maxx is not a known key (did you mean expect[0].max?)"},
		{"gate bound not a number", map[string]string{"expect": "expect:\n  - {metric: bgnbd.holdout.mae, max: high}"},
			"expect[0].max", `"high" is not a number`},

		// keys and names
		{"misspelt key", map[string]string{"clv": "clv: {horizn: 52}"},
			"clv.horizn", "clv.horizn is not a known key (did you mean clv.horizon?)"},
		{"key in the wrong section", map[string]string{"extra": "horizon: 52"},
			"horizon", "horizon is not a known key (did you mean clv.horizon?)"},
		{"unknown section", map[string]string{"extra": "plots: {dpi: 300}"},
			"plots", "plots is not a known key"},
		{"bad name", map[string]string{"name": "name: my run"},
			"name", `"my run" must be 1 to 100 letters, digits`},
		{"dot name", map[string]string{"name": "name: .."},
			"name", "(and not . or ..)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, "bad.yaml", configYAML(tc.edits))
			c, err := Load(p, nil)
			if err == nil {
				t.Fatalf("Load accepted the config:\n%s", configYAML(tc.edits))
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			ce := configErrorOf(t, err)
			if ce.File != p {
				t.Errorf("ConfigError.File = %q, want %q", ce.File, p)
			}
			var found bool
			for _, pr := range ce.Problems {
				if pr.Key == tc.key && strings.Contains(pr.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem with key %q containing %q in:\n%v", tc.key, tc.want, err)
			}
			// Every line names the file and then the key it is about.
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(ce.Problems) {
				t.Errorf("%d lines for %d problems:\n%v", len(lines), len(ce.Problems), err)
			}
			for i, line := range lines {
				if want := p + ": " + ce.Problems[i].Key; !strings.HasPrefix(line, want) {
					t.Errorf("line %q does not start with %q", line, want)
				}
			}
		})
	}
}

// TestLoadReportsAllProblems checks that several mistakes are reported
// together, once each, and that a value that fails to decode is not
// reported a second time by validation.
func TestLoadReportsAllProblems(t *testing.T) {
	p := writeConfig(t, "many.yaml", configYAML(map[string]string{
		"split":    "split:\n  unit: fortnight\n  calibration_end: 1997-09-30\n  holdout_end: 1997-01-01",
		"models":   "models: [bgnbd, nbd]",
		"segments": "segments: {groups: 0}",
		"clv":      `clv: {horizon: "abc", margn: 1}`,
	}))
	_, err := Load(p, nil)
	ce := configErrorOf(t, err)
	var keys []string
	for _, pr := range ce.Problems {
		keys = append(keys, pr.Key)
	}
	slices.Sort(keys)
	want := []string{"clv.horizon", "clv.margn", "models[1]", "segments.groups", "split.holdout_end", "split.unit"}
	if !slices.Equal(keys, want) {
		t.Errorf("problem keys = %v, want %v; error:\n%v", keys, want, err)
	}
	if n := len(errorsOf(err)); n != len(want) {
		t.Errorf("Unwrap gives %d errors, want %d", n, len(want))
	}
}

func errorsOf(err error) []error {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		return u.Unwrap()
	}
	return nil
}

// TestLoadFileProblems covers the file itself: a missing file, an
// unsupported extension and a syntax error.
func TestLoadFileProblems(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "x.ini")
	if err := os.WriteFile(ini, []byte("name = x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("data: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(dir, "dup.yaml")
	if err := os.WriteFile(dup, []byte("name: a\nname: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "absent.yaml"), "cannot read the config file"},
		{ini, `unsupported config file extension ".ini": use .yaml, .yml, .toml or .json`},
		{broken, "cannot parse the config as YAML"},
		{dup, "cannot parse the config as YAML"},
	} {
		_, err := Load(tc.path, nil)
		ce := configErrorOf(t, err)
		if !strings.HasPrefix(err.Error(), tc.path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want %q after the file name", tc.path, err, tc.want)
		}
		if ce.File != tc.path {
			t.Errorf("File = %q, want %q", ce.File, tc.path)
		}
	}
}

// TestLoadFormatsAgree loads the same config written in YAML, TOML and
// JSON (with dates as YAML timestamps, TOML local dates and strings, and a
// column index as a number) and wants identical configs and hashes.
func TestLoadFormatsAgree(t *testing.T) {
	var first *Config
	for _, f := range []string{"good.yaml", "good.toml", "good.json"} {
		p := filepath.Join("testdata", "config", f)
		c, err := Load(p, nil)
		if err != nil {
			t.Fatalf("Load(%s): %v", p, err)
		}
		if first == nil {
			first = c
			continue
		}
		a, b := *first, *c
		a.File, b.File = "", ""
		a.Resolved.ConfigFile, b.Resolved.ConfigFile = "", ""
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s decodes differently from good.yaml:\n%s\n%s", f, jb, ja)
		}
		if fmt.Sprintf("%+v", a.Resolved) != fmt.Sprintf("%+v", b.Resolved) {
			t.Errorf("%s resolves differently from good.yaml:\n%+v\n%+v", f, b.Resolved, a.Resolved)
		}
		if first.Hash() != c.Hash() {
			t.Errorf("hash of %s = %s, good.yaml %s", f, c.Hash(), first.Hash())
		}
	}

	// Spot-check the decoded values against the file.
	c := first
	min05, max09, max1 := 0.5, 0.9, 1.0
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", c.Name, "good"},
		{"seed", c.Seed, int64(7)},
		{"data.date", c.Data.Date, "1"},
		{"data.header", c.Data.Header, "yes"},
		{"split.calibration_end", c.Split.CalibrationEnd, "1997-09-30"},
		{"split.origins", fmt.Sprint(c.Split.Origins), "[1997-06-30 1997-07-31]"},
		{"models", fmt.Sprint(c.Models), "[bgnbd paretonbd average]"},
		{"clv", c.CLV, CLVConfig{Horizon: 26, DiscountRate: 0.15, Margin: 0.3}},
		{"segments.groups", c.Segments.Groups, 5},
		{"fit", c.Fit, FitConfig{Penalty: 0.01, MaxIterations: 500}},
		{"retention.period", c.Retention.Period, "28d"},
		{"hiatus.h", c.Hiatus.H, 8.5},
		{"expect", fmt.Sprint(c.Expect), fmt.Sprint([]Gate{{Metric: "bgnbd.holdout.mae", Max: &max09},
			{Metric: "paretonbd.holdout_revenue.top20_share", Min: &min05, Max: &max1}})},
		{"output", c.Output, OutputConfig{Dir: "out", Plots: false, Report: true, Predictions: "csv", Formats: []string{"png"}}},
		{"resolved date column", c.Resolved.Date, Column{Index: 1}},
		{"resolved customer column", c.Resolved.Customer, Column{Name: "customer_id", Index: -1}},
		{"resolved spend", c.Resolved.SpendModel, "gammagamma"},
		{"resolved retention period", c.Resolved.RetentionPeriod.Days(), 28.0},
	}
	for _, ck := range checks {
		if fmt.Sprint(ck.got) != fmt.Sprint(ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if *c.Expect[0].Max != 0.9 || c.Expect[0].Min != nil {
		t.Errorf("expect[0] bounds = %v, %v; want nil, 0.9", c.Expect[0].Min, *c.Expect[0].Max)
	}
}

// TestLoadDefaults loads a config with only the required keys and checks
// every default that configs/README.md documents.
func TestLoadDefaults(t *testing.T) {
	p := filepath.Join("testdata", "config", "minimal.yaml")
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	r := c.Resolved
	checks := []struct {
		name      string
		got, want any
	}{
		{"name (from the file name)", c.Name, "minimal"},
		{"seed", c.Seed, int64(1)},
		{"data.format", c.Data.Format, "auto"},
		{"data.header", c.Data.Header, "auto"},
		{"data.amount", c.Data.Amount, ""},
		{"data.date_format", c.Data.DateFormat, "iso"},
		{"data.on_bad_row", c.Data.OnBadRow, "fail"},
		{"split.unit", c.Split.Unit, "week"},
		{"split.origins", len(c.Split.Origins), 0},
		{"models", fmt.Sprint(c.Models), "[average retention hiatus bgnbd paretonbd mbgnbd]"},
		{"spend_model", c.SpendModel, "auto"},
		{"resolved spend model (no amounts)", r.SpendModel, "none"},
		{"clv.horizon", c.CLV.Horizon, 0.0},
		{"resolved horizon: a year in weeks", r.Horizon, 365.25 / 7},
		{"clv.discount_rate", c.CLV.DiscountRate, 0.10},
		{"clv.margin", c.CLV.Margin, 1.0},
		{"segments.groups", c.Segments.Groups, 10},
		{"fit", c.Fit, FitConfig{Penalty: 0, MaxIterations: 1000}},
		{"retention.period", c.Retention.Period, "month"},
		{"hiatus.h", c.Hiatus.H, 0.0},
		{"expect", len(c.Expect), 0},
		{"output", c.Output, OutputConfig{Dir: "", Plots: true, Report: true, Predictions: "csv", Formats: []string{"png"}}},
		{"resolved output dir", r.OutputDir, filepath.Join(wd, "results")},
		{"resolved date layout", r.DateLayout, "2006-01-02"},
		{"resolved rejects", r.RejectsPath, ""},
		{"has amount", r.HasAmount, false},
	}
	for _, ck := range checks {
		if fmt.Sprint(ck.got) != fmt.Sprint(ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// Every default of configDefaults is a documented value of its key.
	leaves, _ := cfgSchemaKeys()
	if len(configDefaults) != len(leaves) {
		t.Errorf("%d defaults for %d keys", len(configDefaults), len(leaves))
	}
	for i, l := range leaves {
		if i < len(configDefaults) && configDefaults[i].key != l.key {
			t.Errorf("default %d is for %s, want %s (schema order)", i, configDefaults[i].key, l.key)
		}
	}
}

// TestResolvedSplit checks the windows of a rolling backtest. Each
// origin's holdout has the main holdout's length: 1997-09-30 to 1998-06-30
// is 273 days (31+30+31 + 31+28+31+30+31+30), so the origin 1997-06-30
// ends its holdout on 1998-03-30 (Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30
// + Dec 31 + Jan 31 + Feb 28 = 243 days to Feb 28, + 30).
func TestResolvedSplit(t *testing.T) {
	p := writeConfig(t, "rolling.yaml", configYAML(map[string]string{
		"split": "split:\n  calibration_end: 1997-09-30\n  holdout_end: 1998-06-30\n  origins: [1997-06-30, 1997-08-31]",
	}))
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Resolved
	if r.HoldoutDays != 273 {
		t.Errorf("HoldoutDays = %d, want 273", r.HoldoutDays)
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	want := []BacktestWindow{
		{CalibrationEnd: day("1997-06-30"), HoldoutEnd: day("1998-03-30")},
		{CalibrationEnd: day("1997-08-31"), HoldoutEnd: day("1998-05-31")},
		{CalibrationEnd: day("1997-09-30"), HoldoutEnd: day("1998-06-30"), Main: true},
	}
	if !slices.Equal(r.Windows, want) {
		t.Errorf("Windows = %v, want %v", r.Windows, want)
	}
	if r.Unit != datasets.Week {
		t.Errorf("Unit = %v, want week", r.Unit)
	}
}

// TestOverrides applies --set overrides and checks the decoded values.
func TestOverrides(t *testing.T) {
	p := writeConfig(t, "base.yaml", configYAML(nil))
	tests := []struct {
		set   []string
		check func(c *Config) (got, want any)
	}{
		{[]string{"split.calibration_end=1997-10-31"}, func(c *Config) (any, any) {
			return c.Resolved.CalibrationEnd.Format(time.DateOnly), "1997-10-31"
		}},
		{[]string{"models=[bgnbd,paretonbd, mbgnbd]"}, func(c *Config) (any, any) {
			return fmt.Sprint(c.Models), "[bgnbd paretonbd mbgnbd]"
		}},
		{[]string{"models=bgnbd,average"}, func(c *Config) (any, any) { return fmt.Sprint(c.Models), "[bgnbd average]" }},
		{[]string{"clv.discount_rate=0.05"}, func(c *Config) (any, any) { return c.CLV.DiscountRate, 0.05 }},
		{[]string{"CLV.Margin = 2"}, func(c *Config) (any, any) { return c.CLV.Margin, 2.0 }},
		{[]string{"segments.groups=20"}, func(c *Config) (any, any) { return c.Segments.Groups, 20 }},
		{[]string{"output.plots=no"}, func(c *Config) (any, any) { return c.Output.Plots, false }},
		{[]string{"split.unit=month"}, func(c *Config) (any, any) { return c.Resolved.Unit, datasets.Month }},
		{[]string{"data.customer=0"}, func(c *Config) (any, any) { return c.Resolved.Customer, Column{Index: 0} }},
		{[]string{"name=a=b"}, nil}, // the first '=' splits: the name "a=b" is invalid
		{[]string{"data.path=", "data.embedded=quickstart", "data.customer=", "data.date=", "data.amount="},
			func(c *Config) (any, any) { return c.Resolved.DataPath + "|" + c.Resolved.SpendModel, "|gammagamma" }},
		{[]string{"expect=[{metric: paretonbd.holdout.bias, min: -0.2, max: 0.2}]"}, func(c *Config) (any, any) {
			return c.Expect[0].String(), "-0.2 <= paretonbd.holdout.bias <= 0.2"
		}},
		{[]string{"expect=[]"}, func(c *Config) (any, any) { return len(c.Expect), 0 }},
		{[]string{"seed=3", "seed=4"}, func(c *Config) (any, any) { return c.Seed, int64(4) }}, // the last one wins
	}
	for _, tc := range tests {
		c, err := Load(p, tc.set)
		if tc.check == nil {
			if err == nil {
				t.Errorf("--set %v: accepted, want an error", tc.set)
			}
			continue
		}
		if err != nil {
			t.Errorf("--set %v: %v", tc.set, err)
			continue
		}
		if got, want := tc.check(c); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("--set %v: got %v, want %v", tc.set, got, want)
		}
		if !slices.Equal(c.Overrides, tc.set) {
			t.Errorf("Overrides = %v, want %v", c.Overrides, tc.set)
		}
	}

	bad := []struct{ set, want string }{
		{"clv.horizn=5", "override clv.horizn=5: unknown key clv.horizn (did you mean clv.horizon?)"},
		{"nosuch=1", "unknown key nosuch"},
		{"clv=5", "clv is a section; set one of its keys: clv.horizon, clv.discount_rate, clv.margin"},
		{"models", `"models" is not key=value`},
		{"clv.horizon=abc", `clv.horizon "abc" is not a number`},
		{"split.holdout_end=1997-01-01", "split.holdout_end 1997-01-01 is before split.calibration_end 1997-09-30"},
		{"expect=[{metric: x", "cannot read"},
	}
	for _, tc := range bad {
		_, err := Load(p, []string{tc.set})
		configErrorOf(t, err)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: error %v, want it to contain %q", tc.set, err, tc.want)
		}
	}
}

// TestEnvOverrides sets CLV_ variables and checks their precedence: the
// file < the environment < --set.
func TestEnvOverrides(t *testing.T) {
	p := writeConfig(t, "base.yaml", configYAML(map[string]string{"clv": "clv: {discount_rate: 0.2}"}))
	t.Setenv("CLV_SPLIT_UNIT", "month")
	t.Setenv("CLV_CLV_DISCOUNT_RATE", "0.05")
	t.Setenv("CLV_MODELS", "bgnbd,mbgnbd")
	t.Setenv("CLV_SEGMENTS_GROUPS", "4")
	t.Setenv("CLV_SPLIT_CALIBRATION_END", "1997-08-31")
	c, err := Load(p, []string{"segments.groups=5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Split.Unit != "month" || c.Resolved.Unit != datasets.Month {
		t.Errorf("split.unit = %q (%v), want month from CLV_SPLIT_UNIT", c.Split.Unit, c.Resolved.Unit)
	}
	if c.CLV.DiscountRate != 0.05 {
		t.Errorf("clv.discount_rate = %v, want 0.05 from the environment over the file's 0.2", c.CLV.DiscountRate)
	}
	if fmt.Sprint(c.Models) != "[bgnbd mbgnbd]" {
		t.Errorf("models = %v, want [bgnbd mbgnbd]", c.Models)
	}
	if c.Segments.Groups != 5 {
		t.Errorf("segments.groups = %d, want 5 from --set over the environment's 4", c.Segments.Groups)
	}
	if c.Split.CalibrationEnd != "1997-08-31" {
		t.Errorf("split.calibration_end = %q, want 1997-08-31 from the environment", c.Split.CalibrationEnd)
	}

	t.Setenv("CLV_FIT_MAX_ITERATIONS", "many")
	_, err = Load(p, nil)
	configErrorOf(t, err)
	if !strings.Contains(err.Error(), `fit.max_iterations "many" is not a whole number`) {
		t.Errorf("bad environment value: %v", err)
	}
}

// TestPathsResolve checks that relative paths start from the config
// file's folder, whatever the working directory, and that absolute paths
// and the values as written are kept.
func TestPathsResolve(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"data", "configs"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tx := filepath.Join(root, "data", "tx.csv")
	if err := os.WriteFile(tx, []byte("customer_id,date\nc1,1997-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "elsewhere")
	cfg := filepath.Join(root, "configs", "x.yaml")
	text := configYAML(map[string]string{
		"data":   "data:\n  path: ../data/tx.csv\n  customer: customer_id\n  date: date\n  on_bad_row: skip\n  rejects: ../out/rejects.csv",
		"output": "output: {dir: " + abs + "}",
	})
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Resolved
	for _, ck := range []struct{ name, got, want string }{
		{"data path", r.DataPath, tx},
		{"data path as written", c.Data.Path, "../data/tx.csv"},
		{"rejects", r.RejectsPath, filepath.Join(root, "out", "rejects.csv")},
		{"output dir (absolute)", r.OutputDir, abs},
		{"config file", r.ConfigFile, cfg},
		{"base dir", r.BaseDir, filepath.Join(root, "configs")},
	} {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}

	// The same config given by a relative path from another working
	// directory resolves to the same files.
	t.Chdir(filepath.Join(root, "data"))
	c2, err := Load(filepath.Join("..", "configs", "x.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Resolved.DataPath != tx {
		t.Errorf("from data/: data path = %q, want %q", c2.Resolved.DataPath, tx)
	}
	if c2.Hash() != c.Hash() {
		t.Errorf("the hash depends on the working directory: %s vs %s", c2.Hash(), c.Hash())
	}

	// A missing file names the path as written, where it looked and how
	// to fix it; SkipFileChecks leaves the check out.
	if err := os.Remove(tx); err != nil {
		t.Fatal(err)
	}
	_, err = Load(cfg, nil)
	configErrorOf(t, err)
	for _, want := range []string{"data.path ../data/tx.csv: no such file", "looked for " + tx, "fix the path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing data file: %v\nwant it to contain %q", err, want)
		}
	}
	if _, err := LoadWith(cfg, LoadOptions{SkipFileChecks: true}); err != nil {
		t.Errorf("SkipFileChecks: %v", err)
	}
}

// TestHash checks that the hash is 8 hex digits, stable across loads, the
// same for equivalent spellings, and different for every change of value.
func TestHash(t *testing.T) {
	p := writeConfig(t, "base.yaml", configYAML(nil))
	load := func(set ...string) *Config {
		t.Helper()
		c, err := Load(p, set)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := load().Hash()
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(base) {
		t.Fatalf("Hash = %q, want 8 hex digits", base)
	}
	if again := load().Hash(); again != base {
		t.Errorf("hash not stable: %s then %s", base, again)
	}
	// Equivalent spellings normalize to the same canonical form.
	for _, set := range [][]string{
		{"split.unit=weeks"},
		{"spend_model=gammagamma"}, // what auto resolves to with amounts
		{"clv.horizon=52.17857142857143"},
		{"data.format=AUTO"},
		{"retention.period=months"},
	} {
		if h := load(set...).Hash(); h != base {
			t.Errorf("--set %v changed the hash %s → %s, but not the config", set, base, h)
		}
	}
	// Every real change gives a new hash, distinct from all others.
	seen := map[string]string{base: "base"}
	for _, s := range []string{
		"name=other", "seed=2", "data.format=csv", "data.header=yes", "data.customer=0", "data.date=1",
		"data.amount=none", "data.date_format=20060102", "data.on_bad_row=skip",
		"split.unit=day", "split.calibration_end=1997-09-29", "split.holdout_end=1998-06-29",
		"split.origins=[1997-06-30]", "models=[bgnbd]", "spend_model=average", "clv.horizon=26",
		"clv.discount_rate=0.11", "clv.margin=0.5", "segments.groups=9", "fit.penalty=0.1",
		"fit.max_iterations=999", "retention.period=week", "hiatus.h=3", "expect=[]",
		"output.dir=out", "output.plots=false", "output.report=false",
	} {
		h := load(s).Hash()
		if prev, ok := seen[h]; ok {
			t.Errorf("--set %s gives hash %s, as %s does", s, h, prev)
		}
		seen[h] = s
	}
}

// TestResolvedJSON checks the manifest's view of a config.
func TestResolvedJSON(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "config", "good.yaml"), []string{"clv.discount_rate=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ResolvedJSON()
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		File      string         `json:"file"`
		Overrides []string       `json:"overrides"`
		Hash      string         `json:"hash"`
		Config    map[string]any `json:"config"`
		Resolved  struct {
			DataPath            string           `json:"data_path"`
			Date                map[string]any   `json:"date"`
			Windows             []map[string]any `json:"windows"`
			DiscountRatePerUnit float64          `json:"discount_rate_per_unit"`
			DiscountConversion  string           `json:"discount_conversion"`
			UnitDays            float64          `json:"unit_days"`
		} `json:"resolved"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", "config", "tx.csv"))
	if j.File != filepath.Join("testdata", "config", "good.yaml") || j.Hash != c.Hash() ||
		!slices.Equal(j.Overrides, []string{"clv.discount_rate=0.1"}) || j.Resolved.DataPath != abs {
		t.Errorf("file %q, hash %q (want %q), overrides %v, data %q (want %q)", j.File, j.Hash, c.Hash(), j.Overrides, j.Resolved.DataPath, abs)
	}
	if j.Config["name"] != "good" || j.Resolved.Date["index"] != 1.0 || j.Resolved.UnitDays != 7 {
		t.Errorf("config name %v, date column %v, unit days %v", j.Config["name"], j.Resolved.Date, j.Resolved.UnitDays)
	}
	if len(j.Resolved.Windows) != 3 || j.Resolved.Windows[2]["main"] != true || j.Resolved.Windows[0]["holdout_end"] != "1998-03-30" {
		t.Errorf("windows = %v", j.Resolved.Windows)
	}
	// 10% a year over one week: 1.1^(7/365.25) − 1, evaluated directly.
	if want := math.Pow(1.1, 7/365.25) - 1; math.Abs(j.Resolved.DiscountRatePerUnit-want) > 1e-15 {
		t.Errorf("discount per week = %v, want %v", j.Resolved.DiscountRatePerUnit, want)
	}
	if j.Resolved.DiscountConversion != "(1 + 0.1)^(7/365.25) - 1" {
		t.Errorf("discount conversion = %q", j.Resolved.DiscountConversion)
	}

	var fresh Config
	if _, err := fresh.ResolvedJSON(); err == nil {
		t.Error("ResolvedJSON of a config that was never validated: no error")
	}
}

// TestValidateInCode validates a Config built in code (no file): relative
// paths start from the working directory and problems carry no file name.
func TestValidateInCode(t *testing.T) {
	c := Config{Name: "code", Seed: 1,
		Data:     DataConfig{Embedded: "quickstart", Format: "auto", Header: "auto", DateFormat: "iso", OnBadRow: "fail"},
		Split:    SplitConfig{Unit: "week", CalibrationEnd: "2024-09-29", HoldoutEnd: "2025-06-29"},
		Models:   []string{"bgnbd"},
		CLV:      CLVConfig{DiscountRate: 0.1, Margin: 1},
		Segments: SegmentsConfig{Groups: 10}, Fit: FitConfig{MaxIterations: 10},
		Retention: RetentionConfig{Period: "month"}, Output: OutputConfig{Dir: "out"},
	}
	before := fmt.Sprintf("%+v", c)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v", c); after != before {
		t.Errorf("Validate changed the config:\n%s\n%s", before, after)
	}
	var err error
	if c.Resolved, err = c.Resolve(); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.Resolved.OutputDir != filepath.Join(wd, "out") || c.Resolved.SpendModel != "gammagamma" {
		t.Errorf("output %q, spend %q", c.Resolved.OutputDir, c.Resolved.SpendModel)
	}
	// Embedded data resolves to the layout datasets.Embedded documents.
	r := c.Resolved
	if r.Format != "csv" || r.Header != "yes" || r.Customer.Name != "customer_id" || r.Date.Name != "date" ||
		!r.HasAmount || r.Amount.Name != "amount" || r.DataPath != "" {
		t.Errorf("embedded layout: format %q header %q columns %v %v %v (amount %v), path %q",
			r.Format, r.Header, r.Customer, r.Date, r.Amount, r.HasAmount, r.DataPath)
	}
	c.Data.Amount = "none"
	if c.Resolved, err = c.Resolve(); err != nil || c.Resolved.HasAmount || c.Resolved.SpendModel != "none" {
		t.Errorf("embedded without amounts: %v, has amount %v, spend %q", err, c.Resolved.HasAmount, c.Resolved.SpendModel)
	}

	c.Name = ""
	err = c.Validate()
	ce := configErrorOf(t, err)
	if ce.File != "" || err.Error() != "name is required" {
		t.Errorf("got %q (file %q), want just \"name is required\"", err, ce.File)
	}
}

// TestConfigNamesMatchModels checks the config's model names against the
// models package's registry.
func TestConfigNamesMatchModels(t *testing.T) {
	for _, m := range cfgRunModels {
		if _, err := models.PurchaseModelByName(m); err != nil {
			t.Errorf("config model %s: %v", m, err)
		}
	}
	for _, s := range cfgSpendModels {
		if s == "none" || s == "auto" {
			continue
		}
		if _, err := models.SpendModelByName(s); err != nil {
			t.Errorf("config spend model %s: %v", s, err)
		}
	}
}

// TestConfigsDir loads every example config in configs/: all must be
// valid. The existence of their data is checked where the shared data is
// present (configs/cdnow.yaml and rolling.yaml read it).
func TestConfigsDir(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "configs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d configs in ../configs, want at least cdnow.yaml and rolling.yaml", len(files))
	}
	for _, f := range files {
		c, err := LoadWith(f, LoadOptions{SkipFileChecks: true})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".yaml"); c.Name != want {
			t.Errorf("%s: name %q, want %q (the results folder should match the file)", f, c.Name, want)
		}
	}

	sample := sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	for _, f := range []string{"cdnow.yaml", "rolling.yaml"} {
		c, err := Load(filepath.Join("..", "configs", f), nil)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		a, err1 := os.Stat(c.Resolved.DataPath)
		b, err2 := os.Stat(sample)
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			t.Errorf("%s reads %s, want the shared %s", f, c.Resolved.DataPath, sample)
		}
	}
}

// TestReadmeDocumentsEveryKey checks that configs/README.md names every key
// of the schema, every model, gate target and metric (those of contractual
// configs too), so the reference cannot fall behind the code.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "configs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	leaves, sections := cfgSchemaKeys()
	var names []string
	for _, l := range leaves {
		names = append(names, l.key)
	}
	names = append(names, sections...)
	names = append(names, cfgRunModels...)
	names = append(names, cfgGateTargets...)
	names = append(names, MetricNames()...)
	names = append(names, cfgSurvivalModels...)
	names = append(names, cfgSurvivalGateTargets...)
	names = append(names, SurvivalMetricNames()...)
	for _, n := range names {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("configs/README.md does not mention `%s`", n)
		}
	}
}

// FuzzLoad feeds arbitrary YAML to Load: it must never panic, and a config
// it accepts must validate again to the same hash.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"good.yaml", "minimal.yaml", "example-bad.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "config", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(configYAML(map[string]string{"models": "models: [bgnbd, x, bgnbd]", "clv": "clv: [1, 2]"})))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := writeConfig(t, "fuzz.yaml", string(b))
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

func BenchmarkLoad(b *testing.B) {
	p := filepath.Join("testdata", "config", "good.yaml")
	for b.Loop() {
		if _, err := Load(p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// ExampleLoad loads a config with an override and prints what the runner
// works with.
func ExampleLoad() {
	c, err := Load("testdata/config/good.yaml", []string{"split.unit=month"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := c.Resolved
	fmt.Println("name:", c.Name, "models:", c.Models, "spend:", r.SpendModel)
	fmt.Println("columns:", r.Customer, r.Date, r.Amount, "layout:", r.DateLayout)
	fmt.Printf("unit: %s, horizon %g, discount %.4f per %s\n", r.Unit, r.Horizon, r.DiscountRatePerUnit, r.Unit)
	for _, w := range r.Windows {
		fmt.Println("window:", w.CalibrationEnd.Format(time.DateOnly), "to", w.HoldoutEnd.Format(time.DateOnly), "main:", w.Main)
	}
	for _, g := range c.Expect {
		fmt.Println("gate:", g)
	}
	// Output:
	// name: good models: [bgnbd paretonbd average] spend: gammagamma
	// columns: customer_id #1 amount layout: 2006-01-02
	// unit: month, horizon 26, discount 0.0117 per month
	// window: 1997-06-30 to 1998-03-30 main: false
	// window: 1997-07-31 to 1998-04-30 main: false
	// window: 1997-09-30 to 1998-06-30 main: true
	// gate: bgnbd.holdout.mae <= 0.9
	// gate: 0.5 <= paretonbd.holdout_revenue.top20_share <= 1
}

// ExampleLoad_errors shows how every problem of a config is reported at
// once, each naming the file and the key.
func ExampleLoad_errors() {
	_, err := Load("testdata/config/example-bad.yaml", nil)
	var ce *ConfigError
	if errors.As(err, &ce) {
		fmt.Println(err)
		fmt.Println(len(ce.Problems), "problems")
	}
	// Output:
	// testdata/config/example-bad.yaml: clv.horizn is not a known key (did you mean clv.horizon?)
	// testdata/config/example-bad.yaml: split.holdout_end 2024-06-30 is before split.calibration_end 2024-09-29: the holdout must end after calibration
	// testdata/config/example-bad.yaml: models[1] "paretonbdd" is not a known model: choose among average, retention, hiatus, bgnbd, paretonbd, mbgnbd, bgcnbdk, mbgcnbdk, bgnbd_cov, mbgnbd_cov, paretonbd_cov, bgbb
	// 3 problems
}
