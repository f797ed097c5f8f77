package fidelity

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// node is one redis-server, real or simulated, for the tests of a node's life: commands on
// one connection, time passing, kills, exits and restarts.
type node interface {
	// Do sends a command on the node's connection; a closed connection is an error.
	Do(args ...string) (resp.Value, error)
	// Pause lets d pass: real time for a real server, virtual time for a simulated one.
	Pause(d time.Duration)
	// Clock is the time on that same clock.
	Clock() time.Duration
	// Kill is SIGKILL; Start starts the node again after a kill or an exit, with what it
	// persisted, and connects to it.
	Kill()
	Start()
	// Reconnect closes the node's connection and opens a new one.
	Reconnect()
	// Open opens another connection, beside the node's, for a client that must stay
	// connected meanwhile (a subscriber).
	Open() Client
	Name() string
}

type realNode struct {
	t    *testing.T
	r    *Real
	conn *RealConn
}

// startRealNode starts a real server with opts on realAddr.
func startRealNode(t *testing.T, port int, opts ...[2]string) *realNode {
	n := &realNode{t: t, r: StartReal(t, realAddr, port, opts...)}
	n.conn = n.r.Dial(t)
	return n
}

func (n *realNode) Do(args ...string) (resp.Value, error) { return n.conn.Do(args...) }
func (n *realNode) Pause(d time.Duration)                 { time.Sleep(d) }
func (n *realNode) Clock() time.Duration                  { return time.Since(n.r.started) }
func (n *realNode) Kill()                                 { n.conn.Close(); n.r.Kill() }
func (n *realNode) Name() string                          { return "real" }

func (n *realNode) Reconnect()   { n.conn.Close(); n.conn = n.r.Dial(n.t) }
func (n *realNode) Open() Client { return n.r.Dial(n.t) }

func (n *realNode) Start() {
	n.conn.Close()
	n.r.Restart(n.t) // waits for an exited process, then starts it
	n.conn = n.r.Dial(n.t)
}

type simNode struct {
	t    *testing.T
	sim  *Sim
	addr string
	port int
	conn *SimConn
}

// startSimNode starts a simulated node with the options of a real one on realAddr.
func startSimNode(t *testing.T, port int, opts ...[2]string) *simNode {
	n := &simNode{t: t, sim: NewSim(1), addr: realAddr, port: port}
	base := [][2]string{{"save", ""}, {"appendonly", "no"}, {"bind", realAddr}}
	if _, err := n.sim.Spawn(realAddr, port, append(base, opts...)...); err != nil {
		t.Fatal(err)
	}
	n.connect()
	return n
}

// connect connects as StartReal and Restart do: a connection that waits for the first
// PING, then the one the test uses (so client ids match).
func (n *simNode) connect() {
	ping := n.sim.Dial(n.addr, n.port)
	ping.Do("PING")
	ping.Close()
	n.conn = n.sim.Dial(n.addr, n.port)
}

func (n *simNode) Do(args ...string) (resp.Value, error) { return n.conn.Do(args...) }
func (n *simNode) Pause(d time.Duration)                 { n.sim.K.RunFor(d) }
func (n *simNode) Clock() time.Duration                  { return n.sim.K.Now() }
func (n *simNode) Kill()                                 { n.conn.Close(); n.sim.Procs[realAddr].Kill() }
func (n *simNode) Name() string                          { return "sim" }

func (n *simNode) Reconnect()   { n.conn.Close(); n.conn = n.sim.Dial(n.addr, n.port) }
func (n *simNode) Open() Client { return n.sim.Dial(n.addr, n.port) }

func (n *simNode) Start() {
	n.conn.Close()
	if p := n.sim.Procs[n.addr]; !p.Alive() {
		p.Start()
	}
	n.connect()
}

// journal records what a scenario saw on one node, line by line, to compare the real
// node's with the simulated one's.
type journal struct {
	t     *testing.T
	n     node
	lines []string
	ids   map[string]string // run ids, named in order of first appearance
	s     Session
}

// do sends a command and records its reply.
func (j *journal) do(args ...string) resp.Value {
	j.t.Helper()
	v, err := j.n.Do(args...)
	if err != nil {
		j.t.Fatalf("%s: %q: %v", j.n.Name(), args, err)
	}
	j.note(shorten(quoteArgs(args)) + " -> " + shorten(j.s.Canonical(args, v).String()))
	return v
}

