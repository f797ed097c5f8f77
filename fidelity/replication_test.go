package fidelity

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// The three nodes of the replication test: A starts as master, B and C replicate from it;
// B is promoted, then C and the old master A follow B.
const (
	nodeA = "127.0.0.2"
	nodeB = "127.0.0.3"
	nodeC = "127.0.0.4"
)

var replNodes = []string{nodeA, nodeB, nodeC}

// replOptions are set on both sides: diskless sync without a delay, so full syncs are
// quick, and replicas pinged rarely, so that no PING moves the offsets while the test runs.
// Protected mode is off, as it must be for replicas on other hosts.
var replOptions = [][2]string{{"repl-diskless-sync-delay", "0"}, {"repl-ping-replica-period", "60"},
	{"protected-mode", "no"}, {"enable-debug-command", "local"}}

// cluster is one side of the comparison: three nodes, one connection to each.
type cluster interface {
	Do(addr string, args ...string) resp.Value
	// Send sends a command without waiting for its reply; Receive waits for the reply.
	Send(addr string, args ...string)
	Receive(addr string) resp.Value
	// Clock is the time: real time for real servers, virtual time for simulated ones.
	Clock() time.Duration
	// Pause lets d pass: real time for real servers, virtual time for simulated ones.
	Pause(d time.Duration)
	// Kill kills a node (SIGKILL); Start starts it again with what it persisted.
	Kill(addr string)
	Start(addr string)
	Name() string
}

type realCluster struct {
	t       *testing.T
	servers map[string]*Real
	conns   map[string]*RealConn
}

func (c *realCluster) Kill(addr string) {
	c.conns[addr].Close()
	c.servers[addr].Kill()
}

func (c *realCluster) Start(addr string) {
	c.servers[addr].Restart(c.t)
	c.conns[addr] = c.servers[addr].Dial(c.t)
}

func (c *realCluster) Do(addr string, args ...string) resp.Value {
	c.t.Helper()
	v, err := c.conns[addr].Do(args...)
	if err != nil {
		c.t.Fatalf("real %s: %v", addr, err)
	}
	return v
}

func (c *realCluster) Send(addr string, args ...string) {
	c.t.Helper()
	if err := c.conns[addr].Send(args...); err != nil {
		c.t.Fatalf("real %s: %v", addr, err)
	}
}

func (c *realCluster) Receive(addr string) resp.Value {
	c.t.Helper()
	v, err := c.conns[addr].Receive()
	if err != nil {
		c.t.Fatalf("real %s: %v", addr, err)
	}
	return v
}

func (c *realCluster) Clock() time.Duration { return time.Duration(time.Now().UnixNano()) }

func (c *realCluster) Pause(d time.Duration) { time.Sleep(d) }
func (c *realCluster) Name() string          { return "real" }

type simCluster struct {
	t     *testing.T
	sim   *Sim
	port  int
	conns map[string]*SimConn
}

func (c *simCluster) Do(addr string, args ...string) resp.Value {
	c.t.Helper()
	v, err := c.conns[addr].Do(args...)
	if err != nil {
		c.t.Fatalf("sim %s: %v", addr, err)
	}
	return v
}

func (c *simCluster) Send(addr string, args ...string) {
	c.t.Helper()
	if err := c.conns[addr].Send(args...); err != nil {
		c.t.Fatalf("sim %s: %v", addr, err)
	}
}

func (c *simCluster) Receive(addr string) resp.Value {
	c.t.Helper()
	v, err := c.conns[addr].Next()
	if err != nil {
		c.t.Fatalf("sim %s: %v", addr, err)
	}
	return v
}

func (c *simCluster) Clock() time.Duration { return c.sim.K.Now() }

func (c *simCluster) Pause(d time.Duration) { c.sim.K.RunFor(d) }

func (c *simCluster) Kill(addr string) {
	c.conns[addr].Close()
	c.sim.Procs[addr].Kill()
}

