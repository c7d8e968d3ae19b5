package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestPredictionsParquetEqualsCSV writes the same table as CSV and as
// Parquet and checks that the Parquet file, read back by parquet-go's
// reader (which checks every page's CRC), has the CSV's columns in the
// same order, strings where the CSV has text and doubles where it has
// numbers, and the same values bit for bit: a small table of awkward ids
// and extreme numbers, and the predictions of six models with spend and
// tiers (columns by row, computed per batch, per customer), with costs
// and with two models without (their net CLV written as their CLV's
// chunks, see parquetRepeats), in the run's layout and in row groups of
// 1,000 rows and pages of 300 (three row groups of four pages, the last
// page short).
func TestPredictionsParquetEqualsCSV(t *testing.T) {
	cfg, wr := patternWindow(t, patternSummary(3000, true))
	costlessCfg, costless := patternWindow(t, patternSummary(3000, true))
	for _, name := range []string{"bgnbd", "paretonbd"} {
		p := costless.preds[name]
		p.net = NetCLVOptions{Margin: p.margin}
	}
	costlessCols := predictionColumns(costlessCfg, costless)
	if units := parquetUnits(costlessCols, 1); len(units) != len(costlessCols)-2 {
		t.Fatalf("%d units of %d columns, want two net CLV columns repeated", len(units), len(costlessCols))
	}
	layouts := map[string]parquetLayout{
		"run":   {groupRows: parquetGroupRows, pageRows: parquetPageRows},
		"small": {groupRows: 1000, pageRows: 300},
	}
	tables := map[string][]predColumn{"awkward": predictionTestColumns(), "predictions": predictionColumns(cfg, wr), "costless": costlessCols}
	for name, cols := range tables {
		for lname, layout := range layouts {
			t.Run(name+"/"+lname, func(t *testing.T) { checkParquetEqualsCSV(t, cols, layout) })
		}
	}
}

// checkParquetEqualsCSV is TestPredictionsParquetEqualsCSV on one table.
func checkParquetEqualsCSV(t *testing.T, cols []predColumn, layout parquetLayout) {
	var cb, pb bytes.Buffer
	if err := writePredictionsCSV(&cb, cols); err != nil {
		t.Fatal(err)
	}
	if err := writeParquetGroups(&pb, cols, layout); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(pb.Bytes()), int64(pb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	fields := f.Schema().Fields()
	if len(fields) != len(records[0]) {
		t.Fatalf("parquet has %d columns, CSV %d", len(fields), len(records[0]))
	}
	for j, fl := range fields {
		if fl.Name() != records[0][j] {
			t.Errorf("column %d: parquet %q, CSV %q", j, fl.Name(), records[0][j])
		}
		// Text must be a UTF-8 string column (pandas, polars and DuckDB
		// read it as text, not bytes), and every column required.
		if lt := fl.Type().LogicalType(); !cols[j].isNumber() && (lt == nil || lt.String() != "STRING") {
			t.Errorf("column %s is not a UTF-8 string column", fl.Name())
		}
		if fl.Optional() || fl.Repeated() {
			t.Errorf("column %s is not required", fl.Name())
		}
	}
	n := len(records) - 1
	if want := (n + layout.groupRows - 1) / layout.groupRows; len(f.RowGroups()) != want {
		t.Errorf("%d row groups, want %d", len(f.RowGroups()), want)
	}
	rows := readParquetRows(t, f, n)
	for i, row := range rows {
		for _, v := range row {
			j := v.Column()
			want := records[i+1][j]
			if cols[j].isNumber() {
				if v.Kind() != parquet.Double {
					t.Fatalf("row %d column %s: kind %v, want double", i, records[0][j], v.Kind())
				}
				w, err := strconv.ParseFloat(want, 64)
				if err != nil || math.Float64bits(w) != math.Float64bits(v.Double()) {
					t.Errorf("row %d column %s: parquet %v, CSV %q", i, records[0][j], v.Double(), want)
				}
				continue
			}
			if v.Kind() != parquet.ByteArray || string(v.ByteArray()) != want {
				t.Errorf("row %d column %s: parquet %v %q, CSV %q", i, records[0][j], v.Kind(), v.ByteArray(), want)
			}
		}
	}
	checkParquetStatistics(t, f, rows, layout)
}

// readParquetRows reads the n rows of a Parquet file, and no more.
func readParquetRows(t *testing.T, f *parquet.File, n int) []parquet.Row {
	t.Helper()
	rows := make([]parquet.Row, n+1)
	r := parquet.NewReader(f)
	defer r.Close()
	got, err := r.ReadRows(rows)
	if got != n || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("read %d parquet rows (%v), want %d", got, err, n)
	}
	return rows[:n]
}

