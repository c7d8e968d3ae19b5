package datasets

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SimulationConfig describes a simulated customer base: a purchase process
// with known parameters, optional Gamma-Gamma spend, and the calendar the
// customers live on. Rates are per time unit Unit: with Unit Week, BG/NBD
// alpha is in weeks, as in the papers.
//
// Every customer makes a first purchase at a time drawn uniformly from
// [Start, Start+AcquisitionDays) and is then followed in continuous time
// until the end of the day End. The purchase processes, written in Unit:
//
//   - "bgnbd" (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
//     Way", Marketing Science 24(2)): λ ~ Gamma(shape r, rate alpha),
//     p ~ Beta(a, b). While alive the customer purchases as a Poisson process
//     of rate λ; right after each repeat purchase (not the first) she drops
//     out with probability p.
//   - "mbgnbd" (Batislam, Denizel & Filiztekin 2007, "Empirical validation
//     and comparison of models for customer base analysis", IJRM 24(3);
//     BTYDplus's dropout_at_zero variant): as bgnbd, but the drop-out
//     chance p also follows the first purchase, so a customer can be gone
//     at time 0. Hence the likelihood
//     L = B(a, b+x+1)/B(a, b)·A(T) + B(a+1, b+x)/B(a, b)·A(t_x), with
//     A(u) = Γ(r+x)α^r/(Γ(r)(α+u)^(r+x)), and P(X(t)=0) = a/(a+b) +
//     b/(a+b)·(α/(α+t))^r.
//   - "paretonbd" (Schmittlein, Morrison & Colombo 1987, Management Science
//     33(1)): λ ~ Gamma(r, rate alpha), μ ~ Gamma(s, rate beta), lifetime
//     τ ~ Exponential(μ) from the first purchase; purchases are a Poisson
//     process of rate λ on (birth, birth+τ).
//
// With Spend set, every purchase (the first included) has a value drawn from
// the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV: Using
// Iso-Value Curves for Customer Base Analysis", JMR 42(4); Colombo &
// Jiang 1999): ν ~ Gamma(q, rate gamma) per customer and each value
// z ~ Gamma(p, rate ν), so E[z | ν] = p/ν and E[z] = p·gamma/(q−1).
//
// Randomness: every customer has two independent PCG streams (math/rand/v2)
// seeded from (Seed, customer index) by a SplitMix64 hash, one for the
// purchase process and one for spend. Hence a customer's history depends
// only on Seed, her index and the parameters: the output is the same
// whatever GOMAXPROCS, and adding Spend does not change purchase times.
// Gamma variates are drawn by Marsaglia & Tsang's method. The float
// arithmetic is deterministic on one architecture; across architectures
// math.Log and math.Exp may differ in the last bit, which could change a
// logged date or cent only for a value within about 1e-13 of a day or
// half-cent boundary.
type SimulationConfig struct {
	// Model is the purchase process: "bgnbd", "mbgnbd" or "paretonbd"
	// (case and the separators "/", "-", "_" are ignored).
	Model string
	// Params are the purchase-process parameters, all finite and > 0:
	// r, alpha, a, b for bgnbd and mbgnbd; r, alpha, s, beta for paretonbd.
	// alpha and beta are rates per Unit.
	Params map[string]float64
	// Spend holds the Gamma-Gamma parameters p, q, gamma (finite, > 0);
	// nil simulates no amounts.
	Spend map[string]float64
	// Customers is the number of customers, ≥ 1.
	Customers int
	// Start is the first day of acquisition, a UTC midnight. Times in
	// SimulatedCustomer are days since Start.
	Start time.Time
	// AcquisitionDays ≥ 0 is the length of the acquisition window; 0 makes
	// every customer's first purchase fall at Start exactly. It may not
	// exceed the observation window.
	AcquisitionDays float64
	// End is the last day observed, a UTC midnight no earlier than Start:
	// the histories run until End+24h.
	End time.Time
	// Unit is the time unit the parameters are expressed in (zero: Week).
	Unit Unit
	// Seed selects the random streams.
	Seed uint64
}

// SimulatedCustomer is one customer's simulated history, in continuous time.
type SimulatedCustomer struct {
	// ID is the customer's number, zero-padded to at least 6 digits so ids
	// sort as numbers: "000001".
	ID string
	// Birth is the first purchase, in days since Start (fractional).
	Birth float64
	// Purchases are all purchase times in days since Start, ascending; the
	// first is Birth and all are before the end of day End.
	Purchases []float64
	// Amounts holds one value per purchase when the config has Spend (nil
	// otherwise).
	Amounts []float64
}

// Simulation is a simulated customer base: the config it was drawn from
// and the customers in id order.
type Simulation struct {
	Config    SimulationConfig
	Customers []SimulatedCustomer
}

