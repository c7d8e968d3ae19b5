package experiments

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clv-dev/clv/experiments/atomicfile"
)

// opsLog records the syncs and renames of a results folder, in order, as
// "sync NAME" (NAME relative to the parent folder of the results, "." for
// the parent itself) and "rename"; failSync names a sync (as recorded)
// that fails with EIO instead.
type opsLog struct {
	parent   string
	failSync string
	mu       sync.Mutex
	calls    []string
}

func (l *opsLog) ops() *fileOps {
	return &fileOps{
		sync: func(f *os.File) error {
			name, err := filepath.Rel(l.parent, f.Name())
			if err != nil {
				return err
			}
			// The staging folder's name is random: record it as "staging".
			if first, rest, _ := strings.Cut(filepath.ToSlash(name), "/"); strings.Contains(first, stagingMarker) {
				name = filepath.Join("staging", rest)
			}
			call := "sync " + filepath.ToSlash(name)
			err = f.Sync()
			if call == l.failSync {
				err = syscall.EIO
			}
			l.record(call) // once the sync has returned
			return err
		},
		rename: func(oldPath, newPath string) error {
			l.record("rename")
			return os.Rename(oldPath, newPath)
		},
	}
}

func (l *opsLog) record(call string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call)
}

// stagedResults returns a results folder "run" being staged in a new
// parent folder, its calls recorded.
func stagedResults(t *testing.T) (*resultsDir, *opsLog) {
	t.Helper()
	parent := t.TempDir()
	rd := stagingIn(t, parent)
	log := &opsLog{parent: parent}
	rd.useOps(*log.ops())
	return rd, log
}

// entriesOf lists what a finished results folder holds as the syncs of
// its files and folders are recorded ("sync staging/NAME").
func entriesOf(t *testing.T, dir string) []string {
	t.Helper()
	var want []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		want = append(want, "sync "+filepath.ToSlash(filepath.Join("staging", rel)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// Every file and folder of a results folder is synced before it is
// renamed into place, and the parent folder after: the files written
// through the folder (small, and large past the page cache) and those
// other code wrote into it (a figure before a sweep, the report after
// it), in a subfolder too.
func TestCommitSyncsEverythingBeforeRename(t *testing.T) {
	rd, log := stagedResults(t)
	write := func(w io.Writer) error { _, err := io.WriteString(w, "x,y\n1,2\n"); return err }
	if err := rd.writeJSON("metrics.json", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := rd.writeLargeFile("predictions.csv", write); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(rd.staging, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(rd.staging, "plots", "gains.png"), []byte("png")); err != nil {
		t.Fatal(err)
	}
	rd.sweep()
	if err := atomicfile.WriteBytes(filepath.Join(rd.staging, "report.html"), []byte("<p>")); err != nil {
		t.Fatal(err)
	}
	if err := rd.writeJSON("manifest.json", map[string]int{"b": 2}); err != nil {
		t.Fatal(err)
	}
	if err := rd.commit(); err != nil {
		t.Fatal(err)
	}
	want := entriesOf(t, rd.final)
	if len(want) != 7 { // the folder, plots/, 5 files
		t.Fatalf("the results folder holds %v, want 5 files and 2 folders", want)
	}
	at := slices.Index(log.calls, "rename")
	if at < 0 || !slices.Equal(log.calls[at:], []string{"rename", "sync ."}) {
		t.Fatalf("calls %v: want the rename, then the parent's sync, last", log.calls)
	}
	before := log.calls[:at]
	for _, w := range want {
		if !slices.Contains(before, w) {
			t.Errorf("%s did not happen before the rename (calls %v)", w, log.calls)
		}
	}
	if _, err := os.Stat(filepath.Join(rd.final, StagingOwnerFile)); err == nil {
		t.Error("the results folder keeps the staging owner file")
	}
}

// While a large file is being written the syncs of the files completed
// meanwhile wait (a sync would hold up its direct writes), and all start
// once it is complete.
func TestSyncsWaitForLargeFile(t *testing.T) {
	rd, log := stagedResults(t)
	err := rd.writeLargeFile("predictions.csv", func(w io.Writer) error {
		if err := rd.writeJSON("metrics.json", 1); err != nil {
			return err
		}
		rd.durable.mu.Lock()
		held := len(rd.durable.held)
		rd.durable.mu.Unlock()
		if held != 1 {
			t.Errorf("%d syncs wait while the large file is written, want metrics.json's", held)
		}
		_, err := io.WriteString(w, "x\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.durable.wait(); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(log.calls)
	slices.Sort(got)
	if want := []string{"sync staging/metrics.json", "sync staging/predictions.csv"}; !slices.Equal(got, want) {
		t.Errorf("synced %v, want %v", got, want)
	}
}

// A failed sync of a file, of a folder or of the parent after the rename
// fails the run with the name of what failed, and leaves nothing in the
// parent folder: neither a results folder nor a staging folder.
func TestFailedSyncFailsRunCleanly(t *testing.T) {
	for _, tc := range []struct{ failSync, want string }{
		{"sync staging/metrics.json", "writing metrics.json: syncing it to disk: input/output error"},
		{"sync staging/predictions.csv", "writing predictions.csv: syncing it to disk"},
		{"sync staging/plots/gains.png", "writing " + filepath.Join("plots", "gains.png") + ": syncing it to disk"},
		{"sync staging/report.html", "writing report.html: syncing it to disk"},
		{"sync staging/manifest.json", "writing manifest.json: syncing it to disk"},
		{"sync staging/plots", "syncing the folder"},
		{"sync .", "syncing the folder"},
	} {
		t.Run(tc.failSync, func(t *testing.T) {
			cfg := quickstartWriters(t, "csv")
			parent := t.TempDir()
			log := &opsLog{parent: parent, failSync: tc.failSync}
			report := func(dir string, _ *Artifacts) error {
				return atomicfile.WriteBytes(filepath.Join(dir, "report.html"), []byte("<p>"))
			}
			plots := func(dir string, _ *Artifacts) error {
				if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
					return err
				}
				return atomicfile.WriteBytes(filepath.Join(dir, "plots", "gains.png"), []byte("png"))
			}
			o := RunOptions{OutDir: filepath.Join(parent, "run"), Plots: plots, Report: report, fileOps: log.ops()}
			_, err := Run(context.Background(), cfg, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if !errors.Is(err, syscall.EIO) {
				t.Errorf("error %v does not wrap the sync's", err)
			}
			if !slices.Contains(log.calls, tc.failSync) {
				t.Errorf("%s was never called: %v", tc.failSync, log.calls)
			}
			leftBehind(t, parent)
		})
	}
}

// An aborted run does not sync the files it is about to remove: the syncs
// held for a large file only close their files, and the staging folder
// goes.
func TestAbortSkipsPendingSyncs(t *testing.T) {
	rd, log := stagedResults(t)
	rd.durable.beginLarge() // a large file is being written: syncs wait
	if err := rd.writeJSON("metrics.json", 1); err != nil {
		t.Fatal(err)
	}
	aborted := make(chan struct{})
	go func() { rd.abort(); close(aborted) }()
	select {
	case <-aborted:
	case <-time.After(10 * time.Second):
		rd.durable.endLarge() // lets abort end
		<-aborted
		t.Fatal("abort waits for the syncs held for the large file")
	}
	if len(log.calls) != 0 {
		t.Errorf("an aborted run synced %v", log.calls)
	}
	if _, err := os.Stat(rd.staging); !os.IsNotExist(err) {
		t.Errorf("the staging folder is still there (%v)", err)
	}
}
