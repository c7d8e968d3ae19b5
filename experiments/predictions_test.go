package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// predictionTestColumns is a small predictions table with awkward ids
// (a comma, a quote, a leading space), extreme numbers and every tier.
func predictionTestColumns() []predColumn {
	return []predColumn{
		{name: "customer_id", text: []string{"1", "a,b", `q"uote`, " lead", "", "x"}},
		{name: "frequency", number: []float64{0, 1, 2.5, 1e-300, 123456789, 0.1}},
		{name: "bgnbd_purchases", number: []float64{math.Pi, 0, 5e-324, 1.7976931348623157e308, 1.0 / 3, 2}},
		{name: "bgnbd_net_clv", number: []float64{-4.25, 0, 1e22, 3, 7, 9}},
		{name: "bgnbd_tier", tier: []Tier{TierBest, TierNeverProfitable, TierGood, TierPotential, TierGood, TierBest}},
	}
}

// patternWindow predicts every model of patternModels on a summary, with
// the Gamma-Gamma spend model and tiers, as a run's window.
func patternWindow(t testing.TB, s *datasets.Summary) (*Config, *windowResult) {
	t.Helper()
	fits := patternModels(t, s)
	spend, err := models.NewFittedGammaGamma(6, 4, 15)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Models: []string{"average", "retention", "hiatus", "bgnbd", "paretonbd", "mbgnbd"}}
	cfg.CLV = CLVConfig{Horizon: 52, DiscountRate: 0.1, Margin: 0.3, CostPerPurchase: 0.5, CostPerCustomer: 0.01}
	wr := &windowResult{summary: s, patterns: datasets.NewPatterns(s), preds: map[string]*Prediction{}, fits: fits, spend: spend}
	in := predictInput{summary: s, patterns: wr.patterns, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 0.3}}
	in.table = newRowTable(s, wr.patterns)
	for _, name := range cfg.Models {
		p, err := predictModel(context.Background(), name, fits[name], spend, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		addValueTiers(cfg, wr, p)
		wr.preds[name] = p
	}
	return cfg, wr
}

// referenceCSV writes the columns as encoding/csv writes records of
// strconv's shortest 'g' numbers, customer by customer through
// predColumn.value: the writer's specification, independent of its
// batches, slots, copies and number fast paths.
func referenceCSV(t *testing.T, cols []predColumn) []byte {
	t.Helper()
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	record := make([]string, len(cols))
	for j, c := range cols {
		record[j] = c.name
	}
	if err := w.Write(record); err != nil {
		t.Fatal(err)
	}
	for i := range cols[0].len() {
		for j, c := range cols {
			switch {
			case c.tier != nil:
				record[j] = c.tier[i].String()
			case !c.isNumber():
				record[j] = datasets.SpreadsheetSafe(c.textAt(i))
			default:
				record[j] = strconv.FormatFloat(c.value(i), 'g', -1, 64)
			}
		}
		if err := w.Write(record); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return out.Bytes()
}

// TestPredictionsCSVByRow checks that the CSV as a run writes it (a
// pattern's fields formatted once and copied for its customers, the other
// numbers computed in batches, equal values copied) is byte for byte the
// reference CSV (referenceCSV), with one or two holdout lengths, in a
// backtest and a forecast, with and without costs (net CLV then equals
// CLV), written in blocks of 97 rows (many blocks, each written while the
// next are formatted) and in one block, with tables of slots in blocks
// of 4096 rows and of 5 (many blocks of records); and that the by-row
// path is taken, revenue, CLV and net CLV derived from the records' by-row
// values (net CLV's alive time only with a cost per customer), net CLV
// copied from CLV without costs.
func TestPredictionsCSVByRow(t *testing.T) {
	for _, mixed := range []bool{false, true} {
		s := patternSummary(3000, mixed)
		for i := range s.Customers {
			c := &s.Customers[i]
			c.FrequencyHoldout = float64(i % 4)
			if c.FrequencyHoldout > 0 {
				c.MonetaryHoldout = 5 + float64(i%13)/7
			}
		}
		cfg, wr := patternWindow(t, s)
		for _, costs := range []bool{true, false} {
			if !costs {
				cfg.CLV.CostPerPurchase, cfg.CLV.CostPerCustomer = 0, 0
				for _, p := range wr.preds {
					addValueTiers(cfg, wr, p)
				}
			}
			for _, forecast := range []bool{false, true} {
				cfg.Resolved.Forecast = forecast
				cols := predictionColumns(cfg, wr)
				byRow, derived, withAliveTime, copies := 0, 0, 0, 0
				segs, _ := csvSegments(cols, slotBlockRows)
				for _, s := range segs {
					switch {
					case s.kind == segSlots:
						byRow++
					case s.kind == segDerived:
						derived++
						if s.inputs[1] >= 0 {
							withAliveTime++
						}
					case s.kind == segCopy:
						copies++
					}
				}
				if costs != (copies == 0) {
					t.Errorf("mixed=%v costs=%v: %d net CLV columns copied from CLV", mixed, costs, copies)
				}
				if byRow < 5 {
					t.Errorf("mixed=%v: %d segments by row, want the summary's and each pattern model's", mixed, byRow)
				}
				if derived+copies < 3*(byRow-1) {
					t.Errorf("mixed=%v: %d columns derived from by-row values, want revenue, CLV and net CLV of each pattern model", mixed, derived+copies)
				}
				if costs != (withAliveTime > 0) {
					t.Errorf("mixed=%v costs=%v: %d net CLV columns read the alive time", mixed, costs, withAliveTime)
				}
				want := referenceCSV(t, cols)
				for _, block := range []struct{ rows, slotRows int }{{97, slotBlockRows}, {len(s.Customers), slotBlockRows}, {97, 5}} {
					var got bytes.Buffer
					if err := writeCSVBlocks(&got, cols, block.rows, block.slotRows); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), want) {
						t.Fatalf("mixed=%v costs=%v forecast=%v block=%v: the CSV differs from the reference at byte %d",
							mixed, costs, forecast, block, firstDifference(got.Bytes(), want))
					}
				}
			}
		}
	}
}

