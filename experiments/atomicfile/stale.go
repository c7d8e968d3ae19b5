package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StaleAge is the age after which a temporary file or staging folder is
// stale even when its owner cannot be checked (it names no process, or a
// process id that may have been reused).
const StaleAge = 24 * time.Hour

// Stale reports whether something a process left behind is stale: the
// process pid (0 when unknown) is not running on this machine, or modified
// is older than StaleAge.
func Stale(pid int, modified, now time.Time) bool {
	if pid > 0 && !ProcessAlive(pid) {
		return true
	}
	return now.Sub(modified) > StaleAge
}

// TempOwner returns the process id recorded in the name of a temporary
// file made with TempPattern (".<name>.tmp-<pid>-<random>"), 0 when the
// name has none, and whether name is such a temporary file at all.
func TempOwner(name string) (pid int, ok bool) {
	if !strings.HasPrefix(name, ".") {
		return 0, false
	}
	i := strings.LastIndex(name, ".tmp-")
	if i <= 0 {
		return 0, false
	}
	rest := name[i+len(".tmp-"):]
	p, _, found := strings.Cut(rest, "-")
	if !found {
		return 0, true // an older name: random digits only
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 {
		return 0, true
	}
	return n, true
}

// RemoveStale removes the stale temporary files (see TempPattern and
// Stale) that a killed writer left in dir, and returns their paths. A
// missing dir is not an error; a file that cannot be removed is left.
func RemoveStale(dir string, now time.Time) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		pid, ok := TempOwner(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || !Stale(pid, info.ModTime(), now) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
