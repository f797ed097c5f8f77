package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redisSentinel is the path of the real redis-sentinel these tests compare with.
func redisSentinel(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Fatalf("this test compares with the real redis-sentinel 7.0.15, which is not on PATH (apt-get install redis-sentinel): %v", err)
	}
	return bin
}

// runConfig runs bin on a config file holding text, with args after it, and returns its
// exit status, stderr and the file's path; port 0 makes a good config exit at once too.
func runConfig(t *testing.T, bin, text string, args ...string) (code int, stderr, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{path}, args...)...)
	cmd.Dir = filepath.Dir(path)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, errb.String(), path
}

// A bad config line stops gosentinel as it stops redis-sentinel: the same message on
// stderr (gosentinel adds the file's path) and exit status 1; the redis-server directives
// and user lines redis-sentinel accepts, gosentinel accepts too.
func TestConfigErrorsLikeRedisSentinel(t *testing.T) {
	real, ours := redisSentinel(t), build(t)
	for _, line := range []string{
		"prot 5000", "daemonize maybe", "loglevel bogus", "dir /nonexistent/x", "port 99999", "port abc",
		"port", "daemonize yes no", "appendonly", "logfile /nonexistent/x.log", `sentinel monitor "m`,
		"sentinel monitor m 127.0.0.1 6379 0", "sentinel bogus", "sentinel down-after-milliseconds x 5",
		"shutdown-on-sigint bogus", "maxmemory-policy lru", "foo.bar", "user", "list-max-ziplist-entries",
		// user lines: Redis quotes the word two before the bad rule, or the name
		"user bob on >p foo", "user bob nopass <x", "user bob ~* ~k", "user bob &* &x", "user bob #abc",
		"user bob on\nuser bob off", "user bob reset %X~k",
		// accepted by both
		"DAEMONIZE NO", "loglevel DEBUG", "save 900 1", "save", "bind", "sentinel", "repl-diskless-sync-delay 0",
		"tls-port 0", "list-max-ziplist-entries 5", "shutdown-on-sigterm nosave now", "foo.bar 1",
		"user default on nopass sanitize-payload ~* &* +@all", "USER bob\nuser Bob", "user bob on +nosuchcommand",
	} {
		text := "port 0\n" + line + "\n"
		wantCode, wantErr, realPath := runConfig(t, real, text)
		code, stderr, path := runConfig(t, ours, text)
		wantErr = strings.Replace(wantErr, "Reading the configuration file,", "Reading the configuration file "+path+",", 1)
		if code != wantCode || stderr != wantErr {
			t.Errorf("%q: gosentinel exits %d with\n%s\nredis-sentinel (%s) exits %d with\n%s", line, code, stderr, realPath, wantCode, wantErr)
		}
		// The error is at the last line.
		last, at := line[strings.LastIndexByte(line, '\n')+1:], 2+strings.Count(line, "\n")
		if strings.Contains(wantErr, "Reading") && !strings.Contains(stderr, fmt.Sprintf("%s, at line %d\n>>> '%s'\n", path, at, last)) {
			t.Errorf("%q: the error lacks the line number and the line:\n%s", line, stderr)
		}
	}
}

// The options after the config file are config lines, read after the file as
// redis-sentinel reads them: the same errors at the same line numbers, values that start
// with "--", --save and the --sentinel pseudo-option.
func TestCommandLineErrorsLikeRedisSentinel(t *testing.T) {
	real, ours := redisSentinel(t), build(t)
	for _, args := range [][]string{
		{"--port", "abc"}, {"--port"}, {"--port", "0", "--loglevel"}, {"--loglevel", "verbose", "--port"},
		{"--sentinel", "monitor"}, {"--save", "--port", "x"}, {"foo"}, {"--sentinel", "--port", "x"},
		{"--port", "x", "--sentinel"}, {"--port 0", "--daemonize", "maybe"}, {"--logfile", "--port"},
		{"--sentinel", "monitor", "m", "127.0.0.1", "6379", "0"}, {"--port", "0", "--save"},
		{"--sentinel", "announce-ip", "a \"b\"\x01"}, {"--port", "0", "--sentinel"},
	} {
		text := "port 0\nbind 127.0.0.1\n"
		wantCode, wantErr, _ := runConfig(t, real, text, args...)
		code, stderr, path := runConfig(t, ours, text, args...)
		wantErr = strings.Replace(wantErr, "Reading the configuration file,", "Reading the configuration file "+path+",", 1)
		if code != wantCode || stderr != wantErr {
			t.Errorf("%q: gosentinel exits %d with\n%s\nredis-sentinel exits %d with\n%s", args, code, stderr, wantCode, wantErr)
		}
	}
}

