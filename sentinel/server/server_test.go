package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
)

// fakeRedis is a small RESP server on 127.0.0.1: handle answers each command of a
// connection (numbered from 1 in accept order), or closes it by returning ok == false.
type fakeRedis struct {
	l      net.Listener
	mu     sync.Mutex
	handle func(conn int, args []string) (reply resp.Value, ok bool)
	seen   [][]string // every command, prefixed with its connection number
	conns  []net.Conn
}

func newFakeRedis(t *testing.T, handle func(conn int, args []string) (resp.Value, bool)) *fakeRedis {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{l: l, handle: handle}
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	go f.accept()
	return f
}

func (f *fakeRedis) addr() sentinel.Addr {
	return sentinel.Addr{Host: "127.0.0.1", Port: f.l.Addr().(*net.TCPAddr).Port}
}

func (f *fakeRedis) accept() {
	for {
		nc, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, nc)
		n := len(f.conns)
		f.mu.Unlock()
		go f.serve(n, nc)
	}
}

func (f *fakeRedis) serve(n int, nc net.Conn) {
	defer nc.Close()
	r, w := resp.NewReader(nc), bufio.NewWriter(nc)
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, append([]string{fmt.Sprint(n)}, args...))
		handle := f.handle
		f.mu.Unlock()
		reply, ok := handle(n, args)
		if !ok {
			return
		}
		w.Write(resp.Append(nil, reply))
		w.Flush()
	}
}

// commands returns what arrived so far, one "conn cmd args..." string each.
func (f *fakeRedis) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.seen))
	for i, c := range f.seen {
		out[i] = strings.Join(c, " ")
	}
	return out
}

// runLoop plays the server's loop on the test's goroutine: it runs posted functions
// until done says so, failing after limit.
func runLoop(t *testing.T, srv *Server, limit time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.After(limit)
	for !done() {
		select {
		case fn := <-srv.tasks:
			fn()
		case <-deadline:
			t.Fatalf("%s did not happen within %v", what, limit)
		}
	}
}

