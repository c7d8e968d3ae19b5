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
// on first use, from in's customers and, when not nil, their pattern table
// (see the comment above). Each stops with the error of in's context once
// that has ended.
type historyTables struct {
	in                *Input
	patterns          *datasets.Patterns
	rowsChecked       bool
	plain, byActivity *historyTable
	ages              *ageTable
}

func newHistoryTables(in *Input) *historyTables {
	return &historyTables{in: in, patterns: in.Patterns}
}

// table returns the distinct histories, with the activity bitmaps when
// withActivity.
func (t *historyTables) table(withActivity bool) (*historyTable, error) {
	cached := &t.plain
	if withActivity {
		cached = &t.byActivity
	}
	if *cached != nil {
		return *cached, nil
	}
	rows, err := t.patternRows()
	if err != nil {
		return nil, err
	}
	var ht *historyTable
	switch {
	case withActivity:
		ht, err = activityTable(t.in)
	case rows != nil:
		ht, err = patternTable(t.in, rows, t.patterns.Len())
	default:
		ht, err = plainTable(t.in)
	}
	*cached = ht
	return ht, err
}

// plainTable numbers the distinct (x, t_x, T) in order of first appearance
// by an open-addressing index, several times faster than a map on a
// million customers.
func plainTable(in *Input) (*historyTable, error) {
	cs := in.Customers
	ht := &historyTable{}
	index := keyindex.New(len(cs) / 4)
	for i := range cs {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		c := &cs[i]
		g, seen := index.Of(c.Frequency+0, c.Recency+0, c.T+0) // +0: −0 as 0, as a map compares
		if !seen {
			ht.hs = append(ht.hs, history{x: c.Frequency, tx: c.Recency, T: c.T})
			ht.count = append(ht.count, 0)
		}
		ht.count[g]++
	}
	return ht, nil
}

// patternTable is plainTable read off the customers' pattern rows: a row
// is numbered when its first customer is met.
func patternTable(in *Input, rowOf []int32, rows int) (*historyTable, error) {
	cs := in.Customers
	ht := &historyTable{hs: make([]history, 0, rows), count: make([]float64, 0, rows)}
	num := make([]int32, rows) // each row's number, −1 before its first customer
	for r := range num {
		num[r] = -1
	}
	for i, r := range rowOf {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		g := num[r]
		if g < 0 {
			g = int32(len(ht.hs))
			num[r] = g
			c := &cs[i]
			ht.hs = append(ht.hs, history{x: c.Frequency, tx: c.Recency, T: c.T})
			ht.count = append(ht.count, 0)
		}
		ht.count[g]++
	}
	return ht, nil
}

// activityTable numbers the distinct (x, t_x, T, activity) in order of
// first appearance.
func activityTable(in *Input) (*historyTable, error) {
	cs := in.Customers
	ht := &historyTable{}
	index := make(map[history]int, len(cs)/4)
	for i := range cs {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
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
	return ht, nil
}

// patternRows returns the customers' rows in the pattern table, nil
// without a table or when it is not the customers' (checked on first use:
// see isPatternTable).
func (t *historyTables) patternRows() ([]int32, error) {
	if !t.rowsChecked && t.patterns != nil {
		ok, err := isPatternTable(t.in, t.patterns)
		if err != nil {
			return nil, err
		}
		if !ok {
			t.patterns = nil
		}
	}
	t.rowsChecked = true
	if t.patterns == nil {
		return nil, nil
	}
	return t.patterns.Of, nil
}

// isPatternTable reports whether pt holds every customer's history of in:
// a row for each customer, in range, with the customer's (x, t_x, T), −0
// counting as 0.
func isPatternTable(in *Input, pt *datasets.Patterns) (bool, error) {
	cs := in.Customers
	n := pt.Len()
	if len(pt.Of) != len(cs) || len(pt.Frequency) != n || len(pt.Recency) != n {
		return false, nil
	}
	for i := range cs {
		if err := in.stoppedAt(i); err != nil {
			return false, err
		}
		c, r := &cs[i], pt.Of[i]
		if r < 0 || int(r) >= n || pt.Frequency[r] != c.Frequency || pt.Recency[r] != c.Recency || pt.T[r] != c.T {
			return false, nil
		}
	}
	return true, nil
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
// appearance, with the first customer of each and every customer's age
// (see of).
type ageTable struct {
	list  []age
	first []int
	// byCustomer holds every customer's age, or, with the pattern table,
	// byRow every row's, rows being the customers' rows.
	byCustomer, rows, byRow []int32
}

// of returns customer i's age.
func (at *ageTable) of(i int) int32 {
	if at.rows != nil {
		return at.byRow[at.rows[i]]
	}
	return at.byCustomer[i]
}

// ageTable returns the customers' ages, made on first use.
func (t *historyTables) ageTable() (*ageTable, error) {
	if t.ages != nil {
		return t.ages, nil
	}
	rowOf, err := t.patternRows()
	if err != nil {
		return nil, err
	}
	in, at := t.in, &ageTable{}
	cs := in.Customers
	if rowOf != nil {
		// The rows' ages, numbered by hashing the rows, then in order of
		// first appearance among the customers.
		pt := t.patterns
		rows := newAgeIndex(pt.Len() / 4)
		ageOfRow := make([]int32, pt.Len())
		for r := range ageOfRow {
			ageOfRow[r] = int32(rows.add(age{pt.Frequency[r], pt.T[r]}, r))
		}
		num := make([]int32, len(rows.list))
		for k := range num {
			num[k] = -1
		}
		for i, r := range rowOf {
			if err := in.stoppedAt(i); err != nil {
				return nil, err
			}
			if a := ageOfRow[r]; num[a] < 0 {
				num[a] = int32(len(at.list))
				at.list = append(at.list, age{cs[i].Frequency, cs[i].T})
				at.first = append(at.first, i)
			}
		}
		for r, a := range ageOfRow {
			ageOfRow[r] = num[a] // every row has a customer: none is −1
		}
		at.rows, at.byRow = rowOf, ageOfRow
	} else {
		ages := newAgeIndex(len(cs) / 16)
		at.byCustomer = make([]int32, len(cs))
		for i := range cs {
			if err := in.stoppedAt(i); err != nil {
				return nil, err
			}
			at.byCustomer[i] = int32(ages.add(age{cs[i].Frequency, cs[i].T}, i))
		}
		at.list, at.first = ages.list, ages.first
	}
	t.ages = at
	return at, nil
}
