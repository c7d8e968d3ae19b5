package datasets

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"sync"
)

// The parallel text reader.
//
// A delimited text log with \n (or \r\n) line endings is read in three
// stages that keep the order of the rows:
//
//   - one goroutine reads the stream into blocks of whole lines
//     (blockSize bytes, cut after the last \n);
//   - workers, one per processor, parse the lines of a block into compact
//     records: the customer key (or where the id is), the day and the
//     amount of each good row, and a mark on every other line;
//   - the summarizer takes the blocks in file order and applies their
//     records to the customer table, while reading each marked line again
//     one row at a time, through exactly the code of the sequential reader
//     (textSource.checkFields and summarizer.take), so that bad rows,
//     their messages, their line numbers and the accounting are those of
//     the sequential reader.
//
// A worker marks a line whenever it is not plainly good: a wrong number of
// fields, an empty id, a date or an amount that does not parse, a negative
// amount, a date outside the window. Quoted fields may hold line breaks,
// which a worker cannot see from its block alone: at the first block that
// holds a quote (or a line longer than a block, or a read error) the
// parallel reader hands that block and the rest of the stream back to the
// sequential reader, which reads on from that line.

// defaultBlockSize is the size of the parallel reader's blocks.
const defaultBlockSize = 256 << 10

// A block is a run of whole lines of a log and, once parsed, its records.
type block struct {
	buf  []byte // the block's memory
	data []byte // the lines: the last lacks its \n only at the end of the input
	// handoff marks the end of the parallel part: data and then rest are
	// to be read one row at a time.
	handoff bool
	recs    []blockRec
	lines   int64 // the number of lines in data
	maxDay  int64 // the latest day of the block's good rows
	done    chan struct{}
}

// Kinds of records.
const (
	recNumeric  uint8 = iota // a good row; key is the customer's key
	recNamed                 // a good row; data[off:off+n] is the id
	recAfterEnd              // a good row after the window, set aside (ReadOptions.ExcludeAfterEnd)
	recSlow                  // a line to read one row at a time: data[off:off+n]
)

// blockRec is one non-blank line of a block.
type blockRec struct {
	key    uint64
	amount float64
	day    int32 // the row's period (logWindow.per of its day)
	line   int32 // 0-based line in the block
	off, n int32
	kind   uint8
}

// pipeline is the running parallel reader of one text source.
type pipeline struct {
	r     io.Reader // the stream after the lines already read
	size  int
	free  chan *block
	jobs  chan *block
	order chan *block
	stop  chan struct{}
	wg    sync.WaitGroup
	// rest is what follows a handoff block's data (set before it is sent).
	rest io.Reader
}

// readParallel reads the rows of s through the parallel reader while the
// log allows (see above). done reports that the input was read to its end;
// otherwise s reads on from where the parallel reader stopped.
func (z *summarizer) readParallel(s *textSource) (done bool, err error) {
	lr := s.lr
	if s.delim == 0 || lr.term != '\n' || s.in.Fields == 0 || lr.back != nil {
		return false, nil
	}
	if s.replay {
		// The first line was read to look for a header and is a row.
		var r logRow
		if _, err := s.next(&r); err != nil {
			return false, err
		}
		if err := z.take(&r); err != nil {
			return false, err
		}
	}
	var stream io.Reader = lr.r
	if lr.eof {
		stream = bytes.NewReader(nil)
	}
	head := append([]byte(nil), lr.buf[lr.start:lr.end]...)
	p := z.startPipeline(s, io.MultiReader(bytes.NewReader(head), stream))
	defer p.close()
	base := lr.line
	var r logRow
	for b := range p.order {
		if b.handoff {
			lr.reset(io.MultiReader(bytes.NewReader(b.data), p.rest))
			lr.line = base
			return false, nil
		}
		<-b.done
		if b.maxDay != math.MinInt64 {
			z.lastDay = max(z.lastDay, b.maxDay)
		}
		for i := range b.recs {
			rc := &b.recs[i]
			switch rc.kind {
			case recNumeric:
				z.acc.RowsRead++
				z.acc.RowsUsed++
				z.tw.add(purchase{key: rc.key, day: rc.day, amount: rc.amount})
			case recNamed:
				z.acc.RowsRead++
				z.acc.RowsUsed++
				key, _ := z.cs.keyOf(b.data[rc.off:rc.off+rc.n], true)
				z.tw.add(purchase{key: key, day: rc.day, amount: rc.amount})
			case recAfterEnd:
				z.acc.RowsRead++
				z.acc.RowsRejected++
				z.acc.RejectedBy[ReasonAfterEnd]++
			default:
				line := b.data[rc.off : rc.off+rc.n]
				s.recLine, s.raw = base+int64(rc.line)+1, line
				s.splitPlain(line)
				s.checkFields(&r)
				if err := z.take(&r); err != nil {
					return false, err
				}
			}
		}
		base += b.lines
		p.free <- b
	}
	return true, nil
}

