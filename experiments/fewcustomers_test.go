package experiments

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFewerCustomersThanGroups: a log with fewer customers than
// segments.groups still runs; the lift table has one group per customer and
// a warning says so (a first try on a tiny export used to fail the run).
func TestFewerCustomersThanGroups(t *testing.T) {
	dir := t.TempDir()
	log := "customer_id,date,amount\na,2024-01-01,5\na,2024-02-01,3\nb,2024-01-05,4\nb,2024-03-01,2\nc,2024-01-09,1\n"
	if err := os.WriteFile(filepath.Join(dir, "log.csv"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	config := `name: tiny
data: {path: log.csv, customer: customer_id, date: date, amount: amount}
split: {unit: week, calibration_end: 2024-02-15, holdout_end: 2024-03-01}
models: [average]
segments: {groups: 10}
output: {dir: out, plots: false, report: false}
`
	if err := os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(filepath.Join(dir, "tiny.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mf := out.Metrics.(*MetricsFile)
	if got := len(mf.Models["average"].Segments); got != 3 {
		t.Errorf("%d segments, want one per customer (3)", got)
	}
	if !slices.Contains(mf.Warnings, fewCustomersWarning(3)) {
		t.Errorf("warnings %q lack the one about too few customers", mf.Warnings)
	}
}
