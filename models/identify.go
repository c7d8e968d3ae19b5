package models

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// OptionPenalty names the fitting option (FitOptions.Penalty) that makes a
// fit defined where the data cannot identify a model: an L2 penalty on the
// log-parameters. Errors and diagnostics carry this name, not a flag or a
// config key: the layer that knows how the user spoke (fit.penalty in a
// config, --penalty on the command line) words the hint.
const OptionPenalty = "penalty"

// IdentificationReason says why data cannot identify a model.
type IdentificationReason string

const (
	// NoRepeatPurchases: no customer made a repeat purchase (or, for
	// Gamma-Gamma, none has a mean spend), so the purchase rate, the
	// dropout process and their heterogeneity cannot be told apart: the
	// likelihood is maximal as parameters run off to 0 or ∞.
	NoRepeatPurchases IdentificationReason = "no customer made a repeat purchase"
	// OneHistory: every customer has the same history (a single
	// customer, say), which says nothing about how customers differ.
	OneHistory IdentificationReason = "every customer has the same history (a single customer, say)"
)

// IdentificationError reports data that cannot identify a model's
// parameters, detected before fitting. A penalty (Option) makes the fit
// defined; the check is skipped when one is given.
type IdentificationError struct {
	Model  string
	Reason IdentificationReason
	// Customers is the number of customers (total weight) of the data.
	Customers float64
	// Option names the fitting option that regularizes the fit
	// (OptionPenalty), or is empty when none can (no rows at all).
	Option string
}

// Error describes the data and the remedy.
func (e *IdentificationError) Error() string {
	msg := fmt.Sprintf("%s: the data cannot identify the model: %s (%g customers); fit on more customers", e.Model, e.Reason, e.Customers)
	if e.Option != "" {
		msg += fmt.Sprintf(", or set the %q option (an L2 penalty on the log-parameters, e.g. 0.001) to pull the estimates toward 1", e.Option)
	}
	return msg
}

// checkIdentifiable returns an *IdentificationError when the data has no
// repeat purchases (repeatWeight = 0) or fewer than two distinct
// histories; it returns nil when o has a penalty, which makes the fit
// defined.
func checkIdentifiable(model string, o FitOptions, customers, repeatWeight float64, distinct int) error {
	if o.Penalty > 0 {
		return nil
	}
	reason := IdentificationReason("")
	switch {
	case !(repeatWeight > 0):
		reason = NoRepeatPurchases
	case distinct < 2:
		reason = OneHistory
	default:
		return nil
	}
	return &IdentificationError{Model: model, Reason: reason, Customers: customers, Option: OptionPenalty}
}

// Runaway describes parameters that ran off toward the edge of their space
// (0 or ∞) instead of settling at a maximum: the fit is then reported as
// not converged.
type Runaway struct {
	// Params names the parameters, in the model's order.
	Params []string `json:"params"`
	// Rule is the rule that flagged them (RuleEdge or RuleFlat).
	Rule string `json:"rule"`
	// Option names the fitting option that keeps them finite
	// (OptionPenalty).
	Option string `json:"option"`
}

// The runaway rules. A free parameter θ has run away when
//
//   - RuleEdge: |ln θ| > maxLogParam − 2 (θ beyond e^±23), where the
//     optimizer's box stops it; or
//   - RuleFlat: |ln θ| > runawayLogBound (θ beyond e^±12, about 1.6e5 or
//     6e-6, in the units of the data) while the likelihood is flat in it:
//     the observed information is not positive definite, or the relative
//     standard error se(θ)/θ (the standard error of ln θ) exceeds
//     runawayRelativeSE, so that the data cannot tell θ from 2.7·θ.
//
// Both describe likelihoods still rising (or level) toward a boundary:
// BG/NBD on a log without repeat buyers (α → ∞), everyone buying every day
// (r, α → ∞ with r/α fixed: no heterogeneity), Pareto/NBD on a handful of
// customers (β → ∞), Gamma-Gamma on two customers (q, γ → ∞).
const (
	RuleEdge = "edge"
	RuleFlat = "flat"

	runawayLogBound   = 12
	runawayRelativeSE = 1
)

