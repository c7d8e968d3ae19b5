package chunkwrite

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

// Ordered writes the rows in order whatever the chunking, and stops
// at a failed write.
func TestOrdered(t *testing.T) {
	formatter := func() func([]byte, int, int) []byte {
		return func(buf []byte, lo, hi int) []byte {
			for i := lo; i < hi; i++ {
				buf = strconv.AppendInt(buf, int64(i), 10)
				buf = append(buf, '\n')
			}
			return buf
		}
	}
	for _, n := range []int{0, 1, 6, 7, 8, 100} {
		var want bytes.Buffer
		for i := range n {
			fmt.Fprintln(&want, i)
		}
		var got bytes.Buffer
		if err := Ordered(&got, n, 7, formatter); err != nil || got.String() != want.String() {
			t.Errorf("%d rows: %v, output %q", n, err, got.String())
		}
	}
	errFull := errors.New("disk full")
	if err := Ordered(failingWriter{errFull}, 1000, 3, formatter); !errors.Is(err, errFull) {
		t.Errorf("a failed write returned %v", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
