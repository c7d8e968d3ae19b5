package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Input decoding. What a log file holds is decided by its content, not its
// name: gzip compression (magic bytes 1f 8b) is undone while streaming, a
// Parquet file is recognised by its magic bytes PAR1, and a text log may
// start with a byte order mark: UTF-8 (EF BB BF, dropped), UTF-16 little
// endian (FF FE) or big endian (FE FF), transcoded to UTF-8 while
// streaming, as spreadsheet programs export. Other compressions, archives
// (a ZIP or an .xlsx workbook), UTF-32 and binary data are refused with a
// message saying what the file looks like and what to do.

// inputKind is what decodeInput found.
type inputKind uint8

const (
	inputText    inputKind = iota // a text log (decoded to UTF-8)
	inputParquet                  // a Parquet file (needs random access)
)

// magic numbers of formats that are refused, with what to do about them.
var refusedMagic = []struct {
	magic, what string
}{
	{"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one): unzip it, or save the sheet as CSV"},
	{"BZh", "compressed with bzip2: decompress it first (bunzip2), or compress it with gzip, which is read directly"},
	{"\xfd7zXZ\x00", "compressed with xz: decompress it first (unxz), or compress it with gzip, which is read directly"},
	{"\x28\xb5\x2f\xfd", "compressed with zstd: decompress it first (unzstd), or compress it with gzip, which is read directly"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: extract the log first"},
	{"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other Office file: save the sheet as CSV"},
	{"\xff\xfe\x00\x00", "UTF-32 text: save it as UTF-8 or UTF-16"},
	{"\x00\x00\xfe\xff", "UTF-32 text: save it as UTF-8 or UTF-16"},
}

// decodeInput looks at the first bytes of r and returns the stream of
// UTF-8 text to read (for a text log) or inputParquet.
func decodeInput(r io.Reader, name string) (io.Reader, inputKind, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, inputText, fmt.Errorf("%s: %w", name, err)
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, inputText, fmt.Errorf("%s: starts like a gzip file but cannot be decompressed: %v", name, err)
		}
		text, kind, err := decodeText(gz, name+" (gzip)")
		if err == nil && kind == inputParquet {
			err = fmt.Errorf("%s is a gzip-compressed Parquet file: decompress it first (gunzip), Parquet compresses its own columns", name)
		}
		return text, inputText, err
	}
	return decodeText(br, name)
}

// decodeText handles the content under any gzip layer.
func decodeText(r io.Reader, name string) (io.Reader, inputKind, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 4096)
	}
	head, err := br.Peek(8)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, inputText, fmt.Errorf("%s: %w", name, err)
	}
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return nil, inputParquet, nil
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		return nil, inputText, fmt.Errorf("%s is compressed twice with gzip: decompress it once first", name)
	}
	for _, m := range refusedMagic {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return nil, inputText, fmt.Errorf("%s is not a text log: it is %s", name, m.what)
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br, name: name}, inputText, nil
	case bytes.HasPrefix(head, []byte("\xfe\xff")):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br, name: name, bigEndian: true}, inputText, nil
	}
	return br, inputText, nil
}

// checkText refuses a stream whose first block is not text: NUL bytes
// (binary data, or UTF-16 without a byte order mark) or many control
// characters.
func checkText(head []byte, name string) error {
	if len(head) == 0 {
		return nil
	}
	nul := bytes.Count(head, []byte{0})
	if nul > 0 {
		// UTF-16 text of ASCII characters has a NUL in every other byte,
		// all on one parity; binary data (all NUL, say) does not.
		if looksLikeUTF16(head, nul) {
			return fmt.Errorf("%s looks like UTF-16 text without a byte order mark: save it as UTF-8 (or as UTF-16 with a byte order mark)", name)
		}
		return fmt.Errorf("%s is binary data, not a text log (it holds NUL bytes, first at byte %d): give a CSV, TSV, whitespace-separated, gzip-compressed or Parquet log",
			name, bytes.IndexByte(head, 0))
	}
	control := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' || c == 0x7f {
			control++
		}
	}
	if control*100 > len(head) {
		return fmt.Errorf("%s is binary data, not a text log (%d control characters in its first %d bytes): give a CSV, TSV, whitespace-separated, gzip-compressed or Parquet log",
			name, control, len(head))
	}
	return nil
}

