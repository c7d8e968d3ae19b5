package datasets

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetSource reads a Parquet log. Rows are numbered from 1 in file
// order. Supported column types:
//
//   - customer id: string/binary, int32, int64 (written in decimal);
//   - date: DATE, TIMESTAMP (milli/micro/nanoseconds, taken as UTC), INT96
//     timestamps, strings in the date layout, and plain integers or floats
//     read as text in the layout (20060102 or unix, say);
//   - amount: float, double, int32, int64, DECIMAL (int32, int64, binary or
//     fixed-length) and strings.
//
// Nulls count as empty fields. Repeated (list) columns are not supported.
type parquetSource struct {
	in    Inspection
	file  *os.File
	pf    *parquet.File
	dates *dateParser
	//lint:ignore SA1019 the row reader keeps the projected schema; moving to parquet.GenericReader is the readers' follow-up
	reader *parquet.Reader
	cols   [3]*pqColumn // customer, date, amount (nil when count-only)
	rows   []parquet.Row
	pos, n int
	rowNum int64
	idBuf  []byte
	txtBuf []byte
}

// pqColumn is one chosen column and how to read its values.
type pqColumn struct {
	name  string
	pos   int // 0-based position among the file's leaf columns
	index int // leaf index in the rows read (after projection)
	kind  parquet.Kind
	// date
	isDate    bool  // DATE: days since the epoch
	perDay    int64 // TIMESTAMP: units per day (0: not a timestamp)
	isDecimal bool
	scale     int
	isUUID    bool
}

func newParquetSource(f *os.File, name string, c *readConfig) (*parquetSource, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pf, err := openParquet(f, st.Size(), name)
	if err != nil {
		return nil, err
	}
	s := &parquetSource{file: f, pf: pf, dates: c.dates, rows: make([]parquet.Row, 512)}
	s.in = Inspection{File: name, Format: FormatParquet, Header: true}
	schema := pf.Schema()
	paths := schema.Columns()
	for _, p := range paths {
		s.in.Columns = append(s.in.Columns, strings.Join(p, "."))
	}
	s.in.Fields = len(paths)
	if err := resolveColumns(&s.in, c, s.in.Columns, len(paths)); err != nil {
		return nil, err
	}
	chosen := []int{s.in.Customer, s.in.Date, s.in.Amount}
	topLevel := true
	for role, pos := range chosen {
		if pos < 0 {
			continue
		}
		leaf, ok := schema.Lookup(paths[pos]...)
		if !ok {
			return nil, fmt.Errorf("%s: column %s not found in the schema", name, showName(s.in.Columns[pos]))
		}
		if leaf.MaxRepetitionLevel > 0 {
			return nil, fmt.Errorf("%s: column %s is repeated (a list): choose a column with one value per row", name, showName(s.in.Columns[pos]))
		}
		col, err := describeColumn(leaf.Node.Type(), role, s.in.Columns[pos], c.dates)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		col.pos, col.index = pos, leaf.ColumnIndex
		s.cols[role] = col
		topLevel = topLevel && len(paths[pos]) == 1
	}
	if topLevel {
		// Read only the chosen columns.
		g := parquet.Group{}
		for _, col := range s.cols {
			if col != nil {
				leaf, _ := schema.Lookup(col.name)
				g[col.name] = leaf.Node
			}
		}
		proj := parquet.NewSchema(schema.Name(), g)
		for _, col := range s.cols {
			if col != nil {
				leaf, _ := proj.Lookup(col.name)
				col.index = leaf.ColumnIndex
			}
		}
		s.reader = parquet.NewReader(pf, proj)
	} else {
		s.reader = parquet.NewReader(pf)
	}
	return s, nil
}

