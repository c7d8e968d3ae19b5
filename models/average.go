package models

import (
	"context"
	"fmt"
	"math"
)

// Average is the simple-average ("historical") purchase model, the baseline
// marketing teams use before any probability model: a customer keeps buying
// at the rate observed in calibration.
//
// Fitting computes the cohort's repeat-purchase rate
//
//	λ̄ = Σ_i w_i x_i / Σ_i w_i T_i   (repeat purchases per time unit per customer),
//
// with w_i the row weights, and the weighted means of x and T. Nothing is
// estimated by likelihood: the FitResult has HasLikelihood false, Method
// "heuristic" and Params {"rate": λ̄, "mean_frequency": x̄, "mean_T": T̄}.
//
// The fitted model predicts, for a customer with history (x, t_x, T),
//
//	E[Y(t) | x, T] = (x / T) · t,
//
// the customer's own calibration rate carried forward (T > 0 always, so the
// rate exists; a customer without repeat purchases is predicted none). A new
// customer is predicted E[X(t)] = λ̄ · t. The model has no notion of
// attrition, so ProbabilityAlive is 1 for every customer.
//
// Reference: the "historical" or "average" CLV of practitioners' primers
// (the formula quoted in the project's reference file, published.json,
// simple_formulas.historical_clv, applied per customer). Wübben & Wangenheim
// (2008), "Instant customer base analysis: managerial heuristics often 'get
// it right'", Journal of Marketing 72(3), compare the BTYD models against
// this kind of "past purchase level" rule.
type Average struct{}

// Name returns "average".
func (Average) Name() string { return "average" }

// Fit computes the cohort rate and means. It fails on invalid data or when
// the total weight is zero.
func (Average) Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("average: %w", err)
	}
	c, err := cohortOf(d)
	if err != nil {
		return nil, fmt.Errorf("average: %w", err)
	}
	return &FittedAverage{
		rate: c.rate,
		result: &FitResult{
			Model:     "average",
			Params:    Params{"rate": c.rate, "mean_frequency": c.meanX, "mean_T": c.meanT},
			Converged: true,
			Method:    "heuristic",
			Customers: c.n,
		},
	}, nil
}

// FittedAverage is the fitted simple-average purchase model (see Average).
type FittedAverage struct {
	rate   float64
	result *FitResult
}

// Result returns the cohort quantities as a heuristic FitResult.
func (f *FittedAverage) Result() *FitResult { return f.result }

// Rate returns the cohort repeat-purchase rate λ̄ = Σwx / ΣwT.
func (f *FittedAverage) Rate() float64 { return f.rate }

// ExpectedPurchases returns λ̄ · t for t ≥ 0 (0 for t ≤ 0).
func (f *FittedAverage) ExpectedPurchases(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	return f.rate * t
}

// ConditionalExpectedPurchases returns (x / T) · t, the customer's own
// calibration rate times the horizon (0 for t ≤ 0 or T ≤ 0).
func (f *FittedAverage) ConditionalExpectedPurchases(c Customer, t float64) float64 {
	return pastRate(c) * math.Max(t, 0)
}

// ProbabilityAlive returns 1: the simple-average model has no attrition.
func (f *FittedAverage) ProbabilityAlive(Customer) float64 { return 1 }

// pastRate returns x / T, the customer's calibration repeat-purchase rate,
// or 0 when T is not positive (the data validation forbids it).
func pastRate(c Customer) float64 {
	if !(c.T > 0) || !(c.Frequency > 0) {
		return 0
	}
	return c.Frequency / c.T
}

// cohort holds the weighted cohort totals the heuristics share.
type cohort struct {
	n, sumX, sumT float64
	rate          float64 // Σwx / ΣwT
	meanX, meanT  float64
}

// cohortOf validates d and sums it.
func cohortOf(d *Data) (cohort, error) {
	if d == nil {
		return cohort{}, fmt.Errorf("no data")
	}
	if err := d.Validate(); err != nil {
		return cohort{}, fmt.Errorf("invalid data: %w", err)
	}
	var c cohort
	for i := 0; i < d.Len(); i++ {
		w := d.W(i)
		c.n += w
		c.sumX += w * d.Frequency[i]
		c.sumT += w * d.T[i]
	}
	if !(c.n > 0) || !(c.sumT > 0) {
		return cohort{}, fmt.Errorf("the total weight of the customers is zero")
	}
	c.rate = c.sumX / c.sumT
	c.meanX = c.sumX / c.n
	c.meanT = c.sumT / c.n
	return c, nil
}

