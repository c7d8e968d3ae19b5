// Package report writes the report of an experiment's results folder:
// report.html, one self-contained page (the figures inlined as SVG, the
// font embedded once, no outside requests), and report.md, the same
// content in Markdown with the PNG figures linked, for notebooks and wikis.
//
// Both are built from what the folder holds: metrics.json (data, split,
// fits, scores, segments, gates and warnings), the column order of
// predictions.csv (the models in report order) and plots/ (the figures,
// their titles and captions in plots/data.json). The runner calls Write
// while it stages the folder; clv report calls FromDir on a finished
// folder, which first redraws the figures from the folder's files.
package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

// The report's files inside a results folder.
const (
	HTMLFile     = "report.html"
	MarkdownFile = "report.md"
)

// Result says what FromDir wrote.
type Result struct {
	// HTML and Markdown are the paths of the files written.
	HTML, Markdown string
	// Figures is the number of figures in the report.
	Figures int
	// Warnings are the report's warnings (also shown in it): rejected
	// rows, failed models, convergence, failed gates, figures not drawn.
	Warnings []string
}

// Write writes report.html and report.md into dir, a results folder being
// staged by a run: it is the Report writer clv run passes in experiments.RunOptions. It uses
// the run's metrics (a.Metrics, or dir/metrics.json when a is nil) and
// the figures already drawn into dir/plots.
func Write(dir string, a *experiments.Artifacts) error {
	var mf *experiments.MetricsFile
	if a != nil {
		mf = a.Metrics
	}
	if mf == nil {
		var err error
		if mf, err = plot.ReadMetrics(dir); err != nil {
			return err
		}
	}
	_, err := write(dir, mf, nil)
	return err
}

// FromDir regenerates the figures and the report of a finished results
// folder without refitting anything: it reads metrics.json, params.json
// and predictions.csv, rebuilds the probability models from their
// parameters (plot.InputFromDir), redraws plots/ and writes report.html and
// report.md. When the figures cannot be redrawn (predictions.csv missing,
// say) the report is still written, with the figures already in plots/
// and a warning.
func FromDir(dir string) (*Result, error) {
	if m, err := experiments.ReadMetrics(context.Background(), dir); err == nil {
		if cm, ok := m.(*experiments.ContractualMetrics); ok {
			return WriteContractual(dir, cm) // its figures are kept as drawn
		}
	}
	mf, err := plot.ReadMetrics(dir)
	if err != nil {
		return nil, err
	}
	var notes []string
	in, err := plot.InputFromDir(dir)
	if err == nil {
		_, err = plot.Render(dir, plot.Compute(in), runFormats(dir))
	}
	if err != nil {
		notes = append(notes, "figures not redrawn: "+err.Error())
	}
	return write(dir, mf, notes)
}

// write builds the page and writes both files.
func write(dir string, mf *experiments.MetricsFile, notes []string) (*Result, error) {
	p, err := build(dir, mf, notes)
	if err != nil {
		return nil, err
	}
	return writePage(dir, p)
}

// writePage writes a page as report.html and report.md into dir.
func writePage(dir string, p *page) (*Result, error) {
	var html bytes.Buffer
	if err := pageTemplate.Execute(&html, p); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res := &Result{HTML: filepath.Join(dir, HTMLFile), Markdown: filepath.Join(dir, MarkdownFile), Figures: len(p.Figures), Warnings: p.Warnings}
	if err := atomicfile.WriteBytes(res.HTML, html.Bytes()); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(res.Markdown, []byte(markdown(p))); err != nil {
		return nil, err
	}
	return res, nil
}

// page is what the templates show.
type page struct {
	Name, Subtitle string
	DataSource     string
	DataCommand    string
	FontCSS        template.CSS
	Warnings       []string
	Gates          []gateRow
	Data, Split    []keyValue
	Fits           []fitRow
	Metrics        []metricTable
	BestNote       string
	Backtest       []metricTable
	BacktestNote   string
	CLV            []clvRow
	Segments       []segmentTable
	SegmentNote    string
	Tiers          []tierTable
	TierNote       string
	Figures        []figure
	FigureNote     string
	// Verdict, VerdictNotes, Intervals and IntervalNote: see verdict.go.
	Verdict      []verdictBlock
	VerdictNotes []string
	Intervals    *verdictBlock
	IntervalNote string
	// Covariates, CovariateNotes and Regularity: see covariates.go.
	Covariates     []verdictBlock
	CovariateNotes []string
	Regularity     []verdictBlock
}

