package plot

import (
	"image/color"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series keys that are not models.
const (
	// KeyActual is the key of the observed data: always black and solid.
	KeyActual = "actual"
	// KeyRandom is the key of the random-ranking line of the gains chart.
	KeyRandom = "random"
	// KeyPerfect is the key of the perfect-ranking line of the gains chart
	// (customers ranked by their actual value).
	KeyPerfect = "perfect"
)

// Style is how one series is drawn in every figure: its colour, dash
// pattern and marker, fixed per model so that a reader who has learnt
// "BG/NBD is the blue dashed line with circles" can rely on it everywhere.
//
// The colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color
// universal design"), distinguishable by readers with the common forms of
// colour-blindness; the dash patterns and markers tell the series apart in
// greyscale print. The observed data ("Actual") is always black and solid.
type Style struct {
	// Label names the series as users know it ("BG/NBD", "Actual").
	Label string
	// Color is the line, marker and bar colour.
	Color color.Color
	// Dashes is the dash pattern in points (nil: solid).
	Dashes []vg.Length
	// Width is the line width.
	Width vg.Length
	// Glyph is the marker shape (nil: no marker).
	Glyph draw.GlyphDrawer
}

// Okabe-Ito colours.
var (
	okabeBlack     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	okabeOrange    = color.RGBA{0xE6, 0x9F, 0x00, 0xff}
	okabeSkyBlue   = color.RGBA{0x56, 0xB4, 0xE9, 0xff}
	okabeGreen     = color.RGBA{0x00, 0x9E, 0x73, 0xff}
	okabeYellow    = color.RGBA{0xF0, 0xE4, 0x42, 0xff}
	okabeBlue      = color.RGBA{0x00, 0x72, 0xB2, 0xff}
	okabeVermilion = color.RGBA{0xD5, 0x5E, 0x00, 0xff}
	okabePurple    = color.RGBA{0xCC, 0x79, 0xA7, 0xff}
	greyRandom     = color.RGBA{0x99, 0x99, 0x99, 0xff}
	greyGrid       = color.RGBA{0xE4, 0xE4, 0xE4, 0xff}
	greyLine       = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

func dashes(v ...float64) []vg.Length {
	out := make([]vg.Length, len(v))
	for i, x := range v {
		out[i] = vg.Points(x)
	}
	return out
}

// styles maps series keys to their styles.
var styles = map[string]Style{
	KeyActual:    {Label: "Actual", Color: okabeBlack, Width: vg.Points(2), Glyph: draw.CircleGlyph{}},
	KeyPerfect:   {Label: "Perfect (ranked by actual)", Color: okabeBlack, Width: vg.Points(1.5)},
	KeyRandom:    {Label: "Random", Color: greyRandom, Dashes: dashes(1.5, 2.5), Width: vg.Points(1.5)},
	"bgnbd":      {Label: "BG/NBD", Color: okabeBlue, Dashes: dashes(7, 2.5), Width: vg.Points(1.6), Glyph: draw.SquareGlyph{}},
	"paretonbd":  {Label: "Pareto/NBD", Color: okabeVermilion, Dashes: dashes(8, 2, 2, 2), Width: vg.Points(1.6), Glyph: draw.TriangleGlyph{}},
	"mbgnbd":     {Label: "MBG/NBD", Color: okabeGreen, Dashes: dashes(3, 2), Width: vg.Points(1.6), Glyph: draw.PyramidGlyph{}},
	"bgbb":       {Label: "BG/BB", Color: okabeYellow, Dashes: dashes(10, 2, 2, 2, 2, 2), Width: vg.Points(1.8), Glyph: draw.BoxGlyph{}},
	"average":    {Label: "Average", Color: okabeOrange, Dashes: dashes(1.5, 2), Width: vg.Points(2), Glyph: draw.CrossGlyph{}},
	"retention":  {Label: "Retention", Color: okabeSkyBlue, Dashes: dashes(10, 3, 1.5, 3), Width: vg.Points(1.6), Glyph: draw.RingGlyph{}},
	"hiatus":     {Label: "Hiatus", Color: okabePurple, Dashes: dashes(12, 4), Width: vg.Points(1.6), Glyph: draw.PlusGlyph{}},
	"sbg":        {Label: "sBG", Color: okabeBlue, Dashes: dashes(7, 2.5), Width: vg.Points(1.6), Glyph: draw.SquareGlyph{}},
	KeyProjected: {Label: "sBG (projected)", Color: okabeBlue, Dashes: dashes(1.5, 2.5), Width: vg.Points(1.6)},
}

// StyleOf returns the style of a series key: a model name of the runner
// (bgnbd, paretonbd, mbgnbd, bgbb, average, retention, hiatus, sbg), or
// actual, random or perfect. An unknown key gets a grey solid line labelled
// with the key.
func StyleOf(key string) Style {
	if s, ok := styles[key]; ok {
		return s
	}
	return Style{Label: key, Color: greyLine, Width: vg.Points(1.5), Glyph: draw.CircleGlyph{}}
}

// Label returns the name users know a model by: BG/NBD, Pareto/NBD,
// MBG/NBD, BG/BB, Average, Retention, Hiatus, sBG or Actual.
func Label(key string) string { return StyleOf(key).Label }

// lineStyle returns the draw.LineStyle of a key.
func (s Style) lineStyle() draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: s.Width, Dashes: s.Dashes}
}

// glyphStyle returns the marker of a key (radius 3 points).
func (s Style) glyphStyle() draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.Color, Radius: vg.Points(3), Shape: s.Glyph}
}

// The font of every figure: Liberation Sans, which gonum/plot carries and
// the SVG files embed.
var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	handler  = text.Plain{Fonts: font.DefaultCache}
)

func textStyle(size float64) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sansFont, vg.Points(size)),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: handler,
	}
}

// newPlot returns a plot in the house style: sans-serif text, a title, axis
// labels and light grid lines.
func newPlot(title, xLabel, yLabel string) *gplot.Plot {
	p := gplot.New()
	p.TextHandler = handler
	p.Title.Text = title
	p.Title.TextStyle = textStyle(11)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(6)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, vg.Points(9.5))
		a.Label.TextStyle.Handler = handler
		a.Tick.Label.Font = font.From(sansFont, vg.Points(8.5))
		a.Tick.Label.Handler = handler
		a.Padding = vg.Points(2)
		a.Tick.Marker = niceTicks{}
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.TextStyle = textStyle(8.5)
	p.Legend.ThumbnailWidth = vg.Points(36)
	p.Add(&grid{})
	return p
}

// unitPlural names several time units: "weeks", "days", "months",
// "years", or "14-day periods" for a unit of N days written "14d".
func unitPlural(unit string) string {
	switch unit {
	case "day", "week", "month", "year":
		return unit + "s"
	case "":
		return "time units"
	}
	if strings.HasSuffix(unit, "d") {
		return strings.TrimSuffix(unit, "d") + "-day periods"
	}
	return unit
}

// unitSingular names one time unit ("week", "14-day period").
func unitSingular(unit string) string {
	switch unit {
	case "day", "week", "month", "year":
		return unit
	case "":
		return "time unit"
	}
	if strings.HasSuffix(unit, "d") {
		return strings.TrimSuffix(unit, "d") + "-day period"
	}
	return unit
}
