package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure is one figure of a results folder: plots/NAME.png and
// plots/NAME.svg, with the title drawn on it and a one-line caption saying
// how to read it (the report prints both).
type Figure struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Caption string `json:"caption"`
	// Width and Height are the figure's size (the PNG is 300 dpi).
	Width  vg.Length `json:"-"`
	Height vg.Length `json:"-"`
	draw   func(dc draw.Canvas)
}

// Draw draws the figure on a canvas of its size.
func (f Figure) Draw(dc draw.Canvas) { f.draw(dc) }

// Figure sizes.
const (
	stdWidth  = 7.5 * vg.Inch
	stdHeight = 4.3 * vg.Inch
)

// Figures returns the figures of d in report order: tracking (incremental
// and cumulative), conditional expectations, calibration fit, gains,
// deciles, the heat maps, the comparisons, then the interval totals and the
// PIT histograms.
func (d *Data) Figures() []Figure {
	var out []Figure
	for _, p := range figureParts() {
		out = append(out, p.figures(d)...)
	}
	return out
}

// modelList writes model labels as "A, B and C".
func modelList(keys []string) string {
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = Label(k)
	}
	switch len(labels) {
	case 0:
		return ""
	case 1:
		return labels[0]
	}
	return strings.Join(labels[:len(labels)-1], ", ") + " and " + labels[len(labels)-1]
}

// num formats a number for titles: up to 3 significant decimals, no
// trailing zeros.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if math.Abs(v) < 10 {
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// lengthAdj writes a length of time as an adjective: "39-week",
// "1.5-month", or "3 × 14-day" for units of N days.
func lengthAdj(v float64, unit string) string {
	u := unitSingular(unit)
	if strings.Contains(u, "-") {
		return num(v) + " × " + u
	}
	return num(v) + "-" + u
}

// targetWords names a target's value: "revenue" or "purchases".
func targetWords(target string) string {
	if target == "holdout_revenue" {
		return "revenue"
	}
	return "purchases"
}

// markEvery returns the marker spacing for a series of n points: about a
// dozen markers per line.
func markEvery(n int) int { return max(1, (n+11)/12) }

// lineEntry returns a legend entry for a series drawn as a line with
// markers.
func lineEntry(key string, s *seriesLine) legendEntry {
	return legendEntry{label: Label(key), thumbs: []gplot.Thumbnailer{s}}
}

// lineChart draws series as lines with markers.
func lineChart(p *gplot.Plot, series []Series, markers bool) []legendEntry {
	var legend []legendEntry
	for i, s := range series {
		// The thick black line of the actual data needs no markers when
		// it has many points.
		sl := &seriesLine{X: s.X, Y: s.Y, Style: StyleOf(s.Key), NoMarkers: !markers || (s.Key == KeyActual && len(s.X) > 15)}
		if markers {
			sl.MarkEvery = markEvery(len(s.X))
			sl.MarkOffset = i % sl.MarkEvery
		}
		p.Add(sl)
		legend = append(legend, lineEntry(s.Key, sl))
	}
	return legend
}

// ---------------------------------------------------------------------

