package datasets

import (
	"fmt"
	"strings"
)

// Delimiter is the field separator of a text log: the separating byte
// itself (a tab, or printable ASCII other than a letter, a digit or the
// quote), a
// space for whitespace-separated text (runs of spaces and tabs, no
// quoting), or DelimiterAuto, the zero value, to detect it from the first
// non-blank line (see ReadOptions.Format).
type Delimiter byte

// The delimiters with names. Other printable ASCII characters (not letters,
// digits or the quote) are delimiters too: Delimiter(':').
const (
	DelimiterAuto       Delimiter = 0
	DelimiterComma      Delimiter = ','
	DelimiterSemicolon  Delimiter = ';' // spreadsheets in locales with a decimal comma
	DelimiterTab        Delimiter = '\t'
	DelimiterPipe       Delimiter = '|'
	DelimiterWhitespace Delimiter = ' '
)

// delimiterNames are the named delimiters, in the order sniffing prefers
// them on a tie.
var delimiterNames = []struct {
	d    Delimiter
	name string
}{{DelimiterComma, "comma"}, {DelimiterTab, "tab"}, {DelimiterSemicolon, "semicolon"}, {DelimiterPipe, "pipe"}, {DelimiterWhitespace, "whitespace"}}

// String returns the delimiter's name (comma, semicolon, tab, pipe,
// whitespace or auto), or the character itself, as ParseDelimiter reads
// it.
func (d Delimiter) String() string {
	if d == DelimiterAuto {
		return "auto"
	}
	for _, n := range delimiterNames {
		if n.d == d {
			return n.name
		}
	}
	if d.valid() {
		return string(rune(d))
	}
	return fmt.Sprintf("Delimiter(%#x)", byte(d))
}

// valid reports whether d can separate fields: not a letter or a digit,
// which values are made of.
func (d Delimiter) valid() bool {
	switch {
	case d == DelimiterAuto || d == DelimiterTab || d == DelimiterWhitespace:
		return true
	case d <= ' ' || d >= 0x7f || d == '"':
		return false
	}
	return !(d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z')
}

// char returns the separating byte (0 for whitespace and auto).
func (d Delimiter) char() byte {
	if d == DelimiterWhitespace {
		return 0
	}
	return byte(d)
}

// DelimiterOf returns the delimiter of a separating character: ' ' for
// whitespace, 0 for auto. A character that cannot separate fields (a
// quote, a line break, a letter outside ASCII) is an error, and the
// delimiter returned then makes ReadOptions fail with the same message.
func DelimiterOf(r rune) (Delimiter, error) {
	d := Delimiter(r)
	if r >= 0x80 || !d.valid() {
		return Delimiter(0x7f), fmt.Errorf("%q cannot separate fields: use a tab, whitespace, or a printable ASCII character other than a letter, a digit or the quote", r)
	}
	return d, nil
}

const delimiterAdvice = "use auto, comma, semicolon, tab, pipe, whitespace or one printable ASCII character other than a letter, a digit or the quote"

// ParseDelimiter reads a delimiter setting: auto (or empty), a name
// (comma, semicolon, tab, pipe, whitespace or space), `\t`, or one
// character (",", ";", "|", a tab, ":" ...).
func ParseDelimiter(s string) (Delimiter, error) {
	if s == "\t" || s == " " {
		return Delimiter(s[0]), nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	switch {
	case t == "" && s != "":
		return DelimiterAuto, fmt.Errorf("unknown delimiter %s: %s", excerpt([]byte(s)), delimiterAdvice)
	}
	switch t {
	case "", "auto":
		return DelimiterAuto, nil
	case `\t`:
		return DelimiterTab, nil
	case "space":
		return DelimiterWhitespace, nil
	}
	for _, n := range delimiterNames {
		if t == n.name {
			return n.d, nil
		}
	}
	if len(s) == 1 && Delimiter(s[0]).valid() {
		return Delimiter(s[0]), nil
	}
	return DelimiterAuto, fmt.Errorf("unknown delimiter %s: %s", excerpt([]byte(s)), delimiterAdvice)
}
