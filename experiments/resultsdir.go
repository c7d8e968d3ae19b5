package experiments

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/clv-dev/clv/internal/directfile"
)

// resultsDir writes a results folder atomically: every file goes into a
// hidden staging folder beside the destination, which is renamed into place
// only by commit. An interrupted run leaves at most a hidden ".partial"
// folder, never one that looks complete; abort removes the staging folder.
type resultsDir struct {
	final   string
	staging string
	// generated: final is a generated name that may take a suffix to be
	// unique (see staging.go).
	generated bool
	// ctx, when set, ends the writing of a file when it ends (the run
	// was cancelled, or another writer failed).
	ctx context.Context
	// durable syncs its files in the background (see resultsync.go); its
	// ops are also the calls that put the folder in place (tests replace
	// them).
	durable *syncer
}

// newResultsDir creates the staging folder for final (which must not exist).
func newResultsDir(final string) (*resultsDir, error) {
	if _, err := os.Stat(final); err == nil {
		return nil, fmt.Errorf("results folder %s already exists: choose another results folder or remove it", final)
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating the results folder's parent %s: %w", parent, err)
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(final)+stagingMarker)
	if err != nil {
		return nil, fmt.Errorf("creating a staging folder in %s: %w", parent, err)
	}
	if err := writeOwner(staging); err != nil {
		_ = os.RemoveAll(staging)
		return nil, fmt.Errorf("creating a staging folder in %s: %w", parent, err)
	}
	return &resultsDir{final: final, staging: staging, durable: newSyncer(staging, systemFileOps())}, nil
}

// useOps replaces the calls that make the folder durable and put it in
// place.
func (r *resultsDir) useOps(ops fileOps) { r.durable.ops = ops }

// path returns the staging path of a file inside the folder.
func (r *resultsDir) path(name string) string { return filepath.Join(r.staging, name) }

// writeFile writes a new file (and its parent folders) in the staging
// folder through write, and hands it to the folder's syncer (commit waits
// for the sync).
func (r *resultsDir) writeFile(name string, write func(w io.Writer) error) error {
	return r.writeFileVia(name, false, write)
}

// writeLargeFile writes a file as writeFile does, past the page cache
// where the system allows it (internal/directfile): for the predictions,
// hundreds of megabytes at a million customers, whose copy into cached
// pages would cost more CPU than writing them to the disk.
func (r *resultsDir) writeLargeFile(name string, write func(w io.Writer) error) error {
	return r.writeFileVia(name, true, write)
}

// writeFileVia writes a file, past the page cache when large.
func (r *resultsDir) writeFileVia(name string, large bool, write func(w io.Writer) error) error {
	p := r.path(name)
	r.durable.claim(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	var file io.Writer = f
	var dw *directfile.Writer
	if large {
		r.durable.beginLarge()
		defer r.durable.endLarge() // after the file's own sync is handed over
		dw = directfile.NewWriter(f)
		dw.SyncEvery(largeSyncEvery) // see resultsync.go
		file = dw
	}
	var out io.Writer = file
	if r.ctx != nil {
		out = ctxWriter{ctx: r.ctx, w: file}
	}
	bw := bufio.NewWriter(out)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if dw != nil {
		// Releases its buffer and waits for its background sync, also
		// after a failure.
		if cerr := dw.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	r.durable.add(name, f) // synced and closed in the background
	return nil
}

// writeJSON writes v as indented JSON with a final newline.
func (r *resultsDir) writeJSON(name string, v any) error {
	return r.writeFile(name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// sweep starts syncing the files other code wrote into the staging
// folder (the figures, the report); it must be called when no writer is
// running.
func (r *resultsDir) sweep() { r.durable.sweep() }

// commit makes the staging folder durable and renames it into place (see
// commitStaging).
func (r *resultsDir) commit() error { return commitStaging(r) }

// abort waits for the syncs under way and removes the staging folder.
func (r *resultsDir) abort() {
	r.durable.abandon() // no sync of what is removed: an interrupted run has a short grace
	_ = r.durable.wait()
	_ = os.RemoveAll(r.staging)
}
