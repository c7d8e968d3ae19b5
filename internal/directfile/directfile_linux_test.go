package directfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// TestWriterKeepsHeadCached checks, with mincore, that the file's first
// block is in the page cache after a direct writer wrote it and the blocks
// written directly are not.
func TestWriterKeepsHeadCached(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if os.Getpagesize() > Align {
		t.Skip("pages larger than a block")
	}
	w := NewWriter(f)
	if !w.Direct() {
		w.Close()
		t.Skip("direct writing is unavailable here")
	}
	const blocks = 4
	data := make([]byte, blocks*Align)
	for i := range data {
		data[i] = byte(i)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, len(data), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	pages := len(data) / os.Getpagesize()
	resident := make([]byte, pages)
	if _, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&resident[0]))); errno != 0 {
		t.Fatal(errno)
	}
	headPages := Align / os.Getpagesize()
	for p, r := range resident {
		if cached := r&1 == 1; cached != (p < headPages) {
			t.Errorf("page %d of %d: in the page cache %v, want %v (the first block only)", p, pages, cached, p < headPages)
		}
	}
}
