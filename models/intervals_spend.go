package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"gonum.org/v1/gonum/mathext"
)

// Intervals for spend, revenue and CLV.
//
// Spend. Under the Gamma-Gamma model (Fader, Hardie & Lee 2005) a
// customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ); after
// x repeat transactions of mean m̄ the posterior of ν is
//
//	ν | x, m̄ ~ Gamma(k, θ),   k = px + q,   θ = γ + x·m̄   (shape, rate),
//
// and the customer's mean transaction value p/ν is inverse-gamma, so its
// quantiles are exact: Q_{p/ν}(u) = p·θ / G⁻¹(k, 1−u), G⁻¹ the inverse of
// the regularized lower incomplete gamma function. The spend model's
// parameters are taken at their estimate.
//
// Revenue. The revenue of the Y purchases of a horizon is R = Σ_{j≤Y} z_j.
// Given Y = y and ν it is Gamma(py, ν); mixed over the posterior of ν,
// R/θ is beta-prime(py, k), i.e. P(R ≤ θu | Y = y) = I_{u/(1+u)}(py, k).
// With Y from the purchase model's predictive distribution (its own
// P(Y = y | history) mixed over parameter draws, PurchaseIntervals),
//
//	P(R ≤ θu) = P(Y = 0) + Σ_{y≥1} P(Y = y) · I_{u/(1+u)}(py, k),
//
// which depends on the customer only through the row (x, t_x, T) and the
// scale θ: the quantiles of R/θ are found once per row, every level and
// both tails in one pass over tables of the incomplete beta terms per
// distinct x (intervals_money.go; the direct root search on this CDF,
// rowQuantile, where the tables cannot serve), and multiplied by each
// customer's θ. Spend is taken independent of the purchase count, as the
// Gamma-Gamma model assumes.
//
// CLV. The discounted value margin·Σ z_j e^(−δ t_j) is approximated by
// margin · f · R(H), with R(H) the revenue over the CLV horizon and
// f = DERT/E[Y(H)] the customer's mean discount factor per purchase (the
// ratio the point CLV implies), so that the interval is exact but for the
// timing of the purchases within the horizon, and its mean is the point CLV
// (up to the parameter draws, which move the purchases' mean a little).
//
// Cohort totals. The total is approximated by a normal whose mean is the
// sum of the customers' means and whose variance is the sum of their
// variances plus the shared part of the purchase model's parameter
// uncertainty, ρ²·Var_d(M_d), where M_d is the total purchases' mean at
// parameter draw d and ρ the revenue per purchase of the cohort. The
// per-customer variance needs k > 2 (a finite second moment of p/ν); the
// total's interval is NaN otherwise.

// SpendPosterior returns the shape k = px+q and rate θ = γ+x·m̄ of the
// posterior of ν given the customer's x repeat transactions of mean m̄ (a
// Frequency ≤ 0 counts as none; a NaN or negative m̄ as 0).
func (f *FittedGammaGamma) SpendPosterior(c Customer) (shape, rate float64) {
	x, m := c.Frequency, c.Monetary
	if !(x > 0) {
		x = 0
	}
	if !(m > 0) {
		m = 0
	}
	return f.P*x + f.Q, f.Gamma + x*m
}

// SpendInterval returns the equal-tailed interval at level (in (0, 1)) of
// the customer's mean transaction value p/ν under the posterior (see
// SpendPosterior): [pθ/G⁻¹(k, (1+L)/2), pθ/G⁻¹(k, (1−L)/2)]. It returns
// NaN bounds for a level outside (0, 1).
func (f *FittedGammaGamma) SpendInterval(c Customer, level float64) (lower, upper float64) {
	if !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	k, theta := f.SpendPosterior(c)
	return f.P * theta / mathext.GammaIncRegInv(k, (1+level)/2), f.P * theta / mathext.GammaIncRegInv(k, (1-level)/2)
}

