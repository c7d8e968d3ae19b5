package models

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
)

// Kind says what a model predicts.
type Kind string

// The kinds of model.
const (
	// KindPurchase models count a customer's repeat purchases (BG/NBD,
	// Pareto/NBD, MBG/NBD, BG/BB and the heuristics).
	KindPurchase Kind = "purchase"
	// KindSpend models give the spend per purchase (Gamma-Gamma, average).
	KindSpend Kind = "spend"
	// KindContractual models give a cohort's survival from period to period
	// (sBG).
	KindContractual Kind = "contractual"
)

// DataForm names the data a model fits on.
type DataForm string

// The forms of data a model can need.
const (
	// DataContinuous is the continuous-time summary: x, t_x and T in a time
	// unit, rows with identical histories merged into weights.
	DataContinuous DataForm = "continuous-time summary"
	// DataDiscrete is the discrete-time summary: each calendar period (year,
	// quarter, month ...) after the first purchase is one opportunity, and
	// x, t_x and n count opportunities.
	DataDiscrete DataForm = "discrete opportunities"
	// DataActivity is the continuous-time summary with activity bitmaps
	// (which activity periods each customer bought in), one row per
	// customer.
	DataActivity DataForm = "activity periods"
	// DataSurvival is a cohort's survivor counts by period.
	DataSurvival DataForm = "survival counts"
	// DataAmounts is the continuous-time summary with the mean repeat spend.
	DataAmounts DataForm = "amounts"
	// DataCovariates is the continuous-time summary, one row per customer,
	// with each customer's static covariates (the covariate models).
	DataCovariates DataForm = "continuous-time summary with covariates"
)

// Option is a setting of a model, a number with a default.
type Option struct {
	// Key names the option in a config under the model's name (hiatus.h).
	Key     string
	Default float64
	Doc     string
}

// FittedSurvival is a contractual model with its parameters estimated: the
// survival curve S(t) of a cohort, its retention rates and discounted
// expected (residual) lifetimes.
type FittedSurvival interface {
	Result() *FitResult
	// SurvivalCurve returns S(0) … S(n).
	SurvivalCurve(n int) []float64
	// Retention returns r_t = S(t)/S(t−1), t ≥ 1.
	Retention(t int) float64
	// DEL is the discounted expected lifetime at rate d per period.
	DEL(d float64) (float64, error)
	// DERL is the discounted expected residual lifetime of a customer
	// active at the end of period n−1 (renewing for the n-th time).
	DERL(d float64, n int) (float64, error)
}

// Descriptor is what clv knows of one model: its name and kind, the data it
// needs, its options, how to build and fit it, and how to rebuild it from
// saved parameters. Exactly one of the fit functions is set, by Kind.
type Descriptor struct {
	Name  string
	Label string // as the papers write it: "BG/NBD"
	Kind  Kind
	Data  DataForm
	// Params names the parameters of a fit, as the papers write them.
	Params  []string
	Options []Option

	// Purchase builds a purchase model from option values (a missing
	// option takes its default).
	Purchase func(opts Params) PurchaseModel
	// Spend builds a spend model.
	Spend func(opts Params) SpendModel
	// Survival fits a contractual model to survivor counts n_0 … n_c.
	Survival func(ctx context.Context, survivors []float64, o FitOptions) (FittedSurvival, error)

	// RebuildPurchases, RebuildSpend and RebuildSurvival return the fitted
	// model with the given parameters; nil when the model has no
	// constructor from parameters (the heuristics).
	RebuildPurchases func(p Params) (FittedPurchases, error)
	RebuildSpend     func(p Params) (FittedSpend, error)
	RebuildSurvival  func(p Params) (FittedSurvival, error)

	// Covariate builds a purchase model with static covariates (Data is
	// DataCovariates), RebuildCovariates rebuilds its fit from saved
	// parameters, and Plain names the same model without covariates, the
	// restriction of its likelihood-ratio test. Purchase is then a model
	// whose Fit says that covariates are needed.
	Covariate         func(opts Params) CovariateModel
	RebuildCovariates func(p Params) (FittedCovariates, error)
	Plain             string
}

