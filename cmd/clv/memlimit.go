package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryShare is the share of the machine's memory a run's heap is
// kept under when GOMEMLIMIT is not set (see softMemoryLimit).
const defaultMemoryShare = 0.25

// softMemoryLimit sets the Go runtime's soft memory limit of a run to
// defaultMemoryShare of the machine's memory (or of a container's limit,
// see memoryBudget), unless GOMEMLIMIT sets one.
// Go lets the heap grow to twice what was live at its last collection, so
// a 10M-customer run, with about 4.5 GB live while it scores, would peak
// near 9 GB; under the limit the collector runs earlier instead (as
// GOMEMLIMIT=6GiB did by hand, no slower): with 30% of this 23 GB machine
// the 10M backtest peaked at 7.2 GB, so a quarter is kept. A run far below
// the limit (1M customers: about 1 GB) is not affected; GOMEMLIMIT=off
// turns the limit off. It returns the limit set, 0 when none (the
// machine's memory unknown, or GOMEMLIMIT given).
func softMemoryLimit() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	total := memoryBudget()
	if total <= 0 {
		return 0
	}
	limit := int64(float64(total) * defaultMemoryShare)
	debug.SetMemoryLimit(limit)
	return limit
}
