package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// canonicalConfig is the config in canonical form: every key present,
// defaults filled in and, once resolved, spellings normalized (unit,
// dates, spend model, horizon, delimiter). Paths are kept as written, so
// the hash does not depend on where the project sits.
//
// The form is what Hash digests: a change here changes the name of every
// results folder (TestHashPinned guards it).
func (c *Config) canonical() Config {
	k := Config{
		Name: c.Name, Seed: c.Seed, Data: c.Data, Split: c.Split,
		Models: slices.Clone(c.Models), SpendModel: c.SpendModel, CLV: c.CLV,
		Segments: c.Segments, Fit: c.Fit, Retention: c.Retention, Hiatus: c.Hiatus,
		Expect: slices.Clone(c.Expect), Output: c.Output, Tiers: c.Tiers,
		Verdict: c.Verdict, Intervals: c.Intervals, Covariates: c.Covariates, CNBDK: c.CNBDK,
	}
	if c.Survival != nil {
		s := *c.Survival
		k.Survival = &s
	}
	if k.Models == nil {
		k.Models = []string{}
	}
	if k.Expect == nil {
		k.Expect = []Gate{}
	}
	k.Split.Origins = slices.Clone(c.Split.Origins)
	if k.Split.Origins == nil {
		k.Split.Origins = []string{}
	}
	r := c.Resolved
	switch {
	case r.valid && c.Survival != nil:
		k.Survival.Period = r.Unit.Name
		k.SpendModel = r.SpendModel
		k.Retention.Period = r.RetentionPeriod.Name
	case r.valid:
		k.Data.Format, k.Data.Header = r.Format, r.Header
		k.Data.OnBadRow = strings.ToLower(k.Data.OnBadRow)
		k.Split.Unit = r.Unit.Name
		k.Split.CalibrationEnd = r.CalibrationEnd.Format(time.DateOnly)
		k.Split.HoldoutEnd = r.HoldoutEnd.Format(time.DateOnly)
		for i, o := range r.Origins {
			k.Split.Origins[i] = o.Format(time.DateOnly)
		}
		k.SpendModel = r.SpendModel
		k.CLV.Horizon = r.Horizon
		k.Retention.Period = r.RetentionPeriod.Name
		k.Data.Delimiter = delimiterName(r.Delimiter)
	}
	// Keys added after the first release are left out at their defaults,
	// so that a config that does not use them keeps its hash.
	if k.Tiers.orDefaults() == DefaultTiers() {
		k.Tiers = TiersConfig{}
	}
	if k.Output.Predictions == "csv" {
		k.Output.Predictions = ""
	}
	if slices.Equal(k.Output.Formats, DefaultFigureFormats) {
		k.Output.Formats = nil
	}
	canonicalVerdict(&k)
	canonicalCovariates(&k)
	return k
}

// CanonicalJSON returns the config in canonical form as compact JSON:
// every key in schema order, defaults filled in, and (once
// resolved) units, dates and the spend model normalized and the horizon
// default made explicit. Paths appear as written.
func (c *Config) CanonicalJSON() ([]byte, error) {
	k := c.canonical()
	b, err := json.Marshal(&k)
	if err != nil {
		return nil, fmt.Errorf("encoding config %s: %w", c.File, err)
	}
	return b, nil
}

// Hash returns the first 8 hex digits of the SHA-256 of CanonicalJSON:
// the same config gives the same hash on every run and machine, and any
// change of a key's value changes it. It names the run's results folder.
func (c *Config) Hash() string {
	b, err := c.CanonicalJSON()
	if err != nil {
		b = []byte(err.Error()) // unreachable: the config holds only plain values
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}
