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
	t := k.s + x
	z := t - k.s
	k.c += (k.s - (t - z)) + (x - z)
	k.s = t
}

func (k *ksum) value() float64 { return k.s + k.c }

// checkLengths checks the slices shared by Score and Segments: equal
// lengths and at least one customer (checkValues checks the values).
func checkLengths(ids []string, predicted, actual []float64, withActual bool) error {
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
	return nil
}

// checkValues checks that every value is finite and not negative.
func checkValues(ids []string, name string, v []float64) error {
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
// the customers three times: in customer order for the error sums, in
// prediction order for the top shares and the Gini coefficient (and the
// ranks of predictions ordered by customer), and in customer order again
// for both correlations, whose means the first walk gives.
func (sc *Scorer) Score(predicted, actual []float64) (Scores, error) {
	return sc.ScoreContext(context.Background(), predicted, actual)
}

// ScoreContext is Score that stops when ctx is done: it looks at ctx
// between its steps and every cancelBlock customers of its long walks,
// and returns ctx's error (wrapped) once ctx is done.
func (sc *Scorer) ScoreContext(ctx context.Context, predicted, actual []float64) (Scores, error) {
	if err := checkLengths(sc.ids, predicted, nil, false); err != nil {
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

// scores computes Score's metrics from the predictions' order and the
// actuals' facts.
func (sc *Scorer) scores(ctx context.Context, predicted, actual []float64, ranked *cachedOrder, facts *actualOrder) (Scores, error) {
	fn := float64(len(predicted))
	e, err := sc.errorSums(ctx, predicted, actual, facts, ranked)
	if err != nil {
		return Scores{}, err
	}
	P, A := e.predicted, facts.total
	if math.IsInf(P+A, 0) || math.IsNaN(P+A) {
		return Scores{}, errors.New("the predicted and actual totals overflow a float64")
	}
	s := Scores{
		Customers:      len(predicted),
		ActualTotal:    Metric(A),
		PredictedTotal: Metric(P),
		Bias:           Metric(math.NaN()),
		MAE:            finiteOrNaN(e.abs / fn),
		MSLE:           finiteOrNaN(e.sle / fn),
		RMSE:           finiteOrNaN(e.rmse(predicted, actual)),
		Top10Share:     Metric(math.NaN()),
		Top20Share:     Metric(math.NaN()),
	}
	if A > 0 {
		s.Bias = finiteOrNaN(P/A - 1)
	}
	byActual, err := sc.byValue(facts, actual)
	if err != nil {
		return Scores{}, err
	}
	if err := ctx.Err(); err != nil {
		return Scores{}, err
	}
	// The predictions' ranks by customer, when not by row, are set while
	// walking the order, then those of ties.
	var rp []float64
	if ranked.rowRanks == nil {
		rp = sc.floats.get(len(predicted))
		defer sc.floats.put(rp)
	}
	top10, top20, gini, err := orderSums(ctx, ranked.order, actual, byActual.gini, rp)
	if err != nil {
		return Scores{}, err
	}
	s.Gini = gini
	if rp != nil {
		tiedRanks(ranked.order, ranked.ties, rp)
	}
	if A > 0 {
		s.Top10Share = finiteOrNaN(top10 / A)
		s.Top20Share = finiteOrNaN(top20 / A)
	}
	pearson, spearman, err := sc.correlations(ctx, predicted, ranked, rp, facts.values, byActual.ranks, P)
	if err != nil {
		return Scores{}, err
	}
	s.Pearson, s.Spearman = Metric(pearson), Metric(spearman)
	return s, nil
}

// errorSums are the compensated sums of Score's error metrics, in
// customer order: Σ p_i, Σ |p_i − a_i|, Σ (p_i − a_i)², Σ (ln(1+p_i) −
// ln(1+a_i))², and the largest error.
type errorSums struct {
	predicted, abs, sq, sle, maxErr float64
}

// errorSums accumulates the error sums of predictions against the
// actuals (ln(1+p) once per pattern row when the row decides p); the
// error is ctx's.
func (sc *Scorer) errorSums(ctx context.Context, predicted, actual []float64, facts *actualOrder, ranked *cachedOrder) (errorSums, error) {
	var pt, abs, sq, sle ksum
	var maxErr float64
	var rowLogs []float64
	if rv := ranked.rowValues; rv != nil {
		rowLogs = sc.floats.get(len(rv))
		defer sc.floats.put(rowLogs)
		for r, v := range rv {
			rowLogs[r] = math.Log1p(v)
		}
	}
	// ln(1+p) of a block of customers is gathered from the rows (or
	// computed) first, by a loop that does nothing else (see sumsInOrder).
	var logP [gatherBlock]float64
	n := len(predicted)
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return errorSums{}, err
			}
		}
		end := min(n, s+gatherBlock)
		pred := predicted[s:end]
		if rowLogs != nil {
			for k, r := range sc.rowOf[s:end] {
				logP[k] = rowLogs[r]
			}
		} else {
			for k, p := range pred {
				logP[k] = math.Log1p(p)
			}
		}
		var logA []float64
		if facts.log1pOf == nil {
			logA = facts.log1p[s:end]
		}
		act := actual[s:end]
		for k, p := range pred {
			a := act[k]
			var la float64
			if logA != nil {
				la = logA[k]
			} else {
				la = facts.log1pOf[int(a)]
			}
			pt.add(p)
			e := math.Abs(p - a)
			abs.add(e)
			sq.add(e * e)
			if e > maxErr { // e is never NaN: the inputs are finite
				maxErr = e
			}
			d := logP[k] - la
			sle.add(d * d)
		}
	}
	return errorSums{predicted: pt.value(), abs: abs.value(), sq: sq.value(), sle: sle.value(), maxErr: maxErr}, nil
}

