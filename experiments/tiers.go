package experiments

import (
	"fmt"
	"math"
)

// Value tiers and net CLV.
//
// The net CLV of a customer over the horizon H is the margin on the
// predicted revenue less the costs of serving and keeping the customer,
// all discounted alike (force δ = ln(1+d) per unit):
//
//	net CLV = m · E[spend] · DERT − c_p · DERT − c_t · D,
//
// with DERT the discounted expected purchases over (T, T+H], D the
// discounted expected time alive over it (see predict.go for how each
// model gives D), m the margin (clv.margin), c_p the cost per purchase
// (clv.cost_per_purchase) and c_t the cost per customer per split unit
// while alive (clv.cost_per_customer).
//
// Customers fall into four tiers, in this order of precedence:
//
//	never_profitable  net CLV ≤ 0;
//	best              the top ⌈best_share · n⌉ of the n customers by net CLV
//	                  (ties broken by customer id, as PredictionOrder), among
//	                  those not never_profitable;
//	potential         young customers, whose first purchase falls within the
//	                  last young_share of the calibration window (T ≤
//	                  young_share · the largest T), not best, whose value per
//	                  unit of time alive (net CLV / D) is at least the
//	                  potential_quantile quantile of that of the best (the
//	                  median by default);
//	good              everyone else.

// TiersConfig holds the thresholds of the value tiers.
type TiersConfig struct {
	// BestShare is the share of customers in the best tier, 0 < share ≤ 1
	// (default 0.2).
	BestShare float64 `mapstructure:"best_share" json:"best_share"`
	// YoungShare is the last share of the calibration window in which a
	// young customer made the first purchase, 0 ≤ share ≤ 1 (default 0.25).
	YoungShare float64 `mapstructure:"young_share" json:"young_share"`
	// PotentialQuantile is the quantile of the best customers' value per
	// unit of time a young customer must reach, 0 ≤ q ≤ 1 (default 0.5).
	PotentialQuantile float64 `mapstructure:"potential_quantile" json:"potential_quantile"`
}

// DefaultTiers returns the thresholds of the seeds: the top 20% are best,
// young customers first bought in the last quarter of the calibration
// window, and reach the median of the best's value per unit of time.
func DefaultTiers() TiersConfig {
	return TiersConfig{BestShare: 0.2, YoungShare: 0.25, PotentialQuantile: 0.5}
}

// orDefaults returns t, or DefaultTiers for the zero value (a config built
// in code that leaves the tiers out).
func (t TiersConfig) orDefaults() TiersConfig {
	if t == (TiersConfig{}) {
		return DefaultTiers()
	}
	return t
}

// valueProblems checks the keys of net CLV, the tiers and the predictions
// format.
func (c *Config) valueProblems() []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, Problem{Key: key, Message: key + ": " + fmt.Sprintf(format, args...)})
	}
	for _, k := range []struct {
		key string
		v   float64
	}{{"clv.cost_per_purchase", c.CLV.CostPerPurchase}, {"clv.cost_per_customer", c.CLV.CostPerCustomer}} {
		if !cfgFinite(k.v) || k.v < 0 {
			add(k.key, "%v must be a finite number ≥ 0 (in the data's currency)", k.v)
		}
	}
	t := c.Tiers.orDefaults()
	if !cfgFinite(t.BestShare) || t.BestShare <= 0 || t.BestShare > 1 {
		add("tiers.best_share", "%v must be > 0 and ≤ 1 (0.2: the top 20%% of customers)", t.BestShare)
	}
	if !cfgFinite(t.YoungShare) || t.YoungShare < 0 || t.YoungShare > 1 {
		add("tiers.young_share", "%v must be between 0 and 1 (0.25: the last quarter of the calibration window)", t.YoungShare)
	}
	if !cfgFinite(t.PotentialQuantile) || t.PotentialQuantile < 0 || t.PotentialQuantile > 1 {
		add("tiers.potential_quantile", "%v must be between 0 and 1 (0.5: the median of the best)", t.PotentialQuantile)
	}
	switch c.Output.Predictions {
	case "", "csv", "parquet", "none": // "": a config built in code
	default:
		add("output.predictions", "%q is not a format: use csv, parquet or none", c.Output.Predictions)
	}
	return ps
}

