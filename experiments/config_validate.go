package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// directory when c.File is empty); data.path must exist.
func (c *Config) Validate() error { return c.validate(true) }

func (c *Config) validate(checkFiles bool) error {
	var ps cfgProblems
	none := Column{Index: -1} // a column not (yet) selected: neither a name nor an index
	r := ResolvedConfig{Customer: none, Date: none, Amount: none}
	c.validated = false

	base := "."
	if c.File != "" {
		base = filepath.Dir(c.File)
		if abs, err := filepath.Abs(c.File); err == nil {
			r.ConfigFile = abs
		}
	}
	if abs, err := filepath.Abs(base); err == nil {
		base = abs
	}
	r.BaseDir = base
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}

	// name
	if c.Name == "" && c.File != "" {
		c.Name = strings.TrimSuffix(filepath.Base(c.File), filepath.Ext(c.File))
		if !cfgNamePattern.MatchString(c.Name) {
			ps.add("name", "is not set and the file name %q does not make a folder name: set name to letters, digits, '.', '_' and '-'", c.Name)
		}
	} else if c.Name == "" {
		ps.add("name", "is required")
	} else if !cfgNamePattern.MatchString(c.Name) || c.Name == "." || c.Name == ".." || len(c.Name) > 100 {
		ps.add("name", "%q must be 1 to 100 letters, digits, '.', '_' or '-' (and not . or ..): it names the results folder", c.Name)
	}

	contractual := c.Survival != nil
	if contractual {
		c.validateSurvival(&ps, &r, resolve, checkFiles)
	} else {
		c.validateData(&ps, &r, resolve, checkFiles)
		c.validateSplit(&ps, &r)
	}

	// models
	c.validateModels(&ps, &r, models.NewRegistry(), contractual)

	// spend model
	switch c.SpendModel {
	case "gammagamma", "average":
		if contractual {
			ps.add("spend_model", "%s needs a transaction log with amounts, but this config has a survival section: a contractual experiment values customers by clv.margin per period; leave spend_model out or set it to none", c.SpendModel)
			break
		}
		r.SpendModel = c.SpendModel
		if !r.HasAmount && (c.Data.Path != "" || c.Data.Embedded != "") {
			ps.add("spend_model", "%s needs amounts but data.amount is %s: name the amount column in data.amount, or set spend_model: none", c.SpendModel, cfgOrQuoted(c.Data.Amount, "not set"))
		}
	case "auto", "":
		r.SpendModel = "none"
		if r.HasAmount {
			r.SpendModel = "gammagamma"
		}
	case "none":
		r.SpendModel = "none"
	default:
		ps.add("spend_model", "%q is not one of %s", c.SpendModel, strings.Join(cfgSpendModels, ", "))
	}

	// clv
	if r.Unit.Days() > 0 {
		r.Horizon = c.CLV.Horizon
		if c.CLV.Horizon == 0 {
			r.Horizon = 365.25 / r.Unit.Days()
		}
		r.DiscountRatePerUnit = math.Expm1(math.Log1p(c.CLV.DiscountRate) * r.Unit.Days() / 365.25) // as models.PerUnitDiscountRate
	}
	switch h := c.CLV.Horizon; {
	case contractual:
		r.Horizon = 0
		if h != 0 {
			ps.add("clv.horizon", "%v is set, but a contractual experiment (survival section) values a customer's whole remaining lifetime, discounted (DEL, DERL): leave clv.horizon out", h)
		}
	case !cfgFinite(h) || h < 0:
		ps.add("clv.horizon", "%v must be > 0 (in split.unit; 0 or absent means one year)", h)
	case r.Unit.Days() > 0 && h*r.Unit.Days() > 100*365.25:
		ps.add("clv.horizon", "%v %s is more than 100 years", h, r.Unit.Name)
	}
	if d := c.CLV.DiscountRate; !cfgFinite(d) || d < 0 || d >= 10 {
		ps.add("clv.discount_rate", "%v must be a yearly rate ≥ 0 and < 10 (0.10 is 10%% a year)", d)
	}
	if m := c.CLV.Margin; !cfgFinite(m) || m <= 0 || m > 1e6 {
		ps.add("clv.margin", "%v must be > 0 and ≤ 1e6 (1 values revenue)", m)
	}

	if g := c.Segments.Groups; g < 1 || g > 1000 {
		ps.add("segments.groups", "%d must be between 1 and 1000", g)
	}
	if p := c.Fit.Penalty; !cfgFinite(p) || p < 0 || p > 1e6 {
		ps.add("fit.penalty", "%v must be ≥ 0 and ≤ 1e6", p)
	}
	if n := c.Fit.MaxIterations; n < 1 || n > 1_000_000 {
		ps.add("fit.max_iterations", "%d must be between 1 and 1000000", n)
	}
	if u, err := datasets.ParseUnit(c.Retention.Period); err != nil {
		ps.add("retention.period", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", c.Retention.Period)
	} else {
		r.RetentionPeriod = u
	}
	if h := c.Hiatus.H; !cfgFinite(h) || h < 0 {
		ps.add("hiatus.h", "%v must be ≥ 0 (in split.unit; 0 derives it from the data)", h)
	}

	c.validateGates(&ps, &r)

	r.OutputDir = resolve(c.Output.Dir)
	if c.Output.Dir == "" {
		if wd, err := os.Getwd(); err == nil {
			r.OutputDir = filepath.Join(wd, "results")
		} else {
			r.OutputDir = "results"
		}
	}

	c.Resolved = r
	if len(ps.list) > 0 {
		return &ConfigError{File: c.File, Problems: ps.list}
	}
	c.validated = true
	return nil
}

