package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/datasets"
)

// Statements are the queries one summary takes: the accounting of every
// row (one row back), and the customers, either one row per customer
// (Customers) or the pattern table (Patterns), each with the repeat
// purchase days per day in the same result (see the kind constants), so
// that a log's purchase days are computed once.
type Statements struct {
	Accounting string
	// Customers returns rows of (kind, cid, first_day, last_cal, n_cal,
	// n_hold, first_amt, rep_sum, hold_sum, activity, n): kindCustomer
	// rows one per customer (n = 1), kindRepeatDay rows with the day in
	// first_day and its repeat purchase days in n.
	Customers string
	// Patterns returns rows of (kind, a, b, c, d, activity, amount, n):
	// kindPattern rows (x, t_x and T in days, holdout purchase days,
	// activity bitmap) with their number of customers n; kindRepeatDay
	// rows (day in a); one kindLate row counting the customers first seen
	// after the calibration end; kindSpend rows (x in a, the total of the
	// repeat purchases in amount) with their number of customers.
	Patterns string
}

// The kinds of rows of the Customers and Patterns statements.
const (
	kindCustomer  = 0
	kindPattern   = 0
	kindRepeatDay = 1
	kindLate      = 2
	kindSpend     = 3
)

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
	return Statements{Accounting: g.accounting(), Customers: g.customers(), Patterns: g.patterns()}, nil
}

// gen writes the SQL of one spec.
type gen struct {
	d                      Dialect
	w                      window
	src                    string
	cust, date, amount     string
	hasAmount, excludeLate bool
	dateText               bool // the date column is text (see textDay)
	repeatDays             bool // the statements return the repeat purchase days per day
	spend                  bool // the Patterns statement returns the spend pairs
}

