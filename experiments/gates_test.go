package experiments

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
)

// ptr returns a pointer to v, for gate bounds.
func ptr(v float64) *float64 { return &v }

func TestCheckGates(t *testing.T) {
	values := map[string]float64{
		"bgnbd.holdout.mae":                 0.97312345,
		"bgnbd.holdout.rmse":                0.90000001,
		"bgnbd.holdout.gini":                0.1,
		"bgnbd.holdout.pearson":             math.NaN(),
		"bgnbd.holdout_revenue.top20_share": 0.55,
		"bgnbd.holdout.bias":                0,
	}
	lookup := func(m string) (float64, bool) { v, ok := values[m]; return v, ok }
	tests := []struct {
		gate          Gate
		found, passed bool
		message       string
	}{
		{Gate{Metric: "bgnbd.holdout.mae", Max: ptr(0.9)}, true, false,
			"gate failed: bgnbd.holdout.mae = 0.9731 > max 0.9"},
		{Gate{Metric: "bgnbd.holdout.mae", Max: ptr(1)}, true, true,
			"gate passed: bgnbd.holdout.mae = 0.9731, want <= 1"},
		// Four digits would print 0.9, indistinguishable from the bound.
		{Gate{Metric: "bgnbd.holdout.rmse", Max: ptr(0.9)}, true, false,
			"gate failed: bgnbd.holdout.rmse = 0.90000001 > max 0.9"},
		{Gate{Metric: "bgnbd.holdout.gini", Min: ptr(0.2)}, true, false,
			"gate failed: bgnbd.holdout.gini = 0.1 < min 0.2"},
		// Bounds are inclusive.
		{Gate{Metric: "bgnbd.holdout.gini", Min: ptr(0.1), Max: ptr(0.1)}, true, true,
			"gate passed: bgnbd.holdout.gini = 0.1, want in [0.1, 0.1]"},
		{Gate{Metric: "bgnbd.holdout_revenue.top20_share", Min: ptr(0.3), Max: ptr(0.5)}, true, false,
			"gate failed: bgnbd.holdout_revenue.top20_share = 0.55 > max 0.5"},
		{Gate{Metric: "bgnbd.holdout.bias", Min: ptr(-0.05), Max: ptr(0.05)}, true, true,
			"gate passed: bgnbd.holdout.bias = 0, want in [-0.05, 0.05]"},
		{Gate{Metric: "bgnbd.holdout.pearson", Min: ptr(0.3)}, true, false,
			"gate failed: bgnbd.holdout.pearson = NaN (undefined), want >= 0.3"},
		{Gate{Metric: "bgnbd.holdout.maee", Max: ptr(0.9)}, false, false,
			"gate failed: bgnbd.holdout.maee not found"},
		{Gate{Metric: "bgnbd.holdout.mae"}, false, false,
			"gate invalid: gate bgnbd.holdout.mae: no bound (set min, max or both)"},
		{Gate{Metric: "bgnbd.holdout.mae", Min: ptr(2), Max: ptr(1)}, false, false,
			"gate invalid: gate bgnbd.holdout.mae: min 2 > max 1"},
		{Gate{Metric: "bgnbd.holdout.mae", Max: ptr(math.Inf(1))}, false, false,
			"gate invalid: gate bgnbd.holdout.mae: max is +Inf, not finite"},
		{Gate{Metric: " ", Max: ptr(1)}, false, false,
			"gate invalid: gate: no metric name"},
	}
	gates := make([]Gate, len(tests))
	for k, tt := range tests {
		gates[k] = tt.gate
	}
	results := CheckGates(gates, lookup)
	if len(results) != len(tests) {
		t.Fatalf("%d results for %d gates", len(results), len(tests))
	}
	for k, tt := range tests {
		r := results[k]
		if r.Found != tt.found || r.Passed != tt.passed || r.Message != tt.message {
			t.Errorf("gate %v: found %v passed %v %q; want %v %v %q",
				tt.gate, r.Found, r.Passed, r.Message, tt.found, tt.passed, tt.message)
		}
		if r.Gate.Metric != tt.gate.Metric {
			t.Errorf("result %d holds gate %v, want %v", k, r.Gate, tt.gate)
		}
		if v := values[tt.gate.Metric]; r.Found && !closeTo(float64(r.Value), v, 0) {
			t.Errorf("gate %v: value %v, want %v", tt.gate, r.Value, v)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("json.Marshal(%v): %v", r, err)
		}
	}
	if AllPassed(results) {
		t.Error("AllPassed is true with failures")
	}
	if !AllPassed(results[1:2]) || !AllPassed(nil) {
		t.Error("AllPassed is false for passing gates")
	}
}

func TestGateResultJSON(t *testing.T) {
	r := CheckGates([]Gate{{Metric: "x.y.gini", Min: ptr(0.2)}},
		func(string) (float64, bool) { return math.NaN(), true })
	b, err := json.Marshal(r[0])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"gate":{"metric":"x.y.gini","min":0.2},"value":null,"found":true,"passed":false,` +
		`"message":"gate failed: x.y.gini = NaN (undefined), want \u003e= 0.2"}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
	// A bound that is not finite (rejected by Validate) still marshals.
	b, err = json.Marshal(Gate{Metric: "x.y.mae", Max: ptr(math.Inf(1))})
	if err != nil || string(b) != `{"metric":"x.y.mae","max":null}` {
		t.Errorf("JSON of an infinite bound = %s, %v", b, err)
	}
	var g Gate
	if err := json.Unmarshal([]byte(`{"metric":"x.y.mae","min":0.5}`), &g); err != nil ||
		g.Metric != "x.y.mae" || g.Min == nil || *g.Min != 0.5 || g.Max != nil {
		t.Errorf("Unmarshal gate = %+v, %v", g, err)
	}
}

