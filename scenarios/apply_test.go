package scenarios

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/world"
)

// fakeWorld records what is done to it; its master is whatever the test says.
type fakeWorld struct {
	top    world.Topology
	now    time.Duration
	master string
	calls  []string
}

func (f *fakeWorld) Topology() world.Topology { return f.top }
func (f *fakeWorld) Now() time.Duration       { return f.now }
func (f *fakeWorld) Advance(d time.Duration)  { f.now += d }
func (f *fakeWorld) rec(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf("%v ", f.now)+fmt.Sprintf(format, args...))
	return nil
}
func (f *fakeWorld) Kill(n string) error                       { return f.rec("kill %s", n) }
func (f *fakeWorld) PowerLoss(n string) error                  { return f.rec("power-loss %s", n) }
func (f *fakeWorld) Restart(n string) error                    { return f.rec("restart %s", n) }
func (f *fakeWorld) Pause(n string) error                      { return f.rec("pause %s", n) }
func (f *fakeWorld) Resume(n string) error                     { return f.rec("resume %s", n) }
func (f *fakeWorld) Network(nf netmodel.Fault) error           { return f.rec("net %s", nf) }
func (f *fakeWorld) JumpClock(n string, d time.Duration) error { return f.rec("jump %s %v", n, d) }
func (f *fakeWorld) Drift(n string, ppm int64) error           { return f.rec("drift %s %d", n, ppm) }
func (f *fakeWorld) Command(n string, args ...string) (resp.Value, error) {
	return resp.OK, f.rec("command %s %v", n, args)
}
func (f *fakeWorld) Close() error { return nil }

// The fake has no clients: the timeline tests do not need them.
func (f *fakeWorld) StartClients(world.ClientSpec, *linearize.History) error { return nil }
func (f *fakeWorld) StopClients()                                            {}
func (f *fakeWorld) FinalReads([]linearize.Op, time.Duration)                {}
func (f *fakeWorld) Events() []linearize.SentinelEvent                       { return nil }
func (f *fakeWorld) Observe() world.Observation {
	var o world.Observation
	for _, n := range f.top.OfKind(world.Redis) {
		role := "slave"
		if n.Name == f.master {
			role = "master"
		}
		o.Redis = append(o.Redis, world.RedisState{Node: n.Name, Alive: true, Role: role})
	}
	return o
}

func TestTimelineResolvesSelectorsAndUndoesOnTheSameNodes(t *testing.T) {
	s, err := Lookup("partition-master-minority")
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWorld{top: s.Topology, master: "n1/redis"}
	faults := []Fault{
		{At: time.Second, Kind: Kill, Target: SelectMaster, For: 10 * time.Second},
		{At: 2 * time.Second, Kind: Partition, Groups: [][]string{{SelectMaster}, {SelectRest}}, For: 3 * time.Second},
		{At: 3 * time.Second, Kind: ClockJump, Target: "n3/sentinel", By: -5 * time.Second, For: time.Second},
		{At: 3 * time.Second, Kind: Pause, Target: "n3"},
		{At: 6 * time.Second, Kind: PowerLoss, Target: "n2", For: 2 * time.Second},
	}
	tl := newTimeline(context.Background(), w, faults)
	if err := tl.runUntil(time.Second + 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	w.master = "n2/redis" // a failover happened: the partition now isolates n2's host
	if err := tl.runUntil(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1s kill n1/redis",
		"2s net partition 127.0.0.2 | 127.0.0.1,127.0.0.3",
		"3s jump n3/sentinel -5s",
		"3s pause n3/redis",
		"3s pause n3/sentinel",
		"4s jump n3/sentinel 5s",
		"5s net heal 127.0.0.2,127.0.0.1,127.0.0.3",
		"6s power-loss n2/redis",
		"6s power-loss n2/sentinel",
		"8s restart n2/redis",
		"8s restart n2/sentinel",
		"11s restart n1/redis",
	}
	if strings.Join(w.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(w.calls, "\n"), strings.Join(want, "\n"))
	}
	if w.now != 20*time.Second {
		t.Fatalf("world at %v, want 20s", w.now)
	}
	if !tl.log[len(tl.log)-1].Undo || tl.log[0].Ending != 11*time.Second {
		t.Fatalf("log %+v", tl.log)
	}
}

func TestTimelineRecordsFaultsItCannotResolve(t *testing.T) {
	s, _ := Lookup("partition-master-minority")
	w := &fakeWorld{top: s.Topology} // no master at all
	tl := newTimeline(context.Background(), w, []Fault{{At: time.Second, Kind: Kill, Target: SelectMaster, For: time.Second}})
	if err := tl.runUntil(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 0 || len(tl.log) != 1 || tl.log[0].Err == "" {
		t.Fatalf("calls %v log %+v: want one unresolved fault and nothing done", w.calls, tl.log)
	}
}
