package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Gate is one expectation of a config's expect list, such as
// `expect: [{metric: bgnbd.holdout.mae, max: 0.9}]`: the metric, named by
// its path model.target.metric (see SplitMetricPath), must lie within
// [Min, Max]. Both bounds are inclusive and either may be absent (nil), but
// not both.
type Gate struct {
	Metric string   `json:"metric" yaml:"metric" mapstructure:"metric"`
	Min    *float64 `json:"min,omitempty" yaml:"min,omitempty" mapstructure:"min"`
	Max    *float64 `json:"max,omitempty" yaml:"max,omitempty" mapstructure:"max"`
}

// MarshalJSON writes the gate as {"metric", "min", "max"}, leaving out an
// absent bound and writing a bound that is not finite (which Validate
// rejects) as null, so that a manifest always holds valid JSON.
func (g Gate) MarshalJSON() ([]byte, error) {
	out := struct {
		Metric string  `json:"metric"`
		Min    *Metric `json:"min,omitempty"`
		Max    *Metric `json:"max,omitempty"`
	}{Metric: g.Metric}
	if g.Min != nil {
		m := Metric(*g.Min)
		out.Min = &m
	}
	if g.Max != nil {
		m := Metric(*g.Max)
		out.Max = &m
	}
	return json.Marshal(out)
}

// Validate returns an error when the gate has no metric name, no bound, a
// bound that is not finite, or Min > Max. It does not check the metric
// name's form; a config validator may add SplitMetricPath for that.
func (g Gate) Validate() error {
	if strings.TrimSpace(g.Metric) == "" {
		return errors.New("gate: no metric name")
	}
	if g.Min == nil && g.Max == nil {
		return fmt.Errorf("gate %s: no bound (set min, max or both)", g.Metric)
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"min", g.Min}, {"max", g.Max}} {
		if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
			return fmt.Errorf("gate %s: %s is %v, not finite", g.Metric, b.name, *b.v)
		}
	}
	if g.Min != nil && g.Max != nil && *g.Min > *g.Max {
		return fmt.Errorf("gate %s: min %s > max %s", g.Metric, formatFloat(*g.Min), formatFloat(*g.Max))
	}
	return nil
}

// String writes the gate as a condition, e.g. "bgnbd.holdout.mae <= 0.9"
// or "0.2 <= bgnbd.holdout.gini <= 0.9".
func (g Gate) String() string {
	switch {
	case g.Min != nil && g.Max != nil:
		return formatFloat(*g.Min) + " <= " + g.Metric + " <= " + formatFloat(*g.Max)
	case g.Min != nil:
		return g.Metric + " >= " + formatFloat(*g.Min)
	case g.Max != nil:
		return g.Metric + " <= " + formatFloat(*g.Max)
	}
	return g.Metric + " (no bound)"
}

// GateResult is the outcome of one Gate. Found reports whether the metric
// exists; Value is its value (NaN, written as JSON null, when it was not
// found or is undefined). Message explains the outcome in one line, e.g.
// "gate failed: bgnbd.holdout.mae = 0.9731 > max 0.9".
type GateResult struct {
	Gate    Gate   `json:"gate"`
	Value   Metric `json:"value"`
	Found   bool   `json:"found"`
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
}

// CheckGates evaluates each gate, in order, with lookup returning a
// metric's value by path and whether it exists (ScoreSet.Lookup is one).
//
// A gate passes when it is valid (Gate.Validate), its metric is found, the
// value is finite and Min ≤ value ≤ Max. Otherwise it fails with a message
// that names the metric, its value and the bound it broke:
//
//	gate failed: bgnbd.holdout.mae = 0.9731 > max 0.9
//	gate failed: bgnbd.holdout.gini = 0.1 < min 0.2
//	gate failed: bgnbd.holdout.pearson = NaN (undefined), want >= 0.3
//	gate failed: bgnbd.holdout.maee not found
//	gate invalid: gate bgnbd.holdout.mae: no bound (set min, max or both)
//
// The value is printed with four significant digits, or as many more as it
// takes to tell it from a bound it does not equal, so a message never reads
// "0.9 > max 0.9". ScoreSet.CheckGates adds close names to "not found"
// messages.
func CheckGates(gates []Gate, lookup func(metric string) (float64, bool)) []GateResult {
	out := make([]GateResult, len(gates))
	for k, g := range gates {
		out[k] = checkGate(g, lookup)
	}
	return out
}

