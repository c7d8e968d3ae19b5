package models

import (
	"math"
	"testing"
)

// TestDataValidate checks the rows Data.Validate finds fault with and what
// it says: the first bad row of the table (whichever column is at fault),
// and of a row with several faults the first in the order frequency, T,
// recency, T = 0 with repeat purchases, weight, monetary value.
func TestDataValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	valid := func() *Data {
		return &Data{
			Frequency: []float64{0, 2, 1, 3},
			Recency:   []float64{0, 4, 1, 5},
			T:         []float64{0, 6, 2, 5},
			Weight:    []float64{1, 2, 1, 0},
			Monetary:  []float64{0, 10, 3, 4},
		}
	}
	cases := []struct {
		name string
		edit func(d *Data)
		want string // "" for no error
	}{
		{"valid", func(*Data) {}, ""},
		{"recency at T up to rounding", func(d *Data) { d.Recency[3] = 5 * (1 + 1e-13) }, ""},
		{"negative frequency", func(d *Data) { d.Frequency[2] = -1 }, "row 3: frequency -1 must be a finite number ≥ 0"},
		{"NaN frequency", func(d *Data) { d.Frequency[1] = nan }, "row 2: frequency NaN must be a finite number ≥ 0"},
		{"infinite T", func(d *Data) { d.T[2] = inf }, "row 3: T +Inf must be a finite number ≥ 0"},
		{"NaN T", func(d *Data) { d.T[1] = nan }, "row 2: T NaN must be a finite number ≥ 0"},
		{"recency beyond T", func(d *Data) { d.Recency[1] = 7 }, "row 2: recency 7 must lie in [0, T=6]"},
		{"infinite recency", func(d *Data) { d.Recency[3] = inf }, "row 4: recency +Inf must lie in [0, T=5]"},
		{"infinite recency at the largest T", func(d *Data) { d.T[3], d.Recency[3] = math.MaxFloat64, inf }, "row 4: recency +Inf must lie in [0, T=1.7976931348623157e+308]"},
		{"negative recency", func(d *Data) { d.Recency[2] = -0.5 }, "row 3: recency -0.5 must lie in [0, T=2]"},
		{"repeat purchases at T = 0", func(d *Data) { d.Frequency[0] = 1 }, "row 1: frequency 1 with T = 0 (a customer first seen on the calibration end has no repeat purchases)"},
		{"NaN weight", func(d *Data) { d.Weight[3] = nan }, "row 4: weight NaN must be a finite number ≥ 0"},
		{"negative monetary value", func(d *Data) { d.Monetary[2] = -3 }, "row 3: monetary value -3 must be a finite number ≥ 0"},
		{"the first bad row, not the first bad column", func(d *Data) { d.Monetary[1] = inf; d.Frequency[3] = nan }, "row 2: monetary value +Inf must be a finite number ≥ 0"},
		{"a later column's fault on an earlier row", func(d *Data) { d.Weight[0] = -1; d.T[2] = nan }, "row 1: weight -1 must be a finite number ≥ 0"},
		{"the first fault of a row", func(d *Data) { d.Monetary[2] = nan; d.Weight[2] = nan; d.Recency[2] = 9 }, "row 3: recency 9 must lie in [0, T=2]"},
	}
	for _, c := range cases {
		d := valid()
		c.edit(d)
		err := d.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want no error", c.name, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Without the optional columns.
	d := valid()
	d.Weight, d.Monetary = nil, nil
	if err := d.Validate(); err != nil {
		t.Errorf("without weight and monetary columns: %v", err)
	}
	d.Recency[1] = nan
	if err := d.Validate(); err == nil || err.Error() != "row 2: recency NaN must lie in [0, T=6]" {
		t.Errorf("NaN recency without weight and monetary columns: %v", err)
	}
}

// TestValidHistory checks which histories every model accepts: finite
// values ≥ 0, t_x ≤ T up to rounding, and no repeat purchases at T = 0.
func TestValidHistory(t *testing.T) {
	nan, inf, big := math.NaN(), math.Inf(1), math.MaxFloat64
	cases := []struct {
		x, tx, T float64
		want     bool
	}{
		{0, 0, 0, true}, {0, 0, 3, true}, {2, 1, 3, true}, {2, 3 * (1 + 1e-13), 3, true}, {1, big, big, true},
		{1, 0, 0, false}, {2, 3.1, 3, false}, {-1, 0, 3, false}, {1, -1, 3, false}, {1, 1, -3, false},
		{nan, 1, 3, false}, {1, nan, 3, false}, {1, 1, nan, false},
		{inf, 1, 3, false}, {1, inf, big, false}, {1, 1, inf, false},
	}
	for _, c := range cases {
		if got := ValidHistory(Customer{Frequency: c.x, Recency: c.tx, T: c.T}); got != c.want {
			t.Errorf("ValidHistory(x=%v, t_x=%v, T=%v) = %v, want %v", c.x, c.tx, c.T, got, c.want)
		}
	}
}