// rmse is √((1/n) Σ (p_i − a_i)²), from the sum of squares unless the
// squares would overflow or underflow: then the errors are scaled by a
// power of two near the largest, which is exact, and summed again.
func (e errorSums) rmse(predicted, actual []float64) float64 {
	fn := float64(len(predicted))
	_, exp := math.Frexp(e.maxErr)
	if exp >= -400 && exp <= 400 {
		return math.Sqrt(e.sq / fn)
	}
	var ssq ksum
	for i, p := range predicted {
		e := math.Ldexp(p-actual[i], -exp)
		ssq.add(e * e)
	}
	return math.Ldexp(math.Sqrt(ssq.value()/fn), exp)
}

// correlations returns the Pearson correlation of the predictions with
// the actuals, whose correlation side is values, and the Spearman
// correlation, the Pearson correlation of their average ranks (the
// actuals' side ranks; the predictions' ranks by row, or rp by customer),
// both NaN when either side is constant. P is the compensated total of
// the predictions in customer order: unscaled, their mean is P/n; and the
// mean rank is (n+1)/2 (see meanRank). Both are then summed in one walk,
// each sum in customer order as correlateScaled adds it. The error is
// ctx's.
func (sc *Scorer) correlations(ctx context.Context, predicted []float64, ranked *cachedOrder, rp []float64, values, ranks *correlationSide, P float64) (pearson, spearman float64, err error) {
	o := ranked.order
	n := len(o)
	if predicted[o[0]] == predicted[o[n-1]] || values.constant || ranks.constant {
		return math.NaN(), math.NaN(), nil // the predictions (or actuals) are constant
	}
	meanR, ok := meanRank(n)
	if sx := scaleExp(predicted[o[0] : o[0]+1]); sx != 0 || !ok {
		// The largest prediction, first in the order, sets the scale.
		if rp == nil {
			rp = sc.floats.get(n)
			defer sc.floats.put(rp)
			for i, r := range sc.rowOf {
				rp[i] = ranked.rowRanks[r]
			}
		}
		return correlateScaled(predicted, sx, values), correlateScaled(rp, 0, ranks), ctx.Err()
	}
	meanP := P / float64(n)
	var pxy, pxx, rxy, rxx ksum
	// The ranks of a block of customers are gathered from the rows first
	// (see sumsInOrder).
	var rowRank [gatherBlock]float64
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
		}
		e := min(n, s+gatherBlock)
		rank := rowRank[:e-s]
		if rp != nil {
			rank = rp[s:e]
		} else {
			for k, r := range sc.rowOf[s:e] {
				rank[k] = ranked.rowRanks[r]
			}
		}
		vdev, vkeys := sideBlock(values, s, e)
		rdev, rkeys := sideBlock(ranks, s, e)
		for k, p := range predicted[s:e] {
			var dv float64
			if vkeys != nil {
				dv = values.byKey[int(vkeys[k])]
			} else {
				dv = vdev[k]
			}
			dx := p - meanP
			pxy.add(dx * dv)
			pxx.add(dx * dx)
			dr := rank[k] - meanR
			if rkeys != nil {
				dv = ranks.byKey[int(rkeys[k])]
			} else {
				dv = rdev[k]
			}
			rxy.add(dr * dv)
			rxx.add(dr * dr)
		}
	}
	return correlationOf(pxx.value(), values.ss, pxy.value()), correlationOf(rxx.value(), ranks.ss, rxy.value()), nil
}

