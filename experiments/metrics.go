package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Metric is a metric value that may be undefined. NaN stands for a quantity
// that is undefined for the data at hand (a correlation when one side has
// zero variance, a share of an actual total of zero) or that is not
// representable; Score never leaves ±Inf in a Metric, it stores NaN instead.
//
// Metric marshals to JSON as null when it is not finite and otherwise as the
// shortest decimal that parses back to the same float64
// (strconv.FormatFloat(v, 'g', -1, 64), with negative zero written as 0), so
// metrics.json always holds valid JSON and round-trips exactly. It
// unmarshals null as NaN.
type Metric float64

// Defined reports whether m holds a finite value.
func (m Metric) Defined() bool {
	v := float64(m)
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// String formats m as in JSON, but writes "NaN" (not null) when m is not
// finite.
func (m Metric) String() string {
	if !m.Defined() {
		return "NaN"
	}
	return formatFloat(float64(m))
}

// MarshalJSON implements json.Marshaler: null when m is not finite, the
// shortest round-trip decimal otherwise.
func (m Metric) MarshalJSON() ([]byte, error) {
	if !m.Defined() {
		return []byte("null"), nil
	}
	return []byte(formatFloat(float64(m))), nil
}

// UnmarshalJSON implements json.Unmarshaler: null gives NaN, a JSON number
// its float64 value.
func (m *Metric) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), " \t\n\r") // JSON whitespace
	if s == "null" {
		*m = Metric(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !validJSONNumber(s) {
		return fmt.Errorf("metric: %q is neither a JSON number nor null", s)
	}
	*m = Metric(v)
	return nil
}

// validJSONNumber reports whether s follows the JSON number grammar
// (strconv.ParseFloat also accepts forms JSON does not, such as "Inf",
// "0x1p-2", "+1" or "1_000").
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	start := i
	switch n := digits(); {
	case n == 0:
		return false
	case n > 1 && s[start] == '0':
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// formatFloat writes v in the shortest form that round-trips, with negative
// zero as "0".
func formatFloat(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// finiteOrNaN returns v as a Metric, or NaN when v is ±Inf.
func finiteOrNaN(v float64) Metric {
	if math.IsInf(v, 0) {
		return Metric(math.NaN())
	}
	return Metric(v)
}

// Scores is what metrics.json holds for one model and one target (holdout
// purchases or holdout revenue): accuracy and ranking metrics of the
// predictions p_i against the holdout actuals a_i of n customers, with
// P = Σ p_i and A = Σ a_i.
//
//	bias        = P/A − 1                                (NaN when A = 0)
//	mae         = (1/n) Σ |p_i − a_i|
//	rmse        = √((1/n) Σ (p_i − a_i)²)
//	msle        = (1/n) Σ (log(1+p_i) − log(1+a_i))²
//	pearson     = Pearson correlation of p and a         (NaN when p or a is constant)
//	spearman    = Pearson correlation of the ranks of p and a, tied values
//	              sharing the average of their ranks      (NaN when p or a is constant)
//	top10_share = share of A held by the top ⌈0.1·n⌉ customers by prediction
//	top20_share = share of A held by the top ⌈0.2·n⌉ customers by prediction
//	gini        = normalized Gini coefficient (see below)
//
// Customers are ranked as PredictionOrder does: prediction descending, ties
// broken by customer id. The ceilings are computed in integers, so n = 30
// gives 3 and 6 customers.
//
// The Gini coefficient of actuals a_(1), …, a_(n) taken in some order is
//
//	G = (1/n) Σ_{k=1..n} (L_k − k/n),  L_k = (a_(1) + … + a_(k)) / A,
//
// the area between the cumulative share of the actual total and the diagonal
// (the "normalized Gini" of Kaggle-style evaluations). The normalized Gini
// divides G in prediction order by G in the perfect order (actuals
// descending), which simplifies to
//
//	gini = Σ_j a_(j)·(n+1−2j) / Σ_j a*_(j)·(n+1−2j),
//
// where a_(j) is the actual of the j-th customer by prediction and a*_(j)
// the j-th largest actual; Score evaluates this form, whose weights are
// exact integers. It is 1 when the predictions rank customers as their
// actuals do, near 0 for a random ranking and negative for a reversed one; it
// is NaN when all actuals are equal (including all zero and n = 1), where
// the perfect order has no area to compare with.
//
// Every sum is accumulated in customer order with Neumaier's compensated
// summation, so the same inputs give the same bits. A metric that is
// undefined holds NaN, which marshals as null (see Metric).
type Scores struct {
	Customers      int    `json:"customers"`
	ActualTotal    Metric `json:"actual_total"`
	PredictedTotal Metric `json:"predicted_total"`
	Bias           Metric `json:"bias"`
	MAE            Metric `json:"mae"`
	RMSE           Metric `json:"rmse"`
	MSLE           Metric `json:"msle"`
	Pearson        Metric `json:"pearson"`
	Spearman       Metric `json:"spearman"`
	Top10Share     Metric `json:"top10_share"`
	Top20Share     Metric `json:"top20_share"`
	Gini           Metric `json:"gini"`
}

// scoreNames are the JSON names of the Scores fields, in field order.
var scoreNames = []string{
	"customers", "actual_total", "predicted_total", "bias", "mae", "rmse",
	"msle", "pearson", "spearman", "top10_share", "top20_share", "gini",
}

// MetricNames returns the JSON names of the Scores fields in their field
// order: customers, actual_total, predicted_total, bias, mae, rmse, msle,
// pearson, spearman, top10_share, top20_share, gini. The slice is a copy.
func MetricNames() []string { return slices.Clone(scoreNames) }

// Value returns the metric with the given JSON name (customers as a
// float64) and whether the name is one of MetricNames. The value may be
// NaN.
func (s Scores) Value(name string) (float64, bool) {
	var m Metric
	switch name {
	case "customers":
		return float64(s.Customers), true
	case "actual_total":
		m = s.ActualTotal
	case "predicted_total":
		m = s.PredictedTotal
	case "bias":
		m = s.Bias
	case "mae":
		m = s.MAE
	case "rmse":
		m = s.RMSE
	case "msle":
		m = s.MSLE
	case "pearson":
		m = s.Pearson
	case "spearman":
		m = s.Spearman
	case "top10_share":
		m = s.Top10Share
	case "top20_share":
		m = s.Top20Share
	case "gini":
		m = s.Gini
	default:
		return 0, false
	}
	return float64(m), true
}

// Values returns every metric of s by JSON name, NaN where undefined.
func (s Scores) Values() map[string]float64 {
	out := make(map[string]float64, len(scoreNames))
	for _, name := range scoreNames {
		out[name], _ = s.Value(name)
	}
	return out
}

// ksum is a Neumaier compensated sum: the running sum s and the rounding
// error c it has lost so far.
//
// Each step adds the exact rounding error of t = s + x, s + x − t (a
// float64 whenever t does not overflow), to c. Neumaier's form computes it
// as (s − t) + x or (x − t) + s, whichever has the larger operand first;
// add computes it by Knuth's TwoSum, z = t − s, (s − (t − z)) + (x − z),
// which is exact whatever the magnitudes (Knuth, TAOCP vol. 2, §4.2.2,
// theorem B): the same number, so the same bits, without the branch on
// the magnitudes that mispredicts where |s| and |x| take turns being the
// larger (sums of signed deviations). TestKsumTwoSum holds the two equal.
type ksum struct{ s, c float64 }

func (k *ksum) add(x float64) {
	x = float64(x) // rounded: a product passed as x is not fused into s + x
	t := k.s + x
	z := t - k.s
	k.c += (k.s - (t - z)) + (x - z)
	k.s = t
}

// addNonNeg is add, to the bit, for any x, and cheaper for a term that
// is at most the running sum and not negative (0 ≤ x ≤ s: the terms of a
// sum of terms that are never negative, past its first few): then |s| ≥
// |x|, and Dekker's Fast2Sum (s − t) + x is the exact rounding error (a
// float64 whenever t does not overflow), which TwoSum also computes,
// with three additions fewer. Where both errors are zero they may differ
// in sign, which c + e does not see: c starts at +0, and a sum of two
// float64s is −0 only when both are, so c is never −0. Past an overflow
// (t infinite) the value is NaN either way. The branch goes one way
// for the terms of such a sum, so it is predicted; a sum of signed terms
// keeps add. TestKsumNonNeg holds the two equal. Both round their term
// first (x = float64(x)): where the compiler fuses a multiply and an add
// (arm64, GOAMD64=v3) a product given as the term (sq.add(e*e)) would
// otherwise be fused into s + x, and fused differently in each, so the
// sums would differ from each other and from one platform to another.
func (k *ksum) addNonNeg(x float64) {
	x = float64(x) // rounded: a product passed as x is not fused into s + x
	s := k.s
	if !(0 <= x && x <= s) {
		k.add(x)
		return
	}
	t := s + x
	k.c += (s - t) + x
	k.s = t
}

func (k *ksum) value() float64 { return k.s + k.c }

// checkLengths checks the slices shared by Score and Segments: equal
// lengths and at least one customer (checkValues checks the values).
func checkLengths(customers int, predicted, actual []float64, withActual bool) error {
	n := len(predicted)
	if customers != n {
		return fmt.Errorf("%d customer ids but %d predictions", customers, n)
	}
	if withActual && len(actual) != n {
		return fmt.Errorf("%d predictions but %d actuals", n, len(actual))
	}
	if n == 0 {
		return errors.New("no customers")
	}
	return nil
}

// checkValues checks that every value is finite and not negative.
func checkValues(id func(i int) string, name string, v []float64) error {
	for i, x := range v {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return fmt.Errorf("%s[%d] (customer %q) is %v, not finite", name, i, id(i), x)
		case x < 0:
			return fmt.Errorf("%s[%d] (customer %q) is %v, negative", name, i, id(i), x)
		}
	}
	return nil
}

// PredictionOrder returns the indices of the customers sorted by predicted
// value, highest first. Ties in prediction are broken by customer id,
// ascending: in numeric order when every id parses as a base-10 integer
// that fits an int64 (strconv.ParseInt(id, 10, 64)), so "9" comes before
// "10", and in byte-wise string order otherwise; ids that compare equal
// numerically ("7" and "007") fall back to string order, and identical ids
// to their position in the input. The order is therefore total and does not
// depend on the sorting algorithm. Score and Segments rank customers this
// way.
//
// It returns an error when the lengths differ, there are no customers, or a
// prediction is negative or not finite.
func PredictionOrder(ids []string, predicted []float64) ([]int, error) {
	return NewScorer(ids).PredictionOrder(predicted)
}

// Score computes the Scores of predictions against holdout actuals, one of
// each per customer, with ids[i] naming customer i (ids break ties in the
// ranking, see PredictionOrder).
//
// It returns an error, naming the index and the customer id, when the
// lengths differ, there are no customers, a value is negative or not
// finite, or the predicted total plus the actual total overflows a float64.
func Score(ids []string, predicted, actual []float64) (Scores, error) {
	return NewScorer(ids).Score(predicted, actual)
}

// Score is the package-level Score for the Scorer's customers. It walks
// the customers twice: in prediction order for the top shares, the Gini
// coefficient, the ranks of predictions ordered by customer and any
// segments expected (expectSegments), and in customer order for the
// error sums and both correlations, whose means are known beforehand
// (the predicted total is summed while their order is made).
func (sc *Scorer) Score(predicted, actual []float64) (Scores, error) {
	return sc.ScoreContext(context.Background(), predicted, actual)
}

// ScoreContext is Score that stops when ctx is done: it looks at ctx
// between its steps and every cancelBlock customers of its long walks,
// and returns ctx's error (wrapped) once ctx is done.
func (sc *Scorer) ScoreContext(ctx context.Context, predicted, actual []float64) (Scores, error) {
	if err := checkLengths(sc.n, predicted, nil, false); err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	ranked, err := sc.ranked(ctx, predicted)
	defer sc.release(ranked)
	if err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	facts, err := sc.actualFacts(ctx, actual)
	if err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	s, err := sc.scores(ctx, predicted, actual, ranked, facts)
	if err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	return s, nil
}

// ScoreSet holds Scores by model name and then target name, the shape of
// metrics.json: {"bgnbd": {"holdout": {...}, "holdout_revenue": {...}}}.
// encoding/json writes map keys sorted, so its output is deterministic.
type ScoreSet map[string]map[string]Scores

// SplitMetricPath splits a gate metric path model.target.metric, such as
// bgnbd.holdout.mae or bgnbd.holdout_revenue.top20_share, into its parts.
// The metric is the part after the last dot and the target the part before
// it; the model is everything before that, so a model name may itself hold
// dots. It returns an error when a part is empty or the metric is not one of
// MetricNames.
func SplitMetricPath(path string) (model, target, metric string, err error) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", "", "", fmt.Errorf("metric path %q: want model.target.metric", path)
	}
	j := strings.LastIndexByte(path[:i], '.')
	if j < 0 {
		return "", "", "", fmt.Errorf("metric path %q: want model.target.metric", path)
	}
	model, target, metric = path[:j], path[j+1:i], path[i+1:]
	if model == "" || target == "" || metric == "" {
		return "", "", "", fmt.Errorf("metric path %q: empty part in model.target.metric", path)
	}
	if !slices.Contains(scoreNames, metric) && !slices.Contains(survivalScoreNames, metric) {
		return "", "", "", fmt.Errorf("metric path %q: unknown metric %q (want one of %s; or in a contractual run %s)",
			path, metric, strings.Join(scoreNames, ", "), strings.Join(survivalScoreNames, ", "))
	}
	return model, target, metric, nil
}

// Lookup returns the metric at a path model.target.metric (see
// SplitMetricPath) and whether it exists; the value may be NaN. Its method
// value s.Lookup is the lookup function CheckGates takes.
func (s ScoreSet) Lookup(path string) (float64, bool) {
	model, target, metric, err := SplitMetricPath(path)
	if err != nil {
		return 0, false
	}
	sc, ok := s[model][target]
	if !ok {
		return 0, false
	}
	return sc.Value(metric)
}

// Paths returns every metric path of s, sorted.
func (s ScoreSet) Paths() []string {
	var out []string
	for model, targets := range s {
		for target := range targets {
			for _, m := range scoreNames {
				out = append(out, model+"."+target+"."+m)
			}
		}
	}
	slices.Sort(out)
	return out
}
