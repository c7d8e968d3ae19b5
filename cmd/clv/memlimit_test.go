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
	total := memoryBudget()
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

// A container's limit file: bytes, "max" for none, or anything unreadable
// (none).
func TestParseCgroupLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"4294967296\n", 4 << 30},
		{"max\n", 0},
		{"9223372036854771712\n", 9223372036854771712}, // v1 without a limit: larger than any machine
		{"", 0},
		{"-1\n", 0},
		{"lots\n", 0},
	} {
		if got := parseCgroupLimit(c.in); got != c.want {
			t.Errorf("parseCgroupLimit(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// The budget never exceeds the machine's memory, and is the machine's
// memory or a container's smaller limit.
func TestMemoryBudgetAtMostTheMachine(t *testing.T) {
	total, budget := physicalMemory(), memoryBudget()
	if total > 0 && (budget <= 0 || budget > total) {
		t.Errorf("memory budget %d bytes, the machine has %d", budget, total)
	}
}
