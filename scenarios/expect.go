package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Expect holds a scenario's expectations. Always lists properties that must hold on every
// seed; Finds lists properties (anomalies) the harness must observe on at least one seed
// of a sweep: a known weakness that the checkers must be able to detect.
type Expect struct {
	Always []string
	Finds  []string
}

// Properties are the names expectations may use, each with what it means.
var Properties = map[string]string{
	"sentinel-safety":  "at most one leader per epoch, one promotion per epoch, config epochs never go backwards",
	"liveness":         "after the faults heal, the sentinels agree on a master that really is one, replicas follow it and a write succeeds",
	"no-lost-writes":   "every acknowledged write is in the final read (expected of every run whose faults never touch the master or its links)",
	"linearizable":     "the history is linearizable",
	"no-split-brain":   "never two nodes accepting writes as master at once",
	"failover":         "at least one failover happened",
	"no-failover":      "no failover happened",
	"one-failover":     "exactly one failover happened",
	"second-failover":  "two or more failovers happened (the master a failover promoted was replaced in turn)",
	"retried-election": "a failover was tried in an epoch that installed no new master, and tried again in a later epoch",
	"lost-writes":      "some acknowledged write is missing from the final read",
	"non-linearizable": "the history is not linearizable",
	"split-brain":      "two nodes accepted writes as master at the same time",
	"stale-reads":      "a read was served by a node that was no longer the master",
	"tilt":             "some sentinel entered TILT mode",
}

// PropertyNames lists the property names, sorted.
func PropertyNames() []string {
	names := make([]string, 0, len(Properties))
	for n := range Properties { // sorted below
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate reports an unknown property.
func (e Expect) Validate() error {
	for _, list := range [][]string{e.Always, e.Finds} {
		for _, p := range list {
			if _, ok := Properties[p]; !ok {
				return fmt.Errorf("unknown expectation %q (known: %s)", p, strings.Join(PropertyNames(), ", "))
			}
		}
	}
	return nil
}

// AlwaysFor lists the always-expectations a run of the seed is held to: the scenario's,
// and no-lost-writes when no fault of the seed's schedule touches the master or its
// links and the workload keeps every write visible. Redis may lose an acknowledged write
// only when its master fails, is cut off or its links degrade, so with none of that a
// lost write is a bug of the harness or of the simulated servers. A derived expectation
// fails on a definite lost write, not when the final read could not be made.
func (s *Scenario) AlwaysFor(seed uint64) []string {
	always := slices.Clone(s.Expect.Always)
	if slices.Contains(always, "no-lost-writes") || s.Workload.Kind == "register" {
		return always
	}
	if slices.ContainsFunc(s.Schedule(seed), func(f Fault) bool { return f.touchesMaster(s.Topology) }) {
		return always
	}
	return append(always, "no-lost-writes")
}
