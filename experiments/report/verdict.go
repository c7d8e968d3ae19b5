package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
)

// verdictBlock is one target's verdict: the best model and every other
// model's difference with the best.
type verdictBlock struct {
	Title   string
	Summary string
	Columns []string
	Rows    [][]string
}

// verdictNotes explain the verdict once.
const (
	verdictMetricNote = "The primary metric is the squared error per customer (verdict.metric): every model here predicts the mean purchases of each customer, and the squared error is the loss whose expectation the true mean minimizes (Gneiting 2011), so it ranks forecasts of the mean honestly. " +
		"MAE is minimized by the median instead, which for sparse purchase counts is 0: on such data MAE (and MSLE) reward predicting zero, so a model that predicts far too few purchases can win them; read them with the cohort bias. " +
		"The difference of each model with the best is its mean loss minus the best's, with a 95% percentile interval from a paired bootstrap over the customers (every resample scores all models on the same customers; seeded by the config's seed; above 131,072 customers the resampled units are 32,768 random batches of customers, the batch-means bootstrap). A model whose interval covers 0 is indistinguishable from the best on these data."
	intervalNoteText = "Per-customer intervals of holdout purchases from each model's own predictive distribution P(X = y | history), mixed over draws of the parameters from their asymptotic normal (parameter uncertainty); the cohort total's interval mixes over the same draws. " +
		"Coverage is scored by the randomized probability integral transform (Czado, Gneiting & Held 2009): the share of customers whose u = F(y−1) + V·P(y), V uniform, lies in the central L of (0, 1); an honest model scores L. Within bounds is the share inside the integer bounds, at least L for counts (often far above it, as P(0) alone can exceed the upper tail). " +
		"With the Gamma-Gamma spend model, the revenue rows score intervals of each customer's holdout revenue: the purchase distribution above combined with the Gamma-Gamma posterior of the customer's mean spend (exact given the purchase count; the spend parameters at their estimate), scored by the PIT of the revenue (randomized only at 0). The predictions also carry the spend interval (the posterior of the mean spend) and a CLV interval (the revenue over the CLV horizon times the margin and the customer's mean discount factor per purchase). " +
		"The heuristics (Average, Retention, Hiatus) have no predictive distribution and get no intervals."
)

// verdictBlocks returns the verdict of each target and its notes (none
// for a run without a verdict).
func verdictBlocks(mf *experiments.MetricsFile) ([]verdictBlock, []string) {
	v := mf.Verdict
	if v == nil {
		return nil, nil
	}
	var blocks []verdictBlock
	for _, target := range []string{experiments.TargetPurchases, experiments.TargetRevenue} {
		tv := v.Targets[target]
		if tv == nil {
			continue
		}
		b := verdictBlock{Title: "Which model wins on " + targetTitle(target)}
		if tv.Error != "" {
			b.Summary = "No verdict: " + tv.Error
			blocks = append(blocks, b)
			continue
		}
		resampled := fmt.Sprintf("%d resamples", tv.Resamples)
		if tv.Batches > 0 {
			resampled += fmt.Sprintf(" of %d random batches of customers", tv.Batches)
		}
		b.Summary = fmt.Sprintf("Best: %s%s, mean %s %s over %s customers (%s).",
			plot.Label(tv.Best), biasMark(tv, tv.Best), strings.ReplaceAll(tv.Metric, "_", " "), fmtNum(tv.BestLoss), fmtNum(tv.Customers), resampled)
		if names := indistinguishable(tv); len(names) > 0 {
			b.Summary += " Indistinguishable from it: " + strings.Join(names, ", ") + "."
		}
		b.Columns = []string{"Model", "Difference with the best", fmt.Sprintf("%.0f%% interval", tv.Level*100), "Verdict"}
		ranks := map[string]experiments.OriginRank{}
		if len(tv.Origins) > 0 {
			b.Columns = append(b.Columns, "Mean rank over origins ("+tv.OriginMetric+")", "Wins")
			for _, r := range tv.Origins {
				ranks[r.Model] = r
			}
		}
		row := func(model, diff, interval, verdict string) []string {
			r := []string{plot.Label(model) + biasMark(tv, model), diff, interval, verdict}
			if len(tv.Origins) > 0 {
				if o, ok := ranks[model]; ok && o.Origins > 0 {
					r = append(r, fmtNum(o.MeanRank), fmtNum(o.Wins)+" of "+strconv.Itoa(o.Origins))
				} else {
					r = append(r, "–", "–")
				}
			}
			return r
		}
		b.Rows = append(b.Rows, row(tv.Best, "0", "–", "best"))
		for _, c := range tv.Others {
			verdict := "worse"
			if c.Indistinguishable {
				verdict = "indistinguishable"
			}
			b.Rows = append(b.Rows, row(c.Model, "+"+fmtNum(c.Difference), "["+fmtNum(c.Lower)+", "+fmtNum(c.Upper)+"]", verdict))
		}
		for _, m := range sortedKeys(tv.Excluded) {
			b.Rows = append(b.Rows, row(m, "–", "–", "left out: "+tv.Excluded[m]))
		}
		blocks = append(blocks, b)
	}
	notes := []string{verdictMetricNote}
	if lc := v.Likelihood; lc != nil {
		var labels []string
		for _, m := range lc.Models {
			labels = append(labels, plot.Label(m))
		}
		n := fmt.Sprintf("AIC and BIC compare only models fitted by maximum likelihood on the same data (%s): %s.", lc.Data, strings.Join(labels, ", "))
		if len(lc.Models) > 1 {
			n += fmt.Sprintf(" Lowest AIC: %s; lowest BIC: %s. The heuristics and the retention model (fitted on activity periods) are not comparable by them.", plot.Label(lc.BestAIC), plot.Label(lc.BestBIC))
		}
		notes = append(notes, n)
	}
	return blocks, notes
}

