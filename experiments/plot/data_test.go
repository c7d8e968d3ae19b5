package plot

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenTol is the relative tolerance of numbers in golden files: the data
// is computed by the same formulas in the same order, so only a change of
// the formulas (or of the platform's last-bit rounding in math.Log and
// friends) moves it.
const goldenTol = 1e-9

// checkGolden compares v, as JSON, with testdata/name.json, numbers within
// goldenTol; with -update it rewrites the file.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if diff := jsonDiff("", g, w); diff != "" {
		t.Errorf("%s differs from the golden file: %s", name, diff)
	}
}

// jsonDiff returns the first difference between two decoded JSON values.
func jsonDiff(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %T, want an object", path, got)
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got %d keys, want %d", path, len(g), len(w))
		}
		for k := range w {
			if d := jsonDiff(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d elements", path, got, len(w))
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > goldenTol*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("%s: got %v, want %v", path, got, w)
		}
	default:
		if got != want {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
	}
	return ""
}

// fixtureInput is the 60-customer fixture of the golden files.
func fixtureInput(t *testing.T) *Input {
	t.Helper()
	in, err := InputFromArtifacts(fixtureArtifacts(t, 60, 7))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestGoldenData(t *testing.T) {
	in := fixtureInput(t)
	bt := *in
	bt.Metrics = withBacktest(in.Metrics)
	tests := []struct {
		name string
		data func() (any, error)
	}{
		{"tracking", func() (any, error) { return Tracking(in) }},
		{"conditional_expectations", func() (any, error) { return ConditionalExpectations(in) }},
		{"calibration_fit", func() (any, error) { return CalibrationFit(in) }},
		{"gains", func() (any, error) { return Gains(in) }},
		{"deciles", func() (any, error) { return Deciles(in.Metrics, in.Models) }},
		{"heatmaps", func() (any, error) { return Heatmaps(in) }},
		{"comparison", func() (any, error) { return Comparisons(in.Metrics, in.Models) }},
		{"comparison_backtest", func() (any, error) { return Comparisons(bt.Metrics, bt.Models) }},
		{"sbg", func() (any, error) { return sbgFixture(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.data()
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, v)
		})
	}
}

// The Regular segment of Fader & Hardie (2007), "How to project customer
// retention", Journal of Interactive Marketing 21(1), table 1: customers
// still active at the start of years 0–7, and their sBG estimates
// α = 0.704, β = 1.182.
var fhRegular = []float64{1000, 631, 468, 382, 326, 289, 262, 241}

func sbgFixture(t *testing.T) (*SBGData, error) {
	f, err := models.NewFittedSBG(0.704, 1.182)
	if err != nil {
		t.Fatal(err)
	}
	d, err := SBGCurves(f, fhRegular, 12)
	if err != nil {
		return nil, err
	}
	d.Unit = "year"
	return d, nil
}

// approx reports whether a and b agree within a relative tolerance.
func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestTrackingByHand checks the tracking data of a two-customer cohort
// worked out by hand: unit week, daily counts from day 0, calibration to
// day 13, holdout to day 20; customer A first bought on day 0 (T = 13/7),
// B on day 7 (T = 6/7). Day d belongs to unit ⌊(d − 14)/7⌋: days 0–6 to
// unit −2, 7–13 to −1, 14–20 to 0. With the average model (E[X(t)] = λt,
// λ = (x_A + x_B)/(T_A + T_B)) the expected cumulative purchases at the end
// of day d ≤ 13 are λ/7·(d + max(0, d − 7)); the holdout forecast starts
// from the 4 actual purchases at day 13 and adds each customer's own rate
// times the week: x_A/T_A·1 = 28/13 for A, 0 for B.
func TestTrackingByHand(t *testing.T) {
	day0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &datasets.Summary{
		Unit: datasets.Week, FirstDay: day0, CalibrationEnd: day0.AddDate(0, 0, 13), HoldoutEnd: day0.AddDate(0, 0, 20), HasHoldout: true,
		RepeatsPerDay: []float64{0, 0, 1, 0, 0, 0, 1 /* day 6 */, 0, 0, 1, 1, 0, 0, 0 /* day 13 */, 1, 0, 0, 0, 0, 0, 1},
		Customers: []datasets.CustomerSummary{
			{ID: "A", Frequency: 4, Recency: 10.0 / 7, T: 13.0 / 7, FrequencyHoldout: 1, DurationHoldout: 1, Weight: 1},
			{ID: "B", Frequency: 0, Recency: 0, T: 6.0 / 7, FrequencyHoldout: 1, DurationHoldout: 1, Weight: 1},
		},
	}
	av, err := models.Average{}.Fit(t.Context(), summaryData(s), models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lambda := 4 / (19.0 / 7)
	in := &Input{Unit: s.Unit, CalibrationEnd: s.CalibrationEnd, HoldoutEnd: s.HoldoutEnd, FirstDay: day0,
		RepeatsPerDay: s.RepeatsPerDay, Models: []string{"average"}, Fits: map[string]models.FittedPurchases{"average": av}}
	for _, c := range s.Customers {
		in.Customers = append(in.Customers, Customer{ID: c.ID, Frequency: c.Frequency, Recency: c.Recency, T: c.T})
	}
	td, err := Tracking(in)
	if err != nil {
		t.Fatal(err)
	}
	cum := func(d float64) float64 { return lambda / 7 * (d + math.Max(0, d-7)) }
	want := map[string][2][]float64{
		// incremental X and Y, cumulative X and Y
		"inc/actual":  {{-1.5, -0.5, 0.5}, {2, 2, 2}},
		"cum/actual":  {{-2, -1, 0, 1}, {0, 2, 4, 6}},
		"inc/average": {{-1.5, -0.5, 0.5}, {cum(6), cum(13) - cum(6), 28.0 / 13}},
		"cum/average": {{-2, -1, 0, 0, 1}, {0, cum(6), cum(13), 4, 4 + 28.0/13}},
	}
	check := func(key string, s Series) {
		w := want[key]
		if len(s.X) != len(w[0]) || len(s.Y) != len(w[1]) {
			t.Fatalf("%s: got x %v y %v, want x %v y %v", key, s.X, s.Y, w[0], w[1])
		}
		for i := range w[0] {
			if !approx(s.X[i], w[0][i], 1e-12) || !approx(s.Y[i], w[1][i], 1e-12) {
				t.Errorf("%s point %d: got (%v, %v), want (%v, %v)", key, i, s.X[i], s.Y[i], w[0][i], w[1][i])
			}
		}
	}
	if len(td.Incremental) != 2 || len(td.Cumulative) != 2 {
		t.Fatalf("got %d and %d series, want 2 and 2", len(td.Incremental), len(td.Cumulative))
	}
	check("inc/actual", td.Incremental[0])
	check("cum/actual", td.Cumulative[0])
	check("inc/average", td.Incremental[1])
	check("cum/average", td.Cumulative[1])
	if !approx(av.ExpectedPurchases(1), lambda, 1e-12) {
		t.Errorf("average rate %v, want %v", av.ExpectedPurchases(1), lambda)
	}
}

// TestTrackingTotals checks the fixture's tracking data against sums
// computed another way: the actual cumulative total equals the customers'
// calibration plus holdout repeat purchases; each model's curve at the
// calibration end (its first point at 0) equals Σ_i E[X(T_i)], and its
// last point the actual calibration total plus each customer's own
// holdout expectation, summed customer by customer (independent of the
// grouping by history), which is what the run scores. A retention model
// fitted on activity bitmaps checks that the bitmaps reach the forecast.
func TestTrackingTotals(t *testing.T) {
	in := fixtureInput(t)
	in.Models = append(in.Models, "retention")
	in.Fits["retention"] = retentionFixture(t, in)
	td, err := Tracking(in)
	if err != nil {
		t.Fatal(err)
	}
	wantActual, calActual := 0.0, 0.0
	for _, c := range in.Customers {
		wantActual += c.Frequency + c.FrequencyHoldout
		calActual += c.Frequency
	}
	if len(td.Cumulative) != 1+len(in.Models) {
		t.Fatalf("%d cumulative series, want %d", len(td.Cumulative), 1+len(in.Models))
	}
	for _, s := range td.Cumulative {
		got := s.Y[len(s.Y)-1]
		want := wantActual
		if s.Key != KeyActual {
			f := in.Fits[s.Key]
			want = calActual
			fit := 0.0
			for _, c := range in.Customers {
				mc := models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Activity: c.Activity}
				want += experiments.HoldoutPurchases(f, mc, fxHoldout)
				fit += f.ExpectedPurchases(c.T)
			}
			k := slices.Index(s.X, 0)
			if k < 0 || k+1 >= len(s.X) || s.X[k+1] != 0 {
				t.Fatalf("%s: no two points at the calibration end: x %v", s.Key, s.X)
			}
			if !approx(s.Y[k], fit, 1e-9) || !approx(s.Y[k+1], calActual, 1e-12) {
				t.Errorf("%s: at the calibration end %v then %v, want the fit %v then the actual %v", s.Key, s.Y[k], s.Y[k+1], fit, calActual)
			}
		}
		if !approx(got, want, 1e-9) {
			t.Errorf("%s: cumulative total %v, want %v", s.Key, got, want)
		}
		if x := s.X[len(s.X)-1]; !approx(x, fxHoldout, 1e-12) {
			t.Errorf("%s: last cumulative point at %v, want the holdout end %v", s.Key, x, fxHoldout)
		}
	}
	// Incremental units: whole weeks only, here all of them: the 26
	// calibration weeks of days 0–181 and the 26 holdout weeks; the
	// holdout ones add up to the forecast.
	for i, s := range td.Incremental {
		if got := len(s.X); got != 52 {
			t.Errorf("%s: %d whole weeks, want 52", s.Key, got)
		}
		holdout := 0.0
		for _, v := range s.Y[26:] {
			holdout += v
		}
		cum := td.Cumulative[i].Y
		if want := cum[len(cum)-1] - calActual; !approx(holdout, want, 1e-9) {
			t.Errorf("%s: holdout weeks add up to %v, want %v", s.Key, holdout, want)
		}
	}
}

// retentionFixture fits the retention heuristic on the fixture's
// customers with activity bitmaps made up from their histories (bit 0 when
// the last purchase is within 4 weeks of the calibration end, bit 1 for
// customers with an even number of repeats, bit 2 for every other
// customer, so that customers of one history differ), and gives every customer its
// bitmap. It fails when the bitmaps do not change the prediction.
func retentionFixture(t testing.TB, in *Input) models.FittedPurchases {
	t.Helper()
	d := &models.Data{ActivityPeriod: 4, ActivityPeriods: 8}
	for i := range in.Customers {
		c := &in.Customers[i]
		if c.Frequency > 0 && c.T-c.Recency < 4 {
			c.Activity |= 1
		}
		if int(c.Frequency)%2 == 0 && c.Frequency > 0 {
			c.Activity |= 2
		}
		if i%2 == 0 { // customers of one history differ
			c.Activity |= 4
		}
		d.Frequency = append(d.Frequency, c.Frequency)
		d.Recency = append(d.Recency, c.Recency)
		d.T = append(d.T, c.T)
		d.Activity = append(d.Activity, c.Activity)
	}
	f, err := models.Retention{}.Fit(t.Context(), d, models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := models.Customer{Frequency: 2, Recency: 10, T: 20, Activity: 3}
	b := a
	b.Activity = 0
	if f.ConditionalExpectedPurchases(a, 5) == f.ConditionalExpectedPurchases(b, 5) {
		t.Fatal("the retention fixture does not read the activity bitmaps")
	}
	return f
}

func TestTrackingSkipsWithoutDailyCounts(t *testing.T) {
	in := fixtureInput(t)
	in.RepeatsPerDay = nil
	if _, err := Tracking(in); err == nil {
		t.Fatal("no error without daily counts")
	}
	d := Compute(in)
	if d.Tracking != nil || len(d.Skipped) != 1 || d.Skipped[0].Figure != "tracking" {
		t.Errorf("got tracking %v, skipped %v; want only tracking skipped", d.Tracking, d.Skipped)
	}
	// A previous run's tracking data is reused.
	prev := &TrackingData{Unit: "week"}
	in.Tracking = prev
	if got, err := Tracking(in); err != nil || got != prev {
		t.Errorf("got %v, %v; want the previous tracking data", got, err)
	}
}

func TestTrackingRejectsInconsistentData(t *testing.T) {
	in := fixtureInput(t)
	in.RepeatsPerDay = in.RepeatsPerDay[:100] // ends before the calibration end
	if _, err := Tracking(in); err == nil {
		t.Error("no error for daily counts that end before the calibration end")
	}
	in = fixtureInput(t)
	in.Customers[3].T = 1000 // first purchase before the first day
	in.Customers[7].T = 900  // and another one
	if _, err := Tracking(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("customer %q", in.Customers[3].ID)) {
		t.Errorf("error %v, want one naming the first customer older than the daily counts, %q", err, in.Customers[3].ID)
	}
}

// TestConditionalByHand checks group means on five customers.
func TestConditionalByHand(t *testing.T) {
	in := &Input{
		Unit:   datasets.Week,
		Models: []string{"bgnbd"},
		Customers: []Customer{
			{ID: "1", Frequency: 0, FrequencyHoldout: 1},
			{ID: "2", Frequency: 0, FrequencyHoldout: 0},
			{ID: "3", Frequency: 2, FrequencyHoldout: 3},
			{ID: "4", Frequency: 9, FrequencyHoldout: 5},
			{ID: "5", Frequency: 7, FrequencyHoldout: 2},
		},
		Predictions: map[string]Predicted{"bgnbd": {Purchases: []float64{0.5, 0.1, 2, 6, 4}}},
	}
	cd, err := ConditionalExpectations(in)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	wantN := []int{2, 0, 1, 0, 0, 0, 0, 2}
	wantA := []float64{0.5, nan, 3, nan, nan, nan, nan, 3.5}
	wantP := []float64{0.3, nan, 2, nan, nan, nan, nan, 5}
	for b := range Buckets {
		if cd.Customers[b] != wantN[b] {
			t.Errorf("bucket %s: %d customers, want %d", cd.Buckets[b], cd.Customers[b], wantN[b])
		}
		for _, c := range []struct {
			got, want float64
		}{{cd.Series[0].Y[b], wantA[b]}, {cd.Series[1].Y[b], wantP[b]}} {
			if math.IsNaN(c.want) != math.IsNaN(c.got) || (!math.IsNaN(c.want) && !approx(c.got, c.want, 1e-12)) {
				t.Errorf("bucket %s: got %v, want %v", cd.Buckets[b], c.got, c.want)
			}
		}
	}
	if cd.Buckets[7] != "7+" {
		t.Errorf("last bucket %q, want 7+", cd.Buckets[7])
	}
}

// TestCalibrationFitSums checks that every model's expected counts add up
// to the number of customers and that each bucket is Σ_i P(X(T_i) = x)
// summed customer by customer.
func TestCalibrationFitSums(t *testing.T) {
	in := fixtureInput(t)
	cf, err := CalibrationFit(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Without) != 1 || cf.Without[0] != "average" {
		t.Errorf("without %v, want [average]", cf.Without)
	}
	n := float64(len(in.Customers))
	for _, s := range cf.Series {
		total := 0.0
		for _, v := range s.Y {
			total += v
		}
		if !approx(total, n, 1e-9) {
			t.Errorf("%s: counts add up to %v, want %v", s.Key, total, n)
		}
		if s.Key == KeyActual {
			continue
		}
		pd := in.Fits[s.Key].(PurchaseDistribution)
		for b := 0; b < Buckets-1; b++ {
			want := 0.0
			for _, c := range in.Customers {
				want += pd.ProbabilityOfPurchases(b, c.T)
			}
			if !approx(s.Y[b], want, 1e-9) {
				t.Errorf("%s bucket %d: %v, want %v", s.Key, b, s.Y[b], want)
			}
		}
	}
}

// TestGainsAgreesWithScores checks the gains curves against the scores of
// the experiments package: with 60 customers the curve has a point at every
// rank, and the share at rank ⌈0.1·60⌉ = 6 is top10_share and at 12
// top20_share. The perfect curve bounds every model's from above.
func TestGainsAgreesWithScores(t *testing.T) {
	in := fixtureInput(t)
	g, err := Gains(in)
	if err != nil {
		t.Fatal(err)
	}
	var perfect Series
	for _, s := range g.Series {
		if s.Key == KeyPerfect {
			perfect = s
		}
	}
	for _, s := range g.Series {
		if s.Key == KeyRandom {
			continue
		}
		if s.Y[0] != 0 || !approx(s.Y[len(s.Y)-1], 1, 1e-12) {
			t.Errorf("%s: curve runs from %v to %v, want 0 to 1", s.Key, s.Y[0], s.Y[len(s.Y)-1])
		}
		for i := range s.Y {
			if s.Y[i] > perfect.Y[i]+1e-12 {
				t.Errorf("%s: above the perfect curve at %v", s.Key, s.X[i])
			}
		}
		if s.Key == KeyPerfect {
			continue
		}
		sc := in.Metrics.Models[s.Key].HoldoutRevenue
		if !approx(s.Y[6], float64(sc.Top10Share), 1e-12) || !approx(s.Y[12], float64(sc.Top20Share), 1e-12) {
			t.Errorf("%s: shares at 10%% and 20%% are %v and %v, want top10_share %v and top20_share %v",
				s.Key, s.Y[6], s.Y[12], sc.Top10Share, sc.Top20Share)
		}
	}
}

func TestGainsThinsLongCurves(t *testing.T) {
	in, err := InputFromArtifacts(fixtureArtifacts(t, 1000, 3))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Gains(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range g.Series {
		if s.Key != KeyRandom && len(s.X) != GainsPoints+1 {
			t.Errorf("%s: %d points, want %d", s.Key, len(s.X), GainsPoints+1)
		}
	}
}

func TestDecilesAreTheSegments(t *testing.T) {
	in := fixtureInput(t)
	dd, err := Deciles(in.Metrics, in.Models)
	if err != nil {
		t.Fatal(err)
	}
	if dd.Groups != 10 || len(dd.Models) != len(in.Models) {
		t.Fatalf("%d groups and %d models, want 10 and %d", dd.Groups, len(dd.Models), len(in.Models))
	}
	for _, ds := range dd.Models {
		for g, seg := range in.Metrics.Models[ds.Model].Segments {
			if ds.Predicted[g] != float64(seg.PredictedTotal) || ds.Actual[g] != float64(seg.ActualTotal) || ds.Customers[g] != seg.Customers {
				t.Errorf("%s group %d differs from metrics.json's segment", ds.Model, g+1)
			}
		}
	}
}

func TestHeatmapsAreTheModels(t *testing.T) {
	in := fixtureInput(t)
	hm, err := Heatmaps(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(hm) != 6 {
		t.Fatalf("%d heat maps, want 6 (P(alive) and expected purchases of three models)", len(hm))
	}
	for _, h := range hm {
		f := in.Fits[h.Model]
		if len(h.Recency) != HeatmapColumns || h.Recency[0] != 0 || !approx(h.Recency[HeatmapColumns-1], h.T, 1e-12) {
			t.Errorf("%s: recency grid %v, want 0 … T = %v", h.Model, h.Recency, h.T)
		}
		for _, cell := range [][2]int{{1, 5}, {3, HeatmapColumns - 1}, {len(h.Frequency) - 1, 10}} {
			c := models.Customer{Frequency: float64(h.Frequency[cell[0]]), Recency: h.Recency[cell[1]], T: h.T}
			want := f.ProbabilityAlive(c)
			if h.Quantity == QuantityExpected {
				want = f.ConditionalExpectedPurchases(c, h.Horizon)
			}
			if got := h.Z[cell[0]][cell[1]]; got != want {
				t.Errorf("%s %s at %v: %v, want %v", h.Model, h.Quantity, cell, got, want)
			}
		}
		// Row x = 0: recency 0 only; the impossible cells are NaN (blank).
		c0 := models.Customer{Frequency: 0, Recency: 0, T: h.T}
		want0 := f.ProbabilityAlive(c0)
		if h.Quantity == QuantityExpected {
			want0 = f.ConditionalExpectedPurchases(c0, h.Horizon)
		}
		if h.Z[0][0] != want0 {
			t.Errorf("%s %s at x = 0, recency 0: %v, want %v", h.Model, h.Quantity, h.Z[0][0], want0)
		}
		for j := 1; j < len(h.Z[0]); j++ {
			if !math.IsNaN(h.Z[0][j]) {
				t.Errorf("%s %s: x = 0 with recency %v is %v, want NaN (impossible)", h.Model, h.Quantity, h.Recency[j], h.Z[0][j])
			}
		}
		for i, row := range h.Z {
			for j, v := range row {
				if i == 0 && j > 0 {
					continue
				}
				if !finite(v) || v < 0 || (h.Quantity == QuantityPAlive && v > 1) {
					t.Fatalf("%s %s: value %v out of range", h.Model, h.Quantity, v)
				}
			}
		}
	}
}

func TestComparisonValues(t *testing.T) {
	in := fixtureInput(t)
	cs, err := Comparisons(in.Metrics, in.Models)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Target != "holdout" || cs[1].Target != "holdout_revenue" {
		t.Fatalf("got %d comparisons, want holdout and holdout_revenue", len(cs))
	}
	for _, c := range cs {
		if len(c.Groups) != 1 || len(c.Panels) != len(ComparisonMetrics) {
			t.Fatalf("%s: %d groups and %d panels", c.Target, len(c.Groups), len(c.Panels))
		}
		for _, p := range c.Panels {
			for mi, m := range c.Models {
				sc := in.Metrics.Models[m].Holdout
				if c.Target == "holdout_revenue" {
					sc = in.Metrics.Models[m].HoldoutRevenue
				}
				want, _ := sc.Value(p.Metric)
				if p.Values[mi][0] != want {
					t.Errorf("%s %s %s: %v, want %v", c.Target, p.Metric, m, p.Values[mi][0], want)
				}
			}
		}
	}
	bt := withBacktest(in.Metrics)
	cs, err = Comparisons(bt, in.Models)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || len(cs[0].Groups) != 3 || cs[0].Groups[2] != "mean\n± SD" {
		t.Fatalf("backtest groups %v, want two windows and the mean", cs[0].Groups)
	}
	for _, p := range cs[0].Panels {
		for mi, m := range cs[0].Models {
			s := bt.Backtest.Summary[m]["holdout"][p.Metric]
			if p.Values[mi][2] != float64(s.Mean) || p.SD[mi][2] != float64(s.SD) || !math.IsNaN(p.SD[mi][0]) {
				t.Errorf("%s %s: mean group %v ± %v, want %v ± %v", p.Metric, m, p.Values[mi][2], p.SD[mi][2], s.Mean, s.SD)
			}
		}
	}
}

// TestSBGCurves checks the curves against the sBG's closed forms: S(1) =
// β/(α+β), S(t) = Π r_k, and the actual shares n_t/n_0 and n_t/n_{t−1}.
func TestSBGCurves(t *testing.T) {
	d, err := sbgFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	a, b := 0.704, 1.182
	fitted := d.Survival[1]
	if !approx(fitted.Y[1], b/(a+b), 1e-12) {
		t.Errorf("S(1) = %v, want β/(α+β) = %v", fitted.Y[1], b/(a+b))
	}
	s := 1.0
	for k := 1; k <= 7; k++ {
		s *= (b + float64(k) - 1) / (a + b + float64(k) - 1)
		if !approx(fitted.Y[k], s, 1e-12) {
			t.Errorf("S(%d) = %v, want %v", k, fitted.Y[k], s)
		}
		if !approx(d.Survival[0].Y[k], fhRegular[k]/1000, 1e-15) || !approx(d.Retention[0].Y[k-1], fhRegular[k]/fhRegular[k-1], 1e-15) {
			t.Errorf("actual curves wrong at %d", k)
		}
	}
	proj := d.Survival[2]
	if proj.X[0] != 7 || proj.X[len(proj.X)-1] != 12 || proj.Y[0] != fitted.Y[7] {
		t.Errorf("projection from %v to %v starting at %v, want 7 to 12 starting at S(7) = %v", proj.X[0], proj.X[len(proj.X)-1], proj.Y[0], fitted.Y[7])
	}
	if _, err := SBGCurves(nil, fhRegular, 10); err == nil {
		t.Error("no error without a model")
	}
	f, _ := models.NewFittedSBG(a, b)
	for _, bad := range [][]float64{{1000}, {0, 0}, {100, 120}, {100, math.NaN()}} {
		if _, err := SBGCurves(f, bad, 10); err == nil {
			t.Errorf("no error for survivors %v", bad)
		}
	}
}

func TestFloatsJSON(t *testing.T) {
	b, err := json.Marshal(Floats{1.5, math.NaN(), 0, math.Copysign(0, -1), math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "[1.5,null,0,0,null]" {
		t.Errorf("got %s", b)
	}
	var f Floats
	if err := json.Unmarshal([]byte("[2,null]"), &f); err != nil || len(f) != 2 || f[0] != 2 || !math.IsNaN(f[1]) {
		t.Errorf("got %v, %v", f, err)
	}
}

func TestStylesAreDistinct(t *testing.T) {
	keys := []string{KeyActual, "bgnbd", "paretonbd", "mbgnbd", "bgbb", "average", "retention", "hiatus"}
	seen := map[string]string{}
	for _, k := range keys {
		s := StyleOf(k)
		id := fmt.Sprint(s.Color, s.Dashes, fmt.Sprintf("%T", s.Glyph))
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s look the same", k, other)
		}
		seen[id] = k
		c := fmt.Sprint(s.Color)
		for _, o := range keys {
			if o != k && fmt.Sprint(StyleOf(o).Color) == c {
				t.Errorf("%s and %s share a colour", k, o)
			}
		}
	}
	if s := StyleOf(KeyActual); s.Dashes != nil || fmt.Sprint(s.Color) != fmt.Sprint(okabeBlack) {
		t.Error("Actual is not black and solid")
	}
	want := map[string]string{"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD", "bgbb": "BG/BB",
		"average": "Average", "retention": "Retention", "hiatus": "Hiatus", KeyActual: "Actual"}
	for k, l := range want {
		if Label(k) != l {
			t.Errorf("Label(%s) = %q, want %q", k, Label(k), l)
		}
	}
}

// TestTrackingEndsAtTheScoredTotals runs the quickstart config and checks
// that every model's cumulative tracking curve ends at the actual
// calibration total plus the holdout.predicted_total of metrics.json, the
// scored forecast, and that the hiatus heuristic is not drawn as the
// simple average.
func TestTrackingEndsAtTheScoredTotals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quickstart")
	}
	cfg, err := experiments.Load("../../configs/quickstart.yaml", []string{"output.report=false"})
	if err != nil {
		t.Fatal(err)
	}
	var art *experiments.Artifacts
	keep := func(_ string, a *experiments.Artifacts) error { art = a; return nil }
	if _, err := experiments.Run(t.Context(), cfg, experiments.RunOptions{OutDir: filepath.Join(t.TempDir(), "run"), Plots: keep}); err != nil {
		t.Fatal(err)
	}
	in, err := InputFromArtifacts(art)
	if err != nil {
		t.Fatal(err)
	}
	td, err := Tracking(in)
	if err != nil {
		t.Fatal(err)
	}
	calActual := 0.0
	for _, c := range art.Summary.Customers {
		calActual += c.Frequency
	}
	ends := map[string]float64{}
	for _, s := range td.Cumulative {
		ends[s.Key] = s.Y[len(s.Y)-1]
	}
	if len(td.Without) > 0 || len(ends) != 1+len(cfg.Models) {
		t.Fatalf("tracking of %d series for %d models, without %v", len(ends), len(cfg.Models), td.Without)
	}
	for _, m := range cfg.Models {
		want := calActual + float64(art.Metrics.Models[m].Holdout.PredictedTotal)
		if !approx(ends[m], want, 1e-6) {
			t.Errorf("%s: tracking ends at %v, want calibration %v + scored %v = %v",
				m, ends[m], calActual, art.Metrics.Models[m].Holdout.PredictedTotal, want)
		}
	}
	if ends["hiatus"] == ends["average"] {
		t.Errorf("hiatus and average end at the same total %v", ends["hiatus"])
	}
}

// TestHoldoutForecastEqualsCustomerSums checks the tracking plot's holdout
// forecast, computed per distinct input (per recency state for the
// retention heuristic, per (x, T) for the factored models, from P(alive)
// per history or given per customer, per history for the others), against the customer-by-customer sum of
// experiments.HoldoutPurchases at every time, within 1e-12 relative, on
// 3,000 generated customers of which some are observed for no time
// (T = 0, predicted as new customers).
func TestHoldoutForecastEqualsCustomerSums(t *testing.T) {
	in := inputWithNewCustomers(t)
	fits := map[string]models.FittedPurchases{"retention": retentionFixture(t, in)}
	for _, m := range fxModels {
		fits[m] = in.Fits[m]
	}
	hiatus, err := models.Hiatus{}.Fit(t.Context(), &models.Data{Frequency: []float64{1, 3, 0}, Recency: []float64{5, 20, 0}, T: []float64{30, 25, 10}}, models.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fits["hiatus"] = hiatus
	ts := []float64{0.5, 1, 7.25, 26}
	for _, patterns := range []*datasets.Patterns{nil, patternsOf(in.Customers)} {
		checkHoldoutForecasts(t, newHistoryTables(&Input{Customers: in.Customers, Patterns: patterns}), fits, ts)
	}
}

// checkHoldoutForecasts checks each model's holdout forecast against the
// customer-by-customer sum (see TestHoldoutForecastEqualsCustomerSums).
func checkHoldoutForecasts(t *testing.T, tables *historyTables, fits map[string]models.FittedPurchases, ts []float64) {
	t.Helper()
	in := tables.in
	for name, f := range fits {
		// A factored model's forecast from the run's P(alive) of every
		// customer, and computed per history.
		alive := make([]float64, len(in.Customers))
		for i, c := range in.Customers {
			alive[i] = f.ProbabilityAlive(models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Activity: c.Activity})
		}
		for _, given := range [][]float64{nil, alive} {
			got, err := holdoutForecast(f, tables, ts, column{vals: given})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for j, tt := range ts {
				want := 0.0
				for _, c := range in.Customers {
					want += experiments.HoldoutPurchases(f, models.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T, Activity: c.Activity}, tt)
				}
				if !(math.Abs(got[j]-want) <= 1e-12*want) || want == 0 {
					t.Errorf("%s (P(alive) given: %v): forecast over %v: %.17g, customer by customer %.17g", name, given != nil, tt, got[j], want)
				}
			}
		}
	}
}

// TestOrderStatisticsAsSorted checks distinctValues and orderStatistics
// over the customers' distinct histories against sorting the customers'
// values: values with many repeats (and −0 with 0), every rank.
func TestOrderStatisticsAsSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for _, n := range []int{1, 2, 7, 500} {
		cs := make([]Customer, n)
		sorted := make([]float64, n)
		for i := range cs {
			cs[i].T = float64(rng.IntN(40)) / 7
			cs[i].Frequency = float64(rng.IntN(3))
			if i%9 == 0 {
				cs[i].T = math.Copysign(0, -1)
			}
			sorted[i] = cs[i].T
		}
		sort.Float64s(sorted)
		ranks := make([]int, n)
		for r := range ranks {
			ranks[r] = r
		}
		ht, err := plainTable(&Input{Customers: cs})
		if err != nil {
			t.Fatal(err)
		}
		if len(ht.hs) == n && n > 7 {
			t.Fatalf("n = %d: no history repeats", n)
		}
		got := orderStatistics(ht, func(h *history) float64 { return h.T }, ranks)
		for r, want := range sorted {
			if got[r] != want {
				t.Errorf("n = %d: rank %d is %v, sorting gives %v", n, r, got[r], want)
			}
		}
		vals, counts := distinctValues(ht, func(h *history) float64 { return h.T })
		total := 0.0
		for k, v := range vals {
			if k > 0 && !(vals[k-1] < v) {
				t.Errorf("n = %d: distinct values %v not increasing", n, vals)
			}
			total += counts[k]
		}
		if total != float64(n) {
			t.Errorf("n = %d: the counts add up to %v", n, total)
		}
	}
}

// TestWeightedSumsInOrder checks weightedSums against the plain sum in item
// order, to the bit, over several rounds of blocks (the last one partial),
// and that a value that is not finite is reported for the first item that
// has one.
func TestWeightedSumsInOrder(t *testing.T) {
	ts := []float64{0.5, 1, 3}
	for _, n := range []int{1, 300, 3*sumsBlock + 17} {
		weight := make([]float64, n)
		for g := range weight {
			weight[g] = float64(1 + g%7)
		}
		value := func(g, j int) float64 { return math.Sin(float64(g)+1) * ts[j] / float64(1+g%13) }
		got, err := weightedSums(nil, n, ts, weight, func(g int, dst []float64) {
			for j := range ts {
				dst[j] = value(g, j)
			}
		}, func(g int) history { return history{x: float64(g)} })
		if err != nil {
			t.Fatal(err)
		}
		for j := range ts {
			want := 0.0
			for g := range n {
				want += weight[g] * value(g, j)
			}
			if got[j] != want {
				t.Errorf("n = %d, t = %v: %.17g, in order %.17g", n, ts[j], got[j], want)
			}
		}
		_, err = weightedSums(nil, n, ts, weight, func(g int, dst []float64) {
			for j := range ts {
				dst[j] = 1
				if g >= n/2 && j == 1 {
					dst[j] = math.NaN()
				}
			}
		}, func(g int) history { return history{x: float64(g)} })
		if want := fmt.Sprintf("x = %d,", n/2); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("n = %d: error %v, want one naming %q", n, err, want)
		}
	}
}

// inputWithNewCustomers is the fixture's 3,000 generated customers, every
// 97th made a customer observed for no time (T = 0).
func inputWithNewCustomers(t *testing.T) *Input {
	t.Helper()
	in, err := InputFromArtifacts(fixtureArtifacts(t, 3000, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(in.Customers); i += 97 {
		c := &in.Customers[i]
		c.Frequency, c.Recency, c.T = 0, 0, 0
	}
	return in
}
