package datasets

import (
	"math"
	"slices"
)

// The per-customer state of a summary in the making.
//
// Memory grows with the number of customers, not with the number of rows:
// while a customer's rows arrive in date order (as they do in a log sorted
// by time, or grouped by customer and sorted by date) a fixed-size
// custState is enough, because a new purchase day is then simply a day
// after the last one. Amounts need no history at all: the mean of the
// same-day-summed repeat amounts is their total divided by the number of
// repeat days.
//
// When a row comes earlier than the customer's last day (and is not on the
// first or the last day, which are known), telling whether its day is new
// needs the customer's set of days. If that set can be rebuilt from the
// state (one or two days so far, or every day from the first to the last)
// the customer switches to an exact mode holding its sorted distinct days.
// Otherwise the customer is marked for a second pass: once the input is
// read, it is read again and the marked customers alone are rebuilt in
// exact mode. A shuffled log thus costs a second read and memory for the
// distinct days of its out-of-order customers; a log in time order costs
// neither.
type custState struct {
	first, last int32 // first and last purchase day
	lastCal     int32 // last purchase day in calibration; noDay if none
	nCal, nHold int32 // distinct purchase days in calibration / holdout
	mode        uint8
	// prevOnLast tells whether the customer's previous row was on day
	// last (its amount is in customerTable.recent, unless evicted).
	prevOnLast bool
	// firstAmt is the amount of the first purchase day, repSum the total
	// of the other calibration days and holdSum of the holdout days (the
	// first day excluded from both).
	firstAmt, repSum, holdSum float64
	activity                  uint64
}

const noDay = math.MinInt32

// state modes
const (
	modeOrdered uint8 = iota // rows so far in date order: O(1) state
	modeExact                // distinct days kept in customerTable.days
	modeRescan               // order lost: to rebuild in a second pass
	modeRebuild              // being rebuilt in the second pass (exact)
)

// entry is one slot of the customer table: a key and the state, 64 bytes,
// one cache line, so that a row of a known customer costs one memory
// access in a table far larger than the caches. (A field more, 72 bytes,
// costs 17% of the reading speed: see recentRow.)
type entry struct {
	key uint64 // 0: empty slot
	custState
}

// Keys. An id of 1 to 15 digits (most ids) is its own key: its value times
// 16 plus its length, exact ("0001" and "1" differ) and needing no string
// at all. Other ids get a serial number from a string map and the key
// strKey | serial.
const strKey = 1 << 63

// customerTable holds every customer's state, in shards that the table
// writers fill in parallel (see startTableWriter): a customer belongs to
// the shard that the top bits of its hash name, so that its rows reach
// one shard, in file order. The string ids are the table's own (keyOf
// runs on the goroutine that reads the rows).
type customerTable struct {
	calEnd    int32
	shards    []*customerShard
	shardBits uint // len(shards) is 1 << shardBits
	strID     map[string]uint64
	strs      []string
}

// customerShard holds the states of its customers in an open-addressing
// hash table (linear probing, Fibonacci hashing, at most 3/4 full).
type customerShard struct {
	calEnd    int32
	period    float64 // activity period in days (0: off)
	shardBits uint
	slots     []entry
	shift     uint // 64 - log2(len(slots))
	n         int
	days      map[uint64][]int32 // sorted distinct days of exact-mode customers
	rescans   int                // customers marked for the second pass
	// firstRescan is the key of the first of them, for messages, and
	// firstRescanRow its position among the used rows (see purchase.row).
	firstRescan    uint64
	firstRescanRow uint64
	lastRow        uint64 // the position of the latest purchase
	sink           uint64 // keeps addBatch's touches from being optimized away
	// dups counts rows equal to their customer's previous row (see
	// Accounting.DuplicateRows), in the first pass, and recent holds the
	// amounts of recent rows for that comparison.
	dups   int64
	recent []recentRow
	// perDay counts the distinct purchase days of calibration customers
	// (first purchase ≤ calEnd) by day: perDay[d − perDayBase]. It is kept
	// only while every customer's rows come in date order (perDayValid);
	// a customer whose order breaks turns it off, since its first pass
	// cannot be undone.
	perDay      []float64
	perDayBase  int32
	perDayValid bool
	// gapDays, when not nil, collects every customer's calibration
	// purchase days for the inter-purchase statistics (see
	// interpurchase.go); nil unless SummaryOptions.InterPurchase.
	gapDays map[uint64][]int32
}

