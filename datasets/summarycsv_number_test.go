package datasets

import (
	"math"
	"strconv"
	"testing"

	"github.com/clv-dev/clv/internal/floatfmt"
)

// TestAppendNumberIsShortestG: the summary writer's numbers are exactly
// strconv's 'g' with the shortest precision, fast path and cache included,
// on the edges of the fast path (10⁶, which 'g' writes 1e+06; -0; NaN and
// infinities), on times in weeks and months (k/7, k/30.4375) and on random
// bit patterns, written through a cache that sees far more values than it
// has slots.
func TestAppendNumberIsShortestG(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, 7, 999999, 1e6, 1e6 + 1, 999999.5, 123456789, 1e21, 1e22,
		-1, -999999, 0.5, 1e-5, 5e-324, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 4503599627370496.5}
	for k := range 5000 {
		values = append(values, float64(k)/7, float64(k)/(365.25/12), float64(k)*0.01)
	}
	rng := splitmix64(11)
	for range 20000 {
		values = append(values, math.Float64frombits(rng.next()))
	}
	var fc floatCache
	for pass := range 2 {
		for _, v := range values {
			want := strconv.FormatFloat(v, 'g', -1, 64)
			if got := string(floatfmt.AppendNumber(nil, v)); got != want {
				t.Fatalf("floatfmt.AppendNumber(%v) = %s, want %s", v, got, want)
			}
			if got := string(fc.append([]byte("x"), v)); got != "x"+want {
				t.Fatalf("pass %d: cached %v = %s, want x%s", pass, v, got, want)
			}
		}
	}
}
