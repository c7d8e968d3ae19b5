package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
)

// node is an element of the parsed report.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     strings.Builder // all text inside, children included
}

// parseXHTML parses the report strictly as XML (every element closed,
// attributes quoted, only XML's own entities), which proves it
// well-formed, and returns its root element.
func parseXHTML(t *testing.T, b []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well-formed: %v", err)
		}
		switch tok.(type) {
		case xml.StartElement, xml.EndElement:
			// Element boundaries separate words ("<th>a</th><td>1</td>"
			// reads "a 1").
			for _, n := range stack {
				n.text.WriteByte(' ')
			}
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name.Local, attr: map[string]string{}}
			for _, a := range tk.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, n := range stack {
				n.text.Write(tk)
			}
		}
	}
	if len(stack) != 1 {
		t.Fatal("report.html has unclosed elements")
	}
	return root
}

// find returns every element below n with the given name.
func (n *node) find(name string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
		out = append(out, c.find(name)...)
	}
	return out
}

// byID returns the element with the given id.
func (n *node) byID(id string) *node {
	for _, c := range n.children {
		if c.attr["id"] == id {
			return c
		}
		if f := c.byID(id); f != nil {
			return f
		}
	}
	return nil
}

func (n *node) Text() string { return strings.Join(strings.Fields(n.text.String()), " ") }

// rowOf returns the cells of the row of a table whose first cell is label.
func rowOf(table *node, label string) []*node {
	for _, tr := range table.find("tr") {
		cells := tr.children
		if len(cells) > 0 && cells[0].Text() == label {
			return cells
		}
	}
	return nil
}

// checkSelfContained checks that the page makes no outside request: no
// http(s) reference anywhere, no external script, style sheet, image or
// frame, and the font embedded exactly once.
func checkSelfContained(t *testing.T, html []byte, root *node) {
	t.Helper()
	for _, s := range []string{"http://", "https://", "HTTP://", "HTTPS://", "//fonts.", "@import"} {
		if bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html contains %q", s)
		}
	}
	for _, tag := range []string{"script", "link", "img", "iframe", "object", "embed", "image", "use"} {
		if n := root.find(tag); len(n) > 0 {
			t.Errorf("report.html has %d <%s> elements", len(n), tag)
		}
	}
	for _, n := range append(root.find("a"), root.find("svg")...) {
		if h, ok := n.attr["href"]; ok && !strings.HasPrefix(h, "#") {
			t.Errorf("link to %q", h)
		}
	}
	if got := bytes.Count(html, []byte("@font-face")); got != 1 {
		t.Errorf("%d @font-face rules, want the one font embedded once", got)
	}
}

// bestOf returns the model label with the best value of a metric on a
// target, worked out directly from the scores.
func bestOf(mf *experiments.MetricsFile, target, metric string, better func(a, b float64) bool) string {
	best, label := math.NaN(), ""
	for m, rep := range mf.Models {
		sc := rep.Holdout
		if target == experiments.TargetRevenue {
			sc = rep.HoldoutRevenue
		}
		if sc == nil {
			continue
		}
		v, _ := sc.Value(metric)
		if math.IsNaN(best) || better(v, best) {
			best, label = v, plot.Label(m)
		}
	}
	return label
}

