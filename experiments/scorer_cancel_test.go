package experiments

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clv-dev/clv/models"
)

// countdownContext is a context whose Err turns to context.Canceled at its
// at-th call; it counts the calls, so a test can tell how long a caller
// went on after it was cancelled.
type countdownContext struct {
	context.Context
	mu        sync.Mutex
	calls, at int
}

func newCountdown(at int) *countdownContext {
	return &countdownContext{Context: context.Background(), at: at}
}

func (c *countdownContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls >= c.at {
		return context.Canceled
	}
	return nil
}

// cancelCustomers returns n numeric ids in a random order, predictions
// equal within each of rows pattern rows (rowOf) and revenue-like ones
// per customer, and integer actuals.
func cancelCustomers(n, rows int) (ids []string, rowOf []int32, byRow, byCustomer, actual []float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids, rowOf = make([]string, n), make([]int32, n)
	byRow, byCustomer, actual = make([]float64, n), make([]float64, n), make([]float64, n)
	rowValue := make([]float64, rows)
	for r := range rowValue {
		rowValue[r] = rng.ExpFloat64()
	}
	for i, p := range rng.Perm(n) {
		ids[i] = strconv.Itoa(p)
		rowOf[i] = int32(rng.IntN(rows))
		byRow[i] = rowValue[rowOf[i]]
		byCustomer[i] = byRow[i] * (1 + rng.Float64())
		actual[i] = float64(rng.IntN(4))
	}
	return
}

// TestScoreStopsWhenCancelled cancels a score at every one of the looks
// at its context in turn, for predictions ordered by pattern row and by
// customer: the score must return the context's error at the look that
// first sees it (no further look: it stopped there), and the looks must
// be spread through the walks over the customers (at least one per
// cancelBlock customers of a walk), so a cancelled score stops within one
// block. A Score afterwards, not cancelled, must equal one of a fresh
// Scorer: a cancelled order or set of facts is not remembered.
func TestScoreStopsWhenCancelled(t *testing.T) {
	n := 3*cancelBlock + 1234
	ids, rowOf, byRow, byCustomer, actual := cancelCustomers(n, 5000)
	for _, c := range []struct {
		name string
		pred []float64
	}{{"by row", byRow}, {"by customer", byCustomer}} {
		t.Run(c.name, func(t *testing.T) {
			want, err := NewScorer(ids).Score(c.pred, actual)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := NewPatternScorer(ids, rowOf, 5000)
			if err != nil {
				t.Fatal(err)
			}
			looks := 0
			for at := 1; ; at++ {
				ctx := newCountdown(at)
				_, err := sc.ScoreContext(ctx, c.pred, actual)
				if err == nil {
					looks = ctx.calls
					break
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled at look %d: error %v, want context.Canceled", at, err)
				}
				if ctx.calls != at {
					t.Fatalf("cancelled at look %d: it looked %d times in all, going on after it was cancelled", at, ctx.calls)
				}
			}
			// The last score finds the order and the actuals' facts made
			// (by the attempts before it); its walk in prediction order
			// and its walk in customer order each go over every customer.
			if min := 2 * (n / cancelBlock); looks < min {
				t.Errorf("a whole score looked at its context %d times, want at least %d (one per %d customers of each walk)", looks, min, cancelBlock)
			}
			got, err := sc.Score(c.pred, actual)
			if err != nil {
				t.Fatal(err)
			}
			if !sameScores(got, want) {
				t.Errorf("after cancelled scores: %+v, want %+v", got, want)
			}
		})
	}
}

// TestSegmentsStopWhenCancelled is TestScoreStopsWhenCancelled's first
// check for the segments.
func TestSegmentsStopWhenCancelled(t *testing.T) {
	n := 2*cancelBlock + 99
	ids, _, _, byCustomer, actual := cancelCustomers(n, 100)
	want, err := NewScorer(ids).Segments(byCustomer, actual, 10)
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScorer(ids)
	for at := 1; ; at++ {
		ctx := newCountdown(at)
		got, err := sc.SegmentsContext(ctx, byCustomer, actual, 10)
		if err == nil {
			if len(got) != len(want) || got[0] != want[0] || got[9] != want[9] {
				t.Errorf("segments after cancelled ones: %+v, want %+v", got, want)
			}
			break
		}
		if !errors.Is(err, context.Canceled) || ctx.calls != at {
			t.Fatalf("cancelled at look %d: error %v after %d looks", at, err, ctx.calls)
		}
	}
}

