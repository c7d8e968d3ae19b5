package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGroupSizes(t *testing.T) {
	tests := []struct {
		n, groups int
		want      []int // nil: an error
	}{
		{10, 3, []int{4, 3, 3}},
		{10, 10, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{10, 1, []int{10}},
		{5, 2, []int{3, 2}},
		{23, 10, []int{3, 3, 3, 2, 2, 2, 2, 2, 2, 2}},
		{100, 10, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}},
		{5, 0, nil},
		{5, -1, nil},
		{5, 6, nil},
		{0, 1, nil},
	}
	for _, tt := range tests {
		got, err := GroupSizes(tt.n, tt.groups)
		if tt.want == nil {
			if err == nil {
				t.Errorf("GroupSizes(%d, %d) = %v, want an error", tt.n, tt.groups, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("GroupSizes(%d, %d) = %v, %v; want %v", tt.n, tt.groups, got, err, tt.want)
		}
	}
}

// wantSegment is an expected Segment in plain float64 (NaN = undefined).
type wantSegment struct {
	customers         int
	predicted, actual float64
	share, lift       float64
}

// TestSegmentsHandComputed checks Segments on ten customers worked out by
// hand; tolerance 1e-14 relative.
func TestSegmentsHandComputed(t *testing.T) {
	// ids 1..10
	//   predicted 0.5 3 1 2 2 0 4 1 0.2 5   P = 18.7
	//   actual    0   2 1 3 0 0 5 0 1   8   A = 20
	// Order by prediction, ties by id: ids 10 7 2 4 5 3 8 1 9 6.
	// Three groups of 4, 3, 3:
	//   ids 10 7 2 4: predicted 5+4+3+2 = 14,  actual 8+5+2+3 = 18
	//   ids 5 3 8:    predicted 2+1+1 = 4,     actual 0+1+0 = 1
	//   ids 1 9 6:    predicted 0.5+0.2+0 = 0.7, actual 0+1+0 = 1
	// shares 18/20, 1/20, 1/20; lifts 0.9/0.4 = 2.25, 0.05/0.3 = 1/6, 1/6.
	// The cut between groups 1 and 2 falls inside the tie p = 2 (ids 4, 5).
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
	predicted := []float64{0.5, 3, 1, 2, 2, 0, 4, 1, 0.2, 5}
	actual := []float64{0, 2, 1, 3, 0, 0, 5, 0, 1, 8}
	// With ids 4 and 5 swapped, customer index 4 (actual 0) wins the tie:
	//   group 1 actual 8+5+2+0 = 15, group 2 actual 3+1+0 = 4:
	//   shares 0.75, 0.2, 0.05; lifts 1.875, 2/3, 1/6.
	swapped := slices.Clone(ids)
	swapped[3], swapped[4] = "5", "4"

	tests := []struct {
		name   string
		ids    []string
		actual []float64
		groups int
		want   []wantSegment
	}{
		{"three groups", ids, actual, 3, []wantSegment{
			{4, 14, 18, 0.9, 2.25},
			{3, 4, 1, 0.05, 1.0 / 6},
			{3, 0.7, 1, 0.05, 1.0 / 6},
		}},
		{"tie at the cut goes by id", swapped, actual, 3, []wantSegment{
			{4, 14, 15, 0.75, 1.875},
			{3, 4, 4, 0.2, 2.0 / 3},
			{3, 0.7, 1, 0.05, 1.0 / 6},
		}},
		{"one group", ids, actual, 1, []wantSegment{{10, 18.7, 20, 1, 1}}},
		// Two groups of 5: ids 10 7 2 4 5 (actual 18), 3 8 1 9 6 (actual 2).
		{"two groups", ids, actual, 2, []wantSegment{
			{5, 16, 18, 0.9, 1.8},
			{5, 2.7, 2, 0.1, 0.2},
		}},
		// All actuals zero: shares and lifts are undefined.
		{"all-zero actuals", ids, make([]float64, 10), 2, []wantSegment{
			{5, 16, 0, nan, nan},
			{5, 2.7, 0, nan, nan},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Segments(tt.ids, predicted, tt.actual, tt.groups)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d segments, want %d", len(got), len(tt.want))
			}
			for g, w := range tt.want {
				s := got[g]
				if s.Group != g+1 || s.Customers != w.customers ||
					!closeTo(float64(s.PredictedTotal), w.predicted, 1e-14) ||
					!closeTo(float64(s.ActualTotal), w.actual, 1e-14) ||
					!closeTo(float64(s.ShareOfActual), w.share, 1e-14) ||
					!closeTo(float64(s.Lift), w.lift, 1e-14) {
					t.Errorf("segment %d = %+v, want %+v", g+1, s, w)
				}
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

// TestSegmentsInvariants checks on random data with ties that the groups
// hold every customer, that shares sum to 1 and customer-weighted lifts
// average 1 (both 1e-12), and that with 10 groups of equal size group 1
// holds exactly the top10_share of Score (same ranking).
func TestSegmentsInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 30 {
		n := 10 * (1 + rng.IntN(50))
		ids := make([]string, n)
		p := make([]float64, n)
		a := make([]float64, n)
		for i := range n {
			ids[i] = "c" + strconv.Itoa(rng.IntN(1000))
			p[i] = float64(rng.IntN(6))
			a[i] = float64(rng.IntN(4)) * rng.Float64()
		}
		groups := 1 + rng.IntN(10)
		segs, err := Segments(ids, p, a, groups)
		if err != nil {
			t.Fatal(err)
		}
		count, share, lift := 0, 0.0, 0.0
		for _, s := range segs {
			count += s.Customers
			share += float64(s.ShareOfActual)
			lift += float64(s.Lift) * float64(s.Customers) / float64(n)
		}
		if count != n || !closeTo(share, 1, 1e-12) || !closeTo(lift, 1, 1e-12) {
			t.Errorf("trial %d: %d customers of %d, shares sum %v, mean lift %v", trial, count, n, share, lift)
		}
		deciles, err := Segments(ids, p, a, 10)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := Score(ids, p, a)
		if err != nil {
			t.Fatal(err)
		}
		if !closeTo(float64(deciles[0].ShareOfActual), float64(sc.Top10Share), 1e-14) {
			t.Errorf("trial %d: decile 1 share %v, top10_share %v", trial, deciles[0].ShareOfActual, sc.Top10Share)
		}
	}
}

// TestSegmentsTotalledWhileScoring checks the segments a Scorer totals
// while it scores (expectSegments) against those Segments totals alone,
// bit for bit: groups ending inside and at the end of the blocks the
// walk gathers, one group, one customer per group, and predictions by
// customer and by pattern row; and that a column scored against other
// actuals, or asked in another number of groups, is totalled apart.
func TestSegmentsTotalledWhileScoring(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, tc := range []struct{ n, groups int }{
		{1, 1}, {7, 7}, {50, 3}, {3 * gatherBlock, 3}, {3*gatherBlock + 5, 10}, {5000, 1},
	} {
		ids, rowOf := patternCustomers(rng, tc.n, 1+tc.n/8)
		rowValue := make([]float64, 1+tc.n/8)
		for r := range rowValue {
			rowValue[r] = float64(rng.IntN(40)) / 3
		}
		purchases, revenue, actual, other := make([]float64, tc.n), make([]float64, tc.n), make([]float64, tc.n), make([]float64, tc.n)
		for i, r := range rowOf {
			purchases[i] = rowValue[r]
			revenue[i] = purchases[i] * (1 + math.Round(rng.ExpFloat64()*900)/100)
			actual[i] = float64(rng.IntN(3)) * math.Round(rng.ExpFloat64()*2000) / 100
			other[i] = float64(rng.IntN(4))
		}
		sc, err := NewPatternScorer(ids, rowOf, 1+tc.n/8)
		if err != nil {
			t.Fatal(err)
		}
		sc.expectSegments(actual, tc.groups)
		for _, pred := range [][]float64{purchases, revenue} {
			for _, act := range [][]float64{actual, other} {
				if _, err := sc.Score(pred, act); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := sc.ranked(context.Background(), pred)
			totalled, apart := sc.rememberedSegments(c, actual, tc.groups), sc.rememberedSegments(c, other, tc.groups)
			sc.release(c)
			if totalled == nil || apart != nil {
				t.Fatalf("n=%d: segments totalled while scoring %v, against other actuals %v", tc.n, totalled != nil, apart != nil)
			}
			for _, g := range []int{tc.groups, max(1, tc.groups-1)} {
				for _, act := range [][]float64{actual, other} {
					got, err := sc.Segments(pred, act, g)
					if err != nil {
						t.Fatal(err)
					}
					want, _ := NewScorer(ids).Segments(pred, act, g)
					if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
						t.Errorf("n=%d, %d groups: segments totalled while scoring\n%v, want\n%v", tc.n, g, got, want)
					}
				}
			}
		}
	}
}

func TestSegmentsErrors(t *testing.T) {
	tests := []struct {
		name              string
		ids               []string
		predicted, actual []float64
		groups            int
		want              string
	}{
		{"too many groups", []string{"a", "b"}, []float64{1, 2}, []float64{1, 2}, 3, "3 groups for 2 customers"},
		{"no groups", []string{"a", "b"}, []float64{1, 2}, []float64{1, 2}, 0, "0 groups"},
		{"length mismatch", []string{"a", "b"}, []float64{1, 2}, []float64{1}, 1, "2 predictions but 1 actuals"},
		{"NaN actual", []string{"a", "b"}, []float64{1, 2}, []float64{1, math.NaN()}, 1, `actual[1] (customer "b") is NaN`},
		{"empty", nil, nil, nil, 1, "no customers"},
	}
	for _, tt := range tests {
		_, err := Segments(tt.ids, tt.predicted, tt.actual, tt.groups)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "segments: ") {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
	}
}

func ExampleSegments() {
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
	predicted := []float64{0.5, 3, 1, 2, 2, 0, 4, 1, 0.2, 5}
	actual := []float64{0, 2, 1, 3, 0, 0, 5, 0, 1, 8}
	segs, err := Segments(ids, predicted, actual, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range segs {
		fmt.Printf("group %d: %d customers, %.0f%% of purchases, lift %.2f\n",
			s.Group, s.Customers, 100*s.ShareOfActual, s.Lift)
	}
	// Output:
	// group 1: 4 customers, 90% of purchases, lift 2.25
	// group 2: 3 customers, 5% of purchases, lift 0.17
	// group 3: 3 customers, 5% of purchases, lift 0.17
}
