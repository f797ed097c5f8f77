package fidelity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/resp"
	"pgregory.net/rapid"
)

const realAddr = "127.0.0.2"

// TestCommandsMatchRealRedis runs random command sequences against a real redis-server and
// a simulated node started with the same options, and wants identical replies.
func TestCommandsMatchRealRedis(t *testing.T) {
	port := FreePort(t, realAddr)
	real := StartReal(t, realAddr, port)
	opts := realOptions(real)
	total, errs := 0, 0
	defer func() { t.Logf("%d commands compared, %d of them answered with an error", total, errs) }()
	rapid.Check(t, func(rt *rapid.T) {
		cmds := rapid.SliceOfN(rapid.Custom(command), 1, 40).Draw(rt, "commands")
		rc := real.Dial(t)
		defer rc.Close()
		if v, err := rc.Do("FLUSHALL"); err != nil || !v.Equal(resp.OK) {
			rt.Fatalf("FLUSHALL on the real server: %v %v", v, err)
		}
		sim := NewSim(1)
		if _, err := sim.Spawn(realAddr, port, opts...); err != nil {
			rt.Fatalf("spawn: %v", err)
		}
		sc := sim.Dial(realAddr, port)
		var realS, simS Session
		var log []string
		for i, args := range cmds {
			want, err := rc.Do(args...)
			if err != nil {
				rt.Fatalf("real server: %v", err)
			}
			got, err := sc.Do(args...)
			if err != nil {
				rt.Fatalf("simulated node: %q: %v", args, err)
			}
			want, got = realS.Canonical(args, want), simS.Canonical(args, got)
			total++
			if want.IsError() {
				errs++
			}
			log = append(log, fmt.Sprintf("%2d %s -> %s", i, quoteArgs(args), want))
			if !want.Equal(got) {
				rt.Fatalf("replies differ at command %d %s\nreal: %s\nsim:  %s\nsequence:\n%s",
					i, quoteArgs(args), want, got, strings.Join(log, "\n"))
			}
		}
	})
}

// realOptions are the simulated node's options that make it start as the real one was
// started: no persistence, the same directory.
func realOptions(r *Real) [][2]string {
	return [][2]string{{"save", ""}, {"appendonly", "no"}, {"dir", r.Dir}, {"bind", r.Addr}}
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}