// firstDifference returns the offset of the first byte where a and b
// differ.
func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestPredictionsCSVGroups checks the CSV of columns in every layout of
// groups against the reference CSV (referenceCSV): a number column
// starting the line, text between numbers, a tier with no name, numbers
// repeated down a column and across columns (copied fields), negative,
// whole, tiny and huge numbers, NaN and infinities, in blocks of several
// sizes.
func TestPredictionsCSVGroups(t *testing.T) {
	const n = 700
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	ids, tiers := make([]string, n), make([]Tier, n)
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, -1e-320, 1.7976931348623157e308, 123456, -0.25}
	for i := range n {
		a[i] = float64(i/3) / 7 // each value three times down the column
		b[i] = a[i]
		if i%2 == 0 {
			b[i] = -float64(i) * 1e-9
		}
		c[i] = special[i%len(special)]
		ids[i] = strconv.Itoa(i)
		if i%5 == 0 {
			ids[i] = "=id,\"" + ids[i]
		}
		tiers[i] = Tier(i % 6) // 4 and 5 have no name
	}
	cols := []predColumn{
		{name: "a", number: a},
		{name: "b", number: b},
		{name: "tier", tier: tiers},
		{name: "id", text: ids},
		{name: "c", number: c},
		{name: "a_again", number: a},
		{name: "tier_again", tier: tiers},
	}
	want := referenceCSV(t, cols)
	for _, rows := range []int{1, 97, n} {
		var got bytes.Buffer
		if err := writeCSVBlocks(&got, cols, rows, slotBlockRows); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("blocks of %d rows: the CSV differs from the reference at byte %d", rows, firstDifference(got.Bytes(), want))
		}
	}
}

// TestPredictionsCSVEmpty writes a table of no customers: the header
// line only.
func TestPredictionsCSVEmpty(t *testing.T) {
	cols := []predColumn{{name: "customer_id", text: []string{}}, {name: "x", number: []float64{}}, {name: "tier", tier: []Tier{}}}
	var b bytes.Buffer
	if err := writePredictionsCSV(&b, cols); err != nil {
		t.Fatal(err)
	}
	if b.String() != "customer_id,x,tier\n" {
		t.Errorf("got %q", b.String())
	}
}

// failingWriter fails every write after the first ok.
type failingWriter struct{ ok int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.ok == 0 {
		return 0, errors.New("disk full")
	}
	w.ok--
	return len(p), nil
}

// TestPredictionsCSVWriteError checks that a failing write stops the
// writer with its error, whatever the workers are formatting.
func TestPredictionsCSVWriteError(t *testing.T) {
	const n = 5000
	nums := make([]float64, n)
	for i := range nums {
		nums[i] = float64(i) / 7
	}
	cols := []predColumn{{name: "x", number: nums}}
	for ok := range 4 {
		if err := writeCSVBlocks(&failingWriter{ok: ok}, cols, 97, slotBlockRows); err == nil || err.Error() != "disk full" {
			t.Errorf("after %d writes: %v, want disk full", ok, err)
		}
	}
}

