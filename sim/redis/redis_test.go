package redis

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// cluster is a kernel with one redis per host and a client process to talk to them.
type cluster struct {
	t       *testing.T
	k       *kernel.Kernel
	servers map[string]*Server
	procs   map[string]*kernel.Process
	client  *kernel.Process
}

type nothing struct{}

func (nothing) Start(*kernel.Process) {}

func newCluster(t *testing.T, nodes map[string][][2]string) *cluster {
	return newClusterWith(t, nodes, Speeds{})
}

// newClusterWith is newCluster on a machine of the given speeds.
func newClusterWith(t *testing.T, nodes map[string][][2]string, speeds Speeds) *cluster {
	k, err := kernel.New(7, kernel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, k: k, servers: map[string]*Server{}, procs: map[string]*kernel.Process{}}
	for _, addr := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.9"} {
		k.AddHost(addr)
	}
	for _, addr := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		opts, ok := nodes[addr]
		if !ok {
			continue
		}
		// Hosts of their own, as in a real deployment: protected mode would refuse them.
		base := [][2]string{{"repl-diskless-sync-delay", "0"}, {"protected-mode", "no"}}
		srv, err := New(Config{Port: 6379, Options: append(base, opts...), Speeds: speeds})
		if err != nil {
			t.Fatal(err)
		}
		c.servers[addr] = srv
		c.procs[addr] = k.Host(addr).Spawn("redis/"+addr, srv)
	}
	c.client = k.Host("127.0.0.9").Spawn("client", nothing{})
	return c
}

// do sends one command on a fresh connection and runs the world until the reply.
func (c *cluster) do(addr string, args ...string) resp.Value {
	c.t.Helper()
	conn := c.client.Dial(addr, 6379)
	var got *resp.Value
	conn.OnData = func(msg any) {
		if v, ok := msg.(resp.Value); ok && got == nil {
			got = &v
		}
	}
	conn.Send(args)
	for deadline := c.k.Now() + 5*time.Second; got == nil && c.k.Now() < deadline; {
		c.k.RunFor(time.Millisecond)
	}
	conn.Close()
	if got == nil {
		c.t.Fatalf("%s %v: no reply", addr, args)
	}
	return *got
}

// send sends one command on a fresh connection and does not wait for a reply.
func (c *cluster) send(addr string, args ...string) {
	c.client.Dial(addr, 6379).Send(args)
}

func (c *cluster) run(d time.Duration) { c.k.RunFor(d) }

func TestReplicationStreamsWritesAndPromotionKeepsHistory(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
		"127.0.0.3": {{"replicaof", "127.0.0.1 6379"}},
	})
	c.run(2 * time.Second)
	for i := 0; i < 5; i++ {
		if r := c.do("127.0.0.1", "SADD", "s", fmt.Sprint(i)); r.Kind != resp.KindInt {
			t.Fatalf("SADD: %v", r)
		}
	}
	c.run(time.Second)
	if got := syncStats(c, "127.0.0.1"); got != "sync_full:2 sync_partial_ok:0 sync_partial_err:0" {
		t.Errorf("master after its replicas' first syncs: %s, want two full syncs", got)
	}
	for _, addr := range []string{"127.0.0.2", "127.0.0.3"} {
		if got := c.do(addr, "SMEMBERS", "s").String(); got != `["0" "1" "2" "3" "4"]` {
			t.Errorf("%s has %s", addr, got)
		}
		if r := c.do(addr, "SADD", "s", "x"); r.ErrorPrefix() != "READONLY" {
			t.Errorf("write on replica %s: %v, want READONLY", addr, r)
		}
	}
	// Promote .2, point .3 at it: .3 continues partially from the old history.
	c.do("127.0.0.2", "REPLICAOF", "NO", "ONE")
	c.do("127.0.0.3", "REPLICAOF", "127.0.0.2", "6379")
	c.run(2 * time.Second)
	info := c.do("127.0.0.2", "INFO", "replication").Str
	if !containsLine(info, "role:master") || !containsLine(info, "connected_slaves:1") {
		t.Errorf("promoted node's INFO:\n%s", info)
	}
	c.do("127.0.0.2", "SADD", "s", "5")
	c.run(time.Second)
	if got := c.do("127.0.0.3", "SCARD", "s"); got.Int != 6 {
		t.Errorf(".3 has %v members after following .2, want 6", got)
	}
	if host, port, up := c.servers["127.0.0.3"].Master(); host != "127.0.0.2" || port != 6379 || !up {
		t.Errorf(".3 replicates from %s:%d up=%v", host, port, up)
	}
	if got := syncStats(c, "127.0.0.2"); got != "sync_full:0 sync_partial_ok:1 sync_partial_err:0" {
		t.Errorf("promoted .2 after .3 followed it: %s, want one partial resync and no full one", got)
	}
}

// syncStats are a master's sync counters of INFO stats.
func syncStats(c *cluster, addr string) string {
	info := c.do(addr, "INFO", "stats").Str
	var out []string
	for _, f := range []string{"sync_full", "sync_partial_ok", "sync_partial_err"} {
		out = append(out, f+":"+infoField(info, f))
	}
	return strings.Join(out, " ")
}

