package plot

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"testing"
)

// deflateRows compresses data, whole rows of rowLen bytes, with a
// rowDeflater told each row's runs of zeros, and returns the deflate
// stream.
func deflateRows(d *rowDeflater, data []byte, rowLen int) []byte {
	d.reset(rowLen, nil)
	for p := data; len(p) > 0; p = p[rowLen:] {
		row := d.nextRow()
		copy(row, p[:rowLen])
		d.addRow(zeroSpans(row[:rowLen]))
	}
	return d.finish()
}

// zeroSpans returns the runs of zeros of a row.
func zeroSpans(row []byte) []span {
	var out []span
	for i := 0; i < len(row); {
		if row[i] != 0 {
			i++
			continue
		}
		j := i
		for j < len(row) && row[j] == 0 {
			j++
		}
		out = append(out, span{i, j})
		i = j
	}
	return out
}

// checkInflates checks that compress/flate inflates rowDeflater's stream
// of data to data, and that the stream is the same whether or not the
// rows' runs of zeros are given.
func checkInflates(t *testing.T, name string, d *rowDeflater, data []byte, rowLen int) {
	t.Helper()
	data = append(data, make([]byte, (rowLen-len(data)%rowLen)%rowLen)...)
	stream := deflateRows(d, data, rowLen)
	d.reset(rowLen, nil) // the same rows, without their runs of zeros
	for p := data; len(p) > 0; p = p[rowLen:] {
		copy(d.nextRow(), p[:rowLen])
		d.addRow(nil)
	}
	if !bytes.Equal(d.finish(), stream) {
		t.Errorf("%s: the runs of zeros given change the stream", name)
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("%s: inflates to %d bytes, not the %d compressed", name, len(got), len(data))
	}
}

// rowDeflater's streams inflate to what it compressed, for data shaped
// like filtered figures (runs of zeros with short stretches of other
// bytes, rows like the row above or shifted by a pixel), noise, a single
// byte, nothing, rows longer than the farthest match and long enough
// streams that the window slides and many blocks are written; one
// deflater serves them all in turn.
func TestRowDeflaterInflates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var d rowDeflater
	checkInflates(t, "empty", &d, nil, 10)
	checkInflates(t, "one byte", &d, []byte{7}, 1)
	for trial := range 30 {
		rowLen := 1 + rng.IntN(3000)
		if trial%10 == 9 {
			rowLen = maxDistance + rng.IntN(5000) // no row distance
		}
		n := rng.IntN(400_000)
		data := make([]byte, n)
		for i := 0; i < n; {
			run := 1 + rng.IntN(600)
			switch k := rng.IntN(6); {
			case k == 0: // noise
				for j := i; j < min(n, i+run); j++ {
					data[j] = byte(rng.UintN(256))
				}
			case k == 1 && i >= rowLen: // as the row above, or a pixel off
				off := rowLen + []int{0, 3, -3}[rng.IntN(3)]
				for j := i; j < min(n, i+run); j++ {
					data[j] = data[j-off]
				}
			case k == 2: // a pixel repeated
				px := [3]byte{byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256))}
				for j := i; j < min(n, i+run); j++ {
					data[j] = px[(j-i)%3]
				}
			default: // zeros
				run *= 20
			}
			i += run
		}
		checkInflates(t, "shaped", &d, data, rowLen)
	}
}

// FuzzRowDeflater checks that any bytes, cut into rows of any length,
// inflate back from rowDeflater's stream.
func FuzzRowDeflater(f *testing.F) {
	f.Add([]byte{}, uint16(1))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcabcabcabcabc"), uint16(7))
	f.Add(append(make([]byte, 2000), 1, 2, 3, 4, 5, 1, 2, 3, 4, 5), uint16(300))
	var d rowDeflater
	f.Fuzz(func(t *testing.T, data []byte, rowLen uint16) {
		checkInflates(t, "fuzzed", &d, data, 1+int(rowLen))
	})
}