// describeColumn checks that a column's type suits its role.
func describeColumn(t parquet.Type, role int, name string, dates *dateParser) (*pqColumn, error) {
	col := &pqColumn{name: name, kind: t.Kind()}
	lt := t.LogicalType()
	ct := t.ConvertedType()
	if lt != nil {
		switch v := lt.Value.(type) {
		case *format.DateType:
			col.isDate = true
		case *format.TimestampType:
			if v.Unit.Value != nil {
				col.perDay = int64(24*60*60*1e9) / int64(v.Unit.Value.Duration())
			}
		case *format.DecimalType:
			col.isDecimal, col.scale = true, int(v.Scale)
		case *format.UUIDType:
			col.isUUID = true
		}
	}
	if ct != nil {
		switch *ct {
		case deprecated.Date:
			col.isDate = true
		case deprecated.TimestampMillis:
			col.perDay = 86400e3
		case deprecated.TimestampMicros:
			col.perDay = 86400e6
		}
	}
	bad := func(what string) error {
		return fmt.Errorf("the %s column %s has Parquet type %s, which cannot hold %s", []string{"customer id", "date", "amount"}[role], showName(name), t, what)
	}
	switch role {
	case 0:
		switch col.kind {
		case parquet.ByteArray, parquet.FixedLenByteArray, parquet.Int32, parquet.Int64:
			return col, nil
		}
		return nil, bad("an id")
	case 1:
		switch col.kind {
		case parquet.Int32, parquet.Int64, parquet.Int96, parquet.ByteArray, parquet.Float, parquet.Double:
			return col, nil
		}
		return nil, bad("a date")
	}
	switch col.kind {
	case parquet.Float, parquet.Double, parquet.Int32, parquet.Int64, parquet.ByteArray:
		return col, nil
	case parquet.FixedLenByteArray:
		if col.isDecimal {
			return col, nil
		}
	}
	return nil, bad("an amount")
}

func (s *parquetSource) next(r *logRow) (bool, error) {
	if s.pos == s.n {
		n, err := readParquetRows(s.reader, s.rows, s.in.File, s.rowNum+1)
		if n == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return false, nil
			}
			return false, fmt.Errorf("%s: row %d: %w", s.in.File, s.rowNum+1, err)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("%s: row %d: %w", s.in.File, s.rowNum+1, err)
		}
		s.pos, s.n = 0, n
	}
	pr := s.rows[s.pos]
	s.pos++
	s.rowNum++
	r.line, r.bad, r.amount = s.rowNum, nil, 0

	idv := valueAt(pr, s.cols[0].index)
	s.idBuf = s.appendText(s.idBuf[:0], idv, s.cols[0])
	if idv.IsNull() || len(s.idBuf) == 0 {
		r.bad = s.badRow(ReasonMissingID, s.cols[0], "", "the customer id is empty")
		return true, nil
	}
	r.id = s.idBuf

	dc := s.cols[1]
	dv := valueAt(pr, dc.index)
	s.txtBuf = s.appendText(s.txtBuf[:0], dv, dc)
	r.dateText = s.txtBuf
	if dv.IsNull() {
		r.bad = s.badRow(ReasonBadDate, dc, "", "the date is empty (null)")
		return true, nil
	}
	day, ok := s.day(dv, dc)
	if !ok {
		msg := s.dates.describe(s.txtBuf)
		if dc.isDate || dc.perDay > 0 || dc.kind == parquet.Int96 {
			msg = fmt.Sprintf("the date %s falls outside years 1 to 9999", s.txtBuf)
		}
		r.bad = s.badRow(ReasonBadDate, dc, string(s.txtBuf), msg)
		return true, nil
	}
	r.day = day

	if ac := s.cols[2]; ac != nil {
		av := valueAt(pr, ac.index)
		if av.IsNull() {
			r.bad = s.badRow(ReasonBadAmount, ac, "", "the amount is empty (null)")
			return true, nil
		}
		v, text := s.amount(av, ac)
		switch {
		case text != "":
			if reason, msg := checkAmount(r, []byte(text)); msg != "" {
				r.bad = s.badRow(reason, ac, text, msg)
			}
		case math.IsNaN(v) || math.IsInf(v, 0):
			r.bad = s.badRow(ReasonNonFinite, ac, fmt.Sprint(v), fmt.Sprintf("the amount %v is not a finite number", v))
		case v < 0:
			r.bad = s.badRow(ReasonNegative, ac, fmt.Sprint(v), fmt.Sprintf("the amount %v is negative", v))
		default:
			r.amount = v
		}
	}
	return true, nil
}

