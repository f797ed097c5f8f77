package fidelity

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/resp"
	"pgregory.net/rapid"
)

const realAddr = "127.0.0.2"

// TestCommandsMatchRealRedis runs random command sequences against a real redis-server and
// a simulated node started with the same options, and wants identical replies. It does
// so for a master, and for the states that refuse commands before they run: a replica
// whose master is gone (READONLY), the same serving no stale data (MASTERDOWN), and a
// master short of good replicas (NOREPLICAS).
func TestCommandsMatchRealRedis(t *testing.T) {
	// A master that never answers: nothing listens on this address.
	dead := []string{"127.0.0.9", strconv.Itoa(FreePort(t, "127.0.0.9"))}
	noRole := func(args []string) bool { return !strings.EqualFold(args[0], "role") }
	for _, tc := range []struct {
		name string
		opts [][2]string
		// keep filters the generated commands: ROLE shows a replica's link state, and
		// whether a reconnection is under way at that moment is timing.
		keep func([]string) bool
	}{
		{"master", nil, nil},
		{"replica", [][2]string{{"replicaof", dead[0] + " " + dead[1]}}, noRole},
		{"stale-replica", [][2]string{{"replicaof", dead[0] + " " + dead[1]}, {"replica-serve-stale-data", "no"}}, noRole},
		{"min-replicas", [][2]string{{"min-replicas-to-write", "1"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { differential(t, tc.opts, tc.keep) })
	}
}

func differential(t *testing.T, extra [][2]string, keep func([]string) bool) {
	port := FreePort(t, realAddr)
	real := StartReal(t, realAddr, port, extra...)
	opts := append(realOptions(real), extra...)
	total, errs := 0, 0
	defer func() { t.Logf("%d commands compared, %d of them answered with an error", total, errs) }()
	gen := rapid.Custom(command)
	if keep != nil {
		gen = gen.Filter(keep)
	}
	rapid.Check(t, func(rt *rapid.T) {
		cmds := rapid.SliceOfN(gen, 1, 40).Draw(rt, "commands")
		rc, err := DialReal(realAddr, port)
		if err != nil {
			rt.Fatalf("dial the real server: %v", err)
		}
		defer rc.Close()
		if v, err := rc.Do("FLUSHALL"); err != nil || (!v.Equal(resp.OK) && v.ErrorPrefix() != "READONLY" && v.ErrorPrefix() != "NOREPLICAS") {
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
