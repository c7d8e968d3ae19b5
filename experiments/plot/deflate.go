package plot

import (
	"encoding/binary"
	"math/bits"
)

// rowDeflater compresses the filtered rows of an image as a deflate stream
// (RFC 1951) of dynamic Huffman blocks, several times faster than
// compress/flate's fastest level and to files a few percent smaller.
//
// After the Up filter a figure is mostly runs of zero bytes (flat colour,
// and every pixel equal to the one above) with short stretches of other
// bytes (edges, text, the anti-aliased rims of lines). At each byte the
// matches tried are those at the distances that repeat in such rows, 1
// and 3 (a byte, a pixel: the runs, a filtered horizontal edge) and the
// row length (a filtered row like the one above), and at the last
// position whose 4 bytes had the same hash, as compress/flate's fastest
// level tries (a glyph or a marker drawn again along the row); a run of
// zeros ends the search at its first candidate. The longest match of at
// least minMatch bytes is taken, unless the next byte starts a longer one
// (one step of lazy matching, for matches shorter than lazyBelow), else a
// literal. A block is written every maxTokens tokens, with Huffman codes
// of its own built from its counts: small blocks follow the changes from
// margins to text to plot area.
//
// The rows are written into a window that holds the last maxDistance
// bytes before those not yet compressed, so that matches reach back across
// rows, and the rows are compressed a window at a time, so that a match can
// run on into the rows after.
type rowDeflater struct {
	win    []byte
	start  int // the first byte of win not compressed yet
	end    int // the end of the bytes written into win
	rowLen int
	dists  [3]int // the fixed distances tried, 0 for none
	tokens []uint32
	// table holds the last position (counted from the stream's start, less
	// base) of each hash of 4 bytes, at the literals and match starts.
	table [1 << hashBits]int32
	base  int // stream position of win[0]
	// zeros are stretches of zeros among the bytes not compressed yet, at
	// least maxMatch long, in order (see addRow); zk is the first that
	// compress has not passed.
	zeros   []span
	zk      int
	litFreq [numLitLen]uint32
	dstFreq [numDist]uint32
	bits    bitWriter
}

const (
	maxDistance = 1 << 15 // the farthest a deflate match reaches back
	minMatch    = 3
	maxMatch    = 258
	maxTokens   = 1 << 13
	numLitLen   = 286 // literals, end of block, 29 length codes
	numDist     = 30
	endOfBlock  = 256
	// matchFlag marks a match token: the length less 3 in bits 16 to 23,
	// the distance less 1 in bits 0 to 14. A literal token is its byte.
	matchFlag = 1 << 31
)

// reset starts a stream of rows of rowLen bytes, appended to out.
func (d *rowDeflater) reset(rowLen int, out []byte) {
	size := maxDistance + max(rowLen, 1<<16) + 8 // 8 bytes of slack for upFilter's stores
	if cap(d.win) < size {
		d.win = make([]byte, size)
	}
	d.win = d.win[:size]
	d.start, d.end, d.rowLen = 0, 0, rowLen
	d.clearTable()
	d.dists = [3]int{1, 3}
	if rowLen+3 <= maxDistance {
		d.dists[2] = rowLen
	}
	d.tokens, d.zeros, d.zk = d.tokens[:0], d.zeros[:0], 0
	d.litFreq, d.dstFreq = [numLitLen]uint32{}, [numDist]uint32{}
	d.bits = bitWriter{out: out}
}

// clearTable forgets every position of the hash table.
func (d *rowDeflater) clearTable() {
	d.base = 0
	for i := range d.table {
		d.table[i] = -maxDistance - 1 // out of reach of every position
	}
}

// nextRow returns where the next row goes (rowLen bytes, then 8 of
// slack); addRow then takes it.
func (d *rowDeflater) nextRow() []byte {
	if d.end+d.rowLen+8 > len(d.win) {
		d.compress()
		keep := min(d.end, maxDistance)
		copy(d.win, d.win[d.end-keep:d.end])
		d.base += d.end - keep
		if d.base > 1<<30 { // positions near int32's limit: forget them
			d.clearTable()
		}
		d.start, d.end = keep, keep
	}
	return d.win[d.end : d.end+d.rowLen+8]
}

// span is the bytes from start to end (not included).
type span struct{ start, end int }

// addRow adds the row written into nextRow's bytes, of which zeros (from
// the row's start, in order) are all zeros. A stretch of zeros at least
// maxMatch long is then compressed without reading its bytes.
func (d *rowDeflater) addRow(zeros []span) {
	for _, z := range zeros {
		if z.end-z.start >= maxMatch {
			d.zeros = append(d.zeros, span{d.end + z.start, d.end + z.end})
		}
	}
	d.end += d.rowLen
}

// inZeros reports whether the maxMatch bytes from win[i] and the byte
// before are zeros, by the stretches addRow was given; i must not
// decrease from one call to the next until compress ends.
func (d *rowDeflater) inZeros(i int) bool {
	for d.zk < len(d.zeros) && d.zeros[d.zk].end < i+maxMatch {
		d.zk++
	}
	return d.zk < len(d.zeros) && d.zeros[d.zk].start <= i && i > 0 && d.win[i-1] == 0
}

