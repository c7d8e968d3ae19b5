package experiments

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/plain"
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
// The pages are encoded here, column by column and a page at a time, with
// parquet-go's encoders, page header and footer types and thrift encoder,
// and streamed to w: numbers are computed a page at a time into one reused
// buffer and never become a parquet.Value each, and no row group is held
// in memory (parquet-go's writer buffers every page of a row group before
// writing it, and makes the page statistics from the buffered values
// twice). The schema (names, types, logical types, column orders) is
// parquet-go's, taken from the footer its writer writes for the columns.
// The file has no page index (column and offset indexes, optional in the
// format): each row group's statistics are in the footer.
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

// writeParquetGroups writes the columns as Parquet in row groups and pages
// of the layout's numbers of rows.
func writeParquetGroups(w io.Writer, cols []predColumn, layout parquetLayout) error {
	meta, err := parquetFileMeta(cols)
	if err != nil {
		return err
	}
	pw := newParquetStream(w, layout.pageRows)
	pw.write([]byte("PAR1"))
	n := 0
	if len(cols) > 0 {
		n = cols[0].len()
	}
	for lo := 0; lo < n; lo += layout.groupRows {
		rg, err := pw.rowGroup(cols, lo, min(lo+layout.groupRows, n))
		if err != nil {
			return err
		}
		rg.Ordinal = int16(len(meta.RowGroups))
		meta.RowGroups = append(meta.RowGroups, rg)
	}
	meta.NumRows = int64(n)
	return pw.footer(&meta)
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

// parquetStream writes a Parquet file's pages and footer to w, counting
// the bytes written (the offsets of the footer) and keeping the first
// write error. Its buffers are reused from page to page.
type parquetStream struct {
	w        io.Writer
	offset   int64
	err      error
	pageRows int

	header  bytes.Buffer
	encoder *thrift.Encoder

	numbers []float64 // a page of numbers
	text    []byte    // a page of strings, end to end
	offsets []uint32  // where each string of text starts, and the end
	data    []byte    // the encoded page
	tiers   [][]byte  // each tier's name, once met
}

// newParquetStream returns a stream writing to w in pages of pageRows rows.
func newParquetStream(w io.Writer, pageRows int) *parquetStream {
	pw := &parquetStream{w: w, pageRows: pageRows, numbers: make([]float64, pageRows)}
	pw.encoder = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&pw.header))
	return pw
}

// write writes p unless an earlier write failed.
func (pw *parquetStream) write(p []byte) {
	if pw.err != nil {
		return
	}
	n, err := pw.w.Write(p)
	pw.offset += int64(n)
	pw.err = err
}

// rowGroup writes rows lo..hi−1 of the columns, column by column, and
// returns the row group's metadata.
func (pw *parquetStream) rowGroup(cols []predColumn, lo, hi int) (format.RowGroup, error) {
	rg := format.RowGroup{Columns: make([]format.ColumnChunk, len(cols)), NumRows: int64(hi - lo), FileOffset: pw.offset}
	for j, c := range cols {
		cc, err := pw.columnChunk(c, lo, hi)
		if err != nil {
			return rg, fmt.Errorf("column %s: %w", c.name, err)
		}
		rg.Columns[j] = cc
		rg.TotalByteSize += cc.MetaData.TotalUncompressedSize
		rg.TotalCompressedSize += cc.MetaData.TotalCompressedSize
	}
	return rg, nil
}

// columnChunk writes rows lo..hi−1 of a column as data pages and returns
// the column chunk's metadata: sizes, offset, statistics of all its pages.
func (pw *parquetStream) columnChunk(c predColumn, lo, hi int) (format.ColumnChunk, error) {
	meta := format.ColumnMetaData{
		Type: format.Double, Encoding: []format.Encoding{format.Plain}, PathInSchema: []string{c.name},
		Codec: format.Uncompressed, NumValues: int64(hi - lo), DataPageOffset: pw.offset,
	}
	if !c.isNumber() {
		meta.Type, meta.Encoding = format.ByteArray, []format.Encoding{format.DeltaLengthByteArray}
	}
	var bounds parquetBounds
	pages := int32(0)
	for first := lo; first < hi; first += pw.pageRows {
		m := min(pw.pageRows, hi-first)
		var page parquetBounds
		var err error
		if c.isNumber() {
			page, err = pw.encodeNumbers(c, first, m)
		} else {
			page, err = pw.encodeStrings(c, first, m)
			meta.SizeStatistics.UnencodedByteArrayDataBytes += int64(len(pw.text))
		}
		if err != nil {
			return format.ColumnChunk{}, err
		}
		size, err := pw.page(m, meta.Encoding[0], page)
		if err != nil {
			return format.ColumnChunk{}, err
		}
		meta.TotalUncompressedSize += size
		bounds.merge(page, meta.Type)
		pages++
	}
	meta.TotalCompressedSize = meta.TotalUncompressedSize
	meta.Statistics = bounds.statistics()
	meta.EncodingStats = []format.PageEncodingStats{{PageType: format.DataPageV2, Encoding: meta.Encoding[0], Count: pages}}
	return format.ColumnChunk{MetaData: meta}, nil
}

