package report

import (
	"fmt"
	"html/template"
	"strings"
)

// pageTemplate is report.html: XHTML-style markup (every element closed,
// attributes quoted) so that the page is also well-formed XML, with its
// style sheet inline and no outside references.
var pageTemplate = template.Must(template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Name}} — CLV experiment report</title>
<style>
{{.FontCSS}}
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #111; background: #fff;
  max-width: 1120px; margin: 0 auto; padding: 24px 28px 60px; line-height: 1.45; }
h1 { font-size: 1.75em; margin: 0 0 0.15em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #333; padding-bottom: 0.15em; margin: 1.8em 0 0.6em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
p.sub { color: #444; margin: 0 0 1em; }
p.note { color: #333; font-size: 0.88em; max-width: 60em; }
p.source { max-width: 60em; overflow-wrap: anywhere; }
nav { font-size: 0.9em; margin: 0.8em 0; }
nav a { margin-right: 1.1em; color: #0a4f7a; }
table { border-collapse: collapse; margin: 0.5em 0 0.8em; font-size: 0.86em; }
th, td { border: 1px solid #b8b8b8; padding: 3px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #ececec; }
th.l { text-align: left; }
table.kv td:last-child { text-align: left; font-family: "Liberation Mono", monospace; }
td.best { font-weight: bold; background: #e6f0f8; }
td.params { text-align: left; white-space: nowrap; }
.warnings { border-left: 5px solid #D55E00; background: #fdf1e8; padding: 6px 16px; margin: 1em 0; }
.warnings li { margin: 0.2em 0; }
.pass { color: #00704f; font-weight: bold; }
.fail { color: #a33f00; font-weight: bold; }
.segments { display: flex; flex-wrap: wrap; gap: 0 28px; }
figure { margin: 1.6em 0 2em; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; max-width: 980px; height: auto; display: block; }
figcaption { font-size: 0.9em; color: #222; margin-top: 0.3em; max-width: 60em; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, .warnings { break-inside: avoid; page-break-inside: avoid; }
  td.best { background: none; }
}
</style>
</head>
<body>
<header>
<h1>{{.Name}} — CLV experiment report</h1>
<p class="sub">{{.Subtitle}}</p>
<nav>{{if .Verdict}}<a href="#verdict">Verdict</a>{{end}}<a href="#summary">Data and split</a>{{if .Warnings}}<a href="#warnings">Warnings</a>{{end}}{{if .Gates}}<a href="#gates">Gates</a>{{end}}<a href="#models">Models</a>{{if .Covariates}}<a href="#covariates">Covariates</a>{{end}}{{if .Regularity}}<a href="#regularity">Regular buyers</a>{{end}}<a href="#metrics">Scores</a>{{if .Backtest}}<a href="#backtest">Backtest</a>{{end}}{{if .CLV}}<a href="#clv">CLV</a>{{end}}{{if .Segments}}<a href="#segments">Segments</a>{{end}}{{if .Tiers}}<a href="#tiers">Value tiers</a>{{end}}<a href="#figures">Figures</a></nav>
</header>
{{if .Verdict}}
<section id="verdict">
<h2>Verdict</h2>
{{template "blocks" .Verdict}}{{range .VerdictNotes}}
<p class="note">{{.}}</p>{{end}}
</section>
{{end}}
{{if .Warnings}}
<section id="warnings" class="warnings">
<h2>Warnings</h2>
<ul>{{range .Warnings}}
<li>{{.}}</li>{{end}}
</ul>
</section>
{{end}}
<section id="summary">
<h2>Data and split</h2>
<p class="source"><b>Where the data come from:</b> {{.DataSource}}{{if .DataCommand}} Redraw them with <code>{{.DataCommand}}</code>{{end}}</p>
<div class="segments">
<table class="kv">
<thead><tr><th colspan="2">Data</th></tr></thead>
<tbody>{{range .Data}}
<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}
</tbody>
</table>
<table class="kv">
<thead><tr><th colspan="2">Split</th></tr></thead>
<tbody>{{range .Split}}
<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}
</tbody>
</table>
</div>
</section>
{{if .Gates}}
<section id="gates">
<h2>Quality gates</h2>
<table>
<thead><tr><th>Metric</th><th>Wanted</th><th>Value</th><th>Result</th></tr></thead>
<tbody>{{range .Gates}}
<tr><td>{{.Metric}}</td><td>{{.Bounds}}</td><td>{{.Value}}</td><td>{{if .Passed}}<span class="pass">pass</span>{{else}}<span class="fail">FAIL</span>{{end}}</td></tr>{{end}}
</tbody>
</table>
</section>
{{end}}
<section id="models">
<h2>Models</h2>
<table>
<thead><tr><th>Model</th><th class="l">Parameters (standard error)</th><th>Log-likelihood</th><th>AIC</th><th>BIC</th><th>Converged</th><th>Method</th><th>Iterations</th></tr></thead>
<tbody>{{range .Fits}}
<tr><td>{{.Label}}</td><td class="params">{{range $i, $p := .Params}}{{if $i}}<br/>{{end}}{{$p.Name}} = {{$p.Value}}{{if $p.SE}} ({{$p.SE}}){{end}}{{end}}{{if .Error}}<span class="fail">failed:</span> {{.Error}}{{end}}</td><td>{{.LogLik}}</td><td>{{.AIC}}</td><td>{{.BIC}}</td><td>{{.Converged}}</td><td>{{.Method}}</td><td>{{.Iter}}</td></tr>{{end}}
</tbody>
</table>
<p class="note">Heuristics (Average, Retention, Hiatus) are not fitted by likelihood: their parameters are the quantities they compute from the data, without standard errors.</p>
</section>
{{if .Covariates}}
<section id="covariates">
<h2>Covariates</h2>
{{template "blocks" .Covariates}}{{range .CovariateNotes}}
<p class="note">{{.}}</p>{{end}}
</section>
{{end}}
{{range .Regularity}}
<section id="regularity">
<h2>{{.Title}}</h2>
{{template "blockBody" .}}
</section>
{{end}}
<section id="metrics">
<h2>Scores on the holdout</h2>
{{range .Metrics}}
<h3>{{.Title}}</h3>
<table>
<thead><tr><th>Model</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr><td>{{.Model}}</td>{{range .Cells}}{{if .Best}}<td class="best">{{.Text}} ★</td>{{else}}<td>{{.Text}}</td>{{end}}{{end}}</tr>{{end}}
</tbody>
</table>
{{else}}
<p>No model was scored.</p>
{{end}}
<p class="note">{{.BestNote}}</p>
</section>
{{with .Intervals}}
<section id="intervals">
<h2>{{.Title}}</h2>
<table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</tbody>
</table>
<p class="note">{{$.IntervalNote}}</p>
</section>
{{end}}
{{if .Backtest}}
<section id="backtest">
<h2>Backtest</h2>
<p class="note">{{.BacktestNote}}</p>
{{range .Backtest}}
<h3>{{.Title}}</h3>
<table>
<thead><tr><th>Model</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr><td>{{.Model}}</td>{{range .Cells}}<td>{{.Text}}</td>{{end}}</tr>{{end}}
</tbody>
</table>
{{end}}
</section>
{{end}}
{{if .CLV}}
<section id="clv">
<h2>Customer lifetime value</h2>
<table>
<thead><tr><th>Model</th><th>Total CLV</th><th>Mean CLV per customer</th></tr></thead>
<tbody>{{range .CLV}}
<tr><td>{{.Model}}</td><td>{{.Total}}</td><td>{{.Mean}}</td></tr>{{end}}
</tbody>
</table>
</section>
{{end}}
{{if .Segments}}
<section id="segments">
<h2>Segments</h2>
<p class="note">{{.SegmentNote}}</p>
<div class="segments">{{range .Segments}}
<table>
<thead><tr><th colspan="6">{{.Label}}</th></tr><tr><th>Group</th><th>Customers</th><th>Predicted</th><th>Actual</th><th>Share</th><th>Lift</th></tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</tbody>
</table>{{end}}
</div>
</section>
{{end}}
{{if .Tiers}}
<section id="tiers">
<h2>Value tiers</h2>
<p class="note">{{.TierNote}}</p>
<div class="segments">{{range .Tiers}}
<table>
<thead><tr><th colspan="{{len .Columns}}">{{.Label}}</th></tr><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</tbody>
</table>{{end}}
</div>
</section>
{{end}}
<section id="figures">
<h2>Figures</h2>
{{if .FigureNote}}<p>{{.FigureNote}}</p>{{end}}
{{range .Figures}}
<figure id="fig-{{.Name}}">
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
</section>
</body>
</html>
`)).Parse(blockTemplates))

// blockTemplates render a list of verdictBlock (a title, a summary and a
// table each): the verdict, the covariates and the regular buyers.
const blockTemplates = `{{define "blocks"}}{{range .}}
<h3>{{.Title}}</h3>
{{template "blockBody" .}}
{{end}}{{end}}{{define "blockBody"}}<p>{{.Summary}}</p>{{if .Rows}}
<table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</tbody>
</table>{{end}}{{end}}`

// mdEscaper escapes the characters that start HTML in Markdown, so that a
// file name, id or message holding markup shows as text in report.md as it
// does in report.html.
var mdEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mdText escapes HTML in a text of report.md.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCell escapes a Markdown table cell.
func mdCell(s string) string {
	s = mdText(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// mdTable writes a Markdown table; the first column is left-aligned, the
// others right-aligned (left-aligned too with left).
func mdTable(b *strings.Builder, header []string, rows [][]string, left ...bool) {
	b.WriteString("|")
	for _, h := range header {
		b.WriteString(" " + mdCell(h) + " |")
	}
	b.WriteString("\n|")
	for i := range header {
		if i == 0 || len(left) > 0 && left[0] {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// markdown writes report.md: the content of report.html with the PNG (or SVG)
// figures linked by relative paths.
func markdown(p *page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — CLV experiment report\n\n%s\n\n", mdText(p.Name), mdText(p.Subtitle))
	mdVerdict(&b, p)
	if len(p.Warnings) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, w := range p.Warnings {
			b.WriteString("- " + mdText(strings.Join(strings.Fields(w), " ")) + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("## Data and split\n\n")
	b.WriteString("**Where the data come from:** " + strings.Join(strings.Fields(p.DataSource), " "))
	if p.DataCommand != "" {
		b.WriteString(" Redraw them with `" + p.DataCommand + "`")
	}
	b.WriteString("\n\n")
	kv := func(title string, rows []keyValue) {
		var rs [][]string
		for _, r := range rows {
			rs = append(rs, []string{r.Key, r.Value})
		}
		mdTable(&b, []string{title, ""}, rs, true)
	}
	kv("Data", p.Data)
	kv("Split", p.Split)
	if len(p.Gates) > 0 {
		b.WriteString("## Quality gates\n\n")
		var rs [][]string
		for _, g := range p.Gates {
			res := "pass"
			if !g.Passed {
				res = "**FAIL**"
			}
			rs = append(rs, []string{g.Metric, g.Bounds, g.Value, res})
		}
		mdTable(&b, []string{"Metric", "Wanted", "Value", "Result"}, rs)
	}
	b.WriteString("## Models\n\n")
	var rs [][]string
	for _, f := range p.Fits {
		var ps []string
		for _, pr := range f.Params {
			s := pr.Name + " = " + pr.Value
			if pr.SE != "" {
				s += " (" + pr.SE + ")"
			}
			ps = append(ps, s)
		}
		params := strings.Join(ps, "; ")
		if f.Error != "" {
			params = "failed: " + f.Error
		}
		rs = append(rs, []string{f.Label, params, f.LogLik, f.AIC, f.BIC, f.Converged, f.Method, f.Iter})
	}
	mdTable(&b, []string{"Model", "Parameters (standard error)", "Log-likelihood", "AIC", "BIC", "Converged", "Method", "Iterations"}, rs)
	b.WriteString("Heuristics (Average, Retention, Hiatus) are not fitted by likelihood: their parameters are the quantities they compute from the data, without standard errors.\n\n")
	mdCovariates(&b, p)
	b.WriteString("## Scores on the holdout\n\n")
	metricTables := func(ts []metricTable, mark bool) {
		for _, t := range ts {
			fmt.Fprintf(&b, "### %s\n\n", t.Title)
			var rs [][]string
			for _, r := range t.Rows {
				row := []string{r.Model}
				for _, c := range r.Cells {
					if mark && c.Best {
						row = append(row, "**"+c.Text+"** ★")
					} else {
						row = append(row, c.Text)
					}
				}
				rs = append(rs, row)
			}
			mdTable(&b, append([]string{"Model"}, t.Columns...), rs)
		}
	}
	if len(p.Metrics) == 0 {
		b.WriteString("No model was scored.\n\n")
	}
	metricTables(p.Metrics, true)
	b.WriteString(p.BestNote + "\n\n")
	if t := p.Intervals; t != nil {
		b.WriteString("## " + t.Title + "\n\n")
		mdTable(&b, t.Columns, t.Rows)
		b.WriteString(p.IntervalNote + "\n\n")
	}
	if len(p.Backtest) > 0 {
		b.WriteString("## Backtest\n\n" + p.BacktestNote + "\n\n")
		metricTables(p.Backtest, false)
	}
	if len(p.CLV) > 0 {
		b.WriteString("## Customer lifetime value\n\n")
		var rs [][]string
		for _, c := range p.CLV {
			rs = append(rs, []string{c.Model, c.Total, c.Mean})
		}
		mdTable(&b, []string{"Model", "Total CLV", "Mean CLV per customer"}, rs)
	}
	if len(p.Segments) > 0 {
		b.WriteString("## Segments\n\n" + p.SegmentNote + "\n\n")
		for _, s := range p.Segments {
			fmt.Fprintf(&b, "### %s\n\n", mdText(s.Label))
			mdTable(&b, []string{"Group", "Customers", "Predicted", "Actual", "Share", "Lift"}, s.Rows)
		}
	}
	if len(p.Tiers) > 0 {
		b.WriteString("## Value tiers\n\n" + p.TierNote + "\n\n")
		for _, t := range p.Tiers {
			fmt.Fprintf(&b, "### %s\n\n", t.Label)
			mdTable(&b, t.Columns, t.Rows)
		}
	}
	b.WriteString("## Figures\n\n")
	if p.FigureNote != "" {
		b.WriteString(p.FigureNote + "\n\n")
	}
	for _, f := range p.Figures {
		if f.Image == "" {
			fmt.Fprintf(&b, "### %s\n\n*%s*\n\n", f.Title, f.Caption)
			continue
		}
		fmt.Fprintf(&b, "### %s\n\n![%s](%s)\n\n*%s*\n\n", f.Title, f.Title, f.Image, f.Caption)
	}
	return b.String()
}
