package plot

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/clv-dev/clv/experiments"
)

// IntervalTotalsData is the figure of the cohort total's prediction
// intervals: the actual cumulative holdout purchases of the cohort over the
// holdout and, at its end, each model's predicted total with its intervals.
type IntervalTotalsData struct {
	Unit          string  `json:"unit"`
	HoldoutLength float64 `json:"holdout_length"`
	// Actual is the cohort's cumulative holdout purchases from the
	// calibration end (x = 0, in units) to the holdout end; two points (0
	// and the total) when the daily counts are unknown.
	Actual Series          `json:"actual"`
	Models []IntervalTotal `json:"models"`
}

// IntervalTotal is one model's predicted cohort total and its interval at
// each level (sorted by increasing level).
type IntervalTotal struct {
	Model  string  `json:"model"`
	Mean   float64 `json:"mean"`
	Levels Floats  `json:"levels"`
	Lower  Floats  `json:"lower"`
	Upper  Floats  `json:"upper"`
}

// PITData holds each model's PIT histogram (experiments.ModelIntervals).
type PITData struct {
	Models     []string `json:"models"`
	Histograms []Floats `json:"histograms"`
}

var errNoIntervals = errors.New("no model has prediction intervals scored on a holdout (intervals.levels empty, no model with a predictive distribution in intervals.models, or no holdout)")

// IntervalTotals computes the figure's data from the metrics' intervals
// and the tracking data's actual cumulative curve.
func IntervalTotals(in *Input, tracking *TrackingData) (*IntervalTotalsData, error) {
	mf := in.Metrics
	if mf == nil || mf.Intervals == nil {
		return nil, nil // intervals off: no figure, nothing to warn of
	}
	d := &IntervalTotalsData{Unit: mf.Unit, HoldoutLength: mf.Split.HoldoutLength, Actual: Series{Key: KeyActual}}
	actualTotal := math.NaN()
	for _, m := range in.Models {
		mi := mf.Intervals.Models[m]
		if mi == nil || len(mi.Scores) == 0 {
			continue
		}
		t := IntervalTotal{Model: m}
		for _, l := range mf.Intervals.Levels {
			s, ok := mi.Scores[experiments.LevelTarget(l)]
			if !ok {
				continue
			}
			t.Mean, actualTotal = float64(s.TotalMean), float64(s.ActualTotal)
			t.Levels = append(t.Levels, l)
			t.Lower = append(t.Lower, float64(s.TotalLower))
			t.Upper = append(t.Upper, float64(s.TotalUpper))
		}
		if len(t.Levels) > 0 {
			d.Models = append(d.Models, t)
		}
	}
	if len(d.Models) == 0 {
		return nil, errNoIntervals
	}
	d.Actual.X, d.Actual.Y = Floats{0, d.HoldoutLength}, Floats{0, actualTotal}
	if tracking != nil {
		for _, s := range tracking.Cumulative {
			if s.Key != KeyActual {
				continue
			}
			d.Actual.X, d.Actual.Y = holdoutPart(s)
		}
	}
	return d, nil
}

// holdoutPart returns the part of a cumulative series from x = 0 on,
// counted from its value at 0.
func holdoutPart(s Series) (x, y Floats) {
	base := 0.0
	for i, v := range s.X {
		if v <= 0 {
			base = s.Y[i]
			continue
		}
		if len(x) == 0 {
			x, y = Floats{0}, Floats{0}
		}
		x = append(x, v)
		y = append(y, s.Y[i]-base)
	}
	return x, y
}

// PITHistograms collects the models' PIT histograms from the metrics.
func PITHistograms(in *Input) (*PITData, error) {
	mf := in.Metrics
	if mf == nil || mf.Intervals == nil {
		return nil, nil
	}
	d := &PITData{}
	for _, m := range in.Models {
		if mi := mf.Intervals.Models[m]; mi != nil && len(mi.PITHistogram) > 0 {
			d.Models = append(d.Models, m)
			d.Histograms = append(d.Histograms, Floats(mi.PITHistogram))
		}
	}
	if len(d.Models) == 0 {
		return nil, errNoIntervals
	}
	return d, nil
}

// rangeMarks draws, for each model, its intervals as vertical bars at x
// (the widest thinnest) and its mean as a dot.
type rangeMarks struct {
	X      []float64
	Totals []IntervalTotal
}

