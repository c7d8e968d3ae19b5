package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Named is a file the user named, with the flag or config key that named
// it (such as "--out" or "data.rejects"), for messages.
type Named struct {
	Key  string
	Path string
}

// SameFileError reports an output that is the same file as an input (or
// as another output): writing it would destroy what is read.
type SameFileError struct {
	Output Named
	Other  Named
}

// Error names both keys and both paths and says what to do.
func (e *SameFileError) Error() string {
	return fmt.Sprintf("%s %s is the same file as %s %s: writing it would overwrite that file; name another file for %s",
		e.Output.Key, e.Output.Path, e.Other.Key, e.Other.Path, e.Output.Key)
}

// CheckDistinct returns a *SameFileError when an output is the same file
// as an input or as another output: the same path, another path to it, or
// a symbolic link to it (os.SameFile after following links). Empty paths
// and "-" (standard output) are skipped, and so are outputs that exist and
// are not regular files (a device or FIFO is written in place and
// replaces nothing).
func CheckDistinct(outputs, inputs []Named) error {
	type out struct {
		Named
		target string
		info   os.FileInfo
	}
	var outs []out
	for _, o := range outputs {
		if o.Path == "" || o.Path == "-" {
			continue
		}
		t, err := Resolve(o.Path)
		if err != nil {
			continue // the write reports it
		}
		if t.Exists && !t.Regular {
			continue
		}
		abs, err := filepath.Abs(t.Path)
		if err != nil {
			abs = t.Path
		}
		info, _ := os.Stat(t.Path)
		outs = append(outs, out{Named: o, target: abs, info: info})
	}
	for i, o := range outs {
		for _, p := range outs[:i] {
			if o.target == p.target || (o.info != nil && p.info != nil && os.SameFile(o.info, p.info)) {
				return &SameFileError{Output: o.Named, Other: p.Named}
			}
		}
		if o.info == nil {
			continue
		}
		for _, in := range inputs {
			if in.Path == "" || in.Path == "-" {
				continue
			}
			if info, err := os.Stat(in.Path); err == nil && os.SameFile(o.info, info) {
				return &SameFileError{Output: o.Named, Other: in}
			}
		}
	}
	return nil
}
