package server

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sentinelsim/sentinelsim/sentinel"
)

// clock is the wall clock: Redis's mstime().
type clock struct{}

func (clock) NowMs() int64 { return time.Now().UnixMilli() }

// sink logs events and lines in Redis's format and publishes events to the sentinel's
// Pub/Sub subscribers.
type sink struct{ srv *Server }

func (k sink) Event(e sentinel.Event) {
	// Events of sentinel.New itself (+monitor) come before anyone can subscribe.
	if k.srv.hub != nil {
		k.srv.hub.PublishEvent(e)
	}
	k.Log(e.Level, e.Type+" "+e.Text)
}

func (k sink) Log(level sentinel.Level, line string) { k.srv.logLine(level, line) }

// discard is the sink of Check, which starts nothing.
type discard struct{}

func (discard) Event(sentinel.Event)       {}
func (discard) Log(sentinel.Level, string) {}

// store is the config file, rewritten whole and synced before the state machine goes on,
// as Redis's rewriteConfig does: a temporary file renamed over the old one.
type store struct{ path string }

func (s store) Load() ([]byte, error) { return os.ReadFile(s.path) }

// Save replaces the file; the state machine logs the outcome, as sentinelFlushConfig does.
func (s store) Save(content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".sentinel-rewrite-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if st, err := os.Stat(s.path); err == nil {
		os.Chmod(tmp.Name(), st.Mode())
	}
	return os.Rename(tmp.Name(), s.path)
}

// readOnly is the store of Check: the file as it is, never written.
type readOnly struct{ path string }

func (s readOnly) Load() ([]byte, error) { return os.ReadFile(s.path) }
func (readOnly) Save([]byte) error       { return nil }

// scripts runs notification and client-reconfig scripts directly, with no file
// descriptor of the sentinel's leaking into them: Go opens everything close-on-exec, and
// what the sentinel inherited open from whoever started it is marked so before a start.
type scripts struct{ srv *Server }

func (sc scripts) Start(argv []string) (int, error) {
	closeOnExec()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		code, sig := 0, 0
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
				code = ws.ExitStatus()
				if ws.Signaled() {
					sig = int(ws.Signal())
				}
			}
		}
		sc.srv.post(func() { sc.srv.s.ScriptExited(pid, code, sig) })
	}()
	return pid, nil
}

// closeOnExec marks every descriptor but stdin, stdout and stderr close-on-exec.
func closeOnExec() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

func (scripts) Kill(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

func (scripts) Executable(path string) bool { return syscall.Access(path, 1) == nil }

// resolve looks a hostname up, for resolve-hostnames yes.
func resolve(host string) (string, error) {
	addrs, err := net.LookupHost(host)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// serverInfo renders INFO's sections that describe the process: server, clients, cpu.
func (srv *Server) serverInfo(section string) string {
	switch section {
	case "clients":
		return fmt.Sprintf("# Clients\r\nconnected_clients:%d\r\ncluster_connections:0\r\nmaxclients:10000\r\n"+
			"client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:0\r\n"+
			"tracking_clients:0\r\nclients_in_timeout_table:0\r\n", srv.hub.Clients())
	case "cpu":
		var self, children syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &self)
		syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
		secs := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
		return "# CPU\r\nused_cpu_sys:" + secs(self.Stime) + "\r\nused_cpu_user:" + secs(self.Utime) +
			"\r\nused_cpu_sys_children:" + secs(children.Stime) + "\r\nused_cpu_user_children:" + secs(children.Utime) + "\r\n"
	case "server":
	default:
		return ""
	}
	uptime := int64(time.Since(srv.started).Seconds())
	exe, _ := os.Executable()
	lines := []string{"# Server", "redis_version:" + sentinel.Version, "redis_mode:sentinel",
		"os:" + runtime.GOOS + " " + runtime.GOARCH, "arch_bits:64", "multiplexing_api:epoll",
		fmt.Sprintf("process_id:%d", srv.pid), fmt.Sprintf("tcp_port:%d", srv.port),
		fmt.Sprintf("uptime_in_seconds:%d", uptime), fmt.Sprintf("uptime_in_days:%d", uptime/86400),
		"hz:10", "executable:" + exe, "config_file:" + srv.confPath}
	return strings.Join(lines, "\r\n") + "\r\n"
}