// countDay adds one distinct purchase day d of a calibration customer.
func (c *customerShard) countDay(d int32) {
	c.perDay, c.perDayBase = countOn(c.perDay, c.perDayBase, d)
}

// countOn adds one to the count of day d in counts, which start at day
// base, growing them as needed.
func countOn(counts []float64, base, d int32) ([]float64, int32) {
	if len(counts) == 0 {
		base = d
	}
	switch {
	case d < base:
		grow := int(base - d)
		counts = append(make([]float64, grow, grow+len(counts)), counts...)
		base = d
	case int(d-base) >= len(counts):
		counts = append(counts, make([]float64, int(d-base)+1-len(counts))...)
	}
	counts[d-base]++
	return counts, base
}

// newCustomerTable makes a table of 1 << shardBits shards (at most
// recentBits).
func newCustomerTable(calEnd int64, period float64, shardBits uint) *customerTable {
	shardBits = min(shardBits, recentBits)
	c := &customerTable{calEnd: int32(calEnd), shardBits: shardBits, strID: map[string]uint64{}}
	for range 1 << shardBits {
		sh := &customerShard{calEnd: int32(calEnd), period: period, shardBits: shardBits, days: map[uint64][]int32{}, perDayValid: true,
			recent: make([]recentRow, 1<<(recentBits-shardBits))}
		sh.slots, sh.shift = make([]entry, 1<<8), 64-8
		c.shards = append(c.shards, sh)
	}
	return c
}

// hashKey is the Fibonacci hash of a key: its top shardBits bits choose
// the shard, the bits below them the slot in the shard and the slot of
// the recent-rows cache.
func hashKey(key uint64) uint64 { return key * 0x9e3779b97f4a7c15 }

// shardOf returns the shard of a key.
func (c *customerTable) shardOf(key uint64) *customerShard {
	return c.shards[hashKey(key)>>(64-c.shardBits)&(1<<c.shardBits-1)]
}

// home returns the slot where a key's probe starts.
func (c *customerShard) home(key uint64) uint64 { return hashKey(key) << c.shardBits >> c.shift }

// recentRow is the amount of a customer's latest row, in a direct-mapped
// cache indexed by the customer's key (recentRows slots): a row that falls
// on its customer's last day, right after a row of that day
// (custState.prevOnLast), is a duplicate when its amount equals the cached
// one. The cache holds the previous row's amount unless a row of another
// customer mapped to the same slot came in between, so a duplicate is
// never counted wrongly, and one is missed only when thousands of rows
// separate it from its original. Keeping the amount in the cache instead
// of the customer's entry keeps the entry at one cache line.
type recentRow struct {
	key    uint64
	amount float64
}

// recentBits sets the size of the cache: 2^15 rows, 512 KiB (within the L2
// cache).
const recentBits = 15

// recentSlot returns the cache slot of a customer.
// The cache is the same whatever the number of shards: a shard holds the
// cache slots of its customers (the global slot is the top recentBits bits
// of the hash, the first of them the shard's), so that each cache slot sees
// the same rows in the same order.
func (c *customerShard) recentSlot(key uint64) *recentRow {
	return &c.recent[hashKey(key)<<c.shardBits>>(64-recentBits+c.shardBits)]
}

