package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
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
