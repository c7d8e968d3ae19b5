package experiments

import "math"

// countLimit bounds the values countedSides counts: holdout purchase
// counts are small integers.
const countLimit = 1 << 16

// countedSides computes what byValue computes of the actuals (their
// average ranks' correlation side and their Gini side) by counting, when
// every actual is an integer below countLimit, as holdout purchases are
// (countedKeys found them so, the largest top): the sorted order then
// consists of runs of equal values whose lengths are the counts, and
// both sides depend only on those runs (the Gini denominator adds equal
// values within a run, the ranks share the run's mean), so they come out
// as sortedSides gives them, without a sort.
func countedSides(actual []float64, top int) (ranks *correlationSide, gini giniSide) {
	count := make([]int, top+1)
	for _, v := range actual {
		count[int(v)]++
	}
	// The run of value v holds places start[v]..start[v]+count[v]−1
	// (0-based) of the ascending order: their ranks share the mean
	// (start + end + 1)/2, the average rank sortedSides gives (it keeps
	// it doubled, as a whole number).
	rankOf := make([]float64, top+1)
	s := 0
	for v, c := range count {
		rankOf[v] = float64(s+s+c+1) / 2
		s += c
	}
	return newKeyedSide(actual, rankOf), countedGiniSide(count, actual)
}

// countedKeys reports whether every actual is an integer below
// countLimit (ok), and the largest.
func countedKeys(actual []float64) (top int, ok bool) {
	for _, v := range actual {
		if !(v >= 0 && v < countLimit) || v != math.Trunc(v) {
			return 0, false
		}
		top = max(top, int(v))
	}
	return top, true
}

// keyedFacts returns what actualFacts computes of actuals that are
// integers up to top, as countedKeys found them: their compensated total
// in customer order, ln(1+v) by value v, and their correlation side by
// value; the same to the bit as by customer.
func keyedFacts(actual []float64, top int) (total float64, log1pOf []float64, side *correlationSide) {
	var sum ksum
	for _, v := range actual {
		sum.addNonNeg(v)
	}
	log1pOf, values := make([]float64, top+1), make([]float64, top+1)
	for v := range values {
		values[v] = float64(v)
		log1pOf[v] = math.Log1p(values[v])
	}
	return sum.value(), log1pOf, newKeyedSide(actual, values)
}

// countedGiniSide is sortedSides's Gini side of the actuals whose values 0..len(count)−1
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
