package plot

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
)

// encodePNG writes an opaque image as an 8-bit RGB PNG (the alpha channel,
// all 255 on a white canvas, dropped; an image with any other alpha is
// handed to image/png). Every row is written with the Up filter (each byte
// less the byte above it): figures are mostly flat colour, which the filter
// turns into runs of zeros, and one fixed filter spares the trial of all
// five per row that image/png makes, most of its time. The output is a
// function of the pixels alone.
func encodePNG(w io.Writer, img *image.RGBA) error {
	if !opaque(img) {
		return pngEncoder.Encode(w, img)
	}
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString("\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // 8 bits per sample, truecolour
	if err := writeChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	chunks := &chunkWriter{w: bw}
	zw, err := zlib.NewWriterLevel(chunks, zlib.BestSpeed)
	if err != nil {
		return err
	}
	row := make([]byte, 1+3*width)
	row[0] = 2 // the Up filter
	for y := range height {
		cur := img.Pix[y*img.Stride : y*img.Stride+4*width]
		if y == 0 {
			for x := range width {
				copy(row[1+3*x:4+3*x], cur[4*x:4*x+3])
			}
		} else {
			prev := img.Pix[(y-1)*img.Stride:]
			for x := range width {
				i, j := 4*x, 1+3*x
				row[j] = cur[i] - prev[i]
				row[j+1] = cur[i+1] - prev[i+1]
				row[j+2] = cur[i+2] - prev[i+2]
			}
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := chunks.flush(); err != nil {
		return err
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// opaque reports whether every pixel has alpha 255.
func opaque(img *image.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			if row[4*x+3] != 0xff {
				return false
			}
		}
	}
	return true
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w io.Writer, kind string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], kind)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// chunkWriter cuts the compressed stream into IDAT chunks of at most
// idatSize bytes.
type chunkWriter struct {
	w   io.Writer
	buf []byte
}

const idatSize = 1 << 16

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), idatSize-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == idatSize {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush writes what is buffered as one IDAT chunk.
func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := writeChunk(c.w, "IDAT", c.buf)
	c.buf = c.buf[:0]
	return err
}
