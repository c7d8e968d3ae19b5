package models

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// awkwardRows returns the rows of a simulated pattern table (sorted, so x
// and t_x repeat in runs) followed by every 7th row backwards and a few
// edge cases: weight 0, T = 0, −0 for x and t_x, t_x a rounding above T,
// and each row's customer repeated with another weight.
func awkwardRows(t *testing.T, model string, params map[string]float64) *Data {
	t.Helper()
	p, _, _, _ := simulatedPatterns(t, model, 3000, params)
	d := &Data{}
	add := func(x, tx, T, w float64) {
		d.Frequency = append(d.Frequency, x)
		d.Recency = append(d.Recency, tx)
		d.T = append(d.T, T)
		d.Weight = append(d.Weight, w)
	}
	for i := range p.Len() {
		add(p.Frequency[i], p.Recency[i], p.T[i], p.W(i))
	}
	for i := p.Len() - 1; i >= 0; i -= 7 {
		add(p.Frequency[i], p.Recency[i], p.T[i], 1.5)
	}
	add(3, 10, 20, 0)
	add(0, 0, 0, 2)
	add(math.Copysign(0, -1), math.Copysign(0, -1), 12, 1)
	add(0, 0, 12, 1)
	add(2, 30*(1+1e-13), 30, 1)
	add(2, 30, 30, 1)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	return d
}

// naiveSum is Σ w_i ℓ_i over the rows [lo, hi) by the model's own
// log-likelihood, row by row, the new customers' rows (T = 0, likelihood
// 1) left out.
func naiveSum(d *Data, lo, hi int, logLik func(Customer) float64) float64 {
	s := 0.0
	for i := lo; i < hi; i++ {
		if c := d.Customer(i); d.W(i) > 0 && !(c.T == 0 && ValidHistory(c)) {
			s += d.W(i) * logLik(c)
		}
	}
	return s
}

// TestBGFPointSums holds the kept-terms sums of the information matrix
// at several points (some sharing α) to the sums of the models' own
// log-likelihood, bit for bit, over awkward rows, and checks that an
// invalid row makes every sum NaN.
func TestBGFPointSums(t *testing.T) {
	d := awkwardRows(t, "bgnbd", map[string]float64{"r": 0.8, "alpha": 6, "a": 0.6, "b": 3})
	points := [][4]float64{{0.8, 6, 0.6, 3}, {0.8 * 1.0001, 6, 0.6, 3}, {0.8, 6 * 1.0002, 0.6, 3}, {0.8, 6, 0.6 * 0.9999, 3 * 1.0001}, {2.5, 0.3, 40, 0.05}, {0.8, 6 * 1.0002, 0.6, 3.3}}
	for shift, name := range []string{"bgnbd", "mbgnbd"} {
		var ms []bgfModel
		for _, p := range points {
			ms = append(ms, bgfModel{p[0], p[1], p[2], p[3], float64(shift)})
		}
		ps := newBGFPointSums(ms)
		if len(ps.alphas) != 3 {
			t.Errorf("%s: %d distinct α, want 3", name, len(ps.alphas))
		}
		for _, r := range [][2]int{{0, d.Len()}, {5, d.Len() - 3}, {d.Len() - 9, d.Len()}} {
			got := make([]float64, len(ms))
			ps.block(d, r[0], r[1], got)
			want := make([]float64, len(ms))
			for k, m := range ms {
				want[k] = naiveSum(d, r[0], r[1], m.logLik)
			}
			if !sameSliceBits(got, want) {
				t.Errorf("%s, rows %v: %v, the models' %v", name, r, got, want)
			}
		}
		bad := &Data{Frequency: []float64{1, 2, 1}, Recency: []float64{3, 5, 3}, T: []float64{4, 4, 4}}
		got := make([]float64, len(ms))
		ps.block(bad, 0, 3, got)
		for k, v := range got {
			if !math.IsNaN(v) {
				t.Errorf("%s, point %d: %v over a row with t_x > T, want NaN", name, k, v)
			}
		}
	}
}