// Tier is a customer's value tier.
type Tier uint8

// The tiers, in the order the report lists them.
const (
	TierBest Tier = iota
	TierPotential
	TierGood
	TierNeverProfitable
)

// tierNames are the names of the tiers in predictions and metrics.
var tierNames = [...]string{"best", "potential", "good", "never_profitable"}

// String returns the tier's name: best, potential, good or
// never_profitable.
func (t Tier) String() string {
	if int(t) < len(tierNames) {
		return tierNames[t]
	}
	return fmt.Sprintf("Tier(%d)", int(t))
}

// NetCLVOptions are the money settings of net CLV.
type NetCLVOptions struct {
	Margin, CostPerPurchase, CostPerCustomer float64
}

// NetCLV returns every customer's net CLV (see the notes above) from the
// expected spend per purchase, the discounted expected purchases and the
// discounted expected time alive.
func NetCLV(spend, discounted, aliveTime []float64, o NetCLVOptions) []float64 {
	out := make([]float64, len(spend))
	for i := range out {
		out[i] = netCLV(o, spend[i], discounted[i], aliveTime[i])
	}
	return out
}

// netCLV returns one customer's net CLV: margin · spend · DERT − c_p · DERT
// − c_t · D.
func netCLV(o NetCLVOptions, spend, discounted, aliveTime float64) float64 {
	return o.Margin*spend*discounted - o.CostPerPurchase*discounted - o.CostPerCustomer*aliveTime
}

// AssignTiers returns every customer's tier (see the notes above) from
// their net CLV, discounted expected time alive and age T; sc ranks the
// customers (ties by id). The best are found by selecting the last of
// them in the order of net CLV (topCut), not by sorting every customer,
// and the potential threshold by selecting the two order statistics of
// the best's values per unit of time that the quantile interpolates.
func AssignTiers(sc *Scorer, netCLV, aliveTime, age []float64, cfg TiersConfig) []Tier {
	n := len(netCLV)
	tiers := make([]Tier, n)
	if n == 0 {
		return tiers
	}
	best := int(math.Ceil(cfg.BestShare*float64(n) - 1e-9))
	var cut float64
	var last int
	var ok bool
	if best > 0 {
		cut, last, ok = sc.topCut(netCLV, best)
	}
	bestRates := make([]float64, 0, best)
	for i, v := range netCLV {
		switch {
		case !(v > 0):
			tiers[i] = TierNeverProfitable
		case ok && sc.inTop(v, i, cut, last):
			tiers[i] = TierBest
			bestRates = append(bestRates, valueRate(v, aliveTime[i]))
		default:
			tiers[i] = TierGood
		}
	}
	if len(bestRates) == 0 {
		return tiers
	}
	threshold := quantileSelect(bestRates, cfg.PotentialQuantile)
	youngAge := cfg.YoungShare * maxAge(age)
	for i, t := range tiers {
		if t == TierGood && age[i] <= youngAge && valueRate(netCLV[i], aliveTime[i]) >= threshold {
			tiers[i] = TierPotential
		}
	}
	return tiers
}

// maxAge returns the largest age, NaN when one is NaN (as slices.Max,
// whose tests for NaN and signed zeros cost more than the loop: the sign
// of a zero maximum does not change how ages compare with it).
func maxAge(age []float64) float64 {
	m, nan := age[0], false
	for _, a := range age[1:] {
		if a > m {
			m = a
		}
		nan = nan || a != a
	}
	if nan || m != m {
		return math.NaN()
	}
	return m
}

// valueRate returns net CLV per unit of discounted time alive (+Inf for a
// profitable customer not expected alive at all, which cannot happen for a
// model whose revenue needs the customer alive).
func valueRate(net, alive float64) float64 {
	if alive > 0 {
		return net / alive
	}
	return math.Inf(1)
}

