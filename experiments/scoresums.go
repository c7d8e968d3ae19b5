package experiments

import (
	"context"
	"errors"
	"math"
)

// The sums Score takes. A prediction column is walked twice: once in
// prediction order (the top shares, the Gini sum, the ranks of
// predictions ordered by customer, and the groups of expected segments,
// see orderSums), and once in customer order, for the error sums and
// both correlations together (customerSums), whose means are known
// before it: the predictions' total P is summed while their order is
// made, and the mean rank is (n+1)/2 (see meanRank).

// scores computes Score's metrics from the predictions' order and the
// actuals' facts.
func (sc *Scorer) scores(ctx context.Context, predicted, actual []float64, ranked *cachedOrder, facts *actualOrder) (Scores, error) {
	n := len(predicted)
	fn := float64(n)
	P, A := ranked.total, facts.total
	if math.IsInf(P+A, 0) || math.IsNaN(P+A) {
		return Scores{}, errors.New("the predicted and actual totals overflow a float64")
	}
	byActual, err := sc.byValue(facts, actual)
	if err != nil {
		return Scores{}, err
	}
	if err := ctx.Err(); err != nil {
		return Scores{}, err
	}
	s := Scores{
		Customers:      n,
		ActualTotal:    Metric(A),
		PredictedTotal: Metric(P),
		Bias:           Metric(math.NaN()),
		Top10Share:     Metric(math.NaN()),
		Top20Share:     Metric(math.NaN()),
	}
	if A > 0 {
		s.Bias = finiteOrNaN(P/A - 1)
	}
	// The predictions' ranks by customer, when not by row, are set while
	// walking the order (as halves, see tiedRanks), then those of ties.
	var rp []uint32
	if ranked.rowRanks == nil {
		rp = sc.halves.get(n)
		defer sc.halves.put(rp)
	}
	// The segments of the column against these actuals, when they are
	// to be asked (expectSegments), are totalled in the same walk.
	groups := sc.expectedGroups(predicted, actual, A)
	top10, top20, gini, err := orderSums(ctx, ranked.order, actualsOf{actual, facts.bytes}, byActual.gini, rp, groups)
	if err != nil {
		return Scores{}, err
	}
	if groups != nil {
		sc.rememberSegments(ranked, actual, groups.segments(A))
	}
	s.Gini = gini
	if rp != nil {
		tiedRanks(ranked.order, ranked.ties, rp)
	}
	if A > 0 {
		s.Top10Share = finiteOrNaN(top10 / A)
		s.Top20Share = finiteOrNaN(top20 / A)
	}
	ranks := predictionRanks{rows: ranked.rowRanks, rowOf: sc.rowOf, halves: rp}
	w := customerWalk{predicted: predicted, actual: actual, facts: facts, ranks: ranks, values: facts.values, rankSide: byActual.ranks}
	o := ranked.order
	constantSides := predicted[o[0]] == predicted[o[n-1]] || w.values.constant || w.rankSide.constant
	meanR, ok := meanRank(n)
	// The largest prediction, first in the order, sets the scale.
	sx := scaleExp(predicted[o[0] : o[0]+1])
	w.correlate = !constantSides && sx == 0 && ok
	w.meanP, w.meanR = P/fn, meanR
	if ranked.rowValues != nil {
		w.rowLogs = sc.floats.get(len(ranked.rowValues))
		defer sc.floats.put(w.rowLogs)
		for r, v := range ranked.rowValues {
			w.rowLogs[r] = math.Log1p(v)
		}
		w.rowOf = sc.rowOf
	}
	e, err := w.sums(ctx)
	if err != nil {
		return Scores{}, err
	}
	s.MAE, s.MSLE, s.RMSE = finiteOrNaN(e.abs/fn), finiteOrNaN(e.sle/fn), finiteOrNaN(e.rmse(predicted, actual))
	switch {
	case constantSides:
		s.Pearson, s.Spearman = Metric(math.NaN()), Metric(math.NaN())
	case w.correlate:
		s.Pearson = Metric(correlationOf(e.pxx, w.values.ss, e.pxy))
		s.Spearman = Metric(correlationOf(e.rxx, w.rankSide.ss, e.rxy))
	default:
		s.Pearson = Metric(correlateScaled(predicted, sx, w.values))
		s.Spearman = Metric(correlateScaled(ranks.column(n), 0, w.rankSide))
	}
	return s, nil
}

