package experiments

import (
	"reflect"
	"testing"

	"github.com/clv-dev/clv/models"
)

// TestWindowDataMatchesSummaries checks the model data of windowData
// against ModelData of the summaries it stands for: the full table of
// the customers, and the pattern table as a compressed summary (with the
// customers' total of log inter-purchase times), for a continuous and a
// discrete summary with T = 0 customers.
func TestWindowDataMatchesSummaries(t *testing.T) {
	s := patternSummary(5000, false)
	s.HasInterPurchase = true
	for i := range s.Customers {
		s.Customers[i].LogInterPurchase = float64(i%7) / 3
	}
	discrete := patternSummary(5000, true)
	data, pt, discretePt, zeroAge := windowData(s, discrete)
	full, wantZero := ModelData(s)
	if zeroAge != wantZero || wantZero == 0 {
		t.Fatalf("%d customers with T = 0, want %d (> 0)", zeroAge, wantZero)
	}
	compressed, _ := ModelData(pt.Summary(s))
	compressed.LogInterPurchase, compressed.HasLogInterPurchase = full.LogInterPurchase, full.HasLogInterPurchase
	discreteData, _ := ModelData(discretePt.Summary(discrete))
	for form, want := range map[models.DataForm]*models.Data{
		models.DataActivity: full, models.DataContinuous: compressed, models.DataDiscrete: discreteData,
	} {
		if !reflect.DeepEqual(data[form], want) {
			t.Errorf("data form %v differs from ModelData of its summary", form)
		}
	}
}

// TestPatternDataSharesColumns checks the pattern table's model data of a
// summary without T = 0 customers: equal to ModelData of the pattern
// table as a compressed summary, and made of the pattern table's own
// columns (no copy).
func TestPatternDataSharesColumns(t *testing.T) {
	s := patternSummary(5000, false)
	kept := s.Customers[:0]
	for _, c := range s.Customers {
		if c.T > 0 {
			kept = append(kept, c)
		}
	}
	s.Customers = kept
	data, pt, _, zeroAge := windowData(s, nil)
	if zeroAge != 0 {
		t.Fatalf("%d customers with T = 0, want none", zeroAge)
	}
	want, _ := ModelData(pt.Summary(s))
	got := data[models.DataContinuous]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the pattern data differ from ModelData of the pattern table")
	}
	if &got.T[0] != &pt.T[0] || &got.Frequency[0] != &pt.Frequency[0] || &got.Recency[0] != &pt.Recency[0] || &got.Weight[0] != &pt.Weight[0] {
		t.Errorf("the pattern data copy the pattern table's columns")
	}
}
