package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteBytes(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the old content and no temporary file.
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "first" {
		t.Errorf("content %q after a failed write, want %q", b, "first")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %v, want only out.txt", entries)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

// A symbolic link is followed: the target gets the content atomically and
// the link stays a link (also one whose target does not exist yet).
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.csv")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink("real.csv", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := WriteBytes(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want %q", b, "new")
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v, want the 0600 it had", fi.Mode().Perm())
	}
	dangling := filepath.Join(dir, "later.csv")
	if err := os.Symlink(filepath.Join(dir, "sub-later.csv"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(dangling, []byte("made")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub-later.csv")); string(b) != "made" {
		t.Errorf("dangling link target holds %q", b)
	}
	if err := WriteBytes(dir, []byte("x")); err == nil {
		t.Error("writing over a folder succeeded")
	}
}

func TestCheckDistinct(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alias.csv")
	if err := os.Symlink(data, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	hard := filepath.Join(dir, "hard.csv")
	if err := os.Link(data, hard); err != nil {
		t.Skip("no hard links here:", err)
	}
	in := []Named{{"--data", data}}
	tests := []struct {
		outs    []Named
		wantKey string
	}{
		{[]Named{{"--out", data}}, "--out"},
		{[]Named{{"--out", filepath.Join(dir, ".", "sub", "..", "data.csv")}}, "--out"},
		{[]Named{{"--rejects", link}}, "--rejects"},
		{[]Named{{"data.rejects", hard}}, "data.rejects"},
		{[]Named{{"--out", filepath.Join(dir, "new.csv")}, {"--rejects", filepath.Join(dir, "new.csv")}}, "--rejects"},
		{[]Named{{"--out", filepath.Join(dir, "new.csv")}, {"--rejects", "-"}}, ""},
		{[]Named{{"--out", os.DevNull}}, ""},
	}
	for _, tt := range tests {
		err := CheckDistinct(tt.outs, in)
		var se *SameFileError
		switch {
		case tt.wantKey == "" && err != nil:
			t.Errorf("%v: %v, want no error", tt.outs, err)
		case tt.wantKey != "" && (!errors.As(err, &se) || se.Output.Key != tt.wantKey):
			t.Errorf("%v: %v, want a SameFileError on %s", tt.outs, err, tt.wantKey)
		}
	}
	if b, _ := os.ReadFile(data); string(b) != "a,b\n" {
		t.Errorf("the input changed: %q", b)
	}
}