// startPipeline starts the block reader and the workers on r.
func (z *summarizer) startPipeline(s *textSource, r io.Reader) *pipeline {
	workers := z.c.parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := z.c.blockSize
	if size <= 0 {
		size = defaultBlockSize
	}
	nbuf := 8*workers + 4
	p := &pipeline{r: r, size: size, free: make(chan *block, nbuf), jobs: make(chan *block, nbuf),
		order: make(chan *block, nbuf), stop: make(chan struct{})}
	for range nbuf {
		p.free <- &block{done: make(chan struct{}, 1)}
	}
	p.wg.Add(1 + workers)
	go p.read()
	for range workers {
		bp := newBlockParser(s, z.w, z.c.excludeAfterEnd)
		go func() {
			defer p.wg.Done()
			for b := range p.jobs {
				bp.parse(b)
				b.done <- struct{}{}
			}
		}()
	}
	return p
}

// close stops the reader and the workers and waits for them.
func (p *pipeline) close() {
	close(p.stop)
	p.wg.Wait()
}

// read cuts the stream into blocks of whole lines, in order, until the end
// of the input or a handoff.
func (p *pipeline) read() {
	defer p.wg.Done()
	defer close(p.jobs)
	defer close(p.order)
	var carry []byte // the start of a line cut by the end of a block
	eof := false
	for {
		var b *block
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		if b.buf == nil {
			// Records for lines of 24 bytes and more, enough for most logs.
			b.buf, b.recs = make([]byte, p.size), make([]blockRec, 0, p.size/24)
		}
		n, err := p.fill(b.buf, copy(b.buf, carry), &eof)
		data := b.buf[:n]
		cut := bytes.LastIndexByte(data, '\n') + 1
		if eof && err == nil {
			cut = n
		}
		if err != nil || cut == 0 && n > 0 || bytes.IndexByte(data, '"') >= 0 {
			// A read error, a line longer than a block, or quotes: the
			// sequential reader takes over at this block.
			p.rest = p.r
			if err != nil {
				p.rest = errReader{err}
			}
			b.data, b.handoff = data, true
			select {
			case p.order <- b:
			case <-p.stop:
			}
			return
		}
		if n == 0 {
			return
		}
		carry = append(carry[:0], data[cut:]...)
		b.data, b.handoff = data[:cut], false
		select {
		case p.order <- b:
		case <-p.stop:
			return
		}
		p.jobs <- b // never blocks: there are as many places as blocks
	}
}

// fill reads into buf[n:] until buf is full, the input ends (*eof) or a
// short read leaves whole lines (a pipe or a terminal: what is there is
// parsed rather than waiting for more).
func (p *pipeline) fill(buf []byte, n int, eof *bool) (int, error) {
	for n < len(buf) && !*eof {
		m, err := p.r.Read(buf[n:])
		short := m < len(buf)-n
		n += m
		if err == io.EOF {
			*eof = true
			break
		}
		if err != nil {
			return n, err
		}
		if short && m > 0 && bytes.IndexByte(buf[n-m:n], '\n') >= 0 {
			break
		}
	}
	return n, nil
}

// errReader returns its error, after the bytes read before it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// blockParser parses the lines of blocks; each worker has its own.
type blockParser struct {
	delim                byte
	fields               int
	cust, date, amount   int // 0-based positions; amount -1 for none
	dates                dateParser
	w                    *logWindow
	lastDate             []byte // a one-entry cache of the date text
	lastDay              int64
	lastPeriod           int32
	lastInWindow, cached bool
	// lastAfterEnd: the date is after the window's end and such rows are
	// set aside (ReadOptions.ExcludeAfterEnd), not bad.
	lastAfterEnd    bool
	excludeAfterEnd bool
	// plain: the log's fields are id, date, amount in that order, which
	// fastRow reads.
	plain bool
}

func newBlockParser(s *textSource, w *logWindow, excludeAfterEnd bool) *blockParser {
	bp := &blockParser{delim: s.delim, fields: s.in.Fields, cust: s.in.Customer, date: s.in.Date, amount: s.in.Amount,
		dates: *s.dates, w: w, excludeAfterEnd: excludeAfterEnd}
	bp.plain = bp.fields == 3 && bp.cust == 0 && bp.date == 1 && bp.amount == 2
	bp.dates.lastText = nil // its own cache
	return bp
}

// parse reads the lines of b.data into b.recs.
func (bp *blockParser) parse(b *block) {
	data := b.data
	recs := b.recs[:0]
	maxDay := int64(math.MinInt64)
	var line int32
	for start := 0; start < len(data); line++ {
		end, next := len(data), len(data)
		if i := bytes.IndexByte(data[start:], '\n'); i >= 0 {
			end, next = start+i, start+i+1
		}
		if end > start && data[end-1] == '\r' {
			end--
		}
		if rc, ok := bp.fastRow(data, start, end); ok {
			rc.line = line
			maxDay = max(maxDay, bp.lastDay)
			recs = append(recs, rc)
		} else if !isBlank(data[start:end]) {
			rc := bp.row(data, start, end)
			rc.line = line
			if rc.kind != recSlow {
				maxDay = max(maxDay, bp.lastDay)
			}
			recs = append(recs, rc)
		}
		start = next
	}
	b.recs, b.lines, b.maxDay = recs, int64(line), maxDay
}

