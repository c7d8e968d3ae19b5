// Package plot draws the figures of an experiment's results folder: the
// tracking plot of the cohort's repeat purchases, conditional expectations,
// the calibration fit, gains and deciles, P(alive) and expected-purchase
// heat maps, the model comparison, and the sBG survival and retention
// curves.
//
// Every figure is made in two steps. A pure function computes the data of
// the figure (the series plotted) into a plain struct: Tracking,
// ConditionalExpectations, CalibrationFit, Gains, Deciles, Heatmaps,
// Comparisons and SBGCurves; Compute runs them all. Render then draws a
// Data value into plots/NAME.png (300 dpi) and plots/NAME.svg (fonts
// embedded), and writes the data itself to plots/data.json, which the
// report reads for the figure list and captions.
//
// All figures share one style (see Style): the models keep their colour
// (Okabe-Ito palette), dash pattern and marker across figures, and the
// observed data is always black and solid.
package plot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/datasets/keyindex"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/models"
)

// Customer is one customer of the main window as the figures read it: a
// row of the run's summary, whose calibration history (Frequency,
// Recency, T in the run's time unit, and the Activity bitmap, 0 when not
// computed or read back from a results folder, which the tracking plot's
// holdout forecast of the retention heuristic reads), holdout purchases
// (FrequencyHoldout) and ID the figures read. InputFromArtifacts hands the
// figures the summary's rows themselves, not a copy (a copy of a million
// customers is 61 MB more of the run's peak memory); the holdout revenue
// is Input.revenueHoldout's.
type Customer = datasets.CustomerSummary

// Predicted holds one model's holdout predictions, one per customer in
// the order of Input.Customers.
type Predicted struct {
	Purchases []float64
	Revenue   []float64 // nil without a spend model
	// PAlive is the run's P(alive) of every customer (nil when unknown,
	// as read back from a results folder), which the tracking plot's
	// forecast of a factored model reuses instead of recomputing it.
	PAlive []float64
	// from, when not nil (a run's predictions, see InputFromArtifacts),
	// makes on demand the columns above that are nil: each figure makes
	// those it needs and lets them go, rather than every model's columns
	// being held at once; rank, when not nil, gives the columns the gains
	// chart ranks (shared with the score stage) until their done is
	// called, and alive says whether the model's P(alive) is wanted.
	from  *experiments.Prediction
	rank  func(q experiments.Quantity) (column []float64, done func())
	alive bool
}

// purchaseColumn returns the predicted purchases of every customer.
func (p Predicted) purchaseColumn() column {
	if p.Purchases != nil || p.from == nil {
		return column{vals: p.Purchases}
	}
	return column{from: p.from, q: experiments.PredPurchases}
}

// pAliveColumn returns every customer's P(alive), unknown (see
// column.known) when it is.
func (p Predicted) pAliveColumn() column {
	if p.PAlive != nil || p.from == nil || !p.alive {
		return column{vals: p.PAlive}
	}
	return column{from: p.from, q: experiments.PredPAlive}
}

// column is a per-customer column of predictions: its values, or a
// quantity of a run's prediction, read block by block (Input.each) rather
// than made whole: a million customers' column is 8 MB of memory new to
// the process, which the kernel zeroes first.
type column struct {
	vals []float64
	from *experiments.Prediction
	q    experiments.Quantity
}

// known reports whether the column has values.
func (c column) known() bool { return c.vals != nil || c.from != nil }

// len returns the number of values.
func (c column) len() int {
	if c.from != nil {
		return c.from.Len()
	}
	return len(c.vals)
}

// each calls fn with the values of c, whose length is that of
// in.Customers, block by block in the customers' order: fn(lo, v) gets
// those of customers lo, …, lo+len(v)−1. It returns the error of in's
// context once that has ended.
func (in *Input) each(c column, fn func(lo int, v []float64)) error {
	n := len(in.Customers)
	var buf []float64
	if c.from != nil {
		buf = make([]float64, min(n, checkEvery))
	}
	for lo := 0; lo < n; lo += checkEvery {
		if err := in.stopped(); err != nil {
			return err
		}
		hi := min(lo+checkEvery, n)
		if c.from == nil {
			fn(lo, c.vals[lo:hi])
			continue
		}
		v := buf[:hi-lo]
		c.from.Values(c.q, lo, v)
		fn(lo, v)
	}
	return nil
}

// ranked returns the predictions of the target the gains chart ranks by
// (experiments.TargetRevenue or TargetPurchases), nil when the model has
// none, and the function to call once they are no longer read.
func (p Predicted) ranked(target string) (column []float64, done func()) {
	q, have := experiments.PredPurchases, p.Purchases
	if target == experiments.TargetRevenue {
		q, have = experiments.PredRevenue, p.Revenue
	}
	switch {
	case have != nil || p.from == nil:
		return have, func() {}
	case q == experiments.PredRevenue && !p.from.HasSpend():
		return nil, func() {}
	case p.rank != nil:
		return p.rank(q)
	}
	return p.from.Column(q), func() {}
}

