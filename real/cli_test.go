package real_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sentinelsim builds cmd/sentinelsim and cmd/gosentinel into a directory and returns a
// command line runner whose PATH finds gosentinel there.
func sentinelsim(t *testing.T) func(args ...string) *exec.Cmd {
	t.Helper()
	bin := filepath.Dir(gosentinel(t))
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/sentinelsim").CombinedOutput(); err != nil {
		t.Fatalf("build sentinelsim: %v\n%s", err, out)
	}
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, "sentinelsim"), args...)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		return cmd
	}
}

// twoHosts is a scenario on 127.0.0.61 and .62, each with a redis-server and a
// sentinel (with --sentinel mixed, a gosentinel and a redis-sentinel), with what follows.
func twoHosts(t *testing.T, name, rest string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name+".yaml")
	src := fmt.Sprintf(`name: %s
about: Two hosts for the command line's clean-up tests.
hosts:
  n1: {addr: 127.0.0.61, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.62, redis: [6379], sentinel: [26379]}
sentinel: {quorum: 1, down-after-milliseconds: 1000, failover-timeout: 3000}
workload: {kind: set-add, think: 20ms}
%s`, name, rest)
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

var twoHostsAddrs = regexp.MustCompile(`127\.0\.0\.6[12]:`)

// runOf waits until the run started by cmd has put a network fault into force, its
// nftables table, and returns its directory.
func runOf(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		tables, _ := exec.Command("nft", "list", "tables").CombinedOutput()
		owners, _ := filepath.Glob(filepath.Join(os.TempDir(), "sentinelsim-real-*", "owner"))
		for _, f := range owners {
			o, _ := os.ReadFile(f)
			if strings.HasPrefix(string(o), fmt.Sprintf("%d-", cmd.Process.Pid)) &&
				strings.Contains(string(tables), fmt.Sprintf("sentinelsim_%d_", cmd.Process.Pid)) {
				return filepath.Dir(f)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the run of pid %d did not come up and cut its hosts apart within a minute", cmd.Process.Pid)
	return ""
}

// leftovers lists what a run left: processes working in its directory or serving its
// addresses, its nftables tables, its directory.
func leftovers(dir string, pid int) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, _ := os.Readlink(p + "/cwd")
		cmdline, _ := os.ReadFile(p + "/cmdline")
		line := string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		if strings.HasPrefix(cwd, dir) || strings.Contains(line, dir) || twoHostsAddrs.MatchString(line) {
			out = append(out, fmt.Sprintf("process %s: %s", filepath.Base(p), line))
		}
	}
	tables, _ := exec.Command("nft", "list", "tables").CombinedOutput()
	if prefix := fmt.Sprintf("sentinelsim_%d_", pid); strings.Contains(string(tables), prefix) {
		out = append(out, "nftables: "+strings.TrimSpace(string(tables)))
	}
	if _, err := os.Stat(dir); err == nil {
		out = append(out, "directory "+dir)
	}
	return out
}

// exitStatus waits for cmd (bounded) and returns its exit status.
func exitStatus(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("sentinelsim did not end within a minute of the signal")
		return -1
	}
}

// waitGone polls until nothing of the run is left, or fails listing what is.
func waitGone(t *testing.T, what, dir string, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := leftovers(dir, pid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s left behind:\n%s", what, strings.Join(left, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sentinelsim run cleans up after itself when interrupted (SIGINT), when it fails, when
// it passes, and when killed outright (SIGKILL): the kernel then kills its children and
// the next run removes its nftables table and directory.
func TestTheCommandLineLeavesNothingBehind(t *testing.T) {
	need(t)
	run := sentinelsim(t)
	long := twoHosts(t, "long", "faults: [{at: 0s, partition: [[n1], [n2]]}]\nduration: 60s\n")

	var stderr bytes.Buffer
	interrupted := run("run", "--backend", "real", "--sentinel", "mixed", "--file", long, "--quiet")
	interrupted.Stderr = &stderr
	if err := interrupted.Start(); err != nil {
		t.Fatal(err)
	}
	dir := runOf(t, interrupted)
	time.Sleep(time.Second) // mid-run: the clients are writing
	interrupted.Process.Signal(os.Interrupt)
	if code := exitStatus(t, interrupted); code != 130 {
		t.Errorf("interrupted run: exit status %d, want 130; stderr:\n%s", code, stderr.String())
	}
	waitGone(t, "the interrupted run", dir, interrupted.Process.Pid)

	killed := run("run", "--backend", "real", "--sentinel", "mixed", "--file", long, "--quiet")
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	killedDir := runOf(t, killed)
	killed.Process.Kill()
	exitStatus(t, killed)
	// Its children die with it, at once; its table and directory stay for the next run.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var procs []string
		for _, l := range leftovers(killedDir, killed.Process.Pid) {
			if strings.HasPrefix(l, "process") {
				procs = append(procs, l)
			}
		}
		if len(procs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the children of the killed run outlived it:\n%s", strings.Join(procs, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A run that fails its expectation, starting after the killed one.
	// The partition is shorter than down-after-milliseconds: no failover.
	failing := twoHosts(t, "failing", "faults: [{at: 0s, partition: [[n1], [n2]], for: 500ms}]\n"+
		"duration: 2s\nquiet: 1s\nexpect: {always: [failover]}\n")
	failed := run("run", "--backend", "real", "--sentinel", "mixed", "--file", failing, "--quiet")
	var out bytes.Buffer
	failed.Stdout, failed.Stderr = &out, &out
	if err := failed.Start(); err != nil {
		t.Fatal(err)
	}
	failedDir := runOf(t, failed)
	if code := exitStatus(t, failed); code != 1 || !strings.Contains(out.String(), "VIOLATED    failover") {
		t.Errorf("failing run: exit status %d, want 1 and a failover violation:\n%s", code, out.String())
	}
	waitGone(t, "the failed run", failedDir, failed.Process.Pid)
	waitGone(t, "the killed run, after the next run started,", killedDir, killed.Process.Pid)

	// And a run that passes, the common case.
	passing := twoHosts(t, "passing", "faults: [{at: 0s, partition: [[n1], [n2]], for: 500ms}]\n"+
		"duration: 2s\nquiet: 1s\nexpect: {always: [no-failover]}\n")
	passed := run("run", "--backend", "real", "--sentinel", "mixed", "--file", passing, "--quiet")
	out.Reset()
	passed.Stdout, passed.Stderr = &out, &out
	if err := passed.Start(); err != nil {
		t.Fatal(err)
	}
	passedDir := runOf(t, passed)
	if code := exitStatus(t, passed); code != 0 || !strings.Contains(out.String(), "PASS passing") {
		t.Errorf("passing run: exit status %d, want 0 and a PASS verdict:\n%s", code, out.String())
	}
	waitGone(t, "the passing run", passedDir, passed.Process.Pid)
}

// A sweep of the real backend runs one seed at a time: two at once would take the same
// addresses and ports, and the second would not come up.
func TestARealSweepRunsOneSeedAtATime(t *testing.T) {
	need(t)
	run := sentinelsim(t)
	f := twoHosts(t, "sweep", "duration: 2s\nquiet: 1s\n")
	sweep := run("sweep", "--backend", "real", "--file", f, "--seeds", "2", "--workers", "2", "--quiet")
	out, err := sweep.CombinedOutput()
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "runs one seed at a time, not 2") {
		t.Errorf("the sweep did not say it runs one seed at a time:\n%s", out)
	}
}
