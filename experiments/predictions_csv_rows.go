package experiments

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/internal/floatfmt"
)

// csvBatchRows is the number of customers whose numbers are computed and
// formatted at once, column by column (small enough for the batch's
// numbers and text to stay in cache).
const csvBatchRows = 128

// csvCopy is the size of the fixed copies that lay out a row: the
// buffers hold this much room past what they hold, so that a copy may run
// past its bytes.
const csvCopy = 32

// csvNumberWidth and csvTierWidth are the most bytes of a number field (a
// comma and 24) and of a tier field (a comma and never_profitable, or
// Tier(255)).
const csvNumberWidth, csvTierWidth = 25, 17

// csvGroupSlack is the room of a customer's group past its fields: for
// floatfmt.Put past the last field's comma and a copy's overrun.
const csvGroupSlack = 1 + floatfmt.Width + csvCopy

// csvFormatter formats rows of CSV segments; one per worker. A batch of
// customers is formatted a group at a time, column by column: a group is
// a run of consecutive segments of numbers and tiers, whose fields each
// customer's group holds one after another; a number equal, bit for bit,
// to the customer's in a column of the segment's same or to the
// customer's before in the column copies that field. Then each row is
// laid out from its groups, its records' slots and its text, copied
// csvCopy bytes at a time.
type csvFormatter struct {
	segs    []csvSegment
	tables  []*csvSlots // the tables of slots, by index
	ops     []csvOp
	groups  []csvGroup
	scratch [][]float64 // a batch's numbers, by number slot
	numbers [][]float64 // the batch's numbers (scratch or a column's own)
	inputs  [2][]float64
	// text holds the batch's groups: group g's of the batch's k-th
	// customer at groups[g].base + k·groups[g].stride.
	text []byte
	// fields holds, by number slot, the batch's fields of the column in
	// text.
	fields [][]csvField
	// batch holds the records of the batch's customers, by table.
	batch [][][]byte
	// next is the offset in the current row's record of each table of
	// its next slot.
	next    []int
	tiers   [len(tierNames)]csvTierField
	room    int  // the room a row needs past its line: rowBytesBound and a copy's overrun
	touched byte // the sum of the bytes loadRecords read
}

// csvField is a number field in csvFormatter.text: its offset (its
// comma) and length.
type csvField struct{ at, n int }

// csvGroup is a run of consecutive segments of numbers and tiers (see
// csvFormatter): its segments, where each customer's group of the batch
// starts in csvFormatter.text (base + k·stride), skip (1 when the group
// starts the line: its first comma left out) and the length of each
// customer's group.
type csvGroup struct {
	segs         []int
	base, stride int
	skip         int
	lens         []int
}

// The kinds of csvOp.
const (
	opRecord = iota // the next slot of a table's record
	opGroup         // a group
	opText          // a text segment's field
)

// csvOp lays out a part of a row: its kind and its table of slots, group
// or segment.
type csvOp struct{ kind, at int }

// csvTierField is a tier's field, a comma and its name, and its length,
// for the fixed copies.
type csvTierField struct {
	text [csvCopy]byte
	n    int
}

// newCSVFormatter returns a formatter of the segments.
func newCSVFormatter(segs []csvSegment, tables []*csvSlots) *csvFormatter {
	f := &csvFormatter{segs: segs, tables: tables, room: rowBytesBound(segs, tables) + csvCopy}
	for t, name := range tierNames {
		f.tiers[t].n = copy(f.tiers[t].text[:], ","+name)
	}
	size := 0
	for j := 0; j < len(segs); j++ {
		switch s := segs[j]; s.kind {
		case segSlots:
			f.ops = append(f.ops, csvOp{kind: opRecord, at: s.table})
		case segText:
			f.ops = append(f.ops, csvOp{kind: opText, at: j})
		default:
			g := csvGroup{base: size, lens: make([]int, csvBatchRows)}
			if s.first {
				g.skip = 1
			}
			for ; j < len(segs) && segs[j].kind != segSlots && segs[j].kind != segText; j++ {
				g.segs = append(g.segs, j)
				w := csvNumberWidth
				if segs[j].kind == segTier {
					w = csvTierWidth
				}
				g.stride += w
				if segs[j].num >= 0 {
					f.scratch = append(f.scratch, make([]float64, csvBatchRows))
					f.fields = append(f.fields, make([]csvField, csvBatchRows))
				}
			}
			j--
			g.stride += csvGroupSlack
			size += csvBatchRows * g.stride
			f.ops = append(f.ops, csvOp{kind: opGroup, at: len(f.groups)})
			f.groups = append(f.groups, g)
		}
	}
	f.text = make([]byte, size)
	f.numbers = make([][]float64, len(f.scratch))
	f.inputs = [2][]float64{make([]float64, csvBatchRows), make([]float64, csvBatchRows)}
	f.batch = make([][][]byte, len(tables))
	for t := range f.batch {
		f.batch[t] = make([][]byte, csvBatchRows)
	}
	f.next = make([]int, len(tables))
	return f
}

