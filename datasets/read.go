package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ReadOptions says how to read a transaction log: one row per purchase,
// with a customer id, a date (or timestamp) and optionally an amount.
//
// Formats. CSV (RFC 4180: quoted fields may hold delimiters, doubled quotes
// and line breaks; a bare quote inside an unquoted field is kept as text)
// with a comma, semicolon, tab or pipe between fields, whitespace-separated
// text (fields are runs of non-blank characters, as in the CDNOW files; no
// quoting) and Parquet. Line endings may be \n, \r\n or, in a file without
// any \n in its first 64 KiB, \r alone (old Mac exports). Spaces and tabs
// around unquoted fields are trimmed. Lines holding only spaces and tabs
// are blank: they are not rows (they are not counted in Accounting) but
// they do count in line numbers.
//
// Content, not the file name, decides how the bytes are read (see
// decodeInput): gzip-compressed logs are decompressed while streaming, a
// Parquet file is recognised by its magic bytes whatever its name, and
// text may be UTF-8 (with or without a byte order mark) or UTF-16 with a
// byte order mark. Binary data, other compressions and archives are
// refused with a message saying what the file looks like.
//
// A quoted field is bounded: one still open after maxQuotedLines lines or
// maxQuotedBytes bytes (or at the end of the file) is a stray quote. The
// line that opened it is then one bad row (malformed_quotes) and reading
// resumes at the next line, so that one stray quote costs one row.
//
// Columns are chosen by 0-based index (an option made of digits) or by
// header name (matched exactly, else ignoring case). Ids are kept exactly
// as written ("0001" stays "0001").
type ReadOptions struct {
	// Format is the file format; FormatAuto (the zero value) goes by the
	// content: Parquet's magic bytes, else the extension
	// (.csv is CSV, .tsv/.tab TSV), else the first non-blank line: the
	// most frequent of comma, tab, semicolon and pipe outside quotes
	// makes it CSV with that delimiter, and a line with none of them is
	// whitespace-separated.
	Format Format
	// Delimiter is the field separator of a text log; the zero value
	// (DelimiterAuto) detects it from the first non-blank line (for
	// Format csv: among comma, semicolon, tab and pipe, comma when none
	// appears). DelimiterTab is the TSV format and DelimiterWhitespace the
	// whitespace format; one that contradicts an explicit Format is an
	// error.
	Delimiter Delimiter
	// Header is "auto" (or ""), "yes" or "no". Auto finds a header when a
	// column is chosen by a name the first line holds. With every column
	// chosen by index, the first line is a header when none of its fields
	// reads as a number or as a date in the layout and its field in the
	// date position holds a letter; otherwise it is a data row, read,
	// checked and accounted for like any other (so "a,N/A,10" is a bad
	// row, not a header).
	Header string
	// Customer is the customer id column, by name or 0-based index
	// (ColumnNamed, ColumnAt, or ParseColumn for the command line's
	// convention); the zero value is the column named "customer_id".
	Customer Column
	// Date is the date column (zero value: "date").
	Date Column
	// Amount is the amount column, or NoColumn() for a count-only log.
	// Left at the zero value, the default "amount" is assumed: a log
	// whose header has an "amount" column uses it, and one without is
	// read as count-only (Summary.NoAmountReason says so). A
	// column named explicitly (even "amount") must exist, as the customer
	// and date columns must.
	Amount Column
	// DateFormat is the layout of the dates: "iso" (default, 2006-01-02),
	// "20060102" or "yyyymmdd", "rfc3339", "unix" or a Go layout (see
	// ParseDateLayout).
	DateFormat string
	// OnBadRow is "fail" (default: stop at the first bad row with a
	// *BadRowError) or "skip" (count the row in Accounting.RejectedBy, write
	// it to RejectsPath, and go on).
	OnBadRow string
	// RejectsPath, when set under skip, receives the rejected rows as CSV
	// (file,line,column,reason,text), written atomically. Under fail it is
	// not used.
	RejectsPath string
	// Start, when set, is the first day of the window: rows dated before
	// it are rejected as outside the window. Only its calendar date counts.
	Start time.Time
	// ExcludeAfterEnd, when set, sets aside rows dated after the window's
	// end (the holdout end, or the calibration end without a holdout)
	// instead of treating them as bad rows: they are valid purchases that
	// fall beyond the period studied (an early backtest origin, or a fit on
	// calibration data only). They are counted as rejected with the reason
	// after_window_end, so that every row is still accounted for, but they
	// stop nothing under the fail policy and are not written to the
	// rejects file.
	ExcludeAfterEnd bool
}

