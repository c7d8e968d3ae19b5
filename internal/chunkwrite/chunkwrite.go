// Package chunkwrite writes a table's rows formatted in parallel chunks,
// in order: the CSV writers of the summary and of the predictions format
// on every core while the chunks before are written.
package chunkwrite

import (
	"io"
	"runtime"
	"sync"
)

// Ordered writes n rows to w, formatted size rows at a time by one
// formatter per processor (newFormatter makes each its own), in order. A
// formatter appends rows [lo, hi) to a buffer and returns it; buffers are
// reused, so a formatter may size a buffer of capacity 0 itself. Worker k
// formats chunks k, k+K, k+2K, … while the chunks before are written; a
// failed write stops the workers and is returned once they have ended.
func Ordered(w io.Writer, n, size int, newFormatter func() func(buf []byte, lo, hi int) []byte) error {
	chunks := (n + size - 1) / size
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		format := newFormatter()
		var buf []byte
		for lo := 0; lo < n; lo += size {
			buf = format(buf[:0], lo, min(lo+size, n))
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}
	// Worker k sends each chunk on out[k] and takes buffers back from
	// back[k].
	out, back := make([]chan []byte, workers), make([]chan []byte, workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range workers {
		out[k], back[k] = make(chan []byte, 2), make(chan []byte, 3)
		for range 3 {
			back[k] <- nil
		}
		format := newFormatter()
		wg.Go(func() {
			for c := k; c < chunks; c += workers {
				var buf []byte
				select {
				case buf = <-back[k]:
				case <-stop:
					return
				}
				select {
				case out[k] <- format(buf[:0], c*size, min((c+1)*size, n)):
				case <-stop:
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	for c := range chunks {
		buf := <-out[c%workers]
		if _, err := w.Write(buf); err != nil {
			return err
		}
		back[c%workers] <- buf
	}
	return nil
}
