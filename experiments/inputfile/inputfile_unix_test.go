//go:build unix

package inputfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	return p
}

// A FIFO is streamed once and hashed on the way; it cannot be rewound.
func TestFIFOStreamedOnce(t *testing.T) {
	fifo := mkfifo(t)
	content := []byte("customer_id,date\na,2024-01-01\n")
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, _ = f.Write(content)
			f.Close()
		}
	}()
	in, err := Open(context.Background(), fifo, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Regular() {
		t.Fatal("a FIFO reported as a regular file")
	}
	if _, ok := in.Reader().(io.Seeker); ok {
		t.Error("a FIFO reader claims to seek")
	}
	b, err := io.ReadAll(in.Reader())
	if err != nil || string(b) != string(content) {
		t.Fatalf("read %q, %v", b, err)
	}
	want := sha256.Sum256(content)
	if got, err := in.SHA256(); err != nil || got != hex.EncodeToString(want[:]) {
		t.Errorf("sha256 %s, %v", got, err)
	}
	if err := in.Rewind(); err == nil {
		t.Error("rewinding a FIFO succeeded")
	}
}

// A FIFO nobody writes to (or nobody even opens) is abandoned when the
// context ends.
func TestFIFOWithoutWriterIsAbandoned(t *testing.T) {
	for _, writerOpens := range []bool{false, true} {
		fifo := mkfifo(t)
		var w *os.File
		if writerOpens {
			// Open both ends without blocking: O_RDWR on a FIFO does not wait.
			var err error
			if w, err = os.OpenFile(fifo, os.O_RDWR, 0); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			in, err := Open(ctx, fifo, Limits{})
			if err == nil {
				_, err = in.Read(make([]byte, 10))
				in.Close()
			}
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("writer opens %v: %v, want context.Canceled", writerOpens, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("writer opens %v: the read did not end after the cancel", writerOpens)
		}
		if w != nil {
			w.Close()
		} else if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close() // release the abandoned open
		}
	}
}