// Bounds of a quoted field (see ReadOptions).
const (
	maxQuotedLines = 32
	maxQuotedBytes = 64 << 10
)

// normalized option values
type readConfig struct {
	format   Format
	delim    Delimiter
	header   string // auto, yes, no
	customer Column
	date     Column
	amount   Column // the zero value: the default "amount", assumed
	dates    *dateParser
	skip     bool
	rejects  string
	// excludeAfterEnd: see ReadOptions.ExcludeAfterEnd.
	excludeAfterEnd bool
	// parallel is the number of parse workers of the parallel text reader
	// (0: one per processor; -1: read one row at a time, as tests compare)
	// and blockSize the size of its blocks (0: defaultBlockSize).
	parallel  int
	blockSize int
	// shards is the number of shards of the customer table, a power of two
	// (0: the largest power of two up to the number of processors; the
	// sequential reader, parallel -1, uses one).
	shards int
}

// shardBits returns log2 of the number of shards of the customer table.
func (c *readConfig) shardBits() uint {
	n := c.shards
	switch {
	case n <= 0 && c.parallel < 0:
		n = 1
	case n <= 0:
		n = runtime.GOMAXPROCS(0)
	}
	return uint(bits.Len(uint(n)) - 1)
}

func (ro ReadOptions) config() (*readConfig, error) {
	c := &readConfig{format: ro.Format, customer: ro.Customer, date: ro.Date, amount: ro.Amount,
		rejects: ro.RejectsPath, excludeAfterEnd: ro.ExcludeAfterEnd, delim: ro.Delimiter}
	if ro.Delimiter > DelimiterWhitespace {
		return nil, fmt.Errorf("unknown delimiter %d: use DelimiterAuto, DelimiterComma, DelimiterSemicolon, DelimiterTab, DelimiterPipe or DelimiterWhitespace", ro.Delimiter)
	}
	if ro.Format > FormatParquet {
		return nil, fmt.Errorf("unknown log format %d: use FormatAuto, FormatCSV, FormatTSV, FormatWhitespace or FormatParquet", ro.Format)
	}
	for _, col := range []Column{c.customer, c.date} {
		if col.IsNone() {
			return nil, fmt.Errorf("the customer id and date columns cannot be none")
		}
	}
	switch strings.ToLower(strings.TrimSpace(ro.Header)) {
	case "", "auto":
		c.header = "auto"
	case "yes", "true":
		c.header = "yes"
	case "no", "false":
		c.header = "no"
	default:
		return nil, fmt.Errorf("unknown header setting %s: use auto, yes or no", excerpt([]byte(ro.Header)))
	}
	switch strings.ToLower(strings.TrimSpace(ro.OnBadRow)) {
	case "", "fail":
	case "skip":
		c.skip = true
	default:
		return nil, fmt.Errorf("unknown bad-row policy %s: use fail or skip", excerpt([]byte(ro.OnBadRow)))
	}
	if c.customer.IsDefault() {
		c.customer = ColumnNamed("customer_id")
	}
	if c.date.IsDefault() {
		c.date = ColumnNamed("date")
	}
	dp, err := newDateParser(ro.DateFormat)
	if err != nil {
		return nil, err
	}
	c.dates = dp
	return c, nil
}

// Inspection describes how a log will be read: its format, header and the
// columns the options resolve to.
type Inspection struct {
	File   string
	Format Format // FormatCSV, FormatTSV, FormatWhitespace or FormatParquet
	// Delimiter is the field separator of a text log (zero for Parquet).
	Delimiter Delimiter
	Header    bool
	// Columns holds the header's names (for Parquet, the leaf column paths
	// joined by "."); nil without a header.
	Columns []string
	// Fields is the number of fields in a row: the header's, else the first
	// row's (0 for an empty log).
	Fields int
	// Customer, Date and Amount are the 0-based positions of the chosen
	// columns (Amount is -1 for a count-only log) and CustomerName,
	// DateName, AmountName their header names (the role names without a
	// header).
	Customer, Date, Amount             int
	CustomerName, DateName, AmountName string
	DateLayout                         string
	// NoAmountReason, for a log read without amounts, says why (the
	// amount column was set to none, or the default "amount" was assumed
	// and the log has no such column); "" when amounts are read.
	NoAmountReason string
}

// HasAmount reports whether the log has an amount column.
func (in *Inspection) HasAmount() bool { return in.Amount >= 0 }

