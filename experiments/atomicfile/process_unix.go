//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// ProcessAlive reports whether a process with this id runs on this
// machine (signal 0 probes without signalling; EPERM means it exists but
// belongs to another user).
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
