// Package directfile writes a large file past the operating system's page
// cache where the system allows it (O_DIRECT on Linux): the kernel then
// hands the writer's blocks to the disk instead of copying every byte into
// cached pages first, which is most of the CPU a 600 MB predictions file
// costs in write calls (and varies with what else the machine does).
//
// Direct writes must be whole blocks from block-aligned memory at
// block-aligned offsets, so a Writer copies what it is given into an
// aligned buffer and writes it a full buffer at a time; the last partial
// block is written through the page cache once direct writing is turned
// off. Where direct writing is unavailable (another system, a file system
// that refuses it, a block size above Align) a Writer writes straight to
// the file.
package directfile

import (
	"errors"
	"os"
)

// Align is the alignment of the memory, the offsets and the lengths of
// direct writes: a multiple of every usual logical block size (512 bytes,
// 4 KiB).
const Align = 4096

// BufferSize is the size of a Writer's aligned buffer, the size of its
// direct writes.
const BufferSize = 4 << 20

// Writer writes to a file, directly where it can (see the package
// comment). Close writes what is buffered; it does not close the file.
type Writer struct {
	f      *os.File
	buf    []byte // aligned, BufferSize bytes; nil when writing straight to f
	n      int    // bytes buffered
	direct bool   // f is in direct mode
	err    error  // the first failed write
}

// NewWriter returns a writer to f, which must be open for writing at
// offset 0 (a new or truncated file).
func NewWriter(f *os.File) *Writer {
	w := &Writer{f: f}
	if buf, ok := alignedBuffer(BufferSize); ok {
		if setDirect(f, true) == nil {
			w.buf, w.direct = buf, true
		} else {
			releaseBuffer(buf)
		}
	}
	return w
}

// Direct reports whether the writer writes past the page cache.
func (w *Writer) Direct() bool { return w.direct }

// Write copies p into the buffer, writing each full buffer to the file.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.buf == nil {
		return w.f.Write(p)
	}
	written := 0
	for len(p) > 0 {
		k := copy(w.buf[w.n:], p)
		w.n += k
		p = p[k:]
		if w.n == len(w.buf) {
			if err := w.flushBlocks(); err != nil {
				return written, err
			}
		}
		written += k
	}
	return written, nil
}

// flushBlocks writes the buffer's whole blocks and moves the partial last
// one to its start. A file system that refuses a direct write (EINVAL)
// gets it, and every later byte, through the page cache.
func (w *Writer) flushBlocks() error {
	whole := w.n / Align * Align
	if whole == 0 {
		return nil
	}
	n, err := w.f.Write(w.buf[:whole])
	if err != nil && w.direct && errors.Is(err, errInvalid) && setDirect(w.f, false) == nil {
		// The n bytes written directly stay; the rest goes through the
		// page cache.
		w.direct = false
		_, err = w.f.Write(w.buf[n:whole])
	}
	if err != nil {
		w.err = err
		return err
	}
	w.n = copy(w.buf, w.buf[whole:w.n])
	return nil
}

// Close writes the buffered bytes: the whole blocks directly, the partial
// last block through the page cache. It releases the buffer; f stays open.
func (w *Writer) Close() error {
	if w.buf == nil {
		return w.err
	}
	defer func() {
		releaseBuffer(w.buf)
		w.buf = nil
	}()
	if w.err != nil {
		return w.err
	}
	if err := w.flushBlocks(); err != nil {
		return err
	}
	if w.direct {
		if err := setDirect(w.f, false); err != nil {
			w.err = err
			return err
		}
		w.direct = false
	}
	if _, err := w.f.Write(w.buf[:w.n]); err != nil {
		w.err = err
		return err
	}
	w.n = 0
	return nil
}
