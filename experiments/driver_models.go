package experiments

import (
	"fmt"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/models"
)

// modelOptions returns the option values a config sets for a model: the
// keys of the config section named after the model (hiatus.h). A model
// without a section gets its defaults.
func (c *Config) modelOptions(name string) models.Params {
	cnbdk := models.Params{"k": float64(c.CNBDK.K), "k_max": float64(c.CNBDK.KMax)}
	sections := map[string]models.Params{"hiatus": {"h": c.Hiatus.H}, "bgcnbdk": cnbdk, "mbgcnbdk": cnbdk}
	return sections[name]
}

// validateModels checks the models list against the registry: each name
// known for the kind of experiment (purchase models on a transaction log,
// contractual models on survival counts), listed once, and its data
// available (discrete periods need a calendar split.unit whose periods the
// calibration and holdout ends close).
func (c *Config) validateModels(ps *cfgProblems, r *ResolvedConfig, reg *models.Registry, contractual bool) {
	kind, other := models.KindPurchase, models.KindContractual
	if contractual {
		kind, other = models.KindContractual, models.KindPurchase
	}
	allowed := reg.Names(kind)
	if len(c.Models) == 0 {
		ps.add("models", "is empty: list at least one of %s", strings.Join(allowed, ", "))
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		key := fmt.Sprintf("models[%d]", i)
		d, ok := reg.Lookup(kind, m)
		switch {
		case seen[m]:
			ps.add(key, "%s is listed twice", m)
		case !ok:
			if od, known := reg.Lookup(other, m); known && contractual {
				ps.add(key, "%s needs %s, but this config has a survival section: a contractual experiment runs %s only", m, od.Needs(), strings.Join(allowed, ", "))
			} else if known {
				ps.add(key, "%s is a contractual model: it needs %s, not a transaction log; give a survival section (survival.path, survival.calibration_periods) instead of data and split, as configs/contractual.yaml does", m, od.Needs())
			} else if sd, spend := reg.Lookup(models.KindSpend, strings.ToLower(m)); spend && !contractual {
				ps.add(key, "%s is a spend model, not a purchase model: leave it out of models and set spend_model: %s", m, sd.Name)
			} else if contractual {
				ps.add(key, "%q is not a known model: a contractual experiment (survival section) runs %s", m, strings.Join(allowed, ", "))
			} else {
				ps.add(key, "%q is not a known model: choose among %s", m, strings.Join(allowed, ", "))
			}
		case d.Data == models.DataDiscrete:
			c.checkDiscrete(ps, r, m)
		}
		seen[m] = true
	}
}

// checkDiscrete checks that a discrete-time model's periods are calendar
// periods of split.unit and that the windows end on a period's last day.
func (c *Config) checkDiscrete(ps *cfgProblems, r *ResolvedConfig, model string) {
	if r.Unit.Days() <= 0 {
		return // split.unit is reported already
	}
	for _, w := range []struct {
		key string
		t   time.Time
	}{{"split.calibration_end", r.CalibrationEnd}, {"split.holdout_end", r.HoldoutEnd}} {
		end, err := datasets.PeriodEnd(r.Unit, w.t)
		switch {
		case err != nil:
			ps.add("split.unit", "%s is a discrete-time model: each calendar period is one opportunity, so split.unit must be day, week, month, quarter or year, not %s", model, r.Unit.Name)
			return
		case w.t.IsZero():
		case !end.Equal(w.t):
			ps.add(w.key, "%s: %s counts each %s as one opportunity, so the window must end on the last day of a %s: use %s",
				w.t.Format("2006-01-02"), model, r.Unit.Name, r.Unit.Name, end.Format("2006-01-02"))
		}
	}
}

// discreteModels returns the models of cfg that fit on discrete periods.
func discreteModels(cfg *Config, reg *models.Registry) []string {
	var out []string
	for _, m := range cfg.Models {
		if d, ok := reg.Lookup(models.KindPurchase, m); ok && d.Data == models.DataDiscrete {
			out = append(out, m)
		}
	}
	return out
}
