package experiments

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/plain"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetEncoder encodes column chunks of the predictions as Parquet data
// pages, each page's header before its data, with buffers reused from
// page to page (one encoder per worker).
type parquetEncoder struct {
	pageRows int

	header  bytes.Buffer
	encoder *thrift.Encoder

	numbers []float64 // a page of numbers
	text    []byte    // a page of strings, end to end
	offsets []uint32  // where each string of text starts, and the end
	data    []byte    // the encoded page
	// tierText holds every Tier value's name (made on the first page
	// of tiers).
	tierText *[256]parquetTierName
}

// newParquetEncoder returns an encoder of pages of pageRows rows.
func newParquetEncoder(pageRows int) *parquetEncoder {
	e := &parquetEncoder{pageRows: pageRows, numbers: make([]float64, pageRows)}
	e.encoder = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&e.header))
	return e
}

// appendUnit appends to buf the chunk of rows lo..hi−1 of column u.col
// and the same bytes once per repeat, and sets their metadata in
// chunks[u.col], chunks[u.col+1], … (the row group's).
func (e *parquetEncoder) appendUnit(buf []byte, cols []predColumn, u parquetUnit, lo, hi int, chunks []format.ColumnChunk) ([]byte, error) {
	c := cols[u.col]
	start := len(buf)
	buf, meta, err := e.appendChunk(buf, c, lo, hi)
	if err != nil {
		return buf, fmt.Errorf("column %s: %w", c.name, err)
	}
	chunks[u.col] = format.ColumnChunk{MetaData: meta}
	end := len(buf)
	for r := 1; r <= u.repeats; r++ {
		buf = append(buf, buf[start:end]...)
		meta.PathInSchema = []string{cols[u.col+r].name}
		chunks[u.col+r] = format.ColumnChunk{MetaData: meta}
	}
	return buf, nil
}

// appendChunk appends rows lo..hi−1 of a column to buf as data pages and
// returns the column chunk's metadata (but for its offset in the file):
// sizes, encodings, statistics of all its pages.
func (e *parquetEncoder) appendChunk(buf []byte, c predColumn, lo, hi int) ([]byte, format.ColumnMetaData, error) {
	meta := format.ColumnMetaData{
		Type: format.Double, Encoding: []format.Encoding{format.Plain}, PathInSchema: []string{c.name},
		Codec: format.Uncompressed, NumValues: int64(hi - lo),
	}
	if !c.isNumber() {
		meta.Type, meta.Encoding = format.ByteArray, []format.Encoding{format.DeltaLengthByteArray}
	}
	start := len(buf)
	var bounds parquetBounds
	pages := int32(0)
	for first := lo; first < hi; first += e.pageRows {
		m := min(e.pageRows, hi-first)
		var page parquetBounds
		var err error
		if c.isNumber() {
			page, err = e.encodeNumbers(c, first, m)
		} else {
			page, err = e.encodeStrings(c, first, m)
			meta.SizeStatistics.UnencodedByteArrayDataBytes += int64(len(e.text))
		}
		if err == nil {
			buf, err = e.appendPage(buf, m, meta.Encoding[0], page)
		}
		if err != nil {
			return buf, meta, err
		}
		bounds.merge(page, meta.Type)
		pages++
	}
	meta.TotalUncompressedSize = int64(len(buf) - start)
	meta.TotalCompressedSize = meta.TotalUncompressedSize
	meta.Statistics = bounds.statistics()
	meta.EncodingStats = []format.PageEncodingStats{{PageType: format.DataPageV2, Encoding: meta.Encoding[0], Count: pages}}
	return buf, meta, nil
}

// plainEncoding and deltaLengthEncoding are the encodings of the numbers
// and of the strings.
var (
	plainEncoding       encoding.Encoding = &plain.Encoding{}
	deltaLengthEncoding encoding.Encoding = &delta.LengthByteArrayEncoding{}
)

