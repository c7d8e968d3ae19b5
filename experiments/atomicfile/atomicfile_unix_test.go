//go:build unix

package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A FIFO is written to, never replaced by a regular file.
func TestWriteIntoFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if err := WriteBytes(fifo, []byte("through the pipe")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "through the pipe" {
			t.Errorf("the reader got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reader got nothing")
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after the write %s is %v (err %v), want still a FIFO", fifo, fi.Mode(), err)
	}
}

// /dev/null is a device: it is written to in place and stays a device.
func TestWriteToDevNull(t *testing.T) {
	before, err := os.Stat(os.DevNull)
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no character device /dev/null here")
	}
	tg, err := Resolve(os.DevNull)
	if err != nil || tg.Regular || !tg.Exists {
		t.Fatalf("Resolve(/dev/null) = %+v, %v; want an existing non-regular target", tg, err)
	}
	if err := WriteBytes(os.DevNull, []byte("gone")); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(os.DevNull)
	if err != nil || !os.SameFile(before, after) || after.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null changed: %v %v", after.Mode(), err)
	}
}

func TestStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	// A process id that is not running: a child that has exited.
	dead := exitedPID(t)
	files := map[string]bool{ // name → removed
		".report.html.tmp-" + strconv.Itoa(dead) + "-123":        true,
		".report.html.tmp-" + strconv.Itoa(os.Getpid()) + "-456": false, // this live process
		".old.png.tmp-99999999":                                  false, // no pid, recent
		"report.html":                                            false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Old enough to be stale whatever its owner.
	aged := ".ancient.svg.tmp-" + strconv.Itoa(os.Getpid()) + "-1"
	if err := os.WriteFile(filepath.Join(dir, aged), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-StaleAge - time.Hour)
	if err := os.Chtimes(filepath.Join(dir, aged), old, old); err != nil {
		t.Fatal(err)
	}
	files[aged] = true
	RemoveStale(dir, now)
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
}

// exitedPID returns the id of a process that has exited and been reaped.
func exitedPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("cannot start /bin/sh:", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if ProcessAlive(p.Pid) {
		t.Skip("the process id was reused at once")
	}
	return p.Pid
}