// appendRows appends rows lo..hi−1, a batch of customers at a time.
func (f *csvFormatter) appendRows(b []byte, lo, hi int) []byte {
	for first := lo; first < hi; first += csvBatchRows {
		last := min(first+csvBatchRows, hi)
		for t, table := range f.tables {
			f.touched += f.loadRecords(table, f.batch[t][:last-first], first)
		}
		for j := 0; j < len(f.segs); j++ {
			s := &f.segs[j]
			switch {
			case s.paired:
				next := &f.segs[j+1]
				f.numbers[s.num], f.numbers[next.num] = f.scratch[s.num][:last-first], f.scratch[next.num][:last-first]
				s.col.pair.fill(first, f.numbers[s.num], f.numbers[next.num])
				j++
			case s.num >= 0:
				f.numbers[s.num] = f.values(s, first, f.scratch[s.num][:last-first])
			}
		}
		for g := range f.groups {
			f.formatGroup(&f.groups[g], first, last-first)
		}
		for i := first; i < last; i++ {
			b = f.appendRow(b, i, i-first)
		}
	}
	return b
}

// loadRecords sets recs[k] to the record of customer first+k and reads a
// byte of every cache line of the records (records are not aligned: their
// first byte, every 64th and their last), loads independent of each other
// that the processor overlaps, so that the values and rows then read them
// from the cache. It returns the sum of the bytes read.
func (f *csvFormatter) loadRecords(t *csvSlots, recs [][]byte, first int) byte {
	var sum byte
	for k, r := range t.rows[first : first+len(recs)] {
		record := t.record(r)
		recs[k] = record
		for at := 0; at < len(record); at += csvLine {
			sum += record[at]
		}
		sum += record[len(record)-1]
	}
	return sum
}

// values returns a number segment's values of customers first …
// first+len(dst)−1 (in dst or the column's own slice).
func (f *csvFormatter) values(s *csvSegment, first int, dst []float64) []float64 {
	if s.kind != segDerived {
		return s.col.values(first, dst)
	}
	recs := f.batch[s.table][:len(dst)]
	var in [2][]float64
	for k, at := range s.inputs {
		if at < 0 {
			break
		}
		in[k] = f.inputs[k][:len(dst)]
		for m, rec := range recs {
			in[k][m] = math.Float64frombits(binary.LittleEndian.Uint64(rec[at:]))
		}
	}
	s.col.pred.derive(s.col.q, dst, first, in)
	return dst
}

// formatGroup formats the group of the batch's count customers from
// customer first on, segment by segment.
func (f *csvFormatter) formatGroup(g *csvGroup, first, count int) {
	clear(g.lens)
	for _, j := range g.segs {
		switch s := &f.segs[j]; s.kind {
		case segTier:
			f.formatTiers(g, s.col.tier[first:first+count])
		case segCopy:
			fields := f.fields[f.segs[s.table].num][:count]
			for k, field := range fields {
				g.lens[k] += f.copyField(g.base+k*g.stride+g.lens[k], field)
			}
		default:
			f.formatNumbers(g, s)
		}
	}
}

