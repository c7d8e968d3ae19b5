package datasets

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// textSource reads CSV, TSV and whitespace-separated logs.
type textSource struct {
	in     Inspection
	lr     *lineReader
	delim  byte // ',', ';', '\t' or '|'; 0 for whitespace
	dates  *dateParser
	closer func() error
	// reopen returns the decoded input from its start again; nil when
	// the input is read once.
	reopen func() (io.Reader, inputKind, error)
	// fieldsFrom says where the expected field count comes from.
	fieldsFrom string
	maxCol     int // the largest chosen column index

	// The current record.
	fields  [][]byte
	recLine int64
	raw     []byte // the record's text, for row-level errors
	rawBuf  []byte // owned copy of raw for quoted records
	badMsg  string // set when the record's quoting is malformed
	scratch []byte // unescaped text of quoted records
	bounds  []int
	replay  bool // the first record was read to detect the header and is a data row
	// firstData is the line of the first record when Header auto took it
	// for data (0 otherwise): its errors say how to declare a header.
	firstData int64
}

// record status
type recStatus uint8

const (
	recOK  recStatus = iota
	recBad           // malformed quoting (badMsg says how)
	recEOF
)

// newTextSource reads the first record of the decoded text r to settle the
// delimiter, the header and the columns.
func newTextSource(r io.Reader, name string, c *readConfig, closer func() error, reopen func() (io.Reader, inputKind, error)) (*textSource, error) {
	s := &textSource{lr: newLineReader(r, name), dates: c.dates, closer: closer, reopen: reopen}
	s.in.File = name
	head, err := s.lr.peek(64 << 10)
	if err != nil {
		return nil, err
	}
	if err := checkText(head[:min(len(head), 8<<10)], name); err != nil {
		return nil, err
	}
	if err := s.lr.detectTerminator(); err != nil {
		return nil, err
	}
	d, err := resolveDelimiter(c, name, head)
	if err != nil {
		return nil, err
	}
	s.in.Delimiter, s.delim = d, d.char()
	switch d {
	case DelimiterWhitespace:
		s.in.Format = FormatWhitespace
	case DelimiterTab:
		s.in.Format = FormatTSV
	default:
		s.in.Format = FormatCSV
	}
	if err := s.setup(c); err != nil {
		return nil, err
	}
	return s, nil
}

// setup reads the first record and decides the header and the columns.
func (s *textSource) setup(c *readConfig) error {
	st, err := s.readRecord()
	if err != nil {
		return err
	}
	if st == recEOF {
		// An empty log: nothing to check the options against.
		s.in.Header = c.header == "yes"
		if !s.in.Header && c.header == "auto" {
			_, ok1 := c.customer.Index()
			_, ok2 := c.date.Index()
			s.in.Header = !ok1 || !ok2
		}
		var hdr []string
		if s.in.Header {
			hdr = []string{}
		}
		_ = resolveColumns(&s.in, c, hdr, 0)
		return nil
	}
	header := false
	switch c.header {
	case "yes":
		header = true
	case "no":
	default:
		header = st == recOK && s.looksLikeHeader(c)
	}
	if header {
		if st != recOK {
			return fmt.Errorf("%s:%d: cannot read the header: %s", s.in.File, s.recLine, s.badMsg)
		}
		names := make([]string, len(s.fields))
		for i, f := range s.fields {
			names[i] = string(f)
		}
		s.in.Header, s.in.Columns, s.in.Fields = true, names, len(names)
		s.fieldsFrom = "as in the header"
		if err := resolveColumns(&s.in, c, names, len(names)); err != nil {
			return err
		}
	} else {
		if st == recOK {
			s.in.Fields = len(s.fields)
		}
		s.fieldsFrom = "as in the first row"
		if err := resolveColumns(&s.in, c, nil, s.in.Fields); err != nil {
			if _, ok1 := c.customer.Index(); !ok1 && c.header == "auto" {
				return fmt.Errorf("%w; the first line does not look like a header: %s", err, excerpt(s.raw))
			}
			return err
		}
		s.replay = true
		if c.header == "auto" {
			s.firstData = s.recLine
		}
	}
	s.maxCol = max(s.in.Customer, s.in.Date, s.in.Amount)
	return nil
}

