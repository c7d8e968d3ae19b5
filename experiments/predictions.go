package experiments

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/clv-dev/clv/datasets"
	"github.com/parquet-go/parquet-go"
)

// predColumn is one column of the predictions table: customer ids, numbers
// or tiers (exactly one of the slices is set), or a quantity of a
// prediction (pred set, the slices nil).
type predColumn struct {
	name   string
	text   []string
	number []float64
	tier   []Tier
	pred   *Prediction
	q      Quantity
}

// isNumber reports whether the column holds numbers.
func (c predColumn) isNumber() bool { return c.text == nil && c.tier == nil }

// value returns customer i's number.
func (c predColumn) value(i int) float64 {
	if c.pred != nil {
		return c.pred.Value(c.q, i)
	}
	return c.number[i]
}

// numbers returns the column's numbers, materialized from the prediction
// when it is one's quantity.
func (c predColumn) numbers() []float64 {
	if c.pred != nil {
		return c.pred.Column(c.q)
	}
	return c.number
}

// predictionColumns returns the predictions table of a window: the
// summary columns, the holdout actuals and, per model that produced
// predictions, its holdout purchases, P(alive) and, with a spend model,
// holdout revenue, CLV, net CLV and tier.
func predictionColumns(cfg *Config, wr *windowResult) []predColumn {
	s := wr.summary
	n := len(s.Customers)
	ids := make([]string, n)
	summary := make([][]float64, 8)
	for k := range summary {
		summary[k] = make([]float64, n)
	}
	for i, c := range s.Customers {
		ids[i] = c.ID
		for k, v := range [...]float64{c.Frequency, c.Recency, c.T, c.Monetary, c.FrequencyHoldout,
			c.MonetaryHoldout, c.DurationHoldout, c.FrequencyHoldout * c.MonetaryHoldout} {
			summary[k][i] = v
		}
	}
	cols := []predColumn{{name: "customer_id", text: ids}}
	names := []string{"frequency", "recency", "T", "monetary_value", "frequency_holdout",
		"monetary_value_holdout", "duration_holdout", "revenue_holdout"}
	if cfg.Resolved.Forecast {
		names = names[:4] // a forecast has no holdout
	}
	for k, name := range names {
		cols = append(cols, predColumn{name: name, number: summary[k]})
	}
	for _, name := range cfg.Models {
		p, ok := wr.preds[name]
		if !ok {
			continue
		}
		cols = append(cols, predColumn{name: name + "_purchases", pred: p, q: PredPurchases},
			predColumn{name: name + "_p_alive", pred: p, q: PredPAlive})
		cols = append(cols, intervalColumns(name, p)...)
		if p.HasSpend() && cfg.Resolved.Forecast {
			cols = append(cols, predColumn{name: name + "_spend", pred: p, q: PredSpend})
		}
		if p.HasSpend() {
			cols = append(cols, predColumn{name: name + "_revenue", pred: p, q: PredRevenue},
				predColumn{name: name + "_clv", pred: p, q: PredCLV})
		}
		if p.HasTiers() {
			cols = append(cols, predColumn{name: name + "_net_clv", pred: p, q: PredNetCLV},
				predColumn{name: name + "_tier", tier: p.Tiers()})
		}
	}
	return cols
}

// writePredictions writes the per-customer predictions in the format of
// output.predictions: predictions.csv (the default), predictions.parquet,
// or nothing.
func writePredictions(rd *resultsDir, cfg *Config, wr *windowResult) error {
	switch cfg.Output.Predictions {
	case "none":
		return nil
	case "parquet":
		cols := predictionColumns(cfg, wr)
		return rd.writeFile("predictions.parquet", func(w io.Writer) error { return writePredictionsParquet(w, cols) })
	default:
		cols := predictionColumns(cfg, wr)
		return rd.writeFile("predictions.csv", func(w io.Writer) error { return writePredictionsCSV(w, cols) })
	}
}

