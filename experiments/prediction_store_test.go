package experiments

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

// storePrediction is a prediction of five customers on three rows, with
// spend.
func storePrediction() *Prediction {
	return &Prediction{
		rows:      []int32{2, 0, 1, 2, 0},
		purchases: []float64{1, 2, 3}, alive: []float64{0.5, 0.25, 0.75},
		discounted: []float64{4, 5, 6}, aliveTime: []float64{7, 8, 9},
		spend: []float64{10, 20, 30, 40, 50}, margin: 0.5,
	}
}

// valuesByCustomer returns Value(q, i) for every customer: the reference a
// column must equal.
func valuesByCustomer(p *Prediction, q Quantity) []float64 {
	out := make([]float64, p.Len())
	for i := range out {
		out[i] = p.Value(q, i)
	}
	return out
}

// Every way of taking a column from the store gives the customers'
// values, one slice per (prediction, quantity) while it is in use.
func TestColumnStoreShares(t *testing.T) {
	p := storePrediction()
	cs := &columnStore{}
	for _, q := range []Quantity{PredPurchases, PredPAlive, PredDiscounted, PredAliveTime, PredSpend, PredRevenue, PredCLV} {
		want := valuesByCustomer(p, q)
		held := cs.hold(p, q)
		used := cs.acquire(p, q)
		kept := cs.keep(p, q)
		if !slices.Equal(held, want) {
			t.Errorf("quantity %d: column %v, want %v", q, held, want)
		}
		if &used[0] != &held[0] || &kept[0] != &held[0] {
			t.Errorf("quantity %d: made more than once while in use", q)
		}
	}
	if cs.made != 7 || cs.fresh != 7 {
		t.Errorf("made %d columns in %d fresh slices, want 7 and 7", cs.made, cs.fresh)
	}
}

// A column no one holds, uses or keeps any more is recycled: the Scorer
// forgets its order and the next column is made in its slice; a kept
// column never is.
func TestColumnStoreRecycles(t *testing.T) {
	p := storePrediction()
	sc := NewScorer([]string{"a", "b", "c", "d", "e"})
	cs := &columnStore{}
	cs.setScorer(sc)
	purchases := cs.hold(p, PredPurchases)
	used := cs.acquire(p, PredPurchases)
	if _, err := sc.ranked(context.Background(), purchases); err != nil {
		t.Fatal(err)
	}
	cs.unhold(p, PredPurchases)
	if len(cs.free) != 0 {
		t.Fatal("a column in use was recycled")
	}
	cs.release(p, PredPurchases)
	if len(cs.free) != 1 || len(sc.orders) != 0 {
		t.Fatalf("after the last use: %d free slices, %d orders remembered; want 1 and 0", len(cs.free), len(sc.orders))
	}
	revenue := cs.keep(p, PredRevenue)
	if &revenue[0] != &used[0] {
		t.Error("the next column was not made in the recycled slice")
	}
	if !slices.Equal(revenue, valuesByCustomer(p, PredRevenue)) {
		t.Errorf("revenue %v, want %v", revenue, valuesByCustomer(p, PredRevenue))
	}
	cs.acquire(p, PredRevenue)
	cs.release(p, PredRevenue)
	if len(cs.free) != 0 || cs.fresh != 1 {
		t.Errorf("a kept column was recycled (%d free, %d fresh)", len(cs.free), cs.fresh)
	}
	buf := cs.buffer(5)
	if cs.fresh != 2 {
		t.Errorf("%d fresh slices, want 2", cs.fresh)
	}
	cs.recycle(buf)
	if got := cs.hold(p, PredCLV); &got[0] != &buf[0] {
		t.Error("a recycled buffer was not reused")
	}
}

