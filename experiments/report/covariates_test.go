package report

import (
	"math"
	"strings"
	"testing"

	"github.com/clv-dev/clv/experiments"
)

// TestRegularityAndCovariateBlocks renders the regular-buyers and
// covariates sections of a metrics file into Markdown.
func TestRegularityAndCovariateBlocks(t *testing.T) {
	mf := &experiments.MetricsFile{
		Regularity: &experiments.RegularityReport{WheatMorrisonK: 2.9, Customers: 812,
			ChosenK:          map[string]int{"bgcnbdk": 3, "mbgcnbdk": 2},
			LogLikelihoodByK: map[string][]experiments.Metric{"bgcnbdk": {-100, -90, -80.5, -85}}},
		Covariates: &experiments.CovariatesReport{File: "cov.csv", Customers: 500, SkippedCustomers: 2,
			Columns: []experiments.CovariateColumnReport{
				{Name: "channel", Process: "purchase", Type: "categorical", Reference: "web", ReferenceFromData: true, Levels: []string{"store", "web"}, Counts: map[string]int{"store": 200, "web": 300}},
				{Name: "age", Process: "both", Type: "numeric"}},
			Models: map[string]*experiments.CovariateModelReport{"bgnbd_cov": {Plain: "bgnbd", LogLikelihood: -990, PlainLogLikelihood: -1000,
				LRStatistic: 20, DF: 3, PValue: 1.7e-5, Effects: []experiments.CovariateEffect{
					{Process: "purchase", Name: "channel=store", Coefficient: 0.5, SE: 0.1, RateMultiplier: experiments.Metric(math.Exp(0.5)), LifetimeMultiplier: experiments.Metric(math.Exp(-0.5))},
					{Process: "dropout", Name: "age", Coefficient: 0.1, SE: 0.05, RateMultiplier: 1, LifetimeMultiplier: experiments.Metric(math.NaN()), Note: "expected lifetime infinite"}}}}},
	}
	p := &page{}
	p.Covariates, p.CovariateNotes = covariateBlocks(mf)
	p.Regularity = regularityBlocks(mf)
	var b strings.Builder
	mdCovariates(&b, p)
	md := b.String()
	for _, want := range []string{
		"k̂ = 2.9 from the last two inter-purchase times of 812 customers", "clearly above 1",
		"| bgcnbdk | 3 | -100 | -90 | -80.5 | -85 |", "| mbgcnbdk | 2 | k fixed (cnbdk.k) |",
		"LR = 20 on 3 degrees of freedom, p = 1.70e-05", "| purchase | channel=store | 0.5 | 0.1 | ×1.649 | ×0.6065 |",
		"| dropout | age | 0.1 | 0.05 | ×1 | ×– | expected lifetime infinite |",
		`reference level "web" (the most frequent level, chosen from the data; 300 customers)`, "2 customers of the log had no covariates",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
}
