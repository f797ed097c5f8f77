package sim

import (
	"strconv"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/world"
)

// walkthrough is Redis's Sentinel tutorial: a master on 6382, replicas on 6383 and 6384,
// three sentinels on 5000-5002 with quorum 2, down-after 3000 and failover-timeout 3000.
func walkthrough() world.Topology {
	t := world.Topology{MasterName: "mymaster", Quorum: 2,
		Hosts:   []world.Host{{Name: "local", Addr: "127.0.0.1"}},
		Monitor: world.Options{{Key: "down-after-milliseconds", Value: "3000"}, {Key: "failover-timeout", Value: "3000"}}}
	for _, p := range []int{6382, 6383, 6384} {
		t.Nodes = append(t.Nodes, world.Node{Name: "redis:" + strconv.Itoa(p), Kind: world.Redis, Host: "local", Port: p})
	}
	for _, p := range []int{5000, 5001, 5002} {
		t.Nodes = append(t.Nodes, world.Node{Name: "sentinel:" + strconv.Itoa(p), Kind: world.Sentinel, Host: "local", Port: p})
	}
	return t
}

// A world comes up ready: replicas synced, sentinels knowing every replica and each other.
func TestNewWorldIsReady(t *testing.T) {
	w, err := NewWorld(walkthrough(), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	obs := w.Observe()
	if m := obs.Masters(); len(m) != 1 || m[0].Node != "redis:6382" {
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
	reply, err := w.Command("sentinel:5001", "SENTINEL", "REPLICAS", "mymaster")
	if err != nil || len(reply.Array) != 2 {
		t.Errorf("SENTINEL REPLICAS over the simulated network: %v, %v", reply, err)
	}
	if _, err := w.Command("redis:6382", "DEBUG", "SLEEP", "0"); err != nil {
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
		w, err := NewWorld(walkthrough(), uint64(i+1), Options{})
		if err != nil {
			b.Fatal(err)
		}
		w.Advance(20 * time.Second)
		w.Kill("redis:6382")
		w.Advance(20 * time.Second)
		w.Restart("redis:6382")
		w.Advance(40 * time.Second)
		simulated += w.Now()
	}
	b.ReportMetric(simulated.Seconds()/b.Elapsed().Seconds(), "sim-s/wall-s")
}