// numericKey packs an id of 1 to 15 digits into its key.
func numericKey(id []byte) (uint64, bool) {
	if len(id) == 0 || len(id) > 15 {
		return 0, false
	}
	var v uint64
	for _, ch := range id {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
	}
	return v<<4 | uint64(len(id)), true
}

// keyOf returns the key of an id, giving a new string id a serial number
// when add is true (else reporting it absent).
func (c *customerTable) keyOf(id []byte, add bool) (uint64, bool) {
	if k, ok := numericKey(id); ok {
		return k, true
	}
	if k, ok := c.strID[string(id)]; ok {
		return k, true
	}
	if !add {
		return 0, false
	}
	k := strKey | uint64(len(c.strs))
	s := string(id)
	c.strID[s] = k
	c.strs = append(c.strs, s)
	return k, true
}

// idOf returns the id a key stands for.
func (c *customerTable) idOf(key uint64) string {
	if key&strKey != 0 {
		return c.strs[key&^strKey]
	}
	var buf [20]byte
	return string(appendNumericID(buf[:0], key))
}

// appendNumericID appends the id of a numeric key: its value, with the
// leading zeros that make up its length.
func appendNumericID(b []byte, key uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for v := key >> 4; v > 0; v /= 10 {
		i--
		buf[i] = byte('0' + v%10)
	}
	for n := int(key & 15); len(buf)-i < n; {
		i--
		buf[i] = '0'
	}
	return append(b, buf[i:]...)
}

// slot returns the entry of a key; with insert, a new one (key set, state
// zero) when absent, else nil.
func (c *customerShard) slot(key uint64, insert bool) (*entry, bool) {
	mask := uint64(len(c.slots) - 1)
	for h := c.home(key); ; h = (h + 1) & mask {
		e := &c.slots[h]
		if e.key == key {
			return e, false
		}
		if e.key == 0 {
			if !insert {
				return nil, false
			}
			if 4*(c.n+1) > 3*len(c.slots) {
				c.grow()
				return c.slot(key, true)
			}
			e.key = key
			c.n++
			return e, true
		}
	}
}

// grow doubles the table.
func (c *customerShard) grow() {
	old := c.slots
	c.slots, c.shift = make([]entry, 2*len(old)), c.shift-1
	adviseHugePages(c.slots)
	mask := uint64(len(c.slots) - 1)
	for i := range old {
		if old[i].key == 0 {
			continue
		}
		h := c.home(old[i].key)
		for c.slots[h].key != 0 {
			h = (h + 1) & mask
		}
		c.slots[h] = old[i]
	}
}

// purchase is a used row waiting in a batch. row is the low 32 bits of
// its position among the used rows (a shard rebuilds the position from the
// previous one: its rows come in file order, never 2³² rows apart in
// practice), which orders the customers that shards mark for a rescan.
type purchase struct {
	key    uint64
	day    int32
	row    uint32
	amount float64
}

// addBatch records a batch of purchases in order. It first touches the
// slot of each, so that the memory accesses of the whole batch overlap
// instead of waiting for one another: in a table much larger than the
// caches that is most of the cost of a row.
func (c *customerShard) addBatch(b []purchase) {
	for len(b) > 0 {
		n := min(len(b), 128)
		var sink uint64
		for i := range b[:n] {
			sink += c.slots[c.home(b[i].key)].key
		}
		c.sink += sink
		for i := range b[:n] {
			c.lastRow += uint64(b[i].row - uint32(c.lastRow))
			c.add(b[i].key, b[i].day, b[i].amount)
		}
		b = b[n:]
	}
}

