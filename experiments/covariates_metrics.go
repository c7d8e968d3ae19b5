package experiments

import (
	"fmt"

	"github.com/clv-dev/clv/models"
)

// CovariatesReport is metrics.json's covariates section: the file, how
// each column was coded, and for each covariate model its coefficients,
// what a one-unit change does, and the likelihood-ratio test against the
// plain model.
type CovariatesReport struct {
	File string `json:"file"`
	// Customers counts the file's rows; SkippedCustomers the customers of
	// the log's main window left out for want of covariates (data.on_bad_row:
	// skip), FirstSkipped the first of them.
	Customers        int    `json:"customers"`
	SkippedCustomers int    `json:"skipped_customers,omitempty"`
	FirstSkipped     string `json:"first_skipped,omitempty"`
	// Columns says how each column was coded; Coded names the coded
	// columns (a numeric column's name, column=level for each dummy).
	Columns []CovariateColumnReport          `json:"columns"`
	Coded   []string                         `json:"coded"`
	Models  map[string]*CovariateModelReport `json:"models"`
}

// CovariateColumnReport is one column of the covariates file as coded.
type CovariateColumnReport struct {
	Name    string `json:"name"`
	Process string `json:"process"`
	Type    string `json:"type"`
	// Reference is a categorical column's reference level, chosen as the
	// most frequent when ReferenceFromData; Levels its sorted levels and
	// Counts the customers at each.
	Reference         string         `json:"reference,omitempty"`
	ReferenceFromData bool           `json:"reference_from_data,omitempty"`
	Levels            []string       `json:"levels,omitempty"`
	Counts            map[string]int `json:"counts,omitempty"`
}

// CovariateModelReport is one covariate model's coefficients and its
// likelihood-ratio test against the plain model on the same customers:
// LR = 2(ℓ_cov − ℓ_plain), χ² with DF (the number of coefficients)
// degrees of freedom under the plain model; PValue its upper tail.
type CovariateModelReport struct {
	Plain              string            `json:"plain"`
	LogLikelihood      Metric            `json:"log_likelihood"`
	PlainLogLikelihood Metric            `json:"plain_log_likelihood"`
	LRStatistic        Metric            `json:"lr_statistic"`
	DF                 int               `json:"lr_df"`
	PValue             Metric            `json:"lr_p_value"`
	Effects            []CovariateEffect `json:"effects"`
	// Error says why the test could not be made.
	Error string `json:"error,omitempty"`
}

// CovariateEffect is what a one-unit rise of one covariate does (see
// models.CovariateEffect): the purchase-rate and expected-lifetime
// multipliers.
type CovariateEffect struct {
	Process            string `json:"process"`
	Name               string `json:"name"`
	Coefficient        Metric `json:"coefficient"`
	SE                 Metric `json:"se"`
	RateMultiplier     Metric `json:"rate_multiplier"`
	LifetimeMultiplier Metric `json:"lifetime_multiplier"`
	Note               string `json:"note,omitempty"`
}

// covariatesReport builds the covariates section from the main window
// (nil without covariates).
func covariatesReport(cfg *Config, reg *models.Registry, wr *windowResult) *CovariatesReport {
	rc := cfg.Resolved.covariates
	if rc == nil {
		return nil
	}
	t := rc.table
	out := &CovariatesReport{File: t.Path, Customers: t.Len(), Coded: t.Coded, Models: map[string]*CovariateModelReport{}}
	rc.mu.Lock()
	out.SkippedCustomers, out.FirstSkipped = rc.skipped[wr.window.CalibrationEnd], rc.skippedFirst[wr.window.CalibrationEnd]
	rc.mu.Unlock()
	for _, c := range rc.cfg.Columns {
		cr := CovariateColumnReport{Name: c.Name, Process: orDefault(c.Process, covProcessBoth), Type: orDefault(c.Type, covTypeNumeric)}
		if cr.Type == covTypeCategorical {
			cr.Reference, cr.ReferenceFromData = t.Reference[c.Name], t.ReferenceFromData[c.Name]
			cr.Levels, cr.Counts = t.Levels[c.Name], t.LevelCounts[c.Name]
		}
		out.Columns = append(out.Columns, cr)
	}
	for _, name := range covariateModels(cfg, reg) {
		cf, ok := wr.fits[name].(*covariateFit)
		if !ok {
			continue
		}
		desc, _ := reg.Lookup(models.KindPurchase, name)
		out.Models[name] = covariateModelReport(desc.Plain, cf.fit)
	}
	return out
}

