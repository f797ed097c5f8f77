package scenarios

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/world"
)

func TestWhichFaultsTouchTheMaster(t *testing.T) {
	s, err := Lookup("partition-master-minority") // n1, n2, n3; n1/redis is the master
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    Fault
		want bool
	}{
		{Fault{Kind: Kill, Target: SelectMaster}, true},
		{Fault{Kind: Pause, Target: "n1/redis"}, true},
		{Fault{Kind: ClockJump, Target: "n1"}, true}, // every process of the master's host
		{Fault{Kind: Kill, Target: SelectReplica}, false},
		{Fault{Kind: Kill, Target: "n2/redis"}, false},
		{Fault{Kind: Pause, Target: "n1/sentinel"}, false},
		{Fault{Kind: ClockJump, Target: "n3"}, false},
		{Fault{Kind: Command, Target: "n2/sentinel", Args: []string{"SENTINEL", "FAILOVER", "mymaster"}}, true},
		{Fault{Kind: Partition, Groups: [][]string{{"n2"}, {"n3"}}}, false},
		{Fault{Kind: Partition, Groups: [][]string{{"n2"}, {SelectRest}}}, true},
		{Fault{Kind: Partition, Groups: [][]string{{"n1"}, {"n2", "n3"}}}, true},
		{Fault{Kind: Cut, From: []string{"n3"}, To: []string{"n2"}}, false},
		{Fault{Kind: Cut, From: []string{"n3"}, To: []string{SelectMaster}}, true},
		{Fault{Kind: Latency, Hosts: []string{"n3"}}, true}, // the master's link to n3 too
		{Fault{Kind: Loss, Hosts: []string{"n2"}}, true},
		{Fault{Kind: Heal}, false},
	} {
		if got := c.f.touchesMaster(s.Topology); got != c.want {
			t.Errorf("%v touches the master: %v, want %v", c.f, got, c.want)
		}
	}
	if slices.Contains(s.AlwaysFor(1), "no-lost-writes") {
		t.Errorf("partition-master-minority cuts the master off, yet expects %v", s.AlwaysFor(1))
	}
	away, _ := Lookup("list-append-away-from-master")
	if got := away.AlwaysFor(1); !slices.Contains(got, "no-lost-writes") || slices.Contains(away.Expect.Always, "no-lost-writes") {
		t.Errorf("list-append-away-from-master writes %v and expects %v: want no-lost-writes derived", away.Expect.Always, got)
	}
}

// lossyWorld acknowledges one write, then reads it back missing (or, with noRead, makes
// no final read at all).
type lossyWorld struct {
	fakeWorld
	h      *linearize.History
	noRead bool
}

func (w *lossyWorld) StartClients(_ world.ClientSpec, h *linearize.History) error {
	w.h = h
	op := linearize.Op{Kind: linearize.KindSAdd, Key: "set", Arg: "0"}
	id := h.Invoke(0, op, int64(w.now))
	out, status := linearize.ParseReply(op.Kind, int64(1))
	h.Complete(id, out, status, "n1/redis", "master", int64(w.now)+1)
	return nil
}

func (w *lossyWorld) FinalReads(ops []linearize.Op, _ time.Duration) {
	if w.noRead {
		return
	}
	for _, op := range ops {
		id := w.h.Invoke(0, op, int64(w.now))
		out, status := linearize.ParseReply(op.Kind, []any{})
		w.h.Complete(id, out, status, "n1/redis", "master", int64(w.now)+1)
	}
}

type lossyBackend struct{ noRead bool }

func (lossyBackend) Name() string { return "lossy" }
func (b lossyBackend) New(_ context.Context, t world.Topology, _ uint64) (world.World, error) {
	return &lossyWorld{fakeWorld: fakeWorld{top: t, master: t.InitialMaster().Name}, noRead: b.noRead}, nil
}

// A lost write fails a run that did not ask for no-lost-writes when no fault touched the
// master, and not when one did; a final read that could not be made fails it not.
func TestNoLostWritesIsExpectedAwayFromTheMaster(t *testing.T) {
	base := "name: x\nhosts:\n  n1: [redis]\n  n2: [redis]\nduration: 5s\nquiet: 1s\n"
	for _, c := range []struct {
		faults string
		noRead bool
		fails  bool
	}{
		{"", false, true},
		{"faults:\n  - {at: 1s, kill: n2/redis, for: 1s}\n", false, true},
		{"faults:\n  - {at: 1s, kill: master, for: 1s}\n", false, false},
		{"", true, false},
	} {
		s, err := Parse("x.yaml", []byte(base+c.faults))
		if err != nil {
			t.Fatal(err)
		}
		run, err := Execute(context.Background(), s, lossyBackend{noRead: c.noRead}, 1, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := run.Result
		broke := slices.ContainsFunc(r.Violations, func(v string) bool { return strings.HasPrefix(v, "no-lost-writes: ") })
		if broke != c.fails || r.Passed() == c.fails {
			t.Errorf("faults %q, final read %v: violations %v (held to %v), want the lost write to fail it: %v",
				c.faults, !c.noRead, r.Violations, r.Always, c.fails)
		}
	}
}
