//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SIGINT and SIGTERM end every command, also one blocked on a FIFO that
// never delivers (in a read that honours the context, or in one the
// kernel holds, which clv abandons). The deadlines only detect a hang.
func TestSignalsEndEveryCommand(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "silent.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(runDir, "metrics.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(cfg, []byte("name: s\ndata:\n  path: "+fifo+"\n  customer: customer_id\n  date: date\nsplit:\n  calibration_end: 2024-09-29\n  holdout_end: 2025-06-29\nmodels: [average]\nspend_model: none\noutput:\n  dir: "+filepath.Join(dir, "results")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commands := map[string][]string{
		"summarize": {"summarize", "--data", fifo, "--calibration-end", "2024-09-29"},
		"fit":       {"fit", "--model", "bgnbd", "--summary", fifo},
		"fit-sbg":   {"fit", "--model", "sbg", "--survival", fifo},
		"run":       {"run", cfg, "--no-progress"},
		"compare":   {"compare", runDir},
		"report":    {"report", runDir},
	}
	for name, args := range commands {
		sigs := []syscall.Signal{syscall.SIGINT}
		if name == "run" || name == "report" {
			sigs = append(sigs, syscall.SIGTERM)
		}
		for _, sig := range sigs {
			t.Run(name+"/"+sig.String(), func(t *testing.T) {
				signalBlockedCommand(t, args, sig, fifo, filepath.Join(runDir, "metrics.json"))
			})
		}
	}
}

// signalBlockedCommand starts clv, waits until it has opened one of the
// FIFOs (holding the writing end open without writing), signals it and
// checks that it exits with code 130.
func signalBlockedCommand(t *testing.T, args []string, sig syscall.Signal, fifos ...string) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CLV_TEST_AS_CLV=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var w *os.File
	for deadline := time.Now().Add(time.Minute); w == nil; {
		for _, f := range fifos {
			// Opening the writing end without blocking succeeds once a
			// reader has the FIFO open.
			if fw, err := os.OpenFile(f, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w = fw
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("clv never opened its input\n%s", stderr.String())
		}
		select {
		case <-done:
			t.Fatalf("clv %v ended before the signal\n%s", args, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	defer w.Close()
	time.Sleep(50 * time.Millisecond) // let it reach the read
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("clv %v still running after %v\n%s", args, sig, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("clv %v after %v: exit %d, want %d\n%s", args, sig, code, exitInterrupted, stderr.String())
	}
}