// RevenueIntervals holds the predictive distribution of the revenue of
// every customer over the purchase intervals' horizon, and of the cohort
// total (see the notes above). The quantiles of R/θ are stored per row,
// and each customer's scale (θ times her factor, made once with the
// total); a customer's bounds are her scale times her row's (Bounds),
// computed when read.
type RevenueIntervals struct {
	Level float64
	// Lower, Upper and Mean are per customer, in money, materialized by
	// NewRevenueIntervalsAt (nil from NewRevenueTablesAt: read Bounds and
	// MeanOf); each is the customer's factor times θ times her row's value.
	Lower, Upper, Mean []float64
	// TotalMean, TotalLower and TotalUpper describe the cohort total (NaN
	// bounds when the posterior's second moment is infinite, k ≤ 2).
	TotalMean, TotalLower, TotalUpper float64

	// low and high are the level's tails' places in a row's quantiles.
	low, high int
	*revenueRows
}

// RevenueCustomers are the customers of revenue intervals: customer i's
// row of the purchase intervals (and of the data, whose Frequency gives
// the row's x), her calibration mean spend m̄ and the factor that
// multiplies her revenue (nil: 1; the CLV passes margin times her
// discount factor).
type RevenueCustomers struct {
	Rows     []int32
	Monetary func(i int) float64
	Factor   func(i int) float64
}

// revenueRows is what the levels of one set of revenue intervals share:
// the rows' distributions and moments, the customers and the tables.
type revenueRows struct {
	pi           *PurchaseIntervals
	spend        *FittedGammaGamma
	frequency    []float64                   // per row: x
	rowK         []float64                   // per row: the posterior shape k = px+q
	lnBeta       []atomic.Pointer[[]float64] // per row, ln B(py, k) by y (rowLnBeta); atomic: PIT's goroutines share rows
	mean, second []float64                   // per row: the first two moments of R/θ
	// quantiles holds the rows' quantiles of R/θ at the tails of every
	// level, a row's side by side (quantiles[row·tails + t]): the bounds
	// of a customer, read one level and tail after another, share a
	// cache line.
	quantiles []float64
	tails     int
	customers RevenueCustomers
	scaled    []float64 // per customer: her factor times θ (scale)
	totalVar  float64
	tables    *moneyTables // nil: the direct path only
	tol       float64      // the direct root search's tolerance (0: 1e-6)
}

// scale returns customer i's row, θ and factor.
func (rr *revenueRows) scale(i int) (row int, theta, factor float64) {
	row = int(rr.customers.Rows[i])
	_, theta = rr.spend.SpendPosterior(Customer{Frequency: rr.frequency[row], Monetary: rr.customers.Monetary(i)})
	factor = 1.0
	if rr.customers.Factor != nil {
		factor = rr.customers.Factor(i)
	}
	return row, theta, factor
}

// theta returns customer i's θ.
func (rr *revenueRows) theta(i int) float64 {
	_, theta, _ := rr.scale(i)
	return theta
}

// Len returns the number of customers.
func (ri *RevenueIntervals) Len() int { return len(ri.customers.Rows) }

// Bounds returns customer i's interval: g·θ times her row's quantiles.
func (ri *RevenueIntervals) Bounds(i int) (lower, upper float64) {
	at, scaled := ri.rowAt(i), ri.scaled[i]
	return scaled * ri.quantiles[at+ri.low], scaled * ri.quantiles[at+ri.high]
}

// LowerOf returns customer i's lower bound (the first of Bounds).
func (ri *RevenueIntervals) LowerOf(i int) float64 {
	return ri.scaled[i] * ri.quantiles[ri.rowAt(i)+ri.low]
}

// UpperOf returns customer i's upper bound (the second of Bounds).
func (ri *RevenueIntervals) UpperOf(i int) float64 {
	return ri.scaled[i] * ri.quantiles[ri.rowAt(i)+ri.high]
}

// rowAt returns where customer i's row's quantiles of R/θ start.
func (rr *revenueRows) rowAt(i int) int { return int(rr.customers.Rows[i]) * rr.tails }

// MeanOf returns customer i's mean revenue: g·θ times her row's mean of R/θ.
func (ri *RevenueIntervals) MeanOf(i int) float64 {
	return ri.scaled[i] * ri.mean[ri.customers.Rows[i]]
}