func (t *TrackingData) figures() []Figure {
	unit := unitSingular(t.Unit)
	units := unitPlural(t.Unit)
	xl := fmt.Sprintf("%s since the calibration end (%s)", units, t.CalibrationEnd)
	models := []string{}
	for _, s := range t.Incremental {
		if s.Key != KeyActual {
			models = append(models, s.Key)
		}
	}
	draw1 := func(series []Series, title, yl string) func(dc draw.Canvas) {
		return func(dc draw.Canvas) {
			p := newPlot("", xl, yl)
			legend := lineChart(p, series, true)
			p.Add(&vline{X: 0, Left: "calibration: model fit", Right: "holdout: forecast given each customer's history"})
			p.Y.Min = 0
			drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
		}
	}
	incTitle := fmt.Sprintf("Repeat transactions per %s of the %d customers: actual vs expected", unit, t.Customers)
	cumTitle := fmt.Sprintf("Cumulative repeat transactions of the %d customers: actual vs expected", t.Customers)
	incCaption := fmt.Sprintf("The cohort's repeat purchases per %s (black). Left of the dashed line (calibration): what %s expect for customers of the same ages, the models' fit. Right of it (holdout: forecast given each customer's history): each model's scored forecast, the sum of every customer's expected purchases given their calibration purchases, so a line that keeps following the black one there forecasts the cohort well.", unit, orModels(models))
	cumCaption := "Running total of the same repeat purchases. In calibration each model's line is its fit for customers of the same ages; at the dashed line it restarts from the actual total, and in the holdout (forecast given each customer's history) it adds the model's scored forecast, so the gap to the black line at the right edge is the model's error on the cohort's total holdout purchases, as in the scores."
	if t.HoldoutEnd == "" {
		incCaption = fmt.Sprintf("The cohort's repeat purchases per %s (black) against what %s expect for customers of the same ages, over the calibration period the models were fitted on (the run has no holdout).", unit, orModels(models))
		cumCaption = "Running total of the same repeat purchases: the gap between a model's line and the black one at the right edge is its error on the cohort's total calibration purchases."
	}
	return []Figure{
		{
			Name: "tracking_incremental", Title: incTitle, Width: stdWidth, Height: stdHeight,
			Caption: incCaption,
			draw:    draw1(t.Incremental, incTitle, "repeat transactions per "+unit),
		},
		{
			Name: "tracking_cumulative", Title: cumTitle, Width: stdWidth, Height: stdHeight,
			Caption: cumCaption,
			draw:    draw1(t.Cumulative, cumTitle, "cumulative repeat transactions"),
		},
	}
}

// orModels names the models for a caption, or "the models" when there are
// none or many.
func orModels(keys []string) string {
	if len(keys) == 0 || len(keys) > 3 {
		return "the models"
	}
	return modelList(keys)
}

func (c *ConditionalData) figure() Figure {
	title := "Holdout purchases by repeat purchases in calibration: actual vs predicted"
	hl := lengthAdj(c.HoldoutLength, c.Unit)
	caption := "Customers are grouped by how many repeat purchases they made in calibration; each point is the group's mean number of purchases in the " + hl +
		" holdout, actual (black) and predicted. A good model stays close to the black line in every group, not only on average."
	period := hl + " holdout"
	if c.Forecast {
		title = "Expected purchases by repeat purchases in calibration (forecast)"
		period = hl + " forecast"
		caption = "Customers are grouped by how many repeat purchases they made in calibration; each point is the group's mean number of purchases each model expects in the " +
			period + ". A forecast has no holdout, so there is no actual line."
	}
	return Figure{
		Name: "conditional_expectations", Title: title, Width: stdWidth, Height: stdHeight,
		Caption: caption,
		draw: func(dc draw.Canvas) {
			p := newPlot("", "repeat purchases in calibration", "mean purchases per customer in the "+period)
			legend := lineChart(p, c.Series, true)
			p.NominalX(c.Buckets...)
			p.X.Min, p.X.Max = -0.3, float64(len(c.Buckets))-0.7
			p.Y.Min = 0
			drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
		},
	}
}

// groupedBars adds one bar per series in each group (series i at group g
// is at g + offset_i) and returns the legend.
func groupedBars(p *gplot.Plot, series []Series, width float64) []legendEntry {
	k := float64(len(series))
	bw := width / k
	var legend []legendEntry
	for i, s := range series {
		x := make([]float64, len(s.X))
		for j := range x {
			x[j] = s.X[j] - width/2 + bw*(float64(i)+0.5)
		}
		b := &bars{X: x, Y: s.Y, Width: bw, Fill: StyleOf(s.Key).Color}
		p.Add(b)
		legend = append(legend, legendEntry{label: Label(s.Key), thumbs: []gplot.Thumbnailer{b}})
	}
	return legend
}

