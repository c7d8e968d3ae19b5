package experiments

import (
	"errors"
	"strings"

	"github.com/clv-dev/clv/datasets"
)

// cfgOptionKeys are the config keys of the reading and summary options.
// The window's start has no key: a config run never sets it.
var cfgOptionKeys = map[datasets.Option]string{
	datasets.OptionCustomer:       "data.customer",
	datasets.OptionDate:           "data.date",
	datasets.OptionAmount:         "data.amount",
	datasets.OptionHeader:         "data.header",
	datasets.OptionDateFormat:     "data.date_format",
	datasets.OptionOnBadRow:       "data.on_bad_row",
	datasets.OptionCalibrationEnd: "split.calibration_end",
	datasets.OptionHoldoutEnd:     "split.holdout_end",
}

// ConfigKey returns the config key that sets a reading or summary option
// ("" when no key does).
func ConfigKey(o datasets.Option) string { return cfgOptionKeys[o] }

// ConfigHint words, for a config run, which keys can fix err: for a bad
// row "set data.date_format, or data.on_bad_row: skip", for an option
// error "set data.customer". It returns "" when err carries no option.
// The command line words the same errors with its flags instead.
func ConfigHint(err error) string {
	var keys []string
	for _, o := range errorOptions(err) {
		k := ConfigKey(o)
		switch {
		case k == "":
		case o == datasets.OptionOnBadRow:
			keys = append(keys, k+": skip")
		default:
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return "in the config, set " + strings.Join(keys, ", or ")
}

// errorOptions returns the options a typed error of the datasets package
// says can fix it, in order.
func errorOptions(err error) []datasets.Option {
	var be *datasets.BadRowError
	var oe *datasets.OptionError
	switch {
	case errors.As(err, &be):
		return be.Options
	case errors.As(err, &oe):
		return []datasets.Option{oe.Option}
	}
	return nil
}

// HintedError is an error with a hint worded for how the user spoke (a
// config key in a config run, a flag on the command line). Its message is
// the error's followed by the hint; errors.As still finds the error's
// typed causes.
type HintedError struct {
	Err  error
	Hint string
}

// Error returns the error's message and the hint, separated by " (" .. ")".
func (e *HintedError) Error() string { return e.Err.Error() + " (" + e.Hint + ")" }

// Unwrap returns the error.
func (e *HintedError) Unwrap() error { return e.Err }

// WithConfigHint returns err with ConfigHint added (err itself when there
// is no hint).
func WithConfigHint(err error) error {
	if h := ConfigHint(err); h != "" {
		return &HintedError{Err: err, Hint: h}
	}
	return err
}