// DropDistributions frees all but what Bounds, LowerOf and UpperOf read
// (with PurchaseIntervals.DropDistributions): the rows' purchase
// distributions, the tables and the rows' moments; PIT, Coverage and
// MeanOf need what is dropped. The totals stay.
func (ri *RevenueIntervals) DropDistributions() {
	ri.pi, ri.lnBeta, ri.tables, ri.rowK, ri.mean, ri.second = nil, nil, nil, nil, nil, nil
}

// NewRevenueIntervals returns the revenue intervals of the customers at
// pi's level. rows[i] is customer i's row in pi (and in d, whose Frequency
// gives the row's x), monetary[i] her calibration mean spend m̄, and
// factor[i] multiplies her revenue (nil: 1; the CLV passes margin times
// her discount factor). Every customer counts once in the total.
func NewRevenueIntervals(pi *PurchaseIntervals, spend *FittedGammaGamma, d *Data, rows []int, monetary, factor []float64) (*RevenueIntervals, error) {
	out, err := NewRevenueIntervalsAt([]*PurchaseIntervals{pi}, spend, d, rows, monetary, factor)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// NewRevenueIntervalsAt is NewRevenueIntervals at the level of each of
// levels, which must hold the same distributions (PurchaseIntervals.AtLevel
// of one another): every quantile of a row, all levels and both tails, is
// found in one pass by the tables of intervals_money.go. The per-customer
// Lower, Upper and Mean are materialized.
func NewRevenueIntervalsAt(levels []*PurchaseIntervals, spend *FittedGammaGamma, d *Data, rows []int, monetary, factor []float64) ([]*RevenueIntervals, error) {
	return newRevenueIntervals(levels, spend, d, rows, monetary, factor, revenueOptions{})
}

// NewRevenueTablesAt is NewRevenueIntervalsAt for customers given by
// RevenueCustomers, without materializing a value per customer: read
// them through Bounds and MeanOf. The values are the same bit for bit.
func NewRevenueTablesAt(levels []*PurchaseIntervals, spend *FittedGammaGamma, d *Data, customers RevenueCustomers) ([]*RevenueIntervals, error) {
	return newRevenueTables(levels, spend, d, customers, revenueOptions{})
}

// revenueOptions select the direct root search for every quantile (the
// reference the tests hold the tables to) and its tolerance.
type revenueOptions struct {
	direct bool
	tol    float64
}

func newRevenueIntervals(levels []*PurchaseIntervals, spend *FittedGammaGamma, d *Data, rows []int, monetary, factor []float64, o revenueOptions) ([]*RevenueIntervals, error) {
	n := len(rows)
	if len(monetary) != n || (factor != nil && len(factor) != n) {
		return nil, fmt.Errorf("revenue intervals: %d rows, %d mean spends and %d factors", n, len(monetary), len(factor))
	}
	rows32 := make([]int32, n)
	for i, r := range rows {
		if r < 0 || r >= d.Len() {
			return nil, fmt.Errorf("revenue intervals: customer %d has row %d, outside the %d rows", i+1, r, d.Len())
		}
		rows32[i] = int32(r)
	}
	customers := RevenueCustomers{Rows: rows32, Monetary: func(i int) float64 { return monetary[i] }}
	if factor != nil {
		customers.Factor = func(i int) float64 { return factor[i] }
	}
	out, err := newRevenueTables(levels, spend, d, customers, o)
	if err != nil {
		return nil, err
	}
	for _, ri := range out {
		ri.Lower, ri.Upper, ri.Mean = make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			ri.Lower[i], ri.Upper[i] = ri.Bounds(i)
			ri.Mean[i] = ri.MeanOf(i)
		}
	}
	return out, nil
}