// valueAt returns the value of leaf column i in a row (a null value when
// the row has none).
func valueAt(r parquet.Row, i int) parquet.Value {
	if i < len(r) && r[i].Column() == i {
		return r[i]
	}
	for _, v := range r {
		if v.Column() == i {
			return v
		}
	}
	return parquet.Value{}
}

// appendText writes a value as text, for ids and messages.
func (s *parquetSource) appendText(b []byte, v parquet.Value, col *pqColumn) []byte {
	if v.IsNull() {
		return b
	}
	switch v.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		raw := v.ByteArray()
		if col.isUUID && len(raw) == 16 {
			const hex = "0123456789abcdef"
			for i, c := range raw {
				if i == 4 || i == 6 || i == 8 || i == 10 {
					b = append(b, '-')
				}
				b = append(b, hex[c>>4], hex[c&15])
			}
			return b
		}
		return append(b, raw...)
	case parquet.Int32:
		return strconv.AppendInt(b, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case parquet.Float:
		return strconv.AppendFloat(b, float64(v.Float()), 'f', -1, 32)
	case parquet.Double:
		return strconv.AppendFloat(b, v.Double(), 'f', -1, 64)
	}
	return append(b, v.String()...)
}

// day reads a date value.
func (s *parquetSource) day(v parquet.Value, col *pqColumn) (int64, bool) {
	var d int64
	switch {
	case col.isDate && v.Kind() == parquet.Int32:
		d = int64(v.Int32())
	case col.perDay > 0 && v.Kind() == parquet.Int64:
		d = floorDiv(v.Int64(), col.perDay)
	case v.Kind() == parquet.Int96:
		// Legacy timestamps: nanoseconds of the day, then the Julian day.
		d = int64(v.Int96()[2]) - 2440588
	default:
		return s.dates.parse(s.txtBuf)
	}
	if d < minDay || d > maxDay {
		return 0, false
	}
	return d, true
}

// amount reads an amount value: a number, or text to parse (text != "").
func (s *parquetSource) amount(v parquet.Value, col *pqColumn) (float64, string) {
	var x float64
	switch v.Kind() {
	case parquet.Float:
		return float64(v.Float()), ""
	case parquet.Double:
		return v.Double(), ""
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if !col.isDecimal {
			return 0, string(v.ByteArray())
		}
		// Big-endian two's complement.
		raw := v.ByteArray()
		n := new(big.Int).SetBytes(raw)
		if len(raw) > 0 && raw[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(raw))))
		}
		x, _ = new(big.Float).SetInt(n).Float64()
	default:
		return 0, v.String()
	}
	if col.isDecimal && col.scale > 0 {
		if col.scale < len(pow10) {
			x /= pow10[col.scale]
		} else {
			x /= math.Pow10(col.scale)
		}
	}
	return x, ""
}

func (s *parquetSource) badRow(reason Reason, col *pqColumn, text, detail string) *BadRowError {
	return &BadRowError{File: s.in.File, Line: s.rowNum, RowNumber: true, Column: col.name,
		ColumnIndex: col.pos, Text: clip([]byte(text)), Reason: reason, Detail: detail, Hint: hints[reason], Options: reasonOptions(reason)}
}

func (s *parquetSource) rewind() error {
	if err := s.reader.SeekToRow(0); err != nil {
		return fmt.Errorf("%s: %w", s.in.File, err)
	}
	s.pos, s.n, s.rowNum = 0, 0, 0
	return nil
}

func (s *parquetSource) close() error {
	err := s.reader.Close()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *parquetSource) inspection() *Inspection { in := s.in; return &in }
