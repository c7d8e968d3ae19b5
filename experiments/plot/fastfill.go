package plot

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"

	"git.sr.ht/~sbinet/gg"
	"github.com/golang/freetype/raster"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// rasterCanvas is the image canvas the PNG figures are drawn on: a
// vgimg.Canvas whose fills of straight-edged shapes (backgrounds, bars,
// heat-map cells, legend swatches: every fill but the circular markers)
// skip gg's painter for the pixels they cover wholly.
//
// gg fills a path through freetype's rasterizer, which hands its painter
// spans of pixels with their coverage, and its RGBA painter blends every
// pixel of a span with the colour, even where the coverage is full: most
// of the time of drawing a figure at 300 dpi, whose large rectangles cover
// millions of pixels. Blending an opaque colour (alpha 0xffff) at full
// coverage (0xffff) gives the colour itself, whatever lies beneath (the
// painter's a = (m − ca·ma/m)·0x101 is 0, and (c·m/m)>>8 is the colour's
// 8-bit value), so those spans are filled by copying the colour's four
// bytes; spans of partial coverage are blended as gg's painter does. The
// path reaches the rasterizer as gg builds it (every point through the
// context's matrix, rounded to 26.6 fixed point, open subpaths closed),
// so the pixels are gg's, bit for bit (see TestRasterCanvasFillsAsGG).
type rasterCanvas struct {
	*vgimg.Canvas
	ctx     *gg.Context
	img     *image.RGBA
	r       *raster.Rasterizer
	painter fastPainter
	path    raster.Path
	spans   []raster.Span // a rectangle's (see rectangle.spans)
	// colors is the current colour and those saved by Push, as
	// vgimg.Canvas keeps them; lines the context's line width (in dots)
	// and whether it dashes lines, and those saved by Push, as gg keeps
	// them; width the line width vgimg.Canvas keeps (Pop leaves it), below
	// which it strokes nothing.
	colors []color.Color
	lines  []lineStyle
	width  vg.Length
	// glyphs keeps the glyphs drawn, from canvas to canvas.
	glyphs *glyphCache
	// blank is true until something is drawn on the white background: a
	// fill in opaque white then leaves every pixel as it is (white over
	// white is white at any coverage) and is skipped.
	blank bool
}

// newRasterCanvas returns a canvas drawing into img, which is white, at
// dpi dots per inch, set up as vgimg.NewWith sets up its own context (butt
// line caps, the y axis pointing up), keeping its glyphs in glyphs.
func newRasterCanvas(img *image.RGBA, dpi int, glyphs *glyphCache) *rasterCanvas {
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(glyphInterpolator{}) // gg's BiLinear, faster at rotated text
	w, h := img.Rect.Dx(), img.Rect.Dy()
	rc := &rasterCanvas{ctx: ctx, img: img, r: raster.NewRasterizer(w, h), colors: []color.Color{color.Black}, glyphs: glyphs, blank: true}
	rc.painter.img = img
	// NewWith paints the background and then sets the colour to black
	// through the Canvas interface, before rc wraps it: rc starts black.
	rc.Canvas = vgimg.NewWith(vgimg.UseImageWithContext(whiteStandIn(w, h), ctx), vgimg.UseDPI(dpi))
	// NewWith initialized the canvas before rc wrapped it: again, through
	// rc, so that rc knows the line style (the same settings).
	rc.lines = []lineStyle{{}}
	vg.Initialize(rc)
	return rc
}

// lineStyle is what gg strokes a line with, as rasterCanvas keeps it.
type lineStyle struct {
	width  float64 // in dots
	dashed bool
}

// whiteStandIn returns the image vgimg.NewWith is given for a canvas of
// w × h pixels already white: an image of that size, from which the canvas
// takes its size, but a single row of pixels (the stride zero), so that
// painting the background white, NewWith's first act, paints that one row
// and copies it onto itself for the others, which copy skips. The canvas
// uses its image for nothing else: it draws through the context, made for
// the image drawn on.
func whiteStandIn(w, h int) *image.RGBA {
	return &image.RGBA{Pix: make([]byte, 4*w), Stride: 0, Rect: image.Rect(0, 0, w, h)}
}

// SetColor implements vg.Canvas.
func (c *rasterCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	c.colors[len(c.colors)-1] = clr
	c.Canvas.SetColor(clr)
}

// SetLineWidth implements vg.Canvas.
func (c *rasterCanvas) SetLineWidth(w vg.Length) {
	c.width = w
	c.lines[len(c.lines)-1].width = w.Dots(c.DPI())
	c.Canvas.SetLineWidth(w)
}

