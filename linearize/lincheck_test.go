package linearize

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"
)

const limit = 10 * time.Second

func TestLinearizableRegister(t *testing.T) {
	k := "register:0"
	cases := []struct {
		name string
		ops  []Op
		want Result
	}{
		{"read of a concurrent write", numbered(
			Op{Client: 0, Kind: KindSet, Key: k, Arg: "1", Call: 0, Return: 10},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Value: "1"}, Call: 5, Return: 15},
			Op{Client: 0, Kind: KindGet, Key: k, Output: Output{Value: "1"}, Call: 20, Return: 30},
		), Pass},
		{"stale read after a newer write was acknowledged", numbered(
			Op{Client: 0, Kind: KindSet, Key: k, Arg: "1", Call: 0, Return: 10},
			Op{Client: 0, Kind: KindSet, Key: k, Arg: "2", Call: 20, Return: 30},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Value: "1"}, Call: 40, Return: 50},
		), Violated},
		{"an indeterminate write may take effect long after it timed out", numbered(
			Op{Client: 0, Kind: KindSet, Key: k, Arg: "1", Call: 0, Return: 10, Status: Unknown},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Nil: true}, Call: 20, Return: 30},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Value: "1"}, Call: 100, Return: 110},
		), Pass},
		{"a failed write never takes effect", numbered(
			Op{Client: 0, Kind: KindSet, Key: k, Arg: "1", Call: 0, Return: 10, Status: Fail, Output: Output{Error: "READONLY"}},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Value: "1"}, Call: 100, Return: 110},
		), Violated},
		{"SET NX twice without a DEL", numbered(
			Op{Client: 0, Kind: KindSetNX, Key: k, Arg: "1", Call: 0, Return: 10},
			Op{Client: 1, Kind: KindSetNX, Key: k, Arg: "2", Call: 20, Return: 30},
		), Violated},
		{"SET NX, DEL, SET NX, failed SET NX", numbered(
			Op{Client: 0, Kind: KindSetNX, Key: k, Arg: "1", Call: 0, Return: 10},
			Op{Client: 0, Kind: KindDel, Key: k, Output: Output{Int: 1}, Call: 12, Return: 15},
			Op{Client: 1, Kind: KindSetNX, Key: k, Arg: "2", Call: 20, Return: 30},
			Op{Client: 1, Kind: KindSetNX, Key: k, Arg: "3", Output: Output{Nil: true}, Call: 40, Return: 50},
			Op{Client: 1, Kind: KindGet, Key: k, Output: Output{Value: "2"}, Call: 60, Return: 70},
		), Pass},
		{"keys are independent", numbered(
			Op{Client: 0, Kind: KindSet, Key: "a", Arg: "1", Call: 0, Return: 10},
			Op{Client: 0, Kind: KindSet, Key: "b", Arg: "2", Call: 20, Return: 30},
			Op{Client: 1, Kind: KindGet, Key: "a", Output: Output{Value: "1"}, Call: 40, Return: 50},
			Op{Client: 1, Kind: KindGet, Key: "b", Output: Output{Value: "2"}, Call: 40, Return: 50},
		), Pass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantResult(t, Linearizable("register", c.ops, limit), c.want) })
	}
}

func TestLinearizableNamesTheBadKey(t *testing.T) {
	ops := numbered(
		Op{Client: 0, Kind: KindSet, Key: "a", Arg: "1", Call: 0, Return: 10},
		Op{Client: 0, Kind: KindGet, Key: "a", Output: Output{Value: "1"}, Call: 20, Return: 30},
		Op{Client: 0, Kind: KindSet, Key: "b", Arg: "2", Call: 0, Return: 10},
		Op{Client: 0, Kind: KindGet, Key: "b", Output: Output{Nil: true}, Call: 20, Return: 30},
	)
	v := Linearizable("register", ops, limit)
	wantResult(t, v, Violated)
	ev := v.Evidence.(LinearizabilityEvidence)
	want := []KeyResult{{"a", 2, Pass}, {"b", 2, Violated}}
	if !slices.Equal(ev.Keys, want) {
		t.Fatalf("keys: got %+v, want %+v", ev.Keys, want)
	}
}

