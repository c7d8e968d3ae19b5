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
// see memoryBudget), unless GOMEMLIMIT sets one, and prepares that much of
// the heap for huge pages (hugePageHeap; the smaller of the share and
// GOMEMLIMIT's limit when GOMEMLIMIT is set).
// Go lets the heap grow to twice what was live at its last collection, so
// a 10M-customer run, with about 4.5 GB live while it scores, would peak
// near 9 GB; under the limit the collector runs earlier instead (as
// GOMEMLIMIT=6GiB did by hand, no slower): with 30% of this 23 GB machine
// the 10M backtest peaked at 7.2 GB, so a quarter is kept. A run far below
// the limit (1M customers: about 1 GB) is not affected; GOMEMLIMIT=off
// turns the limit off. It returns the limit set, 0 when none (the
// machine's memory unknown, or GOMEMLIMIT given).
//
// GOGC is left at Go's default (100; the user's GOGC applies): a larger
// one lets the heap grow further between collections, and on this
// project's virtual machine, where a first-touch page fault costs about
// 15 µs, GOGC=400 cost the 1M backtest about 20% more page faults and
// more CPU-seconds than it saved in collections (two runs each); a
// smaller one does not save fresh memory either: GOGC=50 cost the 1M
// backtest without intervals 7.7-8.7k page faults instead of 5.8-6.2k and
// more CPU-seconds (three runs each, alternated).
func softMemoryLimit() int64 {
	total := memoryBudget()
	share := int64(float64(total) * defaultMemoryShare)
	if os.Getenv("GOMEMLIMIT") != "" {
		hugePageHeap(min(share, debug.SetMemoryLimit(-1)))
		return 0
	}
	if total <= 0 {
		return 0
	}
	hugePageHeap(share)
	debug.SetMemoryLimit(share)
	return share
}
