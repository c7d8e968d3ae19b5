package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// MigrationConfig describes a customer base drawn from the two-state
// customer-migration model of Pfeifer & Carraway (2000), "Modeling customer
// relationships as Markov chains", Journal of Interactive Marketing 14(2),
// on a calendar of whole days.
//
// Time is cut into periods of PeriodDays days from Start: period j holds
// days [j·PeriodDays, (j+1)·PeriodDays). A customer's first purchase falls
// on a day drawn uniformly from [0, AcquisitionDays); her acquisition period
// is active, and holds, besides the first purchase, Poisson((m−1)·e) more
// purchases on distinct days after it, with e the share of the period's days
// left after the first purchase. Every later period is active with
// probability Retention when the previous one was active and Reactivation
// when it was not; an active period holds 1 + Poisson(m−1) purchases on
// distinct days drawn uniformly from the period (at most one a day, at most
// the period's days). So an active period averages m purchases (slightly
// fewer when the cap of one a day binds) spread evenly over it: the
// assumptions of models.Retention, which recovers Retention, Reactivation
// and m from the summary when its activity period is PeriodDays and the
// calibration end is the last day of a period.
type MigrationConfig struct {
	// Retention and Reactivation are the chain's p and q, in [0, 1].
	Retention, Reactivation float64
	// PurchasesPerActivePeriod is m ≥ 1.
	PurchasesPerActivePeriod float64
	// PeriodDays ≥ 1 is the period length in whole days.
	PeriodDays int
	// Customers ≥ 1 is the number of customers.
	Customers int
	// Start is day 0, a UTC midnight.
	Start time.Time
	// AcquisitionDays in [1, Days] is the length of the acquisition window.
	AcquisitionDays int
	// Days ≥ 1 is how many days the histories run.
	Days int
	// Seed selects the random streams (one per customer, as in Simulate).
	Seed uint64
}

// domainMigration is the stream domain of SimulateMigration.
const domainMigration uint64 = 0x082EFA98EC4E6C89

func (cfg MigrationConfig) check() error {
	const op = "simulate migration"
	switch {
	case !(cfg.Retention >= 0 && cfg.Retention <= 1):
		return fmt.Errorf("%s: Retention %v must lie in [0, 1]", op, cfg.Retention)
	case !(cfg.Reactivation >= 0 && cfg.Reactivation <= 1):
		return fmt.Errorf("%s: Reactivation %v must lie in [0, 1]", op, cfg.Reactivation)
	case !(cfg.PurchasesPerActivePeriod >= 1) || math.IsInf(cfg.PurchasesPerActivePeriod, 1):
		return fmt.Errorf("%s: PurchasesPerActivePeriod %v must be a finite number ≥ 1", op, cfg.PurchasesPerActivePeriod)
	case cfg.PeriodDays < 1:
		return fmt.Errorf("%s: PeriodDays %d must be ≥ 1", op, cfg.PeriodDays)
	case cfg.Customers < 1:
		return fmt.Errorf("%s: Customers %d must be ≥ 1", op, cfg.Customers)
	case cfg.Days < 1 || cfg.Days > 1e6:
		return fmt.Errorf("%s: Days %d must lie in [1, 1e6]", op, cfg.Days)
	case cfg.AcquisitionDays < 1 || cfg.AcquisitionDays > cfg.Days:
		return fmt.Errorf("%s: AcquisitionDays %d must lie in [1, Days=%d]", op, cfg.AcquisitionDays, cfg.Days)
	case !isUTCMidnight(cfg.Start):
		return fmt.Errorf("%s: Start %s must be a UTC midnight", op, cfg.Start.Format(time.RFC3339))
	}
	return nil
}

// SimulateMigration draws the customer base cfg describes. Purchase times
// are day numbers plus one half (the middle of the day), so WriteCSV logs
// each on its day. The Simulation's Config carries Start and End only
// (Model "migration", no Spend).
func SimulateMigration(cfg MigrationConfig) (*Simulation, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	out := &Simulation{
		Config: SimulationConfig{
			Model: "migration", Customers: cfg.Customers, Start: cfg.Start,
			AcquisitionDays: float64(cfg.AcquisitionDays), End: cfg.Start.AddDate(0, 0, cfg.Days-1), Seed: cfg.Seed,
		},
		Customers: make([]SimulatedCustomer, cfg.Customers),
	}
	ids := makeIDs(0, cfg.Customers, idWidth(cfg.Customers))
	width := idWidth(cfg.Customers)
	var pcg rand.PCG
	r := rand.New(&pcg)
	var days []int
	for i := range out.Customers {
		pcg.Seed(streamSeeds(cfg.Seed, domainMigration, uint64(i)))
		days = migrationDays(cfg, r, days[:0])
		times := make([]float64, len(days))
		for k, d := range days {
			times[k] = float64(d) + 0.5
		}
		out.Customers[i] = SimulatedCustomer{ID: ids[i*width : (i+1)*width], Birth: times[0], Purchases: times}
	}
	return out, nil
}

// migrationDays appends one customer's purchase days, ascending, to days.
func migrationDays(cfg MigrationConfig, r *rand.Rand, days []int) []int {
	L := cfg.PeriodDays
	birth := r.IntN(cfg.AcquisitionDays)
	days = append(days, birth)
	period := birth / L
	end := (period + 1) * L // the acquisition period's end (exclusive)
	left := end - birth - 1
	extra := poisson(r, (cfg.PurchasesPerActivePeriod-1)*float64(left)/float64(L))
	days = distinctDays(r, birth+1, end, extra, days)
	active := true
	for lo := end; lo < cfg.Days; lo += L {
		p := cfg.Reactivation
		if active {
			p = cfg.Retention
		}
		active = r.Float64() < p
		if active {
			days = distinctDays(r, lo, lo+L, 1+poisson(r, cfg.PurchasesPerActivePeriod-1), days)
		}
	}
	// The last period may run past the end: its purchases are drawn over
	// the whole period and those after the end dropped.
	for len(days) > 0 && days[len(days)-1] >= cfg.Days {
		days = days[:len(days)-1]
	}
	return days
}

// distinctDays appends min(k, hi−lo) distinct days drawn uniformly from
// [lo, hi), in ascending order, to days.
func distinctDays(r *rand.Rand, lo, hi, k int, days []int) []int {
	n := hi - lo
	if k > n {
		k = n
	}
	start := len(days)
	for len(days)-start < k {
		d := lo + r.IntN(n)
		if !slices.Contains(days[start:], d) {
			days = append(days, d)
		}
	}
	slices.Sort(days[start:])
	return days
}

// poisson draws a Poisson variate of mean mu ≥ 0 by Knuth's multiplication
// method (the means here are a few purchases).
func poisson(r *rand.Rand, mu float64) int {
	if !(mu > 0) {
		return 0
	}
	limit := math.Exp(-mu)
	k := 0
	for prod := r.Float64(); prod > limit; prod *= r.Float64() {
		k++
	}
	return k
}
