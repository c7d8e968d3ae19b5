package plot

import (
	"image"
	"strconv"
	"testing"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/internal/cputime"
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

// BenchmarkRanksAndHistories100k times what the run's tables spare the
// figures, for 100,000 customers (20,000 generated, each five times, so
// that histories repeat about as often as in a million-customer log) and
// five models: the gains
// chart's orders and the tracking forecast's distinct histories and ages
// (the models' evaluations, which do not change, left out). "hashed" is
// how Compute made them before: the ids ranked and every order made by a
// Scorer of its own, the histories and ages hashed from the customers;
// "run's tables" is how a run gives them now: a Scorer of the customers
// that knows their rows in the run's pattern table (made afresh each time,
// the orders it would share with the score stage not counted) and the
// histories and ages numbered from that table.
func BenchmarkRanksAndHistories100k(b *testing.B) {
	in := repeatCustomers(benchInput(b, 20_000), 5)
	ids := make([]string, len(in.Customers))
	for i, c := range in.Customers {
		ids[i] = c.ID
	}
	patterns := patternsOf(in.Customers)
	run := func(b *testing.B, shared bool) {
		cpu0 := cputime.Process()
		for b.Loop() {
			in.Patterns, in.Scorer = nil, nil
			if shared {
				sc, err := experiments.NewPatternScorer(ids, patterns.Of, patterns.Len())
				if err != nil {
					b.Fatal(err)
				}
				in.Patterns, in.Scorer = patterns, sc
			}
			if _, err := Gains(in); err != nil {
				b.Fatal(err)
			}
			tables := newHistoryTables(in)
			if _, err := tables.table(false); err != nil {
				b.Fatal(err)
			}
			if _, err := tables.ageTable(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.Run("hashed", func(b *testing.B) { run(b, false) })
	b.Run("run's tables", func(b *testing.B) { run(b, true) })
}

// repeatCustomers returns in with every customer (and their predictions)
// k times over, each copy with an id of its own (numbered from 1).
func repeatCustomers(in *Input, k int) *Input {
	out := *in
	out.Customers = nil
	out.Predictions = map[string]Predicted{}
	for range k {
		for _, c := range in.Customers {
			c.ID = strconv.Itoa(len(out.Customers) + 1)
			out.Customers = append(out.Customers, c)
		}
		for m, p := range in.Predictions {
			q := out.Predictions[m]
			q.Purchases = append(q.Purchases, p.purchases()...)
			q.Revenue = append(q.Revenue, rankedCopy(p, experiments.TargetRevenue)...)
			q.PAlive = append(q.PAlive, p.pAlive()...)
			out.Predictions[m] = q
		}
	}
	return &out
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

// BenchmarkDrawAndEncodeFigures draws and encodes every figure of a run
// at 300 dpi, one after another on one scratch, as a worker of
// WriteFigures does (the files not written), and reports the process's
// CPU time per set.
func BenchmarkDrawAndEncodeFigures(b *testing.B) {
	figs := benchFigures(b)
	var s scratch
	cpu0 := cputime.Process()
	for b.Loop() {
		for _, f := range figs {
			img, white := s.draw(f, 0)
			if err := s.png.encodeWhitening(img); err != nil {
				b.Fatal(err)
			}
			s.white = white
		}
	}
	b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkEncodeFigures encodes every figure's image as a PNG: "zlib"
// compresses the filtered rows (filtered beforehand, not timed) with
// compress/zlib at BestSpeed, as the figures were compressed before
// rowDeflater; "encoder" encodes the images with one encoder reused (as a
// drawer's slot does), filtering included. Both report the process's CPU
// time per encoding of the set, and "encoder" the bytes of the files as a
// share of zlib's.
func BenchmarkEncodeFigures(b *testing.B) {
	figs := benchFigures(b)
	imgs := make([]*image.RGBA, len(figs))
	rows := make([][]byte, len(figs))
	zlibBytes := 0
	for i, f := range figs {
		imgs[i] = f.raster(nil)
		rows[i] = upFiltered(imgs[i])
		zlibBytes += len(zlibReference(b, imgs[i], rows[i]))
	}
	b.Run("zlib", func(b *testing.B) {
		cpu0 := cputime.Process()
		for b.Loop() {
			for i, img := range imgs {
				zlibReference(b, img, rows[i])
			}
		}
		b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	b.Run("encoder", func(b *testing.B) {
		var e rgbEncoder
		cpu0 := cputime.Process()
		size := 0
		for b.Loop() {
			size = 0
			for _, img := range imgs {
				if err := e.encode(img); err != nil {
					b.Fatal(err)
				}
				size += len(e.bytes())
			}
		}
		b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(size)/float64(zlibBytes), "size/zlib")
	})
}

// rankedCopy returns a copy of the predictions the gains chart ranks by.
func rankedCopy(p Predicted, target string) []float64 {
	v, done := p.ranked(target)
	defer done()
	return append([]float64(nil), v...)
}

// BenchmarkFigurePNG draws and encodes each figure of the fixture on its
// own, on a scratch that drew it before (as a drawer's slot draws figure
// after figure), and reports the process's CPU time per figure.
func BenchmarkFigurePNG(b *testing.B) {
	for _, f := range benchFigures(b) {
		b.Run(f.Name, func(b *testing.B) {
			var s scratch
			cpu0 := cputime.Process()
			for b.Loop() {
				img, white := s.draw(f, 0)
				if err := s.png.encodeWhitening(img); err != nil {
					b.Fatal(err)
				}
				s.white = white
			}
			b.ReportMetric(float64((cputime.Process()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