// Needs says in words what data the model fits on, for messages.
func (d Descriptor) Needs() string {
	switch d.Data {
	case DataDiscrete:
		return "a transaction log in calendar periods (each year, quarter or month one opportunity: set the unit to one of them)"
	case DataActivity:
		return "a transaction log with activity periods (set the retention period)"
	case DataSurvival:
		return "a cohort's survivor counts per period (a survival CSV)"
	case DataAmounts:
		return "a transaction log or summary with amounts"
	case DataCovariates:
		return "a transaction log with a covariates file keyed by customer id (covariates.path and covariates.columns in a config, --covariates on the command line)"
	}
	return "a transaction log or a continuous-time summary (frequency, recency, T)"
}

// option returns the value of an option: from opts, else its default.
func (d Descriptor) option(opts Params, key string) float64 {
	if v, ok := opts[key]; ok {
		return v
	}
	for _, o := range d.Options {
		if o.Key == key {
			return o.Default
		}
	}
	return 0
}

// Registry holds the descriptors of every model clv knows, by name. Build
// it with NewRegistry; it is a value, read only after construction.
type Registry struct {
	byName map[string]Descriptor
	order  []string
}

// NewRegistry returns the registry of every model: the purchase models
// bgnbd, paretonbd, mbgnbd, bgbb, average, retention and hiatus, the spend
// models gammagamma and average, and the contractual model sbg. The name
// "average" is both a purchase and a spend model; the two are told apart
// by kind (Lookup takes the kind).
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]Descriptor{}}
	for _, d := range []Descriptor{
		{Name: "average", Label: "Average", Kind: KindPurchase, Data: DataContinuous,
			Purchase: func(Params) PurchaseModel { return Average{} }},
		{Name: "retention", Label: "Retention", Kind: KindPurchase, Data: DataActivity,
			Purchase: func(Params) PurchaseModel { return Retention{} }},
		{Name: "hiatus", Label: "Hiatus", Kind: KindPurchase, Data: DataContinuous,
			Options: []Option{
				{Key: "h", Default: 0, Doc: "hiatus length in time units after which a customer counts as gone (0: derived from the data)"},
				{Key: "quantile", Default: DefaultHiatusQuantile, Doc: "quantile of the mean inter-purchase times that derives h when h is 0"},
			}},
		{Name: "bgnbd", Label: "BG/NBD", Kind: KindPurchase, Data: DataContinuous, Params: []string{"r", "alpha", "a", "b"},
			Purchase: func(Params) PurchaseModel { return BGNBD{} },
			RebuildPurchases: rebuild4(func(v [4]float64) (FittedPurchases, error) {
				return NewFittedBGNBD(v[0], v[1], v[2], v[3])
			}, "r", "alpha", "a", "b")},
		{Name: "paretonbd", Label: "Pareto/NBD", Kind: KindPurchase, Data: DataContinuous, Params: []string{"r", "alpha", "s", "beta"},
			Purchase: func(Params) PurchaseModel { return ParetoNBD{} },
			RebuildPurchases: rebuild4(func(v [4]float64) (FittedPurchases, error) {
				return NewFittedParetoNBD(v[0], v[1], v[2], v[3])
			}, "r", "alpha", "s", "beta")},
		{Name: "mbgnbd", Label: "MBG/NBD", Kind: KindPurchase, Data: DataContinuous, Params: []string{"r", "alpha", "a", "b"},
			Purchase: func(Params) PurchaseModel { return MBGNBD{} },
			RebuildPurchases: rebuild4(func(v [4]float64) (FittedPurchases, error) {
				return NewFittedMBGNBD(v[0], v[1], v[2], v[3])
			}, "r", "alpha", "a", "b")},
		cnbdkDescriptor(false),
		cnbdkDescriptor(true),
		covariateDescriptor("bgnbd", "BG/NBD", bgfNames, CovariateBGF{}, func(p Params) (FittedCovariates, error) {
			return NewFittedCovariateBGF(false, p)
		}),
		covariateDescriptor("mbgnbd", "MBG/NBD", bgfNames, CovariateBGF{DropoutAtZero: true}, func(p Params) (FittedCovariates, error) {
			return NewFittedCovariateBGF(true, p)
		}),
		covariateDescriptor("paretonbd", "Pareto/NBD", pnbdNames, CovariateParetoNBD{}, func(p Params) (FittedCovariates, error) {
			return NewFittedCovariateParetoNBD(p)
		}),
		{Name: "bgbb", Label: "BG/BB", Kind: KindPurchase, Data: DataDiscrete, Params: []string{"alpha", "beta", "gamma", "delta"},
			Purchase: func(Params) PurchaseModel { return BGBB{} },
			RebuildPurchases: rebuild4(func(v [4]float64) (FittedPurchases, error) {
				return NewFittedBGBB(v[0], v[1], v[2], v[3])
			}, "alpha", "beta", "gamma", "delta")},
		{Name: "gammagamma", Label: "Gamma-Gamma", Kind: KindSpend, Data: DataAmounts, Params: []string{"p", "q", "gamma"},
			Spend: func(Params) SpendModel { return GammaGamma{} },
			RebuildSpend: func(p Params) (FittedSpend, error) {
				v, err := paramValues("gammagamma", p, "p", "q", "gamma")
				if err != nil {
					return nil, err
				}
				return NewFittedGammaGamma(v[0], v[1], v[2])
			}},
		{Name: "average", Label: "Average spend", Kind: KindSpend, Data: DataAmounts,
			Spend: func(Params) SpendModel { return AverageSpend{} }},
		{Name: "sbg", Label: "sBG", Kind: KindContractual, Data: DataSurvival, Params: []string{"alpha", "beta"},
			Survival: func(ctx context.Context, s []float64, o FitOptions) (FittedSurvival, error) {
				f, err := SBG{}.FitSurvival(ctx, s, o)
				if f == nil {
					return nil, err
				}
				return f, err
			},
			RebuildSurvival: func(p Params) (FittedSurvival, error) {
				v, err := paramValues("sbg", p, "alpha", "beta")
				if err != nil {
					return nil, err
				}
				return NewFittedSBG(v[0], v[1])
			}},
	} {
		r.add(d)
	}
	hiatus := r.byName[key(KindPurchase, "hiatus")]
	hiatus.Purchase = func(o Params) PurchaseModel {
		return Hiatus{H: hiatus.option(o, "h"), Quantile: hiatus.option(o, "quantile")}
	}
	r.byName[key(KindPurchase, "hiatus")] = hiatus
	return r
}

