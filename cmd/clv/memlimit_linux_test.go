package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The machine's memory as the kernel lists it in /proc/meminfo (MemTotal,
// in KiB).
func TestPhysicalMemoryMatchesMeminfo(t *testing.T) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skip(err)
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kib, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := physicalMemory(), kib*1024; got < want*99/100 || got > want*101/100 {
				t.Errorf("physical memory %d bytes, /proc/meminfo says %d", got, want)
			}
			return
		}
	}
	t.Skip("no MemTotal in /proc/meminfo")
}

// Under an address-space limit (ulimit -v) smaller than the soft limit's
// share, hugePageHeap reserves nothing: the reservation would fail, and a
// failed allocation ends a Go program at once ("runtime: out of memory").
// The test runs itself in a child process whose limit it lowers.
func TestHugePageHeapUnderAddressSpaceLimit(t *testing.T) {
	const child = "CLV_TEST_HUGE_PAGE_HEAP_RLIMIT"
	if os.Getenv(child) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHugePageHeapUnderAddressSpaceLimit$")
		cmd.Env = append(os.Environ(), child+"=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("hugePageHeap under an address-space limit: %v\n%s", err, out)
		}
		return
	}
	vm := statusKiB(t, "VmSize:") * 1024
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Skip(err)
	}
	lim.Cur = uint64(vm) + 1<<30
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Skip(err)
	}
	if hugePageHeap(4 << 30) {
		t.Error("hugePageHeap reserved 4 GiB with 1 GiB of address space left")
	}
}

// statusKiB returns a field of /proc/self/status given in KiB.
func statusKiB(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kib, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Skipf("no %s in /proc/self/status", field)
	return 0
}
