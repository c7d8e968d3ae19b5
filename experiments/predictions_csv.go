package experiments

import (
	"encoding/binary"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/clv-dev/clv/internal/chunkwrite"
	"github.com/clv-dev/clv/internal/floatfmt"
)

// csvBlockRows is the number of rows a worker formats at a time (about a
// megabyte at a million customers, handed to the file in one write).
const csvBlockRows = 2048

// writePredictionsCSV writes the columns as CSV, one row per customer,
// with numbers in the shortest form that reads back to the same float64,
// so the file holds exactly what was scored.
//
// Consecutive columns by row of one row index (a prediction's purchase
// values, the summary's frequency, recency and T) are formatted once per
// row and their bytes copied for every customer of the row; so are, as
// numbers, the by-row values that revenue, CLV and net CLV are computed
// from, next to the row's fields, so that a customer's row is read from
// one place. The other columns are computed a batch of customers at a
// time, column by column, and formatted customer by customer (a value
// equal to the one before it in the row, such as net CLV without costs,
// or to the customer's before in the column, copied). Blocks of rows are
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
	segs, tables := csvSegments(cols, slotRows)
	bound := blockRows * rowBytesBound(segs, tables)
	return chunkwrite.Ordered(w, n, blockRows, func() func([]byte, int, int) []byte {
		f := newCSVFormatter(segs, tables)
		return func(b []byte, lo, hi int) []byte {
			if cap(b) == 0 {
				b = make([]byte, 0, bound)
			}
			return f.appendRows(b, lo, hi)
		}
	})
}

// rowBytesBound returns about the most bytes a row of the segments takes
// (a buffer of this many bytes per row rarely grows): the widest record
// of each table of slots, at most 25 bytes a number and 24 a text field.
func rowBytesBound(segs []csvSegment, tables []*csvSlots) int {
	bytes := 1
	for _, t := range tables {
		bytes += t.widest
	}
	for _, s := range segs {
		switch s.kind {
		case segSlots:
		case segNumber, segDerived, segCopy:
			bytes += csvNumberWidth
		default:
			bytes += 24
		}
	}
	return bytes
}

// The kinds of csvSegment.
const (
	segSlots   = iota // by-row fields from a table of slots
	segNumber         // a number column, computed a batch at a time
	segDerived        // a number column derived from by-row values of a table's records (see csvSlots)
	segCopy           // a number column equal to an earlier one for every customer (net CLV without costs)
	segTier           // value tiers
	segText           // text (customer ids)
)

// csvSegment is a run of the columns of a CSV row: one column formatted
// customer by customer (col), or consecutive columns by row of one row
// index with at most half as many rows as customers, whose fields are
// formatted once per row into a slot of a table of slots (see csvSlots):
// row r's are the next slot of its record (the segments of a table come
// in the order of their slots), a length byte and the fields, each with
// its leading comma but at the start of the line.
//
// A number column's values are computed a batch of customers at a time
// into number slot num of the batch, a derived one (revenue, CLV and net
// CLV of a prediction by row: predColumn.rowInputs) from the by-row
// values its table's records hold; when a customer's value equals, bit
// for bit, hers of the number column of a segment of same (see
// pickSame), or the previous customer's of the column, its field's bytes
// are copied instead of formatted again.
type csvSegment struct {
	col   predColumn
	kind  int
	first bool // the segment starts the line
	table int  // the index of the segment's table of slots (segSlots, segDerived), or the segment copied (segCopy)
	num   int  // the column's number slot (−1: not a number column)
	// inputs are the offsets in its table's records of a derived
	// column's by-row values (−1: none).
	inputs [2]int
	same   [2]int // earlier segments of number columns to compare with (−1: none)
	// paired is set on the first of two number segments whose columns
	// are a pair (predColumn.pair): both are computed by the pair's fill.
	paired bool
}

// csvSlots holds, for every row of one row index, the row's record: the
// by-row values the derived columns read (8 bytes each, little-endian
// float64 bits), then one slot per segment of by-row fields (a length byte
// and the fields), packed one after another. Row r's record is
// blocks[r/blockRows][start[r]:], so that a customer's by-row fields and
// values of the whole line are one look-up and the table takes the bytes
// of its fields only.
type csvSlots struct {
	rows      []int32
	n         int         // the number of rows
	values    [][]float64 // the by-row values at the start of each record
	blocks    [][]byte    // the records of blockRows rows each
	blockRows int
	start     []uint32 // each row's record's offset in its block
	segs      []slotSegment
	widest    int // the most bytes of a record's slots
	// same holds, for each column of the segments (in their order), the
	// earlier column whose by-row value it most often equals, bit for bit
	// (−1: none), whose field a record copies where they are equal (a
	// model that predicts as another for most patterns).
	same []int
}

// slotSegment is a segment of a table of slots: its columns and whether
// it starts the line.
type slotSegment struct {
	cols  []predColumn
	first bool
}

// csvLine is the size of a cache line.
const csvLine = 64

// slotBlockRows is the number of rows of a block of records of a table
// of slots (csvSlots.blockRows).
const slotBlockRows = 4096

