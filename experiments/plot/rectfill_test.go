package plot

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/golang/freetype/raster"
	"golang.org/x/image/math/fixed"
)

// spanRecorder keeps the spans a rasterizer paints.
type spanRecorder struct{ spans []raster.Span }

func (r *spanRecorder) Paint(ss []raster.Span, done bool) { r.spans = append(r.spans, ss...) }

// TestRectangleSpansAsRasterizer outlines random rectangles (corners on
// and off pixel edges, on the image's edges, one pixel or less wide or
// high), from each corner in both directions, and checks that their spans
// are those freetype's rasterizer paints, in the same order.
func TestRectangleSpansAsRasterizer(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for _, size := range [][2]int{{40, 30}, {1, 1}, {1, 5}, {3, 1}, {2, 2}, {300, 7}} {
		rectanglesAsRasterizer(t, rng, size[0], size[1])
	}
}

// rectanglesAsRasterizer checks 5,000 random rectangles on a w×h image
// (see TestRectangleSpansAsRasterizer).
func rectanglesAsRasterizer(t *testing.T, rng *rand.Rand, w, h int) {
	t.Helper()
	r := raster.NewRasterizer(w, h)
	r.UseNonZeroWinding = true
	coord := func(n int) fixed.Int26_6 {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return fixed.Int26_6(64 * n)
		case 2:
			return fixed.Int26_6(64 * rng.IntN(n+1)) // on a pixel edge
		}
		return fixed.Int26_6(rng.IntN(64*n + 1))
	}
	for trial := range 5000 {
		x0, x1, y0, y1 := coord(w), coord(w), coord(h), coord(h)
		if trial%5 == 0 { // narrow
			x1 = min(x0+fixed.Int26_6(rng.IntN(70)), fixed.Int26_6(64*w))
		}
		if x0 == x1 || y0 == y1 {
			continue
		}
		corners := []fixed.Point26_6{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		if rng.IntN(2) == 0 {
			slices.Reverse(corners)
		}
		k := rng.IntN(4)
		corners = append(corners[k:], corners[:k]...)
		var p raster.Path
		p.Start(corners[0])
		for _, c := range corners[1:] {
			p.Add1(c)
		}
		for range rng.IntN(3) { // closed again, as buildPath closes a closed path
			p.Add1(corners[0])
		}
		p.Add1(corners[0])
		rect, ok := rectangleOf(p, w, h)
		if !ok {
			t.Fatalf("%dx%d image, %v: not taken for a rectangle", w, h, corners)
		}
		var rec spanRecorder
		r.Clear()
		r.AddPath(p)
		r.Rasterize(&rec)
		if got := rect.spans(nil); !slices.Equal(got, rec.spans) {
			t.Fatalf("%dx%d image, %v: spans\n%v\nthe rasterizer's\n%v", w, h, corners, got, rec.spans)
		}
	}
}

// TestRectangleOfRejects checks that paths other than a rectangle inside
// the image are left to the rasterizer.
func TestRectangleOfRejects(t *testing.T) {
	const w, h = 40, 30
	path := func(pts ...fixed.Point26_6) raster.Path {
		var p raster.Path
		p.Start(pts[0])
		for _, q := range pts[1:] {
			p.Add1(q)
		}
		return p
	}
	pt := func(x, y int) fixed.Point26_6 { return fixed.Point26_6{X: fixed.Int26_6(x), Y: fixed.Int26_6(y)} }
	cases := map[string]raster.Path{
		"triangle":          path(pt(0, 0), pt(100, 0), pt(0, 100), pt(0, 0)),
		"not closed":        path(pt(0, 0), pt(100, 0), pt(100, 100), pt(0, 100), pt(0, 10)),
		"diagonal sides":    path(pt(0, 0), pt(100, 0), pt(100, 100), pt(10, 100), pt(0, 0)),
		"corner repeated":   path(pt(0, 0), pt(100, 0), pt(0, 0), pt(100, 0), pt(0, 0)),
		"back and forth":    path(pt(0, 0), pt(100, 0), pt(100, 100), pt(100, 0), pt(0, 0)),
		"bow tie":           path(pt(0, 0), pt(100, 100), pt(100, 0), pt(0, 100), pt(0, 0)),
		"left of the image": path(pt(-5, 0), pt(100, 0), pt(100, 100), pt(-5, 100), pt(-5, 0)),
		"below the image":   path(pt(0, 0), pt(100, 0), pt(100, 64*h+1), pt(0, 64*h+1), pt(0, 0)),
		"empty":             path(pt(0, 0), pt(0, 0), pt(0, 100), pt(0, 100), pt(0, 0)),
		"two subpaths":      append(path(pt(0, 0), pt(100, 0), pt(100, 100), pt(0, 100)), path(pt(0, 0))...),
		"on past the start": path(pt(0, 0), pt(100, 0), pt(100, 100), pt(0, 100), pt(0, 0), pt(0, 50)),
	}
	for name, p := range cases {
		if _, ok := rectangleOf(p, w, h); ok {
			t.Errorf("%s: taken for a rectangle", name)
		}
	}
}