func TestLinearizableSetAdd(t *testing.T) {
	adds := func(statuses ...Status) []Op {
		var ops []Op
		for i, s := range statuses {
			ops = append(ops, Op{Client: i % 3, Kind: KindSAdd, Key: "set", Arg: strconv.Itoa(i),
				Output: Output{Int: 1}, Status: s, Call: int64(i * 10), Return: int64(i*10 + 15)})
		}
		return ops
	}
	read := func(members ...string) Op {
		return Op{Client: 9, Kind: KindSMembers, Key: "set", Final: true, Output: Output{Values: members}, Call: 1000, Return: 1010}
	}
	cases := []struct {
		name string
		ops  []Op
		want Result
	}{
		{"all present", numbered(append(adds(Ok, Ok, Ok), read("0", "1", "2"))...), Pass},
		{"an acknowledged add lost", numbered(append(adds(Ok, Ok, Ok), read("0", "2"))...), Violated},
		{"an indeterminate add absent", numbered(append(adds(Ok, Unknown, Ok), read("0", "2"))...), Pass},
		{"an indeterminate add present", numbered(append(adds(Ok, Unknown, Ok), read("0", "1", "2"))...), Pass},
		{"a member never added", numbered(append(adds(Ok), read("0", "7"))...), Violated},
		{"a failed add present", numbered(append(adds(Ok, Fail), read("0", "1"))...), Violated},
		{"reads that go back in time", numbered(append(adds(Ok, Unknown, Unknown),
			Op{Client: 7, Kind: KindSMembers, Key: "set", Output: Output{Values: []string{"0", "1"}}, Call: 100, Return: 110},
			Op{Client: 8, Kind: KindSMembers, Key: "set", Output: Output{Values: []string{"0", "2"}}, Call: 200, Return: 210},
		)...), Violated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantResult(t, Linearizable("set-add", c.ops, limit), c.want) })
	}
}

func TestLinearizableCounterAndList(t *testing.T) {
	incr := func(c int, n int64, call int64) Op {
		return Op{Client: c, Kind: KindIncr, Key: "counter:0", Output: Output{Int: n}, Call: call, Return: call + 10}
	}
	get := func(v string) Op {
		return Op{Client: 5, Kind: KindGet, Key: "counter:0", Output: Output{Value: v}, Call: 100, Return: 110, Final: true}
	}
	wantResult(t, Linearizable("counter", numbered(incr(0, 1, 0), incr(1, 2, 5), get("2")), limit), Pass)
	wantResult(t, Linearizable("counter", numbered(incr(0, 1, 0), incr(1, 1, 5), get("2")), limit), Violated)
	wantResult(t, Linearizable("counter", numbered(incr(0, 1, 0), incr(1, 2, 20), get("1")), limit), Violated)

	push := func(c int, e string, n int64, call int64) Op {
		return Op{Client: c, Kind: KindRPush, Key: "list:0", Arg: e, Output: Output{Int: n}, Call: call, Return: call + 10}
	}
	lrange := func(vals ...string) Op {
		return Op{Client: 5, Kind: KindLRange, Key: "list:0", Output: Output{Values: vals}, Call: 100, Return: 110}
	}
	wantResult(t, Linearizable("list-append", numbered(push(0, "a", 1, 0), push(1, "b", 2, 5), lrange("a", "b")), limit), Pass)
	wantResult(t, Linearizable("list-append", numbered(push(0, "a", 2, 0), push(1, "b", 1, 5), lrange("b", "a")), limit), Pass)
	wantResult(t, Linearizable("list-append", numbered(push(0, "a", 1, 0), push(1, "b", 2, 5), lrange("b", "a")), limit), Violated)
	wantResult(t, Linearizable("list-append", numbered(push(0, "a", 1, 0), push(1, "b", 2, 20), lrange("a")), limit), Violated)
}

func TestLinearizableRejectsForeignOperations(t *testing.T) {
	v := Linearizable("counter", numbered(Op{Kind: KindSAdd, Key: "x", Arg: "1"}), limit)
	wantResult(t, v, Inconclusive)
	wantResult(t, Linearizable("no-such-workload", nil, limit), Inconclusive)
}

// A register history full of indeterminate writes whose values are read back in an
// order no linearization allows: porcupine must search every subset of the writes, so a
// tiny time limit is hit and reported.
func TestLinearizableUnknownWhenTimeLimitHit(t *testing.T) {
	var ops []Op
	const n = 40
	for i := range n {
		ops = append(ops, Op{Client: i, Kind: KindSet, Key: "r", Arg: strconv.Itoa(i), Status: Unknown, Call: 0, Return: 5})
	}
	for i := range n {
		ops = append(ops, Op{Client: n, Kind: KindGet, Key: "r", Output: Output{Value: strconv.Itoa(i)},
			Call: int64(100 + 20*i), Return: int64(110 + 20*i)})
	}
	ops = append(ops, Op{Client: n, Kind: KindGet, Key: "r", Output: Output{Value: "0"}, Call: 10000, Return: 10010})
	v := Linearizable("register", numbered(ops...), 20*time.Millisecond)
	wantResult(t, v, Inconclusive)
}

