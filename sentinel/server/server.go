// Package server runs the sentinel package's state machine in real time, as a network
// server: the driver behind cmd/gosentinel, a drop-in for redis-sentinel.
//
// One goroutine, the loop, owns the state machine. Timers, finished dials, replies from
// the instances, client commands and script exits arrive as functions on one channel and
// run there in turn, so the state machine sees the same single-threaded world as in the
// simulator. The loop never writes to a socket: each connection, client or link, has an
// outbox that a writer goroutine of its own drains, so a peer that stops reading stalls
// only itself.
package server

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
)

// Server is a running sentinel.
type Server struct {
	confPath   string
	tasks      chan func()
	s          *sentinel.Sentinel
	hub        *sentinel.Hub
	log        io.Writer
	level      sentinel.Level
	pid        int
	started    time.Time
	sourceAddr string
	port       int
	pidfile    string
	exit       chan int
	rng        *rand.Rand
	// held keeps the log lines of startup until the port is open, where Redis writes them.
	held    []heldLine
	holding bool
	// clients are the open client connections, closed when the server exits.
	clients map[*client]bool
	// running is the session whose command the loop is running.
	running *sentinel.Session
	// exitErr is a fatal error of startup that Redis logs once the port is open; the
	// server then exits with 1 and has no sentinel.
	exitErr *sentinel.ExitError
}

// settings are the redis-server directives a sentinel acts on.
type settings struct {
	binds                        []string
	logfile, pidfile, sourceAddr string
	level                        sentinel.Level
	daemonize                    bool
}

