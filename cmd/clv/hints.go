package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// optionFlags are the flags of the options errors name (see
// dataFlags.register and the fit command's --penalty).
var optionFlags = map[string]string{
	string(datasets.OptionCustomer):       "--customer",
	string(datasets.OptionDate):           "--date",
	string(datasets.OptionAmount):         "--amount",
	string(datasets.OptionHeader):         "--header",
	string(datasets.OptionDateFormat):     "--date-format",
	string(datasets.OptionOnBadRow):       "--on-bad-row",
	string(datasets.OptionStart):          "--start",
	string(datasets.OptionCalibrationEnd): "--calibration-end",
	string(datasets.OptionHoldoutEnd):     "--holdout-end",
	models.OptionPenalty:                  "--penalty",
}

// flagHint words, for the command line, which flags can fix err: for a bad
// row "set --date-format, or --on-bad-row skip". It returns "" when err
// carries no option. A config run words it with config keys instead
// (experiments.ConfigHint).
func flagHint(err error) string {
	var flags []string
	for _, o := range experiments.ErrorOptions(err) {
		switch f := optionFlags[o]; {
		case f == "":
		case o == string(datasets.OptionOnBadRow):
			flags = append(flags, f+" skip")
		default:
			flags = append(flags, f)
		}
	}
	if len(flags) == 0 {
		return ""
	}
	return "set " + strings.Join(flags, ", or ")
}

// withFlagHint returns err with flagHint added (err itself when there is
// no hint).
func withFlagHint(err error) error {
	if h := flagHint(err); h != "" {
		return &experiments.HintedError{Err: err, Hint: h}
	}
	return err
}

// printSources says which config values came from the environment or from
// --set, one line each: "split.unit from CLV_SPLIT_UNIT",
// "segments.groups from --set segments.groups=5".
func printSources(w io.Writer, cfg *experiments.Config) {
	for _, s := range cfg.Sources {
		from := s.From
		if s.Source == experiments.SourceOverride {
			from = "--set " + s.From
		}
		fmt.Fprintf(w, "%s from %s\n", s.Key, from)
	}
}