// The transport's pipeline: commands queued before the connection is up go out once it
// is; replies reach their callbacks in order, error replies included; a reply nobody
// waits for that is an error drops the connection, as hiredis does; a connection the
// server closes is reported once, after every pending callback learnt ok == false.
func TestTransportPipeline(t *testing.T) {
	f := newFakeRedis(t, func(_ int, args []string) (resp.Value, bool) {
		switch strings.ToUpper(args[0]) {
		case "PING":
			return resp.Simple("PONG"), true
		case "ECHO":
			return resp.Bulk(args[1]), true
		case "SUBSCRIBE":
			return resp.Err("NOAUTH Authentication required."), true
		case "HANGUP":
			return resp.Value{}, false
		}
		return resp.Err("ERR unknown command"), true
	})
	srv := &Server{tasks: make(chan func(), 64)}
	var disconnected []error
	c, err := transport{srv}.Dial(f.addr(), func(err error) { disconnected = append(disconnected, err) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	record := func(v resp.Value, ok bool) { got = append(got, fmt.Sprintf("%v %v", v, ok)) }
	for _, cmd := range [][]string{{"PING"}, {"ECHO", "a"}, {"BOGUS"}, {"ECHO", "b"}} {
		if err := c.Send(cmd, record); err != nil {
			t.Fatal(err)
		}
	}
	runLoop(t, srv, 5*time.Second, "four replies", func() bool { return len(got) == 4 })
	if want := `[PONG true "a" true (error) ERR unknown command true "b" true]`; fmt.Sprint(got) != want {
		t.Errorf("replies %v, want %v", got, want)
	}
	if ip := c.LocalIP(); ip != "127.0.0.1" {
		t.Errorf("LocalIP %q", ip)
	}
	// A refused SUBSCRIBE is an error reply nobody waits for: hiredis drops the link.
	c.Subscribe("SUBSCRIBE", "__sentinel__:hello", func(resp.Value) { t.Error("a refused SUBSCRIBE delivered a message") })
	runLoop(t, srv, 5*time.Second, "the drop after a refused SUBSCRIBE", func() bool { return len(disconnected) == 1 })
	if err := c.Send([]string{"PING"}, record); err == nil {
		t.Error("Send on a dropped connection did not fail")
	}

	// The server hangs up with a command pending.
	disconnected, got = nil, nil
	c, _ = transport{srv}.Dial(f.addr(), func(err error) { disconnected = append(disconnected, err) })
	c.Send([]string{"HANGUP"}, record)
	runLoop(t, srv, 5*time.Second, "the hang-up noticed", func() bool { return len(disconnected) == 1 })
	if fmt.Sprint(got) != "[(invalid) false]" {
		t.Errorf("the pending command got %v, want one callback with ok == false", got)
	}

	// A Close the sentinel asks for fails what is pending and stays silent.
	disconnected, got = nil, nil
	c, _ = transport{srv}.Dial(f.addr(), func(err error) { disconnected = append(disconnected, err) })
	c.Send([]string{"PING"}, record)
	c.Close()
	if fmt.Sprint(got) != "[(invalid) false]" || len(disconnected) != 0 {
		t.Errorf("after Close: callbacks %v, disconnects %v", got, disconnected)
	}
	time.Sleep(100 * time.Millisecond) // the dial ending after Close must not resurrect it
	for len(srv.tasks) > 0 {
		(<-srv.tasks)()
	}
	if len(got) != 1 || len(disconnected) != 0 {
		t.Errorf("the dial that ended after Close ran callbacks: %v, %v", got, disconnected)
	}

	// Nothing listens: the failed connect is a disconnect.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := sentinel.Addr{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	l.Close()
	disconnected = nil
	transport{srv}.Dial(dead, func(err error) { disconnected = append(disconnected, err) })
	runLoop(t, srv, 5*time.Second, "the refused connect reported", func() bool { return len(disconnected) == 1 })
}

// writeConf writes a sentinel config file on a free port, its log and pid file beside it.
func writeConf(t *testing.T, extra string) (path string, port int) {
	t.Helper()
	return writeConfOn(t, "127.0.0.1", extra)
}

// writeConfOn is writeConf for a sentinel bound to host.
func writeConfOn(t *testing.T, host, extra string) (path string, port int) {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	path = filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind %s\nlogfile %s\npidfile %s\n%s", port, host,
		filepath.Join(dir, "sentinel.log"), filepath.Join(dir, "sentinel.pid"), extra)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, port
}

// running is a Server started by Run on its own goroutine.
type running struct {
	conf    string
	addr    string
	signals chan os.Signal
	exited  chan int
}

func startServer(t *testing.T, extra string) *running {
	t.Helper()
	return startServerOn(t, "127.0.0.1", extra)
}

// startServerOn is startServer for a sentinel bound to host.
func startServerOn(t *testing.T, host, extra string) *running {
	t.Helper()
	conf, port := writeConfOn(t, host, extra)
	r := &running{conf: conf, addr: fmt.Sprintf("%s:%d", host, port), signals: make(chan os.Signal, 1), exited: make(chan int, 1)}
	go func() {
		code, err := Run(conf, "", io.Discard, r.signals)
		if err != nil {
			t.Error(err)
		}
		r.exited <- code
	}()
	t.Cleanup(func() {
		r.signals <- syscall.SIGTERM
		select {
		case <-r.exited:
		case <-time.After(5 * time.Second):
		}
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", r.addr); err == nil {
			c.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen on %s", r.addr)
		}
	}
}

// dial connects a client and returns a function that sends one inline command and reads
// one reply.
func dial(t *testing.T, addr string) (net.Conn, func(cmd string) (resp.Value, error)) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := resp.NewReader(c)
	return c, func(cmd string) (resp.Value, error) {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c, cmd+"\r\n"); err != nil {
			return resp.Value{}, err
		}
		return r.ReadValue()
	}
}