// AverageSpend is the simple-average spend model: a customer's future
// purchases are worth their own past mean.
//
//	E[Z | x, z̄] = z̄                  if x > 0,
//	E[Z | x = 0] = m̄ = Σ_i w_i x_i z̄_i / Σ_i w_i x_i,
//
// where z̄ is the customer's mean repeat spend (Data.Monetary, Customer.
// Monetary) and m̄ the cohort's mean spend per repeat purchase: total repeat
// revenue over total repeat purchases. Weighting by repeat purchases (rather
// than averaging the customers' means) makes m̄ the "average purchase value"
// of the textbook CLV formula (revenue / purchases) and gives frequent buyers
// their due weight; the unweighted mean of the repeat customers' z̄ is
// reported too, as Params "customer_mean_spend". No shrinkage is applied:
// contrast the Gamma-Gamma model, which pulls z̄ toward the cohort mean by
// an amount that depends on x.
//
// The FitResult has HasLikelihood false, Method "heuristic" and Params
// {"mean_spend": m̄, "customer_mean_spend", "repeat_customers"}.
type AverageSpend struct{}

// Name returns "average".
func (AverageSpend) Name() string { return "average" }

// Fit computes the cohort's mean spend per repeat purchase. It needs
// Data.Monetary and at least one repeat purchase.
func (AverageSpend) Fit(ctx context.Context, d *Data, o FitOptions) (FittedSpend, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("average spend: %w", err)
	}
	if d == nil {
		return nil, fmt.Errorf("average spend: no data")
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("average spend: invalid data: %w", err)
	}
	if d.Monetary == nil {
		return nil, fmt.Errorf("average spend: the data has no monetary column (mean repeat spend)")
	}
	var revenue, purchases, repeaters, sumMeans, n float64
	for i := 0; i < d.Len(); i++ {
		w, x := d.W(i), d.Frequency[i]
		n += w
		if x > 0 {
			revenue += w * x * d.Monetary[i]
			purchases += w * x
			repeaters += w
			sumMeans += w * d.Monetary[i]
		}
	}
	if !(purchases > 0) || !(repeaters > 0) {
		return nil, fmt.Errorf("average spend: no customer has a repeat purchase, so there is no repeat spend to average")
	}
	mean := revenue / purchases
	return &FittedAverageSpend{
		mean: mean,
		result: &FitResult{
			Model: "average",
			Params: Params{
				"mean_spend":          mean,
				"customer_mean_spend": sumMeans / repeaters,
				"repeat_customers":    repeaters,
			},
			Converged: true,
			Method:    "heuristic",
			Customers: n,
		},
	}, nil
}

// FittedAverageSpend is the fitted simple-average spend model (see
// AverageSpend).
type FittedAverageSpend struct {
	mean   float64
	result *FitResult
}

// Result returns the cohort mean spend as a heuristic FitResult.
func (f *FittedAverageSpend) Result() *FitResult { return f.result }

// MeanSpend returns m̄, the cohort's mean spend per repeat purchase.
func (f *FittedAverageSpend) MeanSpend() float64 { return f.mean }

// ExpectedSpend returns the customer's own mean repeat spend when they have
// repeat purchases, and the cohort mean m̄ otherwise.
func (f *FittedAverageSpend) ExpectedSpend(c Customer) float64 {
	if c.Frequency > 0 {
		return c.Monetary
	}
	return f.mean
}

// HistoricalInputs are the cohort totals of the textbook historical CLV.
// Money is in any currency, time in any period (a month, a year) used
// consistently by Periods and Lifespan.
type HistoricalInputs struct {
	// Revenue is the cohort's total revenue over the observation window
	// (≥ 0).
	Revenue float64
	// Purchases is the number of purchases over the window (> 0).
	Purchases float64
	// Customers is the number of customers (> 0).
	Customers float64
	// Periods is the length of the observation window in periods (> 0).
	Periods float64
	// Lifespan is the average customer lifespan in periods (≥ 0).
	Lifespan float64
	// Margin turns revenue into profit (> 0; 1 counts revenue).
	Margin float64
	// AcquisitionCost and RetentionCost are the cohort's total costs (≥ 0);
	// they enter the net CLV per customer.
	AcquisitionCost float64
	RetentionCost   float64
}