// maxPurchasesPerCustomer bounds one customer's history, so that a rate far
// too high for the horizon fails with an error instead of exhausting memory.
const maxPurchasesPerCustomer = 1 << 20

// simChunk is how many customers a worker takes at a time.
const simChunk = 4096

// Stream domains: distinct constants so the purchase, spend and BG/BB
// streams of a customer never coincide.
const (
	domainPurchase uint64 = 0x243F6A8885A308D3
	domainSpend    uint64 = 0x13198A2E03707344
	domainBGBB     uint64 = 0xA4093822299F31D0
)

// Simulate draws the customer base cfg describes. The config is validated
// first; an error names the offending field.
func Simulate(cfg SimulationConfig) (*Simulation, error) {
	p, err := newSimPlan(cfg)
	if err != nil {
		return nil, err
	}
	customers := make([]SimulatedCustomer, cfg.Customers)
	err = p.run(func(w *simWorker, lo, hi int) error {
		var times, amounts []float64
		offs := make([]int, 0, hi-lo+1)
		for i := lo; i < hi; i++ {
			birth, err := p.customer(i, w)
			if err != nil {
				return err
			}
			offs = append(offs, len(times))
			times = append(times, w.times...)
			if p.spend {
				amounts = append(amounts, w.amounts...)
			}
			customers[i].Birth = birth
		}
		offs = append(offs, len(times))
		// Exact-size copies: the customers keep these arrays alive.
		times = slices.Clone(times)
		amounts = slices.Clone(amounts)
		ids := p.ids(lo, hi)
		for i := lo; i < hi; i++ {
			k := i - lo
			c := &customers[i]
			c.ID = ids[k*p.idWidth : (k+1)*p.idWidth]
			c.Purchases = times[offs[k]:offs[k+1]:offs[k+1]]
			if p.spend {
				c.Amounts = amounts[offs[k]:offs[k+1]:offs[k+1]]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Simulation{Config: cfg, Customers: customers}, nil
}

// SimulateSummary is Simulate followed by Summary without keeping any
// purchase history: each customer is summarized as soon as she is drawn,
// so memory is one CustomerSummary per customer (for the 10-million-customer
// benchmarks). The result equals
// Simulate(cfg).Summary(calibrationEnd, holdoutEnd, unit) exactly. Unlike
// Summary, invalid windows are returned as errors.
func SimulateSummary(cfg SimulationConfig, calibrationEnd, holdoutEnd time.Time, unit Unit) (*Summary, error) {
	p, err := newSimPlan(cfg)
	if err != nil {
		return nil, err
	}
	win, err := newSimWindows(cfg, calibrationEnd, holdoutEnd, unit)
	if err != nil {
		return nil, err
	}
	rows := make([]CustomerSummary, cfg.Customers)
	late := make([]bool, cfg.Customers)
	nChunks := (cfg.Customers + simChunk - 1) / simChunk
	counts := make([][2]int64, nChunks) // purchases, purchases outside the windows
	err = p.run(func(w *simWorker, lo, hi int) error {
		ids := p.ids(lo, hi)
		var n, out int64
		for i := lo; i < hi; i++ {
			birth, err := p.customer(i, w)
			if err != nil {
				return err
			}
			k := i - lo
			isLate, o := win.summarize(ids[k*p.idWidth:(k+1)*p.idWidth], birth, w.times, w.amounts, &rows[i])
			late[i] = isLate
			n += int64(len(w.times))
			out += o
		}
		counts[lo/simChunk] = [2]int64{n, out}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := win.newSummary()
	kept := 0
	for i := range rows {
		if late[i] {
			s.LateCustomers++
			continue
		}
		rows[kept] = rows[i]
		kept++
	}
	clear(rows[kept:])
	s.Customers = rows[:kept:kept]
	var read, outside int64
	for _, c := range counts {
		read += c[0]
		outside += c[1]
	}
	s.Accounting = simAccounting(read, outside)
	return s, nil
}

// Summary returns the continuous-time summary of the simulated histories,
// the table a model fit on the simulation should recover the parameters
// from. Unlike the summary of a log there is no rounding to days and no
// merging of same-day purchases.
//
// The calibration window ends at the END of day calibrationEnd, c =
// calibrationEnd+24h (the day is included, as in a log), and the holdout,
// when holdoutEnd is not zero, covers [c, holdoutEnd+24h). For each
// customer born before c, in unit (zero: Week):
//
//   - Frequency: purchases after Birth and before c;
//   - Recency: last calibration purchase − Birth (0 without repeats);
//   - T: c − Birth;
//   - Monetary: mean value of the calibration repeat purchases (0 without
//     repeats) and FirstAmount the value of the first purchase, unrounded;
//   - FrequencyHoldout, MonetaryHoldout, DurationHoldout: count and mean
//     value of the holdout purchases and the holdout length;
//   - Weight 1; Activity is not computed.
//
// Customers born at or after c are left out and counted in LateCustomers.
// Accounting counts every purchase as a row read; those at or after the
// end of the last window are rejected as ReasonOutsideWindow, the others
// used.
//
// Both dates must be UTC midnights with Start ≤ calibrationEnd ≤ End and,
// if holdoutEnd is set, calibrationEnd < holdoutEnd ≤ End: anything else is
// a programming error and panics with the reason (SimulateSummary returns
// it as an error instead).
func (s *Simulation) Summary(calibrationEnd, holdoutEnd time.Time, unit Unit) *Summary {
	win, err := newSimWindows(s.Config, calibrationEnd, holdoutEnd, unit)
	if err != nil {
		panic(err.Error())
	}
	out := win.newSummary()
	out.Customers = make([]CustomerSummary, 0, len(s.Customers))
	var row CustomerSummary
	var read, outside int64
	for _, c := range s.Customers {
		isLate, o := win.summarize(c.ID, c.Birth, c.Purchases, c.Amounts, &row)
		read += int64(len(c.Purchases))
		outside += o
		if isLate {
			out.LateCustomers++
			continue
		}
		out.Customers = append(out.Customers, row)
	}
	out.Accounting = simAccounting(read, outside)
	return out
}

// WriteCSV writes the simulated transaction log: the header
// customer_id,date,amount (customer_id,date without Spend), then one row
// per purchase with the ISO date Start + floor(time) and the amount with two
// decimals. Rows come in time order across customers, as a real log
// would, ties broken by customer id and then purchase order.
func (s *Simulation) WriteCSV(w io.Writer) error {
	start := s.Config.Start
	if !isUTCMidnight(start) {
		return fmt.Errorf("write simulated log: config Start %s is not a UTC midnight", start.Format(time.RFC3339))
	}
	hasAmount := s.Config.Spend != nil
	type rowRef struct {
		t    float64
		c, k int32
	}
	total := 0
	for i, c := range s.Customers {
		if hasAmount && len(c.Amounts) != len(c.Purchases) {
			return fmt.Errorf("write simulated log: customer %q has %d purchases but %d amounts", c.ID, len(c.Purchases), len(c.Amounts))
		}
		if len(c.Purchases) > math.MaxInt32 || i > math.MaxInt32 {
			return fmt.Errorf("write simulated log: too many rows")
		}
		total += len(c.Purchases)
	}
	// Bucket the rows by day, then sort each day.
	maxDay := -1
	for _, c := range s.Customers {
		for k, t := range c.Purchases {
			if !(t >= 0) || t >= 1e7 {
				return fmt.Errorf("write simulated log: customer %q purchase %d at %v days is outside [0, 1e7)", c.ID, k, t)
			}
			maxDay = max(maxDay, int(t))
		}
	}
	next := make([]int, maxDay+2) // next[d]: where the next row of day d goes
	for _, c := range s.Customers {
		for _, t := range c.Purchases {
			next[int(t)+1]++
		}
	}
	for d := 1; d < len(next); d++ {
		next[d] += next[d-1]
	}
	bounds := slices.Clone(next)
	rows := make([]rowRef, total)
	for i, c := range s.Customers {
		for k, t := range c.Purchases {
			d := int(t)
			rows[next[d]] = rowRef{t: t, c: int32(i), k: int32(k)}
			next[d]++
		}
	}
	byTime := func(x, y rowRef) int {
		if x.t != y.t {
			return cmp.Compare(x.t, y.t)
		}
		if x.c != y.c {
			if o := strings.Compare(s.Customers[x.c].ID, s.Customers[y.c].ID); o != 0 {
				return o
			}
			return cmp.Compare(x.c, y.c)
		}
		return cmp.Compare(x.k, y.k)
	}
	for d := 0; d <= maxDay; d++ {
		slices.SortFunc(rows[bounds[d]:bounds[d+1]], byTime)
	}
	dates := make([]string, maxDay+1)
	for d := range dates {
		dates[d] = start.AddDate(0, 0, d).Format(time.DateOnly)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if hasAmount {
		bw.WriteString("customer_id,date,amount\n")
	} else {
		bw.WriteString("customer_id,date\n")
	}
	var line []byte
	for _, r := range rows {
		c := &s.Customers[r.c]
		line = append(line[:0], c.ID...)
		line = append(line, ',')
		line = append(line, dates[int(r.t)]...)
		if hasAmount {
			line = append(line, ',')
			line = strconv.AppendFloat(line, c.Amounts[r.k], 'f', 2, 64)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write simulated log: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write simulated log: %w", err)
	}
	return nil
}

// SimulateBGBB draws a discrete-time customer base from the BG/BB model
// (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a Discrete-Time
// Noncontractual Setting", Marketing Science 29(6)) and returns its
// summary. params holds alpha, beta, gamma, delta (finite, > 0).
//
// Each customer has p ~ Beta(alpha, beta) and θ ~ Beta(gamma, delta). After
// the first purchase (opportunity 0, not counted) come opportunities
// 1..opportunities; at the beginning of each, a customer still alive
// becomes inactive with probability θ, and if still alive she transacts
// with probability p. This is the timing of the paper's likelihood
//
//	L = B(α+x, β+n−x)/B(α, β)·B(γ, δ+n)/B(γ, δ)
//	  + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α, β)·B(γ+1, δ+t_x+i)/B(γ, δ),
//
// where the first term is a customer alive at all n opportunities. The
// rows have Frequency = x (transactions), Recency = t_x (the opportunity
// of the last transaction, 0 if none), T = n and Weight 1; Unit is Day
// (one opportunity per unit) and the dates are zero. Customer ids are
// zero-padded numbers as in Simulate. The geometric waiting times to the
// next transaction and to death are drawn directly, which is the same
// process at a cost proportional to the number of transactions.
func SimulateBGBB(params map[string]float64, customers, opportunities int, seed uint64) (*Summary, error) {
	return SimulateBGBBHoldout(params, customers, opportunities, 0, seed)
}

// SimulateBGBBHoldout is SimulateBGBB with a holdout: the same customers
// continue for holdout ≥ 0 more opportunities n+1..n+holdout, and
// FrequencyHoldout counts their transactions there (DurationHoldout =
// holdout, HasHoldout when holdout > 0). The calibration columns do not
// depend on holdout.
func SimulateBGBBHoldout(params map[string]float64, customers, opportunities, holdout int, seed uint64) (*Summary, error) {
	vals, err := checkParams("simulate bgbb", "bgbb", params, []string{"alpha", "beta", "gamma", "delta"})
	if err != nil {
		return nil, err
	}
	switch {
	case customers < 1:
		return nil, fmt.Errorf("simulate bgbb: customers must be at least 1, got %d", customers)
	case opportunities < 1:
		return nil, fmt.Errorf("simulate bgbb: opportunities must be at least 1, got %d", opportunities)
	case holdout < 0:
		return nil, fmt.Errorf("simulate bgbb: holdout must be ≥ 0 opportunities, got %d", holdout)
	case int64(opportunities) > 1<<40 || int64(holdout) > 1<<40:
		return nil, fmt.Errorf("simulate bgbb: at most 2^40 opportunities")
	}
	ga, gb := newGammaSampler(vals[0]), newGammaSampler(vals[1])
	gg, gd := newGammaSampler(vals[2]), newGammaSampler(vals[3])
	n, m := opportunities, holdout
	horizon := float64(n + m)
	width := idWidth(customers)
	rows := make([]CustomerSummary, customers)
	err = parallelChunks(customers, func(lo, hi int) error {
		pcg := rand.NewPCG(0, 0)
		r := rand.New(pcg)
		ids := makeIDs(lo, hi, width)
		for i := lo; i < hi; i++ {
			pcg.Seed(streamSeeds(seed, domainBGBB, uint64(i)))
			// log(1−p) and log(1−θ), from Beta = X/(X+Y).
			lx, ly := ga.logSample(r), gb.logSample(r)
			log1mp := log1mBeta(lx, ly)
			lx, ly = gg.logSample(r), gd.logSample(r)
			log1mTheta := log1mBeta(lx, ly)
			// alive: the number of opportunities survived, Geometric(θ) on
			// {0, 1, ...}, capped at the horizon.
			alive := min(failuresBeforeSuccess(r, log1mTheta, horizon), horizon)
			var x, tx, xh float64
			j := 0.0
			for {
				j += 1 + failuresBeforeSuccess(r, log1mp, horizon)
				if j > alive {
					break
				}
				if j <= float64(n) {
					x++
					tx = j
				} else {
					xh++
				}
			}
			k := i - lo
			rows[i] = CustomerSummary{
				ID: ids[k*width : (k+1)*width], Frequency: x, Recency: tx, T: float64(n),
				FrequencyHoldout: xh, DurationHoldout: float64(m), Weight: 1,
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Summary{
		Unit:       Day,
		HasHoldout: m > 0,
		Customers:  rows,
		Accounting: Accounting{RejectedBy: map[Reason]int64{}},
	}, nil
}

// failuresBeforeSuccess draws the number of failures before the first
// success of Bernoulli trials whose failure probability is exp(log1mp),
// floor(log U / log(1−p)) with U uniform on (0, 1]; results above limit are
// returned as +Inf.
func failuresBeforeSuccess(r *rand.Rand, log1mp, limit float64) float64 {
	if log1mp == 0 { // p underflowed to 0: never
		return math.Inf(1)
	}
	u := 1 - r.Float64()
	f := math.Floor(math.Log(u) / log1mp) // log1mp = −Inf (p = 1) gives −0: floor 0
	if f > limit {
		return math.Inf(1)
	}
	return f
}

// log1mBeta returns log(1−p) for p = X/(X+Y) given log X and log Y,
// accurately even when p is extremely close to 0 or 1.
func log1mBeta(lx, ly float64) float64 { return -softplus(lx - ly) }

// softplus returns log(1+e^x) without overflow.
func softplus(x float64) float64 {
	if x > 35 {
		return x + math.Exp(-x)
	}
	return math.Log1p(math.Exp(x))
}

// simModel is a purchase process of SimulationConfig.
type simModel int

const (
	simBGNBD simModel = iota + 1
	simMBGNBD
	simParetoNBD
)

// simPlan is a validated SimulationConfig, ready to draw customers.
type simPlan struct {
	model    simModel
	seed     uint64
	n        int
	idWidth  int
	acq      float64 // acquisition window, days
	endDays  float64 // end of observation, days since Start
	unitDays float64
	// purchase process: λ = G(r)/alpha per unit
	lambda gammaSampler
	alpha  float64
	// dropout: Beta(a, b) for BG/NBD, Gamma(s, rate beta) for Pareto/NBD
	drop1, drop2 gammaSampler
	beta         float64
	// spend: ν = G(q)/gamma, z = G(p)/ν
	spend          bool
	spendP, spendQ gammaSampler
	spendRate      float64
}

// simWorker holds one worker's random streams and scratch buffers.
type simWorker struct {
	pcgP, pcgS *rand.PCG
	rp, rs     *rand.Rand
	times      []float64
	amounts    []float64
}

func newSimWorker() *simWorker {
	w := &simWorker{pcgP: rand.NewPCG(0, 0), pcgS: rand.NewPCG(0, 0)}
	w.rp, w.rs = rand.New(w.pcgP), rand.New(w.pcgS)
	return w
}

// modelNames lists the valid Model values.
var modelNames = []string{"bgnbd", "mbgnbd", "paretonbd"}

func newSimPlan(cfg SimulationConfig) (*simPlan, error) {
	const op = "simulate"
	p := &simPlan{seed: cfg.Seed, n: cfg.Customers}
	name := strings.NewReplacer("/", "", "-", "", "_", "", " ", "").Replace(strings.ToLower(cfg.Model))
	var want []string
	switch name {
	case "bgnbd":
		p.model, want = simBGNBD, []string{"r", "alpha", "a", "b"}
	case "mbgnbd":
		p.model, want = simMBGNBD, []string{"r", "alpha", "a", "b"}
	case "paretonbd":
		p.model, want = simParetoNBD, []string{"r", "alpha", "s", "beta"}
	default:
		return nil, fmt.Errorf("%s: unknown model %q: use one of %s", op, cfg.Model, strings.Join(modelNames, ", "))
	}
	vals, err := checkParams(op, name, cfg.Params, want)
	if err != nil {
		return nil, err
	}
	p.lambda, p.alpha = newGammaSampler(vals[0]), vals[1]
	p.drop1 = newGammaSampler(vals[2])
	if p.model == simParetoNBD {
		p.beta = vals[3]
	} else {
		p.drop2 = newGammaSampler(vals[3])
	}
	if cfg.Spend != nil {
		sv, err := checkParams(op, "Gamma-Gamma spend", cfg.Spend, []string{"p", "q", "gamma"})
		if err != nil {
			return nil, err
		}
		p.spend = true
		p.spendP, p.spendQ, p.spendRate = newGammaSampler(sv[0]), newGammaSampler(sv[1]), sv[2]
	}
	if cfg.Customers < 1 {
		return nil, fmt.Errorf("%s: Customers must be at least 1, got %d", op, cfg.Customers)
	}
	p.idWidth = idWidth(cfg.Customers)
	u := cfg.Unit
	if u == (Unit{}) {
		u = Week
	}
	if !(u.days > 0) || math.IsInf(u.days, 0) {
		return nil, fmt.Errorf("%s: Unit %q has no valid length in days; use Day, Week, Month, Year or ParseUnit", op, u.Name)
	}
	p.unitDays = u.days
	if !isUTCMidnight(cfg.Start) {
		return nil, fmt.Errorf("%s: Start must be a date (a UTC midnight), got %s", op, cfg.Start.Format(time.RFC3339Nano))
	}
	if !isUTCMidnight(cfg.End) {
		return nil, fmt.Errorf("%s: End must be a date (a UTC midnight), got %s", op, cfg.End.Format(time.RFC3339Nano))
	}
	days := (cfg.End.Unix() - cfg.Start.Unix()) / 86400
	if days < 0 {
		return nil, fmt.Errorf("%s: End %s is before Start %s", op, cfg.End.Format(time.DateOnly), cfg.Start.Format(time.DateOnly))
	}
	if days >= 1e6 {
		return nil, fmt.Errorf("%s: observation window of %d days is too long (at most 1e6)", op, days+1)
	}
	p.endDays = float64(days + 1)
	if !(cfg.AcquisitionDays >= 0) || cfg.AcquisitionDays > p.endDays {
		return nil, fmt.Errorf("%s: AcquisitionDays must be in [0, %g] (the days from Start to the end of End), got %v", op, p.endDays, cfg.AcquisitionDays)
	}
	p.acq = cfg.AcquisitionDays
	return p, nil
}

// checkParams returns the values of the names in want, in that order, after
// checking params has exactly these names with finite positive values.
func checkParams(op, model string, params map[string]float64, want []string) ([]float64, error) {
	list := strings.Join(want, ", ")
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(want, k) {
			return nil, fmt.Errorf("%s: unknown parameter %q for %s (want %s)", op, k, model, list)
		}
	}
	vals := make([]float64, len(want))
	for i, k := range want {
		v, ok := params[k]
		if !ok {
			return nil, fmt.Errorf("%s: %s needs parameter %q (want %s)", op, model, k, list)
		}
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("%s: %s parameter %s must be finite and > 0, got %v", op, model, k, v)
		}
		vals[i] = v
	}
	return vals, nil
}

// customer draws customer i into w.times (and w.amounts) and returns her
// birth, in days since Start.
func (p *simPlan) customer(i int, w *simWorker) (float64, error) {
	w.pcgP.Seed(streamSeeds(p.seed, domainPurchase, uint64(i)))
	rp := w.rp
	birth := rp.Float64() * p.acq
	// λ per day.
	lambda := p.lambda.sample(rp) / p.alpha / p.unitDays
	var drop float64  // p (BG/NBD, MBG/NBD)
	stop := p.endDays // end of the purchase process
	dropAtBirth := false
	switch p.model {
	case simBGNBD, simMBGNBD:
		drop = betaSample(rp, &p.drop1, &p.drop2)
		if p.model == simMBGNBD {
			dropAtBirth = rp.Float64() < drop
		}
	case simParetoNBD:
		mu := p.drop1.sample(rp) / p.beta // per unit
		e := rp.ExpFloat64()
		tau := 0.0
		if e > 0 {
			tau = e / mu * p.unitDays // +Inf when μ underflowed
		}
		stop = min(stop, birth+tau)
	}
	var nu float64 // the Gamma-Gamma rate ν
	if p.spend {
		w.pcgS.Seed(streamSeeds(p.seed, domainSpend, uint64(i)))
		nu = p.spendQ.sample(w.rs) / p.spendRate
	}
	w.times, w.amounts = w.times[:0], w.amounts[:0]
	t := birth
	for {
		w.times = append(w.times, t)
		if p.spend {
			w.amounts = append(w.amounts, p.spendP.sample(w.rs)/nu)
		}
		if len(w.times) >= maxPurchasesPerCustomer {
			return 0, fmt.Errorf("simulate: customer %d made %d purchases before the end: the purchase rate is too high for the horizon (check alpha and Unit)", i+1, maxPurchasesPerCustomer)
		}
		if dropAtBirth {
			break
		}
		if len(w.times) > 1 && p.model != simParetoNBD {
			// drop-out after a repeat purchase, with probability p
			if rp.Float64() < drop {
				break
			}
		}
		t += rp.ExpFloat64() / lambda
		if !(t < stop) {
			break
		}
	}
	return birth, nil
}

// ids returns the ids of customers lo..hi-1 concatenated, idWidth bytes each.
func (p *simPlan) ids(lo, hi int) string { return makeIDs(lo, hi, p.idWidth) }

// run calls f on consecutive chunks of customers from parallel workers and
// returns the error of the lowest failing chunk.
func (p *simPlan) run(f func(w *simWorker, lo, hi int) error) error {
	return parallelChunksWorker(p.n, newSimWorker, f)
}

func parallelChunks(n int, f func(lo, hi int) error) error {
	return parallelChunksWorker(n, func() struct{} { return struct{}{} }, func(_ struct{}, lo, hi int) error { return f(lo, hi) })
}

// parallelChunksWorker runs f on the chunks [k·simChunk, (k+1)·simChunk) of
// [0, n) from min(GOMAXPROCS, chunks) goroutines, each with its own state
// from newState. The error returned is that of the lowest failing chunk, so
// it does not depend on scheduling.
func parallelChunksWorker[S any](n int, newState func() S, f func(s S, lo, hi int) error) error {
	nChunks := (n + simChunk - 1) / simChunk
	errs := make([]error, nChunks)
	var next atomic.Int64
	var firstFailed atomic.Int64 // lowest failed chunk so far
	firstFailed.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nChunks) {
		wg.Go(func() {
			s := newState()
			for {
				k := int(next.Add(1) - 1)
				// Chunks above a failed one are skipped; those below still
				// run, so the error reported is always the same.
				if k >= nChunks || int64(k) > firstFailed.Load() {
					return
				}
				lo := k * simChunk
				if err := f(s, lo, min(lo+simChunk, n)); err != nil {
					errs[k] = err
					for {
						old := firstFailed.Load()
						if int64(k) >= old || firstFailed.CompareAndSwap(old, int64(k)) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// idWidth is the number of digits of customer ids: at least 6, enough for n.
func idWidth(n int) int { return max(6, len(strconv.Itoa(n))) }

// makeIDs returns the zero-padded 1-based ids of customers lo..hi-1,
// concatenated width bytes each (one allocation for the chunk).
func makeIDs(lo, hi, width int) string {
	buf := make([]byte, (hi-lo)*width)
	for i := lo; i < hi; i++ {
		b := buf[(i-lo)*width : (i-lo+1)*width]
		v := i + 1
		for j := width - 1; j >= 0; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	return string(buf)
}

// streamSeeds derives the two PCG seed words of stream (domain, i) from
// seed with the SplitMix64 finalizer; distinct i give distinct first words.
func streamSeeds(seed, domain, i uint64) (uint64, uint64) {
	a := mix64(mix64(seed^domain) + i)
	return a, mix64(a ^ 0xD1B54A32D192ED03)
}

// mix64 is the SplitMix64 output function (Steele, Lea & Flood 2014), a
// bijection of uint64.
func mix64(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// gammaSampler draws log X for X ~ Gamma(shape, rate 1) by Marsaglia &
// Tsang (2000, "A Simple Method for Generating Gamma Variables", ACM TOMS
// 26(3)); shapes below 1 use X = Y·U^(1/shape) with Y ~ Gamma(shape+1),
// done in log space so tiny shapes do not underflow to 0.
type gammaSampler struct {
	d, c     float64
	small    bool
	invShape float64
}

func newGammaSampler(shape float64) gammaSampler {
	var g gammaSampler
	if shape < 1 {
		g.small, g.invShape = true, 1/shape
		shape++
	}
	g.d = shape - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

// core draws Gamma(shape', 1) with shape' = shape, or shape+1 for shapes
// below 1.
func (g *gammaSampler) core(r *rand.Rand) float64 {
	for {
		x := r.NormFloat64()
		v := 1 + g.c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 || math.Log(u) < 0.5*x2+g.d*(1-v+math.Log(v)) {
			return g.d * v
		}
	}
}

// logSample returns the log of one Gamma(shape, 1) variate.
func (g *gammaSampler) logSample(r *rand.Rand) float64 {
	lg := math.Log(g.core(r))
	if g.small {
		lg += math.Log(1-r.Float64()) * g.invShape
	}
	return lg
}

// sample returns one Gamma(shape, 1) variate (0 if it underflows).
func (g *gammaSampler) sample(r *rand.Rand) float64 {
	if g.small {
		return math.Exp(g.logSample(r))
	}
	return g.core(r)
}

// betaSample returns X/(X+Y) for X ~ Gamma(a), Y ~ Gamma(b) drawn by ga
// and gb in that order: Beta(a, b). Shapes below 1 go through logs so that
// two underflowing gammas still give the right ratio.
func betaSample(r *rand.Rand, ga, gb *gammaSampler) float64 {
	if !ga.small && !gb.small {
		x := ga.core(r)
		return x / (x + gb.core(r))
	}
	lx := ga.logSample(r)
	return 1 / (1 + math.Exp(gb.logSample(r)-lx))
}

// simWindows are the summary windows of a simulation, in days since Start.
type simWindows struct {
	calEnd, holdoutEnd time.Time
	cal, hold          float64 // ends (exclusive) of the windows
	hasHold, hasAmount bool
	unit               Unit
}

func newSimWindows(cfg SimulationConfig, calibrationEnd, holdoutEnd time.Time, unit Unit) (*simWindows, error) {
	const op = "simulation summary"
	if unit == (Unit{}) {
		unit = Week
	}
	if !(unit.days > 0) || math.IsInf(unit.days, 0) {
		return nil, fmt.Errorf("%s: unit %q has no valid length in days", op, unit.Name)
	}
	if !isUTCMidnight(cfg.Start) || !isUTCMidnight(cfg.End) {
		return nil, fmt.Errorf("%s: config Start and End must be UTC midnights", op)
	}
	if !isUTCMidnight(calibrationEnd) {
		return nil, fmt.Errorf("%s: calibration end must be a date (a UTC midnight), got %s", op, calibrationEnd.Format(time.RFC3339Nano))
	}
	if calibrationEnd.Before(cfg.Start) || calibrationEnd.After(cfg.End) {
		return nil, fmt.Errorf("%s: calibration end %s is outside the simulated days %s..%s", op,
			calibrationEnd.Format(time.DateOnly), cfg.Start.Format(time.DateOnly), cfg.End.Format(time.DateOnly))
	}
	w := &simWindows{calEnd: calibrationEnd, hasAmount: cfg.Spend != nil, unit: unit}
	w.cal = float64((calibrationEnd.Unix()-cfg.Start.Unix())/86400 + 1)
	if !holdoutEnd.IsZero() {
		if !isUTCMidnight(holdoutEnd) {
			return nil, fmt.Errorf("%s: holdout end must be a date (a UTC midnight), got %s", op, holdoutEnd.Format(time.RFC3339Nano))
		}
		if !holdoutEnd.After(calibrationEnd) || holdoutEnd.After(cfg.End) {
			return nil, fmt.Errorf("%s: holdout end %s must be after calibration end %s and no later than the simulation's End %s", op,
				holdoutEnd.Format(time.DateOnly), calibrationEnd.Format(time.DateOnly), cfg.End.Format(time.DateOnly))
		}
		w.holdoutEnd, w.hasHold = holdoutEnd, true
		w.hold = float64((holdoutEnd.Unix()-cfg.Start.Unix())/86400 + 1)
	}
	return w, nil
}

func (w *simWindows) newSummary() *Summary {
	return &Summary{
		Unit:           w.unit,
		CalibrationEnd: w.calEnd,
		HoldoutEnd:     w.holdoutEnd,
		HasHoldout:     w.hasHold,
		HasAmount:      w.hasAmount,
		Accounting:     Accounting{RejectedBy: map[Reason]int64{}},
	}
}

// summarize fills row from one history and reports whether the customer is
// born after calibration and how many purchases fall after every window.
func (w *simWindows) summarize(id string, birth float64, times, amounts []float64, row *CustomerSummary) (late bool, outside int64) {
	last := w.cal
	if w.hasHold {
		last = w.hold
	}
	for i := len(times) - 1; i >= 0 && times[i] >= last; i-- {
		outside++
	}
	if birth >= w.cal {
		return true, outside
	}
	if len(amounts) != len(times) {
		amounts = nil
	}
	u := w.unit.days
	*row = CustomerSummary{ID: id, T: (w.cal - birth) / u, Weight: 1}
	var sumCal, sumHold float64
	var nHold int
	i := 1
	for ; i < len(times) && times[i] < w.cal; i++ {
		if amounts != nil {
			sumCal += amounts[i]
		}
	}
	x := i - 1
	row.Frequency = float64(x)
	if x > 0 {
		row.Recency = (times[i-1] - birth) / u
	}
	if w.hasHold {
		for ; i < len(times) && times[i] < w.hold; i++ {
			nHold++
			if amounts != nil {
				sumHold += amounts[i]
			}
		}
		row.FrequencyHoldout = float64(nHold)
		row.DurationHoldout = (w.hold - w.cal) / u
	}
	if w.hasAmount && len(amounts) > 0 {
		row.FirstAmount = amounts[0]
		if x > 0 {
			row.Monetary = sumCal / float64(x)
		}
		if nHold > 0 {
			row.MonetaryHoldout = sumHold / float64(nHold)
		}
	}
	return false, outside
}

// simAccounting is the row accounting of a simulated summary: read rows
// (purchases), of which outside fall after the last window.
func simAccounting(read, outside int64) Accounting {
	a := Accounting{RowsRead: read, RowsUsed: read - outside, RowsRejected: outside, RejectedBy: map[Reason]int64{}}
	if outside > 0 {
		a.RejectedBy[ReasonOutsideWindow] = outside
	}
	return a
}

// isUTCMidnight reports whether t is 00:00:00 UTC.
func isUTCMidnight(t time.Time) bool {
	u := t.UTC()
	return u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0
}