// SetLineDash implements vg.Canvas.
func (c *rasterCanvas) SetLineDash(ds []vg.Length, offs vg.Length) {
	c.lines[len(c.lines)-1].dashed = len(ds) > 0
	c.Canvas.SetLineDash(ds, offs)
}

// Push implements vg.Canvas.
func (c *rasterCanvas) Push() {
	c.colors = append(c.colors, c.colors[len(c.colors)-1])
	c.lines = append(c.lines, c.lines[len(c.lines)-1])
	c.Canvas.Push()
}

// Pop implements vg.Canvas.
func (c *rasterCanvas) Pop() {
	c.colors = c.colors[:len(c.colors)-1]
	c.lines = c.lines[:len(c.lines)-1]
	c.Canvas.Pop()
}

// Fill implements vg.Canvas: a path of straight lines is rasterized here
// (see rasterCanvas), an axis-aligned rectangle's spans computed directly
// (see rectangle.spans: heat-map cells and bars, thousands a figure), one
// with arcs or curves by vgimg.
func (c *rasterCanvas) Fill(p vg.Path) {
	clr := c.colors[len(c.colors)-1]
	if r, g, b, a := clr.RGBA(); c.blank && r&g&b&a == 0xffff {
		return
	}
	c.blank = false
	if !straight(p) {
		c.Canvas.Fill(p)
		return
	}
	c.buildPath(p)
	c.painter.SetColor(clr)
	if r, ok := rectangleOf(c.path, c.img.Rect.Dx(), c.img.Rect.Dy()); ok {
		// The rasterizer's spans, without its cells.
		c.spans = r.spans(c.spans[:0])
		c.painter.Paint(c.spans, true)
		return
	}
	c.r.UseNonZeroWinding = true // gg's default fill rule, which vgimg keeps
	c.r.Clear()
	c.r.AddPath(c.path)
	c.r.Rasterize(&c.painter)
}

// Stroke implements vg.Canvas: a solid line of straight segments is
// stroked here as gg strokes it, through the same rasterizer calls (see
// strokePath) but painted by fastPainter; a dashed one, or one with arcs
// or curves, by vgimg.
func (c *rasterCanvas) Stroke(p vg.Path) {
	c.blank = false
	line := c.lines[len(c.lines)-1]
	if c.width <= 0 || line.dashed || !straight(p) {
		c.Canvas.Stroke(p)
		return
	}
	c.strokePath(p)
	c.painter.SetColor(c.colors[len(c.colors)-1])
	c.r.UseNonZeroWinding = true
	c.r.Clear()
	// gg's width in 26.6 fixed point, its butt caps (newRasterCanvas) and
	// its default joins.
	c.r.AddStroke(c.path, fixed.Int26_6(math.Round(line.width*64)), raster.ButtCapper, raster.RoundJoiner)
	c.r.Rasterize(&c.painter)
}

// straight reports whether p has no arcs or curves.
func straight(p vg.Path) bool {
	for _, comp := range p {
		if comp.Type == vg.ArcComp || comp.Type == vg.CurveComp {
			return false
		}
	}
	return true
}

// DrawImage implements vg.Canvas.
func (c *rasterCanvas) DrawImage(r vg.Rectangle, img image.Image) {
	c.blank = false
	c.Canvas.DrawImage(r, img)
}

// buildPath sets c.path to the path gg's MoveTo, LineTo, ClosePath and
// Fill build from p: points in dots through the context's matrix, each
// subpath closed back to its start when the next begins and at the end.
func (c *rasterCanvas) buildPath(p vg.Path) {
	dpi := c.DPI()
	c.path.Clear()
	var start fixed.Point26_6
	open := false
	for _, comp := range p {
		switch comp.Type {
		case vg.CloseComp:
			if open {
				c.path.Add1(start)
			}
			continue
		case vg.MoveComp, vg.LineComp:
		default:
			panic("plot: rasterCanvas.buildPath given a curve")
		}
		pt := c.fixedPoint(comp.Pos, dpi)
		if comp.Type == vg.MoveComp || !open {
			if open {
				c.path.Add1(start)
			}
			c.path.Start(pt)
			start, open = pt, true
			continue
		}
		c.path.Add1(pt)
	}
	if open {
		c.path.Add1(start)
	}
}