// finish compresses what is left, ends the stream and returns the bytes
// appended to reset's out.
func (d *rowDeflater) finish() []byte {
	d.compress()
	d.writeBlock(true)
	d.bits.flush()
	return d.bits.out
}

// compress turns the window's bytes from d.start to d.end, the end of
// those written, into tokens.
func (d *rowDeflater) compress() {
	win, end := d.win, d.end
	i := d.start
	best, bestDist := d.longest(i, end)
	for i < end {
		if best < minMatch {
			d.literal(win[i])
			i++
			best, bestDist = d.longest(i, end)
		} else if best < lazyBelow && i+1 < end {
			// One step of lazy matching: a longer match at the next byte
			// takes over, the byte here a literal.
			next, nextDist := d.longest(i+1, end)
			if next > best {
				d.literal(win[i])
				i++
				best, bestDist = next, nextDist
			} else {
				d.match(best, bestDist)
				i += best
				best, bestDist = d.longest(i, end)
			}
		} else {
			d.match(best, bestDist)
			i += best
			best, bestDist = d.longest(i, end)
		}
		if len(d.tokens) >= maxTokens {
			d.writeBlock(false)
		}
	}
	d.start = end
	d.zeros, d.zk = d.zeros[:0], 0
}

const lazyBelow = 32

// longest returns the longest match at win[i] among those at the fixed
// distances and the last position of the same hash, which it then sets
// to i; a length less than minMatch when there is none.
func (d *rowDeflater) longest(i, end int) (best, bestDist int) {
	if i >= end {
		return 0, 0
	}
	if d.inZeros(i) {
		return maxMatch, 1 // as below, without reading the zeros
	}
	win := d.win
	limit := min(maxMatch, end-i)
	for _, dist := range d.dists {
		if dist == 0 || dist > i || win[i] != win[i-dist] {
			continue
		}
		if n := matchLen(win, i, i-dist, limit); n > best {
			best, bestDist = n, dist
			if n == limit {
				return best, bestDist
			}
		}
	}
	if i+4 <= end {
		h := hash4(binary.LittleEndian.Uint32(win[i:]))
		cand := int(d.table[h]) - d.base
		d.table[h] = int32(i + d.base)
		if dist := i - cand; cand >= 0 && dist <= maxDistance && win[i] == win[cand] {
			if n := matchLen(win, i, cand, limit); n > best {
				best, bestDist = n, dist
			}
		}
	}
	return best, bestDist
}

const hashBits = 14

func hash4(u uint32) uint32 { return (u * 0x1e35a7bd) >> (32 - hashBits) }

// matchLen returns how many of the limit bytes from win[i] equal those
// from win[j], j < i, eight at a time.
func matchLen(win []byte, i, j, limit int) int {
	n := 0
	for ; n+8 <= limit; n += 8 {
		if x := binary.LittleEndian.Uint64(win[i+n:]) ^ binary.LittleEndian.Uint64(win[j+n:]); x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
	}
	for n < limit && win[i+n] == win[j+n] {
		n++
	}
	return n
}

func (d *rowDeflater) literal(c byte) {
	d.tokens = append(d.tokens, uint32(c))
	d.litFreq[c]++
}

func (d *rowDeflater) match(length, dist int) {
	d.tokens = append(d.tokens, matchFlag|uint32(length-minMatch)<<16|uint32(dist-1))
	d.litFreq[endOfBlock+1+lengthCode(length-minMatch)]++
	d.dstFreq[distCode(dist-1)]++
}

// lengthCode returns the index (0 to 28) of the length code of a match
// length less 3 (0 to 255): RFC 1951 section 3.2.5's codes 257 to 285.
func lengthCode(l int) int {
	switch {
	case l < 8:
		return l
	case l == maxMatch-minMatch:
		return 28
	}
	e := bits.Len(uint(l)) - 3 // extra bits
	return 4*e + 4 + (l>>e)&3
}

// lengthBase returns the least length less 3 of length code c and its
// number of extra bits.
func lengthBase(c int) (base, extra int) {
	switch {
	case c < 8:
		return c, 0
	case c == 28:
		return maxMatch - minMatch, 0
	}
	e := c/4 - 1
	return (4 + c&3) << e, e
}

// distCode returns the distance code (0 to 29) of a distance less 1 (0 to
// 32767).
func distCode(d int) int {
	if d < 4 {
		return d
	}
	e := bits.Len(uint(d)) - 2
	return 2*e + 2 + (d>>e)&1
}

// distBase returns the least distance less 1 of distance code c and its
// number of extra bits.
func distBase(c int) (base, extra int) {
	if c < 4 {
		return c, 0
	}
	e := c/2 - 1
	return (2 + c&1) << e, e
}

// bitWriter writes bits least significant first, as deflate packs them.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

// write writes the n low bits of v (n ≤ 32).
func (b *bitWriter) write(v uint64, n uint) {
	b.acc |= v << b.n
	b.n += n
	if b.n >= 32 {
		b.out = binary.LittleEndian.AppendUint32(b.out, uint32(b.acc))
		b.acc >>= 32
		b.n -= 32
	}
}

// flush writes the bits left, the last byte padded with zeros.
func (b *bitWriter) flush() {
	for b.n > 0 {
		b.out = append(b.out, byte(b.acc))
		b.acc >>= 8
		b.n -= min(b.n, 8)
	}
}