// csvSegments groups the columns into segments (see csvSegment) and
// formats the tables of slots, in blocks of slotRows rows.
func csvSegments(cols []predColumn, slotRows int) ([]csvSegment, []*csvSlots) {
	var segs []csvSegment
	var tables []*csvSlots
	for j := 0; j < len(cols); {
		c := cols[j]
		k := j + 1
		for c.byRow != nil && k < len(cols) && sameRows(cols[k], c) {
			k++
		}
		width := 1 + (k-j)*csvNumberWidth // a length byte, then a comma and at most 24 bytes per number
		if c.byRow == nil || width > 256 || !compresses(c.rows, len(c.byRow)) {
			for ; j < k; j++ { // customer by customer
				segs = append(segs, csvSegment{col: cols[j], kind: columnKind(cols[j]), first: j == 0, num: -1})
			}
			continue
		}
		t, table := slotsOf(&tables, c.rows, len(c.byRow), slotRows)
		t.segs = append(t.segs, slotSegment{cols: cols[j:k], first: j == 0})
		segs = append(segs, csvSegment{kind: segSlots, first: j == 0, table: table, num: -1})
		j = k
	}
	numbers := 0
	for j := range segs {
		s := &segs[j]
		s.same, s.inputs = [2]int{-1, -1}, [2]int{-1, -1}
		if s.kind != segNumber {
			continue
		}
		if e := copiedColumn(segs[:j], s.col); e >= 0 {
			s.kind, s.table = segCopy, e
			continue
		}
		s.num = numbers
		numbers++
		if in := s.col.rowInputs(); in != nil && compresses(s.col.pred.rows, len(in[0])) {
			t, table := slotsOf(&tables, s.col.pred.rows, len(in[0]), slotRows)
			s.kind, s.table = segDerived, table
			for k, v := range in {
				s.inputs[k] = t.valueOffset(v)
			}
		}
	}
	for j := 0; j+1 < len(segs); j++ {
		s, next := &segs[j], &segs[j+1]
		s.paired = s.kind == segNumber && next.kind == segNumber && s.col.pair != nil && !s.col.second &&
			next.col.pair == s.col.pair && next.col.second
	}
	for _, t := range tables {
		t.format()
	}
	pickSame(segs)
	return segs, tables
}

// copiedColumn returns the earlier number segment whose column equals
// c for every customer, −1 when there is none: a prediction's CLV for its
// net CLV when netCLVIsCLV; the first column of c's key (predColumn.key),
// such as the first model's spend bounds for every other model's.
func copiedColumn(earlier []csvSegment, c predColumn) int {
	if c.key != nil {
		for e, s := range earlier {
			if s.num >= 0 && s.col.key == c.key {
				return e
			}
		}
		return -1
	}
	if c.pred == nil || c.q != PredNetCLV || !netCLVIsCLV(c.pred) {
		return -1
	}
	for e, s := range earlier {
		if s.num >= 0 && s.col.pred == c.pred && s.col.q == PredCLV {
			return e
		}
	}
	return -1
}

// columnKind returns the kind of a column formatted customer by customer.
func columnKind(c predColumn) int {
	switch {
	case c.tier != nil:
		return segTier
	case c.isNumber():
		return segNumber
	}
	return segText
}

// compresses reports whether a row index of rows rows is worth a table of
// slots: at most half as many rows as customers (a table of more would
// cost more than it saves).
func compresses(index []int32, rows int) bool { return 2*rows <= len(index) }

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
	bits := make([][]uint64, len(nums))
	for k, j := range nums {
		bits[k] = sampledBits(n, func(i int) float64 { return segs[j].col.value(i) })
	}
	for k, j := range nums {
		segs[j].same = [2]int{-1, -1}
		for e, m := range mostEqual(bits, k) {
			if m >= 0 {
				segs[j].same[e] = nums[m]
			}
		}
	}
}

// sampledBits returns the bits of value(i) for about 1024 indexes i
// spread evenly over 0 … n−1.
func sampledBits(n int, value func(i int) float64) []uint64 {
	var bits []uint64
	for i := 0; i < n; i += max(1, n/1024) {
		bits = append(bits, math.Float64bits(value(i)))
	}
	return bits
}

// mostEqual returns the (at most two) columns before k of the sampled
// bits whose samples most often equal column k's, each in at least
// csvSameShare of the samples (−1: none), the most often first.
func mostEqual(bits [][]uint64, k int) [2]int {
	best := [2]int{-1, -1}
	var bestShare [2]float64
	if len(bits[k]) == 0 {
		return best
	}
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
			best[0], bestShare[0] = e, share
		case share > bestShare[1]:
			best[1], bestShare[1] = e, share
		}
	}
	return best
}

// slotsOf returns the table of slots of a row index of rows rows and its
// index in tables, added to tables if new (in blocks of slotRows rows).
func slotsOf(tables *[]*csvSlots, index []int32, rows, slotRows int) (*csvSlots, int) {
	for k, t := range *tables {
		if t.n == rows && sameIndex(t.rows, index) {
			return t, k
		}
	}
	t := &csvSlots{rows: index, n: rows, blockRows: slotRows}
	*tables = append(*tables, t)
	return t, len(*tables) - 1
}

