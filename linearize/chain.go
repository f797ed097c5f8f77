package linearize

import (
	"math"
	"slices"
	"strconv"
)

// The counter and the list-append workloads have a property that makes their
// linearizability decidable in O(n log n) time (plus the size of the reads), where
// porcupine's search is exponential in the worst case and keeps a bitset of all
// operations per state it visits: the state after k applied writes is fixed by k alone,
// and every acknowledged write says which k it was.
//
// A counter's state after k INCRs is k, and an acknowledged INCR that returned v was the
// v-th INCR applied. A list's state after k RPUSHes is its first k elements, and an
// acknowledged RPUSH that returned length L pushed the L-th element, which stays the
// L-th forever (the list only grows at its end); a read of the list returns its first
// n elements, so with unique elements every element a read shows names the write that
// pushed it and its position. So in any linearization the applied writes form a chain
// 1, 2, ..., K whose positions are known for acknowledged writes and for writes that
// reads show, and a read that saw n writes sits between the n-th and the n+1-th.
//
// What remains is time. Write [c, r] for an operation's call and return (an
// indeterminate write, which may take effect at any time after its call or never,
// has r = +inf). A total order of operations respects real time (a precedes b whenever
// a returned before b was called, a.r < b.c, which is porcupine's rule: at equal times
// calls come first) if and only if each operation can be given a point t in [c, r], the
// points non-decreasing along the order. (If: points in closed intervals and a.r < b.c
// give t_a < t_b. Only if: take t_i = the largest call among the operations up to i in
// the order; t_i >= c_i, and t_i <= r_i since an operation j before i with c_j > r_i
// would have to follow i.) So the history is linearizable if and only if
//
//  1. the positions are consistent: no two writes claim one position, reads agree, and
//     every position up to K has a write: an acknowledged one, one a read shows, or
//     an indeterminate write no read shows (a gap filler); and
//  2. there are points T_1 <= ... <= T_K with T_p in [c, r] of the write at position p,
//     and each read that saw n writes has a point t in its interval with T_n <= t <=
//     T_n+1, that is, T_n <= r and T_n+1 >= c (T_0 = -inf, T_K+1 = +inf).
//
// K is the least length the history forces (the largest acknowledged position or read):
// a longer chain only adds positions to fill and constraints to meet. The gaps are
// given the indeterminate writes with the earliest calls, in position order: if a
// schedule exists with a gap p < q filled by writes u and w with u.c > w.c, the same
// points still fit with u and w swapped (T_q >= T_p >= u.c). Finally, condition 2 is
// boxes [lo_p, hi_p] on a non-decreasing sequence, with lo and hi folding in the reads'
// bounds, and T_p = max(T_p-1, lo_p) is the least choice at every step, so it fails
// exactly when no schedule exists. Writes left out of the chain are indeterminate and
// are linearized after everything else, where they change nothing anyone saw.
//
// The linearization built this way orders operations by (point, then position: the
// write at p, then the reads that saw p writes); each step is legal by construction.

// chainSlot is the interval of the write at one position of the chain.
type chainSlot struct {
	call, ret int64
	filled    bool
}

// chainRead is a read that saw the first n writes of the chain.
type chainRead struct {
	n         int
	call, ret int64
}

// schedulable is condition 2: whether the writes at positions 1..len(slots) and the
// reads can be given points as described above. It uses slots as scratch space.
func schedulable(slots []chainSlot, reads []chainRead) bool {
	for _, r := range reads {
		if r.call > r.ret || r.n > len(slots) {
			return false
		}
		if r.n > 0 {
			slots[r.n-1].ret = min(slots[r.n-1].ret, r.ret)
		}
		if r.n < len(slots) {
			slots[r.n].call = max(slots[r.n].call, r.call)
		}
	}
	t := int64(math.MinInt64)
	for _, s := range slots {
		t = max(t, s.call)
		if t > s.ret {
			return false
		}
	}
	return true
}

// fillGaps gives the empty positions the indeterminate writes called at the given times,
// earliest first, and reports whether there were enough.
func fillGaps(slots []chainSlot, spare []int64) bool {
	slices.Sort(spare)
	for p := range slots {
		if slots[p].filled {
			continue
		}
		if len(spare) == 0 {
			return false
		}
		slots[p] = chainSlot{call: spare[0], ret: math.MaxInt64, filled: true}
		spare = spare[1:]
	}
	return true
}

