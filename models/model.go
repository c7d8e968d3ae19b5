// Package models holds the customer-lifetime-value models of clv: the
// "buy till you die" purchase models (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB),
// the Gamma-Gamma spend model, the contractual shifted-beta-geometric model,
// the simple-average and retention heuristics, and the shared machinery that
// fits them by maximum likelihood and turns their predictions into
// discounted customer lifetime value.
//
// Every purchase model implements PurchaseModel and every spend model
// implements SpendModel, so that an experiment runner treats them alike.
// Models know nothing of files or experiments: they fit on a Data value,
// a set of columns in the time unit chosen by the caller.
package models

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Customer is one customer's calibration history, in the caller's time unit.
//
// For continuous-time models Frequency is the number of repeat purchases x,
// Recency is t_x, the time from the first to the last purchase, and T is the
// time from the first purchase to the end of calibration. For the discrete
// BG/BB model Frequency is the number of transactions, Recency the index of
// the last opportunity with a transaction (0 if none) and T the number of
// opportunities n.
type Customer struct {
	Frequency float64 // x ≥ 0
	Recency   float64 // 0 ≤ t_x ≤ T
	T         float64 // T ≥ 0 (T = 0: first purchase on the calibration end, then x = 0)
	Monetary  float64 // mean spend of the repeat purchases; 0 without repeats
	// Activity has bit k set when the customer bought in the k-th activity
	// period counted back from the end of calibration (bit 0 is the last
	// period). Only the retention heuristic reads it.
	Activity uint64
}

// Data is the calibration table a model fits on, as columns of equal length.
// Rows may stand for several identical customers: Weight holds how many
// (nil means 1 for every row).
type Data struct {
	Frequency []float64
	Recency   []float64
	T         []float64
	Monetary  []float64 // optional; required by spend models
	Weight    []float64 // optional; nil means every weight is 1

	// Activity is optional, one bitmap per row (see Customer.Activity);
	// ActivityPeriod is the length of one activity period in time units and
	// ActivityPeriods how many periods the bitmaps cover.
	Activity        []uint64
	ActivityPeriod  float64
	ActivityPeriods int

	// LogInterPurchase is Σ ln t_j over every customer's calibration
	// inter-purchase times t_j (each row's sum times its weight), and
	// HasLogInterPurchase says it was computed. Only the Erlang-k models
	// (CNBDK) read it: their likelihood holds (k−1)·LogInterPurchase, so
	// that k can be chosen by maximum likelihood.
	LogInterPurchase    float64
	HasLogInterPurchase bool
}

// Len returns the number of rows.
func (d *Data) Len() int { return len(d.Frequency) }

// W returns the weight of row i (1 when Weight is nil).
func (d *Data) W(i int) float64 {
	if d.Weight == nil {
		return 1
	}
	return d.Weight[i]
}

// TotalWeight returns the number of customers the rows stand for.
func (d *Data) TotalWeight() float64 {
	if d.Weight == nil {
		return float64(d.Len())
	}
	s := 0.0
	for _, w := range d.Weight {
		s += w
	}
	return s
}

// Customer returns row i as a Customer.
func (d *Data) Customer(i int) Customer {
	c := Customer{Frequency: d.Frequency[i], Recency: d.Recency[i], T: d.T[i]}
	if d.Monetary != nil {
		c.Monetary = d.Monetary[i]
	}
	if d.Activity != nil {
		c.Activity = d.Activity[i]
	}
	return c
}

// Validate checks that the columns have equal lengths and hold finite,
// consistent values (x ≥ 0, 0 ≤ t_x ≤ T, T ≥ 0 with x = 0 when T = 0,
// weights ≥ 0; see ValidHistory), naming the first offending row. A row
// with T = 0 (a first purchase on the calibration end) is valid and adds
// nothing to any likelihood: its probability is 1.
func (d *Data) Validate() error {
	n := len(d.Frequency)
	if n == 0 {
		return fmt.Errorf("no customers to fit on")
	}
	if len(d.Recency) != n || len(d.T) != n {
		return fmt.Errorf("columns differ in length: frequency %d, recency %d, T %d", n, len(d.Recency), len(d.T))
	}
	if d.Monetary != nil && len(d.Monetary) != n {
		return fmt.Errorf("monetary column has %d rows, want %d", len(d.Monetary), n)
	}
	if d.Weight != nil && len(d.Weight) != n {
		return fmt.Errorf("weight column has %d rows, want %d", len(d.Weight), n)
	}
	if d.Activity != nil && len(d.Activity) != n {
		return fmt.Errorf("activity column has %d rows, want %d", len(d.Activity), n)
	}
	if bad := d.firstInvalidRow(); bad >= 0 {
		return d.rowError(bad)
	}
	return nil
}

