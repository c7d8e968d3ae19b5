package experiments

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// data checks the data section of a transaction-log config and resolves
// its paths, format, header, date layout and columns.
func (k *cfgCheck) data() {
	d, r := k.c.Data, &k.r
	if d.Engine != "" || d.DSNEnv != "" || d.Table != "" || d.Query != "" {
		k.engineData()
		return
	}
	switch {
	case d.Path != "" && d.Embedded != "":
		k.ps.add("data.path", "and data.embedded are both set: give exactly one")
	case d.Path == "" && d.Embedded == "":
		k.ps.add("data.path", "is not set: give data.path (a transaction log file) or data.embedded (one of %s)", strings.Join(datasets.EmbeddedNames(), ", "))
	}
	k.layout()
	if d.Rejects != "" {
		if strings.ToLower(d.OnBadRow) != "skip" {
			k.ps.add("data.rejects", "is set but data.on_bad_row is %s: rows are only rejected with on_bad_row: skip", cfgOrQuoted(d.OnBadRow, "empty"))
		}
		r.RejectsPath = k.path(d.Rejects)
	}
	if d.Embedded != "" {
		k.embedded()
		return
	}
	if d.Path == "" {
		return
	}
	r.DataPath = k.path(d.Path)
	k.file("data.path", d.Path, r.DataPath)
	k.columns()
}

// layout checks how the log is written: format, header, delimiter, date
// format and the bad-row policy.
func (k *cfgCheck) layout() {
	d, r := k.c.Data, &k.r
	r.Format = strings.ToLower(d.Format)
	if !slices.Contains(cfgFormats, r.Format) {
		k.ps.add("data.format", "%q is not one of %s", d.Format, strings.Join(cfgFormats, ", "))
	}
	r.Header = strings.ToLower(d.Header)
	switch r.Header {
	case "true":
		r.Header = "yes"
	case "false":
		r.Header = "no"
	}
	if !slices.Contains(cfgHeaders, r.Header) {
		k.ps.add("data.header", "%q is not one of %s", d.Header, strings.Join(cfgHeaders, ", "))
	}
	if r.Format == "parquet" && r.Header == "no" {
		k.ps.add("data.header", "is no, but parquet files always name their columns: leave data.header at auto")
	}
	k.delimiter()
	// The reader's own parser decides what a valid layout is.
	if _, err := datasets.ParseDateLayout(d.DateFormat); err == nil {
		r.DateLayout = d.DateFormat
		if l, ok := cfgDateFormats[strings.ToLower(strings.TrimSpace(d.DateFormat))]; ok {
			r.DateLayout = l
		}
	} else {
		k.ps.add("data.date_format", "%q is neither one of iso, 20060102, rfc3339, unix nor a Go time layout with year, month and day (write the date 2006-01-02 as your file does, e.g. 02/01/2006)", d.DateFormat)
	}
	if !slices.Contains(cfgOnBadRows, strings.ToLower(d.OnBadRow)) {
		k.ps.add("data.on_bad_row", "%q is not one of %s", d.OnBadRow, strings.Join(cfgOnBadRows, ", "))
	}
}

