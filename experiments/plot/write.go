package plot

import (
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// WriteAll computes and draws every figure of a run into dir/plots; it is
// the runner's experiments.PlotWriter. A figure whose data is missing (such
// as the tracking plot without daily counts) is skipped and recorded in
// plots/data.json, which the report shows as a warning.
func WriteAll(dir string, a *experiments.Artifacts) error {
	in, err := InputFromArtifacts(a)
	if err != nil {
		return err
	}
	_, err = Render(dir, Compute(in))
	return err
}

// Render draws d's figures into dir/plots as PNG and SVG, and writes d to
// dir/plots/data.json. It returns the figures written, in report order.
// Every file is written atomically (a temporary file renamed into place).
func Render(dir string, d *Data) ([]Figure, error) {
	folder := filepath.Join(dir, Dir)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	figs := d.Figures()
	if err := WriteFigures(folder, figs); err != nil {
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

// WriteFigures writes each figure as NAME.png and NAME.svg into folder,
// several at a time.
func WriteFigures(folder string, figs []Figure) error {
	errs := make([]error, len(figs))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range figs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = WriteFigure(folder, f)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteFigure writes one figure as folder/NAME.svg (fonts embedded) and
// folder/NAME.png (DPI dots per inch, white background).
func WriteFigure(folder string, f Figure) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("plots: drawing %s: %v", f.Name, p)
		}
	}()
	sc := vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height), vgsvg.EmbedFonts(true))
	f.Draw(draw.New(sc))
	if err := atomicfile.Write(filepath.Join(folder, f.Name+".svg"), func(w io.Writer) error {
		_, err := sc.WriteTo(w)
		return err
	}); err != nil {
		return err
	}
	ic := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(DPI))
	f.Draw(draw.New(ic))
	return atomicfile.Write(filepath.Join(folder, f.Name+".png"), func(w io.Writer) error {
		return pngEncoder.Encode(w, ic.Image())
	})
}

// pngEncoder compresses for speed: the figures are mostly flat colour, so
// the files stay small, and encoding is half the time of drawing a figure
// at the default level.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed}

// PixelSize returns the size in pixels of a figure's PNG.
func (f Figure) PixelSize() (w, h int) {
	px := func(l vg.Length) int { return int(float64(l/vg.Inch)*DPI + 0.5) }
	return px(f.Width), px(f.Height)
}

// SBG draws the survival and retention figures of a fitted sBG model
// against a cohort's survivor counts (see SBGCurves) into folder as
// sbg_survival and sbg_retention (.png and .svg), projected to horizon
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
	if err := WriteFigures(folder, figs); err != nil {
		return nil, err
	}
	return figs, nil
}
