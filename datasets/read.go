package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ReadOptions says how to read a transaction log: one row per purchase,
// with a customer id, a date (or timestamp) and optionally an amount.
//
// Formats. CSV (RFC 4180: quoted fields may hold delimiters, doubled quotes
// and line breaks; a bare quote inside an unquoted field is kept as text),
// TSV (the same with tabs), whitespace-separated text (fields are runs of
// non-blank characters, as in the CDNOW files; no quoting) and Parquet.
// Line endings may be \n or \r\n, a UTF-8 byte order mark is ignored, and
// spaces and tabs around unquoted fields are trimmed. Lines holding only
// spaces and tabs are blank: they are not rows (they are not counted in
// Accounting) but they do count in line numbers.
//
// Columns are chosen by 0-based index (an option made of digits) or by
// header name (matched exactly, else ignoring case). Ids are kept exactly
// as written ("0001" stays "0001").
type ReadOptions struct {
	// Format is "auto" (or ""), "csv", "tsv", "whitespace" or "parquet".
	// Auto goes by the extension (.csv, .tsv/.tab, .parquet/.pq) and
	// otherwise by content: Parquet's magic bytes, else a first line with
	// commas is CSV, with tabs TSV, and anything else whitespace-separated
	// (so .txt and .dat files are whitespace unless they hold commas or tabs).
	Format string
	// Header is "auto" (or ""), "yes" or "no". Auto finds a header when a
	// column is chosen by a name the first line holds, or, with columns
	// chosen by index, when the first line's field in the date or amount
	// position holds a letter and is neither a number nor a date.
	Header string
	// Customer is the customer id column: a header name or a 0-based index
	// (default "customer_id").
	Customer string
	// Date is the date column (default "date").
	Date string
	// Amount is the amount column (default "amount"), or "none" for a
	// count-only log. Left at the default, a log without an "amount" column
	// is read as count-only; a column named explicitly must exist.
	Amount string
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

// Format names.
const (
	FormatCSV        = "csv"
	FormatTSV        = "tsv"
	FormatWhitespace = "whitespace"
	FormatParquet    = "parquet"
)

// normalized option values
type readConfig struct {
	format   string // "", csv, tsv, whitespace, parquet ("" = auto)
	header   string // auto, yes, no
	customer string
	date     string
	amount   string // "" = default "amount"
	dates    *dateParser
	skip     bool
	rejects  string
	// excludeAfterEnd: see ReadOptions.ExcludeAfterEnd.
	excludeAfterEnd bool
}

func (ro ReadOptions) config() (*readConfig, error) {
	c := &readConfig{customer: strings.TrimSpace(ro.Customer), date: strings.TrimSpace(ro.Date),
		amount: strings.TrimSpace(ro.Amount), rejects: ro.RejectsPath, excludeAfterEnd: ro.ExcludeAfterEnd}
	switch strings.ToLower(strings.TrimSpace(ro.Format)) {
	case "", "auto":
	case "csv":
		c.format = FormatCSV
	case "tsv", "tab":
		c.format = FormatTSV
	case "whitespace", "ws", "space", "txt":
		c.format = FormatWhitespace
	case "parquet":
		c.format = FormatParquet
	default:
		return nil, fmt.Errorf("unknown log format %q: use auto, csv, tsv, whitespace or parquet", ro.Format)
	}
	switch strings.ToLower(strings.TrimSpace(ro.Header)) {
	case "", "auto":
		c.header = "auto"
	case "yes", "true":
		c.header = "yes"
	case "no", "false":
		c.header = "no"
	default:
		return nil, fmt.Errorf("unknown header setting %q: use auto, yes or no", ro.Header)
	}
	switch strings.ToLower(strings.TrimSpace(ro.OnBadRow)) {
	case "", "fail":
	case "skip":
		c.skip = true
	default:
		return nil, fmt.Errorf("unknown bad-row policy %q: use fail or skip", ro.OnBadRow)
	}
	if c.customer == "" {
		c.customer = "customer_id"
	}
	if c.date == "" {
		c.date = "date"
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
	Format string // csv, tsv, whitespace or parquet
	Header bool
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

// openFileSource opens a log file in the format the options ask for.
func openFileSource(path string, c *readConfig) (logSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	format := c.format
	if format == "" {
		format = formatByExtension(path)
	}
	if format == "" {
		var magic [4]byte
		n, _ := io.ReadFull(f, magic[:])
		if n == 4 && string(magic[:]) == "PAR1" {
			format = FormatParquet
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if format == FormatParquet {
		src, err := newParquetSource(f, path, c)
		if err != nil {
			f.Close()
			return nil, err
		}
		return src, nil
	}
	src, err := newTextSource(f, path, format, c, f.Close)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// openReaderSource reads a text log from r; name is used in messages and
// for the extension.
func openReaderSource(r io.Reader, name string, c *readConfig) (logSource, error) {
	format := c.format
	if format == "" {
		format = formatByExtension(name)
	}
	if format == FormatParquet {
		return nil, fmt.Errorf("%s: Parquet needs random access: read it with SummarizeFile", name)
	}
	return newTextSource(r, name, format, c, nil)
}

// formatByExtension returns the format a file name implies, or "" to
// decide by content.
func formatByExtension(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".parquet", ".pq":
		return FormatParquet
	}
	return ""
}

// sniffFormat decides a text format from the first bytes of a log: its
// first non-blank line with commas is CSV, with tabs TSV (the more
// frequent wins), else whitespace-separated.
func sniffFormat(head []byte) string {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if isBlank(trimCR(line)) {
			continue
		}
		commas, tabs := bytes.Count(line, []byte{','}), bytes.Count(line, []byte{'\t'})
		switch {
		case commas > 0 && commas >= tabs:
			return FormatCSV
		case tabs > 0:
			return FormatTSV
		}
		return FormatWhitespace
	}
	return FormatWhitespace
}

// isIndex reports whether a column option is a 0-based index.
func isIndex(s string) (int, bool) {
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

// findColumn returns the position of a column option in a header: an
// option made of digits is a 0-based index, anything else a name, matched
// exactly, else ignoring case; -1 when absent.
func findColumn(header []string, opt string) int {
	if n, ok := isIndex(opt); ok {
		if n < len(header) {
			return n
		}
		return -1
	}
	for i, h := range header {
		if h == opt {
			return i
		}
	}
	for i, h := range header {
		if strings.EqualFold(h, opt) {
			return i
		}
	}
	return -1
}

// resolveColumns fills in the positions and names of the customer, date
// and amount columns. header is nil for a log without one; fields is the
// number of fields of a row (0 if unknown).
func resolveColumns(in *Inspection, c *readConfig, header []string, fields int) error {
	in.DateLayout = c.dates.layout
	role := func(opt, what string, o Option) (int, string, error) {
		if header != nil {
			i := findColumn(header, opt)
			if i < 0 {
				return 0, "", &OptionError{Option: o, File: in.File, Err: fmt.Errorf("no %s column %q in the header; the columns are: %s (choose the %s column by a name or a 0-based index)",
					what, opt, strings.Join(header, ", "), what)}
			}
			return i, header[i], nil
		}
		i, ok := isIndex(opt)
		if !ok {
			return 0, "", &OptionError{Option: o, File: in.File, Err: fmt.Errorf("the log has no header, so the %s column must be given by 0-based index, not %q (or say that the first line is a header)",
				what, opt)}
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
	case strings.EqualFold(c.amount, "none"):
	case c.amount == "" || c.amount == "amount":
		// The default: use an "amount" column when there is one.
		if header != nil {
			if i := findColumn(header, "amount"); i >= 0 {
				in.Amount, in.AmountName = i, header[i]
			}
		}
	default:
		if in.Amount, in.AmountName, err = role(c.amount, "amount", OptionAmount); err != nil {
			return err
		}
	}
	if in.Customer == in.Date {
		return fmt.Errorf("%s: the customer id and date options both choose column %d (%s; 0-based)", in.File, in.Customer, in.DateName)
	}
	if in.Amount >= 0 && (in.Amount == in.Customer || in.Amount == in.Date) {
		return fmt.Errorf("%s: the amount option chooses column %d (%s; 0-based), already taken by the customer id or the date", in.File, in.Amount, in.AmountName)
	}
	return nil
}
