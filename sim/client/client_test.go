package client_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/resp"
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

// start builds the walkthrough's world with one client on the workload and spec, and
// runs it for a second.
func start(t *testing.T, spec world.ClientSpec) (*sim.World, *linearize.History) {
	t.Helper()
	w, err := sim.NewWorld(tutorial(t), 7, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	wl, _ := linearize.NewWorkload("set-add", 1)
	spec.Workload, spec.Think, spec.Timeout = wl, 10*time.Millisecond, time.Second
	h := new(linearize.History)
	if err := w.StartClients(spec, h); err != nil {
		t.Fatal(err)
	}
	w.Advance(time.Second)
	return w, h
}

func command(t *testing.T, w *sim.World, node string, args ...string) {
	t.Helper()
	if v, err := w.Command(node, args...); err != nil || v.Kind == resp.KindError {
		t.Fatalf("%s %v: %v %v", node, args, v, err)
	}
}

// With the ROLE check a client never uses a node the sentinels name as master that says
// it is a replica; without it, the node answers READONLY to every new connection.
func TestRoleCheckRefusesANodeThatIsNotAMaster(t *testing.T) {
	for _, roleCheck := range []bool{true, false} {
		w, h := start(t, world.ClientSpec{RoleCheck: roleCheck})
		// The master follows a replica, behind the sentinels' backs: for a while they go
		// on naming it.
		command(t, w, "local/redis:6382", "REPLICAOF", "127.0.0.1", "6383")
		from := int64(w.Now())
		w.Advance(2 * time.Second)
		var refused, readonly, served int
		for _, op := range h.Ops() {
			if op.Call < from {
				continue
			}
			switch {
			case strings.Contains(op.Output.Error, "ROLE: 127.0.0.1:6382 is not a master"):
				refused++
				if op.Node != "" || op.Status != linearize.Fail {
					t.Errorf("role check %v: %v refused by ROLE but recorded as %s on %q", roleCheck, op, op.Status, op.Node)
				}
			case strings.HasPrefix(op.Output.Error, "READONLY"):
				readonly++
			case op.Node == "local/redis:6382" && op.Status == linearize.Ok:
				served++
			}
		}
		// The connection the client had meets READONLY once either way; with the check,
		// no new one is used.
		if roleCheck && (refused == 0 || readonly != 1 || served > 0) {
			t.Errorf("with the role check: %d refused by ROLE, %d READONLY, %d served by the replica", refused, readonly, served)
		}
		if !roleCheck && (refused > 0 || readonly < 2) {
			t.Errorf("without the role check: %d refused by ROLE, %d READONLY; want READONLY on every new connection", refused, readonly)
		}
	}
}

// failover forces a failover with SENTINEL FAILOVER and returns the time the last
// sentinel switched to the new master.
func failover(t *testing.T, w *sim.World) int64 {
	t.Helper()
	command(t, w, "local/sentinel:5000", "SENTINEL", "FAILOVER", "mymaster")
	w.Advance(6 * time.Second)
	switched := int64(-1)
	for _, e := range w.Events() {
		if e.Type == "+switch-master" {
			switched = e.At
		}
	}
	if switched < 0 {
		t.Fatal("SENTINEL FAILOVER did not switch the master in 6 s")
	}
	return switched
}

// Without the +switch-master subscription a client goes on writing to the old master
// after a failover. When that one becomes a replica without closing its clients'
// connections (REPLICAOF by hand; Sentinel's own conversion kills them), the client's
// next write meets READONLY: it drops the connection and finds the new master.
func TestReadOnlyMakesTheClientFindTheMasterAgain(t *testing.T) {
	w, h := start(t, world.ClientSpec{})
	switched := failover(t, w)
	command(t, w, "local/redis:6382", "REPLICAOF", "127.0.0.1", "6383")
	w.Advance(3 * time.Second)
	ops := h.Ops()
	readonly := slices.IndexFunc(ops, func(op linearize.Op) bool {
		return strings.HasPrefix(op.Output.Error, "READONLY") && op.Node == "local/redis:6382"
	})
	if readonly < 0 || readonly == len(ops)-1 {
		t.Fatalf("the demoted master answered no READONLY followed by another operation (at %d of %d)", readonly, len(ops))
	}
	if !slices.ContainsFunc(ops[:readonly], func(op linearize.Op) bool {
		return op.Node == "local/redis:6382" && op.Status == linearize.Ok && op.Call > switched
	}) {
		t.Error("no write reached the old master after the switch: nothing shows the client had missed it")
	}
	next := ops[readonly+1]
	if next.Status != linearize.Ok || next.Node != "local/redis:6383" {
		t.Errorf("after READONLY: %v on %q (%s), want a success on the new master", next, next.Node, next.Output.Error)
	}
	for _, op := range ops[readonly+1:] {
		if op.Node != "local/redis:6383" {
			t.Errorf("%v went to %q after the client found the new master", op, op.Node)
		}
	}
}

// With the subscription, +switch-master drops the connection to the old master at once:
// no operation started after the switch goes there.
func TestSwitchMasterDropsTheConnectionToTheOldMaster(t *testing.T) {
	w, h := start(t, world.ClientSpec{FollowSwitch: true})
	switched := failover(t, w)
	moved := false
	for _, op := range h.Ops() {
		if op.Call > switched+int64(100*time.Millisecond) {
			if op.Node == "local/redis:6382" {
				t.Errorf("%v went to the old master after the switch", op)
			}
			moved = moved || op.Status == linearize.Ok
		}
	}
	if !moved {
		t.Error("no operation succeeded after the switch")
	}
}