// biasMark marks a model whose cohort bias on the target is beyond ±50%.
func biasMark(tv *experiments.TargetVerdict, model string) string {
	for _, m := range tv.LargeBias {
		if m == model {
			return fmt.Sprintf(" ⚠ bias beyond ±%.0f%%", experiments.LargeBias*100)
		}
	}
	return ""
}

func indistinguishable(tv *experiments.TargetVerdict) []string {
	var out []string
	for _, c := range tv.Others {
		if c.Indistinguishable {
			out = append(out, plot.Label(c.Model))
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// largeBiasLabel returns the label of a model in a score table, marked
// when its cohort bias on the target is beyond ±50%.
func largeBiasLabel(mf *experiments.MetricsFile, target, model string) string {
	if mf.Verdict != nil && mf.Verdict.Targets[target] != nil {
		return plot.Label(model) + biasMark(mf.Verdict.Targets[target], model)
	}
	return plot.Label(model)
}

// intervalTable returns the interval metrics of the main window, one row
// per model and level, and the note (nil without intervals).
func intervalTable(mf *experiments.MetricsFile, order []string) (*verdictBlock, string) {
	iv := mf.Intervals
	if iv == nil {
		return nil, ""
	}
	t := &verdictBlock{Title: "Prediction intervals of holdout purchases (and revenue)",
		Columns: []string{"Model", "Level", "Coverage (randomized PIT)", "Within integer bounds", "Cohort total interval", "Actual total", "Total inside"}}
	for _, m := range order {
		mi := iv.Models[m]
		switch {
		case mi == nil && iv.Without[m] != "":
			t.Rows = append(t.Rows, []string{plot.Label(m), "–", "–", "–", "–", "–", "no intervals: " + iv.Without[m]})
		case mi == nil:
		case mi.Error != "":
			t.Rows = append(t.Rows, []string{plot.Label(m), "–", "–", "–", "–", "–", "failed: " + mi.Error})
		default:
			for _, l := range iv.Levels {
				s, ok := mi.Scores[experiments.LevelTarget(l)]
				if !ok {
					continue
				}
				inside := "no"
				if s.TotalCovered == 1 {
					inside = "yes"
				}
				coverage := fmtNum(float64(s.Coverage))
				if sp, ok := iv.Backtest[m][experiments.LevelTarget(l)]["coverage"]; ok && sp.Windows > 1 {
					coverage += fmt.Sprintf(" (over %d origins: %s ± %s)", sp.Windows, fmtNum(float64(sp.Mean)), fmtNum(float64(sp.SD)))
				}
				t.Rows = append(t.Rows, []string{plot.Label(m), fmtNum(l), coverage, fmtNum(float64(s.WithinBounds)),
					"[" + fmtNum(float64(s.TotalLower)) + ", " + fmtNum(float64(s.TotalUpper)) + "]", fmtNum(float64(s.ActualTotal)), inside})
				if rs, ok := mi.Scores[experiments.RevenueTarget(l)]; ok {
					inside := "no"
					if rs.TotalCovered == 1 {
						inside = "yes"
					}
					t.Rows = append(t.Rows, []string{plot.Label(m) + ", revenue", fmtNum(l), fmtNum(float64(rs.Coverage)), fmtNum(float64(rs.WithinBounds)),
						"[" + fmtNum(float64(rs.TotalLower)) + ", " + fmtNum(float64(rs.TotalUpper)) + "]", fmtNum(float64(rs.ActualTotal)), inside})
				}
			}
		}
	}
	note := intervalNoteText + fmt.Sprintf(" Parameter draws: %d. Gate on them as model.%s.coverage (or within_bounds, total_covered; model.revenue_%s.coverage for revenue).", iv.Draws, experiments.LevelTarget(iv.Levels[0]), experiments.LevelTarget(iv.Levels[0]))
	return t, note
}

// weakWarnings warns of weakly identified fits.
func weakWarnings(mf *experiments.MetricsFile) []string {
	if mf.Verdict == nil {
		return nil
	}
	var out []string
	for _, m := range mf.Verdict.WeaklyIdentified {
		out = append(out, fmt.Sprintf("%s is weakly identified: some parameter's standard error exceeds its value, or the information matrix is near-singular; the data pin its estimates only loosely (its intervals, when drawn, are wide)",
			plot.Label(strings.TrimPrefix(m, "spend:"))))
	}
	return out
}

// mdVerdict writes the verdict section of report.md.
func mdVerdict(b *strings.Builder, p *page) {
	if len(p.Verdict) == 0 {
		return
	}
	b.WriteString("## Verdict\n\n")
	mdBlocks(b, "### ", p.Verdict, p.VerdictNotes)
}

// mdBlocks writes blocks under headings of the given level, then the
// notes.
func mdBlocks(b *strings.Builder, heading string, blocks []verdictBlock, notes []string) {
	for _, v := range blocks {
		b.WriteString(heading + mdText(v.Title) + "\n\n" + mdText(v.Summary) + "\n\n")
		if len(v.Rows) > 0 {
			mdTable(b, v.Columns, v.Rows)
		}
	}
	for _, n := range notes {
		b.WriteString(mdText(n) + "\n\n")
	}
}