func newRevenueTables(levels []*PurchaseIntervals, spend *FittedGammaGamma, d *Data, customers RevenueCustomers, o revenueOptions) ([]*RevenueIntervals, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("revenue intervals: no level")
	}
	pi := levels[0]
	for _, l := range levels[1:] {
		if len(l.cdf) != len(pi.cdf) || len(pi.cdf) > 0 && &l.cdf[0] != &pi.cdf[0] {
			return nil, fmt.Errorf("revenue intervals: the levels hold different purchase distributions")
		}
	}
	if d.Len() != len(pi.cdf) {
		return nil, fmt.Errorf("revenue intervals: %d rows of data for %d rows of purchase intervals", d.Len(), len(pi.cdf))
	}
	for i, r := range customers.Rows {
		if r < 0 || int(r) >= d.Len() {
			return nil, fmt.Errorf("revenue intervals: customer %d has row %d, outside the %d rows", i+1, r, d.Len())
		}
	}
	rr := &revenueRows{pi: pi, spend: spend, frequency: d.Frequency, customers: customers, tol: o.tol}
	rr.rowK = make([]float64, d.Len())
	for row := range rr.rowK {
		rr.rowK[row], _ = spend.SpendPosterior(Customer{Frequency: d.Frequency[row]})
	}
	if !o.direct {
		rr.tables = newMoneyTables(spend.P, rr.rowK, pi.cdf)
	}
	tails := make([]float64, 0, 2*len(levels))
	for _, l := range levels {
		tails = append(tails, l.lowerTail, l.upperTail)
	}
	slices.Sort(tails)
	tails = slices.Compact(tails)
	rr.quantiles, rr.mean, rr.second = rr.rowQuantiles(tails)
	rr.tails = len(tails)
	total := 0.0
	rr.scaled = make([]float64, len(customers.Rows))
	for i := range customers.Rows {
		row, theta, g := rr.scale(i)
		rr.scaled[i] = g * theta
		total += rr.scaled[i] * rr.mean[row]
		rr.totalVar += g * g * theta * theta * (rr.second[row] - rr.mean[row]*rr.mean[row])
	}
	if purchases := pi.TotalMean; purchases > 0 {
		between := 0.0
		for _, m := range pi.drawMeans {
			between += (m - purchases) * (m - purchases) / float64(len(pi.drawMeans))
		}
		rho := total / purchases
		rr.totalVar += rho * rho * between
	}
	out := make([]*RevenueIntervals, len(levels))
	for k, l := range levels {
		out[k] = &RevenueIntervals{Level: l.Level, low: slices.Index(tails, l.lowerTail),
			high: slices.Index(tails, l.upperTail), revenueRows: rr}
		if k > 0 {
			out[k].revenueRows = &revenueRows{}
			*out[k].revenueRows = *rr
			out[k].pi = l
		}
	}
	for _, ri := range out {
		ri.TotalMean = total
		ri.TotalLower, ri.TotalUpper = ri.TotalInterval(ri.Level)
	}
	return out, nil
}

// rowQuantiles returns, per row, the quantiles of R/θ at each of the
// increasing tails (quantiles[row·len(tails) + t]) and the first two moments of R/θ
// (the second +Inf when k ≤ 2, the first when k ≤ 1). Rows are
// independent (each writes only its own entries and its own ln B cache
// slot), so blocks of rows run in parallel.
func (rr *revenueRows) rowQuantiles(tails []float64) (quantiles, mean, second []float64) {
	n := len(rr.rowK)
	quantiles = make([]float64, n*len(tails))
	mean, second = make([]float64, n), make([]float64, n)
	rr.lnBeta = make([]atomic.Pointer[[]float64], len(rr.pi.cdf))
	p := rr.spend.P
	parallelSum(n, 0, nil, func(lo, hi int, _ []float64) float64 {
		var mr moneyRow
		var cdfAt []float64
		got := make([]float64, len(tails))
		for row := lo; row < hi; row++ {
			k := rr.rowK[row]
			cdf := rr.pi.cdf[row]
			ey, ey2 := 0.0, 0.0
			for y := 1; y < len(cdf); y++ {
				py := cdf[y] - cdf[y-1]
				ey += float64(y) * py
				ey2 += float64(y*y) * py
			}
			mean[row], second[row] = math.Inf(1), math.Inf(1)
			if k > 1 {
				mean[row] = p * ey / (k - 1)
			}
			if k > 2 {
				second[row] = (p*ey + p*p*ey2) / ((k - 1) * (k - 2))
			}
			for t := range got {
				got[t] = math.NaN()
			}
			if rr.tables != nil {
				if g := rr.tables.grids[k]; mr.set(g, rr.tables.rules, cdf) {
					if len(cdfAt) < g.nodes {
						cdfAt = make([]float64, g.nodes)
					}
					mr.quantiles(tails, got, cdfAt[:g.nodes])
				}
			}
			for t, q := range tails {
				if math.IsNaN(got[t]) {
					tol := rr.tol
					if rr.tables != nil {
						// As precise as the tables where they cannot serve.
						rr.tables.direct.Add(1)
						tol = 1e-12
					}
					got[t] = rr.rowQuantile(row, k, q, mean[row], second[row], tol)
				}
				quantiles[row*len(tails)+t] = got[t]
			}
		}
		return 0
	})
	return quantiles, mean, second
}

