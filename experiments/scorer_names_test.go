package experiments

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// TestWindowScorerNamesCustomers checks that a window's Scorer, which
// keeps no slice of ids, still names the customer of a bad value by her
// id in the summary, with and without a pattern table, and orders ties
// by id as a Scorer given the ids does.
func TestWindowScorerNamesCustomers(t *testing.T) {
	s := &datasets.Summary{Customers: []datasets.CustomerSummary{
		{ID: "10", Frequency: 1, Recency: 2, T: 3},
		{ID: "9", Frequency: 1, Recency: 2, T: 3},
		{ID: "c-7", Frequency: 0, Recency: 0, T: 3},
	}}
	tests := []struct {
		name     string
		patterns *datasets.Patterns
	}{
		{"by customer", nil},
		{"by pattern", datasets.NewPatterns(s)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wr := &windowResult{summary: s, patterns: tt.patterns}
			sc := wr.scorer()
			if (sc.rowOf != nil) != (tt.patterns != nil) {
				t.Fatalf("pattern rows %v with patterns %v", sc.rowOf, tt.patterns)
			}
			_, err := sc.Score([]float64{1, 2, math.NaN()}, []float64{0, 1, 0})
			if err == nil || !strings.Contains(err.Error(), `(customer "c-7")`) {
				t.Fatalf("NaN prediction of the third customer: error %v, want it named c-7", err)
			}
			_, err = sc.Score([]float64{1, 2, 3}, []float64{0, -1, 0})
			if err == nil || !strings.Contains(err.Error(), `(customer "9")`) {
				t.Fatalf("negative actual of the second customer: error %v, want it named 9", err)
			}
			ids := []string{"10", "9", "c-7"}
			want, err := NewScorer(ids).PredictionOrder([]float64{1, 1, 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := sc.PredictionOrder([]float64{1, 1, 1})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) || want[0] != 0 { // string order: "10" < "9" < "c-7"
				t.Fatalf("tie order %v, want %v starting with customer 0", got, want)
			}
		})
	}
}
