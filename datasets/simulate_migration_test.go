package datasets

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestSimulateMigration checks the drawn chain against its parameters: the
// share of active periods after an active one (p) and after an inactive
// one (q), and the purchases per active period (m), counted from the
// purchase days directly; and that a seed gives the same base twice.
func TestSimulateMigration(t *testing.T) {
	cfg := MigrationConfig{
		Retention: 0.7, Reactivation: 0.2, PurchasesPerActivePeriod: 2.5, PeriodDays: 10,
		Customers: 4000, Start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), AcquisitionDays: 10, Days: 200, Seed: 3,
	}
	sim, err := SimulateMigration(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var fromA, stay, fromI, back, active, purchases float64
	for _, c := range sim.Customers {
		var counts [20]int
		for _, d := range c.Purchases {
			counts[int(d)/10]++
		}
		if !slices.IsSorted(c.Purchases) || c.Purchases[0] != c.Birth {
			t.Fatalf("customer %s: purchases %v not ascending from the birth", c.ID, c.Purchases)
		}
		for j := 1; j < len(counts); j++ {
			on := counts[j] > 0
			if counts[j-1] > 0 {
				fromA++
				if on {
					stay++
				}
			} else {
				fromI++
				if on {
					back++
				}
			}
			if on {
				active++
				purchases += float64(counts[j])
			}
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
		tol       float64
	}{{"p", stay / fromA, 0.7, 0.01}, {"q", back / fromI, 0.2, 0.01}, {"m", purchases / active, 2.5, 0.02}} {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %.4f, want %v ± %v", c.name, c.got, c.want, c.tol)
		}
	}
	again, _ := SimulateMigration(cfg)
	for i := range sim.Customers {
		if !slices.Equal(sim.Customers[i].Purchases, again.Customers[i].Purchases) {
			t.Fatalf("customer %d differs between two runs with one seed", i)
		}
	}
}

func TestSimulateMigrationErrors(t *testing.T) {
	good := MigrationConfig{Retention: 0.5, Reactivation: 0.1, PurchasesPerActivePeriod: 1, PeriodDays: 7,
		Customers: 1, Start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), AcquisitionDays: 1, Days: 7}
	for name, mod := range map[string]func(c *MigrationConfig){
		"retention":   func(c *MigrationConfig) { c.Retention = 1.5 },
		"reactivate":  func(c *MigrationConfig) { c.Reactivation = math.NaN() },
		"m below 1":   func(c *MigrationConfig) { c.PurchasesPerActivePeriod = 0.5 },
		"period":      func(c *MigrationConfig) { c.PeriodDays = 0 },
		"customers":   func(c *MigrationConfig) { c.Customers = 0 },
		"days":        func(c *MigrationConfig) { c.Days = 0 },
		"acquisition": func(c *MigrationConfig) { c.AcquisitionDays = 8 },
		"start":       func(c *MigrationConfig) { c.Start = c.Start.Add(time.Hour) },
	} {
		c := good
		mod(&c)
		if _, err := SimulateMigration(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := SimulateMigration(good); err != nil {
		t.Errorf("valid config: %v", err)
	}
}