// revenueCDF returns P(R/θ ≤ u) for the row with posterior shape k.
func (ri *revenueRows) revenueCDF(row int, k, u float64) float64 {
	cdf := ri.pi.cdf[row]
	if !(u > 0) {
		return cdf[0]
	}
	v, w := u/(1+u), 1/(1+u)
	s := cdf[0]
	lnB := ri.rowLnBeta(row, k)
	for y := 1; y < len(cdf); y++ {
		if py := cdf[y] - cdf[y-1]; py > 1e-14 {
			iv, _ := regIncBetaPairLnB(ri.spend.P*float64(y), k, v, w, lnB[y])
			s += py * iv
		}
	}
	return s
}

// rowLnBeta returns ln B(py, k) for y = 0, 1, … up to the row's last
// purchase count, computed on first use. The slots are made by
// rowQuantiles before any parallel use (made here only for a caller that
// skipped it, in one goroutine); a slot is read and filled atomically, as
// PIT's blocks of customers share the rows at their edges.
func (ri *revenueRows) rowLnBeta(row int, k float64) []float64 {
	if ri.lnBeta == nil {
		ri.lnBeta = make([]atomic.Pointer[[]float64], len(ri.pi.cdf))
	}
	if p := ri.lnBeta[row].Load(); p != nil {
		return *p
	}
	out := make([]float64, len(ri.pi.cdf[row]))
	for y := 1; y < len(out); y++ {
		out[y] = lnBeta(ri.spend.P*float64(y), k)
	}
	ri.lnBeta[row].Store(&out) // two goroutines of PIT may both fill a row: the same values
	return out
}

// rowQuantile returns the u ≥ 0 with P(R/θ ≤ u) = q, to about tol
// relative (0: 1e-6), by the Illinois variant of regula falsi in v = u/(1+u) ∈ [0, 1)
// (the CDF is continuous and increasing there), falling back to
// bisection when a step does not shrink the bracket enough. When the
// row's first two moments of R/θ (mean, second) are finite, the search
// starts from a bracket around a log-normal guess matched to the moments
// given Y > 0 (see quantileBracket); the answer is the same root to the
// same tolerance, found with fewer evaluations of the CDF.
func (ri *revenueRows) rowQuantile(row int, k, q, mean, second, tol float64) float64 {
	p0 := ri.pi.cdf[row][0]
	if p0 >= q*(1-1e-12) {
		return 0
	}
	cdf := func(v float64) float64 { return ri.revenueCDF(row, k, v/(1-v)) - q }
	if tol == 0 {
		tol = 1e-6
	}
	lo, hi, flo, fhi := quantileBracket(cdf, p0, q, mean, second)
	side := 0
	for range 200 {
		v := (lo*fhi - hi*flo) / (fhi - flo)
		if !(v > lo && v < hi) || hi-lo > 0.5 && (v-lo < (hi-lo)/64 || hi-v < (hi-lo)/64) {
			v = (lo + hi) / 2
		}
		fv := cdf(v)
		switch {
		case fv == 0:
			return v / (1 - v)
		case fv < 0:
			lo, flo = v, fv
			if side == -1 {
				fhi /= 2
			}
			side = -1
		default:
			hi, fhi = v, fv
			if side == 1 {
				flo /= 2
			}
			side = 1
		}
		if hi-lo <= tol*hi*(1-lo) {
			break
		}
	}
	v := (lo + hi) / 2
	return v / (1 - v)
}

