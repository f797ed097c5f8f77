package linearize

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"
)

// chainHistory draws a small history of one counter or list key: writes and reads with
// random intervals, each taking effect at a random point of its interval (an
// indeterminate write now and then late, or never), their outputs what a single server
// would have returned, and now and then an output made wrong, so that both linearizable
// and non-linearizable histories come out.
func chainHistory(t *rapid.T, workload string) []Op {
	write, read, key := KindIncr, KindGet, "counter:0"
	if workload == "list-append" {
		write, read, key = KindRPush, KindLRange, "list:0"
	}
	type point struct {
		op      Op
		at      int64
		applied bool
	}
	var points []point
	n := rapid.IntRange(0, 8).Draw(t, "ops")
	for i := range n {
		call := rapid.Int64Range(0, 40).Draw(t, "call")
		ret := call + rapid.Int64Range(0, 12).Draw(t, "len")
		p := point{op: Op{Client: i, Key: key, Call: call, Return: ret, Status: Ok}, at: rapid.Int64Range(call, ret).Draw(t, "at"), applied: true}
		if rapid.IntRange(0, 2).Draw(t, "kind") > 0 {
			p.op.Kind = write
			p.op.Arg = strconv.Itoa(i)
			if workload == "list-append" && rapid.IntRange(0, 9).Draw(t, "dup") == 0 {
				p.op.Arg = "0" // pushed twice: the exact check does not apply
			}
			if rapid.IntRange(0, 3).Draw(t, "unknown") == 0 {
				p.op.Status = Unknown
				p.applied = rapid.Bool().Draw(t, "applied")
				p.at += rapid.Int64Range(0, 30).Draw(t, "late")
			}
		} else {
			p.op.Kind = read
		}
		if rapid.IntRange(0, 30).Draw(t, "backwards") == 0 {
			p.op.Return = call - 1 // a broken clock: returned before it was called
		}
		points = append(points, p)
	}
	order := make([]int, len(points))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(points[a].at - points[b].at) })
	var list []string
	count := int64(0)
	for _, i := range order {
		p := &points[i]
		switch {
		case !p.applied:
		case p.op.Kind == write:
			count++
			list = append(list, p.op.Arg)
			p.op.Output.Int = count
		case workload == "counter":
			p.op.Output.Value = strconv.FormatInt(count, 10)
			if count == 0 && rapid.Bool().Draw(t, "nil") {
				p.op.Output = Output{Nil: true}
			}
		default:
			p.op.Output.Values = slices.Clone(list)
		}
		if rapid.IntRange(0, 7).Draw(t, "wrong") == 0 {
			wrong(t, &p.op)
		}
	}
	ops := make([]Op, len(points))
	for i, p := range points {
		ops[i] = p.op
	}
	return numbered(ops...)
}

// wrong changes an operation's output the way a broken server might.
func wrong(t *rapid.T, op *Op) {
	switch op.Kind {
	case KindIncr, KindRPush:
		op.Output.Int += rapid.Int64Range(-2, 2).Draw(t, "off")
	case KindGet:
		op.Output = Output{Value: strconv.Itoa(rapid.IntRange(-1, 6).Draw(t, "value"))}
	case KindLRange:
		v := op.Output.Values
		switch rapid.IntRange(0, 3).Draw(t, "how") {
		case 0:
			if len(v) > 0 {
				v = slices.Delete(v, 0, 1)
			}
		case 1:
			v = append(v, strconv.Itoa(rapid.IntRange(0, 9).Draw(t, "element")))
		case 2:
			if len(v) > 1 {
				v[0], v[1] = v[1], v[0]
			}
		case 3:
			v = nil
		}
		op.Output.Values = v
	}
}

// The counter and list-append checks are exact: on small random histories they say
// what porcupine's search over the plain history says, and both answers come up.
func TestChainChecksAgreeWithPorcupine(t *testing.T) {
	for _, workload := range []string{"counter", "list-append"} {
		t.Run(workload, func(t *testing.T) {
			seen := map[bool]int{}
			rapid.Check(t, func(t *rapid.T) {
				ops := chainHistory(t, workload)
				v := Linearizable(workload, ops, 0)
				keys, _, err := byKey(workload, ops)
				if err != nil {
					t.Fatal(err)
				}
				want := true
				if len(keys) > 0 {
					want = porcupine.CheckOperations(models[workload], steps(keys[0].ops))
				}
				if got := v.Result == Pass; got != want {
					t.Fatalf("the exact check says %s, porcupine says linearizable %v\n%s", v.Result, want, describeOps(ops))
				}
				seen[want]++
			})
			if seen[true] < 10 || seen[false] < 10 {
				t.Fatalf("the generator is lopsided: %d linearizable histories, %d not", seen[true], seen[false])
			}
		})
	}
}