func (c *CalibrationFitData) figure() Figure {
	title := "Customers by repeat purchases in calibration: actual vs fitted"
	caption := "How many customers made 0, 1, …, 7+ repeat purchases in the calibration period (black) against the numbers each model's fitted distribution implies for customers of the same ages; bars of similar height mean the model describes the calibration data well."
	if len(c.Without) > 0 {
		caption += " Not shown, for lack of a purchase distribution P(X(t) = x): " + modelList(c.Without) + "."
	}
	return Figure{
		Name: "calibration_fit", Title: title, Caption: caption, Width: stdWidth, Height: stdHeight,
		draw: func(dc draw.Canvas) {
			p := newPlot("", "repeat purchases in calibration", "customers")
			legend := groupedBars(p, c.Series, 0.8)
			p.NominalX(c.Buckets...)
			p.X.Min, p.X.Max = -0.5, float64(len(c.Buckets))-0.5
			p.Y.Min = 0
			p.Y.Max *= 1.05
			drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
		},
	}
}

// percentTicks labels 0 … 1 as 0% … 100%.
var percentTicks = gplot.ConstantTicks{
	{Value: 0, Label: "0%"}, {Value: 0.2, Label: "20%"}, {Value: 0.4, Label: "40%"},
	{Value: 0.6, Label: "60%"}, {Value: 0.8, Label: "80%"}, {Value: 1, Label: "100%"},
}

func (g *GainsData) figure() Figure {
	w := targetWords(g.Target)
	title := "Cumulative gains: share of holdout " + w + " from each model's top customers"
	return Figure{
		Name: "gains", Title: title, Width: stdWidth, Height: stdHeight,
		Caption: "Customers ranked by each model's predicted holdout " + w + ", highest first: a point (x, y) says the top x of customers brought y of the actual holdout " + w +
			". Higher is better; the black curve is the best possible ranking (by the actual values), the grey diagonal a random one.",
		draw: func(dc draw.Canvas) {
			p := newPlot("", "share of customers, ranked by predicted "+w+" (highest first)", "share of actual holdout "+w)
			var legend []legendEntry
			for i, s := range g.Series {
				sl := &seriesLine{X: s.X, Y: s.Y, Style: StyleOf(s.Key)}
				if s.Key == KeyRandom || s.Key == KeyPerfect {
					sl.NoMarkers = true
				} else {
					sl.MarkEvery = markEvery(len(s.X))
					sl.MarkOffset = (i * 3) % sl.MarkEvery
				}
				p.Add(sl)
				legend = append(legend, lineEntry(s.Key, sl))
			}
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
			p.X.Tick.Marker, p.Y.Tick.Marker = percentTicks, percentTicks
			drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
		},
	}
}

func (d *DecilesData) figure() Figure {
	w := targetWords(d.Target)
	group := "group"
	if d.Groups == 10 {
		group = "decile"
	}
	title := "Predicted vs actual holdout " + w + " by " + group + " of predicted " + w
	cols := min(3, len(d.Models))
	rows := (len(d.Models) + cols - 1) / cols
	return Figure{
		Name: "deciles", Title: title, Width: 10 * vg.Inch, Height: vg.Length(float64(rows)*2.6+0.8) * vg.Inch,
		Caption: fmt.Sprintf("Each model's customers ranked by predicted %s and cut into %d equal groups (1 = highest): bars compare each group's predicted total (colour) with its actual total (black), on one scale for all models. A good model concentrates the actual %s in the first groups and predicts every group's total closely.", w, d.Groups, w),
		draw: func(dc draw.Canvas) {
			var plots []*gplot.Plot
			legend := []legendEntry{{label: "Actual", thumbs: []gplot.Thumbnailer{&bars{Fill: StyleOf(KeyActual).Color}}}}
			// One scale for every panel, so that models compare at a glance.
			top := 0.0
			for _, ds := range d.Models {
				for i := range ds.Predicted {
					for _, v := range []float64{ds.Predicted[i], ds.Actual[i]} {
						if finite(v) {
							top = math.Max(top, v)
						}
					}
				}
			}
			for _, ds := range d.Models {
				m := ds.Model
				p := newPlot(Label(m), group+" of predicted "+w, "holdout "+w)
				x := make(Floats, len(ds.Predicted))
				labels := make([]string, len(x))
				for j := range x {
					x[j] = float64(j)
					labels[j] = strconv.Itoa(j + 1)
				}
				groupedBars(p, []Series{{Key: m, X: x, Y: ds.Predicted}, {Key: KeyActual, X: x, Y: ds.Actual}}, 0.8)
				p.NominalX(labels...)
				p.X.Min, p.X.Max = -0.5, float64(len(x))-0.5
				p.Y.Min = 0
				if top > 0 {
					p.Y.Max = top * 1.02
				}
				plots = append(plots, p)
				legend = append(legend, legendEntry{label: Label(m) + " predicted", thumbs: []gplot.Thumbnailer{&bars{Fill: StyleOf(m).Color}}})
			}
			drawFigure(dc, title, plots, cols, legend)
		},
	}
}

