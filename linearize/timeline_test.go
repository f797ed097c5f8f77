package linearize

import (
	"reflect"
	"testing"
	"time"
)

func TestMasterTimeline(t *testing.T) {
	changes := []RoleChange{
		{"n1", 0, RoleMaster}, {"n2", 0, RoleSlave},
		{"n2", 150, RoleMaster},
		{"n1", 100, RoleDown},                            // out of order: sorted by time
		{"n1", 300, RoleMaster}, {"n1", 300, RoleMaster}, // restarted as master; a repeat changes nothing
		{"n1", 320, RoleSlave}, // converted by the sentinels
		{"n3", 400, RoleMaster},
	}
	got := MasterTimeline(changes, 1000)
	want := []MasterInterval{{"n1", 0, 100}, {"n2", 150, 1000}, {"n1", 300, 320}, {"n3", 400, 1000}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := MasterTimeline(nil, 10); len(got) != 0 {
		t.Fatalf("no changes, intervals %+v", got)
	}
}

func TestObservedTimeline(t *testing.T) {
	op := func(node, role string, ret int64, st Status) Op {
		return Op{Kind: KindGet, Node: node, Role: role, Call: ret - 5, Return: ret, Status: st}
	}
	ops := numbered(
		op("n1", RoleMaster, 10, Ok), op("n1", RoleMaster, 50, Ok),
		op("n1", RoleSlave, 90, Ok),
		op("n1", RoleMaster, 95, Unknown), // no reply: it tells nothing
		op("n2", RoleMaster, 100, Ok),
		op("n1", RoleSlave, 120, Fail), // READONLY: the role is still known
		op("n1", RoleMaster, 200, Ok),
		op("n3", "", 50, Ok), op("", RoleMaster, 60, Fail),
	)
	got := ObservedTimeline(ops)
	want := []MasterInterval{{"n1", 10, 50}, {"n2", 100, 100}, {"n1", 200, 200}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// The false positive that write acceptances gave: a master that served only reads for
// longer than the gap that joins acceptances looked like a replica.
func TestStaleReadsAgainstTheTimelineNotTheWrites(t *testing.T) {
	ops := numbered(
		Op{Kind: KindSet, Key: "r", Arg: "1", Node: "n1", Role: RoleMaster, Call: 0, Return: 10},
		Op{Kind: KindGet, Key: "r", Node: "n1", Role: RoleMaster, Output: Output{Value: "1"},
			Call: int64(5 * time.Second), Return: int64(5*time.Second + 10)},
	)
	byWrites := AcceptIntervals(WriteAccepts(ops), time.Second)
	wantResult(t, StaleReads(ops, byWrites), Violated) // what the old judgement said
	timeline := MasterTimeline([]RoleChange{{"n1", 0, RoleMaster}}, int64(10*time.Second))
	wantResult(t, StaleReads(ops, timeline), Pass)
	wantResult(t, StaleReads(ops, ObservedTimeline(ops)), Pass)
}

// Where only the clients' observations are known, a read whose server said it was a
// replica is stale unless the server was seen as master after the read began.
func TestStaleReadsObserved(t *testing.T) {
	get := func(node, role string, call, ret int64) Op {
		return Op{Kind: KindGet, Key: "r", Node: node, Role: role, Output: Output{Value: "1"}, Call: call, Return: ret}
	}
	ops := numbered(
		get("n1", RoleMaster, 0, 10),
		get("n1", RoleMaster, 20, 40), // overlaps the next read: n1 was master during it
		get("n1", RoleSlave, 30, 50),
		get("n1", RoleSlave, 60, 70), // stale: n1 was last seen master at 40
		get("n2", "", 60, 70),        // role unknown: not judged
	)
	v := StaleReads(ops, ObservedTimeline(ops))
	wantResult(t, v, Violated)
	want := []StaleRead{{Op: 3, Kind: KindGet, Key: "r", Node: "n1", Role: RoleSlave, Call: 60, Return: 70}}
	if !reflect.DeepEqual(v.Evidence, want) {
		t.Fatalf("evidence %+v, want %+v", v.Evidence, want)
	}
}