// plainEncoding and deltaLengthEncoding are the encodings of the numbers
// and of the strings.
var (
	plainEncoding       encoding.Encoding = &plain.Encoding{}
	deltaLengthEncoding encoding.Encoding = &delta.LengthByteArrayEncoding{}
)

// encodeNumbers encodes m numbers of a column from row first into pw.data
// (PLAIN: little-endian doubles) and returns their bounds.
func (pw *parquetStream) encodeNumbers(c predColumn, first, m int) (parquetBounds, error) {
	values := c.values(first, pw.numbers[:m])
	var err error
	pw.data, err = plainEncoding.EncodeDouble(pw.data[:0], values)
	return doubleBounds(values), err
}

// encodeStrings encodes m strings of a column (ids or tiers) from row
// first into pw.data (DELTA_LENGTH_BYTE_ARRAY: the lengths delta-packed,
// then the bytes end to end) and returns their bounds.
func (pw *parquetStream) encodeStrings(c predColumn, first, m int) (parquetBounds, error) {
	pw.text, pw.offsets = pw.text[:0], append(pw.offsets[:0], 0)
	var b parquetBounds
	if c.tier != nil {
		var seen uint64 // the tiers met, as bits (Tier is a small enumeration)
		for _, t := range c.tier[first : first+m] {
			pw.text = append(pw.text, pw.tierName(t)...)
			pw.offsets = append(pw.offsets, uint32(len(pw.text)))
			seen |= 1 << (uint(t) & 63)
		}
		for t := range pw.tiers {
			if seen&(1<<uint(t)) != 0 {
				b.addString(string(pw.tiers[t]))
			}
		}
	} else {
		for k := range m {
			s := c.textAt(first + k)
			b.addString(s)
			pw.text = append(pw.text, s...)
			pw.offsets = append(pw.offsets, uint32(len(pw.text)))
		}
	}
	if len(pw.text) > math.MaxInt32/2 {
		return b, fmt.Errorf("%d bytes of text in %d rows: a Parquet page holds at most 1 GiB; write output.predictions: csv", len(pw.text), m)
	}
	var err error
	pw.data, err = deltaLengthEncoding.EncodeByteArray(pw.data[:0], pw.text, pw.offsets)
	return b, err
}

// tierName returns a tier's name as bytes, made once per tier.
func (pw *parquetStream) tierName(t Tier) []byte {
	if int(t) >= len(pw.tiers) {
		pw.tiers = append(pw.tiers, make([][]byte, int(t)+1-len(pw.tiers))...)
	}
	if pw.tiers[t] == nil {
		pw.tiers[t] = []byte(t.String())
	}
	return pw.tiers[t]
}

// page writes pw.data as a data page (v2, uncompressed) of m rows and
// returns its size with its header.
func (pw *parquetStream) page(m int, enc format.Encoding, b parquetBounds) (int64, error) {
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(pw.data)),
		CompressedPageSize:   int32(len(pw.data)),
		CRC:                  int32(crc32.ChecksumIEEE(pw.data)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues: int32(m), NumRows: int32(m), Encoding: enc,
			IsCompressed: thrift.New(false), Statistics: b.statistics(),
		}),
	}
	pw.header.Reset()
	if err := pw.encoder.Encode(&h); err != nil {
		return 0, err
	}
	size := int64(pw.header.Len() + len(pw.data))
	pw.write(pw.header.Bytes())
	pw.write(pw.data)
	return size, pw.err
}

// footer writes the file metadata, its length and the closing magic.
func (pw *parquetStream) footer(meta *format.FileMetaData) error {
	pw.header.Reset()
	if err := pw.encoder.Encode(meta); err != nil {
		return err
	}
	pw.header.Write(binary.LittleEndian.AppendUint32(nil, uint32(pw.header.Len())))
	pw.header.WriteString("PAR1")
	pw.write(pw.header.Bytes())
	return pw.err
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
