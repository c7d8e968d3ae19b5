package plot

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// InputFromArtifacts collects the figures' input from a run: the main
// window's summary, predictions and fits, and the metrics (and, when the
// artifacts have them, the run's pattern table, Scorer and the columns the
// score stage ranks). Models are taken in the config's order, those
// without predictions (failed) left out. The predictions' columns are made
// as the figures need them (Predicted's fields are then nil).
func InputFromArtifacts(a *experiments.Artifacts) (*Input, error) {
	if a == nil || a.Summary == nil || a.Metrics == nil {
		return nil, errors.New("plots: the run's artifacts lack the summary or the metrics")
	}
	s := a.Summary
	in := &Input{
		Metrics: a.Metrics, Unit: s.Unit, CalibrationEnd: s.CalibrationEnd,
		FirstDay: s.FirstDay, RepeatsPerDay: s.RepeatsPerDay,
		Fits: a.Fits, Predictions: map[string]Predicted{},
		Patterns: a.Patterns, Scorer: a.Scorer,
	}
	if s.HasHoldout {
		in.HoldoutEnd = s.HoldoutEnd
	}
	// The summary's rows themselves: the figures only read them.
	in.Customers = s.Customers
	var order []string
	if a.Config != nil {
		order = a.Config.Models
	} else {
		for m := range a.Predictions {
			order = append(order, m)
		}
		sort.Strings(order)
	}
	for _, m := range order {
		p, ok := a.Predictions[m]
		if !ok || p == nil {
			continue
		}
		if p.Len() != len(in.Customers) {
			return nil, fmt.Errorf("plots: %s has %d predictions for %d customers", m, p.Len(), len(in.Customers))
		}
		in.Models = append(in.Models, m)
		// The columns are made as the figures need them; P(alive) for
		// the tracking forecast of a factored model.
		pr := Predicted{from: p}
		_, pr.alive = a.Fits[m].(models.AliveFactored)
		switch {
		case a.AcquireColumn != nil:
			pr.rank = func(q experiments.Quantity) ([]float64, func()) { return a.AcquireColumn(m, q) }
		case a.Column != nil:
			pr.rank = func(q experiments.Quantity) ([]float64, func()) { return a.Column(m, q), func() {} }
		}
		in.Predictions[m] = pr
	}
	return in, nil
}

// revenueHoldout returns customer i's holdout revenue: in.RevenueHoldout's
// when set, otherwise the row's purchases times their mean amount (the
// revenue_holdout column of predictions.csv).
func (in *Input) revenueHoldout(i int) float64 {
	if in.RevenueHoldout != nil {
		return in.RevenueHoldout[i]
	}
	c := &in.Customers[i]
	return c.FrequencyHoldout * c.MonetaryHoldout
}

// InputFromDir reads the figures' input back from a results folder:
// metrics.json, predictions.csv (customers and predictions; models in its
// column order) and params.json, from which the probability models are
// rebuilt (BG/NBD, Pareto/NBD and MBG/NBD; the heuristics have no
// constructor, which only the tracking plot would need). The tracking data
// cannot be recomputed without the daily purchases, so it is taken from a
// previous plots/data.json when there is one.
//
// predictions.csv holds every number in the shortest form that reads back
// to the same float64, so the figures redrawn from a folder are the run's,
// byte for byte. The calibration histories (recency, T) are restored
// exactly even from a file written with fewer digits, being whole days
// divided by the unit's length.
func InputFromDir(dir string) (*Input, error) {
	mf, err := ReadMetrics(dir)
	if err != nil {
		return nil, err
	}
	unit, err := datasets.ParseUnit(mf.Unit)
	if err != nil {
		return nil, fmt.Errorf("%s: unit: %w", filepath.Join(dir, "metrics.json"), err)
	}
	in := &Input{Metrics: mf, Unit: unit, Predictions: map[string]Predicted{}, Fits: map[string]models.FittedPurchases{}}
	if in.CalibrationEnd, err = time.Parse(time.DateOnly, mf.Split.CalibrationEnd); err != nil {
		return nil, fmt.Errorf("metrics.json: split.calibration_end: %w", err)
	}
	if mf.Split.HoldoutEnd != "" {
		if in.HoldoutEnd, err = time.Parse(time.DateOnly, mf.Split.HoldoutEnd); err != nil {
			return nil, fmt.Errorf("metrics.json: split.holdout_end: %w", err)
		}
	}
	if err := readPredictions(filepath.Join(dir, "predictions.csv"), in); err != nil {
		return nil, err
	}
	params, err := readParams(filepath.Join(dir, "params.json"))
	if err != nil {
		return nil, err
	}
	for _, m := range in.Models {
		res, ok := params[m]
		if !ok {
			continue
		}
		f, err := rebuild(m, res.Params)
		if err != nil {
			return nil, fmt.Errorf("params.json: %w", err)
		}
		if f != nil {
			in.Fits[m] = f
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, Dir, DataFile)); err == nil {
		var old Data
		if err := json.Unmarshal(b, &old); err == nil {
			in.Tracking = old.Tracking
		}
	}
	return in, nil
}

