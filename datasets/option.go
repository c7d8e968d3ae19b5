package datasets

import "fmt"

// Option names a reading or summary option that an error is about, as
// the library knows it (a field of ReadOptions or SummaryOptions), not as
// the user wrote it: the clv command has flags (--date-format) and configs
// have keys (data.date_format), and the layer that knows which one the user
// wrote words the hint (experiments.ConfigHint, and the command's own).
type Option string

// The options errors refer to.
const (
	OptionCustomer       Option = "customer"        // ReadOptions.Customer
	OptionDate           Option = "date"            // ReadOptions.Date
	OptionAmount         Option = "amount"          // ReadOptions.Amount
	OptionHeader         Option = "header"          // ReadOptions.Header
	OptionDateFormat     Option = "date_format"     // ReadOptions.DateFormat
	OptionOnBadRow       Option = "on_bad_row"      // ReadOptions.OnBadRow (skip sets bad rows aside)
	OptionStart          Option = "start"           // ReadOptions.Start
	OptionCalibrationEnd Option = "calibration_end" // SummaryOptions.CalibrationEnd
	OptionHoldoutEnd     Option = "holdout_end"     // SummaryOptions.HoldoutEnd
)

// OptionError is an error about the value of one option, such as a column
// the log does not have: Option says which, File the file (if any) and Err
// what is wrong, in words that name no flag or key.
type OptionError struct {
	Option Option
	File   string
	Err    error
}

// Error returns the file and the problem.
func (e *OptionError) Error() string {
	if e.File == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the problem.
func (e *OptionError) Unwrap() error { return e.Err }
