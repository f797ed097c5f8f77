// Command gosentinel is a drop-in for redis-sentinel: `gosentinel sentinel.conf` runs
// the sentinel package's state machine as a real server, logging in Redis's format.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sentinel/server"
)

// daemonEnv marks the process that daemonize started, so that it does not start another.
const daemonEnv = "GOSENTINEL_DAEMONIZED"

// daemonize honours `daemonize yes` as Redis does by forking: a Go process cannot fork,
// so it starts itself again detached (a new session, no terminal, standard streams on
// /dev/null) once the config file has been checked, and reports whether the caller
// should now exit.
func daemonize(conf string, args []string, options string) bool {
	if os.Getenv(daemonEnv) != "" {
		return false
	}
	yes, err := server.Check(conf, options)
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
	if _, err := os.StartProcess(exe, append([]string{exe, conf}, args...), attr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return true
}

// usage is what redis-sentinel prints for -h, --help or no config file, to stderr.
const usage = `Usage: gosentinel /path/to/sentinel.conf [options]
       gosentinel -v or --version
       gosentinel -h or --help

Options are config lines, as redis-sentinel takes them, parsed after the file:
       gosentinel /etc/sentinel.conf --port 26380 --sentinel announce-ip 10.0.0.5
`

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			// Scripts that check what they run parse Redis's version line.
			fmt.Printf("Redis server v=%s sha=00000000:0 malloc=libc bits=64 build=gosentinel\n", sentinel.Version)
			return
		case "-h", "--help":
			fmt.Fprint(os.Stderr, usage)
			os.Exit(1)
		}
	}
	// A sentinel must have a file to save its state in: Redis refuses to start without.
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(1)
	}
	// The config path is resolved before the sentinel changes to its dir, since it
	// rewrites the file from there.
	conf, err := filepath.Abs(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	options := commandLine(args[1:])
	if daemonize(conf, args[1:], options) {
		return
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	code, err := server.Run(conf, options, os.Stdout, signals)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

// commandLine turns the arguments after the config file into config lines as Redis's
// main does: "--name" starts a line and the arguments after it are its values, quoted
// so that spaces in one stay in it. An option given no value yet takes the next
// argument as its value even if it starts with "--", but for --save (which may be
// empty) and --sentinel (the pseudo-option of `redis-server sentinel.conf --sentinel`).
func commandLine(args []string) string {
	var b strings.Builder
	named := true // the last option has a value, so "--" starts another
	for j, a := range args {
		next := j+1 < len(args) && strings.HasPrefix(args[j+1], "--")
		name, ok := strings.CutPrefix(a, "--")
		if !ok || !named {
			b.WriteString(quote(a) + " ")
			named = true
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(name + " ")
		// "--port 6380" in one argument carries its value.
		words, err := resp.SplitArgs(a)
		named = err != nil || len(words) != 1
		switch {
		case named:
		case strings.EqualFold(a, "--save") && (next || j == len(args)-1):
			b.WriteString(`""`)
			named = true
		case strings.EqualFold(a, "--sentinel") && next:
			named = true
		}
	}
	return b.String()
}

// quote puts a value in double quotes for resp.SplitArgs to read back, as Redis's
// sdscatrepr does; a byte that is not printable ASCII, a quote or a backslash is
// written \xHH, which SplitArgs reads back as that byte.
func quote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
