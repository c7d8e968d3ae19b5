package experiments

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clv-dev/clv/models"
)

// scoreCovariates points a scored run's covariates section at the file to
// score with (path, or else the run's own covariates file as metrics.json
// records it) and fixes each categorical column's levels and reference to
// the run's, so that the new file is coded as the fit was. It does nothing
// for a run without covariates.
func scoreCovariates(cfg *Config, runDir, path string) error {
	if cfg.Covariates == nil {
		if path != "" {
			return fmt.Errorf("clv score: --covariates %s is given, but the run %s has no covariates section: leave --covariates out", path, runDir)
		}
		return nil
	}
	mpath := filepath.Join(runDir, "metrics.json")
	b, err := os.ReadFile(mpath)
	if err != nil {
		return fmt.Errorf("clv score: %w (RUN_DIR must be a finished run's results folder)", err)
	}
	var mf struct {
		Covariates *CovariatesReport `json:"covariates"`
	}
	if err := json.Unmarshal(b, &mf); err != nil {
		return fmt.Errorf("reading %s: %w", mpath, err)
	}
	if mf.Covariates == nil {
		return fmt.Errorf("%s has no covariates section, though the run's config has one: rerun the run with this version of clv", mpath)
	}
	if path == "" {
		path = mf.Covariates.File
	}
	if path, err = filepath.Abs(path); err != nil {
		return err
	}
	cv := *cfg.Covariates
	cv.Path = path
	cv.Columns = nil
	for _, c := range cfg.Covariates.Columns {
		for _, rc := range mf.Covariates.Columns {
			if rc.Name == c.Name && rc.Type == covTypeCategorical {
				c.Reference, c.levels = rc.Reference, rc.Levels
			}
		}
		cv.Columns = append(cv.Columns, c)
	}
	cfg.Covariates = &cv
	return nil
}

// rebuildCovariateFit rebuilds a covariate model's fit from its saved
// parameters, with the covariates to score with.
func rebuildCovariateFit(cfg *Config, d models.Descriptor, p models.Params) (models.FittedPurchases, error) {
	f, err := d.RebuildCovariates(p)
	if err != nil {
		return nil, err
	}
	rc, err := runCovariatesOf(cfg)
	if err != nil {
		return nil, err
	}
	if rc == nil {
		return nil, &models.NeedsCovariatesError{Model: d.Name}
	}
	return &covariateFit{fit: f, cov: rc}, nil
}
