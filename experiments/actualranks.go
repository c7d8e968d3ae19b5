package experiments

import "math"

// countLimit bounds the values countedSides counts: holdout purchase
// counts are small integers.
const countLimit = 1 << 16

// countedSides computes what byValue computes of the actuals (their
// average ranks' correlation side and their Gini side) by counting, when
// every actual is an integer below countLimit, as holdout purchases are:
// the sorted order then consists of runs of equal values whose lengths
// are the counts, and both sides depend only on those runs (the Gini
// denominator adds equal values within a run, the ranks share the run's
// mean), so they come out as sortByValue gives them, without a sort. ok
// is false for other actuals.
func (p *pools) countedSides(actual []float64) (ranks *correlationSide, gini giniSide, ok bool) {
	top := 0
	for _, v := range actual {
		if !(v >= 0 && v < countLimit) || v != math.Trunc(v) {
			return nil, giniSide{}, false
		}
		top = max(top, int(v))
	}
	count := make([]int, top+1)
	for _, v := range actual {
		count[int(v)]++
	}
	// The run of value v holds places start[v]..start[v]+count[v]−1
	// (0-based) of the ascending order: their ranks share the mean
	// (start + end + 1)/2, as averageRanks computes it.
	rankOf := make([]float64, top+1)
	s := 0
	for v, c := range count {
		rankOf[v] = float64(s+s+c+1) / 2
		s += c
	}
	r := p.floats.get(len(actual))
	defer p.floats.put(r)
	for i, v := range actual {
		r[i] = rankOf[int(v)]
	}
	return newCorrelationSide(r), countedGiniSide(count, actual), true
}

// countedGiniSide is newGiniSide of the actuals whose values 0..len(count)−1
// occur count[v] times: the same terms added in the same order, the
// largest value first.
func countedGiniSide(count []int, actual []float64) giniSide {
	if constant(actual) {
		return giniSide{constant: true}
	}
	n := len(actual)
	g := giniSide{exp: scaleExp(actual)}
	var den ksum
	j := 1
	for v := len(count) - 1; v >= 0; v-- {
		x := scaled(float64(v), g.exp)
		for range count[v] {
			den.add(x * float64(n+1-2*j))
			j++
		}
	}
	g.den = den.value()
	return g
}