// gosentinel -v prints Redis's version line, which scripts parse, and -h the usage.
func TestVersionAndHelp(t *testing.T) {
	bin := build(t)
	for _, arg := range []string{"-v", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil || !strings.HasPrefix(string(out), "Redis server v=7.0.15 ") {
			t.Errorf("gosentinel %s: %v, %q: want Redis's version line", arg, err, out)
		}
	}
	for _, arg := range []string{"-h", "--help"} {
		cmd := exec.Command(bin, arg)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "Usage: gosentinel /path/to/sentinel.conf [options]") {
			t.Errorf("gosentinel %s: %v, %q: want the usage on stderr and exit status 1", arg, err, stderr.String())
		}
	}
}

// The command line's options win over the file's lines, as in
// `redis-sentinel sentinel.conf --port 26380`: a file that says port 0 (do not listen)
// serves on the port the command line gives, and a master given there is monitored and
// saved in the file.
func TestCommandLineOptionsApply(t *testing.T) {
	bin := build(t)
	port := freePort(t, "127.0.0.1")
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("port 0\nbind 127.0.0.1\nlogfile sentinel.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	stop := serveWith(t, bin, conf, addr, "--port", strconv.Itoa(port), "--sentinel", "monitor", "mymaster", "127.0.0.1", "1", "1", "--sentinel")
	defer stop()
	rewritten, _ := os.ReadFile(conf)
	if !strings.Contains(string(rewritten), "sentinel monitor mymaster 127.0.0.1 1 1") {
		t.Errorf("the master given on the command line is not in the rewritten file:\n%s", rewritten)
	}
}

// start runs bin on a config file with text (its port free) and returns its address; the
// process is killed when the test ends.
func start(t *testing.T, bin, text string) (addr, dir string) {
	t.Helper()
	port := freePort(t, "127.0.0.1")
	dir = t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text = fmt.Sprintf("port %d\nbind 127.0.0.1\nlogfile sentinel.log\n%s", port, text)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	serve(t, bin, conf, addr)
	return addr, dir
}

// serve runs bin on the config file conf, from its directory, and waits until it answers
// on addr. stop kills it; it is stopped when the test ends at the latest. A sentinel with
// a logfile writes nothing to stderr in normal operation, so the test fails if it did.
func serve(t *testing.T, bin, conf, addr string) (stop func()) {
	t.Helper()
	return serveWith(t, bin, conf, addr)
}

// serveWith is serve with args after the config file.
func serveWith(t *testing.T, bin, conf, addr string, args ...string) (stop func()) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{conf}, args...)...)
	cmd.Dir = filepath.Dir(conf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		if cmd.ProcessState != nil {
			return
		}
		cmd.Process.Kill()
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Errorf("%s on %s wrote to stderr:\n%s", filepath.Base(bin), addr, stderr.String())
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(5 * time.Second); !strings.HasPrefix(exchangeOnce(addr), "+PONG") &&
		!strings.HasPrefix(exchangeOnce(addr), "-NOAUTH"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up on %s", bin, addr)
		}
	}
	return stop
}

// exchange sends raw bytes on a new connection and returns what comes back within
// 200 ms, with "<closed>" appended if the server closed the connection.
func exchange(t *testing.T, addr, input string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, input); err != nil {
		t.Fatal(err)
	}
	return readAll(c, 200*time.Millisecond)
}

// exchangeOnce is what PING gets, "" when nothing answers.
func exchangeOnce(addr string) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	io.WriteString(c, "PING\r\n")
	return readAll(c, 200*time.Millisecond)
}

func readAll(c net.Conn, wait time.Duration) string {
	c.SetReadDeadline(time.Now().Add(wait))
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return string(out) + "<closed>"
		}
		if err != nil {
			return string(out)
		}
	}
}

var clientID = regexp.MustCompile(`id\r\n:[0-9]+`)