type keyValue struct{ Key, Value string }

type gateRow struct {
	Metric, Bounds, Value string
	Passed                bool
	Message               string
}

type param struct{ Name, Value, SE string }

type fitRow struct {
	Model, Label            string
	Params                  []param
	LogLik, AIC, BIC        string
	Converged, Method, Iter string
	Error                   string
}

type cell struct {
	Text string
	Best bool
}

type metricRow struct {
	Model string
	Cells []cell
}

type metricTable struct {
	Title   string
	Columns []string
	Rows    []metricRow
}

type clvRow struct{ Model, Total, Mean string }

type segmentTable struct {
	Label string
	Rows  [][]string
}

// tierTable is one model's value tiers.
type tierTable struct {
	Label   string
	Columns []string
	Rows    [][]string
}

type figure struct {
	Name, Title, Caption string
	SVG                  template.HTML
	Image                string
}

// modelOrder returns the models of mf in report order: those of
// predictions.csv in its column order (the config's order), then the
// others (failed models) sorted.
func modelOrder(dir string, mf *experiments.MetricsFile) []string {
	var order []string
	seen := map[string]bool{}
	if f, err := os.Open(filepath.Join(dir, "predictions.csv")); err == nil {
		header, err := csv.NewReader(bufio.NewReader(f)).Read()
		f.Close()
		if err == nil {
			for _, h := range header {
				if m, ok := strings.CutSuffix(h, "_purchases"); ok {
					if _, known := mf.Models[m]; known && !seen[m] {
						order = append(order, m)
						seen[m] = true
					}
				}
			}
		}
	}
	var rest []string
	for m := range mf.Models {
		if !seen[m] {
			rest = append(rest, m)
		}
	}
	sort.Strings(rest)
	return append(order, rest...)
}

