package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/internal/chunkwrite"
	"github.com/clv-dev/clv/internal/floatfmt"
)

// Summary CSV column names (those of the lifetimes library).
const (
	colCustomerID       = "customer_id"
	colFrequency        = "frequency"
	colRecency          = "recency"
	colT                = "T"
	colMonetary         = "monetary_value"
	colFrequencyHoldout = "frequency_holdout"
	colMonetaryHoldout  = "monetary_value_holdout"
	colDurationHoldout  = "duration_holdout"
	colWeight           = "weight"
)

// summaryColumns returns the columns WriteSummaryCSV writes for s.
func summaryColumns(s *Summary) []string {
	cols := []string{colCustomerID, colFrequency, colRecency, colT}
	if s.HasAmount {
		cols = append(cols, colMonetary)
	}
	if s.HasHoldout {
		cols = append(cols, colFrequencyHoldout)
		if s.HasAmount {
			cols = append(cols, colMonetaryHoldout)
		}
		cols = append(cols, colDurationHoldout)
	}
	if s.Compressed {
		cols = append(cols, colWeight)
	}
	return cols
}

// WriteSummaryCSV writes a summary as CSV with the header
//
//	customer_id,frequency,recency,T[,monetary_value][,frequency_holdout[,monetary_value_holdout],duration_holdout][,weight]
//
// where the monetary columns appear when s.HasAmount, the holdout columns
// when s.HasHoldout and weight when s.Compressed. Numbers are written in
// the shortest form that reads back to the same float64 (strconv 'g', -1);
// ids are quoted when CSV needs it, and neutralised for spreadsheets
// (SpreadsheetSafe). The unit is not written: recency, T and
// durations are in s.Unit.
func WriteSummaryCSV(w io.Writer, s *Summary) error {
	return writeSummary(w, s, len(s.Customers), func() func(lo, hi int) []CustomerSummary {
		return func(lo, hi int) []CustomerSummary { return s.Customers[lo:hi] }
	})
}

