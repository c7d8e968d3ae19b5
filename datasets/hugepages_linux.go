package datasets

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePagesFrom is the size from which adviseHugePages asks for huge pages.
const hugePagesFrom = 8 << 20

// adviseHugePages asks Linux to back a large slice that was just made (and
// not yet touched) with transparent huge pages, where the system leaves
// that to the program (THP "madvise" mode). A customer table or a summary
// of millions of customers is touched page by page in a random order: with
// 2 MiB pages it costs one page fault where 4 KiB pages cost 512, and far
// fewer TLB misses. (On a virtual machine a first-touch page fault can cost
// tens of microseconds: for a 10-million-customer table that was seconds.)
// The advice changes no data, and a failure is of no consequence.
func adviseHugePages[T any](s []T) {
	var zero T
	size := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if size < hugePagesFrom {
		return
	}
	const page = 4096
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	start, end := (p+page-1)&^(page-1), (p+size)&^(page-1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE)
	runtime.KeepAlive(s)
}