func TestWriteReport(t *testing.T) {
	a, dir := drawnRun(t)
	if err := Write(dir, a); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	root := parseXHTML(t, html)
	checkSelfContained(t, html, root)

	// Every figure of plots/data.json, inlined as SVG with its caption.
	var d plot.Data
	b, _ := os.ReadFile(filepath.Join(dir, plot.Dir, plot.DataFile))
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	figs := d.Figures()
	if len(figs) != 14 {
		t.Fatalf("%d figures in data.json, want 14", len(figs))
	}
	for _, f := range figs {
		n := root.byID("fig-" + f.Name)
		if n == nil {
			t.Errorf("figure %s missing", f.Name)
			continue
		}
		if len(n.find("svg")) != 1 || len(n.find("path")) < 10 || len(n.find("text")) < 3 {
			t.Errorf("figure %s does not hold its drawing", f.Name)
		}
		if cap := n.find("figcaption"); len(cap) != 1 || cap[0].Text() != strings.Join(strings.Fields(f.Caption), " ") {
			t.Errorf("figure %s: caption missing", f.Name)
		}
	}

	// Sections and tables.
	for _, id := range []string{"summary", "warnings", "gates", "models", "metrics", "backtest", "clv", "segments", "figures"} {
		if root.byID(id) == nil {
			t.Errorf("section %s missing", id)
		}
	}
	text := root.Text()
	for _, s := range []string{
		"fixture — CLV experiment report", "Rows read 1000", "Rows used 990", "Rows rejected 10", "rejected: bad_date 7",
		"Customers 82", "Calibration end 2024-06-30", "Holdout end 2024-12-29", "Holdout length 26 weeks",
		"hiatus failed", "MBG/NBD did not converge", "gate failed: paretonbd.holdout.mae", "2 customers first bought after",
		"Spend: Gamma-Gamma", "r = 0.243 (0.0243)", "Scores on holdout purchases", "Scores on holdout revenue",
		"Backtest on holdout purchases", "Total CLV",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	models := root.byID("models").find("table")[0]
	for _, m := range []string{"Average", "Hiatus", "BG/NBD", "Pareto/NBD", "MBG/NBD", "Spend: Gamma-Gamma"} {
		if rowOf(models, m) == nil {
			t.Errorf("model table lacks %s", m)
		}
	}
	if r := rowOf(models, "Hiatus"); r == nil || !strings.Contains(r[1].Text(), "failed") || r[5].Text() != "failed" {
		t.Errorf("the failed model is not shown as failed")
	}
	if r := rowOf(models, "BG/NBD"); r == nil || r[2].Text() != "-1234.50" || r[3].Text() != "2477.00" || r[5].Text() != "yes" {
		t.Errorf("BG/NBD fit row: %v", r)
	}
	gates := root.byID("gates").find("tr")
	if len(gates) != 3 || !strings.Contains(gates[1].Text(), "pass") || !strings.Contains(gates[2].Text(), "FAIL") {
		t.Errorf("gates table: %d rows", len(gates))
	}
	// Each warning once, though the failed gate is in metrics.json's
	// warnings and among the gates.
	var warns []string
	for _, li := range root.byID("warnings").find("li") {
		warns = append(warns, li.Text())
	}
	for i, w := range warns {
		if slices.Contains(warns[:i], w) {
			t.Errorf("warning repeated: %s", w)
		}
	}
	if len(warns) != 5 {
		t.Errorf("%d warnings, want 5: %q", len(warns), warns)
	}
	// The best value of each metric is marked, in the right row only.
	tables := root.byID("metrics").find("table")
	if len(tables) != 2 {
		t.Fatalf("%d score tables, want 2", len(tables))
	}
	lower := func(a, b float64) bool { return a < b }
	higher := func(a, b float64) bool { return a > b }
	for ti, target := range []string{experiments.TargetPurchases, experiments.TargetRevenue} {
		for col, c := range []struct {
			metric string
			better func(a, b float64) bool
		}{{"mae", lower}, {"rmse", lower}, {"gini", higher}, {"pearson", higher}} {
			_ = col
			idx := slices.Index(metricColumns, c.metric) + 1
			want := bestOf(a.Metrics, target, c.metric, c.better)
			for _, m := range []string{"Average", "BG/NBD", "Pareto/NBD", "MBG/NBD"} {
				cell := rowOf(tables[ti], m)[idx]
				marked := cell.attr["class"] == "best" && strings.HasSuffix(cell.Text(), "★")
				if marked != (m == want) {
					t.Errorf("%s %s: %s marked %v, want the best (%s) marked", target, c.metric, m, marked, want)
				}
			}
		}
	}
	if n := len(root.byID("segments").find("table")); n != 4 {
		t.Errorf("%d segment tables, want one per scored model (4)", n)
	}
	if rows := rowOf(root.byID("segments").find("table")[1], "1"); rows == nil || len(rows) != 6 {
		t.Errorf("segment table rows malformed")
	}

	// report.md: the same content, with the PNGs linked.
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		link := "](plots/" + f.Name + ".png)"
		if !bytes.Contains(md, []byte(link)) {
			t.Errorf("report.md lacks %s", link)
		}
		if _, err := os.Stat(filepath.Join(dir, plot.Dir, f.Name+".png")); err != nil {
			t.Error(err)
		}
	}
	for _, s := range []string{"## Warnings", "## Quality gates", "| Pareto/NBD |", "## Backtest", "## Segments", "**FAIL**", "★", "| rejected: bad_date | 7 |"} {
		if !bytes.Contains(md, []byte(s)) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	if bytes.Contains(md, []byte("http://")) || bytes.Contains(md, []byte("https://")) {
		t.Error("report.md links outside")
	}
	checkMarkdownTables(t, md)
}

// checkMarkdownTables checks that every table row has as many cells as its
// header.
func checkMarkdownTables(t *testing.T, md []byte) {
	t.Helper()
	cellSep := regexp.MustCompile(`(^|[^\\])\|`)
	cols := -1
	for i, line := range strings.Split(string(md), "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := len(cellSep.FindAllString(line, -1)) - 1
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("report.md line %d has %d cells, its table %d: %s", i+1, n, cols, line)
		}
	}
}

