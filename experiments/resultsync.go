package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/clv-dev/clv/experiments/atomicfile"
)

// Durable results folders.
//
// A results folder appears under its final name only once every file in
// it and every folder of it is on the disk (fsync), so that a crash after
// the rename never leaves a folder that looks complete and is not; the
// rename itself is then made durable by syncing the parent folder.
//
// The syncs stay off the run's critical path. A file written through
// resultsDir is handed, still open, to the folder's syncer as soon as it is
// complete, and synced in the background while the run goes on; the files
// that other code wrote into the staging folder (the figures, the report)
// are found by a sweep of the folder once their writers have ended (sweep).
// commit then waits for every file's sync, syncs the folders, renames the
// staging folder into place and syncs its parent. Each sync runs in its own
// goroutine: they wait on the disk, not on a processor, and concurrent
// syncs of one file system share its journal commits (ext4) where one
// after the other would each wait for their own.
//
// A sync forces a journal commit, which holds up the direct writes of a
// large file meanwhile (internal/directfile: measured on ext4, a 4 MB
// direct write waited 0.15-0.24 s behind the sync of a 10-byte file, as
// long as the sync), and with them the predictions file's formatting. So
// while a large file is being written the syncs handed over wait, and all
// start together when it is complete, its own among them.
//
// The large file itself is synced in the background every largeSyncEvery
// bytes while it is written (directfile.Writer.SyncEvery), so that its
// final sync has little left to flush. Each such sync holds up its direct
// writes too, but a short one is absorbed by the blocks its formatters
// have ready (two workers with three blocks of about 1.2 MB each for the
// predictions): on the 1M-customer run (600 MB of predictions), syncs
// every 128 MB held the writer up 0.05-0.1 s each and left 0.1-0.2 s of
// final sync; every 16 MB, the process waited on the disk less than
// 0.03 s in all, against 0.25-0.35 s with one sync at the end.

// fileOps are the calls that make a results folder durable and put it in
// place; tests replace them to record their order or to make one fail.
type fileOps struct {
	sync   func(f *os.File) error
	rename func(oldPath, newPath string) error
}

// systemFileOps are the operating system's calls.
func systemFileOps() fileOps { return fileOps{sync: (*os.File).Sync, rename: os.Rename} }

// syncer syncs the files of a staging folder in the background.
type syncer struct {
	root string // the staging folder
	ops  fileOps
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen map[string]bool // files handed over (or being written), by name in root
	err  error           // the first failed sync
	// large counts the large files being written; held are the syncs
	// that wait for their end.
	large int
	held  []func()
	// abandoned: the folder is about to be removed; syncs not yet begun
	// only close their files.
	abandoned atomic.Bool
}

// largeSyncEvery is the bytes of a large file between its background
// syncs while it is written.
const largeSyncEvery = 16 << 20

func newSyncer(root string, ops fileOps) *syncer {
	return &syncer{root: root, ops: ops, seen: map[string]bool{}}
}

// claim records that name is written through resultsDir, which hands it
// over itself once complete: a sweep leaves it alone.
func (s *syncer) claim(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[name] = true
}

// add syncs and closes f, the complete file name of the folder, in the
// background, once no large file is being written. A failure is kept for
// wait, naming the file.
func (s *syncer) add(name string, f *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[name] = true
	s.wg.Add(1)
	start := func() {
		go func() {
			defer s.wg.Done()
			var err error
			if !s.abandoned.Load() {
				err = s.ops.sync(f)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				s.fail(fmt.Errorf("writing %s: syncing it to disk: %w", name, err))
			}
		}()
	}
	if s.large > 0 {
		s.held = append(s.held, start)
		return
	}
	start()
}

// beginLarge records that a large file is being written: the syncs handed
// over from now on wait for endLarge.
func (s *syncer) beginLarge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.large++
}

// endLarge records that a large file was written (or failed) and starts
// the syncs held once no other is being written.
func (s *syncer) endLarge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.large--; s.large > 0 {
		return
	}
	s.startHeld()
}

// abandon gives up the syncs not yet begun, for a folder about to be
// removed: their files are only closed, those held for a large file at
// once. A sync already running ends on its own (wait waits for it).
func (s *syncer) abandon() {
	s.abandoned.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startHeld()
}

// startHeld starts the syncs held for the large files; s.mu is held.
func (s *syncer) startHeld() {
	for _, start := range s.held {
		start()
	}
	s.held = nil
}

// fail keeps the first failure.
func (s *syncer) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// sweep hands over the complete files in the folder that were not written
// through resultsDir (the figures, the report): it must be called when no
// other writer is running. Temporary files (atomicfile's) and the owner
// file are left out; a file that cannot be opened fails the folder.
func (s *syncer) sweep() {
	var files []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		name, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		if _, temp := atomicfile.TempOwner(d.Name()); !temp && name != StagingOwnerFile {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		s.fail(fmt.Errorf("syncing the results folder %s to disk: %w", s.root, err))
		return
	}
	s.mu.Lock()
	files = slices.DeleteFunc(files, func(name string) bool { return s.seen[name] })
	s.mu.Unlock()
	for _, name := range files {
		f, err := os.OpenFile(filepath.Join(s.root, name), syncOpenFlag(), 0)
		if err != nil {
			s.fail(fmt.Errorf("writing %s: syncing it to disk: %w", name, err))
			continue
		}
		s.add(name, f)
	}
}

// wait waits for the syncs handed over and returns the first failure.
func (s *syncer) wait() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// syncFolders syncs root and every folder in it (their entries: the names
// of the files), concurrently.
func (s *syncer) syncFolders() error {
	var dirs []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("syncing the results folder %s to disk: %w", s.root, err)
	}
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, dir := range dirs {
		wg.Go(func() { errs[i] = syncFolder(s.ops, dir) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// folderSyncable: Windows cannot sync a folder (its file system journals
// the names itself).
const folderSyncable = runtime.GOOS != "windows"

// syncOpenFlag opens a file to sync it: read-only but on Windows, which
// syncs only a file open for writing.
func syncOpenFlag() int {
	if runtime.GOOS == "windows" {
		return os.O_RDWR
	}
	return os.O_RDONLY
}

// syncFolder syncs a folder's entries where the system can (folderSyncable).
func syncFolder(ops fileOps, dir string) error {
	if !folderSyncable {
		return nil
	}
	f, err := os.Open(dir)
	if err == nil {
		err = ops.sync(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("syncing the folder %s to disk: %w", dir, err)
	}
	return nil
}
