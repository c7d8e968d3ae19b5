package experiments

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/clv-dev/clv/internal/chunkwrite"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// writePredictionsParquet writes the columns as a Parquet file with the same columns
// in the same order: ids and tiers as UTF-8 strings, numbers as doubles,
// all required. Row groups of parquetGroupRows rows, data pages (v2,
// uncompressed, with a CRC and min/max statistics) of parquetPageRows rows:
// numbers PLAIN, strings DELTA_LENGTH_BYTE_ARRAY, as parquet-go's writer
// encodes them by default.
//
// The pages are encoded here with parquet-go's encoders, page header and
// footer types and thrift encoder (see parquetEncoder), a column chunk at
// a time on every core (chunkwrite.Ordered), and written in order while
// the chunks after them are encoded: numbers are computed a page at a
// time into a reused buffer and never become a parquet.Value each, and no
// row group is held in memory (parquet-go's writer buffers every page of
// a row group before writing it, and makes the page statistics from the
// buffered values twice). A column equal to the one before it for every
// customer (net CLV without costs, see netCLVIsCLV) is encoded once and
// its chunk's bytes written twice. The schema (names, types, logical
// types, column orders) is parquet-go's, taken from the footer its writer
// writes for the columns. The file has no page index (column and offset
// indexes, optional in the format): each row group's statistics are in
// the footer.
func writePredictionsParquet(w io.Writer, cols []predColumn) error {
	return writeParquetGroups(w, cols, parquetLayout{groupRows: parquetGroupRows, pageRows: parquetPageRows})
}

// parquetGroupRows is the number of rows of a Parquet row group of the
// predictions.
const parquetGroupRows = 1 << 17

// parquetPageRows is the number of rows of a data page of the predictions:
// 256 KiB of doubles, as parquet-go's default page buffer size.
const parquetPageRows = 1 << 15

// parquetLayout is the number of rows of a row group and of a data page.
type parquetLayout struct{ groupRows, pageRows int }

// parquetUnit is the part of the file one encoder makes at a time: the
// column chunk of row group group and column col, followed by the same
// bytes for each of the next repeats columns (which equal col for every
// customer).
type parquetUnit struct{ group, col, repeats int }

// writeParquetGroups writes the columns as Parquet in row groups and pages
// of the layout's numbers of rows.
func writeParquetGroups(w io.Writer, cols []predColumn, layout parquetLayout) error {
	meta, err := parquetFileMeta(cols)
	if err != nil {
		return err
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].len()
	}
	groups := (n + layout.groupRows - 1) / layout.groupRows
	units := parquetUnits(cols, groups)
	// chunks[g·len(cols)+j] is the metadata of column j's chunk of row
	// group g, but for its offset; errs[k] is unit k's encoding error.
	chunks := make([]format.ColumnChunk, groups*len(cols))
	errs := make([]error, len(units))
	var failed atomic.Bool
	if _, err := w.Write([]byte("PAR1")); err != nil {
		return err
	}
	err = chunkwrite.Ordered(w, len(units), 1, func() func([]byte, int, int) []byte {
		e := newParquetEncoder(layout.pageRows)
		return func(buf []byte, k, _ int) []byte {
			if failed.Load() {
				return buf[:0]
			}
			u := units[k]
			lo := u.group * layout.groupRows
			hi := min(lo+layout.groupRows, n)
			buf = slices.Grow(buf[:0], parquetUnitBound(u, cols[u.col].isNumber(), hi-lo, layout.pageRows))
			buf, errs[k] = e.appendUnit(buf, cols, u, lo, hi, chunks[u.group*len(cols):])
			if errs[k] != nil {
				failed.Store(true)
				return buf[:0]
			}
			return buf
		}
	})
	if err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	placeParquetChunks(&meta, chunks, len(cols), n, layout.groupRows)
	return writeParquetFooter(w, &meta)
}

// parquetPageHeaderBound is more than the bytes of a data page's header
// (its sizes, CRC, counts and two 8-byte bounds of numbers).
const parquetPageHeaderBound = 96

// parquetUnitBound returns about the bytes of a unit of m rows in pages of
// pageRows, so that its buffer is sized once rather than made again at
// every doubling: exactly their room for numbers, 16 bytes a row for
// strings (ids and tiers; rarely more).
func parquetUnitBound(u parquetUnit, numbers bool, m, pageRows int) int {
	pages := (m + pageRows - 1) / pageRows
	width := 16
	if numbers {
		width = 8
	}
	return (1 + u.repeats) * (m*width + pages*parquetPageHeaderBound)
}

// parquetUnits returns the units of groups row groups of the columns, in
// the order of the file: a column that equals the one before it for
// every customer (parquetRepeats) is a repeat of that one's unit.
func parquetUnits(cols []predColumn, groups int) []parquetUnit {
	repeats := make([]bool, len(cols))
	for j := 1; j < len(cols); j++ {
		repeats[j] = parquetRepeats(cols[j-1], cols[j])
	}
	var units []parquetUnit
	for g := range groups {
		for j := range cols {
			if repeats[j] {
				units[len(units)-1].repeats++
				continue
			}
			units = append(units, parquetUnit{group: g, col: j})
		}
	}
	return units
}

