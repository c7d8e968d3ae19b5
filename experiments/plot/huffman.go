package plot

import (
	"math/bits"
	"slices"
)

// writeBlock writes the tokens gathered as one deflate block with dynamic
// Huffman codes (RFC 1951 section 3.2.7), the stream's last when final,
// and starts the next block's counts.
func (d *rowDeflater) writeBlock(final bool) {
	d.litFreq[endOfBlock]++
	var litLen [numLitLen]uint8
	var dstLen [numDist]uint8
	huffmanLengths(d.litFreq[:], 15, litLen[:])
	huffmanLengths(d.dstFreq[:], 15, dstLen[:])
	var litCode [numLitLen]uint16
	var dstCode [numDist]uint16
	canonicalCodes(litLen[:], litCode[:])
	canonicalCodes(dstLen[:], dstCode[:])

	b := &d.bits
	b.write(uint64(boolBit(final))|2<<1, 3) // BFINAL, BTYPE 10: dynamic codes
	writeCodeLengths(b, litLen[:], dstLen[:])
	for _, t := range d.tokens {
		if t&matchFlag == 0 {
			b.write(uint64(litCode[t]), uint(litLen[t]))
			continue
		}
		l, dist := int(t>>16&0xff), int(t&0x7fff)
		lc := lengthCode(l)
		base, extra := lengthBase(lc)
		sym := endOfBlock + 1 + lc
		b.write(uint64(litCode[sym])|uint64(l-base)<<litLen[sym], uint(litLen[sym])+uint(extra))
		dc := distCode(dist)
		base, extra = distBase(dc)
		b.write(uint64(dstCode[dc])|uint64(dist-base)<<dstLen[dc], uint(dstLen[dc])+uint(extra))
	}
	b.write(uint64(litCode[endOfBlock]), uint(litLen[endOfBlock]))
	d.tokens = d.tokens[:0]
	d.litFreq, d.dstFreq = [numLitLen]uint32{}, [numDist]uint32{}
}

func boolBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// codeLengthOrder is the order in which the code lengths of the code
// length alphabet are written (RFC 1951 section 3.2.7).
var codeLengthOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// writeCodeLengths writes a dynamic block's header after its first three
// bits: the numbers of codes, then the code lengths of the literal/length
// and distance codes (trailing unused ones left out), run-length coded
// (symbols 16 to 18) with a Huffman code of their own.
func writeCodeLengths(b *bitWriter, litLen, dstLen []uint8) {
	nLit := max(257, lastUsed(litLen)+1)
	nDst := max(1, lastUsed(dstLen)+1)
	all := make([]uint8, 0, numLitLen+numDist)
	all = append(append(all, litLen[:nLit]...), dstLen[:nDst]...)
	syms := runLengths(all)
	var freq [19]uint32
	for _, s := range syms {
		freq[s&0x1f]++
	}
	var clLen [19]uint8
	var clCode [19]uint16
	huffmanLengths(freq[:], 7, clLen[:])
	canonicalCodes(clLen[:], clCode[:])
	nCL := 19
	for nCL > 4 && clLen[codeLengthOrder[nCL-1]] == 0 {
		nCL--
	}
	b.write(uint64(nLit-257)|uint64(nDst-1)<<5|uint64(nCL-4)<<10, 14)
	for _, s := range codeLengthOrder[:nCL] {
		b.write(uint64(clLen[s]), 3)
	}
	for _, s := range syms {
		sym, extra := s&0x1f, uint64(s>>5)
		b.write(uint64(clCode[sym]), uint(clLen[sym]))
		switch sym {
		case 16:
			b.write(extra, 2)
		case 17:
			b.write(extra, 3)
		case 18:
			b.write(extra, 7)
		}
	}
}

// lastUsed returns the index of the last nonzero length, -1 if none.
func lastUsed(lengths []uint8) int {
	for i := len(lengths) - 1; i >= 0; i-- {
		if lengths[i] != 0 {
			return i
		}
	}
	return -1
}

