package hugepages

import (
	"testing"
	"unsafe"
)

// The kernel records the advice on a large slice's memory (its mapping's
// VmFlags list "hg") after Advise, and not before.
func TestAdviseMarksTheMapping(t *testing.T) {
	s := make([]float64, 4*From/8)
	p := unsafe.Pointer(&s[len(s)/2])
	before, err := Advised(p)
	if err != nil {
		t.Skip(err)
	}
	Advise(s)
	after, err := Advised(p)
	if err != nil {
		t.Fatal(err)
	}
	if before || !after {
		t.Errorf("a fresh %d-byte slice's mapping advised: %v before Advise, %v after; want false, true", 4*From, before, after)
	}
	s[len(s)/2] = 1 // kept alive until here
}

// A line of /proc/self/smaps names a mapping's range, or is one of its
// fields. (Addresses beyond a 32-bit system's are not tried there.)
func TestMappingRange(t *testing.T) {
	for _, c := range []struct {
		line   string
		lo, hi uint64
		ok     bool
	}{
		{"c000000000-c004000000 rw-p 00000000 00:00 0      [anon: Go: heap]", 0xc000000000, 0xc004000000, true},
		{"7ffd1a2b3000-7ffd1a2d4000 rw-p 00000000 00:00 0                          [stack]", 0x7ffd1a2b3000, 0x7ffd1a2d4000, true},
		{"Size:              65536 kB", 0, 0, false},
		{"VmFlags: rd wr mr mw me ac sd hg", 0, 0, false},
		{"08048000-08049000 r-xp 00000000 08:01 1234      /bin/a.out", 0x08048000, 0x08049000, true},
	} {
		if c.hi > uint64(^uintptr(0)) {
			continue
		}
		lo, hi, ok := mappingRange(c.line)
		if uint64(lo) != c.lo || uint64(hi) != c.hi || ok != c.ok {
			t.Errorf("mappingRange(%q) = %#x, %#x, %v; want %#x, %#x, %v", c.line, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
}