// TestParetoPointSums holds the kept-terms Pareto/NBD sums at several
// points (both orientations, α < β and α > β) to the sums of
// LogLikelihood, bit for bit, over awkward rows (within fusedRel where the
// build fuses multiply-adds: sums of hundreds of terms).
func TestParetoPointSums(t *testing.T) {
	d := awkwardRows(t, "paretonbd", map[string]float64{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7})
	var fs []*FittedParetoNBD
	for _, p := range [][4]float64{{0.55, 10.6, 0.61, 11.7}, {0.55, 10.6 * 1.0001, 0.61, 11.7}, {1.3, 7, 1.4, 158}, {0.8, 40, 2, 5}} {
		f, err := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	ps := newParetoPointSums(fs)
	for _, r := range [][2]int{{0, d.Len()}, {5, d.Len() - 3}, {d.Len() - 9, d.Len()}} {
		got := make([]float64, len(fs))
		ps.block(d, r[0], r[1], got)
		want := make([]float64, len(fs))
		for k, f := range fs {
			want[k] = naiveSum(d, r[0], r[1], f.LogLikelihood)
		}
		if !fmaSameSlice(got, want, fusedRel) {
			t.Errorf("rows %v: %v, LogLikelihood's %v (compared %s)", r, got, want, bitsMode(fusedRel))
		}
	}
}

// TestRowTotalsEqualPerPointSums holds the one-pass totals over more than
// two blocks to one parallel sum per point by the models' own
// log-likelihood, bit for bit: for each model family, for a mix of
// families (summed by logLik), with a point that is no model, and on a
// table of a single block.
func TestRowTotalsEqualPerPointSums(t *testing.T) {
	one := awkwardRows(t, "paretonbd", map[string]float64{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7})
	big := &Data{}
	for big.Len() <= 2*chunkSize+100 {
		big.Frequency = append(big.Frequency, one.Frequency...)
		big.Recency = append(big.Recency, one.Recency...)
		big.T = append(big.T, one.T...)
		big.Weight = append(big.Weight, one.Weight...)
	}
	bg, _ := NewFittedBGNBD(0.8, 6, 0.6, 3)
	mbg, _ := NewFittedMBGNBD(0.9, 5, 0.5, 4)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	points := func(theta []float64) [][]float64 {
		var ps [][]float64
		for _, f := range []float64{1, 1.0001, 0.9998} {
			for i := range theta {
				p := append([]float64(nil), theta...)
				p[i] *= f
				ps = append(ps, p)
			}
		}
		return append(ps, []float64{theta[0], -1, theta[2], theta[3]})
	}
	mixed := mixedModel{bgnbdPredictive{bg}}
	for _, c := range []struct {
		name string
		pm   predictiveModel
		d    *Data
	}{
		{"bgnbd", bgnbdPredictive{bg}, big},
		{"mbgnbd", mbgnbdPredictive{mbg}, big},
		{"paretonbd", paretoPredictive{f: pnbd}, big},
		{"mixed", mixed, big},
		{"bgnbd, one block", bgnbdPredictive{bg}, one},
	} {
		ps := points(c.pm.params())
		got, errs := rowTotals(c.pm, c.d)(ps)
		for k, p := range ps {
			m, err := c.pm.with(p)
			if err != nil {
				if errs[k] == nil || errs[k].Error() != err.Error() {
					t.Errorf("%s, point %v: error %v, want %v", c.name, p, errs[k], err)
				}
				continue
			}
			if errs[k] != nil {
				t.Errorf("%s, point %v: %v", c.name, p, errs[k])
				continue
			}
			want := parallelSum(c.d.Len(), 0, nil, func(lo, hi int, _ []float64) float64 {
				return naiveSum(c.d, lo, hi, m.logLik)
			})
			if math.Float64bits(got[k]) != math.Float64bits(want) {
				t.Errorf("%s, point %v: %v, per point %v", c.name, p, got[k], want)
			}
		}
	}
	if _, ok := newPointSums([]predictiveModel{bgnbdPredictive{bg}, mbgnbdPredictive{mbg}}).(modelPointSums); !ok {
		t.Error("BG/NBD and MBG/NBD points are not summed by their logLik")
	}
}

// mixedModel alternates its points between the BG/NBD and the MBG/NBD, so
// that its totals go through modelPointSums.
type mixedModel struct{ predictiveModel }

func (m mixedModel) with(p []float64) (predictiveModel, error) {
	if p[0] > 0.8 {
		f, err := NewFittedMBGNBD(p[0], p[1], p[2], p[3])
		return mbgnbdPredictive{f}, err
	}
	f, err := NewFittedBGNBD(p[0], p[1], p[2], p[3])
	return bgnbdPredictive{f}, err
}

// TestDifferencedInformation checks the information of a quadratic
// log-likelihood in φ = ln θ (exact up to the differences' rounding), that
// the 33 distinct points of four parameters are asked for once each, and
// that the error is that of the first point the differences take.
func TestDifferencedInformation(t *testing.T) {
	theta := []float64{0.1, -0.5, 1.2, 0.3}
	a := [4][4]float64{{4, 1, 0.5, 0}, {1, 3, 0.2, 0.1}, {0.5, 0.2, 2, 0.3}, {0, 0.1, 0.3, 1}}
	quadratic := func(p []float64) float64 {
		q := 0.0
		for i := range 4 {
			for j := range 4 {
				q += (math.Log(p[i]) - theta[i]) * a[i][j] * (math.Log(p[j]) - theta[j])
			}
		}
		return 1000 - q/2
	}
	calls := 0
	info, err := differencedInformation(theta, func(ps [][]float64) ([]float64, []error) {
		calls++
		seen := map[string]bool{}
		for _, p := range ps {
			if key := fmt.Sprint(p); seen[key] {
				t.Errorf("the point %v asked for twice", p)
			} else {
				seen[key] = true
			}
		}
		if len(ps) != 33 {
			t.Errorf("%d points, want 33", len(ps))
		}
		out := make([]float64, len(ps))
		for n, p := range ps {
			out[n] = quadratic(p)
		}
		return out, make([]error, len(ps))
	})
	if err != nil || calls != 1 {
		t.Fatalf("%v after %d calls", err, calls)
	}
	for i := range 4 {
		for j := range 4 {
			if got := info.At(i, j); math.Abs(got-a[i][j]) > 1e-4 {
				t.Errorf("information (%d, %d) = %v, want %v", i, j, got, a[i][j])
			}
		}
	}
	// Point 0 (r up by 2 steps) is fine, point 1 (the centre) has no
	// finite total, point 2 is no model: the error is the centre's.
	errNoModel := errors.New("no model")
	_, err = differencedInformation(theta, func(ps [][]float64) ([]float64, []error) {
		out, errs := make([]float64, len(ps)), make([]error, len(ps))
		out[1] = math.Inf(-1)
		errs[2] = errNoModel
		return out, errs
	})
	if err == nil || !strings.Contains(err.Error(), "is -Inf") {
		t.Errorf("error %v, want the centre's -Inf", err)
	}
	_, err = differencedInformation(theta, func(ps [][]float64) ([]float64, []error) {
		errs := make([]error, len(ps))
		errs[2] = errNoModel
		out := make([]float64, len(ps))
		out[3] = math.NaN()
		return out, errs
	})
	if !errors.Is(err, errNoModel) {
		t.Errorf("error %v, want the third point's", err)
	}
}

// TestParetoAliveEqualsProbabilityAlive checks that the pattern table's
// P(alive) with its integrals kept across rows equals
// FittedParetoNBD.ProbabilityAlive bit for bit over awkward rows (in both
// orientations, α < β and α > β).
func TestParetoAliveEqualsProbabilityAlive(t *testing.T) {
	d := awkwardRows(t, "paretonbd", map[string]float64{"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7})
	for _, p := range [][4]float64{{0.55, 10.6, 0.61, 11.7}, {1.3, 7, 1.4, 158}, {0.8, 40, 2, 5}} {
		f, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		pa := newParetoAlive(f)
		for i := 0; i < d.Len(); i++ {
			c := d.Customer(i)
			if got, want := pa.at(c), f.ProbabilityAlive(c); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%v, x=%v t_x=%v T=%v: %v, ProbabilityAlive %v", p, c.Frequency, c.Recency, c.T, got, want)
			}
		}
	}
}

// TestDrawAlive checks the rows' P(alive) under each model family against
// the models' own, at a stride.
func TestDrawAlive(t *testing.T) {
	d := awkwardRows(t, "bgnbd", map[string]float64{"r": 0.8, "alpha": 6, "a": 0.6, "b": 3})
	bg, _ := NewFittedBGNBD(0.8, 6, 0.6, 3)
	mbg, _ := NewFittedMBGNBD(0.9, 5, 0.5, 4)
	pnbd, _ := NewFittedParetoNBD(0.55, 10.6, 0.61, 11.7)
	for _, c := range []struct {
		m     predictiveModel
		alive func(Customer) float64
	}{
		{bgnbdPredictive{bg}, bg.ProbabilityAlive},
		{mbgnbdPredictive{mbg}, mbg.ProbabilityAlive},
		{paretoPredictive{f: pnbd}, pnbd.ProbabilityAlive},
	} {
		lo, hi, stride := 3, d.Len()-2, 3
		out := make([]float64, (hi-lo)*stride)
		if err := drawAlive(c.m, d, lo, hi, out[1:], stride); err != nil {
			t.Fatal(err)
		}
		for i := lo; i < hi; i++ {
			want := min(1, c.alive(d.Customer(i)))
			if got := out[(i-lo)*stride+1]; math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%T, row %d: %v, want %v", c.m, i, got, want)
			}
		}
	}
}

// TestDrawAlivesEqualDrawAlive holds the rows' P(alive) from the tables
// shared across blocks to drawAlive's, bit for bit (within fusedRel where
// the build fuses multiply-adds), for the BG/NBD and MBG/NBD draws over
// awkward rows in several blocks, and the error of an invalid row to
// drawAlive's. For Pareto/NBD draws drawAlives.draw calls drawAlive
// itself, so those are held instead to the fitted model's own
// ProbabilityAlive, an independent form (bits, or fusedRel where fused).
func TestDrawAlivesEqualDrawAlive(t *testing.T) {
	d := awkwardRows(t, "bgnbd", map[string]float64{"r": 0.8, "alpha": 6, "a": 0.6, "b": 3})
	var draws []predictiveModel
	for _, p := range [][4]float64{{0.8, 6, 0.6, 3}, {2.5, 0.3, 40, 0.05}} {
		bg, _ := NewFittedBGNBD(p[0], p[1], p[2], p[3])
		mbg, _ := NewFittedMBGNBD(p[0], p[1], p[2], p[3])
		pnbd, _ := NewFittedParetoNBD(p[0], p[1], p[2], p[3])
		draws = append(draws, bgnbdPredictive{bg}, mbgnbdPredictive{mbg}, paretoPredictive{f: pnbd})
	}
	da := newDrawAlives(draws, d)
	for _, r := range [][2]int{{0, d.Len()}, {7, d.Len() / 2}, {d.Len() / 2, d.Len()}} {
		stride := len(draws)
		got := make([]float64, (r[1]-r[0])*stride)
		want := make([]float64, len(got))
		for k, m := range draws {
			if err := da.draw(k, r[0], r[1], got[k:], stride); err != nil {
				t.Fatal(err)
			}
			if p, ok := m.(paretoPredictive); ok {
				for i := r[0]; i < r[1]; i++ {
					a := p.f.ProbabilityAlive(Customer{Frequency: d.Frequency[i], Recency: d.Recency[i], T: d.T[i]})
					if a > 1 && a < 1+1e-12 { // drawAlive's clamp of rounding
						a = 1
					}
					want[(i-r[0])*stride+k] = a
				}
			} else if err := drawAlive(m, d, r[0], r[1], want[k:], stride); err != nil {
				t.Fatal(err)
			}
			for i := r[0]; i < r[1]; i++ {
				j := (i-r[0])*stride + k
				if !fmaSame(got[j], want[j], fusedRel) {
					t.Errorf("rows %v, draw %d (%T), row %d: P(alive) %v from the tables, want %v (compared %s)", r, k, m, i, got[j], want[j], bitsMode(fusedRel))
					break
				}
			}
		}
	}
	bad := &Data{Frequency: []float64{1, 2, 1}, Recency: []float64{3, 1, 5}, T: []float64{4, 4, 4}}
	da = newDrawAlives(draws, bad)
	for k, m := range draws {
		got := da.draw(k, 0, 3, make([]float64, 3), 1)
		want := drawAlive(m, bad, 0, 3, make([]float64, 3), 1)
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("%T: error %v, drawAlive's %v", m, got, want)
		}
	}
}
