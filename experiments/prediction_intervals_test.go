package experiments

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// spendBoundsCase is the spend-bound tests' table: the Gamma-Gamma
// (6, 4, 15) and six customers on four rows, the last one (f, x = 5)
// pointed at the row of x = 3 (the direct path).
func spendBoundsCase(t *testing.T) (*models.FittedGammaGamma, *datasets.Summary, *datasets.Patterns) {
	t.Helper()
	gg, err := models.NewFittedGammaGamma(6, 4, 15)
	if err != nil {
		t.Fatal(err)
	}
	s := &datasets.Summary{Customers: []datasets.CustomerSummary{
		{ID: "a", Frequency: 0, Monetary: 0}, {ID: "b", Frequency: 1, Monetary: 12.5}, {ID: "c", Frequency: 3, Monetary: 40},
		{ID: "d", Frequency: 1, Monetary: 7.25}, {ID: "e", Frequency: 12, Monetary: 3.1}, {ID: "f", Frequency: 5, Monetary: 22},
	}}
	return gg, s, &datasets.Patterns{Frequency: []float64{0, 1, 3, 12}, Of: []int32{0, 1, 2, 1, 3, 2}}
}

// TestSpendBoundsPerCustomer holds the spend bounds served from the
// per-row divisors to the Gamma-Gamma posterior's own interval of each
// customer (models.FittedGammaGamma.SpendInterval, its inverse gamma
// function called per customer), bit for bit, at two levels; a customer
// whose x is not her row's (the last, pointed at another row) takes the
// direct path and still gets her own.
func TestSpendBoundsPerCustomer(t *testing.T) {
	gg, s, pt := spendBoundsCase(t)
	for _, level := range []float64{0.8, 0.95} {
		sb := newSpendBounds(gg, level, s, pt)
		for i, c := range s.Customers {
			lo, hi := gg.SpendInterval(models.Customer{Frequency: c.Frequency, Monetary: c.Monetary}, level)
			if got := sb.lower(i); math.Float64bits(got) != math.Float64bits(lo) {
				t.Errorf("level %v, customer %s: lower %v, want %v", level, c.ID, got, lo)
			}
			if got := sb.upper(i); math.Float64bits(got) != math.Float64bits(hi) {
				t.Errorf("level %v, customer %s: upper %v, want %v", level, c.ID, got, hi)
			}
		}
	}
}

// TestForecastIntervals checks that a forecast's predictions carry the
// default intervals over clv.horizon: purchase bounds whole and ordered,
// each 95% interval holding the 80% one, and the point CLV inside its 95%
// interval unless the interval is the atom at 0 (P(no purchase) above
// 97.5%, where the mean of a rare large value lies above the quantile);
// metrics.json has no interval scores (nothing to score them on).
func TestForecastIntervals(t *testing.T) {
	out := runForecast(t)
	mf := out.Metrics.(*MetricsFile)
	if mf.Intervals == nil || len(mf.Intervals.Models) != 0 {
		t.Errorf("forecast intervals in metrics.json: %+v, want the section without scores", mf.Intervals)
	}
	ids, cols := predictionsCSV(t, out.Dir)
	for _, m := range []string{"bgnbd", "paretonbd", "mbgnbd"} {
		lo80, hi80 := cols[m+"_purchases_lower_80"], cols[m+"_purchases_upper_80"]
		lo95, hi95 := cols[m+"_purchases_lower_95"], cols[m+"_purchases_upper_95"]
		clvLo, clvHi, clv := cols[m+"_clv_lower_95"], cols[m+"_clv_upper_95"], cols[m+"_clv"]
		if len(lo80) != len(ids) || len(hi95) != len(ids) || len(clvHi) != len(ids) || len(cols[m+"_spend_lower_80"]) != len(ids) {
			t.Fatalf("%s: interval columns of %d, %d and %d values for %d customers", m, len(lo80), len(hi95), len(clvHi), len(ids))
		}
		for i := range ids {
			if lo80[i] != math.Trunc(lo80[i]) || !(lo95[i] <= lo80[i] && lo80[i] <= hi80[i] && hi80[i] <= hi95[i]) {
				t.Fatalf("%s, customer %s: 80%% [%v, %v], 95%% [%v, %v]", m, ids[i], lo80[i], hi80[i], lo95[i], hi95[i])
			}
			if clvHi[i] > 0 && !(clvLo[i] <= clv[i]*(1+1e-9) && clv[i] <= clvHi[i]*(1+1e-9)) {
				t.Fatalf("%s, customer %s: CLV %v outside its 95%% interval [%v, %v]", m, ids[i], clv[i], clvLo[i], clvHi[i])
			}
		}
	}
}

