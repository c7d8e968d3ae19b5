//go:build unix

package experiments

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets"
)

// A FIFO is read once: a single-window run streams it (the checksum taken
// on the way); a rolling backtest, which would read it once per window,
// is refused before reading.
func TestRunReadsFIFOOnce(t *testing.T) {
	cfgPath, dataPath := quickstartFileConfig(t, "log.csv")
	raw, _ := os.ReadFile(dataPath)
	fifo := filepath.Join(filepath.Dir(dataPath), "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write(raw)
			f.Close()
		}
	}()
	cfg, err := Load(cfgPath, []string{"data.path=" + fifo})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fileCfg, _ := Load(cfgPath, nil)
	fileOut, err := Run(context.Background(), fileCfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Metrics.(*MetricsFile).Data.SHA256 != fileOut.Metrics.(*MetricsFile).Data.SHA256 || out.Metrics.(*MetricsFile).Data.RowsRead != fileOut.Metrics.(*MetricsFile).Data.RowsRead {
		t.Errorf("FIFO read %d rows (sha %s), the file %d (sha %s)", out.Metrics.(*MetricsFile).Data.RowsRead, out.Metrics.(*MetricsFile).Data.SHA256,
			fileOut.Metrics.(*MetricsFile).Data.RowsRead, fileOut.Metrics.(*MetricsFile).Data.SHA256)
	}
	cfg, err = Load(cfgPath, []string{"data.path=" + fifo, "split.origins=[2024-06-30]"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, RunOptions{})
	var de *DataError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "once per window") {
		t.Errorf("rolling backtest on a FIFO: %v, want a DataError", err)
	}
}

// /dev/zero as data fails at once (a data error) instead of being hashed
// forever; a FIFO nobody writes to is abandoned when the
// run is cancelled.
func TestRunOnEndlessInputs(t *testing.T) {
	cfgPath, dataPath := quickstartFileConfig(t, "log.csv")
	if _, err := os.Stat("/dev/zero"); err == nil {
		cfg, err := Load(cfgPath, []string{"data.path=/dev/zero"})
		if err != nil {
			t.Fatal(err)
		}
		var de *DataError
		if _, err := Run(context.Background(), cfg, RunOptions{}); !errors.As(err, &de) {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	fifo := filepath.Join(filepath.Dir(dataPath), "silent.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfg, err := Load(cfgPath, []string{"data.path=" + fifo})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := Run(ctx, cfg, RunOptions{}); done <- err }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled run on a silent FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end after the cancel")
	}
}

// LogInput streams a pipe once and refuses a second read.
func TestLogInputSecondReadOfPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.WriteString("customer_id,date\na,2024-01-01\na,2024-02-01\n")
			f.Close()
		}
	}()
	l, err := OpenLog(context.Background(), fifo, "p.csv", "--data", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	so := datasets.SummaryOptions{Unit: datasets.Unit{}, CalibrationEnd: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	so.Unit, _ = datasets.ParseUnit("week")
	ro := datasets.ReadOptions{Amount: datasets.NoColumn()}
	if s, err := l.Summarize(ro, so); err != nil || s.Accounting.RowsRead != 2 {
		t.Fatalf("first read: %v", err)
	}
	if _, err := l.Summarize(ro, so); err == nil || !strings.Contains(err.Error(), "cannot be read twice") {
		t.Errorf("second read of a pipe: %v", err)
	}
}

// Rejected rows sent to a FIFO are written into it; the FIFO stays.
func TestRejectsIntoFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rejects")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	l := EmbeddedLog("test", []byte("customer_id,date\na,2024-01-01\nb,someday\n"))
	unit, _ := datasets.ParseUnit("week")
	_, err := l.Summarize(datasets.ReadOptions{Amount: datasets.NoColumn(), OnBadRow: "skip", RejectsPath: fifo},
		datasets.SummaryOptions{Unit: unit, CalibrationEnd: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if !strings.Contains(s, "someday") {
			t.Errorf("the FIFO carried %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came through the FIFO")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced (%v)", err)
	}
}