func (c *simCluster) Start(addr string) {
	c.sim.Procs[addr].Start()
	c.conns[addr] = c.sim.Dial(addr, c.port)
}
func (c *simCluster) Name() string { return "sim" }

// replObservation is what the scenario records at its checkpoints.
type replObservation struct {
	infos   []map[string]string // INFO replication per checkpoint and node, in order
	labels  []string            // "checkpoint node"
	fields  map[string][]string // field names in order, per fieldState
	roles   map[string]string   // ROLE per node at the end, replicas sorted
	data    map[string]string   // the dataset per node at the end
	replies []string            // replies to the scenario's commands that are compared
	errors  []string
}

// TestReplicationMatchesRealRedis runs the same failover on three real redis-servers and
// on three simulated nodes with the same addresses and compares what INFO, ROLE and the
// datasets say along the way.
func TestReplicationMatchesRealRedis(t *testing.T) {
	port := FreePort(t, replNodes...)
	rc := &realCluster{t: t, servers: map[string]*Real{}, conns: map[string]*RealConn{}}
	for _, addr := range replNodes {
		// On one machine every node would dial its master from 127.0.0.1; binding the
		// source address makes each node look like a host of its own, as in the simulation.
		r := StartReal(t, addr, port, append(replOptions, [2]string{"bind-source-addr", addr})...)
		rc.servers[addr] = r
		rc.conns[addr] = r.Dial(t)
	}
	sim := NewSim(1)
	sc := &simCluster{t: t, sim: sim, port: port, conns: map[string]*SimConn{}}
	for _, addr := range replNodes {
		opts := append([][2]string{{"save", ""}, {"appendonly", "no"}}, replOptions...)
		if _, err := sim.Spawn(addr, port, opts...); err != nil {
			t.Fatal(err)
		}
		sc.conns[addr] = sim.Dial(addr, port)
	}
	real := runFailover(t, rc, port)
	simulated := runFailover(t, sc, port)
	for _, e := range append(real.errors, simulated.errors...) {
		t.Error(e)
	}
	compareObservations(t, real, simulated)
	for _, addr := range replNodes {
		t.Logf("%s (real): %s", addr, real.data[addr])
	}
}

