package server

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireBinary returns the path of a Redis 7.0 program the test needs, or fails the test
// saying what to install.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (%v): this test compares gosentinel with the real thing; "+
			"install it with `apt-get install -y redis-server redis-sentinel` or `make deps`", name, err)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil || !strings.Contains(string(out), "v=7.0.") {
		t.Fatalf("%s --version: %q %v; the tests compare with Redis 7.0", path, out, err)
	}
	return path
}

// freePort returns a TCP port free on host.
func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v (the tests need the 127.0.0.0/8 loopback addresses)", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs a Redis program with a config file holding lines, in a temporary
// directory, and waits until it listens on host:port. kill ends it with SIGKILL; it is
// killed when the test ends at the latest, and its log shown if the test failed.
func startProcess(t *testing.T, bin, host string, port int, lines ...string) (kill func()) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	logfile := filepath.Join(dir, "redis.log")
	text := fmt.Sprintf("port %d\nbind %s\nprotected-mode no\ndir %s\nlogfile %s\n%s\n",
		port, host, dir, logfile, strings.Join(lines, "\n"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	kill = func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(func() {
		kill()
		if t.Failed() {
			b, _ := os.ReadFile(logfile)
			t.Logf("log of %s on %s:%d:\n%s", filepath.Base(bin), host, port, b)
		}
	})
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	waitFor(t, 10*time.Second, filepath.Base(bin)+" listening on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return kill
}