// row parses the line data[start:end] as textSource.checkFields and the
// window check would, returning a good row or a recSlow mark.
func (bp *blockParser) row(data []byte, start, end int) blockRec {
	slow := blockRec{kind: recSlow, off: int32(start), n: int32(end - start)}
	var idA, idB, dateA, dateB, amtA, amtB int
	k, from := 0, start
	for i := start; ; i++ {
		if i < end && data[i] != bp.delim {
			continue
		}
		if k == bp.cust {
			idA, idB = from, i
		}
		if k == bp.date {
			dateA, dateB = from, i
		}
		if k == bp.amount {
			amtA, amtB = from, i
		}
		k++
		if i == end {
			break
		}
		from = i + 1
	}
	if k != bp.fields {
		return slow
	}
	idA, idB = trimRange(data, idA, idB)
	if idA == idB || !bp.day(trimBytes(data, dateA, dateB)) || !bp.lastInWindow && !bp.lastAfterEnd {
		return slow
	}
	rc := blockRec{day: bp.lastPeriod}
	if bp.amount >= 0 {
		v, st := parseAmount(trimBytes(data, amtA, amtB))
		if st != amountOK || v < 0 {
			return slow
		}
		rc.amount = v
	}
	if !bp.lastInWindow {
		// After the window's end, set aside: summarizer.take's accounting.
		return blockRec{kind: recAfterEnd}
	}
	if key, ok := numericKey(data[idA:idB]); ok {
		rc.key, rc.kind = key, recNumeric
	} else {
		rc.off, rc.n, rc.kind = int32(idA), int32(idB-idA), recNamed
	}
	return rc
}

// fastRow reads the line data[start:end] when it is plainly a good row of
// the commonest kind, as row would: the fields id, date, amount in that
// order with no spaces around them, an id of 1 to 15 digits, the date of
// the row before (in the window) and an amount of 1 to 15 digits with at
// most one decimal point. ok is false for any other line, which row reads.
func (bp *blockParser) fastRow(data []byte, start, end int) (rc blockRec, ok bool) {
	if !bp.plain || !bp.cached || !bp.lastInWindow {
		return rc, false
	}
	var id uint64
	i := start
	for ; i < end && data[i]-'0' < 10; i++ {
		id = id*10 + uint64(data[i]-'0')
	}
	n := i - start
	if n == 0 || n > 15 || i == end || data[i] != bp.delim {
		return rc, false
	}
	date := i + 1
	i = date + len(bp.lastDate)
	if i >= end || data[i] != bp.delim || !bytes.Equal(data[date:i], bp.lastDate) {
		return rc, false
	}
	// The amount, as parseAmount's plain decimals: the integer of the
	// digits over a power of ten, both exact.
	var m uint64
	nd, frac, dot := 0, 0, false
	for i++; i < end; i++ {
		c := data[i]
		switch {
		case c-'0' < 10:
			m = m*10 + uint64(c-'0')
			nd++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return rc, false
		}
	}
	if nd == 0 || nd > 15 {
		return rc, false
	}
	return blockRec{key: id<<4 | uint64(n), amount: float64(m) / pow10[frac], day: bp.lastPeriod, kind: recNumeric}, true
}

// day parses a date into bp.lastDay, bp.lastPeriod and bp.lastInWindow,
// through a one-entry cache (a log in time order repeats its dates); false
// when the text is not a date.
func (bp *blockParser) day(text []byte) bool {
	if bp.cached && bytes.Equal(text, bp.lastDate) {
		return true
	}
	day, ok := bp.dates.parse(text)
	if !ok {
		bp.cached = false
		return false
	}
	w := bp.w
	bp.lastDate = append(bp.lastDate[:0], text...)
	bp.lastDay, bp.cached = day, true
	bp.lastInWindow = !(w.hasStart && day < w.start || w.hasHold && day > w.hold || !w.hasHold && day > w.cal)
	bp.lastAfterEnd = bp.excludeAfterEnd && day > w.end()
	bp.lastPeriod = int32(w.per(day))
	return true
}

// trimRange narrows data[a:b] by the spaces and tabs around it.
func trimRange(data []byte, a, b int) (int, int) {
	for a < b && isSpace(data[a]) {
		a++
	}
	for b > a && isSpace(data[b-1]) {
		b--
	}
	return a, b
}

func trimBytes(data []byte, a, b int) []byte {
	a, b = trimRange(data, a, b)
	return data[a:b]
}
