//go:build !linux

package directfile

import (
	"errors"
	"os"
)

// errInvalid is never returned where direct writing is unavailable.
var errInvalid = errors.New("direct writing unavailable")

// setDirect fails: direct writing is Linux's O_DIRECT only.
func setDirect(*os.File, bool) error { return errInvalid }

// alignedBuffer returns no buffer: a Writer writes straight to its file.
func alignedBuffer(int) ([]byte, bool) { return nil, false }

// releaseBuffer does nothing.
func releaseBuffer([]byte) {}
