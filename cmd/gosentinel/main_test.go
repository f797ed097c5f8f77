package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles gosentinel into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gosentinel")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// freePort finds a port nothing listens on at addr.
func freePort(t *testing.T, addr string) int {
	l, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// running reports whether a process is alive: a daemon that exited stays a zombie until
// whatever adopted it reaps it, which the machine's init may never do.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n") // an inline command
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && line != "+PONG\r\n" {
		err = fmt.Errorf("PING answered %q", line)
	}
	return err
}

// gosentinel as a drop-in: a relative config path resolved before it changes to its dir,
// daemonize yes with a pidfile and a logfile, inline commands, the config rewritten with
// its id, nothing on stderr, and a prompt exit on SIGTERM.
func TestDaemonizedLifecycle(t *testing.T) {
	bin := build(t)
	work, data := t.TempDir(), t.TempDir()
	port := freePort(t, "127.0.0.1")
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize yes\ndir %s\npidfile %s\nlogfile sentinel.log\n"+
		"sentinel monitor mymaster 127.0.0.1 1 1\n", port, data, filepath.Join(data, "gs.pid"))
	if err := os.WriteFile(filepath.Join(work, "sentinel.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "sentinel.conf")
	cmd.Dir = work
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gosentinel: %v\n%s", err, stderr.String())
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var pid int
	t.Cleanup(func() {
		if pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(data, "gs.pid"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && pid > 0 && ping(addr) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not come up: pid %d, %v", pid, ping(addr))
		}
		time.Sleep(50 * time.Millisecond)
	}
	rewritten, _ := os.ReadFile(filepath.Join(work, "sentinel.conf"))
	if !strings.Contains(string(rewritten), "sentinel myid ") {
		t.Errorf("the config file was not rewritten with the sentinel's id:\n%s", rewritten)
	}
	if log, _ := os.ReadFile(filepath.Join(data, "sentinel.log")); !strings.Contains(string(log), "# +monitor master mymaster 127.0.0.1 1 quorum 1") {
		t.Errorf("the log lacks +monitor in Redis's format:\n%s", log)
	}
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for running(pid) {
		if time.Since(start) > time.Second {
			t.Fatal("gosentinel did not exit within 1 s of SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid = 0
	if log, _ := os.ReadFile(filepath.Join(data, "sentinel.log")); !strings.Contains(string(log), "# Sentinel is now ready to exit, bye bye...") {
		t.Errorf("the log lacks Redis's last line:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(data, "gs.pid")); !os.IsNotExist(err) {
		t.Errorf("the pid file is still there after the exit: %v", err)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}