// looksLikeUTF16 reports whether head, holding nul NUL bytes, has the
// shape of mostly-ASCII UTF-16 without a byte order mark: at least a third
// and at most two thirds of its bytes NUL, nearly all at even offsets or
// nearly all at odd ones.
func looksLikeUTF16(head []byte, nul int) bool {
	if nul*3 < len(head) || nul*3 > 2*len(head) {
		return false
	}
	even := 0
	for i := 0; i < len(head); i += 2 {
		if head[i] == 0 {
			even++
		}
	}
	odd := nul - even
	return even*10 >= nul*9 || odd*10 >= nul*9
}

// utf16Reader transcodes UTF-16 (after its byte order mark) to UTF-8 while
// streaming. Unpaired surrogates become U+FFFD; an odd final byte is an
// error.
type utf16Reader struct {
	r         io.Reader
	name      string
	bigEndian bool
	in        []byte // undecoded bytes (at most one unit or a high surrogate)
	raw       []byte
	out       []byte // decoded bytes not yet returned
	eof       bool
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.eof {
			if len(u.in) > 0 {
				u.in = nil
				return 0, fmt.Errorf("%s: UTF-16 text ends in the middle of a character (an odd number of bytes)", u.name)
			}
			return 0, io.EOF
		}
		if err := u.decodeMore(); err != nil {
			return 0, err
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// decodeMore reads a block and decodes every complete character in it.
func (u *utf16Reader) decodeMore() error {
	if u.raw == nil {
		u.raw = make([]byte, 32<<10)
	}
	n, err := u.r.Read(u.raw)
	u.in = append(u.in, u.raw[:n]...)
	if err == io.EOF {
		u.eof = true
	} else if err != nil {
		return fmt.Errorf("%s: %w", u.name, err)
	}
	out := u.out[:0]
	in := u.in
	for len(in) >= 2 {
		c := u.unit(in)
		if utf16.IsSurrogate(rune(c)) && c < 0xdc00 {
			if len(in) < 4 {
				if !u.eof {
					break // wait for the low surrogate
				}
				out = utf8.AppendRune(out, utf8.RuneError)
				in = in[2:]
				continue
			}
			r := utf16.DecodeRune(rune(c), rune(u.unit(in[2:])))
			if r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
				in = in[4:]
				continue
			}
			out = utf8.AppendRune(out, utf8.RuneError)
			in = in[2:]
			continue
		}
		if utf16.IsSurrogate(rune(c)) {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = utf8.AppendRune(out, rune(c))
		}
		in = in[2:]
	}
	u.in = append(u.in[:0], in...)
	u.out = out
	return nil
}

func (u *utf16Reader) unit(b []byte) uint16 {
	if u.bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

// openTextStream decodes a small text table (a summary or survival CSV)
// as decodeInput does, refuses Parquet and binary data, and turns CR-only
// line endings into \n, for encoding/csv.
func openTextStream(r io.Reader, name, what string) (io.Reader, error) {
	text, kind, err := decodeInput(r, name)
	if err != nil {
		return nil, err
	}
	if kind == inputParquet {
		return nil, fmt.Errorf("%s is a Parquet file, but %s is read from CSV: export it as CSV", name, what)
	}
	br := bufio.NewReaderSize(text, 8<<10)
	head, err := br.Peek(8 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkText(head, name); err != nil {
		return nil, err
	}
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		return crReader{br}, nil
	}
	return br, nil
}

// crReader turns \r into \n (old Mac line endings).
type crReader struct{ r io.Reader }

func (c crReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
