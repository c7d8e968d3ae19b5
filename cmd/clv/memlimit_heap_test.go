package main

import (
	"testing"
	"unsafe"

	"github.com/clv-dev/clv/internal/hugepages"
)

// After hugePageHeap, a large slice the runtime places in the prepared
// memory lies in a mapping advised for huge pages.
func TestHugePageHeapAdvisesLaterAllocations(t *testing.T) {
	if !hugePageHeap(256 << 20) {
		t.Skip("no huge-page advice here")
	}
	s := make([]byte, 64<<20)
	advised, err := hugepages.Advised(unsafe.Pointer(&s[len(s)/2]))
	if err != nil {
		t.Skip(err)
	}
	if !advised {
		t.Error("a 64 MiB slice made after hugePageHeap(256 MiB) lies in memory without the huge-page advice")
	}
	s[0] = 1
}

// Below hugepages.From bytes nothing is reserved.
func TestHugePageHeapSmall(t *testing.T) {
	if hugePageHeap(hugepages.From - 1) {
		t.Error("hugePageHeap prepared less than hugepages.From bytes")
	}
}
