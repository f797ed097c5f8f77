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
	adds := make([]*Op, 0, len(ops)) // nearly all of them
	var members valueIDs             // a member's id is its SADD's index in adds
	members.grow(len(ops))
	for _, op := range ops {
		if op.Kind == KindSMembers {
			reads = append(reads, op)
			continue
		}
		if _, isNew := members.id(op.Arg); !isNew {
			return steps(ops)
		}
		adds = append(adds, op)
	}

	// An SADD's signature is the list of reads that contain its member. Signatures are
	// nodes of a tree, each the signature of its parent plus one read; an SADD moves to
	// a child node at every read that shows its member, so grouping costs no map of
	// signatures.
	type sigNode struct{ parent, read int32 }
	nodes := []sigNode{{-1, -1}} // 0: in no read
	sigOf := make([]int32, len(adds))
	unexpected := make([][]string, len(reads)) // members no SADD added, per read
	var next []int32                           // per node: its child for the current read
	for j, r := range reads {
		next = next[:0]
		for range nodes {
			next = append(next, -1)
		}
		for _, m := range r.Output.Values {
			i, ok := members.lookup(m)
			if !ok {
				unexpected[j] = append(unexpected[j], m)
				continue
			}
			from := sigOf[i]
			if next[from] < 0 {
				next[from] = int32(len(nodes))
				nodes = append(nodes, sigNode{parent: from, read: int32(j)})
				next = append(next, -1)
			}
			sigOf[i] = next[from]
		}
	}

	type group struct {
		reads            []int32 // its signature
		n                int
		cMax, cMin, rMin *Op // the operations that set each bound
		members          []string
	}
	var groups []*group
	groupOf := make([]int32, len(nodes)) // by node: its group's index + 1
	for i, op := range adds {
		node := sigOf[i]
		if groupOf[node] == 0 {
			g := &group{cMax: op, cMin: op, rMin: op}
			for x := node; x > 0; x = nodes[x].parent {
				g.reads = append(g.reads, nodes[x].read)
			}
			groups = append(groups, g)
			groupOf[node] = int32(len(groups))
		}
		g := groups[groupOf[node]-1]
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
			for _, j := range g.reads {
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
		vals := append(tokens[j], unexpected[j]...)
		slices.Sort(vals)
		label := fmt.Sprintf("smembers → %d members: [%s]", len(r.Output.Values), strings.Join(vals, " "))
		rs := &step{kind: KindSMembers, key: key, out: Output{Values: vals}, label: label, op: r}
		out = append(out, porcupine.Operation{ClientId: r.Client, Input: rs, Output: rs, Call: r.Call, Return: r.Return, Metadata: r})
	}
	return out
}
