package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunWritesReportAndReportRedrawsIt runs the quickstart (two models)
// with plots and report on, then deletes them and regenerates them with
// clv report.
func TestRunWritesReportAndReportRedrawsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errOut := clv(t, "run", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"), "--out", dir, "--no-progress",
		"--set", "models=[average,bgnbd]", "--set", "output.formats=[png,svg]")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	files := []string{"report.html", "report.md", "plots/data.json", "plots/gains.png", "plots/gains.svg",
		"plots/conditional_expectations.png", "plots/heatmap_bgnbd_p_alive.svg", "plots/comparison_holdout.png"}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the run did not write %s: %v", f, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"quickstart — CLV experiment report", "BG/NBD", "<svg", "bgnbd.holdout.bias"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(string(html), "http://") || strings.Contains(string(html), "https://") {
		t.Error("report.html refers outside itself")
	}

	gains, err := os.ReadFile(filepath.Join(dir, "plots/gains.png"))
	if err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png"))
	for _, f := range append(pngs, filepath.Join(dir, "report.html"), filepath.Join(dir, "report.md")) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := clv(t, "report", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if want := filepath.Join(dir, "report.html") + "\n" + filepath.Join(dir, "report.md") + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	for _, f := range append(files, "plots/tracking_incremental.png") {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("clv report did not write %s: %v", f, err)
		}
	}
	// predictions.csv and params.json hold every digit, so the figures and
	// the report come back byte for byte.
	if again, _ := os.ReadFile(filepath.Join(dir, "plots/gains.png")); string(again) != string(gains) {
		t.Error("the redrawn gains.png differs from the run's")
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "report.html")); string(again) != string(html) {
		t.Error("the regenerated report.html differs from the run's")
	}
	// Without plots/data.json the tracking plot cannot be redrawn: it needs
	// the daily purchases only a run computes.
	if err := os.Remove(filepath.Join(dir, "plots", "data.json")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = clv(t, "report", dir)
	if code != 0 || !strings.Contains(errOut, "warning: figure tracking not drawn") {
		t.Errorf("report without data.json: exit %d, stderr %q", code, errOut)
	}
}

func TestReportUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "accepts 1 arg"},
		{[]string{"report", filepath.Join(t.TempDir(), "nothing")}, "is not a results folder"},
	} {
		code, _, errOut := clv(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("clv %v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
	code, out, _ := clv(t, "report", "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "report.html") {
		t.Errorf("clv report --help: exit %d\n%s", code, out)
	}
}
