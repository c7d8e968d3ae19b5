package datasets

import (
	"cmp"
	"maps"
	"slices"
)

// Compress merges the customers identical in (frequency, recency, T) into
// one row whose Weight is the sum of theirs, in a deterministic order
// (by frequency, then recency, then T). Likelihoods of the purchase models
// depend on a customer through (x, t_x, T) only, so a fit on the compressed
// table weighs each row by its Weight and gives the same estimates, much
// faster when many customers share a history (as in discrete-time data).
//
// The result is for fitting purchase models only: ids, spend, holdout and
// activity columns cannot be merged meaningfully, so the rows carry an
// empty ID, zero Monetary, FirstAmount, holdout columns and Activity, and
// the summary has HasAmount, HasHoldout false and no activity periods. Its
// Accounting and LateCustomers are those of s. Compress returns nil for a
// nil summary and does not change s.
func Compress(s *Summary) *Summary {
	if s == nil {
		return nil
	}
	out := &Summary{
		Unit:           s.Unit,
		CalibrationEnd: s.CalibrationEnd,
		LateCustomers:  s.LateCustomers,
		Compressed:     true,
		Accounting:     s.Accounting,
	}
	out.Accounting.RejectedBy = maps.Clone(s.Accounting.RejectedBy)
	// Merge by hashing the (x, t_x, T) triple, then sort only the distinct
	// rows: far cheaper than sorting every customer when histories repeat.
	type history struct{ x, tx, t float64 }
	index := make(map[history]int, min(len(s.Customers), 1<<16))
	var rows []CustomerSummary
	for _, c := range s.Customers {
		w := c.Weight
		if !s.Compressed && w == 0 {
			w = 1 // a hand-built table may leave Weight unset
		}
		h := history{c.Frequency, c.Recency, c.T}
		if k, ok := index[h]; ok {
			rows[k].Weight += w
			continue
		}
		index[h] = len(rows)
		rows = append(rows, CustomerSummary{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Weight: w})
	}
	slices.SortFunc(rows, func(a, b CustomerSummary) int {
		if c := cmp.Compare(a.Frequency, b.Frequency); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Recency, b.Recency); c != 0 {
			return c
		}
		return cmp.Compare(a.T, b.T)
	})
	out.Customers = rows
	return out
}