// firstInvalidRow returns the first row that rowError finds fault with,
// or −1: the same conditions (a history ValidHistory refuses, a weight or
// monetary value not a finite number ≥ 0), each written as a comparison
// chain that NaN fails, in one pass without a call per row (ValidHistory
// is inlined).
func (d *Data) firstInvalidRow() int {
	const big = math.MaxFloat64
	n := len(d.Frequency)
	freq, rec, age, w, m := d.Frequency, d.Recency[:n], d.T[:n], d.Weight, d.Monetary
	for i, x := range freq {
		if !ValidHistory(Customer{Frequency: x, Recency: rec[i], T: age[i]}) ||
			(w != nil && !(w[i] >= 0 && w[i] <= big)) || (m != nil && !(m[i] >= 0 && m[i] <= big)) {
			return i
		}
	}
	return -1
}

// rowError describes what is wrong with row i (0-based), which
// firstInvalidRow found.
func (d *Data) rowError(i int) error {
	x, tx, T := d.Frequency[i], d.Recency[i], d.T[i]
	switch {
	case !finite(x) || x < 0:
		return fmt.Errorf("row %d: frequency %v must be a finite number ≥ 0", i+1, x)
	case !finite(T) || T < 0:
		return fmt.Errorf("row %d: T %v must be a finite number ≥ 0", i+1, T)
	case !finite(tx) || tx < 0 || tx > T*(1+1e-12):
		return fmt.Errorf("row %d: recency %v must lie in [0, T=%v]", i+1, tx, T)
	case T == 0 && x != 0:
		return fmt.Errorf("row %d: frequency %v with T = 0 (a customer first seen on the calibration end has no repeat purchases)", i+1, x)
	}
	if d.Weight != nil && (!finite(d.Weight[i]) || d.Weight[i] < 0) {
		return fmt.Errorf("row %d: weight %v must be a finite number ≥ 0", i+1, d.Weight[i])
	}
	return fmt.Errorf("row %d: monetary value %v must be a finite number ≥ 0", i+1, d.Monetary[i])
}