func TestGateString(t *testing.T) {
	tests := []struct {
		g    Gate
		want string
	}{
		{Gate{Metric: "m.t.mae", Max: ptr(0.9)}, "m.t.mae <= 0.9"},
		{Gate{Metric: "m.t.gini", Min: ptr(0.2)}, "m.t.gini >= 0.2"},
		{Gate{Metric: "m.t.bias", Min: ptr(-0.1), Max: ptr(0.1)}, "-0.1 <= m.t.bias <= 0.1"},
		{Gate{Metric: "m.t.bias"}, "m.t.bias (no bound)"},
	}
	for _, tt := range tests {
		if got := tt.g.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
	}
}

func TestScoreSetCheckGates(t *testing.T) {
	set := ScoreSet{
		"bgnbd":     {"holdout": {MAE: 0.8}, "holdout_revenue": {Gini: 0.4}},
		"paretonbd": {"holdout": {MAE: 0.85}},
	}
	results := set.CheckGates([]Gate{
		{Metric: "bgnbd.holdout.mae", Max: ptr(0.9)},
		{Metric: "bgnbd.holdout.maee", Max: ptr(0.9)},
		{Metric: "pnbd.holdout.mae", Max: ptr(0.9)},
		{Metric: "zzz", Max: ptr(0.9)},
		{Metric: "bgnbd.holdout.mae"},
	})
	want := []string{
		"gate passed: bgnbd.holdout.mae = 0.8, want <= 0.9",
		"gate failed: bgnbd.holdout.maee not found (did you mean bgnbd.holdout.mae?)",
		"gate failed: pnbd.holdout.mae not found (did you mean bgnbd.holdout.mae?)",
		"gate failed: zzz not found",
		"gate invalid: gate bgnbd.holdout.mae: no bound (set min, max or both)",
	}
	for k, r := range results {
		if r.Message != want[k] {
			t.Errorf("message %d = %q\nwant %q", k, r.Message, want[k])
		}
	}
}

func TestClosestNames(t *testing.T) {
	known := []string{"bgnbd.holdout.mae", "bgnbd.holdout.rmse", "bgnbd.holdout.msle",
		"bgnbd.holdout.gini", "bgnbd.holdout.top10_share", "bgnbd.holdout.top20_share", "mbgnbd.holdout.mae"}
	tests := []struct {
		name  string
		limit int
		want  []string
	}{
		// distances: mae 1 (delete e), msle 2, rmse 2, gini 4
		{"bgnbd.holdout.maee", 3, []string{"bgnbd.holdout.mae"}},
		// mae, msle and rmse all at distance 1
		{"bgnbd.holdout.mse", 3, []string{"bgnbd.holdout.mae", "bgnbd.holdout.msle", "bgnbd.holdout.rmse"}},
		{"bgnbd.holdout.mse", 1, []string{"bgnbd.holdout.mae"}},
		// bgnbd 1 (insert b), mbgnbd 2
		{"gnbd.holdout.mae", 3, []string{"bgnbd.holdout.mae"}},
		// too far by distance (6) but a prefix
		{"bgnbd.holdout.top20", 3, []string{"bgnbd.holdout.top20_share"}},
		// prefixes (counted 1) beat mae at distance 3
		{"bgnbd.holdout.top", 3, []string{"bgnbd.holdout.top10_share", "bgnbd.holdout.top20_share"}},
		{"something else entirely", 3, []string{}},
		{"", 3, []string{}},
	}
	for _, tt := range tests {
		if got := ClosestNames(tt.name, known, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("ClosestNames(%q, %d) = %q, want %q", tt.name, tt.limit, got, tt.want)
		}
	}
}

// TestEditDistance checks the Levenshtein distance on textbook pairs
// (kitten → sitting is 3: two substitutions and an insertion).
func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"flaw", "lawn", 2},
		{"mae", "mae", 0},
		{"mae", "msle", 2},
		{"top10_share", "top20_share", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestFormatNear checks that the printed value keeps its side of each bound.
func TestFormatNear(t *testing.T) {
	tests := []struct {
		v        float64
		min, max *float64
		want     string
	}{
		{0.97312345, nil, ptr(0.9), "0.9731"},
		{0.90000001, nil, ptr(0.9), "0.90000001"},
		{0.9, nil, ptr(0.9), "0.9"},
		{0.19999999, ptr(0.2), nil, "0.19999999"},
		{0.12341, ptr(0.1234), ptr(0.2), "0.12341"},
		{1234567, nil, ptr(2e6), "1.235e+06"},
		{0, ptr(-1), nil, "0"},
	}
	for _, tt := range tests {
		if got := formatNear(tt.v, tt.min, tt.max); got != tt.want {
			t.Errorf("formatNear(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func ExampleCheckGates() {
	scores := ScoreSet{"bgnbd": {"holdout": {MAE: 0.9731, Gini: 0.42}}}
	results := scores.CheckGates([]Gate{
		{Metric: "bgnbd.holdout.mae", Max: ptr(0.9)},
		{Metric: "bgnbd.holdout.gini", Min: ptr(0.3)},
		{Metric: "bgnbd.holdout.gin", Min: ptr(0.3)},
	})
	for _, r := range results {
		fmt.Println(r.Message)
	}
	fmt.Println("all passed:", AllPassed(results))
	// Output:
	// gate failed: bgnbd.holdout.mae = 0.9731 > max 0.9
	// gate passed: bgnbd.holdout.gini = 0.42, want >= 0.3
	// gate failed: bgnbd.holdout.gin not found (did you mean bgnbd.holdout.gini?)
	// all passed: false
}
