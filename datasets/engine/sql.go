package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/datasets"
)

// Statements are the queries one summary takes: the accounting of every
// row (one row back), the customers (one row per customer), and the
// repeat purchase days per day (one row per day, for the tracking plot).
type Statements struct {
	Accounting string
	Customers  string
	RepeatDays string
}

// noDay stands for "no such day" in integer columns (far below any date).
const noDay = -100000000

// SQL returns the statements that compute the summary of spec.
func SQL(spec Spec) (Statements, error) {
	w, err := spec.check()
	if err != nil {
		return Statements{}, err
	}
	g, err := newGen(spec, w)
	if err != nil {
		return Statements{}, err
	}
	return Statements{Accounting: g.accounting(), Customers: g.customers(), RepeatDays: g.repeatDays()}, nil
}

// gen writes the SQL of one spec.
type gen struct {
	d                      Dialect
	w                      window
	src                    string
	cust, date, amount     string
	hasAmount, excludeLate bool
}

func newGen(spec Spec, w window) (*gen, error) {
	g := &gen{d: spec.Dialect, w: w, hasAmount: spec.hasAmount(), excludeLate: spec.ExcludeAfterEnd}
	var err error
	if spec.Query != "" {
		g.src = "(" + strings.TrimRight(strings.TrimSpace(spec.Query), "; \n\t") + ") AS clv_src"
	} else if g.src, err = quoteIdent(g.d, spec.Table); err != nil {
		return nil, fmt.Errorf("engine: table: %w", err)
	}
	if g.cust, err = quoteIdent(g.d, spec.Customer); err != nil {
		return nil, fmt.Errorf("engine: customer column: %w", err)
	}
	if g.date, err = quoteIdent(g.d, spec.Date); err != nil {
		return nil, fmt.Errorf("engine: date column: %w", err)
	}
	if g.hasAmount {
		if g.amount, err = quoteIdent(g.d, spec.Amount); err != nil {
			return nil, fmt.Errorf("engine: amount column: %w", err)
		}
	}
	return g, nil
}

func num(v int64) string { return strconv.FormatInt(v, 10) }

// float writes a float64 literal that the engine reads as float64.
func (g *gen) float(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if g.d == Postgres {
		return "CAST(" + s + " AS double precision)"
	}
	return "toFloat64(" + s + ")"
}

// raw selects the three columns as text id, day number and float amount.
func (g *gen) raw() string {
	var id, day, amt string
	if g.d == Postgres {
		id, day = "CAST("+g.cust+" AS text)", "(CAST("+g.date+" AS date) - DATE '1970-01-01')"
		amt = "CAST(0 AS double precision)"
		if g.hasAmount {
			amt = "CAST(" + g.amount + " AS double precision)"
		}
	} else {
		id, day, amt = "toString("+g.cust+")", "toInt64(toDate("+g.date+"))", "toFloat64(0)"
		if g.hasAmount {
			amt = "toFloat64(" + g.amount + ")"
		}
	}
	return "SELECT " + id + " AS r_id, " + day + " AS r_day, " + amt + " AS r_amt FROM " + g.src
}

// classified adds each row's reason (” for a used row).
func (g *gen) classified() string {
	nonFinite := "r_amt IN (CAST('NaN' AS double precision), CAST('Infinity' AS double precision), CAST('-Infinity' AS double precision))"
	if g.d == ClickHouse {
		nonFinite = "isNaN(r_amt) OR isInfinite(r_amt)"
	}
	var b strings.Builder
	b.WriteString("SELECT r_id, r_day, r_amt, CASE WHEN r_id IS NULL OR r_id = '' THEN '" + string(datasets.ReasonMissingID) + "'")
	b.WriteString(" WHEN r_day IS NULL THEN '" + string(datasets.ReasonBadDate) + "'")
	if g.hasAmount {
		b.WriteString(" WHEN r_amt IS NULL THEN '" + string(datasets.ReasonBadAmount) + "'")
		b.WriteString(" WHEN " + nonFinite + " THEN '" + string(datasets.ReasonNonFinite) + "'")
		b.WriteString(" WHEN r_amt < 0 THEN '" + string(datasets.ReasonNegative) + "'")
	}
	if g.w.hasStart {
		b.WriteString(" WHEN r_day < " + num(g.w.start) + " THEN '" + string(datasets.ReasonOutsideWindow) + "'")
	}
	late := datasets.ReasonOutsideWindow
	if g.excludeLate {
		late = datasets.ReasonAfterEnd
	}
	b.WriteString(" WHEN r_day > " + num(g.w.end()) + " THEN '" + string(late) + "'")
	b.WriteString(" ELSE '' END AS reason FROM (" + g.raw() + ") AS clv_raw")
	return b.String()
}

// days merges the used rows into purchase days: cid, dnum, amt.
func (g *gen) days() string {
	good := "SELECT r_id AS g_id, r_day AS g_day, r_amt AS g_amt FROM (" + g.classified() + ") AS clv_cls WHERE reason = ''"
	if g.d == ClickHouse {
		good = "SELECT assumeNotNull(r_id) AS g_id, assumeNotNull(r_day) AS g_day, assumeNotNull(r_amt) AS g_amt FROM (" + g.classified() + ") AS clv_cls WHERE reason = ''"
	}
	return "SELECT g_id AS cid, g_day AS dnum, sum(g_amt) AS amt FROM (" + good + ") AS clv_good GROUP BY g_id, g_day"
}

