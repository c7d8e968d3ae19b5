package plot

import (
	"errors"
	"fmt"

	"github.com/clv-dev/clv/models"
)

// KeyProjected is the series key of a model's projection beyond the
// observed periods (drawn in the model's colour, dotted).
const KeyProjected = "sbg_projected"

// SBGData holds the survival and retention curves of a cohort under the
// shifted-beta-geometric model of Fader & Hardie (2007), "How to project
// customer retention", Journal of Interactive Marketing 21(1), figures 2
// and 3. With n_t the customers still active at the start of period t
// (n_0 the cohort size) and m the last observed period:
//
//	actual survival   n_t / n_0,           t = 0 … m
//	actual retention  n_t / n_{t−1},       t = 1 … m
//	fitted survival   S(t) = B(α, β+t)/B(α, β),  t = 0 … m, projected to the horizon
//	fitted retention  r_t = (β+t−1)/(α+β+t−1),   t = 1 … m, projected to the horizon
//
// The projected series start at t = m so the fitted and projected lines
// join.
type SBGData struct {
	Unit      string   `json:"unit"`
	Observed  int      `json:"observed_periods"`
	Horizon   int      `json:"horizon"`
	Alpha     float64  `json:"alpha"`
	Beta      float64  `json:"beta"`
	Survival  []Series `json:"survival"`
	Retention []Series `json:"retention"`
}

// SBGCurves computes the sBG survival and retention curves of a fitted
// model against a cohort's survivor counts n_0 ≥ n_1 ≥ … ≥ n_m (n_0 > 0),
// projected to horizon periods (at least m).
func SBGCurves(f *models.FittedSBG, survivors []float64, horizon int) (*SBGData, error) {
	if f == nil {
		return nil, errors.New("sbg: no fitted model")
	}
	m := len(survivors) - 1
	if m < 1 {
		return nil, fmt.Errorf("sbg: %d survivor counts: want at least n_0 and n_1", len(survivors))
	}
	if !(survivors[0] > 0) || !finite(survivors[0]) {
		return nil, fmt.Errorf("sbg: the cohort size n_0 = %v must be a finite number > 0", survivors[0])
	}
	for t := 1; t <= m; t++ {
		if !finite(survivors[t]) || survivors[t] < 0 || survivors[t] > survivors[t-1] {
			return nil, fmt.Errorf("sbg: survivors n_%d = %v must lie between 0 and n_%d = %v", t, survivors[t], t-1, survivors[t-1])
		}
	}
	horizon = max(horizon, m)
	d := &SBGData{Observed: m, Horizon: horizon, Alpha: f.Alpha, Beta: f.Beta}
	s := f.SurvivalCurve(horizon)

	as := Series{Key: KeyActual}
	fs := Series{Key: "sbg"}
	ps := Series{Key: KeyProjected}
	for t := 0; t <= horizon; t++ {
		if t <= m {
			as.X = append(as.X, float64(t))
			as.Y = append(as.Y, survivors[t]/survivors[0])
			fs.X = append(fs.X, float64(t))
			fs.Y = append(fs.Y, s[t])
		}
		if t >= m && horizon > m {
			ps.X = append(ps.X, float64(t))
			ps.Y = append(ps.Y, s[t])
		}
	}
	d.Survival = []Series{as, fs}
	if horizon > m {
		d.Survival = append(d.Survival, ps)
	}

	ar := Series{Key: KeyActual}
	fr := Series{Key: "sbg"}
	pr := Series{Key: KeyProjected}
	for t := 1; t <= horizon; t++ {
		if t <= m {
			if survivors[t-1] > 0 {
				ar.X = append(ar.X, float64(t))
				ar.Y = append(ar.Y, survivors[t]/survivors[t-1])
			}
			fr.X = append(fr.X, float64(t))
			fr.Y = append(fr.Y, f.Retention(t))
		}
		if t >= m && horizon > m {
			pr.X = append(pr.X, float64(t))
			pr.Y = append(pr.Y, f.Retention(t))
		}
	}
	d.Retention = []Series{ar, fr}
	if horizon > m {
		d.Retention = append(d.Retention, pr)
	}
	return d, nil
}
