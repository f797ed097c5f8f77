package linearize

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// StaleRead is a read served by a node that was not master at any time during it.
type StaleRead struct {
	Op   int    `json:"op"`
	Kind string `json:"kind"`
	Key  string `json:"key"`
	Node string `json:"node"`
	// Role is what the node reported or the client believed.
	Role   string `json:"role,omitempty"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
	// Masters are the nodes that were master during the read.
	Masters []string `json:"masters,omitempty"`
}

// StaleReads finds successful reads served by a node that was not master at any moment
// between the read's call and return, given the master timeline: MasterTimeline of the
// simulator's role changes (exact), or ObservedTimeline of the history where the world
// cannot see inside its servers. Write acceptances are no timeline for this: a master
// that serves only reads for a while accepts no writes and would be taken for a replica.
// Left out are the final reads, which the lost-writes checker judges, and reads whose
// server or its role is unknown (Node or Role ""), of which nothing can be said.
func StaleReads(ops []Op, masters []MasterInterval) Verdict {
	var stale []StaleRead
	for i := range ops {
		op := &ops[i]
		if op.IsWrite() || op.Status != Ok || op.Node == "" || op.Role == RoleDown || op.Final {
			continue
		}
		var during []string
		servedByMaster := false
		for _, m := range masters {
			if m.From <= op.Return && op.Call <= m.To {
				servedByMaster = servedByMaster || m.Node == op.Node
				if !slices.Contains(during, m.Node) {
					during = append(during, m.Node)
				}
			}
		}
		if !servedByMaster {
			slices.Sort(during)
			stale = append(stale, StaleRead{Op: op.ID, Kind: op.Kind, Key: op.Key, Node: op.Node, Role: op.Role,
				Call: op.Call, Return: op.Return, Masters: during})
		}
	}
	v := Verdict{Name: "stale-reads", Result: Pass, Summary: "every read was served by a master", Evidence: stale}
	if len(stale) > 0 {
		s := stale[0]
		v.Result = Violated
		v.Summary = fmt.Sprintf("%d reads served by a node that was not master; the first, op %d, by %s at %v (master then: %s)",
			len(stale), s.Op, s.Node, time.Duration(s.Call), orNone(s.Masters))
	}
	return v
}

func orNone(nodes []string) string {
	if len(nodes) == 0 {
		return "none"
	}
	return strings.Join(nodes, ", ")
}
