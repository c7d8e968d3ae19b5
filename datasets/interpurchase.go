package datasets

import (
	"math"
	"slices"
)

// The inter-purchase statistics of a summary (CustomerSummary's
// LogInterPurchase and LastIntervalShare), computed only when
// SummaryOptions.InterPurchase asks for them: the Erlang-k models need
// them, and keeping them costs memory for every calibration purchase day,
// which the 64-byte customer state of the reader has no room for. The
// days are collected per customer as the rows come, in any order, and
// sorted once at the end, so that a shuffled log gives the same values.

// gapStats are a customer's inter-purchase statistics: Σ ln(gap in days)
// over successive calibration purchase days and t₁/(t₁+t₂) of the last two
// gaps (0 with fewer than two).
type gapStats struct {
	logDays, share float64
}

// trackGaps turns the collection of calibration days on.
func (c *customerTable) trackGaps() {
	for _, sh := range c.shards {
		sh.gapDays = map[uint64][]int32{}
	}
}

// noteDay records calibration purchase day d of the customer with key.
func (c *customerShard) noteDay(key uint64, d int32) {
	days := c.gapDays[key]
	if n := len(days); n > 0 && days[n-1] == d {
		return
	}
	c.gapDays[key] = append(days, d)
}

// interPurchase returns the statistics of every customer by state, or nil
// when they were not collected. It empties the collection.
func (c *customerTable) interPurchase() map[*custState]gapStats {
	if c.shards[0].gapDays == nil {
		return nil
	}
	out := map[*custState]gapStats{}
	for _, sh := range c.shards {
		for key, days := range sh.gapDays {
			slices.Sort(days)
			days = slices.Compact(days)
			var g gapStats
			for j := 1; j < len(days); j++ {
				g.logDays += math.Log(float64(days[j] - days[j-1]))
				if j >= 2 {
					t1, t2 := float64(days[j-1]-days[j-2]), float64(days[j]-days[j-1])
					g.share = t1 / (t1 + t2)
				}
			}
			if e, _ := sh.slot(key, false); e != nil {
				out[&e.custState] = g
			}
		}
		sh.gapDays = nil
	}
	return out
}