// Inspect opens a log and resolves its format, header and columns without
// reading past the first row, so that a command can check its options
// quickly (clv validate).
func Inspect(path string, ro ReadOptions) (*Inspection, error) {
	c, err := ro.config()
	if err != nil {
		return nil, err
	}
	src, err := openFileSource(path, c)
	if err != nil {
		return nil, err
	}
	defer src.close()
	return src.inspection(), nil
}

// A logRow is one record of a log, parsed: either good (id, day, amount) or
// bad (bad != nil).
type logRow struct {
	line     int64
	id       []byte // valid until the next call to next
	day      int64
	amount   float64
	dateText []byte
	bad      *BadRowError
}

// logSource yields the rows of a log.
type logSource interface {
	// next reads the next row into r; false at the end.
	next(r *logRow) (bool, error)
	// rewind starts again at the first row; errNotRewindable when the
	// input cannot be read twice.
	rewind() error
	close() error
	inspection() *Inspection
}

var errNotRewindable = errors.New("input cannot be read twice")

// openFileSource opens a log file in the format its content and the
// options ask for.
func openFileSource(path string, c *readConfig) (logSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	reopen := func() (io.Reader, inputKind, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, inputText, errNotRewindable
		}
		return decodeInput(f, path)
	}
	src, err := openDecoded(f, path, c, f.Close, reopen)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// openReaderSource reads a text log from r; name is used in messages and
// for the extension. A second read needs r to be an io.Seeker.
func openReaderSource(r io.Reader, name string, c *readConfig) (logSource, error) {
	var reopen func() (io.Reader, inputKind, error)
	if rs, ok := r.(io.ReadSeeker); ok {
		if off, err := rs.Seek(0, io.SeekCurrent); err == nil {
			reopen = func() (io.Reader, inputKind, error) {
				if _, err := rs.Seek(off, io.SeekStart); err != nil {
					return nil, inputText, fmt.Errorf("%s: %w", name, err)
				}
				return decodeInput(rs, name)
			}
		}
	}
	return openDecoded(r, name, c, nil, reopen)
}

// openDecoded decodes the input and opens the source its content calls
// for. A Parquet file needs f (random access).
func openDecoded(r io.Reader, name string, c *readConfig, closer func() error, reopen func() (io.Reader, inputKind, error)) (logSource, error) {
	text, kind, err := decodeInput(r, name)
	if err != nil {
		return nil, err
	}
	if kind == inputParquet {
		f, ok := r.(*os.File)
		switch {
		case c.format != FormatAuto && c.format != FormatParquet:
			return nil, fmt.Errorf("%s is a Parquet file (it starts with the magic bytes PAR1), but the format is set to %s: set the format to auto or parquet", name, c.format)
		case !ok:
			return nil, fmt.Errorf("%s is a Parquet file, which needs random access: read it with SummarizeFile", name)
		}
		return newParquetSource(f, name, c)
	}
	if c.format == FormatParquet {
		return nil, fmt.Errorf("%s is not a Parquet file (it does not start with the magic bytes PAR1): set the format to auto, or convert the file", name)
	}
	return newTextSource(text, name, c, closer, reopen)
}

// resolveDelimiter settles the text format and delimiter from the
// options, the file name and the first bytes of the text.
func resolveDelimiter(c *readConfig, name string, head []byte) (Delimiter, error) {
	format := c.format
	if format == FormatAuto {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv":
			format = FormatCSV
		case ".tsv", ".tab":
			format = FormatTSV
		}
	}
	if c.delim != DelimiterAuto {
		ok := format == FormatAuto || format == FormatCSV && c.delim != DelimiterWhitespace ||
			format == FormatTSV && c.delim == DelimiterTab || format == FormatWhitespace && c.delim == DelimiterWhitespace
		if !ok && c.format != FormatAuto {
			return 0, fmt.Errorf("%s: the delimiter %s contradicts the format %s: set one of them to auto", name, c.delim, c.format)
		}
		return c.delim, nil
	}
	switch format {
	case FormatTSV:
		return DelimiterTab, nil
	case FormatWhitespace:
		return DelimiterWhitespace, nil
	case FormatCSV:
		if d := sniffDelimiter(head); d != DelimiterWhitespace {
			return d, nil
		}
		return DelimiterComma, nil
	}
	return sniffDelimiter(head), nil
}

