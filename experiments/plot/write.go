package plot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/models"
)

// Files of a results folder.
const (
	// Dir is the folder of the figures inside a results folder.
	Dir = "plots"
	// DataFile is the figures' data (a Data value) inside Dir.
	DataFile = "data.json"
	// DPI is the resolution of the PNG files.
	DPI = 300
)

// WriteAll computes and draws every figure of a run into dir/plots in the
// config's output.formats; it is the Plots writer clv run passes in experiments.RunOptions. A
// figure whose data is missing (such as the tracking plot without daily
// counts) is skipped and recorded in plots/data.json, which the report
// shows as a warning.
func WriteAll(dir string, a *experiments.Artifacts) error {
	in, err := InputFromArtifacts(a)
	if err != nil {
		return err
	}
	_, err = Render(dir, Compute(in), configFormats(a))
	return err
}

// StartAll is WriteAll in two steps, for a run that draws its figures
// while it scores (experiments.RunOptions.StartPlots): from a, whose
// Metrics may hold only metrics.json's head (name, unit, split, segment
// target), it computes and draws into dir/plots the figures that need no
// scores, and returns the function that, given the run's complete
// artifacts (their metrics are what it reads), computes and draws the
// others and writes plots/data.json. The files are those WriteAll writes
// from the complete artifacts, byte for byte. The predictions' columns
// are let go once the first figures' data is computed (the customers are
// the run's own summary rows, which the run keeps).
//
// Both steps stop soon after ctx ends (between figures, and every few
// thousand customers in the loops over them) and return ctx's error.
func StartAll(ctx context.Context, dir string, a *experiments.Artifacts) (finish func(*experiments.Artifacts) error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := InputFromArtifacts(a)
	if err != nil {
		return nil, err
	}
	in.ctx = ctx
	folder := filepath.Join(dir, Dir)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	// One figure at a time: the run keeps the CPUs busy scoring and
	// writing the predictions meanwhile, so that a second slot would add
	// little but its canvas, up to 31 MB of memory new to the process.
	figures := newDrawer(ctx, folder, configFormats(a), 1)
	figures.reserve(scoredCanvases(len(in.Models)))
	c := newComputation(in)
	if err := c.runEarly(in, figures.draw); err != nil {
		return nil, err
	}
	// What the scored parts read besides the metrics.
	scoredIn := &Input{Unit: in.Unit, Models: in.Models, ctx: ctx}
	return func(full *experiments.Artifacts) error {
		if full == nil || full.Metrics == nil {
			return errors.New("plots: the run's artifacts lack the metrics")
		}
		scoredIn.Metrics = full.Metrics
		if err := c.run(scoredIn, true); err != nil {
			return err
		}
		if err := figures.draw(c.figures(true)); err != nil {
			return err
		}
		return writeData(folder, c.data())
	}, nil
}

// scoredCanvases returns the bytes of the largest canvas of the figures
// that need the scores, in a run of n models: their sizes depend on the
// number of models alone.
func scoredCanvases(n int) int {
	n = max(n, 1)
	largest := 0
	for _, f := range []Figure{
		(&DecilesData{Models: make([]DecileSeries, n)}).figure(), (&ComparisonData{}).figure(),
		(&IntervalTotalsData{}).figure(), (&PITData{Models: make([]string, n)}).figure(),
	} {
		w, h := f.PixelSize()
		largest = max(largest, 4*w*h)
	}
	return largest
}

// configFormats returns the figure formats of a run's config (none: the
// defaults).
func configFormats(a *experiments.Artifacts) []string {
	if a.Config == nil {
		return nil
	}
	return a.Config.Output.Formats
}

// Render draws d's figures into dir/plots in the given formats (png, svg;
// none given: experiments.DefaultFigureFormats), and writes d to
// dir/plots/data.json. It returns the figures written, in report order.
// Every file is written atomically (a temporary file renamed into place).
func Render(dir string, d *Data, formats []string) ([]Figure, error) {
	folder := filepath.Join(dir, Dir)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	figs := d.Figures()
	if err := WriteFigures(folder, figs, formats...); err != nil {
		return nil, err
	}
	if err := writeData(folder, d); err != nil {
		return nil, err
	}
	return figs, nil
}

