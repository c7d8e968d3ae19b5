// Package hugepages asks the operating system to back large memory with
// transparent huge pages (2 MiB on amd64 and arm64 Linux) where the system
// leaves that choice to the program (Linux's THP "madvise" mode).
//
// A large slice is touched page by page the first time it is written: with
// 4 KiB pages every 4 KiB costs a page fault, with huge pages every 2 MiB
// does, and the TLB covers 512 times the memory. On a virtual machine a
// first-touch fault is expensive (about 15 µs of CPU on the machine these
// figures come from, where touching 1 GiB page by page cost 3.5-4 CPU-s
// and the same gigabyte in huge pages already used by the process 0.06 s).
// The advice changes no data, and its failure is of no consequence.
package hugepages

// From is the size in bytes from which Advise asks for huge pages: a
// smaller slice spans few huge pages, and the runtime packs small objects
// among others' whose memory is touched already.
const From = 8 << 20
