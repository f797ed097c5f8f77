package linearize

import (
	"slices"
	"strconv"
	"testing"
)

func sadd(member int, st Status) Op {
	return Op{Kind: KindSAdd, Key: "set", Arg: strconv.Itoa(member), Status: st, Call: int64(member), Return: int64(member) + 1}
}

func finalRead(kind, key string, vals ...string) Op {
	return Op{Kind: kind, Key: key, Final: true, Output: Output{Values: vals}, Call: 100, Return: 101}
}

func TestLostWritesSetAdd(t *testing.T) {
	ops := numbered(sadd(1, Ok), sadd(2, Ok), sadd(3, Unknown), sadd(4, Unknown), sadd(5, Fail), sadd(10, Ok),
		finalRead(KindSMembers, "set", "1", "10", "3"))
	v := LostWrites("set-add", ops)
	wantResult(t, v, Violated)
	k := v.Evidence.(LostWritesEvidence).Keys[0]
	if k.Attempted != 6 || k.Acknowledged != 3 || k.Survivors != 2 || !slices.Equal(k.Lost, []string{"2"}) ||
		!slices.Equal(k.Recovered, []string{"3"}) || k.LossRate != 1.0/3 || k.FinalRead != 6 {
		t.Fatalf("evidence: %+v", k)
	}
	if want := "set: 6 attempted, 3 acknowledged, 2 survivors, 1 lost (33.3%), 1 unacknowledged but present"; v.Summary != want {
		t.Fatalf("summary: %q, want %q", v.Summary, want)
	}

	wantResult(t, LostWrites("set-add", numbered(sadd(1, Ok), sadd(2, Unknown), finalRead(KindSMembers, "set", "1"))), Pass)
	// The latest successful final read is the one that counts.
	early := finalRead(KindSMembers, "set")
	early.Return = 50
	wantResult(t, LostWrites("set-add", numbered(sadd(1, Ok), finalRead(KindSMembers, "set", "1"), early)), Pass)
}

func TestLostWritesAnomaliesOtherThanLoss(t *testing.T) {
	cases := map[string][]Op{
		"failed but present":      numbered(sadd(1, Fail), finalRead(KindSMembers, "set", "1")),
		"never written":           numbered(sadd(1, Ok), finalRead(KindSMembers, "set", "1", "99")),
		"duplicated list element": numbered(Op{Kind: KindRPush, Key: "l", Arg: "1", Status: Ok}, finalRead(KindLRange, "l", "1", "1")),
	}
	for name, ops := range cases {
		workload := "set-add"
		if ops[0].Kind == KindRPush {
			workload = "list-append"
		}
		t.Run(name, func(t *testing.T) { wantResult(t, LostWrites(workload, ops), Violated) })
	}
}

func TestLostWritesListAndCounter(t *testing.T) {
	push := func(key, e string, st Status) Op { return Op{Kind: KindRPush, Key: key, Arg: e, Status: st} }
	ops := numbered(push("a", "1", Ok), push("b", "2", Ok), push("a", "3", Ok),
		finalRead(KindLRange, "a", "1", "3"), finalRead(KindLRange, "b"))
	v := LostWrites("list-append", ops)
	wantResult(t, v, Violated)
	ev := v.Evidence.(LostWritesEvidence)
	if len(ev.Keys) != 2 || ev.Keys[0].LostCount != 0 || !slices.Equal(ev.Keys[1].Lost, []string{"2"}) {
		t.Fatalf("evidence: %+v", ev)
	}

	incr := func(st Status) Op { return Op{Kind: KindIncr, Key: "c", Status: st} }
	get := func(v string) Op {
		return Op{Kind: KindGet, Key: "c", Final: true, Output: Output{Value: v}, Status: Ok, Call: 100, Return: 101}
	}
	wantResult(t, LostWrites("counter", numbered(incr(Ok), incr(Ok), incr(Unknown), get("3"))), Pass)
	v = LostWrites("counter", numbered(incr(Ok), incr(Ok), incr(Unknown), get("1")))
	wantResult(t, v, Violated)
	if k := v.Evidence.(LostWritesEvidence).Keys[0]; k.LostCount != 1 || k.Survivors != 1 {
		t.Fatalf("counter evidence: %+v", k)
	}
	v = LostWrites("counter", numbered(incr(Ok), incr(Fail), get("2")))
	wantResult(t, v, Violated)
	if k := v.Evidence.(LostWritesEvidence).Keys[0]; k.Excess != 1 {
		t.Fatalf("counter evidence: %+v", k)
	}
}

func TestLostWritesNeedsAFinalRead(t *testing.T) {
	failedRead := finalRead(KindSMembers, "set")
	failedRead.Status = Unknown
	wantResult(t, LostWrites("set-add", numbered(sadd(1, Ok), failedRead)), Inconclusive)
	wantResult(t, LostWrites("register", nil), Inconclusive)
}