// writePredictionsCSV writes the columns as CSV, one row per customer, with numbers
// in the shortest form that reads back to the same float64, so the file
// holds exactly what was scored. Blocks of rows are formatted in parallel
// and written in order.
func writePredictionsCSV(w io.Writer, cols []predColumn) error {
	var head []byte
	for j, c := range cols {
		if j > 0 {
			head = append(head, ',')
		}
		head = appendCSVField(head, c.name)
	}
	if _, err := w.Write(append(head, '\n')); err != nil {
		return err
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].len()
	}
	const block = 16384
	workers := max(1, runtime.GOMAXPROCS(0))
	bufs := make([][]byte, workers)
	for start := 0; start < n; start += block * workers {
		var wg sync.WaitGroup
		for k := range workers {
			lo := start + k*block
			hi := min(lo+block, n)
			if lo >= hi {
				bufs[k] = bufs[k][:0]
				continue
			}
			wg.Add(1)
			go func(k, lo, hi int) {
				defer wg.Done()
				bufs[k] = appendCSVRows(bufs[k][:0], cols, lo, hi)
			}(k, lo, hi)
		}
		wg.Wait()
		for _, b := range bufs {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c predColumn) len() int {
	switch {
	case c.text != nil:
		return len(c.text)
	case c.tier != nil:
		return len(c.tier)
	case c.pred != nil:
		return c.pred.Len()
	}
	return len(c.number)
}

// appendCSVRows appends rows lo..hi−1. Text (customer ids) is neutralised
// for spreadsheets (datasets.SpreadsheetSafe); Parquet keeps ids as read.
func appendCSVRows(b []byte, cols []predColumn, lo, hi int) []byte {
	for i := lo; i < hi; i++ {
		for j, c := range cols {
			if j > 0 {
				b = append(b, ',')
			}
			switch {
			case c.text != nil:
				b = appendCSVField(b, datasets.SpreadsheetSafe(c.text[i]))
			case c.tier != nil:
				b = append(b, c.tier[i].String()...)
			default:
				b = appendNumber(b, c.value(i))
			}
		}
		b = append(b, '\n')
	}
	return b
}

// appendNumber appends v as strconv.AppendFloat(b, v, 'g', -1, 64) does,
// whole numbers below 10⁶ (counts, interval bounds) by the faster integer
// path: 'g' writes them without a fraction or an exponent.
func appendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 && (v != 0 || !math.Signbit(v)) {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendCSVField appends a text field, quoted as encoding/csv quotes it:
// when it holds a comma, a quote, a line break, starts with a space, or
// is `\.`.
func appendCSVField(b []byte, f string) []byte {
	r, _ := utf8.DecodeRuneInString(f)
	if f != `\.` && !strings.ContainsAny(f, ",\"\r\n") && (f == "" || !unicode.IsSpace(r)) {
		return append(b, f...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
	return append(b, '"')
}

// writePredictionsParquet writes the columns as a Parquet file with the same columns
// in the same order: ids and tiers as UTF-8 strings, numbers as doubles,
// all required. Row groups of parquetGroupRows rows are encoded in
// parallel and written in order.
func writePredictionsParquet(w io.Writer, cols []predColumn) error {
	return writeParquetGroups(w, cols, parquetGroupRows)
}

// parquetGroupRows is the number of rows of a Parquet row group of the
// predictions.
const parquetGroupRows = 1 << 17

// writeParquetGroups writes the columns as Parquet in row groups of
// groupRows rows, as many encoded at once as there are CPUs.
func writeParquetGroups(w io.Writer, cols []predColumn, groupRows int) error {
	fields := make([]reflect.StructField, len(cols))
	for j, c := range cols {
		typ := reflect.TypeFor[float64]()
		if !c.isNumber() {
			typ = reflect.TypeFor[string]()
		}
		fields[j] = reflect.StructField{Name: fmt.Sprintf("C%d", j), Type: typ, Tag: reflect.StructTag(`parquet:"` + c.name + `"`)}
	}
	schema := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	pw := parquet.NewWriter(w, schema)
	n := 0
	if len(cols) > 0 {
		n = cols[0].len()
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	for start := 0; start < n; start += groupRows * workers {
		var groups []*parquet.ConcurrentRowGroupWriter
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for k := range workers {
			lo := start + k*groupRows
			if lo >= n {
				break
			}
			rg := pw.BeginRowGroup()
			groups = append(groups, rg)
			wg.Go(func() { errs[k] = writeParquetRows(rg, cols, lo, min(lo+groupRows, n)) })
		}
		wg.Wait()
		for k, rg := range groups {
			if errs[k] != nil {
				return errs[k]
			}
			if _, err := rg.Commit(); err != nil {
				return err
			}
		}
	}
	return pw.Close()
}

// writeParquetRows writes rows lo..hi−1 of the columns into a row group.
func writeParquetRows(rg *parquet.ConcurrentRowGroupWriter, cols []predColumn, lo, hi int) error {
	const batch = 4096
	rows := make([]parquet.Row, batch)
	for i := range rows {
		rows[i] = make(parquet.Row, len(cols))
	}
	for first := lo; first < hi; first += batch {
		m := min(batch, hi-first)
		for r := range m {
			i, row := first+r, rows[r]
			for j, c := range cols {
				switch {
				case c.text != nil:
					row[j] = parquet.ByteArrayValue([]byte(c.text[i])).Level(0, 0, j)
				case c.tier != nil:
					row[j] = parquet.ByteArrayValue([]byte(c.tier[i].String())).Level(0, 0, j)
				default:
					row[j] = parquet.DoubleValue(c.value(i)).Level(0, 0, j)
				}
			}
		}
		if _, err := rg.WriteRows(rows[:m]); err != nil {
			return err
		}
	}
	return nil
}
