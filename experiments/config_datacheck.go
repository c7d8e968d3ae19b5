package experiments

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// SplitError reports a window of the config that the data cannot fill: a
// calibration end on or after the last transaction (the holdout would hold
// no purchase), or a holdout that ends after it (the missing days would be
// scored as days without purchases).
type SplitError struct {
	Key      string    // the config key: split.calibration_end or split.holdout_end
	Date     time.Time // its value
	LastDate time.Time // the date of the data's last transaction
	Forecast bool      // the config is a forecast run (no holdout)
}

// Error names the key, its date and the last transaction date, and says
// what to do.
func (e *SplitError) Error() string {
	d, last := e.Date.Format(time.DateOnly), e.LastDate.Format(time.DateOnly)
	if e.Forecast {
		return fmt.Sprintf("%s %s is after the last transaction date %s of the data: a forecast starts from the calibration end; set %s to %s or earlier, or leave it out to forecast from the last date",
			e.Key, d, last, e.Key, last)
	}
	if e.Key == "split.calibration_end" {
		return fmt.Sprintf("%s %s is not before the last transaction date %s of the data: the holdout would hold no purchase to score; set %s before %s",
			e.Key, d, last, e.Key, last)
	}
	days := int(math.Round(e.Date.Sub(e.LastDate).Hours() / 24))
	return fmt.Sprintf("%s %s is after the last transaction date %s of the data: its last %d day(s) have no data and would be scored as days without purchases; set %s to %s or earlier",
		e.Key, d, last, days, e.Key, last)
}

// CheckSplitAgainstData checks the main backtest window of a resolved
// transaction-log config against the date of the data's last transaction
// (datasets.Summary.LastDate): the calibration end must come before it and
// the holdout end must not come after it. The rolling origins' windows end
// by the holdout end, so they are covered. It returns nil for a zero
// lastDate (no dated row: other checks report that) and a *DataError
// holding a *SplitError otherwise.
func CheckSplitAgainstData(cfg *Config, lastDate time.Time) error {
	r := cfg.Resolved
	if lastDate.IsZero() || cfg.Survival != nil || r.CalibrationEnd.IsZero() {
		return nil
	}
	switch {
	case r.Forecast:
		if r.CalibrationEnd.After(lastDate) {
			return &DataError{Err: &SplitError{Key: "split.calibration_end", Date: r.CalibrationEnd, LastDate: lastDate, Forecast: true}}
		}
	case !r.CalibrationEnd.Before(lastDate):
		return &DataError{Err: &SplitError{Key: "split.calibration_end", Date: r.CalibrationEnd, LastDate: lastDate}}
	case r.HoldoutEnd.After(lastDate):
		return &DataError{Err: &SplitError{Key: "split.holdout_end", Date: r.HoldoutEnd, LastDate: lastDate}}
	}
	return nil
}

// ColumnError reports a column the config selects that the data does not
// have: a name missing from the header, or an index past the last field.
type ColumnError struct {
	Key     string   // the config key: data.customer, data.date or data.amount
	File    string   // the data file as given
	Column  Column   // the selector
	Columns []string // the header's names (nil without a header)
	Fields  int      // the number of fields of a row
}

// Error names the key, the column and the columns there are, with their
// 0-based indices.
func (e *ColumnError) Error() string {
	if e.Column.ByIndex() {
		return fmt.Sprintf("%s %d is out of range: the rows of %s have %d fields (0-based indices 0 to %d)",
			e.Key, e.Column.Index, e.File, e.Fields, e.Fields-1)
	}
	named := make([]string, len(e.Columns))
	for i, c := range e.Columns {
		named[i] = strconv.Itoa(i) + " " + strconv.Quote(c)
	}
	return fmt.Sprintf("%s %q is not a column of %s; its columns are (0-based): %s", e.Key, e.Column.Name, e.File, strings.Join(named, ", "))
}

// checkColumns reports every column of the config the data lacks, given
// the header's names (nil without one) and the number of fields of a row.
func checkColumns(cfg *Config, file string, header []string, fields int) error {
	r := cfg.Resolved
	cols := []struct {
		key string
		col Column
		ok  bool
	}{{"data.customer", r.Customer, true}, {"data.date", r.Date, true}, {"data.amount", r.Amount, r.HasAmount}}
	var errs []error
	for _, c := range cols {
		if !c.ok || cfgHasColumn(c.col, header, fields) {
			continue
		}
		errs = append(errs, &ColumnError{Key: c.key, File: file, Column: c.col, Columns: header, Fields: fields})
	}
	if len(errs) == 0 {
		return nil
	}
	return &DataError{Err: errors.Join(errs...)}
}

// cfgHasColumn reports whether the data has the column: a name the header
// holds (case-insensitively, as the reader matches), or an index below the
// number of fields.
func cfgHasColumn(c Column, header []string, fields int) bool {
	if c.ByIndex() {
		return fields == 0 || c.Index < fields
	}
	for _, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), c.Name) {
			return true
		}
	}
	return header == nil
}