func key(k Kind, name string) string { return string(k) + ":" + name }

func (r *Registry) add(d Descriptor) {
	r.byName[key(d.Kind, d.Name)] = d
	r.order = append(r.order, key(d.Kind, d.Name))
}

// Lookup returns the descriptor of the model of the given kind and name.
func (r *Registry) Lookup(k Kind, name string) (Descriptor, bool) {
	d, ok := r.byName[key(k, name)]
	return d, ok
}

// Find returns the descriptor of a name whatever its kind, preferring a
// purchase model, then a spend model, then a contractual model (only
// "average" is two kinds).
func (r *Registry) Find(name string) (Descriptor, bool) {
	for _, k := range []Kind{KindPurchase, KindSpend, KindContractual} {
		if d, ok := r.Lookup(k, name); ok {
			return d, true
		}
	}
	return Descriptor{}, false
}

// Names returns the names of the models of a kind in the registry's
// order (the order of the default models list); every name with no kind
// given.
func (r *Registry) Names(kinds ...Kind) []string {
	var out []string
	for _, k := range r.order {
		d := r.byName[k]
		if (len(kinds) == 0 || slices.Contains(kinds, d.Kind)) && !slices.Contains(out, d.Name) {
			out = append(out, d.Name)
		}
	}
	return out
}

