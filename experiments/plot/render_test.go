package plot

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// checkFigureFiles checks that each figure's PNG decodes with the size the
// figure promises (300 dpi) and its SVG is well-formed XML with no font
// embedded, the fallback families named, and no NaN coordinates.
func checkFigureFiles(t *testing.T, folder string, figs []Figure) {
	t.Helper()
	for _, f := range figs {
		b, err := os.ReadFile(filepath.Join(folder, f.Name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.png: %v", f.Name, err)
		}
		w, h := f.PixelSize()
		if got := img.Bounds().Size(); got.X != w || got.Y != h {
			t.Errorf("%s.png is %v pixels, want %dx%d", f.Name, got, w, h)
		}
		if w < 1500 || h < 1000 {
			t.Errorf("%s.png is only %dx%d pixels", f.Name, w, h)
		}
		svg, err := os.ReadFile(filepath.Join(folder, f.Name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		if err := wellFormedXML(svg); err != nil {
			t.Errorf("%s.svg: %v", f.Name, err)
		}
		if bytes.Contains(svg, []byte("@font-face")) || bytes.Contains(svg, []byte("data:font/ttf;")) {
			t.Errorf("%s.svg embeds its font", f.Name)
		}
		if !bytes.Contains(svg, []byte("font-family:"+svgFamilyFallback+";")) || bytes.Contains(svg, []byte("font-family:"+svgFamily+";")) {
			t.Errorf("%s.svg does not name the fallback font families", f.Name)
		}
		if len(svg) > 200_000 {
			t.Errorf("%s.svg is %d bytes, want under 200 kB", f.Name, len(svg))
		}
		if bytes.Contains(svg, []byte("NaN")) || bytes.Contains(svg, []byte("Inf")) {
			t.Errorf("%s.svg holds NaN or Inf coordinates", f.Name)
		}
		if f.Title == "" || f.Caption == "" || strings.Contains(f.Caption, "%!") || strings.Contains(f.Title, "%!") {
			t.Errorf("%s: title %q, caption %q", f.Name, f.Title, f.Caption)
		}
	}
}

// wellFormedXML parses b strictly to the end.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("unclosed elements")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func figureNames(figs []Figure) []string {
	var out []string
	for _, f := range figs {
		out = append(out, f.Name)
	}
	return out
}

// TestFormats writes each output.formats choice and only it; the default
// is PNG only. One small figure keeps it fast.
func TestFormats(t *testing.T) {
	a := fixtureArtifacts(t, 30, 3)
	in, err := InputFromArtifacts(a)
	if err != nil {
		t.Fatal(err)
	}
	fig := Compute(in).Figures()[0]
	fig.Width, fig.Height = vg.Inch, vg.Inch
	for _, tt := range []struct {
		formats, want []string
	}{
		{nil, []string{"png"}},
		{[]string{"png"}, []string{"png"}},
		{[]string{"svg"}, []string{"svg"}},
		{[]string{"svg", "png"}, []string{"png", "svg"}},
	} {
		dir := t.TempDir()
		if err := WriteFigures(dir, []Figure{fig}, tt.formats...); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ext := range []string{"png", "svg"} {
			if _, err := os.Stat(filepath.Join(dir, fig.Name+"."+ext)); err == nil {
				got = append(got, ext)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("formats %v wrote %v, want %v", tt.formats, got, tt.want)
		}
		if got := FormatsIn(dir); !slices.Equal(got, tt.want) {
			t.Errorf("FormatsIn after writing %v = %v, want %v", tt.formats, got, tt.want)
		}
	}
	if err := WriteFigure(t.TempDir(), fig, "pdf"); err == nil {
		t.Error("no error for format pdf")
	}
}

// TestRenderWritesEveryFigure draws every figure of the fixture (with a
// backtest) twice and checks the files and their determinism.
func TestRenderWritesEveryFigure(t *testing.T) {
	a := fixtureArtifacts(t, 60, 7)
	a.Metrics = withBacktest(a.Metrics)
	a.Config.Output.Formats = []string{experiments.FormatPNG, experiments.FormatSVG}
	dir := t.TempDir()
	if err := WriteAll(dir, a); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, Dir, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	var d Data
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	figs := d.Figures()
	want := []string{
		"tracking_incremental", "tracking_cumulative", "conditional_expectations", "calibration_fit", "gains", "deciles",
		"heatmap_bgnbd_p_alive", "heatmap_bgnbd_expected_purchases", "heatmap_paretonbd_p_alive",
		"heatmap_paretonbd_expected_purchases", "heatmap_mbgnbd_p_alive", "heatmap_mbgnbd_expected_purchases",
		"comparison_holdout", "comparison_holdout_revenue",
	}
	if got := figureNames(figs); !slices.Equal(got, want) {
		t.Fatalf("figures %v, want %v", got, want)
	}
	if len(d.Skipped) != 0 {
		t.Errorf("skipped %v", d.Skipped)
	}
	checkFigureFiles(t, filepath.Join(dir, Dir), figs)
	// data.json reads back to the data that was drawn.
	in, err := InputFromArtifacts(a)
	if err != nil {
		t.Fatal(err)
	}
	recomputed, _ := json.Marshal(Compute(in))
	var want2, got2 any
	_ = json.Unmarshal(recomputed, &want2)
	_ = json.Unmarshal(b, &got2)
	if diff := jsonDiff("", got2, want2); diff != "" {
		t.Errorf("data.json differs from the computed data: %s", diff)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, Dir))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left over %s", e.Name())
		}
	}

	if len(entries) != 2*len(want)+1 {
		t.Fatalf("%d files, want %d", len(entries), 2*len(want)+1)
	}

	// Same data, same bytes: gonum/plot's SVG and PNG writers put no
	// timestamps, random ids or map-order dependence into these figures,
	// so drawing again (one figure of each kind, to keep the test fast)
	// gives the files byte for byte.
	dir2 := t.TempDir()
	var again []Figure
	kinds := map[string]bool{}
	for _, f := range figs {
		kind, _, _ := strings.Cut(f.Name, "_")
		if !kinds[kind] {
			kinds[kind] = true
			again = append(again, f)
		}
	}
	if len(again) != 7 {
		t.Fatalf("%d kinds of figures, want 7", len(again))
	}
	if err := WriteFigures(dir2, again, experiments.FormatPNG, experiments.FormatSVG); err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		for _, ext := range []string{".png", ".svg"} {
			b1, _ := os.ReadFile(filepath.Join(dir, Dir, f.Name+ext))
			b2, err := os.ReadFile(filepath.Join(dir2, f.Name+ext))
			if err != nil || !bytes.Equal(b1, b2) {
				t.Errorf("%s%s differs between two drawings", f.Name, ext)
			}
		}
	}
}

