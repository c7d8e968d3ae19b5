package experiments

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sync"

	"github.com/parquet-go/parquet-go"
)

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

// parquetBatch is the number of values of a column handed to the Parquet
// writer at a time.
const parquetBatch = 4096

// writeParquetRows writes rows lo..hi−1 of the columns into a row group,
// column by column: numbers computed a batch at a time (predColumn.values),
// ids copied into one buffer per batch, tiers from one byte slice per tier.
func writeParquetRows(rg *parquet.ConcurrentRowGroupWriter, cols []predColumn, lo, hi int) error {
	writers := rg.ColumnWriters()
	values := make([]parquet.Value, parquetBatch)
	numbers := make([]float64, parquetBatch)
	var text []byte
	var ends []int
	var tiers [][]byte // each tier's name, once met
	for j, c := range cols {
		for first := lo; first < hi; first += parquetBatch {
			m := min(parquetBatch, hi-first)
			switch {
			case c.tier != nil:
				for k, t := range c.tier[first : first+m] {
					if int(t) >= len(tiers) {
						tiers = append(tiers, make([][]byte, int(t)+1-len(tiers))...)
					}
					if tiers[t] == nil {
						tiers[t] = []byte(t.String())
					}
					values[k] = parquet.ByteArrayValue(tiers[t])
					values[k].SetColumnIndex(j)
				}
			case !c.isNumber():
				text, ends = text[:0], ends[:0]
				for k := range m {
					text = append(text, c.textAt(first+k)...)
					ends = append(ends, len(text))
				}
				start := 0
				for k, end := range ends {
					values[k] = parquet.ByteArrayValue(text[start:end:end])
					values[k].SetColumnIndex(j)
					start = end
				}
			default:
				for k, v := range c.values(first, numbers[:m]) {
					values[k] = parquet.DoubleValue(v)
					values[k].SetColumnIndex(j)
				}
			}
			if _, err := writers[j].WriteRowValues(values[:m]); err != nil {
				return err
			}
		}
	}
	return nil
}