// predictionRanks are the predictions' average ranks by customer: by
// pattern row (rows[rowOf[i]]), or as halves (see tiedRanks).
type predictionRanks struct {
	rows   []float64
	rowOf  []int32
	halves []uint32
}

// block sets out[k] to customer s+k's rank.
func (r predictionRanks) block(s int, out []float64) {
	if r.rows != nil {
		for k, row := range r.rowOf[s : s+len(out)] {
			out[k] = r.rows[row]
		}
		return
	}
	for k, h := range r.halves[s : s+len(out)] {
		out[k] = float64(h) / 2
	}
}

// column returns every customer's rank in a new slice.
func (r predictionRanks) column(n int) []float64 {
	out := make([]float64, n)
	r.block(0, out)
	return out
}

// customerWalk is the walk in customer order over a column's predictions
// and the actuals: their error sums and, when correlate, the sums of both
// correlations (the predictions' deviations from meanP against the
// actuals' side values, their ranks' from meanR against rankSide), each
// sum compensated in customer order. ln(1+p) is taken once per pattern
// row (rowLogs by rowOf) when the row decides p.
type customerWalk struct {
	predicted, actual []float64
	facts             *actualOrder
	ranks             predictionRanks
	values, rankSide  *correlationSide
	correlate         bool
	meanP, meanR      float64
	rowLogs           []float64
	rowOf             []int32
}

// customerSums are customerWalk's sums: Σ |p_i − a_i|, Σ (p_i − a_i)²,
// Σ (ln(1+p_i) − ln(1+a_i))² and the largest error; and those of the
// correlations, Σ dp·da, Σ dp², Σ dr·dq and Σ dr² (dp, dr the
// predictions' and their ranks' deviations, da, dq the actuals' sides').
type customerSums struct {
	abs, sq, sle, maxErr float64
	pxy, pxx, rxy, rxx   float64
}

// sums walks the customers a block at a time: what each term needs is
// gathered from the rows and the sides into buffers first, by loops that
// do nothing else (see sumsInOrder), then the terms are added. The error
// is ctx's.
func (w *customerWalk) sums(ctx context.Context) (customerSums, error) {
	var abs, sq, sle, pxy, pxx, rxy, rxx ksum
	var maxErr float64
	var logP, logA, rank, dv, dq [gatherBlock]float64
	n := len(w.predicted)
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return customerSums{}, err
			}
		}
		e := min(n, s+gatherBlock)
		pred, act := w.predicted[s:e], w.actual[s:e]
		w.logs(s, pred, act, logP[:e-s], logA[:e-s])
		if !w.correlate {
			for k, p := range pred {
				a := act[k]
				e := math.Abs(p - a)
				abs.addNonNeg(e)
				sq.addNonNeg(e * e)
				if e > maxErr { // e is never NaN: the inputs are finite
					maxErr = e
				}
				d := logP[k] - logA[k]
				sle.addNonNeg(d * d)
			}
			continue
		}
		w.ranks.block(s, rank[:e-s])
		w.values.devs(s, act, dv[:e-s])
		w.rankSide.devs(s, act, dq[:e-s])
		meanP, meanR := w.meanP, w.meanR
		for k, p := range pred {
			a := act[k]
			e := math.Abs(p - a)
			abs.addNonNeg(e)
			sq.addNonNeg(e * e)
			if e > maxErr {
				maxErr = e
			}
			d := logP[k] - logA[k]
			sle.addNonNeg(d * d)
			dx := p - meanP
			pxy.add(dx * dv[k])
			pxx.addNonNeg(dx * dx)
			dr := rank[k] - meanR
			rxy.add(dr * dq[k])
			rxx.addNonNeg(dr * dr)
		}
	}
	return customerSums{abs: abs.value(), sq: sq.value(), sle: sle.value(), maxErr: maxErr,
		pxy: pxy.value(), pxx: pxx.value(), rxy: rxy.value(), rxx: rxx.value()}, nil
}

