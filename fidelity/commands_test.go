package fidelity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	// ROLE shows a replica's link state, and whether a reconnection is under way at that
	// moment is timing. REPLICAOF with a new master, or NO ONE on a replica, would change
	// the real server for the sequences after.
	master := func(args []string) bool { return !slices.Contains(args, "$MASTERHOST") }
	replica := func(args []string) bool {
		name := strings.ToLower(args[0])
		return name != "role" && !((name == "replicaof" || name == "slaveof") && len(args) > 1 && strings.EqualFold(args[1], "no"))
	}
	for _, tc := range []struct {
		name string
		opts [][2]string
		keep func([]string) bool
	}{
		{"master", nil, master},
		{"replica", [][2]string{{"replicaof", dead[0] + " " + dead[1]}}, replica},
		{"stale-replica", [][2]string{{"replicaof", dead[0] + " " + dead[1]}, {"replica-serve-stale-data", "no"}}, replica},
		{"min-replicas", [][2]string{{"min-replicas-to-write", "1"}}, master},
	} {
		t.Run(tc.name, func(t *testing.T) { differential(t, tc.opts, tc.keep, dead) })
	}
}

// side is one end of the comparison: a connection and the client id it has, which $ID in
// a command's arguments stands for.
type side struct {
	c  Client
	id string
}

func (s *side) connect(t *rapid.T, c Client) {
	s.c = c
	v, err := c.Do("CLIENT", "ID")
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	s.id = strconv.FormatInt(v.Int, 10)
}

// do sends a command with $ID, $MASTERHOST and $MASTERPORT replaced.
func (s *side) do(args []string, dead []string) (resp.Value, error) {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.NewReplacer("$ID", s.id, "$MASTERHOST", dead[0], "$MASTERPORT", dead[1]).Replace(a)
	}
	return s.c.Do(out...)
}

func differential(t *testing.T, extra [][2]string, keep func([]string) bool, dead []string) {
	port := FreePort(t, realAddr)
	real := StartReal(t, realAddr, port, extra...)
	opts := append(realOptions(real), extra...)
	// The first values of the configs CONFIG SET may change: the real server gets them
	// back before every sequence.
	reset := []string{"CONFIG", "SET"}
	first := real.Dial(t)
	for _, cfg := range configSetPool {
		v, err := first.Do("CONFIG", "GET", cfg[0])
		if err != nil || len(v.Array) != 2 || strings.HasPrefix(cfg[0], "slave-") { // an alias: set under its name
			continue
		}
		if set, err := first.Do("CONFIG", "SET", cfg[0], v.Array[1].Str); err == nil && !set.IsError() {
			reset = append(reset, cfg[0], v.Array[1].Str) // not an immutable or protected config
		}
	}
	first.Close()
	total, errs := 0, 0
	defer func() { t.Logf("%d commands compared, %d of them answered with an error", total, errs) }()
	gen := rapid.Custom(command).Filter(keep)
	rapid.Check(t, func(rt *rapid.T) {
		cmds := rapid.SliceOfN(gen, 1, 40).Draw(rt, "commands")
		dialReal := func() *RealConn {
			rc, err := DialReal(realAddr, port)
			if err != nil {
				rt.Fatalf("dial the real server: %v", err)
			}
			return rc
		}
		rc := dialReal()
		defer func() { rc.Close() }()
		resetReal(rt, rc, reset)
		sim := NewSim(1)
		if _, err := sim.Spawn(realAddr, port, opts...); err != nil {
			rt.Fatalf("spawn: %v", err)
		}
		var realSide, simSide side
		realSide.connect(rt, rc)
		simSide.connect(rt, sim.Dial(realAddr, port))
		var realS, simS Session
		var log []string
		for i, args := range cmds {
			want, errR := realSide.do(args, dead)
			got, errS := simSide.do(args, dead)
			total++
			if errR != nil || errS != nil {
				// The previous command closed the connection (CLIENT KILL, QUIT): both
				// sides must have, and the sequence goes on on new connections.
				log = append(log, fmt.Sprintf("%2d %s -> connection closed", i, quoteArgs(args)))
				if (errR == nil) != (errS == nil) {
					rt.Fatalf("at command %d %s only one side's connection closed\nreal: %v\nsim: %v\nsequence:\n%s",
						i, quoteArgs(args), errR, errS, strings.Join(log, "\n"))
				}
				rc.Close()
				rc = dialReal()
				realSide.connect(rt, rc)
				simSide.connect(rt, sim.Dial(realAddr, port))
				continue
			}
			want, got = realS.Canonical(args, want), simS.Canonical(args, got)
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

// resetReal brings the real server back to how a simulated node starts: no data (written
// with the configs that allow it), no change unsaved, the configs CONFIG SET may have
// changed back, statistics reset, and no client but this one (the last sequence's may
// still be closing).
func resetReal(t *rapid.T, rc *RealConn, reset []string) {
	writable := []string{"CONFIG", "SET", "replica-read-only", "no", "min-replicas-to-write", "0", "replica-serve-stale-data", "yes"}
	for _, cmd := range [][]string{writable, {"FLUSHALL"}, {"SAVE"}, reset, {"CONFIG", "RESETSTAT"}} {
		v, err := rc.Do(cmd...)
		if err != nil || v.IsError() {
			t.Fatalf("%q on the real server: %v %v", cmd, v, err)
		}
	}
	for i := 0; ; i++ {
		v, err := rc.Do("CLIENT", "LIST")
		if err != nil {
			t.Fatalf("CLIENT LIST on the real server: %v", err)
		}
		if strings.Count(v.Str, "\n") == 1 {
			return
		}
		if i == 100 {
			t.Fatalf("the real server still has other clients:\n%s", v.Str)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
