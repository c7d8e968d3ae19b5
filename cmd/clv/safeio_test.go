package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeQuickstartLog writes the embedded log to a file in dir.
func writeQuickstartLog(t *testing.T, dir string) string {
	t.Helper()
	code, out, errOut := clv(t, "simulate", "--customers", "200", "--params", "r=0.24,alpha=4.4,a=0.79,b=2.43", "--spend", "p=6,q=4,gamma=15", "--out", "-")
	if code != 0 {
		t.Fatalf("simulate: %d %s", code, errOut)
	}
	p := filepath.Join(dir, "log.csv")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// An output naming an input (by any path) is refused with exit code 2 and
// the flag; the input is untouched. "-" is standard output.
func TestOutputsNeverDestroyInputs(t *testing.T) {
	dir := t.TempDir()
	data := writeQuickstartLog(t, dir)
	before, _ := os.ReadFile(data)
	link := filepath.Join(dir, "alias.csv")
	if err := os.Symlink(data, link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	base := []string{"--data", data, "--calibration-end", "2024-09-29", "--holdout-end", "2025-06-29"}
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"summarize", "--out", data}, "--out"},
		{[]string{"summarize", "--out", link}, "--out"},
		{[]string{"summarize", "--on-bad-row", "skip", "--rejects", filepath.Join(dir, ".", "log.csv")}, "--rejects"},
		{[]string{"summarize", "--out", filepath.Join(dir, "s.csv"), "--on-bad-row", "skip", "--rejects", filepath.Join(dir, "s.csv")}, "--rejects"},
		{[]string{"fit", "--model", "bgnbd", "--on-bad-row", "skip", "--rejects", link}, "--rejects"},
		{[]string{"summarize", "--on-bad-row", "skip", "--rejects", "-"}, "--rejects"},
	}
	for _, tt := range tests {
		code, _, errOut := clv(t, append(tt.args, base...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.flag) {
			t.Errorf("clv %v: exit %d, %q; want exit 2 naming %s", tt.args, code, errOut, tt.flag)
		}
	}
	if after, _ := os.ReadFile(data); string(after) != string(before) {
		t.Fatal("the data file changed")
	}
	code, out, errOut := clv(t, append([]string{"summarize", "--out", "-"}, base...)...)
	if code != 0 || !strings.HasPrefix(out, "customer_id,frequency") {
		t.Errorf("--out -: exit %d, stdout %.40q, stderr %s", code, out, errOut)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`--out - wrote a file named "-"`)
	}
	// Through a symbolic link: the target is written, the link stays.
	target, outLink := filepath.Join(dir, "real.csv"), filepath.Join(dir, "out-link.csv")
	if err := os.Symlink(target, outLink); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := clv(t, append([]string{"summarize", "--out", outLink}, base...)...); code != 0 {
		t.Fatalf("--out a link: %d %s", code, errOut)
	}
	if fi, err := os.Lstat(outLink); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the output link was replaced")
	}
	if b, _ := os.ReadFile(target); !strings.HasPrefix(string(b), "customer_id,frequency") {
		t.Errorf("the link's target holds %.40q", b)
	}
}

