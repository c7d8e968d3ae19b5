package datasets

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// BadRowError describes one input row that cannot be used: where it is,
// what is wrong and what to do about it. Its message reads like
//
//	data.csv:17: column 1 (date): cannot parse "1997-13-01" as a date with layout 2006-01-02: fix the row, change the date format, or skip bad rows
//
// Column numbers are 0-based, as the column options count them. Options
// lists the options that can fix the row, so that the layer that knows how
// the user spoke (a flag, a config key) can name them.
//
// Under the fail policy (the default) reading stops at the first bad row
// and returns it as a *BadRowError; under skip the row is counted in
// Accounting.RejectedBy and written to the rejects file.
type BadRowError struct {
	File string // the file name as given
	// Line is the 1-based line number, counting the header and blank lines;
	// for a record spanning several lines (a quoted field holding a line
	// break) it is the record's first line. For Parquet (RowNumber true) it
	// is the 1-based row number.
	Line      int64
	RowNumber bool
	// Column is the header name of the offending column (or its role,
	// customer_id, date or amount, without a header) and ColumnIndex its
	// 0-based position; Column is empty and ColumnIndex -1 for a problem
	// with the whole row.
	Column      string
	ColumnIndex int
	Text        string // the offending text (the whole row for a row problem), clipped to 200 bytes
	Reason      Reason
	Detail      string // what is wrong, e.g. `cannot parse "x" as an amount`
	Hint        string // what to do about it, naming no flag or key
	// Options are the options that can fix the row, in the order Hint
	// names them (the last is OptionOnBadRow: skip such rows).
	Options []Option
}

// Error returns the location, the problem and the hint on one line.
func (e *BadRowError) Error() string {
	loc := e.File + ":" + strconv.FormatInt(e.Line, 10)
	if e.RowNumber {
		loc = e.File + ": row " + strconv.FormatInt(e.Line, 10)
	}
	if e.ColumnIndex >= 0 && e.Column != "" {
		loc += fmt.Sprintf(": column %d (%s)", e.ColumnIndex, e.Column)
	}
	return loc + ": " + e.Detail + ": " + e.Hint
}

// hints says what to do about each reason, in words that name no flag or
// config key.
var hints = map[Reason]string{
	ReasonFieldCount:    "fix the row (a missing field, or a delimiter inside an unquoted value?), or skip bad rows",
	ReasonBadQuote:      `fix the quoting (a quote inside a quoted field is written twice: ""), or skip bad rows`,
	ReasonMissingID:     "fill in the customer id, or skip bad rows",
	ReasonBadDate:       "fix the row, change the date format, or skip bad rows",
	ReasonBadAmount:     "fix the row, choose another amount column (none for a count-only log), or skip bad rows",
	ReasonNegative:      "refunds and returns are not purchases: net them out before summarizing, or skip bad rows",
	ReasonNonFinite:     "fix the row, or skip bad rows",
	ReasonOutsideWindow: "skip bad rows to leave such rows out",
}

// reasonOptions are the options that can fix a row rejected for each
// reason (a row outside the window names its window end itself).
func reasonOptions(r Reason) []Option {
	switch r {
	case ReasonBadDate:
		return []Option{OptionDateFormat, OptionOnBadRow}
	case ReasonBadAmount:
		return []Option{OptionAmount, OptionOnBadRow}
	}
	return []Option{OptionOnBadRow}
}

// maxText is how much of an offending text a BadRowError keeps.
const maxText = 200

// clip returns b as a string of at most maxText bytes (cut at a rune
// boundary), marked with "..." when cut.
func clip(b []byte) string {
	if len(b) <= maxText {
		return string(b)
	}
	n := maxText
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// maxExcerpt is how many bytes of input a message quotes.
const maxExcerpt = 40

// excerpt returns at most maxExcerpt bytes of b (cut at a rune boundary)
// quoted and escaped as Go does (%q), followed by "..." when cut: the form
// in which messages quote input, so that no raw bytes of a file (control
// characters, binary data, a long line) reach a terminal or a log.
func excerpt(b []byte) string {
	if len(b) <= maxExcerpt {
		return strconv.Quote(string(b))
	}
	n := maxExcerpt
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return strconv.Quote(string(b[:n])) + "..."
}

// rejectsHeader is the header of a rejects file.
var rejectsHeader = []string{"file", "line", "column", "reason", "text"}

// rejectWriter writes rejected rows as CSV to a temporary file beside its
// destination and renames it into place on commit, so that a reader never
// sees a half-written rejects file.
type rejectWriter struct {
	path string
	tmp  *os.File
	buf  *bufio.Writer
	w    *csv.Writer
}

// newRejectWriter starts a rejects file at path.
func newRejectWriter(path string) (*rejectWriter, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	rw := &rejectWriter{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, 64<<10)}
	rw.w = csv.NewWriter(rw.buf)
	if err := rw.w.Write(rejectsHeader); err != nil {
		rw.abort()
		return nil, fmt.Errorf("rejects file %s: %w", path, err)
	}
	return rw, nil
}

// write appends one rejected row.
func (rw *rejectWriter) write(e *BadRowError) error {
	if err := rw.w.Write([]string{SpreadsheetSafe(e.File), strconv.FormatInt(e.Line, 10), e.Column, string(e.Reason), SpreadsheetSafe(e.Text)}); err != nil {
		return fmt.Errorf("rejects file %s: %w", rw.path, err)
	}
	return nil
}

// commit flushes the file and moves it into place.
func (rw *rejectWriter) commit() error {
	rw.w.Flush()
	err := rw.w.Error()
	if err == nil {
		err = rw.buf.Flush()
	}
	if err == nil {
		err = rw.tmp.Chmod(0o644) // CreateTemp makes the file private
	}
	if err == nil {
		err = rw.tmp.Sync()
	}
	if cerr := rw.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(rw.tmp.Name(), rw.path)
	}
	if err != nil {
		_ = os.Remove(rw.tmp.Name())
		return fmt.Errorf("rejects file %s: %w", rw.path, err)
	}
	return nil
}

// abort drops the temporary file.
func (rw *rejectWriter) abort() {
	_ = rw.tmp.Close()
	_ = os.Remove(rw.tmp.Name())
}
