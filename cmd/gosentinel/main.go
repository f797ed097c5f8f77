// Command gosentinel is a drop-in for redis-sentinel: `gosentinel sentinel.conf` runs
// the sentinel package's state machine as a real server, logging in Redis's format.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sentinelsim/sentinelsim/sentinel/server"
)

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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	code, err := server.Run(ctx, conf, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}