// writeData writes d to folder/data.json.
func writeData(folder string, d *Data) error {
	return atomicfile.Write(filepath.Join(folder, DataFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(d)
	})
}

// FormatsIn returns the figure formats of the files in folder (png, svg),
// in that order: what a run wrote, for redrawing it the same way. None
// found gives experiments.DefaultFigureFormats.
func FormatsIn(folder string) []string {
	var out []string
	for _, f := range []string{experiments.FormatPNG, experiments.FormatSVG} {
		if m, _ := filepath.Glob(filepath.Join(folder, "*."+f)); len(m) > 0 {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return experiments.DefaultFigureFormats
	}
	return out
}

// WriteFigures writes each figure as NAME.png and/or NAME.svg into folder
// (formats: png, svg; none given: experiments.DefaultFigureFormats),
// several at a time: one worker per CPU, each drawing its figures one
// after another on one canvas (see drawer).
func WriteFigures(folder string, figs []Figure, formats ...string) error {
	return newDrawer(context.Background(), folder, formats, 0).draw(figs)
}

// WriteFigure writes one figure as folder/NAME.svg (no embedded font, see
// SVG) and/or folder/NAME.png (DPI dots per inch, white background), in
// the formats WriteFigures takes.
func WriteFigure(folder string, f Figure, formats ...string) error {
	return WriteFigures(folder, []Figure{f}, formats...)
}

// SVG draws f as an SVG document. With embedFonts the font files are
// embedded (as base64 @font-face rules, about 290 KB a face); without, the
// text names its font family followed by fallbacks, "Liberation Sans",
// Arial, Helvetica, sans-serif: Liberation Sans is metric-compatible with
// Arial and Helvetica, so the text keeps the widths the layout was
// computed with wherever one of the three is installed.
func SVG(f Figure, embedFonts bool) ([]byte, error) {
	svg, err := drawSVG(f, vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height), vgsvg.EmbedFonts(embedFonts)))
	if err != nil || embedFonts {
		return svg, err
	}
	return bytes.ReplaceAll(svg, []byte("font-family:"+svgFamily+";"), []byte("font-family:"+svgFamilyFallback+";")), nil
}

// drawSVG draws f on c, an SVG canvas of f's size, and returns the
// document; a panic while drawing is an error naming the figure.
func drawSVG(f Figure, c vg.CanvasWriterTo) (svg []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("plots: drawing %s: %v", f.Name, p)
		}
	}()
	f.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plots: drawing %s: %w", f.Name, err)
	}
	return b.Bytes(), nil
}

// svgFamily is the font family gonum/plot's SVG writer names for sansFont,
// and svgFamilyFallback what an SVG without embedded fonts asks for.
const (
	svgFamily         = "Liberation Sans"
	svgFamilyFallback = "'Liberation Sans',Arial,Helvetica,sans-serif"
)

// PixelSize returns the size in pixels of a figure's PNG.
func (f Figure) PixelSize() (w, h int) {
	px := func(l vg.Length) int { return int(float64(l/vg.Inch)*DPI + 0.5) }
	return px(f.Width), px(f.Height)
}

// SBG draws the survival and retention figures of a fitted sBG model
// against a cohort's survivor counts (see SBGCurves) into folder as
// sbg_survival and sbg_retention (.png and .svg, the SVG without embedded
// fonts), projected to horizon
// periods of the named unit ("year", "month", ...). It returns the figures
// written. clv fit --model sbg can call it to draw its fit.
func SBG(folder string, f *models.FittedSBG, survivors []float64, unit string, horizon int) ([]Figure, error) {
	d, err := SBGCurves(f, survivors, horizon)
	if err != nil {
		return nil, err
	}
	d.Unit = unit
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	figs := d.Figures()
	if err := WriteFigures(folder, figs, experiments.FormatPNG, experiments.FormatSVG); err != nil {
		return nil, err
	}
	return figs, nil
}
