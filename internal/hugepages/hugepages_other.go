//go:build !linux

package hugepages

import (
	"errors"
	"unsafe"
)

// Supported reports whether Advise can ask for huge pages here: not
// outside Linux.
const Supported = false

// Advise does nothing outside Linux (see hugepages_linux.go).
func Advise[T any](s []T) {}

// Advised reports errors.ErrUnsupported outside Linux.
func Advised(p unsafe.Pointer) (bool, error) { return false, errors.ErrUnsupported }