// looksLikeHeader decides Header auto on the first record (the rule is
// documented at ReadOptions.Header).
func (s *textSource) looksLikeHeader(c *readConfig) bool {
	_, ci := c.customer.Index()
	_, di := c.date.Index()
	_, ai := c.amount.Index()
	ai = ai || c.amount.IsDefault() || c.amount.IsNone()
	if !ci || !di || !ai {
		// A column chosen by name: a header when the line holds a name.
		for _, opt := range []Column{c.customer, c.date, c.amount, ColumnNamed("amount")} {
			name, ok := opt.Name()
			if !ok {
				continue
			}
			for _, f := range s.fields {
				if strings.EqualFold(string(f), name) {
					return true
				}
			}
		}
		// No name found: a header unless some field reads as data.
		for _, f := range s.fields {
			if !s.isLabel(f) {
				return false
			}
		}
		return true
	}
	// Every column by index: a field that reads as data makes a data row.
	for _, f := range s.fields {
		if s.isValue(f) {
			return false
		}
	}
	d, _ := c.date.Index()
	return d < len(s.fields) && bytes.IndexFunc(s.fields[d], unicode.IsLetter) >= 0
}

// isValue reports whether a field reads as data: a number (NaN and Inf
// included) or a date in the layout.
func (s *textSource) isValue(f []byte) bool {
	if _, st := parseAmount(f); st == amountOK || st == amountNonFinite {
		return true
	}
	_, ok := s.dates.parse(f)
	return ok
}

// isLabel reports whether a field reads as a column name: it holds a
// letter and is neither a number nor a date in the layout. (A malformed
// date such as 1997-13-01 holds no letter, so it stays a data row and is
// reported, not swallowed as a header.)
func (s *textSource) isLabel(f []byte) bool {
	return !s.isValue(f) && bytes.IndexFunc(f, unicode.IsLetter) >= 0
}

