package plot

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// grid draws light horizontal lines at the major ticks of the y axis,
// beneath the data.
type grid struct{}

// Plot implements gonum/plot's Plotter.
func (*grid) Plot(c draw.Canvas, p *gplot.Plot) {
	_, trY := p.Transforms(&c)
	ls := draw.LineStyle{Color: greyGrid, Width: vg.Points(0.6)}
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if t.IsMinor() || t.Value < p.Y.Min || t.Value > p.Y.Max {
			continue
		}
		y := trY(t.Value)
		c.StrokeLine2(ls, c.Min.X, y, c.Max.X, y)
	}
}

// seriesLine draws one series as a line with markers; a NaN value breaks
// the line.
type seriesLine struct {
	X, Y  []float64
	Style Style
	// NoLine draws the markers only; NoMarkers the line only.
	NoLine, NoMarkers bool
	// MarkEvery draws a marker on every MarkEvery-th point, starting at
	// MarkOffset (0 or 1: every point).
	MarkEvery, MarkOffset int
}

// Plot implements gonum/plot's Plotter.
func (s *seriesLine) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	if !s.NoLine {
		var lines [][]vg.Point
		var cur []vg.Point
		for i := range s.X {
			if !finite(s.X[i]) || !finite(s.Y[i]) {
				if len(cur) > 0 {
					lines = append(lines, cur)
				}
				cur = nil
				continue
			}
			cur = append(cur, vg.Point{X: trX(s.X[i]), Y: trY(s.Y[i])})
		}
		if len(cur) > 0 {
			lines = append(lines, cur)
		}
		c.StrokeLines(s.Style.lineStyle(), c.ClipLinesXY(lines...)...)
	}
	if s.NoMarkers || s.Style.Glyph == nil {
		return
	}
	every := max(1, s.MarkEvery)
	for i := range s.X {
		if (i-s.MarkOffset)%every != 0 || !finite(s.X[i]) || !finite(s.Y[i]) {
			continue
		}
		pt := vg.Point{X: trX(s.X[i]), Y: trY(s.Y[i])}
		if c.Contains(pt) {
			c.DrawGlyph(s.Style.glyphStyle(), pt)
		}
	}
}

// DataRange implements gonum/plot's DataRanger.
func (s *seriesLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	return dataRange(s.X, s.Y)
}

// Thumbnail draws the legend entry.
func (s *seriesLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if !s.NoLine {
		c.StrokeLine2(s.Style.lineStyle(), c.Min.X, y, c.Max.X, y)
	}
	if !s.NoMarkers && s.Style.Glyph != nil {
		c.DrawGlyph(s.Style.glyphStyle(), c.Center())
	}
}

// dataRange returns the range of the finite points.
func dataRange(xs, ys []float64) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range xs {
		if !finite(xs[i]) || !finite(ys[i]) {
			continue
		}
		xmin, xmax = math.Min(xmin, xs[i]), math.Max(xmax, xs[i])
		ymin, ymax = math.Min(ymin, ys[i]), math.Max(ymax, ys[i])
	}
	return
}

// bars draws bars from 0 to Y centred on X, Width wide in data units,
// with optional error bars from Lo to Hi.
type bars struct {
	X, Y   []float64
	Width  float64
	Fill   color.Color
	Lo, Hi []float64 // nil or NaN: no error bar
}

var barOutline = draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}

// Plot implements gonum/plot's Plotter.
func (b *bars) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range b.X {
		if !finite(b.X[i]) || !finite(b.Y[i]) {
			continue
		}
		x0, x1 := trX(b.X[i]-b.Width/2), trX(b.X[i]+b.Width/2)
		y0, y1 := trY(0), trY(b.Y[i])
		pts := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
		clipped := c.ClipPolygonXY(pts)
		c.FillPolygon(b.Fill, clipped)
		outline := append(append([]vg.Point{}, pts...), pts[0])
		c.StrokeLines(barOutline, c.ClipLinesXY(outline)...)
	}
	ls := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	for i := range b.Lo {
		if !finite(b.Lo[i]) || !finite(b.Hi[i]) || !finite(b.X[i]) {
			continue
		}
		x := trX(b.X[i])
		lo, hi := trY(b.Lo[i]), trY(b.Hi[i])
		cap := (trX(b.X[i]+b.Width/2) - trX(b.X[i]-b.Width/2)) / 4
		c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: x, Y: lo}, {X: x, Y: hi}})...)
		c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: x - cap, Y: lo}, {X: x + cap, Y: lo}})...)
		c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: x - cap, Y: hi}, {X: x + cap, Y: hi}})...)
	}
}

// DataRange implements gonum/plot's DataRanger.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), 0
	xmax, ymax = math.Inf(-1), 0
	for i := range b.X {
		if !finite(b.X[i]) || !finite(b.Y[i]) {
			continue
		}
		xmin, xmax = math.Min(xmin, b.X[i]-b.Width/2), math.Max(xmax, b.X[i]+b.Width/2)
		ymin, ymax = math.Min(ymin, b.Y[i]), math.Max(ymax, b.Y[i])
		if i < len(b.Lo) && finite(b.Lo[i]) && finite(b.Hi[i]) {
			ymin, ymax = math.Min(ymin, b.Lo[i]), math.Max(ymax, b.Hi[i])
		}
	}
	return
}

