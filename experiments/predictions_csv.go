package experiments

import (
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clv-dev/clv/datasets"
)

// csvBlockRows is the number of rows a worker formats at a time.
const csvBlockRows = 16384

// writePredictionsCSV writes the columns as CSV, one row per customer,
// with numbers in the shortest form that reads back to the same float64,
// so the file holds exactly what was scored.
//
// Consecutive columns by row of one row index (a prediction's purchase
// values, the summary's frequency, recency and T) are formatted once per
// row and their bytes copied for every customer of the row; the other
// columns are formatted customer by customer. Blocks of rows are formatted
// in parallel, and written in order while the next blocks are formatted.
func writePredictionsCSV(w io.Writer, cols []predColumn) error {
	return writeCSVBlocks(w, cols, csvBlockRows)
}

// writeCSVBlocks writes the CSV in blocks of blockRows rows.
func writeCSVBlocks(w io.Writer, cols []predColumn, blockRows int) error {
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
	segs := csvSegments(cols)
	workers := max(1, runtime.GOMAXPROCS(0))
	var sets [2][][]byte // formatted while the other set is written
	sets[0], sets[1] = make([][]byte, workers), make([][]byte, workers)
	var pending chan error // the write of the previous round
	for round, start := 0, 0; start < n; round, start = round+1, start+blockRows*workers {
		bufs := sets[round%2]
		parallelBlocks(workers, func(k int) {
			lo := start + k*blockRows
			bufs[k] = bufs[k][:0]
			if hi := min(lo+blockRows, n); lo < hi {
				bufs[k] = appendCSVRows(bufs[k], segs, lo, hi)
			}
		})
		if pending != nil {
			if err := <-pending; err != nil {
				return err
			}
		}
		done := make(chan error, 1)
		go func() { done <- writeAll(w, bufs) }()
		pending = done
	}
	if pending != nil {
		return <-pending
	}
	return nil
}

// writeAll writes the buffers in order.
func writeAll(w io.Writer, bufs [][]byte) error {
	for _, b := range bufs {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// parallelBlocks runs f(0) … f(k−1) at once and waits for them.
func parallelBlocks(k int, f func(int)) {
	done := make(chan struct{}, k)
	for b := range k {
		go func() {
			defer func() { done <- struct{}{} }()
			f(b)
		}()
	}
	for range k {
		<-done
	}
}

// csvSegment is a run of the columns of a CSV row: one column formatted
// customer by customer (col), or consecutive columns by row of one row
// index (rows), whose fields are formatted once per row into a slot of
// width bytes: row r's are text[r·width+1 : r·width+1+text[r·width]],
// each field with its leading comma but at the start of the line (one
// slot per row, so that a customer's fields take one look-up).
type csvSegment struct {
	col   predColumn
	first bool // col is the line's first field
	rows  []int32
	text  []byte
	width int
}

// csvSegments groups the columns into segments (see csvSegment).
func csvSegments(cols []predColumn) []csvSegment {
	var segs []csvSegment
	for j := 0; j < len(cols); {
		c := cols[j]
		if c.byRow == nil {
			segs = append(segs, csvSegment{col: c, first: j == 0})
			j++
			continue
		}
		k := j + 1
		for k < len(cols) && sameRows(cols[k], c) {
			k++
		}
		text, width := formatByRow(cols[j:k], j == 0)
		if text == nil { // a row too long for its length byte: customer by customer
			for ; j < k; j++ {
				segs = append(segs, csvSegment{col: cols[j], first: j == 0})
			}
			continue
		}
		segs = append(segs, csvSegment{rows: c.rows, text: text, width: width})
		j = k
	}
	return segs
}

// sameRows reports whether two columns are by row of the same row index
// and table.
func sameRows(a, b predColumn) bool {
	return a.byRow != nil && b.byRow != nil && len(a.byRow) == len(b.byRow) && len(a.rows) == len(b.rows) &&
		(len(a.rows) == 0 || &a.rows[0] == &b.rows[0])
}

// formatByRow formats the fields of columns by row into slots of one
// width (a length byte, then the fields), rows in parallel blocks; first
// means the first column starts the line. It returns nil when a row's
// fields are longer than a length byte counts.
func formatByRow(cols []predColumn, first bool) (text []byte, width int) {
	rows := len(cols[0].byRow)
	width = 1 + len(cols)*25 // a comma and at most 24 bytes per number
	if width > 256 {
		return nil, 0
	}
	text = make([]byte, rows*width)
	parallelFor(rows, func(lo, hi int) {
		var b []byte
		for r := lo; r < hi; r++ {
			b = b[:0]
			for j, c := range cols {
				if j > 0 || !first {
					b = append(b, ',')
				}
				b = appendNumber(b, c.byRow[r])
			}
			slot := text[r*width : (r+1)*width]
			slot[0] = byte(len(b))
			copy(slot[1:], b)
		}
	})
	return text, width
}

// appendCSVRows appends rows lo..hi−1. Text (customer ids) is neutralised
// for spreadsheets (datasets.SpreadsheetSafe); Parquet keeps ids as read.
func appendCSVRows(b []byte, segs []csvSegment, lo, hi int) []byte {
	for i := lo; i < hi; i++ {
		for k := range segs {
			s := &segs[k]
			if s.rows != nil {
				slot := s.text[int(s.rows[i])*s.width:]
				b = append(b, slot[1:1+slot[0]]...)
				continue
			}
			if !s.first {
				b = append(b, ',')
			}
			switch c := &s.col; {
			case c.tier != nil:
				b = append(b, c.tier[i].String()...)
			case !c.isNumber():
				b = appendCSVField(b, datasets.SpreadsheetSafe(c.textAt(i)))
			default:
				b = appendNumber(b, c.value(i))
			}
		}
		b = append(b, '\n')
	}
	return b
}

// appendNumber appends v as strconv.AppendFloat(b, v, 'g', -1, 64) does,
// whole numbers below 10⁶ (counts, interval bounds) by the faster integer
// path: 'g' writes them without a fraction or an exponent.
func appendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 && (v != 0 || !math.Signbit(v)) {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
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