func (c *Config) validateData(ps *cfgProblems, r *ResolvedConfig, resolve func(string) string, checkFiles bool) {
	d := c.Data
	switch {
	case d.Path != "" && d.Embedded != "":
		ps.add("data.path", "and data.embedded are both set: give exactly one (--set data.path= clears the path)")
	case d.Path == "" && d.Embedded == "":
		ps.add("data.path", "is not set: give data.path (a transaction log file) or data.embedded (one of %s)", strings.Join(datasets.EmbeddedNames(), ", "))
	}

	r.Format = strings.ToLower(d.Format)
	if !slices.Contains(cfgFormats, r.Format) {
		ps.add("data.format", "%q is not one of %s", d.Format, strings.Join(cfgFormats, ", "))
	}
	r.Header = strings.ToLower(d.Header)
	switch r.Header {
	case "true":
		r.Header = "yes"
	case "false":
		r.Header = "no"
	}
	if !slices.Contains(cfgHeaders, r.Header) {
		ps.add("data.header", "%q is not one of %s", d.Header, strings.Join(cfgHeaders, ", "))
	}
	if r.Format == "parquet" && r.Header == "no" {
		ps.add("data.header", "is no, but parquet files always name their columns: leave data.header at auto")
	}
	r.DateLayout = ""
	// The reader's own parser decides what a valid layout is.
	if _, err := datasets.ParseDateLayout(d.DateFormat); err == nil {
		r.DateLayout = d.DateFormat
		if l, ok := cfgDateFormats[strings.ToLower(strings.TrimSpace(d.DateFormat))]; ok {
			r.DateLayout = l
		}
	} else {
		ps.add("data.date_format", "%q is neither one of iso, 20060102, rfc3339, unix nor a Go time layout with year, month and day (write the date 2006-01-02 as your file does, e.g. 02/01/2006)", d.DateFormat)
	}
	switch strings.ToLower(d.OnBadRow) {
	case "fail", "skip":
	default:
		ps.add("data.on_bad_row", "%q is not one of %s", d.OnBadRow, strings.Join(cfgOnBadRows, ", "))
	}
	if d.Rejects != "" {
		if strings.ToLower(d.OnBadRow) != "skip" {
			ps.add("data.rejects", "is set but data.on_bad_row is %s: rows are only rejected with on_bad_row: skip", cfgOrQuoted(d.OnBadRow, "empty"))
		}
		r.RejectsPath = resolve(d.Rejects)
	}

	if d.Embedded != "" {
		// Every embedded set is a CSV log with customer_id, date and amount.
		ok := slices.Contains(datasets.EmbeddedNames(), d.Embedded)
		if !ok {
			ps.add("data.embedded", "%q is not a built-in data set: choose among %s", d.Embedded, strings.Join(datasets.EmbeddedNames(), ", "))
		}
		for _, f := range []struct{ key, val, def string }{
			{"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
			{"data.format", d.Format, "auto"}, {"data.header", d.Header, "auto"}, {"data.date_format", d.DateFormat, "iso"},
		} {
			if v := strings.ToLower(f.val); v != f.def && v != "" {
				ps.add(f.key, "%q is set, but embedded data has a fixed layout: leave it out with data.embedded", f.val)
			}
		}
		// The layout datasets.Embedded documents: CSV with a header
		// customer_id,date,amount and ISO dates.
		r.Format, r.Header, r.DateLayout = "csv", "yes", time.DateOnly
		r.Customer = Column{Name: "customer_id", Index: -1}
		r.Date = Column{Name: "date", Index: -1}
		if ok && strings.ToLower(d.Amount) != "none" {
			r.Amount, r.HasAmount = Column{Name: "amount", Index: -1}, true
		}
		return
	}
	if d.Path == "" {
		return
	}

	r.DataPath = resolve(d.Path)
	if checkFiles {
		if st, err := os.Stat(r.DataPath); err != nil {
			ps.add("data.path", "%s: no such file (looked for %s; a relative path starts from the config file's folder %s): fix the path or pass --set data.path=FILE", d.Path, r.DataPath, r.BaseDir)
		} else if st.IsDir() {
			ps.add("data.path", "%s is a folder, not a file (resolved to %s)", d.Path, r.DataPath)
		}
	}

	byName := r.Header != "no"
	col := func(key, val string, required bool) (Column, bool) {
		if val == "" {
			if required {
				ps.add(key, "is required with data.path: give the column's header name or its 0-based index")
			}
			return Column{Index: -1}, false
		}
		cl, err := parseConfigColumn(val)
		if err != nil {
			ps.add(key, "%q: %v", val, err)
			return Column{Index: -1}, false
		}
		if !cl.ByIndex() && !byName {
			ps.add(key, "%q is a column name, but data.header is no: give the column's 0-based index", val)
		}
		return cl, true
	}
	var okC, okD bool
	r.Customer, okC = col("data.customer", d.Customer, true)
	r.Date, okD = col("data.date", d.Date, true)
	if okC && okD && r.Customer == r.Date {
		ps.add("data.date", "selects the same column as data.customer (%s)", r.Customer)
	}
	if a := strings.ToLower(d.Amount); a != "" && a != "none" {
		var okA bool
		r.Amount, okA = col("data.amount", d.Amount, false)
		r.HasAmount = okA
		if okA && ((okC && r.Amount == r.Customer) || (okD && r.Amount == r.Date)) {
			ps.add("data.amount", "selects the same column as data.customer or data.date (%s)", r.Amount)
		}
	}
}

func (c *Config) validateSplit(ps *cfgProblems, r *ResolvedConfig) {
	s := c.Split
	if u, err := datasets.ParseUnit(s.Unit); err != nil {
		ps.add("split.unit", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", s.Unit)
	} else {
		r.Unit = u
	}
	calOK, holdOK := false, false
	r.CalibrationEnd, calOK = parseConfigDate(ps, "split.calibration_end", s.CalibrationEnd, true)
	r.HoldoutEnd, holdOK = parseConfigDate(ps, "split.holdout_end", s.HoldoutEnd, true)
	if calOK && holdOK && !r.HoldoutEnd.After(r.CalibrationEnd) {
		rel := "is before"
		if r.HoldoutEnd.Equal(r.CalibrationEnd) {
			rel = "is the same day as"
		}
		ps.add("split.holdout_end", "%s %s split.calibration_end %s: the holdout must end after calibration", s.HoldoutEnd, rel, s.CalibrationEnd)
		holdOK = false
	}
	if calOK && holdOK {
		r.HoldoutDays = int(math.Round(r.HoldoutEnd.Sub(r.CalibrationEnd).Hours() / 24))
	}
	var prev time.Time
	r.Origins = nil
	for i, o := range s.Origins {
		key := fmt.Sprintf("split.origins[%d]", i)
		t, ok := parseConfigDate(ps, key, o, true)
		if !ok {
			continue
		}
		switch {
		case !prev.IsZero() && !t.After(prev):
			ps.add(key, "%s is not after the origin before it, %s: list origins in increasing order, each once", o, prev.Format(time.DateOnly))
		case calOK && holdOK && !t.Before(r.CalibrationEnd):
			ps.add(key, "%s is not before split.calibration_end %s: an origin's holdout has the main holdout's length (%d days), so it would end %s, after split.holdout_end %s",
				o, s.CalibrationEnd, r.HoldoutDays, t.AddDate(0, 0, r.HoldoutDays).Format(time.DateOnly), s.HoldoutEnd)
		}
		prev = t
		r.Origins = append(r.Origins, t)
	}
	if calOK && holdOK {
		for _, o := range r.Origins {
			r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: o, HoldoutEnd: o.AddDate(0, 0, r.HoldoutDays)})
		}
		r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: r.CalibrationEnd, HoldoutEnd: r.HoldoutEnd, Main: true})
	}
}

