package directfile

import (
	"os"
	"syscall"
)

// errInvalid is the error of a direct write the file system refuses.
var errInvalid = syscall.EINVAL

// setDirect turns direct writing of f on or off (fcntl F_SETFL O_DIRECT).
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	err = rc.Control(func(fd uintptr) {
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if errno != 0 {
			opErr = errno
			return
		}
		if on {
			flags |= syscall.O_DIRECT
		} else {
			flags &^= syscall.O_DIRECT
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags); errno != 0 {
			opErr = errno
		}
	})
	if err != nil {
		return err
	}
	return opErr
}

// alignedBuffer returns size bytes of page-aligned memory outside the Go
// heap (an anonymous mapping), to be released by releaseBuffer.
func alignedBuffer(size int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	return b, err == nil
}

// releaseBuffer unmaps a buffer of alignedBuffer.
func releaseBuffer(b []byte) { _ = syscall.Munmap(b) }
