package main

import (
	"os"
	"strconv"
	"strings"
)

// memoryBudget returns the memory the run may use, in bytes: the machine's
// (physicalMemory), or a container's smaller limit when a cgroup sets one,
// so that a run in a container with 4 GB on a 64 GB host keeps its heap
// under a quarter of 4 GB. 0 when neither is known.
func memoryBudget() int64 {
	total := physicalMemory()
	// A container's limit: the unified hierarchy's memory.max (cgroup v2)
	// or the memory controller's memory.limit_in_bytes (cgroup v1).
	for _, path := range [...]string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if lim := parseCgroupLimit(string(b)); lim > 0 && (total <= 0 || lim < total) {
			total = lim
		}
	}
	return total
}

// parseCgroupLimit reads a cgroup memory limit file's content: a number of
// bytes, or "max" (v2) for none. A v1 controller without a limit shows a
// number near 2^63 rounded to the page size, which the comparison with the
// machine's memory in memoryBudget ignores. It returns 0 for none or for
// anything it cannot read.
func parseCgroupLimit(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0
	}
	return v
}
