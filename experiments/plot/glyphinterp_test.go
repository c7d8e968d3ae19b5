package plot

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// TestGlyphInterpolatorAsBiLinear transforms random coverage masks (the
// mask, its point, the source rectangle and the destination off their
// origins or not) in random colours, opaque and not, by random rotations,
// scalings (strong shrinks, which widen BiLinear's kernel, included),
// general affine maps with shear and fractional translations (some
// reaching outside the image, some whole-pixel translations) onto a
// noisy image, through glyphInterpolator and through x/image/draw's
// BiLinear, and checks that every pixel is the same.
func TestGlyphInterpolatorAsBiLinear(t *testing.T) {
	const w, h = 60, 50
	rng := rand.New(rand.NewPCG(17, 19))
	for trial := range 1200 {
		mw, mh := 1+rng.IntN(20), 1+rng.IntN(20)
		origin := func(spread int) image.Point {
			if trial%2 == 0 {
				return image.Point{}
			}
			return image.Point{X: rng.IntN(2*spread+1) - spread, Y: rng.IntN(2*spread+1) - spread}
		}
		mo := origin(3)
		mask := image.NewAlpha(image.Rect(mo.X, mo.Y, mo.X+mw+3, mo.Y+mh+3))
		for i := range mask.Pix {
			if rng.IntN(3) > 0 {
				mask.Pix[i] = byte(rng.IntN(256))
			}
		}
		smp := image.Point{X: rng.IntN(3), Y: rng.IntN(3)}.Add(origin(3))
		so := origin(2)
		sr := image.Rect(so.X, so.Y, so.X+mw, so.Y+mh)
		var s2d f64.Aff3
		switch trial % 6 {
		case 4: // a general affine map: shear, unequal scales, reflections
			s2d = f64.Aff3{rng.Float64()*6 - 3, rng.Float64()*4 - 2, rng.Float64()*80 - 10, rng.Float64()*4 - 2, rng.Float64()*6 - 3, rng.Float64()*70 - 10}
		case 5: // a strong shrink, which widens BiLinear's kernel
			k, a := 0.05+rng.Float64()*0.3, rng.Float64()*2*math.Pi
			s2d = f64.Aff3{k * math.Cos(a), -k * math.Sin(a), rng.Float64()*80 - 10, k * math.Sin(a), k * math.Cos(a), rng.Float64()*70 - 10}
		case 0: // a whole-pixel translation, which BiLinear copies
			s2d = f64.Aff3{1, 0, float64(rng.IntN(70) - 10), 0, 1, float64(rng.IntN(60) - 10)}
		default:
			a := rng.Float64() * 2 * math.Pi
			if trial%6 == 1 {
				a = -math.Pi / 2 // as gg rotates the y axes' labels
			}
			k := 0.5 + rng.Float64()
			s2d = f64.Aff3{k * math.Cos(a), -k * math.Sin(a), rng.Float64()*80 - 10, k * math.Sin(a), k * math.Cos(a), rng.Float64()*70 - 10}
		}
		clr := color.RGBA{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256)), 0xff}
		if rng.IntN(2) == 0 { // translucent, premultiplied
			a := byte(rng.IntN(256))
			clr = color.RGBA{byte(int(clr.R) * int(a) / 255), byte(int(clr.G) * int(a) / 255), byte(int(clr.B) * int(a) / 255), a}
		}
		do := origin(5)
		got := image.NewRGBA(image.Rect(do.X, do.Y, do.X+w, do.Y+h))
		for i := range got.Pix {
			got.Pix[i] = byte(rng.IntN(256))
		}
		want := image.NewRGBA(got.Rect)
		copy(want.Pix, got.Pix)
		opts := &draw.Options{SrcMask: mask, SrcMaskP: smp}
		glyphInterpolator{}.Transform(got, s2d, image.NewUniform(clr), sr, draw.Over, opts)
		draw.BiLinear.Transform(want, s2d, image.NewUniform(clr), sr, draw.Over, opts)
		if !bytes.Equal(got.Pix, want.Pix) {
			p, _ := firstDifference(got, want)
			t.Fatalf("trial %d (%v): pixel %v is %v, BiLinear draws %v", trial, s2d, p, got.RGBAAt(p.X, p.Y), want.RGBAAt(p.X, p.Y))
		}
	}
}