// Input is everything the figures are computed from: metrics.json, the
// main window's customers with each model's predictions, the fitted models
// and, for the tracking plot, the cohort's daily repeat purchases. It comes
// from a run (InputFromArtifacts) or from a results folder on disk
// (InputFromDir).
type Input struct {
	Metrics *experiments.MetricsFile
	// Unit is the run's time unit; CalibrationEnd and HoldoutEnd are the
	// main window's last days (HoldoutEnd zero without a holdout).
	Unit           datasets.Unit
	CalibrationEnd time.Time
	HoldoutEnd     time.Time
	// Models lists the models with predictions, in report order.
	Models    []string
	Customers []Customer
	// RevenueHoldout, when not nil, is every customer's holdout revenue
	// (read back from predictions.csv); otherwise it is each row's
	// FrequencyHoldout × MonetaryHoldout (see revenueHoldout).
	RevenueHoldout []float64
	Predictions    map[string]Predicted
	// Fits holds the fitted models; a model may be missing (a heuristic
	// read back from disk), and then its model curves are left out.
	Fits map[string]models.FittedPurchases
	// FirstDay and RepeatsPerDay are datasets.Summary's daily repeat
	// purchases of the cohort (empty when unknown).
	FirstDay      time.Time
	RepeatsPerDay []float64
	// Tracking, when RepeatsPerDay is empty, is reused as the tracking
	// data: a run's, read back from plots/data.json.
	Tracking *TrackingData
	// Patterns, when not nil, is the run's table of the customers' distinct
	// histories (datasets.NewPatterns of the summary, in the same customer
	// order), from which the tracking forecast numbers the histories
	// instead of hashing every customer's.
	Patterns *datasets.Patterns
	// Scorer, when not nil, ranks the customers for the gains chart: the
	// run's Scorer of the same customers in the same order, whose ids are
	// ranked already and whose orders of the predictions' columns the
	// score stage shares. Without it Gains makes its own.
	Scorer *experiments.Scorer
	// ctx, when not nil, is the run's (StartAll): the figures stop soon
	// after it ends (see stopped).
	ctx context.Context
	// hist is the customers' distinct histories (see histories).
	hist *historyTables
}

// checkEvery is how many customers the loops over them go through between
// two looks at the context: a few thousand, a few microseconds of work.
const checkEvery = 4096

// stopped returns the error of in's context once it has ended, nil before
// or without one.
func (in *Input) stopped() error {
	if in == nil || in.ctx == nil {
		return nil
	}
	return in.ctx.Err()
}

// stoppedAt is stopped every checkEvery items: at i = 0, checkEvery, ….
func (in *Input) stoppedAt(i int) error {
	if i%checkEvery != 0 {
		return nil
	}
	return in.stopped()
}

// Floats is a list of numbers that may hold NaN (an undefined value, such
// as the mean of an empty group); NaN is written to JSON as null and read
// back from null.
type Floats []float64

// MarshalJSON writes NaN and ±Inf as null, other values in the shortest
// form that reads back to the same float64.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, v := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		if !finite(v) {
			b.WriteString("null")
			continue
		}
		if v == 0 {
			v = 0 // no negative zero
		}
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads numbers and nulls (as NaN).
func (f *Floats) UnmarshalJSON(b []byte) error {
	var raw []*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		*f = nil
		return nil
	}
	out := make(Floats, len(raw))
	for i, p := range raw {
		if p == nil {
			out[i] = math.NaN()
		} else {
			out[i] = *p
		}
	}
	*f = out
	return nil
}

// Series is one line (or set of bars) of a figure: Key names a model or is
// one of KeyActual, KeyRandom and KeyPerfect.
type Series struct {
	Key string `json:"key"`
	X   Floats `json:"x"`
	Y   Floats `json:"y"`
}

// Skip records a figure that could not be drawn, and why.
type Skip struct {
	Figure string `json:"figure"`
	Reason string `json:"reason"`
}

// Data is the data of every figure of a run, as plots/data.json holds it.
// A nil field is a figure that was not drawn; Skipped says why.
type Data struct {
	Name           string              `json:"name"`
	Unit           string              `json:"unit"`
	Models         []string            `json:"models"`
	Tracking       *TrackingData       `json:"tracking,omitempty"`
	Conditional    *ConditionalData    `json:"conditional_expectations,omitempty"`
	CalibrationFit *CalibrationFitData `json:"calibration_fit,omitempty"`
	Gains          *GainsData          `json:"gains,omitempty"`
	Deciles        *DecilesData        `json:"deciles,omitempty"`
	Heatmaps       []HeatmapData       `json:"heatmaps,omitempty"`
	Comparisons    []ComparisonData    `json:"comparisons,omitempty"`
	IntervalTotals *IntervalTotalsData `json:"interval_totals,omitempty"`
	PIT            *PITData            `json:"pit_histograms,omitempty"`
	Skipped        []Skip              `json:"skipped,omitempty"`
}

// Compute computes the data of every figure. A figure whose data is
// missing or unusable is left out and listed in Data.Skipped; Compute
// itself does not fail.
func Compute(in *Input) *Data {
	c := newComputation(in)
	c.run(in, false) // no context: no error
	c.run(in, true)
	return c.data()
}

// figurePart is the data of one kind of figure: how to compute it into a
// Data (an error is the reason the figure is skipped; nil and nothing set
// is a figure with nothing to warn of, such as the intervals' when they
// are off) and its figures once computed. scored parts read the run's
// scores (metrics.json's models, backtest and intervals); the others need
// only the customers, the predictions, the fits and metrics.json's head
// (name, unit, split, segment target), all known before the run scores.
type figurePart struct {
	name    string // the figure's name in Data.Skipped
	scored  bool
	compute func(in *Input, d *Data) error
	figures func(d *Data) []Figure
	// first parts are computed before the others of their step: the gains
	// chart, whose orders of the predictions, when it shares the run's
	// Scorer (Input.Scorer), the score stage then finds made rather than
	// the chart making them again after the score stage dropped its own.
	first bool
}

