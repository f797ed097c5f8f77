package scenarios

import (
	"fmt"
	"testing"
	"time"
)

func TestRandomScheduleIsValidAndDependsOnlyOnTheSeed(t *testing.T) {
	for _, name := range []string{"swarm", "tutorial-kill-master"} {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		gen := &RandomFaults{Interval: 3 * time.Second, MaxFor: 10 * time.Second, Kinds: RandomKinds}
		kinds := map[FaultKind]bool{}
		for seed := uint64(1); seed <= 50; seed++ {
			a := gen.Draw(seed, s.Topology, s.Duration)
			b := gen.Draw(seed, s.Topology, s.Duration)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("%s seed %d drew two different schedules", name, seed)
			}
			if len(a) < int(s.Duration/(2*gen.Interval)) {
				t.Fatalf("%s seed %d drew only %d faults in %v", name, seed, len(a), s.Duration)
			}
			for i, f := range a {
				if err := f.Validate(s.Topology); err != nil {
					t.Fatalf("%s seed %d fault %v: %v", name, seed, f, err)
				}
				if f.At >= s.Duration || (i > 0 && f.At < a[i-1].At) {
					t.Fatalf("%s seed %d: fault %v out of order or past the end", name, seed, f)
				}
				kinds[f.Kind] = true
			}
		}
		if name == "swarm" && len(kinds) != len(RandomKinds) {
			t.Errorf("50 seeds of swarm drew only %v", kinds)
		}
		if name == "tutorial-kill-master" && (kinds[Partition] || kinds[Cut]) {
			t.Errorf("a one-host topology drew a network partition")
		}
	}
	gen := &RandomFaults{Interval: 3 * time.Second, MaxFor: 10 * time.Second, Kinds: RandomKinds}
	s, _ := Lookup("swarm")
	if fmt.Sprint(gen.Draw(1, s.Topology, s.Duration)) == fmt.Sprint(gen.Draw(2, s.Topology, s.Duration)) {
		t.Fatal("seeds 1 and 2 drew the same schedule")
	}
}
