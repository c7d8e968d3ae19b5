package main

import (
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreCommand(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	code, _, errOut := clv(t, "run", filepath.Join(repoRoot(t), "configs", "forecast.yaml"), "--out", run, "--no-progress",
		"--set", "output.plots=false", "--set", "output.report=false", "--set", "models=[average,bgnbd]")
	if code != 0 {
		t.Fatalf("forecast run: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "forecast from 2025-06-29 (the last date in the data) over 52 weeks") {
		t.Errorf("the run's summary does not state the forecast:\n%s", errOut)
	}
	summary := filepath.Join(t.TempDir(), "summary.csv")
	if code, _, errOut = clv(t, "summarize", "--embedded", "quickstart", "--calibration-end", "2025-06-29", "--out", summary); code != 0 {
		t.Fatalf("summarize: exit %d\n%s", code, errOut)
	}
	code, out, errOut := clv(t, "score", run, "--summary", summary, "--out", "-")
	if code != 0 {
		t.Fatalf("score: exit %d\n%s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5001 || !strings.Contains(strings.Join(rows[0], ","), "bgnbd_clv,bgnbd_net_clv,bgnbd_tier") {
		t.Errorf("%d rows, header %v", len(rows), rows[0])
	}
	if !strings.Contains(errOut, "left out: average") {
		t.Errorf("stderr does not say the average model was left out: %s", errOut)
	}
	for _, bad := range [][]string{
		{"score", run},
		{"score", run, "--data", summary, "--summary", summary},
		{"score", run, "--summary", summary, "--format", "xlsx"},
	} {
		if code, _, errOut := clv(t, bad...); code != exitUsage || !strings.Contains(errOut, "--") {
			t.Errorf("%v: exit %d, want %d with the flag named\n%s", bad, code, exitUsage, errOut)
		}
	}
}