// logs sets logP[k] and logA[k] to ln(1+p) and ln(1+a) of customer s+k,
// whose prediction is pred[k] and actual act[k]: from the rows' and the
// actuals' logarithms where they are kept, computed otherwise.
func (w *customerWalk) logs(s int, pred, act, logP, logA []float64) {
	if w.rowLogs != nil {
		for k, r := range w.rowOf[s : s+len(logP)] {
			logP[k] = w.rowLogs[r]
		}
	} else {
		for k, p := range pred {
			logP[k] = math.Log1p(p)
		}
	}
	if f := w.facts; f.log1pOf != nil {
		for k, a := range act {
			logA[k] = f.log1pOf[int(a)]
		}
	} else {
		copy(logA, f.log1p[s:s+len(logA)])
	}
}

// rmse is √((1/n) Σ (p_i − a_i)²), from the sum of squares unless the
// squares would overflow or underflow: then the errors are scaled by a
// power of two near the largest, which is exact, and summed again.
func (e customerSums) rmse(predicted, actual []float64) float64 {
	fn := float64(len(predicted))
	_, exp := math.Frexp(e.maxErr)
	if exp >= -400 && exp <= 400 {
		return math.Sqrt(e.sq / fn)
	}
	var ssq ksum
	for i, p := range predicted {
		e := math.Ldexp(p-actual[i], -exp)
		ssq.addNonNeg(e * e)
	}
	return math.Ldexp(math.Sqrt(ssq.value()/fn), exp)
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

// actualsOf are the actuals a walk in prediction order gathers: values,
// and bytes, when not nil, the same values as bytes (see actualOrder).
type actualsOf struct {
	values []float64
	bytes  []uint8
}

// gather sets buf[k] to the actual of customer block[k]. Small integers
// are gathered from their bytes: a zero of either sign comes out +0,
// which no sum of orderSums tells apart (a sum that starts at +0 is
// never −0, and adding ±0 to it changes nothing).
func (a actualsOf) gather(block []int32, buf []float64) {
	if a.bytes != nil {
		for k, i := range block {
			buf[k] = float64(a.bytes[i])
		}
		return
	}
	for k, i := range block {
		buf[k] = a.values[i]
	}
}

// gatherBlock is how many values a walk in prediction order gathers
// from memory at once (see sumsInOrder).
const gatherBlock = 1024

// orderSums returns, in prediction order, the actuals of the top
// ⌈n/10⌉ and ⌈n/5⌉ customers and the normalized Gini coefficient (see
// Scores; NaN when the actuals are constant), in one pass. When rp is not
// nil it sets every customer's rank there, as for distinct predictions:
// place j (from 0) of the descending order has ascending rank n − j.
// (Ranks are held as halves, see tiedRanks.) When groups is not nil it also totals the predictions and actuals of
// Segments' groups, each in order (as sumsInOrder does). The error is
// ctx's.
func orderSums(ctx context.Context, order []int32, actual actualsOf, side giniSide, rp []uint32, groups *groupSums) (top10, top20 float64, gini Metric, err error) {
	n := len(order)
	c10, c20 := topCount(n, 10), topCount(n, 20)
	var top, num ksum
	var buf, pbuf [gatherBlock]float64
	for s := 0; s < n; s += gatherBlock {
		if s%cancelBlock == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, 0, err
			}
		}
		block := order[s:min(n, s+gatherBlock)]
		if groups != nil && actual.bytes == nil {
			for k, i := range block {
				buf[k], pbuf[k] = actual.values[i], groups.predicted[i]
			}
		} else {
			actual.gather(block, buf[:len(block)])
			if groups != nil {
				for k, i := range block {
					pbuf[k] = groups.predicted[i]
				}
			}
		}
		if groups != nil {
			groups.add(pbuf[:len(block)], buf[:len(block)])
		}
		for k, a := range buf[:len(block)] {
			j := s + k
			if j < c20 {
				if j == c10 {
					top10 = top.value()
				}
				top.addNonNeg(a)
			}
			if !side.constant {
				// Σ_j a_(j)·(n+1−2j), j = 1..n, the actuals scaled by 2^−exp.
				num.add(scaled(a, side.exp) * float64(n+1-2*(j+1)))
			}
		}
		if rp != nil {
			for k, i := range block {
				rp[i] = uint32(2 * (n - s - k))
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
// orderSums for the others), as halves.
func tiedRanks(order []int32, ties [][2]int32, rp []uint32) {
	n := len(order)
	for _, t := range ties {
		h := uint32(2*n - int(t[0]+t[1]-1))
		for _, i := range order[t[0]:t[1]] {
			rp[i] = h
		}
	}
}

// Average ranks are halves of integers of at most 2n: a slice of them
// holds each doubled, as a uint32 (2n < 2^32 for the customers a Scorer
// takes), half the memory of a float64 and converted to one exactly
// (float64(h)/2).

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
// the compensated sum of squares of its deviations from the mean (of the
// values scaled by scaleExp), in customer order, and each customer's
// deviation, computed again where needed rather than held (a million of
// them, read for every model, would cost more to keep than to make):
//   - for the values themselves (values, scaled by 2^−exp), v_i − mean;
//   - for average ranks held as halves (see tiedRanks), h_i/2 − mean;
//   - for a variable that is a function of small integer keys (holdout
//     purchase counts, and their ranks), by key: customer i's deviation
//     is byKey[int(keys[i])].
type correlationSide struct {
	constant bool
	ss       float64
	values   []float64
	exp      int
	halves   []uint32
	mean     float64
	// byKey and keys, when byKey is not nil, give the deviations by key.
	byKey, keys []float64
}

// devAt returns customer i's deviation.
func (c *correlationSide) devAt(i int) float64 {
	switch {
	case c.byKey != nil:
		return c.byKey[int(c.keys[i])]
	case c.halves != nil:
		return float64(c.halves[i])/2 - c.mean
	}
	return scaled(c.values[i], c.exp) - c.mean
}

// devs sets out[k] to customer s+k's deviation; act holds the customers'
// values when the side is of the values themselves (the actuals).
func (c *correlationSide) devs(s int, act, out []float64) {
	switch {
	case c.byKey != nil:
		for k, key := range c.keys[s : s+len(out)] {
			out[k] = c.byKey[int(key)]
		}
	case c.halves != nil:
		for k, h := range c.halves[s : s+len(out)] {
			out[k] = float64(h)/2 - c.mean
		}
	case c.exp == 0 && len(act) == len(out) && &act[0] == &c.values[s]:
		for k, v := range act {
			out[k] = v - c.mean
		}
	default:
		for k := range out {
			out[k] = scaled(c.values[s+k], c.exp) - c.mean
		}
	}
}

// newCorrelationSide returns the side of the values y (kept, not copied).
func newCorrelationSide(y []float64) *correlationSide {
	if constant(y) {
		return &correlationSide{constant: true}
	}
	c := &correlationSide{values: y, exp: scaleExp(y)}
	var my ksum
	for _, v := range y {
		my.addNonNeg(scaled(v, c.exp))
	}
	c.mean = my.value() / float64(len(y))
	var syy ksum
	for _, v := range y {
		dy := scaled(v, c.exp) - c.mean
		syy.addNonNeg(dy * dy)
	}
	c.ss = syy.value()
	return c
}

// newHalfRankSide returns the side of average ranks held as halves (kept,
// not copied): the same to the bit as newCorrelationSide of the ranks
// (which are below 2^400: not scaled).
func newHalfRankSide(halves []uint32) *correlationSide {
	first, same := halves[0], true
	var my ksum
	for _, h := range halves {
		same = same && h == first
		my.addNonNeg(float64(h) / 2)
	}
	if same {
		return &correlationSide{constant: true}
	}
	c := &correlationSide{halves: halves, mean: my.value() / float64(len(halves))}
	var syy ksum
	for _, h := range halves {
		dy := float64(h)/2 - c.mean
		syy.addNonNeg(dy * dy)
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
		my.addNonNeg(scaled(table[int(k)], sy))
	}
	meanY := my.value() / float64(len(keys))
	c := &correlationSide{byKey: make([]float64, len(table)), keys: keys}
	for v, y := range table {
		c.byKey[v] = scaled(y, sy) - meanY
	}
	var syy ksum
	for _, k := range keys {
		dy := c.byKey[int(k)]
		syy.addNonNeg(dy * dy)
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
		mx.addNonNeg(scaled(v, sx))
	}
	meanX := mx.value() / float64(len(x))
	var sxy, sxx ksum
	for i, v := range x {
		dx := scaled(v, sx) - meanX
		sxy.add(dx * y.devAt(i))
		sxx.addNonNeg(dx * dx)
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