// loadConfig reads and checks the config file as redis-sentinel does before it starts:
// every line in file order (a dir line changes to that dir at once, so later relative
// paths start there), then the sentinel directives, which sentinel.New applies. A fatal
// error names the file. options are the command line's directives, one a line: Redis
// parses them after a blank line following the file, so that they win and an error in
// one is reported at its line counted on from the file's.
func loadConfig(confPath, options string) (*sentinel.Config, settings, error) {
	set := settings{level: sentinel.Notice}
	text, err := os.ReadFile(confPath)
	if err != nil {
		return nil, set, fmt.Errorf("Fatal error, can't open config file '%s': %s", confPath, strerror(err))
	}
	if options != "" {
		text = append(append(text, '\n'), options...)
	}
	conf, err := sentinel.ParseConfigChecked(text, set.apply)
	if err != nil {
		return nil, set, inFile(err, confPath)
	}
	// Redis opens the log file once the whole file is read, to check it (and again for
	// every line it writes); its error has no line.
	if set.logfile != "" {
		f, err := os.OpenFile(set.logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, set, &sentinel.ConfigError{Reason: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	return conf, set, nil
}

// apply checks one server directive and takes what a sentinel acts on from it.
func (set *settings) apply(args []string) string {
	args = append([]string{strings.ToLower(args[0])}, args[1:]...)
	if reason := checkDirective(args); reason != "" {
		return reason
	}
	switch args[0] {
	case "dir":
		if err := os.Chdir(args[1]); err != nil {
			return strerror(err)
		}
	case "logfile":
		set.logfile = args[1]
	case "pidfile":
		set.pidfile = args[1]
	case "loglevel":
		set.level, _ = sentinel.ParseLevel(strings.ToLower(args[1]))
	case "bind":
		set.binds = args[1:]
	case "bind-source-addr":
		set.sourceAddr = args[1]
	case "daemonize":
		set.daemonize = strings.EqualFold(args[1], "yes")
	}
	return ""
}

// strerror is C's wording of a system error: "No such file or directory".
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	msg := errno.Error()
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func inFile(err error, confPath string) error {
	var ce *sentinel.ConfigError
	if errors.As(err, &ce) {
		ce.File = confPath
	}
	return err
}

// Check loads the config file as Run would, sentinel directives included, without
// starting anything or writing the file, and says whether it asks to daemonize. Redis
// reports a bad config before it forks; gosentinel, which starts itself again instead,
// calls Check first so that the error still reaches the terminal.
func Check(confPath, options string) (daemonize bool, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return false, err
	}
	defer os.Chdir(wd)
	conf, set, err := loadConfig(confPath, options)
	if err != nil {
		return false, err
	}
	env := sentinel.Env{Clock: clock{}, Rand: rand.New(rand.NewPCG(1, 2)), Transport: transport{},
		Sink: discard{}, Store: readOnly{confPath}, Scripts: scripts{}, Resolve: resolve}
	// Redis loads the users after it forks, so their errors go to the daemon's log.
	var exit *sentinel.ExitError
	if _, err := sentinel.New(env, conf); err != nil && !errors.As(err, &exit) {
		return false, inFile(err, confPath)
	}
	return set.daemonize, nil
}

// Run starts the sentinel described by the config file at confPath (absolute, since the
// sentinel changes to its dir) and the command line's options (see loadConfig), and serves until a signal arrives on signals (SIGTERM,
// SIGINT) or a client sends SHUTDOWN; it returns the exit status. stdout is where logs
// go when no logfile is set. An error is a fatal one of the config file, for stderr.
func Run(confPath, options string, stdout io.Writer, signals <-chan os.Signal) (int, error) {
	srv, set, err := newServer(confPath, options, stdout)
	if err != nil {
		return 1, err
	}
	if f, ok := srv.log.(*os.File); ok && f != stdout {
		defer f.Close()
	}
	srv.logStartup()
	if srv.port == 0 {
		srv.logNow(sentinel.Warning, "Configured to not listen anywhere, exiting.")
		return 1, nil
	}
	listeners, err := srv.listen(set.binds)
	if err != nil {
		// Redis logs this, not stderr, and exits with 1.
		srv.logNow(sentinel.Warning, err.Error())
		srv.logNow(sentinel.Warning, fmt.Sprintf("Failed listening on port %d (TCP), aborting.", srv.port))
		return 1, nil
	}
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	if set.pidfile != "" {
		// Redis only warns when it cannot write the pid file.
		if err := os.WriteFile(set.pidfile, []byte(strconv.Itoa(srv.pid)+"\n"), 0o644); err != nil {
			srv.logNow(sentinel.Warning, "Failed to write PID file: "+strerror(err))
		}
	}
	srv.logNow(sentinel.Notice, fmt.Sprintf("Running mode=sentinel, port=%d.", srv.port))
	srv.release()
	if srv.exitErr != nil {
		for _, line := range srv.exitErr.Log {
			srv.logLine(sentinel.Warning, line)
		}
		return 1, nil
	}
	code := srv.loop(signals)
	for cl := range srv.clients { //determinism:ok every one is closed
		cl.out.close()
	}
	return code, nil
}

// newServer loads the config file and builds the sentinel, its log open, nothing started.
func newServer(confPath, options string, stdout io.Writer) (*Server, settings, error) {
	conf, set, err := loadConfig(confPath, options)
	if err != nil {
		return nil, set, err
	}
	srv := &Server{confPath: confPath, tasks: make(chan func(), 1024), log: stdout, level: set.level,
		pid: os.Getpid(), started: time.Now(), exit: make(chan int, 1), port: conf.Port, pidfile: set.pidfile,
		sourceAddr: set.sourceAddr, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid()))),
		holding: true, clients: map[*client]bool{}}
	if set.logfile != "" {
		f, err := os.OpenFile(set.logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, set, err
		}
		srv.log = f
	}
	// sentinel.New applies the sentinel directives, then persists a new id and announces
	// the masters: Redis does the latter once the port is open, so those lines wait.
	s, err := sentinel.New(sentinel.Env{
		Clock: clock{}, Rand: srv.rng, Transport: transport{srv}, Sink: sink{srv}, Store: store{confPath},
		Scripts: scripts{srv}, Resolve: resolve, Exit: srv.exitWith, ServerInfo: srv.serverInfo,
	}, conf)
	if errors.As(err, &srv.exitErr) {
		// Redis meets this once its port is open (the users' rules): Run logs it there.
		return srv, set, nil
	}
	if err != nil {
		if f, ok := srv.log.(*os.File); ok && f != stdout {
			f.Close()
		}
		return nil, set, inFile(err, confPath)
	}
	srv.s, srv.hub = s, sentinel.NewHub(s)
	srv.hub.Shutdown = srv.shutdown
	return srv, set, nil
}

