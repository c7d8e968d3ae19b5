package report

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
)

// TestDataSource: the quickstart log is described as simulated, with its
// generator and parameters, only when its checksum matches the data built
// in; a file is described as a file. (cmd/clv's examples test runs the
// printed clv simulate command and compares its output with the embedded
// bytes.)
func TestDataSource(t *testing.T) {
	raw, err := datasets.Embedded("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	qs := hex.EncodeToString(sum[:])
	tests := []struct {
		facts       experiments.DataFacts
		want, avoid []string
	}{
		{experiments.DataFacts{File: "embedded:quickstart", SHA256: qs},
			[]string{"simulated, not real customers", "5000 customers", "BG/NBD", "r = 0.243, alpha = 4.414, a = 0.793, b = 2.426",
				"p = 6.25, q = 3.74, gamma = 15.44", "seed 1", "2024-01-01", "2025-06-29",
				"clv simulate --model bgnbd --params r=0.243,alpha=4.414,a=0.793,b=2.426 --spend p=6.25,q=3.74,gamma=15.44 --customers 5000"}, nil},
		{experiments.DataFacts{File: "embedded:quickstart", SHA256: strings.Repeat("0", 64)}, []string{"built into clv"}, []string{"simulated"}},
		{experiments.DataFacts{File: "orders.csv", SHA256: qs}, []string{"the file orders.csv (data.path"}, []string{"simulated"}},
	}
	for _, tt := range tests {
		text, cmd := dataSource(tt.facts)
		got := text + " | " + cmd
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.facts.File, got, w)
			}
		}
		for _, a := range tt.avoid {
			if strings.Contains(got, a) {
				t.Errorf("%s: %q says %q", tt.facts.File, got, a)
			}
		}
	}
}

// TestRunFormats: clv report redraws the formats the run's config asked
// for, or, without a manifest saying so, those whose files are there.
func TestRunFormats(t *testing.T) {
	dir := t.TempDir()
	if got := runFormats(dir); !slices.Equal(got, []string{"png"}) {
		t.Errorf("empty folder: %v, want the default [png]", got)
	}
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plots", "gains.svg"), []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runFormats(dir); !slices.Equal(got, []string{"svg"}) {
		t.Errorf("a folder with SVG files only: %v, want [svg]", got)
	}
	manifest := `{"config_resolved": {"config": {"output": {"formats": ["png", "svg"]}}}}`
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runFormats(dir); !slices.Equal(got, []string{"png", "svg"}) {
		t.Errorf("manifest asking for png and svg: %v", got)
	}
}

// TestFigureFile: report.md links a figure's PNG, else its SVG, else
// nothing.
func TestFigureFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := figureFile(dir, "gains"); got != "" {
		t.Errorf("no file: %q", got)
	}
	for _, tt := range []struct{ file, want string }{{"gains.svg", "plots/gains.svg"}, {"gains.png", "plots/gains.png"}} {
		if err := os.WriteFile(filepath.Join(dir, "plots", tt.file), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := figureFile(dir, "gains"); got != tt.want {
			t.Errorf("after writing %s: %q, want %q", tt.file, got, tt.want)
		}
	}
}
