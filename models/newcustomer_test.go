package models

import (
	"context"
	"math"
	"testing"
)

// TestNewCustomerAtCalibrationEnd holds issue 11's T = 0 customer: a
// customer whose first purchase falls on the calibration end is predicted
// by every purchase model as a new customer, E[Y(t) | x=0, t_x=0, T=0] =
// E[X(t)] (the posterior is the prior), with P(alive) that of a new
// customer (1, or b/(a+b) for the MBG/NBD, whose first purchase is already
// a dropout opportunity), finite CLV, and a log-likelihood of 0 (the
// history has probability 1), so that such rows may be fitted on.
func TestNewCustomerAtCalibrationEnd(t *testing.T) {
	bg, _ := NewFittedBGNBD(0.243, 4.414, 0.793, 2.426)
	mbg := &FittedMBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614}
	pn, _ := NewFittedParetoNBD(0.553, 10.578, 0.606, 11.669)
	bb, _ := NewFittedBGBB(1.204, 0.750, 0.657, 2.783)
	newCustomer := Customer{}
	for _, c := range []struct {
		name  string
		m     FittedPurchases
		alive float64
		ll    func(Customer) float64
	}{
		{"bgnbd", bg, 1, bg.LogLikelihood},
		{"mbgnbd", mbg, 1.614 / (0.891 + 1.614), mbg.LogLikelihood},
		{"paretonbd", pn, 1, pn.LogLikelihood},
		// BG/BB's P(alive) is at the next opportunity: δ/(γ+δ) for a new customer.
		{"bgbb", bb, 2.783 / (0.657 + 2.783), bb.LogLikelihoodOf},
	} {
		for _, tt := range []float64{1, 10, 39, 520} {
			got, want := c.m.ConditionalExpectedPurchases(newCustomer, tt), c.m.ExpectedPurchases(tt)
			if !(math.Abs(got-want) <= 1e-12*want) {
				t.Errorf("%s: E[Y(%v) | T=0] = %v, want E[X(%v)] = %v", c.name, tt, got, tt, want)
			}
		}
		if got := c.m.ProbabilityAlive(newCustomer); math.Abs(got-c.alive) > 1e-14 {
			t.Errorf("%s: P(alive | T=0) = %v, want %v", c.name, got, c.alive)
		}
		if got := c.ll(newCustomer); math.Abs(got) > 1e-12 {
			t.Errorf("%s: log-likelihood of T=0 = %v, want 0", c.name, got)
		}
		v := CLV(c.m, nil, Customer{Monetary: 10}, CLVOptions{Horizon: 52, DiscountRate: 0.002, Margin: 1})
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s: CLV of a T=0 customer = %v, want finite > 0", c.name, v)
		}
		// Repeat purchases within no time are not a history any model accepts.
		bad := Customer{Frequency: 1}
		if got := c.m.ProbabilityAlive(bad); !math.IsNaN(got) {
			t.Errorf("%s: P(alive | x=1, T=0) = %v, want NaN", c.name, got)
		}
	}
}

// TestFitAcceptsNewCustomers checks that rows with T = 0 are valid for
// every purchase model's fit and change nothing: the fit with them equals
// the fit without them.
func TestFitAcceptsNewCustomers(t *testing.T) {
	base := bgfGradientData()
	with := &Data{
		Frequency: append(append([]float64(nil), base.Frequency...), 0, 0),
		Recency:   append(append([]float64(nil), base.Recency...), 0, 0),
		T:         append(append([]float64(nil), base.T...), 0, 0),
		Weight:    append(append([]float64(nil), base.Weight...), 1, 4),
	}
	if err := with.Validate(); err != nil {
		t.Fatalf("Validate with T = 0 rows: %v", err)
	}
	for _, m := range []PurchaseModel{BGNBD{}, MBGNBD{}, ParetoNBD{}} {
		// BG/BB is checked on its own discrete data in TestBGBBNewCustomerFit.
		f0, err0 := m.Fit(context.Background(), base, FitOptions{})
		f1, err1 := m.Fit(context.Background(), with, FitOptions{})
		if err0 != nil || err1 != nil {
			t.Fatalf("%s: fit errors %v / %v", m.Name(), err0, err1)
		}
		r0, r1 := f0.Result(), f1.Result()
		if math.Abs(r0.LogLikelihood-r1.LogLikelihood) > 1e-9*math.Abs(r0.LogLikelihood) {
			t.Errorf("%s: log-likelihood %v with T=0 rows, %v without", m.Name(), r1.LogLikelihood, r0.LogLikelihood)
		}
		for k, v := range r0.Params {
			if math.Abs(r1.Params[k]-v) > 1e-5*v {
				t.Errorf("%s: %s = %v with T=0 rows, %v without", m.Name(), k, r1.Params[k], v)
			}
		}
	}
	bad := &Data{Frequency: []float64{2}, Recency: []float64{0}, T: []float64{0}}
	if err := bad.Validate(); err == nil {
		t.Errorf("Validate accepted x = 2 with T = 0")
	}
}

// TestBGBBNewCustomerFit checks that BG/BB accepts customers with n = 0
// opportunities in its fit and that they change nothing (likelihood 1).
func TestBGBBNewCustomerFit(t *testing.T) {
	d := bbReadDonations(t)
	with := &Data{
		Frequency: append(append([]float64(nil), d.Frequency...), 0),
		Recency:   append(append([]float64(nil), d.Recency...), 0),
		T:         append(append([]float64(nil), d.T...), 0),
	}
	if d.Weight != nil {
		with.Weight = append(append([]float64(nil), d.Weight...), 25)
	}
	f0, err0 := FitBGBB(context.Background(), d, FitOptions{})
	f1, err1 := FitBGBB(context.Background(), with, FitOptions{})
	if err0 != nil || err1 != nil {
		t.Fatalf("fit errors %v / %v", err0, err1)
	}
	if math.Abs(f0.Result().LogLikelihood-f1.Result().LogLikelihood) > 1e-9*math.Abs(f0.Result().LogLikelihood) {
		t.Errorf("log-likelihood %v with n = 0 rows, %v without", f1.Result().LogLikelihood, f0.Result().LogLikelihood)
	}
}
