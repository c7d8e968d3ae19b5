package datasets

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The -update flag rewrites golden files: go test ./datasets -run TestQuickstart -update.
// It is registered in init, after every package-level variable of the
// package's test files, so that another test file defining the same flag
// with flag.Bool does not collide with this one.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

// updateGolden reports whether -update was given.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestQuickstart regenerates the embedded log from QuickstartSimulation and
// compares it byte for byte with the committed file (and the embedded copy).
func TestQuickstart(t *testing.T) {
	sim, err := Simulate(QuickstartSimulation)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sim.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if updateGolden() {
		if err := os.WriteFile("quickstart.csv", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote quickstart.csv (%d bytes); rebuild to embed it", buf.Len())
		return
	}
	onDisk, err := os.ReadFile("quickstart.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), onDisk) {
		t.Fatalf("quickstart.csv differs from Simulate(QuickstartSimulation) (%d vs %d bytes); run go test ./datasets -run TestQuickstart -update if the change is intended", len(onDisk), buf.Len())
	}
	emb, err := Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(emb, onDisk) {
		t.Fatal("the embedded quickstart differs from quickstart.csv on disk: rebuild")
	}
	if len(emb) > 2<<20 {
		t.Errorf("quickstart.csv is %d bytes, want under 2 MB", len(emb))
	}
}

// TestQuickstartContents checks the facts README.md states about the file.
func TestQuickstartContents(t *testing.T) {
	b, err := Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 {
		t.Fatalf("embedded quickstart has %d lines: regenerate it with -update and rebuild", len(recs))
	}
	if got := strings.Join(recs[0], ","); got != "customer_id,date,amount" {
		t.Fatalf("header %q", got)
	}
	ids := map[string]bool{}
	first, last := recs[1][1], recs[1][1]
	prev := ""
	for _, r := range recs[1:] {
		ids[r[0]] = true
		if r[1] < prev {
			t.Fatalf("rows not in date order: %s after %s", r[1], prev)
		}
		prev = r[1]
		first, last = min(first, r[1]), max(last, r[1])
	}
	if len(ids) != QuickstartSimulation.Customers {
		t.Errorf("%d customers, want %d", len(ids), QuickstartSimulation.Customers)
	}
	if first < "2024-01-01" || last > "2025-06-29" {
		t.Errorf("dates %s..%s outside 2024-01-01..2025-06-29", first, last)
	}
	// The README's windows: 39 weeks each.
	cal := QuickstartCalibrationEnd.Sub(QuickstartSimulation.Start) + 24*time.Hour
	hold := QuickstartHoldoutEnd.Sub(QuickstartCalibrationEnd)
	if cal != 39*7*24*time.Hour || hold != 39*7*24*time.Hour || !QuickstartHoldoutEnd.Equal(QuickstartSimulation.End) {
		t.Errorf("calibration %v, holdout %v: want 39 weeks each ending at End", cal, hold)
	}
}

func TestEmbedded(t *testing.T) {
	if got := EmbeddedNames(); !slices.Equal(got, []string{"quickstart"}) {
		t.Errorf("EmbeddedNames() = %q", got)
	}
	a, err := Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	a[0] = 'X' // a copy: the embedded bytes must not change
	b, _ := Embedded("quickstart")
	if b[0] != 'c' {
		t.Error("Embedded returned the embedded slice itself, not a copy")
	}
	_, err = Embedded("cdnow")
	if err == nil || !strings.Contains(err.Error(), `"cdnow"`) || !strings.Contains(err.Error(), "quickstart") {
		t.Errorf("Embedded(cdnow) error %v: want one naming the request and listing quickstart", err)
	}
}
