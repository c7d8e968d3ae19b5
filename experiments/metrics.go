package experiments

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
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
type ksum struct{ s, c float64 }

func (k *ksum) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *ksum) value() float64 { return k.s + k.c }

// checkInputs validates the slices shared by Score and Segments: equal
// lengths, at least one customer, and finite non-negative values. actual may
// be nil when only predictions are checked.
func checkInputs(ids []string, predicted, actual []float64, withActual bool) error {
	n := len(predicted)
	if len(ids) != n {
		return fmt.Errorf("%d customer ids but %d predictions", len(ids), n)
	}
	if withActual && len(actual) != n {
		return fmt.Errorf("%d predictions but %d actuals", n, len(actual))
	}
	if n == 0 {
		return errors.New("no customers")
	}
	check := func(name string, v []float64) error {
		for i, x := range v {
			switch {
			case math.IsNaN(x) || math.IsInf(x, 0):
				return fmt.Errorf("%s[%d] (customer %q) is %v, not finite", name, i, ids[i], x)
			case x < 0:
				return fmt.Errorf("%s[%d] (customer %q) is %v, negative", name, i, ids[i], x)
			}
		}
		return nil
	}
	if err := check("predicted", predicted); err != nil {
		return err
	}
	if withActual {
		return check("actual", actual)
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
	if err := checkInputs(ids, predicted, nil, false); err != nil {
		return nil, fmt.Errorf("prediction order: %w", err)
	}
	return predictionOrder(ids, predicted), nil
}

// predictionOrder is PredictionOrder on validated inputs.
func predictionOrder(ids []string, predicted []float64) []int {
	return NewScorer(ids).order(predicted)
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

// Score is the package-level Score for the Scorer's customers.
func (sc *Scorer) Score(predicted, actual []float64) (Scores, error) {
	if err := checkInputs(sc.ids, predicted, actual, true); err != nil {
		return Scores{}, fmt.Errorf("score: %w", err)
	}
	n := len(predicted)
	fn := float64(n)

	var pt, at, abs, sq, sle ksum
	var maxErr float64
	for i, p := range predicted {
		a := actual[i]
		pt.add(p)
		at.add(a)
		e := math.Abs(p - a)
		abs.add(e)
		sq.add(e * e)
		maxErr = max(maxErr, e)
		d := math.Log1p(p) - math.Log1p(a)
		sle.add(d * d)
	}
	P, A := pt.value(), at.value()
	if math.IsInf(P+A, 0) || math.IsNaN(P+A) {
		return Scores{}, errors.New("score: the predicted and actual totals overflow a float64")
	}

	s := Scores{
		Customers:      n,
		ActualTotal:    Metric(A),
		PredictedTotal: Metric(P),
		Bias:           Metric(math.NaN()),
		MAE:            finiteOrNaN(abs.value() / fn),
		MSLE:           finiteOrNaN(sle.value() / fn),
		Pearson:        Metric(pearson(predicted, actual)),
		Top10Share:     Metric(math.NaN()),
		Top20Share:     Metric(math.NaN()),
		Gini:           Metric(math.NaN()),
	}
	if A > 0 {
		s.Bias = finiteOrNaN(P/A - 1)
	}
	if _, exp := math.Frexp(maxErr); exp < -400 || exp > 400 {
		// The squares would overflow or underflow: scale the errors by a
		// power of two near the largest, which is exact.
		var ssq ksum
		for i, p := range predicted {
			e := math.Ldexp(p-actual[i], -exp)
			ssq.add(e * e)
		}
		s.RMSE = finiteOrNaN(math.Ldexp(math.Sqrt(ssq.value()/fn), exp))
	} else {
		s.RMSE = finiteOrNaN(math.Sqrt(sq.value() / fn))
	}

	order := sc.order(predicted)
	byActual := sc.byValue(actual)
	s.Spearman = Metric(spearman(order, byActual.ranks, predicted, actual))
	if A > 0 {
		s.Top10Share = finiteOrNaN(topShare(order, actual, 10) / A)
		s.Top20Share = finiteOrNaN(topShare(order, actual, 20) / A)
	}
	s.Gini = Metric(gini(order, byActual.sorted, actual))
	return s, nil
}

// topCount returns ⌈pct·n/100⌉ in integer arithmetic.
func topCount(n, pct int) int { return (n*pct + 99) / 100 }

// topShare sums the actuals of the first ⌈pct·n/100⌉ customers of order.
func topShare(order []int, actual []float64, pct int) float64 {
	var s ksum
	for _, i := range order[:topCount(len(order), pct)] {
		s.add(actual[i])
	}
	return s.value()
}

// constant reports whether every element of v equals v[0].
func constant(v []float64) bool {
	for _, x := range v[1:] {
		if x != v[0] {
			return false
		}
	}
	return true
}

// pearson returns the Pearson correlation of x and y, NaN when either is
// constant or their spread underflows. Values beyond 2^±400 are first
// scaled by a power of two (exactly, see scaleExp) so that the squares
// cannot overflow.
func pearson(x, y []float64) float64 {
	if constant(x) || constant(y) {
		return math.NaN()
	}
	n := float64(len(x))
	sx, sy := scaleExp(x), scaleExp(y)
	var mx, my ksum
	for i := range x {
		mx.add(scaled(x[i], sx))
		my.add(scaled(y[i], sy))
	}
	meanX, meanY := mx.value()/n, my.value()/n
	var sxy, sxx, syy ksum
	for i := range x {
		dx := scaled(x[i], sx) - meanX
		dy := scaled(y[i], sy) - meanY
		sxy.add(dx * dy)
		sxx.add(dx * dx)
		syy.add(dy * dy)
	}
	vx, vy := sxx.value(), syy.value()
	if vx <= 0 || vy <= 0 {
		return math.NaN()
	}
	r := sxy.value() / (math.Sqrt(vx) * math.Sqrt(vy))
	return max(-1, min(1, r))
}

// scaleExp returns 0 when the largest |v_i| lies between 2^−400 and 2^400,
// where sums of n products of two values cannot overflow or lose the
// values to underflow, and otherwise its binary exponent exp, so that
// v_i·2^(−exp) lies in (−1, 1). Scaling by a power of two is exact, so
// ratios of such sums do not depend on it.
func scaleExp(v []float64) int {
	var m float64
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	_, exp := math.Frexp(m)
	if exp >= -400 && exp <= 400 {
		return 0
	}
	return exp
}

// scaled returns x·2^(−exp).
func scaled(x float64, exp int) float64 {
	if exp == 0 {
		return x
	}
	return math.Ldexp(x, -exp)
}

// valueIndex is one customer's value in a sort by value.
type valueIndex struct {
	v float64
	i int
}

// sortByValue returns the values of v with their indices, in ascending
// order of value and then index.
func sortByValue(v []float64) []valueIndex {
	idx := make([]int32, len(v))
	for i := range idx {
		idx[i] = int32(i)
	}
	keys := make([]uint64, len(v))
	for i, x := range v {
		keys[i] = math.Float64bits(x + 0) // ≥ 0: the bits sort as the values
	}
	radixSort(keys, idx)
	s := make([]valueIndex, len(v))
	for j, i := range idx {
		s[j] = valueIndex{v[i], int(i)}
	}
	return s
}

// spearman returns the Spearman rank correlation of predicted and actual,
// with average ranks for ties; order is the prediction order, whose tied
// predictions are adjacent, and actualRanks the average ranks of actual.
func spearman(order []int, actualRanks []float64, predicted, actual []float64) float64 {
	if constant(predicted) || constant(actual) {
		return math.NaN()
	}
	n := len(order)
	rp := make([]float64, n)
	// Position j of the descending order has ascending rank n−j; a run of
	// ties at positions s..e−1 shares the mean rank n − (s+e−1)/2.
	for s := 0; s < n; {
		e := s + 1
		for e < n && predicted[order[e]] == predicted[order[s]] {
			e++
		}
		r := float64(n) - float64(s+e-1)/2
		for _, i := range order[s:e] {
			rp[i] = r
		}
		s = e
	}
	return pearson(rp, actualRanks)
}

// averageRanks returns the ascending ranks 1..n of the values sorted in
// byActual, by customer index, tied values sharing the mean of their ranks.
func averageRanks(sorted []valueIndex) []float64 {
	ranks := make([]float64, len(sorted))
	for s := 0; s < len(sorted); {
		e := s + 1
		for e < len(sorted) && sorted[e].v == sorted[s].v {
			e++
		}
		r := float64(s+e+1) / 2 // mean of s+1 .. e
		for _, x := range sorted[s:e] {
			ranks[x.i] = r
		}
		s = e
	}
	return ranks
}

// gini returns the normalized Gini coefficient of actual in the given
// prediction order (see Scores), NaN when all actuals are equal; byActual
// holds the actuals sorted ascending.
func gini(order []int, byActual []valueIndex, actual []float64) float64 {
	if constant(actual) {
		return math.NaN()
	}
	n := len(order)
	exp := scaleExp(actual)
	// Σ_j a_(j)·(n+1−2j), j = 1..n, with the actuals scaled by 2^−exp, in
	// prediction order and in descending order of the actuals.
	var num, den ksum
	for j := 1; j <= n; j++ {
		w := float64(n + 1 - 2*j)
		num.add(scaled(actual[order[j-1]], exp) * w)
		den.add(scaled(byActual[n-j].v, exp) * w)
	}
	if den.value() <= 0 {
		return math.NaN()
	}
	return max(-1, min(1, num.value()/den.value()))
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

// Scorer scores and segments many predictions of the same customers. It
// puts the customer ids in their tie-breaking order once (see
// PredictionOrder) and remembers every order it computes, by the slice it
// sorted: a model's predictions are ranked once for its scores, segments
// and plots, and a target's actuals once for all models. The slices given
// to a Scorer must not change afterwards. It is safe for concurrent use.
type Scorer struct {
	ids  []string
	byID []int32 // the customers in tie-breaking order of their ids

	mu      sync.Mutex
	orders  map[*float64][]int
	actuals map[*float64]*actualOrder
}

// actualOrder is a target's actuals sorted ascending, with their average
// ranks by customer.
type actualOrder struct {
	sorted []valueIndex
	ranks  []float64
}

// NewScorer returns a Scorer of the customers with the given ids.
func NewScorer(ids []string) *Scorer {
	return &Scorer{ids: ids, byID: idOrder(ids), orders: map[*float64][]int{}, actuals: map[*float64]*actualOrder{}}
}

// idOrder returns the customers in the tie-breaking order of their ids
// (see PredictionOrder): numeric ids by a radix sort of their values,
// then runs of equal values by string and position; other ids by a
// comparison sort.
func idOrder(ids []string) []int32 {
	keys := make([]uint64, len(ids))
	byID := make([]int32, len(ids))
	numeric := true
	for i, id := range ids {
		byID[i] = int32(i)
		k, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			numeric = false
			break
		}
		keys[i] = uint64(k) ^ 1<<63 // signed order as unsigned
	}
	byString := func(a, b int32) int {
		if c := strings.Compare(ids[a], ids[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	if !numeric {
		for i := range byID {
			byID[i] = int32(i)
		}
		slices.SortFunc(byID, byString)
		return byID
	}
	radixSort(keys, byID)
	for s := 0; s < len(keys); {
		e := s + 1
		for e < len(keys) && keys[e] == keys[s] {
			e++
		}
		if e-s > 1 { // "7" and "007"
			slices.SortFunc(byID[s:e], byString)
		}
		s = e
	}
	return byID
}

// PredictionOrder is the package-level PredictionOrder for the Scorer's
// customers (remembered for the slice, as the Scorer's orders are).
func (sc *Scorer) PredictionOrder(predicted []float64) ([]int, error) {
	if err := checkInputs(sc.ids, predicted, nil, false); err != nil {
		return nil, fmt.Errorf("prediction order: %w", err)
	}
	return sc.order(predicted), nil
}

// order returns the prediction order of validated predictions: a stable
// radix sort, by prediction descending, of the customers in id order.
func (sc *Scorer) order(predicted []float64) []int {
	if len(predicted) == 0 {
		return nil
	}
	sc.mu.Lock()
	o, ok := sc.orders[&predicted[0]]
	sc.mu.Unlock()
	if ok && len(o) == len(predicted) {
		return o
	}
	idx := slices.Clone(sc.byID)
	keys := make([]uint64, len(idx))
	for j, i := range idx {
		// The bits of a value ≥ 0 sort as the value; complemented, the
		// largest comes first.
		keys[j] = ^math.Float64bits(predicted[i] + 0)
	}
	radixSort(keys, idx)
	o = make([]int, len(idx))
	for j, i := range idx {
		o[j] = int(i)
	}
	sc.mu.Lock()
	sc.orders[&predicted[0]] = o
	sc.mu.Unlock()
	return o
}

// byValue returns the validated actuals sorted ascending with their
// average ranks.
func (sc *Scorer) byValue(actual []float64) *actualOrder {
	sc.mu.Lock()
	a, ok := sc.actuals[&actual[0]]
	sc.mu.Unlock()
	if ok && len(a.ranks) == len(actual) {
		return a
	}
	sorted := sortByValue(actual)
	a = &actualOrder{sorted: sorted, ranks: averageRanks(sorted)}
	sc.mu.Lock()
	sc.actuals[&actual[0]] = a
	sc.mu.Unlock()
	return a
}

// radixSort sorts keys ascending, carrying idx along, stably: a
// least-significant-digit radix sort in 11-bit digits (whose counts fit
// in the first-level cache), skipping the digits every key shares.
func radixSort(keys []uint64, idx []int32) {
	const bits, buckets = 11, 1 << 11
	n := len(keys)
	if n < 2 {
		return
	}
	srcK, srcI := keys, idx
	dstK, dstI := make([]uint64, n), make([]int32, n)
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += bits {
		clear(count[:])
		for _, k := range srcK {
			count[(k>>shift)&(buckets-1)]++
		}
		if count[(srcK[0]>>shift)&(buckets-1)] == n {
			continue // every key has this digit
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for j, k := range srcK {
			d := (k >> shift) & (buckets - 1)
			dstK[count[d]], dstI[count[d]] = k, srcI[j]
			count[d]++
		}
		srcK, dstK, srcI, dstI = dstK, srcK, dstI, srcI
	}
	if &srcK[0] != &keys[0] {
		copy(keys, srcK)
		copy(idx, srcI)
	}
}
