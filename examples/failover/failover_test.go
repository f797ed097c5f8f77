// Package failover is the failover walkthrough of README.md; its test runs run.sh with
// gosentinel and with redis-sentinel so that the example cannot rot.
package failover

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWalkthrough runs the README's steps with both sentinels, one after the other (they
// use the same fixed ports on 127.0.0.1).
func TestWalkthrough(t *testing.T) {
	for _, bin := range []string{"redis-server", "redis-cli", "redis-sentinel"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("the walkthrough needs %s on PATH (apt-get install redis-server redis-sentinel): %v", bin, err)
		}
	}
	gosentinel := filepath.Join(t.TempDir(), "gosentinel")
	if out, err := exec.Command("go", "build", "-o", gosentinel, "../../cmd/gosentinel").CombinedOutput(); err != nil {
		t.Fatalf("building gosentinel: %v\n%s", err, out)
	}
	for _, sentinel := range []string{gosentinel, "redis-sentinel"} {
		t.Run(filepath.Base(sentinel), func(t *testing.T) { walkthrough(t, sentinel) })
	}
}

func walkthrough(t *testing.T, sentinel string) {
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./run.sh", sentinel)
	cmd.Env = append(os.Environ(), "WORK="+work)
	// run.sh kills what it started when it exits; its own process group lets the test
	// kill everything too if run.sh itself is killed (the timeout) before it can.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(work, "*", "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("--- %s\n%s", l, b)
		}
		t.Fatalf("run.sh %s: %v\n%s", sentinel, err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"# +sdown master mymaster 127.0.0.1 6382",
		"# +odown master mymaster 127.0.0.1 6382 #quorum",
		"# +switch-master mymaster 127.0.0.1 6382 127.0.0.1 638",
		"* +convert-to-slave slave 127.0.0.1:6382 127.0.0.1 6382 @ mymaster 127.0.0.1 638",
		"role:slave",
		"walkthrough passed with " + filepath.Base(sentinel),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the walkthrough's output lacks %q:\n%s", want, text)
		}
	}
}
