package experiments

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// cfgResolvedJSON is the manifest's view of a config.
type cfgResolvedJSON struct {
	File         string          `json:"file"`
	FileResolved string          `json:"file_resolved"`
	Overrides    []string        `json:"overrides"`
	Sources      []KeySource     `json:"sources"`
	Hash         string          `json:"hash"`
	Config       json.RawMessage `json:"config"`
	Resolved     struct {
		DataPath            string           `json:"data_path,omitempty"`
		SurvivalPath        string           `json:"survival_path,omitempty"`
		Embedded            string           `json:"embedded,omitempty"`
		RejectsPath         string           `json:"rejects_path,omitempty"`
		OutputDir           string           `json:"output_dir"`
		Customer            *Column          `json:"customer,omitempty"`
		Date                *Column          `json:"date,omitempty"`
		Amount              *Column          `json:"amount,omitempty"`
		DateLayout          string           `json:"date_layout,omitempty"`
		Delimiter           string           `json:"delimiter,omitempty"`
		Unit                string           `json:"unit"`
		UnitDays            float64          `json:"unit_days"`
		HoldoutDays         int              `json:"holdout_days"`
		Windows             []map[string]any `json:"windows"`
		SpendModel          string           `json:"spend_model"`
		Horizon             float64          `json:"horizon"`
		DiscountRatePerYear float64          `json:"discount_rate_per_year"`
		DiscountRatePerUnit float64          `json:"discount_rate_per_unit"`
		DiscountConversion  string           `json:"discount_conversion"`
		RetentionPeriodDays float64          `json:"retention_period_days"`
	} `json:"resolved"`
}

// ResolvedJSON returns, for the run's manifest, the config as given (file,
// overrides, and the keys that came from the environment or an override
// with their source), its canonical form and hash, and what Resolve
// derived: absolute paths, columns, the windows of the backtest, the spend
// model, and the discount rate converted to the split unit together with
// the formula used. It fails on a config that has not been resolved.
func (c *Config) ResolvedJSON() ([]byte, error) {
	if !c.Resolved.valid {
		return nil, fmt.Errorf("config %s: ResolvedJSON needs a resolved config (Load, or c.Resolved, err = c.Resolve())", c.File)
	}
	r := c.Resolved
	var j cfgResolvedJSON
	j.File, j.FileResolved, j.Hash = c.File, r.ConfigFile, c.Hash()
	j.Overrides = slices.Clone(c.Overrides)
	if j.Overrides == nil {
		j.Overrides = []string{}
	}
	j.Sources = slices.Clone(c.Sources)
	if j.Sources == nil {
		j.Sources = []KeySource{}
	}
	canon, err := c.CanonicalJSON()
	if err != nil {
		return nil, err
	}
	j.Config = canon
	x := &j.Resolved
	x.DataPath, x.RejectsPath, x.OutputDir = r.DataPath, r.RejectsPath, r.OutputDir
	x.Embedded = c.Data.Embedded
	if c.Survival == nil {
		x.Customer, x.Date, x.DateLayout = &r.Customer, &r.Date, r.DateLayout
		x.Delimiter = delimiterName(r.Delimiter)
	}
	if r.HasAmount {
		x.Amount = &r.Amount
	}
	x.SurvivalPath = r.SurvivalPath
	x.Unit, x.UnitDays, x.HoldoutDays = r.Unit.Name, r.Unit.Days(), r.HoldoutDays
	x.Windows = []map[string]any{}
	for _, w := range r.Windows {
		x.Windows = append(x.Windows, map[string]any{
			"calibration_end": w.CalibrationEnd.Format(time.DateOnly),
			"holdout_end":     w.HoldoutEnd.Format(time.DateOnly),
			"main":            w.Main,
		})
	}
	x.SpendModel, x.Horizon = r.SpendModel, r.Horizon
	x.DiscountRatePerYear, x.DiscountRatePerUnit = c.CLV.DiscountRate, r.DiscountRatePerUnit
	x.DiscountConversion = fmt.Sprintf("(1 + %g)^(%g/365.25) - 1", c.CLV.DiscountRate, r.Unit.Days())
	x.RetentionPeriodDays = r.RetentionPeriod.Days()
	b, err := json.MarshalIndent(&j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding resolved config %s: %w", c.File, err)
	}
	return b, nil
}

// MarshalJSON writes a column as {"name": ...} or {"index": ...}.
func (c Column) MarshalJSON() ([]byte, error) {
	if c.ByIndex() {
		return json.Marshal(map[string]int{"index": c.Index})
	}
	return json.Marshal(map[string]string{"name": c.Name})
}