// covariateModelReport reports one fitted covariate model.
func covariateModelReport(plain string, f models.FittedCovariates) *CovariateModelReport {
	res := f.Result()
	effects := f.Effects()
	mr := &CovariateModelReport{Plain: plain, LogLikelihood: Metric(res.LogLikelihood), PlainLogLikelihood: Metric(f.PlainLL()), DF: len(effects)}
	stat, p, err := models.LikelihoodRatioTest(res.LogLikelihood, f.PlainLL(), len(effects))
	mr.LRStatistic, mr.PValue = Metric(stat), Metric(p)
	if err != nil {
		mr.Error = err.Error()
	}
	for _, e := range effects {
		mr.Effects = append(mr.Effects, CovariateEffect{Process: e.Process, Name: e.Name, Coefficient: Metric(e.Coefficient), SE: Metric(e.SE),
			RateMultiplier: Metric(e.RateMultiplier), LifetimeMultiplier: Metric(e.LifetimeMultiplier), Note: e.Note})
	}
	return mr
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// RegularityReport is metrics.json's regularity section, written when an
// Erlang-k model runs: Wheat & Morrison's estimate of the regularity k
// from the customers' last two inter-purchase times (near 1: as irregular
// as a Poisson process; clearly above 1: regular buyers), and each
// Erlang-k model's maximized log-likelihood by k (k = 1, 2, …; null where
// that fit failed) with the k chosen.
type RegularityReport struct {
	WheatMorrisonK   Metric              `json:"wheat_morrison_k"`
	Customers        int                 `json:"customers"`
	Note             string              `json:"note,omitempty"`
	LogLikelihoodByK map[string][]Metric `json:"log_likelihood_by_k,omitempty"`
	ChosenK          map[string]int      `json:"k,omitempty"`
}

// regularityReport builds the regularity section from the main window
// (nil when no Erlang-k model runs).
func regularityReport(cfg *Config, wr *windowResult) *RegularityReport {
	var names []string
	for _, m := range cfg.Models {
		if models.NeedsInterPurchase(m) {
			names = append(names, m)
		}
	}
	if len(names) == 0 || !wr.summary.HasInterPurchase {
		return nil
	}
	shares := make([]float64, 0, len(wr.summary.Customers))
	for _, c := range wr.summary.Customers {
		shares = append(shares, c.LastIntervalShare)
	}
	out := &RegularityReport{}
	k, n, err := models.RegularityWheatMorrison(shares)
	out.WheatMorrisonK, out.Customers = Metric(k), n
	if err != nil {
		out.Note = err.Error()
	}
	for _, name := range names {
		f, ok := wr.fits[name].(*models.FittedCNBDK)
		if !ok {
			continue
		}
		if out.ChosenK == nil {
			out.ChosenK, out.LogLikelihoodByK = map[string]int{}, map[string][]Metric{}
		}
		out.ChosenK[name] = f.K
		if f.LogLikelihoodByK != nil {
			ll := make([]Metric, len(f.LogLikelihoodByK))
			for i, v := range f.LogLikelihoodByK {
				ll[i] = Metric(v)
			}
			out.LogLikelihoodByK[name] = ll
		}
	}
	return out
}

// covariateSkipWarning is the warning of customers left out for want of
// covariates.
func (r *CovariatesReport) skipWarning() string {
	if r == nil || r.SkippedCustomers == 0 {
		return ""
	}
	return fmt.Sprintf("%d customers of the log have no row in the covariates file (the first: %q) and were left out of every model (data.on_bad_row: skip)", r.SkippedCustomers, r.FirstSkipped)
}
