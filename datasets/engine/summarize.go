package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// BadRowsError reports the rejected rows of a table under the fail
// policy: the counts by reason (a database has no line numbers to name).
type BadRowsError struct {
	Source   string
	Rejected map[datasets.Reason]int64
}

func (e *BadRowsError) Error() string {
	reasons := make([]string, 0, len(e.Rejected))
	for r, n := range e.Rejected {
		reasons = append(reasons, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(reasons)
	return fmt.Sprintf("%s: bad rows: %s: fix them in the database, or skip bad rows", e.Source, strings.Join(reasons, ", "))
}

// Summarize runs the summary's statements on conn and returns the summary
// that datasets.SummarizeFile returns for the same log in a file: the same
// rows in the same order, the same late customers, accounting and repeat
// purchases per day. The customers are read row by row; only the summary
// itself is held. DuplicateRows stays 0: a table has no row order to tell
// a repeated line by.
func Summarize(ctx context.Context, conn Conn, spec Spec) (*datasets.Summary, error) {
	q, err := prepare(ctx, conn, spec)
	if err != nil || q.s == nil {
		return nil, err
	}
	repeats := map[int64]float64{}
	if err := q.readCustomers(ctx, repeats); err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	q.finish(repeats)
	return q.s, nil
}

// query is one summary being computed.
type query struct {
	conn     Conn
	spec     Spec
	w        window
	st       Statements
	name     string
	settings map[string]string // ClickHouse settings of the customer statements
	s        *datasets.Summary
	earliest int64 // the earliest first day of the calibration customers
}

// prepare checks the spec, runs the accounting (failing on bad rows unless
// they are skipped) and starts the summary.
func prepare(ctx context.Context, conn Conn, spec Spec) (*query, error) {
	spec.Dialect = conn.Dialect()
	w, err := spec.check()
	if err != nil {
		return nil, err
	}
	if err := DetectDateText(ctx, conn, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(spec), err)
	}
	st, err := SQL(spec)
	if err != nil {
		return nil, err
	}
	q := &query{conn: conn, spec: spec, w: w, st: st, name: describe(spec), earliest: math.MaxInt64}
	acc, lastDay, err := readAccounting(ctx, conn, st.Accounting)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	if !strings.EqualFold(spec.OnBadRow, "skip") {
		bad := map[datasets.Reason]int64{}
		for r, n := range acc.RejectedBy {
			if r != datasets.ReasonAfterEnd && n > 0 {
				bad[r] = n
			}
		}
		if len(bad) > 0 {
			return nil, &BadRowsError{Source: q.name, Rejected: bad}
		}
	}
	if q.settings, err = shardSettings(ctx, conn, spec); err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	s := &datasets.Summary{Unit: spec.Summary.Unit, CalibrationEnd: dayTime(w.cal), HasHoldout: w.hasHold, HasAmount: spec.hasAmount(), Accounting: acc}
	if w.hasHold {
		s.HoldoutEnd = dayTime(w.hold)
	}
	if !s.HasAmount {
		s.NoAmountReason = "the amount column is none"
	}
	if lastDay != noDay {
		s.LastDate = dayTime(lastDay)
	}
	q.s = s
	return q, nil
}

// finish sorts the customers and sets the activity periods and the
// repeat purchases per day (by day number).
func (q *query) finish(repeats map[int64]float64) {
	s, w := q.s, q.w
	if len(s.Customers) == 0 {
		return
	}
	if !s.Compressed {
		datasets.SortByID(s.Customers)
	}
	if w.period > 0 {
		s.ActivityPeriod = w.period
		s.ActivityPeriods = int(min(64, math.Ceil(float64(w.cal-q.earliest+1)/w.period)))
	}
	s.FirstDay = dayTime(q.earliest)
	if q.spec.NoRepeatDays {
		return
	}
	s.RepeatsPerDay = make([]float64, w.end()-q.earliest+1)
	for day, n := range repeats {
		if k := day - q.earliest; k >= 0 && k < int64(len(s.RepeatsPerDay)) {
			s.RepeatsPerDay[k] = n
		}
	}
}

// describe names the source in messages.
func describe(spec Spec) string {
	if spec.Table != "" {
		return string(spec.Dialect) + " table " + spec.Table
	}
	return string(spec.Dialect) + " query"
}

func dayTime(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

func readAccounting(ctx context.Context, conn Conn, sql string) (datasets.Accounting, int64, error) {
	acc := datasets.Accounting{RejectedBy: map[datasets.Reason]int64{}}
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return acc, 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return acc, 0, err
		}
		return acc, 0, fmt.Errorf("the accounting query returned no row")
	}
	counts := make([]int64, len(accountedReasons))
	var lastDay int64
	dest := []any{&acc.RowsRead}
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	if err := rows.Scan(append(dest, &lastDay)...); err != nil {
		return acc, 0, err
	}
	for i, r := range accountedReasons {
		if counts[i] > 0 {
			acc.RejectedBy[r] = counts[i]
			acc.RowsRejected += counts[i]
		}
	}
	acc.RowsUsed = acc.RowsRead - acc.RowsRejected
	return acc, lastDay, rows.Err()
}

// readCustomers streams the customer rows into s and collects the
// repeat purchase days per day.
func (q *query) readCustomers(ctx context.Context, repeats map[int64]float64) error {
	rows, err := queryWith(ctx, q.conn, q.st.Customers, q.settings)
	if err != nil {
		return err
	}
	defer rows.Close()
	w, s := q.w, q.s
	var (
		kind, n                     int64
		id                          string
		first, lastCal, nCal, nHold int64
		firstAmt, repSum, holdSum   float64
		act                         activityBits
	)
	dest := []any{&kind, &id, &first, &lastCal, &nCal, &nHold, &firstAmt, &repSum, &holdSum, act.dest(q.conn), &n}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		switch {
		case kind == kindRepeatDay:
			repeats[first] += float64(n)
			continue
		case kind != kindCustomer:
			return fmt.Errorf("unexpected row kind %d", kind)
		case first > w.cal:
			s.LateCustomers++
			continue
		}
		q.earliest = min(q.earliest, first)
		c := datasets.CustomerSummary{ID: id, Frequency: float64(nCal - 1), Recency: float64(lastCal-first) / w.unitDays,
			T: float64(w.cal-first) / w.unitDays, FirstAmount: firstAmt, Weight: 1, Activity: act.value()}
		if nCal > 1 {
			c.Monetary = repSum / float64(nCal-1)
		}
		if w.hasHold {
			c.FrequencyHoldout = float64(nHold)
			if nHold > 0 {
				c.MonetaryHoldout = holdSum / float64(nHold)
			}
			c.DurationHoldout = float64(w.hold-w.cal) / w.unitDays
		}
		s.Customers = append(s.Customers, c)
	}
	return rows.Err()
}

// activityBits scans a bitmap column: a signed bigint in PostgreSQL, a
// UInt64 in ClickHouse.
type activityBits struct {
	signed   int64
	unsigned uint64
	pg       bool
}

func (a *activityBits) dest(c Conn) any {
	if c.Dialect() == Postgres {
		a.pg = true
		return &a.signed
	}
	return &a.unsigned
}

func (a *activityBits) value() uint64 {
	if a.pg {
		return uint64(a.signed)
	}
	return a.unsigned
}