// sideBlock returns the deviations of customers [s, e) of a side: by
// customer, or (keys not nil) the keys of its table.
func sideBlock(c *correlationSide, s, e int) (dev, keys []float64) {
	if c.byKey != nil {
		return nil, c.keys[s:e]
	}
	return c.dev[s:e], nil
}

// meanRank returns the mean of n average ranks, as correlateScaled
// computes it (their compensated sum over n), and whether it is known
// without summing: the ranks, halves of integers, add up to n(n+1)/2
// whatever the ties, and every partial sum of them is a half-integer
// below 2^52, exact in a float64, while n ≤ 2^26; the compensated sum is
// then exactly n(n+1)/2.
func meanRank(n int) (float64, bool) {
	if n > 1<<26 {
		return 0, false
	}
	return float64(n*(n+1)/2) / float64(n), true
}

// gatherBlock is how many values a walk in prediction order gathers
// from memory at once (see sumsInOrder).
const gatherBlock = 1024

// orderSums returns, in prediction order, the actuals of the top
// ⌈n/10⌉ and ⌈n/5⌉ customers and the normalized Gini coefficient (see
// Scores; NaN when the actuals are constant), in one pass. When rp is not
// nil it sets every customer's rank there, as for distinct predictions:
// place j (from 0) of the descending order has ascending rank n − j.
// The error is ctx's.
func orderSums(ctx context.Context, order []int32, actual []float64, side giniSide, rp []float64) (top10, top20 float64, gini Metric, err error) {
	n := len(order)
	c10, c20 := topCount(n, 10), topCount(n, 20)
	var top, num ksum
	var buf [gatherBlock]float64
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, 0, err
			}
		}
		block := order[s:min(n, s+gatherBlock)]
		for k, i := range block {
			buf[k] = actual[i]
		}
		for k, a := range buf[:len(block)] {
			j := s + k
			if j < c20 {
				if j == c10 {
					top10 = top.value()
				}
				top.add(a)
			}
			if !side.constant {
				// Σ_j a_(j)·(n+1−2j), j = 1..n, the actuals scaled by 2^−exp.
				num.add(scaled(a, side.exp) * float64(n+1-2*(j+1)))
			}
		}
		if rp != nil {
			for k, i := range block {
				rp[i] = float64(n - s - k)
			}
		}
	}
	if top20 = top.value(); c10 == c20 {
		top10 = top20
	}
	if side.constant || side.den <= 0 {
		return top10, top20, Metric(math.NaN()), nil
	}
	return top10, top20, Metric(max(-1, min(1, num.value()/side.den))), nil
}

// tiedRanks sets the ranks of the customers at the places of each run of
// tied predictions in the order, [s, e), to their mean, n − (s+e−1)/2 (see
// orderSums for the others).
func tiedRanks(order []int32, ties [][2]int32, rp []float64) {
	n := len(order)
	for _, t := range ties {
		r := float64(n) - float64(t[0]+t[1]-1)/2
		for _, i := range order[t[0]:t[1]] {
			rp[i] = r
		}
	}
}

