//go:build unix

package models

import (
	"syscall"
	"time"
)

// bgfProcessCPUTime returns the user and system CPU time the test process has
// used, for benchmarks that report CPU time next to wall time (on a shared
// machine the wall time depends on the load).
func bgfProcessCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