// viridis are nine evenly spaced samples of the viridis colour map (van
// der Walt & Smith, matplotlib), whose lightness rises monotonically, so
// it reads in greyscale and by colour-blind readers.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x47, 0x2D, 0x7B, 0xff}, {0x3B, 0x52, 0x8B, 0xff},
	{0x2C, 0x72, 0x8E, 0xff}, {0x21, 0x91, 0x8C, 0xff}, {0x28, 0xAE, 0x80, 0xff},
	{0x5E, 0xC9, 0x62, 0xff}, {0xAD, 0xDC, 0x30, 0xff}, {0xFD, 0xE7, 0x25, 0xff},
}

// colorAt returns the colour of v ∈ [lo, hi] on the viridis map
// (interpolated linearly between the samples).
func colorAt(v, lo, hi float64) color.Color {
	if !finite(v) {
		return color.RGBA{0xcc, 0xcc, 0xcc, 0xff}
	}
	f := 0.0
	if hi > lo {
		f = math.Max(0, math.Min(1, (v-lo)/(hi-lo)))
	}
	pos := f * float64(len(viridis)-1)
	i := min(int(pos), len(viridis)-2)
	w := pos - float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-w) + float64(y)*w)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// cells draws a heat map: cell (i, j) spans XE[j]..XE[j+1] and
// YE[i]..YE[i+1] and is coloured by Z[i][j] on [Lo, Hi]; a NaN cell (a
// history that cannot happen) is left blank.
type cells struct {
	XE, YE []float64
	Z      []Floats
	Lo, Hi float64
}

// Plot implements gonum/plot's Plotter.
func (h *cells) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	overlap := vg.Points(1) // hides seams between cells when anti-aliased
	for i := range h.Z {
		for j, v := range h.Z[i] {
			if !finite(v) {
				continue
			}
			x0, x1 := trX(h.XE[j]), trX(h.XE[j+1])+overlap
			y0, y1 := trY(h.YE[i]), trY(h.YE[i+1])+overlap
			pts := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
			c.FillPolygon(colorAt(v, h.Lo, h.Hi), c.ClipPolygonXY(pts))
		}
	}
}

// DataRange implements gonum/plot's DataRanger.
func (h *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return h.XE[0], h.XE[len(h.XE)-1], h.YE[0], h.YE[len(h.YE)-1]
}

// edges returns the cell edges of centres v: halfway between neighbours,
// and half a step beyond the ends (clamped at lo).
func edges(v []float64, lo float64) []float64 {
	e := make([]float64, len(v)+1)
	for i := 1; i < len(v); i++ {
		e[i] = (v[i-1] + v[i]) / 2
	}
	if len(v) == 1 {
		e[0], e[1] = v[0]-0.5, v[0]+0.5
	} else {
		e[0] = v[0] - (v[1]-v[0])/2
		e[len(v)] = v[len(v)-1] + (v[len(v)-1]-v[len(v)-2])/2
	}
	e[0] = math.Max(e[0], lo)
	return e
}

