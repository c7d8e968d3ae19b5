package plot

import (
	"fmt"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/keyindex"
	"github.com/clv-dev/clv/models"
)

// The distinct calibration histories and ages of the tracking forecast.
//
// The forecast evaluates each model once per distinct input of its
// prediction and weights the value by the customers that share it, summed
// in the order the inputs first appear among the customers. The distinct
// inputs are numbered by hashing every customer's, or, when the run's
// pattern table of the same customers is given (datasets.Patterns: every
// customer's row among the distinct (x, t_x, T)), by renumbering its rows
// in order of first appearance, which gives the same numbers without
// hashing a million customers.

// history is a distinct calibration history of the tracking forecast.
type history struct {
	x, tx, T float64
	activity uint64
}

// customer returns the history as a model's customer.
func (h history) customer() models.Customer {
	return models.Customer{Frequency: h.x, Recency: h.tx, T: h.T, Activity: h.activity}
}

// notFinite is the error of a forecast v over t that is not a number.
func (h history) notFinite(v, t float64) error {
	return fmt.Errorf("the expected purchases %v over %g of a customer with x = %g, t_x = %g, T = %g are not finite",
		v, t, h.x, h.tx, h.T)
}

// historyTable is the distinct histories of the customers and how many
// customers share each.
type historyTable struct {
	hs    []history
	count []float64
}

// historyTables builds the customers' distinct histories and ages once for
// every model of a tracking plot: the histories with the activity bitmaps
// (for the models that read them) and without, and the ages (x, T), each
// on first use. patterns, when not nil, is the pattern table of the
// customers (see the comment above).
type historyTables struct {
	customers         []Customer
	patterns          *datasets.Patterns
	rowsChecked       bool
	plain, byActivity *historyTable
	ages              *ageTable
}

func newHistoryTables(cs []Customer, patterns *datasets.Patterns) *historyTables {
	return &historyTables{customers: cs, patterns: patterns}
}

// table returns the distinct histories, with the activity bitmaps when
// withActivity.
func (t *historyTables) table(withActivity bool) *historyTable {
	cached := &t.plain
	if withActivity {
		cached = &t.byActivity
	}
	if *cached == nil {
		switch {
		case withActivity:
			*cached = activityTable(t.customers)
		case t.patternRows() != nil:
			*cached = patternTable(t.customers, t.patternRows(), t.patterns.Len())
		default:
			*cached = plainTable(t.customers)
		}
	}
	return *cached
}

// plainTable numbers the distinct (x, t_x, T) in order of first appearance
// by an open-addressing index, several times faster than a map on a
// million customers.
func plainTable(cs []Customer) *historyTable {
	ht := &historyTable{}
	index := keyindex.New(len(cs) / 4)
	for i := range cs {
		c := &cs[i]
		g, seen := index.Of(c.Frequency+0, c.Recency+0, c.T+0) // +0: −0 as 0, as a map compares
		if !seen {
			ht.hs = append(ht.hs, history{x: c.Frequency, tx: c.Recency, T: c.T})
			ht.count = append(ht.count, 0)
		}
		ht.count[g]++
	}
	return ht
}

// patternTable is plainTable read off the customers' pattern rows: a row
// is numbered when its first customer is met.
func patternTable(cs []Customer, rowOf []int32, rows int) *historyTable {
	ht := &historyTable{}
	num := firstAppearance(rowOf, rows, func(i int) {
		c := &cs[i]
		ht.hs = append(ht.hs, history{x: c.Frequency, tx: c.Recency, T: c.T})
		ht.count = append(ht.count, 0)
	})
	for _, r := range rowOf {
		ht.count[num[r]]++
	}
	return ht
}

// firstAppearance numbers the rows of items (rowOf[i] is item i's row, in
// [0, rows)) in the order their first item appears, calling first(i) for
// the first item i of each row as it is numbered, and returns every row's
// number (−1 for a row no item has).
func firstAppearance(rowOf []int32, rows int, first func(i int)) []int32 {
	num := make([]int32, rows)
	for r := range num {
		num[r] = -1
	}
	next := int32(0)
	for i, r := range rowOf {
		if num[r] < 0 {
			num[r] = next
			next++
			first(i)
		}
	}
	return num
}