// runFailover is the scenario: A master with replicas B and C; writes; B promoted and
// written to; C follows B; A, written to so that it diverges, follows B too.
func runFailover(t *testing.T, c cluster, port int) *replObservation {
	t.Helper()
	obs := &replObservation{fields: map[string][]string{}, roles: map[string]string{},
		data: map[string]string{}}
	p := strconv.Itoa(port)
	checkpoint := func(name string) {
		for _, addr := range replNodes {
			if name == "B-down" && addr == nodeB {
				obs.infos = append(obs.infos, map[string]string{"down": "yes"})
				obs.labels = append(obs.labels, name+" "+addr)
				continue
			}
			text := c.Do(addr, "INFO", "replication").Str
			info, order := parseInfo(text)
			// The sync counters after every step: whether each step's resync was
			// partial or full.
			stats, _ := parseInfo(c.Do(addr, "INFO", "stats").Str)
			for _, k := range []string{"sync_full", "sync_partial_ok", "sync_partial_err"} {
				info["stats "+k] = stats[k]
			}
			obs.infos = append(obs.infos, info)
			obs.labels = append(obs.labels, name+" "+addr)
			// The same state always shows the same fields (a sync in progress adds some).
			if state := fieldState(info); !syncing(info) {
				if prev, ok := obs.fields[state]; ok && strings.Join(prev, ",") != strings.Join(order, ",") {
					obs.errors = append(obs.errors, fmt.Sprintf("%s: a %s at %s shows fields %v, earlier %v",
						c.Name(), state, name, order, prev))
				}
				obs.fields[state] = order
			}
		}
	}
	synced := func(what string, master string, replicas ...string) {
		t.Helper()
		waitUntil(t, c, what, func() bool {
			m, _ := parseInfo(c.Do(master, "INFO", "replication").Str)
			if m["connected_slaves"] != strconv.Itoa(len(replicas)) {
				return false
			}
			for i := range replicas {
				if !strings.Contains(m[fmt.Sprintf("slave%d", i)], "state=online") {
					return false
				}
			}
			for _, r := range replicas {
				info, _ := parseInfo(c.Do(r, "INFO", "replication").Str)
				if info["master_link_status"] != "up" || info["slave_repl_offset"] != m["master_repl_offset"] {
					return false
				}
			}
			return true
		})
	}
	write := func(addr string, args ...string) {
		t.Helper()
		if v := c.Do(addr, args...); v.IsError() {
			t.Fatalf("%s: %s %q: %v", c.Name(), addr, args, v)
		}
	}

	checkpoint("start")
	write(nodeA, "SET", "k1", "v1")
	write(nodeA, "SET", "before-replicas", "x") // with no replica and no backlog: does the offset move?
	checkpoint("master-written-alone")
	for i, r := range []string{nodeB, nodeC} {
		write(r, "REPLICAOF", nodeA, p)
		synced("A serves "+r, nodeA, []string{nodeB, nodeC}[:i+1]...)
	}
	checkpoint("replicas-synced")
	write(nodeA, "SADD", "s", "a", "b", "c")
	write(nodeA, "RPUSH", "l", "x", "y")
	write(nodeA, "INCR", "n")
	write(nodeA, "DEL", "before-replicas")
	synced("B and C catch up", nodeA, nodeB, nodeC)
	checkpoint("replicas-caught-up")

	write(nodeB, "REPLICAOF", "NO", "ONE")
	waitUntil(t, c, "A sees B leave", func() bool {
		m, _ := parseInfo(c.Do(nodeA, "INFO", "replication").Str)
		return m["connected_slaves"] == "1"
	})
	checkpoint("B-promoted")
	write(nodeB, "SET", "k2", "fromB")
	write(nodeB, "SADD", "s", "d")
	write(nodeC, "REPLICAOF", nodeB, p)
	synced("C follows B", nodeB, nodeC)
	checkpoint("C-follows-B")

	write(nodeA, "SET", "k1", "divergent")
	write(nodeA, "SET", "onlyA", "1")
	checkpoint("A-diverged")
	write(nodeA, "REPLICAOF", nodeB, p)
	synced("A follows B", nodeB, nodeC, nodeA)
	checkpoint("A-follows-B")

	write(nodeB, "SET", "k3", "end")
	synced("the last write reaches A and C", nodeB, nodeC, nodeA)
	checkpoint("all-follow-B")

	// A's link with its master is killed: A reconnects and continues where it was.
	obs.replies = append(obs.replies, "CLIENT KILL TYPE master: "+c.Do(nodeA, "CLIENT", "KILL", "TYPE", "master").String())
	write(nodeB, "SET", "k4", "while A reconnects")
	synced("A reconnects", nodeB, nodeC, nodeA)
	checkpoint("A-reconnected")

	// Both replicas are blocked and cut off; B takes in more than its backlog holds: once
	// back they cannot continue, and sync in full.
	write(nodeB, "CONFIG", "SET", "repl-backlog-size", "16kb")
	c.Send(nodeA, "DEBUG", "SLEEP", "1")
	c.Send(nodeC, "DEBUG", "SLEEP", "1")
	c.Pause(100 * time.Millisecond)
	obs.replies = append(obs.replies, "CLIENT KILL TYPE replica: "+c.Do(nodeB, "CLIENT", "KILL", "TYPE", "replica").String())
	for i := 0; i < 60; i++ {
		write(nodeB, "SET", fmt.Sprintf("big%d", i), strings.Repeat("x", 1000))
	}
	c.Receive(nodeA)
	c.Receive(nodeC)
	synced("A and C resync in full", nodeB, nodeC, nodeA)
	checkpoint("backlog-overflowed")

	// C is killed and restarted with the config it rewrote: it loads the RDB its last full
	// sync left, with the replication id and offset in it, and continues partially.
	obs.replies = append(obs.replies, "CONFIG REWRITE: "+c.Do(nodeC, "CONFIG", "REWRITE").String())
	c.Kill(nodeC)
	c.Start(nodeC)
	synced("C syncs again", nodeB, nodeA, nodeC)
	checkpoint("C-restarted")

	// The master B is killed; its replicas lose the link. B comes back as a master (its
	// promotion was never written to its config) with the RDB of its own first full sync.
	c.Kill(nodeB)
	waitUntil(t, c, "A and C see B down", func() bool {
		for _, r := range []string{nodeA, nodeC} {
			info, _ := parseInfo(c.Do(r, "INFO", "replication").Str)
			if info["master_link_status"] != "down" {
				return false
			}
		}
		return true
	})
	checkpoint("B-down")
	c.Start(nodeB)
	synced("A and C sync with the restarted B", nodeB, nodeA, nodeC)
	checkpoint("end")

	for _, addr := range replNodes {
		obs.roles[addr] = roleShape(c.Do(addr, "ROLE"))
		var data []string
		for _, k := range []string{"k1", "k2", "k3", "k4", "onlyA", "n", "before-replicas"} {
			data = append(data, k+"="+c.Do(addr, "GET", k).String())
		}
		data = append(data, "s="+Canonical([]string{"SMEMBERS"}, c.Do(addr, "SMEMBERS", "s")).String())
		data = append(data, "l="+c.Do(addr, "LRANGE", "l", "0", "-1").String())
		data = append(data, "dbsize="+c.Do(addr, "DBSIZE").String())
		obs.data[addr] = strings.Join(data, " ")
	}
	return obs
}