// sniffDelimiter decides the delimiter from the first non-blank line of a
// log: the most frequent of comma, tab, semicolon and pipe outside quotes
// (ties in that order), else whitespace.
func sniffDelimiter(head []byte) Delimiter {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if isBlank(line) {
			continue
		}
		var counts [DelimiterWhitespace]int
		quoted := false
		for _, ch := range line {
			if ch == '"' {
				quoted = !quoted
			}
			if d := delimiterOf(ch); d != DelimiterAuto && !quoted {
				counts[d]++
			}
		}
		best := DelimiterWhitespace
		for _, d := range []Delimiter{DelimiterComma, DelimiterTab, DelimiterSemicolon, DelimiterPipe} {
			if counts[d] > 0 && (best == DelimiterWhitespace || counts[d] > counts[best]) {
				best = d
			}
		}
		return best
	}
	return DelimiterWhitespace
}

// resolveColumns fills in the positions and names of the customer, date
// and amount columns. header is nil for a log without one; fields is the
// number of fields of a row (0 if unknown).
func resolveColumns(in *Inspection, c *readConfig, header []string, fields int) error {
	in.DateLayout = c.dates.layout
	role := func(opt Column, what string, o Option) (int, string, error) {
		if header != nil {
			i := opt.find(header)
			if i < 0 {
				return 0, "", &OptionError{Option: o, File: in.File, Err: fmt.Errorf("no %s column %s in the header; the columns are: %s (choose the %s column by a name or a 0-based index)",
					what, opt.describe(), listColumns(header), what)}
			}
			return i, header[i], nil
		}
		i, ok := opt.Index()
		if !ok {
			return 0, "", &OptionError{Option: o, File: in.File, Err: fmt.Errorf("the log has no header, so the %s column must be given by 0-based index, not %s (or say that the first line is a header)",
				what, opt.describe())}
		}
		if fields > 0 && i >= fields {
			return 0, "", &OptionError{Option: o, File: in.File, Err: fmt.Errorf("%s column index %d is out of range: the first row has %d fields (indices are 0-based)", what, i, fields)}
		}
		return i, what, nil
	}
	var err error
	if in.Customer, in.CustomerName, err = role(c.customer, "customer_id", OptionCustomer); err != nil {
		return err
	}
	if in.Date, in.DateName, err = role(c.date, "date", OptionDate); err != nil {
		return err
	}
	in.Amount = -1
	switch {
	case c.amount.IsNone():
		in.NoAmountReason = "the amount column is set to none, a count-only log: name the amount column to compute revenue and CLV"
	case c.amount.IsDefault():
		// The default, assumed: use an "amount" column when there is one.
		if header != nil {
			if i := ColumnNamed("amount").find(header); i >= 0 {
				in.Amount, in.AmountName = i, header[i]
			}
		}
		if in.Amount < 0 {
			in.NoAmountReason = `no amount column was named and the log has no column called "amount"; name the amount column (the amount option) to compute revenue and CLV`
			if header == nil {
				in.NoAmountReason = `no amount column was named and the log has no header; give the amount column's 0-based index (the amount option) to compute revenue and CLV`
			}
		}
	default:
		if in.Amount, in.AmountName, err = role(c.amount, "amount", OptionAmount); err != nil {
			return err
		}
	}
	if in.Customer == in.Date {
		return fmt.Errorf("%s: the customer id and date options both choose column %d (%s; 0-based)", in.File, in.Customer, showName(in.DateName))
	}
	if in.Amount >= 0 && (in.Amount == in.Customer || in.Amount == in.Date) {
		return fmt.Errorf("%s: the amount option chooses column %d (%s; 0-based), already taken by the customer id or the date", in.File, in.Amount, showName(in.AmountName))
	}
	return nil
}

// listColumns lists header names for a message: each as a short escaped
// excerpt, at most maxListed of them.
func listColumns(header []string) string {
	const maxListed = 12
	var b strings.Builder
	for i, h := range header {
		if i == maxListed {
			fmt.Fprintf(&b, " and %d more", len(header)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(showName(h))
	}
	return b.String()
}

// showName shows a column name in a message: as it is when plain (see
// isPlainName), else as a short escaped excerpt.
func showName(h string) string {
	if isPlainName(h) {
		return h
	}
	return excerpt([]byte(h))
}

// isPlainName reports whether a column name can be shown unquoted: short,
// printable ASCII without commas or quotes.
func isPlainName(h string) bool {
	if h == "" || len(h) > maxExcerpt {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c >= 0x7f || c == ',' || c == '"' {
			return false
		}
	}
	return true
}
