package experiments

import (
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/internal/chunkwrite"
	"github.com/clv-dev/clv/internal/floatfmt"
)

// csvBlockRows is the number of rows a worker formats at a time (a few
// megabytes, handed to the file in one write).
const csvBlockRows = 8192

// writePredictionsCSV writes the columns as CSV, one row per customer,
// with numbers in the shortest form that reads back to the same float64,
// so the file holds exactly what was scored.
//
// Consecutive columns by row of one row index (a prediction's purchase
// values, the summary's frequency, recency and T) are formatted once per
// row and their bytes copied for every customer of the row; the other
// columns are computed a batch of customers at a time, column by column,
// and formatted customer by customer (a value equal to the one before it
// in the row, such as net CLV without costs, copied). Blocks of rows are
// formatted in parallel and written in order as they come.
func writePredictionsCSV(w io.Writer, cols []predColumn) error {
	return writeCSVBlocks(w, cols, csvBlockRows, slotBlockRows)
}

// writeCSVBlocks writes the CSV in blocks of blockRows rows, formatted on
// every core and written in order (chunkwrite.Ordered), with tables of
// slots in blocks of slotRows rows.
func writeCSVBlocks(w io.Writer, cols []predColumn, blockRows, slotRows int) error {
	var head []byte
	for j, c := range cols {
		if j > 0 {
			head = append(head, ',')
		}
		head = appendCSVField(head, c.name)
	}
	if _, err := w.Write(append(head, '\n')); err != nil {
		return err
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].len()
	}
	segs := csvSegments(cols, slotRows)
	bound := blockRows * rowBytesBound(segs)
	return chunkwrite.Ordered(w, n, blockRows, func() func([]byte, int, int) []byte {
		f := newCSVFormatter(segs)
		return func(b []byte, lo, hi int) []byte {
			if cap(b) == 0 {
				b = make([]byte, 0, bound)
			}
			return f.appendRows(b, lo, hi)
		}
	})
}

// rowBytesBound returns about the most bytes a row of the segments takes
// (a buffer of this many bytes per row rarely grows).
func rowBytesBound(segs []csvSegment) int {
	bytes := 1
	for _, s := range segs {
		switch {
		case s.slots != nil:
			bytes += s.width - 1
		case s.col.isNumber():
			bytes += 25
		default:
			bytes += 24
		}
	}
	return bytes
}

// csvSegment is a run of the columns of a CSV row: one column formatted
// customer by customer (col), or consecutive columns by row of one row
// index with at most half as many rows as customers, whose fields are
// formatted once per row into a slot of a table of slots (see csvSlots):
// row r's are the next slot of its record (the segments of a table come
// in the order of their slots), a length byte and the fields, each with
// its leading comma but at the start of the line.
//
// A number column's values are computed a batch of customers at a time
// into number slot num of the batch; when a customer's value equals, bit
// for bit, hers of the number column of a segment of same (see
// pickSame), its field's bytes are copied instead of formatted again.
type csvSegment struct {
	col   predColumn
	first bool // the segment starts the line
	slots *csvSlots
	table int    // the index of slots among the segments' tables
	width int    // the most bytes of the slot
	num   int    // the column's number slot (−1: not a number column)
	same  [2]int // earlier segments of number columns to compare with (−1: none)
}

// csvSlots holds the fields of every segment by row of one row index:
// row r's record, one slot per segment (a length byte and the fields),
// packed one after another, is blocks[r/blockRows][start[r]:], so
// that a customer's by-row fields of the whole line are one look-up and
// the table takes the bytes of its fields only.
type csvSlots struct {
	rows      []int32
	blocks    [][]byte // the records of blockRows rows each
	blockRows int
	start     []uint32 // each row's record's offset in its block
	segs      []slotSegment
}

// slotSegment is a segment of a table of slots: its columns, whether it
// starts the line, and the most bytes of its slot.
type slotSegment struct {
	cols  []predColumn
	first bool
	width int
}

// csvLine is the size of a cache line.
const csvLine = 64

// slotBlockRows is the number of rows of a block of records of a table
// of slots (csvSlots.blockRows).
const slotBlockRows = 4096