// readRecord reads the next non-blank record into s.fields.
func (s *textSource) readRecord() (recStatus, error) {
	for {
		line, err := s.lr.next()
		if err == io.EOF {
			return recEOF, nil
		}
		if err != nil {
			return recEOF, err
		}
		if isBlank(line) {
			continue
		}
		s.recLine = s.lr.line
		s.raw = line
		switch {
		case s.delim == 0:
			s.splitWhitespace(line)
		case bytes.IndexByte(line, '"') < 0:
			s.splitPlain(line)
		default:
			return s.splitQuoted(line)
		}
		return recOK, nil
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// splitWhitespace splits on runs of spaces and tabs.
func (s *textSource) splitWhitespace(line []byte) {
	s.fields = s.fields[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		s.fields = append(s.fields, line[i:j])
		i = j
	}
}

// splitPlain splits a line without quotes on the delimiter (the fast path).
func (s *textSource) splitPlain(line []byte) {
	s.fields = s.fields[:0]
	for {
		i := bytes.IndexByte(line, s.delim)
		if i < 0 {
			s.fields = append(s.fields, trimSpace(line))
			return
		}
		s.fields = append(s.fields, trimSpace(line[:i]))
		line = line[i+1:]
	}
}

// splitQuoted splits a record with quotes (the slow path). A field that
// starts with a quote (after spaces) runs to the matching quote, with ""
// standing for one quote and line breaks taken from the following lines;
// only spaces may follow it before the delimiter. A quote inside an
// unquoted field is kept as text.
func (s *textSource) splitQuoted(line []byte) (recStatus, error) {
	s.scratch, s.bounds = s.scratch[:0], s.bounds[:0]
	s.rawBuf = append(s.rawBuf[:0], line...) // own copy: line may be overwritten
	s.raw = s.rawBuf
	firstLen := len(line)
	bad := ""
	i := 0
fields:
	for {
		for i < len(line) && s.isPad(line[i]) {
			i++
		}
		start := len(s.scratch)
		if i < len(line) && line[i] == '"' {
			i++
			for {
				k := bytes.IndexByte(line[i:], '"')
				if k < 0 {
					// The field goes on past this line.
					s.scratch = append(s.scratch, line[i:]...)
					s.scratch = append(s.scratch, '\n')
					next, err := s.lr.next()
					if err != nil && err != io.EOF {
						return recEOF, err
					}
					if err == io.EOF {
						return s.strayQuote(firstLen, s.unclosedMsg(len(s.bounds)/2+1, true)), nil
					}
					s.rawBuf = append(append(s.rawBuf, '\n'), next...)
					if s.lr.line-s.recLine >= maxQuotedLines || len(s.rawBuf) > maxQuotedBytes {
						return s.strayQuote(firstLen, s.unclosedMsg(len(s.bounds)/2+1, false)), nil
					}
					s.raw = s.rawBuf
					line, i = next, 0
					continue
				}
				s.scratch = append(s.scratch, line[i:i+k]...)
				i += k + 1
				if i < len(line) && line[i] == '"' {
					s.scratch = append(s.scratch, '"')
					i++
					continue
				}
				break
			}
			s.bounds = append(s.bounds, start, len(s.scratch))
			for i < len(line) && s.isPad(line[i]) {
				i++
			}
			if i == len(line) {
				break fields
			}
			if line[i] != s.delim {
				if bad == "" {
					bad = fmt.Sprintf("text after the closing quote of field %d", len(s.bounds)/2)
				}
				// Resynchronize at the next delimiter.
				k := bytes.IndexByte(line[i:], s.delim)
				if k < 0 {
					break fields
				}
				i += k
			}
			i++
			continue
		}
		k := bytes.IndexByte(line[i:], s.delim)
		end := len(line)
		if k >= 0 {
			end = i + k
		}
		s.scratch = append(s.scratch, trimSpace(line[i:end])...)
		s.bounds = append(s.bounds, start, len(s.scratch))
		if k < 0 {
			break
		}
		i = end + 1
	}
	if bad != "" && len(s.rawBuf) > firstLen {
		// Malformed quoting over several lines: the line break was most
		// likely not inside a field, but after a stray quote.
		return s.strayQuote(firstLen, fmt.Sprintf("%s, on a record that runs over %d lines from a quote opened on this line (a stray quote?); reading resumes at the next line",
			bad, s.lr.line-s.recLine+1)), nil
	}
	s.finishQuoted()
	if bad != "" {
		s.badMsg = bad
		return recBad, nil
	}
	return recOK, nil
}

// strayQuote handles a quoted field still open at the end of the input or
// past the bounds of a quoted field (maxQuotedLines, maxQuotedBytes), or
// malformed quoting over several lines: the line that opened the field
// becomes one bad record (badMsg = msg) and the lines read after it are
// given back, so that reading resumes at the next line.
func (s *textSource) strayQuote(firstLen int, msg string) recStatus {
	if len(s.rawBuf) > firstLen {
		s.lr.unread(s.rawBuf[firstLen+1:], s.recLine+1)
	}
	s.raw = s.rawBuf[:firstLen]
	s.fields = s.fields[:0]
	s.badMsg = msg
	return recBad
}

// unclosedMsg describes a quoted field left open.
func (s *textSource) unclosedMsg(field int, atEOF bool) string {
	switch {
	case atEOF && s.lr.line == s.recLine:
		return fmt.Sprintf("the quoted field %d opened on this line is never closed", field)
	case atEOF:
		return fmt.Sprintf("the quoted field %d opened on this line is never closed (a stray quote?); reading resumes at the next line", field)
	}
	return fmt.Sprintf("the quoted field %d opened on this line is not closed within %d lines or %d KiB (a stray quote?); reading resumes at the next line",
		field, maxQuotedLines, maxQuotedBytes>>10)
}

// isPad reports whether c is padding around a field: a space, or a tab
// unless tabs delimit the fields.
func (s *textSource) isPad(c byte) bool { return c == ' ' || c == '\t' && s.delim != '\t' }

// finishQuoted points s.fields into the scratch buffer.
func (s *textSource) finishQuoted() {
	s.fields = s.fields[:0]
	for j := 0; j+1 < len(s.bounds); j += 2 {
		s.fields = append(s.fields, s.scratch[s.bounds[j]:s.bounds[j+1]])
	}
}

// next reads the next row.
func (s *textSource) next(r *logRow) (bool, error) {
	st := recOK
	if s.replay {
		s.replay = false
		if s.badMsg != "" {
			st = recBad
		}
	} else {
		s.badMsg = ""
		var err error
		if st, err = s.readRecord(); err != nil {
			return false, err
		}
		if st == recEOF {
			return false, nil
		}
	}
	r.line, r.bad = s.recLine, nil
	if st == recBad {
		r.bad = s.badRow(ReasonBadQuote, -1, s.raw, s.badMsg)
		return true, nil
	}
	s.checkFields(r)
	return true, nil
}

// checkFields reads the current record's fields (s.fields, with s.raw and
// s.recLine set) into r: a good row, or a bad one (r.bad).
func (s *textSource) checkFields(r *logRow) {
	r.line, r.bad = s.recLine, nil
	n := len(s.fields)
	if s.in.Fields == 0 && n > s.maxCol {
		s.in.Fields = n // the first row sets the count when nothing did
	}
	if n != s.in.Fields {
		msg := fmt.Sprintf("the row has %d fields, expected %d (%s)", n, s.in.Fields, s.fieldsFrom)
		if s.in.Fields == 0 {
			msg = fmt.Sprintf("the row has %d fields, too few for column %d (0-based)", n, s.maxCol)
		}
		r.bad = s.badRow(ReasonFieldCount, -1, s.raw, msg)
		return
	}
	r.id = s.fields[s.in.Customer]
	if len(r.id) == 0 {
		r.bad = s.badRow(ReasonMissingID, s.in.Customer, nil, "the customer id is empty")
		return
	}
	r.dateText = s.fields[s.in.Date]
	day, ok := s.dates.parse(r.dateText)
	if !ok {
		r.bad = s.badRow(ReasonBadDate, s.in.Date, r.dateText, s.dates.describe(r.dateText))
		return
	}
	r.day, r.amount = day, 0
	if s.in.Amount >= 0 {
		if reason, bad := checkAmount(r, s.fields[s.in.Amount]); bad != "" {
			r.bad = s.badRow(reason, s.in.Amount, s.fields[s.in.Amount], bad)
		}
	}
}

// checkAmount parses an amount into r and says what is wrong with it, and
// why (msg "" if nothing).
func checkAmount(r *logRow, b []byte) (reason Reason, msg string) {
	v, st := parseAmount(b)
	switch st {
	case amountEmpty:
		return ReasonBadAmount, "the amount is empty"
	case amountBad:
		return ReasonBadAmount, fmt.Sprintf("cannot parse %s as an amount", excerpt(b))
	case amountNonFinite:
		return ReasonNonFinite, fmt.Sprintf("the amount %s is not a finite number", excerpt(b))
	}
	if v < 0 {
		return ReasonNegative, fmt.Sprintf("the amount %s is negative", excerpt(b))
	}
	r.amount = v
	return "", ""
}

// badRow builds the error for the current record; col is the 0-based
// column, -1 for the whole row.
func (s *textSource) badRow(reason Reason, col int, text []byte, detail string) *BadRowError {
	e := &BadRowError{File: s.in.File, Line: s.recLine, Reason: reason, Detail: detail, Hint: hints[reason],
		Options: reasonOptions(reason), ColumnIndex: -1}
	if s.recLine == s.firstData {
		e.Hint += fmt.Sprintf(" (line %d was read as data, not as a header: if it is a header, say so with the header option)", s.recLine)
		e.Options = append([]Option{OptionHeader}, e.Options...)
	}
	if col >= 0 {
		e.ColumnIndex = col
		e.Column = s.columnName(col)
	}
	e.Text = clip(text)
	return e
}

func (s *textSource) columnName(col int) string {
	switch {
	case s.in.Columns != nil && col < len(s.in.Columns):
		return s.in.Columns[col]
	case col == s.in.Customer:
		return "customer_id"
	case col == s.in.Date:
		return "date"
	}
	return "amount"
}

func (s *textSource) rewind() error {
	if s.reopen == nil {
		return errNotRewindable
	}
	r, _, err := s.reopen()
	if err != nil {
		return err
	}
	s.lr.reset(r)
	s.replay, s.badMsg = false, ""
	if s.in.Header {
		if _, err := s.readRecord(); err != nil {
			return err
		}
	}
	return nil
}

func (s *textSource) close() error {
	if s.closer != nil {
		return s.closer()
	}
	return nil
}

func (s *textSource) inspection() *Inspection { in := s.in; return &in }
