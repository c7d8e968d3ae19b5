package plot

import (
	"fmt"
	"sync"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/keyindex"
	"github.com/clv-dev/clv/models"
)

// The distinct calibration histories and ages of the customers.
//
// The tracking forecast evaluates each model once per distinct input of
// its prediction and weights the value by the customers that share it,
// summed in the order the inputs first appear among the customers; the
// calibration fit and the heat maps count the customers by T and by
// frequency, per distinct history. The distinct histories are numbered by
// hashing every customer's, or, when the run's pattern table of the same
// customers is given (datasets.Patterns: every customer's row among the
// distinct (x, t_x, T)), by numbering its rows in order of first
// appearance, in one pass over the customers that also checks that the
// table is theirs (see rowOrder): the same numbers, without hashing a
// million customers. The ages are numbered alike, per row.

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
// every figure: the histories with the activity bitmaps (for the models
// that read them) and without, and the ages (x, T), each on first use,
// from in's customers and, when not nil, their pattern table (see the
// comment above). Each stops with the error of in's context once that has
// ended. Its methods may be called from several goroutines.
type historyTables struct {
	in                *Input
	mu                sync.Mutex
	rowsChecked       bool
	rows              *rowOrder
	plain, byActivity *historyTable
	ages              *ageTable
}

func newHistoryTables(in *Input) *historyTables {
	return &historyTables{in: in}
}

// histories returns the distinct histories of in's customers, made on
// first use and shared by the figures that read them (newComputation
// makes them before the figures are computed side by side).
func (in *Input) histories() *historyTables {
	if in.hist == nil || in.hist.in != in { // made for a copy of in: not its
		in.hist = newHistoryTables(in)
	}
	return in.hist
}

// table returns the distinct histories, with the activity bitmaps when
// withActivity.
func (t *historyTables) table(withActivity bool) (*historyTable, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cached := &t.plain
	if withActivity {
		cached = &t.byActivity
	}
	if *cached != nil {
		return *cached, nil
	}
	var ht *historyTable
	var err error
	if withActivity { // the activity bitmaps are not in the pattern table
		ht, err = activityTable(t.in)
	} else {
		ht, err = t.plainTable()
	}
	*cached = ht
	return ht, err
}

// plainTable returns the distinct histories without activity, from the
// pattern table's rows when it is the customers' (see rowOrder), else
// numbered afresh (plainTable). t.mu is held.
func (t *historyTables) plainTable() (*historyTable, error) {
	rows, err := t.rowOrder()
	if err != nil {
		return nil, err
	}
	if rows != nil {
		return rows.table(t.in.Customers, t.in.Patterns), nil
	}
	return plainTable(t.in)
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

// rowOrder is the rows of a pattern table that holds the customers'
// histories, numbered in order of first appearance among the customers: a
// history's number, its first customer and its customers are those
// plainTable gives it.
type rowOrder struct {
	rows  []int32   // by number: the row
	first []int     // by number: the first customer
	count []float64 // by number: the customers
}

// rowOrder returns the rows of the pattern table in order of first
// appearance, nil without a table or when it is not the customers' (see
// newRowOrder), made on first use. t.mu is held.
func (t *historyTables) rowOrder() (*rowOrder, error) {
	if !t.rowsChecked && t.in.Patterns != nil {
		ro, err := newRowOrder(t.in, t.in.Patterns)
		if err != nil {
			return nil, err
		}
		t.rows = ro
	}
	t.rowsChecked = true
	return t.rows, nil
}

// newRowOrder numbers the rows of pt in order of first appearance among
// in's customers, and returns nil when pt is not their table: a row for
// each customer, in range, with the customer's (x, t_x, T), −0 counting as
// 0.
func newRowOrder(in *Input, pt *datasets.Patterns) (*rowOrder, error) {
	cs := in.Customers
	n := pt.Len()
	if len(pt.Of) != len(cs) || len(pt.Frequency) != n || len(pt.Recency) != n {
		return nil, nil
	}
	num := make([]int32, n) // by row: its number, −1 for a row of no customer
	for r := range num {
		num[r] = -1
	}
	ro := &rowOrder{rows: make([]int32, 0, n), first: make([]int, 0, n), count: make([]float64, 0, n)}
	for i := range cs {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		c, r := &cs[i], pt.Of[i]
		if r < 0 || int(r) >= n || pt.Frequency[r] != c.Frequency || pt.Recency[r] != c.Recency || pt.T[r] != c.T {
			return nil, nil
		}
		g := num[r]
		if g < 0 {
			g = int32(len(ro.rows))
			num[r] = g
			ro.rows = append(ro.rows, r)
			ro.first = append(ro.first, i)
			ro.count = append(ro.count, 0)
		}
		ro.count[g]++
	}
	return ro, nil
}

// table returns the distinct histories of the customers cs the rows of
// pt are numbered by: each the first customer's, read from the row (the
// same values, newRowOrder checked, in a table that stays in the cache,
// not a summary row of over 100 bytes a customer), but for a zero, which
// may be the customer's −0.
func (ro *rowOrder) table(cs []Customer, pt *datasets.Patterns) *historyTable {
	ht := &historyTable{hs: make([]history, len(ro.first)), count: ro.count}
	for g, r := range ro.rows {
		h := history{x: pt.Frequency[r], tx: pt.Recency[r], T: pt.T[r]}
		if h.x == 0 || h.tx == 0 || h.T == 0 {
			c := &cs[ro.first[g]]
			h = history{x: c.Frequency, tx: c.Recency, T: c.T}
		}
		ht.hs[g] = h
	}
	return ht
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ages != nil {
		return t.ages, nil
	}
	ro, err := t.rowOrder()
	if err != nil {
		return nil, err
	}
	in, at := t.in, &ageTable{}
	cs := in.Customers
	if ro != nil {
		// The rows' ages, numbered by hashing the rows, then in order of
		// first appearance: that of the rows of each age, whose first
		// customer is the age's.
		pt := t.in.Patterns
		rows := newAgeIndex(pt.Len() / 4)
		ageOfRow := make([]int32, pt.Len())
		for r := range ageOfRow {
			ageOfRow[r] = int32(rows.add(age{pt.Frequency[r], pt.T[r]}, r))
		}
		num := make([]int32, len(rows.list))
		for k := range num {
			num[k] = -1
		}
		for g, r := range ro.rows {
			if a := ageOfRow[r]; num[a] < 0 {
				i := ro.first[g]
				num[a] = int32(len(at.list))
				at.list = append(at.list, age{cs[i].Frequency, cs[i].T})
				at.first = append(at.first, i)
			}
		}
		for r, a := range ageOfRow {
			ageOfRow[r] = num[a] // −1 only for a row of no customer
		}
		at.rows, at.byRow = pt.Of, ageOfRow
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