// sameRows reports whether two columns are by row of the same row index
// and table.
func sameRows(a, b predColumn) bool {
	return a.byRow != nil && b.byRow != nil && len(a.byRow) == len(b.byRow) && sameIndex(a.rows, b.rows)
}

// sameIndex reports whether two row indexes are the same slice.
func sameIndex(a, b []int32) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// valueOffset returns the offset in every record of the by-row values v,
// added to the table's values if new.
func (t *csvSlots) valueOffset(v []float64) int {
	for k, u := range t.values {
		if len(u) == len(v) && &u[0] == &v[0] {
			return 8 * k
		}
	}
	t.values = append(t.values, v)
	return 8 * (len(t.values) - 1)
}

// format formats every row's record, blocks of rows on every core: each
// block into a scratch buffer, then copied into a block of its exact size
// (the table's memory is what its fields take).
func (t *csvSlots) format() {
	byRow := t.columns()
	t.pickSame(byRow)
	t.start = make([]uint32, t.n)
	t.blocks = make([][]byte, (t.n+t.blockRows-1)/t.blockRows)
	var next atomic.Int64
	widest := make([]int, len(t.blocks)) // by block: the most bytes of a record's slots
	var wg sync.WaitGroup
	for range min(len(t.blocks), max(1, runtime.GOMAXPROCS(0))) {
		wg.Go(func() {
			var scratch []byte
			for blk := int(next.Add(1) - 1); blk < len(t.blocks); blk = int(next.Add(1) - 1) {
				lo := blk * t.blockRows
				scratch, widest[blk] = t.appendRecords(byRow, scratch[:0], lo, min(lo+t.blockRows, t.n))
				t.blocks[blk] = make([]byte, len(scratch), len(scratch)+csvCopy) // room for the rows' copies past a record's end
				copy(t.blocks[blk], scratch)
			}
		})
	}
	wg.Wait()
	t.widest = 0
	if len(widest) > 0 {
		t.widest = slices.Max(widest)
	}
}

// pickSame sets the table's same from rows sampled evenly of its
// columns' by-row values (columns).
func (t *csvSlots) pickSame(columns [][]float64) {
	var bits [][]uint64
	for _, byRow := range columns {
		bits = append(bits, sampledBits(t.n, func(r int) float64 { return byRow[r] }))
	}
	t.same = make([]int, len(bits))
	for k := range bits {
		t.same[k] = mostEqual(bits, k)[0]
	}
}

// columns returns the by-row values of the columns of the table's
// segments, in their order (same's).
func (t *csvSlots) columns() [][]float64 {
	var cols [][]float64
	for _, s := range t.segs {
		for _, c := range s.cols {
			cols = append(cols, c.byRow)
		}
	}
	return cols
}

// appendRecords appends the records of rows lo … hi−1, setting their
// start, and returns the most bytes of a record's slots; byRow is the
// table's columns. A field whose value equals, bit for bit, that of its
// column's same (see csvSlots) copies that field's bytes.
func (t *csvSlots) appendRecords(byRow [][]float64, b []byte, lo, hi int) ([]byte, int) {
	widest := 0
	fields := make([]csvField, len(byRow)) // the row's fields in b, by column
	for r := lo; r < hi; r++ {
		t.start[r] = uint32(len(b))
		for _, v := range t.values {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v[r]))
		}
		slots, col := len(b), 0
		for _, s := range t.segs {
			at := len(b)
			b = append(b, 0)
			for j := range s.cols {
				if j > 0 || !s.first {
					b = append(b, ',')
				}
				v, from := byRow[col][r], len(b)
				if e := t.same[col]; e >= 0 && math.Float64bits(byRow[e][r]) == math.Float64bits(v) {
					b = append(b, b[fields[e].at:fields[e].at+fields[e].n]...)
				} else {
					b = floatfmt.AppendNumber(b, v)
				}
				fields[col] = csvField{from, len(b) - from}
				col++
			}
			b[at] = byte(len(b) - at - 1)
		}
		widest = max(widest, len(b)-slots)
	}
	return b, widest
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

// appendCSVField appends a text field, quoted as encoding/csv quotes it:
// when it holds a comma, a quote, a line break, starts with a space, or
// is `\.`.
func appendCSVField(b []byte, f string) []byte {
	if plainField(f) {
		return append(b, f...)
	}
	r, _ := utf8.DecodeRuneInString(f)
	if f != `\.` && !strings.ContainsAny(f, ",\"\r\n") && (f == "" || !unicode.IsSpace(r)) {
		return append(b, f...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
	return append(b, '"')
}

// plainField reports, byte by byte, that a field needs no quotes (most
// ids): it starts with a printable ASCII byte other than a space and a
// backslash and holds no comma, quote or line break.
func plainField(f string) bool {
	if f == "" || f[0] <= ' ' || f[0] >= utf8.RuneSelf || f[0] == '\\' {
		return false
	}
	for i := range len(f) {
		switch f[i] {
		case ',', '"', '\r', '\n':
			return false
		}
	}
	return true
}