// strokePath sets c.path to the path gg strokes for p (straight
// segments): the path its MoveTo, LineTo and ClosePath build (points as
// buildPath makes them; a subpath begun by a move, or by a line with no
// current point; a close adds the subpath's start and leaves it open),
// from which gg's stroke drops every point within 4/64 of a pixel (the
// sum of the distances along x and y) of the last point kept of its
// subpath.
func (c *rasterCanvas) strokePath(p vg.Path) {
	dpi := c.DPI()
	c.path.Clear()
	var start, last fixed.Point26_6
	open := false
	add := func(pt fixed.Point26_6) {
		if d := abs26(pt.X-last.X) + abs26(pt.Y-last.Y); d > 4 {
			c.path.Add1(pt)
			last = pt
		}
	}
	for _, comp := range p {
		if comp.Type == vg.CloseComp {
			if open {
				add(start)
			}
			continue
		}
		pt := c.fixedPoint(comp.Pos, dpi)
		pt.X, pt.Y = throughUnfix(pt.X), throughUnfix(pt.Y)
		if comp.Type == vg.MoveComp || !open {
			c.path.Start(pt)
			start, last, open = pt, pt, true
			continue
		}
		add(pt)
	}
}

// fixedPoint is p on the canvas in 26.6 fixed point, through the
// context's matrix and rounded as gg rounds (math.Round(v*64)).
func (c *rasterCanvas) fixedPoint(p vg.Point, dpi float64) fixed.Point26_6 {
	x, y := c.ctx.TransformPoint(p.X.Dots(dpi), p.Y.Dots(dpi))
	return fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}
}

// throughUnfix is v after gg's stroke turns it into a float and back
// (unfix, then fix, in flattening the path): the same value, except the
// smallest Int26_6, which unfix returns as 0 (its negation overflows).
// Every coordinate out of range (NaN, ±Inf, beyond ±2^25 pixels) becomes
// that value on amd64, so gg strokes such a point at 0.
func throughUnfix(v fixed.Int26_6) fixed.Int26_6 {
	if v == math.MinInt32 {
		return 0
	}
	return v
}

func abs26(v fixed.Int26_6) fixed.Int26_6 {
	if v < 0 {
		return -v
	}
	return v
}

// fastPainter is freetype's RGBA painter (Over) that fills the spans of
// full coverage of an opaque colour by copying the colour (see
// rasterCanvas) and blends the others itself, with RGBAPainter's integer
// arithmetic (the colour's share of the span computed once a span rather
// than once a pixel, and the pixels read without a call or an interface
// per span: the heat maps' cells and bars have thousands of spans of one
// pixel, their edges).
type fastPainter struct {
	img    *image.RGBA
	opaque bool
	rgba   [4]byte
	// clr is the colour, premultiplied, 16 bits a channel.
	clr [4]uint32
}

// SetColor sets the colour of the spans.
func (p *fastPainter) SetColor(c color.Color) {
	r, g, b, a := c.RGBA()
	p.clr = [4]uint32{r, g, b, a}
	p.opaque = a == 0xffff
	p.rgba = [4]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8), byte(a >> 8)}
}

// Paint implements raster.Painter, clipping the spans to the image as
// RGBAPainter.Paint does.
func (p *fastPainter) Paint(ss []raster.Span, done bool) {
	img := p.img
	b := img.Bounds()
	for _, s := range ss {
		if s.Y < b.Min.Y {
			continue
		}
		if s.Y >= b.Max.Y {
			return
		}
		x0, x1 := max(s.X0, b.Min.X), min(s.X1, b.Max.X)
		if x0 >= x1 {
			continue
		}
		i0 := (s.Y-img.Rect.Min.Y)*img.Stride + (x0-img.Rect.Min.X)*4
		pix := img.Pix[i0 : i0+(x1-x0)*4]
		if p.opaque && s.Alpha == 0xffff {
			fillPixels(pix, p.rgba)
		} else {
			blendOver(pix, p.clr, s.Alpha)
		}
	}
}

// blendOver composites a colour (premultiplied, 16 bits a channel) at
// coverage ma (16 bits) over every pixel of pix, as freetype's
// RGBAPainter does (Over, after image/draw's drawGlyphOver): dst =
// (dst·a + c·ma)/m >> 8 with a = (m − c_a·ma/m)·0x101, m = 0xffff, in
// uint32.
func blendOver(pix []byte, clr [4]uint32, ma uint32) {
	const m = 1<<16 - 1
	a := (m - clr[3]*ma/m) * 0x101
	c := [4]uint32{clr[0] * ma, clr[1] * ma, clr[2] * ma, clr[3] * ma}
	// Over white (every byte 0xff), where most lines' rims fall, the
	// result is the same for every pixel.
	var overWhite [4]byte
	for k := range overWhite {
		overWhite[k] = uint8((0xff*a + c[k]) / m >> 8)
	}
	white := binary.LittleEndian.Uint32(overWhite[:])
	for i := 0; i+4 <= len(pix); i += 4 {
		px := pix[i : i+4 : i+4]
		if binary.LittleEndian.Uint32(px) == 0xffffffff {
			binary.LittleEndian.PutUint32(px, white)
			continue
		}
		px[0] = uint8((uint32(px[0])*a + c[0]) / m >> 8)
		px[1] = uint8((uint32(px[1])*a + c[1]) / m >> 8)
		px[2] = uint8((uint32(px[2])*a + c[2]) / m >> 8)
		px[3] = uint8((uint32(px[3])*a + c[3]) / m >> 8)
	}
}

