package hugepages

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// Supported reports whether Advise can ask for huge pages here.
const Supported = true

// Advise asks Linux to back the memory of s with transparent huge pages
// when it spans at least From bytes; call it on a slice just made and not
// yet written (memory already touched keeps its 4 KiB pages). The whole
// 4 KiB pages inside s are advised; the kernel uses a huge page for each
// aligned 2 MiB of them.
func Advise[T any](s []T) {
	var zero T
	size := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if size < From {
		return
	}
	const page = 4096
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	start, end := (p+page-1)&^(page-1), (p+size)&^(page-1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE)
	runtime.KeepAlive(s)
}

// Advised reports whether the memory mapping that holds p carries the
// huge-page advice: its VmFlags in /proc/self/smaps list "hg".
func Advised(p unsafe.Pointer) (bool, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return false, err
	}
	defer f.Close()
	addr := uintptr(p)
	inside := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			inside = lo <= addr && addr < hi
			continue
		}
		if inside && strings.HasPrefix(line, "VmFlags:") {
			return slices.Contains(strings.Fields(strings.TrimPrefix(line, "VmFlags:")), "hg"), nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return false, fmt.Errorf("no mapping of /proc/self/smaps holds %#x", addr)
}

// mappingRange reads the addresses of a mapping's first line in
// /proc/self/smaps ("lo-hi perms offset ...", hexadecimal); ok is false
// for the other lines.
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	field, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(field, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