// quantileBracket returns a bracket [lo, hi] of v = u/(1+u) with
// f(lo) ≤ 0 ≤ f(hi) for the increasing f(v) = P(R/θ ≤ u) − q, and the
// values of f there. Without finite moments it is the whole [0, 1)
// (f(0) = p0 − q, f(1) = 1 − q). Otherwise it starts from the q-quantile
// of the log-normal with the moments of R/θ given Y > 0 (P(Y > 0) = 1 − p0)
// and widens by factors of 2 in u, at most 8 times each way, keeping the
// whole interval's end when a side is not found.
func quantileBracket(f func(v float64) float64, p0, q, mean, second float64) (lo, hi, flo, fhi float64) {
	lo, hi, flo, fhi = 0, 1, p0-q, 1-q
	if !(mean > 0) || math.IsInf(second, 0) || !(second > 0) || p0 >= 1 {
		return lo, hi, flo, fhi
	}
	m1, m2 := mean/(1-p0), second/(1-p0)
	sigma2 := math.Log(m2 / (m1 * m1))
	if !(sigma2 > 0) || math.IsInf(sigma2, 0) {
		return lo, hi, flo, fhi
	}
	qPos := (q - p0) / (1 - p0)
	u := math.Exp(math.Log(m1) - sigma2/2 + math.Sqrt(2*sigma2)*math.Erfinv(2*qPos-1))
	if !(u > 0) || math.IsInf(u, 0) {
		return lo, hi, flo, fhi
	}
	toV := func(u float64) float64 { return u / (1 + u) }
	v := toV(u)
	fv := f(v)
	if fv <= 0 {
		lo, flo = v, fv
		for range 8 {
			u *= 2
			if v = toV(u); !(v < 1) {
				break
			}
			if fv = f(v); fv >= 0 {
				return lo, v, flo, fv
			}
			lo, flo = v, fv
		}
		return lo, hi, flo, fhi
	}
	hi, fhi = v, fv
	for range 8 {
		u /= 2
		v = toV(u)
		if fv = f(v); fv <= 0 {
			return v, hi, fv, fhi
		}
		hi, fhi = v, fv
	}
	return lo, hi, flo, fhi
}

// TotalInterval returns the cohort total's equal-tailed interval at level
// under the normal approximation (NaN bounds for a level outside (0, 1) or
// an infinite variance).
func (ri *RevenueIntervals) TotalInterval(level float64) (lower, upper float64) {
	if !(level > 0 && level < 1) || math.IsInf(ri.totalVar, 0) || math.IsNaN(ri.totalVar) {
		return math.NaN(), math.NaN()
	}
	z := math.Sqrt2 * math.Erfinv(level)
	sd := math.Sqrt(ri.totalVar)
	return ri.TotalMean - z*sd, ri.TotalMean + z*sd
}

// PIT returns the randomized probability integral transform of each
// customer's actual revenue (in the intervals' money, i.e. already times
// the customer's factor): u = F(a) for a > 0 (continuous) and V·P(Y = 0)
// at a = 0, V uniform from the stream seeded by seed (one draw per
// customer, in order). It is the same at every level.
func (ri *RevenueIntervals) PIT(actual []float64, seed uint64) ([]float64, error) {
	if len(actual) != ri.Len() {
		return nil, fmt.Errorf("revenue intervals: %d actual values for %d customers", len(actual), ri.Len())
	}
	if ri.pi == nil {
		return nil, fmt.Errorf("revenue intervals: the distributions were dropped")
	}
	rng := rand.New(rand.NewPCG(seed, 0x726576656e7565)) // "revenue"
	out := make([]float64, len(actual))
	for i, a := range actual {
		if !(a >= 0) || math.IsInf(a, 0) {
			return nil, fmt.Errorf("revenue intervals: customer %d has revenue %v: want a finite number ≥ 0", i+1, a)
		}
		out[i] = rng.Float64()
	}
	order := ri.byRow()
	parallelSum(len(actual), 0, nil, func(lo, hi int, _ []float64) float64 {
		var mr moneyRow
		for _, c := range order[lo:hi] {
			i := int(c)
			a := actual[i]
			row, scaled := int(ri.customers.Rows[i]), ri.scaled[i]
			if a == 0 || scaled == 0 {
				out[i] *= ri.pi.cdf[row][0]
				continue
			}
			out[i] = ri.cdfAt(&mr, row, a/scaled)
		}
		return 0
	})
	return out, nil
}