// parquetRepeats reports whether column c equals column prev, the one
// before it, for every customer, so that its chunks are prev's bytes: a
// prediction's net CLV after its CLV when netCLVIsCLV.
func parquetRepeats(prev, c predColumn) bool {
	return c.pred != nil && prev.pred == c.pred && prev.q == PredCLV && c.q == PredNetCLV &&
		prev.byRow == nil && c.byRow == nil && netCLVIsCLV(c.pred)
}

// placeParquetChunks sets the row groups of the file's metadata from the
// chunks of every row group (ncols each), written end to end after the
// leading magic: each chunk's offset and each row group's offset, rows
// and sizes.
func placeParquetChunks(meta *format.FileMetaData, chunks []format.ColumnChunk, ncols, n, groupRows int) {
	offset := int64(len("PAR1"))
	for g := 0; g*groupRows < n; g++ {
		rg := format.RowGroup{
			Columns: chunks[g*ncols : (g+1)*ncols], NumRows: int64(min(groupRows, n-g*groupRows)),
			FileOffset: offset, Ordinal: int16(g),
		}
		for j := range rg.Columns {
			cm := &rg.Columns[j].MetaData
			cm.DataPageOffset = offset
			offset += cm.TotalCompressedSize
			rg.TotalByteSize += cm.TotalUncompressedSize
			rg.TotalCompressedSize += cm.TotalCompressedSize
		}
		meta.RowGroups = append(meta.RowGroups, rg)
	}
	meta.NumRows = int64(n)
}

// parquetFileMeta returns the file metadata parquet-go's writer writes for
// the columns (strings for ids and tiers, doubles for numbers, required),
// without rows: the schema, column orders, version and writer name.
func parquetFileMeta(cols []predColumn) (format.FileMetaData, error) {
	fields := make([]reflect.StructField, len(cols))
	for j, c := range cols {
		typ := reflect.TypeFor[float64]()
		if !c.isNumber() {
			typ = reflect.TypeFor[string]()
		}
		fields[j] = reflect.StructField{Name: fmt.Sprintf("C%d", j), Type: typ, Tag: reflect.StructTag(`parquet:"` + c.name + `"`)}
	}
	schema := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	pw := parquet.NewWriter(io.Discard, schema)
	if err := pw.Close(); err != nil {
		return format.FileMetaData{}, err
	}
	m := pw.File().Metadata()
	return format.FileMetaData{Version: m.Version, Schema: m.Schema, CreatedBy: m.CreatedBy, ColumnOrders: m.ColumnOrders}, nil
}

// writeParquetFooter writes the file metadata, its length and the closing
// magic.
func writeParquetFooter(w io.Writer, meta *format.FileMetaData) error {
	var footer bytes.Buffer
	if err := thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&footer)).Encode(meta); err != nil {
		return err
	}
	footer.Write(binary.LittleEndian.AppendUint32(nil, uint32(footer.Len())))
	footer.WriteString("PAR1")
	_, err := w.Write(footer.Bytes())
	return err
}

// parquetBounds is the least and greatest value of a page or a column
// chunk as Parquet statistics store them (doubles little-endian, strings
// as their bytes); ok is false while no value (other than NaN) was met.
type parquetBounds struct {
	min, max []byte
	ok       bool
}

// doubleBounds returns the bounds of numbers as the Parquet format asks
// of writers: NaN left out, a least zero written as −0 and a greatest
// zero as +0 (so that a reader may not exclude either zero).
func doubleBounds(values []float64) parquetBounds {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if lo > hi { // every value NaN (or none)
		return parquetBounds{}
	}
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return parquetBounds{
		min: binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo)),
		max: binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi)),
		ok:  true,
	}
}

// addString widens string bounds (compared byte by byte) to include s.
func (b *parquetBounds) addString(s string) {
	switch {
	case !b.ok:
		b.min, b.max, b.ok = append(b.min[:0], s...), append(b.max[:0], s...), true
	case s < string(b.min):
		b.min = append(b.min[:0], s...)
	case s > string(b.max):
		b.max = append(b.max[:0], s...)
	}
}

// merge widens the bounds of a column chunk of type typ to include a
// page's.
func (b *parquetBounds) merge(page parquetBounds, typ format.Type) {
	switch {
	case !page.ok:
	case !b.ok:
		*b = parquetBounds{min: append([]byte(nil), page.min...), max: append([]byte(nil), page.max...), ok: true}
	case typ == format.Double:
		lo := math.Float64frombits(binary.LittleEndian.Uint64(b.min))
		hi := math.Float64frombits(binary.LittleEndian.Uint64(b.max))
		if math.Float64frombits(binary.LittleEndian.Uint64(page.min)) < lo {
			copy(b.min, page.min)
		}
		if math.Float64frombits(binary.LittleEndian.Uint64(page.max)) > hi {
			copy(b.max, page.max)
		}
	default:
		b.addString(string(page.min))
		b.addString(string(page.max))
	}
}

// statistics returns the bounds as Parquet statistics of a required
// column (no nulls).
func (b parquetBounds) statistics() format.Statistics {
	if !b.ok {
		return format.Statistics{}
	}
	return format.Statistics{MinValue: b.min, MaxValue: b.max}
}
