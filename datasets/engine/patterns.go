package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/clv-dev/clv/datasets"
)

// Patterns is a log's summary reduced in the database to its distinct
// customer patterns: what fitting the purchase models and scoring their
// holdout purchases need, and far fewer rows than customers.
type Patterns struct {
	// Summary has one row per distinct (frequency, recency, T, holdout
	// purchase days, activity bitmap) with Weight the number of its
	// customers; Compressed is set and the rows carry no id and no
	// amounts. Its accounting, late customers, last date, activity
	// periods and repeat purchases per day are those of the per-customer
	// summary. Rows are sorted by frequency, recency, T, holdout
	// purchases, then activity.
	Summary *datasets.Summary
	// Spend holds the distinct (frequency, mean repeat spend) of the
	// customers with a repeat purchase, with their numbers: all that the
	// Gamma-Gamma spend model's likelihood needs (Fader, Hardie & Lee 2005,
	// "RFM and CLV", eq. 1 depends on a customer through x and m̄ only).
	// Sorted by frequency, then mean spend.
	Spend []SpendPattern
}

// SpendPattern is a distinct (x, m̄) with the number of its customers.
type SpendPattern struct {
	Frequency, Monetary, Weight float64
}

// SummarizePatterns computes the pattern table of spec in the database
// (the Patterns statement): only the distinct patterns, the distinct spend
// pairs and the repeat purchases per day cross the wire, however many
// customers the log has. The numbers are computed as Summarize computes
// them, so that expanding each row into Weight customers gives
// Summarize's customers without their ids and amounts.
func SummarizePatterns(ctx context.Context, conn Conn, spec Spec) (*Patterns, error) {
	q, err := prepare(ctx, conn, spec)
	if err != nil {
		return nil, err
	}
	q.s.Compressed = true
	p := &Patterns{Summary: q.s}
	repeats := map[int64]float64{}
	if err := q.readPatterns(ctx, p, repeats); err != nil {
		return nil, fmt.Errorf("%s: %w", q.name, err)
	}
	slices.SortFunc(q.s.Customers, comparePatternRows)
	slices.SortFunc(p.Spend, func(a, b SpendPattern) int {
		return cmp.Or(cmp.Compare(a.Frequency, b.Frequency), cmp.Compare(a.Monetary, b.Monetary))
	})
	q.finish(repeats)
	return p, nil
}

// readPatterns reads the rows of the Patterns statement.
func (q *query) readPatterns(ctx context.Context, p *Patterns, repeats map[int64]float64) error {
	rows, err := queryWith(ctx, q.conn, q.st.Patterns, q.settings)
	if err != nil {
		return err
	}
	defer rows.Close()
	w, s := q.w, q.s
	var (
		kind, a, b, c, d, n int64
		amount              float64
		act                 activityBits
	)
	dest := []any{&kind, &a, &b, &c, &d, act.dest(q.conn), &amount, &n}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		switch kind {
		case kindPattern:
			// a = x, b = t_x and c = T in days, d = holdout purchase days.
			q.earliest = min(q.earliest, w.cal-c)
			row := datasets.CustomerSummary{Frequency: float64(a), Recency: float64(b) / w.unitDays, T: float64(c) / w.unitDays,
				Weight: float64(n), Activity: act.value()}
			if w.hasHold {
				row.FrequencyHoldout = float64(d)
				row.DurationHoldout = float64(w.hold-w.cal) / w.unitDays
			}
			s.Customers = append(s.Customers, row)
		case kindRepeatDay:
			repeats[a] += float64(n)
		case kindLate:
			s.LateCustomers += int(n)
		case kindSpend:
			p.Spend = append(p.Spend, SpendPattern{Frequency: float64(a), Monetary: amount / float64(a), Weight: float64(n)})
		default:
			return fmt.Errorf("unexpected row kind %d", kind)
		}
	}
	return rows.Err()
}

// comparePatternRows orders pattern rows by frequency, recency, T,
// holdout purchases, then activity.
func comparePatternRows(x, y datasets.CustomerSummary) int {
	return cmp.Or(cmp.Compare(x.Frequency, y.Frequency), cmp.Compare(x.Recency, y.Recency), cmp.Compare(x.T, y.T),
		cmp.Compare(x.FrequencyHoldout, y.FrequencyHoldout), cmp.Compare(x.Activity, y.Activity))
}
