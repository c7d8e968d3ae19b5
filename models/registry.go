package models

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// purchaseModels lists the purchase models by their names in configs and
// on the command line.
func purchaseModels() map[string]PurchaseModel {
	return map[string]PurchaseModel{
		"bgnbd":     BGNBD{},
		"mbgnbd":    MBGNBD{},
		"paretonbd": ParetoNBD{},
		"bgbb":      BGBB{},
		"average":   Average{},
		"hiatus":    Hiatus{},
		"retention": Retention{},
		"bgcnbdk":   CNBDK{},
		"mbgcnbdk":  CNBDK{DropoutAtZero: true},
	}
}

// spendModels lists the spend models by name.
func spendModels() map[string]SpendModel {
	return map[string]SpendModel{
		"gammagamma": GammaGamma{},
		"average":    AverageSpend{},
	}
}

// PurchaseModelNames returns the names of the purchase models, sorted.
func PurchaseModelNames() []string { return sortedKeys(purchaseModels()) }

// SpendModelNames returns the names of the spend models, sorted.
func SpendModelNames() []string { return sortedKeys(spendModels()) }

// FitNames returns every name `clv fit --model` accepts, sorted: the
// purchase models, gammagamma and sbg.
func FitNames() []string {
	names := PurchaseModelNames()
	names = append(names, "gammagamma", "sbg")
	sort.Strings(names)
	return names
}

// PurchaseModelByName returns the purchase model with the given name.
func PurchaseModelByName(name string) (PurchaseModel, error) {
	if m, ok := purchaseModels()[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown purchase model %q: choose one of %s", name, strings.Join(PurchaseModelNames(), ", "))
}

// SpendModelByName returns the spend model with the given name.
func SpendModelByName(name string) (SpendModel, error) {
	if m, ok := spendModels()[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown spend model %q: choose one of %s", name, strings.Join(SpendModelNames(), ", "))
}

// FitByName fits the purchase model or, for "gammagamma", the spend model
// with the given name and returns its fit result. A fit that does not
// converge returns its result together with the error.
func FitByName(ctx context.Context, name string, d *Data, o FitOptions) (*FitResult, error) {
	if name == "gammagamma" {
		f, err := GammaGamma{}.Fit(ctx, d, o)
		return ResultOf(f), err
	}
	m, err := PurchaseModelByName(name)
	if err != nil {
		if name == "sbg" {
			return nil, fmt.Errorf("sbg fits cohort survival counts, not customer summaries")
		}
		return nil, fmt.Errorf("%w, gammagamma or sbg", err)
	}
	f, err := m.Fit(ctx, d, o)
	return ResultOf(f), err
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

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
