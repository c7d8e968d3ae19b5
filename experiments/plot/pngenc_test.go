package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
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
	small := image.NewRGBA(image.Rect(0, 0, 3, 30000)) // noise: 270 kB that do not compress, several IDAT chunks
	state := uint32(1)
	for i := range small.Pix {
		state ^= state << 13
		state ^= state >> 17
		state ^= state << 5
		small.Pix[i] = byte(state)
		if i%4 == 3 {
			small.Pix[i] = 0xff
		}
	}
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
