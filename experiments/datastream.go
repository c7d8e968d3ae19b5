package experiments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments/atomicfile"
	"github.com/clv-dev/clv/experiments/inputfile"
)

// LogInput is a transaction log opened for one or more reads (one per
// backtest window). It is hashed while the first read streams it, never in
// a separate pass first; a FIFO, device or terminal (/dev/stdin) is
// streamed once, and every read stops when the context it was opened
// under ends.
type LogInput struct {
	// Name labels the data in messages and the manifest: the path as the
	// user gave it, or "embedded:NAME".
	Name string
	// Key is the flag or config key that named the data ("--data",
	// "data.path").
	Key     string
	path    string
	raw     []byte // embedded data
	file    *inputfile.File
	parquet bool
	reads   int
	db      *dbSource // a database (data.engine) instead of a file
	// aside is set when the log's checksum is computed on a goroutine
	// of its own instead of while it is read (see ChecksumAside); sumSize
	// is the bytes to hash, once noted (sized; see NoteRead); once
	// started, sumDone is closed when sumHex and sumErr hold its outcome.
	aside   bool
	sized   bool
	sumSize int64
	sumDone chan struct{}
	sumHex  string
	sumErr  error
}

// OpenLog opens the transaction log at path under ctx; format is the
// configured format ("" or "auto" to detect). name and key label it.
func OpenLog(ctx context.Context, path, name, key, format string) (*LogInput, error) {
	f, err := inputfile.Open(ctx, path, inputfile.Limits{})
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("opening %s %s: %w", key, name, err)}
	}
	l := &LogInput{Name: name, Key: key, path: path, file: f}
	l.parquet = isParquet(f, path, format)
	if l.parquet && !f.Regular() {
		f.Close()
		return nil, &DataError{Err: fmt.Errorf("%s %s: a Parquet file needs random access and this is a pipe or device: save it to a regular file first", key, name)}
	}
	return l, nil
}

// EmbeddedLog is a LogInput over data built into the binary.
func EmbeddedLog(name string, raw []byte) *LogInput {
	return &LogInput{Name: "embedded:" + name, Key: "data.embedded", raw: raw}
}

// isParquet reports whether the log is to be read as Parquet: by the
// format setting, the extension, or the magic bytes of a regular file.
func isParquet(f *inputfile.File, path, format string) bool {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "parquet":
		return true
	case "", "auto":
	default:
		return false
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet", ".pq":
		return true
	}
	if !f.Regular() {
		return false
	}
	var magic [4]byte
	n, _ := f.OS().ReadAt(magic[:], 0)
	return n == 4 && string(magic[:]) == "PAR1"
}

// Regular reports whether the log can be read more than once.
func (l *LogInput) Regular() bool { return l.raw != nil || l.db != nil || l.file.Regular() }

// Summarize reads the whole log into a summary. Rejected rows go to
// ro.RejectsPath as atomicfile writes outputs (a symbolic link is
// followed; a device or FIFO is written in place, not replaced).
func (l *LogInput) Summarize(ro datasets.ReadOptions, so datasets.SummaryOptions) (*datasets.Summary, error) {
	rejects, finish, err := stageRejects(ro.RejectsPath)
	if err != nil {
		return nil, err
	}
	ro.RejectsPath = rejects
	s, err := l.summarize(ro, so)
	if ferr := finish(err == nil); err == nil && ferr != nil {
		return nil, ferr
	}
	return s, err
}

func (l *LogInput) summarize(ro datasets.ReadOptions, so datasets.SummaryOptions) (*datasets.Summary, error) {
	defer func() { l.reads++ }()
	switch {
	case l.db != nil:
		return l.db.summarize(ro, so)
	case l.raw != nil:
		return datasets.Summarize(bytes.NewReader(l.raw), l.Name, ro, so)
	case l.parquet:
		// Parquet needs random access: the reader opens the file itself
		// and SHA256 hashes it afterwards.
		return datasets.SummarizeFile(l.path, ro, so)
	}
	if l.reads > 0 {
		if err := l.file.Rewind(); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Key, err)
		}
	}
	return datasets.Summarize(l.file.Reader(), l.path, ro, so)
}