func (h *HeatmapData) figure() Figure {
	units := unitPlural(h.Unit)
	tdesc := fmt.Sprintf("T = %s %s", num(h.T), units)
	var title, caption, scale string
	lo, hi := 0.0, 1.0
	switch h.Quantity {
	case QuantityPAlive:
		title = fmt.Sprintf("%s: probability a customer is alive at the calibration end (%s)", Label(h.Model), tdesc)
		caption = fmt.Sprintf("%s's probability that a customer is still active at the end of calibration, by repeat purchases (rows) and recency (columns) for a customer first seen %s %s before it (the median); lighter is more likely alive (a customer without repeat purchases has recency 0, so row 0 has one cell and is blank elsewhere). Customers who bought often and recently are the most likely alive; frequent buyers who have been silent for long are likely gone.", Label(h.Model), num(h.T), units)
		scale = "P(alive)"
	default:
		hz := num(h.Horizon) + " " + units
		title = fmt.Sprintf("%s: expected purchases in the next %s (%s)", Label(h.Model), hz, tdesc)
		caption = fmt.Sprintf("%s's expected purchases in the %s after the calibration end, by repeat purchases (rows) and recency (columns) for a customer first seen %s %s before it (the median); lighter is more; row 0 has one cell, at recency 0. Read it with the P(alive) map: a high past rate counts only if the customer is likely alive.", Label(h.Model), hz, num(h.T), units)
		scale = "expected purchases"
		hi = 0
		for _, row := range h.Z {
			for _, v := range row {
				if finite(v) {
					hi = math.Max(hi, v)
				}
			}
		}
		if hi == 0 {
			hi = 1
		}
	}
	return Figure{
		Name: "heatmap_" + h.Model + "_" + h.Quantity, Title: title, Caption: caption,
		Width: stdWidth, Height: 5 * vg.Inch,
		draw: func(dc draw.Canvas) {
			fr := make([]float64, len(h.Frequency))
			for i, f := range h.Frequency {
				fr[i] = float64(f)
			}
			p := newPlot("", "recency: "+units+" from the first to the last purchase", "repeat purchases in calibration")
			p.Add(&cells{XE: edges(h.Recency, 0), YE: edges(fr, -0.5), Z: h.Z, Lo: lo, Hi: hi})
			p.X.Padding, p.Y.Padding = 0, 0
			// Colour bar: a strip of the colour map with its own axis.
			const steps = 64
			bar := newPlot("", "", scale)
			z := make([]Floats, steps)
			ye := make([]float64, steps+1)
			for k := range z {
				z[k] = Floats{lo + (hi-lo)*(float64(k)+0.5)/steps}
				ye[k] = lo + (hi-lo)*float64(k)/steps
			}
			ye[steps] = hi
			bar.Add(&cells{XE: []float64{0, 1}, YE: ye, Z: z, Lo: lo, Hi: hi})
			bar.HideX()
			bar.X.Padding, bar.Y.Padding = 0, 0
			dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Min.X, Y: dc.Max.Y}, dc.Max, {X: dc.Max.X, Y: dc.Min.Y}})
			pad := vg.Points(8)
			area := draw.Crop(dc, pad, -pad, pad, -pad)
			st := textStyle(12)
			st.XAlign, st.YAlign = draw.XCenter, draw.YTop
			area.FillText(st, vg.Point{X: area.Center().X, Y: area.Max.Y}, title)
			area = draw.Crop(area, 0, 0, 0, -(st.Height(title) + vg.Points(8)))
			bw := vg.Inch * 0.8
			p.Draw(draw.Crop(area, 0, -bw-vg.Points(10), 0, 0))
			bar.Draw(draw.Crop(area, area.Max.X-area.Min.X-bw, 0, vg.Points(28), 0))
		},
	}
}