// byRow returns the customers ordered by row (stably), so that a row's
// table and fitted cell serve its customers one after another.
func (rr *revenueRows) byRow() []int32 {
	start := make([]int32, len(rr.rowK)+1)
	for _, r := range rr.customers.Rows {
		start[r+1]++
	}
	for r := 1; r < len(start); r++ {
		start[r] += start[r-1]
	}
	order := make([]int32, len(rr.customers.Rows))
	for i, r := range rr.customers.Rows {
		order[start[r]] = int32(i)
		start[r]++
	}
	return order
}

// cdfAt returns P(R/θ ≤ u) of a row by its table (through mr), or by the
// direct sum where the table cannot serve it.
func (ri *revenueRows) cdfAt(mr *moneyRow, row int, u float64) float64 {
	k := ri.rowK[row]
	if ri.tables != nil {
		if mr.setOnce(row, ri.tables.grids[k], ri.tables.rules, ri.pi.cdf[row]) {
			if f := mr.cdf(math.Log(u)); !math.IsNaN(f) {
				return f
			}
		}
		ri.tables.direct.Add(1)
	}
	return ri.revenueCDF(row, k, u)
}

// Coverage returns the share of customers whose randomized PIT lies in the
// central Level of (0, 1) (expected Level under the model) and the share
// whose actual revenue lies within [Lower, Upper].
func (ri *RevenueIntervals) Coverage(actual []float64, seed uint64) (randomized, within float64, err error) {
	u, err := ri.PIT(actual, seed)
	if err != nil {
		return 0, 0, err
	}
	randomized, within = ri.CoverageOf(u, actual)
	return randomized, within, nil
}

// CoverageOf is Coverage given the customers' PIT (the same at every
// level, so computed once for all).
func (ri *RevenueIntervals) CoverageOf(u, actual []float64) (randomized, within float64) {
	for i, v := range u {
		if v >= ri.pi.lowerTail && v <= ri.pi.upperTail {
			randomized++
		}
		if lower, upper := ri.Bounds(i); actual[i] >= lower && actual[i] <= upper {
			within++
		}
	}
	n := float64(len(actual))
	return randomized / n, within / n
}

// SpendIntervals returns SpendInterval for every customer, given their
// repeat transactions x and mean spends m̄, computing the inverse gamma
// function once per distinct x (the bounds are pθ over it).
func (f *FittedGammaGamma) SpendIntervals(frequency, monetary []float64, level float64) (lower, upper []float64) {
	lower, upper = make([]float64, len(frequency)), make([]float64, len(frequency))
	type inv struct{ lo, hi float64 }
	byX := map[float64]inv{}
	for i, x := range frequency {
		c := Customer{Frequency: x, Monetary: monetary[i]}
		k, theta := f.SpendPosterior(c)
		g, ok := byX[k]
		if !ok {
			g.lo, g.hi = f.SpendDivisors(x, level)
			byX[k] = g
		}
		lower[i], upper[i] = f.P*theta/g.lo, f.P*theta/g.hi
	}
	return lower, upper
}

// SpendDivisors returns G⁻¹(k, (1+L)/2) and G⁻¹(k, (1−L)/2) for the
// posterior shape k of x repeat transactions: a customer's spend interval
// at level L is pθ over each (SpendInterval), so that a table of them per
// x serves every customer. They are NaN for a level outside (0, 1).
func (f *FittedGammaGamma) SpendDivisors(x, level float64) (lower, upper float64) {
	if !(level > 0 && level < 1) {
		return math.NaN(), math.NaN()
	}
	k, _ := f.SpendPosterior(Customer{Frequency: x})
	return mathext.GammaIncRegInv(k, (1+level)/2), mathext.GammaIncRegInv(k, (1-level)/2)
}