// NamesFitting returns the purchase models that fit on one of the given
// forms of data, in the registry's order.
func (r *Registry) NamesFitting(forms ...DataForm) []string {
	var out []string
	for _, k := range r.order {
		if d := r.byName[k]; d.Kind == KindPurchase && slices.Contains(forms, d.Data) {
			out = append(out, d.Name)
		}
	}
	return out
}

// Rebuildable returns the purchase models of the given forms of data that
// can be rebuilt from saved parameters (the probability models, whose
// P(alive) is a genuine probability), in the registry's order.
func (r *Registry) Rebuildable(forms ...DataForm) []string {
	var out []string
	for _, name := range r.NamesFitting(forms...) {
		if d, _ := r.Lookup(KindPurchase, name); d.RebuildPurchases != nil {
			out = append(out, name)
		}
	}
	return out
}

// DefaultSpend returns the spend model a run uses when the data has amounts
// and the config does not choose one: Gamma-Gamma (Fader, Hardie & Lee
// 2005, "RFM and CLV"), the probability model of spend.
func (r *Registry) DefaultSpend() string { return "gammagamma" }

// Label returns how a model's name is written in reports ("BG/NBD"); the
// name itself for one the registry does not know.
func (r *Registry) Label(k Kind, name string) string {
	if d, ok := r.Lookup(k, name); ok {
		return d.Label
	}
	return name
}

// PurchaseModel returns the purchase model of a name built with the given
// option values.
func (r *Registry) PurchaseModel(name string, opts Params) (PurchaseModel, error) {
	d, ok := r.Lookup(KindPurchase, name)
	if !ok {
		return nil, r.unknown(KindPurchase, name)
	}
	return d.Purchase(opts), nil
}

// SpendModel returns the spend model of a name.
func (r *Registry) SpendModel(name string, opts Params) (SpendModel, error) {
	d, ok := r.Lookup(KindSpend, name)
	if !ok {
		return nil, r.unknown(KindSpend, name)
	}
	return d.Spend(opts), nil
}

// RebuildPurchases returns a fitted purchase model from its saved
// parameters; (nil, nil) for a model that cannot be rebuilt.
func (r *Registry) RebuildPurchases(name string, p Params) (FittedPurchases, error) {
	d, ok := r.Lookup(KindPurchase, name)
	if !ok {
		return nil, r.unknown(KindPurchase, name)
	}
	if d.RebuildPurchases == nil {
		return nil, nil
	}
	return d.RebuildPurchases(p)
}

// UnknownModelError reports a name the registry does not know for a kind.
type UnknownModelError struct {
	Name  string
	Kind  Kind
	Known []string
}

func (e *UnknownModelError) Error() string {
	return fmt.Sprintf("unknown %s model %q: choose one of %s", e.Kind, e.Name, strings.Join(e.Known, ", "))
}

func (r *Registry) unknown(k Kind, name string) error {
	return &UnknownModelError{Name: name, Kind: k, Known: r.Names(k)}
}

func rebuild4(build func([4]float64) (FittedPurchases, error), names ...string) func(Params) (FittedPurchases, error) {
	return func(p Params) (FittedPurchases, error) {
		v, err := paramValues("", p, names...)
		if err != nil {
			return nil, err
		}
		return build([4]float64(v))
	}
}

// paramValues returns the named parameters in order, or an error naming
// the first missing one.
func paramValues(model string, p Params, names ...string) ([]float64, error) {
	out := make([]float64, len(names))
	for i, n := range names {
		v, ok := p[n]
		if !ok {
			if model == "" {
				return nil, fmt.Errorf("parameter %s is missing", n)
			}
			return nil, fmt.Errorf("%s: parameter %s is missing", model, n)
		}
		out[i] = v
	}
	return out, nil
}