// csvSegments groups the columns into segments (see csvSegment) and
// formats the tables of slots, in blocks of slotRows rows.
func csvSegments(cols []predColumn, slotRows int) []csvSegment {
	var segs []csvSegment
	var tables []*csvSlots
	numbers := 0
	add := func(c predColumn, first bool) {
		s := csvSegment{col: c, first: first, num: -1, same: [2]int{-1, -1}}
		if c.isNumber() {
			s.num = numbers
			numbers++
		}
		segs = append(segs, s)
	}
	for j := 0; j < len(cols); {
		c := cols[j]
		k := j + 1
		for c.byRow != nil && k < len(cols) && sameRows(cols[k], c) {
			k++
		}
		width := 1 + (k-j)*25 // a length byte, a comma and at most 24 bytes per number
		if c.byRow == nil || width > 256 || 2*len(c.byRow) > len(c.rows) {
			for ; j < k; j++ { // customer by customer
				add(cols[j], j == 0)
			}
			continue
		}
		t, table := slotsOf(&tables, c, slotRows)
		t.segs = append(t.segs, slotSegment{cols: cols[j:k], first: j == 0, width: width})
		segs = append(segs, csvSegment{first: j == 0, slots: t, table: table, width: width, num: -1, same: [2]int{-1, -1}})
		j = k
	}
	for _, t := range tables {
		t.format()
	}
	pickSame(segs)
	return segs
}

// csvSameShare is the share of sampled customers whose values of two
// number columns must be equal for the later column to look for its
// value in the earlier one's field.
const csvSameShare = 0.05

// pickSame sets each number segment's same: the (at most two) earlier
// number columns that most often hold its value, bit for bit, among
// customers sampled evenly (net CLV without costs is CLV; a model may
// predict as another for most customers; holdout revenue is the mean
// spend of customers with one holdout purchase).
func pickSame(segs []csvSegment) {
	var nums []int // the number segments
	for j, s := range segs {
		if s.num >= 0 {
			nums = append(nums, j)
		}
	}
	if len(nums) == 0 || segs[nums[0]].col.len() == 0 {
		return
	}
	n := segs[nums[0]].col.len()
	step := max(1, n/1024)
	bits := make([][]uint64, len(nums))
	for k, j := range nums {
		for i := 0; i < n; i += step {
			bits[k] = append(bits[k], math.Float64bits(segs[j].col.value(i)))
		}
	}
	for k, j := range nums {
		best := [2]int{-1, -1}
		var bestShare [2]float64
		for e := range k {
			equal := 0
			for i, b := range bits[k] {
				if bits[e][i] == b {
					equal++
				}
			}
			share := float64(equal) / float64(len(bits[k]))
			switch {
			case share < csvSameShare:
			case share > bestShare[0]:
				best[1], bestShare[1] = best[0], bestShare[0]
				best[0], bestShare[0] = nums[e], share
			case share > bestShare[1]:
				best[1], bestShare[1] = nums[e], share
			}
		}
		segs[j].same = best
	}
}

// slotsOf returns the table of slots of a by-row column's row index and
// its index in tables, added to tables if new (in blocks of slotRows
// rows).
func slotsOf(tables *[]*csvSlots, c predColumn, slotRows int) (*csvSlots, int) {
	for k, t := range *tables {
		if sameRows(t.segs[0].cols[0], c) {
			return t, k
		}
	}
	t := &csvSlots{rows: c.rows, blockRows: slotRows}
	*tables = append(*tables, t)
	return t, len(*tables) - 1
}

// sameRows reports whether two columns are by row of the same row index
// and table.
func sameRows(a, b predColumn) bool {
	return a.byRow != nil && b.byRow != nil && len(a.byRow) == len(b.byRow) && len(a.rows) == len(b.rows) &&
		(len(a.rows) == 0 || &a.rows[0] == &b.rows[0])
}

// format formats every row's slots, blocks of rows on every core: each
// block into a scratch buffer, then copied into a block of its exact size
// (the table's memory is what its fields take).
func (t *csvSlots) format() {
	rows := len(t.segs[0].cols[0].byRow)
	t.start = make([]uint32, rows)
	t.blocks = make([][]byte, (rows+t.blockRows-1)/t.blockRows)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(t.blocks), max(1, runtime.GOMAXPROCS(0))) {
		wg.Go(func() {
			var scratch []byte
			for blk := int(next.Add(1) - 1); blk < len(t.blocks); blk = int(next.Add(1) - 1) {
				lo := blk * t.blockRows
				scratch = t.appendRecords(scratch[:0], lo, min(lo+t.blockRows, rows))
				t.blocks[blk] = append([]byte(nil), scratch...)
			}
		})
	}
	wg.Wait()
}

// appendRecords appends the records of rows lo … hi−1, setting their
// start.
func (t *csvSlots) appendRecords(b []byte, lo, hi int) []byte {
	for r := lo; r < hi; r++ {
		t.start[r] = uint32(len(b))
		for _, s := range t.segs {
			at := len(b)
			b = append(b, 0)
			for j, c := range s.cols {
				if j > 0 || !s.first {
					b = append(b, ',')
				}
				b = floatfmt.AppendNumber(b, c.byRow[r])
			}
			b[at] = byte(len(b) - at - 1)
		}
	}
	return b
}

