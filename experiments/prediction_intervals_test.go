package experiments

import (
	"math"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// TestSpendBoundsPerCustomer holds the spend bounds served from the
// per-row divisors to the Gamma-Gamma posterior's own interval of each
// customer (models.FittedGammaGamma.SpendInterval, its inverse gamma
// function called per customer), bit for bit, at two levels; a customer
// whose x is not her row's (the last, pointed at another row) takes the
// direct path and still gets her own.
func TestSpendBoundsPerCustomer(t *testing.T) {
	gg, err := models.NewFittedGammaGamma(6, 4, 15)
	if err != nil {
		t.Fatal(err)
	}
	s := &datasets.Summary{Customers: []datasets.CustomerSummary{
		{ID: "a", Frequency: 0, Monetary: 0}, {ID: "b", Frequency: 1, Monetary: 12.5}, {ID: "c", Frequency: 3, Monetary: 40},
		{ID: "d", Frequency: 1, Monetary: 7.25}, {ID: "e", Frequency: 12, Monetary: 3.1}, {ID: "f", Frequency: 5, Monetary: 22},
	}}
	pt := &datasets.Patterns{Frequency: []float64{0, 1, 3, 12}, Of: []int32{0, 1, 2, 1, 3, 2}}
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
