package plot

import (
	"github.com/golang/freetype/raster"
	"golang.org/x/image/math/fixed"
)

// rectangle is a path that is an axis-aligned rectangle inside the image:
// from left to right and top to bottom in 26.6 fixed point, in the
// image's pixels (y pointing down).
type rectangle struct{ left, right, top, bottom fixed.Int26_6 }

// rectangleOf returns the rectangle path p outlines (as buildPath makes
// it) when it is one, within an image of w × h pixels: a start and four
// straight segments through the four distinct corners in turn, back to
// the start, then possibly segments of no length. Any other path, one reaching outside the image (where the
// rasterizer's cells are clamped) and an empty rectangle are not.
func rectangleOf(p raster.Path, w, h int) (rectangle, bool) {
	const seg = 4 // the length of a start or a straight segment in a raster.Path
	// Segments of no length at the end (buildPath closes a closed path
	// again) leave the rasterizer's cells as they are.
	for len(p) > 5*seg && p[len(p)-seg] == 1 && p[len(p)-seg+1] == p[len(p)-2*seg+1] && p[len(p)-seg+2] == p[len(p)-2*seg+2] {
		p = p[:len(p)-seg]
	}
	if len(p) != 5*seg || p[0] != 0 {
		return rectangle{}, false
	}
	var xs, ys [5]fixed.Int26_6
	for k := range 5 {
		if k > 0 && p[k*seg] != 1 {
			return rectangle{}, false
		}
		xs[k], ys[k] = p[k*seg+1], p[k*seg+2]
	}
	if xs[4] != xs[0] || ys[4] != ys[0] {
		return rectangle{}, false
	}
	r := rectangle{left: min(xs[0], xs[2]), right: max(xs[0], xs[2]), top: min(ys[0], ys[2]), bottom: max(ys[0], ys[2])}
	if r.left == r.right || r.top == r.bottom || r.left < 0 || r.top < 0 ||
		r.right > fixed.Int26_6(64*w) || r.bottom > fixed.Int26_6(64*h) {
		return rectangle{}, false
	}
	// Corner 1 shares one coordinate with corner 0 and the other with
	// corner 2, which is opposite 0, and corner 3 is opposite 1.
	if xs[1] != xs[0] && xs[1] != xs[2] || ys[1] != ys[0] && ys[1] != ys[2] || (xs[1] == xs[0]) == (ys[1] == ys[0]) ||
		xs[3] != xs[0]+xs[2]-xs[1] || ys[3] != ys[0]+ys[2]-ys[1] {
		return rectangle{}, false
	}
	return r, true
}

// spans appends the spans freetype's rasterizer (nonzero winding, no
// offset, an image w pixels wide) hands its painter for the rectangle,
// in its order: row by row, in each the left edge's pixel, the pixels
// wholly inside and the right edge's pixel, with the same coverages.
//
// A vertical edge adds to the cell of each row it crosses a cover of the
// height c it spans in the row (in 64ths of a pixel) and an area of 2·f·c
// for its offset f in the pixel; the rasterizer turns a cell's
// accumulated cover C and area A into the 12-bit coverage |C·64·2 − A|/2
// (rounded, at most 0xfff), and the cells between two of the row's into
// |C|·64. The left edge's pixel is then covered c·(64 − f_left), those
// between c·64, and the right edge's c·f_right; one pixel holding both
// edges c·(f_right − f_left). Spans of no coverage are left out. No span
// passes the image's right side: rectangleOf takes only rectangles inside
// the image, and a right edge on it covers no pixel beyond (f_right = 0).
func (r rectangle) spans(out []raster.Span) []raster.Span {
	li, lf := int(r.left)/64, int(r.left)%64
	ri, rf := int(r.right)/64, int(r.right)%64
	add := func(y, x0, x1, cover int) {
		if cover != 0 && x0 < x1 {
			out = append(out, raster.Span{Y: y, X0: x0, X1: x1, Alpha: alpha16(cover)})
		}
	}
	for y := int(r.top) / 64; 64*y < int(r.bottom); y++ {
		c := min(int(r.bottom), 64*y+64) - max(int(r.top), 64*y)
		if li == ri {
			add(y, li, li+1, c*(rf-lf))
			continue
		}
		add(y, li, li+1, c*(64-lf))
		add(y, li+1, ri, c*64)
		add(y, ri, ri+1, c*rf)
	}
	return out
}

// alpha16 is the rasterizer's 16-bit coverage of a 12-bit one (clamped to
// 0xfff, as with the nonzero winding rule).
func alpha16(a int) uint32 {
	v := uint32(min(a, 0x0fff))
	return v<<4 | v>>8
}