// TestFromDirRegenerates redraws a finished folder: the figures come back
// (the tracking plot from plots/data.json), and the report is the run's.
func TestFromDirRegenerates(t *testing.T) {
	a, dir := drawnRun(t)
	if err := Write(dir, a); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	pngs, _ := filepath.Glob(filepath.Join(dir, plot.Dir, "*.png"))
	for _, p := range append(pngs, filepath.Join(dir, HTMLFile), filepath.Join(dir, MarkdownFile)) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	res, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Figures != 14 {
		t.Errorf("%d figures, want 14", res.Figures)
	}
	for _, p := range append(pngs, res.HTML, res.Markdown) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not regenerated: %v", err)
		}
	}
	again, _ := os.ReadFile(res.HTML)
	// predictions.csv and params.json hold every digit, so the figures,
	// and with them the whole page, come back byte for byte.
	if !bytes.Equal(first, again) {
		t.Error("the regenerated report.html differs from the run's")
	}
	r1, r2 := parseXHTML(t, first), parseXHTML(t, again)
	checkSelfContained(t, again, r2)
	for _, tag := range []string{"figure", "table", "tr", "li"} {
		if len(r1.find(tag)) != len(r2.find(tag)) {
			t.Errorf("<%s>: %d in the run's report, %d regenerated", tag, len(r1.find(tag)), len(r2.find(tag)))
		}
	}
	if r2.byID("fig-tracking_incremental") == nil {
		t.Error("the tracking plot was lost")
	}
	// The tables come from metrics.json alone: identical text.
	for _, id := range []string{"summary", "models", "metrics", "segments", "gates", "backtest", "clv"} {
		if r1.byID(id).Text() != r2.byID(id).Text() {
			t.Errorf("section %s differs after regeneration", id)
		}
	}
}

