package datasets

import (
	"fmt"
	"time"
)

// Quarter is a quarter of a year (365.25/4 days) as a continuous unit, and
// as a calendar period January–March, April–June ...
var Quarter = Unit{Name: "quarter", days: 365.25 / 4}

// calendarPeriod returns the function that maps a day (days since
// 1970-01-01) to the index of the calendar period of unit u holding it:
// the day itself, the Monday-to-Sunday week, the month, the quarter or the
// year. It fails for a unit that is not a calendar period (14d).
func calendarPeriod(u Unit) (func(day int64) int64, error) {
	month := func(day int64) int64 {
		y, m, _ := time.Unix(day*86400, 0).UTC().Date()
		return int64(y)*12 + int64(m) - 1
	}
	switch u.Name {
	case Day.Name:
		return func(day int64) int64 { return day }, nil
	case Week.Name:
		return func(day int64) int64 { return floorDiv(day+3, 7) }, nil // 1970-01-01 was a Thursday
	case Month.Name:
		return month, nil
	case Quarter.Name:
		return func(day int64) int64 { return floorDiv(month(day), 3) }, nil
	case Year.Name:
		return func(day int64) int64 { return floorDiv(month(day), 12) }, nil
	}
	return nil, fmt.Errorf("summary options: discrete periods need a calendar unit (day, week, month, quarter or year), not %s", u.Name)
}

// checkPeriodEnd returns an error unless day is the last day of its
// calendar period: a discrete-time window must end on a period's end.
func checkPeriodEnd(per func(int64) int64, day int64, what string, u Unit) error {
	if per(day+1) != per(day) {
		return nil
	}
	next := day + 1
	for per(next+1) == per(day) {
		next++
	}
	return fmt.Errorf("summary options: the %s %s is not the last day of a %s: with discrete periods each %s is one opportunity, so end the window on %s",
		what, formatDay(day), u.Name, u.Name, formatDay(next))
}

// PeriodEnd returns the last day of the calendar period of unit u (day,
// week, month, quarter or year) that holds the date t; an error for a unit
// that is not a calendar period.
func PeriodEnd(u Unit, t time.Time) (time.Time, error) {
	per, err := calendarPeriod(u)
	if err != nil {
		return time.Time{}, err
	}
	day := dayOf(t)
	for per(day+1) == per(day) {
		day++
	}
	return timeOfDay(day), nil
}