// fmtNum writes a number for reading: integers in full, other values with
// four significant digits, without trailing zeros; NaN as "–".
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v == 0:
		return "0"
	case a < 1e15 && v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e-4 && a < 1e15:
		d := max(0, 3-int(math.Floor(math.Log10(a))))
		s := strconv.FormatFloat(v, 'f', d, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// targetTitle names a target.
func targetTitle(target string) string {
	switch target {
	case experiments.TargetRevenue:
		return "holdout revenue"
	case experiments.TargetPurchases:
		return "holdout purchases"
	}
	return target
}

// metricColumns are the metrics shown in the tables.
var metricColumns = []string{"actual_total", "predicted_total", "bias", "mae", "rmse", "msle",
	"pearson", "spearman", "top10_share", "top20_share", "gini"}

func build(dir string, mf *experiments.MetricsFile, notes []string) (*page, error) {
	if mf == nil {
		return nil, errors.New("report: no metrics")
	}
	order := modelOrder(dir, mf)
	p := &page{Name: mf.Name}
	p.Subtitle = fmt.Sprintf("Data %s · unit %s · calibration to %s, holdout to %s · %d customers",
		mf.Data.File, mf.Unit, mf.Split.CalibrationEnd, mf.Split.HoldoutEnd, mf.Data.CalibrationCustomers)

	// Data and split.
	d := mf.Data
	if mf.Split.Forecast {
		p.Subtitle = forecastSubtitle(mf)
	}
	p.DataSource, p.DataCommand = dataSource(d)
	p.Data = []keyValue{
		{"Data file", d.File},
		{"SHA-256", d.SHA256},
		{"Rows read", strconv.FormatInt(d.RowsRead, 10)},
		{"Rows used", strconv.FormatInt(d.RowsUsed, 10)},
		{"Rows rejected", strconv.FormatInt(d.RowsRejected, 10)},
	}
	reasons := make([]string, 0, len(d.RejectedBy))
	for r := range d.RejectedBy {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		p.Data = append(p.Data, keyValue{"  rejected: " + r, strconv.FormatInt(d.RejectedBy[r], 10)})
	}
	p.Data = append(p.Data,
		keyValue{"Customers", strconv.Itoa(d.Customers)},
		keyValue{"Customers in calibration (scored)", strconv.Itoa(d.CalibrationCustomers)},
		keyValue{"Customers first seen after the calibration end", strconv.Itoa(d.LateCustomers)},
		keyValue{"Amounts", map[bool]string{true: "yes", false: "no (counts only)"}[d.HasAmount]},
	)
	s := mf.Split
	p.Split = []keyValue{
		{"Time unit", mf.Unit},
		{"Calibration end", s.CalibrationEnd},
		{"Holdout end", s.HoldoutEnd},
		{"Holdout length", fmtNum(s.HoldoutLength) + " " + mf.Unit + "s"},
		{"CLV horizon", fmtNum(s.Horizon) + " " + mf.Unit + "s"},
		{"Discount rate", fmt.Sprintf("%s per year (%s per %s)", fmtNum(s.DiscountRatePerYear), fmtNum(s.DiscountRatePerUnit), mf.Unit)},
		{"Margin", fmtNum(s.Margin)},
		{"Segments ranked by", targetTitle(mf.SegmentTarget)},
	}
	if mf.Backtest != nil {
		p.Split = append(p.Split, keyValue{"Backtest windows", strconv.Itoa(len(mf.Backtest.Windows))})
	}
	if s.Forecast {
		p.Split = forecastSplit(p.Split)
	}

	// Warnings: the run's, then convergence, gates and notes.
	p.Warnings = append(p.Warnings, mf.Warnings...)
	for _, m := range order {
		rep := mf.Models[m]
		if rep.Fit != nil && rep.Error == "" && rep.Fit.HasLikelihood && !rep.Fit.Converged {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s did not converge (%d iterations): its estimates may be unreliable", plot.Label(m), rep.Fit.Iterations))
		}
	}
	if sm := mf.SpendModel; sm != nil && sm.HasLikelihood && !sm.Converged {
		p.Warnings = append(p.Warnings, "the spend model "+sm.Model+" did not converge")
	}
	p.Warnings = append(p.Warnings, weakWarnings(mf)...)
	p.Verdict, p.VerdictNotes = verdictBlocks(mf)
	p.Covariates, p.CovariateNotes = covariateBlocks(mf)
	p.Regularity = regularityBlocks(mf)
	p.Intervals, p.IntervalNote = intervalTable(mf, order)
	for _, g := range mf.Gates {
		p.Gates = append(p.Gates, gateRowOf(g))
		if !g.Passed {
			p.Warnings = append(p.Warnings, g.Message)
		}
	}

	// Fits.
	for _, m := range order {
		p.Fits = append(p.Fits, fitRowOf(m, plot.Label(m), mf.Models[m].Fit, mf.Models[m].Error))
		if r := mf.Models[m].Fit; r != nil && r.WeaklyIdentified && mf.Models[m].Error == "" {
			p.Fits[len(p.Fits)-1].Converged += " (weakly identified)"
		}
	}
	if sm := mf.SpendModel; sm != nil {
		p.Fits = append(p.Fits, fitRowOf(sm.Model, "Spend: "+spendLabel(sm.Model), sm, ""))
	}

	// Metrics, best marked.
	set := mf.ScoreSet()
	rows := experiments.ScoreSet(set).CompareRows(mf.Name)
	byTarget := map[string][]experiments.CompareRow{}
	for _, r := range rows {
		byTarget[r.Target] = append(byTarget[r.Target], r)
	}
	for _, target := range []string{experiments.TargetPurchases, experiments.TargetRevenue} {
		tr := byTarget[target]
		if len(tr) == 0 {
			continue
		}
		// Rows in report order.
		sort.SliceStable(tr, func(i, j int) bool { return indexOf(order, tr[i].Model) < indexOf(order, tr[j].Model) })
		cmp := experiments.CompareTable(tr)
		t := metricTable{Title: "Scores on " + targetTitle(target), Columns: metricColumns}
		for _, r := range cmp.Rows {
			mr := metricRow{Model: largeBiasLabel(mf, target, r.Model)}
			for _, c := range metricColumns {
				v, ok := r.Metrics[c]
				text := "–"
				if ok {
					text = fmtNum(v)
				}
				mr.Cells = append(mr.Cells, cell{Text: text, Best: contains(r.Best, c)})
			}
			t.Rows = append(t.Rows, mr)
		}
		p.Metrics = append(p.Metrics, t)
	}
	p.BestNote = "Bold with ★: the best value of the metric among the models (lowest |bias|, mae, rmse and msle; highest pearson, spearman, top10_share, top20_share and gini). bias = predicted/actual − 1; top10_share is the share of the actual total held by the 10% of customers with the highest predictions; gini is the normalized Gini coefficient of the ranking (1 = perfect)."

	// Backtest.
	if bt := mf.Backtest; bt != nil {
		var wins []string
		for _, w := range bt.Windows {
			label := w.CalibrationEnd
			if w.Main {
				label += " (main)"
			}
			wins = append(wins, label)
		}
		p.BacktestNote = fmt.Sprintf("Mean ± standard deviation of each metric across the %d backtest windows (calibration ends %s), over the windows where the model succeeded.",
			len(bt.Windows), strings.Join(wins, ", "))
		for _, target := range []string{experiments.TargetPurchases, experiments.TargetRevenue} {
			t := metricTable{Title: "Backtest on " + targetTitle(target), Columns: metricColumns[2:]}
			for _, m := range order {
				sp, ok := bt.Summary[m][target]
				if !ok {
					continue
				}
				mr := metricRow{Model: plot.Label(m)}
				for _, c := range t.Columns {
					s, ok := sp[c]
					text := "–"
					if ok {
						text = fmtNum(float64(s.Mean))
						if s.SD.Defined() {
							text += " ± " + fmtNum(float64(s.SD))
						}
					}
					mr.Cells = append(mr.Cells, cell{Text: text})
				}
				t.Rows = append(t.Rows, mr)
			}
			if len(t.Rows) > 0 {
				p.Backtest = append(p.Backtest, t)
			}
		}
	}

	// CLV and segments.
	for _, m := range order {
		rep := mf.Models[m]
		if rep.CLV != nil {
			p.CLV = append(p.CLV, clvRow{Model: plot.Label(m), Total: fmtNum(float64(rep.CLV.Total)), Mean: fmtNum(float64(rep.CLV.Mean))})
		}
		if len(rep.Segments) == 0 {
			continue
		}
		st := segmentTable{Label: plot.Label(m)}
		for _, sg := range rep.Segments {
			st.Rows = append(st.Rows, []string{strconv.Itoa(sg.Group), strconv.Itoa(sg.Customers),
				fmtNum(float64(sg.PredictedTotal)), fmtNum(float64(sg.ActualTotal)), fmtNum(float64(sg.ShareOfActual)), fmtNum(float64(sg.Lift))})
		}
		p.Segments = append(p.Segments, st)
	}
	if mf.Split.Forecast {
		p.BestNote = forecastNote
	}
	p.SegmentNote = fmt.Sprintf("Customers ranked by each model's predicted %s and cut into equal groups (1 = highest). Share = the group's share of the actual total; lift = share ÷ the group's share of customers (2 = the group's customers brought twice the average).",
		targetTitle(mf.SegmentTarget))

	p.Tiers, p.TierNote = tierTables(mf, order)

	// Figures.
	figs, fontCSS, warns := loadFigures(dir)
	p.Figures, p.FontCSS = figs, template.CSS(fontCSS)
	p.Warnings = append(p.Warnings, warns...)
	p.Warnings = append(p.Warnings, notes...)
	p.Warnings = dedupe(p.Warnings)
	if len(figs) == 0 {
		p.FigureNote = "No figures: the run was made with output.plots off, or they could not be drawn. Run clv report on this folder to draw them."
	}
	return p, nil
}

// runFormats returns the figure formats a results folder's run asked for:
// output.formats of the config in its manifest.json, or, for a folder
// without it, the formats of the files in its plots/ (see plot.FormatsIn).
func runFormats(dir string) []string {
	var m struct {
		ConfigResolved struct {
			Config struct {
				Output struct {
					Formats []string `json:"formats"`
				} `json:"output"`
			} `json:"config"`
		} `json:"config_resolved"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil && json.Unmarshal(b, &m) == nil {
		if f := m.ConfigResolved.Config.Output.Formats; len(f) > 0 {
			return f
		}
	}
	return plot.FormatsIn(filepath.Join(dir, plot.Dir))
}

// dedupe drops repeated lines, keeping the first of each.
func dedupe(lines []string) []string {
	seen := map[string]bool{}
	out := lines[:0]
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list)
}

func contains(list []string, s string) bool { return indexOf(list, s) < len(list) }

func spendLabel(name string) string { return models.NewRegistry().Label(models.KindSpend, name) }

func gateRowOf(g experiments.GateResult) gateRow {
	var b []string
	if g.Gate.Min != nil {
		b = append(b, "≥ "+fmtNum(*g.Gate.Min))
	}
	if g.Gate.Max != nil {
		b = append(b, "≤ "+fmtNum(*g.Gate.Max))
	}
	value := "not found"
	if g.Found {
		value = fmtNum(float64(g.Value))
	}
	return gateRow{Metric: g.Gate.Metric, Bounds: strings.Join(b, " and "), Value: value, Passed: g.Passed, Message: g.Message}
}

func fitRowOf(name, label string, r *models.FitResult, errText string) fitRow {
	row := fitRow{Model: name, Label: label, Error: errText, LogLik: "–", AIC: "–", BIC: "–"}
	if r == nil {
		return row
	}
	for _, n := range paperOrder(r.Params.Names()) {
		pr := param{Name: n, Value: fmtNum(r.Params[n])}
		if se, ok := r.StdErrors[n]; ok {
			pr.SE = fmtNum(se)
		}
		row.Params = append(row.Params, pr)
	}
	if r.HasLikelihood {
		// Two decimals: differences of log-likelihoods and information
		// criteria matter, not their relative size.
		f := func(v float64) string {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return "–"
			}
			return strconv.FormatFloat(v, 'f', 2, 64)
		}
		row.LogLik, row.AIC, row.BIC = f(r.LogLikelihood), f(r.AIC), f(r.BIC)
	}
	row.Converged = "yes"
	if !r.Converged {
		row.Converged = "no"
	}
	if errText != "" {
		row.Converged = "failed"
	}
	row.Method = r.Method
	row.Iter = strconv.Itoa(r.Iterations)
	return row
}

// inlineSVG prepares an SVG file written by gonum/plot for inlining in
// HTML: it drops the XML prolog and the namespace declarations (an <svg>
// element inside HTML needs none, and they hold the only http URLs) and
// takes out the <defs><style> block of embedded fonts, returning its
// @font-face rules separately. Plain string search: the files are large
// (the embedded font), and a regular expression over them is slow.
func inlineSVG(svg, title string) (out string, fontFaces []string, err error) {
	if i := strings.Index(svg, "<defs>"); i >= 0 {
		j := strings.Index(svg[i:], "</defs>")
		if j < 0 {
			return "", nil, errors.New("unclosed <defs>")
		}
		defs := svg[i : i+j]
		for {
			k := strings.Index(defs, "@font-face")
			if k < 0 {
				break
			}
			e := strings.IndexByte(defs[k:], '}')
			if e < 0 {
				return "", nil, errors.New("unclosed @font-face")
			}
			fontFaces = append(fontFaces, defs[k:k+e+1])
			defs = defs[k+e+1:]
		}
		svg = svg[:i] + svg[i+j+len("</defs>"):]
	}
	start := strings.Index(svg, "<svg")
	if start < 0 {
		return "", nil, errors.New("no <svg> element")
	}
	end := strings.IndexByte(svg[start:], '>')
	if end < 0 {
		return "", nil, errors.New("unclosed <svg> tag")
	}
	tag := svg[start : start+end]
	vb := strings.Index(tag, `viewBox="`)
	if vb < 0 {
		return "", nil, errors.New("no viewBox")
	}
	vb += len(`viewBox="`)
	q := strings.IndexByte(tag[vb:], '"')
	if q < 0 {
		return "", nil, errors.New("unclosed viewBox")
	}
	open := fmt.Sprintf(`<svg viewBox="%s" role="img" aria-label="%s">`, tag[vb:vb+q], template.HTMLEscapeString(title))
	return open + strings.TrimSpace(svg[start+end+1:]), fontFaces, nil
}

// figureFile returns the relative path of the file report.md links for a
// figure: its PNG, else its SVG (output.formats: [svg]), else "".
func figureFile(dir, name string) string {
	for _, ext := range []string{".png", ".svg"} {
		rel := plot.Dir + "/" + name + ext
		if st, err := os.Stat(filepath.Join(dir, rel)); err == nil && st.Mode().IsRegular() {
			return rel
		}
	}
	return ""
}

// loadFigures reads plots/data.json and draws each figure as SVG, ready to
// inline: the XML prolog and namespace declarations removed (an SVG
// element inside HTML needs none) and the fonts' @font-face rules (with
// the font files) gathered into one style sheet, each font once and each
// rule made once (plot.SVGFonts). The figures are drawn from data.json, not
// read from plots/*.svg, so the report is whole whatever output.formats
// wrote.
func loadFigures(dir string) (figs []figure, fontCSS string, warnings []string) {
	b, err := os.ReadFile(filepath.Join(dir, plot.Dir, plot.DataFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", []string{"figures: " + err.Error()}
	}
	var d plot.Data
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, "", []string{"figures: reading " + plot.DataFile + ": " + err.Error()}
	}
	for _, s := range d.Skipped {
		warnings = append(warnings, fmt.Sprintf("figure %s not drawn: %s", s.Figure, s.Reason))
	}
	seen := map[string]bool{}
	var fonts []string
	var sheet plot.SVGFonts // each font's rule made once, not once a figure
	for _, f := range d.Figures() {
		raw, faces, err := sheet.Draw(f)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("figure %s not drawn: %v", f.Name, err))
			continue
		}
		svg, _, err := inlineSVG(string(raw), f.Title)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("figure %s: %v", f.Name, err))
			continue
		}
		for _, ff := range faces {
			if !seen[ff] {
				seen[ff] = true
				fonts = append(fonts, ff)
			}
		}
		figs = append(figs, figure{Name: f.Name, Title: f.Title, Caption: f.Caption,
			SVG: template.HTML(svg), Image: figureFile(dir, f.Name)})
	}
	return figs, strings.Join(fonts, "\n"), warnings
}