// add records a purchase of amount a on day d by the customer with key
// (first pass).
func (c *customerShard) add(key uint64, d int32, a float64) {
	if c.gapDays != nil && d <= c.calEnd {
		c.noteDay(key, d)
	}
	e, isNew := c.slot(key, true)
	st := &e.custState
	if isNew {
		c.start(st, d, a)
		*c.recentSlot(key) = recentRow{key, a}
		return
	}
	rr := c.recentSlot(key)
	if d == st.last && st.prevOnLast && st.mode != modeRescan && rr.key == key && rr.amount == a {
		c.dups++
	}
	*rr = recentRow{key, a}
	switch st.mode {
	case modeOrdered:
		switch {
		case d == st.last:
			c.addAmount(st, d, a)
			st.prevOnLast = true
		case d > st.last:
			st.last = d
			c.newDay(st, d)
			c.addAmount(st, d, a)
			st.prevOnLast = true
		case d == st.first:
			st.firstAmt += a
			st.prevOnLast = false
		default:
			c.perDayValid = false
			if !c.toExact(key, st) {
				st.mode = modeRescan
				if c.rescans == 0 {
					c.firstRescan, c.firstRescanRow = key, c.lastRow
				}
				c.rescans++
				return
			}
			c.addExact(key, st, d, a)
			st.prevOnLast = d == st.last
		}
	case modeExact:
		c.addExact(key, st, d, a)
		st.prevOnLast = d == st.last
	case modeRescan:
		// Rebuilt in the second pass.
	}
}

// start sets up a customer's state from its first row.
func (c *customerShard) start(st *custState, d int32, a float64) {
	*st = custState{first: d, last: d, lastCal: noDay, firstAmt: a, mode: st.mode, prevOnLast: true}
	c.newDay(st, d)
}

// newDay counts a purchase day not seen before.
func (c *customerShard) newDay(st *custState, d int32) {
	if st.mode != modeOrdered {
		c.perDayValid = false
	} else if st.first <= c.calEnd {
		c.countDay(d)
	}
	if d > c.calEnd {
		st.nHold++
		return
	}
	st.nCal++
	if d > st.lastCal {
		st.lastCal = d
	}
	if c.period > 0 {
		if k := math.Floor(float64(c.calEnd-d) / c.period); k < 64 {
			st.activity |= 1 << uint(k)
		}
	}
}

// addAmount adds an amount to the total its day belongs to.
func (c *customerShard) addAmount(st *custState, d int32, a float64) {
	switch {
	case d == st.first:
		st.firstAmt += a
	case d <= c.calEnd:
		st.repSum += a
	default:
		st.holdSum += a
	}
}

// toExact switches an ordered customer to exact mode when its days can be
// rebuilt from its state.
func (c *customerShard) toExact(key uint64, st *custState) bool {
	n := int64(st.nCal) + int64(st.nHold)
	var days []int32
	switch {
	case n == 1:
		days = []int32{st.first}
	case n == 2:
		days = []int32{st.first, st.last}
	case int64(st.last)-int64(st.first)+1 == n:
		days = make([]int32, 0, n)
		for d := st.first; d <= st.last; d++ {
			days = append(days, d)
		}
	default:
		return false
	}
	c.days[key] = days
	st.mode = modeExact
	return true
}

// addExact records a purchase for a customer in exact mode, in any order.
func (c *customerShard) addExact(key uint64, st *custState, d int32, a float64) {
	days := c.days[key]
	if len(days) == 0 {
		c.start(st, d, a)
		c.days[key] = append(days, d)
		return
	}
	pos, found := slices.BinarySearch(days, d)
	if !found {
		c.days[key] = slices.Insert(days, pos, d)
		if d < st.first {
			// The old first day becomes a repeat (or holdout) day.
			if st.first <= c.calEnd {
				st.repSum += st.firstAmt
			} else {
				st.holdSum += st.firstAmt
			}
			st.first, st.firstAmt = d, 0
		}
		if d > st.last {
			st.last = d
		}
		c.newDay(st, d)
	}
	c.addAmount(st, d, a)
}

// prepareRescan resets the customers marked for the second pass.
func (c *customerTable) prepareRescan() {
	for _, sh := range c.shards {
		for i := range sh.slots {
			if e := &sh.slots[i]; e.key != 0 && e.mode == modeRescan {
				e.custState = custState{mode: modeRebuild}
				sh.days[e.key] = nil
			}
		}
	}
}

