package experiments

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/datasets"
)

// CompareRow is one model's scores on one target in one run, as clv compare
// reads them from a run's metrics.json. Metrics maps metric names (normally
// MetricNames) to values; NaN stands for an undefined value.
type CompareRow struct {
	Run     string             `json:"run"`
	Model   string             `json:"model"`
	Target  string             `json:"target"`
	Metrics map[string]float64 `json:"metrics"`
	// Origin is the calibration end of a rolling backtest's window other
	// than the main one (empty for the main window). Such rows show how
	// stable a model's scores are and are never marked best.
	Origin string `json:"origin,omitempty"`
}

// ComparedRow is a CompareRow placed in a Comparison, with the metrics for
// which it holds the best value of its target, in column order.
type ComparedRow struct {
	CompareRow
	Best []string
}

// Comparison is the table of clv compare: models × metrics across runs.
//
// Columns holds every metric name found in the rows: those of MetricNames
// first, in that order, then any others sorted. Rows are ordered by target
// name and, within a target, kept in the order given.
//
// The best value of a metric is chosen among the rows of the same target,
// since purchases and revenue are on different scales: the lowest |bias|,
// the lowest mae, rmse and msle, and the highest pearson, spearman,
// top10_share, top20_share and gini. Every row that ties for best is marked.
// A metric is marked only when at least two rows of the target hold a
// defined (finite) value for it; the other columns (customers, totals,
// unknown names) are never marked.
type Comparison struct {
	Columns []string
	Rows    []ComparedRow
}

// goodness maps a metric value to a number that is larger for better
// values, and reports whether the metric has a best at all.
func goodness(metric string, v float64) (float64, bool) {
	switch metric {
	case "bias":
		return -math.Abs(v), true
	case "mae", "rmse", "msle":
		return -v, true
	case "pearson", "spearman", "top10_share", "top20_share", "gini":
		return v, true
	}
	return 0, false
}

// CompareTable orders the rows, collects the metric columns and marks the
// best value per target and metric (see Comparison). It does not modify
// rows.
func CompareTable(rows []CompareRow) Comparison {
	var c Comparison
	seen := map[string]bool{}
	var extra []string
	for _, r := range rows {
		for name := range r.Metrics {
			if !seen[name] {
				seen[name] = true
				if !slices.Contains(scoreNames, name) {
					extra = append(extra, name)
				}
			}
		}
	}
	for _, name := range scoreNames {
		if seen[name] {
			c.Columns = append(c.Columns, name)
		}
	}
	slices.Sort(extra)
	c.Columns = append(c.Columns, extra...)

	c.Rows = make([]ComparedRow, len(rows))
	for k, r := range rows {
		c.Rows[k] = ComparedRow{CompareRow: r}
	}
	slices.SortStableFunc(c.Rows, func(a, b ComparedRow) int { return cmp.Compare(a.Target, b.Target) })

	for start := 0; start < len(c.Rows); {
		end := start + 1
		for end < len(c.Rows) && c.Rows[end].Target == c.Rows[start].Target {
			end++
		}
		group := c.Rows[start:end]
		for _, col := range c.Columns {
			if _, has := goodness(col, 0); !has {
				continue
			}
			best, count := math.Inf(-1), 0
			for _, r := range group {
				if r.Origin != "" {
					continue
				}
				v, ok := r.Metrics[col]
				if !ok || !Metric(v).Defined() {
					continue
				}
				g, _ := goodness(col, v)
				count++
				best = max(best, g)
			}
			if count < 2 {
				continue
			}
			for k := range group {
				if group[k].Origin != "" {
					continue
				}
				v, ok := group[k].Metrics[col]
				if !ok || !Metric(v).Defined() {
					continue
				}
				if g, _ := goodness(col, v); g == best {
					group[k].Best = append(group[k].Best, col)
				}
			}
		}
		start = end
	}
	return c
}

// CompareFormats returns the formats WriteComparison writes.
func CompareFormats() []string { return []string{"markdown", "csv", "json"} }

