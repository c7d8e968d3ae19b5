package plot

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"strings"
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

// upFiltered returns the rows of an image as a PNG of 8-bit RGB samples
// filtered with Up holds them before compression, byte by byte: each row
// its filter type 2, then each sample less the one above it (zero above
// the first row).
func upFiltered(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var out []byte
	for y := range h {
		out = append(out, 2)
		for x := range w {
			for k := range 3 {
				v := img.Pix[y*img.Stride+4*x+k]
				if y > 0 {
					v -= img.Pix[(y-1)*img.Stride+4*x+k]
				}
				out = append(out, v)
			}
		}
	}
	return out
}

// zlibReference is the PNG of an opaque image as compress/zlib writes its
// stream of the rows upFiltered returns at zlib.BestSpeed: how the figures
// were compressed before rowDeflater, for comparing sizes and times.
func zlibReference(t testing.TB, img *image.RGBA, rows []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(img.Rect.Dx()))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(img.Rect.Dy()))
	ihdr[8], ihdr[9] = 8, 2
	if err := writeChunk(&buf, "IHDR", ihdr[:]); err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	zw, err := zlib.NewWriterLevel(&stream, zlib.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for p := stream.Bytes(); len(p) > 0; p = p[min(len(p), idatSize):] {
		if err := writeChunk(&buf, "IDAT", p[:min(len(p), idatSize)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeChunk(&buf, "IEND", nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idatStream checks a PNG file's chunk structure (signature, every chunk's
// CRC, IHDR first, IEND last, the IDAT chunks together) and returns the
// IDAT chunks' data joined: the zlib stream.
func idatStream(t *testing.T, file []byte) []byte {
	t.Helper()
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(file, []byte(sig)) {
		t.Fatal("no PNG signature")
	}
	var kinds []string
	var stream []byte
	for p := file[len(sig):]; len(p) > 0; {
		if len(p) < 12 {
			t.Fatalf("a chunk of %d bytes", len(p))
		}
		n := int(binary.BigEndian.Uint32(p))
		if len(p) < 12+n {
			t.Fatalf("chunk %q of %d bytes, %d left", p[4:8], n, len(p)-12)
		}
		kind, data := string(p[4:8]), p[8:8+n]
		if got, want := binary.BigEndian.Uint32(p[8+n:]), crc32.ChecksumIEEE(p[4:8+n]); got != want {
			t.Errorf("chunk %d (%s): CRC %08x, want %08x", len(kinds), kind, got, want)
		}
		if kind == "IDAT" {
			if len(kinds) > 0 && kinds[len(kinds)-1] != "IHDR" && kinds[len(kinds)-1] != "IDAT" {
				t.Errorf("an IDAT chunk after %s", kinds[len(kinds)-1])
			}
			if n > idatSize {
				t.Errorf("an IDAT chunk of %d bytes", n)
			}
			stream = append(stream, data...)
		}
		kinds = append(kinds, kind)
		p = p[12+n:]
	}
	if len(kinds) < 3 || kinds[0] != "IHDR" || kinds[len(kinds)-1] != "IEND" {
		t.Errorf("chunks %v", kinds)
	}
	return stream
}

// encoderImages returns the images the stream tests encode: figures of the
// fixture, noise (wide enough that the row distance is not tried), and an
// image of long runs of equal rows (the rows skipped by the Up filter and
// summed in constant time) between rows that differ, long enough that the
// compressor's window slides many times.
func encoderImages(t *testing.T) map[string]*image.RGBA {
	imgs := map[string]*image.RGBA{}
	for _, f := range Compute(fixtureInput(t)).Figures()[:2] {
		imgs[f.Name] = f.raster(nil)
	}
	imgs["noise"] = opaqueNoise(37, 900, 7)
	imgs["wide noise"] = opaqueNoise(11000, 3, 8)
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
	imgs["runs"] = runs
	return imgs
}

// The PNG files' zlib streams inflate (compress/zlib, which checks the
// Adler-32 checksum) to the Up-filtered rows, byte for byte, in chunks
// whose CRCs hold; one encoder reused for every image gives the same bytes
// as a new one; and the figures' files are no more than 5% larger than
// those of compress/zlib at BestSpeed (how they were compressed before).
func TestEncodePNGInflates(t *testing.T) {
	var reused rgbEncoder
	for name, img := range encoderImages(t) {
		var fresh bytes.Buffer
		if err := encodePNG(&fresh, img); err != nil {
			t.Fatal(err)
		}
		r, err := zlib.NewReader(bytes.NewReader(idatStream(t, fresh.Bytes())))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows := upFiltered(img)
		if !bytes.Equal(got, rows) {
			t.Errorf("%s: the stream inflates to %d bytes, not the %d of the filtered rows", name, len(got), len(rows))
		}
		if err := reused.encode(img); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(reused.bytes(), fresh.Bytes()) {
			t.Errorf("%s: a reused encoder's bytes differ", name)
		}
		if strings.Contains(name, "noise") {
			continue
		}
		if ref := len(zlibReference(t, img, rows)); fresh.Len() > ref*105/100 {
			t.Errorf("%s: %d bytes, compress/zlib's %d", name, fresh.Len(), ref)
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
