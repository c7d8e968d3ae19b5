package plot

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// checkPNGRoundTrip decodes encodePNG's bytes with image/png and checks
// every pixel against the image encoded.
func checkPNGRoundTrip(t *testing.T, name string, img *image.RGBA) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encodePNG(&buf, img); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	back, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if back.Bounds() != img.Bounds() {
		t.Fatalf("%s: decoded %v, encoded %v", name, back.Bounds(), img.Bounds())
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got, want := color.RGBAModel.Convert(back.At(x, y)), img.RGBAAt(x, y); got != want {
				t.Fatalf("%s: pixel (%d, %d) decodes to %v, encoded %v", name, x, y, got, want)
			}
		}
	}
	return buf.Bytes()
}

// TestEncodePNG checks that the figures' PNG encoder writes files image/png
// reads back pixel for pixel, for three figures of the fixture,
// a small opaque image spanning several IDAT chunks, the same bytes on a
// rerun, and that a translucent image goes to image/png.
func TestEncodePNG(t *testing.T) {
	if testing.Short() {
		t.Skip("draws every figure at 300 dpi")
	}
	for _, f := range Compute(fixtureInput(t)).Figures()[:3] {
		img := f.raster(nil)
		first := checkPNGRoundTrip(t, f.Name, img)
		again := checkPNGRoundTrip(t, f.Name, img)
		if !bytes.Equal(first, again) {
			t.Errorf("%s: two encodings differ", f.Name)
		}
	}
	small := opaqueNoise(3, 30000, 1) // 270 kB that do not compress, several IDAT chunks
	if enc := checkPNGRoundTrip(t, "opaque", small); bytes.Count(enc, []byte("IDAT")) < 3 {
		t.Errorf("the noise image fits in %d IDAT chunks: the test does not cross chunks", bytes.Count(enc, []byte("IDAT")))
	}
	// Translucent in the first pixel, then in the last (the odd one of a
	// row): image/png's encoder, bytes and all.
	for _, at := range []int{3, len(small.Pix) - 1} {
		small.Pix[at] = 0x80
		var got, want bytes.Buffer
		if err := encodePNG(&got, small); err != nil {
			t.Fatal(err)
		}
		if err := pngEncoder.Encode(&want, small); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("an image translucent at byte %d is not handed to image/png", at)
		}
		small.Pix[at] = 0xff
	}
}

// zlibReference is the PNG of an opaque image as compress/zlib writes its
// stream (every row Up-filtered, as encodePNG filters them, and compressed
// at zlib.BestSpeed), the checksum hash/adler32's: what encodePNG's own
// zlib framing and checksum must give, byte for byte.
func zlibReference(t testing.TB, img *image.RGBA) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := img.Rect.Dx()
	buf.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(img.Rect.Dy()))
	ihdr[8], ihdr[9] = 8, 2
	if err := writeChunk(&buf, "IHDR", ihdr[:]); err != nil {
		t.Fatal(err)
	}
	chunks := &chunkWriter{w: &buf}
	zw, err := zlib.NewWriterLevel(chunks, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1+3*w+8)
	row[0] = 2
	prev := make([]byte, 4*w)
	for y := range img.Rect.Dy() {
		cur := img.Pix[y*img.Stride : y*img.Stride+4*w]
		upFilter(row[1:], cur, prev)
		if _, err := zw.Write(row[:1+3*w]); err != nil {
			t.Fatal(err)
		}
		prev = cur
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := chunks.flush(); err != nil {
		t.Fatal(err)
	}
	if err := writeChunk(&buf, "IEND", nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The PNG files are those of compress/zlib's stream, byte for byte (see
// zlibReference), for figures of the fixture, noise, and an image of
// long runs of equal rows (the rows skipped by the Up filter and summed in
// constant time) between rows that differ; one encoder reused for every
// image gives the same bytes as a new one.
func TestEncodePNGAsZlib(t *testing.T) {
	imgs := []*image.RGBA{}
	for _, f := range Compute(fixtureInput(t)).Figures()[:2] {
		imgs = append(imgs, f.raster(nil))
	}
	noise := opaqueNoise(37, 900, 7)
	runs := image.NewRGBA(image.Rect(0, 0, 501, 3000))
	for y := range 3000 {
		for x := range 501 {
			c := color.RGBA{255, 255, 255, 255}
			if (y/700)%2 == 1 && x > 100 && x < 300 {
				c = color.RGBA{byte(y / 700), 100, 200, 255}
			}
			if y == 1234 {
				c.R = byte(x)
			}
			runs.SetRGBA(x, y, c)
		}
	}
	imgs = append(imgs, noise, runs)
	var reused rgbEncoder
	for k, img := range imgs {
		want := zlibReference(t, img)
		var fresh bytes.Buffer
		if err := encodePNG(&fresh, img); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh.Bytes(), want) {
			t.Errorf("image %d: %d bytes, compress/zlib's %d, or they differ", k, fresh.Len(), len(want))
		}
		if err := reused.encode(img); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reused.bytes(), want) {
			t.Errorf("image %d: a reused encoder's bytes differ", k)
		}
	}
}

// adler32Sum gives hash/adler32's checksum for bytes added in pieces,
// zeros among them added as runs: random bytes, long zero runs (beyond
// the reduction block), and both mixed.
func TestAdler32Sum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	for trial := range 40 {
		var data []byte
		var a adler32Sum
		a.reset()
		for range 1 + rng.IntN(6) {
			n := rng.IntN(3 * adlerBlock)
			if rng.IntN(2) == 0 {
				a.addZeros(n)
				data = append(data, make([]byte, n)...)
				continue
			}
			p := make([]byte, n)
			for i := range p {
				if rng.IntN(3) == 0 { // zeros, some eight-byte words of them
					p[i] = byte(rng.UintN(256))
				}
			}
			a.add(p)
			data = append(data, p...)
		}
		if got, want := a.value(), adler32.Checksum(data); got != want {
			t.Errorf("trial %d (%d bytes): %08x, hash/adler32 %08x", trial, len(data), got, want)
		}
	}
}

// opaqueNoise returns a w×h image of xorshift noise (seeded by seed),
// fully opaque: pixels that do not compress.
func opaqueNoise(w, h int, seed uint32) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	state := seed
	for i := range img.Pix {
		state ^= state << 13
		state ^= state >> 17
		state ^= state << 5
		img.Pix[i] = byte(state)
		if i%4 == 3 {
			img.Pix[i] = 0xff
		}
	}
	return img
}
