package plot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"io"
)

// rgbEncoder writes opaque images as 8-bit RGB PNGs (the alpha channel,
// all 255 on a white canvas, dropped). Every row is written with the Up filter (each byte
// less the byte above it): figures are mostly flat colour, which the filter
// turns into runs of zeros, and one fixed filter spares the trial of all
// five per row that image/png makes, most of its time. The output is a
// function of the pixels alone. The file is made in memory (a few hundred
// kB), so that the alpha channel is checked as the rows are filtered, in
// the same pass.
//
// Its buffers are kept from one image to the next: the file, the
// compressor's window and tokens, the compressed stream.
//
// The compressed stream is a zlib stream (RFC 1950): the deflate stream of
// rowDeflater between zlib's two-byte header and the Adler-32 checksum of
// the data, cut into IDAT chunks. The checksum is computed here, so that
// long runs of zeros in the filtered rows (a row equal to the row above,
// most rows of a figure: blank margins, the insides of bars and heat-map
// cells; the stretches of a row where it equals the row above) are
// neither summed nor compressed byte by byte: a run of n zeros leaves the
// checksum's first sum as it is and adds n times it to the second, and
// the compressor is told where the runs are (upFilter finds them as it
// filters).
type rgbEncoder struct {
	buf     bytes.Buffer
	deflate rowDeflater
	stream  []byte // the zlib stream
	zeros   []byte // the row above the first: zeros, never written
	white   []byte // a row of white pixels, for whiten
	spans   []span // the runs of zeros of the row being filtered
}

// zlibHeader is the zlib header of a deflate stream of the default window
// at the fastest level (compression level flag 0; its check bits make the
// 16-bit header a multiple of 31).
var zlibHeader = [2]byte{0x78, 0x01}

// encodeWhitening makes the PNG file of img, drawn on white, which it leaves
// white (every byte 0xff) for the next figure to be drawn on: each row is
// painted white once the rows below it no longer need it, while it is
// still in the processor's cache. An image with a pixel not opaque, which
// a figure drawn on white never has, is an error, and the image is then
// left partly white.
func (e *rgbEncoder) encodeWhitening(img *image.RGBA) error {
	e.buf.Reset()
	opaque, err := e.encodeRGB(img, true)
	if err == nil && !opaque {
		err = errors.New("the image has pixels that are not opaque")
	}
	return err
}

// bytes returns the file made by the last encoding, valid until the next.
func (e *rgbEncoder) bytes() []byte { return e.buf.Bytes() }

// encodeRGB writes img as an RGB PNG into e.buf (see rgbEncoder) and
// reports whether every pixel has alpha 255; when one does not, it stops
// at its row, and what e.buf holds is not to be used. With whiten, the
// rows are painted white as they are done with (see encodeWhitening): all
// of them when every pixel is opaque, else those above the row above the
// first row not opaque.
func (e *rgbEncoder) encodeRGB(img *image.RGBA, whiten bool) (opaque bool, err error) {
	buf := &e.buf
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	buf.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits per sample, truecolour
	if err := writeChunk(buf, "IHDR", ihdr[:]); err != nil {
		return false, err
	}
	n := 1 + 3*width // a filtered row: its filter type, then RGB
	e.deflate.reset(n, append(e.stream[:0], zlibHeader[:]...))
	e.zeros = grown(e.zeros, 4*width)
	if whiten && len(e.white) < 4*width {
		e.white = make([]byte, 4*width)
		paintWhite(e.white)
	}
	var sum adler32Sum
	sum.reset()
	prev := e.zeros // above the first row: zeros
	// prevWhite is whether prev is known to be white already, which
	// whitening then leaves as it is: the first row when it is white, and
	// every row equal to a white row above it (the blank margins).
	prevWhite := false
	for y := range height {
		cur := img.Pix[y*img.Stride : y*img.Stride+4*width]
		row := e.deflate.nextRow()
		row[0] = 2 // the Up filter
		e.spans = e.spans[:0]
		curWhite := false
		if y > 0 && bytes.Equal(cur, prev) {
			clear(row[1:n]) // opaque as the row above
			e.spans = append(e.spans, span{1, n})
			curWhite = prevWhite
		} else if e.spans, opaque = upFilter(row[1:], cur, prev, y > 0, e.spans); !opaque {
			return false, nil
		} else if y == 0 && whiten {
			curWhite = bytes.Equal(cur, e.white[:4*width])
		}
		sum.addRow(row[:n], e.spans)
		e.deflate.addRow(e.spans)
		if whiten && y > 0 && !prevWhite {
			copy(prev, e.white)
		}
		prev, prevWhite = cur, curWhite
	}
	if whiten && height > 0 && !prevWhite { // with no row, prev is e.zeros: the row above row 0
		copy(prev, e.white)
	}
	e.stream = binary.BigEndian.AppendUint32(e.deflate.finish(), sum.value())
	for p := e.stream; len(p) > 0; p = p[min(len(p), idatSize):] {
		if err := writeChunk(buf, "IDAT", p[:min(len(p), idatSize)]); err != nil {
			return false, err
		}
	}
	return true, writeChunk(buf, "IEND", nil)
}

// adler32Sum is the Adler-32 checksum of RFC 1950, as hash/adler32
// computes it, with runs of zeros added in constant time: s1 = 1 + Σ b_i
// and s2 = Σ s1 after each byte, both modulo 65521.
type adler32Sum struct{ s1, s2 uint64 }

