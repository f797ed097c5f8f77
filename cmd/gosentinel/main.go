// Command gosentinel is a drop-in for redis-sentinel: `gosentinel sentinel.conf` runs
// the sentinel package's state machine as a real server, logging in Redis's format.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sentinel/server"
)

// daemonEnv marks the process that daemonize started, so that it does not start another.
const daemonEnv = "GOSENTINEL_DAEMONIZED"

// daemonize honours `daemonize yes` as Redis does by forking: a Go process cannot fork,
// so it starts itself again detached (a new session, no terminal, standard streams on
// /dev/null) and reports whether the caller should now exit.
func daemonize(conf string) bool {
	if os.Getenv(daemonEnv) != "" {
		return false
	}
	text, err := os.ReadFile(conf)
	if err != nil {
		return false // server.Run reports it
	}
	c, err := sentinel.ParseConfig(text)
	if err != nil {
		return false
	}
	yes := false
	for _, d := range c.Server {
		if len(d.Args) == 2 && strings.EqualFold(d.Args[0], "daemonize") {
			yes = strings.EqualFold(d.Args[1], "yes")
		}
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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	code, err := server.Run(ctx, conf, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}
