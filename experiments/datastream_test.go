package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
)

// quickstartFileConfig writes the embedded quickstart log to a file in a
// fresh folder and a config reading it; extra holds more YAML lines.
func quickstartFileConfig(t *testing.T, dataName string, extra ...string) (cfgPath, dataPath string) {
	t.Helper()
	dir := t.TempDir()
	raw, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	dataPath = filepath.Join(dir, dataName)
	if err := os.WriteFile(dataPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `name: files
data:
  path: ` + dataPath + `
  customer: customer_id
  date: date
split:
  unit: week
  calibration_end: 2024-09-29
  holdout_end: 2025-06-29
models: [average]
spend_model: none
output:
  dir: ` + filepath.Join(dir, "results") + `
  plots: false
  report: false
` + strings.Join(extra, "\n") + "\n"
	cfgPath = filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataPath
}

// The checksum in metrics.json and the manifest is that of the file,
// computed aside (the reads do not hash a regular file; with the
// predictions written, it waits for the score stage: see checksumLate):
// in a backtest, a rolling backtest (whose every window reads the file)
// and a forecast.
func TestRunHashesAside(t *testing.T) {
	cfgPath, dataPath := quickstartFileConfig(t, "log.csv")
	raw, _ := os.ReadFile(dataPath)
	want := sha256.Sum256(raw)
	for _, over := range [][]string{nil, {"split.origins=[2024-06-30]"}, {"split.holdout_end=", "models=[bgnbd]"}} {
		cfg, err := Load(cfgPath, over)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(context.Background(), cfg, RunOptions{})
		if err != nil {
			t.Fatal(over, err)
		}
		if got := out.Metrics.(*MetricsFile).Data.SHA256; got != hex.EncodeToString(want[:]) {
			t.Errorf("%v: data checksum %s, want %x", over, got, want)
		}
		m, err := os.ReadFile(filepath.Join(out.Dir, "manifest.json"))
		if err != nil || !strings.Contains(string(m), `"data_sha256": "`+hex.EncodeToString(want[:])+`"`) {
			t.Errorf("%v: the manifest has not the data's checksum (%v)", over, err)
		}
		// Left for after the score stage (checksumLate), it is known
		// before metrics.json is written too.
		m, err = os.ReadFile(filepath.Join(out.Dir, "metrics.json"))
		if err != nil || !strings.Contains(string(m), `"sha256": "`+hex.EncodeToString(want[:])+`"`) {
			t.Errorf("%v: metrics.json has not the data's checksum (%v)", over, err)
		}
	}
}

// data.rejects naming the data file (by any path) is refused before
// anything is read or written, naming the key.
func TestRunRefusesRejectsOverData(t *testing.T) {
	cfgPath, dataPath := quickstartFileConfig(t, "log.csv")
	before, _ := os.ReadFile(dataPath)
	link := filepath.Join(filepath.Dir(dataPath), "alias.csv")
	if err := os.Symlink(dataPath, link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	for _, rejects := range []string{dataPath, link, filepath.Join(filepath.Dir(dataPath), "results", "..", "log.csv"), cfgPath} {
		cfg, err := Load(cfgPath, []string{"data.on_bad_row=skip", "data.rejects=" + rejects})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), cfg, RunOptions{})
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Key != "data.rejects" {
			t.Errorf("data.rejects=%s: %v, want a ConfigError on data.rejects", rejects, err)
		}
	}
	if after, _ := os.ReadFile(dataPath); string(after) != string(before) {
		t.Error("the data file changed")
	}
}

// A rejects file that is a symbolic link gets the rows in its target; the
// link stays.
func TestRunRejectsThroughSymlink(t *testing.T) {
	cfgPath, dataPath := quickstartFileConfig(t, "log.csv")
	dir := filepath.Dir(dataPath)
	f, err := os.OpenFile(dataPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("zz,not-a-date,1\n")
	f.Close()
	target, link := filepath.Join(dir, "rejected.csv"), filepath.Join(dir, "rejects-link.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	cfg, err := Load(cfgPath, []string{"data.on_bad_row=skip", "data.rejects=" + link})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced (%v)", err)
	}
	if b, err := os.ReadFile(target); err != nil || !strings.Contains(string(b), "not-a-date") {
		t.Errorf("the link's target holds %q (%v)", b, err)
	}
}
