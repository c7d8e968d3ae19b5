package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// clv run keeps its heap under a quarter of the machine's memory unless
// GOMEMLIMIT chooses, and leaves the runtime's limit alone then.
func TestSoftMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)

	t.Setenv("GOMEMLIMIT", "6GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	if got := softMemoryLimit(); got != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set: limit %d set, runtime's %d; want none", got, debug.SetMemoryLimit(-1))
	}

	t.Setenv("GOMEMLIMIT", "")
	total := physicalMemory()
	got := softMemoryLimit()
	if total <= 0 {
		if got != 0 {
			t.Errorf("the machine's memory unknown, yet a limit of %d was set", got)
		}
		return
	}
	if want := int64(float64(total) * 0.25); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("limit %d (runtime's %d), want a quarter of %d bytes", got, debug.SetMemoryLimit(-1), total)
	}
}
