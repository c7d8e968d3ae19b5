package experiments

import (
	"slices"
	"strings"
)

// The figure formats output.formats accepts.
const (
	// FormatPNG is a PNG file at 300 dpi: pastes into any slide or wiki.
	FormatPNG = "png"
	// FormatSVG is an SVG file without embedded fonts (its text asks for
	// Liberation Sans or the metric-compatible Arial and Helvetica).
	FormatSVG = "svg"
)

// DefaultFigureFormats is output.formats when a config leaves it out: PNG
// only. The report draws its own vector figures, so SVG files are only for
// those who want them (a quickstart's fourteen figures add about 0.5 MB).
var DefaultFigureFormats = []string{FormatPNG}

// figureFormats are the values output.formats accepts.
var figureFormats = []string{FormatPNG, FormatSVG}

// validateFormats checks output.formats: png, svg or both, each once. An
// empty list (a Config built in code) means DefaultFigureFormats.
func (o *OutputConfig) validateFormats(ps *cfgProblems) {
	for i, f := range o.Formats {
		switch {
		case !slices.Contains(figureFormats, f):
			ps.add("output.formats", "%q is not a figure format: choose among %s", f, strings.Join(figureFormats, ", "))
		case slices.Index(o.Formats, f) < i:
			ps.add("output.formats", "%s is listed twice", f)
		}
	}
}
