package inputfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Reading twice (as a second pass does) hashes each byte once; a partial
// read is completed by SHA256; after SkipChecksum SHA256 reads the file
// again.
func TestHashWhileReading(t *testing.T) {
	content := bytes.Repeat([]byte("c1,2024-01-01,10\n"), 10000)
	path := filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(content)
	for _, mode := range []string{"twice", "half", "none", "skipped"} {
		in, err := Open(context.Background(), path, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		r := in.Reader()
		switch mode {
		case "twice":
			if b, _ := io.ReadAll(r); !bytes.Equal(b, content) {
				t.Fatal("first read differs")
			}
			if _, err := r.(io.Seeker).Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(r); !bytes.Equal(b, content) {
				t.Fatal("second read differs")
			}
		case "half":
			if _, err := io.ReadFull(r, make([]byte, len(content)/2)); err != nil {
				t.Fatal(err)
			}
		case "skipped":
			in.SkipChecksum()
			if b, _ := io.ReadAll(r); !bytes.Equal(b, content) {
				t.Fatal("read differs")
			}
		}
		got, err := in.SHA256()
		in.Close()
		if err != nil || got != hex.EncodeToString(want[:]) {
			t.Errorf("%s: sha256 %s, %v; want %x", mode, got, err, want)
		}
	}
}

// SHA256At hashes a regular file from its first byte to its end (or its
// first bytes, and a file shorter than those is an error) while
// the file is read (and not hashed) on another goroutine, whatever the
// reading position; it refuses a cancelled context and a closed file.
func TestSHA256At(t *testing.T) {
	content := bytes.Repeat([]byte("c1,2024-01-01,10\n"), 100000) // more than one 1 MiB block
	path := filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(content)
	in, err := Open(context.Background(), path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	in.SkipChecksum()
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(in.Reader())
		read <- b
	}()
	got, err := in.SHA256At(-1)
	if err != nil || got != hex.EncodeToString(want[:]) {
		t.Errorf("SHA256At %s, %v; want %x", got, err, want)
	}
	if b := <-read; !bytes.Equal(b, content) {
		t.Error("the read beside SHA256At differs from the file")
	}
	half := sha256.Sum256(content[:len(content)/2])
	if got, err := in.SHA256At(int64(len(content) / 2)); err != nil || got != hex.EncodeToString(half[:]) {
		t.Errorf("SHA256At of the first half %s, %v; want %x", got, err, half)
	}
	if _, err := in.SHA256At(int64(len(content)) + 1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("SHA256At past the end: %v, want io.ErrUnexpectedEOF", err)
	}
	in.Close()
	if _, err := in.SHA256At(-1); err == nil {
		t.Error("SHA256At of a closed file: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	in, err = Open(ctx, path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cancel()
	if _, err := in.SHA256At(-1); !errors.Is(err, context.Canceled) {
		t.Errorf("SHA256At under a cancelled context: %v", err)
	}
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.csv")
	if err := os.WriteFile(long, append([]byte("period,survivors\n"), bytes.Repeat([]byte("9"), 200)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadAll(context.Background(), long, Limits{Kind: "survival", MaxLine: 100})
	var le *LimitError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Errorf("long line: %v, want a LimitError on line 2", err)
	}
	big := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(big, bytes.Repeat([]byte("1,2\n"), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAll(context.Background(), big, Limits{MaxBytes: 400}); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	if _, err := ReadAll(context.Background(), big, Limits{MaxBytes: 399}); !errors.As(err, &le) || le.Line != 0 {
		t.Errorf("a file over the limit: %v, want a LimitError", err)
	}
	// /dev/zero ends at the limit instead of filling the memory.
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := ReadAll(context.Background(), "/dev/zero", SummaryLimits)
		if !errors.As(err, &le) {
			t.Errorf("/dev/zero: %v, want a LimitError", err)
		}
	}
}

func TestCancelledReadStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in, err := Open(ctx, path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cancel()
	if _, err := in.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v, want context.Canceled", err)
	}
}