// Clients get redis-sentinel's replies, byte for byte, to malformed RESP (the error
// reply, then the connection closed), to unknown and wrong-arity commands, and Redis's
// order of checks: command lookup and arity before authentication.
func TestClientErrorsLikeRedisSentinel(t *testing.T) {
	conf := "requirepass secret\nsentinel monitor m 127.0.0.1 1 1\n"
	realAddr, _ := start(t, redisSentinel(t), conf)
	ourAddr, _ := start(t, build(t), conf)
	for _, input := range []string{
		// malformed RESP: replies to what came before, the error, then the close
		"*1\r\n$3\r\nfoo\r\n*x\r\n",
		"*1\r\n+PING\r\n",
		"*2\r\n$4\r\nPING\r\n$-3\r\n",
		"*2\r\n$4\r\nPING\r\n$999999999999\r\n",
		"\"unbalanced\r\n",
		"*-5\r\nPING\r\n",
		// unknown commands and subcommands, arity, then authentication
		"foo\r\n", "foo a b\r\n", "get x\r\n", "sentinel\r\n", "sentinel foo\r\n", "sentinel masters x\r\n",
		"sentinel masters\r\n", "client\r\n", "client foo\r\n", "ping a b\r\n", "role x\r\n", "auth\r\n",
		"hello 3\r\n", "hello 4\r\n", "hello x\r\n", "command foo\r\n", "subscribe\r\n",
		"foo " + strings.Repeat("x", 200) + " y\r\n",
		"\"foo\\r\\nbar\"\r\n",
		// authenticated
		"AUTH secret\r\nfoo\r\nsentinel foo\r\nsentinel get-master-addr-by-name m\r\nsentinel get-master-addr-by-name x\r\n" +
			"ping a b\r\nclient getname\r\nclient setname a\\x01\r\nhello 2\r\nhello 3 setname x\r\n",
		// (UNSUBSCRIBE of several channels goes in hash order in Redis, sorted here.)
		"AUTH secret\r\nSUBSCRIBE a\r\nSUBSCRIBE a\r\nPING\r\nsentinel masters\r\nUNSUBSCRIBE\r\nPING x\r\n",
		"HELLO 3 AUTH default secret\r\nSUBSCRIBE a\r\nPING\r\nsentinel get-master-addr-by-name x\r\nclient getname\r\nPSUBSCRIBE *\r\nPUNSUBSCRIBE\r\n",
		"HELLO 3 AUTH default wrong\r\n",
	} {
		var want string
		done := make(chan bool)
		go func() { want = exchange(t, realAddr, input); close(done) }()
		got := exchange(t, ourAddr, input)
		<-done
		// Client ids differ: redis-sentinel counts its own links to the instances too.
		want, got = clientID.ReplaceAllString(want, "id\r\n:N"), clientID.ReplaceAllString(got, "id\r\n:N")
		if got != want {
			t.Errorf("%q:\ngosentinel:     %q\nredis-sentinel: %q", input, got, want)
		}
	}
}

// A client's malformed RESP closes only its own connection: another client, connected
// before, goes on being served.
func TestProtocolErrorLeavesOtherClients(t *testing.T) {
	addr, _ := start(t, build(t), "sentinel monitor m 127.0.0.1 1 1\n")
	other, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := exchange(t, addr, "PING\r\n*1\r\n+PING\r\n"); got != "+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n<closed>" {
		t.Errorf("the malformed client got %q", got)
	}
	io.WriteString(other, "PING\r\n")
	if got := readAll(other, 300*time.Millisecond); got != "+PONG\r\n" {
		t.Errorf("the other client got %q after the malformed one was closed", got)
	}
}

// logShape is a log file with what differs between two runs (pids, times, ports, ids)
// blanked: "N:X N Dec N N:N:N.N # Redis version=N.N.N, ...".
func logShape(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`[0-9a-f]{40}`).ReplaceAllString(string(b), "ID")
	text = regexp.MustCompile(`[0-9]+`).ReplaceAllString(text, "N")
	return strings.Split(strings.TrimSpace(text), "\n")
}

// gosentinel writes the startup and shutdown lines redis-sentinel writes, at the levels
// it writes them, and honours loglevel.
func TestLogLinesLikeRedisSentinel(t *testing.T) {
	real, ours := redisSentinel(t), build(t)
	for _, level := range []string{"notice", "warning", "debug"} {
		conf := "loglevel " + level + "\nsentinel monitor m 127.0.0.1 1 1\nuser bob off\n"
		var shapes [2][]string
		for i, bin := range []string{real, ours} {
			addr, dir := start(t, bin, conf)
			pid := sentinelPid(t, addr)
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			waitExit(t, pid, time.Second)
			shapes[i] = logShape(t, filepath.Join(dir, "sentinel.log"))
		}
		if level == "debug" {
			// Debug adds the links' chatter, which differs in timing; the lines Redis
			// writes at start and exit must be there.
			for _, want := range []string{"# Configuration loaded", "* Running mode=sentinel, port=N.",
				"# User requested shutdown...", "# Sentinel is now ready to exit, bye bye..."} {
				if !strings.Contains(strings.Join(shapes[1], "\n"), want) {
					t.Errorf("loglevel debug: gosentinel's log lacks %q", want)
				}
			}
			continue
		}
		if strings.Join(shapes[1], "\n") != strings.Join(shapes[0], "\n") {
			t.Errorf("loglevel %s: gosentinel logs\n%s\nredis-sentinel logs\n%s", level,
				strings.Join(shapes[1], "\n"), strings.Join(shapes[0], "\n"))
		}
	}
}

