package directfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
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
			for name, newWriter := range map[string]func(*os.File) *Writer{"direct": NewWriter, "straight": straight, "synced": syncedEveryBlock} {
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

// syncedEveryBlock returns a direct writer to f that starts a background
// sync after every block (one that does not wait for the disk: the test
// is about the bytes).
func syncedEveryBlock(f *os.File) *Writer {
	w := NewWriter(f)
	w.SyncEvery(Align)
	w.sync = func() error { return nil }
	return w
}

// TestWriterSyncsInBackground checks that SyncEvery syncs while the
// writer writes, never two at a time, that Close waits for the one in
// flight, and that a failed one is the error of the later writes and of
// Close.
func TestWriterSyncsInBackground(t *testing.T) {
	for _, fail := range []bool{false, true} {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		w := NewWriter(f)
		w.SyncEvery(BufferSize)
		var running, most, calls atomic.Int32
		release := make(chan struct{})
		boom := errors.New("disk gone")
		w.sync = func() error {
			calls.Add(1)
			now := running.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			<-release // held until the writer wrote on
			running.Add(-1)
			if fail {
				return boom
			}
			return nil
		}
		block := make([]byte, BufferSize)
		var werr error
		for i := range 8 {
			if _, werr = w.Write(block); werr != nil {
				break
			}
			if i == 4 {
				close(release) // the first sync ends; the next ones pass
				for w.syncing != nil && len(w.syncing) == 0 {
					runtime.Gosched() // until its outcome is handed back
				}
			}
		}
		cerr := w.Close()
		f.Close()
		switch {
		case calls.Load() < 2 && !fail: // a failed one ends the writing
			t.Errorf("fail=%v: %d background syncs of 8 buffers, synced every buffer", fail, calls.Load())
		case most.Load() != 1:
			t.Errorf("fail=%v: %d syncs at a time", fail, most.Load())
		case running.Load() != 0:
			t.Errorf("fail=%v: a sync still runs after Close", fail)
		}
		if fail && (!errors.Is(cerr, boom) || !errors.Is(werr, boom)) {
			t.Errorf("a failed background sync: write error %v, Close %v; want it in both", werr, cerr)
		}
		if !fail && (cerr != nil || werr != nil) {
			t.Errorf("write error %v, Close %v", werr, cerr)
		}
	}
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