// addRescan records a purchase in the second pass: only the customers
// being rebuilt count.
func (c *customerTable) addRescan(id []byte, d int32, a float64) {
	key, ok := c.keyOf(id, false)
	if !ok {
		return
	}
	sh := c.shardOf(key)
	if e, _ := sh.slot(key, false); e != nil && e.mode == modeRebuild {
		sh.addExact(key, &e.custState, d, a)
	}
}

// rescans returns the number of customers marked for the second pass and
// the key of the first of them in file order.
func (c *customerTable) rescans() (n int, first uint64) {
	firstRow := uint64(math.MaxUint64)
	for _, sh := range c.shards {
		if sh.rescans > 0 && sh.firstRescanRow < firstRow {
			first, firstRow = sh.firstRescan, sh.firstRescanRow
		}
		n += sh.rescans
	}
	return n, first
}

// dups returns the number of duplicate rows (Accounting.DuplicateRows).
func (c *customerTable) dups() (n int64) {
	for _, sh := range c.shards {
		n += sh.dups
	}
	return n
}

// perDay returns the shards' counts of distinct purchase days by day
// (customerShard.perDay) added up, from day base; ok is false when some
// customer's rows were out of date order.
func (c *customerTable) perDay() (counts []float64, base int32, ok bool) {
	lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
	for _, sh := range c.shards {
		if !sh.perDayValid {
			return nil, 0, false
		}
		if len(sh.perDay) > 0 {
			lo, hi = min(lo, sh.perDayBase), max(hi, sh.perDayBase+int32(len(sh.perDay))-1)
		}
	}
	if lo > hi {
		return nil, 0, true
	}
	counts = make([]float64, hi-lo+1)
	for _, sh := range c.shards {
		for i, v := range sh.perDay {
			counts[int(sh.perDayBase-lo)+i] += v
		}
	}
	return counts, lo, true
}

// tableEntry is a customer of the table: its key and its state.
type tableEntry struct {
	key uint64
	st  *custState
}

// tableFacts are what entries learns of the customers it returns: the
// number of others (first purchase after calibration), the customers by
// first day (firsts[d − firstBase]) and whether some customer's amounts
// overflow (see overflows).
type tableFacts struct {
	late      int
	firsts    []float64
	firstBase int32
	overflow  bool
}

// entries returns the customers whose first purchase is on or before day
// cal, in output order (see idOrder), and facts about them; ids are made
// by idOf when needed, so that no string is made for a numeric id before
// the summary's row.
func (c *customerTable) entries(cal int32, hasHold bool) (es []tableEntry, f tableFacts) {
	n := 0
	for _, sh := range c.shards {
		n += sh.n
	}
	es = make([]tableEntry, 0, n)
	adviseHugePages(es)
	for _, sh := range c.shards {
		for i := range sh.slots {
			e := &sh.slots[i]
			if e.key == 0 {
				continue
			}
			if e.first > cal {
				f.late++
				continue
			}
			f.firsts, f.firstBase = countOn(f.firsts, f.firstBase, e.first)
			f.overflow = f.overflow || overflows(&e.custState, hasHold)
			es = append(es, tableEntry{e.key, &e.custState})
		}
	}
	if len(c.strs) == 0 {
		// Every id is numeric: by value, then (for ids equal but for
		// leading zeros) by text, where the longer comes first: the
		// order of the keys with their length l (low 4 bits) turned into
		// 15 − l, an involution.
		flip := func() {
			for i := range es {
				es[i].key ^= 15
			}
		}
		flip()
		radixSortEntries(es)
		flip()
		return es, f
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = c.idOf(e.key)
	}
	order := idOrder(ids)
	sorted := make([]tableEntry, len(order))
	for j, i := range order {
		sorted[j] = es[i]
	}
	return sorted, f
}
