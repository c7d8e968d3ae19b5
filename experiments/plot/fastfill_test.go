package plot

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"git.sr.ht/~sbinet/gg"
	"github.com/golang/freetype/raster"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ggCanvas returns a canvas of w × h pixels drawing through gg alone (the
// canvas the figures were drawn on before rasterCanvas), and its image.
func ggCanvas(w, h int) (*vgimg.Canvas, *image.RGBA) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(DPI)), img
}

// canvasPair returns a blank rasterCanvas of w × h pixels and a canvas
// drawing through gg alone with its image, to draw the same on both.
func canvasPair(w, h int) (*rasterCanvas, *vgimg.Canvas, *image.RGBA) {
	slow, want := ggCanvas(w, h)
	return newRasterCanvas(imageOf(bytes.Repeat([]byte{0xff}, 4*w*h), w, h), DPI, &glyphCache{}), slow, want
}

// dirty returns n bytes of noise: a used image buffer.
func dirty(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/13)
	}
	return b
}

// firstDifference returns the first pixel where a and b differ.
func firstDifference(a, b *image.RGBA) (image.Point, bool) {
	if bytes.Equal(a.Pix, b.Pix) {
		return image.Point{}, false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return image.Point{X: i % a.Stride / 4, Y: i / a.Stride}, true
		}
	}
	return image.Point{}, true
}

