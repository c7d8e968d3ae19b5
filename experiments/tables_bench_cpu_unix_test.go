//go:build unix

package experiments

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports a benchmark's CPU time (user and system, all threads)
// per operation as cpu-ns/op: on a shared machine the wall time per
// operation depends on the other work, the CPU time much less.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{processCPU()} }

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-m.start)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
