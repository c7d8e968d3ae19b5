package experiments

import "github.com/clv-dev/clv/datasets"

// holdoutActuals returns the window's ids (a new slice), holdout
// purchases and revenue, for tests.
func (wr *windowResult) holdoutActuals() (ids []string, purchases, revenue []float64) {
	purchases, revenue = wr.holdoutTargets()
	return customerIDs(wr.summary), purchases, revenue
}

// actuals returns the customers' ids, holdout purchases and holdout
// revenue, for tests.
func actuals(s *datasets.Summary) (ids []string, purchases, revenue []float64) {
	purchases, revenue = holdoutColumns(s)
	return customerIDs(s), purchases, revenue
}