// accounting counts the rows by reason and finds the last date among the
// rows whose fields are sound (used, or outside the window).
func (g *gen) accounting() string {
	var b strings.Builder
	b.WriteString("SELECT count(*) AS rows_read")
	for _, r := range accountedReasons {
		fmt.Fprintf(&b, ", coalesce(sum(CASE WHEN reason = '%s' THEN 1 ELSE 0 END), 0) AS %s", r, r)
	}
	fmt.Fprintf(&b, ", coalesce(max(CASE WHEN reason IN ('', '%s', '%s') THEN r_day ELSE %d END), %d) AS last_day",
		datasets.ReasonOutsideWindow, datasets.ReasonAfterEnd, noDay, noDay)
	b.WriteString(" FROM (" + g.classified() + ") AS clv_cls")
	return b.String()
}

// accountedReasons are the reasons a database row can be rejected for, in
// the column order of the accounting query.
var accountedReasons = []datasets.Reason{
	datasets.ReasonMissingID, datasets.ReasonBadDate, datasets.ReasonBadAmount, datasets.ReasonNonFinite,
	datasets.ReasonNegative, datasets.ReasonOutsideWindow, datasets.ReasonAfterEnd,
}

// activity is the aggregate of a customer's activity bitmap (0 when off):
// bit k for a calibration day d with k = floor((cal − d)/period) < 64.
func (g *gen) activity() string {
	if g.w.period <= 0 {
		return "0"
	}
	cal, p := num(g.w.cal), g.float(g.w.period)
	if g.d == Postgres {
		k := "floor((" + cal + " - dnum) / " + p + ")"
		return "bit_or(CASE WHEN dnum <= " + cal + " AND " + k + " < 64 THEN CAST(1 AS bigint) << CAST(" + k + " AS integer) ELSE CAST(0 AS bigint) END)"
	}
	k := "floor((" + cal + " - dnum) / " + p + ")"
	return "groupBitOr(if(dnum <= " + cal + " AND " + k + " < 64, bitShiftLeft(toUInt64(1), toUInt64(" + k + ")), toUInt64(0)))"
}

// customers returns one row per customer: cid, first_day, last_cal,
// n_cal, n_hold, first_amt, rep_sum, hold_sum, activity.
func (g *gen) customers() string {
	cal := num(g.w.cal)
	if g.d == Postgres {
		return "SELECT cid, min(dnum) AS first_day," +
			" coalesce(max(CASE WHEN dnum <= " + cal + " THEN dnum END), " + num(noDay) + ") AS last_cal," +
			" sum(CASE WHEN dnum <= " + cal + " THEN 1 ELSE 0 END) AS n_cal," +
			" sum(CASE WHEN dnum > " + cal + " THEN 1 ELSE 0 END) AS n_hold," +
			" sum(CASE WHEN dnum = first_day THEN amt ELSE 0 END) AS first_amt," +
			" sum(CASE WHEN dnum > first_day AND dnum <= " + cal + " THEN amt ELSE 0 END) AS rep_sum," +
			" sum(CASE WHEN dnum > " + cal + " AND dnum > first_day THEN amt ELSE 0 END) AS hold_sum," +
			" " + g.activity() + " AS activity" +
			" FROM (SELECT cid, dnum, amt, min(dnum) OVER (PARTITION BY cid) AS first_day FROM (" + g.days() + ") AS clv_days) AS clv_d" +
			" GROUP BY cid"
	}
	return "SELECT cid, first_day, last_cal, n_cal, n_hold, first_amt," +
		" arraySum(arrayFilter((a, x) -> x > first_day AND x <= " + cal + ", amts, day_list)) AS rep_sum, hold_sum, activity" +
		" FROM (SELECT cid, min(dnum) AS first_day," +
		" if(sum(dnum <= " + cal + ") > 0, maxIf(dnum, dnum <= " + cal + "), " + num(noDay) + ") AS last_cal," +
		" sum(dnum <= " + cal + ") AS n_cal, sum(dnum > " + cal + ") AS n_hold," +
		" argMin(amt, dnum) AS first_amt, sumIf(amt, dnum > " + cal + ") AS hold_sum," +
		" groupArray(dnum) AS day_list, groupArray(amt) AS amts, " + g.activity() + " AS activity" +
		" FROM (" + g.days() + ") AS clv_days GROUP BY cid) AS clv_c"
}

// repeatDays counts, per day, the repeat purchase days (first days
// excluded) of the customers first seen by the calibration end.
func (g *gen) repeatDays() string {
	cal := num(g.w.cal)
	if g.d == Postgres {
		return "SELECT dnum, count(*) AS repeats FROM (SELECT dnum, min(dnum) OVER (PARTITION BY cid) AS first_day FROM (" +
			g.days() + ") AS clv_days) AS clv_d WHERE first_day <= " + cal + " AND dnum > first_day GROUP BY dnum ORDER BY dnum"
	}
	return "SELECT rep_day, count(*) AS repeats FROM (SELECT arrayJoin(arrayFilter(x -> x > first_day, day_list)) AS rep_day" +
		" FROM (SELECT cid, min(dnum) AS first_day, groupArray(dnum) AS day_list FROM (" + g.days() + ") AS clv_days GROUP BY cid) AS clv_c" +
		" WHERE first_day <= " + cal + ") AS clv_r GROUP BY rep_day ORDER BY rep_day"
}
