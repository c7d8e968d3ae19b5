package engine

import (
	"context"
	"fmt"
	"strings"
)

// A date column of text is read as the file reader reads a date by
// default: the text without the spaces and tabs around it must be exactly
// YYYY-MM-DD naming a day of years 1 to 9999 of the proleptic Gregorian
// calendar; anything else (an empty text, another layout, a timestamp,
// 2024-02-30) is a bad row with reason unparseable_date, counted and
// handled by on_bad_row as the file reader handles it, instead of a
// query error. The day number is computed by integer arithmetic from the
// digits (H. Hinnant's days_from_civil, as datasets.daysFromCivil), so
// the engines' own date parsers, whose accepted layouts and ranges differ
// (ClickHouse's Date ends in 2105), play no part. ClickHouse evaluates
// every branch of an if, so its digits are read with toInt64OrZero and
// the day is NULL unless the text is valid; PostgreSQL's CASE reads them
// only for a text of the right shape.

// textDay returns the day number (days since 1970-01-01) of the text
// column col, NULL when it is not a date.
func (g *gen) textDay(col string) string {
	if g.d == Postgres {
		t := "btrim(CAST(" + col + " AS text), E' \\t')"
		digits := func(from, n int) string {
			return "CAST(substr(" + t + ", " + num(int64(from)) + ", " + num(int64(n)) + ") AS bigint)"
		}
		y, m, d := digits(1, 4), digits(6, 2), digits(9, 2)
		div := func(a, b string) string { return "(" + a + ") / " + b }
		return "(CASE WHEN " + t + " ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN CASE WHEN " + validCivil(y, m, d, div) +
			" THEN " + civilDays(y, m, d, div) + " END END)"
	}
	t := "replaceRegexpAll(" + col + ", '^[ \\t]+|[ \\t]+$', '')"
	digits := func(from, n int) string {
		return "toInt64OrZero(substring(" + t + ", " + num(int64(from)) + ", " + num(int64(n)) + "))"
	}
	y, m, d := digits(1, 4), digits(6, 2), digits(9, 2)
	div := func(a, b string) string { return "intDiv(" + a + ", " + b + ")" }
	return "if(match(" + t + ", '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') AND " + validCivil(y, m, d, div) + ", " + civilDays(y, m, d, div) + ", NULL)"
}

// validCivil is the condition that year y, month m and day d name a day
// of years 1 to 9999 (datasets.civilDay's check): d at most the month's
// length, 31 when m + ⌊m/8⌋ is odd, 30 when even, and 28 or 29 in
// February; div is the dialect's integer division.
func validCivil(y, m, d string, div func(a, b string) string) string {
	leap := "(" + y + " % 4 = 0 AND (" + y + " % 100 <> 0 OR " + y + " % 400 = 0))"
	length := "(CASE WHEN " + m + " = 2 THEN (CASE WHEN " + leap + " THEN 29 ELSE 28 END) WHEN (" + m + " + " + div(m, "8") + ") % 2 = 1 THEN 31 ELSE 30 END)"
	return "(" + y + " >= 1 AND " + m + " >= 1 AND " + m + " <= 12 AND " + d + " >= 1 AND " + d + " <= " + length + ")"
}

// civilDays is days_from_civil for a valid date (year ≥ 1, so every
// division is of a non-negative number and truncates as it floors), with
// div the dialect's integer division.
func civilDays(y, m, d string, div func(a, b string) string) string {
	yy := "(" + y + " - (CASE WHEN " + m + " <= 2 THEN 1 ELSE 0 END))" // years start in March
	era := div(yy, "400")
	yoe := "(" + yy + " - " + era + " * 400)"
	doy := "(" + div("153 * ((("+m+") + 9) % 12) + 2", "5") + " + " + d + " - 1)"
	doe := "(" + yoe + " * 365 + " + div(yoe, "4") + " - " + div(yoe, "100") + " + " + doy + ")"
	return "(" + era + " * 146097 + " + doe + " - 719468)"
}

// DetectDateText sets spec.DateText from the type of the date column in
// the database: text types (PostgreSQL text, varchar, char; ClickHouse
// String and FixedString, Nullable or LowCardinality) are read as
// YYYY-MM-DD text, others (date, timestamp, DateTime) by the engine's
// conversion to a date. An empty source is read as dates.
func DetectDateText(ctx context.Context, conn Conn, spec *Spec) error {
	spec.Dialect = conn.Dialect()
	g, err := newGen(*spec, window{})
	if err != nil {
		return err
	}
	q := "SELECT pg_typeof(" + g.date + ")::text FROM " + g.src + " LIMIT 1"
	if spec.Dialect == ClickHouse {
		q = "SELECT toTypeName(" + g.date + ") FROM " + g.src + " LIMIT 1"
	}
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("reading the type of the date column %s: %w", spec.Date, err)
	}
	defer rows.Close()
	var typ string
	for rows.Next() {
		if err := rows.Scan(&typ); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the type of the date column %s: %w", spec.Date, err)
	}
	spec.DateText = isTextType(typ)
	return nil
}

// isTextType tells a text type name of either engine.
func isTextType(typ string) bool {
	t := strings.ToLower(typ)
	return t == "text" || t == "name" || strings.HasPrefix(t, "character") || strings.Contains(t, "string")
}
