package datasets

import (
	"bytes"
	"fmt"
	"io"
)

// maxRecord bounds a text record (a line, or the lines of a record whose
// quoted field holds line breaks). A longer one is not a log.
const maxRecord = 1 << 20

// lineReader yields the physical lines of a text stream without their
// terminator (\n or \r\n; a final line may lack it). It reads in large
// blocks and returns slices of its buffer, valid until the next call.
type lineReader struct {
	r     io.Reader
	name  string
	buf   []byte
	start int // first unread byte in buf
	end   int // end of the data in buf
	eof   bool
	line  int64 // number of the last line returned, 1-based
}

func newLineReader(r io.Reader, name string) *lineReader {
	return &lineReader{r: r, name: name, buf: make([]byte, 64<<10)}
}

// reset starts over on a new stream (used by the second pass).
func (lr *lineReader) reset(r io.Reader) {
	lr.r, lr.start, lr.end, lr.eof, lr.line = r, 0, 0, false, 0
}

// next returns the next line, or io.EOF after the last.
func (lr *lineReader) next() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			line := lr.buf[lr.start : lr.start+i]
			lr.start += i + 1
			lr.line++
			return trimCR(line), nil
		}
		if lr.eof {
			if lr.start < lr.end {
				line := lr.buf[lr.start:lr.end]
				lr.start = lr.end
				lr.line++
				return trimCR(line), nil
			}
			return nil, io.EOF
		}
		if err := lr.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more data, moving the unread part to the front of the
// buffer and growing it for a long line.
func (lr *lineReader) fill() error {
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start = 0
	}
	if lr.end == len(lr.buf) {
		if len(lr.buf) > maxRecord {
			return fmt.Errorf("%s:%d: line longer than %d bytes: is this a text log with \\n line endings?", lr.name, lr.line+1, maxRecord)
		}
		nb := make([]byte, 2*len(lr.buf))
		copy(nb, lr.buf[:lr.end])
		lr.buf = nb
	}
	n, err := lr.r.Read(lr.buf[lr.end:])
	lr.end += n
	if err == io.EOF {
		lr.eof = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", lr.name, err)
	}
	return nil
}

// peek returns up to n bytes from the start of the unread data, without
// consuming them (fewer at the end of the stream).
func (lr *lineReader) peek(n int) ([]byte, error) {
	for lr.end-lr.start < n && !lr.eof {
		if err := lr.fill(); err != nil {
			return nil, err
		}
	}
	if lr.end-lr.start < n {
		n = lr.end - lr.start
	}
	return lr.buf[lr.start : lr.start+n], nil
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
