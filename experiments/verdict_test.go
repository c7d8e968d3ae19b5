package experiments

import (
	"math"
	"reflect"
	"testing"
)

// verdictCase builds n customers: a base loss l_i for model "a", and
// models whose per-customer loss differs from it in a known way.
func verdictCase(n int) (losses []ModelLosses) {
	a, fixed, noisy, even := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range a {
		a[i] = float64((i*7919)%13) / 4 // any spread of losses
		fixed[i] = a[i] + 0.3           // worse by exactly 0.3 for everyone
		sign := float64(1 - 2*(i%2))    // +1, −1, +1, …: mean exactly 0, sd 1
		noisy[i] = a[i] + 0.05 + sign   // worse by 0.05 on average, sd 1
		even[i] = a[i] + sign           // as good on average
	}
	return []ModelLosses{{"a", a}, {"fixed", fixed}, {"noisy", noisy}, {"even", even}}
}

func comparison(t *testing.T, v *Verdict, model string) VerdictComparison {
	t.Helper()
	for _, c := range v.Others {
		if c.Model == model {
			return c
		}
	}
	t.Fatalf("no comparison for %s in %+v", model, v.Others)
	return VerdictComparison{}
}

// TestPairedBootstrapKnownDifference checks the verdict on a constructed
// case: a fixed per-customer difference of 0.3 gives the interval [0.3,
// 0.3] (the pairing removes all noise); a difference 0.05 ± 1 on 2,000
// customers gives the normal-theory interval 0.05 ± 1.96/√2000 (± 0.0438);
// a difference ±1 with mean 0 is indistinguishable from the best.
func TestPairedBootstrapKnownDifference(t *testing.T) {
	v, err := PairedBootstrap(verdictCase(2000), nil, VerdictOptions{Seed: 1, Resamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if v.Best != "a" || v.Metric != DefaultVerdictMetric || v.Resamples != 1000 || v.Level != 0.95 || v.Customers != 2000 {
		t.Errorf("verdict %+v: want best a, the default metric and level, 1000 resamples, 2000 customers", v)
	}
	fixed := comparison(t, v, "fixed")
	if math.Abs(fixed.Difference-0.3) > 1e-12 || math.Abs(fixed.Lower-0.3) > 1e-12 || math.Abs(fixed.Upper-0.3) > 1e-12 || fixed.Indistinguishable {
		t.Errorf("fixed difference: %+v, want 0.3 in [0.3, 0.3]", fixed)
	}
	noisy := comparison(t, v, "noisy")
	half := 1.959964 / math.Sqrt(2000)
	if math.Abs(noisy.Difference-0.05) > 1e-12 || math.Abs(noisy.Lower-(0.05-half)) > 0.1*half || math.Abs(noisy.Upper-(0.05+half)) > 0.1*half || noisy.Indistinguishable {
		t.Errorf("noisy difference: %+v, want 0.05 in about [%.4f, %.4f]", noisy, 0.05-half, 0.05+half)
	}
	even := comparison(t, v, "even")
	if math.Abs(even.Difference) > 1e-12 || !even.Indistinguishable {
		t.Errorf("even: %+v, want difference 0 and indistinguishable", even)
	}
	if v.Others[0].Model != "even" || v.Others[2].Model != "fixed" {
		t.Errorf("comparisons not by increasing difference: %+v", v.Others)
	}
	again, _ := PairedBootstrap(verdictCase(2000), nil, VerdictOptions{Seed: 1, Resamples: 1000})
	if !reflect.DeepEqual(v, again) {
		t.Error("the same seed gave another verdict")
	}
	other, _ := PairedBootstrap(verdictCase(2000), nil, VerdictOptions{Seed: 2, Resamples: 1000})
	if comparison(t, other, "noisy").Lower == noisy.Lower {
		t.Error("another seed gave the same interval")
	}
}

// TestPairedBootstrapWeights checks that merged rows (identical customers
// with a weight) give the verdict of the expanded rows: the same means
// exactly, and intervals within sampling noise.
func TestPairedBootstrapWeights(t *testing.T) {
	full := verdictCase(2000)
	// 2,000 customers made of the first 500 four times over, against the
	// 500 rows with weight 4.
	var expanded []ModelLosses
	merged := make([]ModelLosses, len(full))
	weights := make([]float64, 500)
	for k, m := range full {
		e := ModelLosses{Model: m.Model}
		for r := 0; r < 4; r++ {
			e.Losses = append(e.Losses, m.Losses[:500]...)
		}
		expanded = append(expanded, e)
		merged[k] = ModelLosses{Model: m.Model, Losses: m.Losses[:500]}
	}
	for i := range weights {
		weights[i] = 4
	}
	ve, err := PairedBootstrap(expanded, nil, VerdictOptions{Seed: 3, Resamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := PairedBootstrap(merged, weights, VerdictOptions{Seed: 3, Resamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if ve.Best != vm.Best || vm.Customers != 2000 || math.Abs(ve.BestLoss-vm.BestLoss) > 1e-12 {
		t.Fatalf("expanded %+v, merged %+v", ve, vm)
	}
	for _, c := range ve.Others {
		m := comparison(t, vm, c.Model)
		width := c.Upper - c.Lower
		if math.Abs(m.Difference-c.Difference) > 1e-12 || math.Abs(m.Lower-c.Lower) > 0.15*width+1e-12 || math.Abs(m.Upper-c.Upper) > 0.15*width+1e-12 {
			t.Errorf("%s: expanded %+v, merged %+v", c.Model, c, m)
		}
	}
}

func TestPairedBootstrapErrors(t *testing.T) {
	good := verdictCase(10)
	if v, err := PairedBootstrap(good, nil, VerdictOptions{}); err != nil || v.Resamples != DefaultVerdictResamples {
		t.Errorf("default resamples: %v, %v", v, err)
	}
	tests := []struct {
		name    string
		losses  []ModelLosses
		weights []float64
		o       VerdictOptions
	}{
		{"one model", good[:1], nil, VerdictOptions{}},
		{"lengths differ", []ModelLosses{good[0], {"b", []float64{1}}}, nil, VerdictOptions{}},
		{"NaN loss", []ModelLosses{good[0], {"b", append([]float64{math.NaN()}, good[1].Losses[1:]...)}}, nil, VerdictOptions{}},
		{"weights length", good, []float64{1}, VerdictOptions{}},
		{"negative weight", good, append([]float64{-1}, make([]float64, 9)...), VerdictOptions{}},
		{"zero weight", good, make([]float64, 10), VerdictOptions{}},
		{"few resamples", good, nil, VerdictOptions{Resamples: 10}},
		{"level", good, nil, VerdictOptions{Level: 1}},
	}
	for _, tt := range tests {
		if _, err := PairedBootstrap(tt.losses, tt.weights, tt.o); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestCustomerLoss(t *testing.T) {
	tests := []struct {
		metric            string
		predicted, actual float64
		want              float64
	}{
		{VerdictSquaredError, 1.5, 3, 2.25},
		{VerdictAbsoluteError, 1.5, 3, 1.5},
		{VerdictSquaredLogError, math.E - 1, 0, 1}, // (ln e − ln 1)²
		{"rmse", 1, 2, math.NaN()},
		{VerdictSquaredError, math.Inf(1), 2, math.NaN()},
	}
	for _, tt := range tests {
		got := CustomerLoss(tt.metric, tt.predicted, tt.actual)
		if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("%s(%v, %v) = %v, want %v", tt.metric, tt.predicted, tt.actual, got, tt.want)
		}
	}
}

// TestRankOverOrigins checks ranks and wins by hand over three origins,
// with a tie for first and a model missing at one origin:
//
//	origin  a  b  c
//	1       1  2  3     ranks a 1, b 2, c 3; a wins
//	2       2  2  1     c 1, a and b tie for 2–3: 2.5 each; c wins
//	3       1  1  –     a and b tie for 1–2: 1.5 each, half a win each; c absent
func TestRankOverOrigins(t *testing.T) {
	got := RankOverOrigins([]map[string]float64{
		{"a": 1, "b": 2, "c": 3},
		{"a": 2, "b": 2, "c": 1},
		{"a": 1, "b": 1, "c": math.NaN()},
	})
	want := []OriginRank{
		{"a", (1 + 2.5 + 1.5) / 3.0, 1.5, 3}, // 5/3
		{"b", (2 + 2.5 + 1.5) / 3.0, 0.5, 3}, // 2, tied with c: by name
		{"c", 2, 1, 2},                       // (3 + 1)/2
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Model != w.Model || math.Abs(g.MeanRank-w.MeanRank) > 1e-15 || g.Wins != w.Wins || g.Origins != w.Origins {
			t.Errorf("rank %d: %+v, want %+v", i, g, w)
		}
	}
}

func BenchmarkPairedBootstrap(b *testing.B) {
	losses := verdictCase(5000)
	for b.Loop() {
		if _, err := PairedBootstrap(losses, nil, VerdictOptions{Resamples: 200}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPairedBootstrapBatches checks the batch-means bootstrap against the
// per-customer one and against normal theory: on 20,000 customers in 1,024
// random batches the means are the same exactly and the intervals agree
// within sampling noise; the noisy difference (0.05 ± 1) has the interval
// 0.05 ± 1.96/√20000. Above VerdictBatchedRows rows batches are used
// without being asked for.
func TestPairedBootstrapBatches(t *testing.T) {
	losses := verdictCase(20000)
	rows, err := PairedBootstrap(losses, nil, VerdictOptions{Seed: 4, Resamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	batched, err := PairedBootstrap(losses, nil, VerdictOptions{Seed: 4, Resamples: 1000, Batches: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if rows.Batches != 0 || batched.Batches != 1024 || batched.Best != rows.Best || batched.BestLoss != rows.BestLoss || batched.Customers != 20000 {
		t.Fatalf("rows %+v, batched %+v", rows, batched)
	}
	half := 1.959964 / math.Sqrt(20000)
	for _, c := range rows.Others {
		b := comparison(t, batched, c.Model)
		width := c.Upper - c.Lower
		if b.Difference != c.Difference || math.Abs(b.Lower-c.Lower) > 0.15*width+1e-12 || math.Abs(b.Upper-c.Upper) > 0.15*width+1e-12 {
			t.Errorf("%s: per customer %+v, batched %+v", c.Model, c, b)
		}
	}
	noisy := comparison(t, batched, "noisy")
	if math.Abs(noisy.Lower-(0.05-half)) > 0.1*half || math.Abs(noisy.Upper-(0.05+half)) > 0.1*half {
		t.Errorf("batched noisy difference %+v, want about [%.4f, %.4f]", noisy, 0.05-half, 0.05+half)
	}
	fixed := comparison(t, batched, "fixed")
	if math.Abs(fixed.Lower-0.3) > 1e-12 || math.Abs(fixed.Upper-0.3) > 1e-12 {
		t.Errorf("batched fixed difference %+v, want [0.3, 0.3]", fixed)
	}
	large, err := PairedBootstrap(verdictCase(VerdictBatchedRows+1), nil, VerdictOptions{Seed: 4, Resamples: 100})
	if err != nil || large.Batches != DefaultVerdictBatches {
		t.Errorf("%d rows: %+v, %v; want %d batches", VerdictBatchedRows+1, large, err, DefaultVerdictBatches)
	}
	if _, err := PairedBootstrap(losses, nil, VerdictOptions{Batches: -1}); err == nil {
		t.Error("−1 batches accepted")
	}
}

func BenchmarkPairedBootstrapBatched(b *testing.B) {
	losses := verdictCase(1 << 18)
	for b.Loop() {
		if _, err := PairedBootstrap(losses, nil, VerdictOptions{Resamples: 200}); err != nil {
			b.Fatal(err)
		}
	}
}
