// Command gosentinel is a drop-in for redis-sentinel: `gosentinel sentinel.conf` runs
// the sentinel package's state machine as a real server, logging in Redis's format.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sentinelsim/sentinelsim/sentinel/server"
)

// daemonEnv marks the process that daemonize started, so that it does not start another.
const daemonEnv = "GOSENTINEL_DAEMONIZED"

// daemonize honours `daemonize yes` as Redis does by forking: a Go process cannot fork,
// so it starts itself again detached (a new session, no terminal, standard streams on
// /dev/null) once the config file has been checked, and reports whether the caller
// should now exit.
func daemonize(conf string) bool {
	if os.Getenv(daemonEnv) != "" {
		return false
	}
	yes, err := server.Check(conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !yes {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	attr := &os.ProcAttr{Env: append(os.Environ(), daemonEnv+"=1"), Files: []*os.File{null, null, null},
		Sys: &syscall.SysProcAttr{Setsid: true}}
	if _, err := os.StartProcess(exe, []string{exe, conf}, attr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return true
}

func main() {
	args := os.Args[1:]
	// redis-sentinel is also started as `redis-server sentinel.conf --sentinel`.
	if len(args) > 0 && args[len(args)-1] == "--sentinel" {
		args = args[:len(args)-1]
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "Usage: gosentinel /path/to/sentinel.conf")
		os.Exit(1)
	}
	// The config path is resolved before the sentinel changes to its dir, since it
	// rewrites the file from there.
	conf, err := filepath.Abs(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if daemonize(conf) {
		return
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	code, err := server.Run(conf, os.Stdout, signals)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}
