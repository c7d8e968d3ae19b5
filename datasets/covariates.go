package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// CovariateColumn describes one column of a covariates file: its header
// name, whether it is categorical (text levels, dummy-coded) or numeric
// (used as given, one unit per unit of the column), and for a categorical
// column its reference level ("" means the most frequent level, ties
// going to the first in sorted order).
type CovariateColumn struct {
	Name        string
	Categorical bool
	Reference   string
	// Levels, when set for a categorical column, fixes its levels (those
	// of the fit a table is coded for): a value outside them is an error.
	// The reference must be one of them.
	Levels []string
}

// CovariateOptions says how to read a covariates file: the header name of
// the customer id column and the covariate columns. Other columns are
// ignored.
type CovariateOptions struct {
	Customer string
	Columns  []CovariateColumn
}

// CovariateTable holds every customer's static covariates from a file,
// coded as numbers: a numeric column as given, a categorical one as one
// 0/1 dummy per level other than its reference level, named
// "column=level".
type CovariateTable struct {
	Path string
	// Coded names the coded columns, and Source[j] is the index in
	// CovariateOptions.Columns of the column coded column j comes from.
	Coded  []string
	Source []int
	// Levels and Reference give, by column name, the sorted levels of each
	// categorical column and its reference level; ReferenceFromData is true
	// where the reference was chosen as the most frequent level, and
	// LevelCounts counts the customers at each level.
	Levels            map[string][]string
	Reference         map[string]string
	ReferenceFromData map[string]bool
	LevelCounts       map[string]map[string]int
	rows              map[string]int32
	values            []float64
}

// Len returns the number of customers in the table.
func (t *CovariateTable) Len() int { return len(t.rows) }

// Row returns the coded covariates of a customer (len(Coded) values, not
// to be modified) and whether the table has the customer.
func (t *CovariateTable) Row(id string) ([]float64, bool) {
	i, ok := t.rows[id]
	if !ok {
		return nil, false
	}
	w := len(t.Coded)
	return t.values[int(i)*w : int(i+1)*w], true
}

// CovariateError is a problem in a covariates file, at a line (1 is the
// header; 0 for the file as a whole) and column (-1 for none).
type CovariateError struct {
	Path   string
	Line   int
	Column int
	Name   string // the column's header name
	Reason string
}

func (e *CovariateError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.Path, e.Reason)
	case e.Column < 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: column %d (%s): %s", e.Path, e.Line, e.Column, e.Name, e.Reason)
}

// ReadCovariatesCSV reads a covariates file: a text table with a header,
// one row per customer, UTF-8 (a byte-order mark is skipped) or UTF-16
// with a byte-order mark, its fields separated by commas, semicolons, tabs
// or pipes (the most frequent of them on the header line, as for a log). Every customer
// has one row and a value in every covariate column; numbers are finite;
// errors name the file, line and column.
func ReadCovariatesCSV(path string, o CovariateOptions) (*CovariateTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read covariates: %w", err)
	}
	defer f.Close()
	return ParseCovariatesCSV(f, path, o)
}

// ParseCovariatesCSV reads a covariates table from in, as
// ReadCovariatesCSV does; path names the input in error messages.
func ParseCovariatesCSV(in io.Reader, path string, o CovariateOptions) (*CovariateTable, error) {
	text, err := openTextStream(in, path, "a covariates table")
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(text)
	head, _ := br.Peek(64 << 10)
	r := csv.NewReader(br)
	r.Comma = ','
	if c := sniffDelimiter(head).char(); c != 0 {
		r.Comma = rune(c)
	}
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, &CovariateError{Path: path, Reason: "empty file, expected a header naming the customer id and covariate columns"}
	}
	if err != nil {
		return nil, csvError(path, err)
	}
	header = slices.Clone(header)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	pos, err := covariatePositions(path, header, o)
	if err != nil {
		return nil, err
	}
	raw := make([][]string, len(o.Columns)) // the text of each covariate column, by row
	var ids []string
	rows := map[string]int32{}
	lines := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(path, err)
		}
		line, _ := r.FieldPos(0)
		id := strings.TrimSpace(rec[pos[0]])
		if id == "" {
			return nil, &CovariateError{Path: path, Line: line, Column: pos[0], Name: header[pos[0]], Reason: "empty customer id: every row names its customer"}
		}
		if first, dup := lines[id]; dup {
			return nil, &CovariateError{Path: path, Line: line, Column: pos[0], Name: header[pos[0]],
				Reason: fmt.Sprintf("customer %s already has a row on line %d: give each customer one row", excerpt([]byte(id)), first)}
		}
		lines[id] = line
		rows[id] = int32(len(ids))
		ids = append(ids, id)
		for j := range o.Columns {
			v := strings.TrimSpace(rec[pos[j+1]])
			if v == "" {
				return nil, &CovariateError{Path: path, Line: line, Column: pos[j+1], Name: header[pos[j+1]],
					Reason: fmt.Sprintf("empty value for customer %s: every customer needs a value of each covariate (fill it in, or remove the customer's row)", excerpt([]byte(id)))}
			}
			raw[j] = append(raw[j], v)
		}
	}
	if len(ids) == 0 {
		return nil, &CovariateError{Path: path, Reason: "no customers: the file has a header and no rows"}
	}
	t := &CovariateTable{Path: path, rows: rows, Levels: map[string][]string{}, Reference: map[string]string{},
		ReferenceFromData: map[string]bool{}, LevelCounts: map[string]map[string]int{}}
	coded := make([][]float64, 0, len(o.Columns))
	for j, c := range o.Columns {
		cols, err := t.code(j, c, raw[j], header[pos[j+1]], pos[j+1], lines, ids)
		if err != nil {
			return nil, err
		}
		coded = append(coded, cols...)
	}
	w := len(coded)
	t.values = make([]float64, len(ids)*w)
	for i := range ids {
		for j, col := range coded {
			t.values[i*w+j] = col[i]
		}
	}
	return t, nil
}

