package datasets

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dates are handled as UTC calendar days: the number of days since
// 1970-01-01. Timestamps are converted to UTC and cut to their day, so two
// timestamps on the same UTC day are the same purchase day.

// The days a date may fall on: 0001-01-01 to 9999-12-31, the range Go's
// time package formats with four-digit years.
const (
	minDay = -719162 // 0001-01-01
	maxDay = 2932896 // 9999-12-31
)

// Date layout kinds.
const (
	layoutISO     = iota // 2006-01-02, hand-parsed
	layoutCompact        // 20060102, hand-parsed
	layoutUnix           // seconds since 1970-01-01 UTC
	layoutGo             // any Go layout, through time.Parse
)

// dateParser turns the text of a date into a day. It is not safe for
// concurrent use (it caches the last date it parsed).
type dateParser struct {
	kind int
	// layout is the Go layout (or a description for unix), as shown in
	// error messages.
	layout string
	// A one-entry cache for Go layouts: logs in time order repeat the same
	// date many times in a row.
	lastText []byte
	lastDay  int64
}

// newDateParser reads a date layout name: "" or "iso" (2006-01-02),
// "20060102" or "yyyymmdd", "rfc3339" (timestamps with a zone, converted
// to UTC), "unix" (seconds since the epoch), or any Go time layout. A Go
// layout must name a year, a month and a day.
func newDateParser(name string) (*dateParser, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "iso", "yyyy-mm-dd", "2006-01-02":
		return &dateParser{kind: layoutISO, layout: "2006-01-02"}, nil
	case "20060102", "yyyymmdd":
		return &dateParser{kind: layoutCompact, layout: "20060102"}, nil
	case "rfc3339":
		return &dateParser{kind: layoutGo, layout: time.RFC3339}, nil
	case "unix":
		return &dateParser{kind: layoutUnix, layout: "unix seconds"}, nil
	}
	// A Go layout: check it round-trips two reference days, which fails
	// when it lacks a year, a month or a day element.
	for _, ref := range []time.Time{
		time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC),
	} {
		back, err := time.Parse(name, ref.Format(name))
		if err != nil || back.UTC().YearDay() != ref.YearDay() || back.UTC().Year() != ref.Year() {
			return nil, fmt.Errorf("date format %q does not name a year, a month and a day: use iso, 20060102, rfc3339, unix, or a Go layout such as 02/01/2006", name)
		}
	}
	return &dateParser{kind: layoutGo, layout: name}, nil
}

// parse returns the day of b, or false when b is not a date in the layout
// or falls outside years 1 to 9999.
func (p *dateParser) parse(b []byte) (int64, bool) {
	switch p.kind {
	case layoutISO:
		return parseISODay(b)
	case layoutCompact:
		return parseCompactDay(b)
	case layoutUnix:
		return parseUnixDay(b)
	}
	if p.lastText != nil && bytes.Equal(b, p.lastText) {
		return p.lastDay, true
	}
	t, err := time.Parse(p.layout, string(b))
	if err != nil {
		return 0, false
	}
	day := floorDiv(t.Unix(), 86400)
	if day < minDay || day > maxDay {
		return 0, false
	}
	p.lastText = append(p.lastText[:0], b...)
	p.lastDay = day
	return day, true
}

// describe explains why b is not a date, with a suggestion when the text
// looks like another common layout.
func (p *dateParser) describe(b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "the date is empty"
	}
	msg := fmt.Sprintf("cannot parse %s as a date with layout %s", excerpt(b), p.layout)
	switch {
	case p.kind == layoutISO && len(b) > 10 && (b[10] == 'T' || b[10] == ' '):
		if _, ok := parseISODay(b[:10]); ok {
			msg += " (it looks like a timestamp: the date format rfc3339 or a Go layout reads those)"
		}
	case p.kind == layoutISO && len(b) == 8:
		if _, ok := parseCompactDay(b); ok {
			msg += " (it looks like yyyymmdd: date format 20060102)"
		}
	case p.kind == layoutCompact && len(b) == 10:
		if _, ok := parseISODay(b); ok {
			msg += " (it looks like an ISO date: date format iso)"
		}
	}
	return msg
}

// ParseDateLayout returns a function that turns the text of a date into
// its UTC calendar day, counted in days since 1970-01-01 (negative before).
// The layout name is one of "iso" (2006-01-02, also the default for ""),
// "20060102" (or "yyyymmdd"), "rfc3339" (timestamps with a zone, converted
// to UTC before the day is taken), "unix" (seconds since the epoch, integer
// or decimal) or any Go time layout naming a year, a month and a day (for
// example "02/01/2006" or "2006-01-02 15:04:05"; without a zone it is read
// as UTC). Dates must fall in years 1 to 9999.
//
// The returned function is not safe for concurrent use.
func ParseDateLayout(name string) (func(string) (day int64, err error), error) {
	p, err := newDateParser(name)
	if err != nil {
		return nil, err
	}
	return func(s string) (int64, error) {
		b := []byte(s)
		d, ok := p.parse(b)
		if !ok {
			return 0, fmt.Errorf("%s", p.describe(b))
		}
		return d, nil
	}, nil
}

// dayOf returns the calendar day of t in its own location: the date a user
// wrote, whatever the zone of the time.Time holding it.
func dayOf(t time.Time) int64 {
	y, m, d := t.Date()
	return daysFromCivil(int64(y), int64(m), int64(d))
}

// timeOfDay returns midnight UTC of a day.
func timeOfDay(day int64) time.Time {
	return time.Unix(day*86400, 0).UTC()
}

// formatDay writes a day as 2006-01-02.
func formatDay(day int64) string {
	return timeOfDay(day).Format("2006-01-02")
}

// parseISODay reads exactly YYYY-MM-DD.
func parseISODay(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	return civilDay(y, m, d)
}

// parseCompactDay reads exactly YYYYMMDD.
func parseCompactDay(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[4:6])
	d, ok3 := digits(b[6:8])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	return civilDay(y, m, d)
}

// parseUnixDay reads seconds since the epoch, an integer or a decimal.
func parseUnixDay(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 40 {
		return 0, false
	}
	var day int64
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		day = floorDiv(n, 86400)
	} else {
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil || f != f || f > 1e15 || f < -1e15 {
			return 0, false
		}
		day = floorDiv(int64(math.Floor(f)), 86400)
	}
	if day < minDay || day > maxDay {
		return 0, false
	}
	return day, true
}

// digits reads an unsigned decimal made of digits only.
func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// civilDay checks a year, month and day and returns the day number.
func civilDay(y, m, d int64) (int64, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (H. Hinnant's days_from_civil: years start in March so that the
// leap day ends the year, and 400-year eras repeat exactly).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                     // [0, 399]
	mp := (m + 9) % 12                     // March = 0
	doy := (153*mp+2)/5 + d - 1            // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// floorDiv divides rounding toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