// activityTable numbers the distinct (x, t_x, T, activity) in order of
// first appearance.
func activityTable(cs []Customer) *historyTable {
	ht := &historyTable{}
	index := make(map[history]int, len(cs)/4)
	for i := range cs {
		c := &cs[i]
		h := history{x: c.Frequency, tx: c.Recency, T: c.T, activity: c.Activity}
		g, ok := index[h]
		if !ok {
			g = len(ht.hs)
			index[h] = g
			ht.hs = append(ht.hs, h)
			ht.count = append(ht.count, 0)
		}
		ht.count[g]++
	}
	return ht
}

// patternRows returns the customers' rows in the pattern table, nil
// without a table or when it is not the customers' (checked on first use:
// see isPatternTable).
func (t *historyTables) patternRows() []int32 {
	if !t.rowsChecked {
		t.rowsChecked = true
		if t.patterns != nil && !isPatternTable(t.patterns, t.customers) {
			t.patterns = nil
		}
	}
	if t.patterns == nil {
		return nil
	}
	return t.patterns.Of
}

// isPatternTable reports whether pt holds every customer's history: a row
// for each customer, in range, with the customer's (x, t_x, T), −0
// counting as 0.
func isPatternTable(pt *datasets.Patterns, cs []Customer) bool {
	n := pt.Len()
	if len(pt.Of) != len(cs) || len(pt.Frequency) != n || len(pt.Recency) != n {
		return false
	}
	for i := range cs {
		c, r := &cs[i], pt.Of[i]
		if r < 0 || int(r) >= n || pt.Frequency[r] != c.Frequency || pt.Recency[r] != c.Recency || pt.T[r] != c.T {
			return false
		}
	}
	return true
}

// age is a distinct (x, T) of the factored forecast.
type age struct{ x, T float64 }

// ageIndex numbers the distinct ages in the order they are first added,
// keeping the item (history or customer) each was first seen with, for
// error messages.
type ageIndex struct {
	index *keyindex.Index
	list  []age
	first []int
}

func newAgeIndex(hint int) *ageIndex { return &ageIndex{index: keyindex.New(hint)} }

// add returns the number of age a, first seen with item when new.
func (ix *ageIndex) add(a age, item int) int {
	k, seen := ix.index.Of(a.x+0, a.T+0, 0) // +0: −0 as 0, as a map compares
	if !seen {
		ix.list = append(ix.list, a)
		ix.first = append(ix.first, item)
	}
	return int(k)
}

// ageTable is the customers' distinct ages (x, T) in order of first
// appearance, with the first customer of each and every customer's age.
type ageTable struct {
	list  []age
	first []int
	of    []int32
}

// ageTable returns the customers' ages, made on first use.
func (t *historyTables) ageTable() *ageTable {
	if t.ages != nil {
		return t.ages
	}
	cs := t.customers
	at := &ageTable{of: make([]int32, len(cs))}
	if rowOf := t.patternRows(); rowOf != nil {
		// The rows' ages, numbered by hashing the rows, then in order of
		// first appearance among the customers.
		pt := t.patterns
		rows := newAgeIndex(pt.Len() / 4)
		ageOfRow := make([]int32, pt.Len())
		for r := range ageOfRow {
			ageOfRow[r] = int32(rows.add(age{pt.Frequency[r], pt.T[r]}, r))
		}
		for i, r := range rowOf {
			at.of[i] = ageOfRow[r]
		}
		num := firstAppearance(at.of, len(rows.list), func(i int) {
			at.list = append(at.list, age{cs[i].Frequency, cs[i].T})
			at.first = append(at.first, i)
		})
		for i, a := range at.of {
			at.of[i] = num[a]
		}
	} else {
		ages := newAgeIndex(len(cs) / 16)
		for i := range cs {
			at.of[i] = int32(ages.add(age{cs[i].Frequency, cs[i].T}, i))
		}
		at.list, at.first = ages.list, ages.first
	}
	t.ages = at
	return at
}

// factoredForecastFromAlive is factoredForecast with every customer's
// P(alive) given (the run's): summed per distinct (x, T) in the customers'
// order.
func factoredForecastFromAlive(af models.AliveFactored, tables *historyTables, alive, ts []float64) ([]float64, error) {
	cs := tables.customers
	for i, pa := range alive {
		if !finite(pa) {
			return nil, fmt.Errorf("P(alive) = %v of customer %q is not finite", pa, cs[i].ID)
		}
	}
	ages := tables.ageTable()
	weight := make([]float64, len(ages.list))
	for i, pa := range alive {
		weight[ages.of[i]] += pa
	}
	return weightedCurves(af, ages.list, weight, ts, func(k int) history {
		c := cs[ages.first[k]]
		return history{x: c.Frequency, tx: c.Recency, T: c.T}
	})
}
