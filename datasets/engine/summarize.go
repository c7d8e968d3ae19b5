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
	spec.Dialect = conn.Dialect()
	w, err := spec.check()
	if err != nil {
		return nil, err
	}
	st, err := SQL(spec)
	if err != nil {
		return nil, err
	}
	name := describe(spec)
	acc, lastDay, err := readAccounting(ctx, conn, st.Accounting)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !strings.EqualFold(spec.OnBadRow, "skip") {
		bad := map[datasets.Reason]int64{}
		for r, n := range acc.RejectedBy {
			if r != datasets.ReasonAfterEnd && n > 0 {
				bad[r] = n
			}
		}
		if len(bad) > 0 {
			return nil, &BadRowsError{Source: name, Rejected: bad}
		}
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
	earliest, err := readCustomers(ctx, conn, st.Customers, w, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(s.Customers) == 0 {
		return s, nil
	}
	datasets.SortByID(s.Customers)
	if w.period > 0 {
		s.ActivityPeriod = w.period
		s.ActivityPeriods = int(min(64, math.Ceil(float64(w.cal-earliest+1)/w.period)))
	}
	if err := readRepeatDays(ctx, conn, st.RepeatDays, w, earliest, s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
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

// readCustomers streams the customer rows into s and returns the earliest
// first day of the calibration customers.
func readCustomers(ctx context.Context, conn Conn, sql string, w window, s *datasets.Summary) (int64, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	earliest := int64(math.MaxInt64)
	var (
		id                          string
		first, lastCal, nCal, nHold int64
		firstAmt, repSum, holdSum   float64
		activitySigned              int64
		activity                    uint64
	)
	dest := []any{&id, &first, &lastCal, &nCal, &nHold, &firstAmt, &repSum, &holdSum, &activity}
	if conn.Dialect() == Postgres {
		dest[8] = &activitySigned
	}
	for rows.Next() {
		activitySigned, activity = 0, 0
		if err := rows.Scan(dest...); err != nil {
			return 0, err
		}
		if first > w.cal {
			s.LateCustomers++
			continue
		}
		earliest = min(earliest, first)
		if conn.Dialect() == Postgres {
			activity = uint64(activitySigned)
		}
		c := datasets.CustomerSummary{ID: id, Frequency: float64(nCal - 1), Recency: float64(lastCal-first) / w.unitDays,
			T: float64(w.cal-first) / w.unitDays, FirstAmount: firstAmt, Weight: 1, Activity: activity}
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
	return earliest, rows.Err()
}

// readRepeatDays fills the repeat purchase days per day, from the earliest
// first day through the window's end.
func readRepeatDays(ctx context.Context, conn Conn, sql string, w window, earliest int64, s *datasets.Summary) error {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.FirstDay = dayTime(earliest)
	s.RepeatsPerDay = make([]float64, w.end()-earliest+1)
	var day, n int64
	for rows.Next() {
		if err := rows.Scan(&day, &n); err != nil {
			return err
		}
		if k := day - earliest; k >= 0 && k < int64(len(s.RepeatsPerDay)) {
			s.RepeatsPerDay[k] = float64(n)
		}
	}
	return rows.Err()
}