// WriteComparison writes CompareTable(rows) to w in one of CompareFormats:
//
//   - markdown: a table with columns run, model, target and one per metric;
//     values rounded to four significant digits (integers in full, no
//     trailing zeros, see the golden file testdata/compare.md), the
//     best value per target and metric followed by "*", an undefined value
//     written NaN and a missing one left empty; a legend line follows the
//     table.
//   - csv: a header row run, model, target, the metrics and best, then one
//     record per row with the values in full (shortest round-trip form),
//     NaN for undefined and empty for missing, and best holding the names
//     of the metrics the row is best at, separated by ";".
//   - json: {"columns": [...], "rows": [{"run", "model", "target",
//     "metrics": {name: value}, "best": [names]}]}, indented by two
//     spaces, undefined values as null and missing ones absent.
//
// The output depends only on rows, byte for byte.
func WriteComparison(w io.Writer, rows []CompareRow, format string) error {
	c := CompareTable(rows)
	var err error
	switch format {
	case "markdown":
		err = writeMarkdown(w, c)
	case "csv":
		err = writeCSV(w, c)
	case "json":
		err = writeJSON(w, c)
	default:
		return fmt.Errorf("compare: unknown format %q (want one of %s)", format, strings.Join(CompareFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("compare: writing %s: %w", format, err)
	}
	return nil
}

// markdownCell escapes a text cell of a markdown table.
func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// roundedNumber writes v for reading: integers below 10^15 in full, other
// values rounded to four significant digits, in fixed notation without
// trailing zeros between 10^-4 and 10^15 and in exponent notation outside.
func roundedNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a < 1e15 && v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e-4 && a < 1e15:
		decimals := max(0, 3-int(math.Floor(math.Log10(a))))
		s := strconv.FormatFloat(v, 'f', decimals, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func writeMarkdown(w io.Writer, c Comparison) error {
	var b strings.Builder
	b.WriteString("| run | model | target |")
	for _, col := range c.Columns {
		b.WriteString(" " + markdownCell(col) + " |")
	}
	b.WriteString("\n| --- | --- | --- |")
	for range c.Columns {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, r := range c.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s |", markdownCell(r.Run), markdownCell(r.Model), markdownCell(r.Target))
		for _, col := range c.Columns {
			v, ok := r.Metrics[col]
			switch {
			case !ok:
				b.WriteString(" |")
				continue
			case !Metric(v).Defined():
				b.WriteString(" NaN")
			default:
				b.WriteString(" " + roundedNumber(v))
			}
			if slices.Contains(r.Best, col) {
				b.WriteString("*")
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n`*` best per target and metric: lowest |bias|, mae, rmse, msle; " +
		"highest pearson, spearman, top10_share, top20_share, gini.\n")
	if slices.ContainsFunc(c.Rows, func(r ComparedRow) bool { return r.Origin != "" }) {
		b.WriteString("Rows whose run ends in `origin DATE` are a rolling backtest's other windows " +
			"(calibration to DATE, holdout of the main window's length): they show how stable the scores are and are never marked best.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCSV(w io.Writer, c Comparison) error {
	cw := csv.NewWriter(w)
	header := append([]string{"run", "model", "target"}, c.Columns...)
	if err := cw.Write(append(header, "best")); err != nil {
		return err
	}
	for _, r := range c.Rows {
		rec := []string{datasets.SpreadsheetSafe(r.Run), r.Model, r.Target}
		for _, col := range c.Columns {
			v, ok := r.Metrics[col]
			switch {
			case !ok:
				rec = append(rec, "")
			case !Metric(v).Defined():
				rec = append(rec, "NaN")
			default:
				rec = append(rec, formatFloat(v))
			}
		}
		rec = append(rec, strings.Join(r.Best, ";"))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonComparison and jsonCompareRow are the JSON layout of a Comparison.
type jsonComparison struct {
	Columns []string         `json:"columns"`
	Rows    []jsonCompareRow `json:"rows"`
}

type jsonCompareRow struct {
	Run     string            `json:"run"`
	Model   string            `json:"model"`
	Target  string            `json:"target"`
	Metrics map[string]Metric `json:"metrics"`
	Best    []string          `json:"best"`
}

func writeJSON(w io.Writer, c Comparison) error {
	out := jsonComparison{Columns: c.Columns, Rows: make([]jsonCompareRow, len(c.Rows))}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	for k, r := range c.Rows {
		jr := jsonCompareRow{
			Run: r.Run, Model: r.Model, Target: r.Target,
			Metrics: make(map[string]Metric, len(r.Metrics)),
			Best:    r.Best,
		}
		for name, v := range r.Metrics {
			jr.Metrics[name] = Metric(v)
		}
		if jr.Best == nil {
			jr.Best = []string{}
		}
		out.Rows[k] = jr
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// CompareRows turns a run's scores into the rows of a comparison, one per
// model and target, sorted by model and then target, each holding every
// metric of MetricNames.
func (s ScoreSet) CompareRows(run string) []CompareRow {
	var out []CompareRow
	for model, targets := range s {
		for target, sc := range targets {
			out = append(out, CompareRow{Run: run, Model: model, Target: target, Metrics: sc.Values()})
		}
	}
	slices.SortFunc(out, func(a, b CompareRow) int {
		if c := cmp.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return cmp.Compare(a.Target, b.Target)
	})
	return out
}

// CompareRows returns the rows of a results folder's metrics for clv
// compare, labelled run: the main window's (see ScoreSet.CompareRows),
// then, for a rolling-origin run, those of every other backtest window in
// order, labelled "run origin CALIBRATION_END" and with Origin set.
func (mf *MetricsFile) CompareRows(run string) []CompareRow {
	rows := mf.ScoreSet().CompareRows(run)
	if mf.Backtest == nil {
		return rows
	}
	for _, w := range mf.Backtest.Windows {
		if w.Main {
			continue
		}
		origin := ScoreSet(w.Scores).CompareRows(run + " origin " + w.CalibrationEnd)
		for k := range origin {
			origin[k].Origin = w.CalibrationEnd
		}
		rows = append(rows, origin...)
	}
	return rows
}
