package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clv-dev/clv/models"
)

// Validate checks the config and reports every problem at once in a
// *ConfigError whose messages name the file and the key. It never changes
// c: the values it derives are returned by Resolve. Relative paths start
// from the config file's folder (from the working directory when c.File is
// empty); data.path must exist.
func (c *Config) Validate() error {
	_, err := c.Resolve()
	return err
}

// Resolve checks the config as Validate does and returns the values the
// runner works with: parsed dates and units, absolute paths, column
// selectors, the spend model chosen, the horizon and discount rate per
// unit. It never changes c; Load stores its result in c.Resolved, and a
// Config built in code does so itself:
//
//	c.Resolved, err = c.Resolve()
//
// On a problem it returns what it could resolve and a *ConfigError.
func (c *Config) Resolve() (ResolvedConfig, error) { return c.resolve(true) }

// resolve is Resolve, with the check that data files exist optional.
func (c *Config) resolve(checkFiles bool) (ResolvedConfig, error) {
	k := newCfgCheck(c, checkFiles)
	k.name()
	if c.Survival != nil {
		k.survival()
	} else {
		k.data()
		k.split()
	}
	k.models()
	k.covariates()
	k.spendModel()
	k.clv()
	k.tuning()
	k.gates()
	k.output()
	k.ps.list = append(k.ps.list, c.valueProblems()...)
	k.ps.list = append(k.ps.list, c.verdictProblems()...)
	c.Output.validateFormats(&k.ps)
	if len(k.ps.list) > 0 {
		return k.r, &ConfigError{File: c.File, Problems: k.ps.list}
	}
	k.r.valid = true
	return k.r, nil
}

// cfgCheck is one pass of validation over a config it only reads: the
// problems found and the values resolved so far.
type cfgCheck struct {
	c          *Config
	checkFiles bool
	ps         cfgProblems
	r          ResolvedConfig
}

func newCfgCheck(c *Config, checkFiles bool) *cfgCheck {
	none := Column{Index: -1} // a column not (yet) selected: neither a name nor an index
	k := &cfgCheck{c: c, checkFiles: checkFiles, r: ResolvedConfig{Customer: none, Date: none, Amount: none}}
	base := "."
	if c.File != "" {
		base = filepath.Dir(c.File)
		if abs, err := filepath.Abs(c.File); err == nil {
			k.r.ConfigFile = abs
		}
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	k.r.BaseDir = base
	return k
}

// path resolves a path relative to the config file's folder.
func (k *cfgCheck) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(k.r.BaseDir, p)
}

// file checks that a data file exists and is not a folder.
func (k *cfgCheck) file(key, given, resolved string) {
	if !k.checkFiles {
		return
	}
	if st, err := os.Stat(resolved); err != nil {
		k.ps.add(key, "%s: no such file (looked for %s; a relative path starts from the config file's folder %s): fix the path", given, resolved, k.r.BaseDir)
	} else if st.IsDir() {
		k.ps.add(key, "%s is a folder, not a file (resolved to %s)", given, resolved)
	}
}

func (k *cfgCheck) name() {
	switch n := k.c.Name; {
	case n == "":
		k.ps.add("name", "is required")
	case !cfgNamePattern.MatchString(n) || n == "." || n == ".." || len(n) > 100:
		ps := "%q must be 1 to 100 letters, digits, '.', '_' or '-' (and not . or ..): it names the results folder"
		if k.c.nameFromFile {
			ps = "is not set and the file name %q does not make a folder name: set name to letters, digits, '.', '_' and '-'"
		}
		k.ps.add("name", ps, n)
	}
}

// models checks the model list: known names, no duplicates, and the kind
// of experiment each needs.
func (k *cfgCheck) models() {
	k.c.validateModels(&k.ps, &k.r, models.NewRegistry(), k.c.Survival != nil)
}