// fillPixels sets every 4-byte pixel of pix to rgba: a short run (a row
// of a heat-map cell or a bar, a few hundred bytes) two pixels a store, a
// long one by doubling the copied part (copy moves many bytes an
// instruction, but a call of it costs as much as several stores).
func fillPixels(pix []byte, rgba [4]byte) {
	if len(pix) < shortFill {
		two := uint64(binary.LittleEndian.Uint32(rgba[:])) * (1<<32 + 1)
		i := 0
		for ; i+8 <= len(pix); i += 8 {
			binary.LittleEndian.PutUint64(pix[i:i+8], two)
		}
		copy(pix[i:], rgba[:])
		return
	}
	copy(pix, rgba[:])
	for n := 4; n < len(pix); n *= 2 {
		copy(pix[n:], pix[:n])
	}
}

// shortFill is the bytes below which fillPixels stores words rather than
// copying (faster below it at the widths of the heat maps' cells, slower
// above).
const shortFill = 256

// FillString implements vg.Canvas as vgimg.Canvas.FillString does, with
// gg's drawing of the glyphs done here when the text is upright (the
// context's matrix the identity, as it is for all text but the rotated
// axis labels): gg composites each glyph's coverage mask through
// x/image/draw's bilinear Transform, by way of interface calls per
// pixel; at a translation by whole pixels (gg's glyph rectangles are
// whole pixels) every destination pixel samples exactly one mask pixel
// with weight 1, and overGlyph applies the same integer arithmetic
// directly (see TestRasterCanvasFillsAsGG). The upright glyphs come from
// the canvas's glyph cache.
func (c *rasterCanvas) FillString(f font.Face, pt vg.Point, str string) {
	if f.Font.Size == 0 {
		return
	}
	c.blank = false
	c.ctx.Push()
	defer c.ctx.Pop()
	glyphs := c.glyphs.face(f, c.DPI())
	defer glyphs.close()
	_, h := c.Size()
	x, y := pt.X.Dots(c.DPI()), h.Dots(c.DPI())-pt.Y.Dots(c.DPI())
	c.ctx.InvertY()
	if !c.identity() {
		c.ctx.SetFontFace(glyphs.fontFace())
		c.ctx.DrawString(str, x, y)
		return
	}
	r, g, b, a := c.colors[len(c.colors)-1].RGBA()
	dot := fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}
	prev := rune(-1)
	for _, ch := range str {
		if prev >= 0 {
			dot.X += glyphs.kern(prev, ch)
		}
		dr, mask, advance, ok := glyphs.glyph(dot, ch)
		if !ok {
			continue
		}
		overGlyph(c.img, dr, mask, [4]uint32{r, g, b, a})
		dot.X += advance
		prev = ch
	}
}

// identity reports whether the context's matrix is the identity.
func (c *rasterCanvas) identity() bool {
	x0, y0 := c.ctx.TransformPoint(0, 0)
	x1, y1 := c.ctx.TransformPoint(1, 0)
	x2, y2 := c.ctx.TransformPoint(0, 1)
	return x0 == 0 && y0 == 0 && x1 == 1 && y1 == 0 && x2 == 0 && y2 == 1
}

// overGlyph composites a colour (premultiplied, 16 bits a channel)
// through a glyph's coverage mask (its origin at dr.Min) onto img at dr, as x/image/draw's
// Kernel.Transform (Over, with a source mask) does at a whole-pixel
// translation: p = colour · m / 0xffff for the mask's alpha m, and
// dst = dst · (0xffff − p_a) / 0xffff + p, in 16 bits, stored in 8.
func overGlyph(img *image.RGBA, dr image.Rectangle, mask *image.Alpha, clr [4]uint32) {
	adr := img.Rect.Intersect(dr)
	for y := adr.Min.Y; y < adr.Max.Y; y++ {
		my := y - dr.Min.Y
		for x := adr.Min.X; x < adr.Max.X; x++ {
			ma := uint32(mask.AlphaAt(x-dr.Min.X, my).A) * 0x101
			if ma == 0 {
				continue // p = 0 leaves the pixel as it is
			}
			pa1 := 0xffff - clr[3]*ma/0xffff
			i := img.PixOffset(x, y)
			px := img.Pix[i : i+4 : i+4]
			for k := range px {
				q := uint32(px[k]) * 0x101
				px[k] = uint8((q*pa1/0xffff + clr[k]*ma/0xffff) >> 8)
			}
		}
	}
}