func waitUntil(t *testing.T, c cluster, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		c.Pause(10 * time.Millisecond)
	}
	t.Fatalf("%s: %s did not happen within 10 s", c.Name(), what)
}

func syncing(info map[string]string) bool { return info["master_sync_in_progress"] == "1" }

// fieldState is what decides which fields INFO replication shows: the role, a
// replica's link state, and a master's number of replicas.
func fieldState(info map[string]string) string {
	if info["role"] == "slave" {
		return "slave with its link " + info["master_link_status"]
	}
	return "master with " + info["connected_slaves"] + " replicas"
}

// parseInfo reads an INFO section: its fields and their order.
func parseInfo(text string) (map[string]string, []string) {
	m := map[string]string{}
	var order []string
	for _, line := range strings.Split(text, "\r\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		m[k] = v
		order = append(order, k)
	}
	return m, order
}

// roleShape renders ROLE with a master's replicas sorted (their order is the order they
// connected in) and without their acknowledged offsets (the last once-a-second ACK):
// both are timing.
func roleShape(v resp.Value) string {
	if v.Kind == resp.KindArray && len(v.Array) == 3 && v.Array[2].Kind == resp.KindArray {
		var reps []resp.Value
		for _, r := range v.Array[2].Array {
			if r.Kind == resp.KindArray && len(r.Array) == 3 {
				r = resp.Array(r.Array[0], r.Array[1], resp.Bulk("<ack>"))
			}
			reps = append(reps, r)
		}
		sort.Slice(reps, func(i, j int) bool { return reps[i].String() < reps[j].String() })
		return resp.Array(v.Array[0], v.Array[1], resp.Array(reps...)).String()
	}
	return v.String()
}

var (
	replidField = regexp.MustCompile(`^master_replid2?$`)
	// timingFields differ by nature: they count seconds of wall-clock time.
	timingFields = map[string]bool{"master_last_io_seconds_ago": true, "master_link_down_since_seconds": true}
)

