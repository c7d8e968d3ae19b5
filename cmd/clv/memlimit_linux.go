package main

import (
	"os"
	"strings"
	"syscall"
)

// physicalMemory returns the machine's memory in bytes (0 when unknown).
func physicalMemory() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

// strictOvercommit reports whether the kernel charges address space that
// is mapped for writing against a commit limit (vm.overcommit_memory=2),
// or whether the mode cannot be read: a large reservation could then fail.
func strictOvercommit() bool {
	b, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	return err != nil || strings.TrimSpace(string(b)) == "2"
}

// addressSpaceLimited reports whether the process's address space or data
// segment is limited (ulimit -v, ulimit -d; Linux counts private writable
// mappings, the Go heap's, against both), or whether the limits cannot be
// read: a large reservation could then fail, and a failed allocation ends
// a Go program.
func addressSpaceLimited() bool {
	for _, resource := range []int{syscall.RLIMIT_AS, syscall.RLIMIT_DATA} {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(resource, &lim); err != nil || lim.Cur != ^uint64(0) {
			return true
		}
	}
	return false
}
