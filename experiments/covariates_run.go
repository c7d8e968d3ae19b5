package experiments

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// Covariates in a run.
//
// A config's covariates file is read once (on first use, then kept in
// Resolved) and coded as the datasets package codes it. Every summary the
// run makes is restricted to the customers with covariates: a customer of
// the log missing from the file fails the run, naming the customer and the
// fix, or with data.on_bad_row: skip is left out of every model (so that
// all are scored on the same customers) and counted. The covariate models
// fit on one row per customer (their customers differ by covariates, so
// identical histories do not merge) and predict each customer with her
// own plain model (models.FittedCovariates.Customer), customer by
// customer.

// runCovariates is a run's covariates file, read and coded, with the
// coded columns of each process.
type runCovariates struct {
	cfg               *CovariatesConfig
	table             *datasets.CovariateTable
	purchase, dropout []int // indexes into table.Coded
	onBadRow          string
	mu                sync.Mutex
	skipped           map[time.Time]int // customers left out, by calibration end
	skippedFirst      map[time.Time]string
}

// runCovariatesOf returns the run's covariates (nil without a covariates
// section), reading the file on first use.
func runCovariatesOf(cfg *Config) (*runCovariates, error) {
	if cfg.Covariates == nil {
		return nil, nil
	}
	if rc := cfg.Resolved.covariates; rc != nil {
		return rc, nil
	}
	path := cfg.Resolved.CovariatesPath
	if path == "" {
		path = cfg.Covariates.Path
	}
	t, err := datasets.ReadCovariatesCSV(path, cfg.Covariates.readOptions(cfg.Resolved.Customer))
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("covariates.path: %w", err)}
	}
	rc := newRunCovariates(cfg.Covariates, t, cfg.Data.OnBadRow)
	cfg.Resolved.covariates = rc
	return rc, nil
}

// newRunCovariates assigns the coded columns of t to the processes the
// config names.
func newRunCovariates(cv *CovariatesConfig, t *datasets.CovariateTable, onBadRow string) *runCovariates {
	rc := &runCovariates{cfg: cv, table: t, onBadRow: onBadRow, skipped: map[time.Time]int{}, skippedFirst: map[time.Time]string{}}
	for j, src := range t.Source {
		switch cv.Columns[src].Process {
		case covProcessPurchase:
			rc.purchase = append(rc.purchase, j)
		case covProcessDropout:
			rc.dropout = append(rc.dropout, j)
		default:
			rc.purchase, rc.dropout = append(rc.purchase, j), append(rc.dropout, j)
		}
	}
	return rc
}

// MissingCovariatesError reports customers of the log without a row in
// the covariates file.
type MissingCovariatesError struct {
	Path     string
	Customer string // the first one
	Missing  int
}

func (e *MissingCovariatesError) Error() string {
	more := ""
	if e.Missing > 1 {
		more = fmt.Sprintf(" (and %d more customers)", e.Missing-1)
	}
	return fmt.Sprintf("covariates.path: customer %q of the log has no row in %s%s: add the customers' rows, or set data.on_bad_row: skip to leave customers without covariates out of every model (they are counted in metrics.json)",
		e.Customer, e.Path, more)
}

// restrict returns s without the customers that have no covariates, or a
// *MissingCovariatesError when data.on_bad_row is fail.
func (rc *runCovariates) restrict(s *datasets.Summary, end time.Time) (*datasets.Summary, error) {
	missing, first := 0, ""
	for _, c := range s.Customers {
		if _, ok := rc.table.Row(c.ID); !ok {
			if missing == 0 {
				first = c.ID
			}
			missing++
		}
	}
	if missing == 0 {
		return s, nil
	}
	if rc.onBadRow != "skip" {
		return nil, &DataError{Err: &MissingCovariatesError{Path: rc.table.Path, Customer: first, Missing: missing}}
	}
	out := *s
	out.Customers = slices.DeleteFunc(slices.Clone(s.Customers), func(c datasets.CustomerSummary) bool {
		_, ok := rc.table.Row(c.ID)
		return !ok
	})
	rc.mu.Lock()
	rc.skipped[end], rc.skippedFirst[end] = missing, first
	rc.mu.Unlock()
	return &out, nil
}

// restrictToCovariates restricts a window's summary to the customers with
// covariates when the config has them (see runCovariates.restrict).
func restrictToCovariates(cfg *Config, s *datasets.Summary, end time.Time) (*datasets.Summary, error) {
	rc, err := runCovariatesOf(cfg)
	if rc == nil || err != nil {
		return s, err
	}
	return rc.restrict(s, end)
}

// names returns the coded names of the given columns.
func (rc *runCovariates) names(cols []int) []string {
	out := make([]string, len(cols))
	for i, j := range cols {
		out[i] = rc.table.Coded[j]
	}
	return out
}

// rowsOf returns the customers' covariates on the given coded columns.
func (rc *runCovariates) rowsOf(ids []string, cols []int) ([][]float64, error) {
	out := make([][]float64, len(ids))
	flat := make([]float64, len(ids)*len(cols))
	for i, id := range ids {
		row, ok := rc.table.Row(id)
		if !ok {
			return nil, &MissingCovariatesError{Path: rc.table.Path, Customer: id, Missing: 1}
		}
		out[i] = flat[i*len(cols) : (i+1)*len(cols) : (i+1)*len(cols)]
		for k, j := range cols {
			out[i][k] = row[j]
		}
	}
	return out, nil
}

