package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
	"github.com/clv-dev/clv/models"
)

// covariateNoteText explains the covariates section once.
const covariateNoteText = "Covariate models (CLVTools' parametrization): customer i has α_i = α·exp(−γ_P'z) and a_i, b_i = a, b·exp(γ_D'z). " +
	"A one-unit rise of a purchase covariate multiplies the mean purchase rate by e^γ_P and the expected lifetime by e^−γ_P (the same purchases, made faster); " +
	"a dropout covariate leaves the purchase rate and the mean dropout probability a/(a+b) unchanged and changes the expected lifetime through how concentrated the dropout probability is (undefined, –, when a ≤ 1 makes the mean lifetime infinite). " +
	"Multipliers are for a customer whose other covariates are 0. The likelihood-ratio test compares each model with its plain model on the same customers: 2(ℓ_cov − ℓ_plain) against χ² with one degree of freedom per coefficient."

// covariateBlocks returns one table per covariate model (its coefficients
// and their effects, the likelihood-ratio test in the summary) and the
// notes: how each column was coded, and what the numbers mean.
func covariateBlocks(mf *experiments.MetricsFile) ([]verdictBlock, []string) {
	c := mf.Covariates
	if c == nil {
		return nil, nil
	}
	names := make([]string, 0, len(c.Models))
	for n := range c.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	var blocks []verdictBlock
	reg := models.NewRegistry()
	for _, n := range names {
		m := c.Models[n]
		b := verdictBlock{Title: reg.Label(models.KindPurchase, n) + ": coefficients",
			Columns: []string{"Process", "Covariate", "Coefficient γ", "SE", "Purchase rate ×", "Expected lifetime ×", "Note"}}
		b.Summary = fmt.Sprintf("Likelihood-ratio test against %s: LR = %s on %d degrees of freedom, p = %s (log-likelihood %s against %s).",
			plot.Label(m.Plain), fmtNum(float64(m.LRStatistic)), m.DF, fmtP(float64(m.PValue)), fmtNum(float64(m.LogLikelihood)), fmtNum(float64(m.PlainLogLikelihood)))
		if m.Error != "" {
			b.Summary = "No likelihood-ratio test: " + m.Error
		}
		for _, e := range m.Effects {
			b.Rows = append(b.Rows, []string{e.Process, e.Name, fmtNum(float64(e.Coefficient)), fmtNum(float64(e.SE)),
				"×" + fmtNum(float64(e.RateMultiplier)), "×" + fmtNum(float64(e.LifetimeMultiplier)), e.Note})
		}
		blocks = append(blocks, b)
	}
	notes := []string{codingNote(c), covariateNoteText}
	return blocks, notes
}

// codingNote says how each covariate column was coded.
func codingNote(c *experiments.CovariatesReport) string {
	var parts []string
	for _, col := range c.Columns {
		s := fmt.Sprintf("%s (%s, on %s)", col.Name, col.Type, processWords(col.Process))
		if col.Type == "categorical" {
			how := "as the config states"
			if col.ReferenceFromData {
				how = "the most frequent level, chosen from the data"
			}
			s += fmt.Sprintf(": reference level %q (%s; %d customers), one dummy %s=LEVEL for each of %s", col.Reference, how,
				col.Counts[col.Reference], col.Name, quoteOthers(col.Levels, col.Reference))
		} else {
			s += ": as given, one coefficient per unit"
		}
		parts = append(parts, s)
	}
	note := fmt.Sprintf("Covariates from %s (%s customers): %s.", c.File, fmtNum(float64(c.Customers)), strings.Join(parts, "; "))
	if c.SkippedCustomers > 0 {
		note += fmt.Sprintf(" %s customers of the log had no covariates and were left out of every model (data.on_bad_row: skip).", fmtNum(float64(c.SkippedCustomers)))
	}
	return note
}

func processWords(p string) string {
	if p == "both" {
		return "the purchase and the dropout process"
	}
	return "the " + p + " process"
}

func quoteOthers(levels []string, ref string) string {
	var out []string
	for _, l := range levels {
		if l != ref {
			out = append(out, strconv.Quote(l))
		}
	}
	return strings.Join(out, ", ")
}

// fmtP writes a p-value: small ones in scientific notation.
func fmtP(p float64) string {
	if p > 0 && p < 1e-4 {
		return strconv.FormatFloat(p, 'e', 2, 64)
	}
	return fmtNum(p)
}

// regularityBlocks returns the regular-buyers table: Wheat & Morrison's
// k̂ in the summary, and each Erlang-k model's log-likelihood by k.
func regularityBlocks(mf *experiments.MetricsFile) []verdictBlock {
	r := mf.Regularity
	if r == nil {
		return nil
	}
	b := verdictBlock{Title: "Regular buyers"}
	if r.Note != "" {
		b.Summary = "Wheat & Morrison's regularity: not estimated (" + r.Note + ")."
	} else {
		b.Summary = fmt.Sprintf("Wheat & Morrison's regularity k̂ = %s from the last two inter-purchase times of %d customers with at least two repeat purchases: ",
			fmtNum(float64(r.WheatMorrisonK)), r.Customers)
		if float64(r.WheatMorrisonK) < 1.5 {
			b.Summary += "about 1, as irregular as a Poisson process, so the NBD models suffice."
		} else {
			b.Summary += "clearly above 1, regular buyers, for whom the Erlang-k models (BG/CNBD-k, MBG/CNBD-k) are worth trying."
		}
	}
	names := make([]string, 0, len(r.ChosenK))
	kMax := 0
	for n := range r.ChosenK {
		names = append(names, n)
		kMax = max(kMax, len(r.LogLikelihoodByK[n]))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []verdictBlock{b}
	}
	b.Columns = []string{"Model", "k"}
	for k := 1; k <= kMax; k++ {
		b.Columns = append(b.Columns, fmt.Sprintf("ℓ at k = %d", k))
	}
	for _, n := range names {
		row := []string{plot.Label(n), strconv.Itoa(r.ChosenK[n])}
		ll := r.LogLikelihoodByK[n]
		for k := range kMax {
			switch {
			case ll == nil && k == 0:
				row = append(row, "k fixed (cnbdk.k)")
			case k < len(ll):
				row = append(row, fmtNum(float64(ll[k])))
			default:
				row = append(row, "")
			}
		}
		b.Rows = append(b.Rows, row)
	}
	return []verdictBlock{b}
}

// mdCovariates writes the covariates and regular-buyers sections of
// report.md.
func mdCovariates(b *strings.Builder, p *page) {
	if len(p.Covariates) > 0 {
		b.WriteString("## Covariates\n\n")
		mdBlocks(b, "### ", p.Covariates, p.CovariateNotes)
	}
	mdBlocks(b, "## ", p.Regularity, nil)
}
