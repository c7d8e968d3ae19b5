package plot

import (
	"image"
	"image/png"
	"io"
)

// The reference encoders and drawing the tests compare the run's with.

// encodePNG writes img as a PNG: through rgbEncoder when every pixel is
// opaque, else through image/png (pngEncoder).
func encodePNG(w io.Writer, img *image.RGBA) error {
	var e rgbEncoder
	if err := e.encode(img); err != nil {
		return err
	}
	_, err := w.Write(e.bytes())
	return err
}

// encode makes the PNG file of img (see encodePNG), which bytes then
// returns.
func (e *rgbEncoder) encode(img *image.RGBA) error {
	e.buf.Reset()
	opaque, err := e.encodeRGB(img, false)
	if err != nil || opaque {
		return err
	}
	e.buf.Reset()
	return pngEncoder.Encode(&e.buf, img)
}

// pngEncoder is image/png at its fastest level, for the images rgbEncoder
// does not take (a pixel not opaque).
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed}

// raster draws f at DPI dots per inch on white, into pix when it is large
// enough (its contents do not matter: it is painted white first), else
// into a new image.
func (f Figure) raster(pix []byte) *image.RGBA {
	w, h := f.PixelSize()
	if cap(pix) < 4*w*h {
		pix = make([]byte, 4*w*h)
	}
	img := imageOf(pix, w, h)
	paintWhite(img.Pix)
	f.drawOnWhite(img, &glyphCache{})
	return img
}