func TestFromDirWithoutPredictions(t *testing.T) {
	a := fixtureArtifacts(t)
	dir := t.TempDir()
	writeRun(t, dir, a, true)
	if err := os.Remove(filepath.Join(dir, "predictions.csv")); err != nil {
		t.Fatal(err)
	}
	res, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Figures != 0 || !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, "figures not redrawn") }) {
		t.Errorf("figures %d, warnings %v", res.Figures, res.Warnings)
	}
	html, _ := os.ReadFile(res.HTML)
	root := parseXHTML(t, html)
	if !strings.Contains(root.byID("figures").Text(), "No figures") {
		t.Error("the report does not say why it has no figures")
	}
	// The model order falls back to the names, sorted.
	if rows := root.byID("models").find("tr"); len(rows) != 7 || rows[1].children[0].Text() != "Average" || rows[2].children[0].Text() != "BG/NBD" {
		t.Errorf("model rows out of order")
	}
}

func TestFromDirNotAResultsFolder(t *testing.T) {
	_, err := FromDir(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "not a results folder") {
		t.Errorf("got %v", err)
	}
}

func TestWriteWithoutPlots(t *testing.T) {
	a := fixtureArtifacts(t)
	dir := t.TempDir()
	writeRun(t, dir, a, true)
	if err := Write(dir, nil); err != nil { // reads metrics.json itself
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	root := parseXHTML(t, html)
	if len(root.find("figure")) != 0 || !strings.Contains(root.Text(), "output.plots off") {
		t.Error("a report without plots should say so")
	}
	if bytes.Contains(html, []byte("@font-face")) {
		t.Error("a font embedded for no figure")
	}
	// Model order from predictions.csv (the config's), failed models last.
	var order []string
	for _, tr := range root.byID("models").find("tr")[1:] {
		order = append(order, tr.children[0].Text())
	}
	want := []string{"Average", "BG/NBD", "Pareto/NBD", "MBG/NBD", "Hiatus", "Spend: Gamma-Gamma"}
	if !slices.Equal(order, want) {
		t.Errorf("model order %v, want %v", order, want)
	}
}

func TestFmtNum(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {3563, "3563"}, {-0.012019, "-0.01202"}, {0.7372134, "0.7372"}, {101.83, "101.8"}, {1.5e-7, "1.5e-07"},
		{math.NaN(), "–"}, {math.Inf(1), "–"}, {2.5, "2.5"}, {1234567.5, "1234568"}} {
		if got := fmtNum(tt.v); got != tt.want {
			t.Errorf("fmtNum(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// BenchmarkReport writes the report of the fixture (figures drawn once).
func BenchmarkReport(b *testing.B) {
	a, dir := drawnRun(b)
	for b.Loop() {
		if err := Write(dir, a); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInlineSVG(t *testing.T) {
	in := `<?xml version="1.0"?>
<!-- Generated by SVGo and Plotinum VG -->
<svg width="540pt" height="309.6pt" viewBox="0 0 540 309.6"
	xmlns="http://www.w3.org/2000/svg"
	xmlns:xlink="http://www.w3.org/1999/xlink">
<defs>
	<style>
		@font-face{
			font-family:"Liberation Sans";
			src: url(data:font/ttf;charset=utf-8;base64,AAEA) format("truetype");
		}
	</style>
</defs>
<g transform="scale(1, -1) translate(0, -309.6)">
<text x="1" y="2">a &amp; b</text>
</g>
</svg>
`
	out, faces, err := inlineSVG(in, `Gains "top" & more`)
	if err != nil {
		t.Fatal(err)
	}
	want := `<svg viewBox="0 0 540 309.6" role="img" aria-label="Gains &#34;top&#34; &amp; more"><g transform="scale(1, -1) translate(0, -309.6)">
<text x="1" y="2">a &amp; b</text>
</g>
</svg>`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if len(faces) != 1 || !strings.HasPrefix(faces[0], "@font-face{") || !strings.HasSuffix(faces[0], "}") || !strings.Contains(faces[0], "AAEA") {
		t.Errorf("font faces %q", faces)
	}
	for _, bad := range []string{"<g></g>", `<svg width="1">`, `<svg viewBox="0 0 1 1"`, "<defs><style>", `<defs>@font-face{ x </defs><svg viewBox="0 0 1 1">`} {
		if _, _, err := inlineSVG(bad, "t"); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}