// figureParts returns the parts in report order (that of Data.Figures and
// Data.Skipped).
func figureParts() []figurePart {
	noHoldout := errors.New("a forecast run has no holdout to rank the customers' actual values by")
	return []figurePart{
		{"tracking", false, func(in *Input, d *Data) (err error) {
			d.Tracking, err = Tracking(in)
			return err
		}, func(d *Data) []Figure {
			if d.Tracking == nil {
				return nil
			}
			return d.Tracking.figures()
		}, false},
		{"conditional_expectations", false, func(in *Input, d *Data) (err error) {
			d.Conditional, err = ConditionalExpectations(in)
			return err
		}, func(d *Data) []Figure { return figureOf(d.Conditional, (*ConditionalData).figure) }, false},
		{"calibration_fit", false, func(in *Input, d *Data) (err error) {
			d.CalibrationFit, err = CalibrationFit(in)
			return err
		}, func(d *Data) []Figure { return figureOf(d.CalibrationFit, (*CalibrationFitData).figure) }, false},
		{"gains", false, func(in *Input, d *Data) (err error) {
			if forecast(in) {
				return noHoldout
			}
			d.Gains, err = Gains(in)
			return err
		}, func(d *Data) []Figure { return figureOf(d.Gains, (*GainsData).figure) }, true},
		{"deciles", true, func(in *Input, d *Data) (err error) {
			if forecast(in) {
				return noHoldout
			}
			d.Deciles, err = Deciles(in.Metrics, in.Models)
			return err
		}, func(d *Data) []Figure { return figureOf(d.Deciles, (*DecilesData).figure) }, false},
		{"heatmaps", false, func(in *Input, d *Data) (err error) {
			d.Heatmaps, err = Heatmaps(in)
			return err
		}, func(d *Data) []Figure { return figuresOf(d.Heatmaps, (*HeatmapData).figure) }, false},
		{"comparison", true, func(in *Input, d *Data) (err error) {
			d.Comparisons, err = Comparisons(in.Metrics, in.Models)
			return err
		}, func(d *Data) []Figure { return figuresOf(d.Comparisons, (*ComparisonData).figure) }, false},
		{"interval_total", true, func(in *Input, d *Data) (err error) {
			d.IntervalTotals, err = IntervalTotals(in, d.Tracking)
			return err
		}, func(d *Data) []Figure { return figureOf(d.IntervalTotals, (*IntervalTotalsData).figure) }, false},
		{"pit_histograms", true, func(in *Input, d *Data) (err error) {
			d.PIT, err = PITHistograms(in)
			return err
		}, func(d *Data) []Figure { return figureOf(d.PIT, (*PITData).figure) }, false},
	}
}

// figureOf returns the figure of a part's data, none when it is nil.
func figureOf[T any](data *T, figure func(*T) Figure) []Figure {
	if data == nil {
		return nil
	}
	return []Figure{figure(data)}
}

// figuresOf returns the figures of a part's data, one an item.
func figuresOf[T any](list []T, figure func(*T) Figure) []Figure {
	var out []Figure
	for i := range list {
		out = append(out, figure(&list[i]))
	}
	return out
}

// computation is Compute in two steps: the parts that need no scores, then
// the scored ones (possibly from another Input with the run's complete
// metrics); data then lists the skipped figures in report order whatever
// the order the parts ran in.
type computation struct {
	d     *Data
	parts []figurePart
	errs  []error // by part
}

// newComputation starts the data of in's figures: its name, unit and
// models.
func newComputation(in *Input) *computation {
	d := &Data{Models: append([]string(nil), in.Models...)}
	if in.Metrics != nil {
		d.Name, d.Unit = in.Metrics.Name, in.Metrics.Unit
	}
	if d.Unit == "" {
		d.Unit = in.Unit.Name
	}
	parts := figureParts()
	in.histories() // made before parts share them
	return &computation{d: d, parts: parts, errs: make([]error, len(parts))}
}

// run computes, from in, the parts that need the scores (scored) or those
// that do not, the first ones first. It returns the error of in's context
// once that has ended (the parts are then not all computed).
func (c *computation) run(in *Input, scored bool) error {
	for _, first := range []bool{true, false} {
		if err := c.compute(in, scored, first); err != nil {
			return err
		}
	}
	return nil
}

// compute computes from in the parts of a step (scored or not) that are
// first or not, and returns the error of in's context once that has ended.
func (c *computation) compute(in *Input, scored, first bool) error {
	if err := in.stopped(); err != nil {
		return err
	}
	for k, p := range c.parts {
		if p.scored != scored || p.first != first {
			continue
		}
		c.errs[k] = p.compute(in, c.d)
		if err := in.stopped(); err != nil {
			return err // the part's error may be the context's
		}
	}
	return nil
}

// figures returns the figures of the parts of a step, in report order.
func (c *computation) figures(scored bool) []Figure {
	return c.figuresWhere(func(p figurePart) bool { return p.scored == scored })
}

// figuresWhere returns the figures of the parts picked, in report order.
func (c *computation) figuresWhere(pick func(p figurePart) bool) []Figure {
	var out []Figure
	for _, p := range c.parts {
		if pick(p) {
			out = append(out, p.figures(c.d)...)
		}
	}
	return out
}

// runEarly computes the parts that need no scores from in, the first ones
// (the gains chart) on a goroutine of their own beside the others, and
// hands each group's figures to draw as soon as the group is computed:
// the step then gets a fairer share of the CPUs beside the score stage it
// overlaps. The parts write distinct fields of the data.
func (c *computation) runEarly(in *Input, draw func([]Figure) error) error {
	group := func(first bool) error {
		if err := c.compute(in, false, first); err != nil {
			return err
		}
		return draw(c.figuresWhere(func(p figurePart) bool { return !p.scored && p.first == first }))
	}
	var firstErr error
	var wg sync.WaitGroup
	wg.Go(func() { firstErr = group(true) })
	err := group(false)
	wg.Wait()
	if err := in.stopped(); err != nil {
		return err
	}
	return errors.Join(firstErr, err)
}

