//go:build linux

package hugepages

import (
	"syscall"
	"testing"
)

// BenchmarkFirstTouch writes one byte in every 4 KiB page of 64 MiB of
// fresh anonymous memory (the first touch of a large slice the runtime has
// just mapped), with and without Advise; its ratio is the page faults'
// share of a first touch, which Advise cuts.
func BenchmarkFirstTouch(b *testing.B) {
	const size = 64 << 20
	for _, c := range []struct {
		name   string
		advise bool
	}{{"4KiB", false}, {"advised", true}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				// 2 MiB more than needed, so that a 2 MiB-aligned range
				// of size bytes lies inside.
				m, err := syscall.Mmap(-1, 0, size+2<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
				if err != nil {
					b.Fatal(err)
				}
				s := m
				if c.advise {
					Advise(s)
				}
				for i := 0; i < len(s); i += 4096 {
					s[i] = 1
				}
				if err := syscall.Munmap(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