func checkGate(g Gate, lookup func(string) (float64, bool)) GateResult {
	r := GateResult{Gate: g, Value: Metric(math.NaN())}
	if err := g.Validate(); err != nil {
		r.Message = "gate invalid: " + err.Error()
		return r
	}
	v, ok := lookup(g.Metric)
	if !ok {
		r.Message = "gate failed: " + g.Metric + " not found"
		return r
	}
	r.Found, r.Value = true, Metric(v)
	if !r.Value.Defined() {
		r.Message = fmt.Sprintf("gate failed: %s = %v (undefined), want %s", g.Metric, v, g.bounds())
		return r
	}
	s := formatNear(v, g.Min, g.Max)
	switch {
	case g.Min != nil && v < *g.Min:
		r.Message = fmt.Sprintf("gate failed: %s = %s < min %s", g.Metric, s, formatFloat(*g.Min))
	case g.Max != nil && v > *g.Max:
		r.Message = fmt.Sprintf("gate failed: %s = %s > max %s", g.Metric, s, formatFloat(*g.Max))
	default:
		r.Passed = true
		r.Message = fmt.Sprintf("gate passed: %s = %s, want %s", g.Metric, s, g.bounds())
	}
	return r
}

// bounds writes the gate's bounds as a condition on the metric, e.g.
// ">= 0.2", "<= 0.9" or "in [0.2, 0.9]".
func (g Gate) bounds() string {
	switch {
	case g.Min != nil && g.Max != nil:
		return "in [" + formatFloat(*g.Min) + ", " + formatFloat(*g.Max) + "]"
	case g.Min != nil:
		return ">= " + formatFloat(*g.Min)
	default:
		return "<= " + formatFloat(*g.Max)
	}
}

// formatNear formats v with four significant digits, or with the fewest
// more that keep its order relative to each non-nil bound (printed value
// equal to a bound only when v equals it).
func formatNear(v float64, bounds ...*float64) string {
	for prec := 4; prec <= 17; prec++ {
		s := strconv.FormatFloat(v, 'g', prec, 64)
		x, _ := strconv.ParseFloat(s, 64)
		ok := true
		for _, b := range bounds {
			if b != nil && cmpFloat(x, *b) != cmpFloat(v, *b) {
				ok = false
			}
		}
		if ok {
			if v == 0 {
				return "0"
			}
			return s
		}
	}
	return formatFloat(v)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AllPassed reports whether every result passed (true for none).
func AllPassed(results []GateResult) bool {
	for _, r := range results {
		if !r.Passed {
			return false
		}
	}
	return true
}

// CheckGates is the package-level CheckGates with s.Lookup, adding to the
// message of a metric that is not found the closest existing paths, as in
// "gate failed: bgnbd.holdout.maee not found (did you mean
// bgnbd.holdout.mae?)".
func (s ScoreSet) CheckGates(gates []Gate) []GateResult {
	out := CheckGates(gates, s.Lookup)
	var paths []string
	for k := range out {
		if out[k].Found || out[k].Gate.Validate() != nil {
			continue
		}
		if paths == nil {
			paths = s.Paths()
		}
		if near := ClosestNames(out[k].Gate.Metric, paths, 3); len(near) > 0 {
			out[k].Message += " (did you mean " + strings.Join(near, " or ") + "?)"
		}
	}
	return out
}

// ClosestNames returns up to limit names of known that are closest to name,
// in sorted order. A name of known is a candidate when it starts with name
// (counted as distance 1, like one typo) or lies within Levenshtein distance
// (over bytes) max(2, len(name)/5) of it; the candidates at the smallest
// distance are returned.
func ClosestNames(name string, known []string, limit int) []string {
	type cand struct {
		name string
		d    int
	}
	threshold := max(2, len(name)/5)
	var cs []cand
	for _, k := range known {
		d := editDistance(name, k)
		if name != "" && strings.HasPrefix(k, name) {
			d = min(d, 1)
		}
		if d <= threshold {
			cs = append(cs, cand{k, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, min(limit, len(cs)))
	for _, c := range cs {
		if len(out) == limit || c.d > cs[0].d {
			break
		}
		if len(out) == 0 || out[len(out)-1] != c.name {
			out = append(out, c.name)
		}
	}
	return out
}

// editDistance returns the Levenshtein distance between a and b: the fewest
// byte insertions, deletions and substitutions turning a into b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