// compareObservations wants the same values field by field, except that replication ids
// are random: they are compared by the equalities among them, through labels given in
// order of first appearance ("id1", "id2", ...; the null id stays as it is). Lag and I/O
// ages count wall-clock seconds and are left out.
func compareObservations(t *testing.T, real, sim *replObservation) {
	t.Helper()
	realIDs, simIDs := map[string]string{}, map[string]string{}
	label := func(ids map[string]string, id string) string {
		if strings.Trim(id, "0") == "" {
			return id
		}
		if _, ok := ids[id]; !ok {
			ids[id] = fmt.Sprintf("id%d", len(ids)+1)
		}
		return ids[id]
	}
	if len(real.infos) != len(sim.infos) {
		t.Fatalf("%d checkpoints on the real side, %d simulated", len(real.infos), len(sim.infos))
	}
	for i := range real.infos {
		r, s := sortedReplicas(real.infos[i]), sortedReplicas(sim.infos[i])
		keys := map[string]bool{}
		for k := range r {
			keys[k] = true
		}
		for k := range s {
			keys[k] = true
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			rv, rok := r[k]
			sv, sok := s[k]
			switch {
			case !rok || !sok:
				t.Errorf("%s: field %s real=%q (present %v) sim=%q (present %v)", real.labels[i], k, rv, rok, sv, sok)
				continue
			case timingFields[k]:
				// Seconds of wall-clock time, but -1 (no link ever, or no master client)
				// means something.
				rv, sv = secondsClass(rv), secondsClass(sv)
			case replidField.MatchString(k):
				rv, sv = label(realIDs, rv), label(simIDs, sv)
			case strings.HasPrefix(k, "slave") && strings.Contains(rv, "lag="):
				for side, line := range map[string]string{"real": rv, "sim": sv} {
					info := map[string]map[string]string{"real": r, "sim": s}[side]
					if ack := ackOffset(line); ack > atoi(info["master_repl_offset"]) {
						t.Errorf("%s %s: %s acknowledges %d, beyond the offset %s", side, real.labels[i], k, ack,
							info["master_repl_offset"])
					}
				}
				rv, sv = dropAck(rv), dropAck(sv)
			}
			if rv != sv {
				t.Errorf("%s: %s real=%s sim=%s", real.labels[i], k, rv, sv)
			}
		}
	}
	states := map[string]bool{}
	for k := range real.fields {
		states[k] = true
	}
	for k := range sim.fields {
		states[k] = true
	}
	for k := range states {
		if rf, sf := real.fields[k], sim.fields[k]; strings.Join(rf, ",") != strings.Join(sf, ",") {
			t.Errorf("INFO replication fields of a %s:\nreal %v\nsim  %v", k, rf, sf)
		}
	}
	if strings.Join(real.replies, "\n") != strings.Join(sim.replies, "\n") {
		t.Errorf("replies:\nreal %q\nsim  %q", real.replies, sim.replies)
	}
	for _, addr := range replNodes {
		if real.roles[addr] != sim.roles[addr] {
			t.Errorf("%s ROLE: real %s, sim %s", addr, real.roles[addr], sim.roles[addr])
		}
		if real.data[addr] != sim.data[addr] {
			t.Errorf("%s dataset:\nreal %s\nsim  %s", addr, real.data[addr], sim.data[addr])
		}
	}
}

// sortedReplicas renumbers a master's slaveN lines in the order of their address: the
// order replicas connected in is timing (both reconnect at once after the backlog step).
func sortedReplicas(info map[string]string) map[string]string {
	var lines []string
	out := map[string]string{}
	for k, v := range info {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "ip=") {
			lines = append(lines, v)
		} else {
			out[k] = v
		}
	}
	sort.Slice(lines, func(i, j int) bool { return dropAck(lines[i]) < dropAck(lines[j]) })
	for i, l := range lines {
		out[fmt.Sprintf("slave%d", i)] = l
	}
	return out
}

func secondsClass(v string) string {
	if v == "-1" {
		return v
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return "some seconds"
	}
	return v
}

func ackOffset(line string) int64 {
	for _, kv := range strings.Split(line, ",") {
		if v, ok := strings.CutPrefix(kv, "offset="); ok {
			return atoi(v)
		}
	}
	return -1
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// dropAck keeps ip, port and state of a slaveN line: its offset is the replica's last
// REPLCONF ACK, sent once a second, and its lag the seconds since, both timing.
func dropAck(s string) string {
	i := strings.Index(s, ",offset=")
	if i < 0 {
		return s
	}
	return s[:i]
}
