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
				share = float64(g1) / float64(g1+g2)
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
	so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 1, 1).AddDate(0, 0, 120), HoldoutEnd: date(2024, 1, 1).AddDate(0, 0, 400), InterPurchase: true}
	ordered := logOf(rows)
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for name, text := range map[string]string{"ordered": ordered, "shuffled": logOf(rows)} {
		s, err := Summarize(strings.NewReader(text), "log.csv", ReadOptions{}, so)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range s.Customers {
			if math.Abs(c.LogInterPurchase-wantLitt[c.ID]) > 1e-9 || math.Abs(c.LastIntervalShare-wantShare[c.ID]) > 1e-15 {
				t.Errorf("%s: customer %s: litt %v share %v, want %v %v", name, c.ID,
					c.LogInterPurchase, c.LastIntervalShare, wantLitt[c.ID], wantShare[c.ID])
			}
		}
	}
}

// TestInterPurchaseHandWorked checks the statistics on a small log worked
// by hand, and that they stay 0 unless asked for.
//
//	a: 01-01, 01-08 (twice), 01-31 in calibration, 02-10 after it: gaps of
//	   7 and 23 days, litt = ln(7/7) + ln(23/7) in weeks, share 7/30.
//	b: 01-05 and 01-06: one gap of a day, litt = ln(1/7), share 0.
func TestInterPurchaseHandWorked(t *testing.T) {
	log := `customer_id,date
a,2024-01-08
a,2024-01-01
b,2024-01-05
a,2024-01-08
a,2024-02-10
a,2024-01-31
b,2024-01-06
`
	for _, on := range []bool{true, false} {
		so := SummaryOptions{Unit: Week, CalibrationEnd: date(2024, 1, 31), HoldoutEnd: date(2024, 2, 29), InterPurchase: on}
		s, err := Summarize(strings.NewReader(log), "log.csv", ReadOptions{}, so)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]float64{"a": {math.Log(23.0 / 7), 7.0 / 30}, "b": {math.Log(1.0 / 7), 0}}
		for _, c := range s.Customers {
			w := want[c.ID]
			if !on {
				w = [2]float64{}
			}
			if math.Abs(c.LogInterPurchase-w[0]) > 1e-12 || math.Abs(c.LastIntervalShare-w[1]) > 1e-15 {
				t.Errorf("InterPurchase %v: customer %s: litt %v share %v, want %v", on, c.ID, c.LogInterPurchase, c.LastIntervalShare, w)
			}
		}
	}
}