// logStartup writes Redis's first lines.
func (srv *Server) logStartup() {
	srv.logNow(sentinel.Warning, "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
	srv.logNow(sentinel.Warning, fmt.Sprintf("Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started",
		sentinel.Version, srv.pid))
	srv.logNow(sentinel.Warning, "Configuration loaded")
	srv.logNow(sentinel.Notice, "monotonic clock: POSIX clock_gettime")
}

// logLine writes a line in Redis's format if its level is on, or holds it during startup.
func (srv *Server) logLine(level sentinel.Level, line string) {
	if level < srv.level {
		return
	}
	if srv.holding {
		srv.held = append(srv.held, heldLine{level, line})
		return
	}
	fmt.Fprintln(srv.log, sentinel.FormatLog(srv.pid, time.Now().UnixMilli(), level, line))
}

type heldLine struct {
	level sentinel.Level
	line  string
}

// logNow writes a line at once, ahead of any held ones.
func (srv *Server) logNow(level sentinel.Level, line string) {
	holding := srv.holding
	srv.holding = false
	srv.logLine(level, line)
	srv.holding = holding
}

// release writes the held lines and stops holding.
func (srv *Server) release() {
	srv.holding = false
	for _, l := range srv.held {
		srv.logLine(l.level, l.line)
	}
	srv.held = nil
}

// shutdown is SHUTDOWN, and what a signal leads to: Redis's last lines, then exit 0.
func (srv *Server) shutdown() {
	srv.logLine(sentinel.Warning, "User requested shutdown...")
	if srv.pidfile != "" {
		srv.logLine(sentinel.Notice, "Removing the pid file.")
		os.Remove(srv.pidfile)
	}
	srv.logLine(sentinel.Warning, "Sentinel is now ready to exit, bye bye...")
	srv.exitWith(0)
}

// signalled logs a signal as Redis's handler does, without the usual marker.
func (srv *Server) signalled(sig os.Signal) {
	name := map[os.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig]
	msg := "Received shutdown signal, scheduling shutdown..."
	if name != "" {
		msg = "Received " + name + " scheduling shutdown..."
	}
	fmt.Fprintf(srv.log, "%d:signal-handler (%d) %s\n", srv.pid, time.Now().Unix(), msg)
	srv.shutdown()
}

// listen opens the sentinel's port on each bind address (every interface without bind,
// as Redis's default "* -::*" does).
func (srv *Server) listen(binds []string) ([]net.Listener, error) {
	if len(binds) == 0 {
		binds = []string{""}
	}
	var out []net.Listener
	for _, b := range binds {
		optional := strings.HasPrefix(b, "-")
		host := strings.TrimPrefix(b, "-")
		if host == "*" || host == "::*" {
			host = ""
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(srv.port)))
		if err != nil && optional {
			continue
		}
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, fmt.Errorf("Warning: Could not create server TCP listening socket %s:%d: %v", b, srv.port, err)
		}
		out = append(out, l)
		go srv.accept(l)
	}
	return out, nil
}

// post hands a function to the loop.
func (srv *Server) post(fn func()) { srv.tasks <- fn }

// loop runs the state machine: its ticks, at the delay each tick asks for, and every
// posted function, until a signal arrives or the sentinel exits.
func (srv *Server) loop(signals <-chan os.Signal) int {
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case sig := <-signals:
			srv.signalled(sig)
		case code := <-srv.exit:
			return code
		case <-tick.C:
			if srv.s.Crashed() {
				continue
			}
			tick.Reset(srv.s.Tick())
			srv.checkLimits()
		case fn := <-srv.tasks:
			fn()
		}
	}
}

// exitWith ends the loop with a status: SHUTDOWN, or SIMULATE-FAILURE's crash.
func (srv *Server) exitWith(code int) {
	select {
	case srv.exit <- code:
	default:
	}
}

