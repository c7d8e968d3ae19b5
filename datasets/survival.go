package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// ReadSurvivalCSV reads a cohort's survivor counts, the input of the
// contractual sBG model, from a CSV file with a header row and two columns:
// the period (0, 1, 2, … in order) and the number of customers still active
// at the start of that period. For example
//
//	period,survivors
//	0,1000
//	1,869
//	2,743
//
// It returns the counts indexed by period. Counts are finite numbers ≥ 0
// (fractions such as percentages are allowed), the first is > 0, and they
// never rise; at least periods 0 and 1 are needed. Blank lines and lines
// starting with # are skipped, CRLF line endings and a UTF-8 byte-order
// mark are accepted. Errors name the file, line and column.
func ReadSurvivalCSV(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading survivor counts: %w", err)
	}
	defer f.Close()
	return ParseSurvivalCSV(f, path)
}

// ParseSurvivalCSV reads survivor counts as ReadSurvivalCSV does, from r;
// name labels the errors.
func ParseSurvivalCSV(r io.Reader, name string) ([]float64, error) {
	text, err := openTextStream(r, name, "a survivor count table")
	if err != nil {
		return nil, err
	}
	cr := newSurvivalReader(text)
	header, line, err := readTableHeader(cr, name, "period,survivors", "one row per period")
	if err != nil {
		return nil, err
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(header[0]), 64); err == nil {
		return nil, fmt.Errorf("%s:%d: the first row %s is not a header: start the file with a header such as \"period,survivors\"", name, line, excerpt([]byte(strings.Join(header, ","))))
	}
	cols := [2]string{showName(strings.TrimSpace(header[0])), showName(strings.TrimSpace(header[1]))}
	var out []float64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, survivalCSVError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: %d columns, want 2 (%s, %s)", name, line, len(rec), cols[0], cols[1])
		}
		want := len(out)
		p, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || p != want {
			return nil, fmt.Errorf("%s:%d: column 0 (%s): %s, want period %d (periods run 0, 1, 2, … in order)", name, line, cols[0], excerpt([]byte(rec[0])), want)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s:%d: column 1 (%s): %s is not a number", name, line, cols[1], excerpt([]byte(rec[1])))
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return nil, fmt.Errorf("%s:%d: column 1 (%s): %s must be a finite number ≥ 0", name, line, cols[1], excerpt([]byte(rec[1])))
		case want == 0 && v == 0:
			return nil, fmt.Errorf("%s:%d: column 1 (%s): the cohort size at period 0 must be > 0", name, line, cols[1])
		case want > 0 && v > out[want-1]:
			return nil, fmt.Errorf("%s:%d: column 1 (%s): %v customers at period %d exceed the %v of period %d; survivor counts cannot rise", name, line, cols[1], v, want, out[want-1], want-1)
		}
		out = append(out, v)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%s: %d period(s) of survivor counts, want at least periods 0 and 1", name, len(out))
	}
	return out, nil
}

func newSurvivalReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	return cr
}

// survivalCSVError formats an encoding/csv error with the file name and line.
// readTableHeader reads the header of a small CSV table whose columns are
// named in columns ("period,survivors"): it must be there and have as many
// fields, and loses a leading byte-order mark. It returns the header and its
// line; rows describes the rows that follow, for the empty-file error.
func readTableHeader(cr *csv.Reader, name, columns, rows string) ([]string, int, error) {
	header, err := cr.Read()
	if err == io.EOF {
		return nil, 0, fmt.Errorf("%s: empty file: want a header such as %q and %s", name, columns, rows)
	}
	if err != nil {
		return nil, 0, survivalCSVError(name, err)
	}
	line, _ := cr.FieldPos(0)
	if want := strings.Split(columns, ","); len(header) != len(want) {
		return nil, 0, fmt.Errorf("%s:%d: the header has %d columns, want %d (%s)", name, line, len(header), len(want), strings.Join(want, ", "))
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	return header, line, nil
}

func survivalCSVError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: byte %d of the line: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// Subscriptions are individual contract durations in whole periods, the
// input of the sBG model's FitSubscriptions: Durations[i] is the number of
// periods customer IDs[i] has paid for, the current one included, and
// Active[i] tells whether they are still subscribed at the as-of date (so
// that only a lifetime of at least Durations[i] periods is known).
type Subscriptions struct {
	IDs       []string
	Durations []float64
	Active    []bool
	// AsOf is the date the durations of active subscriptions run to.
	AsOf time.Time
	// PeriodDays is the period length in days.
	PeriodDays float64
}

// ReadSubscriptionsCSV reads a subscription log and turns it into contract
// durations in periods of periodDays days, as of the date asOf (the zero
// time means the latest start or end date in the file). The CSV has a
// header row and three columns: customer, start date, end date (empty for
// a subscription still running), dates as YYYY-MM-DD or YYYYMMDD:
//
//	customer,start,end
//	c1,2023-01-15,2023-07-02
//	c2,2023-03-01,
//
// A subscription from start to end lasted D = end − start days and paid for
// ⌈D / periodDays⌉ periods (at least 1): a customer pays at the start of
// each period and leaves at its end. One still running at asOf (or ending
// after it) is active and has paid for ⌊(asOf − start) / periodDays⌋ + 1
// periods. Each customer appears once; starts after asOf, ends before
// starts, and unparseable dates are errors naming the file, line and
// column.
func ReadSubscriptionsCSV(path string, periodDays float64, asOf time.Time) (*Subscriptions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading subscriptions: %w", err)
	}
	defer f.Close()
	return ParseSubscriptionsCSV(f, path, periodDays, asOf)
}

