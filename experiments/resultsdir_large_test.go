package experiments

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/clv-dev/clv/internal/directfile"
)

// writeLargeFile writes every byte, in writes of any size, as writeFile
// does; a cancelled run stops it at its next write with the interruption.
func TestWriteLargeFile(t *testing.T) {
	rd, err := newResultsDir(filepath.Join(t.TempDir(), "run"))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.abort()
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, directfile.BufferSize+directfile.Align+123)
	for i := range data {
		data[i] = byte('a' + rng.IntN(26))
	}
	write := func(w io.Writer) error {
		for rest := data; len(rest) > 0; {
			m := min(len(rest), 1+rng.IntN(3*directfile.Align))
			if _, err := w.Write(rest[:m]); err != nil {
				return err
			}
			rest = rest[m:]
		}
		return nil
	}
	for _, name := range []string{"large", "sub/large"} {
		if err := rd.writeLargeFile(name, write); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(rd.path(name)); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s holds %d bytes (%v), not the %d written", name, len(got), err, len(data))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rd.ctx = ctx
	cancel()
	if err := rd.writeLargeFile("cancelled", write); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled run's large file: %v, want the interruption", err)
	}
}
