package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim/client"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/world"
)

// walkthrough is Redis's Sentinel tutorial without its clients: a master on 6382,
// replicas on 6383 and 6384, three sentinels on 5000-5002.
func walkthrough(tb testing.TB) world.Topology {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		tb.Fatal(err)
	}
	top := s.Topology
	top.Nodes = slices.DeleteFunc(slices.Clone(top.Nodes), func(n world.Node) bool { return n.Kind == world.Client })
	return top
}

// A world comes up ready: replicas synced, sentinels knowing every replica and each other.
func TestNewWorldIsReady(t *testing.T) {
	w, err := NewWorld(walkthrough(t), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	obs := w.Observe()
	if m := obs.Masters(); len(m) != 1 || m[0].Node != "local/redis:6382" {
		t.Errorf("masters %v, want redis:6382 alone", m)
	}
	for _, r := range obs.Redis[1:] {
		if r.MasterAddr != "127.0.0.1:6382" || !r.LinkUp {
			t.Errorf("%s follows %q (link up %v)", r.Node, r.MasterAddr, r.LinkUp)
		}
	}
	for _, s := range obs.Sentinels {
		if !s.Alive || s.MasterAddr != "127.0.0.1:6382" || s.Tilt {
			t.Errorf("sentinel %+v", s)
		}
	}
	reply, err := w.Command("local/sentinel:5001", "SENTINEL", "REPLICAS", "mymaster")
	if err != nil || len(reply.Array) != 2 {
		t.Errorf("SENTINEL REPLICAS over the simulated network: %v, %v", reply, err)
	}
	if _, err := w.Command("local/redis:6382", "DEBUG", "SLEEP", "0"); err != nil {
		t.Errorf("a command to redis: %v", err)
	}
	if _, err := w.Command("nosuch", "PING"); err == nil {
		t.Error("a command to a node that does not exist succeeded")
	}
}

// BenchmarkWorld reports how much faster than real time the simulator runs the bare
// walkthrough, six processes and no clients, for 80 simulated seconds with a kill and a
// restart of the master.
func BenchmarkWorld(b *testing.B) {
	simulated := time.Duration(0)
	for i := 0; i < b.N; i++ {
		w, err := NewWorld(walkthrough(b), uint64(i+1), Options{})
		if err != nil {
			b.Fatal(err)
		}
		w.Advance(20 * time.Second)
		w.Kill("local/redis:6382")
		w.Advance(20 * time.Second)
		w.Restart("local/redis:6382")
		w.Advance(40 * time.Second)
		simulated += w.Now()
	}
	b.ReportMetric(simulated.Seconds()/b.Elapsed().Seconds(), "sim-s/wall-s")
}

// The master timeline follows every change of role: the first master until it is
// killed, the replica the sentinels promote from its promotion on, and the old master,
// restarted as a master by its unchanged config file, until the sentinels make it a
// replica. Each change is in the trace.
func TestMasterTimelineFollowsRoles(t *testing.T) {
	w, err := NewWorld(walkthrough(t), 1, Options{Kernel: kernel.Options{KeepTrace: true}})
	if err != nil {
		t.Fatal(err)
	}
	const old = "local/redis:6382"
	w.Advance(5 * time.Second)
	killedAt := w.Now()
	w.Kill(old)
	w.Advance(20 * time.Second)
	restartedAt := w.Now()
	if err := w.Restart(old); err != nil {
		t.Fatal(err)
	}
	w.Advance(30 * time.Second)

	var mine, others []linearize.MasterInterval
	for _, iv := range w.MasterTimeline() {
		if iv.Node == old {
			mine = append(mine, iv)
		} else {
			others = append(others, iv)
		}
	}
	if len(mine) != 2 || mine[0].From != 0 || mine[0].To != int64(killedAt) || mine[1].From != int64(restartedAt) ||
		mine[1].To <= mine[1].From || mine[1].To >= int64(w.Now()) {
		t.Errorf("the old master's intervals %+v: want master from 0 to its kill at %v, then from its restart at %v until converted",
			mine, killedAt, restartedAt)
	}
	if len(others) != 1 || others[0].From <= int64(killedAt) || others[0].To != int64(w.Now()) {
		t.Errorf("the other nodes' intervals %+v: want one promoted replica, master from after the kill to the end", others)
	}
	if m := w.Observe().Masters(); len(m) != 1 || len(others) == 1 && m[0].Node != others[0].Node {
		t.Errorf("masters now %v, the timeline says %+v", m, others)
	}
	var notes []string
	for _, r := range w.Kernel().Trace().Records() {
		if r.Kind == "note" && strings.Contains(r.Text, " role ") {
			notes = append(notes, r.Text)
		}
	}
	for _, want := range []string{old + " role master", old + " role down", old + " role slave"} {
		if !slices.Contains(notes, want) {
			t.Errorf("the trace lacks %q: %v", want, notes)
		}
	}
}

// Clients record the role the serving node had when its reply arrived: with no fault,
// every operation was served by the master.
func TestHistoryRecordsTheServersRole(t *testing.T) {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorld(s.Topology, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wl, _ := linearize.NewWorkload("register", 1)
	h := new(linearize.History)
	if err := w.StartClients(world.ClientSpec{Workload: wl, Think: 10 * time.Millisecond, Timeout: time.Second}, h); err != nil {
		t.Fatal(err)
	}
	w.Advance(2 * time.Second)
	w.StopClients()
	w.Advance(time.Second)
	ops := h.Ops()
	if len(ops) < 10 {
		t.Fatalf("only %d operations", len(ops))
	}
	for _, op := range ops {
		if op.Node != "local/redis:6382" || op.Role != linearize.RoleMaster {
			t.Fatalf("%v: served by %q as %q, want the master", op, op.Node, op.Role)
		}
	}
	// A replica's role, as a client that reached one would record it.
	replica, _ := s.Topology.Node("local/redis:6383")
	if got := w.RoleOf(client.Addr{Host: "127.0.0.1", Port: replica.Port}); got != linearize.RoleSlave {
		t.Errorf("RoleOf the replica: %q", got)
	}
}
