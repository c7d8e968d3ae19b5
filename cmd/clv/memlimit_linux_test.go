package main

import (
	"os"
	"strconv"
	"strings"
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