// TestRasterCanvasFillsAsGG draws every figure of the fixture (and the
// comparisons across backtest windows, with error bars) through rasterCanvas, into a used buffer, and
// through gg alone, and checks that every pixel is the same.
func TestRasterCanvasFillsAsGG(t *testing.T) {
	if testing.Short() {
		t.Skip("draws every figure at 300 dpi twice")
	}
	in := fixtureInput(t)
	bt := *in
	bt.Metrics = withBacktest(in.Metrics)
	figs := Compute(in).Figures()
	for _, c := range Compute(&bt).Comparisons { // error bars
		figs = append(figs, c.figure())
	}
	for _, f := range figs {
		w, h := f.PixelSize()
		got := f.raster(dirty(4 * w * h))
		c, want := ggCanvas(w, h)
		f.Draw(draw.New(c))
		if p, differ := firstDifference(got, want); differ {
			t.Errorf("%s: pixel %v is %v, gg draws %v", f.Name, p, got.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
		}
	}
}

// TestRasterCanvasShapes fills white on the blank canvas, then random
// rectangles (on pixel edges and off
// them, partly outside the image), triangles and two-part paths, in opaque
// and translucent colours, over each other, on both canvases, and checks
// that every pixel is the same.
func TestRasterCanvasShapes(t *testing.T) {
	const w, h = 120, 90
	rng := rand.New(rand.NewPCG(3, 5))
	fast, slow, want := canvasPair(w, h)
	dot := vg.Inch / DPI // one pixel
	coord := func(n int) vg.Length {
		v := vg.Length(rng.IntN(n+20) - 10)
		if rng.IntN(2) == 0 {
			v += vg.Length(rng.Float64())
		}
		return v * dot
	}
	for k := range 400 {
		clr := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 0xff}
		switch {
		case k == 0: // white on the blank canvas: skipped, as it changes no pixel
			clr = color.RGBA{0xff, 0xff, 0xff, 0xff}
		case k%5 == 0:
			a := uint8(rng.IntN(256))
			clr = color.RGBA{clr.R / 2 * a / 255, clr.G / 2 * a / 255, clr.B / 2 * a / 255, a}
		}
		x0, x1, y0, y1 := coord(w), coord(w), coord(h), coord(h)
		var p vg.Path
		switch k % 4 {
		case 0, 1: // a rectangle, closed or not
			p.Move(vg.Point{X: x0, Y: y0})
			p.Line(vg.Point{X: x0, Y: y1})
			p.Line(vg.Point{X: x1, Y: y1})
			p.Line(vg.Point{X: x1, Y: y0})
			if k%4 == 0 {
				p.Close()
			}
		case 2: // a triangle
			p.Move(vg.Point{X: x0, Y: y0})
			p.Line(vg.Point{X: x1, Y: y1})
			p.Line(vg.Point{X: coord(w), Y: coord(h)})
		case 3: // two rectangles in one path, the second begun by a line
			p.Move(vg.Point{X: x0, Y: y0})
			p.Line(vg.Point{X: x1, Y: y0})
			p.Line(vg.Point{X: x1, Y: y1})
			p.Close()
			p.Line(vg.Point{X: coord(w), Y: coord(h)})
			p.Move(vg.Point{X: coord(w), Y: coord(h)})
			p.Line(vg.Point{X: coord(w), Y: coord(h)})
			p.Line(vg.Point{X: coord(w), Y: coord(h)})
		}
		for _, c := range []vg.Canvas{fast, slow} {
			c.Push()
			c.SetColor(clr)
			c.Fill(p)
			c.Pop()
		}
	}
	if p, differ := firstDifference(fast.img, want); differ {
		t.Errorf("pixel %v is %v, gg draws %v", p, fast.img.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
	}
}

// TestRasterCanvasStrokes strokes random lines on both canvases, over
// each other, and checks that every pixel is the same: polylines of one
// to five points, some closed and continued after the close, some of two
// parts, some with points closer than gg keeps (within 4/64 of a pixel)
// or repeated, partly outside the image; in opaque and translucent
// colours; of widths from none to several pixels, set inside and outside
// Push and Pop (which restore gg's width but not vgimg's own); some
// dashed (drawn by gg, as are the arcs).
func TestRasterCanvasStrokes(t *testing.T) {
	const w, h = 120, 90
	rng := rand.New(rand.NewPCG(13, 17))
	fast, slow, want := canvasPair(w, h)
	dot := vg.Inch / DPI // one pixel
	pt := func() vg.Point {
		return vg.Point{X: vg.Length(rng.Float64()*(w+20)-10) * dot, Y: vg.Length(rng.Float64()*(h+20)-10) * dot}
	}
	both := func(f func(c vg.Canvas)) {
		f(fast)
		f(slow)
	}
	for k := range 600 {
		clr := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 0xff}
		if k%4 == 0 {
			a := uint8(rng.IntN(256))
			clr = color.RGBA{clr.R / 2 * a / 255, clr.G / 2 * a / 255, clr.B / 2 * a / 255, a}
		}
		var p vg.Path
		p.Move(pt())
		for range rng.IntN(5) {
			q := pt()
			switch rng.IntN(6) {
			case 0: // within gg's cut of the last point
				last := p[len(p)-1].Pos
				q = vg.Point{X: last.X + vg.Length(rng.IntN(3))*dot/64, Y: last.Y + vg.Length(rng.IntN(3))*dot/64}
			case 1:
				p.Close()
			case 2:
				p.Move(q)
				continue
			}
			p.Line(q)
		}
		if k%7 == 0 {
			p.Arc(pt(), 5*dot, 0, 2)
		}
		width := vg.Length(rng.Float64()*5) * dot
		if k%11 == 0 {
			width = 0
		}
		var dashes []vg.Length
		if k%9 == 0 {
			dashes = []vg.Length{3 * dot, 2 * dot}
		}
		inside := k%3 == 0 // the width set after Push, and lost by Pop
		cut := 1 + rng.IntN(len(p))
		both(func(c vg.Canvas) {
			if !inside {
				c.SetLineWidth(width)
			}
			c.Push()
			if inside {
				c.SetLineWidth(width)
			}
			c.SetLineDash(dashes, 0)
			c.SetColor(clr)
			c.Stroke(p)
			c.Pop()
			c.Stroke(p[:cut]) // in the style Pop leaves
		})
	}
	if p, differ := firstDifference(fast.img, want); differ {
		t.Errorf("pixel %v is %v, gg draws %v", p, fast.img.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
	}
}

// TestRasterCanvasStrokesOutOfRange strokes lines through points that
// cannot be represented in 26.6 fixed point (NaN, ±Inf, beyond ±2^25
// pixels), which gg strokes at coordinate 0 (its unfix of the smallest
// Int26_6), and checks that every pixel is gg's.
func TestRasterCanvasStrokesOutOfRange(t *testing.T) {
	dot := vg.Inch / DPI
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e9, -1e9} {
		fast, slow, want := canvasPair(60, 50)
		var p vg.Path
		p.Move(vg.Point{X: 10 * dot, Y: 10 * dot})
		p.Line(vg.Point{X: vg.Length(v) * dot, Y: 40 * dot})
		p.Line(vg.Point{X: 50 * dot, Y: 20 * dot})
		for _, c := range []vg.Canvas{fast, slow} {
			c.SetLineWidth(3 * dot)
			c.SetColor(color.RGBA{10, 20, 30, 255})
			c.Stroke(p)
		}
		if q, differ := firstDifference(fast.img, want); differ {
			t.Errorf("x = %v: pixel %v is %v, gg draws %v", v, q, fast.img.RGBAAt(q.X, q.Y), want.RGBAAt(q.X, q.Y))
		}
	}
}

