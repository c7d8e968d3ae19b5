package plot

import (
	"image"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// glyphCache keeps the glyphs a canvas has drawn, for the figures drawn
// after it: a figure's text is mostly the same few characters (digits,
// the axis labels, the legend), which opentype.Face.Glyph rasterizes
// afresh on every call.
//
// A glyph's coverage mask depends on the dot (the pen position, 26.6
// fixed point) only through its fraction of a pixel: Glyph places the
// mask at the whole pixels around the glyph's outline moved to the dot,
// and rasterizes the outline offset by the dot less that corner, which a
// whole-pixel move of the dot leaves as it is. So a glyph is kept by font,
// size, resolution, character and the dot's fractions, with its rectangle
// relative to the dot's whole pixel; the same mask is drawn, bit for bit.
type glyphCache struct {
	glyphs map[glyphKey]*cachedGlyph
	kerns  map[kernKey]fixed.Int26_6
}

type glyphKey struct {
	face   faceKey
	r      rune
	fx, fy fixed.Int26_6 // the dot's fractions of a pixel
}

type kernKey struct {
	face faceKey
	a, b rune
}

// faceKey is what a face's glyphs depend on: the font's outlines, its
// size and the resolution.
type faceKey struct {
	font *opentype.Font
	size vg.Length
	dpi  float64
}

// cachedGlyph is a glyph as opentype.Face.Glyph returns it, its rectangle
// relative to the dot's whole pixel and its mask a copy.
type cachedGlyph struct {
	dr      image.Rectangle
	mask    *image.Alpha
	advance fixed.Int26_6
	ok      bool
}

// faceGlyphs draws the glyphs of one font face through a glyphCache,
// making the face (an opentype.Face) only for what the cache lacks.
type faceGlyphs struct {
	cache *glyphCache
	key   faceKey
	f     font.Face
	face  xfont.Face
}

func (c *glyphCache) face(f font.Face, dpi float64) *faceGlyphs {
	if c.glyphs == nil {
		c.glyphs, c.kerns = map[glyphKey]*cachedGlyph{}, map[kernKey]fixed.Int26_6{}
	}
	return &faceGlyphs{cache: c, key: faceKey{f.Face, f.Font.Size, dpi}, f: f}
}

// fontFace returns the opentype face, made on first use.
func (g *faceGlyphs) fontFace() xfont.Face {
	if g.face == nil {
		g.face = g.f.FontFace(g.key.dpi)
	}
	return g.face
}

// close releases the face, if made.
func (g *faceGlyphs) close() {
	if g.face != nil {
		g.face.Close()
	}
}

// kern returns the face's Kern(a, b).
func (g *faceGlyphs) kern(a, b rune) fixed.Int26_6 {
	k := kernKey{g.key, a, b}
	v, ok := g.cache.kerns[k]
	if !ok {
		v = g.fontFace().Kern(a, b)
		g.cache.kerns[k] = v
	}
	return v
}

// glyph returns what the face's Glyph(dot, r) returns, the mask's origin
// (0, 0).
func (g *faceGlyphs) glyph(dot fixed.Point26_6, r rune) (dr image.Rectangle, mask *image.Alpha, advance fixed.Int26_6, ok bool) {
	whole := image.Point{X: int(dot.X >> 6), Y: int(dot.Y >> 6)}
	k := glyphKey{g.key, r, dot.X & 63, dot.Y & 63}
	cg := g.cache.glyphs[k]
	if cg == nil {
		cg = &cachedGlyph{}
		var m image.Image
		var mp image.Point
		cg.dr, m, mp, cg.advance, cg.ok = g.fontFace().Glyph(dot, r)
		cg.dr = cg.dr.Sub(whole)
		if cg.ok {
			cg.mask = alphaCopy(m, mp, cg.dr.Size())
		}
		g.cache.glyphs[k] = cg
	}
	return cg.dr.Add(whole), cg.mask, cg.advance, cg.ok
}

// alphaCopy returns the alpha values of m in the rectangle of the given
// size from mp, as a new image at (0, 0).
func alphaCopy(m image.Image, mp image.Point, size image.Point) *image.Alpha {
	out := image.NewAlpha(image.Rectangle{Max: size})
	a, isAlpha := m.(*image.Alpha)
	for y := range size.Y {
		row := out.Pix[y*out.Stride : y*out.Stride+size.X]
		if isAlpha {
			i := a.PixOffset(mp.X, mp.Y+y)
			copy(row, a.Pix[i:i+size.X])
			continue
		}
		for x := range row {
			_, _, _, v := m.At(mp.X+x, mp.Y+y).RGBA()
			row[x] = uint8(v >> 8)
		}
	}
	return out
}
