// Package inputfile opens the files clv reads so that no input can hang it
// or exhaust its memory: every read honours a context (a FIFO or terminal
// that never delivers is abandoned when the context ends), the bytes are
// hashed (SHA-256) as they are read, so a file is read once and never a
// second time just to checksum it, and optional limits bound the size of a
// file and the length of a line, with an error that says so.
//
// Regular files can be read again (the reader is an io.Seeker, and bytes
// read a second time are not hashed twice); FIFOs, devices and terminals
// are streamed once.
package inputfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"
)

// Limits bound what is read; zero fields do not limit.
type Limits struct {
	// Kind names the file in messages ("summary", "survival").
	Kind string
	// MaxBytes is the largest file accepted.
	MaxBytes int64
	// MaxLine is the longest line accepted (bytes between line breaks).
	MaxLine int64
}

// Limits of the files clv reads whole. A summary CSV holds one short line
// per customer (1 GiB is some 15 million customers); survivor counts hold
// one line per period.
var (
	SummaryLimits  = Limits{Kind: "summary", MaxBytes: 1 << 30, MaxLine: 1 << 20}
	SurvivalLimits = Limits{Kind: "survival", MaxBytes: 16 << 20, MaxLine: 64 << 10}
	// ConfigLimits bound a config file; MetricsLimits a results folder's
	// metrics.json (a few kilobytes per model and window).
	ConfigLimits  = Limits{Kind: "config", MaxBytes: 16 << 20}
	MetricsLimits = Limits{Kind: "metrics", MaxBytes: 16 << 20}
)

// LimitError reports an input beyond a limit.
type LimitError struct {
	Path  string
	Kind  string
	Limit int64
	// Line is the 1-based line that is too long; 0 when the file is too large.
	Line int64
}

// Error says which limit and what the file probably is.
func (e *LimitError) Error() string {
	kind := e.Kind
	if kind != "" {
		kind += " "
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: line longer than %d bytes, the limit for a %sfile: is this a text file with line breaks (not a device such as /dev/zero)?", e.Path, e.Line, e.Limit, kind)
	}
	return fmt.Sprintf("%s: larger than %d bytes, the limit for a %sfile: is this the right file?", e.Path, e.Limit, kind)
}

// File is an open input. It is not safe for concurrent use.
type File struct {
	f       *os.File
	path    string
	regular bool
	ctx     context.Context
	stop    func() bool
	lim     Limits
	h       hash.Hash
	pos     int64 // offset of the next byte read
	hashed  int64 // bytes [0, hashed) are in h
	line    int64 // current line number (1-based) and its length so far
	lineLen int64
	eof     bool  // the whole file has been hashed
	readEnd int64 // the offset at which Read last met the end, -1 before
}

// Open opens path for reading under ctx. A FIFO whose writer never comes
// is abandoned when ctx ends (the open itself blocks in the kernel, so it
// runs aside).
func Open(ctx context.Context, path string, lim Limits) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a file", path)
	}
	f, err := openCtx(ctx, path, st.Mode().IsRegular())
	if err != nil {
		return nil, err
	}
	in := &File{f: f, path: path, regular: st.Mode().IsRegular(), ctx: ctx, lim: lim, h: sha256.New(), line: 1, readEnd: -1}
	// Wake a read blocked on a pipe or terminal when ctx ends (regular
	// files never block for long and do not support deadlines).
	in.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	return in, nil
}

