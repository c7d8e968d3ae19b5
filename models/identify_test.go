package models

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// idRows builds a Data from (x, t_x, T) triples.
func idRows(rows ...[3]float64) *Data {
	d := &Data{}
	for _, r := range rows {
		d.Frequency = append(d.Frequency, r[0])
		d.Recency = append(d.Recency, r[1])
		d.T = append(d.T, r[2])
	}
	return d
}

// TestUnidentifiableDataIsAnError holds issue 9 §4's cases detected
// before fitting: a log without repeat buyers (BG/NBD once gave
// α = 8.9e8), a single row (α = 1.1e9) and a single customer (all
// parameters 1e7–1e8) are an *IdentificationError naming the penalty
// option, for every model that would run away on them; with a penalty the
// fit is defined and finite.
func TestUnidentifiableDataIsAnError(t *testing.T) {
	var noRepeat [][3]float64
	for i := 0; i < 100; i++ {
		noRepeat = append(noRepeat, [3]float64{0, 0, float64(1 + i%52)})
	}
	cases := []struct {
		name   string
		d      *Data
		reason IdentificationReason
	}{
		{"no repeat buyers", idRows(noRepeat...), NoRepeatPurchases},
		{"a single row", idRows([3]float64{0, 0, 10}), NoRepeatPurchases},
		{"a single customer", idRows([3]float64{3, 20, 30}), OneHistory},
		{"identical customers and new ones", idRows([3]float64{3, 20, 30}, [3]float64{3, 20, 30}, [3]float64{0, 0, 0}), OneHistory},
	}
	for _, c := range cases {
		for _, m := range []PurchaseModel{BGNBD{}, MBGNBD{}, ParetoNBD{}, BGBB{}} {
			_, err := m.Fit(context.Background(), c.d, FitOptions{})
			var ie *IdentificationError
			if !errors.As(err, &ie) {
				t.Errorf("%s, %s: err = %v, want an *IdentificationError", c.name, m.Name(), err)
				continue
			}
			if ie.Reason != c.reason || ie.Option != OptionPenalty || ie.Model != m.Name() {
				t.Errorf("%s, %s: %+v, want reason %q, option %q", c.name, m.Name(), ie, c.reason, OptionPenalty)
			}
			f, err := m.Fit(context.Background(), c.d, FitOptions{Penalty: 0.01})
			if err != nil {
				t.Errorf("%s, %s with a penalty: %v", c.name, m.Name(), err)
				continue
			}
			for k, v := range f.Result().Params {
				if !(v > 0) || math.Abs(math.Log(v)) > runawayLogBound {
					t.Errorf("%s, %s with a penalty: %s = %v", c.name, m.Name(), k, v)
				}
			}
		}
	}
	one := &Data{Frequency: []float64{2, 2}, Recency: []float64{3, 3}, T: []float64{9, 9}, Monetary: []float64{10, 10}}
	var ie *IdentificationError
	if _, err := FitGammaGamma(context.Background(), one, FitOptions{}); !errors.As(err, &ie) || ie.Reason != OneHistory {
		t.Errorf("Gamma-Gamma on one history: err = %v, want an *IdentificationError (%s)", err, OneHistory)
	}
}