// embedded resolves the fixed layout of a built-in data set, which the
// layout keys must leave alone.
func (k *cfgCheck) embedded() {
	d, r := k.c.Data, &k.r
	ok := slices.Contains(datasets.EmbeddedNames(), d.Embedded)
	if !ok {
		k.ps.add("data.embedded", "%q is not a built-in data set: choose among %s", d.Embedded, strings.Join(datasets.EmbeddedNames(), ", "))
	}
	for _, f := range []struct{ key, val, def string }{
		{"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
		{"data.format", d.Format, "auto"}, {"data.header", d.Header, "auto"}, {"data.date_format", d.DateFormat, "iso"},
		{"data.delimiter", d.Delimiter, ""},
	} {
		if v := strings.ToLower(f.val); v != f.def && v != "" {
			k.ps.add(f.key, "%q is set, but embedded data has a fixed layout: leave it out with data.embedded", f.val)
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
}

// columns resolves the customer, date and amount selectors of a log file.
func (k *cfgCheck) columns() {
	d, r := k.c.Data, &k.r
	var okC, okD bool
	r.Customer, okC = k.column("data.customer", d.Customer, true)
	r.Date, okD = k.column("data.date", d.Date, true)
	if okC && okD && r.Customer == r.Date {
		k.ps.add("data.date", "selects the same column as data.customer (%s)", r.Customer)
	}
	if a := strings.ToLower(d.Amount); a != "" && a != "none" {
		var okA bool
		r.Amount, okA = k.column("data.amount", d.Amount, false)
		r.HasAmount = okA
		if okA && ((okC && r.Amount == r.Customer) || (okD && r.Amount == r.Date)) {
			k.ps.add("data.amount", "selects the same column as data.customer or data.date (%s)", r.Amount)
		}
	}
}

// column reads one column selector; ok is false when none is chosen.
func (k *cfgCheck) column(key, val string, required bool) (c Column, ok bool) {
	if val == "" {
		if required {
			k.ps.add(key, "is required with data.path: give the column's header name or its 0-based index")
		}
		return Column{Index: -1}, false
	}
	cl, err := parseConfigColumn(val)
	if err != nil {
		k.ps.add(key, "%q: %v", val, err)
		return Column{Index: -1}, false
	}
	if !cl.ByIndex() && k.r.Header == "no" {
		k.ps.add(key, "%q is a column name, but data.header is no: give the column's 0-based index", val)
	}
	return cl, true
}

// split checks the split section and resolves the backtest windows.
func (k *cfgCheck) split() {
	s, r := k.c.Split, &k.r
	if u, ok := k.unit("split.unit", s.Unit); ok {
		r.Unit = u
	}
	if s.HoldoutEnd == "" {
		k.forecastSplit()
		return
	}
	var calOK, holdOK bool
	r.CalibrationEnd, calOK = k.date("split.calibration_end", s.CalibrationEnd)
	r.HoldoutEnd, holdOK = k.date("split.holdout_end", s.HoldoutEnd)
	if calOK && holdOK && !r.HoldoutEnd.After(r.CalibrationEnd) {
		rel := "is before"
		if r.HoldoutEnd.Equal(r.CalibrationEnd) {
			rel = "is the same day as"
		}
		k.ps.add("split.holdout_end", "%s %s split.calibration_end %s: the holdout must end after calibration", s.HoldoutEnd, rel, s.CalibrationEnd)
		holdOK = false
	}
	if calOK && holdOK {
		r.HoldoutDays = int(math.Round(r.HoldoutEnd.Sub(r.CalibrationEnd).Hours() / 24))
	}
	k.origins(calOK && holdOK)
	if calOK && holdOK {
		for _, o := range r.Origins {
			r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: o, HoldoutEnd: o.AddDate(0, 0, r.HoldoutDays)})
		}
		r.Windows = append(r.Windows, BacktestWindow{CalibrationEnd: r.CalibrationEnd, HoldoutEnd: r.HoldoutEnd, Main: true})
	}
}

// forecastSplit resolves the split of a forecast run (no
// split.holdout_end): one window, fitted up to split.calibration_end, or
// when that is not given up to the data's last date (a zero
// CalibrationEnd, set when the data is read; see forecast.go).
func (k *cfgCheck) forecastSplit() {
	s, r := k.c.Split, &k.r
	r.Forecast = true
	if s.CalibrationEnd != "" {
		if t, ok := k.date("split.calibration_end", s.CalibrationEnd); ok {
			r.CalibrationEnd = t
		}
	}
	if len(s.Origins) > 0 {
		k.ps.add("split.origins", "needs split.holdout_end: a forecast run (no split.holdout_end) has no holdout to backtest; give split.holdout_end, or remove split.origins")
	}
	r.Windows = []BacktestWindow{{CalibrationEnd: r.CalibrationEnd, Main: true}}
}

// origins checks the rolling origins: increasing, each before the main
// calibration end (checked when the main window is valid).
func (k *cfgCheck) origins(mainOK bool) {
	s, r := k.c.Split, &k.r
	var prev time.Time
	for i, o := range s.Origins {
		key := fmt.Sprintf("split.origins[%d]", i)
		t, ok := k.date(key, o)
		if !ok {
			continue
		}
		switch {
		case !prev.IsZero() && !t.After(prev):
			k.ps.add(key, "%s is not after the origin before it, %s: list origins in increasing order, each once", o, prev.Format(time.DateOnly))
		case mainOK && !t.Before(r.CalibrationEnd):
			k.ps.add(key, "%s is not before split.calibration_end %s: an origin's holdout has the main holdout's length (%d days), so it would end %s, after split.holdout_end %s",
				o, s.CalibrationEnd, r.HoldoutDays, t.AddDate(0, 0, r.HoldoutDays).Format(time.DateOnly), s.HoldoutEnd)
		}
		prev = t
		r.Origins = append(r.Origins, t)
	}
}

// survival checks the survival section of a contractual config, and that
// the transaction-log sections (data, split) are left out.
func (k *cfgCheck) survival() {
	s, r := k.c.Survival, &k.r
	if s.Path == "" {
		k.ps.add("survival.path", "is required: a CSV of period, customers still active at the start of the period (period 0 the cohort size)")
	} else {
		r.SurvivalPath = k.path(s.Path)
		k.file("survival.path", s.Path, r.SurvivalPath)
	}
	switch n := s.CalibrationPeriods; {
	case n == 0:
		k.ps.add("survival.calibration_periods", "is required: the last period the model is fitted on (≥ 2); the periods after it are the holdout")
	case n < 2:
		k.ps.add("survival.calibration_periods", "%d must be ≥ 2: the sBG's two parameters need at least two renewal rates to fit on", n)
	case n > 1_000_000:
		k.ps.add("survival.calibration_periods", "%d must be at most 1000000", n)
	}
	period := s.Period
	if period == "" {
		period = "year"
	}
	if u, ok := k.unit("survival.period", period); ok {
		r.Unit = u
	}
	if set := k.c.Data.setKeys(); len(set) > 0 {
		k.ps.add("data", "%s", cfgSurvivalConflict("data", set))
	}
	if set := k.c.Split.setKeys(); len(set) > 0 {
		k.ps.add("split", "%s", cfgSurvivalConflict("split", set))
	}
}

// setKeys lists the data keys given a value other than their default.
func (d DataConfig) setKeys() []string {
	var set []string
	for _, f := range []struct{ key, val, def string }{
		{"data.path", d.Path, ""}, {"data.embedded", d.Embedded, ""}, {"data.format", d.Format, "auto"},
		{"data.header", d.Header, "auto"}, {"data.customer", d.Customer, ""}, {"data.date", d.Date, ""},
		{"data.amount", d.Amount, ""}, {"data.date_format", d.DateFormat, "iso"},
		{"data.on_bad_row", d.OnBadRow, "fail"}, {"data.rejects", d.Rejects, ""}, {"data.delimiter", d.Delimiter, ""},
	} {
		if v := strings.ToLower(f.val); v != "" && v != f.def {
			set = append(set, f.key)
		}
	}
	return set
}

// setKeys lists the split keys given a value other than their default.
func (s SplitConfig) setKeys() []string {
	var set []string
	if u := strings.ToLower(s.Unit); u != "" && u != "week" {
		set = append(set, "split.unit")
	}
	if s.CalibrationEnd != "" {
		set = append(set, "split.calibration_end")
	}
	if s.HoldoutEnd != "" {
		set = append(set, "split.holdout_end")
	}
	if len(s.Origins) > 0 {
		set = append(set, "split.origins")
	}
	return set
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

// unit reads a time unit.
func (k *cfgCheck) unit(key, s string) (datasets.Unit, bool) {
	u, err := datasets.ParseUnit(s)
	if err != nil {
		k.ps.add(key, "%q is not a time unit: use day, week, month, year or a number of days such as 14d", s)
		return datasets.Unit{}, false
	}
	return u, true
}

// date reads a required YYYY-MM-DD date as midnight UTC.
func (k *cfgCheck) date(key, s string) (time.Time, bool) {
	if s == "" {
		k.ps.add(key, "is required: a date YYYY-MM-DD")
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		k.ps.add(key, "%q is not a date YYYY-MM-DD", s)
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

// delimiter checks data.delimiter against data.format. The reader's own
// parser (datasets.ParseDelimiter) decides which delimiters exist: comma,
// semicolon, tab, pipe and whitespace, by name or as the character itself.
func (k *cfgCheck) delimiter() {
	d, r := k.c.Data, &k.r
	if d.Delimiter == "" {
		return
	}
	sep, err := datasets.ParseDelimiter(d.Delimiter)
	if err != nil {
		k.ps.add("data.delimiter", "%q is not a delimiter: use comma, semicolon, tab, pipe or whitespace (or the character itself: , ; | or a tab)", d.Delimiter)
		return
	}
	r.Delimiter = sep
	switch {
	case sep == datasets.DelimiterAuto:
	case r.Format == "parquet":
		k.ps.add("data.delimiter", "is set, but data.format is parquet, which has no delimiter: leave data.delimiter out")
	case r.Format == "tsv" && sep != datasets.DelimiterTab, r.Format == "whitespace" && sep != datasets.DelimiterWhitespace,
		r.Format == "csv" && sep == datasets.DelimiterWhitespace:
		k.ps.add("data.delimiter", "%q contradicts data.format %s: set data.format to auto, or leave data.delimiter out", d.Delimiter, r.Format)
	}
}

// delimiterName is the canonical spelling of a resolved delimiter: its
// name, and "" for auto (so that writing auto keeps the hash of a config
// without the key).
func delimiterName(d datasets.Delimiter) string {
	if d == datasets.DelimiterAuto {
		return ""
	}
	return d.String()
}