// TestBuildMetricsCancelled checks that the score stage of a cancelled
// run returns the context's error, and that the verdict's bootstrap,
// cancelled, says so instead of giving a verdict.
func TestBuildMetricsCancelled(t *testing.T) {
	wr, names := benchWindow(20_000, 7)
	cfg := &Config{Models: names, Seed: 3, Segments: SegmentsConfig{Groups: 10}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := buildMetrics(ctx, cfg, models.NewRegistry(), "test", wr, []*windowResult{wr}); !errors.Is(err, context.Canceled) {
		t.Errorf("buildMetrics with a cancelled context: error %v, want context.Canceled", err)
	}
	_, actP, _ := wr.holdoutActuals()
	preds := map[string][]float64{}
	for _, name := range names {
		preds[name] = wr.preds[name].Column(PredPurchases)
	}
	tvs := targetVerdicts(ctx, names, []map[string][]float64{preds}, [][]float64{actP}, VerdictOptions{Resamples: 100, Seed: 1})
	if tvs[0].Error == "" || tvs[0].Best != "" {
		t.Errorf("a cancelled verdict: %+v, want an error and no best model", tvs[0])
	}
}

// hookContext is a context that, at the first look at it, calls hook and
// is then cancelled.
type hookContext struct {
	context.Context
	once sync.Once
	hook func()
}

func (c *hookContext) Err() error {
	c.once.Do(c.hook)
	return context.Canceled
}

// TestOrderCancelledByAnotherCaller has a caller whose context is never
// done wait for the order of a column that a caller with a cancelled
// context is making: the first gets the order (the same as a Scorer of
// its own makes), not the other's cancellation.
func TestOrderCancelledByAnotherCaller(t *testing.T) {
	ids, _, _, pred, _ := cancelCustomers(5000, 50)
	sc := NewScorer(ids)
	want, err := NewScorer(ids).PredictionOrder(pred)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	var gotErr error
	waiter := make(chan struct{})
	ctx := &hookContext{Context: context.Background(), hook: func() {
		go func() {
			defer close(waiter)
			got, gotErr = sc.PredictionOrder(pred)
		}()
		for { // until the waiter uses the order being made
			sc.mu.Lock()
			users := sc.orders[keyOf(pred)].users
			sc.mu.Unlock()
			if users == 2 {
				return
			}
			runtime.Gosched()
		}
	}}
	if err := sc.WithPredictionOrder(ctx, pred, func([]int32) {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v, want context.Canceled", err)
	}
	<-waiter
	if gotErr != nil {
		t.Fatalf("a caller whose context is not done got %v", gotErr)
	}
	if !slices.Equal(got, want) {
		t.Fatal("the waiting caller's order differs from a fresh Scorer's")
	}
}

// TestActualsCancelledByAnotherCaller is TestOrderCancelledByAnotherCaller
// for the actuals' facts: a Score without a context that may wait for
// the facts another caller's cancelled context stopped gets its scores.
func TestActualsCancelledByAnotherCaller(t *testing.T) {
	ids, _, _, pred, actual := cancelCustomers(5000, 50)
	for i := range actual {
		actual[i] += 0.5 // not small integers: the facts' walk looks at ctx
	}
	want, err := NewScorer(ids).Score(pred, actual)
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScorer(ids)
	var got Scores
	var gotErr error
	waiter := make(chan struct{})
	ctx := &hookContext{Context: context.Background(), hook: func() {
		go func() {
			defer close(waiter)
			got, gotErr = sc.Score(pred, actual)
		}()
		// The waiter's order is made first; it then waits for these
		// facts (most runs: a waiter arriving later finds them
		// forgotten and makes them itself).
		time.Sleep(20 * time.Millisecond)
	}}
	if _, err := sc.actualFacts(ctx, actual); !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v, want context.Canceled", err)
	}
	<-waiter
	if gotErr != nil {
		t.Fatalf("a caller whose context is not done got %v", gotErr)
	}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