// runLengths codes a sequence of code lengths with the code length
// alphabet: 0 to 15 a length, 16 the previous length 3 to 6 times, 17
// zero 3 to 10 times, 18 zero 11 to 138 times. Each symbol is returned
// with its extra bits' value shifted left by 5.
func runLengths(lengths []uint8) []uint16 {
	var out []uint16
	for i := 0; i < len(lengths); {
		l := lengths[i]
		run := 1
		for i+run < len(lengths) && lengths[i+run] == l {
			run++
		}
		i += run
		if l == 0 {
			for ; run >= 11; run -= min(run, 138) {
				out = append(out, 18|uint16(min(run, 138)-11)<<5)
			}
			if run >= 3 {
				out = append(out, 17|uint16(run-3)<<5)
				run = 0
			}
		} else {
			out = append(out, uint16(l))
			run--
			for ; run >= 3; run -= min(run, 6) {
				out = append(out, 16|uint16(min(run, 6)-3)<<5)
			}
		}
		for ; run > 0; run-- {
			out = append(out, uint16(l))
		}
	}
	return out
}

// huffmanLengths sets lengths to the code lengths of a Huffman code for
// the symbols' frequencies, none longer than limit. A code of fewer than
// two used symbols gets the first unused ones besides, so that every code
// is complete (the Kraft sum exactly 1), as every inflater accepts.
//
// The lengths are those of an optimal (unlimited) code, by the two-queue
// construction over the symbols sorted by frequency; when some exceed
// limit, they are cut to limit and the Kraft sum made 1 again by moving
// codes one level down, from the deepest level below limit that has one
// (zlib's and miniz's repair), then dealt out again so that the more
// frequent symbols get the shorter codes.
func huffmanLengths(freq []uint32, limit int, lengths []uint8) {
	// Each used symbol as its frequency above its number, so that sorting
	// the keys sorts the symbols by frequency, then by number.
	var keyBuf [numLitLen]uint64
	keys := keyBuf[:0]
	for s, f := range freq {
		lengths[s] = 0
		if f > 0 {
			keys = append(keys, uint64(f)<<16|uint64(s))
		}
	}
	for s := 0; len(keys) < 2; s++ {
		if freq[s] == 0 {
			keys = append(keys, uint64(1)<<16|uint64(s))
		}
	}
	slices.Sort(keys)
	var depthBuf [2 * numLitLen]uint8
	depth := treeDepths(keys, depthBuf[:2*len(keys)-1])
	var count [2 * numLitLen]int
	for _, dp := range depth {
		count[min(int(dp), limit)]++
	}
	kraft := 0
	for l := 1; l <= limit; l++ {
		kraft += count[l] << (limit - l)
	}
	for ; kraft > 1<<limit; kraft-- {
		count[limit]--
		for l := limit - 1; l > 0; l-- {
			if count[l] > 0 {
				count[l]--
				count[l+1] += 2
				break
			}
		}
	}
	k := len(keys) - 1 // the most frequent first
	for l := 1; l <= limit; l++ {
		for range count[l] {
			lengths[keys[k]&0xffff] = uint8(l)
			k--
		}
	}
}

// treeDepths returns the depth of each leaf in a Huffman tree of the
// symbols' keys (frequency above symbol, sorted, at least two), by the
// two-queue construction: the leaves in order, then the internal nodes in
// the order made, which is also by weight. depth has room for every node
// (2 len(keys) − 1); the leaves' are its first len(keys).
func treeDepths(keys []uint64, depth []uint8) []uint8 {
	n := len(keys)
	var weightBuf [2 * numLitLen]uint64
	var parentBuf [2 * numLitLen]int16
	weight, parent := weightBuf[:2*n-1], parentBuf[:2*n-1]
	for i, k := range keys {
		weight[i] = k >> 16
	}
	leaf, inner := 0, n
	smallest := func(made int) int {
		if leaf < n && (inner >= made || weight[leaf] <= weight[inner]) {
			leaf++
			return leaf - 1
		}
		inner++
		return inner - 1
	}
	for k := n; k < 2*n-1; k++ {
		a := smallest(k)
		b := smallest(k)
		weight[k] = weight[a] + weight[b]
		parent[a], parent[b] = int16(k), int16(k)
	}
	depth[2*n-2] = 0
	for k := 2*n - 3; k >= 0; k-- {
		depth[k] = depth[parent[k]] + 1
	}
	return depth[:n]
}

// canonicalCodes sets codes to the canonical Huffman codes of the lengths
// (RFC 1951 section 3.2.2), bit-reversed, as deflate writes them.
func canonicalCodes(lengths []uint8, codes []uint16) {
	var count, next [16]uint16
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	code := uint16(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lengths {
		if l > 0 {
			codes[s] = bits.Reverse16(next[l]) >> (16 - l)
			next[l]++
		}
	}
}
