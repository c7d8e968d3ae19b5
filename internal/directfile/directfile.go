// Package directfile writes a large file past the operating system's page
// cache where the system allows it (O_DIRECT on Linux): the kernel then
// hands the writer's blocks to the disk instead of copying every byte into
// cached pages first, which is most of the CPU a 600 MB predictions file
// costs in write calls (and varies with what else the machine does).
//
// Direct writes must be whole blocks from block-aligned memory at
// block-aligned offsets, so a Writer copies what it is given into an
// aligned buffer and writes it a full buffer at a time; the first block
// and the last partial one are written through the page cache (direct
// writing turned off meanwhile). Where direct writing is unavailable
// (another system, a file system that refuses it, a block size above
// Align) a Writer writes straight to the file.
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
//
// The file's first block is written through the page cache, where the
// reader of a header (the report reads the predictions' column names)
// finds it in memory: a read from the disk waits behind the disk's cache
// flush of a sync of the file, which may last a few tenths of a second.
type Writer struct {
	f      *os.File
	buf    []byte // aligned, BufferSize bytes; nil when writing straight to f
	n      int    // bytes buffered
	direct bool   // f is in direct mode
	err    error  // the first failed write
	// written counts the bytes written to f; head is set until the
	// first block was written (through the page cache).
	written int64
	head    bool
	// Background syncs (SyncEvery): one every syncEvery bytes, at most one
	// at a time (syncing, holding its outcome once done); synced is the
	// bytes written when the last one started.
	syncEvery, synced int64
	syncing           chan error
	sync              func() error // f.Sync; tests replace it
}

// NewWriter returns a writer to f, which must be open for writing at
// offset 0 (a new or truncated file).
func NewWriter(f *os.File) *Writer {
	w := &Writer{f: f, sync: f.Sync}
	if buf, ok := alignedBuffer(BufferSize); ok {
		if setDirect(f, true) == nil {
			w.buf, w.direct, w.head = buf, true, true
		} else {
			releaseBuffer(buf)
		}
	}
	return w
}

// SyncEvery makes the writer sync the file in the background (f.Sync)
// each time n more bytes were written, while it goes on writing, so that
// the sync that follows Close finds little left to flush: on this
// project's virtual machine the sync of a 600 MB file written directly
// waited 0.2-0.45 s for the disk's cache flush, against 0.05-0.08 s after
// syncs every 100 MB. A sync holds up the direct writes meanwhile (the
// disk flushes its cache). Close waits for the sync in flight; a failed
// one is the error of every later Write and of Close (a failure is
// reported to one sync only, so a later sync would not see it).
func (w *Writer) SyncEvery(n int64) { w.syncEvery = n }

// syncInBackground starts a background sync when syncEvery bytes were
// written since the last one started, unless one is still running; it
// returns the error of a finished one.
func (w *Writer) syncInBackground() error {
	if w.syncEvery <= 0 || w.written-w.synced < w.syncEvery {
		return nil
	}
	if w.syncing != nil {
		select {
		case err := <-w.syncing:
			w.syncing = nil
			if err != nil {
				return err
			}
		default:
			return nil // the last one is still running
		}
	}
	w.synced = w.written
	w.syncing = make(chan error, 1)
	go func(done chan<- error) { done <- w.sync() }(w.syncing)
	return nil
}

// waitSync waits for the background sync in flight and returns its error.
func (w *Writer) waitSync() error {
	if w.syncing == nil {
		return nil
	}
	err := <-w.syncing
	w.syncing = nil
	return err
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
	err := w.writeBlocks(w.buf[:whole])
	if err == nil {
		err = w.syncInBackground()
	}
	if err != nil {
		w.err = err
		return err
	}
	w.n = copy(w.buf, w.buf[whole:w.n])
	return nil
}

// writeBlocks writes whole blocks to f: directly but for the file's first
// block (see Writer), and through the page cache from the first direct
// write the file system refuses (EINVAL) on.
func (w *Writer) writeBlocks(b []byte) error {
	if w.head {
		if err := w.writeHead(b[:Align]); err != nil {
			return err
		}
		b = b[Align:]
	}
	if len(b) == 0 {
		return nil
	}
	n, err := w.f.Write(b)
	if err != nil && w.direct && errors.Is(err, errInvalid) && setDirect(w.f, false) == nil {
		// The n bytes written directly stay; the rest goes through the
		// page cache.
		w.direct = false
		var m int
		m, err = w.f.Write(b[n:])
		n += m
	}
	w.written += int64(n)
	return err
}

// writeHead writes the file's first block through the page cache and
// turns direct writing back on (or leaves it off where it fails).
func (w *Writer) writeHead(block []byte) error {
	w.head = false
	if err := setDirect(w.f, false); err != nil {
		return err
	}
	n, err := w.f.Write(block)
	w.written += int64(n)
	if err != nil {
		return err
	}
	if setDirect(w.f, true) != nil {
		w.direct = false
	}
	return nil
}

// Close writes the buffered bytes: the whole blocks directly, the partial
// last block through the page cache, and waits for the background sync
// in flight (SyncEvery). It releases the buffer; f stays open.
func (w *Writer) Close() error {
	if w.buf == nil {
		return w.err
	}
	defer func() {
		releaseBuffer(w.buf)
		w.buf = nil
	}()
	w.syncEvery = 0 // the sync after Close follows
	err := w.writeRest()
	if serr := w.waitSync(); err == nil {
		err = serr
	}
	if err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// writeRest writes the buffered bytes (see Close).
func (w *Writer) writeRest() error {
	if w.err != nil {
		return w.err
	}
	if err := w.flushBlocks(); err != nil {
		return err
	}
	if w.direct {
		if err := setDirect(w.f, false); err != nil {
			return err
		}
		w.direct = false
	}
	n, err := w.f.Write(w.buf[:w.n])
	w.written += int64(n)
	if err != nil {
		return err
	}
	w.n = 0
	return nil
}
