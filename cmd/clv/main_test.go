package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clv-dev/clv/datasets/sharedtest"
)

// TestMain lets the test binary stand in for the clv command: with
// CLV_TEST_AS_CLV=1 it runs clv with its arguments (used to kill a real
// process mid-run).
func TestMain(m *testing.M) {
	if os.Getenv("CLV_TEST_AS_CLV") == "1" {
		s := streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}
		if marker := os.Getenv("CLV_TEST_PAUSE_MARKER"); marker != "" {
			s.afterFit = func(ctx context.Context) {
				// Wait, as a long fit would, until a signal ends the run.
				_ = os.WriteFile(marker, []byte("fitted"), 0o644)
				select {
				case <-ctx.Done():
				case <-time.After(time.Minute):
				}
			}
		}
		os.Exit(executeWith(os.Args[1:], s))
	}
	os.Exit(m.Run())
}

// clv runs the command in-process and returns its exit code and output.
func clv(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, cmd := range []string{"", "run", "validate", "summarize", "fit", "simulate", "compare"} {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		code, out, _ := clv(t, args...)
		if code != 0 {
			t.Errorf("clv %s --help exited %d", cmd, code)
		}
		if cmd != "" && !strings.Contains(out, "Examples:") {
			t.Errorf("clv %s --help has no example:\n%s", cmd, out)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"summarize", "--embedded", "quickstart"}, "--calibration-end is required"},
		{[]string{"summarize", "--embedded", "quickstart", "--calibration-end", "2024-13-01"}, "is not a date"},
		{[]string{"summarize", "--data", "/no/such/file.csv", "--calibration-end", "2024-09-29"}, "cannot read --data"},
		{[]string{"fit", "--model", "nosuch", "--embedded", "quickstart", "--calibration-end", "2024-09-29", "--holdout-end", "2025-06-29"}, "unknown model"},
		{[]string{"simulate", "--params", "r=0.2,alpha"}, "not name=value"},
		{[]string{"run"}, "accepts 1 arg"},
		{[]string{"summarize", "--bogus"}, "unknown flag"},
	}
	for _, tt := range tests {
		code, _, errOut := clv(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("clv %v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestFitJSONOnCDNOW(t *testing.T) {
	path := sharedtest.Path(t, "datasets", "cdnow_customers_summary.csv")
	code, out, errOut := clv(t, "fit", "--model", "bgnbd", "--summary", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, key := range []string{"model", "params", "std_errors", "log_likelihood", "aic", "bic", "converged", "iterations", "customers"} {
		if _, ok := got[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, out)
		}
	}
	if ll := got["log_likelihood"].(float64); ll < -9582.48 || ll > -9582.38 {
		t.Errorf("log_likelihood %v, want -9582.43", ll)
	}
	if got["customers"].(float64) != 2357 {
		t.Errorf("customers %v, want 2357", got["customers"])
	}
}

// runQuickstart runs the quickstart config into dir with extra arguments.
func runQuickstart(t *testing.T, dir string, extra ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"run", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"), "--out", dir, "--no-progress",
		"--set", "output.plots=false", "--set", "output.report=false"}, extra...)
	return clv(t, args...)
}

func TestFailingGateExitsThree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errOut := runQuickstart(t, dir, "--set", "models=[bgnbd]",
		"--set", `expect=[{"metric":"bgnbd.holdout.mae","max":0.01}]`)
	if code != exitGatesFailed {
		t.Fatalf("exit %d, want 3\n%s", code, errOut)
	}
	for _, want := range []string{"bgnbd.holdout.mae", "max 0.01", "gate failed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "metrics.json")); err != nil {
		t.Errorf("a run whose gate failed still writes its results: %v", err)
	}
}

// A run killed with SIGKILL between fitting and writing leaves no results
// folder that looks complete: only a hidden staging folder.
func TestKilledRunLeavesNoCompleteFolder(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			out := filepath.Join(tmp, "results", "run")
			marker := filepath.Join(tmp, "fitted")
			cmd := exec.Command(os.Args[0], "run", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"),
				"--out", out, "--no-progress", "--set", "models=[bgnbd,average]")
			cmd.Env = append(os.Environ(), "CLV_TEST_AS_CLV=1", "CLV_TEST_PAUSE_MARKER="+marker)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if _, err := os.Stat(marker); err == nil {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("the run never reached the end of fitting\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("after %v the results folder %s exists (err %v)", sig, out, err)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), ".") {
					t.Errorf("after %v a visible entry %s remains", sig, e.Name())
				}
				if sig == syscall.SIGINT {
					t.Errorf("after SIGINT the staging folder %s should be removed", e.Name())
				}
			}
		})
	}
}

func TestSummarizeEmbeddedToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "summary.csv")
	code, _, errOut := clv(t, "summarize", "--embedded", "quickstart", "--calibration-end", "2024-09-29", "--holdout-end", "2025-06-29", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "customer_id,frequency,recency,T,monetary_value,frequency_holdout") {
		t.Errorf("unexpected header: %.100s", b)
	}
	if !strings.Contains(errOut, "rows:") || !strings.Contains(errOut, "0 rejected") {
		t.Errorf("no row accounting on stderr: %s", errOut)
	}
}