// tierTables returns each model's value tiers (see experiments/tiers.go)
// and the note that explains them.
func tierTables(mf *experiments.MetricsFile, order []string) ([]tierTable, string) {
	var out []tierTable
	for _, m := range order {
		tiers := mf.Tiers[m]
		if len(tiers) == 0 {
			continue
		}
		t := tierTable{Label: plot.Label(m), Columns: []string{"Tier", "Customers", "Share of net value", "Mean CLV", "Mean net CLV", "Mean P(alive)"}}
		holdout := tiers[0].HoldoutRevenue != nil
		if holdout {
			t.Columns = append(t.Columns, "Holdout revenue", "Share of holdout revenue")
		}
		for _, tr := range tiers {
			row := []string{tr.Tier, strconv.Itoa(tr.Customers), fmtNum(float64(tr.NetValueShare)), fmtNum(float64(tr.MeanCLV)),
				fmtNum(float64(tr.MeanNetCLV)), fmtNum(float64(tr.MeanPAlive))}
			if holdout {
				row = append(row, fmtNum(float64(*tr.HoldoutRevenue)), fmtNum(float64(*tr.HoldoutRevenueShare)))
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	note := "Net CLV = margin × predicted revenue − cost per purchase × expected purchases − cost per customer × expected time alive, all discounted. " +
		"best: the top share of customers by net CLV; never_profitable: net CLV ≤ 0; potential: young customers, not best, whose net CLV per unit of time alive reaches the best's median; good: the rest (thresholds in the config's tiers section)."
	return out, note
}
