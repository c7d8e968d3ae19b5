package main

import (
	"math"
	"runtime"
	"runtime/debug"

	"github.com/clv-dev/clv/internal/hugepages"
)

// hugePageHeap prepares the next size bytes of the Go heap to be backed
// by transparent huge pages (see package hugepages): it allocates them as
// one slice, for which the runtime maps fresh address space that nothing
// has touched; advises that mapping; drops the slice and returns its pages
// to the operating system (debug.FreeOSMemory: a collection of the heap,
// a few kilobytes at the start of a run, and a release that costs nothing
// for untouched pages, after which the runtime knows them to be zero and
// does not clear them again). The advice stays on the mapping, so the
// run's tables, columns and orders that the runtime places in that memory
// afterwards fault 2 MiB at a time instead of 4 KiB.
//
// On this project's 2-core virtual machine a 1M-customer backtest took
// about 205k page faults without it and 15k with it, and 15-20% fewer
// CPU-seconds. The memory is only reserved address space until used: the
// run's resident memory is what it touches, as before (rounded up to
// whole huge pages where the runtime leaves a part of one unused).
//
// It does nothing where huge pages cannot be advised (outside Linux), on a
// 32-bit system, where the kernel charges reserved address space against a
// strict commit limit (vm.overcommit_memory=2), under a limit of the
// process's address space or data segment (ulimit -v, ulimit -d: the
// reservation could fail, and a failed allocation ends the run), or below
// hugepages.From bytes. It reports whether it prepared the memory.
func hugePageHeap(size int64) bool {
	if !hugepages.Supported || math.MaxInt != math.MaxInt64 || size < hugepages.From || strictOvercommit() || addressSpaceLimited() {
		return false
	}
	reserve := make([]byte, size)
	hugepages.Advise(reserve)
	runtime.KeepAlive(reserve)
	debug.FreeOSMemory()
	return true
}