func describeOps(ops []Op) string {
	s := ""
	for _, op := range ops {
		s += fmt.Sprintf("%v [%d,%d] %+v\n", op, op.Call, op.Return, op.Output)
	}
	return s
}

func TestLinearizableCounterCases(t *testing.T) {
	incr := func(n int64, call, ret int64, st Status) Op {
		return Op{Kind: KindIncr, Key: "c", Output: Output{Int: n}, Call: call, Return: ret, Status: st}
	}
	get := func(v string, call, ret int64) Op {
		return Op{Kind: KindGet, Key: "c", Output: Output{Value: v}, Call: call, Return: ret}
	}
	cases := []struct {
		name string
		ops  []Op
		want Result
	}{
		{"an indeterminate INCR fills the gap before an acknowledged one", numbered(
			incr(0, 0, 5, Unknown), incr(2, 10, 20, Ok)), Pass},
		{"the INCR that fills the gap was called too late", numbered(
			incr(2, 0, 5, Ok), incr(0, 10, 20, Unknown)), Violated},
		{"a read between two acknowledged INCRs", numbered(
			incr(1, 0, 5, Ok), get("1", 6, 7), incr(2, 8, 9, Ok)), Pass},
		{"a read that saw the future", numbered(
			incr(1, 0, 5, Ok), get("2", 6, 7), incr(2, 8, 9, Ok)), Violated},
		{"reads that go back", numbered(
			incr(0, 0, 1, Unknown), get("1", 10, 11), get("0", 20, 21)), Violated},
		{"a value no INCR gives", numbered(get("x", 0, 1)), Violated},
		{"nil is zero", numbered(Op{Kind: KindGet, Key: "c", Output: Output{Nil: true}, Call: 0, Return: 1}, incr(1, 2, 3, Ok)), Pass},
		{"more than were ever sent", numbered(incr(1, 0, 1, Ok), get("5", 2, 3)), Violated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantResult(t, Linearizable("counter", c.ops, 0), c.want) })
	}
}

func TestLinearizableListCases(t *testing.T) {
	push := func(e string, n int64, call, ret int64, st Status) Op {
		return Op{Kind: KindRPush, Key: "l", Arg: e, Output: Output{Int: n}, Call: call, Return: ret, Status: st}
	}
	lrange := func(call, ret int64, vals ...string) Op {
		return Op{Kind: KindLRange, Key: "l", Output: Output{Values: vals}, Call: call, Return: ret}
	}
	cases := []struct {
		name string
		ops  []Op
		want Result
	}{
		{"an indeterminate push shown by a read", numbered(
			push("a", 0, 0, 5, Unknown), push("b", 2, 10, 20, Ok), lrange(30, 31, "a", "b")), Pass},
		{"an indeterminate push fills a gap nobody read", numbered(
			push("a", 0, 0, 5, Unknown), push("b", 2, 10, 20, Ok)), Pass},
		{"the only filler is shown elsewhere", numbered(
			push("a", 0, 0, 5, Unknown), push("b", 3, 10, 20, Ok), lrange(30, 31, "a")), Violated},
		{"an element read before it was pushed", numbered(
			lrange(0, 1, "a"), push("a", 1, 5, 6, Ok)), Violated},
		{"two reads that disagree", numbered(
			push("a", 0, 0, 1, Unknown), push("b", 0, 0, 1, Unknown), lrange(5, 6, "a"), lrange(5, 6, "b")), Violated},
		{"an element no one pushed", numbered(lrange(0, 1, "z")), Violated},
		{"an element pushed once and read twice", numbered(push("a", 1, 0, 1, Ok), lrange(2, 3, "a", "a")), Violated},
		{"an acknowledged length the reads contradict", numbered(
			push("a", 2, 0, 1, Ok), push("b", 0, 0, 1, Unknown), lrange(2, 3, "a", "b")), Violated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantResult(t, Linearizable("list-append", c.ops, 0), c.want) })
	}
}