// topCount returns ⌈pct·n/100⌉ in integer arithmetic.
func topCount(n, pct int) int { return (n*pct + 99) / 100 }

// constant reports whether every element of v equals v[0].
func constant(v []float64) bool {
	for _, x := range v[1:] {
		if x != v[0] {
			return false
		}
	}
	return true
}

// correlationSide is what Pearson's correlation needs of one variable,
// computed once for many correlations with it: whether it is constant,
// and its deviations from the mean (of the values scaled by scaleExp) with
// their compensated sum of squares, both in customer order. The
// deviations are held by customer (dev), or, for a variable that is a
// function of small integer keys (holdout purchase counts, and their
// ranks), by key: customer i's is byKey[int(keys[i])], with no slice of
// a million deviations to fill and read.
type correlationSide struct {
	constant bool
	dev      []float64
	ss       float64
	// byKey and keys, when byKey is not nil, give the deviations by key.
	byKey, keys []float64
}

// devAt returns customer i's deviation.
func (c *correlationSide) devAt(i int) float64 {
	if c.byKey != nil {
		return c.byKey[int(c.keys[i])]
	}
	return c.dev[i]
}

func newCorrelationSide(y []float64) *correlationSide {
	if constant(y) {
		return &correlationSide{constant: true}
	}
	sy := scaleExp(y)
	var my ksum
	for _, v := range y {
		my.add(scaled(v, sy))
	}
	meanY := my.value() / float64(len(y))
	c := &correlationSide{dev: make([]float64, len(y))}
	var syy ksum
	for i, v := range y {
		dy := scaled(v, sy) - meanY
		c.dev[i] = dy
		syy.add(dy * dy)
	}
	c.ss = syy.value()
	return c
}

// newKeyedSide is newCorrelationSide of y_i = table[int(keys[i])], keys
// integers in [0, len(table)), the same to the bit, its deviations kept
// by key.
func newKeyedSide(keys, table []float64) *correlationSide {
	first, m := table[int(keys[0])], 0.0
	same := true
	for _, k := range keys {
		y := table[int(k)]
		same = same && y == first
		m = max(m, math.Abs(y))
	}
	if same {
		return &correlationSide{constant: true}
	}
	sy := scaleExp([]float64{m})
	var my ksum
	for _, k := range keys {
		my.add(scaled(table[int(k)], sy))
	}
	meanY := my.value() / float64(len(keys))
	c := &correlationSide{byKey: make([]float64, len(table)), keys: keys}
	for v, y := range table {
		c.byKey[v] = scaled(y, sy) - meanY
	}
	var syy ksum
	for _, k := range keys {
		dy := c.byKey[int(k)]
		syy.add(dy * dy)
	}
	c.ss = syy.value()
	return c
}

// correlateScaled is the Pearson correlation of x, not constant, with y's
// side, x scaled by 2^−sx (exactly, see scaleExp; values beyond 2^±400 are
// scaled so that the squares cannot overflow).
func correlateScaled(x []float64, sx int, y *correlationSide) float64 {
	var mx ksum
	for _, v := range x {
		mx.add(scaled(v, sx))
	}
	meanX := mx.value() / float64(len(x))
	var sxy, sxx ksum
	for i, v := range x {
		dx := scaled(v, sx) - meanX
		sxy.add(dx * y.devAt(i))
		sxx.add(dx * dx)
	}
	return correlationOf(sxx.value(), y.ss, sxy.value())
}

// correlationOf returns sxy/√(vx·vy) in [−1, 1], NaN when a spread is
// not positive.
func correlationOf(vx, vy, sxy float64) float64 {
	if vx <= 0 || vy <= 0 {
		return math.NaN()
	}
	r := sxy / (math.Sqrt(vx) * math.Sqrt(vy))
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

// giniSide is what the normalized Gini coefficient needs of the actuals,
// computed once for every prediction order: whether they are constant,
// their scale (scaleExp) and the denominator Σ_j a*_(j)·(n+1−2j) over the
// actuals in descending order, scaled.
type giniSide struct {
	constant bool
	exp      int
	den      float64
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
