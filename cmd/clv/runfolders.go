package main

import (
	"path/filepath"
	"time"

	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/atomicfile"
)

// checkFinishedRun refuses the staging folder of a run that did not finish
// (".NAME.partial-…", or a folder holding a staging owner file): its files
// may be half of a result.
func checkFinishedRun(dir string) error {
	if experiments.IsStagingFolder(dir) {
		return usageErrf("%s is the staging folder of a run that did not finish (or is still running), not a results folder: name the finished folder the run printed", dir)
	}
	return nil
}

// removeStaleTemps removes the temporary files a killed `clv report` left
// in a results folder and its plots/ (see atomicfile.RemoveStale for the
// rule: the writing process is gone, or the file is a day old).
func removeStaleTemps(dir string) {
	now := time.Now()
	atomicfile.RemoveStale(dir, now)
	atomicfile.RemoveStale(filepath.Join(dir, "plots"), now)
}