const (
	adlerMod = 65521
	// adlerBlock bytes added to sums below adlerMod keep them below 2^42
	// (s1 < 2^25, s2 < 2^16 · 2^25): they are reduced once a block.
	adlerBlock = 1 << 16
)

func (a *adler32Sum) reset() { a.s1, a.s2 = 1, 0 }

// value returns the checksum.
func (a *adler32Sum) value() uint32 { return uint32(a.s2<<16 | a.s1) }

// addZeros adds n zero bytes: s1 stays, s2 grows by n·s1.
func (a *adler32Sum) addZeros(n int) {
	a.s2 = (a.s2 + uint64(n)%adlerMod*a.s1) % adlerMod
}

// addRow adds the bytes of a row, of which the spans (in order) are
// zeros.
func (a *adler32Sum) addRow(row []byte, zeros []span) {
	at := 0
	for _, z := range zeros {
		a.add(row[at:z.start])
		a.addZeros(z.end - z.start)
		at = z.end
	}
	a.add(row[at:])
}

// add adds the bytes of p, eight at a time where they are zeros.
func (a *adler32Sum) add(p []byte) {
	s1, s2 := a.s1, a.s2
	for len(p) > 0 {
		block := p[:min(len(p), adlerBlock)]
		p = p[len(block):]
		for ; len(block) >= 8; block = block[8:] {
			if binary.LittleEndian.Uint64(block) == 0 {
				s2 += 8 * s1
				continue
			}
			for _, c := range block[:8] {
				s1 += uint64(c)
				s2 += s1
			}
		}
		for _, c := range block {
			s1 += uint64(c)
			s2 += s1
		}
		s1, s2 = s1%adlerMod, s2%adlerMod
	}
	a.s1, a.s2 = s1, s2
}

// grown returns b with length n, reallocated when its capacity is less
// (its contents then zeros).
func grown(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// upFilter writes the Up filter of an RGBA row cur over the row prev above
// it as RGB into out (each byte less the byte above it, modulo 256) and
// reports whether every pixel of cur has alpha 255. It appends to zeros
// the runs of pixels equal to those above, as spans of the filtered row
// with its filter type (out's bytes from 1) at least minZeroSpan long.
//
// The row is taken filterChunk pixels at a time: a chunk equal to the one
// above (bytes.Equal, many bytes an instruction) is all zeros, and its
// alpha that of the row above, so opaque when prevOpaque says that row
// is; a chunk that differs is filtered two pixels at a time: the eight
// bytes of two pixels are subtracted bytewise in one word (the high bit of
// each byte set in the minuend and cleared in the subtrahend so that no
// byte borrows from the next, then restored), and their six colour bytes
// stored with one 8-byte store, whose last two bytes the next store
// overwrites (out has 8 bytes of slack).
func upFilter(out, cur, prev []byte, prevOpaque bool, zeros []span) (_ []span, opaque bool) {
	const high = 0x8080808080808080
	const alphas = 0xff000000ff000000
	all := uint64(alphas)
	width := len(cur) / 4
	x := 0
	run := -1 // the first pixel of the current run of pixels equal to those above
	for ; x+2 <= width; x += 2 {
		if x%filterChunk == 0 && prevOpaque && x+filterChunk <= width &&
			bytes.Equal(cur[4*x:4*(x+filterChunk)], prev[4*x:4*(x+filterChunk)]) {
			clear(out[3*x : 3*(x+filterChunk)])
			if run < 0 {
				run = x
			}
			x += filterChunk - 2
			continue
		}
		a := binary.LittleEndian.Uint64(cur[4*x:])
		b := binary.LittleEndian.Uint64(prev[4*x:])
		all &= a
		if a == b {
			binary.LittleEndian.PutUint64(out[3*x:], 0)
			if run < 0 {
				run = x
			}
			continue
		}
		if run >= 0 {
			zeros = appendZeroSpan(zeros, run, x)
			run = -1
		}
		d := ((a | high) - (b &^ high)) ^ ((a ^ ^b) & high)
		binary.LittleEndian.PutUint64(out[3*x:], d&0xffffff|(d>>8)&0xffffff000000)
	}
	if run >= 0 {
		zeros = appendZeroSpan(zeros, run, x)
	}
	opaque = all&alphas == alphas
	for ; x < width; x++ {
		i, j := 4*x, 3*x
		out[j] = cur[i] - prev[i]
		out[j+1] = cur[i+1] - prev[i+1]
		out[j+2] = cur[i+2] - prev[i+2]
		opaque = opaque && cur[i+3] == 0xff
	}
	return zeros, opaque
}

// filterChunk is the pixels upFilter compares with those above at once
// (an even number).
const filterChunk = 32

// minZeroSpan is the shortest run of zeros upFilter reports.
const minZeroSpan = 64

// appendZeroSpan appends the filtered bytes of pixels x0 to x1 (not
// included) as a span of the filtered row (after its filter type) when it
// is at least minZeroSpan long.
func appendZeroSpan(zeros []span, x0, x1 int) []span {
	if 3*(x1-x0) < minZeroSpan {
		return zeros
	}
	return append(zeros, span{1 + 3*x0, 1 + 3*x1})
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w io.Writer, kind string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], kind)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

const idatSize = 1 << 16 // the most bytes of an IDAT chunk
