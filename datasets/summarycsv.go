package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
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
// ids are quoted when CSV needs it. The unit is not written: recency, T and
// durations are in s.Unit.
func WriteSummaryCSV(w io.Writer, s *Summary) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cols := summaryColumns(s)
	bw.WriteString(strings.Join(cols, ","))
	bw.WriteByte('\n')
	var buf []byte
	for i := range s.Customers {
		c := &s.Customers[i]
		buf = appendCSVField(buf[:0], c.ID)
		num := func(v float64) {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		num(c.Frequency)
		num(c.Recency)
		num(c.T)
		if s.HasAmount {
			num(c.Monetary)
		}
		if s.HasHoldout {
			num(c.FrequencyHoldout)
			if s.HasAmount {
				num(c.MonetaryHoldout)
			}
			num(c.DurationHoldout)
		}
		if s.Compressed {
			num(c.Weight)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
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
// cover the names of lifetimes and of the Fader & Hardie data files: x and
// t_x (cdnow_customers_summary_with_transactions.csv), zbar, and the BG/BB
// layout frequency,recency,periods,weights (donations.csv), where the
// number of opportunities n plays the part of T.
var summaryAliases = map[string]string{
	"customer_id": colCustomerID, "id": colCustomerID,
	"frequency": colFrequency, "x": colFrequency,
	"recency": colRecency, "t_x": colRecency,
	"t": colT, "n": colT, "periods": colT,
	"monetary_value": colMonetary, "monetary": colMonetary, "zbar": colMonetary,
	"frequency_holdout":      colFrequencyHoldout,
	"monetary_value_holdout": colMonetaryHoldout,
	"duration_holdout":       colDurationHoldout,
	"weight":                 colWeight, "weights": colWeight, "count": colWeight,
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
	return ParseSummaryCSV(bufio.NewReaderSize(f, 64<<10), path)
}

// ParseSummaryCSV reads a summary table from in, as ReadSummaryCSV does;
// path names the input in error messages.
func ParseSummaryCSV(in io.Reader, path string) (*Summary, error) {
	r := csv.NewReader(in)
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
		header[0] = string(bytes.TrimPrefix([]byte(header[0]), []byte("\xef\xbb\xbf")))
	}
	pos := map[string]int{}
	for i, h := range header {
		col, ok := summaryAliases[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			continue
		}
		if j, dup := pos[col]; dup {
			return nil, fmt.Errorf("%s:1: columns %d (%s) and %d (%s) both give %s", path, j+1, header[j], i+1, h, col)
		}
		pos[col] = i
	}
	for _, need := range []string{colFrequency, colRecency, colT} {
		if _, ok := pos[need]; !ok {
			return nil, fmt.Errorf("%s:1: no %s column; the header is %s (expected customer_id,frequency,recency,T[,monetary_value,...] or an alias such as x, t_x, n)",
				path, need, strings.Join(header, ","))
		}
	}
	_, hasFH := pos[colFrequencyHoldout]
	_, hasDH := pos[colDurationHoldout]
	if hasFH != hasDH {
		return nil, fmt.Errorf("%s:1: a holdout needs both frequency_holdout and duration_holdout columns", path)
	}
	_, hasW := pos[colWeight]
	_, hasM := pos[colMonetary]
	s := &Summary{HasAmount: hasM, HasHoldout: hasFH, Compressed: hasW, Accounting: Accounting{RejectedBy: map[Reason]int64{}}}
	col := func(name string) int {
		if i, ok := pos[name]; ok {
			return i
		}
		return -1
	}
	idCol := col(colCustomerID)
	numCols := []struct {
		idx int
		dst func(*CustomerSummary) *float64
	}{
		{col(colFrequency), func(c *CustomerSummary) *float64 { return &c.Frequency }},
		{col(colRecency), func(c *CustomerSummary) *float64 { return &c.Recency }},
		{col(colT), func(c *CustomerSummary) *float64 { return &c.T }},
		{col(colMonetary), func(c *CustomerSummary) *float64 { return &c.Monetary }},
		{col(colFrequencyHoldout), func(c *CustomerSummary) *float64 { return &c.FrequencyHoldout }},
		{col(colMonetaryHoldout), func(c *CustomerSummary) *float64 { return &c.MonetaryHoldout }},
		{col(colDurationHoldout), func(c *CustomerSummary) *float64 { return &c.DurationHoldout }},
		{col(colWeight), func(c *CustomerSummary) *float64 { return &c.Weight }},
	}
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
		c := CustomerSummary{Weight: 1}
		if idCol >= 0 {
			c.ID = rec[idCol]
		}
		for _, nc := range numCols {
			if nc.idx < 0 {
				continue
			}
			text := strings.TrimSpace(rec[nc.idx])
			v, err := strconv.ParseFloat(text, 64)
			// where names the cell; built only for an error message.
			where := func() string { return fmt.Sprintf("%s:%d: column %d (%s)", path, line, nc.idx+1, header[nc.idx]) }
			if err != nil && !isRangeErr(err) {
				return nil, fmt.Errorf("%s: cannot parse %q as a number", where(), clip([]byte(text)))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, fmt.Errorf("%s: %q must be a finite number ≥ 0", where(), clip([]byte(text)))
			}
			*nc.dst(&c) = v
		}
		if c.Recency > c.T*(1+1e-12) {
			return nil, fmt.Errorf("%s:%d: recency %v exceeds T %v", path, line, c.Recency, c.T)
		}
		s.Customers = append(s.Customers, c)
	}
	n := int64(len(s.Customers))
	s.Accounting.RowsRead, s.Accounting.RowsUsed = n, n
	return s, nil
}