// Thumbnail draws the legend entry.
func (b *bars) Thumbnail(c *draw.Canvas) {
	h := (c.Max.Y - c.Min.Y) * 0.8
	w := (c.Max.X - c.Min.X) * 0.8
	cx, cy := c.Center().X, c.Center().Y
	pts := []vg.Point{{X: cx - w/2, Y: cy - h/2}, {X: cx - w/2, Y: cy + h/2}, {X: cx + w/2, Y: cy + h/2}, {X: cx + w/2, Y: cy - h/2}}
	c.FillPolygon(b.Fill, pts)
	c.StrokeLines(barOutline, append(pts, pts[0]))
}

// vline marks a time on the x axis (the calibration end) with a vertical
// line across the data area and labels on either side.
type vline struct {
	X           float64
	Left, Right string
}

// Plot implements gonum/plot's Plotter.
func (v *vline) Plot(c draw.Canvas, p *gplot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.X)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	ls := draw.LineStyle{Color: greyLine, Width: vg.Points(1), Dashes: dashes(4, 3)}
	c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
	st := textStyle(8)
	st.Color = greyLine
	st.YAlign = draw.YBottom
	y := c.Min.Y + vg.Points(3)
	if v.Left != "" {
		s := st
		s.XAlign = draw.XRight
		c.FillText(s, vg.Point{X: x - vg.Points(4), Y: y}, v.Left)
	}
	if v.Right != "" {
		c.FillText(st, vg.Point{X: x + vg.Points(4), Y: y}, v.Right)
	}
}

// hline draws a horizontal reference line (such as zero bias).
type hline struct{ Y float64 }

// Plot implements gonum/plot's Plotter.
func (h *hline) Plot(c draw.Canvas, p *gplot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(h.Y)
	if y < c.Min.Y || y > c.Max.Y {
		return
	}
	c.StrokeLine2(draw.LineStyle{Color: greyLine, Width: vg.Points(0.8)}, c.Min.X, y, c.Max.X, y)
}

// legendEntry is one line of a figure's legend.
type legendEntry struct {
	label  string
	thumbs []gplot.Thumbnailer
}

// drawFigure draws plots laid out in a grid of tiles (row by row), with a
// figure title on top and the legend in a column on the right, on a white
// background.
func drawFigure(dc draw.Canvas, title string, plots []*gplot.Plot, cols int, legend []legendEntry) {
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Min.X, Y: dc.Max.Y}, dc.Max, {X: dc.Max.X, Y: dc.Min.Y}})
	pad := vg.Points(8)
	area := draw.Crop(dc, pad, -pad, pad, -pad)
	if title != "" {
		st := textStyle(12)
		st.XAlign = draw.XCenter
		st.YAlign = draw.YTop
		area.FillText(st, vg.Point{X: area.Center().X, Y: area.Max.Y}, title)
		area = draw.Crop(area, 0, 0, 0, -(st.Height(title) + vg.Points(6)))
	}
	if len(legend) > 0 {
		l := gplot.NewLegend()
		l.TextStyle = textStyle(9)
		l.ThumbnailWidth = vg.Points(40)
		l.Top = true
		l.Left = true
		l.Padding = vg.Points(3)
		for _, e := range legend {
			l.Add(e.label, e.thumbs...)
		}
		r := l.Rectangle(area)
		w := r.Max.X - r.Min.X + vg.Points(12)
		legArea := draw.Crop(area, area.Max.X-area.Min.X-w+vg.Points(12), 0, 0, -vg.Points(12))
		l.Draw(legArea)
		area = draw.Crop(area, 0, -w, 0, 0)
	}
	rows := (len(plots) + cols - 1) / cols
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(10)}
	for i, p := range plots {
		p.Draw(tiles.At(area, i%cols, i/cols))
	}
}

// niceTicks marks round values: about six labelled ticks 1, 2, 2.5 or 5
// × 10^k apart, labelled without superfluous decimals, with a minor tick
// halfway between.
type niceTicks struct{}

// Ticks implements gonum/plot's Ticker.
func (niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !finite(lo) || !finite(hi) || !(hi > lo) {
		if finite(lo) {
			return []gplot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
		}
		return nil
	}
	raw := (hi - lo) / 6
	exp := math.Floor(math.Log10(raw))
	mag := math.Pow(10, exp)
	step, mult := 10*mag, 10.0
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step, mult = m*mag, m
			break
		}
	}
	decimals := int(math.Max(0, -exp))
	if mult == 2.5 {
		decimals = int(math.Max(0, 1-exp))
	}
	if mult == 10 {
		decimals = int(math.Max(0, -exp-1))
	}
	var ticks []gplot.Tick
	first := math.Ceil(lo/step-1e-9) - 1
	for i := first; ; i++ {
		v := i * step
		if v > hi+step*1e-9 {
			break
		}
		if v >= lo-step*1e-9 {
			label := strconv.FormatFloat(v, 'f', decimals, 64)
			if strings.Trim(label, "-0.") == "" {
				label = "0"
			}
			ticks = append(ticks, gplot.Tick{Value: v, Label: label})
		}
		if m := v + step/2; m >= lo && m <= hi {
			ticks = append(ticks, gplot.Tick{Value: m})
		}
	}
	return ticks
}