// record returns the record of row r.
func (t *csvSlots) record(r int32) []byte {
	block := t.blocks[int(r)/t.blockRows]
	end := len(block)
	if next := int(r) + 1; next%t.blockRows != 0 && next < len(t.start) {
		end = int(t.start[next])
	}
	return block[t.start[r]:end]
}

// touch reads a byte of every cache line of the records of customers
// lo … hi−1 (records are not aligned: their first byte, every 64th and
// their last), loads independent of each other that the processor
// overlaps, so that the rows then copy their fields from the cache.
func (t *csvSlots) touch(lo, hi int) byte {
	var sum byte
	for _, r := range t.rows[lo:hi] {
		record := t.record(r)
		for k := 0; k < len(record); k += csvLine {
			sum += record[k]
		}
		sum += record[len(record)-1]
	}
	return sum
}

// csvBatchRows is the number of customers whose numbers are computed at
// once, column by column (small enough for the batch to stay in cache).
const csvBatchRows = 256

// csvFormatter formats rows of CSV segments; one per worker.
type csvFormatter struct {
	segs    []csvSegment
	scratch [][]float64 // a batch's numbers, by number slot
	numbers [][]float64 // the batch's numbers (scratch or a column's own)
	// start and end delimit each number segment's field of the current
	// row in the output (without its comma).
	start, end []int
	tables     []*csvSlots // the tables of slots of the segments, by index
	records    [][]byte    // the current row's rest of each table's record
	touched    byte        // the sum of the bytes csvSlots.touch read
}

// newCSVFormatter returns a formatter of the segments.
func newCSVFormatter(segs []csvSegment) *csvFormatter {
	f := &csvFormatter{segs: segs, start: make([]int, len(segs)), end: make([]int, len(segs))}
	for _, s := range segs {
		if s.num >= 0 {
			f.scratch = append(f.scratch, make([]float64, csvBatchRows))
		}
	}
	f.numbers = make([][]float64, len(f.scratch))
	for _, s := range segs {
		if s.slots != nil && s.table == len(f.tables) {
			f.tables = append(f.tables, s.slots)
		}
	}
	f.records = make([][]byte, len(f.tables))
	return f
}

// appendRows appends rows lo..hi−1, a batch of customers at a time.
func (f *csvFormatter) appendRows(b []byte, lo, hi int) []byte {
	for first := lo; first < hi; first += csvBatchRows {
		last := min(first+csvBatchRows, hi)
		for _, s := range f.segs {
			if s.num >= 0 {
				f.numbers[s.num] = s.col.values(first, f.scratch[s.num][:last-first])
			}
		}
		for _, t := range f.tables {
			f.touched += t.touch(first, last)
		}
		for i := first; i < last; i++ {
			b = f.appendRow(b, i, i-first)
		}
	}
	return b
}

// appendRow appends customer i's row, the k-th of the batch. Text
// (customer ids) is neutralised for spreadsheets
// (datasets.SpreadsheetSafe); Parquet keeps ids as read.
func (f *csvFormatter) appendRow(b []byte, i, k int) []byte {
	for t, table := range f.tables {
		f.records[t] = table.record(table.rows[i])
	}
	for j := range f.segs {
		s := &f.segs[j]
		if s.slots != nil {
			record := f.records[s.table]
			end := 1 + int(record[0])
			b = append(b, record[1:end]...)
			f.records[s.table] = record[end:]
			continue
		}
		if !s.first {
			b = append(b, ',')
		}
		switch c := &s.col; {
		case s.num >= 0:
			f.start[j] = len(b)
			b = f.appendValue(b, s, k)
			f.end[j] = len(b)
		case c.tier != nil:
			b = append(b, c.tier[i].String()...)
		default:
			b = appendCSVField(b, datasets.SpreadsheetSafe(c.textAt(i)))
		}
	}
	return append(b, '\n')
}

// appendValue appends the k-th number of the batch of a number segment:
// the bytes of an equal earlier field of the row, or formatted.
func (f *csvFormatter) appendValue(b []byte, s *csvSegment, k int) []byte {
	v := f.numbers[s.num][k]
	for _, j := range s.same {
		if j >= 0 && math.Float64bits(f.numbers[f.segs[j].num][k]) == math.Float64bits(v) {
			return append(b, b[f.start[j]:f.end[j]]...)
		}
	}
	return floatfmt.AppendNumber(b, v)
}

// appendCSVField appends a text field, quoted as encoding/csv quotes it:
// when it holds a comma, a quote, a line break, starts with a space, or
// is `\.`.
func appendCSVField(b []byte, f string) []byte {
	r, _ := utf8.DecodeRuneInString(f)
	if f != `\.` && !strings.ContainsAny(f, ",\"\r\n") && (f == "" || !unicode.IsSpace(r)) {
		return append(b, f...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
	return append(b, '"')
}