// ResultOf returns the fit result of f, or nil when f is nil (also a
// typed nil pointer inside the interface), as a failed fit may return.
func ResultOf(f interface{ Result() *FitResult }) *FitResult {
	if f == nil {
		return nil
	}
	if v := reflect.ValueOf(f); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return f.Result()
}

// PurchaseModelByName returns the purchase model of a name with its
// default options (a shorthand for NewRegistry().PurchaseModel).
func PurchaseModelByName(name string) (PurchaseModel, error) {
	return NewRegistry().PurchaseModel(name, nil)
}

// SpendModelByName returns the spend model of a name (a shorthand for
// NewRegistry().SpendModel).
func SpendModelByName(name string) (SpendModel, error) {
	return NewRegistry().SpendModel(name, nil)
}

// cnbdkDescriptor describes the BG/CNBD-k or, with dropoutAtZero, the
// MBG/CNBD-k model (see CNBDK).
func cnbdkDescriptor(dropoutAtZero bool) Descriptor {
	m := CNBDK{DropoutAtZero: dropoutAtZero}
	label := "BG/CNBD-k"
	if dropoutAtZero {
		label = "MBG/CNBD-k"
	}
	return Descriptor{Name: m.Name(), Label: label, Kind: KindPurchase, Data: DataContinuous,
		Params: []string{"r", "alpha", "a", "b", "k"},
		Options: []Option{
			{Key: "k", Default: 0, Doc: "regularity k ≥ 1 of the Erlang-k times between purchases (0: chosen by maximum likelihood over 1..k_max)"},
			{Key: "k_max", Default: cnbdkDefaultKMax, Doc: "largest k tried when k is chosen"},
		},
		Purchase: func(opts Params) PurchaseModel {
			o := m
			o.K, o.KMax = int(opts["k"]), int(opts["k_max"])
			return o
		},
		RebuildPurchases: func(p Params) (FittedPurchases, error) {
			v, err := paramValues(m.Name(), p, "r", "alpha", "a", "b", "k")
			if err != nil {
				return nil, err
			}
			if v[4] != math.Trunc(v[4]) {
				return nil, fmt.Errorf("%s: k = %v must be a whole number", m.Name(), v[4])
			}
			return NewFittedCNBDK(dropoutAtZero, int(v[4]), v[0], v[1], v[2], v[3])
		},
	}
}

// covariateDescriptor describes the covariate model m of the plain model
// named plain (labelled label, with parameters params): its name is plain + "_cov", its data
// DataCovariates, and its fit rebuilds from the saved parameters through
// rebuild.
func covariateDescriptor(plain, label string, params []string, m CovariateModel, rebuild func(Params) (FittedCovariates, error)) Descriptor {
	return Descriptor{Name: m.Name(), Label: label + " + covariates", Kind: KindPurchase, Data: DataCovariates,
		Params:            append(slices.Clone(params), "purchase.NAME", "dropout.NAME"),
		Purchase:          func(Params) PurchaseModel { return needsCovariates{m.Name()} },
		Covariate:         func(Params) CovariateModel { return m },
		RebuildCovariates: rebuild,
		Plain:             plain,
	}
}

// needsCovariates stands in for a covariate model where a plain purchase
// model is asked for: its fit fails, saying what it needs.
type needsCovariates struct{ name string }

func (m needsCovariates) Name() string { return m.name }

// Fit fails: the model needs the customers' covariates.
func (m needsCovariates) Fit(context.Context, *Data, FitOptions) (FittedPurchases, error) {
	return nil, &NeedsCovariatesError{Model: m.name}
}

// NeedsCovariatesError reports a covariate model asked to fit without
// covariates.
type NeedsCovariatesError struct{ Model string }

func (e *NeedsCovariatesError) Error() string {
	return fmt.Sprintf("%s needs the customers' covariates: give a covariates file keyed by customer id (covariates.path and covariates.columns in a config, --covariates FILE with --covariate on the command line)", e.Model)
}
