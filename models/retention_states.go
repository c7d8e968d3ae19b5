package models

// StateKeyed is implemented by purchase models whose predictions depend on
// a customer observed for some time (T > 0) only through one of a few
// states: every customer with StateOf(c) = s gets, from
// ConditionalExpectedPurchases, ProbabilityAlive and (when implemented)
// DiscountedExpectedPurchasesWithin, exactly the values of
// StateCustomer(s), bit for bit. A customer base is then predicted once per
// state and duration, and the values handed to every customer in the
// state. Customers observed for no time (T = 0) are predicted as new
// customers by the callers, outside the states.
type StateKeyed interface {
	// States returns the number of states n; StateOf returns a state in
	// [0, n).
	States() int
	// StateOf returns the state of a customer with T > 0.
	StateOf(c Customer) int
	// StateCustomer returns a customer (with T > 0) in state s.
	StateCustomer(s int) Customer
}

// States returns R + 1, the recency states 0 (active in the last period),
// 1, …, R (silent for R periods or more) of the chain with R states.
func (f *FittedRetention) States() int { return len(f.q) }

// StateOf returns the customer's recency state, RecencyState: every
// prediction reads the customer through PeriodsSinceActivity capped at R
// (R − 1 in the shorter chain of a blend, which the cap at R preserves).
func (f *FittedRetention) StateOf(c Customer) int { return f.RecencyState(c) }

// StateCustomer returns a customer in recency state s: first purchase in
// period s (T = (s + ½)·L), the only active period, so silent for the s
// periods since.
func (f *FittedRetention) StateCustomer(s int) Customer {
	return Customer{T: (float64(s) + 0.5) * f.period, Activity: 1 << uint(s)}
}