// checkParquetStatistics checks each column chunk's statistics in the
// footer against its values read back: no nulls, the least and the
// greatest value (doubles by value, NaN left out, a least zero as −0 and
// a greatest as +0; strings byte by byte) and the number of data pages,
// counted by parquet-go's page reader.
func checkParquetStatistics(t *testing.T, f *parquet.File, rows []parquet.Row, layout parquetLayout) {
	t.Helper()
	for g, rg := range f.Metadata().RowGroups {
		group := rows[g*layout.groupRows : min((g+1)*layout.groupRows, len(rows))]
		for j, cc := range rg.Columns {
			st := cc.MetaData.Statistics
			wantMin, wantMax := columnBounds(group, j)
			if st.NullCount != 0 || !bytes.Equal(st.MinValue, wantMin) || !bytes.Equal(st.MaxValue, wantMax) {
				t.Errorf("row group %d column %d: statistics %d nulls, min %x max %x; want 0, %x, %x", g, j, st.NullCount, st.MinValue, st.MaxValue, wantMin, wantMax)
			}
			pages := f.RowGroups()[g].ColumnChunks()[j].Pages()
			count := 0
			for {
				_, err := pages.ReadPage()
				if err != nil {
					break
				}
				count++
			}
			pages.Close()
			if want := (len(group) + layout.pageRows - 1) / layout.pageRows; count != want {
				t.Errorf("row group %d column %d: %d pages, want %d", g, j, count, want)
			}
		}
	}
}

// columnBounds returns the least and the greatest value of column j of
// rows as Parquet statistics store them, or nil where every value is NaN.
func columnBounds(rows []parquet.Row, j int) (lo, hi []byte) {
	if rows[0][j].Kind() == parquet.ByteArray {
		lo, hi = rows[0][j].ByteArray(), rows[0][j].ByteArray()
		for _, row := range rows {
			if b := row[j].ByteArray(); bytes.Compare(b, lo) < 0 {
				lo = b
			} else if bytes.Compare(b, hi) > 0 {
				hi = b
			}
		}
		return lo, hi
	}
	var values []float64
	for _, row := range rows {
		if v := row[j].Double(); !math.IsNaN(v) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return nil, nil
	}
	least, greatest := values[0], values[0]
	for _, v := range values {
		least, greatest = math.Min(least, v), math.Max(greatest, v)
	}
	if least == 0 {
		least = math.Copysign(0, -1)
	}
	if greatest == 0 {
		greatest = 0
	}
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(least)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(greatest))
}