// A column the score stage is expected to hold outlives its other users
// (made once, its Scorer order kept), and is recycled once the score
// stage has held and let go of it.
func TestColumnStoreExpected(t *testing.T) {
	p := storePrediction()
	sc := NewScorer([]string{"a", "b", "c", "d", "e"})
	cs := &columnStore{}
	cs.setScorer(sc)
	cs.expect(p, PredRevenue)
	first := cs.acquire(p, PredRevenue) // the gains chart, before the score stage
	if _, err := sc.ranked(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	cs.release(p, PredRevenue)
	if len(cs.free) != 0 || len(sc.orders) != 1 {
		t.Fatalf("an expected column was recycled (%d free, %d orders)", len(cs.free), len(sc.orders))
	}
	held := cs.hold(p, PredRevenue)
	if &held[0] != &first[0] || cs.made != 1 {
		t.Errorf("the score stage's column was made again (%d made)", cs.made)
	}
	cs.unhold(p, PredRevenue)
	if len(cs.free) != 1 || len(sc.orders) != 0 {
		t.Errorf("after the score stage: %d free slices, %d orders; want 1 and 0", len(cs.free), len(sc.orders))
	}
	cs.expect(p, PredPurchases)
	cs.close()
	if cs.expected != nil {
		t.Error("close kept the expectations")
	}
}

// After close, a column is the caller's own and nothing is kept.
func TestColumnStoreClosed(t *testing.T) {
	p := storePrediction()
	cs := &columnStore{}
	before := cs.keep(p, PredPurchases)
	cs.close()
	after := cs.hold(p, PredPurchases)
	if &after[0] == &before[0] || !slices.Equal(after, before) || len(cs.cols) != 0 || len(cs.free) != 0 {
		t.Error("a closed store shares or keeps columns")
	}
	cs.release(p, PredPurchases) // no use to end: nothing happens
}

// RowValues gives every purchase-model quantity by row, with the rows,
// and nothing for those derived per customer.
func TestRowValues(t *testing.T) {
	p := storePrediction()
	for _, q := range []Quantity{PredPurchases, PredPAlive, PredDiscounted, PredAliveTime} {
		values, rows, ok := p.RowValues(q)
		if !ok {
			t.Fatalf("quantity %d: no row values", q)
		}
		for i, want := range valuesByCustomer(p, q) {
			if got := values[rows[i]]; got != want {
				t.Errorf("quantity %d, customer %d: %v, want %v", q, i, got, want)
			}
		}
	}
	for _, q := range []Quantity{PredSpend, PredRevenue, PredCLV} {
		if _, _, ok := p.RowValues(q); ok {
			t.Errorf("quantity %d has row values", q)
		}
	}
}

// The verdict reading a prediction a block at a time (no column made)
// bootstraps the same losses, to the bit, as on the customers' values.
func TestVerdictFromPrediction(t *testing.T) {
	const n = 3*lossBlockRows + 17 // several blocks, the last partial
	rows, spend, actual := make([]int32, n), make([]float64, n), make([]float64, n)
	p := &Prediction{rows: rows, spend: spend, margin: 1}
	for r := range 97 {
		v := float64(r%13) / 3
		p.purchases, p.alive = append(p.purchases, v), append(p.alive, 0.5)
		p.discounted, p.aliveTime = append(p.discounted, 2*v), append(p.aliveTime, v)
	}
	for i := range n {
		rows[i], spend[i], actual[i] = int32(i*31%97), float64(10+i%7), float64(i%5)
	}
	other := NewPrediction(PredictionColumns{Purchases: valuesByCustomer(p, PredRevenue)})
	names := []string{"m", "other"}
	o := VerdictOptions{Metric: VerdictSquaredError, Resamples: 200, Level: 0.95, Seed: 3}
	for _, q := range []Quantity{PredPurchases, PredRevenue} {
		want := targetVerdicts(context.Background(), names, []map[string][]float64{{"m": valuesByCustomer(p, q), "other": valuesByCustomer(other, PredPurchases)}}, [][]float64{actual}, o)
		got := targetVerdictsOf(context.Background(), names, []map[string]predSource{{"m": {pred: p, q: q}, "other": {pred: other, q: PredPurchases}}}, [][]float64{actual}, o)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("quantity %d: verdict %+v from the prediction, %+v from its values", q, got[0].Verdict, want[0].Verdict)
		}
	}
}
