package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// refTargetVerdicts is targetVerdicts as it was before the losses were
// reduced in one pass: every customer's loss by CustomerLoss, a model with
// a NaN loss left out, and PairedBootstraps on the losses.
func refTargetVerdicts(names []string, preds []map[string][]float64, actuals [][]float64, o VerdictOptions) []*TargetVerdict {
	tvs := make([]*TargetVerdict, len(actuals))
	sets := make([][]ModelLosses, len(actuals))
	for t, actual := range actuals {
		tv := &TargetVerdict{}
	models:
		for _, name := range names {
			p, ok := preds[t][name]
			if !ok || p == nil {
				tv.Excluded = excludedWith(tv.Excluded, name, "no predictions")
				continue
			}
			l := make([]float64, len(actual))
			for i, a := range actual {
				if l[i] = CustomerLoss(o.Metric, p[i], a); math.IsNaN(l[i]) {
					tv.Excluded = excludedWith(tv.Excluded, name, fmt.Sprintf("its %s is not finite for customer %d", o.Metric, i+1))
					continue models
				}
			}
			sets[t] = append(sets[t], ModelLosses{Model: name, Losses: l})
		}
		tvs[t] = tv
	}
	vs, errs := PairedBootstraps(sets, nil, o)
	for t, tv := range tvs {
		if errs[t] != nil {
			tv.Error, tv.Verdict = errs[t].Error(), &Verdict{Metric: o.Metric}
			continue
		}
		tv.Verdict = vs[t]
	}
	return tvs
}

func excludedWith(m map[string]string, name, why string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[name] = why
	return m
}

// TestTargetVerdictsMatchLosses checks the one-pass verdict against the
// verdict on every customer's loss, to the bit: rows and batches (asked
// for, and automatic above VerdictBatchedRows rows), the three metrics,
// a model left out for a NaN (after an infinite loss), a target whose
// verdict fails on an infinite loss, too few models, bad options, and an
// unknown metric.
func TestTargetVerdictsMatchLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	column := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Floor(rng.ExpFloat64()*scale*4) / 4
		}
		return v
	}
	type testCase struct {
		name  string
		n     int
		o     VerdictOptions
		spoil func(preds []map[string][]float64)
		// expect says what the verdicts lack ("" when they are as the
		// case means them).
		expect func(tvs []*TargetVerdict) string
	}
	verdicts := func(batches int) func(tvs []*TargetVerdict) string {
		return func(tvs []*TargetVerdict) string {
			for _, tv := range tvs {
				if tv.Error != "" || tv.Batches != batches || len(tv.Others) < 1 {
					return fmt.Sprintf("want verdicts over %d batches, got %+v", batches, tv.Verdict)
				}
			}
			return ""
		}
	}
	failed := func(target int, with string) func(tvs []*TargetVerdict) string {
		return func(tvs []*TargetVerdict) string {
			if !strings.Contains(tvs[target].Error, with) {
				return fmt.Sprintf("target %d: error %q, want one with %q", target, tvs[target].Error, with)
			}
			return ""
		}
	}
	leftOut := func(batches int) func(tvs []*TargetVerdict) string {
		return func(tvs []*TargetVerdict) string {
			if tvs[0].Excluded["c"] == "" || tvs[0].Excluded["d"] != "no predictions" {
				return fmt.Sprintf("c and d not left out: %v", tvs[0].Excluded)
			}
			return verdicts(batches)(tvs)
		}
	}
	nanAfterInf := func(preds []map[string][]float64) {
		p := preds[0]["c"]
		p[len(p)/3] = 1e300 // an infinite squared error: the target fails unless the model is left out
		p[len(p)/2] = math.NaN()
	}
	infOnly := func(preds []map[string][]float64) { preds[1]["b"][7] = -1e300 }
	cases := []testCase{
		{"rows", 3000, VerdictOptions{Metric: VerdictSquaredError, Seed: 1, Resamples: 120}, nil, verdicts(0)},
		{"rows, absolute", 3000, VerdictOptions{Metric: VerdictAbsoluteError, Seed: 2, Resamples: 120}, nanAfterInf, leftOut(0)},
		{"rows, squared, left out", 3000, VerdictOptions{Metric: VerdictSquaredError, Seed: 2, Resamples: 120}, nanAfterInf, leftOut(0)},
		{"batches", 5000, VerdictOptions{Metric: VerdictSquaredError, Seed: 3, Resamples: 100, Batches: 300}, infOnly, failed(1, "model b has loss +Inf on row 8")},
		{"squared log", 5000, VerdictOptions{Metric: VerdictSquaredLogError, Seed: 4, Resamples: 100, Batches: 64},
			func(preds []map[string][]float64) { preds[1]["a"][9] = -2 }, verdicts(64)},
		{"automatic batches", VerdictBatchedRows + 4099, VerdictOptions{Metric: VerdictSquaredError, Seed: 5, Resamples: 100}, nanAfterInf, leftOut(DefaultVerdictBatches)},
		{"too few", 500, VerdictOptions{Metric: VerdictSquaredError, Seed: 6, Resamples: 100},
			func(preds []map[string][]float64) { preds[0]["a"][0], preds[0]["b"][1] = math.Inf(1), math.NaN() }, failed(0, "only 1 model")},
		{"bad options", 500, VerdictOptions{Metric: VerdictSquaredError, Resamples: 10}, nanAfterInf, failed(0, "too few")},
		{"unknown metric", 500, VerdictOptions{Metric: "rmse", Resamples: 100}, nil, failed(1, "only 0 model")},
	}
	names := []string{"a", "b", "c", "d"}
	for _, c := range cases {
		actuals := [][]float64{column(c.n, 1), column(c.n, 30)}
		preds := []map[string][]float64{{}, {}}
		for k, name := range names[:3] {
			preds[0][name] = column(c.n, 1+0.1*float64(k))
			preds[1][name] = column(c.n, 30+float64(k))
		}
		if c.spoil != nil {
			c.spoil(preds)
		}
		got := targetVerdicts(context.Background(), names, preds, actuals, c.o)
		want := refTargetVerdicts(names, preds, actuals, c.o)
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s, target %d:\n got %+v %+v\nwant %+v %+v", c.name, k, *got[k], got[k].Verdict, *want[k], want[k].Verdict)
			}
		}
		if msg := c.expect(want); msg != "" {
			t.Errorf("%s: the case does not test what it should: %s", c.name, msg)
		}
	}
}
