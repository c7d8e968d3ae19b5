package experiments

import (
	"context"
	"fmt"

	"github.com/clv-dev/clv/models"
)

// modelTables are the summaries of one model's per-customer predictions
// that metrics.json reports beside its scores: the lift table (segments),
// the value tiers and the total CLV.
type modelTables struct {
	segments []Segment
	err      error
	tiers    []TierSummary
	clvTotal float64
}

// tablesByModel computes the modelTables of every model of a forecast
// run's window that produced predictions (a backtest's come with its
// scores, scoreWithTables), the models in parallel on every core (each
// table is computed as it would be alone: the Scorer's cached orders and
// facts are shared safely): tiers and total CLV, no segments, as a
// forecast has no holdout to segment. Once ctx is done the models left
// get no tables (and those in progress the error of ctx, wrapped).
func tablesByModel(ctx context.Context, cfg *Config, reg *models.Registry, wr *windowResult) map[string]*modelTables {
	out := map[string]*modelTables{}
	var names []string
	for _, name := range cfg.Models {
		if wr.preds[name] != nil && wr.errs[name] == nil {
			out[name] = &modelTables{}
			names = append(names, name)
		}
	}
	eachInParallel(len(names), func(k int) {
		if err := ctx.Err(); err != nil {
			out[names[k]].err = err
			return
		}
		wr.modelTables(ctx, cfg, reg, names[k], "", 0, out[names[k]]) // no segments in a forecast
	})
	return out
}

// modelTables fills t with a model's segments, tiers and total CLV.
func (wr *windowResult) modelTables(ctx context.Context, cfg *Config, reg *models.Registry, name, segTarget string, groups int, t *modelTables) {
	p := wr.preds[name]
	s := wr.summary
	actP, actR := wr.modelActuals(reg, name)
	if !cfg.Resolved.Forecast { // segments rank actual holdout values
		q, act := PredPurchases, actP
		if segTarget == TargetRevenue {
			q, act = PredRevenue, actR
		}
		pred := wr.column(name, q)
		if t.segments, t.err = wr.scorer().SegmentsContext(ctx, pred, act, max(1, min(groups, len(pred)))); t.err != nil {
			t.err = fmt.Errorf("segments of %s: %w", name, t.err)
			return
		}
	}
	switch {
	case p.HasTiers():
		var rev []float64
		if s.HasHoldout && s.HasAmount {
			rev = actR
		}
		// The total CLV is summed in the same pass, in customer order; the
		// revenue's total is the Scorer's, taken once for every model.
		var revTotal *float64
		if rev != nil {
			if f, err := wr.scorer().actualFacts(ctx, rev); err == nil {
				revTotal = &f.total
			}
		}
		t.tiers, t.clvTotal = summarizeTiersOf(p.Tiers(), p, rev, revTotal)
	case p.HasSpend():
		t.clvTotal = totalCLV(p)
	}
}

// expectSegments tells the window's Scorer the segments modelTables will
// ask of the models with tables (see Scorer.expectSegments), so that the
// score stage totals them in the walk that scores the segment target.
func (wr *windowResult) expectSegments(reg *models.Registry, tables map[string]*modelTables, segTarget string, groups int) {
	for name := range tables {
		act, actR := wr.modelActuals(reg, name)
		if segTarget == TargetRevenue {
			act = actR
		}
		wr.scorer().expectSegments(act, max(1, min(groups, len(act))))
	}
}

// totalCLV returns the sum of a prediction's CLVs, in customer order.
func totalCLV(p *Prediction) float64 {
	total := 0.0
	for i := range p.Len() {
		total += p.CLV(i)
	}
	return total
}
