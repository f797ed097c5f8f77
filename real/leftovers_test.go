package real_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/scenarios"
)

// deadOwner names a process that has ended: a child that ran and was reaped.
func deadOwner(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d-1", cmd.Process.Pid)
}

// fakeRun makes a run's directory as a run of owner leaves it, with one node whose
// process (a sleep) still runs in it; it returns the directory and the process.
func fakeRun(t *testing.T, owner string) (string, *exec.Cmd) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sentinelsim-real-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	node := filepath.Join(dir, "n1_redis")
	if err := os.Mkdir(node, 0o755); err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "120")
	sleep.Dir = node
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { sleep.Wait(); close(exited) }()
	t.Cleanup(func() { sleep.Process.Kill(); <-exited })
	for f, content := range map[string]string{filepath.Join(dir, "owner"): owner,
		filepath.Join(node, "pid"): fmt.Sprint(sleep.Process.Pid)} {
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, sleep
}

func nft(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft %q: %v: %s", script, err, out)
	}
}

// A run starting removes what a crashed run left, the nftables table, the temporary
// directory and a process in it, and leaves alone what belongs to a run still going on.
func TestLeftoversOfADeadRunAreRemovedAtStart(t *testing.T) {
	need(t)
	dead, live := deadOwner(t), real.Owner()
	deadTable := "sentinelsim_" + strings.ReplaceAll(dead, "-", "_") + "_1"
	liveTable := "sentinelsim_" + strings.ReplaceAll(live, "-", "_") + "_999999"
	nft(t, fmt.Sprintf("table inet %s {}\ntable inet %s {}\n", deadTable, liveTable))
	t.Cleanup(func() {
		for _, table := range []string{deadTable, liveTable} {
			nft(t, fmt.Sprintf("table inet %s {}\ndelete table inet %s\n", table, table))
		}
	})
	deadDir, deadProc := fakeRun(t, dead)
	liveDir, liveProc := fakeRun(t, live)

	s, err := scenarios.Parse("small.yaml", []byte(`name: small
about: One master and a sentinel.
hosts:
  n1: {addr: 127.0.0.51, redis: [6379], sentinel: [26379]}
sentinel: {quorum: 1}
duration: 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := real.New(t.Context(), s.Topology, 1, real.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	out, _ := exec.Command("nft", "list", "tables").CombinedOutput()
	if strings.Contains(string(out), deadTable) {
		t.Errorf("the dead run's table %s is still there:\n%s", deadTable, out)
	}
	if !strings.Contains(string(out), liveTable) {
		t.Errorf("the live run's table %s was removed:\n%s", liveTable, out)
	}
	if _, err := os.Stat(deadDir); !os.IsNotExist(err) {
		t.Errorf("the dead run's directory %s: %v, want it removed", deadDir, err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the live run's directory: %v", err)
	}
	if !exited(deadProc, 5*time.Second) {
		t.Errorf("the dead run's process %d still runs", deadProc.Process.Pid)
	}
	if exited(liveProc, 0) {
		t.Errorf("the live run's process %d was killed", liveProc.Process.Pid)
	}
}

// exited reports whether the process has exited within d.
func exited(cmd *exec.Cmd, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		// A killed child not yet reaped is a zombie: state Z after the name.
		if err != nil || strings.Contains(string(b), ") Z ") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
