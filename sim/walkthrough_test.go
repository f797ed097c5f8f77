package sim

import (
	"slices"
	"testing"
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

func TestWalkthroughOn200Seeds(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		w, err := RunWalkthrough(seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !w.Ok() {
			t.Errorf("%s\nreplay: go test ./sim -run TestWalkthroughOn200Seeds (seed %d)", w.Verdict(), seed)
			continue
		}
		checkLeaderSequence(t, w)
		checkOldMasterConverted(t, w)
	}
}

// checkLeaderSequence finds the leader and requires its master events, from the first
// +sdown of the master to its +switch-master, to be exactly the leader sequence.
func checkLeaderSequence(t *testing.T, w *Walkthrough) {
	t.Helper()
	leader := ""
	for _, r := range w.Log {
		if r.Event != nil && r.Event.Type == "+elected-leader" {
			leader = r.Node
		}
	}
	var got []string
	for _, r := range w.Log {
		if r.Node != leader || r.Event == nil || r.At < walkKillAt {
			continue
		}
		typ := r.Event.Type
		if slices.Contains(leaderSequence, typ) && !slices.Contains(got, typ) {
			got = append(got, typ)
		}
		if typ == "+switch-master" {
			break
		}
	}
	if !slices.Equal(got, leaderSequence) {
		t.Errorf("seed %d: leader %s's events\n got %v\nwant %v", w.Seed, leader, got, leaderSequence)
	}
}

// checkOldMasterConverted: the restarted master comes back as a master and is turned
// into a replica with +convert-to-slave, which Redis does 8 s after it reports the
// wrong role.
func checkOldMasterConverted(t *testing.T, w *Walkthrough) {
	t.Helper()
	for _, r := range w.Log {
		if r.Event != nil && r.Event.Type == "+convert-to-slave" {
			if r.At < walkReturnAt+8e9 {
				t.Errorf("seed %d: +convert-to-slave at %v, less than 8 s after the old master returned", w.Seed, r.At)
			}
			return
		}
	}
	t.Errorf("seed %d: the returning old master was never converted", w.Seed)
}

func TestWalkthroughReplaysExactly(t *testing.T) {
	hashes := map[string]bool{}
	for seed := uint64(1); seed <= 5; seed++ {
		a, err := RunWalkthrough(seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := RunWalkthrough(seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.TraceHash != b.TraceHash {
			t.Errorf("seed %d: trace %s, then %s", seed, a.TraceHash, b.TraceHash)
		}
		hashes[a.TraceHash] = true
	}
	if len(hashes) != 5 {
		t.Errorf("5 seeds gave %d distinct traces", len(hashes))
	}
}

// BenchmarkWalkthrough reports how much faster than real time the simulator runs the
// walkthrough: 80 simulated seconds with six processes.
func BenchmarkWalkthrough(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := RunWalkthrough(uint64(i+1), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(walkEnd.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "sim-s/wall-s")
}