// fitCovariateModel fits a covariate model on the customers of s observed
// for some time (T > 0, as ModelData keeps them), one row each.
func fitCovariateModel(ctx context.Context, cfg *Config, desc models.Descriptor, s *datasets.Summary, o models.FitOptions) (models.FittedPurchases, *models.FitResult, error) {
	rc, err := runCovariatesOf(cfg)
	if err != nil {
		return nil, nil, err
	}
	if rc == nil {
		return nil, nil, &models.NeedsCovariatesError{Model: desc.Name}
	}
	d, _ := ModelData(s)
	d.Weight = nil // one row per customer
	ids := make([]string, 0, d.Len())
	for _, c := range s.Customers {
		if c.T > 0 {
			ids = append(ids, c.ID)
		}
	}
	z := models.Covariates{PurchaseNames: rc.names(rc.purchase), DropoutNames: rc.names(rc.dropout)}
	if z.Purchase, err = rc.rowsOf(ids, rc.purchase); err != nil {
		return nil, nil, err
	}
	if z.Dropout, err = rc.rowsOf(ids, rc.dropout); err != nil {
		return nil, nil, err
	}
	f, err := desc.Covariate(cfg.modelOptions(desc.Name)).FitCovariates(ctx, d, z, o)
	if f == nil {
		return nil, nil, err
	}
	return &covariateFit{fit: f, cov: rc}, f.Result(), err
}

// covariateFit is a fitted covariate model with the run's covariates: the
// run predicts each customer with her own model (perCustomer). As a
// FittedPurchases on its own it is the reference customer's model (every
// coded covariate 0: each categorical covariate at its reference level,
// each numeric one at 0); plots leave covariate models out.
type covariateFit struct {
	fit models.FittedCovariates
	cov *runCovariates
}

func (c *covariateFit) reference() models.FittedPurchases {
	pn, dn := c.fit.CovariateNames()
	f, err := c.fit.Customer(make([]float64, len(pn)), make([]float64, len(dn)))
	if err != nil {
		return nil
	}
	return f
}

// Result returns the fit's estimates.
func (c *covariateFit) Result() *models.FitResult { return c.fit.Result() }

// ExpectedPurchases is the reference customer's E[X(t)].
func (c *covariateFit) ExpectedPurchases(t float64) float64 {
	if f := c.reference(); f != nil {
		return f.ExpectedPurchases(t)
	}
	return math.NaN()
}

// ConditionalExpectedPurchases is the reference customer's E[Y(t) | c].
func (c *covariateFit) ConditionalExpectedPurchases(h models.Customer, t float64) float64 {
	if f := c.reference(); f != nil {
		return f.ConditionalExpectedPurchases(h, t)
	}
	return math.NaN()
}

// ProbabilityAlive is the reference customer's P(alive | c).
func (c *covariateFit) ProbabilityAlive(h models.Customer) float64 {
	if f := c.reference(); f != nil {
		return f.ProbabilityAlive(h)
	}
	return math.NaN()
}

// perCustomer returns every customer's own model, by the customers'
// covariates in rc's coding (matched to the fit's covariates by name).
func (c *covariateFit) perCustomer(s *datasets.Summary) ([]models.FittedPurchases, error) {
	pn, dn := c.fit.CovariateNames()
	pcols, err := c.cov.columnsNamed(pn)
	if err != nil {
		return nil, err
	}
	dcols, err := c.cov.columnsNamed(dn)
	if err != nil {
		return nil, err
	}
	out := make([]models.FittedPurchases, len(s.Customers))
	zp, zd := make([]float64, len(pcols)), make([]float64, len(dcols))
	for i, cs := range s.Customers {
		row, ok := c.cov.table.Row(cs.ID)
		if !ok {
			return nil, &MissingCovariatesError{Path: c.cov.table.Path, Customer: cs.ID, Missing: 1}
		}
		for k, j := range pcols {
			zp[k] = row[j]
		}
		for k, j := range dcols {
			zd[k] = row[j]
		}
		if out[i], err = c.fit.Customer(zp, zd); err != nil {
			return nil, fmt.Errorf("customer %s: %w", cs.ID, err)
		}
	}
	return out, nil
}

// columnsNamed returns the coded columns of the given names.
func (rc *runCovariates) columnsNamed(names []string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		if out[i] = slices.Index(rc.table.Coded, n); out[i] < 0 {
			return nil, fmt.Errorf("the model has a coefficient for covariate %s, which %s does not give (its coded columns are %v): use the covariates the model was fitted with", n, rc.table.Path, rc.table.Coded)
		}
	}
	return out, nil
}

// predictCovariatePurchases returns a covariate model's purchase
// predictions, each customer by her own model, or nil when f is not a
// covariate model.
func predictCovariatePurchases(ctx context.Context, f models.FittedPurchases, in predictInput) (*purchaseColumns, error) {
	cf, ok := f.(*covariateFit)
	if !ok {
		return nil, nil
	}
	own, err := cf.perCustomer(in.summary)
	if err != nil {
		return nil, err
	}
	s := in.summary
	out := newPurchaseColumns(len(s.Customers))
	parallelFor(len(s.Customers), func(lo, hi int) {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			cs := &s.Customers[i]
			c := models.Customer{Frequency: cs.Frequency, Recency: cs.Recency, T: cs.T, Monetary: cs.Monetary}
			out.set(i, customerPrediction(own[i], c, cs.DurationHoldout, in.clv))
		}
	})
	return out, ctx.Err()
}