func (c *ComparisonData) figure() Figure {
	w := targetWords(c.Target)
	title := "Model comparison on holdout " + w
	caption := "Each panel is one metric of metrics.json on holdout " + w + ", one bar per model; the panel title says which direction is better."
	if len(c.Groups) > 1 {
		title += " across backtest windows"
		caption += " Groups are the backtest windows (by calibration end) and, last, the mean across them with ±1 standard deviation as error bars."
	}
	return Figure{
		Name: "comparison_" + c.Target, Title: title, Caption: caption,
		Width: 10 * vg.Inch, Height: 8.5 * vg.Inch,
		draw: func(dc draw.Canvas) {
			var plots []*gplot.Plot
			var legend []legendEntry
			for pi, panel := range c.Panels {
				p := newPlot(panel.Metric+" ("+panel.Better+" is better)", "", "")
				p.Title.TextStyle = textStyle(9.5)
				p.Title.TextStyle.XAlign, p.Title.TextStyle.YAlign = draw.XCenter, draw.YTop
				k := float64(len(c.Models))
				bw := 0.8 / k
				for mi, m := range c.Models {
					x := make([]float64, len(c.Groups))
					for g := range x {
						x[g] = float64(g) - 0.4 + bw*(float64(mi)+0.5)
					}
					b := &bars{X: x, Y: panel.Values[mi], Width: bw, Fill: StyleOf(m).Color}
					if len(c.Groups) > 1 {
						b.Lo, b.Hi = make([]float64, len(x)), make([]float64, len(x))
						for g := range x {
							b.Lo[g] = panel.Values[mi][g] - panel.SD[mi][g]
							b.Hi[g] = panel.Values[mi][g] + panel.SD[mi][g]
						}
					}
					p.Add(b)
					if pi == 0 {
						legend = append(legend, legendEntry{label: Label(m), thumbs: []gplot.Thumbnailer{b}})
					}
				}
				if panel.Metric == "bias" {
					p.Add(&hline{Y: 0})
				}
				if len(c.Groups) > 1 {
					p.NominalX(c.Groups...)
					p.X.Tick.Label = textStyle(6.5)
					p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
				} else {
					p.HideX()
				}
				p.X.Min, p.X.Max = -0.5, float64(len(c.Groups))-0.5
				plots = append(plots, p)
			}
			drawFigure(dc, title, plots, 3, legend)
		},
	}
}

// Figures returns the sBG figures: survival and retention curves.
func (d *SBGData) Figures() []Figure {
	units := unitPlural(d.Unit)
	xl := units + " since acquisition"
	mk := func(name, title, caption, yl string, series []Series) Figure {
		return Figure{
			Name: name, Title: title, Caption: caption, Width: stdWidth, Height: stdHeight,
			draw: func(dc draw.Canvas) {
				p := newPlot("", xl, yl)
				legend := lineChart(p, series, true)
				p.Add(&vline{X: float64(d.Observed), Left: "observed", Right: "projected"})
				p.Y.Min, p.Y.Max = 0, 1
				drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
			},
		}
	}
	return []Figure{
		mk("sbg_survival", "Share of the cohort still active: actual vs sBG",
			fmt.Sprintf("Share of the cohort still a customer at the start of each %s: actual (black) for the %d observed %s and the sBG model (α = %s, β = %s), projected beyond them (dotted, right of the dashed line).",
				unitSingular(d.Unit), d.Observed, units, num(d.Alpha), num(d.Beta)),
			"share of the cohort still active", d.Survival),
		mk("sbg_retention", "Retention rate per "+unitSingular(d.Unit)+": actual vs sBG",
			"Share of the customers active in one "+unitSingular(d.Unit)+" who renew for the next: the sBG model lets it rise as the customers most likely to leave drop out first; a constant-retention projection would draw a flat line.",
			"retention rate", d.Retention),
	}
}