func TestSimulateIsReproducible(t *testing.T) {
	args := []string{"simulate", "--model", "paretonbd", "--params", "r=0.55,alpha=10.6,s=0.61,beta=11.7",
		"--spend", "p=6,q=4,gamma=15", "--customers", "200", "--seed", "7"}
	_, a, _ := clv(t, args...)
	_, b, _ := clv(t, args...)
	if a == "" || a != b {
		t.Fatalf("same seed gave different logs (%d and %d bytes)", len(a), len(b))
	}
	if !strings.HasPrefix(a, "customer_id,date,amount\n") {
		t.Errorf("unexpected header: %.60s", a)
	}
}

func TestValidate(t *testing.T) {
	code, out, errOut := clv(t, "validate", filepath.Join(repoRoot(t), "configs", "quickstart.yaml"))
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\ndata: {embedded: quickstart}\nsplit: {calibration_end: 2024-09-29, holdout_end: 2024-01-01}\nmodles: [bgnbd]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = clv(t, "validate", bad)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2: %s", code, errOut)
	}
	for _, want := range []string{"modles", "split.holdout_end"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestCompareTwoRuns(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "run-a"), filepath.Join(tmp, "run-b")
	if code, _, errOut := runQuickstart(t, a, "--set", "models=[average,bgnbd]"); code != 0 {
		t.Fatalf("run a: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runQuickstart(t, b, "--set", "models=[average,hiatus]", "--set", "expect=[]"); code != 0 {
		t.Fatalf("run b: exit %d: %s", code, errOut)
	}
	code, out, errOut := clv(t, "compare", a, b)
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"run-a", "run-b", "bgnbd", "hiatus", "mae", "*"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = clv(t, "compare", "--format", "json", a, b)
	var parsed any
	if code != 0 || json.Unmarshal([]byte(out), &parsed) != nil {
		t.Errorf("compare --format json: exit %d, output not JSON:\n%s", code, out)
	}
	if code, _, _ := clv(t, "compare", filepath.Join(tmp, "nope")); code != exitUsage {
		t.Errorf("compare on a missing folder exited %d, want 2", code)
	}
}

func TestFitSBGWithPlots(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots")
	code, out, errOut := clv(t, "fit", "--model", "sbg", "--survival", filepath.Join(repoRoot(t), "configs", "data", "survival_regular.csv"),
		"--json", "--plot", dir, "--period", "year")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Params map[string]float64 `json:"params"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// The file holds 1000·S(t) of the published regular cohort, rounded.
	if a := got.Params["alpha"]; a < 0.69 || a > 0.72 {
		t.Errorf("alpha %v, want about 0.704", a)
	}
	for _, f := range []string{"sbg_survival.png", "sbg_survival.svg", "sbg_retention.png", "sbg_retention.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

// TestFitRetentionOnCDNOW fits the retention heuristic from the CDNOW log
// with monthly activity periods, and checks that without the period flag
// the message names what the model needs.
func TestFitRetentionOnCDNOW(t *testing.T) {
	path := sharedtest.Path(t, "datasets", "CDNOW_sample.txt")
	args := []string{"fit", "--model", "retention", "--data", path, "--format", "whitespace", "--header", "no",
		"--customer", "1", "--date", "2", "--amount", "4", "--date-format", "20060102", "--calibration-end", "1997-09-30", "--json"}
	code, _, errOut := clv(t, args...)
	if code != 2 || !strings.Contains(errOut, "--retention-period") {
		t.Errorf("without --retention-period: exit %d, %q; want 2 and a message naming --retention-period", code, errOut)
	}
	code, out, errOut := clv(t, append(args, "--retention-period", "month")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Model     string             `json:"model"`
		Params    map[string]float64 `json:"params"`
		Customers float64            `json:"customers"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// A month is 365.25/12 days = 4.348 weeks; the retention rate is a
	// share of active customer-months followed by another active one.
	if got.Model != "retention" || got.Customers != 2357 || math.Abs(got.Params["period"]-365.25/12/7) > 1e-9 {
		t.Errorf("fit %+v, want retention on 2357 customers with period %.4f weeks", got, 365.25/12/7)
	}
	if r := got.Params["retention"]; !(r > 0 && r < 1) {
		t.Errorf("retention rate %v, want one in (0, 1)", r)
	}
}

// TestReportAndCompareContractual runs the contractual example, then
// rewrites its report and compares it: the report describes the cohort
// (no empty calibration dates, no date parse error) and the comparison has
// a row per model and target.
func TestReportAndCompareContractual(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	code, _, errOut := clv(t, "run", filepath.Join(repoRoot(t), "configs", "contractual.yaml"), "--out", dir, "--no-progress",
		"--set", "output.report=true", "--set", "output.plots=true")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Errorf("the run wrote no report: %v", err)
	}
	code, _, errOut = clv(t, "report", dir)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"calibration to ,", "parsing time", "· 0 customers"} {
		if strings.Contains(string(md), bad) || strings.Contains(errOut, bad) {
			t.Errorf("report has %q:\n%s%s", bad, md, errOut)
		}
	}
	for _, want := range []string{"a cohort of 1000 customers", "Holdout periods: projected against actual survivors", "sbg_survival"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	code, out, errOut := clv(t, "compare", dir, "--format", "csv")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "run,sbg,survival,") || !strings.Contains(out, "run,sbg,calibration,") {
		t.Errorf("compare lacks the sbg rows:\n%s", out)
	}
}
