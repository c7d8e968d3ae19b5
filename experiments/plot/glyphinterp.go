package plot

import (
	"image"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// glyphInterpolator is the interpolator of a rasterCanvas's context:
// x/image/draw's BiLinear (the tent kernel, gg's default), with its
// Transform of a glyph done here, pixel for pixel the same.
//
// gg draws the rotated text (the y axes' labels) a glyph at a time through
// its interpolator, BiLinear's Transform of a uniform colour through the
// glyph's coverage mask onto the image (Over). With a source mask the
// kernel takes its generic path, which reads and writes every pixel
// through the image.Image interface (At, Set and a colour conversion
// each) and calls the kernel's function for every weight: most of the
// time of drawing a figure's rotated label. For a *image.RGBA
// destination, a *image.Uniform source and a *image.Alpha mask (the
// glyphs of a truetype face), transformGlyph does the same arithmetic on
// the pixels directly; any other call is BiLinear's.
type glyphInterpolator struct{}

// Scale implements draw.Scaler.
func (glyphInterpolator) Scale(dst draw.Image, dr image.Rectangle, src image.Image, sr image.Rectangle, op draw.Op, opts *draw.Options) {
	draw.BiLinear.Scale(dst, dr, src, sr, op, opts)
}

// Transform implements draw.Transformer.
func (glyphInterpolator) Transform(dst draw.Image, s2d f64.Aff3, src image.Image, sr image.Rectangle, op draw.Op, opts *draw.Options) {
	d, dOK := dst.(*image.RGBA)
	u, uOK := src.(*image.Uniform)
	var mask *image.Alpha
	if opts != nil && opts.DstMask == nil {
		mask, _ = opts.SrcMask.(*image.Alpha)
	}
	if !dOK || !uOK || mask == nil || op != draw.Over {
		draw.BiLinear.Transform(dst, s2d, src, sr, op, opts)
		return
	}
	transformGlyph(d, s2d, u, sr, mask, opts.SrcMaskP)
}

// transformGlyph is BiLinear's Transform (Over) of the uniform colour u
// through mask (its point smp at the source's origin, as
// draw.Options.SrcMaskP) onto dst: the affected pixels
// and the mapping back to the source as Kernel.Transform computes them,
// then transform_Image_Image_Over's weights, sums and blending, its
// interface calls replaced by what they return (a pixel of an image.RGBA
// widened to 16 bits, an image.Alpha's alpha likewise, 0 outside it, the
// tent kernel 1 − t, a 16-bit colour stored as its high 8 bits), its
// floating-point expressions as written there (each product rounded,
// never fused).
func transformGlyph(dst *image.RGBA, s2d f64.Aff3, u *image.Uniform, sr image.Rectangle, mask *image.Alpha, smp image.Point) {
	dr := transformRect(&s2d, &sr)
	adr := dst.Bounds().Intersect(dr)
	if adr.Empty() || sr.Empty() {
		return
	}
	d2s := invertAff3(&s2d)
	bias := transformRect(&d2s, &adr).Min
	bias.X--
	bias.Y--
	d2s[2] -= float64(bias.X)
	d2s[5] -= float64(bias.Y)
	adr = adr.Sub(dr.Min)
	x := newTentAxis(d2s[0], d2s[1], bias.X, sr.Min.X, sr.Max.X)
	y := newTentAxis(d2s[3], d2s[4], bias.Y, sr.Min.Y, sr.Max.Y)

	cr, cg, cb, ca := u.C.RGBA()
	for dy := int32(adr.Min.Y); dy < int32(adr.Max.Y); dy++ {
		dyf := float64(dr.Min.Y+int(dy)) + 0.5
		for dx := int32(adr.Min.X); dx < int32(adr.Max.X); dx++ {
			dxf := float64(dr.Min.X+int(dx)) + 0.5
			sx := float64(d2s[0]*dxf) + float64(d2s[1]*dyf) + d2s[2]
			sy := float64(d2s[3]*dxf) + float64(d2s[4]*dyf) + d2s[5]
			if !(image.Point{int(sx) + bias.X, int(sy) + bias.Y}).In(sr) {
				continue
			}
			ix, jx, xWeights := x.weigh(sx)
			iy, jy, yWeights := y.weigh(sy)
			var pr, pg, pb, pa float64
			for ky := iy; ky < jy; ky++ {
				yWeight := yWeights[ky-iy]
				if yWeight == 0 {
					continue
				}
				for kx := ix; kx < jx; kx++ {
					if w := xWeights[kx-ix] * yWeight; w != 0 {
						ma := uint32(mask.AlphaAt(smp.X+kx, smp.Y+ky).A) * 0x101
						pr += float64(float64(cr*ma/0xffff) * w)
						pg += float64(float64(cg*ma/0xffff) * w)
						pb += float64(float64(cb*ma/0xffff) * w)
						pa += float64(float64(ca*ma/0xffff) * w)
					}
				}
			}
			pr, pg, pb = min(pr, pa), min(pg, pa), min(pb, pa)
			p := [4]uint32{uint32(fffftou(pr)), uint32(fffftou(pg)), uint32(fffftou(pb)), uint32(fffftou(pa))}

			i := dst.PixOffset(dr.Min.X+int(dx), dr.Min.Y+int(dy))
			px := dst.Pix[i : i+4 : i+4]
			pa1 := 0xffff - p[3]
			for k := range px {
				q := uint32(px[k]) * 0x101
				px[k] = uint8(uint16(q*pa1/0xffff+p[k]) >> 8)
			}
		}
	}
}

// tentAxis is the tent kernel's weights along one axis of a Transform:
// the kernel widened when the map shrinks along it, so that every source
// pixel is visited, as Kernel.Transform widens it. The weights are a
// function of the source coordinate alone, which along an axis of a
// rotation by a right angle (the y axes' labels) takes a few values, a
// glyph's width or one a row: they are remembered by coordinate.
type tentAxis struct {
	halfWidth, argScale float64
	bias, lo, hi        int
	n                   int // the most weights of a coordinate
	memo                [tentMemos]tentMemo
	buf                 []float64 // memo k's weights at k·n
}

// tentMemos is how many coordinates' weights a tentAxis remembers, a
// power of 2.
const tentMemos = 64

// tentMemo is the weights of one source coordinate, from pixel i to j.
type tentMemo struct {
	ok   bool
	bits uint64 // the coordinate's
	i, j int
}

// newTentAxis returns the axis whose scale is the larger of |a| and |b|,
// the entries of the inverse map along it, its coordinates biased by bias
// and its pixels within [lo, hi).
func newTentAxis(a, b float64, bias, lo, hi int) *tentAxis {
	scale := math.Abs(a)
	if s := math.Abs(b); scale < s {
		scale = s
	}
	t := &tentAxis{halfWidth: 1, argScale: 1, bias: bias, lo: lo, hi: hi}
	if scale > 1 {
		t.halfWidth *= scale
		t.argScale = 1 / scale
	}
	t.n = 1 + 2*int(math.Ceil(t.halfWidth))
	t.buf = make([]float64, tentMemos*t.n)
	return t
}

// weigh returns the weights of the source pixels i to j (not included)
// around the source coordinate s, as transform_Image_Image_Over computes
// them.
func (t *tentAxis) weigh(s float64) (i, j int, weights []float64) {
	bits := math.Float64bits(s)
	k := int((bits ^ bits>>29 ^ bits>>47) & (tentMemos - 1))
	m := &t.memo[k]
	weights = t.buf[k*t.n : (k+1)*t.n]
	if m.ok && m.bits == bits {
		return m.i, m.j, weights
	}
	s += float64(t.bias)
	s -= 0.5
	i = max(int(math.Floor(s-t.halfWidth)), t.lo)
	j = min(int(math.Ceil(s+t.halfWidth)), t.hi)
	total := 0.0
	for k := i; k < j; k++ {
		w := 0.0
		if d := math.Abs((s - float64(k)) * t.argScale); d < 1 {
			w = 1 - d
		}
		weights[k-i] = w
		total += w
	}
	for k := range weights[:j-i] {
		weights[k] /= total
	}
	*m = tentMemo{ok: true, bits: bits, i: i, j: j}
	return i, j, weights
}

// fffftou is x/image/draw's: a sum of 16-bit values rounded to one.
func fffftou(f float64) uint16 {
	i := int32(f + 0.5)
	if i > 0xffff {
		return 0xffff
	}
	if i > 0 {
		return uint16(i)
	}
	return 0
}

// transformRect is x/image/draw's: a rectangle holding sr mapped by s2d.
func transformRect(s2d *f64.Aff3, sr *image.Rectangle) (dr image.Rectangle) {
	ps := [...]image.Point{
		{sr.Min.X, sr.Min.Y},
		{sr.Max.X, sr.Min.Y},
		{sr.Min.X, sr.Max.Y},
		{sr.Max.X, sr.Max.Y},
	}
	for i, p := range ps {
		sxf := float64(p.X)
		syf := float64(p.Y)
		dx := int(math.Floor(float64(s2d[0]*sxf) + float64(s2d[1]*syf) + s2d[2]))
		dy := int(math.Floor(float64(s2d[3]*sxf) + float64(s2d[4]*syf) + s2d[5]))
		if i == 0 {
			dr = image.Rectangle{Min: image.Point{dx, dy}, Max: image.Point{dx + 1, dy + 1}}
			continue
		}
		dr.Min.X = min(dr.Min.X, dx)
		dr.Max.X = max(dr.Max.X, dx+1)
		dr.Min.Y = min(dr.Min.Y, dy)
		dr.Max.Y = max(dr.Max.Y, dy+1)
	}
	return dr
}

// invertAff3 is x/image/draw's invert: the inverse of an affine map.
func invertAff3(m *f64.Aff3) f64.Aff3 {
	m00 := +m[3*1+1]
	m01 := -m[3*0+1]
	m02 := +float64(m[3*1+2]*m[3*0+1]) - float64(m[3*1+1]*m[3*0+2])
	m10 := -m[3*1+0]
	m11 := +m[3*0+0]
	m12 := +float64(m[3*1+0]*m[3*0+2]) - float64(m[3*1+2]*m[3*0+0])
	det := float64(m00*m11) - float64(m10*m01)
	return f64.Aff3{m00 / det, m01 / det, m02 / det, m10 / det, m11 / det, m12 / det}
}
