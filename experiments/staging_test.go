package experiments

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Two runs of one config started in the same second both succeed, into
// distinct folders.
func TestSameSecondRunsGetDistinctFolders(t *testing.T) {
	cfgPath, _ := quickstartFileConfig(t, "log.csv")
	cfg, err := Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return start }
	seen := map[string]bool{}
	for range 3 {
		out, err := Run(context.Background(), cfg, RunOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if seen[out.Dir] {
			t.Fatalf("two runs wrote %s", out.Dir)
		}
		seen[out.Dir] = true
		if _, err := os.Stat(filepath.Join(out.Dir, "metrics.json")); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(out.Dir, StagingOwnerFile)); err == nil {
			t.Errorf("%s keeps the staging owner file", out.Dir)
		}
	}
	// The rename itself also moves on when the name was taken meanwhile.
	rd, err := stageResults(cfg, RunOptions{Now: now}, start)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(rd.final, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rd.final, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	taken := rd.final
	if err := rd.commit(); err != nil || rd.final == taken {
		t.Errorf("commit over a taken name: %v, final %s", err, rd.final)
	}
}

// Staging folders left by killed runs are removed by the next run when
// their owner is gone or they are old; a live run's is kept.
func TestStaleStagingRemoved(t *testing.T) {
	parent := t.TempDir()
	host, _ := os.Hostname()
	mk := func(name, owner string, age time.Duration) string {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(p, "plots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(p, StagingOwnerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		when := time.Now().Add(-age)
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := deadPID(t)
	cases := map[string]bool{ // path → removed
		mk(".r1.partial-1", strconv.Itoa(dead)+" "+host, 0):                   true,
		mk(".r2.partial-2", strconv.Itoa(os.Getpid())+" "+host, 0):            false,
		mk(".r3.partial-3", strconv.Itoa(dead)+" another-host", 0):            false,
		mk(".r4.partial-4", "", 0):                                            false,
		mk(".r5.partial-5", "", 25*time.Hour):                                 true,
		mk(".r6.partial-6", strconv.Itoa(os.Getpid())+" "+host, 25*time.Hour): true,
		mk("finished", "", 25*time.Hour):                                      false,
	}
	RemoveStaleStaging(parent, time.Now())
	for p, removed := range cases {
		_, err := os.Stat(p)
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed %v, want %v", filepath.Base(p), gone, removed)
		}
	}
	if !IsStagingFolder(filepath.Join(parent, ".r2.partial-2")) || IsStagingFolder(filepath.Join(parent, "finished")) {
		t.Error("IsStagingFolder is wrong")
	}
}

// A NUL byte in output.dir is a config error naming the key.
func TestNULInOutputDir(t *testing.T) {
	cfgPath, _ := quickstartFileConfig(t, "log.csv")
	cfg, err := Load(cfgPath, []string{"output.dir=res\x00ults"})
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) && ce.Problems[0].Key == "output.dir" {
			return // refused by validation already
		}
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, RunOptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Problems[0].Key != "output.dir" {
		t.Errorf("NUL in output.dir: %v, want a ConfigError on output.dir", err)
	}
}

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", "exit 0"}, &os.ProcAttr{})
	if err != nil {
		t.Skip("cannot start /bin/sh:", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}
