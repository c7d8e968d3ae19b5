package experiments

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestPauseCollections checks that pauseCollections turns the collector's
// pacing off only under a soft memory limit the caller set to bound the
// heap (which still bounds it), and that its resume restores the pacing
// once, whatever it was.
func TestPauseCollections(t *testing.T) {
	oldLimit := debug.SetMemoryLimit(-1)
	oldPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(oldPercent)
	defer func() {
		debug.SetMemoryLimit(oldLimit)
		debug.SetGCPercent(oldPercent)
	}()
	for _, c := range []struct {
		name          string
		limit         int64
		bounded       bool
		percent, want int
	}{
		{"no limit", math.MaxInt64, true, 100, 100},
		{"limit", 1 << 40, true, 100, -1},
		{"a limit the caller did not choose (GOMEMLIMIT)", 1 << 40, false, 100, 100},
		{"limit, GOGC=50", 1 << 40, true, 50, -1},
		{"limit, paused already", 1 << 40, true, -1, -1},
	} {
		debug.SetMemoryLimit(c.limit)
		debug.SetGCPercent(c.percent)
		resume := pauseCollections(c.bounded)
		if got := debug.SetGCPercent(-1); got != c.want {
			t.Errorf("%s: GC percent %d while paused, want %d", c.name, got, c.want)
		}
		debug.SetGCPercent(c.want)
		resume()
		if got := debug.SetGCPercent(c.percent); got != c.percent {
			t.Errorf("%s: GC percent %d after resume, want %d", c.name, got, c.percent)
		}
		debug.SetGCPercent(7)
		resume() // a second call does nothing
		if got := debug.SetGCPercent(c.percent); got != 7 {
			t.Errorf("%s: a second resume set the GC percent to %d", c.name, got)
		}
	}
	// Two overlapping runs: whichever order they resume in, the pacing
	// ends as it was.
	debug.SetMemoryLimit(1 << 40)
	for _, firstFirst := range []bool{true, false} {
		debug.SetGCPercent(100)
		a := pauseCollections(true)
		b := pauseCollections(true)
		if firstFirst {
			a, b = b, a
		}
		b()
		a()
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("overlapping pauses (the first resumed first: %v) left the GC percent at %d, want 100", firstFirst, got)
		}
	}
}
