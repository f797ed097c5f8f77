package linearize

import (
	"cmp"
	"slices"
	"strings"
)

// Roles a node can have in a master timeline.
const (
	RoleMaster = "master"
	RoleSlave  = "slave"
	// RoleDown is the role of a node that is not running: it serves nothing.
	RoleDown = ""
)

// RoleChange says that Node took Role at At: it became a master (at startup without
// replicaof, or on REPLICAOF NO ONE), a replica (at startup with replicaof, or on
// REPLICAOF host port), or stopped running.
type RoleChange struct {
	Node string `json:"node"`
	At   int64  `json:"at"`
	Role string `json:"role"`
}

// MasterTimeline turns role changes into the intervals in which each node was master:
// from the change that made it one to the next change of its role, or to end if it
// was still master then. Changes are taken in time order (ties in the order given, as
// a simulator records them); a change to the role a node already has changes nothing.
// This is the exact timeline a world that sees inside its servers records; compare
// ObservedTimeline, which is what a client can see.
func MasterTimeline(changes []RoleChange, end int64) []MasterInterval {
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(a, b RoleChange) int { return cmp.Compare(a.At, b.At) })
	since := map[string]int64{} // nodes that are master now, and since when
	var order []string          // the nodes in the order first seen, for a stable output
	var out []MasterInterval
	for _, c := range sorted {
		from, master := since[c.Node]
		switch {
		case c.Role == RoleMaster && !master:
			since[c.Node] = c.At
			if !slices.Contains(order, c.Node) {
				order = append(order, c.Node)
			}
		case c.Role != RoleMaster && master:
			out = append(out, MasterInterval{Node: c.Node, From: from, To: c.At})
			delete(since, c.Node)
		}
	}
	for _, n := range order {
		if from, master := since[n]; master {
			out = append(out, MasterInterval{Node: n, From: from, To: max(from, end)})
		}
	}
	sortIntervals(out)
	return out
}

// ObservedTimeline is the master timeline a world that cannot see inside its servers
// (the real backend) can vouch for: the role each operation's server reported (Op.Role,
// which the real backend asks with ROLE on the operation's own connection just after
// it). A node counts as master from an observation of it as master to its last such
// observation before it was seen in another role; how long it stayed master after that
// is unknown, so the interval ends there. Judged against this timeline, a read is stale
// only if its server reported another role and had not been seen as master since the
// read began: a read that may have run just before a demotion is given the benefit of
// the doubt. Operations with no node or no reported role tell nothing and are skipped.
func ObservedTimeline(ops []Op) []MasterInterval {
	type obs struct {
		at     int64
		master bool
	}
	byNode := map[string][]obs{}
	var nodes []string
	for i := range ops {
		op := &ops[i]
		if op.Node == "" || op.Role == "" || op.Status == Unknown {
			continue
		}
		if _, seen := byNode[op.Node]; !seen {
			nodes = append(nodes, op.Node)
		}
		byNode[op.Node] = append(byNode[op.Node], obs{op.Return, op.Role == RoleMaster})
	}
	slices.SortFunc(nodes, strings.Compare)
	var out []MasterInterval
	for _, n := range nodes {
		seen := byNode[n]
		slices.SortStableFunc(seen, func(a, b obs) int { return cmp.Compare(a.at, b.at) })
		var cur *MasterInterval
		for _, o := range seen {
			switch {
			case o.master && cur == nil:
				cur = &MasterInterval{Node: n, From: o.at, To: o.at}
			case o.master:
				cur.To = o.at
			case cur != nil:
				out = append(out, *cur)
				cur = nil
			}
		}
		if cur != nil {
			out = append(out, *cur)
		}
	}
	sortIntervals(out)
	return out
}