// TestPredictionsCSVSignedZeros writes net CLV without costs where a
// discounted purchases or an alive time is −0 (net CLV is then +0 where
// CLV is −0, so it may not be copied from CLV, nor the alive time left
// out) and checks it against the reference CSV.
func TestPredictionsCSVSignedZeros(t *testing.T) {
	negZero := math.Copysign(0, -1)
	rows := []int32{0, 1, 2, 0, 1, 2, 2, 1}
	for name, c := range map[string]struct {
		discounted, aliveTime []float64
		copied, costless      bool
	}{
		"plain":               {[]float64{1, 2, 0}, []float64{1, 0, 3}, true, true},
		"discounted −0":       {[]float64{1, negZero, 0}, []float64{1, 0, 3}, false, true},
		"alive time −0":       {[]float64{1, 2, 0}, []float64{1, negZero, 3}, false, false},
		"infinite alive time": {[]float64{1, 2, 0}, []float64{1, math.Inf(1), 3}, false, false},
		"NaN discounted":      {[]float64{1, math.NaN(), 0}, []float64{1, 0, 3}, false, true},
	} {
		p := &Prediction{rows: rows, purchases: []float64{1, 2, 3}, alive: []float64{1, 1, 1}, discounted: c.discounted,
			aliveTime: c.aliveTime, spend: []float64{3, 4, 5, 6, 7, 8, 9, 10}, margin: 0.5,
			net: NetCLVOptions{Margin: 0.5}, tiers: make([]Tier, len(rows))}
		if got := netCLVIsCLV(p); got != c.copied {
			t.Errorf("%s: netCLVIsCLV = %v, want %v", name, got, c.copied)
		}
		if got := aliveTimeCostless(p); got != c.costless {
			t.Errorf("%s: aliveTimeCostless = %v, want %v", name, got, c.costless)
		}
		cols := []predColumn{quantityColumn("purchases", p, PredPurchases), {name: "clv", pred: p, q: PredCLV}, {name: "net_clv", pred: p, q: PredNetCLV}}
		want := referenceCSV(t, cols)
		var got bytes.Buffer
		if err := writeCSVBlocks(&got, cols, 3, 2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: the CSV differs from the reference at byte %d:\n%s\nwant\n%s", name, firstDifference(got.Bytes(), want), got.Bytes(), want)
		}
	}
}

// TestPredictionsCSVSlotCopies checks, against the reference CSV
// (referenceCSV), tables of slots whose by-row columns equal an earlier
// one on every row, on some rows or on none, where +0 meets −0 (equal as
// numbers, not as fields) and NaN meets NaN: a field copied from an
// earlier column's (csvSlots.same) must be what formatting its own value
// gives. A column equal on most rows must get a same, so that the copies
// are taken.
func TestPredictionsCSVSlotCopies(t *testing.T) {
	const rows, n = 40, 200
	negZero := math.Copysign(0, -1)
	for name, c := range map[string]struct {
		b      func(r int, a float64) float64
		copies bool
	}{
		"equal on every row": {func(r int, a float64) float64 { return a }, true},
		"equal on some rows": {func(r int, a float64) float64 {
			if r%3 == 0 {
				return a + 1
			}
			return a
		}, true},
		"+0 against −0": {func(r int, a float64) float64 {
			if a == 0 {
				return negZero
			}
			return a
		}, true},
		"NaN against NaN": {func(r int, a float64) float64 {
			if r%4 == 0 {
				return math.NaN()
			}
			return a
		}, true},
		"never equal": {func(r int, a float64) float64 { return float64(r) + 0.5 }, false},
	} {
		a, b, index := make([]float64, rows), make([]float64, rows), make([]int32, n)
		for r := range rows {
			switch r % 4 {
			case 0:
				a[r] = math.NaN()
			case 1:
				a[r] = 0
			default:
				a[r] = float64(r) / 7
			}
			b[r] = c.b(r, a[r])
		}
		ids, between := make([]string, n), make([]float64, n)
		for i := range index {
			index[i] = int32(i * 7 % rows)
			ids[i], between[i] = strconv.Itoa(i), float64(i)/9
		}
		cols := []predColumn{
			{name: "id", text: ids},
			{name: "a", byRow: a, rows: index},
			{name: "between", number: between},
			{name: "b", byRow: b, rows: index},
			{name: "b_again", byRow: b, rows: index},
		}
		if _, tables := csvSegments(cols, slotBlockRows); len(tables) != 1 || c.copies != (tables[0].same[1] == 0) || tables[0].same[2] < 0 {
			t.Errorf("%s: the table's columns copy %v, want b from a: %v and b_again from an earlier one", name, tables[0].same, c.copies)
		}
		want := referenceCSV(t, cols)
		for _, slotRows := range []int{slotBlockRows, 7} {
			var got bytes.Buffer
			if err := writeCSVBlocks(&got, cols, 31, slotRows); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s, records in blocks of %d rows: the CSV differs from the reference at byte %d", name, slotRows, firstDifference(got.Bytes(), want))
			}
		}
	}
}

// TestAppendCSVField checks the CSV text fields against encoding/csv's
// quoting on plain ids and every case that needs quotes.
func TestAppendCSVField(t *testing.T) {
	for _, f := range []string{"", "0000001", "abc", "a,b", `q"uote`, " lead", "\tlead", "\u00a0lead", "\u0085x", "é", "x\ny", "x\r",
		`\.`, `\x`, `\`, "\x7f", "!", "trail ", "=1", "a b"} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		if err := w.Write([]string{f}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if got := string(appendCSVField(nil, f)) + "\n"; got != want.String() {
			t.Errorf("appendCSVField(%q) = %q, encoding/csv %q", f, got, want.String())
		}
	}
}
