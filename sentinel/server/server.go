// Package server runs the sentinel package's state machine in real time, as a network
// server: the driver behind cmd/gosentinel, a drop-in for redis-sentinel.
//
// One goroutine, the loop, owns the state machine. Timers, finished dials, replies from
// the instances, client commands and script exits arrive as functions on one channel and
// run there in turn, so the state machine sees the same single-threaded world as in the
// simulator.
package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
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
	exit       chan int
	rng        *rand.Rand
}

// Run starts the sentinel described by the config file at confPath (absolute, since the
// sentinel changes to its dir) and serves until ctx ends (SIGTERM) or SHUTDOWN; it
// returns the exit status. stdout is where logs go when no logfile is set.
func Run(ctx context.Context, confPath string, stdout io.Writer) (int, error) {
	text, err := os.ReadFile(confPath)
	if err != nil {
		return 1, err
	}
	conf, err := sentinel.ParseConfig(text)
	if err != nil {
		return 1, err
	}
	srv := &Server{confPath: confPath, tasks: make(chan func(), 1024), log: stdout, level: sentinel.Notice,
		pid: os.Getpid(), started: time.Now(), exit: make(chan int, 1), port: conf.Port,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))}
	binds, closeLog, err := srv.serverDirectives(conf.Server)
	if err != nil {
		return 1, err
	}
	defer closeLog()
	s, err := sentinel.New(sentinel.Env{
		Clock: clock{}, Rand: srv.rng, Transport: transport{srv}, Sink: sink{srv}, Store: store{confPath},
		Scripts: scripts{srv}, Resolve: resolve, Exit: srv.exitWith, ServerInfo: srv.serverInfo,
	}, conf)
	if err != nil {
		return 1, err
	}
	srv.s, srv.hub = s, sentinel.NewHub(s)
	srv.hub.Shutdown = func() { srv.exitWith(0) }
	listeners, err := srv.listen(binds)
	if err != nil {
		// Redis logs this, not stderr, and exits with 1.
		k := sink{srv}
		k.Log(sentinel.Warning, err.Error())
		k.Log(sentinel.Warning, fmt.Sprintf("Failed listening on port %d (TCP), aborting.", srv.port))
		return 1, nil
	}
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	return srv.loop(ctx), nil
}

// serverDirectives applies the redis-server directives that matter to a sentinel
// process: dir, logfile, loglevel, pidfile, bind and bind-source-addr. The others that
// Redis's suite writes are accepted and have nothing to act on here.
func (srv *Server) serverDirectives(ds []sentinel.Directive) (binds []string, closeLog func(), err error) {
	closeLog = func() {}
	var logfile, pidfile string
	for _, d := range ds {
		args := d.Args
		switch strings.ToLower(args[0]) {
		case "dir":
			if len(args) == 2 {
				if err := os.Chdir(args[1]); err != nil {
					return nil, closeLog, fmt.Errorf("Can't chdir to '%s': %v", args[1], err)
				}
			}
		case "logfile":
			if len(args) == 2 {
				logfile = args[1]
			}
		case "pidfile":
			if len(args) == 2 {
				pidfile = args[1]
			}
		case "loglevel":
			if len(args) == 2 {
				if l, ok := sentinel.ParseLevel(args[1]); ok {
					srv.level = l
				}
			}
		case "bind":
			binds = args[1:]
		case "bind-source-addr":
			if len(args) == 2 {
				srv.sourceAddr = args[1]
			}
		}
	}
	if logfile != "" {
		f, err := os.OpenFile(logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, closeLog, fmt.Errorf("Can't open the log file: %v", err)
		}
		srv.log, closeLog = f, func() { f.Close() }
	}
	if pidfile != "" {
		if err := os.WriteFile(pidfile, []byte(strconv.Itoa(srv.pid)+"\n"), 0o644); err != nil {
			return nil, closeLog, err
		}
	}
	return binds, closeLog, nil
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
// posted function, until ctx ends or the sentinel exits.
func (srv *Server) loop(ctx context.Context) int {
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0
		case code := <-srv.exit:
			return code
		case <-tick.C:
			if srv.s.Crashed() {
				continue
			}
			tick.Reset(srv.s.Tick())
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
// through the sentinel's Hub; replies and Pub/Sub pushes are written in order.
func (srv *Server) serve(nc net.Conn) {
	defer nc.Close()
	w := &writer{w: bufio.NewWriter(nc)}
	opened := make(chan *sentinel.Session, 1)
	srv.post(func() { opened <- srv.hub.Open(nc.RemoteAddr().String(), w.push) })
	sess := <-opened
	defer srv.post(sess.Close)
	r := resp.NewReader(nc)
	for {
		args, err := r.ReadCommand()
		if err != nil {
			if errors.Is(err, resp.ErrProtocol) {
				srv.post(func() { w.push(resp.Err("ERR Protocol error: " + strings.TrimPrefix(err.Error(), "protocol error: "))) })
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		done := make(chan bool, 1)
		srv.post(func() {
			if reply, ok := sess.Do(args); ok {
				w.push(reply)
			}
			done <- sess.Closed()
		})
		if <-done {
			return
		}
	}
}

// writer serialises what goes out on one client connection.
type writer struct{ w *bufio.Writer }

// push is called on the loop only, so writes need no lock.
func (w *writer) push(v resp.Value) {
	w.w.Write(resp.Append(nil, v))
	w.w.Flush()
}