func TestDemotedMasterLosesDivergentWrites(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
	})
	c.run(2 * time.Second)
	c.do("127.0.0.1", "SET", "k", "before")
	c.run(time.Second)
	c.do("127.0.0.2", "REPLICAOF", "NO", "ONE")
	// The old master, still believing it is master, acknowledges a write nobody else has.
	if r := c.do("127.0.0.1", "SET", "k", "divergent"); !r.Equal(resp.OK) {
		t.Fatalf("SET on the old master: %v", r)
	}
	c.do("127.0.0.2", "SET", "other", "new")
	c.do("127.0.0.1", "REPLICAOF", "127.0.0.2", "6379")
	c.run(2 * time.Second)
	if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, []string{"k=before", "other=new"}) {
		t.Errorf("demoted master holds %v: its divergent write should be gone", got)
	}
	// Its offset is past the point where .2's history forked from it, so its PSYNC is
	// refused and it syncs in full.
	if got := syncStats(c, "127.0.0.2"); got != "sync_full:1 sync_partial_ok:0 sync_partial_err:1" {
		t.Errorf("new master after the old one followed it: %s, want its partial resync refused and a full one", got)
	}
}

func TestMinReplicasRefusesWritesWithoutReplicas(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"min-replicas-to-write", "1"}, {"min-replicas-max-lag", "10"}},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
	})
	c.run(2 * time.Second)
	if r := c.do("127.0.0.1", "SET", "a", "1"); !r.Equal(resp.OK) {
		t.Fatalf("SET with a good replica: %v", r)
	}
	c.procs["127.0.0.2"].Kill()
	c.run(12 * time.Second)
	r := c.do("127.0.0.1", "SET", "a", "2")
	if r.Str != "NOREPLICAS Not enough good replicas to write." {
		t.Errorf("SET without replicas: %v", r)
	}
}

// The options every write reads are parsed once, so CONFIG SET must be seen at once, and a
// restart must read the file again.
func TestMinReplicasFollowsConfigSet(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": nil})
	if r := c.do("127.0.0.1", "SET", "a", "1"); !r.Equal(resp.OK) {
		t.Fatalf("SET with min-replicas-to-write 0: %v", r)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "min-replicas-to-write", "1")
	if r := c.do("127.0.0.1", "SET", "a", "2"); r.Str != "NOREPLICAS Not enough good replicas to write." {
		t.Errorf("SET after CONFIG SET min-replicas-to-write 1: %v", r)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "min-replicas-max-lag", "0")
	if r := c.do("127.0.0.1", "SET", "a", "3"); !r.Equal(resp.OK) {
		t.Errorf("SET after CONFIG SET min-replicas-max-lag 0: %v", r)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "min-replicas-max-lag", "10")
	c.procs["127.0.0.1"].Restart()
	c.run(time.Second)
	if r := c.do("127.0.0.1", "SET", "a", "4"); !r.Equal(resp.OK) {
		t.Errorf("SET after a restart, which drops what CONFIG SET did: %v", r)
	}
}

func TestRestartWithoutPersistenceComesBackEmpty(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"save", ""}, {"appendonly", "no"}},
		"127.0.0.2": {{"appendonly", "yes"}, {"appendfsync", "always"}},
	})
	for _, addr := range []string{"127.0.0.1", "127.0.0.2"} {
		c.do(addr, "SET", "k", "v")
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			id := infoField(c.do(addr, "INFO", "server").Str, "run_id")
			if len(id) != 40 || seen[id] {
				t.Errorf("%s: run_id %q after %d restarts: want a new 40-hex id after every restart", addr, id, i)
			}
			seen[id] = true
			c.procs[addr].Kill()
			c.procs[addr].Start()
			c.run(100 * time.Millisecond)
		}
	}
	if got := c.do("127.0.0.1", "DBSIZE"); got.Int != 0 {
		t.Errorf("no persistence: %d keys after restart, want 0", got.Int)
	}
	if got := c.do("127.0.0.2", "GET", "k"); got.Str != "v" {
		t.Errorf("AOF: GET k after restart = %v, want v", got)
	}
}

func TestErrorsAreRedisErrors(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"NOSUCH", "a"}, "ERR unknown command 'NOSUCH', with args beginning with: 'a' "},
		{[]string{"GET"}, "ERR wrong number of arguments for 'get' command"},
		{[]string{"INCR", "s"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
	} {
		c.do("127.0.0.1", "SADD", "s", "1")
		if got := c.do("127.0.0.1", tc.args...); got.Str != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, got.Str, tc.want)
		}
	}
}

// infoField is the value of one INFO field.
func infoField(text, name string) string {
	for _, l := range splitLines(text) {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	return ""
}

func containsLine(text, line string) bool {
	for _, l := range splitLines(text) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\r' && s[i+1] == '\n' {
			out = append(out, s[start:i])
			start = i + 2
		}
	}
	return out
}

// INFO takes its CPU time before its reply leaves, and a command pipelined behind it on
// the same connection waits for it; a command on another connection that arrives
// meanwhile waits too, as for Redis's one thread.
func TestInfoRepliesAfterItsCost(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	conn := c.client.Dial("127.0.0.1", 6379)
	other := c.client.Dial("127.0.0.1", 6379)
	c.run(10 * time.Millisecond)
	var order []string
	var at []time.Duration
	note := func(name string) func(any) {
		return func(any) { order = append(order, name); at = append(at, c.k.Now()) }
	}
	conn.OnData, other.OnData = note("conn"), note("other")
	start := c.k.Now()
	conn.Send([]string{"INFO"})
	conn.Send([]string{"PING"})
	other.Send([]string{"PING"})
	c.run(10 * time.Millisecond)
	if fmt.Sprint(order) != "[conn conn other]" {
		t.Fatalf("replies in order %v, want INFO's, then the PINGs behind it", order)
	}
	if rtt := at[0] - start; rtt < infoCost {
		t.Errorf("INFO answered after %v, less than its cost %v", rtt, infoCost)
	}
}