// DataCheck is what CheckData found in a config's transaction log.
type DataCheck struct {
	// Inspection is the log's format, header and columns (nil for
	// embedded data).
	Inspection *datasets.Inspection
	// Accounting counts the rows of the main window's read.
	Accounting datasets.Accounting
	// LastDate is the date of the last transaction.
	LastDate time.Time
	// Customers is the number of customers in the main calibration window.
	Customers int
}

// CheckData reads the transaction log of a resolved config as a run would
// (the main window, nothing fitted) and reports, as a *DataError, what
// would stop the run or spoil its scores: every column the config names
// that the data lacks (all at once), dates that do not parse with
// data.date_format (the first bad row under on_bad_row: fail; more than
// half of the rows under skip), no customer by the calibration end, and a
// window the data cannot fill (CheckSplitAgainstData). clv validate calls
// it.
func CheckData(cfg *Config) (*DataCheck, error) {
	if cfg.Survival != nil || len(cfg.Resolved.Windows) == 0 {
		return nil, fmt.Errorf("config %s: CheckData needs a resolved transaction-log config", cfg.File)
	}
	ro := ReadOptions(cfg)
	ro.ExcludeAfterEnd = true
	ro.RejectsPath = ""
	w := cfg.Resolved.Windows[len(cfg.Resolved.Windows)-1]
	so := datasets.SummaryOptions{Unit: cfg.Resolved.Unit, CalibrationEnd: w.CalibrationEnd, HoldoutEnd: w.HoldoutEnd}
	if so.CalibrationEnd.IsZero() {
		so.CalibrationEnd = forecastProbeEnd() // a forecast to the data's last date
	}
	dc := &DataCheck{}
	var s *datasets.Summary
	var err error
	if cfg.Data.Engine != "" {
		s, err = summarizeEngine(cfg, ro, so)
	} else if cfg.Data.Embedded != "" {
		raw, rerr := datasets.Embedded(cfg.Data.Embedded)
		if rerr != nil {
			return nil, &DataError{Err: rerr}
		}
		s, err = datasets.Summarize(strings.NewReader(string(raw)), "embedded:"+cfg.Data.Embedded, ro, so)
	} else {
		if dc.Inspection, err = inspectColumns(cfg, ro); err != nil {
			return nil, err
		}
		s, err = datasets.SummarizeFile(cfg.Resolved.DataPath, ro, so)
	}
	if err != nil {
		return nil, &DataError{Err: err}
	}
	dc.Accounting, dc.LastDate, dc.Customers = s.Accounting, s.LastDate, len(s.Customers)
	if bad := s.Accounting.RejectedBy[datasets.ReasonBadDate]; bad > 0 && 2*bad > s.Accounting.RowsRead {
		return dc, &DataError{Err: fmt.Errorf("%d of %d rows have a date that does not parse with data.date_format %s: set data.date_format to the layout of the file's dates (or data.date to the date column)",
			bad, s.Accounting.RowsRead, cfgOrQuoted(cfg.Data.DateFormat, "iso"))}
	}
	if err := CheckSplitAgainstData(cfg, s.LastDate); err != nil {
		return dc, err
	}
	if dc.Customers == 0 {
		return dc, &DataError{Err: fmt.Errorf("no customer made a first purchase by split.calibration_end %s: check split.calibration_end and data.date",
			w.CalibrationEnd.Format(time.DateOnly))}
	}
	if _, err := restrictToCovariates(cfg, s, w.CalibrationEnd); err != nil { // the covariates file, read as a run reads it
		return dc, err
	}
	return dc, nil
}

// inspectColumns opens the log and resolves its columns; when a column is
// missing it reads the header alone to report every missing column at
// once.
func inspectColumns(cfg *Config, ro datasets.ReadOptions) (*datasets.Inspection, error) {
	in, err := datasets.Inspect(cfg.Resolved.DataPath, ro)
	if err == nil {
		return in, nil
	}
	// The first two columns always exist in a log of two fields or more:
	// select them to learn the header and the number of fields.
	probe := ro
	probe.Customer, probe.Date, probe.Amount = datasets.ColumnAt(0), datasets.ColumnAt(1), datasets.NoColumn()
	if probe.Header == "auto" && (!cfg.Resolved.Customer.ByIndex() || !cfg.Resolved.Date.ByIndex()) {
		probe.Header = "yes"
	}
	if hdr, perr := datasets.Inspect(cfg.Resolved.DataPath, probe); perr == nil {
		if cerr := checkColumns(cfg, cfg.Data.Path, hdr.Columns, hdr.Fields); cerr != nil {
			return nil, cerr
		}
	}
	return nil, &DataError{Err: err}
}
