package datasets

import (
	"fmt"
	"strconv"
	"strings"
)

// Format is the file format of a transaction log.
type Format uint8

// The formats. FormatAuto, the zero value, decides by content (see
// ReadOptions.Format).
const (
	FormatAuto       Format = iota
	FormatCSV               // delimited text with RFC 4180 quoting
	FormatTSV               // CSV with tabs
	FormatWhitespace        // fields are runs of non-blank characters, no quoting
	FormatParquet
)

var formatNames = [...]string{"auto", "csv", "tsv", "whitespace", "parquet"}

// String returns the format's name, as ParseFormat reads it.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat reads a format name: auto (or empty), csv, tsv, whitespace or
// parquet, in any case.
func ParseFormat(s string) (Format, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return FormatAuto, nil
	}
	for i, n := range formatNames {
		if t == n {
			return Format(i), nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown log format %s: use auto, csv, tsv, whitespace or parquet", excerpt([]byte(s)))
}

// Column chooses a column of a log: by header name or by 0-based index,
// said explicitly, so that a column named "2024" can be chosen by its
// name. The zero value is the role's default (customer_id, date, and for
// the amount the assumed "amount" described at ReadOptions.Amount);
// NoColumn marks a count-only log's amount.
type Column struct {
	kind  columnKind
	name  string
	index int
}

type columnKind uint8

const (
	columnDefault columnKind = iota
	columnByName
	columnByIndex
	columnNone
)

// ColumnNamed chooses the column with this header name (matched exactly,
// else ignoring case).
func ColumnNamed(name string) Column { return Column{kind: columnByName, name: name} }

// ColumnAt chooses the column at a 0-based index.
func ColumnAt(index int) Column { return Column{kind: columnByIndex, index: index} }

// NoColumn says there is no such column: for the amount, a count-only
// log.
func NoColumn() Column { return Column{kind: columnNone} }

// ParseColumn reads a column option as the command line and configs
// write it: empty for the default, "none" for NoColumn, digits for a
// 0-based index, anything else a header name.
func ParseColumn(s string) Column {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Column{}
	case strings.EqualFold(s, "none"):
		return NoColumn()
	}
	if n, ok := digitsIndex(s); ok {
		return ColumnAt(n)
	}
	return ColumnNamed(s)
}

// digitsIndex reads an index written in digits.
func digitsIndex(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// IsDefault reports whether the column is left to its default.
func (c Column) IsDefault() bool { return c.kind == columnDefault }

// IsNone reports whether the column is NoColumn.
func (c Column) IsNone() bool { return c.kind == columnNone }

// Index returns the 0-based index of a column chosen by index.
func (c Column) Index() (int, bool) { return c.index, c.kind == columnByIndex }

// Name returns the header name of a column chosen by name.
func (c Column) Name() (string, bool) { return c.name, c.kind == columnByName }

// String returns the name, "#i" for an index, "none" or "default".
func (c Column) String() string {
	switch c.kind {
	case columnByName:
		return c.name
	case columnByIndex:
		return "#" + strconv.Itoa(c.index)
	case columnNone:
		return "none"
	}
	return "default"
}

// describe shows the column in a message.
func (c Column) describe() string {
	if c.kind == columnByIndex {
		return "index " + strconv.Itoa(c.index)
	}
	return excerpt([]byte(c.name))
}

// find returns the position of the column in a header (by name: exactly,
// else ignoring case), -1 when absent.
func (c Column) find(header []string) int {
	if c.kind == columnByIndex {
		if c.index < len(header) {
			return c.index
		}
		return -1
	}
	for i, h := range header {
		if h == c.name {
			return i
		}
	}
	for i, h := range header {
		if strings.EqualFold(h, c.name) {
			return i
		}
	}
	return -1
}
