package models

import (
	"errors"
	"slices"
	"testing"
)

// TestRegistryRebuild rebuilds every model that has a constructor from
// parameters and checks that the rebuilt model reports the parameters it
// was given, under the names the descriptor lists.
func TestRegistryRebuild(t *testing.T) {
	reg := NewRegistry()
	for _, kind := range []Kind{KindPurchase, KindSpend, KindContractual} {
		for _, name := range reg.Names(kind) {
			d, _ := reg.Lookup(kind, name)
			p := Params{}
			for i, n := range d.Params {
				p[n] = 0.5 + float64(i)
				if n == "k" { // the Erlang-k models' k is a whole number
					p[n] = float64(i)
				}
			}
			var res *FitResult
			switch {
			case d.RebuildPurchases != nil:
				f, err := d.RebuildPurchases(p)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				res = f.Result()
			case d.RebuildSpend != nil:
				f, err := d.RebuildSpend(p)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				res = f.Result()
			case d.RebuildCovariates != nil:
				f, err := d.RebuildCovariates(p)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				res = f.Result()
				if pn, dn := f.CovariateNames(); !slices.Equal(pn, []string{"NAME"}) || !slices.Equal(dn, []string{"NAME"}) {
					t.Errorf("%s rebuilt: covariates %v and %v, want NAME on each process", name, pn, dn)
				}
				for n, v := range p {
					if res.Params[n] != v {
						t.Errorf("%s rebuilt: %s = %v, want %v", name, n, res.Params[n], v)
					}
				}
				delete(p, d.Params[0])
				if _, err := d.RebuildCovariates(p); err == nil {
					t.Errorf("%s rebuilt without %s", name, d.Params[0])
				}
				continue
			case d.RebuildSurvival != nil:
				f, err := d.RebuildSurvival(p)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				res = f.Result()
			default:
				if len(d.Params) != 0 {
					t.Errorf("%s lists parameters but cannot be rebuilt", name)
				}
				continue
			}
			for n, v := range p {
				if res.Params[n] != v {
					t.Errorf("%s rebuilt: %s = %v, want %v", name, n, res.Params[n], v)
				}
			}
			if len(d.Params) > 0 {
				delete(p, d.Params[0])
				if _, err := reg.RebuildPurchases(name, p); kind == KindPurchase && err == nil {
					t.Errorf("%s rebuilt without %s", name, d.Params[0])
				}
			}
		}
	}
}

// TestRegistryKinds checks the names by kind and data, and the error for
// an unknown name.
func TestRegistryKinds(t *testing.T) {
	reg := NewRegistry()
	if got, want := reg.NamesFitting(DataContinuous, DataActivity), []string{"average", "retention", "hiatus", "bgnbd", "paretonbd", "mbgnbd", "bgcnbdk", "mbgcnbdk"}; !slices.Equal(got, want) {
		t.Errorf("continuous-time models %v, want %v", got, want)
	}
	if got := reg.NamesFitting(DataDiscrete); !slices.Equal(got, []string{"bgbb"}) {
		t.Errorf("discrete models %v", got)
	}
	if got := reg.Names(KindContractual); !slices.Equal(got, []string{"sbg"}) {
		t.Errorf("contractual models %v", got)
	}
	m, err := reg.PurchaseModel("hiatus", Params{"h": 3})
	if err != nil || m.(Hiatus).H != 3 || m.(Hiatus).Quantile != DefaultHiatusQuantile {
		t.Errorf("hiatus with h=3: %#v, %v", m, err)
	}
	var unknown *UnknownModelError
	if _, err := reg.PurchaseModel("sbg", nil); !errors.As(err, &unknown) || !slices.Contains(unknown.Known, "bgbb") {
		t.Errorf("sbg as a purchase model: %v", err)
	}
}
