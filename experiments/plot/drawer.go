package plot

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/plot/vg/draw"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
)

// A drawer writes figures into a plots folder, from one call or several
// (a run draws its figures in three groups, two of them at once): at most
// one figure per slot at a time (a slot per CPU, or one for a run's
// figures), each drawn and encoded with the scratch of the slot, the
// canvas's pixels and the PNG encoder's buffers, which pass from figure to
// figure.
//
// A canvas of 300 dpi is 11 to 31 MB. Made afresh for every figure, or for
// every group, its pages are new to the process each time, and the kernel
// zeroes each page as it is first painted white: the most expensive part
// of drawing a figure on a large run. Passed on, it is drawn on in memory
// already mapped and already white (see scratch). A canvas too small for a
// figure is replaced by one as large as the largest figure of the group or
// than reserve says: a canvas is made once a slot when reserve bounds the
// figures to come (only the part of it a figure covers is touched).
//
// A drawer stops at the next figure once its context ends, returning the
// context's error.
type drawer struct {
	ctx     context.Context
	folder  string
	formats []string
	// slots holds the scratch of the figures not being drawn: a figure
	// takes one and hands it back.
	slots chan *scratch
	// largest is the bytes of the largest canvas a group is expected to
	// need (see reserve).
	largest int
}

// reserve makes every canvas made from now on at least the given bytes
// large: the largest canvas of the figures to come, so that a canvas made
// for a smaller figure serves them all. Call it before draw.
func (d *drawer) reserve(bytes int) { d.largest = max(d.largest, bytes) }

// newDrawer returns a drawer into folder in the given formats (none:
// experiments.DefaultFigureFormats), with the given number of slots (at
// most one per CPU; 0: one per CPU).
func newDrawer(ctx context.Context, folder string, formats []string, slots int) *drawer {
	if len(formats) == 0 {
		formats = experiments.DefaultFigureFormats
	}
	n := max(1, runtime.GOMAXPROCS(0))
	if slots > 0 {
		n = min(n, slots)
	}
	d := &drawer{ctx: ctx, folder: folder, formats: formats, slots: make(chan *scratch, n)}
	for range cap(d.slots) {
		d.slots <- &scratch{}
	}
	return d
}

// draw writes figs, one worker per slot taking the next figure. It returns
// the context's error once it has ended, else the figures' errors.
func (d *drawer) draw(figs []Figure) error {
	largest := d.largest // bytes of the largest canvas
	for _, f := range figs {
		w, h := f.PixelSize()
		largest = max(largest, 4*w*h)
	}
	errs := make([]error, len(figs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(figs), cap(d.slots)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(figs); i = int(next.Add(1)) - 1 {
				var s *scratch
				select {
				case s = <-d.slots:
				case <-d.ctx.Done():
					return
				}
				if d.ctx.Err() == nil {
					errs[i] = s.write(d.folder, figs[i], d.formats, largest)
				}
				d.slots <- s
			}
		})
	}
	wg.Wait()
	if err := d.ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// scratch is what drawing a figure reuses: the canvas's pixels (grown as
// needed) and the PNG encoder.
//
// The canvas is kept white between figures: the encoder paints each row
// white once it is done with it, while the row is in the processor's
// cache (rgbEncoder.encodeWhitening), so that the next figure is drawn
// without painting the background first, a pass over 11 to 31 MB of
// memory no longer in the cache. Only the part of a canvas a figure needs
// beyond what earlier figures used is painted white before drawing.
type scratch struct {
	pix []byte
	// white is how many of pix's first bytes are white (every byte 0xff).
	white  int
	png    rgbEncoder
	glyphs glyphCache
}

// write writes one figure as folder/NAME.svg (no embedded font, see SVG)
// and/or folder/NAME.png (DPI dots per inch, white background); a canvas
// it has to make is made large enough for largest bytes.
func (s *scratch) write(folder string, f Figure, formats []string, largest int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("plots: drawing %s: %v", f.Name, p)
		}
	}()
	for _, format := range formats {
		switch format {
		case experiments.FormatSVG:
			svg, err := SVG(f, false)
			if err != nil {
				return err
			}
			if err := atomicfile.WriteBytes(filepath.Join(folder, f.Name+".svg"), svg); err != nil {
				return err
			}
		case experiments.FormatPNG:
			if err := s.writePNG(folder, f, largest); err != nil {
				return err
			}
		default:
			return fmt.Errorf("plots: %q is not a figure format (png, svg)", format)
		}
	}
	return nil
}

// writePNG draws f on the scratch's canvas and writes it as folder/NAME.png.
func (s *scratch) writePNG(folder string, f Figure, largest int) error {
	img, white := s.draw(f, largest)
	if err := s.png.encodeWhitening(img); err != nil {
		return fmt.Errorf("plots: encoding %s: %w", f.Name, err)
	}
	s.white = white
	return atomicfile.Write(filepath.Join(folder, f.Name+".png"), func(w io.Writer) error {
		_, err := w.Write(s.png.bytes())
		return err
	})
}

// draw draws f on the scratch's canvas (see drawOnWhite), made large
// enough for largest bytes when it has to be made, and returns the image
// and how many of the canvas's first bytes are white once the image is
// whitened; until then the canvas counts as not white at all.
func (s *scratch) draw(f Figure, largest int) (img *image.RGBA, white int) {
	w, h := f.PixelSize()
	n := 4 * w * h
	if cap(s.pix) < n {
		s.pix = nil // let the old canvas go before making the new one
		s.pix, s.white = make([]byte, 0, max(n, largest)), 0
	}
	img = imageOf(s.pix, w, h)
	if s.white < n {
		paintWhite(img.Pix[s.white:])
	}
	white = max(s.white, n)
	s.white = 0
	f.drawOnWhite(img, &s.glyphs)
	return img, white
}

// imageOf returns a w × h image whose pixels are pix's first bytes (pix
// has the capacity).
func imageOf(pix []byte, w, h int) *image.RGBA {
	return &image.RGBA{Pix: pix[:4*w*h], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// paintWhite sets every byte of pix to 0xff: white, opaque pixels.
func paintWhite(pix []byte) { fillPixels(pix, [4]byte{0xff, 0xff, 0xff, 0xff}) }

// drawOnWhite draws f at DPI dots per inch on img, which is white and of
// f's size, with the glyphs kept in glyphs. The canvas draws straight into
// the image (vgimg.NewWith alone allocates an image and then copies it
// into another for its drawing context, 11 MB a figure at 300 dpi) and
// fills straight-edged shapes faster than gg (see rasterCanvas).
func (f Figure) drawOnWhite(img *image.RGBA, glyphs *glyphCache) {
	f.Draw(draw.New(newRasterCanvas(img, DPI, glyphs)))
}
