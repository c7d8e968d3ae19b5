package experiments

import (
	"errors"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// cfgOptionKeys are the config keys of the options errors name: the
// reading and summary options of datasets, and the fitting options of
// models. The window's start has no key: a config run never sets it.
var cfgOptionKeys = map[string]string{
	string(datasets.OptionCustomer):       "data.customer",
	string(datasets.OptionDate):           "data.date",
	string(datasets.OptionAmount):         "data.amount",
	string(datasets.OptionHeader):         "data.header",
	string(datasets.OptionDateFormat):     "data.date_format",
	string(datasets.OptionOnBadRow):       "data.on_bad_row",
	string(datasets.OptionCalibrationEnd): "split.calibration_end",
	string(datasets.OptionHoldoutEnd):     "split.holdout_end",
	models.OptionPenalty:                  "fit.penalty",
}

// ConfigKey returns the config key that sets an option named by an error
// (a datasets.Option, or models.OptionPenalty); "" when no key does.
func ConfigKey(option string) string { return cfgOptionKeys[option] }

// ConfigHint words, for a config run, which keys can fix err: for a bad
// row "in the config, set data.date_format, or data.on_bad_row: skip", for
// a missing column "in the config, set data.customer", for a fit that
// runs away "in the config, set fit.penalty". It returns "" when err
// carries no option. The command line words the same errors with its
// flags instead.
func ConfigHint(err error) string {
	var keys []string
	for _, o := range ErrorOptions(err) {
		k := ConfigKey(o)
		switch {
		case k == "":
		case o == string(datasets.OptionOnBadRow):
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

// ErrorOptions returns the options that the typed errors of datasets and
// models say can fix err, in order (nil when err names none): a bad row's
// Options, an OptionError's Option, a fit's penalty option.
func ErrorOptions(err error) []string {
	var be *datasets.BadRowError
	var oe *datasets.OptionError
	var ie *models.IdentificationError
	var ce *models.ConvergenceError
	var out []string
	switch {
	case errors.As(err, &be):
		for _, o := range be.Options {
			out = append(out, string(o))
		}
	case errors.As(err, &oe):
		out = []string{string(oe.Option)}
	case errors.As(err, &ie) && ie.Option != "":
		out = []string{ie.Option}
	case errors.As(err, &ce) && ce.Option != "":
		out = []string{ce.Option}
	}
	return out
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
