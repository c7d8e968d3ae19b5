package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
)

// optionFlags are the flags of the reading and summary options (see
// dataFlags.register).
var optionFlags = map[datasets.Option]string{
	datasets.OptionCustomer:       "--customer",
	datasets.OptionDate:           "--date",
	datasets.OptionAmount:         "--amount",
	datasets.OptionHeader:         "--header",
	datasets.OptionDateFormat:     "--date-format",
	datasets.OptionOnBadRow:       "--on-bad-row",
	datasets.OptionStart:          "--start",
	datasets.OptionCalibrationEnd: "--calibration-end",
	datasets.OptionHoldoutEnd:     "--holdout-end",
}

// flagHint words, for the command line, which flags can fix err: for a bad
// row "set --date-format, or --on-bad-row skip". It returns "" when err
// carries no option. A config run words it with config keys instead
// (experiments.ConfigHint).
func flagHint(err error) string {
	var opts []datasets.Option
	var be *datasets.BadRowError
	var oe *datasets.OptionError
	switch {
	case errors.As(err, &be):
		opts = be.Options
	case errors.As(err, &oe):
		opts = []datasets.Option{oe.Option}
	}
	var flags []string
	for _, o := range opts {
		switch f := optionFlags[o]; {
		case f == "":
		case o == datasets.OptionOnBadRow:
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
