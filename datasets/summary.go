package datasets

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the time unit of a summary: recency, T and durations are
// expressed in it, fractional (days / Unit.Days()).
type Unit struct {
	Name string  // "day", "week", "month", "year" or "Nd" (N days)
	days float64 // length in days
}

// Standard units. A month is 365.25/12 days and a year 365.25 days.
var (
	Day   = Unit{Name: "day", days: 1}
	Week  = Unit{Name: "week", days: 7}
	Month = Unit{Name: "month", days: 365.25 / 12}
	Year  = Unit{Name: "year", days: 365.25}
)

// Days returns the unit's length in days.
func (u Unit) Days() float64 { return u.days }

// String returns the unit's name.
func (u Unit) String() string { return u.Name }

// ParseUnit reads a unit name: day, week, month, quarter, year, or "N days" written
// as "Nd" or "N days" (for example "14d").
func ParseUnit(s string) (Unit, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "day", "days", "d":
		return Day, nil
	case "week", "weeks", "w":
		return Week, nil
	case "month", "months":
		return Month, nil
	case "quarter", "quarters", "q":
		return Quarter, nil
	case "year", "years", "y":
		return Year, nil
	}
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "days"), "d"))
	if n, err := strconv.ParseFloat(num, 64); err == nil && n > 0 && n < 1e6 {
		return Unit{Name: strconv.FormatFloat(n, 'g', -1, 64) + "d", days: n}, nil
	}
	return Unit{}, fmt.Errorf("unknown time unit %q: use day, week, month, year or a number of days such as 14d", s)
}

// CustomerSummary is one customer's row of the summary table.
type CustomerSummary struct {
	ID string
	// Frequency is the number of repeat purchase days in calibration:
	// purchases on the same day count once and the first is not a repeat.
	Frequency float64
	// Recency is the time from the first to the last calibration purchase.
	Recency float64
	// T is the time from the first purchase to the end of calibration.
	T float64
	// Monetary is the mean of the same-day-summed repeat purchase amounts in
	// calibration (0 without repeats).
	Monetary float64
	// FirstAmount is the amount of the first purchase day.
	FirstAmount float64
	// FrequencyHoldout is the number of purchase days in the holdout window.
	FrequencyHoldout float64
	// MonetaryHoldout is the mean same-day-summed amount in the holdout (0
	// without purchases there).
	MonetaryHoldout float64
	// DurationHoldout is the length of the holdout window.
	DurationHoldout float64
	// Weight is the number of customers the row stands for (1 unless the
	// table is compressed).
	Weight float64
	// Activity has bit k set when the customer bought in the k-th activity
	// period counted back from calibration end (bit 0: the last period).
	Activity uint64
	// LogInterPurchase is Σ ln t_j over the Frequency inter-purchase times
	// t_j between successive calibration purchase days, in Unit (litt of
	// the BTYDplus package; 0 without repeats). The Erlang-k models need
	// it to compare k (see models.CNBDK). Computed only with
	// SummaryOptions.InterPurchase.
	LogInterPurchase float64
	// LastIntervalShare is t₁/(t₁+t₂) for the last two calibration
	// inter-purchase times t₁, t₂ (Wheat & Morrison's M), 0 with fewer
	// than two repeat purchases (computed only with
	// SummaryOptions.InterPurchase).
	LastIntervalShare float64
}

// Summary is the per-customer table every model fits on, with the facts
// about how it was made.
type Summary struct {
	Unit           Unit
	CalibrationEnd time.Time
	HoldoutEnd     time.Time // zero without a holdout window
	HasHoldout     bool
	HasAmount      bool
	// ActivityPeriod is the length in days of one Activity period and
	// ActivityPeriods how many periods the bitmaps cover (0: not computed).
	ActivityPeriod  float64
	ActivityPeriods int
	Customers       []CustomerSummary
	// WrittenCustomers counts the rows written to SummaryOptions.CSV
	// (Customers is then empty).
	WrittenCustomers int
	// LateCustomers counts customers whose first purchase falls after
	// calibration end; they are not in Customers.
	LateCustomers int
	// FirstDay is the earliest first-purchase day of the customers in the
	// table, and RepeatsPerDay[k] counts the repeat purchase days (same-day
	// purchases merged, each customer's first day excluded) of those
	// customers on day FirstDay+k, through the holdout end (or calibration
	// end). It feeds the tracking plot of the cohort's repeat purchases.
	FirstDay      time.Time
	RepeatsPerDay []float64
	// LastDate is the date of the last transaction read whose date
	// parsed, including rows set aside as after the window's end (zero
	// when there is none): what a window can be checked against.
	LastDate time.Time
	// HasInterPurchase is true when the customers' LogInterPurchase and
	// LastIntervalShare were computed (SummaryOptions.InterPurchase).
	HasInterPurchase bool
	// Compressed is true when identical rows were merged into weights.
	Compressed bool
	// NoAmountReason, when HasAmount is false for a summary read from a
	// log, says why no amounts were read (see Inspection.NoAmountReason),
	// so that a command can say why no revenue or CLV was computed.
	NoAmountReason string
	Accounting     Accounting
}

// Accounting says what became of every input row: RowsRead = RowsUsed +
// RowsRejected, always.
type Accounting struct {
	RowsRead     int64
	RowsUsed     int64
	RowsRejected int64
	// RejectedBy counts rejected rows per reason.
	RejectedBy map[Reason]int64
	// DuplicateRows counts used rows that repeat the same customer's
	// previous row exactly: same day and same amount (an export that
	// wrote a line twice). They are used, not rejected: purchases on one
	// day merge into one purchase day with their amounts summed, so a
	// duplicate adds its amount to that day. A command shows the count as
	// a warning. The comparison is with the customer's previous row in
	// the file, among the rows of a customer that come in date order
	// (rows after a customer's dates go back in time are not compared),
	// through a cache of recent rows: a duplicate separated from its
	// original by thousands of other rows may go uncounted, but no row is
	// ever counted that is not a duplicate.
	DuplicateRows int64
}

// Columns returns the calibration columns of the table: frequency,
// recency, T, monetary value and weight, one entry per row.
func (s *Summary) Columns() (frequency, recency, t, monetary, weight []float64) {
	n := len(s.Customers)
	frequency = make([]float64, n)
	recency = make([]float64, n)
	t = make([]float64, n)
	monetary = make([]float64, n)
	weight = make([]float64, n)
	for i, c := range s.Customers {
		frequency[i], recency[i], t[i], monetary[i], weight[i] = c.Frequency, c.Recency, c.T, c.Monetary, c.Weight
	}
	return
}
