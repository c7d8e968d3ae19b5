package datasets

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
)

// SummaryOptions sets the windows and the time unit of a summary.
//
// Days are UTC calendar days; only the calendar dates of CalibrationEnd and
// HoldoutEnd count (in their own location) and both days are included in
// their windows: calibration runs to the end of CalibrationEnd, the holdout
// from the day after to the end of HoldoutEnd.
type SummaryOptions struct {
	Unit           Unit
	CalibrationEnd time.Time // required
	HoldoutEnd     time.Time // zero: no holdout window; else after CalibrationEnd
	// ActivityPeriodDays, when > 0, turns on the activity bitmaps
	// (CustomerSummary.Activity) with periods of this many days.
	ActivityPeriodDays float64
	// InterPurchase turns on CustomerSummary.LogInterPurchase and
	// LastIntervalShare (for the Erlang-k models), at the cost of memory
	// for every calibration purchase day (see interpurchase.go). It is
	// ignored with Discrete.
	InterPurchase bool
	// Discrete counts calendar periods of Unit (day, week, month, quarter or
	// year) instead of fractional time: each period after the first
	// purchase is one opportunity, purchases in the same period count once,
	// Frequency is the number of later periods with a purchase, Recency the
	// index of the last of them (0 if none) and T the number of periods
	// after the first purchase's through the calibration end (the discrete
	// data of BG/BB). The calibration and holdout ends must be the last
	// days of periods.
	Discrete bool
	// CSV, when not nil, receives the customers' rows as WriteSummaryCSV
	// writes them (header first) instead of Summary.Customers, which is
	// left empty (Summary.WrittenCustomers counts the rows): a summary of
	// tens of millions of customers is written without holding them.
	// Nothing is written when the reading fails.
	CSV io.Writer
}

// window holds the checked options as days.
type logWindow struct {
	unit     Unit
	start    int64
	hasStart bool
	cal      int64
	hold     int64
	hasHold  bool
	period   float64
	gaps     bool
	dateCol  string
	dateIdx  int
	rowNums  bool
	discrete bool
	// per maps a day to its calendar period with SummaryOptions.Discrete,
	// and is the identity otherwise.
	per func(day int64) int64
	csv io.Writer // SummaryOptions.CSV
}

func newWindow(so SummaryOptions, ro ReadOptions) (*logWindow, error) {
	if so.Unit.Days() <= 0 || math.IsInf(so.Unit.Days(), 0) || math.IsNaN(so.Unit.Days()) {
		return nil, fmt.Errorf("summary options: the time unit is not set: use datasets.Week, Day, Month, Year or ParseUnit")
	}
	if so.CalibrationEnd.IsZero() {
		return nil, fmt.Errorf("summary options: the calibration end is not set")
	}
	w := &logWindow{unit: so.Unit, cal: dayOf(so.CalibrationEnd), period: so.ActivityPeriodDays, gaps: so.InterPurchase, csv: so.CSV}
	if !so.HoldoutEnd.IsZero() {
		w.hold, w.hasHold = dayOf(so.HoldoutEnd), true
		if w.hold <= w.cal {
			return nil, fmt.Errorf("summary options: the holdout end %s must be after the calibration end %s",
				formatDay(w.hold), formatDay(w.cal))
		}
	}
	if !ro.Start.IsZero() {
		w.start, w.hasStart = dayOf(ro.Start), true
		if w.start > w.cal {
			return nil, fmt.Errorf("read options: the start %s is after the calibration end %s", formatDay(w.start), formatDay(w.cal))
		}
	}
	if w.cal < minDay || w.cal > maxDay || (w.hasHold && w.hold > maxDay) || (w.hasStart && w.start < minDay) {
		return nil, fmt.Errorf("summary options: dates must fall in years 1 to 9999")
	}
	if math.IsNaN(w.period) || math.IsInf(w.period, 0) || w.period < 0 {
		return nil, fmt.Errorf("summary options: the activity period %v must be a finite number of days ≥ 0 (0 turns it off)", w.period)
	}
	return w, w.setPeriods(so)
}