// HistoricalCLVResult is the textbook historical CLV and its factors.
type HistoricalCLVResult struct {
	// AveragePurchaseValue is Revenue / Purchases.
	AveragePurchaseValue float64
	// PurchaseFrequency is Purchases / Customers / Periods, purchases per
	// customer per period.
	PurchaseFrequency float64
	// CustomerValue is AveragePurchaseValue × PurchaseFrequency, revenue per
	// customer per period.
	CustomerValue float64
	// CLV is CustomerValue × Lifespan × Margin, the gross historical CLV of
	// one customer.
	CLV float64
	// CostPerCustomer is (AcquisitionCost + RetentionCost) / Customers.
	CostPerCustomer float64
	// NetCLV is CLV − CostPerCustomer.
	NetCLV float64
	// NetTotal is NetCLV × Customers, the net value of the whole cohort.
	NetTotal float64
}

// Validate checks the inputs.
func (in HistoricalInputs) Validate() error {
	check := func(name string, v float64, positive bool) error {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("historical CLV: %s %v must be a finite number", name, v)
		case positive && !(v > 0):
			return fmt.Errorf("historical CLV: %s %v must be > 0", name, v)
		case v < 0:
			return fmt.Errorf("historical CLV: %s %v must be ≥ 0", name, v)
		}
		return nil
	}
	for _, c := range []struct {
		name     string
		v        float64
		positive bool
	}{
		{"revenue", in.Revenue, false},
		{"purchases", in.Purchases, true},
		{"customers", in.Customers, true},
		{"periods", in.Periods, true},
		{"lifespan", in.Lifespan, false},
		{"margin (1 counts revenue)", in.Margin, true},
		{"acquisition cost", in.AcquisitionCost, false},
		{"retention cost", in.RetentionCost, false},
	} {
		if err := check(c.name, c.v, c.positive); err != nil {
			return err
		}
	}
	return nil
}

// HistoricalCLV returns the textbook historical ("simple average") CLV of a
// cohort:
//
//	CLV = (Revenue / Purchases) × (Purchases / Customers / Periods) × Lifespan × Margin,
//	net CLV = CLV − (AcquisitionCost + RetentionCost) / Customers:
//
// average purchase value × purchase frequency per period × average
// customer lifespan in periods × margin, less the costs per customer. It is
// undiscounted and assumes the past repeats itself, which is the point of
// comparison for the probability models (the practitioners' formula quoted
// in the project's reference file, published.json, simple_formulas). With
// 100 customers who each spend $50 over two years and $3,000 of acquisition
// and retention costs the net CLV is $50 − $30 = $20 per customer.
func HistoricalCLV(in HistoricalInputs) (HistoricalCLVResult, error) {
	if err := in.Validate(); err != nil {
		return HistoricalCLVResult{}, err
	}
	var r HistoricalCLVResult
	r.AveragePurchaseValue = in.Revenue / in.Purchases
	r.PurchaseFrequency = in.Purchases / in.Customers / in.Periods
	r.CustomerValue = r.AveragePurchaseValue * r.PurchaseFrequency
	r.CLV = r.CustomerValue * in.Lifespan * in.Margin
	r.CostPerCustomer = (in.AcquisitionCost + in.RetentionCost) / in.Customers
	r.NetCLV = r.CLV - r.CostPerCustomer
	r.NetTotal = r.NetCLV * in.Customers
	return r, nil
}

// CustomerHistoricalCLV returns one customer's historical CLV: their own
// calibration rate times their own mean spend, carried over a lifespan,
// times the margin,
//
//	CLV_i = Margin × z̄_i × (x_i / T_i) × lifespan,
//
// with lifespan in the data's time unit. It is undiscounted and equals the
// CLV of Average with AverageSpend over the same horizon at a zero discount
// rate. It returns 0 for a customer without repeat purchases (their past
// rate is 0) and for a negative lifespan or margin.
func CustomerHistoricalCLV(c Customer, lifespan, margin float64) float64 {
	if !(lifespan > 0) || !(margin > 0) {
		return 0
	}
	return margin * c.Monetary * pastRate(c) * lifespan
}