// TierSummary describes one tier of a model's customers.
type TierSummary struct {
	Tier      string `json:"tier"`
	Customers int    `json:"customers"`
	// NetValue is the tier's total predicted net CLV and NetValueShare
	// its share of the total over all customers (null when that total is
	// not positive).
	NetValue      Metric `json:"net_value"`
	NetValueShare Metric `json:"net_value_share"`
	MeanCLV       Metric `json:"mean_clv"`
	MeanNetCLV    Metric `json:"mean_net_clv"`
	MeanPAlive    Metric `json:"mean_p_alive"`
	// HoldoutRevenue is the revenue the tier's customers realised in the
	// holdout, and HoldoutRevenueShare its share of the total (backtests
	// only).
	HoldoutRevenue      *Metric `json:"holdout_revenue,omitempty"`
	HoldoutRevenueShare *Metric `json:"holdout_revenue_share,omitempty"`
}

// TierValues are the per-customer values SummarizeTiers totals (a
// Prediction with tiers has them).
type TierValues interface {
	NetCLV(i int) float64
	CLV(i int) float64
	PAlive(i int) float64
}

// SummarizeTiers totals a model's tiers; holdoutRevenue is nil without a
// holdout. Empty tiers are listed with zero customers.
func SummarizeTiers(tiers []Tier, p TierValues, holdoutRevenue []float64) []TierSummary {
	out, _ := summarizeTiers(tiers, p, holdoutRevenue)
	return out
}

// summarizeTiers is SummarizeTiers, and the sum of the CLVs in customer
// order (a plain sum, as totalCLV).
func summarizeTiers(tiers []Tier, p TierValues, holdoutRevenue []float64) ([]TierSummary, float64) {
	return summarizeTiersOf(tiers, p, holdoutRevenue, nil)
}

// summarizeTiersOf is summarizeTiers given, when revTotal is not nil, the
// holdout revenue's total as summarizeTiers takes it (compensated, in
// customer order; the Scorer's total of the same actuals, see
// modelTables), which it then does not take again.
func summarizeTiersOf(tiers []Tier, p TierValues, holdoutRevenue []float64, revTotal *float64) ([]TierSummary, float64) {
	tt := tierTotals{revTotal: revTotal}
	if pp, ok := p.(*Prediction); ok && pp.rows != nil {
		tt.addColumns(tiers, pp, holdoutRevenue)
	} else {
		for i, t := range tiers {
			tt.add(t, p.NetCLV(i), p.CLV(i), p.PAlive(i))
			if holdoutRevenue != nil {
				tt.addRevenue(t, holdoutRevenue[i])
			}
		}
	}
	return tt.summaries(holdoutRevenue != nil), tt.clvTotal
}

// tierTotals are the sums SummarizeTiers takes, each in customer order
// (compensated sums: the order fixes the last bit), and the plain sum of
// the CLVs in customer order (modelTables' total CLV).
type tierTotals struct {
	count              [len(tierNames)]int
	tier               [len(tierNames)]tierSums
	totalNet, totalRev ksum
	clvTotal           float64
	// revTotal, when not nil, is totalRev's value, known beforehand: the
	// revenue is then not added to totalRev.
	revTotal *float64
}

// tierSums are one tier's compensated sums.
type tierSums struct{ net, clv, alive, rev ksum }

func (tt *tierTotals) add(t Tier, net, clv, alive float64) {
	tt.count[t]++
	s := &tt.tier[t]
	s.net.add(net)
	s.clv.add(clv)
	s.alive.add(alive)
	tt.totalNet.add(net)
	tt.clvTotal += clv
}

func (tt *tierTotals) addRevenue(t Tier, rev float64) {
	tt.tier[t].rev.add(rev)
	if tt.revTotal == nil {
		tt.totalRev.add(rev)
	}
}

// tierBlock is the number of customers addColumns takes at a time.
const tierBlock = 512

// tierTerms are one customer's terms of its tier's sums: net CLV, CLV,
// P(alive) and holdout revenue.
type tierTerms [4]float64