// writeSummary writes the header of s and n rows of the summary CSV,
// formatted in parallel chunks (see chunkwrite.Ordered); newRows makes, for each
// formatting worker, the function that returns rows [lo, hi).
func writeSummary(w io.Writer, s *Summary, n int, newRows func() func(lo, hi int) []CustomerSummary) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	writeSummaryHeader(bw, s)
	err := chunkwrite.Ordered(bw, n, summaryChunk, func() func([]byte, int, int) []byte {
		var times floatCache // recency, T and durations take few distinct values
		rows := newRows()
		return func(buf []byte, lo, hi int) []byte {
			rs := rows(lo, hi)
			for i := range rs {
				buf = appendSummaryRow(buf, s, &rs[i], &times)
			}
			return buf
		}
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// writeSummaryHeader writes the header line of the summary CSV.
func writeSummaryHeader(bw *bufio.Writer, s *Summary) {
	bw.WriteString(strings.Join(summaryColumns(s), ","))
	bw.WriteByte('\n')
}

// summaryChunk is the number of rows WriteSummaryCSV formats at a time.
const summaryChunk = 16384

// appendSummaryRow appends customer c's line of the summary CSV.
func appendSummaryRow(buf []byte, s *Summary, c *CustomerSummary, times *floatCache) []byte {
	buf = appendCSVField(buf, SpreadsheetSafe(c.ID))
	buf = floatfmt.AppendNumber(append(buf, ','), c.Frequency)
	buf = times.append(append(buf, ','), c.Recency)
	buf = times.append(append(buf, ','), c.T)
	if s.HasAmount {
		buf = floatfmt.AppendNumber(append(buf, ','), c.Monetary)
	}
	if s.HasHoldout {
		buf = floatfmt.AppendNumber(append(buf, ','), c.FrequencyHoldout)
		if s.HasAmount {
			buf = floatfmt.AppendNumber(append(buf, ','), c.MonetaryHoldout)
		}
		buf = times.append(append(buf, ','), c.DurationHoldout)
	}
	if s.Compressed {
		buf = floatfmt.AppendNumber(append(buf, ','), c.Weight)
	}
	return append(buf, '\n')
}

// floatCache remembers how floatfmt.AppendNumber wrote recent values, in a
// direct-mapped table: for the columns whose values repeat (times are
// whole days over a unit) it saves most of the formatting.
type floatCache struct {
	slots [1024]struct {
		bits uint64
		n    uint8
		text [31]byte
	}
}

// append appends v as floatfmt.AppendNumber does.
func (fc *floatCache) append(b []byte, v float64) []byte {
	bits := math.Float64bits(v)
	e := &fc.slots[(bits*0x9e3779b97f4a7c15)>>54]
	if e.n > 0 && e.bits == bits {
		return append(b, e.text[:e.n]...)
	}
	start := len(b)
	b = floatfmt.AppendNumber(b, v)
	if n := len(b) - start; n <= len(e.text) {
		e.bits, e.n = bits, uint8(n)
		copy(e.text[:], b[start:])
	}
	return b
}

// appendCSVField appends a field, quoted when it holds a comma, a quote, a
// line break or surrounding spaces.
func appendCSVField(b []byte, s string) []byte {
	if s == "" || (!strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[len(s)-1] != ' ') {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// summaryAliases maps header names, lower-cased, to summary columns. They
// cover the names of lifetimes (summary_data_from_transaction_data and
// calibration_and_holdout_data: frequency_cal, recency_cal, T_cal,
// monetary_value_cal, frequency_holdout, monetary_value_holdout,
// duration_holdout), of BTYD, BTYDplus and CLVTools (cust, x, t.x, T.cal,
// x.star, T.star) and of the Fader & Hardie data files: x and t_x
// (cdnow_customers_summary_with_transactions.csv), zbar, and the BG/BB
// layout frequency,recency,periods,weights (donations.csv), where the
// number of opportunities n plays the part of T.
var summaryAliases = map[string]string{
	"customer_id": colCustomerID, "id": colCustomerID, "cust": colCustomerID,
	"frequency": colFrequency, "x": colFrequency, "frequency_cal": colFrequency,
	"recency": colRecency, "t_x": colRecency, "t.x": colRecency, "recency_cal": colRecency,
	"t": colT, "n": colT, "periods": colT, "t_cal": colT, "t.cal": colT,
	"monetary_value": colMonetary, "monetary": colMonetary, "zbar": colMonetary, "monetary_value_cal": colMonetary,
	"frequency_holdout": colFrequencyHoldout, "x.star": colFrequencyHoldout,
	"monetary_value_holdout": colMonetaryHoldout,
	"duration_holdout":       colDurationHoldout, "t.star": colDurationHoldout,
	"weight": colWeight, "weights": colWeight, "count": colWeight,
}

// ignoredSummaryColumns are peer columns recognised but not read, with why.
var ignoredSummaryColumns = map[string]string{
	// BTYDplus: the sum of log inter-transaction times (regularity).
	"litt": "",
	// BTYDplus: total calibration spend, the first purchase included,
	// from which the mean repeat spend cannot be recovered.
	"sales": "the sales column (BTYD's total calibration spend, the first purchase included) does not give the mean repeat spend: add a monetary_value column (the mean of the repeat purchases' amounts) to compute revenue and CLV",
}

// ReadSummaryCSV reads a summary table written by WriteSummaryCSV, or by
// lifetimes or the Fader & Hardie data files, matching header names
// ignoring case: ID/id/customer_id; frequency or x; recency or t_x; T, or
// n or periods (the opportunities of BG/BB); monetary_value, monetary or
// zbar; frequency_holdout, monetary_value_holdout, duration_holdout; and
// weight, weights or count. Other columns are ignored. frequency, recency
// and T are required; every number must be finite and ≥ 0, with recency ≤
// T, and errors name the file, line and column.
//
// The file does not say its time unit, so s.Unit is left zero for the
// caller to set. HasAmount and HasHoldout follow the columns present (the
// holdout needs both frequency_holdout and duration_holdout), Compressed
// is set when there is a weight column (Weight is 1 without one), and ID
// is empty without an id column. The Accounting counts the table's rows as
// read and used.
func ReadSummaryCSV(path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	defer f.Close()
	return ParseSummaryCSV(f, path)
}

// ParseSummaryCSV reads a summary table from in, as ReadSummaryCSV does;
// path names the input in error messages.
func ParseSummaryCSV(in io.Reader, path string) (*Summary, error) {
	text, err := openTextStream(in, path, "a summary table")
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(text)
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file, expected a header such as %s", path, strings.Join(summaryColumns(&Summary{HasAmount: true}), ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	pos, noAmount, err := summaryHeader(header, path)
	if err != nil {
		return nil, err
	}
	_, hasFH := pos[colFrequencyHoldout]
	_, hasW := pos[colWeight]
	_, hasM := pos[colMonetary]
	s := &Summary{HasAmount: hasM, HasHoldout: hasFH, Compressed: hasW, Accounting: Accounting{RejectedBy: map[Reason]int64{}}}
	if !hasM {
		s.NoAmountReason = noAmount
	}
	sr := summaryRows{path: path, header: header, pos: pos, seen: map[string]int{}}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %w", path, pe.StartLine, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		c, err := sr.parse(rec, line)
		if err != nil {
			return nil, err
		}
		s.Customers = append(s.Customers, c)
	}
	n := int64(len(s.Customers))
	s.Accounting.RowsRead, s.Accounting.RowsUsed = n, n
	return s, nil
}

// summaryHeader maps the summary columns to their positions in a header
// and checks that the required ones are there. noAmount says why there is
// no monetary column when a recognised column explains it.
func summaryHeader(header []string, path string) (pos map[string]int, noAmount string, err error) {
	pos = map[string]int{}
	noAmount = "the summary table has no monetary_value column"
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if why, ok := ignoredSummaryColumns[name]; ok && why != "" {
			noAmount = why
		}
		col, ok := summaryAliases[name]
		if !ok {
			continue
		}
		if j, dup := pos[col]; dup {
			return nil, "", fmt.Errorf("%s:1: columns %d (%s) and %d (%s) both give %s: keep one of them (columns are 0-based)",
				path, j, showName(header[j]), i, showName(h), col)
		}
		pos[col] = i
	}
	for _, need := range []string{colFrequency, colRecency, colT} {
		if _, ok := pos[need]; !ok {
			return nil, "", fmt.Errorf("%s:1: no %s column; the header is %s (expected customer_id,frequency,recency,T[,monetary_value,...], lifetimes' frequency_cal,recency_cal,T_cal,... or BTYD's x,t.x,T.cal,...)",
				path, need, listColumns(header))
		}
	}
	_, hasFH := pos[colFrequencyHoldout]
	_, hasDH := pos[colDurationHoldout]
	if hasFH != hasDH {
		return nil, "", fmt.Errorf("%s:1: a holdout needs both frequency_holdout (x.star) and duration_holdout (T.star) columns", path)
	}
	return pos, noAmount, nil
}

// summaryRows parses and checks the rows of a summary table.
type summaryRows struct {
	path   string
	header []string
	pos    map[string]int
	seen   map[string]int // id → line, for duplicates
}

// summaryFields are the numeric columns and where they go.
var summaryFields = []struct {
	col   string
	whole bool // a count: must be a whole number
	dst   func(*CustomerSummary) *float64
}{
	{colFrequency, true, func(c *CustomerSummary) *float64 { return &c.Frequency }},
	{colRecency, false, func(c *CustomerSummary) *float64 { return &c.Recency }},
	{colT, false, func(c *CustomerSummary) *float64 { return &c.T }},
	{colMonetary, false, func(c *CustomerSummary) *float64 { return &c.Monetary }},
	{colFrequencyHoldout, true, func(c *CustomerSummary) *float64 { return &c.FrequencyHoldout }},
	{colMonetaryHoldout, false, func(c *CustomerSummary) *float64 { return &c.MonetaryHoldout }},
	{colDurationHoldout, false, func(c *CustomerSummary) *float64 { return &c.DurationHoldout }},
	{colWeight, false, func(c *CustomerSummary) *float64 { return &c.Weight }},
}

// parse reads one row and checks that it describes a possible customer:
// whole repeat counts, no recency without a repeat purchase, recency ≤ T
// and an id not seen before.
func (sr *summaryRows) parse(rec []string, line int) (CustomerSummary, error) {
	c := CustomerSummary{Weight: 1}
	at := func(col string) string {
		i := sr.pos[col]
		return fmt.Sprintf("%s:%d: column %d (%s)", sr.path, line, i, showName(sr.header[i]))
	}
	if i, ok := sr.pos[colCustomerID]; ok {
		c.ID = rec[i]
		if first, dup := sr.seen[c.ID]; dup {
			return c, fmt.Errorf("%s: customer %s already has a row on line %d: each customer appears once in a summary table (remove or merge the duplicate rows)",
				at(colCustomerID), excerpt([]byte(c.ID)), first)
		}
		sr.seen[c.ID] = line
	}
	for _, f := range summaryFields {
		i, ok := sr.pos[f.col]
		if !ok {
			continue
		}
		text := strings.TrimSpace(rec[i])
		v, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return c, fmt.Errorf("%s: cannot parse %s as a number", at(f.col), excerpt([]byte(text)))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return c, fmt.Errorf("%s: %s must be a finite number ≥ 0", at(f.col), excerpt([]byte(text)))
		}
		if f.whole && v != math.Trunc(v) {
			return c, fmt.Errorf("%s: %s is not a whole number: %s counts repeat purchases (purchase days after the first); fix the row",
				at(f.col), excerpt([]byte(text)), f.col)
		}
		*f.dst(&c) = v
	}
	if c.Frequency == 0 && c.Recency > 0 {
		return c, fmt.Errorf("%s:%d: frequency 0 with recency %v: a customer without repeat purchases has recency 0 (recency is the time from the first to the last purchase); fix the row",
			sr.path, line, c.Recency)
	}
	if c.Recency > c.T*(1+1e-12) {
		return c, fmt.Errorf("%s:%d: recency %v exceeds T %v: the last purchase cannot come after the end of calibration (T is the time from the first purchase to it); fix the row",
			sr.path, line, c.Recency, c.T)
	}
	return c, nil
}
