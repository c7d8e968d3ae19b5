package models

import "testing"

// selectWeighted with a target no weight falls short of returns the
// smallest gap, however the gaps tie (it emptied the list and panicked
// when the pivot was the smallest value).
func TestSelectWeightedTargetZero(t *testing.T) {
	equal := make([]hiatusGap, 40)
	for i := range equal {
		equal[i] = hiatusGap{v: 1, w: 1}
	}
	mixed := make([]hiatusGap, 40)
	for i := range mixed {
		mixed[i] = hiatusGap{v: float64((i*7)%13) + 0.5, w: float64(1 + i%3)}
	}
	for _, c := range []struct {
		name string
		gaps []hiatusGap
		want float64
	}{{"equal", equal, 1}, {"mixed", mixed, 0.5}} {
		for _, target := range []float64{0, -1} {
			if got := selectWeighted(append([]hiatusGap(nil), c.gaps...), target); got != c.want {
				t.Errorf("%s, target %v: %v, want the smallest gap %v", c.name, target, got, c.want)
			}
		}
	}
}
