package experiments

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/clv-dev/clv/datasets/engine"
)

// tierCuts are the constants that assign the value tiers (tiers.go) one
// customer at a time, as SQL does: a customer is best when profitable and
// ranked no later than the last best customer (net CLV above hers, or
// equal with an id no later in the tie-breaking order), potential when
// not best, young (T ≤ young) and worth at least rate per unit of time
// alive.
type tierCuts struct {
	hasBest     bool
	cut         float64 // the last best customer's net CLV
	cutID       string  // and id
	cutPos      int     // and position in the id order
	young, rate float64
}

// newTierCuts computes the cut-offs AssignTiers applied to a model's
// customers.
func newTierCuts(sc *Scorer, net, aliveTime, age []float64, cfg TiersConfig) tierCuts {
	var tc tierCuts
	n := len(net)
	if n == 0 {
		return tc
	}
	best := int(math.Ceil(cfg.BestShare*float64(n) - 1e-9))
	if best <= 0 {
		return tc
	}
	cut, last, ok := sc.topCut(net, best)
	if !ok {
		return tc
	}
	var rates []float64
	for i, v := range net {
		if v > 0 && sc.inTop(v, i, cut, last) {
			rates = append(rates, valueRate(v, aliveTime[i]))
		}
	}
	tc.hasBest, tc.cut, tc.cutID = true, cut, sc.id(last)
	tc.cutPos = int(sc.idRanks()[last])
	tc.rate = quantileSelect(rates, cfg.PotentialQuantile)
	tc.young = cfg.YoungShare * slices.Max(age)
	return tc
}

// tier assigns customer i, whose position in the id order is pos.
func (tc tierCuts) tier(net, alive, age float64, pos int) Tier {
	switch {
	case !(net > 0):
		return TierNeverProfitable
	case tc.hasBest && (net > tc.cut || net == tc.cut && pos <= tc.cutPos):
		return TierBest
	case tc.hasBest && age <= tc.young && valueRate(net, alive) >= tc.rate:
		return TierPotential
	}
	return TierGood
}

// numericIDs reports whether every id is an integer, so that ids are
// ordered by value (see idOrder).
func numericIDs(ids []string) bool {
	for _, id := range ids {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// tierSQL returns the SQL of a model's tier column, from cut-offs checked
// to give every customer the tier the run gave her.
func (b *wbBuilder) tierSQL(name string, p *Prediction, net, alive string) (string, error) {
	ids := customerIDs(b.a.Summary)
	sc := NewScorer(ids)
	age := customerAges(b.a.Summary)
	netV, aliveV := p.Column(PredNetCLV), p.Column(PredAliveTime)
	tc := newTierCuts(sc, netV, aliveV, age, b.cfg.Tiers.orDefaults())
	pos := make([]int, len(ids))
	for j, i := range sc.byID {
		pos[i] = j
	}
	for i, t := range p.Tiers() {
		if got := tc.tier(netV[i], aliveV[i], age[i], pos[i]); got != t {
			return "", fmt.Errorf("%s: the tier cut-offs give customer %s the tier %s, not %s", name, ids[i], got, t)
		}
	}
	lit := func(v float64) string { return engine.Literal(b.d, v) }
	text := func(t Tier) string { return engine.TextLiteral(b.d, t.String()) }
	expr := "CASE WHEN NOT (" + net + " > 0) THEN " + text(TierNeverProfitable)
	if tc.hasBest {
		expr += " WHEN " + net + " > " + lit(tc.cut) + " OR (" + net + " = " + lit(tc.cut) + " AND " +
			engine.IDAtMost(b.d, engine.ColID, tc.cutID, numericIDs(ids)) + ") THEN " + text(TierBest)
		expr += " WHEN " + engine.ColT + " <= " + lit(tc.young) + " AND (" + alive + " <= 0 OR " + net + " / CASE WHEN " + alive +
			" > 0 THEN " + alive + " ELSE " + lit(1) + " END >= " + lit(tc.rate) + ") THEN " + text(TierPotential)
	}
	return expr + " ELSE " + text(TierGood) + " END", nil
}
