package linearize

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MasterInterval says that Node acted as master (accepted writes) from From to To,
// both included.
type MasterInterval struct {
	Node string `json:"node"`
	From int64  `json:"from"`
	To   int64  `json:"to"`
}

// WriteAccept says that Node acknowledged a write at At.
type WriteAccept struct {
	Node string `json:"node"`
	At   int64  `json:"at"`
}

// WriteAccepts lists the acknowledged writes of a history by the node that served them,
// at their return time, sorted by time. This is how the real backend, which cannot see
// inside the servers, learns who accepted writes when.
func WriteAccepts(ops []Op) []WriteAccept {
	var out []WriteAccept
	for i := range ops {
		if op := &ops[i]; op.IsWrite() && op.Status == Ok && op.Node != "" {
			out = append(out, WriteAccept{Node: op.Node, At: op.Return})
		}
	}
	slices.SortStableFunc(out, func(a, b WriteAccept) int { return cmp.Compare(a.At, b.At) })
	return out
}

// AcceptIntervals turns write acknowledgements into intervals of acting as master: a
// node's consecutive acknowledgements no more than gap apart are joined. The gap should
// be a few times the clients' think time: long enough to bridge a client's pauses, short
// enough that a node which was master, then replica, then master again is not taken for
// a master throughout.
func AcceptIntervals(accepts []WriteAccept, gap time.Duration) []MasterInterval {
	var byNode []NodeAccepts
	index := map[string]int{}
	for _, a := range accepts {
		i, ok := index[a.Node]
		if !ok {
			i = len(byNode)
			index[a.Node] = i
			byNode = append(byNode, NodeAccepts{Node: a.Node})
		}
		byNode[i].At = append(byNode[i].At, a.At)
	}
	return NodeAcceptIntervals(byNode, gap)
}

// NodeAccepts are the times at which one node accepted writes as master.
type NodeAccepts struct {
	Node string
	At   []int64
}

// NodeAcceptIntervals is AcceptIntervals for acceptances grouped by node, as a world
// that sees inside its servers records them. It sorts the times in place.
func NodeAcceptIntervals(accepts []NodeAccepts, gap time.Duration) []MasterInterval {
	var out []MasterInterval
	for _, a := range accepts {
		times := a.At
		if len(times) == 0 {
			continue
		}
		slices.Sort(times)
		cur := MasterInterval{Node: a.Node, From: times[0], To: times[0]}
		for _, t := range times[1:] {
			if t-cur.To > int64(gap) {
				out = append(out, cur)
				cur.From = t
			}
			cur.To = t
		}
		out = append(out, cur)
	}
	sortIntervals(out)
	return out
}

func sortIntervals(iv []MasterInterval) {
	slices.SortFunc(iv, func(a, b MasterInterval) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), strings.Compare(a.Node, b.Node))
	})
}

// Overlap is a stretch of time in which two or more nodes acted as master.
type Overlap struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Nodes []string `json:"nodes"`
}

// SplitBrainEvidence is the evidence of SplitBrain.
type SplitBrainEvidence struct {
	Overlaps []Overlap `json:"overlaps,omitempty"`
	// Total is the summed length of the overlaps, in nanoseconds.
	Total int64 `json:"total"`
}

// SplitBrain finds the times at which two or more nodes acted as master at once. The
// intervals come from the simulator's trace (who really was master) or, in the real
// world, from AcceptIntervals(WriteAccepts(history), gap). Intervals are closed, so a
// node that starts accepting writes at the very instant another stops counts as an
// overlap of length zero.
func SplitBrain(intervals []MasterInterval) Verdict {
	type edge struct {
		at    int64
		start bool
		node  string
	}
	var edges []edge
	for _, iv := range mergePerNode(intervals) {
		edges = append(edges, edge{iv.From, true, iv.Node}, edge{iv.To, false, iv.Node})
	}
	// Starts before ends at the same instant, since intervals are closed.
	slices.SortFunc(edges, func(a, b edge) int {
		if a.at != b.at {
			return cmp.Compare(a.at, b.at)
		}
		if a.start != b.start {
			if a.start {
				return -1
			}
			return 1
		}
		return strings.Compare(a.node, b.node)
	})

	var ev SplitBrainEvidence
	active := map[string]bool{}
	var cur *Overlap
	for _, e := range edges {
		if e.start {
			active[e.node] = true
		} else {
			delete(active, e.node)
		}
		switch {
		case len(active) >= 2 && cur == nil:
			cur = &Overlap{From: e.at}
			fallthrough
		case len(active) >= 2:
			for n := range active { // sorted when the overlap closes
				if !slices.Contains(cur.Nodes, n) {
					cur.Nodes = append(cur.Nodes, n)
				}
			}
		case cur != nil:
			cur.To = e.at
			slices.Sort(cur.Nodes)
			ev.Overlaps = append(ev.Overlaps, *cur)
			ev.Total += cur.To - cur.From
			cur = nil
		}
	}

	v := Verdict{Name: "split-brain", Evidence: ev, Result: Pass, Summary: "never two masters accepting writes at once"}
	if len(ev.Overlaps) > 0 {
		v.Result = Violated
		first := ev.Overlaps[0]
		v.Summary = fmt.Sprintf("%d intervals with two or more masters accepting writes, %v in total; the first from %v to %v: %s",
			len(ev.Overlaps), time.Duration(ev.Total), time.Duration(first.From), time.Duration(first.To), strings.Join(first.Nodes, ", "))
	}
	return v
}

// mergePerNode joins each node's overlapping intervals, so that a node never overlaps
// itself.
func mergePerNode(intervals []MasterInterval) []MasterInterval {
	sorted := slices.Clone(intervals)
	slices.SortFunc(sorted, func(a, b MasterInterval) int {
		return cmp.Or(strings.Compare(a.Node, b.Node), cmp.Compare(a.From, b.From))
	})
	var out []MasterInterval
	for _, iv := range sorted {
		if n := len(out); n > 0 && out[n-1].Node == iv.Node && iv.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, iv.To)
			continue
		}
		out = append(out, iv)
	}
	return out
}