// formatNumbers formats the batch's numbers of number segment s into
// the group's fields: a value equal to the one before it in the column,
// or to the customer's of a column of s.same, copies that field.
func (f *csvFormatter) formatNumbers(g *csvGroup, s *csvSegment) {
	values := f.numbers[s.num]
	fields := f.fields[s.num][:len(values)]
	var same [2][]float64
	var sameFields [2][]csvField
	for e, j := range s.same {
		if j >= 0 {
			same[e], sameFields[e] = f.numbers[f.segs[j].num], f.fields[f.segs[j].num]
		}
	}
	var before uint64
	for k, v := range values {
		at := g.base + k*g.stride + g.lens[k]
		bits := math.Float64bits(v)
		var n int
		switch {
		case k > 0 && bits == before:
			n = f.copyField(at, fields[k-1])
		case same[0] != nil && math.Float64bits(same[0][k]) == bits:
			n = f.copyField(at, sameFields[0][k])
		case same[1] != nil && math.Float64bits(same[1][k]) == bits:
			n = f.copyField(at, sameFields[1][k])
		default:
			f.text[at] = ','
			n = 1 + floatfmt.Put(f.text[at+1:], v)
		}
		fields[k] = csvField{at, n}
		g.lens[k] += n
		before = bits
	}
}

// copyField copies a number field to offset at of the text and returns
// its length. The field ends at or before at, or lies in another group
// or customer's group, so that the fixed copy does not read what it wrote.
func (f *csvFormatter) copyField(at int, field csvField) int {
	copyFixed(f.text[at:], f.text[field.at:field.at+csvCopy])
	return field.n
}

// formatTiers writes the batch's tiers into the group's fields.
func (f *csvFormatter) formatTiers(g *csvGroup, tiers []Tier) {
	for k, t := range tiers {
		at := g.base + k*g.stride + g.lens[k]
		if int(t) < len(f.tiers) {
			copyFixed(f.text[at:], f.tiers[t].text[:])
			g.lens[k] += f.tiers[t].n
		} else {
			g.lens[k] += copy(f.text[at:], ","+t.String())
		}
	}
}

// copyFixed copies the first csvCopy bytes of src to dst, 16 at a time
// (an array copy the compiler makes with two moves; one of 32 calls
// memmove).
func copyFixed(dst, src []byte) {
	*(*[16]byte)(dst) = *(*[16]byte)(src)
	*(*[16]byte)(dst[16:]) = *(*[16]byte)(src[16:csvCopy])
}

// appendRow appends customer i's row, the k-th of the batch, its groups
// and records' slots copied csvCopy bytes at a time into the room past
// b's length (grown to f.room, and again after a text field, whose length
// has no bound). Text (customer ids) is neutralised for spreadsheets
// (datasets.SpreadsheetSafe); Parquet keeps ids as read.
func (f *csvFormatter) appendRow(b []byte, i, k int) []byte {
	for t, table := range f.tables {
		f.next[t] = 8 * len(table.values)
	}
	b = slices.Grow(b, f.room)
	out, at := b[len(b):cap(b)], 0
	for _, op := range f.ops {
		switch op.kind {
		case opRecord:
			record, slot := f.batch[op.at][k], f.next[op.at]
			n := int(record[slot])
			for c := 0; c < n; c += csvCopy { // the record's block holds csvCopy bytes past its end
				copyFixed(out[at+c:], record[slot+1+c:slot+1+c+csvCopy])
			}
			f.next[op.at] = slot + 1 + n
			at += n
		case opGroup:
			g := &f.groups[op.at]
			from, n := g.base+k*g.stride+g.skip, g.lens[k]-g.skip
			for c := 0; c < n; c += csvCopy {
				copyFixed(out[at+c:], f.text[from+c:from+c+csvCopy])
			}
			at += n
		default:
			b = f.appendText(b[:len(b)+at], &f.segs[op.at], i)
			out, at = b[len(b):cap(b)], 0
		}
	}
	out[at] = '\n'
	return b[:len(b)+at+1]
}

// appendText appends customer i's field of a text segment and grows b to
// f.room.
func (f *csvFormatter) appendText(b []byte, s *csvSegment, i int) []byte {
	if !s.first {
		b = append(b, ',')
	}
	return slices.Grow(appendCSVField(b, datasets.SpreadsheetSafe(s.col.textAt(i))), f.room)
}