// The same search stopped by the memory bound instead: unknown, and saying so.
func TestLinearizableUnknownWhenMemoryBoundHit(t *testing.T) {
	var ops []Op
	const n = 40
	for i := range n {
		ops = append(ops, Op{Client: i, Kind: KindSet, Key: "r", Arg: strconv.Itoa(i), Status: Unknown, Call: 0, Return: 5})
	}
	for i := range n {
		ops = append(ops, Op{Client: n, Kind: KindGet, Key: "r", Output: Output{Value: strconv.Itoa(i)},
			Call: int64(100 + 20*i), Return: int64(110 + 20*i)})
	}
	ops = append(ops, Op{Client: n, Kind: KindGet, Key: "r", Output: Output{Value: "0"}, Call: 10000, Return: 10010})
	runtime.GC() // what the heap holds now is the baseline, not garbage that may vanish
	v := linearizable("register", numbered(ops...), limits{memory: 1 << 10})
	wantResult(t, v, Inconclusive)
	if !strings.Contains(v.Summary, "memory bound of 1 KiB") {
		t.Fatalf("summary %q does not name the memory bound", v.Summary)
	}
}

// Any history produced by running operations one at a time against the workload's
// sequential specification is linearizable, whatever the statuses of its writes.
func TestSequentialHistoriesAreLinearizable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom(WorkloadNames).Draw(t, "workload")
		w, _ := NewWorkload(name, rapid.IntRange(1, 3).Draw(t, "keys"))
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		db := newSequentialDB()
		var ops []Op
		now := int64(0)
		n := rapid.IntRange(0, 60).Draw(t, "ops")
		for i := range n + len(w.Final()) {
			var op Op
			if i < n {
				op = w.Next(r)
			} else {
				op = w.Final()[i-n]
			}
			op.Client = r.IntN(4)
			op.Call, op.Return = now, now+1+int64(r.IntN(5))
			now = op.Return + 1
			op.Output, op.Status = ParseReply(op.Kind, db.do(Command(op)))
			if op.IsWrite() && r.IntN(5) == 0 {
				// The write ran, but its reply was lost.
				op.Output, op.Status = Output{Error: "i/o timeout"}, Unknown
			}
			ops = append(ops, op)
		}
		if v := Linearizable(name, numbered(ops...), limit); v.Result != Pass {
			t.Fatalf("%s: %s\n%v", name, v.Summary, ops)
		}
	})
}

// The set-add reduction is exact: on small random histories, porcupine says the same
// with and without it.
func TestSetAddReductionIsExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type point struct {
			op Op
			at int64
		}
		var points []point
		interval := func(label string) (int64, int64, int64) {
			call := rapid.Int64Range(0, 30).Draw(t, label+"-call")
			ret := call + rapid.Int64Range(0, 10).Draw(t, label+"-len")
			return call, ret, rapid.Int64Range(call, ret).Draw(t, label+"-at")
		}
		nAdds := rapid.IntRange(0, 7).Draw(t, "adds")
		for i := range nAdds {
			call, ret, at := interval(fmt.Sprint("add", i))
			st := rapid.SampledFrom([]Status{Ok, Ok, Unknown}).Draw(t, fmt.Sprint("status", i))
			points = append(points, point{Op{Client: i, Kind: KindSAdd, Key: "s", Arg: strconv.Itoa(i), Output: Output{Int: 1},
				Status: st, Call: call, Return: ret}, at})
		}
		nReads := rapid.IntRange(1, 3).Draw(t, "reads")
		for j := range nReads {
			call, ret, at := interval(fmt.Sprint("read", j))
			var members []string
			for _, p := range points[:nAdds] {
				applied := p.at < at || (p.op.Status == Unknown && rapid.Bool().Draw(t, "late"))
				if applied != (rapid.IntRange(0, 9).Draw(t, "flip") == 0) { // now and then, a wrong read
					members = append(members, p.op.Arg)
				}
			}
			slices.Sort(members)
			points = append(points, point{Op{Client: 10 + j, Kind: KindSMembers, Key: "s", Output: Output{Values: members},
				Call: call, Return: ret}, at})
		}
		var ops []Op
		for _, p := range points {
			ops = append(ops, p.op)
		}
		ops = numbered(ops...)
		keys, rows, err := byKey("set-add", ops)
		if err != nil {
			t.Fatal(err)
		}
		model := models["set-add"]
		reducedOps := porcupineHistory("set-add", keys[0], rows)
		reduced := porcupine.CheckOperations(model, reducedOps)
		var full []porcupine.Operation
		for i := range ops {
			o := &ops[i]
			s := &step{kind: o.Kind, key: o.Key, arg: o.Arg, out: o.Output, unknown: o.Status == Unknown}
			ret := o.Return
			if s.unknown {
				ret = 1 << 62
			}
			full = append(full, porcupine.Operation{ClientId: o.Client, Input: s, Output: s, Call: o.Call, Return: ret})
		}
		if want := porcupine.CheckOperations(model, full); reduced != want {
			t.Fatalf("reduced history says %v, full history says %v\nops: %v\nreduced: %d operations", reduced, want, ops, len(reducedOps))
		}
	})
}