// data returns the data computed, the skipped figures listed.
func (c *computation) data() *Data {
	c.d.Skipped = nil
	for k, err := range c.errs {
		if err != nil {
			c.d.Skipped = append(c.d.Skipped, Skip{Figure: c.parts[k].name, Reason: err.Error()})
		}
	}
	return c.d
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// forecast reports whether the run is a forecast (no holdout).
func forecast(in *Input) bool { return in.Metrics != nil && in.Metrics.Split.Forecast }

// predictionLength is the period the predictions cover: the holdout of a
// backtest, clv.horizon in a forecast.
func predictionLength(in *Input) float64 {
	switch {
	case in.Metrics == nil:
		return 0
	case in.Metrics.Split.Forecast:
		return in.Metrics.Split.Horizon
	}
	return in.Metrics.Split.HoldoutLength
}

// ---------------------------------------------------------------------
// Tracking

// TrackingData is the tracking plot of Fader, Hardie & Lee (2005), "'Counting
// your customers' the easy way", Marketing Science 24(2), figure 2: the
// cohort's repeat transactions per time unit over calibration and holdout,
// actual against each model's expectation.
//
// A customer i who first bought on day b_i = calibration end − T_i is
// expected to have made E[X((d − b_i)/u)] repeat purchases by the end of
// day d (u the unit's length in days, E[X(t)] the model's expectation for a
// new customer). Summing over the customers gives the cohort's expected
// cumulative repeat purchases C(d) = Σ_i E[X((d − b_i)/u)]; the expected
// purchases of a time unit are C at its last day minus C at the day before
// its first. This is the calibration part of each model's curve, the
// model's fit to the cohort.
//
// The holdout part is the forecast the run scores: at a holdout time t
// (from the calibration end) the model's cumulative curve is the actual
// total at the calibration end plus Σ_i E[Y_i(t) | x_i, t_x,i, T_i], each
// customer's conditional expectation given their calibration history
// (experiments.HoldoutPurchases), so that its last point is the actual
// calibration total plus metrics.json's holdout.predicted_total. The
// cumulative series has two points at t = 0, the model's fit and then the
// actual, and the incremental holdout units are differences of the
// forecast from that actual. The actual counts are the summary's daily
// repeat purchase days, binned alike.
//
// Units are counted from the end of the calibration end day: unit j ≥ 0 is
// the (j+1)-th unit of the holdout, unit j < 0 lies in calibration; a day
// d belongs to unit ⌊(d − calibration end − 1)/u⌋. Incremental holds the
// units that lie wholly within the data, at their midpoints j + ½;
// Cumulative holds the running totals at the end of every unit (the last
// possibly partial), from 0 at the start of the first day.
type TrackingData struct {
	Unit           string   `json:"unit"`
	FirstDay       string   `json:"first_day"`
	CalibrationEnd string   `json:"calibration_end"`
	HoldoutEnd     string   `json:"holdout_end,omitempty"`
	Customers      int      `json:"customers"`
	Incremental    []Series `json:"incremental"`
	Cumulative     []Series `json:"cumulative"`
	// Without lists the models left out for lack of a fitted model.
	Without []string `json:"without,omitempty"`
}

// errNoDaily is the reason the tracking plot is skipped without daily
// counts.
var errNoDaily = errors.New("the cohort's daily repeat purchases are unknown (a run computes them from the transaction log and keeps them in plots/data.json)")

// dayIndex returns the number of days from a to b (both at midnight UTC).
func dayIndex(a, b time.Time) int {
	return int(math.Round(b.Sub(a).Hours() / 24))
}

// birthDays returns how many customers first bought on each day 0, …,
// calK of the daily counts (whole numbers: the same in any order), counted
// per distinct history.
func birthDays(in *Input, calK int) ([]float64, error) {
	ht, err := in.histories().table(false)
	if err != nil {
		return nil, err
	}
	u := in.Unit.Days()
	day := func(T float64) int { return calK - int(math.Round(T*u)) }
	births := make([]float64, calK+1)
	for g, h := range ht.hs {
		b := day(h.T)
		if b < 0 || b > calK {
			for _, c := range in.Customers { // the first such customer, to name
				if b := day(c.T); b < 0 || b > calK {
					return nil, fmt.Errorf("tracking: customer %q with T = %g %s first bought before the first day %s of the daily counts",
						c.ID, c.T, unitPlural(in.Unit.Name), in.FirstDay.Format(time.DateOnly))
				}
			}
		}
		births[b] += ht.count[g]
	}
	return births, nil
}

// Tracking computes the tracking plot (see TrackingData). It returns an
// error when the daily counts are missing or do not match the customers.
func Tracking(in *Input) (*TrackingData, error) {
	if len(in.RepeatsPerDay) == 0 || in.FirstDay.IsZero() {
		if in.Tracking != nil {
			return in.Tracking, nil
		}
		return nil, errNoDaily
	}
	u := in.Unit.Days()
	if !(u > 0) {
		return nil, fmt.Errorf("tracking: the time unit %q has no length", in.Unit.Name)
	}
	calK := dayIndex(in.FirstDay, in.CalibrationEnd)
	last := len(in.RepeatsPerDay) - 1
	if calK < 0 || last < calK {
		return nil, fmt.Errorf("tracking: the daily counts (from %s, %d days) do not cover the calibration end %s",
			in.FirstDay.Format(time.DateOnly), len(in.RepeatsPerDay), in.CalibrationEnd.Format(time.DateOnly))
	}
	if !in.HoldoutEnd.IsZero() {
		holdK := dayIndex(in.FirstDay, in.HoldoutEnd)
		if last < holdK {
			return nil, fmt.Errorf("tracking: the daily counts end on day %d, before the holdout end %s (day %d)",
				last, in.HoldoutEnd.Format(time.DateOnly), holdK)
		}
		last = holdK
	}
	births, err := birthDays(in, calK)
	if err != nil {
		return nil, err
	}
	type cohort struct {
		day int
		n   float64
	}
	var cohorts []cohort
	for b, n := range births {
		if n > 0 {
			cohorts = append(cohorts, cohort{b, n})
		}
	}
	// Units: day d belongs to unit ⌊(d − calK − 1)/u⌋.
	unitOf := func(d int) int { return int(math.Floor(float64(d-calK-1) / u)) }
	first, lastUnit := unitOf(0), unitOf(last)
	nu := lastUnit - first + 1
	ends := make([]int, nu) // last day of each unit
	for d := 0; d <= last; d++ {
		ends[unitOf(d)-first] = d
	}
	complete := func(j int) bool { return unitOf(-1) < j && unitOf(last+1) > j }

	td := &TrackingData{
		Unit: in.Unit.Name, FirstDay: in.FirstDay.Format(time.DateOnly),
		CalibrationEnd: in.CalibrationEnd.Format(time.DateOnly), Customers: len(in.Customers),
	}
	if !in.HoldoutEnd.IsZero() {
		td.HoldoutEnd = in.HoldoutEnd.Format(time.DateOnly)
	}
	actual := make([]float64, last+1)
	run := 0.0
	for d := 0; d <= last; d++ {
		run += in.RepeatsPerDay[d]
		actual[d] = run
	}
	// addSeries adds a curve's incremental and cumulative series; restart
	// draws its holdout part from the actual total at the calibration end.
	addSeries := func(key string, cum []float64, restart bool) {
		inc := Series{Key: key}
		cs := Series{Key: key, X: Floats{float64(-1-calK) / u}, Y: Floats{0}}
		prev := 0.0
		for k, d := range ends {
			j := first + k
			if complete(j) {
				inc.X = append(inc.X, float64(j)+0.5)
				inc.Y = append(inc.Y, cum[d]-prev)
			}
			prev = cum[d]
			cs.X = append(cs.X, float64(d-calK)/u)
			cs.Y = append(cs.Y, cum[d])
			if restart && d == calK && last > calK {
				// The holdout forecast starts from the actual total.
				prev = actual[calK]
				cs.X = append(cs.X, 0)
				cs.Y = append(cs.Y, prev)
			}
		}
		td.Incremental = append(td.Incremental, inc)
		td.Cumulative = append(td.Cumulative, cs)
	}
	addSeries(KeyActual, actual, false)
	var holdDays []int // unit ends in the holdout, where the forecast is drawn
	var holdT []float64
	for _, d := range ends {
		if d > calK {
			holdDays = append(holdDays, d)
			holdT = append(holdT, float64(d-calK)/u)
		}
	}
	hist := in.histories()
	for _, m := range in.Models {
		f, ok := in.Fits[m]
		if !ok || f == nil {
			td.Without = append(td.Without, m)
			continue
		}
		e := make([]float64, calK+1)
		for k := range e {
			e[k] = f.ExpectedPurchases(float64(k) / u)
			if !finite(e[k]) {
				return nil, fmt.Errorf("tracking: %s: E[X(%g)] = %v is not finite", m, float64(k)/u, e[k])
			}
		}
		cum := make([]float64, last+1)
		for d := 0; d <= calK; d++ {
			s := 0.0
			for _, c := range cohorts {
				if c.day > d {
					break
				}
				s += c.n * e[d-c.day]
			}
			cum[d] = s
		}
		if len(holdT) > 0 {
			fc, err := holdoutForecast(f, hist, holdT, in.Predictions[m].pAliveColumn())
			if err != nil {
				return nil, fmt.Errorf("tracking: %s: %w", m, err)
			}
			for k, d := range holdDays {
				cum[d] = actual[calK] + fc[k]
			}
		}
		addSeries(m, cum, true)
	}
	return td, nil
}

// ---------------------------------------------------------------------
// Conditional expectations

// Buckets is the number of calibration-frequency groups of the conditional
// expectation and calibration fit figures: 0, 1, …, 6 and 7+.
const Buckets = 8

// bucketLabels returns "0", …, "6", "7+".
func bucketLabels() []string {
	out := make([]string, Buckets)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	out[Buckets-1] += "+"
	return out
}

// bucketOf returns the frequency group of x repeat purchases.
func bucketOf(x float64) int {
	b := int(math.Round(x))
	return max(0, min(b, Buckets-1))
}

// ConditionalData is the conditional-expectation figure of Fader, Hardie &
// Lee (2005), figure 4: customers grouped by their calibration repeat
// purchases x = 0, 1, …, 6, 7+, and for each group the mean number of
// holdout purchases, actual and as each model predicted (E[Y(t) | x, t_x,
// T] averaged over the group, t the holdout length). X holds the group
// index; an empty group has NaN means.
type ConditionalData struct {
	Unit          string  `json:"unit"`
	HoldoutLength float64 `json:"holdout_length"`
	// Forecast is true in a forecast run: HoldoutLength is then the CLV
	// horizon and there is no actual series.
	Forecast  bool     `json:"forecast,omitempty"`
	Buckets   []string `json:"buckets"`
	Customers []int    `json:"customers"`
	Series    []Series `json:"series"`
}

// ConditionalExpectations computes the conditional-expectation figure (see
// ConditionalData). The groups' sums run in the customers' order.
func ConditionalExpectations(in *Input) (*ConditionalData, error) {
	n := len(in.Customers)
	if n == 0 {
		return nil, errors.New("no customers")
	}
	cd := &ConditionalData{Unit: in.Unit.Name, Buckets: bucketLabels(), Customers: make([]int, Buckets)}
	cd.HoldoutLength, cd.Forecast = predictionLength(in), forecast(in)
	group := make([]uint8, n) // Buckets fit in a byte
	// The actual holdout purchases are summed in the same pass over the
	// customers' rows (a million rows of over 100 bytes), in their order.
	actual := make([]float64, Buckets)
	for i := range in.Customers {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		c := &in.Customers[i]
		g := uint8(bucketOf(c.Frequency))
		group[i] = g
		cd.Customers[g]++
		actual[g] += c.FrequencyHoldout
	}
	means := func(sum []float64) Floats {
		out := make(Floats, Buckets)
		for b := range out {
			out[b] = math.NaN()
			if cd.Customers[b] > 0 {
				out[b] = sum[b] / float64(cd.Customers[b])
			}
		}
		return out
	}
	x := make(Floats, Buckets)
	for b := range x {
		x[b] = float64(b)
	}
	if !cd.Forecast {
		cd.Series = append(cd.Series, Series{Key: KeyActual, X: x, Y: means(actual)})
	}
	for _, m := range in.Models {
		p, ok := in.Predictions[m]
		if !ok {
			continue
		}
		purchases := p.purchaseColumn()
		if purchases.len() != n {
			return nil, fmt.Errorf("%s: %d predictions for %d customers", m, purchases.len(), n)
		}
		sum := make([]float64, Buckets)
		if err := in.each(purchases, func(lo int, v []float64) {
			for k, y := range v {
				sum[group[lo+k]] += y
			}
		}); err != nil {
			return nil, err
		}
		cd.Series = append(cd.Series, Series{Key: m, X: x, Y: means(sum)})
	}
	return cd, nil
}

// ---------------------------------------------------------------------
// Calibration fit

// PurchaseDistribution is implemented by the models that give the
// distribution of a new customer's repeat purchases, P(X(t) = x): BG/NBD
// and MBG/NBD (FHL 2005, eq. 8) and Pareto/NBD (Fader, Hardie & Lee's
// 2006 note on P(X(t) = x) under the Pareto/NBD).
type PurchaseDistribution interface {
	ProbabilityOfPurchases(x int, t float64) float64
}

// CalibrationFitData is the calibration fit of Fader, Hardie & Lee (2005),
// figure 1: the number of customers with x = 0, 1, …, 6, 7+ repeat
// purchases in calibration, actual and expected by each model,
//
//	expected(x) = Σ_i P(X(T_i) = x),   expected(7+) = n − Σ_{x<7} expected(x),
//
// summed over the n customers with their own T_i. Only models that
// implement PurchaseDistribution are shown; Without lists the others.
type CalibrationFitData struct {
	Unit    string   `json:"unit"`
	Buckets []string `json:"buckets"`
	Series  []Series `json:"series"`
	Without []string `json:"without,omitempty"`
}

// CalibrationFit computes the calibration fit (see CalibrationFitData).
func CalibrationFit(in *Input) (*CalibrationFitData, error) {
	if len(in.Customers) == 0 {
		return nil, errors.New("no customers")
	}
	cf := &CalibrationFitData{Unit: in.Unit.Name, Buckets: bucketLabels()}
	x := make(Floats, Buckets)
	for b := range x {
		x[b] = float64(b)
	}
	ht, err := in.histories().table(false)
	if err != nil {
		return nil, err
	}
	actual := make(Floats, Buckets) // whole numbers: the same in any order
	for g := range ht.hs {
		actual[bucketOf(ht.hs[g].x)] += ht.count[g]
	}
	cf.Series = append(cf.Series, Series{Key: KeyActual, X: x, Y: actual})
	// Distinct T values in increasing order, so sums run in a fixed order.
	tvals, tcount := distinctValues(ht, func(h *history) float64 { return h.T })
	n := float64(len(in.Customers))
	for _, m := range in.Models {
		pd, ok := in.Fits[m].(PurchaseDistribution)
		if !ok {
			cf.Without = append(cf.Without, m)
			continue
		}
		y := make(Floats, Buckets)
		rest := n
		for b := 0; b < Buckets-1; b++ {
			s := 0.0
			for k, t := range tvals {
				s += tcount[k] * pd.ProbabilityOfPurchases(b, t)
			}
			if !finite(s) {
				return nil, fmt.Errorf("%s: expected customers with %d repeat purchases is %v", m, b, s)
			}
			y[b] = s
			rest -= s
		}
		y[Buckets-1] = math.Max(rest, 0)
		cf.Series = append(cf.Series, Series{Key: m, X: x, Y: y})
	}
	return cf, nil
}

// ---------------------------------------------------------------------
// Gains

// GainsPoints is the most points a gains curve keeps.
const GainsPoints = 200

// GainsData is the cumulative gains chart: customers ranked by a model's
// predicted value (highest first, ties by customer id as in
// experiments.PredictionOrder), and for the top share s of them the share
// of the actual holdout value they hold. Random ranking gives the
// diagonal; ranking by the actual values themselves gives the perfect
// curve, the best any model can do. Each curve keeps at most GainsPoints+1
// points, at ranks k = round(j·n/GainsPoints).
//
// The value is metrics.json's segment target: holdout revenue with a
// spend model, holdout purchases otherwise.
type GainsData struct {
	Target    string   `json:"target"`
	Customers int      `json:"customers"`
	Series    []Series `json:"series"`
}

// Gains computes the gains chart (see GainsData).
func Gains(in *Input) (*GainsData, error) {
	n := len(in.Customers)
	if n == 0 {
		return nil, errors.New("no customers")
	}
	target := experiments.TargetPurchases
	if in.Metrics != nil && in.Metrics.SegmentTarget != "" {
		target = in.Metrics.SegmentTarget
	}
	actual := make([]float64, n)
	total := 0.0
	for i := range in.Customers {
		if err := in.stoppedAt(i); err != nil {
			return nil, err
		}
		c := &in.Customers[i]
		actual[i] = c.FrequencyHoldout
		if target == experiments.TargetRevenue {
			actual[i] = in.revenueHoldout(i)
		}
		total += actual[i]
	}
	if !(total > 0) {
		return nil, fmt.Errorf("the customers' actual %s total is %v: no shares to plot", target, total)
	}
	steps := min(n, GainsPoints)
	ranks := make([]int, steps+1)
	x := make(Floats, steps+1)
	for j := range ranks {
		ranks[j] = int(math.Round(float64(j) * float64(n) / float64(steps)))
		x[j] = float64(ranks[j]) / float64(n)
	}
	sc := in.Scorer
	if sc == nil {
		ids := make([]string, n)
		for i := range in.Customers {
			ids[i] = in.Customers[i].ID
		}
		sc = experiments.NewScorer(ids) // the ids ranked once for every order
	}
	ctx := in.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	// curve returns the shares of the customers ranked by pred.
	curve := func(pred []float64) (Floats, error) {
		y := make(Floats, steps+1)
		err := sc.WithPredictionOrder(ctx, pred, func(order []int32) {
			s, k := 0.0, 0
			for j, r := range ranks {
				for ; k < r; k++ {
					s += actual[order[k]]
				}
				y[j] = s / total
			}
		})
		return y, err
	}
	g := &GainsData{Target: target, Customers: n}
	perfect, err := curve(actual)
	if err != nil {
		return nil, fmt.Errorf("gains: %w", err)
	}
	g.Series = append(g.Series, Series{Key: KeyPerfect, X: x, Y: perfect})
	for _, m := range in.Models {
		p, ok := in.Predictions[m]
		if !ok {
			continue
		}
		pred, done := p.ranked(target)
		if pred == nil {
			done()
			continue
		}
		y, err := curve(pred)
		done()
		if err != nil {
			return nil, fmt.Errorf("gains of %s: %w", m, err)
		}
		g.Series = append(g.Series, Series{Key: m, X: x, Y: y})
	}
	g.Series = append(g.Series, Series{Key: KeyRandom, X: Floats{0, 1}, Y: Floats{0, 1}})
	return g, nil
}

// ---------------------------------------------------------------------
// Deciles

// DecilesData is the segment (decile, for 10 groups) chart: for each model,
// its customers ranked by predicted value and cut into groups (group 1
// the highest), with the predicted and the actual total of each group, as
// metrics.json's segments hold them.
type DecilesData struct {
	Target string         `json:"target"`
	Groups int            `json:"groups"`
	Models []DecileSeries `json:"models"`
}

// DecileSeries is one model's groups.
type DecileSeries struct {
	Model     string `json:"model"`
	Customers []int  `json:"customers"`
	Predicted Floats `json:"predicted"`
	Actual    Floats `json:"actual"`
}

// Deciles reads the segment chart from metrics.json's segments, for the
// given models in order.
func Deciles(mf *experiments.MetricsFile, order []string) (*DecilesData, error) {
	if mf == nil {
		return nil, errors.New("no metrics")
	}
	dd := &DecilesData{Target: mf.SegmentTarget}
	for _, m := range order {
		rep, ok := mf.Models[m]
		if !ok || len(rep.Segments) == 0 {
			continue
		}
		ds := DecileSeries{Model: m}
		for _, s := range rep.Segments {
			ds.Customers = append(ds.Customers, s.Customers)
			ds.Predicted = append(ds.Predicted, float64(s.PredictedTotal))
			ds.Actual = append(ds.Actual, float64(s.ActualTotal))
		}
		dd.Groups = max(dd.Groups, len(rep.Segments))
		dd.Models = append(dd.Models, ds)
	}
	if len(dd.Models) == 0 {
		return nil, errors.New("no model has segments in metrics.json")
	}
	return dd, nil
}

// ---------------------------------------------------------------------
// Heat maps

// heatmapModels returns the models whose P(alive) and expected purchases
// are drawn as heat maps over (frequency, recency): the continuous-time
// probability models, those the registry rebuilds from parameters.
func heatmapModels() []string { return models.NewRegistry().Rebuildable(models.DataContinuous) }

// Heat map quantities.
const (
	QuantityPAlive   = "p_alive"
	QuantityExpected = "expected_purchases"
)

// HeatmapData is one model's P(alive) or expected holdout purchases over a
// grid of histories: frequency x = 0, 1, …, and recency t_x from 0 to T, for
// a customer whose T is the median T of the cohort. Z[i][j] is the value at
// Frequency[i] and Recency[j]. A customer with no repeat purchase has
// recency 0: in the row x = 0 only the cell t_x = 0 holds a value, the
// others, histories that cannot happen, are NaN (null in data.json) and
// drawn blank.
//
// Expected purchases are E[Y(t) | x, t_x, T] over the holdout length t
// (Horizon).
type HeatmapData struct {
	Model     string   `json:"model"`
	Quantity  string   `json:"quantity"`
	Unit      string   `json:"unit"`
	T         float64  `json:"T"`
	Horizon   float64  `json:"horizon,omitempty"`
	Frequency []int    `json:"frequency"`
	Recency   Floats   `json:"recency"`
	Z         []Floats `json:"z"`
}

// HeatmapColumns is the number of recency values of a heat map.
const HeatmapColumns = 31

// Heatmaps computes the P(alive) and expected-purchase heat maps of each
// model of heatmapModels that was fitted. The frequencies run from 0 to
// the 99th percentile of the customers' (at least 5, at most 40).
func Heatmaps(in *Input) ([]HeatmapData, error) {
	heatmaps := heatmapModels()
	n := len(in.Customers)
	if n == 0 {
		return nil, errors.New("no customers")
	}
	ht, err := in.histories().table(false)
	if err != nil {
		return nil, err
	}
	ts := orderStatistics(ht, func(h *history) float64 { return h.T }, []int{max(0, n/2-1), n / 2})
	medT := ts[1]
	if n%2 == 0 {
		medT = (ts[0] + ts[1]) / 2
	}
	if !(medT > 0) {
		return nil, fmt.Errorf("the median T is %v", medT)
	}
	f99 := orderStatistics(ht, func(h *history) float64 { return h.x }, []int{min(n-1, int(math.Ceil(0.99*float64(n)))-1)})
	fmax := int(math.Ceil(f99[0]))
	fmax = max(5, min(fmax, 40))
	horizon := predictionLength(in)
	if !(horizon > 0) {
		horizon = 1
	}
	freq := make([]int, fmax+1)
	for i := range freq {
		freq[i] = i
	}
	rec := make(Floats, HeatmapColumns)
	for j := range rec {
		rec[j] = medT * float64(j) / float64(HeatmapColumns-1)
	}
	var out []HeatmapData
	var missing []string
	for _, m := range in.Models {
		if !contains(heatmaps, m) {
			continue
		}
		f, ok := in.Fits[m]
		if !ok || f == nil {
			missing = append(missing, m)
			continue
		}
		pa := HeatmapData{Model: m, Quantity: QuantityPAlive, Unit: in.Unit.Name, T: medT, Frequency: freq, Recency: rec}
		ex := HeatmapData{Model: m, Quantity: QuantityExpected, Unit: in.Unit.Name, T: medT, Horizon: horizon, Frequency: freq, Recency: rec}
		for _, x := range freq {
			za, ze := make(Floats, len(rec)), make(Floats, len(rec))
			for j, r := range rec {
				if x == 0 && r > 0 {
					za[j], ze[j] = math.NaN(), math.NaN()
					continue
				}
				c := models.Customer{Frequency: float64(x), Recency: r, T: medT}
				za[j] = f.ProbabilityAlive(c)
				ze[j] = f.ConditionalExpectedPurchases(c, horizon)
			}
			pa.Z = append(pa.Z, za)
			ex.Z = append(ex.Z, ze)
		}
		out = append(out, pa, ex)
	}
	if len(out) == 0 {
		if len(missing) > 0 {
			return nil, fmt.Errorf("no fitted model to draw for %v", missing)
		}
		return nil, fmt.Errorf("none of the probability models %v was run", heatmaps)
	}
	return out, nil
}

// distinctValues returns the distinct values of value(h) over the
// customers' histories ht in increasing order, with how many customers
// have each (whole numbers: the same whatever the order of the sums):
// counted by an open-addressing index (the values are few, whole days in
// the run's unit), then only the distinct values sorted.
func distinctValues(ht *historyTable, value func(h *history) float64) (vals, counts []float64) {
	index := keyindex.New(1024)
	var count []float64
	for g := range ht.hs {
		k, seen := index.Of(value(&ht.hs[g])+0, 0, 0) // +0: −0 as 0, as a map compares
		if !seen {
			count = append(count, 0)
		}
		count[k] += ht.count[g]
	}
	order := make([]int, index.Len())
	for k := range order {
		order[k] = k
	}
	key := func(k int) float64 { v, _, _ := index.Key(k); return v }
	sort.Slice(order, func(a, b int) bool { return key(order[a]) < key(order[b]) })
	vals, counts = make([]float64, len(order)), make([]float64, len(order))
	for j, k := range order {
		vals[j], counts[j] = key(k), count[k]
	}
	return vals, counts
}

// orderStatistics returns the customers' values of value(h) at the given
// ranks in increasing order (rank 0 the smallest), as sorting them would
// (see distinctValues).
func orderStatistics(ht *historyTable, value func(h *history) float64, ranks []int) []float64 {
	vals, counts := distinctValues(ht, value)
	out := make([]float64, len(ranks))
	for j, r := range ranks {
		below := 0.0 // customers with a smaller value
		for k, v := range vals {
			if below+counts[k] > float64(r) {
				out[j] = v
				break
			}
			below += counts[k]
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------
// Model comparison

// ComparisonMetrics are the metrics of the comparison figure, with the
// direction that is better.
var ComparisonMetrics = []struct{ Name, Better string }{
	{"bias", "closer to 0"}, {"mae", "lower"}, {"rmse", "lower"}, {"msle", "lower"},
	{"pearson", "higher"}, {"spearman", "higher"}, {"top10_share", "higher"},
	{"top20_share", "higher"}, {"gini", "higher"},
}

// ComparisonData compares the models on one target (holdout purchases or
// revenue): for each metric a grouped bar chart, one bar per model in each
// group. Without a backtest there is one group, the main window; with one,
// a group per backtest window (labelled by its calibration end, the main
// window marked) and a last
// group "mean ± SD" (written on two lines) holding each model's mean across windows with its
// standard deviation in SD (NaN elsewhere).
type ComparisonData struct {
	Target string            `json:"target"`
	Groups []string          `json:"groups"`
	Models []string          `json:"models"`
	Panels []ComparisonPanel `json:"panels"`
}

// ComparisonPanel is one metric: Values[m][g] is model m's value in group
// g, SD[m][g] its spread (NaN when there is none).
type ComparisonPanel struct {
	Metric string   `json:"metric"`
	Better string   `json:"better"`
	Values []Floats `json:"values"`
	SD     []Floats `json:"sd"`
}

// Comparisons computes the comparison figures, one per target that was
// scored, for the given models in order.
func Comparisons(mf *experiments.MetricsFile, order []string) ([]ComparisonData, error) {
	if mf == nil {
		return nil, errors.New("no metrics")
	}
	var out []ComparisonData
	for _, target := range []string{experiments.TargetPurchases, experiments.TargetRevenue} {
		scores := func(rep *experiments.ModelReport) *experiments.Scores {
			if target == experiments.TargetRevenue {
				return rep.HoldoutRevenue
			}
			return rep.Holdout
		}
		cd := ComparisonData{Target: target}
		for _, m := range order {
			if rep, ok := mf.Models[m]; ok && scores(rep) != nil {
				cd.Models = append(cd.Models, m)
			}
		}
		if len(cd.Models) == 0 {
			continue
		}
		bt := mf.Backtest
		if bt == nil || len(bt.Windows) == 0 {
			cd.Groups = []string{"calibration to " + mf.Split.CalibrationEnd}
		} else {
			for _, w := range bt.Windows {
				label := w.CalibrationEnd
				if w.Main {
					label += "\n(main)"
				}
				cd.Groups = append(cd.Groups, label)
			}
			cd.Groups = append(cd.Groups, "mean\n± SD")
		}
		for _, metric := range ComparisonMetrics {
			p := ComparisonPanel{Metric: metric.Name, Better: metric.Better}
			for _, m := range cd.Models {
				vals := make(Floats, len(cd.Groups))
				sd := make(Floats, len(cd.Groups))
				for g := range vals {
					vals[g], sd[g] = math.NaN(), math.NaN()
				}
				if bt == nil || len(bt.Windows) == 0 {
					vals[0], _ = scores(mf.Models[m]).Value(metric.Name)
				} else {
					for g, w := range bt.Windows {
						if s, ok := w.Scores[m][target]; ok {
							vals[g], _ = s.Value(metric.Name)
						}
					}
					if s, ok := bt.Summary[m][target][metric.Name]; ok {
						vals[len(vals)-1] = float64(s.Mean)
						sd[len(sd)-1] = float64(s.SD)
					}
				}
				p.Values = append(p.Values, vals)
				p.SD = append(p.SD, sd)
			}
			cd.Panels = append(cd.Panels, p)
		}
		out = append(out, cd)
	}
	if len(out) == 0 {
		return nil, errors.New("no model was scored")
	}
	return out, nil
}