// TestRunawayFitsAreNotConverged holds issue 9 §4's fits that ran off to
// a boundary yet said "converged": everyone buying every day (BG/NBD
// r = 1.5e8), Pareto/NBD on two customers (β = 1.4e8), Gamma-Gamma on two
// customers (γ = 1.8e8). Each is now a *ConvergenceError whose result is
// not converged and names the runaway parameters, the rule and the
// penalty option; with the penalty each fit converges.
func TestRunawayFitsAreNotConverged(t *testing.T) {
	var daily [][3]float64
	for i := 0; i < 50; i++ {
		T := float64(10 + i)
		daily = append(daily, [3]float64{T, T, T})
	}
	two := idRows([3]float64{2, 5, 10}, [3]float64{0, 0, 8})
	ggTwo := &Data{Frequency: []float64{1, 2}, Recency: []float64{1, 2}, T: []float64{3, 3}, Monetary: []float64{10, 20}}
	cases := []struct {
		name string
		fit  func(o FitOptions) (*FitResult, error)
		want string // a parameter that must be among the runaways
	}{
		{"bgnbd, everyone buys every day", func(o FitOptions) (*FitResult, error) {
			f, err := FitBGNBD(context.Background(), idRows(daily...), o)
			return resultOf(f, err)
		}, "r"},
		{"paretonbd, two customers", func(o FitOptions) (*FitResult, error) {
			f, err := FitParetoNBD(context.Background(), two, o)
			return resultOf(f, err)
		}, "beta"},
		{"gammagamma, two customers", func(o FitOptions) (*FitResult, error) {
			f, err := FitGammaGamma(context.Background(), ggTwo, o)
			return resultOf(f, err)
		}, "gamma"},
	}
	for _, c := range cases {
		res, err := c.fit(FitOptions{})
		var ce *ConvergenceError
		if !errors.As(err, &ce) {
			t.Errorf("%s: err = %v, want a *ConvergenceError", c.name, err)
			continue
		}
		if res == nil || res.Converged || res.Runaway == nil || ce.Result != res {
			t.Errorf("%s: result %+v, want not converged with a runaway", c.name, res)
			continue
		}
		if !slices.Contains(res.Runaway.Params, c.want) || res.Runaway.Option != OptionPenalty || ce.Option != OptionPenalty {
			t.Errorf("%s: runaway %+v (error option %q), want %s among the parameters and option %q", c.name, res.Runaway, ce.Option, c.want, OptionPenalty)
		}
		for _, name := range res.Runaway.Params {
			if v := res.Params[name]; math.Abs(math.Log(v)) <= runawayLogBound {
				t.Errorf("%s: runaway %s = %v lies within e^±%d", c.name, name, v, runawayLogBound)
			}
		}
		if !res.WeaklyIdentified {
			t.Errorf("%s: a runaway fit is not flagged weakly identified", c.name)
		}
		var back FitResult
		b, _ := json.Marshal(res)
		if err := json.Unmarshal(b, &back); err != nil || back.Runaway == nil || back.Runaway.Rule != res.Runaway.Rule || !back.WeaklyIdentified || back.Converged {
			t.Errorf("%s: JSON %s does not carry the runaway (%v)", c.name, b, err)
		}
		pen, err := c.fit(FitOptions{Penalty: 0.01})
		if err != nil || pen.Runaway != nil || !pen.Converged {
			t.Errorf("%s with a penalty: err %v, runaway %+v", c.name, err, pen)
		}
	}
}

func resultOf[F interface{ Result() *FitResult }](f F, err error) (*FitResult, error) {
	if any(f) == nil {
		return nil, err
	}
	return f.Result(), err
}

// TestLongHistoryFit fits Pareto/NBD on a 100-year history (simulated
// Pareto/NBD customers, weekly unit): issue 9 reported β = 3.6e9 as
// converged. The fit must either recover the truth (every estimate within
// 4 standard errors, not a runaway) or report the runaway; with this
// simulator it recovers.
func TestLongHistoryFit(t *testing.T) {
	truth := map[string]float64{"r": 1, "alpha": 5, "s": 0.5, "beta": 10}
	start := time.Date(1925, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(100, 0, 0)
	s, err := datasets.SimulateSummary(datasets.SimulationConfig{
		Model: "paretonbd", Params: truth, Customers: 2000, Start: start,
		AcquisitionDays: 84, End: end, Unit: datasets.Week, Seed: 7,
	}, end, time.Time{}, datasets.Week)
	if err != nil {
		t.Fatal(err)
	}
	x, tx, T, _, w := s.Columns()
	f, err := FitParetoNBD(context.Background(), &Data{Frequency: x, Recency: tx, T: T, Weight: w}, FitOptions{})
	if err != nil {
		if f == nil || f.Result().Runaway == nil {
			t.Fatalf("100-year history: %v without a runaway diagnosis", err)
		}
		return
	}
	for name, want := range truth {
		if z := (f.Result().Params[name] - want) / f.Result().StdErrors[name]; !(math.Abs(z) <= 4) {
			t.Errorf("%s = %v ± %v, truth %v", name, f.Result().Params[name], f.Result().StdErrors[name], want)
		}
	}
}

// TestIdentificationOfPublishedFits checks that the published fits are
// neither runaways nor weakly identified, and that their measures are
// reported (finite, > 0).
func TestIdentificationOfPublishedFits(t *testing.T) {
	ctx := context.Background()
	d := readCDNOWSummary(t)
	b, err1 := FitBGNBD(ctx, d, FitOptions{})
	g, err2 := FitGammaGamma(ctx, ggReadCDNOW(t), FitOptions{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, r := range []*FitResult{b.Result(), g.Result()} {
		if r.Runaway != nil || r.WeaklyIdentified || !(r.MaxRelativeSE > 0 && r.MaxRelativeSE < weakRelativeSE) || !(r.ConditionNumber >= 1 && r.ConditionNumber < weakCondition) {
			t.Errorf("%s: runaway %v, weak %v, max relative SE %v, condition %v", r.Model, r.Runaway, r.WeaklyIdentified, r.MaxRelativeSE, r.ConditionNumber)
		}
	}
}
