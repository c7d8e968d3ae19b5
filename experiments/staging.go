package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/clv-dev/clv/experiments/atomicfile"
)

// A run writes its results into a hidden staging folder beside the final
// one, named ".<final>.partial-<random>", which holds an owner file
// (StagingOwnerFile: the process id and host name of the run) until it is
// renamed into place. A run killed with SIGKILL leaves its staging folder
// behind; the next run into the same parent folder removes it when it is
// stale:
//
//   - its owner is a process of this host that is no longer running, or
//   - it is older than atomicfile.StaleAge (24 hours): a run of another
//     host, a folder without an owner file, or a process id reused since.
//
// Results folders whose name was generated (<UTC time>-<config hash>) are
// made unique: when two runs of one config started in the same second,
// the second to finish gets "-2" (then "-3", …) appended, instead of
// failing. A folder named by --out must not exist.

// StagingOwnerFile is the file in a staging folder that names its owner.
const StagingOwnerFile = ".clv-owner"

// stagingMarker is in the name of every staging folder.
const stagingMarker = ".partial-"

// IsStagingFolder reports whether dir is the staging folder of a run that
// has not finished (or was killed): by its name, or by its owner file.
func IsStagingFolder(dir string) bool {
	base := filepath.Base(filepath.Clean(dir))
	if strings.HasPrefix(base, ".") && strings.Contains(base, stagingMarker) {
		return true
	}
	_, err := os.Lstat(filepath.Join(dir, StagingOwnerFile))
	return err == nil
}

// stageResults creates the staging folder of a run (Run and the driver
// call it instead of newResultsDir): it checks the results path, removes
// stale staging folders beside it, and records this process as the owner.
func stageResults(cfg *Config, o RunOptions, started time.Time) (*resultsDir, error) {
	final := resultsPath(cfg, o, started)
	key := "output.dir"
	if o.OutDir != "" {
		key = "--out"
	}
	if strings.ContainsRune(final, 0) {
		return nil, &ConfigError{File: cfg.File, Problems: []Problem{{Key: key, Message: fmt.Sprintf("%s: the results path %q holds a NUL byte, which no file name can: fix the path", key, final)}}}
	}
	RemoveStaleStaging(filepath.Dir(final), time.Now())
	generated := o.OutDir == ""
	if generated {
		final = freeName(final)
	}
	rd, err := newResultsDir(final)
	if err != nil {
		return nil, err
	}
	rd.generated = generated
	if o.fileOps != nil {
		rd.useOps(*o.fileOps)
	}
	return rd, nil
}

// freeName returns final, or final-2, final-3, … : the first that does not
// exist.
func freeName(final string) string {
	name := final
	for n := 2; n < 1000; n++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = final + "-" + strconv.Itoa(n)
	}
	return name
}

// writeOwner records this process as the owner of a staging folder.
func writeOwner(staging string) error {
	host, _ := os.Hostname()
	return os.WriteFile(filepath.Join(staging, StagingOwnerFile), []byte(strconv.Itoa(os.Getpid())+" "+host+"\n"), 0o644)
}

// stagingOwner reads the owner of a staging folder: its process id when it
// ran on this host, else 0.
func stagingOwner(staging string) int {
	b, err := os.ReadFile(filepath.Join(staging, StagingOwnerFile))
	if err != nil {
		return 0
	}
	pidText, host, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	pid, err := strconv.Atoi(pidText)
	if me, _ := os.Hostname(); err != nil || host != me {
		return 0
	}
	return pid
}

// RemoveStaleStaging removes the stale staging folders (see above) in
// parent and returns their paths. Errors are ignored: a folder that cannot
// be removed is left for later.
func RemoveStaleStaging(parent string, now time.Time) []string {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, ".") || !strings.Contains(name, stagingMarker) {
			continue
		}
		p := filepath.Join(parent, name)
		info, err := e.Info()
		if err != nil || !atomicfile.Stale(stagingOwner(p), info.ModTime(), now) {
			continue
		}
		if os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// commitStaging makes the staging folder durable (resultsync.go): it
// syncs every file in it, removes the owner file, syncs every folder in
// it, renames it
// into place and syncs the parent folder, so that the new name lasts too.
// A generated name that another run took meanwhile gets the next free
// suffix -2, -3, … (r.final is updated). After a failure no folder is
// left under the final name and the staging folder has its owner again
// (the run's abort removes it).
func commitStaging(r *resultsDir) (err error) {
	defer func() {
		if err != nil {
			_ = writeOwner(r.staging)
		}
	}()
	r.durable.sweep()
	err = r.durable.wait()
	if err == nil {
		// The owner file goes only now, so that a run killed while its
		// files were synced leaves a staging folder that names its owner
		// (RemoveStaleStaging removes it once that process is gone); the
		// folders' sync makes its removal durable.
		_ = os.Remove(filepath.Join(r.staging, StagingOwnerFile))
		err = r.durable.syncFolders()
	}
	if err != nil {
		return err
	}
	final, err := renameStaging(r)
	if err != nil {
		return err
	}
	if err := syncFolder(r.durable.ops, filepath.Dir(final)); err != nil {
		// The name may not outlast a crash: take it back.
		if r.durable.ops.rename(final, r.staging) != nil {
			_ = os.RemoveAll(final)
		}
		return err
	}
	r.final = final
	return nil
}

// renameStaging renames the staging folder to r.final or, for a generated
// name taken meanwhile, the next free one, and returns the name.
func renameStaging(r *resultsDir) (string, error) {
	final := r.final
	for n := 0; ; n++ {
		err := r.durable.ops.rename(r.staging, final)
		if err == nil {
			return final, nil
		}
		taken := errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY)
		if !r.generated || !taken || n > 100 {
			return "", fmt.Errorf("moving the results into %s: %w", final, err)
		}
		final = freeName(r.final)
	}
}