// TestPainterBlendsAsFreetype paints random spans (of random coverage,
// some full, some partly or wholly outside the image) in random colours
// (opaque, translucent, transparent) over random pixels, half of them
// white (as most of a figure), with fastPainter and with freetype's
// RGBAPainter, and checks that every pixel is the same.
func TestPainterBlendsAsFreetype(t *testing.T) {
	const w, h = 37, 11
	rng := rand.New(rand.NewPCG(7, 11))
	noise := make([]byte, 4*w*h)
	fast := &fastPainter{img: imageOf(make([]byte, 4*w*h), w, h)}
	slow := raster.NewRGBAPainter(imageOf(make([]byte, 4*w*h), w, h))
	for k := range 3000 {
		if k%10 == 0 {
			for i := range noise {
				noise[i] = byte(rng.IntN(256))
				if i%8 < 4 {
					noise[i] = 0xff
				}
			}
			copy(fast.img.Pix, noise)
			copy(slow.Image.Pix, noise)
		}
		a := []uint8{0, 0xff, uint8(rng.IntN(256))}[k%3]
		clr := color.RGBA{uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), a}
		fast.SetColor(clr)
		slow.SetColor(clr)
		spans := make([]raster.Span, 1+rng.IntN(4))
		for j := range spans {
			x0 := rng.IntN(w+10) - 5
			spans[j] = raster.Span{Y: rng.IntN(h+4) - 2, X0: x0, X1: x0 + rng.IntN(w), Alpha: []uint32{0xffff, uint32(rng.IntN(0x10000))}[rng.IntN(2)]}
		}
		fast.Paint(spans, true)
		slow.Paint(spans, true)
		if p, differ := firstDifference(fast.img, slow.Image); differ {
			t.Fatalf("round %d: pixel %v is %v, freetype paints %v", k, p, fast.img.RGBAAt(p.X, p.Y), slow.Image.RGBAAt(p.X, p.Y))
		}
	}
}

// fillPixels fills runs of every length around shortFill, short and long,
// with the colour and nothing beyond them.
func TestFillPixels(t *testing.T) {
	rgba := [4]byte{1, 2, 3, 4}
	for n := 0; n <= 2*shortFill+12; n += 4 {
		buf := make([]byte, n+8)
		fillPixels(buf[:n], rgba)
		for i := range n {
			if buf[i] != rgba[i%4] {
				t.Fatalf("%d bytes: byte %d is %d", n, i, buf[i])
			}
		}
		if !bytes.Equal(buf[n:], make([]byte, 8)) {
			t.Fatalf("%d bytes: the bytes after the run are %v", n, buf[n:])
		}
	}
}

// BenchmarkFillPixels fills 40 rows of a 300-dpi canvas, each a run of
// a heat-map cell's width (232 bytes), a narrow bar's (60) and a wide
// fill's (4000).
func BenchmarkFillPixels(b *testing.B) {
	const stride = 9000
	buf := make([]byte, 40*stride)
	for _, n := range []int{60, 232, 4000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				for r := range 40 {
					fillPixels(buf[r*stride:r*stride+n], [4]byte{1, 2, 3, 0xff})
				}
			}
		})
	}
}
