package scenarios_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/world"
)

// The leader's events, in order, from the kill to the switch: Redis's tutorial shows
// this sequence, and spec §19 lists it as the typical leader sequence.
var leaderSequence = []string{
	"+sdown", "+odown", "+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
	"+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves",
	"+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done", "+failover-end",
	"+switch-master",
}

// The mission's walkthrough, on 200 seeds, with one slow client so that it stays quick:
// one failover led by one sentinel through exactly the leader sequence, every other
// sentinel taking the new master from the leader's hello, and the old master,
// restarted, converted to a replica no sooner than 8 s after it returned.
func TestWalkthroughOn200Seeds(t *testing.T) {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	s.Topology.Nodes = slices.DeleteFunc(slices.Clone(s.Topology.Nodes), func(n world.Node) bool {
		return n.Kind == world.Client && n.Name != "local/client:1"
	})
	s.Workload.Think = 100 * time.Millisecond
	for seed := uint64(1); seed <= 200; seed++ {
		run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, seed, scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !run.Result.Passed() {
			t.Errorf("seed %d: %v", seed, run.Result.Violations)
			continue
		}
		var killed, restarted int64
		for _, f := range run.Result.Faults {
			if f.Undo {
				restarted = int64(f.At)
			} else {
				killed = int64(f.At)
			}
		}
		checkLeaderSequence(t, seed, run.Events, killed)
		checkFollowers(t, seed, s.Topology.Nodes, run.Events, killed)
		checkOldMasterConverted(t, seed, run.Events, restarted)
	}
}

// checkLeaderSequence requires exactly one +elected-leader after the kill (the sequence
// below keeps only the first event of each type, so it cannot see a second election),
// and the leader's master events, from the first +sdown of the master to its
// +switch-master, to be exactly the leader sequence.
func checkLeaderSequence(t *testing.T, seed uint64, events []linearize.SentinelEvent, killed int64) {
	t.Helper()
	leader, elections := "", 0
	for _, e := range events {
		if e.Type == "+elected-leader" {
			leader = e.Sentinel
			if e.At >= killed {
				elections++
			}
		}
	}
	if elections != 1 {
		t.Errorf("seed %d: %d +elected-leader events after the kill, want exactly one", seed, elections)
	}
	var got []string
	for _, e := range events {
		if e.Sentinel != leader || e.At < killed {
			continue
		}
		if slices.Contains(leaderSequence, e.Type) && !slices.Contains(got, e.Type) {
			got = append(got, e.Type)
		}
		if e.Type == "+switch-master" {
			break
		}
	}
	if !slices.Equal(got, leaderSequence) {
		t.Errorf("seed %d: leader %s's events\n got %v\nwant %v", seed, leader, got, leaderSequence)
	}
}

// checkFollowers: every sentinel but the leader adopts the new master from a hello
// (spec §19's typical follower): +config-update-from naming the leader, or a follower
// that switched before it, then +switch-master with the leader's addresses, both in
// the leader's failover epoch and not before the promotion gave the master that config
// epoch.
func checkFollowers(t *testing.T, seed uint64, nodes []world.Node, events []linearize.SentinelEvent, killed int64) {
	t.Helper()
	var elected, promoted linearize.SentinelEvent
	for _, e := range events {
		if e.Type == "+elected-leader" {
			elected = e
		}
	}
	node := map[string]string{} // run id -> sentinel, from the +sentinel events' "sentinel <id> <ip> <port> @ ..."
	switched := map[string]linearize.SentinelEvent{}
	followers := map[string][]linearize.SentinelEvent{}
	for _, e := range events {
		switch {
		case e.Type == "+sentinel":
			f := strings.Fields(e.Text)
			for _, n := range nodes {
				if n.Kind == world.Sentinel && len(f) > 3 && strconv.Itoa(n.Port) == f[3] {
					node[f[1]] = n.Name
				}
			}
		case e.Type == "+promoted-slave" && e.Sentinel == elected.Sentinel:
			promoted = e
		}
		if e.Type == "+switch-master" && e.At >= killed {
			if _, done := switched[e.Sentinel]; !done {
				switched[e.Sentinel] = e
			}
		}
		if e.Type == "+monitor" && e.Sentinel != elected.Sentinel {
			followers[e.Sentinel] = nil
		}
		if _, ok := followers[e.Sentinel]; ok && e.At >= killed && (e.Type == "+config-update-from" || e.Type == "+switch-master") {
			followers[e.Sentinel] = append(followers[e.Sentinel], e)
		}
	}
	if len(followers) == 0 {
		t.Errorf("seed %d: no sentinel but the leader %s", seed, elected.Sentinel)
	}
	for name, got := range followers {
		if len(got) != 2 || got[0].Type != "+config-update-from" || got[1].Type != "+switch-master" {
			t.Errorf("seed %d: follower %s: %v, want +config-update-from then +switch-master", seed, name, got)
			continue
		}
		from, sw := got[0], got[1]
		f := strings.Fields(from.Text)
		source := ""
		if len(f) > 1 {
			source = node[f[1]]
		}
		// The leader's hellos carry the new address from the promotion on, before its own
		// +switch-master; a follower's only once it has switched.
		if relay, ok := switched[source]; source != elected.Sentinel && (source == name || !ok || relay.At > from.At) {
			t.Errorf("seed %d: follower %s: %q names %q, neither the leader nor a sentinel that had switched",
				seed, name, from.Text, source)
		}
		if sw.Text != switched[elected.Sentinel].Text {
			t.Errorf("seed %d: follower %s: +switch-master %q, the leader's was %q", seed, name, sw.Text,
				switched[elected.Sentinel].Text)
		}
		if from.Epoch != elected.Epoch || sw.Epoch != elected.Epoch {
			t.Errorf("seed %d: follower %s: epochs %d and %d, the failover's was %d", seed, name, from.Epoch, sw.Epoch, elected.Epoch)
		}
		if from.At < promoted.At {
			t.Errorf("seed %d: follower %s: +config-update-from at %v, before the promotion at %v",
				seed, name, time.Duration(from.At), time.Duration(promoted.At))
		}
	}
}

// checkOldMasterConverted: the restarted master comes back as a master and is turned into
// a replica with +convert-to-slave, which Redis does 8 s after it reports the wrong role.
func checkOldMasterConverted(t *testing.T, seed uint64, events []linearize.SentinelEvent, restarted int64) {
	t.Helper()
	for _, e := range events {
		if e.Type == "+convert-to-slave" {
			if e.At < restarted+int64(8*time.Second) {
				t.Errorf("seed %d: +convert-to-slave at %v, less than 8 s after the old master returned at %v",
					seed, time.Duration(e.At), time.Duration(restarted))
			}
			return
		}
	}
	t.Errorf("seed %d: the returning old master was never converted", seed)
}
