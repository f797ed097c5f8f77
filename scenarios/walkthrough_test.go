package scenarios_test

import (
	"slices"
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
// one failover led by one sentinel through exactly the leader sequence, and the old
// master, restarted, converted to a replica no sooner than 8 s after it returned.
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
		checkOldMasterConverted(t, seed, run.Events, restarted)
	}
}

// checkLeaderSequence finds the leader and requires its master events, from the first
// +sdown of the master to its +switch-master, to be exactly the leader sequence.
func checkLeaderSequence(t *testing.T, seed uint64, events []linearize.SentinelEvent, killed int64) {
	t.Helper()
	leader := ""
	for _, e := range events {
		if e.Type == "+elected-leader" {
			leader = e.Sentinel
		}
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
