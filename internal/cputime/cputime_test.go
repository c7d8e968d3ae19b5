package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessAdvancesWithWork spins until the process's CPU time grows
// (the clock ticks in steps of 1–10 ms), and fails when it never does
// within a generous wall-clock bound, or goes backwards.
func TestProcessAdvancesWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the CPU time is not measured on this system")
	}
	t0 := Process()
	if t0 <= 0 {
		t.Fatalf("Process() = %v at the start of a test, want > 0", t0)
	}
	start := time.Now()
	x := 1.0
	for time.Since(start) < 30*time.Second {
		for range 100000 {
			x = x*1.0000001 + 1e-9
		}
		if d := Process() - t0; d > 0 {
			return
		} else if d < 0 {
			t.Fatalf("CPU time went backwards by %v", -d)
		}
	}
	t.Errorf("CPU time did not grow over 30 s of busy work (x = %v)", x)
}