// The length and distance codes are those of RFC 1951 section 3.2.5's
// tables (written out here from the RFC): each code's least value and
// number of extra bits, and every length and distance mapped to the code
// whose range holds it.
func TestDeflateCodes(t *testing.T) {
	lengthBases := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra := []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBases := []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra := []int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	for c := range lengthBases {
		if base, extra := lengthBase(c); base+3 != lengthBases[c] || extra != lengthExtra[c] {
			t.Errorf("length code %d: base %d, %d extra bits; RFC 1951 %d, %d", 257+c, base+3, extra, lengthBases[c], lengthExtra[c])
		}
	}
	for l := 3; l <= 258; l++ {
		c := lengthCode(l - 3)
		hi := 258
		if c < 28 {
			hi = lengthBases[c+1] - 1
			if c == 27 {
				hi = 257
			}
		}
		if l < lengthBases[c] || l > hi {
			t.Errorf("length %d: code %d, whose lengths are %d to %d", l, 257+c, lengthBases[c], hi)
		}
	}
	for c := range distBases {
		if base, extra := distBase(c); base+1 != distBases[c] || extra != distExtra[c] {
			t.Errorf("distance code %d: base %d, %d extra bits; RFC 1951 %d, %d", c, base+1, extra, distBases[c], distExtra[c])
		}
	}
	for dist := 1; dist <= maxDistance; dist++ {
		c := distCode(dist - 1)
		hi := maxDistance
		if c < 29 {
			hi = distBases[c+1] - 1
		}
		if dist < distBases[c] || dist > hi {
			t.Fatalf("distance %d: code %d, whose distances are %d to %d", dist, c, distBases[c], hi)
		}
	}
}

// huffmanLengths gives complete codes (Kraft sum 1) no longer than the
// limit, with a code for every symbol used, of the optimal cost when the
// limit does not bind (against the cost of a Huffman code computed by
// repeatedly merging the two lightest weights: the sum of the merged
// weights), and when it binds (Fibonacci frequencies, whose optimal code is
// as deep as there are symbols) a cost above it; one or no symbol used
// gets two codes of one bit.
func TestHuffmanLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fib := make([]uint32, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	cases := [][]uint32{make([]uint32, 19), {0, 0, 5}, {4, 4}, fib}
	for range 100 {
		freq := make([]uint32, 2+rng.IntN(numLitLen-1))
		if rng.IntN(2) == 0 {
			freq = freq[:min(len(freq), 2+rng.IntN(18))] // the code length alphabet's size
		}
		for i := range freq {
			if rng.IntN(3) > 0 {
				freq[i] = rng.Uint32N(1 << uint(rng.IntN(20)))
			}
		}
		cases = append(cases, freq)
	}
	for k, freq := range cases {
		for _, limit := range []int{7, 15} {
			if len(freq) > 1<<limit {
				continue
			}
			lengths := make([]uint8, len(freq))
			huffmanLengths(freq, limit, lengths)
			kraft, used, cost := 0, 0, uint64(0)
			for s, l := range lengths {
				if int(l) > limit {
					t.Fatalf("case %d: symbol %d gets %d bits, limit %d", k, s, l, limit)
				}
				if l > 0 {
					kraft += 1 << (limit - int(l))
					used++
				} else if freq[s] > 0 {
					t.Fatalf("case %d: symbol %d used %d times has no code", k, s, freq[s])
				}
				cost += uint64(freq[s]) * uint64(l)
			}
			if kraft != 1<<limit || used < 2 {
				t.Errorf("case %d, limit %d: %d codes, Kraft sum %d/%d", k, limit, used, kraft, 1<<limit)
			}
			best, depth := huffmanCost(freq)
			if binds := depth > limit; cost < best || (cost > best) != binds {
				t.Errorf("case %d, limit %d (optimal depth %d): cost %d, the optimum %d", k, limit, depth, cost, best)
			}
		}
	}
}

// huffmanCost returns the cost (Σ frequency × code length) of an optimal
// prefix code for the used symbols, the sum of the weights merged when the
// two lightest are merged until one is left, and the depth of its tree
// (of the shallowest such tree when weights tie: a leaf taken before a
// merged weight of the same); a single symbol gets one bit.
func huffmanCost(freq []uint32) (cost uint64, depth int) {
	type node struct {
		w     uint64
		depth int
	}
	var w []node
	for _, f := range freq {
		if f > 0 {
			w = append(w, node{w: uint64(f)})
		}
	}
	for len(w) > 1 {
		for i := range 2 { // the lightest two to the front
			m := i
			for j := i; j < len(w); j++ {
				if w[j].w < w[m].w || (w[j].w == w[m].w && w[j].depth < w[m].depth) {
					m = j
				}
			}
			w[i], w[m] = w[m], w[i]
		}
		merged := node{w[0].w + w[1].w, max(w[0].depth, w[1].depth) + 1}
		cost += merged.w
		w = append(w[2:], merged)
	}
	if len(w) == 1 && w[0].depth == 0 { // one symbol: a code of one bit
		return w[0].w, 1
	}
	if len(w) == 1 {
		depth = w[0].depth
	}
	return cost, depth
}