func (r *running) log(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(r.conf), "sentinel.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The sentinel's links to a real RESP server: each link names itself with CLIENT SETNAME
// first, the command link then PINGs and asks INFO, the Pub/Sub link subscribes to the
// hello channel; the master's replies are matched (the sentinel sees it as a master with
// no pending commands); a server that hangs up is noticed and reconnected to at most once
// per ping period (1 s), as Redis paces it.
func TestLinksAgainstRESPServer(t *testing.T) {
	var mu sync.Mutex
	hangUp := false
	f := newFakeRedis(t, func(conn int, args []string) (resp.Value, bool) {
		mu.Lock()
		defer mu.Unlock()
		if hangUp {
			return resp.Value{}, false
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			return resp.Simple("PONG"), true
		case "INFO":
			return resp.Bulk("# Server\r\nrun_id:0123456789012345678901234567890123456789\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"), true
		case "SUBSCRIBE":
			return resp.Array(resp.Bulk("subscribe"), resp.Bulk(args[1]), resp.Int(1)), true
		case "PUBLISH":
			return resp.Int(1), true
		}
		return resp.OK, true
	})
	r := startServer(t, fmt.Sprintf("sentinel monitor m 127.0.0.1 %d 1\n", f.addr().Port))
	_, do := dial(t, r.addr)
	waitFor(t, 5*time.Second, "the master's INFO seen", func() bool {
		v, err := do("SENTINEL MASTER m")
		return err == nil && strings.Contains(v.String(), `"role-reported" "master"`) &&
			strings.Contains(v.String(), `"runid" "0123456789012345678901234567890123456789"`)
	})
	firstOf := map[string]string{}
	for _, c := range f.commands() {
		conn, cmd, _ := strings.Cut(c, " ")
		if _, ok := firstOf[conn]; !ok {
			firstOf[conn] = cmd
		}
	}
	kinds := map[string]bool{}
	for _, cmd := range firstOf {
		if !strings.HasPrefix(cmd, "CLIENT SETNAME sentinel-") {
			t.Errorf("a link began with %q, not CLIENT SETNAME", cmd)
		}
		kinds[cmd[strings.LastIndexByte(cmd, '-')+1:]] = true
	}
	if !kinds["cmd"] || !kinds["pubsub"] {
		t.Errorf("links named %v, want a cmd and a pubsub link", firstOf)
	}
	all := strings.Join(f.commands(), "\n")
	for _, want := range []string{"PING", "INFO", "SUBSCRIBE __sentinel__:hello"} {
		if !strings.Contains(all, " "+want) {
			t.Errorf("the master never got %s:\n%s", want, all)
		}
	}
	if v, _ := do("SENTINEL MASTER m"); !strings.Contains(v.String(), `"link-pending-commands" "0"`) &&
		!strings.Contains(v.String(), `"link-pending-commands" "1"`) {
		t.Errorf("replies are not matched to their commands: %v", v)
	}

	// From now on every connection is closed at its first command.
	mu.Lock()
	hangUp = true
	before := len(f.conns)
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	mu.Unlock()
	start := time.Now()
	time.Sleep(3500 * time.Millisecond)
	f.mu.Lock()
	reconnects := len(f.conns) - before
	f.mu.Unlock()
	// Two links, each at most once per second: 3.5 s allow 4 attempts per link.
	if reconnects < 2 || reconnects > 8 {
		t.Errorf("%d reconnections in %v, want 2 to 8 (two links, one try per second each)", reconnects, time.Since(start))
	}
	if v, _ := do("SENTINEL MASTER m"); !strings.Contains(v.String(), "disconnected") {
		t.Errorf("the hang-ups were not noticed: %v", v)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %v", what, limit)
		}
	}
}

// Functions posted from many goroutines run one at a time, in the loop, between ticks.
func TestLoopRunsPostedFunctionsOneAtATime(t *testing.T) {
	conf, _ := writeConf(t, "sentinel monitor m 127.0.0.1 1 1\n")
	srv, _, err := newServer(conf, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	signals := make(chan os.Signal, 1)
	exited := make(chan int)
	go func() { exited <- srv.loop(signals) }()
	busy, total := false, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				srv.post(func() {
					if busy {
						t.Error("two posted functions ran at once")
					}
					busy = true
					total++
					busy = false
				})
			}
		}()
	}
	wg.Wait()
	done := make(chan int)
	srv.post(func() { done <- total })
	if got := <-done; got != 4000 {
		t.Errorf("%d posted functions ran, want 4000", got)
	}
	signals <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit status %d after SIGTERM", code)
		}
	case <-time.After(time.Second):
		t.Fatal("the loop did not end within 1 s of SIGTERM")
	}
}

// SIGTERM: the server exits within 1 s, status 0, its state on disk (the id and the
// configuration a client just changed), Redis's last lines in the log, the pid file gone.
func TestSIGTERMExitsWithStateSaved(t *testing.T) {
	r := startServer(t, "sentinel monitor m 127.0.0.1 1 1\n")
	_, do := dial(t, r.addr)
	if v, err := do("SENTINEL SET m quorum 3"); err != nil || v.String() != "OK" {
		t.Fatalf("SENTINEL SET: %v %v", v, err)
	}
	start := time.Now()
	r.signals <- syscall.SIGTERM
	select {
	case code := <-r.exited:
		if code != 0 {
			t.Errorf("exit status %d", code)
		}
	case <-time.After(time.Second):
		t.Fatal("no exit within 1 s of SIGTERM")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start))
	r.exited <- 0 // for the cleanup
	conf, _ := os.ReadFile(r.conf)
	for _, want := range []string{"sentinel myid ", "sentinel monitor m 127.0.0.1 1 3"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("the config file lacks %q:\n%s", want, conf)
		}
	}
	log := r.log(t)
	for _, want := range []string{"signal-handler (", "Received SIGTERM scheduling shutdown...",
		"# User requested shutdown...", "* Removing the pid file.", "# Sentinel is now ready to exit, bye bye..."} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(r.conf), "sentinel.pid")); !os.IsNotExist(err) {
		t.Errorf("the pid file is still there: %v", err)
	}
}

