package directfile

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeChunks writes data to a new file through a writer made by
// newWriter, in chunks of the given sizes (cycled), and returns what the
// file then holds.
func writeChunks(t *testing.T, newWriter func(*os.File) *Writer, data []byte, sizes []int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(f)
	for k, rest := 0, data; len(rest) > 0; k++ {
		m := min(sizes[k%len(sizes)], len(rest))
		if n, err := w.Write(rest[:m]); err != nil || n != m {
			t.Fatalf("Write(%d bytes) = %d, %v", m, n, err)
		}
		rest = rest[m:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestWriterWritesEveryByte writes files of lengths around the block and
// buffer sizes in chunks of awkward sizes, directly (where the file
// system allows it) and straight to the file, and reads them back.
func TestWriterWritesEveryByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, BufferSize+3*Align+17)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	straight := func(f *os.File) *Writer { return &Writer{f: f} }
	chunkings := [][]int{{1 << 30}, {1}, {Align - 1, Align + 1, 7}, {BufferSize - 1, 3}, {3_600_001, 0, 12345}}
	for _, n := range []int{0, 1, Align - 1, Align, Align + 1, BufferSize, BufferSize + 1, len(data)} {
		for _, sizes := range chunkings {
			if n > Align+1 && sizes[0] == 1 {
				continue // byte by byte: the short files are enough
			}
			for name, newWriter := range map[string]func(*os.File) *Writer{"direct": NewWriter, "straight": straight} {
				if got := writeChunks(t, newWriter, data[:n], sizes); !bytes.Equal(got, data[:n]) {
					t.Fatalf("%s, %d bytes in chunks of %v: the file holds %d bytes, not the ones written", name, n, sizes, len(got))
				}
			}
		}
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "probe"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewWriter(f)
	t.Logf("direct writing available here: %v", w.Direct())
	w.Close()
}

// TestWriterKeepsFirstError checks that a failed write is returned by
// every later Write and by Close (a file opened read-only refuses writes).
func TestWriterKeepsFirstError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewWriter(f)
	big := make([]byte, BufferSize+1)
	if _, err := w.Write(big); err == nil {
		t.Fatal("a write of a full buffer to a read-only file succeeded")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("a write after a failed one succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed write succeeded")
	}
}