// ReadMetrics reads dir/metrics.json (see DecodeMetrics).
func ReadMetrics(dir string) (*experiments.MetricsFile, error) {
	p := filepath.Join(dir, "metrics.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s is not a results folder: %w", dir, err)
	}
	mf, err := DecodeMetrics(b)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return mf, nil
}

// DecodeMetrics decodes metrics.json.
func DecodeMetrics(b []byte) (*experiments.MetricsFile, error) {
	var mf experiments.MetricsFile
	if err := json.Unmarshal(b, &mf); err != nil {
		return nil, err
	}
	return &mf, nil
}

// readParams reads params.json (absent: no models).
func readParams(path string) (map[string]*models.FitResult, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out map[string]*models.FitResult
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}

// rebuild returns the fitted model of a name from its parameters (the
// models registry's RebuildPurchases), or nil for a model that has no
// constructor from parameters.
func rebuild(name string, p models.Params) (models.FittedPurchases, error) {
	return models.NewRegistry().RebuildPurchases(name, p)
}

// readPredictions reads predictions.csv into in.Customers, in.Models and
// in.Predictions.
func readPredictions(path string, in *Input) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading predictions: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: reading the header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, need := range []string{"customer_id", "frequency", "recency", "T", "frequency_holdout", "revenue_holdout"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("%s: no %s column", path, need)
		}
	}
	for _, h := range header {
		if m, ok := strings.CutSuffix(h, "_purchases"); ok {
			in.Models = append(in.Models, m)
		}
	}
	u := in.Unit.Days()
	// days restores a whole number of days divided by the unit exactly.
	days := func(v float64) float64 { return float64(int64(math.Round(v*u))) / u }
	preds := map[string]*Predicted{}
	for _, m := range in.Models {
		preds[m] = &Predicted{}
	}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		val := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(rec[col[name]], 64)
			if err != nil {
				return 0, fmt.Errorf("%s line %d: %s: %w", path, line, name, err)
			}
			return v, nil
		}
		var c Customer
		var revenue float64
		c.ID = rec[col["customer_id"]]
		fields := []struct {
			name string
			dst  *float64
		}{{"frequency", &c.Frequency}, {"recency", &c.Recency}, {"T", &c.T},
			{"frequency_holdout", &c.FrequencyHoldout}, {"revenue_holdout", &revenue}}
		for _, fd := range fields {
			if *fd.dst, err = val(fd.name); err != nil {
				return err
			}
		}
		c.Recency, c.T = days(c.Recency), days(c.T)
		in.Customers = append(in.Customers, c)
		in.RevenueHoldout = append(in.RevenueHoldout, revenue)
		for _, m := range in.Models {
			v, err := val(m + "_purchases")
			if err != nil {
				return err
			}
			preds[m].Purchases = append(preds[m].Purchases, v)
			if _, ok := col[m+"_revenue"]; ok {
				v, err := val(m + "_revenue")
				if err != nil {
					return err
				}
				preds[m].Revenue = append(preds[m].Revenue, v)
			}
		}
	}
	if len(in.Customers) == 0 {
		return fmt.Errorf("%s: no customers", path)
	}
	for m, p := range preds {
		in.Predictions[m] = *p
	}
	return nil
}