// ValidHistory reports whether c is a continuous-time history that every
// purchase model accepts, for fitting and for prediction alike: all
// finite, x ≥ 0, 0 ≤ t_x ≤ T (up to rounding), T ≥ 0, and x = 0 when
// T = 0. A customer with T = 0 first bought on the calibration end; every
// model predicts it as a new customer (its conditional expectations equal
// the unconditional E[X(t)], and P(alive) is the prior's).
func ValidHistory(c Customer) bool {
	// v ≥ 0 && v ≤ MaxFloat64: a finite number ≥ 0 (NaN fails both).
	const big = math.MaxFloat64
	x, tx, T := c.Frequency, c.Recency, c.T
	return x >= 0 && x <= big && tx >= 0 && tx <= big && T >= 0 && T <= big &&
		tx <= T*(1+1e-12) && (T > 0 || x == 0)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Params holds a model's parameters by the names the papers use
// (BG/NBD: r, alpha, a, b; Pareto/NBD: r, alpha, s, beta; ...).
type Params map[string]float64

// Names returns the parameter names in sorted order.
func (p Params) Names() []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// FitOptions tunes maximum-likelihood fitting. The zero value is a sound
// default.
type FitOptions struct {
	// Penalty is the weight λ of an L2 penalty λ·Σ(log θ)² on the log
	// parameters, added to the mean negative log-likelihood. It pulls
	// degenerate fits toward θ = 1. Zero means no penalty.
	Penalty float64
	// MaxIterations caps the optimizer's major iterations (default 1000).
	MaxIterations int
	// Start overrides the starting values, by parameter name.
	Start Params
	// Fixed holds parameter values that are not estimated (used by models
	// with an optional parameter, and by tests).
	Fixed Params
}

// FitResult describes a maximum-likelihood fit: the estimates, their
// standard errors, the likelihood and how the optimizer got there.
//
// Heuristic models have no likelihood: for them HasLikelihood is false and
// the JSON form leaves out log_likelihood, aic, bic and std_errors.
type FitResult struct {
	Model         string
	Params        Params
	StdErrors     Params
	HasLikelihood bool
	LogLikelihood float64
	AIC           float64
	BIC           float64
	Converged     bool
	Iterations    int
	Customers     float64
	// Method names the optimizer that produced the estimates ("LBFGS",
	// "BFGS", "NelderMead") or "closed form" / "heuristic".
	Method       string
	GradientNorm float64
	Warnings     []string
	// Runaway, when not nil, names the parameters that ran off toward 0
	// or ∞ instead of settling at a maximum, the rule that flagged them
	// and the option (a penalty) that keeps them finite; Converged is then
	// false (see the runaway rules in identify.go).
	Runaway *Runaway
	// WeaklyIdentified is set when the largest relative standard error
	// se(θ)/θ exceeds 1 or the condition number of the observed
	// information in log-parameters exceeds 1e6: the data pin some
	// parameter, or some combination of them, only loosely.
	WeaklyIdentified bool
	// MaxRelativeSE is the largest se(θ)/θ over the estimated parameters
	// (+Inf when the standard errors are unavailable) and ConditionNumber
	// the condition number of the observed information in log-parameters
	// (+Inf when it is not positive definite); both 0 for fits without a
	// likelihood.
	MaxRelativeSE, ConditionNumber float64
}

// fitResultJSON is the wire form of FitResult; pointers let heuristics
// leave the likelihood fields out.
type fitResultJSON struct {
	Model         string   `json:"model"`
	Params        Params   `json:"params"`
	StdErrors     Params   `json:"std_errors,omitempty"`
	LogLikelihood *float64 `json:"log_likelihood,omitempty"`
	AIC           *float64 `json:"aic,omitempty"`
	BIC           *float64 `json:"bic,omitempty"`
	Converged     bool     `json:"converged"`
	Iterations    int      `json:"iterations"`
	Customers     float64  `json:"customers"`
	Method        string   `json:"method,omitempty"`
	GradientNorm  *float64 `json:"gradient_norm,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`
	Runaway       *Runaway `json:"runaway,omitempty"`
	// Weakly identified is written for every likelihood fit; the two
	// measures are left out when infinite (unavailable).
	WeaklyIdentified *bool    `json:"weakly_identified,omitempty"`
	MaxRelativeSE    *float64 `json:"max_relative_se,omitempty"`
	ConditionNumber  *float64 `json:"condition_number,omitempty"`
}

// MarshalJSON writes the fit as {"model", "params", "std_errors",
// "log_likelihood", "aic", "bic", "converged", "iterations", "customers",
// ...}; non-finite numbers, which JSON cannot hold, are left out.
func (r *FitResult) MarshalJSON() ([]byte, error) {
	j := fitResultJSON{
		Model: r.Model, Params: finiteOnly(r.Params), Converged: r.Converged,
		Iterations: r.Iterations, Customers: r.Customers, Method: r.Method, Warnings: r.Warnings,
	}
	if r.HasLikelihood {
		j.StdErrors = finiteOnly(r.StdErrors)
		j.LogLikelihood = finitePtr(r.LogLikelihood)
		j.AIC = finitePtr(r.AIC)
		j.BIC = finitePtr(r.BIC)
		j.GradientNorm = finitePtr(r.GradientNorm)
		j.Runaway = r.Runaway
		weak := r.WeaklyIdentified
		j.WeaklyIdentified = &weak
		j.MaxRelativeSE = finitePtr(r.MaxRelativeSE)
		j.ConditionNumber = finitePtr(r.ConditionNumber)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (r *FitResult) UnmarshalJSON(b []byte) error {
	var j fitResultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = FitResult{Model: j.Model, Params: j.Params, StdErrors: j.StdErrors, Converged: j.Converged,
		Iterations: j.Iterations, Customers: j.Customers, Method: j.Method, Warnings: j.Warnings}
	if j.LogLikelihood != nil {
		r.HasLikelihood = true
		r.LogLikelihood = *j.LogLikelihood
	}
	if j.AIC != nil {
		r.AIC = *j.AIC
	}
	if j.BIC != nil {
		r.BIC = *j.BIC
	}
	if j.GradientNorm != nil {
		r.GradientNorm = *j.GradientNorm
	}
	r.Runaway = j.Runaway
	if j.WeaklyIdentified != nil {
		r.WeaklyIdentified = *j.WeaklyIdentified
	}
	r.MaxRelativeSE, r.ConditionNumber = math.Inf(1), math.Inf(1)
	if j.MaxRelativeSE != nil {
		r.MaxRelativeSE = *j.MaxRelativeSE
	}
	if j.ConditionNumber != nil {
		r.ConditionNumber = *j.ConditionNumber
	}
	if !r.HasLikelihood {
		r.MaxRelativeSE, r.ConditionNumber = 0, 0
	}
	return nil
}

func finiteOnly(p Params) Params {
	if p == nil {
		return nil
	}
	out := Params{}
	for k, v := range p {
		if finite(v) {
			out[k] = v
		}
	}
	return out
}

func finitePtr(v float64) *float64 {
	if !finite(v) {
		return nil
	}
	return &v
}

// PurchaseModel describes how many repeat purchases a customer makes.
type PurchaseModel interface {
	// Name is the model's identifier in configs and on the command line
	// ("bgnbd", "paretonbd", ...).
	Name() string
	// Fit estimates the model on the calibration data.
	Fit(ctx context.Context, d *Data, o FitOptions) (FittedPurchases, error)
}

// FittedPurchases is a purchase model with its parameters estimated.
type FittedPurchases interface {
	// Result reports the estimates and the fit's diagnostics.
	Result() *FitResult
	// ExpectedPurchases is E[X(t)], the expected number of repeat purchases
	// of a new customer in (0, t].
	ExpectedPurchases(t float64) float64
	// ConditionalExpectedPurchases is E[Y(t) | history], the expected number
	// of purchases in (T, T+t] of a customer with the given history.
	ConditionalExpectedPurchases(c Customer, t float64) float64
	// ProbabilityAlive is P(the customer is still active at T | history).
	ProbabilityAlive(c Customer) float64
}

// SpendModel describes how much a customer spends per purchase.
type SpendModel interface {
	Name() string
	Fit(ctx context.Context, d *Data, o FitOptions) (FittedSpend, error)
}

// FittedSpend is a spend model with its parameters estimated.
type FittedSpend interface {
	Result() *FitResult
	// ExpectedSpend is the expected mean spend per future purchase of a
	// customer with the given history (Frequency and Monetary are read).
	ExpectedSpend(c Customer) float64
}