// ParseSubscriptionsCSV reads a subscription log as ReadSubscriptionsCSV
// does, from r; name labels the errors.
func ParseSubscriptionsCSV(r io.Reader, name string, periodDays float64, asOf time.Time) (*Subscriptions, error) {
	if !(periodDays > 0) || math.IsInf(periodDays, 0) {
		return nil, fmt.Errorf("%s: the period length %v days must be a finite number > 0", name, periodDays)
	}
	text, err := openTextStream(r, name, "a subscription log")
	if err != nil {
		return nil, err
	}
	cr := newSurvivalReader(text)
	header, line, err := readTableHeader(cr, name, "customer,start,end", "one row per subscription")
	if err != nil {
		return nil, err
	}
	if _, err := parseSubscriptionDate(header[1]); err == nil {
		return nil, fmt.Errorf("%s:%d: the first row is not a header: start the file with a header such as \"customer,start,end\"", name, line)
	}
	cols := [3]string{showName(strings.TrimSpace(header[0])), showName(strings.TrimSpace(header[1])), showName(strings.TrimSpace(header[2]))}

	type subRow struct {
		id         string
		start, end time.Time
		hasEnd     bool
		line       int
	}
	var rows []subRow
	seen := map[string]int{}
	latest := time.Time{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, survivalCSVError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 3 {
			return nil, fmt.Errorf("%s:%d: %d columns, want 3 (%s, %s, %s)", name, line, len(rec), cols[0], cols[1], cols[2])
		}
		id := strings.TrimSpace(rec[0])
		if id == "" {
			return nil, fmt.Errorf("%s:%d: column 0 (%s): the customer id is empty", name, line, cols[0])
		}
		if first, ok := seen[id]; ok {
			return nil, fmt.Errorf("%s:%d: column 0 (%s): customer %s already has a subscription on line %d; each customer appears once", name, line, cols[0], excerpt([]byte(id)), first)
		}
		seen[id] = line
		start, err := parseSubscriptionDate(rec[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: column 1 (%s): %w", name, line, cols[1], err)
		}
		rw := subRow{id: id, start: start, line: line}
		if strings.TrimSpace(rec[2]) != "" {
			end, err := parseSubscriptionDate(rec[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column 2 (%s): %w", name, line, cols[2], err)
			}
			if end.Before(start) {
				return nil, fmt.Errorf("%s:%d: column 2 (%s): the end %s precedes the start %s", name, line, cols[2], end.Format(time.DateOnly), start.Format(time.DateOnly))
			}
			rw.end, rw.hasEnd = end, true
			if end.After(latest) {
				latest = end
			}
		}
		if start.After(latest) {
			latest = start
		}
		rows = append(rows, rw)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no subscriptions after the header", name)
	}
	if asOf.IsZero() {
		asOf = latest
	}
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	s := &Subscriptions{AsOf: asOf, PeriodDays: periodDays}
	for _, rw := range rows {
		if rw.start.After(asOf) {
			return nil, fmt.Errorf("%s:%d: column 1 (%s): the start %s falls after the as-of date %s", name, rw.line, cols[1], rw.start.Format(time.DateOnly), asOf.Format(time.DateOnly))
		}
		var periods float64
		active := !rw.hasEnd || rw.end.After(asOf)
		if active {
			periods = math.Floor(subscriptionDays(rw.start, asOf)/periodDays) + 1
		} else {
			periods = math.Max(1, math.Ceil(subscriptionDays(rw.start, rw.end)/periodDays))
		}
		s.IDs = append(s.IDs, rw.id)
		s.Durations = append(s.Durations, periods)
		s.Active = append(s.Active, active)
	}
	return s, nil
}

// subscriptionDays returns the whole days from a to b (dates at UTC
// midnight), by Unix seconds: time.Sub saturates beyond 292 years.
func subscriptionDays(a, b time.Time) float64 {
	return float64((b.Unix() - a.Unix()) / 86400)
}

// parseSubscriptionDate reads YYYY-MM-DD or YYYYMMDD as a UTC date.
func parseSubscriptionDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date: write YYYY-MM-DD or YYYYMMDD", excerpt([]byte(s)))
}
