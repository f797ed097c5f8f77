package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestMain lets a test run the command as a process of its own: with
// SENTINELSIM_TEST_MAIN=1 the test binary is sentinelsim.
func TestMain(m *testing.M) {
	if os.Getenv("SENTINELSIM_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// sentinelsim starts the command as a subprocess of the test.
func sentinelsim(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SENTINELSIM_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, &stdout, &stderr
}

// resultLines reads a sweep's --out file, requiring every line to be a whole result.
func resultLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r["scenario"] == nil {
			t.Fatalf("%s holds a line that is not a result: %.200s", path, sc.Text())
		}
		out = append(out, r)
	}
	return out
}

// Ctrl-C in the middle of a sweep: the run in flight stops at once, every result finished
// before is in --out, whole, the summary covers them, and the exit status is 130.
func TestInterruptedSweepKeepsItsResultsAndExits130(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep.jsonl")
	cmd, stdout, stderr := sentinelsim(t, "sweep", "--scenario", "tutorial-kill-master", "--seeds", "200",
		"--workers", "1", "--out", out, "--json")
	deadline := time.Now().Add(2 * time.Minute)
	for len(resultLines(t, out)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no two results after two minutes; stderr:\n%s", stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	interrupted := time.Now()
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("the interrupted sweep ended with %v, want exit status 130; stderr:\n%s", err, stderr)
	}
	if took := time.Since(interrupted); took > 5*time.Second {
		t.Errorf("the sweep took %v to stop after SIGINT", took)
	}
	results := resultLines(t, out)
	if len(results) < 2 || len(results) >= 200 {
		t.Fatalf("%d results in --out, want those finished before the interrupt", len(results))
	}
	for i, r := range results {
		if r["seed"] != float64(i+1) || r["verdict"] != "pass" {
			t.Errorf("result %d: seed %v verdict %v, want seed %d passing", i, r["seed"], r["verdict"], i+1)
		}
	}
	var sum struct {
		Summary []struct{ Runs int } `json:"summary"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil || len(sum.Summary) != 1 || sum.Summary[0].Runs != len(results) {
		t.Errorf("stdout is not one summary of the %d finished runs: %v\n%s", len(results), err, stdout)
	}
	if !strings.Contains(stderr.String(), "interrupted: ") || !strings.Contains(stderr.String(), " of 200 seeds done") {
		t.Errorf("stderr does not say the sweep was interrupted:\n%s", stderr)
	}
}

// The progress bar is drawn on stderr: stdout, with --json, holds only JSON lines.
func TestSweepProgressGoesToStderr(t *testing.T) {
	cmd := root()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"sweep", "--scenario", "paused-master", "--seeds", "3", "--workers", "1", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("sweep: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 4 {
		t.Errorf("stdout has %d lines, want 3 results and the summary:\n%s", len(lines), stdout.String())
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("stdout holds a line that is not JSON: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), "paused-master") || !strings.Contains(stderr.String(), "(1/3)") {
		t.Errorf("stderr shows no progress bar: %q", stderr.String())
	}
}

// A sweep whose context is cancelled before it starts runs nothing and says so.
func TestCancelledSweepRunsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "sweep.jsonl")
	cmd := root()
	var buf bytes.Buffer
	cmd.SetOut(&buf)
	cmd.SetErr(&buf)
	cmd.SetArgs([]string{"sweep", "--scenario", "swarm", "--seeds", "10", "--out", out, "--quiet"})
	err := cmd.ExecuteContext(ctx)
	if exitCode(err) != 130 || !strings.Contains(buf.String(), "interrupted: 0 of 10 seeds done") {
		t.Errorf("cancelled sweep: status %d, %v\n%s", exitCode(err), err, buf.String())
	}
	if n := len(resultLines(t, out)); n != 0 {
		t.Errorf("a cancelled sweep wrote %d results", n)
	}
}

// A first interrupt ends the command's context so that it can clean up; a second one
// while it does quits at once, with the signal's exit status.
func TestASecondInterruptQuitsAtOnce(t *testing.T) {
	quitted := make(chan int, 1)
	quit = func(code int) { quitted <- code }
	defer func() { quit = os.Exit }()
	cmd := &cobra.Command{}
	cmd.SetContext(t.Context())
	ctx, stop := signalContext(cmd)
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not end the context")
	}
	select {
	case code := <-quitted:
		t.Fatalf("the first SIGINT quit with %d", code)
	case <-time.After(100 * time.Millisecond):
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-quitted:
		if code != 130 {
			t.Errorf("the second SIGINT quit with %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGINT did not quit")
	}
}
