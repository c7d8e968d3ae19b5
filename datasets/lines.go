package datasets

import (
	"bytes"
	"fmt"
	"io"
)

// maxRecord bounds a text line. A longer one is not a log.
const maxRecord = 1 << 20

// lineReader yields the physical lines of a text stream without their
// terminator (\n, \r\n, or \r alone in a file whose first block holds
// no \n: see detectTerminator; a final line may lack it). It reads in
// large blocks and returns slices of its buffer, valid until the next
// call.
type lineReader struct {
	r     io.Reader
	name  string
	buf   []byte
	start int // first unread byte in buf
	end   int // end of the data in buf
	eof   bool
	line  int64 // number of the last line returned, 1-based
	term  byte  // the line terminator: '\n', or '\r' for old Mac files
	// back holds lines given back by unread (joined by '\n'), served
	// before buf.
	back []byte
}

func newLineReader(r io.Reader, name string) *lineReader {
	return &lineReader{r: r, name: name, buf: make([]byte, 64<<10), term: '\n'}
}

// reset starts over on a new stream (used by the second pass).
func (lr *lineReader) reset(r io.Reader) {
	lr.r, lr.start, lr.end, lr.eof, lr.line, lr.back = r, 0, 0, false, 0, nil
}

// detectTerminator looks at the first block: a stream with a \r but no
// \n in it has old Mac (CR-only) line endings.
func (lr *lineReader) detectTerminator() error {
	head, err := lr.peek(64 << 10)
	if err != nil {
		return err
	}
	if bytes.IndexByte(head, '\n') >= 0 {
		return nil
	}
	if i := bytes.IndexByte(head, '\r'); i >= 0 && (i < len(head)-1 || lr.eof) {
		// (A \r that ends the block may be followed by a \n.)
		lr.term = '\r'
	}
	return nil
}

// next returns the next line, or io.EOF after the last.
func (lr *lineReader) next() ([]byte, error) {
	if lr.back != nil {
		return lr.nextBack(), nil
	}
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], lr.term); i >= 0 {
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

// nextBack serves a line given back by unread.
func (lr *lineReader) nextBack() []byte {
	line := lr.back
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line, lr.back = line[:i], line[i+1:]
	} else {
		lr.back = nil
	}
	lr.line++
	return line
}

// unread gives back lines already returned, joined by '\n' (the last
// without a terminator), so that the following calls to next return them
// again, numbered from firstLine. The text is copied.
func (lr *lineReader) unread(lines []byte, firstLine int64) {
	back := append([]byte{}, lines...)
	if lr.back != nil {
		back = append(append(back, '\n'), lr.back...)
	}
	lr.back = back
	lr.line = firstLine - 1
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