// TestPredictionsParquetRowGroups writes 10,000 rows in row groups of
// 4,500 and pages of 1,000 (three groups of five pages, the last group
// of one page) and reads them back: every row in order, ids, numbers
// (with NaN, ±0 and ±Inf among them, and a column all NaN) and tiers
// (with three Tier values beyond the named tiers, written as their
// String) equal bit for bit, and each column chunk's statistics those of
// its values.
func TestPredictionsParquetRowGroups(t *testing.T) {
	const n = 10000
	ids, nums, nans, tiers := make([]string, n), make([]float64, n), make([]float64, n), make([]Tier, n)
	special := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1)}
	for i := range n {
		ids[i], nums[i], nans[i], tiers[i] = strconv.Itoa(i*7919%100003), float64(i)/3-17, math.NaN(), Tier(i%(len(tierNames)+3))
		if i%997 == 0 {
			nums[i] = special[(i/997)%len(special)]
		}
	}
	cols := []predColumn{{name: "customer_id", text: ids}, {name: "value", number: nums}, {name: "nan", number: nans}, {name: "tier", tier: tiers}}
	layout := parquetLayout{groupRows: 4500, pageRows: 1000}
	var pb bytes.Buffer
	if err := writeParquetGroups(&pb, cols, layout); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(pb.Bytes()), int64(pb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if g := len(f.RowGroups()); g != 3 {
		t.Errorf("%d row groups, want 3", g)
	}
	rows := readParquetRows(t, f, n)
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for i, row := range rows {
		if string(row[0].ByteArray()) != ids[i] || !same(row[1].Double(), nums[i]) || !same(row[2].Double(), nans[i]) || string(row[3].ByteArray()) != tiers[i].String() {
			t.Fatalf("row %d: %v, want %s %v %v %s", i, row, ids[i], nums[i], nans[i], tiers[i])
		}
	}
	checkParquetStatistics(t, f, rows, layout)
	if st := f.Metadata().RowGroups[0].Columns[2].MetaData.Statistics; st.MinValue != nil || st.MaxValue != nil {
		t.Errorf("a column of NaN has bounds %x %x", st.MinValue, st.MaxValue)
	}
}

// TestParquetTierNames checks that every Tier value's name fits the room
// appendTiers copies it in.
func TestParquetTierNames(t *testing.T) {
	for v := range 256 {
		if s := Tier(v).String(); len(s) > parquetTierWidth {
			t.Errorf("Tier(%d) is %q, longer than parquetTierWidth = %d", v, s, parquetTierWidth)
		}
	}
}

// TestPredictionsParquetBytes pins the bytes of the Parquet file of the
// small table of awkward ids and extreme numbers (no fitted values, so
// the same on every platform), in the run's layout and in row groups of
// two rows with pages of one: the digests are those of the writer before
// its column chunks were encoded in parallel (14a99b0; this writer gave
// the same when it landed), so a change of page headers, statistics or
// chunk order shows here, where the read-back tests above (what the bytes
// mean) would still pass.
func TestPredictionsParquetBytes(t *testing.T) {
	for _, c := range []struct {
		layout parquetLayout
		size   int
		digest string
	}{
		{parquetLayout{groupRows: parquetGroupRows, pageRows: parquetPageRows}, 1046, "9079afb62ebdc8dbfa900849cb9eef49944252e43617ac7c9b89b4d2c154c08f"},
		{parquetLayout{groupRows: 2, pageRows: 1}, 3017, "c88885505c098552424ac7f010c66a4cff0b7a54b7f97cde64081d6c27702b7d"},
	} {
		var b bytes.Buffer
		if err := writeParquetGroups(&b, predictionTestColumns(), c.layout); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b.Bytes()); b.Len() != c.size || hex.EncodeToString(sum[:]) != c.digest {
			t.Errorf("groups of %d rows, pages of %d: %d bytes, SHA-256 %x; want %d bytes, %s", c.layout.groupRows, c.layout.pageRows, b.Len(), sum, c.size, c.digest)
		}
	}
}

// countingWriter counts its writes.
type countingWriter struct{ writes int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return len(p), nil
}

// TestPredictionsParquetWriteFails writes a table of three row groups to
// a writer that fails (see failingWriter) at its first write (the
// leading magic), in the first row group, in the last and at the footer:
// the failure is returned.
func TestPredictionsParquetWriteFails(t *testing.T) {
	cfg, wr := patternWindow(t, patternSummary(3000, true))
	cols := predictionColumns(cfg, wr)
	layout := parquetLayout{groupRows: 1000, pageRows: 300}
	var count countingWriter
	if err := writeParquetGroups(&count, cols, layout); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []int{0, 3, count.writes - 3, count.writes - 1} {
		if err := writeParquetGroups(&failingWriter{ok: ok}, cols, layout); err == nil || err.Error() != "disk full" {
			t.Errorf("failing after %d of %d writes: %v, want disk full", ok, count.writes, err)
		}
	}
}
