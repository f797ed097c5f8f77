package real

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Launcher starts the nodes' programs: as child processes of this one (the default), or
// in containers (package real/containers). The cluster writes each node's config file
// into the node's own directory and asks the launcher to run a binary on it; everything
// else (addresses, readiness, faults, clients, observation) is the cluster's, the same
// whichever launcher runs the programs.
type Launcher interface {
	// Launch starts bin on the config file conf, in the node's directory dir.
	Launch(node, bin, dir, conf string) (Running, error)
	// Close releases what the launcher holds, once every program it started is gone.
	Close() error
}

// Running is one started program.
type Running interface {
	// Kill is SIGKILL, also of a paused program; it returns once the program is gone.
	Kill() error
	// Pause and Resume are SIGSTOP and SIGCONT: the kernel still accepts connections
	// and buffers what they bring, and nothing is answered until Resume.
	Pause() error
	Resume() error
	// Done is closed when the program has exited; Err then says how.
	Done() <-chan struct{}
	Err() error
	// Output is the last lines the program wrote to stdout and stderr.
	Output() string
}

// pidFile, in a node's directory, holds the pid of the process running there, so that a
// later run can kill it if this one crashed (see leftovers.go).
const pidFile = "pid"

// processes launches programs as child processes.
type processes struct{}

func (processes) Close() error { return nil }

func (processes) Launch(node, bin, dir, conf string) (Running, error) {
	out, err := os.OpenFile(filepath.Join(dir, "stdout.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, conf)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	// Its own process group: a Ctrl-C meant for sentinelsim does not reach it first.
	// Pdeathsig: if sentinelsim dies without closing the cluster (SIGKILL, a crash), the
	// kernel kills it too. The signal follows the thread that started the child, and Go
	// ends threads only when a goroutine locked to one exits, which nothing here does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("%s: start %s: %w", node, bin, err)
	}
	p := &child{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// child is a program started by processes.
type child struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
	err  error // set before done is closed
}

func (p *child) Kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

func (p *child) Pause() error          { return p.cmd.Process.Signal(syscall.SIGSTOP) }
func (p *child) Resume() error         { return p.cmd.Process.Signal(syscall.SIGCONT) }
func (p *child) Done() <-chan struct{} { return p.done }

func (p *child) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

func (p *child) Output() string {
	log, _ := os.ReadFile(filepath.Join(p.dir, "stdout.txt"))
	return lastLines(string(log), 3)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}
