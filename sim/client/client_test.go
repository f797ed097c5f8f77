package client_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/world"
)

// tutorial is the walkthrough's topology with one client.
func tutorial(t *testing.T) world.Topology {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	top := s.Topology
	top.Nodes = slices.DeleteFunc(slices.Clone(top.Nodes), func(n world.Node) bool {
		return n.Kind == world.Client && n.Name != "local/client:1"
	})
	return top
}

// run kills the master 5 s in and returns the history of one client over 40 s.
func run(t *testing.T, spec world.ClientSpec) []linearize.Op {
	w, err := sim.NewWorld(tutorial(t), 7, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wl, _ := linearize.NewWorkload("set-add", 1)
	spec.Workload, spec.Think, spec.Timeout = wl, 10*time.Millisecond, time.Second
	h := new(linearize.History)
	w.StartClients(spec, h)
	w.Advance(5 * time.Second)
	killedAt := int64(w.Now())
	if err := w.Kill("local/redis:6382"); err != nil {
		t.Fatal(err)
	}
	w.Advance(35 * time.Second)
	w.StopClients()
	w.Advance(2 * time.Second)
	ops := h.Ops()
	last := ops[len(ops)-1]
	if last.Status != linearize.Ok || last.Node == "local/redis:6382" || last.Role != "master" {
		t.Errorf("the last operation %v on %s (%s): the client did not move to the promoted replica", last, last.Node, last.Role)
	}
	for _, op := range ops {
		if op.Node == "local/redis:6382" && op.Status == linearize.Ok && op.Return > killedAt {
			t.Errorf("%v acknowledged by the killed master after the kill", op)
		}
		if op.Call < killedAt && op.Status != linearize.Ok {
			t.Errorf("%v failed before the kill: %s", op, op.Output.Error)
		}
	}
	return ops
}

func TestClientFollowsTheFailover(t *testing.T) {
	for name, spec := range map[string]world.ClientSpec{
		"go-redis":               {FollowSwitch: true},
		"role check":             {RoleCheck: true, FollowSwitch: true},
		"no switch subscription": {},
	} {
		t.Run(name, func(t *testing.T) { run(t, spec) })
	}
}

// An operation in flight when its connection dies may have been applied: Unknown, never
// Fail; and one refused before anything was sent is Fail.
func TestClientStatusesAroundTheKill(t *testing.T) {
	ops := run(t, world.ClientSpec{FollowSwitch: true})
	var unknown, failed int
	for _, op := range ops {
		switch op.Status {
		case linearize.Unknown:
			unknown++
		case linearize.Fail:
			failed++
			if op.Node != "" && op.Output.Error == "" {
				t.Errorf("%v failed without an error", op)
			}
		}
	}
	if unknown > 1 {
		t.Errorf("%d operations unknown, want at most the one in flight at the kill", unknown)
	}
	if failed == 0 {
		t.Errorf("no operation failed while no master was reachable")
	}
}
