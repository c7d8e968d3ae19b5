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
)