func openCtx(ctx context.Context, path string, regular bool) (*os.File, error) {
	if regular {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() { // close the file if the open ever completes
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("opening %s: %w", path, context.Cause(ctx))
	}
}

// Regular reports whether the input is a regular file (it can be read
// again); otherwise it is a FIFO, device or terminal, streamed once.
func (in *File) Regular() bool { return in.regular }

// Path returns the path opened.
func (in *File) Path() string { return in.path }

// OS returns the underlying file, for readers that need random access
// (Parquet). Bytes read through it are not hashed or limited.
func (in *File) OS() *os.File { return in.f }

// Read reads, hashing bytes not hashed before and checking the limits and
// the context.
func (in *File) Read(p []byte) (int, error) {
	if err := in.ctx.Err(); err != nil {
		return 0, context.Cause(in.ctx)
	}
	if in.lim.MaxBytes > 0 {
		if in.pos > in.lim.MaxBytes {
			return 0, &LimitError{Path: in.path, Kind: in.lim.Kind, Limit: in.lim.MaxBytes}
		}
		if room := in.lim.MaxBytes + 1 - in.pos; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := in.f.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) && in.ctx.Err() != nil {
		return n, context.Cause(in.ctx)
	}
	if lerr := in.account(p[:n]); lerr != nil {
		return n, lerr
	}
	if err == io.EOF {
		in.readEnd = in.pos
		if in.hashed == in.pos {
			in.eof = true
		}
	}
	return n, err
}

// ReadEnd returns the offset at which Read last met the end of the file
// (its size then), or -1 when it has not: what SHA256At is to hash of a
// file read to its end.
func (in *File) ReadEnd() int64 { return in.readEnd }

// account hashes and checks the bytes b just read at in.pos.
func (in *File) account(b []byte) error {
	start := in.pos
	in.pos += int64(len(b))
	if in.pos > in.hashed {
		skip := max(in.hashed-start, 0)
		if in.h != nil {
			in.h.Write(b[skip:])
		}
		in.hashed = in.pos
		if err := in.checkLines(b[skip:]); err != nil {
			return err
		}
	}
	if in.lim.MaxBytes > 0 && in.pos > in.lim.MaxBytes {
		return &LimitError{Path: in.path, Kind: in.lim.Kind, Limit: in.lim.MaxBytes}
	}
	return nil
}

// checkLines tracks line lengths over new bytes.
func (in *File) checkLines(b []byte) error {
	if in.lim.MaxLine <= 0 {
		return nil
	}
	for _, c := range b {
		if c == '\n' || c == '\r' {
			in.line, in.lineLen = in.line+1, 0
			continue
		}
		in.lineLen++
		if in.lineLen > in.lim.MaxLine {
			return &LimitError{Path: in.path, Kind: in.lim.Kind, Limit: in.lim.MaxLine, Line: in.line}
		}
	}
	return nil
}

// Rewind starts reading again at the first byte; an error for an input
// that is not a regular file.
func (in *File) Rewind() error {
	if !in.regular {
		return fmt.Errorf("%s is not a regular file (a pipe or device) and cannot be read twice: save it to a file first", in.path)
	}
	if _, err := in.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	in.pos = 0
	return nil
}

// Reader returns the input as an io.Reader that is also an io.Seeker for
// a regular file (so that a second pass can rewind it) and only an
// io.Reader otherwise.
func (in *File) Reader() io.Reader {
	if in.regular {
		return seekable{in}
	}
	return in
}

type seekable struct{ *File }

// Seek moves the read offset of a regular file.
func (s seekable) Seek(off int64, whence int) (int64, error) {
	p, err := s.f.Seek(off, whence)
	if err == nil {
		s.pos = p
	}
	return p, err
}

// SkipChecksum turns the hashing off for a reader that needs no checksum
// (clv summarize and clv fit); a later SHA256 reads a regular file again
// from its first byte.
func (in *File) SkipChecksum() { in.h = nil }

// SHA256 returns the hex SHA-256 of the whole input. The bytes not read
// yet are read now (a regular file read only in part, or accessed through
// OS); for a FIFO or device they must all have been read already.
func (in *File) SHA256() (string, error) {
	if in.h == nil { // SkipChecksum: hash from the first byte
		in.h, in.hashed, in.eof = sha256.New(), 0, false
	}
	if !in.eof {
		if !in.regular {
			return "", fmt.Errorf("%s: the checksum needs the whole input, which was not read to its end", in.path)
		}
		if _, err := in.f.Seek(in.hashed, io.SeekStart); err != nil {
			return "", err
		}
		in.pos = in.hashed
		if _, err := io.Copy(io.Discard, in); err != nil {
			return "", fmt.Errorf("reading %s: %w", in.path, err)
		}
		in.eof = true
	}
	return hex.EncodeToString(in.h.Sum(nil)), nil
}

// SHA256At returns the hex SHA-256 of the first size bytes of a regular
// file (its whole, to its end, when size < 0), read at offsets (pread): it
// neither moves nor hashes for Read, so it may run on another goroutine
// while the file is read (the checksum of a log read without hashing,
// computed aside; size is then ReadEnd's, so that bytes appended after the
// read are not hashed). A file now shorter than size is an error. It
// stops with the context's cause when the context ends.
func (in *File) SHA256At(size int64) (string, error) {
	if !in.regular {
		return "", fmt.Errorf("%s is not a regular file (a pipe or device): its checksum is taken while it is read", in.path)
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for off := int64(0); ; {
		if err := in.ctx.Err(); err != nil {
			return "", context.Cause(in.ctx)
		}
		b := buf
		if size >= 0 {
			b = buf[:min(int64(len(buf)), size-off)]
		}
		n, err := in.f.ReadAt(b, off)
		h.Write(b[:n])
		off += int64(n)
		if size >= 0 && off == size {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err == io.EOF && size >= 0 {
			err = io.ErrUnexpectedEOF // shortened since it was read
		}
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", in.path, err)
		}
	}
}

// Close closes the file.
func (in *File) Close() error {
	in.stop()
	return in.f.Close()
}

// ReadAll reads a whole input under ctx and lim.
func ReadAll(ctx context.Context, path string, lim Limits) ([]byte, error) {
	in, err := Open(ctx, path, lim)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	in.SkipChecksum()
	return io.ReadAll(in)
}
