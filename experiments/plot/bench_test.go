package plot

import (
	"image"
	"io"
	"testing"
)

// benchInput is the fixture at n customers (generated day by day, see
// fixtureSummary) with the fixture's models and the retention heuristic
// fitted on made-up activity bitmaps (see retentionFixture).
func benchInput(b *testing.B, n int) *Input {
	b.Helper()
	in, err := InputFromArtifacts(fixtureArtifacts(b, n, 7))
	if err != nil {
		b.Fatal(err)
	}
	in.Models = append(in.Models, "retention")
	in.Fits["retention"] = retentionFixture(b, in)
	in.Predictions["retention"] = in.Predictions["average"]
	return in
}

// BenchmarkTracking100k computes the tracking plot's data for 100,000
// generated customers and five models: the factored BG/NBD, MBG/NBD and
// Pareto/NBD, the simple average (per distinct history) and the retention
// heuristic (per recency state).
func BenchmarkTracking100k(b *testing.B) {
	in := benchInput(b, 100_000)
	for b.Loop() {
		if _, err := Tracking(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute100k computes every figure's data for the same input.
func BenchmarkCompute100k(b *testing.B) {
	in := benchInput(b, 100_000)
	for b.Loop() {
		Compute(in)
	}
}

// benchFigures returns every figure of the fixture at 20,000 customers
// (the drawing does not depend on the number of customers).
func benchFigures(b *testing.B) []Figure {
	b.Helper()
	return Compute(benchInput(b, 20_000)).Figures()
}

// BenchmarkRasterFigures draws every figure of a run at 300 dpi, one
// after another into one image buffer, as a worker of WriteFigures does.
func BenchmarkRasterFigures(b *testing.B) {
	figs := benchFigures(b)
	var pix []byte
	for b.Loop() {
		for _, f := range figs {
			pix = f.raster(pix).Pix
		}
	}
}

// BenchmarkEncodeFigures encodes every figure's image as a PNG.
func BenchmarkEncodeFigures(b *testing.B) {
	figs := benchFigures(b)
	imgs := make([]*image.RGBA, len(figs))
	for i, f := range figs {
		imgs[i] = f.raster(nil)
	}
	for b.Loop() {
		for _, img := range imgs {
			if err := encodePNG(io.Discard, img); err != nil {
				b.Fatal(err)
			}
		}
	}
}