// setPeriods sets how days map to periods: one to one, or to calendar
// periods with SummaryOptions.Discrete.
func (w *logWindow) setPeriods(so SummaryOptions) error {
	w.per = func(day int64) int64 { return day }
	if !so.Discrete {
		return nil
	}
	per, err := calendarPeriod(so.Unit)
	if err != nil {
		return err
	}
	if w.period > 0 {
		return fmt.Errorf("summary options: activity periods and discrete periods cannot be combined")
	}
	if err := checkPeriodEnd(per, w.cal, "calibration end", so.Unit); err != nil {
		return err
	}
	if w.hasHold {
		if err := checkPeriodEnd(per, w.hold, "holdout end", so.Unit); err != nil {
			return err
		}
	}
	w.per = per
	w.discrete = true
	return nil
}

// end returns the last day of the window: the holdout end, or the
// calibration end without a holdout.
func (w *logWindow) end() int64 {
	if w.hasHold {
		return w.hold
	}
	return w.cal
}

// check rejects a row dated outside the window.
func (w *logWindow) check(r *logRow, file string) *BadRowError {
	var detail, hint string
	var opt Option
	switch {
	case w.hasStart && r.day < w.start:
		detail = fmt.Sprintf("the date %s is before the start %s", formatDay(r.day), formatDay(w.start))
		hint, opt = "set an earlier start, or skip bad rows to leave such rows out", OptionStart
	case w.hasHold && r.day > w.hold:
		detail = fmt.Sprintf("the date %s is after the holdout end %s", formatDay(r.day), formatDay(w.hold))
		hint, opt = "set a later holdout end, or skip bad rows to leave such rows out", OptionHoldoutEnd
	case !w.hasHold && r.day > w.cal:
		detail = fmt.Sprintf("the date %s is after the calibration end %s and there is no holdout window", formatDay(r.day), formatDay(w.cal))
		hint, opt = "set a holdout end or a later calibration end, or skip bad rows to leave such rows out", OptionHoldoutEnd
	default:
		return nil
	}
	return &BadRowError{File: file, Line: r.line, RowNumber: w.rowNums, Column: w.dateCol, ColumnIndex: w.dateIdx,
		Text: clip(r.dateText), Reason: ReasonOutsideWindow, Detail: detail, Hint: hint, Options: []Option{opt, OptionOnBadRow}}
}

// SummarizeFile reads a transaction log file and returns its per-customer
// summary; see ReadOptions for the formats and SummaryOptions for the
// windows. Every row is accounted for in Summary.Accounting: it is used or
// rejected. Under the fail policy the first bad row (a *BadRowError)
// stops the reading.
//
// Memory grows with the number of customers, not rows, as long as each
// customer's rows come in date order (a log sorted by time, or grouped by
// customer); customers whose rows do not are rebuilt in a second read of
// the file (see custState).
//
// A delimited text log is read by one goroutine, parsed by one worker per
// processor and summarized in a customer table of one shard per processor
// (see parallel.go), with the same results as a reading row by row.
func SummarizeFile(path string, ro ReadOptions, so SummaryOptions) (*Summary, error) {
	return summarizeFile(path, ro, so, nil)
}

// summarizeFile is SummarizeFile; tune, when not nil, adjusts the
// normalized options (tests and benchmarks set the parallel reader's
// workers, blocks and shards).
func summarizeFile(path string, ro ReadOptions, so SummaryOptions, tune func(*readConfig)) (*Summary, error) {
	c, err := ro.config()
	if err != nil {
		return nil, err
	}
	if tune != nil {
		tune(c)
	}
	w, err := newWindow(so, ro)
	if err != nil {
		return nil, err
	}
	src, err := openFileSource(path, c)
	if err != nil {
		return nil, err
	}
	s, err := summarizeSource(src, c, w)
	if cerr := src.close(); err == nil && cerr != nil {
		return nil, fmt.Errorf("%s: %w", path, cerr)
	}
	return s, err
}

// Summarize is SummarizeFile for a text log (CSV, TSV or whitespace, not
// Parquet) read from r; name labels it in messages and its extension
// guides Format auto. A second read for out-of-order customers needs r to
// be an io.Seeker (as files, bytes.Reader and strings.Reader are);
// otherwise such a log is an error that says to sort it.
func Summarize(r io.Reader, name string, ro ReadOptions, so SummaryOptions) (*Summary, error) {
	c, err := ro.config()
	if err != nil {
		return nil, err
	}
	w, err := newWindow(so, ro)
	if err != nil {
		return nil, err
	}
	src, err := openReaderSource(r, name, c)
	if err != nil {
		return nil, err
	}
	return summarizeSource(src, c, w)
}