// shorten keeps a journal line readable: long text becomes its start and its length.
func shorten(s string) string {
	if len(s) <= 200 {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes, hash %x)", s[:60], len(s), fnv32(s))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// doClosing sends a command that ends the server (SHUTDOWN) and records that the
// connection closed, or the reply if it did not.
func (j *journal) doClosing(args ...string) {
	v, err := j.n.Do(args...)
	if err != nil {
		j.note(quoteArgs(args) + " -> connection closed")
		return
	}
	j.note(quoteArgs(args) + " -> " + v.String())
}

func (j *journal) note(line string) { j.lines = append(j.lines, line) }

// info records the fields of an INFO section, those of fields only.
func (j *journal) info(section string, fields ...string) map[string]string {
	j.t.Helper()
	v, err := j.n.Do("INFO", section)
	if err != nil {
		j.t.Fatalf("%s: INFO %s: %v", j.n.Name(), section, err)
	}
	m, _ := parseInfo(v.Str)
	var kv []string
	for _, f := range fields {
		kv = append(kv, f+"="+m[f])
	}
	j.note("INFO " + section + ": " + strings.Join(kv, " "))
	return m
}

// runID records the node's run_id by the name of its first appearance: id1, id2, ...
func (j *journal) runID() {
	j.t.Helper()
	v, err := j.n.Do("INFO", "server")
	if err != nil {
		j.t.Fatalf("%s: INFO server: %v", j.n.Name(), err)
	}
	m, _ := parseInfo(v.Str)
	id := m["run_id"]
	if j.ids == nil {
		j.ids = map[string]string{}
	}
	if _, ok := j.ids[id]; !ok {
		j.ids[id] = fmt.Sprintf("id%d", len(j.ids)+1)
	}
	j.note("run_id=" + j.ids[id])
}

// start starts the node again (node.Start) and waits, recording nothing, until it has
// loaded its dataset: on a busy machine a real server can still be loading a file of a
// few bytes when the next command arrives, and what the journal records must not depend
// on that race. TestLoadingAtStartupMatchesRealRedis, which is about loading, calls
// node.Start itself.
func (j *journal) start() {
	j.t.Helper()
	j.n.Start()
	for i := 0; ; i++ {
		v, err := j.n.Do("INFO", "persistence")
		if err != nil {
			j.t.Fatalf("%s: INFO persistence: %v", j.n.Name(), err)
		}
		if m, _ := parseInfo(v.Str); m["loading"] == "0" {
			return
		}
		if i == 200 {
			j.t.Fatalf("%s: still loading 10 s after a restart", j.n.Name())
		}
		j.n.Pause(50 * time.Millisecond)
	}
}

// waitFor waits up to 10 s for an INFO field to take a value, and records whether it did.
func (j *journal) waitFor(section, field, value string) {
	j.t.Helper()
	for i := 0; i < 200; i++ {
		v, err := j.n.Do("INFO", section)
		if err != nil {
			j.t.Fatalf("%s: INFO %s: %v", j.n.Name(), section, err)
		}
		if m, _ := parseInfo(v.Str); m[field] == value {
			j.note("waited for " + field + ":" + value)
			return
		}
		j.n.Pause(50 * time.Millisecond)
	}
	j.note(field + " never became " + value)
}

// compareJournals fails the test where the simulated node saw something else than the
// real one.
func compareJournals(t *testing.T, real, sim *journal) {
	t.Helper()
	for i := 0; i < max(len(real.lines), len(sim.lines)); i++ {
		r, s := "(nothing)", "(nothing)"
		if i < len(real.lines) {
			r = real.lines[i]
		}
		if i < len(sim.lines) {
			s = sim.lines[i]
		}
		if r != s {
			t.Errorf("step %d:\nreal: %s\nsim:  %s\nthe real node's journal:\n%s", i, r, s, strings.Join(real.lines, "\n"))
			return
		}
	}
}

// differentialLife runs a scenario on a real node and on a simulated one started with the
// same options and compares their journals.
func differentialLife(t *testing.T, scenario func(j *journal), opts ...[2]string) {
	t.Helper()
	port := FreePort(t, realAddr)
	rn := startRealNode(t, port, opts...)
	real := &journal{t: t, n: rn}
	scenario(real)
	sim := &journal{t: t, n: startSimNode(t, port, append(opts, [2]string{"dir", rn.r.Dir})...)}
	scenario(sim)
	compareJournals(t, real, sim)
	if testing.Verbose() {
		t.Logf("journal:\n%s", strings.Join(real.lines, "\n"))
	}
}