// Weak identification: a fit whose largest relative standard error
// se(θ)/θ exceeds weakRelativeSE (the data cannot tell θ from e·θ within
// one standard error), or whose observed information in log-parameters
// has a condition number above weakCondition (some combination of
// parameters is nearly undetermined), is flagged
// FitResult.WeaklyIdentified. On the published fits (CDNOW: BG/NBD,
// MBG/NBD, Pareto/NBD, Gamma-Gamma; donations: BG/BB) the largest relative
// standard errors are 0.12–0.53 and the condition numbers 160–900.
const (
	weakRelativeSE = 1
	weakCondition  = 1e6
)

// identification is what the observed information says about a fit.
type identification struct {
	se        []float64 // standard errors of the free parameters; nil when unavailable
	seErr     error     // why they are unavailable
	maxRelSE  float64   // max se(θ)/θ; +Inf without standard errors
	condition float64   // of the information in log-parameters; +Inf when not positive definite
}

// identify computes the standard errors and the identification measures at
// the natural parameters p from the observed information h of the free
// parameters (nil with hErr when it could not be formed).
func identify(h *mat.SymDense, hErr error, p []float64, free []int) identification {
	id := identification{maxRelSE: math.Inf(1), condition: math.Inf(1)}
	if hErr != nil {
		id.seErr = hErr
		return id
	}
	id.se, id.seErr = standardErrorsFrom(h)
	if id.se != nil {
		id.maxRelSE = 0
		for j, i := range free {
			id.maxRelSE = math.Max(id.maxRelSE, id.se[j]/p[i])
		}
	}
	// The information in log-parameters, D·h·D with D = diag(θ), whose
	// condition number does not depend on the units of the data.
	k := len(free)
	hl := mat.NewSymDense(k, nil)
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			hl.SetSym(a, b, h.At(a, b)*p[free[a]]*p[free[b]])
		}
	}
	var eig mat.EigenSym
	if eig.Factorize(hl, false) {
		vals := eig.Values(nil)
		if lo, hi := vals[0], vals[k-1]; lo > 0 {
			id.condition = hi / lo
		}
	}
	return id
}

// weak reports whether the fit is weakly identified.
func (id identification) weak() bool {
	return id.maxRelSE > weakRelativeSE || id.condition > weakCondition
}

// runaway returns the parameters that ran off (see the runaway rules), or
// nil.
func (id identification) runaway(names []string, theta []float64, free []int) *Runaway {
	var edge, flat []string
	for j, i := range free {
		a := math.Abs(theta[j])
		switch {
		case a > maxLogParam-2:
			edge = append(edge, names[i])
		case a > runawayLogBound && (id.se == nil || id.se[j]/math.Exp(theta[j]) > runawayRelativeSE):
			flat = append(flat, names[i])
		}
	}
	switch {
	case edge != nil:
		return &Runaway{Params: edge, Rule: RuleEdge, Option: OptionPenalty}
	case flat != nil:
		return &Runaway{Params: flat, Rule: RuleFlat, Option: OptionPenalty}
	}
	return nil
}

// describe words the runaway for an error message.
func (r *Runaway) describe() string {
	what := "ran off to the edge of its space (|ln θ| > 23)"
	if r.Rule == RuleFlat {
		what = fmt.Sprintf("ran off toward 0 or ∞ (|ln θ| > %d) where the likelihood is flat (relative standard error above %d or a singular information)", runawayLogBound, runawayRelativeSE)
	}
	noun := "parameter"
	if len(r.Params) > 1 {
		noun = "parameters"
	}
	return fmt.Sprintf("%s %s %s", noun, strings.Join(r.Params, ", "), what)
}
