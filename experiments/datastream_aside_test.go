package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The checksum taken aside is that of the bytes the run read, not of
// what the file holds when the hashing goroutine gets to it: rows
// appended to a live log after the read are not in it.
func TestChecksumAsideHashesWhatWasRead(t *testing.T) {
	content := []byte("customer_id,date\nc1,2024-01-01\nc2,2024-01-02\n")
	path := filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(context.Background(), path, "log.csv", "data.path", "csv")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.ChecksumAside()
	if !l.aside {
		t.Skip("the checksum is not taken aside here")
	}
	if b, err := io.ReadAll(l.file.Reader()); err != nil || string(b) != string(content) {
		t.Fatalf("read %q, %v", b, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("c3,2024-01-03\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	l.StartChecksum()
	want := sha256.Sum256(content)
	if got, err := l.SHA256(); err != nil || got != hex.EncodeToString(want[:]) {
		t.Errorf("checksum %s, %v; want %x, that of the bytes read", got, err, want)
	}
}
