package experiments

import (
	"context"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// statePurchases returns the purchase predictions of a model whose values
// depend on a customer only through a state (models.StateKeyed: the
// retention heuristic's recency state, read from the activity bitmaps):
// each state's values once per duration class, from the state's
// representative customer, and a new customer's (T = 0) once per class,
// handed to every customer through the row index. They equal customerPrediction's per customer,
// bit for bit.
func statePurchases(ctx context.Context, f models.FittedPurchases, sk models.StateKeyed, s *datasets.Summary, durations []float64, class []uint8, o models.CLVOptions) *purchaseColumns {
	states := sk.States()
	newCustomer := states // the index of the T = 0 values
	vals := make([]customerValues, len(durations)*(states+1))
	for k, d := range durations {
		for st := range states {
			vals[k*(states+1)+st] = customerPrediction(f, sk.StateCustomer(st), d, o)
		}
		vals[k*(states+1)+newCustomer] = newCustomerValues(f, d, o)
	}
	out := newPurchaseColumns(len(vals))
	for r, v := range vals {
		out.set(r, v)
	}
	out.rows = make([]int32, len(s.Customers))
	parallelFor(len(s.Customers), func(lo, hi int) {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			cs := &s.Customers[i]
			st := newCustomer
			if cs.T != 0 {
				st = sk.StateOf(models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Activity: cs.Activity})
			}
			out.rows[i] = int32(int(class[i])*(states+1) + st)
		}
	})
	return out
}