// SHA256 returns the hex SHA-256 of the log (reading what the summaries
// did not), waiting for the checksum computed aside when there is one.
func (l *LogInput) SHA256() (string, error) {
	if l.db != nil {
		return "", nil // a database table has no file checksum
	}
	if l.raw != nil {
		h := sha256.Sum256(l.raw)
		return hex.EncodeToString(h[:]), nil
	}
	if l.aside {
		l.StartChecksum()
		<-l.sumDone
		return l.sumHex, l.sumErr
	}
	return l.file.SHA256()
}

// ChecksumAside takes the checksum of a regular text file off its reads:
// SHA-256 is a serial cost of about a second per gigabyte on the goroutine
// that feeds the parser, and a run's reads keep every core busy, so the
// file is hashed instead on a goroutine of its own from StartChecksum on
// (reading it again from the page cache): while the models are fitted,
// or once the score stage is done and a core is free (see checksumLate
// in runner.go). A FIFO or device is hashed as it is streamed (it
// cannot be read twice), Parquet after it is read, embedded data and a
// database as before. Call it before the first read.
func (l *LogInput) ChecksumAside() {
	if l.file == nil || !l.file.Regular() || l.parquet || l.reads > 0 {
		return
	}
	l.file.SkipChecksum()
	l.aside = true
}

// NoteRead records, after the log's first read, what its checksum taken
// aside (see ChecksumAside) is to hash: the bytes read (ReadEnd), not
// rows appended since, whenever the hashing starts (StartChecksum) and
// however often the log is read again meanwhile (a rolling backtest reads
// it once per window). Later calls, and calls for any other log, do
// nothing.
func (l *LogInput) NoteRead() {
	if !l.aside || l.sized {
		return
	}
	l.sumSize, l.sized = l.file.ReadEnd(), true
}

// StartChecksum starts hashing a log whose checksum is taken aside (see
// ChecksumAside) on a goroutine of its own: the bytes NoteRead noted
// (noted now if it was not called); later calls, and calls for any other
// log, do nothing. SHA256 waits for it.
func (l *LogInput) StartChecksum() {
	if !l.aside || l.sumDone != nil {
		return
	}
	l.NoteRead()
	l.sumDone = make(chan struct{})
	size := l.sumSize
	go func() {
		l.sumHex, l.sumErr = l.file.SHA256At(size)
		close(l.sumDone)
	}()
}

// checksumPending reports whether the log's checksum is taken aside and
// not started yet (StartChecksum).
func (l *LogInput) checksumPending() bool { return l.aside && l.sumDone == nil }

// SkipChecksum turns off the hashing of a log whose checksum is not
// needed (clv summarize, clv fit): SHA-256 is a serial cost of about half
// a second per gigabyte on the reading goroutine. A later SHA256 reads
// the file again.
func (l *LogInput) SkipChecksum() {
	if l.file != nil {
		l.file.SkipChecksum()
	}
}