// encodeNumbers encodes m numbers of a column from row first into e.data
// (PLAIN: little-endian doubles) and returns their bounds.
func (e *parquetEncoder) encodeNumbers(c predColumn, first, m int) (parquetBounds, error) {
	values := c.values(first, e.numbers[:m])
	var err error
	e.data, err = plainEncoding.EncodeDouble(e.data[:0], values)
	return doubleBounds(values), err
}

// encodeStrings encodes m strings of a column (ids or tiers) from row
// first into e.data (DELTA_LENGTH_BYTE_ARRAY: the lengths delta-packed,
// then the bytes end to end) and returns their bounds.
func (e *parquetEncoder) encodeStrings(c predColumn, first, m int) (parquetBounds, error) {
	e.text, e.offsets = e.text[:0], append(e.offsets[:0], 0)
	var b parquetBounds
	if c.tier != nil {
		b = e.appendTiers(c.tier[first : first+m])
	} else {
		for k := range m {
			s := c.textAt(first + k)
			b.addString(s)
			e.text = append(e.text, s...)
			e.offsets = append(e.offsets, uint32(len(e.text)))
		}
	}
	if len(e.text) > math.MaxInt32/2 {
		return b, fmt.Errorf("%d bytes of text in %d rows: a Parquet page holds at most 1 GiB; write output.predictions: csv", len(e.text), m)
	}
	var err error
	e.data, err = deltaLengthEncoding.EncodeByteArray(e.data[:0], e.text, e.offsets)
	return b, err
}

// parquetTierWidth is the room of a tier's name: the longest
// (never_profitable, and that of any other Tier value) fits.
const parquetTierWidth = 16

// appendTiers appends the tiers' names to e.text and their ends to
// e.offsets, and returns their bounds. Each name is copied as its tier's
// parquetTierWidth bytes, padded, at once (a copy of a few bytes of
// varying length costs several times more), the padding overwritten by
// the next name or cut off at the end.
func (e *parquetEncoder) appendTiers(tiers []Tier) parquetBounds {
	if e.tierText == nil {
		e.tierText = new([256]parquetTierName)
		for t := range e.tierText {
			e.tierText[t] = newParquetTierName(Tier(t).String())
		}
	}
	n, end := len(e.text), len(e.text)+len(tiers)*parquetTierWidth
	e.text = slices.Grow(e.text, end-n)[:end]
	var seen [256]bool
	for _, t := range tiers {
		name := &e.tierText[t]
		*(*[parquetTierWidth]byte)(e.text[n:]) = name.padded
		n += name.len
		e.offsets = append(e.offsets, uint32(n))
		seen[t] = true
	}
	e.text = e.text[:n]
	var b parquetBounds
	for t, met := range seen {
		if met {
			b.addString(Tier(t).String())
		}
	}
	return b
}

// parquetTierName is a tier's name padded with zeros to
// parquetTierWidth bytes, and its length.
type parquetTierName struct {
	padded [parquetTierWidth]byte
	len    int
}

// newParquetTierName returns a name padded, or cut to parquetTierWidth
// bytes if longer (which TestParquetTierNames rules out).
func newParquetTierName(s string) parquetTierName {
	var name parquetTierName
	name.len = copy(name.padded[:], s)
	return name
}

// appendPage appends e.data to buf as a data page (v2, uncompressed) of m
// rows, after its header.
func (e *parquetEncoder) appendPage(buf []byte, m int, enc format.Encoding, b parquetBounds) ([]byte, error) {
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(e.data)),
		CompressedPageSize:   int32(len(e.data)),
		CRC:                  int32(crc32.ChecksumIEEE(e.data)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues: int32(m), NumRows: int32(m), Encoding: enc,
			IsCompressed: thrift.New(false), Statistics: b.statistics(),
		}),
	}
	e.header.Reset()
	if err := e.encoder.Encode(&h); err != nil {
		return buf, err
	}
	buf = append(buf, e.header.Bytes()...)
	return append(buf, e.data...), nil
}
