package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The checksum taken aside is that of the bytes the run read, not of
// what the file holds when the hashing goroutine gets to it: rows
// appended to a live log after the read are not in it.
func TestChecksumAsideHashesWhatWasRead(t *testing.T) {
	content := []byte("customer_id,date\nc1,2024-01-01\nc2,2024-01-02\n")
	l, path := readAside(t, content)
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

// A checksum left for later (checksumLate) starts only once the writers
// beside the score stage have room for it: when the leading writers (the
// figures) or the trailing ones (the predictions) have all ended, not
// while both run; and awaitChecksum returns it, recorded for metrics.json
// and the manifest, which are written after it.
func TestChecksumWaitsForAWriterToEnd(t *testing.T) {
	content := []byte("customer_id,date\nc1,2024-01-01\nc2,2024-01-02\n")
	want := sha256.Sum256(content)
	for _, release := range []string{"leading", "trailing"} {
		l, _ := readAside(t, content)
		l.NoteRead()
		env := &runEnv{stages: map[string]float64{}}
		g, _ := newWriterGroup(context.Background())
		figures, predictions := make(chan struct{}), make(chan struct{})
		g.start(env, "write_plots", func() error { <-figures; return nil })
		g.startTrailing(env, "write_predictions", func() error { <-predictions; return nil })
		mf := &MetricsFile{}
		res := &runResult{metrics: mf, input: l}
		done := make(chan error, 1)
		go func() { done <- res.awaitChecksum(g) }()
		time.Sleep(20 * time.Millisecond) // a chance to start too early
		select {
		case err := <-done:
			t.Fatalf("%s: the checksum was taken while both writers ran (%v)", release, err)
		default:
		}
		if release == "leading" {
			close(figures)
		} else {
			close(predictions)
		}
		if err := <-done; err != nil {
			t.Fatal(release, err)
		}
		if hex.EncodeToString(want[:]) != mf.Data.SHA256 || res.dataSHA != mf.Data.SHA256 {
			t.Errorf("%s: checksum %q in the metrics, %q for the manifest; want %x", release, mf.Data.SHA256, res.dataSHA, want)
		}
		if release == "leading" {
			close(predictions)
		} else {
			close(figures)
		}
		if err := g.wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// readAside returns a log of content (at path) whose checksum is taken
// aside, read to its end once, closed when the test ends; it skips the
// test where the checksum is not taken aside.
func readAside(t *testing.T, content []byte) (l *LogInput, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "log.csv")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLog(context.Background(), path, "log.csv", "data.path", "csv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	l.ChecksumAside()
	if !l.aside {
		t.Skip("the checksum is not taken aside here")
	}
	if b, err := io.ReadAll(l.file.Reader()); err != nil || string(b) != string(content) {
		t.Fatalf("read %q, %v", b, err)
	}
	return l, path
}
