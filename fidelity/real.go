package fidelity

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// RealVersion is the redis-server release the simulation models; the differential tests
// refuse to run against another one.
const RealVersion = "7.0."

// Client sends one command and returns its reply: a real connection or a simulated one.
type Client interface {
	Do(args ...string) (resp.Value, error)
}

// RequireRedisServer returns the path of redis-server, or fails the test with a message
// saying how to install it. It also checks the version is the one the simulation models.
func RequireRedisServer(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (%v): the fidelity tests compare the simulated node "+
			"against the real one; install it with `apt-get install -y redis-server` or `make deps`", err)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", path, err)
	}
	m := regexp.MustCompile(`v=(\d+\.\d+\.\d+)`).FindSubmatch(out)
	if m == nil || !strings.HasPrefix(string(m[1]), RealVersion) {
		t.Fatalf("%s is %q; the simulation models redis-server %sx, so the comparison would be meaningless",
			path, bytes.TrimSpace(out), RealVersion)
	}
	return path
}

// FreePort returns a TCP port that is free on every one of the addresses.
func FreePort(t testing.TB, addrs ...string) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		l, err := net.Listen("tcp", net.JoinHostPort(addrs[0], "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v (the tests need the 127.0.0.0/8 loopback addresses)", addrs[0], err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		ok := true
		var others []net.Listener
		for _, a := range addrs[1:] {
			o, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			others = append(others, o)
		}
		for _, o := range others {
			o.Close()
		}
		l.Close()
		if ok {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", addrs)
	return 0
}

// Real is a redis-server process the test started.
type Real struct {
	Addr string
	Port int
	Dir  string
	path string
	args []string
	cmd  *exec.Cmd
	log  string
	// started is when the test started the server first: a clock for the tests.
	started time.Time
}

// StartReal starts redis-server on addr:port in a fresh directory, with a config file
// that turns persistence off (save "", appendonly no) and then sets opts, the options a
// simulated node takes (sim.Spawn). Options go into the file rather than onto the
// command line, so that CONFIG REWRITE and a restart treat them as they treat a
// simulated node's. It waits until the server answers PING (LOADING counts) and
// kills it when the test ends, whether it passed or not.
func StartReal(t testing.TB, addr string, port int, opts ...[2]string) *Real {
	t.Helper()
	path := RequireRedisServer(t)
	dir := t.TempDir()
	r := &Real{Addr: addr, Port: port, Dir: dir, path: path, log: filepath.Join(dir, "redis.log"), started: time.Now()}
	conf := filepath.Join(dir, "redis.conf")
	var text strings.Builder
	for _, o := range append([][2]string{{"save", ""}, {"appendonly", "no"}}, opts...) {
		value := confQuote(o[1])
		if o[0] == "user" { // a user's name and rules are arguments of their own
			var words []string
			for _, w := range strings.Fields(o[1]) {
				words = append(words, confQuote(w))
			}
			value = strings.Join(words, " ")
		}
		fmt.Fprintf(&text, "%s %s\n", o[0], value)
	}
	if err := os.WriteFile(conf, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r.args = []string{conf, "--port", strconv.Itoa(port), "--bind", addr, "--dir", dir, "--logfile", r.log,
		"--daemonize", "no"}
	t.Cleanup(func() {
		r.Kill()
		if t.Failed() {
			t.Logf("log of redis-server %s:%d:\n%s", addr, port, r.LogTail(40))
		}
	})
	r.start(t)
	return r
}

// confQuote writes a value as redis.conf reads it back (sdssplitargs): in double quotes,
// with backslash escapes for quotes, backslashes and bytes that are not printable.
func confQuote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Kill kills the server with SIGKILL and waits for it to end.
func (r *Real) Kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// Restart kills the server and starts it again with the same command line, config file
// and directory: it keeps what it persisted (its rewritten config file), nothing else.
func (r *Real) Restart(t testing.TB) {
	t.Helper()
	r.Kill()
	r.start(t)
}

func (r *Real) start(t testing.TB) {
	t.Helper()
	addr, port := r.Addr, r.Port
	r.cmd = exec.Command(r.path, r.args...)
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := DialReal(addr, port)
		if err == nil {
			v, err := c.Do("PING")
			c.Close()
			// PONG, or MASTERDOWN from a replica that serves no stale data, NOAUTH from a
			// server that wants a password, LOADING from one loading its dataset: it is up.
			if err == nil && (v.Equal(resp.Simple("PONG")) || v.ErrorPrefix() == "MASTERDOWN" ||
				v.ErrorPrefix() == "NOAUTH" || v.ErrorPrefix() == "LOADING") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s:%d did not answer PING within 10 s (last error %v); log:\n%s",
				addr, port, err, r.LogTail(40))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// LogTail returns the last n lines of the server's log.
func (r *Real) LogTail(n int) string {
	b, _ := os.ReadFile(r.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Log returns the whole log.
func (r *Real) Log() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

// Dial opens a connection to the server, closed when the test ends.
func (r *Real) Dial(t testing.TB) *RealConn {
	t.Helper()
	c, err := DialReal(r.Addr, r.Port)
	if err != nil {
		t.Fatalf("dial %s:%d: %v", r.Addr, r.Port, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// RealConn is a raw RESP2 connection, using resp's codec, so replies are compared exactly
// as they came off the wire.
type RealConn struct {
	c net.Conn
	r *resp.Reader
}

// DialReal connects to a real server.
func DialReal(addr string, port int) (*RealConn, error) {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(addr, strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &RealConn{c: c, r: resp.NewReader(c)}, nil
}

// Do sends a command and reads one reply.
func (c *RealConn) Do(args ...string) (resp.Value, error) {
	if err := c.Send(args...); err != nil {
		return resp.Value{}, err
	}
	v, err := c.Receive()
	if err != nil {
		return resp.Value{}, fmt.Errorf("%q: %w", args, err)
	}
	return v, nil
}

// Send writes a command without reading its reply.
func (c *RealConn) Send(args ...string) error {
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.c.Write(resp.AppendCommand(nil, args...))
	return err
}

// Receive reads one reply, waiting up to 10 s.
func (c *RealConn) Receive() (resp.Value, error) {
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return c.r.ReadValue()
}

// Close closes the connection.
func (c *RealConn) Close() error { return c.c.Close() }
