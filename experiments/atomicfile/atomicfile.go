// Package atomicfile is the one place where clv writes an output file. A
// reader never sees a regular file half written, and nothing that is not a
// regular file is ever replaced:
//
//   - a regular file (or a new path) is written to a hidden temporary file
//     in the same folder, which is renamed into place only once complete;
//   - a symbolic link is followed: its target is written as above and the
//     link stays a link;
//   - anything else that exists (a device such as /dev/null, a FIFO, a
//     terminal) is opened and written to directly, never replaced;
//   - a folder is an error.
//
// Temporary files are named ".<name>.tmp-<pid>-<random>" so that one left
// behind by a killed process can be recognised and removed later (see
// RemoveStale).
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Target is what an output path names once symbolic links are followed.
type Target struct {
	// Path is the file that is written: the path itself, or the final
	// target of a chain of symbolic links.
	Path string
	// Exists reports whether Path exists.
	Exists bool
	// Regular reports whether Path is (or will be created as) a regular
	// file, which is written atomically. When false, Path is a device,
	// FIFO, socket or terminal that is written to directly.
	Regular bool
	// Mode is the permission of the existing regular file (0644 for a new
	// one); it is kept when the file is replaced.
	Mode fs.FileMode
}

// maxLinks bounds the symbolic links followed, as the kernel does.
const maxLinks = 40

// Resolve follows the symbolic links of path (also a link whose target does
// not exist yet) and says how the output will be written. A folder is an
// error.
func Resolve(path string) (Target, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return Target{Path: p, Regular: true, Mode: 0o644}, nil
		}
		if err != nil {
			return Target{}, fmt.Errorf("writing %s: %w", path, err)
		}
		switch m := fi.Mode(); {
		case m&fs.ModeSymlink != 0:
			dest, err := os.Readlink(p)
			if err != nil {
				return Target{}, fmt.Errorf("writing %s: %w", path, err)
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(p), dest)
			}
			p = dest
		case m.IsDir():
			return Target{}, fmt.Errorf("writing %s: it is a folder: name a file", path)
		case m.IsRegular():
			return Target{Path: p, Exists: true, Regular: true, Mode: m.Perm()}, nil
		default:
			return Target{Path: p, Exists: true}, nil
		}
	}
	return Target{}, fmt.Errorf("writing %s: more than %d symbolic links", path, maxLinks)
}

// Write writes path through write: atomically for a regular file (on any
// error the temporary file is removed and path is left as it was), in
// place for a device, FIFO or terminal, through the target for a symbolic
// link (see the package comment). A new file gets mode 0644; a replaced
// one keeps its mode.
func Write(path string, write func(w io.Writer) error) error {
	t, err := Resolve(path)
	if err != nil {
		return err
	}
	if !t.Regular {
		return writeInPlace(path, t.Path, write)
	}
	tmp, err := os.CreateTemp(filepath.Dir(t.Path), TempPattern(filepath.Base(t.Path)))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := writeAll(tmp, write); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), t.Mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), t.Path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeInPlace writes to an existing file that is not regular (a device,
// FIFO or terminal) without creating, truncating or replacing anything.
func writeInPlace(path, target string, write func(w io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := writeAll(f, write); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeAll runs write through a buffer and flushes it.
func writeAll(f *os.File, write func(w io.Writer) error) error {
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteBytes writes b to path as Write does.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// TempPattern is the os.CreateTemp pattern of a temporary file for name:
// hidden, and carrying the writing process's id.
func TempPattern(name string) string {
	return "." + name + ".tmp-" + strconv.Itoa(os.Getpid()) + "-*"
}