// spendModel resolves spend_model (auto by the data's amounts).
func (k *cfgCheck) spendModel() {
	c, r := k.c, &k.r
	reg := models.NewRegistry()
	_, known := reg.Lookup(models.KindSpend, c.SpendModel)
	switch {
	case known:
		if c.Survival != nil {
			k.ps.add("spend_model", "%s needs a transaction log with amounts, but this config has a survival section: a contractual experiment values customers by clv.margin per period; leave spend_model out or set it to none", c.SpendModel)
			return
		}
		r.SpendModel = c.SpendModel
		if !r.HasAmount && (c.Data.Path != "" || c.Data.Embedded != "") {
			k.ps.add("spend_model", "%s needs amounts but data.amount is %s: name the amount column in data.amount, or set spend_model: none", c.SpendModel, cfgOrQuoted(c.Data.Amount, "not set"))
		}
	case c.SpendModel == "auto" || c.SpendModel == "":
		r.SpendModel = "none"
		if r.HasAmount {
			r.SpendModel = reg.DefaultSpend()
		}
	case c.SpendModel == "none":
		r.SpendModel = "none"
	default:
		k.ps.add("spend_model", "%q is not one of %s", c.SpendModel, strings.Join(cfgSpendModels, ", "))
	}
}

// clv checks the valuation keys and resolves the horizon (one year by
// default) and the discount rate per unit.
func (k *cfgCheck) clv() {
	c, r := k.c, &k.r
	if r.Unit.Days() > 0 {
		r.Horizon = c.CLV.Horizon
		if c.CLV.Horizon == 0 {
			r.Horizon = 365.25 / r.Unit.Days()
		}
		r.DiscountRatePerUnit = math.Expm1(math.Log1p(c.CLV.DiscountRate) * r.Unit.Days() / 365.25) // as models.PerUnitDiscountRate
	}
	switch h := c.CLV.Horizon; {
	case c.Survival != nil:
		r.Horizon = 0
		if h != 0 {
			k.ps.add("clv.horizon", "%v is set, but a contractual experiment (survival section) values a customer's whole remaining lifetime, discounted (DEL, DERL): leave clv.horizon out", h)
		}
	case !cfgFinite(h) || h < 0:
		k.ps.add("clv.horizon", "%v must be > 0 (in split.unit; 0 or absent means one year)", h)
	case r.Unit.Days() > 0 && h*r.Unit.Days() > 100*365.25:
		k.ps.add("clv.horizon", "%v %s is more than 100 years", h, r.Unit.Name)
	}
	if d := c.CLV.DiscountRate; !cfgFinite(d) || d < 0 || d >= 10 {
		k.ps.add("clv.discount_rate", "%v must be a yearly rate ≥ 0 and < 10 (0.10 is 10%% a year)", d)
	}
	if m := c.CLV.Margin; !cfgFinite(m) || m <= 0 || m > 1e6 {
		k.ps.add("clv.margin", "%v must be > 0 and ≤ 1e6 (1 values revenue)", m)
	}
}

// tuning checks the segments, fit, retention and hiatus keys.
func (k *cfgCheck) tuning() {
	c := k.c
	if g := c.Segments.Groups; g < 1 || g > 1000 {
		k.ps.add("segments.groups", "%d must be between 1 and 1000", g)
	}
	if p := c.Fit.Penalty; !cfgFinite(p) || p < 0 || p > 1e6 {
		k.ps.add("fit.penalty", "%v must be ≥ 0 and ≤ 1e6", p)
	}
	if n := c.Fit.MaxIterations; n < 1 || n > 1_000_000 {
		k.ps.add("fit.max_iterations", "%d must be between 1 and 1000000", n)
	}
	if u, ok := k.unit("retention.period", c.Retention.Period); ok {
		k.r.RetentionPeriod = u
	}
	if h := c.Hiatus.H; !cfgFinite(h) || h < 0 {
		k.ps.add("hiatus.h", "%v must be ≥ 0 (in split.unit; 0 derives it from the data)", h)
	}
}