func TestSBGWritesFigures(t *testing.T) {
	f, err := models.NewFittedSBG(0.704, 1.182)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	figs, err := SBG(dir, f, fhRegular, "year", 12)
	if err != nil {
		t.Fatal(err)
	}
	if got := figureNames(figs); !slices.Equal(got, []string{"sbg_survival", "sbg_retention"}) {
		t.Fatalf("figures %v", got)
	}
	checkFigureFiles(t, dir, figs)
	if _, err := SBG(dir, f, []float64{10}, "year", 12); err == nil {
		t.Error("no error for a single survivor count")
	}
}

// writeResultsFolder writes the files a run leaves (metrics.json,
// params.json, predictions.csv in the runner's layout) for the fixture.
func writeResultsFolder(t testing.TB, dir string, in *Input) {
	t.Helper()
	b, err := encodeMetrics(in.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	params := map[string]*models.FitResult{}
	for m, rep := range in.Metrics.Models {
		params[m] = rep.Fit
	}
	pb, _ := json.MarshalIndent(params, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "params.json"), pb, 0o644); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("customer_id,frequency,recency,T,monetary_value,frequency_holdout,monetary_value_holdout,duration_holdout,revenue_holdout")
	for _, m := range in.Models {
		sb.WriteString("," + m + "_purchases," + m + "_p_alive," + m + "_revenue," + m + "_clv")
	}
	sb.WriteString("\n")
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	purchases, revenue := map[string][]float64{}, map[string][]float64{}
	for _, m := range in.Models {
		p := in.Predictions[m]
		purchases[m], revenue[m] = p.purchases(), rankedCopy(p, experiments.TargetRevenue)
	}
	for i, c := range in.Customers {
		sb.WriteString(strings.Join([]string{c.ID, g(c.Frequency), g(c.Recency), g(c.T), "0", g(c.FrequencyHoldout), "0", g(fxHoldout), g(in.revenueHoldout(i))}, ","))
		for _, m := range in.Models {
			sb.WriteString("," + g(purchases[m][i]) + ",0.5," + g(revenue[m][i]) + ",0")
		}
		sb.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "predictions.csv"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInputFromDir reads a results folder back: the histories and
// predictions exactly, the probability
// models rebuilt from params.json, and the tracking data from a previous
// plots/data.json.
func TestInputFromDir(t *testing.T) {
	want := fixtureInput(t)
	dir := t.TempDir()
	writeResultsFolder(t, dir, want)
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeData(filepath.Join(dir, Dir), Compute(want)); err != nil {
		t.Fatal(err)
	}
	got, err := InputFromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Models, want.Models) {
		t.Errorf("models %v, want %v", got.Models, want.Models)
	}
	if got.Unit != datasets.Week || !got.CalibrationEnd.Equal(fxCal) || !got.HoldoutEnd.Equal(fxHold) {
		t.Errorf("unit %v, calibration end %v, holdout end %v", got.Unit, got.CalibrationEnd, got.HoldoutEnd)
	}
	if len(got.Customers) != len(want.Customers) {
		t.Fatalf("%d customers, want %d", len(got.Customers), len(want.Customers))
	}
	for i, c := range want.Customers {
		g := got.Customers[i]
		if g.ID != c.ID || g.Frequency != c.Frequency || g.Recency != c.Recency || g.T != c.T || g.FrequencyHoldout != c.FrequencyHoldout {
			t.Fatalf("customer %d: got %+v, want %+v", i, g, c)
		}
		if got.revenueHoldout(i) != want.revenueHoldout(i) {
			t.Fatalf("customer %d: revenue %v, want %v", i, got.revenueHoldout(i), want.revenueHoldout(i))
		}
	}
	for _, m := range want.Models {
		if g, w := got.Predictions[m].purchases(), want.Predictions[m].purchases(); !slices.Equal(g, w) {
			t.Fatalf("%s predictions %v, want %v", m, g, w)
		}
	}
	for _, m := range []string{"bgnbd", "paretonbd", "mbgnbd"} {
		if got.Fits[m] == nil {
			t.Fatalf("%s not rebuilt", m)
		}
		c := models.Customer{Frequency: 3, Recency: 10, T: 20}
		if g, w := got.Fits[m].ConditionalExpectedPurchases(c, 26), want.Fits[m].ConditionalExpectedPurchases(c, 26); g != w {
			t.Errorf("%s rebuilt predicts %v, want %v", m, g, w)
		}
	}
	if got.Fits["average"] != nil {
		t.Error("the average model has no constructor, yet was rebuilt")
	}
	if got.Tracking == nil || len(got.Tracking.Cumulative) != 1+len(want.Models) {
		t.Fatalf("tracking data not read back from data.json: %+v", got.Tracking)
	}
	// Recomputed data agrees with the run's.
	a, b := Compute(want), Compute(got)
	if b.Tracking != got.Tracking || len(b.Skipped) != 0 {
		t.Errorf("tracking not reused, skipped %v", b.Skipped)
	}
	for _, pair := range [][2]any{{a.Conditional, b.Conditional}, {a.CalibrationFit, b.CalibrationFit}, {a.Heatmaps, b.Heatmaps}, {a.Comparisons, b.Comparisons}, {a.Deciles, b.Deciles}} {
		ja, _ := json.Marshal(pair[0])
		jb, _ := json.Marshal(pair[1])
		var va, vb any
		_ = json.Unmarshal(ja, &va)
		_ = json.Unmarshal(jb, &vb)
		if diff := jsonDiff("", vb, va); diff != "" {
			t.Errorf("%T from disk differs: %s", pair[0], diff)
		}
	}
}

func TestInputFromDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := InputFromDir(dir); err == nil || !strings.Contains(err.Error(), "not a results folder") {
		t.Errorf("empty folder: %v", err)
	}
	in := fixtureInput(t)
	writeResultsFolder(t, dir, in)
	if err := os.WriteFile(filepath.Join(dir, "predictions.csv"), []byte("customer_id,frequency\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := InputFromDir(dir); err == nil || !strings.Contains(err.Error(), "no recency column") {
		t.Errorf("bad predictions.csv: %v", err)
	}
}

func TestDecodeMetricsKeepsScores(t *testing.T) {
	in := fixtureInput(t)
	b, err := encodeMetrics(in.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := DecodeMetrics(b)
	if err != nil {
		t.Fatal(err)
	}
	for m, rep := range in.Metrics.Models {
		got := mf.Models[m]
		if got == nil || got.Holdout == nil || !reflect.DeepEqual(*got.Holdout, *rep.Holdout) || len(got.Segments) != 10 ||
			got.Fit == nil || !reflect.DeepEqual(got.Fit.Params, rep.Fit.Params) {
			t.Errorf("%s did not round-trip: %+v", m, got)
		}
	}
}

// BenchmarkWriteAllQuickstart draws every figure of the quickstart data
// (5,000 customers, the built-in data set, with the models fixed at the
// estimates a quickstart run finds).
func BenchmarkWriteAllQuickstart(b *testing.B) {
	a := quickstartArtifacts(b)
	dir := b.TempDir()
	for b.Loop() {
		if err := WriteAll(dir, a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComputeQuickstart computes the figures' data only.
func BenchmarkComputeQuickstart(b *testing.B) {
	in, err := InputFromArtifacts(quickstartArtifacts(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Compute(in)
	}
}

func quickstartArtifacts(b *testing.B) *experiments.Artifacts {
	b.Helper()
	raw, err := datasets.Embedded("quickstart")
	if err != nil {
		b.Skip(err)
	}
	ro := datasets.ReadOptions{Format: datasets.FormatCSV, Header: "yes", Customer: datasets.ColumnNamed("customer_id"), Date: datasets.ColumnNamed("date"), Amount: datasets.ColumnNamed("amount"), DateFormat: "iso", OnBadRow: "fail"}
	so := datasets.SummaryOptions{Unit: datasets.Week, CalibrationEnd: time.Date(2024, 9, 29, 0, 0, 0, 0, time.UTC),
		HoldoutEnd: time.Date(2025, 6, 29, 0, 0, 0, 0, time.UTC)}
	s, err := datasets.Summarize(bytes.NewReader(raw), "quickstart", ro, so)
	if err != nil {
		b.Fatal(err)
	}
	fits := map[string]models.FittedPurchases{}
	fits["bgnbd"], _ = models.NewFittedBGNBD(0.2487, 4.652, 0.7805, 2.343)
	fits["paretonbd"], _ = models.NewFittedParetoNBD(0.4754, 9.822, 11.75, 461.6)
	fits["mbgnbd"], _ = models.NewFittedMBGNBD(0.4611, 6.000, 1.020, 2.270)
	if fits["average"], err = (models.Average{}).Fit(b.Context(), summaryData(s), models.FitOptions{}); err != nil {
		b.Fatal(err)
	}
	return artifactsFor(b, s, fits, []string{"average", "bgnbd", "paretonbd", "mbgnbd"})
}

// encodeMetrics writes metrics.json as the runner does.
func encodeMetrics(mf *experiments.MetricsFile) ([]byte, error) {
	return json.MarshalIndent(mf, "", "  ")
}

// TestHeatmapLeavesImpossibleCellsBlank draws a P(alive) heat map as it
// is (row x = 0 holds one value, at recency 0) and with that row filled
// in, and counts the drawn paths: the real one has exactly one path fewer
// per impossible cell, so those cells are left blank, not coloured.
func TestHeatmapLeavesImpossibleCellsBlank(t *testing.T) {
	hm, err := Heatmaps(fixtureInput(t))
	if err != nil {
		t.Fatal(err)
	}
	h := hm[0]
	filled := h
	filled.Z = slices.Clone(h.Z)
	filled.Z[0] = make(Floats, len(h.Z[0]))
	for j := range filled.Z[0] {
		filled.Z[0][j] = h.Z[0][0]
	}
	paths := func(h HeatmapData) int {
		svg, err := SVG(h.figure(), false)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(svg, []byte("<path"))
	}
	if got, want := paths(filled)-paths(h), len(h.Recency)-1; got != want {
		t.Errorf("filling row x = 0 draws %d more cells, want %d (one per impossible cell)", got, want)
	}
}

// purchases returns the predicted purchases of every customer.
func (p Predicted) purchases() []float64 { return p.purchaseColumn().all() }

// pAlive returns every customer's P(alive), nil when unknown.
func (p Predicted) pAlive() []float64 { return p.pAliveColumn().all() }

// all returns every value, made whole.
func (c column) all() []float64 {
	if c.from != nil {
		return c.from.Column(c.q)
	}
	return c.vals
}