// accept serves the clients and peer sentinels that connect.
func (srv *Server) accept(l net.Listener) {
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		go srv.serve(nc)
	}
}

// serve reads a connection's commands (inline or multibulk) and runs each on the loop
// through the sentinel's Hub; replies and Pub/Sub pushes go to the client's outbox in
// order, in the RESP version the session speaks.
func (srv *Server) serve(nc net.Conn) {
	cl := &client{out: newOutbox(nc)}
	srv.post(func() {
		srv.clients[cl] = true
		cl.sess = srv.hub.Open(nc.RemoteAddr().String(), cl.push)
		cl.sess.SetConn(sentinel.ConnInfo{LocalAddr: nc.LocalAddr().String(), FD: fdOf(nc), Pending: cl.out.pending})
		// CLIENT KILL of another client closes its socket now; a client that kills itself
		// gets its reply first, as Redis closes it after the reply.
		sess := cl.sess
		sess.OnClose(func() {
			if srv.running != sess {
				srv.hangUp(cl)
			}
		})
	})
	r := resp.NewReader(nc)
	for {
		args, err := r.ReadCommand()
		if err != nil {
			srv.post(func() {
				if errors.Is(err, resp.ErrProtocol) {
					// The reply goes out before the connection closes, as Redis's does.
					cl.push(resp.Err("ERR Protocol error: " + strings.TrimPrefix(err.Error(), "protocol error: ")))
					srv.hangUpAfterReply(cl)
				}
				srv.hangUp(cl)
			})
			return
		}
		done := make(chan bool, 1)
		srv.post(func() {
			srv.running = cl.sess
			reply, ok := cl.sess.Do(args)
			srv.running = nil
			if ok {
				cl.push(reply)
			}
			if cl.sess.Closed() {
				srv.hangUpAfterReply(cl)
			}
			srv.checkLimit(cl, "scheduled to be closed ASAP")
			done <- cl.sess.Closed()
		})
		if <-done {
			return
		}
	}
}

// hangUp ends a client's session and closes its connection at once, dropping what it
// was not sent, as freeClient does; its serve goroutine then ends.
func (srv *Server) hangUp(cl *client) {
	if srv.forget(cl) {
		cl.out.close()
	}
}

// hangUpAfterReply ends a client's session and closes its connection once what is queued
// is sent.
func (srv *Server) hangUpAfterReply(cl *client) {
	if srv.forget(cl) {
		cl.out.closeAfterSending()
	}
}

// forget ends a client's session, once: it reports whether the client was still open.
func (srv *Server) forget(cl *client) bool {
	if !srv.clients[cl] {
		return false
	}
	delete(srv.clients, cl)
	cl.sess.Close()
	return true
}

// checkLimits is clientsCron's check of every client's output buffer.
func (srv *Server) checkLimits() {
	for cl := range srv.clients { //determinism:ok each client is checked on its own
		srv.checkLimit(cl, "closed")
	}
}

// checkLimit disconnects a Pub/Sub client whose output buffer is past its limit, and
// logs it as Redis does; how says when ("closed" by the cron, "scheduled to be closed
// ASAP" on a reply).
func (srv *Server) checkLimit(cl *client, how string) {
	if !srv.clients[cl] || !cl.sess.PubSub() {
		cl.softSince = time.Time{}
		return
	}
	if !pubsubLimit.reached(cl.out.pending(), time.Now(), &cl.softSince) {
		return
	}
	srv.logLine(sentinel.Warning, "Client "+cl.sess.Describe()+" "+how+" for overcoming of output buffer limits.")
	srv.hangUp(cl)
}

// client is one client connection.
type client struct {
	out  *outbox
	sess *sentinel.Session
	// softSince is when the output buffer went over the soft limit.
	softSince time.Time
}

// push encodes a reply or a push for the client; it is called on the loop only.
func (cl *client) push(v resp.Value) {
	if cl.sess != nil && cl.sess.Proto() == 3 {
		cl.out.write(resp.Append3(nil, v))
	} else {
		cl.out.write(resp.Append(nil, v))
	}
}

// fdOf is a connection's file descriptor, for CLIENT LIST's fd=.
func fdOf(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