// addColumns adds every customer of a prediction with pattern rows, read
// from its columns: the same values as its methods give, added in the
// same order as add does (each tier's sums and the totals in customer
// order), so the same bits. It takes the customers a block at a time:
// each customer's terms are computed and the totals over all tiers
// added, then the terms are put aside by tier, and each tier's sums
// are added from its terms, in registers (sums chosen per customer by
// its tier would be loaded and stored at every step).
func (tt *tierTotals) addColumns(tiers []Tier, p *Prediction, holdoutRevenue []float64) {
	n := len(tiers)
	rows, spend := p.rows[:n], p.spend[:n]
	var rev []float64
	if holdoutRevenue != nil {
		rev = holdoutRevenue[:n]
	}
	terms := new([len(tierNames)][tierBlock]tierTerms)
	totalNet, totalRev, clvTotal := tt.totalNet, tt.totalRev, tt.clvTotal
	sumRev := rev != nil && tt.revTotal == nil
	// The rows' values are gathered first, by a loop that only loads, so
	// that many loads from memory are in flight (the rows are numbered
	// apart from the customers: most are cache misses).
	var discounted, aliveTime, alive [tierBlock]float64
	for lo := 0; lo < n; lo += tierBlock {
		hi := min(n, lo+tierBlock)
		for k, r := range rows[lo:hi] {
			discounted[k], aliveTime[k], alive[k] = p.discounted[r], p.aliveTime[r], p.alive[r]
		}
		var count [len(tierNames)]int
		for k, t := range tiers[lo:hi] {
			i := lo + k
			s, d := spend[i], discounted[k]
			net, clv := netCLV(p.net, s, d, aliveTime[k]), p.margin*s*d
			var v float64
			if rev != nil {
				v = rev[i]
				if sumRev {
					totalRev.addNonNeg(v)
				}
			}
			totalNet.add(net)
			clvTotal += clv
			terms[t][count[t]] = tierTerms{net, clv, alive[k], v}
			count[t]++
		}
		for t, c := range count {
			tt.count[t] += c
			tt.tier[t].addTerms(terms[t][:c], rev != nil)
		}
	}
	tt.totalNet, tt.totalRev, tt.clvTotal = totalNet, totalRev, clvTotal
}

// addTerms adds a tier's customers' terms, in order, to its sums (the
// revenue only withRevenue).
func (sums *tierSums) addTerms(terms []tierTerms, withRevenue bool) {
	net, clv, alive, rev := sums.net, sums.clv, sums.alive, sums.rev
	for _, x := range terms {
		net.add(x[0])
		clv.addNonNeg(x[1])
		alive.addNonNeg(x[2])
		if withRevenue {
			rev.addNonNeg(x[3])
		}
	}
	sums.net, sums.clv, sums.alive, sums.rev = net, clv, alive, rev
}

// revenueTotal is the total holdout revenue.
func (tt *tierTotals) revenueTotal() float64 {
	if tt.revTotal != nil {
		return *tt.revTotal
	}
	return tt.totalRev.value()
}

// summaries turns the totals into the tiers' summaries.
func (tt *tierTotals) summaries(withRevenue bool) []TierSummary {
	out := make([]TierSummary, len(tierNames))
	for t := range out {
		sums := &tt.tier[t]
		s := TierSummary{Tier: tierNames[t], Customers: tt.count[t], NetValue: Metric(sums.net.value()),
			NetValueShare: Metric(math.NaN()), MeanCLV: Metric(math.NaN()), MeanNetCLV: Metric(math.NaN()), MeanPAlive: Metric(math.NaN())}
		if tot := tt.totalNet.value(); tot > 0 {
			s.NetValueShare = finiteOrNaN(sums.net.value() / tot)
		}
		if c := float64(tt.count[t]); c > 0 {
			s.MeanCLV = finiteOrNaN(sums.clv.value() / c)
			s.MeanNetCLV = finiteOrNaN(sums.net.value() / c)
			s.MeanPAlive = finiteOrNaN(sums.alive.value() / c)
		}
		if withRevenue {
			r, share := Metric(sums.rev.value()), Metric(math.NaN())
			if tot := tt.revenueTotal(); tot > 0 {
				share = finiteOrNaN(sums.rev.value() / tot)
			}
			s.HoldoutRevenue, s.HoldoutRevenueShare = &r, &share
		}
		out[t] = s
	}
	return out
}
