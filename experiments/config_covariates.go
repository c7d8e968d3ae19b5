package experiments

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// CovariatesConfig names the customers' static covariates, which the
// covariate models (bgnbd_cov, mbgnbd_cov, paretonbd_cov) fit on: a CSV file keyed by
// customer id, one row per customer, and the columns to use.
type CovariatesConfig struct {
	// Path is the covariates file, relative to the config file's folder
	// unless absolute. Required.
	Path string `mapstructure:"path" json:"path"`
	// Customer is the header name of its customer id column (default: the
	// name data.customer gives, or customer_id).
	Customer string `mapstructure:"customer" json:"customer,omitempty"`
	// Columns are the covariates, at least one.
	Columns []CovariateColumnConfig `mapstructure:"columns" json:"columns"`
}

// CovariateColumnConfig is one covariate column.
type CovariateColumnConfig struct {
	// Name is the column's header name.
	Name string `mapstructure:"name" json:"name"`
	// Process is purchase, dropout or both (the default): the process
	// whose rate the covariate shifts.
	Process string `mapstructure:"process" json:"process,omitempty"`
	// Type is numeric (the default: used as given, a coefficient per
	// unit) or categorical (one 0/1 dummy per level but the reference).
	Type string `mapstructure:"type" json:"type,omitempty"`
	// Reference is a categorical column's reference level (default: its
	// most frequent level, stated in the report).
	Reference string `mapstructure:"reference" json:"reference,omitempty"`
	// levels, when set, fixes a categorical column's levels (those of the
	// fit being applied by clv score).
	levels []string
}

// CNBDKConfig tunes the Erlang-k models (bgcnbdk, mbgcnbdk).
type CNBDKConfig struct {
	// K fixes the regularity k (1..100); 0 (the default) chooses it by
	// maximum likelihood over 1..KMax.
	K int `mapstructure:"k" json:"k,omitempty"`
	// KMax is the largest k tried when k is chosen, 1..100 (default 6).
	KMax int `mapstructure:"k_max" json:"k_max,omitempty"`
}

// The processes and types of a covariate column.
const (
	covProcessPurchase = "purchase"
	covProcessDropout  = "dropout"
	covProcessBoth     = "both"
	covTypeNumeric     = "numeric"
	covTypeCategorical = "categorical"
	// cnbdkDefaultKMax is cnbdk.k_max's default.
	cnbdkDefaultKMax = 6
)

// covariateModels returns the covariate models of cfg's models list.
func covariateModels(cfg *Config, reg *models.Registry) []string {
	var out []string
	for _, m := range cfg.Models {
		if d, ok := reg.Lookup(models.KindPurchase, m); ok && d.Covariate != nil {
			out = append(out, m)
		}
	}
	return out
}

// covariates checks the covariates section and the cnbdk keys: the file
// exists, the columns are named once each with a known process and type,
// a reference level only for a categorical column; a covariate model is
// listed only with covariates, and covariates only with a covariate model.
func (k *cfgCheck) covariates() {
	c := k.c
	reg := models.NewRegistry()
	if n := c.CNBDK.K; n < 0 || n > 100 {
		k.ps.add("cnbdk.k", "%d must lie in 1..100 (0 chooses k by maximum likelihood over 1..cnbdk.k_max)", n)
	}
	if n := c.CNBDK.KMax; n < 0 || n > 100 {
		k.ps.add("cnbdk.k_max", "%d must lie in 1..100 (0 or absent: %d)", n, cnbdkDefaultKMax)
	}
	covModels := covariateModels(c, reg)
	cv := c.Covariates
	if cv == nil {
		for _, m := range covModels {
			k.ps.add("models", "%s needs the customers' covariates: add a covariates section (covariates.path, covariates.columns), as configs/covariates.yaml does", m)
		}
		return
	}
	if c.Survival != nil {
		k.ps.add("covariates", "is given, but this config has a survival section: covariates enter the purchase models of a transaction log; leave covariates out")
		return
	}
	if len(covModels) == 0 {
		k.ps.add("covariates", "is given but no covariate model is listed: add %s to models", strings.Join(covariateModelNames(reg), " or "))
	}
	if cv.Path == "" {
		k.ps.add("covariates.path", "is required: a CSV file with the customer id and the covariate columns, one row per customer")
	} else {
		k.r.CovariatesPath = k.path(cv.Path)
		k.file("covariates.path", cv.Path, k.r.CovariatesPath)
	}
	if len(cv.Columns) == 0 {
		k.ps.add("covariates.columns", "is empty: list at least one column as {name: NAME, process: purchase|dropout|both, type: numeric|categorical}")
	}
	seen := map[string]bool{}
	for i, col := range cv.Columns {
		key := fmt.Sprintf("covariates.columns[%d]", i)
		switch {
		case col.Name == "":
			k.ps.add(key+".name", "is required: the column's header name")
		case strings.ContainsAny(col.Name, ".="):
			k.ps.add(key+".name", "%q: a covariate name may not hold '.' or '=' (they separate the coefficients' names): rename the column", col.Name)
		case seen[col.Name]:
			k.ps.add(key+".name", "%s is listed twice", col.Name)
		}
		seen[col.Name] = true
		if p := col.Process; p != "" && !slices.Contains([]string{covProcessPurchase, covProcessDropout, covProcessBoth}, p) {
			k.ps.add(key+".process", "%q is not one of purchase, dropout, both", p)
		}
		switch col.Type {
		case "", covTypeNumeric:
			if col.Reference != "" {
				k.ps.add(key+".reference", "%q is set for a numeric column: a reference level belongs to a categorical one (set type: categorical, or leave reference out)", col.Reference)
			}
		case covTypeCategorical:
		default:
			k.ps.add(key+".type", "%q is not one of numeric, categorical", col.Type)
		}
	}
}

// covariateModelNames lists the registry's covariate models.
func covariateModelNames(reg *models.Registry) []string {
	var out []string
	for _, n := range reg.Names(models.KindPurchase) {
		if d, _ := reg.Lookup(models.KindPurchase, n); d.Covariate != nil {
			out = append(out, n)
		}
	}
	return out
}

// covariateOptions returns the reader options of the covariates section:
// the id column (covariates.customer, else data.customer's name, else
// customer_id) and the columns.
func (cv *CovariatesConfig) readOptions(dataCustomer Column) datasets.CovariateOptions {
	o := datasets.CovariateOptions{Customer: cv.Customer}
	if o.Customer == "" {
		o.Customer = "customer_id"
		if !dataCustomer.ByIndex() && dataCustomer.Name != "" {
			o.Customer = dataCustomer.Name
		}
	}
	for _, c := range cv.Columns {
		o.Columns = append(o.Columns, datasets.CovariateColumn{Name: c.Name, Categorical: c.Type == covTypeCategorical, Reference: c.Reference, Levels: c.levels})
	}
	return o
}

// canonicalCovariates leaves the cnbdk keys out of the canonical form at
// their defaults (keys added after the first release).
func canonicalCovariates(k *Config) {
	if k.CNBDK.K == 0 && (k.CNBDK.KMax == cnbdkDefaultKMax || k.CNBDK.KMax == 0) {
		k.CNBDK = CNBDKConfig{}
	}
	if k.Covariates != nil {
		cv := *k.Covariates
		cv.Columns = slices.Clone(cv.Columns)
		k.Covariates = &cv
	}
}