// linearizableCounter decides one key's counter history: INCRs, acknowledged (which
// returned the new value) or indeterminate, and acknowledged GETs (nil reads as 0).
func linearizableCounter(ops []*Op) bool {
	var acked []*Op
	var spare []int64 // calls of the indeterminate INCRs
	var reads []chainRead
	k := 0
	for _, op := range ops {
		switch {
		case op.Kind == KindIncr && op.Status != Ok:
			spare = append(spare, op.Call)
		case op.Kind == KindIncr:
			if op.Output.Int < 1 {
				return false // no INCR from 0 up returns that
			}
			acked = append(acked, op)
			k = max(k, int(min(op.Output.Int, math.MaxInt32)))
		default: // GET
			n := int64(0)
			if !op.Output.Nil {
				v, err := strconv.ParseInt(op.Output.Value, 10, 64)
				if err != nil || v < 0 {
					return false // no count of INCRs reads as that
				}
				n = v
			}
			reads = append(reads, chainRead{n: int(min(n, math.MaxInt32)), call: op.Call, ret: op.Return})
			k = max(k, int(min(n, math.MaxInt32)))
		}
	}
	if k > len(acked)+len(spare) {
		return false // more positions than INCRs to fill them
	}
	slots := make([]chainSlot, k)
	for _, op := range acked {
		p := op.Output.Int - 1
		if slots[p].filled {
			return false // two INCRs returned the same value
		}
		slots[p] = chainSlot{call: op.Call, ret: op.Return, filled: true}
	}
	return fillGaps(slots, spare) && schedulable(slots, reads)
}

// linearizableList decides one key's list-append history: RPUSHes, acknowledged (which
// returned the new length) or indeterminate, and acknowledged LRANGE 0 -1 reads. The
// argument needs every element to be pushed once at most; decided is false when one is
// pushed twice, and the caller must then check the history some other way.
func linearizableList(ops []*Op) (ok, decided bool) {
	pushes := map[string]*Op{}
	var longest []string
	var readOps []*Op
	for _, op := range ops {
		if op.Kind == KindRPush {
			if pushes[op.Arg] != nil {
				return false, false
			}
			pushes[op.Arg] = op
			continue
		}
		readOps = append(readOps, op)
		if len(op.Output.Values) > len(longest) {
			longest = op.Output.Values
		}
	}
	// Every read is a prefix of the longest: the list only grows at its end.
	reads := make([]chainRead, len(readOps))
	for i, op := range readOps {
		if !slices.Equal(op.Output.Values, longest[:len(op.Output.Values)]) {
			return false, true
		}
		reads[i] = chainRead{n: len(op.Output.Values), call: op.Call, ret: op.Return}
	}
	k := len(longest)
	for _, op := range ops {
		if op.Kind == KindRPush && op.Status == Ok {
			if op.Output.Int < 1 {
				return false, true
			}
			k = max(k, int(min(op.Output.Int, math.MaxInt32)))
		}
	}
	if k > len(pushes) {
		return false, true // more positions than RPUSHes to fill them
	}
	slots := make([]chainSlot, k)
	shown := make(map[*Op]bool, len(longest))
	for p, e := range longest {
		op := pushes[e]
		if op == nil || shown[op] {
			return false, true // never pushed, or pushed once and seen twice
		}
		shown[op] = true
		slots[p] = chainSlot{call: op.Call, ret: op.Return, filled: true}
		if op.Status != Ok {
			slots[p].ret = math.MaxInt64
		}
	}
	var spare []int64
	for _, op := range ops {
		if op.Kind != KindRPush {
			continue
		}
		switch p := int(op.Output.Int) - 1; {
		case op.Status != Ok && !shown[op]:
			spare = append(spare, op.Call)
		case op.Status != Ok:
		case p < len(longest):
			if longest[p] != op.Arg {
				return false, true // the reads show another element where it went
			}
		case shown[op] || slots[p].filled:
			return false, true // seen elsewhere, or two RPUSHes returned the same length
		default:
			slots[p] = chainSlot{call: op.Call, ret: op.Return, filled: true}
		}
	}
	return fillGaps(slots, spare) && schedulable(slots, reads), true
}
