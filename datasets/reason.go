package datasets

// Reason names why an input row was rejected.
type Reason string

// The reasons a row can be rejected for.
const (
	ReasonFieldCount    Reason = "wrong_field_count"
	ReasonMissingID     Reason = "missing_customer_id"
	ReasonBadDate       Reason = "unparseable_date"
	ReasonBadAmount     Reason = "unparseable_amount"
	ReasonNegative      Reason = "negative_amount"
	ReasonNonFinite     Reason = "non_finite_amount"
	ReasonOutsideWindow Reason = "date_outside_window"
	// ReasonBadQuote marks a CSV or TSV record whose quoting is malformed:
	// text after a closing quote, or a quoted field never closed.
	ReasonBadQuote Reason = "malformed_quotes"
	// ReasonAfterEnd marks a valid row dated after the window's end, set
	// aside under ReadOptions.ExcludeAfterEnd rather than treated as bad.
	ReasonAfterEnd Reason = "after_window_end"
)

// Reasons returns every reason in a fixed order, for reports that tabulate
// Accounting.RejectedBy.
func Reasons() []Reason {
	return []Reason{
		ReasonFieldCount, ReasonBadQuote, ReasonMissingID, ReasonBadDate,
		ReasonBadAmount, ReasonNegative, ReasonNonFinite, ReasonOutsideWindow, ReasonAfterEnd,
	}
}
