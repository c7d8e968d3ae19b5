package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestInterPurchaseOutOfOrder checks that the log inter-purchase times and
// the last-interval share do not depend on the order of the rows: a log in
// date order and the same rows shuffled (which sends customers through
// the exact mode and the second pass) give the same values, and both
// equal the values computed from each customer's sorted days.
func TestInterPurchaseOutOfOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	type row struct {
		id  int
		day int
	}
	var rows []row
	wantLitt := map[string]float64{}
	wantShare := map[string]float64{}
	for id := range 200 {
		day := rng.IntN(30)
		days := []int{day}
		for range rng.IntN(8) {
			day += 1 + rng.IntN(20)
			days = append(days, day)
		}
		var litt, share float64
		for j := 1; j < len(days) && days[j] <= 120; j++ {
			litt += math.Log(float64(days[j]-days[j-1]) / 7)
			if j >= 2 {
				g1, g2 := days[j-1]-days[j-2], days[j]-days[j-1]
				share = float64(float32(float64(g1) / float64(g1+g2)))
			}
		}
		wantLitt[fmt.Sprint(id)], wantShare[fmt.Sprint(id)] = litt, share
		for _, d := range days {
			rows = append(rows, row{id, d})
			if rng.IntN(4) == 0 { // a second purchase the same day
				rows = append(rows, row{id, d})
			}
		}
	}
	logOf := func(rs []row) string {
		var b strings.Builder
		b.WriteString("customer_id,date\n")
		for _, r := range rs {
			fmt.Fprintf(&b, "%d,%s\n", r.id, date(2024, 1, 1).AddDate(0, 0, r.day).Format("2006-01-02"))
		}
		return b.String()
	}
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 1, 1).AddDate(0, 0, 120), HoldoutEnd: date(2024, 1, 1).AddDate(0, 0, 400)}
	ordered := logOf(rows)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for name, text := range map[string]string{"ordered": ordered, "shuffled": logOf(rows)} {
		s, err := Summarize(strings.NewReader(text), "log.csv", ReadOptions{}, so)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range s.Customers {
			if math.Abs(c.LogInterPurchase-wantLitt[c.ID]) > 1e-9 || c.LastIntervalShare != wantShare[c.ID] {
				t.Errorf("%s: customer %s: litt %v share %v, want %v %v", name, c.ID,
					c.LogInterPurchase, c.LastIntervalShare, wantLitt[c.ID], wantShare[c.ID])
			}
		}
	}
}