// code turns one column's text into coded columns: a numeric column into
// one, a categorical one into a dummy per level other than its reference.
func (t *CovariateTable) code(j int, c CovariateColumn, text []string, name string, col int, lines map[string]int, ids []string) ([][]float64, error) {
	at := func(i int, reason string) error {
		return &CovariateError{Path: t.Path, Line: lines[ids[i]], Column: col, Name: name, Reason: reason}
	}
	if !c.Categorical {
		out := make([]float64, len(text))
		for i, s := range text {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, at(i, fmt.Sprintf("%s is not a finite number: %s is a numeric covariate (fix the value, or declare the column type: categorical)", excerpt([]byte(s)), c.Name))
			}
			out[i] = v
		}
		t.Coded, t.Source = append(t.Coded, c.Name), append(t.Source, j)
		return [][]float64{out}, nil
	}
	counts := map[string]int{}
	for i, s := range text {
		if c.Levels != nil && !slices.Contains(c.Levels, s) {
			return nil, at(i, fmt.Sprintf("level %s was not among the levels %s the model was fitted with: a new level has no coefficient (recode it to one of them)", excerpt([]byte(s)), strings.Join(c.Levels, ", ")))
		}
		counts[s]++
	}
	levels := c.Levels
	if levels == nil {
		for l := range counts {
			levels = append(levels, l)
		}
	}
	levels = slices.Clone(levels)
	sort.Strings(levels)
	ref := c.Reference
	switch {
	case ref == "":
		for _, l := range levels {
			if ref == "" || counts[l] > counts[ref] {
				ref = l
			}
		}
		t.ReferenceFromData[c.Name] = true
	case !slices.Contains(levels, ref):
		return nil, &CovariateError{Path: t.Path, Line: 1, Column: col, Name: name,
			Reason: fmt.Sprintf("reference level %q is not a value of the column (its levels are %s): name one of them", ref, strings.Join(levels, ", "))}
	}
	if len(levels) < 2 {
		return nil, &CovariateError{Path: t.Path, Line: 1, Column: col, Name: name,
			Reason: fmt.Sprintf("categorical covariate %s has the one level %q: it cannot tell customers apart (leave it out)", c.Name, ref)}
	}
	t.Levels[c.Name], t.Reference[c.Name], t.LevelCounts[c.Name] = levels, ref, counts
	var out [][]float64
	for _, l := range levels {
		if l == ref {
			continue
		}
		d := make([]float64, len(text))
		for i, s := range text {
			if s == l {
				d[i] = 1
			}
		}
		out = append(out, d)
		t.Coded, t.Source = append(t.Coded, c.Name+"="+l), append(t.Source, j)
	}
	return out, nil
}

// covariatePositions finds the customer column (index 0 of the result)
// and every covariate column in the header: by exact name, else ignoring
// case and surrounding blanks.
func covariatePositions(path string, header []string, o CovariateOptions) ([]int, error) {
	find := func(name string) int {
		if i := slices.Index(header, name); i >= 0 {
			return i
		}
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
				return i
			}
		}
		return -1
	}
	names := []string{o.Customer}
	for _, c := range o.Columns {
		names = append(names, c.Name)
	}
	pos := make([]int, len(names))
	for k, n := range names {
		if pos[k] = find(n); pos[k] < 0 {
			what := "covariate column"
			if k == 0 {
				what = "customer id column"
			}
			return nil, &CovariateError{Path: path, Line: 1, Column: -1,
				Reason: fmt.Sprintf("no %s %q; the header is %s", what, n, listColumns(header))}
		}
		if first := slices.Index(pos[:k], pos[k]); first >= 0 {
			return nil, &CovariateError{Path: path, Line: 1, Column: pos[k], Name: header[pos[k]],
				Reason: fmt.Sprintf("the column is named twice (%q and %q): each covariate is one column, apart from the customer id", names[first], n)}
		}
	}
	return pos, nil
}

// csvError words a CSV parse error with the file and line.
func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CovariateError{Path: path, Line: pe.StartLine, Column: -1, Reason: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", path, err)
}