// summarizeSource reads every row of a source into a summary.
func summarizeSource(src logSource, c *readConfig, w *logWindow) (s *Summary, err error) {
	in := src.inspection()
	w.dateCol, w.dateIdx, w.rowNums = in.DateName, in.Date, in.Format == FormatParquet
	z := &summarizer{c: c, w: w, file: in.File, acc: Accounting{RejectedBy: map[Reason]int64{}}, lastDay: math.MinInt64}
	if c.skip && c.rejects != "" {
		if z.rej, err = newRejectWriter(c.rejects); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				z.rej.abort()
			}
		}()
	}
	z.cs = newCustomerTable(w.per(w.cal), w.period, c.shardBits())
	if w.gaps && !w.discrete {
		z.cs.trackGaps()
	}
	z.tw = startTableWriter(z.cs)
	defer z.tw.finish()
	if err := z.readAll(src); err != nil {
		return nil, err
	}
	z.tw.finish()
	cs, acc := z.cs, z.acc
	if n, _ := cs.rescans(); n > 0 {
		if err := secondPass(src, cs, w, in.File); err != nil {
			return nil, err
		}
	}
	var byReason int64
	for _, n := range acc.RejectedBy {
		byReason += n
	}
	if acc.RowsRead != acc.RowsUsed+acc.RowsRejected || byReason != acc.RowsRejected {
		return nil, fmt.Errorf("%s: internal error: %d rows read but %d used and %d rejected (%d by reason)",
			in.File, acc.RowsRead, acc.RowsUsed, acc.RowsRejected, byReason)
	}
	if s, err = buildSummary(cs, w, in.HasAmount(), in.File); err != nil {
		return nil, err
	}
	acc.DuplicateRows = cs.dups()
	s.Accounting = acc
	s.NoAmountReason = in.NoAmountReason
	if z.lastDay != math.MinInt64 {
		s.LastDate = time.Unix(z.lastDay*86400, 0).UTC()
	}
	if z.rej != nil {
		if err := z.rej.commit(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// summarizer accounts for the rows of a log in file order and queues the
// used ones for the customer table.
type summarizer struct {
	c       *readConfig
	w       *logWindow
	file    string
	rej     *rejectWriter
	cs      *customerTable
	tw      *tableWriter
	acc     Accounting
	lastDay int64 // the latest date of a row read without fault
}

// readAll reads every row of src: a text log through the parallel reader
// while its rows allow (see readParallel), the rest one row at a time.
func (z *summarizer) readAll(src logSource) error {
	if ts, ok := src.(*textSource); ok && z.c.parallel >= 0 {
		done, err := z.readParallel(ts)
		if err != nil || done {
			return err
		}
	}
	var r logRow
	for {
		ok, err := src.next(&r)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if err := z.take(&r); err != nil {
			return err
		}
	}
}

// take accounts for one row and queues it for the table when it is used;
// an error (the first bad row under the fail policy, or a failed write to
// the rejects file) stops the reading.
func (z *summarizer) take(r *logRow) error {
	z.acc.RowsRead++
	bad := r.bad
	if bad == nil {
		z.lastDay = max(z.lastDay, r.day)
		bad = z.w.check(r, z.file)
		if bad != nil && z.c.excludeAfterEnd && r.day > z.w.end() {
			z.acc.RowsRejected++
			z.acc.RejectedBy[ReasonAfterEnd]++
			return nil
		}
	}
	if bad != nil {
		if !z.c.skip {
			return bad
		}
		z.acc.RowsRejected++
		z.acc.RejectedBy[bad.Reason]++
		if z.rej != nil {
			if err := z.rej.write(bad); err != nil {
				return err
			}
		}
		return nil
	}
	z.acc.RowsUsed++
	key, _ := z.cs.keyOf(r.id, true)
	z.tw.add(purchase{key: key, day: int32(z.w.per(r.day)), amount: r.amount})
	return nil
}

// tableWriter applies purchases to the customer table, one goroutine per
// shard, in batches that keep the order of the rows, so that parsing and
// the table's memory accesses run in parallel. Only a shard's writer
// touches the shard (slots and states) until finish returns; the reader
// keeps the id map (customerTable.keyOf).
type tableWriter struct {
	shards    []shardWriter
	shardBits uint
	row       uint32 // purchase.row of the next purchase
}

// shardWriter feeds one shard.
type shardWriter struct {
	full  chan []purchase
	free  chan []purchase
	done  chan struct{}
	batch []purchase
}

func startTableWriter(cs *customerTable) *tableWriter {
	const buffers, size = 8, 16384
	w := &tableWriter{shards: make([]shardWriter, len(cs.shards)), shardBits: cs.shardBits}
	for i, sh := range cs.shards {
		sw := &w.shards[i]
		sw.full, sw.free, sw.done = make(chan []purchase, buffers), make(chan []purchase, buffers), make(chan struct{})
		for range buffers {
			sw.free <- make([]purchase, 0, size)
		}
		sw.batch = <-sw.free
		go func() {
			defer close(sw.done)
			for b := range sw.full {
				sh.addBatch(b)
				sw.free <- b[:0]
			}
		}()
	}
	return w
}

// add queues a purchase for its customer's shard.
func (w *tableWriter) add(p purchase) {
	p.row = w.row
	w.row++
	sw := &w.shards[hashKey(p.key)>>(64-w.shardBits)&(1<<w.shardBits-1)]
	sw.batch = append(sw.batch, p)
	if len(sw.batch) == cap(sw.batch) {
		sw.full <- sw.batch
		sw.batch = <-sw.free
	}
}

// finish applies the queued purchases and waits for the writers to stop.
// Later calls do nothing.
func (w *tableWriter) finish() {
	for i := range w.shards {
		sw := &w.shards[i]
		if sw.full == nil {
			continue
		}
		if len(sw.batch) > 0 {
			sw.full <- sw.batch
		}
		close(sw.full)
	}
	for i := range w.shards {
		if sw := &w.shards[i]; sw.full != nil {
			<-sw.done
			sw.full = nil
		}
	}
}

// secondPass reads the source again for the customers whose rows came out
// of date order. Bad rows were accounted for in the first pass.
func secondPass(src logSource, cs *customerTable, w *logWindow, file string) error {
	if err := src.rewind(); err != nil {
		if errors.Is(err, errNotRewindable) {
			n, first := cs.rescans()
			return fmt.Errorf("%s: the rows of %d customers (the first is %s) are out of date order and the input cannot be read a second time to sort them out: sort the log by date, or read it from a file",
				file, n, excerpt([]byte(cs.idOf(first))))
		}
		return err
	}
	cs.prepareRescan()
	var r logRow
	for {
		ok, err := src.next(&r)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if r.bad == nil && w.check(&r, file) == nil {
			cs.addRescan(r.id, int32(w.per(r.day)), r.amount)
		}
	}
}

// buildSummary turns the customers' states into the summary table, or
// writes its rows to w.csv; file names the log in messages.
func buildSummary(cs *customerTable, w *logWindow, hasAmount bool, file string) (*Summary, error) {
	s := &Summary{Unit: w.unit, CalibrationEnd: timeOfDay(w.cal), HasHoldout: w.hasHold, HasAmount: hasAmount}
	if w.hasHold {
		s.HoldoutEnd = timeOfDay(w.hold)
	}
	gaps := cs.interPurchase()
	s.HasInterPurchase = gaps != nil
	cal := int32(w.per(w.cal))
	entries, facts := cs.entries(cal, w.hasHold)
	s.LateCustomers = facts.late
	earliest := int64(facts.firstBase) // with at least one customer
	if facts.overflow {
		for _, e := range entries {
			if overflows(e.st, w.hasHold) {
				return nil, fmt.Errorf("%s: the amounts of customer %s add up to more than a float64 holds", file, excerpt([]byte(cs.idOf(e.key))))
			}
		}
	}
	if w.csv != nil {
		s.WrittenCustomers = len(entries)
		if err := writeSummaryRows(w.csv, s, entries, cs, w, gaps); err != nil {
			return nil, err
		}
	} else {
		s.Customers = make([]CustomerSummary, len(entries))
		adviseHugePages(s.Customers)
		fillRows(s.Customers, entries, cs, w, gaps)
	}
	perDay, perDayBase, perDayValid := cs.perDay()
	if perDayValid && len(entries) > 0 && !w.discrete {
		// Distinct purchase days by day, less each customer's first day.
		s.FirstDay = timeOfDay(earliest)
		end := w.cal
		if w.hasHold {
			end = w.hold
		}
		s.RepeatsPerDay = make([]float64, end-earliest+1)
		for k := range s.RepeatsPerDay {
			if d := earliest + int64(k) - int64(perDayBase); d >= 0 && d < int64(len(perDay)) {
				s.RepeatsPerDay[k] = perDay[d]
			}
		}
		for k, n := range facts.firsts {
			s.RepeatsPerDay[k] -= n
		}
	}
	if w.period > 0 {
		s.ActivityPeriod = w.period
		if len(entries) > 0 {
			s.ActivityPeriods = int(min(64, math.Ceil(float64(w.cal-earliest+1)/w.period)))
		}
	}
	return s, nil
}

// fillRows makes the summary row rows[i] of each customer entries[i], in
// parallel ranges.
func fillRows(rows []CustomerSummary, entries []tableEntry, cs *customerTable, w *logWindow, gaps map[*custState]gapStats) {
	parts := min(runtime.GOMAXPROCS(0), max(1, len(rows)/65536))
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(rows)/parts, (p+1)*len(rows)/parts
		wg.Go(func() { fillRange(rows[lo:hi], entries[lo:hi], cs, w, gaps) })
	}
	wg.Wait()
}

// fillRange is fillRows for one range: the numeric ids are written into
// one string, of which the rows' ids are parts (one allocation, not one
// per customer).
func fillRange(rows []CustomerSummary, entries []tableEntry, cs *customerTable, w *logWindow, gaps map[*custState]gapStats) {
	u := w.unit.Days()
	if w.discrete {
		u = 1 // one period
	}
	cal := int32(w.per(w.cal))
	ids := idArena(entries)
	for i, e := range entries {
		st := e.st
		c := &rows[i]
		*c = CustomerSummary{
			Frequency:   float64(st.nCal - 1),
			Recency:     float64(st.lastCal-st.first) / u,
			T:           float64(cal-st.first) / u,
			FirstAmount: st.firstAmt,
			Weight:      1,
			Activity:    st.activity,
		}
		if e.key&strKey != 0 {
			c.ID = cs.idOf(e.key)
		} else {
			c.ID, ids = ids[:e.key&15], ids[e.key&15:]
		}
		if st.nCal > 1 {
			c.Monetary = st.repSum / float64(st.nCal-1)
			if g, ok := gaps[st]; ok {
				c.LogInterPurchase = g.logDays - c.Frequency*math.Log(u)
				c.LastIntervalShare = g.share
			}
		}
		if w.hasHold {
			c.FrequencyHoldout = float64(st.nHold)
			if st.nHold > 0 {
				c.MonetaryHoldout = st.holdSum / float64(st.nHold)
			}
			c.DurationHoldout = float64(w.per(w.hold)-w.per(w.cal)) / u
		}
	}
}

// overflows reports whether a customer's mean amounts (or first amount)
// are not finite: the sums overflowed a float64.
func overflows(st *custState, hasHold bool) bool {
	if !isFinite(st.firstAmt) || st.nCal > 1 && !isFinite(st.repSum/float64(st.nCal-1)) {
		return true
	}
	return hasHold && st.nHold > 0 && !isFinite(st.holdSum/float64(st.nHold))
}

// writeSummaryRows writes the customers' rows as WriteSummaryCSV does,
// made a chunk at a time.
func writeSummaryRows(out io.Writer, s *Summary, entries []tableEntry, cs *customerTable, w *logWindow, gaps map[*custState]gapStats) error {
	return writeSummary(out, s, len(entries), func() func(lo, hi int) []CustomerSummary {
		rows := make([]CustomerSummary, summaryChunk)
		return func(lo, hi int) []CustomerSummary {
			fillRange(rows[:hi-lo], entries[lo:hi], cs, w, gaps)
			return rows[:hi-lo]
		}
	})
}

// idArena returns the numeric ids of entries, one after the other, in one
// string.
func idArena(entries []tableEntry) string {
	n := 0
	for _, e := range entries {
		if e.key&strKey == 0 {
			n += int(e.key & 15)
		}
	}
	var b strings.Builder
	b.Grow(n)
	var buf [20]byte
	for _, e := range entries {
		if e.key&strKey == 0 {
			b.Write(appendNumericID(buf[:0], e.key))
		}
	}
	return b.String()
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
