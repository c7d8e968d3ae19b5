package datasets

import (
	"fmt"
	"strings"
)

// Delimiter is the field separator of a text log. The zero value,
// DelimiterAuto, detects it from the first non-blank line (see
// ReadOptions.Format).
type Delimiter uint8

// The delimiters.
const (
	DelimiterAuto       Delimiter = iota
	DelimiterComma                // ,
	DelimiterSemicolon            // ; (spreadsheets in locales with a decimal comma)
	DelimiterTab                  // tab: the TSV format
	DelimiterPipe                 // |
	DelimiterWhitespace           // runs of spaces and tabs, no quoting
)

var delimiterNames = [...]string{"auto", "comma", "semicolon", "tab", "pipe", "whitespace"}

// String returns the delimiter's name, as ParseDelimiter reads it.
func (d Delimiter) String() string {
	if int(d) < len(delimiterNames) {
		return delimiterNames[d]
	}
	return fmt.Sprintf("Delimiter(%d)", uint8(d))
}

// char returns the separating byte (0 for whitespace and auto).
func (d Delimiter) char() byte {
	switch d {
	case DelimiterComma:
		return ','
	case DelimiterSemicolon:
		return ';'
	case DelimiterTab:
		return '\t'
	case DelimiterPipe:
		return '|'
	}
	return 0
}

// delimiterOf returns the delimiter a byte stands for (DelimiterAuto for
// none).
func delimiterOf(c byte) Delimiter {
	switch c {
	case ',':
		return DelimiterComma
	case ';':
		return DelimiterSemicolon
	case '\t':
		return DelimiterTab
	case '|':
		return DelimiterPipe
	}
	return DelimiterAuto
}

// ParseDelimiter reads a delimiter setting: auto (or empty), comma or ",",
// semicolon or ";", tab or "\t" (a real tab or the two characters), pipe or
// "|", whitespace (or space).
func ParseDelimiter(s string) (Delimiter, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); {
	case t == "" && s != "" && strings.Trim(s, "\t") == "":
		return DelimiterTab, nil
	case t == "" || t == "auto":
		return DelimiterAuto, nil
	case t == "," || t == "comma":
		return DelimiterComma, nil
	case t == ";" || t == "semicolon":
		return DelimiterSemicolon, nil
	case t == `\t` || t == "tab":
		return DelimiterTab, nil
	case t == "|" || t == "pipe":
		return DelimiterPipe, nil
	case t == "whitespace" || t == "space":
		return DelimiterWhitespace, nil
	}
	return DelimiterAuto, fmt.Errorf("unknown delimiter %s: use auto, comma, semicolon, tab, pipe or whitespace", excerpt([]byte(s)))
}