// Flag and data errors of fit exit with code 2; model names ignore case.
func TestFitErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, []byte("customer_id,date,amount\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emptySummary := filepath.Join(dir, "empty-summary.csv")
	if err := os.WriteFile(emptySummary, []byte("customer_id,frequency,recency,T\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := []string{"--embedded", "quickstart", "--calibration-end", "2024-09-29"}
	tests := []struct {
		args []string
		want string
	}{
		{q, "--model is required"},
		{[]string{"--model", "bgnbd", "--data", empty, "--calibration-end", "2024-01-01"}, "no customer"},
		{[]string{"--model", "bgnbd", "--summary", emptySummary}, "no customer"},
		{append([]string{"--model", "gammagamma", "--amount", "none"}, q...), "no amounts"},
		{[]string{"--model", "sbg", "--survival", filepath.Join(dir, "none.csv")}, "--survival"},
	}
	for _, tt := range tests {
		code, _, errOut := clv(t, append([]string{"fit"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("clv fit %v: exit %d, %q; want exit 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
	if code, out, errOut := clv(t, append([]string{"fit", "--model", "Average", "--json"}, q...)...); code != 0 || !strings.Contains(out, `"average"`) {
		t.Errorf("--model Average: exit %d, %s %s", code, out, errOut)
	}
}

// /dev/zero and a file of one endless line, as a summary or survival
// file, are refused (at a limit for the endless line) instead of filling
// the memory.
func TestFitOnEndlessInputs(t *testing.T) {
	long := filepath.Join(t.TempDir(), "long.csv")
	if err := os.WriteFile(long, []byte(strings.Repeat("a", 3<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", long} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		for _, args := range [][]string{
			{"--model", "bgnbd", "--summary", path},
			{"--model", "sbg", "--survival", path},
		} {
			code, _, errOut := clv(t, append([]string{"fit"}, args...)...)
			if code != exitUsage || path == long && !strings.Contains(errOut, "line longer") {
				t.Errorf("clv fit %v: exit %d, %q", args, code, errOut)
			}
		}
	}
}

// compare and report refuse a staging folder; report removes the
// temporary files a killed report left (the writer is gone) and keeps a
// live writer's.
func TestStagingFoldersAndStaleTemps(t *testing.T) {
	tmp := t.TempDir()
	run := filepath.Join(tmp, "run")
	if code, _, errOut := runQuickstart(t, run, "--set", "models=[average]", "--set", "spend_model=none", "--set", "expect=[]"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	partial := filepath.Join(tmp, ".run.partial-123")
	if err := os.Mkdir(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(run, "metrics.json"))
	if err := os.WriteFile(filepath.Join(partial, "metrics.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"compare", "report"} {
		if code, _, errOut := clv(t, cmd, partial); code != exitUsage || !strings.Contains(errOut, "staging folder") {
			t.Errorf("clv %s on a .partial folder: exit %d, %q", cmd, code, errOut)
		}
	}
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("cannot start /bin/sh:", err)
	}
	p.Wait()
	plots := filepath.Join(run, "plots")
	if err := os.MkdirAll(plots, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(plots, ".gains.png.tmp-"+strconv.Itoa(p.Pid)+"-77"),
		filepath.Join(run, ".report.html.tmp-"+strconv.Itoa(p.Pid)+"-78"),
	}
	live := filepath.Join(plots, ".deciles.svg.tmp-1-79") // pid 1 always runs
	for _, f := range append(stale, live) {
		if err := os.WriteFile(f, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, errOut := clv(t, "report", run); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	for _, f := range stale {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("stale %s kept", f)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live writer's temporary file was removed: %v", err)
	}
}

// A NUL byte in output.dir (a YAML escape) is a config error, exit 2; so is
// --out - for a run.
func TestRunOutputPathErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "nul.yaml")
	yaml := "name: nul\ndata:\n  embedded: quickstart\nsplit:\n  calibration_end: 2024-09-29\n  holdout_end: 2025-06-29\nmodels: [average]\noutput:\n  dir: \"res\\0ults\"\n  plots: false\n  report: false\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := clv(t, "run", cfg, "--no-progress"); code != exitUsage || !strings.Contains(errOut, "output.dir") {
		t.Errorf("NUL in output.dir: exit %d, %q", code, errOut)
	}
	if code, _, errOut := clv(t, "run", cfg, "--out", "-"); code != exitUsage || !strings.Contains(errOut, "--out") {
		t.Errorf("run --out -: exit %d, %q", code, errOut)
	}
}

// A config or metrics.json that is endless (a link to /dev/zero) is
// refused at a size limit instead of filling the memory.
func TestEndlessConfigAndMetrics(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yaml")
	if err := os.Symlink("/dev/zero", cfg); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if code, _, errOut := clv(t, "run", cfg); code != exitUsage || !strings.Contains(errOut, "limit") {
		t.Errorf("run on a config linked to /dev/zero: exit %d, %q", code, errOut)
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(run, "metrics.json")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := clv(t, "compare", run); code != exitUsage || !strings.Contains(errOut, "limit") {
		t.Errorf("compare on metrics.json linked to /dev/zero: exit %d, %q", code, errOut)
	}
}