// output resolves the results root: results/ in the working directory by
// default.
func (k *cfgCheck) output() {
	k.outputTable()
	k.r.OutputDir = k.path(k.c.Output.Dir)
	if k.c.Output.Dir == "" {
		if wd, err := os.Getwd(); err == nil {
			k.r.OutputDir = filepath.Join(wd, "results")
		} else {
			k.r.OutputDir = "results"
		}
	}
}

// gates checks each expect entry: a metric path naming a listed model, a
// known target and metric, and at least one finite bound.
func (k *cfgCheck) gates() {
	targets, metrics, example := cfgGateTargets, MetricNames(), "bgnbd.holdout.mae"
	if k.c.Survival != nil {
		targets, metrics, example = cfgSurvivalGateTargets, SurvivalMetricNames(), "sbg.survival.mape"
	}
	listed := make(map[string]bool, len(k.c.Models))
	for _, m := range k.c.Models {
		listed[m] = true
	}
	for i, g := range k.c.Expect {
		key := fmt.Sprintf("expect[%d]", i)
		parts := strings.Split(g.Metric, ".")
		switch {
		case k.r.Forecast:
			k.ps.add(key+".metric", "%q: a forecast run (no split.holdout_end) has no holdout, so no holdout metric to gate on: give split.holdout_end to backtest, or remove the gate", g.Metric)
		case g.Metric == "":
			k.ps.add(key+".metric", "is required: a path model.target.metric such as %s", example)
		case len(parts) != 3:
			k.ps.add(key+".metric", "%q is not a path model.target.metric such as %s", g.Metric, example)
		default:
			k.gatePath(key+".metric", g.Metric, parts, listed, targets, metrics)
		}
		k.gateBounds(key, g)
	}
}

func (k *cfgCheck) gatePath(key, metric string, parts []string, listed map[string]bool, targets, metrics []string) {
	if k.c.Survival == nil && isIntervalTarget(parts[1]) {
		k.intervalGatePath(key, metric, parts, listed)
		return
	}
	if !listed[parts[0]] {
		k.ps.add(key, "%q: model %q is not in models (%s)", metric, parts[0], cfgShortList(k.c.Models))
	}
	if !slices.Contains(targets, parts[1]) {
		k.ps.add(key, "%q: target %q is not one of %s", metric, parts[1], strings.Join(targets, ", "))
	} else if parts[1] == "holdout_revenue" && k.r.SpendModel == "none" {
		k.ps.add(key, "%q: the run has no revenue (spend model none): gate on holdout instead, or give data.amount and a spend_model", metric)
	}
	if !slices.Contains(metrics, parts[2]) {
		k.ps.add(key, "%q: metric %q is not one of %s", metric, parts[2], strings.Join(metrics, ", "))
	}
}

func (k *cfgCheck) gateBounds(key string, g Gate) {
	switch {
	case g.Min == nil && g.Max == nil:
		k.ps.add(key, "(%s) has neither min nor max: give at least one bound", g.Metric)
	case g.Min != nil && !cfgFinite(*g.Min):
		k.ps.add(key+".min", "%v must be a finite number", *g.Min)
	case g.Max != nil && !cfgFinite(*g.Max):
		k.ps.add(key+".max", "%v must be a finite number", *g.Max)
	case g.Min != nil && g.Max != nil && *g.Min > *g.Max:
		k.ps.add(key, "(%s) has min %v > max %v", g.Metric, *g.Min, *g.Max)
	}
}

// cfgShortList joins names for a message, eliding the middle of a long
// list so that a message stays short whatever the config holds.
func cfgShortList(names []string) string {
	const max = 12
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max-2], ", ") + fmt.Sprintf(", … (%d more), ", len(names)-max+1) + names[len(names)-1]
}

func cfgOrQuoted(s, empty string) string {
	if s == "" {
		return empty
	}
	return fmt.Sprintf("%q", s)
}

func cfgFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ensureResolved stores Resolve's result in c.Resolved, as Load does, so
// that the runner also works on a Config built in code; it reports the
// config's problems as Validate does.
func (c *Config) ensureResolved() error {
	r, err := c.Resolve()
	if err != nil {
		return err
	}
	c.Resolved = r
	return nil
}
