package report

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
)

// WriteContractual writes report.html and report.md of a contractual run
// (a cohort's survivor counts) into dir: the data and split, each model's
// fit, the survival scores of the calibration and holdout periods, the
// cohort's valuation, gates, warnings and the figures already in
// dir/plots.
func WriteContractual(dir string, cm *experiments.ContractualMetrics) (*Result, error) {
	return writePage(dir, contractualPage(dir, cm))
}

// contractualPage builds the page of a contractual run.
func contractualPage(dir string, cm *experiments.ContractualMetrics) *page {
	d, s := cm.Data, cm.Split
	p := &page{Name: cm.Name}
	p.Subtitle = fmt.Sprintf("Survivor counts %s · a cohort of %s customers over periods 0–%d (%ss) · fitted on periods 0–%d",
		d.File, fmtNum(float64(d.CohortSize)), d.LastPeriod, s.Period, s.CalibrationPeriods)
	p.Data = []keyValue{
		{"Survivor counts", d.File},
		{"SHA-256", d.SHA256},
		{"Cohort size", fmtNum(float64(d.CohortSize))},
		{"Periods counted", strconv.Itoa(d.Periods)},
	}
	p.Split = []keyValue{
		{"Period", fmt.Sprintf("%s (%s days)", s.Period, fmtNum(s.PeriodDays))},
		{"Calibration periods", fmt.Sprintf("0–%d", s.CalibrationPeriods)},
		{"Holdout periods", strconv.Itoa(s.HoldoutPeriods)},
		{"Discount rate", fmt.Sprintf("%s per year (%s per %s)", fmtNum(s.DiscountRatePerYear), fmtNum(s.DiscountRatePerPeriod), s.Period)},
		{"Margin per period", fmtNum(s.Margin)},
	}
	names := make([]string, 0, len(cm.Models))
	for n := range cm.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	p.Warnings = append(p.Warnings, cm.Warnings...)
	for _, g := range cm.Gates {
		p.Gates = append(p.Gates, gateRowOf(g))
		if !g.Passed {
			p.Warnings = append(p.Warnings, g.Message)
		}
	}
	for _, n := range names {
		rep := cm.Models[n]
		p.Fits = append(p.Fits, fitRowOf(n, plot.Label(n), rep.Fit, rep.Error))
		if rep.CLV != nil {
			p.CLV = append(p.CLV, clvRow{Model: plot.Label(n), Total: fmtNum(float64(rep.CLV.Total)), Mean: fmtNum(float64(rep.CLV.PerSurvivor))})
		}
	}
	for _, target := range []string{experiments.TargetSurvival, experiments.TargetSurvivalCalibration} {
		if t := survivalTable(cm, names, target); len(t.Rows) > 0 {
			p.Metrics = append(p.Metrics, t)
		}
	}
	figs, fontCSS, warns := loadSVGFigures(dir)
	p.Figures, p.FontCSS = figs, template.CSS(fontCSS)
	p.Warnings = dedupe(append(p.Warnings, warns...))
	if len(figs) == 0 {
		p.FigureNote = "No figures: the run was made with output.plots off."
	}
	return p
}

// survivalTable tabulates the survival scores of one target, a row a model.
func survivalTable(cm *experiments.ContractualMetrics, names []string, target string) metricTable {
	title := "Holdout periods: projected against actual survivors"
	if target == experiments.TargetSurvivalCalibration {
		title = "Calibration periods: fitted against actual survivors"
	}
	t := metricTable{Title: title, Columns: experiments.SurvivalMetricNames()}
	for _, n := range names {
		rep := cm.Models[n]
		sc := rep.Survival
		if target == experiments.TargetSurvivalCalibration {
			sc = rep.Calibration
		}
		if sc == nil {
			continue
		}
		row := metricRow{Model: plot.Label(n)}
		for _, c := range t.Columns {
			v, _ := sc.Value(c)
			row.Cells = append(row.Cells, cell{Text: fmtNum(v)})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// loadSVGFigures inlines every SVG figure of dir/plots, by file name.
func loadSVGFigures(dir string) (figs []figure, fontCSS string, warnings []string) {
	paths, _ := filepath.Glob(filepath.Join(dir, plot.Dir, "*.svg"))
	sort.Strings(paths)
	seen := map[string]bool{}
	var fonts []string
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".svg")
		raw, err := os.ReadFile(path)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("figure %s: %v", name, err))
			continue
		}
		svg, faces, err := inlineSVG(string(raw), name)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("figure %s: %v", name, err))
			continue
		}
		for _, ff := range faces {
			if !seen[ff] {
				seen[ff] = true
				fonts = append(fonts, ff)
			}
		}
		title := strings.ReplaceAll(name, "_", " ")
		figs = append(figs, figure{Name: name, Title: title, Caption: "Observed, fitted and projected: " + title + ".", SVG: template.HTML(svg), Image: figureFile(dir, name)})
	}
	return figs, strings.Join(fonts, "\n"), warnings
}
