package plot

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// One scratch draws figures of every size of the fixture one after
// another, larger and smaller, each on the canvas the last left white:
// every image is the one drawn on a new white canvas, its PNG decodes to
// it, and the canvas is white again after the encoding, as far as the
// scratch counts it white.
func TestScratchKeepsCanvasWhite(t *testing.T) {
	if testing.Short() {
		t.Skip("draws figures at 300 dpi")
	}
	figs := Compute(fixtureInput(t)).Figures()
	bySize := map[[2]int]Figure{}
	var order []Figure
	for _, f := range figs {
		w, h := f.PixelSize()
		if _, ok := bySize[[2]int{w, h}]; !ok {
			bySize[[2]int{w, h}] = f
			order = append(order, f)
		}
	}
	if len(order) < 3 {
		t.Fatalf("the fixture's figures come in %d sizes", len(order))
	}
	order = append(order, order[0], order[len(order)-1], order[1])
	var s scratch
	for k, f := range order {
		want := f.raster(nil)
		img, white := s.draw(f, 0)
		if p, differ := firstDifference(img, want); differ {
			t.Fatalf("figure %d (%s): pixel %v is %v on the used canvas, %v on a new one", k, f.Name, p, img.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
		}
		if err := s.png.encodeWhitening(img); err != nil {
			t.Fatal(err)
		}
		s.white = white
		if white < len(img.Pix) {
			t.Fatalf("figure %d (%s): %d bytes counted white, the image has %d", k, f.Name, white, len(img.Pix))
		}
		if bytes.Count(s.pix[:white], []byte{0xff}) != white {
			t.Fatalf("figure %d (%s): the canvas is not white after encoding", k, f.Name)
		}
		back, err := png.Decode(bytes.NewReader(s.png.bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got := image.NewRGBA(back.Bounds())
		for y := range got.Rect.Dy() {
			for x := range got.Rect.Dx() {
				got.Set(x, y, back.At(x, y))
			}
		}
		if p, differ := firstDifference(got, want); differ {
			t.Fatalf("figure %d (%s): pixel %v decodes to %v, drawn %v", k, f.Name, p, got.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
		}
	}
}

// encodeWhitening refuses an image with a translucent pixel.
func TestEncodeWhiteningTranslucent(t *testing.T) {
	img := opaqueNoise(5, 4, 2)
	img.Pix[4*7+3] = 0x80
	var e rgbEncoder
	if err := e.encodeWhitening(img); err == nil {
		t.Error("no error for a translucent pixel")
	}
}

// An image with no rows leaves the encoder as it found it: the next
// image's first row is filtered against zeros, not against white.
func TestEncodeWhiteningNoRows(t *testing.T) {
	var e rgbEncoder
	if err := e.encodeWhitening(image.NewRGBA(image.Rect(0, 0, 4, 0))); err != nil {
		t.Fatal(err)
	}
	img := opaqueNoise(4, 2, 3)
	want := append([]byte(nil), img.Pix...)
	if err := e.encodeWhitening(img); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(e.bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for y := range 2 {
		for x := range 4 {
			r, g, b, _ := back.At(x, y).RGBA()
			i := 4 * (4*y + x)
			if got := [3]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8)}; got != [3]byte(want[i:i+3]) {
				t.Fatalf("pixel (%d,%d) decodes to %v, was %v", x, y, got, want[i:i+3])
			}
		}
	}
}

// encodeWhitening leaves every row white: white rows at the top (left as
// they are), rows of colour, white rows again, rows repeating a row of
// colour, and an image ending on colour.
func TestEncodeWhiteningRows(t *testing.T) {
	const w = 9
	rows := []string{"white", "white", "colour", "colour", "white", "white", "colour", "other", "other"}
	img := image.NewRGBA(image.Rect(0, 0, w, len(rows)))
	for y, kind := range rows {
		for x := range w {
			c := [4]byte{0xff, 0xff, 0xff, 0xff}
			switch kind {
			case "colour":
				c = [4]byte{byte(x), 0x40, 0x80, 0xff}
			case "other":
				c = [4]byte{0x10, byte(3 * x), 0x20, 0xff}
			}
			copy(img.Pix[y*img.Stride+4*x:], c[:])
		}
	}
	var e rgbEncoder
	for pass := range 2 { // the second on the image the first left white
		if err := e.encodeWhitening(img); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(img.Pix, []byte{0xff}) != len(img.Pix) {
			t.Fatalf("pass %d: the image is not white after encoding", pass)
		}
	}
}