// ends returns the first line and the last bytes (at most n, from the
// start of a line) of a text log that can be read at random places
// without disturbing its reading and hashing: an uncompressed regular
// file or embedded data. ok is false for anything else.
func (l *LogInput) ends(n int64) (first, last []byte, ok bool) {
	var at io.ReaderAt
	var size int64
	switch {
	case l.raw != nil:
		at, size = bytes.NewReader(l.raw), int64(len(l.raw))
	case l.file != nil && l.file.Regular() && !l.parquet && l.db == nil:
		st, err := l.file.OS().Stat()
		if err != nil {
			return nil, nil, false
		}
		at, size = l.file.OS(), st.Size()
	default:
		return nil, nil, false
	}
	first = make([]byte, min(n, size))
	if _, err := at.ReadAt(first, 0); err != nil && err != io.EOF {
		return nil, nil, false
	}
	if len(first) >= 2 && first[0] == 0x1f && first[1] == 0x8b {
		return nil, nil, false // gzip: no line is readable in place
	}
	if nl := bytes.IndexByte(first, '\n'); nl >= 0 {
		first = first[:nl+1]
	}
	from := max(int64(len(first)), size-n)
	last = make([]byte, size-from)
	if _, err := at.ReadAt(last, from); err != nil && err != io.EOF {
		return nil, nil, false
	}
	if from > int64(len(first)) {
		nl := bytes.IndexByte(last, '\n')
		if nl < 0 {
			return nil, nil, false
		}
		last = last[nl+1:]
	}
	return first, last, true
}

// Close closes the file, and returns once the checksum taken aside, if
// started, has ended: closing stops it (its reads fail at once), so an
// error path does not wait for a hash nobody will read.
func (l *LogInput) Close() error {
	if l.db != nil {
		return l.db.conn.Close()
	}
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	if l.sumDone != nil {
		<-l.sumDone
	}
	return err
}

// stageRejects prepares the rejects output path for the reader, which
// writes a regular file atomically: a symbolic link is resolved to its
// target, and a device, FIFO or terminal gets a temporary file that is
// copied into it once the read succeeded. finish(ok) does the copy (when
// ok) and removes the temporary file.
func stageRejects(path string) (string, func(ok bool) error, error) {
	none := func(bool) error { return nil }
	if path == "" {
		return "", none, nil
	}
	t, err := atomicfile.Resolve(path)
	if err != nil {
		return "", none, err
	}
	if t.Regular {
		return t.Path, none, nil
	}
	tmp, err := os.CreateTemp("", "clv-rejects-*.csv")
	if err != nil {
		return "", none, fmt.Errorf("rejects file: %w", err)
	}
	tmp.Close()
	return tmp.Name(), func(ok bool) error {
		defer os.Remove(tmp.Name())
		if !ok {
			return nil
		}
		return atomicfile.Write(path, func(w io.Writer) error {
			f, err := os.Open(tmp.Name())
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
	}, nil
}

// openRunData opens the data of a config run and checks, before any work,
// that the run's outputs are not its inputs and that a pipe or device is
// read only once.
func openRunData(ctx context.Context, cfg *Config) (*LogInput, error) {
	if cfg.Data.Engine != "" {
		return openEngineData(ctx, cfg)
	}
	if cfg.Data.Embedded != "" {
		raw, err := datasets.Embedded(cfg.Data.Embedded)
		if err != nil {
			return nil, &ConfigError{File: cfg.File, Problems: []Problem{{Key: "data.embedded", Message: err.Error()}}}
		}
		return EmbeddedLog(cfg.Data.Embedded, raw), nil
	}
	r := cfg.Resolved
	if err := atomicfile.CheckDistinct(
		[]atomicfile.Named{{Key: "data.rejects", Path: r.RejectsPath}},
		[]atomicfile.Named{{Key: "data.path", Path: r.DataPath}, {Key: "the config file", Path: r.ConfigFile}},
	); err != nil {
		return nil, &ConfigError{File: cfg.File, Problems: []Problem{{Key: "data.rejects", Message: err.Error()}}}
	}
	if st, err := os.Stat(r.DataPath); err == nil && !st.Mode().IsRegular() && len(r.Windows) > 1 {
		return nil, &DataError{Err: fmt.Errorf("data.path %s is a pipe or device, read once, but this rolling backtest reads the data once per window (%d windows): save it to a regular file first",
			cfg.Data.Path, len(r.Windows))}
	}
	return OpenLog(ctx, r.DataPath, cfg.Data.Path, "data.path", r.Format)
}
