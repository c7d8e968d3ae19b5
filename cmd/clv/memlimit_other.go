//go:build !linux

package main

// physicalMemory returns 0: the machine's memory is not looked up here, so
// no soft memory limit is set by default.
func physicalMemory() int64 { return 0 }

// strictOvercommit reports true: the commit policy is not looked up here,
// so no address space is reserved ahead (hugePageHeap).
func strictOvercommit() bool { return true }

// addressSpaceLimited reports true: the process's limits are not looked
// up here, so no address space is reserved ahead (hugePageHeap).
func addressSpaceLimited() bool { return true }