// Plot implements gonum/plot's Plotter.
func (r *rangeMarks) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, t := range r.Totals {
		col := StyleOf(t.Model).Color
		x := trX(r.X[i])
		for k := range t.Levels {
			w := vg.Points(2 + 4*float64(len(t.Levels)-1-k)) // the narrower interval thicker
			ls := draw.LineStyle{Color: col, Width: w}
			c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: x, Y: trY(t.Lower[k])}, {X: x, Y: trY(t.Upper[k])}})...)
		}
		dot := draw.GlyphStyle{Color: color.Black, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		if y := trY(t.Mean); c.Contains(vg.Point{X: x, Y: y}) {
			c.DrawGlyph(dot, vg.Point{X: x, Y: y})
		}
	}
}

// DataRange implements gonum/plot's DataRanger.
func (r *rangeMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, t := range r.Totals {
		xmin, xmax = math.Min(xmin, r.X[i]), math.Max(xmax, r.X[i])
		for k := range t.Levels {
			ymin, ymax = math.Min(ymin, t.Lower[k]), math.Max(ymax, t.Upper[k])
		}
	}
	return
}

// swatch is a legend thumbnail: a thick vertical bar in a colour.
type swatch struct{ Color color.Color }

// Thumbnail implements gonum/plot's Thumbnailer.
func (s swatch) Thumbnail(c *draw.Canvas) {
	x := c.Center().X
	c.StrokeLine2(draw.LineStyle{Color: s.Color, Width: vg.Points(5)}, x, c.Min.Y, x, c.Max.Y)
}

func (d *IntervalTotalsData) figure() Figure {
	title := "Cohort total of holdout purchases: predicted intervals vs actual"
	units := unitPlural(d.Unit)
	levels := ""
	if len(d.Models) > 0 {
		for k, l := range d.Models[0].Levels {
			if k > 0 {
				levels += " and "
			}
			levels += num(l*100) + "%"
		}
	}
	return Figure{
		Name: "interval_total", Title: title, Width: stdWidth, Height: stdHeight,
		Caption: "The black curve is the cohort's actual cumulative purchases over the holdout; at its end each model's predicted total (dot) with its " + levels +
			" intervals (thick: the narrower). The intervals carry the customers' own randomness and the uncertainty of the fitted parameters; an honest model's intervals contain the curve's end about as often as their level says.",
		draw: func(dc draw.Canvas) {
			p := newPlot("", units+" after the calibration end", "cumulative holdout purchases")
			sl := &seriesLine{X: d.Actual.X, Y: d.Actual.Y, Style: StyleOf(KeyActual), NoMarkers: true}
			p.Add(sl)
			legend := []legendEntry{lineEntry(KeyActual, sl)}
			step := d.HoldoutLength * 0.025
			rm := &rangeMarks{Totals: d.Models}
			for i, t := range d.Models {
				rm.X = append(rm.X, d.HoldoutLength+step*float64(i+1))
				legend = append(legend, legendEntry{label: Label(t.Model), thumbs: []gplot.Thumbnailer{swatch{StyleOf(t.Model).Color}}})
			}
			p.Add(rm)
			if n := len(d.Actual.Y); n > 0 {
				p.Add(&hline{Y: d.Actual.Y[n-1]}) // the actual total, across to the intervals
			}
			p.X.Min, p.Y.Min = 0, 0
			p.X.Max = d.HoldoutLength + step*float64(len(d.Models)+1)
			p.Y.Max *= 1.03
			drawFigure(dc, title, []*gplot.Plot{p}, 1, legend)
		},
	}
}

func (d *PITData) figure() Figure {
	title := "Calibration of the predictive distributions: PIT histograms"
	cols := min(3, len(d.Models))
	rows := (len(d.Models) + cols - 1) / cols
	return Figure{
		Name: "pit_histograms", Title: title, Width: 10 * vg.Inch, Height: vg.Length(float64(rows)*2.6+0.8) * vg.Inch,
		Caption: fmt.Sprintf("Share of customers whose randomized probability integral transform u = F(y−1) + V·P(y) of their actual holdout purchases falls in each tenth of (0, 1). A calibrated model gives flat bars at %s (grey line); a U shape means intervals too narrow, a hump too wide, a slope a biased forecast.", num(1.0/experiments.PITBins)),
		draw: func(dc draw.Canvas) {
			var plots []*gplot.Plot
			var legend []legendEntry
			for i, m := range d.Models {
				h := d.Histograms[i]
				x := make([]float64, len(h))
				for k := range x {
					x[k] = (float64(k) + 0.5) / float64(len(h))
				}
				p := newPlot(Label(m), "PIT", "share of customers")
				b := &bars{X: x, Y: h, Width: 1 / float64(len(h)), Fill: StyleOf(m).Color}
				p.Add(b, &hline{Y: 1 / float64(len(h))})
				p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
				plots = append(plots, p)
				legend = append(legend, legendEntry{label: Label(m), thumbs: []gplot.Thumbnailer{b}})
			}
			drawFigure(dc, title, plots, cols, legend)
		},
	}
}