// SHUTDOWN ends the server with status 0 and no reply, as Redis closes the connection.
func TestShutdown(t *testing.T) {
	r := startServer(t, "sentinel monitor m 127.0.0.1 1 1\n")
	_, do := dial(t, r.addr)
	if v, err := do("SHUTDOWN"); err == nil {
		t.Errorf("SHUTDOWN replied %v", v)
	}
	select {
	case code := <-r.exited:
		if code != 0 {
			t.Errorf("exit status %d", code)
		}
		r.exited <- 0
	case <-time.After(time.Second):
		t.Fatal("SHUTDOWN did not end the server within 1 s")
	}
	if log := r.log(t); !strings.Contains(log, "# User requested shutdown...") {
		t.Errorf("the log lacks the shutdown:\n%s", log)
	}
}

// CLIENT KILL closes the killed client's socket at once; a client that kills itself gets
// the reply first.
func TestClientKillClosesTheSocket(t *testing.T) {
	r := startServer(t, "sentinel monitor m 127.0.0.1 1 1\n")
	victim, doVictim := dial(t, r.addr)
	// A connection the server has not accepted yet is no client of it, in Redis as here:
	// one round trip makes the victim known.
	if v, err := doVictim("PING"); err != nil || v.String() != "PONG" {
		t.Fatalf("PING: %v %v", v, err)
	}
	_, do := dial(t, r.addr)
	if v, err := do("CLIENT KILL " + victim.LocalAddr().String()); err != nil || v.String() != "OK" {
		t.Fatalf("CLIENT KILL: %v %v", v, err)
	}
	victim.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := victim.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the killed client's socket is still open: read %d bytes, %v", n, err)
	}
	self, doSelf := dial(t, r.addr)
	if v, err := doSelf("CLIENT KILL ID " + idOf(t, doSelf) + " SKIPME no"); err != nil || v.String() != "(integer) 1" {
		t.Fatalf("CLIENT KILL of itself: %v %v", v, err)
	}
	self.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := self.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a client that killed itself is still connected: %v", err)
	}
	if v, err := do("PING"); err != nil || v.String() != "PONG" {
		t.Errorf("the killer was affected: %v %v", v, err)
	}
}

func idOf(t *testing.T, do func(string) (resp.Value, error)) string {
	v, err := do("CLIENT ID")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v.Int)
}

// The config store replaces the file by renaming a synced temporary one over it: the
// new content is there when Save returns, the mode is kept, nothing is left beside it;
// a failure is returned, and the old file is untouched.
func TestStoreSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(path, []byte("old\n"), 0o600)
	before, _ := os.Stat(path)
	if err := (store{path}).Save([]byte("new\n")); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("content %q after Save", b)
	}
	if os.SameFile(before, after) {
		t.Error("the file was written in place, not replaced by a rename")
	}
	if after.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", after.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left beside the config: %v", entries)
	}
	// A directory where the file should be cannot be renamed over.
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o755)
	if err := (store{blocked}).Save([]byte("new\n")); err == nil {
		t.Error("Save over a directory reported no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("a failed Save left files: %v", entries)
	}
}

// Scripts run directly, with no descriptor of the sentinel's open in them, inherited ones
// included: only stdin, stdout and stderr.
func TestScriptsLeakNoDescriptors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "fds")
	script := filepath.Join(dir, "script.sh")
	// exec: find itself lists what it got; it opens two more of its own, the directory it
	// lists and the one it started in.
	os.WriteFile(script, []byte("#!/bin/sh\nexec find /proc/self/fd/ -mindepth 1 -printf '%p %l\\n' > "+out+"\n"), 0o755)
	// Descriptors the sentinel process has open, which must not reach the script.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, _ := os.Create(filepath.Join(dir, "open-file"))
	defer f.Close()
	// One as a parent leaves it to its child, without close-on-exec.
	inherited, _ := os.Create(filepath.Join(dir, "inherited"))
	defer inherited.Close()
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, inherited.Fd(), syscall.F_SETFD, 0); errno != 0 {
		t.Fatal(errno)
	}
	srv := &Server{tasks: make(chan func(), 4)}
	if !(scripts{srv}).Executable(script) {
		t.Fatal("the script is not executable")
	}
	pid, err := scripts{srv}.Start([]string{script, "arg"})
	if err != nil || pid <= 0 {
		t.Fatalf("Start: %d %v", pid, err)
	}
	select {
	case <-srv.tasks: // the exit, posted to the loop
	case <-time.After(5 * time.Second):
		t.Fatal("the script's exit was not reported")
	}
	b, _ := os.ReadFile(out)
	wd, _ := os.Getwd()
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		fd, target, _ := strings.Cut(line, " ")
		switch n := filepath.Base(fd); {
		case n == "0" || n == "1" || n == "2":
		case target == wd, strings.HasPrefix(target, "/proc/") && strings.HasSuffix(target, "/fd"):
		default:
			t.Errorf("the script has descriptor %s open on %s", n, target)
		}
	}
	if !strings.Contains(string(b), "/0 ") {
		t.Errorf("the script's descriptors were not listed:\n%s", b)
	}
}
