package linearize

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"
)

// reduceSetAdd shrinks one key's set-add history to an equivalent one of a few
// operations, so that porcupine checks a 100,000-operation history in milliseconds
// instead of running out of memory (it keeps a bitset of all operations per state).
//
// Why it is exact. With unique members, an SADD is constrained only by the reads: it must
// be linearized before every read that contains its member and after every read that
// does not. Write L for the latest of the latter reads and U for the earliest of the
// former (as placed in some linearization). An SADD called at c and returning at r fits
// if and only if L < r, c < U and L < U. So all SADDs whose members appear in exactly the
// same reads (a group) fit if and only if L < min r, max c < U and L < U, which is what a
// single SADD over [max c, min r] requires, when that interval is not empty; otherwise
// two SADDs, one over [max c, +inf] and one over [min c, min r], require exactly that.
// Reads then return group tokens instead of members.
//
// Members that appear in a read but were never added stay as they are and make the
// history illegal, as they should. If a member was added twice the argument fails, and
// the history is returned unreduced.
func reduceSetAdd(ops []*Op, firstRow int) []porcupine.Operation {
	var reads []*Op
	seen := make(map[string]bool, len(ops))
	for _, op := range ops {
		if op.Kind == KindSMembers {
			reads = append(reads, op)
			continue
		}
		if seen[op.Arg] {
			return steps(ops)
		}
		seen[op.Arg] = true
	}
	// in[m] lists the reads (by position in reads) that contain member m, in order.
	in := make(map[string][]int, len(seen))
	for j, r := range reads {
		for _, m := range r.Output.Values {
			in[m] = append(in[m], j)
		}
	}

	type group struct {
		sig              []int
		n                int
		cMax, cMin, rMin *Op // the operations that set each bound
		members          []string
	}
	var groups []*group
	bySig := map[string]*group{}
	for _, op := range ops {
		if op.Kind == KindSMembers {
			continue
		}
		sig := in[op.Arg]
		g := bySig[sigKey(sig)]
		if g == nil {
			g = &group{sig: sig, cMax: op, cMin: op, rMin: op}
			groups = append(groups, g)
			bySig[sigKey(sig)] = g
		}
		g.n++
		if len(g.members) < 3 {
			g.members = append(g.members, op.Arg) // the first few, for the description
		}
		if op.Call > g.cMax.Call {
			g.cMax = op
		}
		if op.Call < g.cMin.Call {
			g.cMin = op
		}
		if returnOf(op) < returnOf(g.rMin) {
			g.rMin = op
		}
	}

	key := ops[0].Key
	tokens := make([][]string, len(reads)) // the new output of each read
	var out []porcupine.Operation
	for gi, g := range groups {
		add := func(suffix string, call *Op, ret int64, about string) {
			token := "#" + strconv.Itoa(gi) + suffix
			label := fmt.Sprintf("sadd %s: %d members (%s…)%s", token, g.n, strings.Join(g.members, " "), about)
			out = append(out, porcupine.Operation{ClientId: firstRow + gi, Call: call.Call, Return: ret,
				Input: &step{kind: KindSAdd, key: key, arg: token, label: label}, Metadata: call})
			for _, j := range g.sig {
				tokens[j] = append(tokens[j], token)
			}
		}
		if rMin := returnOf(g.rMin); g.cMax.Call <= rMin {
			add("", g.cMax, rMin, "")
			continue
		}
		add("a", g.cMax, math.MaxInt64, ", latest call")
		add("b", g.cMin, returnOf(g.rMin), ", earliest call and return")
	}
	for j, r := range reads {
		vals := tokens[j]
		for _, m := range r.Output.Values {
			if !seen[m] {
				vals = append(vals, m)
			}
		}
		slices.Sort(vals)
		label := fmt.Sprintf("smembers → %d members: [%s]", len(r.Output.Values), strings.Join(vals, " "))
		rs := &step{kind: KindSMembers, key: key, out: Output{Values: vals}, label: label, op: r}
		out = append(out, porcupine.Operation{ClientId: r.Client, Input: rs, Output: rs, Call: r.Call, Return: r.Return, Metadata: r})
	}
	return out
}

func sigKey(sig []int) string {
	var b strings.Builder
	for _, j := range sig {
		b.WriteString(strconv.Itoa(j))
		b.WriteByte(',')
	}
	return b.String()
}