// validateSurvival checks the survival section of a contractual config,
// and that the transaction-log sections (data, split) are left out.
func (c *Config) validateSurvival(ps *cfgProblems, r *ResolvedConfig, resolve func(string) string, checkFiles bool) {
	s := c.Survival
	if s.Path == "" {
		ps.add("survival.path", "is required: a CSV of period, customers still active at the start of the period (period 0 the cohort size)")
	} else {
		r.SurvivalPath = resolve(s.Path)
		if checkFiles {
			if st, err := os.Stat(r.SurvivalPath); err != nil {
				ps.add("survival.path", "%s: no such file (looked for %s; a relative path starts from the config file's folder %s): fix the path or pass --set survival.path=FILE", s.Path, r.SurvivalPath, r.BaseDir)
			} else if st.IsDir() {
				ps.add("survival.path", "%s is a folder, not a file (resolved to %s)", s.Path, r.SurvivalPath)
			}
		}
	}
	switch n := s.CalibrationPeriods; {
	case n == 0:
		ps.add("survival.calibration_periods", "is required: the last period the model is fitted on (≥ 2); the periods after it are the holdout")
	case n < 2:
		ps.add("survival.calibration_periods", "%d must be ≥ 2: the sBG's two parameters need at least two renewal rates to fit on", n)
	case n > 1_000_000:
		ps.add("survival.calibration_periods", "%d must be at most 1000000", n)
	}
	period := s.Period
	if period == "" {
		period = "year"
	}
	if u, err := datasets.ParseUnit(period); err != nil {
		ps.add("survival.period", "%q is not a time unit: use day, week, month, year or a number of days such as 14d", s.Period)
	} else {
		r.Unit = u
	}

	d := c.Data
	var set []string
	for _, f := range []struct{ key, val, def string }{
		{"data.path", d.Path, ""}, {"data.embedded", d.Embedded, ""}, {"data.format", d.Format, "auto"},
		{"data.header", d.Header, "auto"}, {"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
		{"data.amount", d.Amount, ""}, {"data.date_format", d.DateFormat, "iso"},
		{"data.on_bad_row", d.OnBadRow, "fail"}, {"data.rejects", d.Rejects, ""},
	} {
		if v := strings.ToLower(f.val); v != "" && v != f.def {
			set = append(set, f.key)
		}
	}
	if len(set) > 0 {
		ps.add("data", "%s", cfgSurvivalConflict("data", set))
	}
	set = nil
	if u := strings.ToLower(c.Split.Unit); u != "" && u != "week" {
		set = append(set, "split.unit")
	}
	if c.Split.CalibrationEnd != "" {
		set = append(set, "split.calibration_end")
	}
	if c.Split.HoldoutEnd != "" {
		set = append(set, "split.holdout_end")
	}
	if len(c.Split.Origins) > 0 {
		set = append(set, "split.origins")
	}
	if len(set) > 0 {
		ps.add("split", "%s", cfgSurvivalConflict("split", set))
	}
}

// cfgSurvivalConflict explains why a data or split section cannot go with
// a survival section; set lists the keys given, if known.
func cfgSurvivalConflict(section string, set []string) string {
	given := "is given"
	if len(set) > 0 {
		given = "is given (" + strings.Join(set, ", ") + ")"
	}
	why := "a contractual experiment reads a cohort's survivor counts from survival.path, not a transaction log"
	if section == "split" {
		why = "a contractual experiment fits on periods 0 to survival.calibration_periods, scores the periods after them, and takes the period length from survival.period"
	}
	return fmt.Sprintf("%s, but this config has a survival section: %s; leave %s out", given, why, section)
}

func (c *Config) validateGates(ps *cfgProblems, r *ResolvedConfig) {
	targets, metrics, example := cfgGateTargets, MetricNames(), "bgnbd.holdout.mae"
	if c.Survival != nil {
		targets, metrics, example = cfgSurvivalGateTargets, SurvivalMetricNames(), "sbg.survival.mape"
	}
	for i, g := range c.Expect {
		key := fmt.Sprintf("expect[%d]", i)
		parts := strings.Split(g.Metric, ".")
		switch {
		case g.Metric == "":
			ps.add(key+".metric", "is required: a path model.target.metric such as %s", example)
		case len(parts) != 3:
			ps.add(key+".metric", "%q is not a path model.target.metric such as %s", g.Metric, example)
		default:
			if !slices.Contains(c.Models, parts[0]) {
				ps.add(key+".metric", "%q: model %q is not in models (%s)", g.Metric, parts[0], strings.Join(c.Models, ", "))
			}
			if !slices.Contains(targets, parts[1]) {
				ps.add(key+".metric", "%q: target %q is not one of %s", g.Metric, parts[1], strings.Join(targets, ", "))
			} else if parts[1] == "holdout_revenue" && r.SpendModel == "none" {
				ps.add(key+".metric", "%q: the run has no revenue (spend model none): gate on holdout instead, or give data.amount and a spend_model", g.Metric)
			}
			if !slices.Contains(metrics, parts[2]) {
				ps.add(key+".metric", "%q: metric %q is not one of %s", g.Metric, parts[2], strings.Join(metrics, ", "))
			}
		}
		switch {
		case g.Min == nil && g.Max == nil:
			ps.add(key, "(%s) has neither min nor max: give at least one bound", g.Metric)
		case g.Min != nil && !cfgFinite(*g.Min):
			ps.add(key+".min", "%v must be a finite number", *g.Min)
		case g.Max != nil && !cfgFinite(*g.Max):
			ps.add(key+".max", "%v must be a finite number", *g.Max)
		case g.Min != nil && g.Max != nil && *g.Min > *g.Max:
			ps.add(key, "(%s) has min %v > max %v", g.Metric, *g.Min, *g.Max)
		}
	}
}

// parseConfigDate reads a YYYY-MM-DD date as midnight UTC.
func parseConfigDate(ps *cfgProblems, key, s string, required bool) (time.Time, bool) {
	if s == "" {
		if required {
			ps.add(key, "is required: a date YYYY-MM-DD")
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		ps.add(key, "%q is not a date YYYY-MM-DD", s)
		return time.Time{}, false
	}
	return t, true
}

// parseConfigColumn reads a column selector: a number is a 0-based index,
// anything else a header name.
func parseConfigColumn(s string) (Column, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 100000 {
			return Column{}, fmt.Errorf("column index %d is out of range 0..100000", n)
		}
		return Column{Index: n}, nil
	}
	return Column{Name: s, Index: -1}, nil
}

// canonicalConfig is the config in canonical form: every key present,
// defaults filled in and, once validated, spellings normalized (unit,
// dates, spend model, horizon). Paths are kept as written, so the hash does

func cfgOrQuoted(s, empty string) string {
	if s == "" {
		return empty
	}
	return strconv.Quote(s)
}

func cfgFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