// TestSpendBoundsFill holds the block fillers of the spend bounds
// (fillLower, fillUpper, and fillBoth for the two at once: the
// predictions table's paths) to lower and upper customer by customer, bit
// for bit, over every block of the customers, a customer whose x is not
// her row's (the direct path) and one with a negative x and a NaN mean
// spend included.
func TestSpendBoundsFill(t *testing.T) {
	gg, s, pt := spendBoundsCase(t)
	s.Customers = append(s.Customers, datasets.CustomerSummary{ID: "g", Frequency: -1, Monetary: math.NaN()})
	pt.Of = append(pt.Of, 0)
	sb := newSpendBounds(gg, 0.9, s, pt)
	for lo := range len(s.Customers) {
		for hi := lo; hi <= len(s.Customers); hi++ {
			lower, upper := make([]float64, hi-lo), make([]float64, hi-lo)
			sb.fillLower(lo, lower)
			sb.fillUpper(lo, upper)
			bothLower, bothUpper := make([]float64, hi-lo), make([]float64, hi-lo)
			sb.fillBoth(lo, bothLower, bothUpper)
			for k := range lower {
				if math.Float64bits(bothLower[k]) != math.Float64bits(lower[k]) || math.Float64bits(bothUpper[k]) != math.Float64bits(upper[k]) {
					t.Errorf("customers %d…%d: fillBoth of %d [%v, %v], want [%v, %v]", lo, hi-1, lo+k, bothLower[k], bothUpper[k], lower[k], upper[k])
				}
				if want := sb.lower(lo + k); math.Float64bits(lower[k]) != math.Float64bits(want) {
					t.Errorf("customers %d…%d: lower of %d %v, want %v", lo, hi-1, lo+k, lower[k], want)
				}
				if want := sb.upper(lo + k); math.Float64bits(upper[k]) != math.Float64bits(want) {
					t.Errorf("customers %d…%d: upper of %d %v, want %v", lo, hi-1, lo+k, upper[k], want)
				}
			}
		}
	}
}

// TestPredictionsCSVIntervalColumns writes the predictions of BG/NBD,
// Pareto/NBD and MBG/NBD fitted on a simulated window, with purchase,
// spend, revenue and CLV intervals at two levels, and checks the CSV
// byte for byte against the reference CSV (referenceCSV, every column's
// own values customer by customer), in blocks of several sizes; the spend
// bounds, every model's the window's one spendBounds, are computed for
// the first model and copied for the others (segCopy), each copy of its
// own bound and level; each lower bound is computed with its upper (a
// columnPair).
func TestPredictionsCSVIntervalColumns(t *testing.T) {
	cfg, wr := simulatedWindow(t, 3000)
	s := wr.summary
	d, _ := ModelData(wr.patterns.Summary(s))
	var err error
	if wr.fits["paretonbd"], err = models.FitParetoNBD(context.Background(), d, models.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if wr.fits["mbgnbd"], err = models.FitMBGNBD(context.Background(), d, models.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	gg, err := models.NewFittedGammaGamma(6, 4, 15)
	if err != nil {
		t.Fatal(err)
	}
	wr.spend = gg
	cfg.Models = []string{"bgnbd", "paretonbd", "mbgnbd"}
	cfg.CLV = CLVConfig{Horizon: 52, DiscountRate: 0.1, Margin: 0.3, CostPerPurchase: 0.5, CostPerCustomer: 0.01}
	cfg.Resolved.Horizon = 52
	in := predictInput{summary: s, patterns: wr.patterns, clv: models.CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 0.3}}
	in.table = newRowTable(s, wr.patterns)
	for _, name := range cfg.Models {
		p, err := predictModel(context.Background(), name, wr.fits[name], gg, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		addValueTiers(cfg, wr, p)
		wr.preds[name] = p
	}
	addIntervals(context.Background(), cfg, models.NewRegistry(), wr)
	for _, name := range []string{"bgnbd", "paretonbd", "mbgnbd"} {
		if iv := wr.preds[name].Intervals; iv == nil || iv.Err != "" || len(iv.Spend) != 2 || len(iv.CLV) != 2 {
			t.Fatalf("%s: intervals %+v, want purchase, spend, revenue and CLV intervals at two levels", name, iv)
		}
	}
	cols := predictionColumns(cfg, wr)
	segs, _ := csvSegments(cols, slotBlockRows)
	copies, paired := 0, 0
	for j, seg := range segs {
		if seg.paired {
			paired++
			if next := segs[j+1].col.name; next != strings.Replace(seg.col.name, "_lower_", "_upper_", 1) {
				t.Errorf("%s paired with %s", seg.col.name, next)
			}
		}
		if seg.kind != segCopy || seg.col.key == nil {
			continue
		}
		copies++
		from := segs[seg.table].col
		if !strings.HasPrefix(from.name, "bgnbd_spend_") || strings.TrimPrefix(from.name, "bgnbd_") != seg.col.name[strings.IndexByte(seg.col.name, '_')+1:] {
			t.Errorf("%s copied from %s", seg.col.name, from.name)
		}
	}
	if copies != 8 {
		t.Errorf("%d spend columns copied, want 8 (two models, two levels, two bounds)", copies)
	}
	if paired != 14 {
		t.Errorf("%d pairs of bounds computed together, want 14 (revenue and CLV of three models and spend of the first, at two levels)", paired)
	}
	want := referenceCSV(t, cols)
	for _, rows := range []int{1, 97, len(s.Customers)} {
		var got bytes.Buffer
		if err := writeCSVBlocks(&got, cols, rows, slotBlockRows); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("blocks of %d rows: the CSV differs from the reference at byte %d", rows, firstDifference(got.Bytes(), want))
		}
	}
	// Parquet reads the columns by their own fillers (no pairs, no copies):
	// the same values as the CSV's, in the run's layout and a small one.
	for _, layout := range []parquetLayout{{groupRows: parquetGroupRows, pageRows: parquetPageRows}, {groupRows: 1000, pageRows: 300}} {
		checkParquetEqualsCSV(t, cols, layout)
	}
}