// sentinelPid asks a sentinel for its process id.
func sentinelPid(t *testing.T, addr string) int {
	t.Helper()
	m := regexp.MustCompile(`process_id:([0-9]+)`).FindStringSubmatch(exchange(t, addr, "INFO server\r\n"))
	if m == nil {
		t.Fatalf("INFO server on %s has no process_id", addr)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// waitExit waits for a child of the test to exit, failing after limit.
func waitExit(t *testing.T, pid int, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		var ws syscall.WaitStatus
		if got, _ := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); got == pid {
			return
		}
		if time.Since(start) > limit {
			t.Fatalf("process %d did not exit within %v of SIGTERM", pid, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The users survive a restart as with redis-sentinel: gosentinel starts on a file that
// redis-sentinel 7.0.15 has rewritten (its `user default` line included), and after ACL
// SETUSER and DELUSER each config flush writes the user lines as Redis does (ACL LIST's
// form, users in name order, Redis's placement); restarted on that file, each has the
// same users, the default user reset by its line (hence sanitize-payload), and a
// password still logs in. Both run in turn on one file, port and directory, so that
// every byte of the files can be compared.
func TestUsersKeptLikeRedisSentinel(t *testing.T) {
	real, ours := redisSentinel(t), build(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	port, dead := freePort(t, "127.0.0.1"), freePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	write := func(text string) {
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Nothing listens at the master's address, so nothing but the commands changes the
	// file while the test runs (the master is not down before 30 s).
	write(fmt.Sprintf("port %d\nbind 127.0.0.1\nlogfile sentinel.log\nsentinel myid %s\nsentinel monitor m 127.0.0.1 %d 2\n",
		port, strings.Repeat("a", 40), dead))
	stop := serve(t, real, conf, addr)
	exchange(t, addr, "SENTINEL SET m quorum 2\r\n")
	stop()
	byRedis := read()
	if !strings.Contains(byRedis, "\nuser default on nopass ~* &* +@all\n") {
		t.Fatalf("redis-sentinel's rewrite has no default user line:\n%s", byRedis)
	}
	sessions := [][]string{{
		"ACL SETUSER alice #" + strings.Repeat("ab", 32) + " +ping",
		"ACL SETUSER bob on >pw ~k* &ch +@all -sentinel|reset",
		"SENTINEL SET m quorum 1",
		"ACL DELUSER alice",
		"ACL SETUSER carol on nopass +@connection",
		"SENTINEL SET m quorum 2",
		"ACL LIST",
	}, {
		"ACL LIST",
		"AUTH bob pw",
		"SENTINEL SET m quorum 1",
	}}
	var got [2][]string
	for i, bin := range []string{real, ours} {
		write(byRedis)
		for _, cmds := range sessions {
			stop := serve(t, bin, conf, addr)
			for _, cmd := range cmds {
				got[i] = append(got[i], cmd+"\n"+exchange(t, addr, cmd+"\r\n"), cmd+", then the file:\n"+read())
			}
			stop()
		}
	}
	for j := range got[0] {
		if got[1][j] != got[0][j] {
			t.Errorf("gosentinel:\n%s\nredis-sentinel:\n%s", got[1][j], got[0][j])
		}
	}
	if !strings.Contains(got[1][len(got[1])-4], "+OK") {
		t.Errorf("bob's password does not log in after the restart: %s", got[1][len(got[1])-4])
	}
}

// A user line whose rules pass the file's check but fail when the users are loaded (an
// unknown command or category, a name with a space) stops gosentinel as it stops
// redis-sentinel: once the port is open, with the same log lines, nothing on stderr, and
// exit status 1.
func TestUserLoadErrorsLikeRedisSentinel(t *testing.T) {
	real, ours := redisSentinel(t), build(t)
	for _, line := range []string{"user bob on +get", "user bob on +@nosuchcategory", `user "a b" on`,
		"user default on nopass ~* &* +@all +sentinel|nosuchsubcommand"} {
		var shapes [2][]string
		for i, bin := range []string{real, ours} {
			text := fmt.Sprintf("port %d\nbind 127.0.0.1\nlogfile sentinel.log\nsentinel monitor m 127.0.0.1 1 1\n%s\n",
				freePort(t, "127.0.0.1"), line)
			code, stderr, path := runConfig(t, bin, text)
			if code != 1 || stderr != "" {
				t.Errorf("%q: %s exits %d with %q on stderr, want 1 and nothing", line, filepath.Base(bin), code, stderr)
			}
			shapes[i] = logShape(t, filepath.Join(filepath.Dir(path), "sentinel.log"))
		}
		if strings.Join(shapes[1], "\n") != strings.Join(shapes[0], "\n") {
			t.Errorf("%q: gosentinel logs\n%s\nredis-sentinel logs\n%s", line, strings.Join(shapes[1], "\n"), strings.Join(shapes[0], "\n"))
		}
		if !strings.Contains(strings.Join(shapes[1], "\n"), "# Critical error while loading ACLs. Exiting.") {
			t.Errorf("%q: gosentinel's log lacks Redis's last line:\n%s", line, strings.Join(shapes[1], "\n"))
		}
	}
}