func newGen(spec Spec, w window) (*gen, error) {
	g := &gen{d: spec.Dialect, w: w, hasAmount: spec.hasAmount(), excludeLate: spec.ExcludeAfterEnd, spend: spec.PatternSpend && spec.hasAmount(),
		dateText: spec.DateText, repeatDays: !spec.NoRepeatDays}
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

// rowExprs returns the source's customer id as text, its day number and
// its amount as float64.
func (g *gen) rowExprs() (id, day, amt string) {
	if g.d == Postgres {
		id, day = "CAST("+g.cust+" AS text)", "(CAST("+g.date+" AS date) - DATE '1970-01-01')"
		if g.dateText {
			day = g.textDay(g.date)
		}
		amt = "CAST(0 AS double precision)"
		if g.hasAmount {
			amt = "CAST(" + g.amount + " AS double precision)"
		}
		return id, day, amt
	}
	id, day, amt = "toString("+g.cust+")", "toInt64(toDate("+g.date+"))", "toFloat64(0)"
	if g.dateText {
		day = g.textDay(g.date)
	}
	if g.hasAmount {
		amt = "toFloat64(" + g.amount + ")"
	}
	return id, day, amt
}

// raw selects the three columns as text id, day number and float amount.
func (g *gen) raw() string {
	id, day, amt := g.rowExprs()
	return "SELECT " + id + " AS r_id, " + day + " AS r_day, " + amt + " AS r_amt FROM " + g.src
}

// reason is the CASE that gives a row's reason (” for a used row) from
// the expressions of its id, day and amount.
func (g *gen) reason(id, day, amt string) string {
	nonFinite := amt + " IN (CAST('NaN' AS double precision), CAST('Infinity' AS double precision), CAST('-Infinity' AS double precision))"
	if g.d == ClickHouse {
		nonFinite = "isNaN(" + amt + ") OR isInfinite(" + amt + ")"
	}
	var b strings.Builder
	b.WriteString("CASE WHEN " + id + " IS NULL OR " + id + " = '' THEN '" + string(datasets.ReasonMissingID) + "'")
	b.WriteString(" WHEN " + day + " IS NULL THEN '" + string(datasets.ReasonBadDate) + "'")
	if g.hasAmount {
		b.WriteString(" WHEN " + amt + " IS NULL THEN '" + string(datasets.ReasonBadAmount) + "'")
		b.WriteString(" WHEN " + nonFinite + " THEN '" + string(datasets.ReasonNonFinite) + "'")
		b.WriteString(" WHEN " + amt + " < 0 THEN '" + string(datasets.ReasonNegative) + "'")
	}
	if g.w.hasStart {
		b.WriteString(" WHEN " + day + " < " + num(g.w.start) + " THEN '" + string(datasets.ReasonOutsideWindow) + "'")
	}
	late := datasets.ReasonOutsideWindow
	if g.excludeLate {
		late = datasets.ReasonAfterEnd
	}
	b.WriteString(" WHEN " + day + " > " + num(g.w.end()) + " THEN '" + string(late) + "'")
	b.WriteString(" ELSE '' END")
	return b.String()
}

// classified adds each row's reason (” for a used row).
func (g *gen) classified() string {
	return "SELECT r_id, r_day, r_amt, " + g.reason("r_id", "r_day", "r_amt") + " AS reason FROM (" + g.raw() + ") AS clv_raw"
}

// days merges the used rows into purchase days: cid, dnum, amt
// (PostgreSQL).
func (g *gen) days() string {
	good := "SELECT r_id AS g_id, r_day AS g_day, r_amt AS g_amt FROM (" + g.classified() + ") AS clv_cls WHERE reason = ''"
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

// activity is the aggregate of a customer's activity bitmap (0 when off)
// over the day numbers day: bit k for a calibration day d with
// k = floor((cal − d)/period) < 64.
func (g *gen) activity(day string) string {
	if g.w.period <= 0 {
		if g.d == ClickHouse {
			return "toUInt64(0)"
		}
		return "CAST(0 AS bigint)"
	}
	cal, p := num(g.w.cal), g.float(g.w.period)
	k := "floor((" + cal + " - " + day + ") / " + p + ")"
	if g.d == Postgres {
		return "bit_or(CASE WHEN " + day + " <= " + cal + " AND " + k + " < 64 THEN CAST(1 AS bigint) << CAST(" + k + " AS integer) ELSE CAST(0 AS bigint) END)"
	}
	return "groupBitOr(if(" + day + " <= " + cal + " AND " + k + " < 64, bitShiftLeft(toUInt64(1), toUInt64(" + k + ")), toUInt64(0)))"
}

// customers returns the Customers statement (see Statements).
func (g *gen) customers() string {
	if g.d == Postgres {
		q := g.pgWith() + " SELECT 0 AS kind, cid, first_day, last_cal, n_cal, n_hold, first_amt, rep_sum, hold_sum, activity, CAST(1 AS bigint) AS n FROM clv_c"
		if g.repeatDays {
			q += " UNION ALL SELECT 1, '', dnum, 0, 0, 0, 0, 0, 0, 0, count(*) FROM (" + g.pgRepeatDays() + ") AS clv_r GROUP BY dnum"
		}
		return q
	}
	cal := num(g.w.cal)
	zero := "toFloat64(0)"
	cols := []string{"kind", "cid", "first_day", "last_cal", "n_cal", "n_hold", "first_amt", "rep_sum", "hold_sum", "activity"}
	return "SELECT " + chOut(cols) + ", count() AS n FROM (SELECT" +
		" arrayJoin(arrayConcat([(toUInt8(0), clv_cid, clv_first_day, clv_last_cal, toInt64(clv_n_cal), clv_n_hold, clv_first_amt, clv_rep_sum, clv_hold_sum, clv_activity)]," +
		" arrayMap(x -> (toUInt8(1), '', x, toInt64(0), toInt64(0), toInt64(0), " + zero + ", " + zero + ", " + zero + ", toUInt64(0))," +
		" arrayFilter(x -> " + g.chRepeatDaysOn() + "x > clv_first_day AND clv_first_day <= " + cal + ", clv_udays)))) AS clv_t," +
		chTupleColumns("clv_t", cols) + " FROM (" + g.chCustomerAgg() + ") AS clv_c) AS clv_rows GROUP BY " + chOut(cols)
}

// patterns returns the Patterns statement (see Statements).
func (g *gen) patterns() string {
	cal := num(g.w.cal)
	if g.d == Postgres {
		return g.pgWith() +
			" SELECT 0 AS kind, n_cal - 1 AS a, last_cal - first_day AS b, " + cal + " - first_day AS c, n_hold AS d, activity, CAST(0 AS double precision) AS amount, count(*) AS n" +
			" FROM clv_c WHERE first_day <= " + cal + " GROUP BY 2, 3, 4, 5, 6" +
			g.pgRepeatDayRows() +
			" UNION ALL SELECT 2, 0, 0, 0, 0, 0, 0, count(*) FROM clv_c WHERE first_day > " + cal + g.pgSpend()
	}
	spend := "0"
	if g.spend {
		spend = "clv_n_cal > 1"
	}
	i0, f0, u0 := "toInt64(0)", "toFloat64(0)", "toUInt64(0)"
	row := func(kind string, cols ...string) string {
		return "(toUInt8(" + kind + "), " + strings.Join(cols, ", ") + ")"
	}
	cols := []string{"kind", "a", "b", "c", "d", "activity", "amount"}
	return "SELECT " + chOut(cols) + ", count() AS n FROM (SELECT arrayJoin(if(clv_first_day > " + cal + ", [" + row("2", i0, i0, i0, i0, u0, f0) + "]," +
		" arrayConcat([" + row("0", "toInt64(clv_n_cal) - 1", "clv_last_cal - clv_first_day", cal+" - clv_first_day", "clv_n_hold", "clv_activity", f0) + "]," +
		" arrayMap(x -> " + row("1", "x", i0, i0, i0, u0, f0) + ", arrayFilter(x -> " + g.chRepeatDaysOn() + "x > clv_first_day, clv_udays))," +
		" arrayFilter(s -> " + spend + ", [" + row("3", "toInt64(clv_n_cal) - 1", i0, i0, i0, u0, "clv_rep_sum") + "])))) AS clv_t," +
		chTupleColumns("clv_t", cols) + " FROM (" + g.chCustomerAgg() + ") AS clv_c) AS clv_rows GROUP BY " + chOut(cols)
}

// pgRepeatDayRows is the PostgreSQL union branch of the repeat purchase
// days per day of the Patterns statement (none when they are not asked
// for).
func (g *gen) pgRepeatDayRows() string {
	if !g.repeatDays {
		return ""
	}
	return " UNION ALL SELECT 1, dnum, 0, 0, 0, 0, 0, count(*) FROM (" + g.pgRepeatDays() + ") AS clv_r GROUP BY dnum"
}

// chRepeatDaysOn starts the ClickHouse filter of a customer's repeat
// days: "0 AND " when they are not asked for, so that the statement's
// shape stays and each customer expands into its own row alone.
func (g *gen) chRepeatDaysOn() string {
	if g.repeatDays {
		return ""
	}
	return "0 AND "
}

// pgSpend is the PostgreSQL union branch of the spend pairs (none when
// they are not asked for).
func (g *gen) pgSpend() string {
	if !g.spend {
		return ""
	}
	cal := num(g.w.cal)
	return " UNION ALL SELECT 3, n_cal - 1, 0, 0, 0, 0, rep_sum, count(*) FROM clv_c WHERE first_day <= " + cal + " AND n_cal > 1 GROUP BY n_cal, rep_sum"
}

// chTupleColumns names the elements of a tuple column out_NAME (names
// of their own: the customer columns they come from are in scope).
func chTupleColumns(tuple string, names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = " tupleElement(" + tuple + ", " + strconv.Itoa(i+1) + ") AS out_" + n
	}
	return strings.Join(parts, ",")
}

// chOut lists the out_NAME columns.
func chOut(names []string) string {
	return "out_" + strings.Join(names, ", out_")
}

// chCustomerAgg is the ClickHouse aggregation of every customer, one
// SELECT straight over the source: each row is classified and the used
// ones aggregated, so that on a Distributed table each shard reduces its
// own rows (and, with distributed_group_by_no_merge, its own customers)
// and only one row per customer leaves it. Same-day purchases are merged
// by counting distinct days (udays) and by summing the amounts of the days
// that matter: the first day, the repeat calibration days, the holdout.
func (g *gen) chCustomerAgg() string {
	id, day, amt := g.rowExprs()
	cal := num(g.w.cal)
	d, a := "assumeNotNull("+day+")", "assumeNotNull("+amt+")"
	return "SELECT assumeNotNull(" + id + ") AS clv_cid, min(" + d + ") AS clv_first_day, groupUniqArray(" + d + ") AS clv_udays," +
		" arrayCount(x -> x <= " + cal + ", clv_udays) AS clv_n_cal, toInt64(length(clv_udays)) - toInt64(clv_n_cal) AS clv_n_hold," +
		" if(clv_n_cal > 0, maxIf(" + d + ", " + d + " <= " + cal + "), " + num(noDay) + ") AS clv_last_cal," +
		" arraySum(arrayFilter((v, x) -> x = clv_first_day, groupArray(" + a + "), groupArray(" + d + "))) AS clv_first_amt," +
		" arraySum(arrayFilter((v, x) -> x > clv_first_day AND x <= " + cal + ", groupArray(" + a + "), groupArray(" + d + "))) AS clv_rep_sum," +
		" sumIf(" + a + ", " + d + " > " + cal + ") AS clv_hold_sum, " + g.activity(d) + " AS clv_activity" +
		" FROM " + g.src + " WHERE (" + g.reason(id, day, amt) + ") = '' GROUP BY clv_cid"
}

// pgWith defines the PostgreSQL purchase days (clv_days, computed once)
// and customers (clv_c: cid, first_day, last_cal, n_cal, n_hold,
// first_amt, rep_sum, hold_sum, activity).
func (g *gen) pgWith() string {
	cal := num(g.w.cal)
	return "WITH clv_days AS (" + g.days() + "), clv_c AS (SELECT cid, min(dnum) AS first_day," +
		" coalesce(max(CASE WHEN dnum <= " + cal + " THEN dnum END), " + num(noDay) + ") AS last_cal," +
		" sum(CASE WHEN dnum <= " + cal + " THEN 1 ELSE 0 END) AS n_cal," +
		" sum(CASE WHEN dnum > " + cal + " THEN 1 ELSE 0 END) AS n_hold," +
		" sum(CASE WHEN dnum = first_day THEN amt ELSE 0 END) AS first_amt," +
		" sum(CASE WHEN dnum > first_day AND dnum <= " + cal + " THEN amt ELSE 0 END) AS rep_sum," +
		" sum(CASE WHEN dnum > " + cal + " AND dnum > first_day THEN amt ELSE 0 END) AS hold_sum," +
		" " + g.activity("dnum") + " AS activity" +
		" FROM (SELECT cid, dnum, amt, min(dnum) OVER (PARTITION BY cid) AS first_day FROM clv_days) AS clv_d GROUP BY cid)"
}

// pgRepeatDays selects the repeat purchase days (first days excluded) of
// the customers first seen by the calibration end, one row each (dnum).
func (g *gen) pgRepeatDays() string {
	cal := num(g.w.cal)
	return "SELECT dnum FROM (SELECT dnum, min(dnum) OVER (PARTITION BY cid) AS first_day FROM clv_days) AS clv_f" +
		" WHERE first_day <= " + cal + " AND dnum > first_day"
}
