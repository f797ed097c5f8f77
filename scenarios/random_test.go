package scenarios

import (
	"fmt"
	"strings"
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

// Weights set each kind's rate: a kind weighing nine is drawn about nine times as often
// as one weighing one; weights all 1 draw what the plain list of kinds draws.
func TestRandomWeightsSetEachKindsRate(t *testing.T) {
	s, err := Parse("w.yaml", []byte(`name: weighted
hosts:
  n1: [redis, sentinel]
  n2: [redis, sentinel]
  n3: [redis, sentinel]
sentinel: {quorum: 2}
random:
  interval: 2s
  kinds: {partition: 9, kill: 1}
duration: 10m
`))
	if err != nil {
		t.Fatal(err)
	}
	count := map[FaultKind]int{}
	for seed := uint64(1); seed <= 20; seed++ {
		for _, f := range s.Random.Draw(seed, s.Topology, s.Duration) {
			count[f.Kind]++
		}
	}
	total := count[Partition] + count[Kill]
	if total < 5000 || len(count) != 2 {
		t.Fatalf("drew %v, want some 6000 partitions and kills", count)
	}
	if share := float64(count[Kill]) / float64(total); share < 0.08 || share > 0.12 {
		t.Errorf("kills are %.3f of the faults drawn (%v), want about 0.1", share, count)
	}

	plain := &RandomFaults{Interval: 3 * time.Second, MaxFor: 10 * time.Second, Kinds: RandomKinds}
	ones := *plain
	ones.Weights = map[FaultKind]int{}
	for _, k := range RandomKinds {
		ones.Weights[k] = 1
	}
	for seed := uint64(1); seed <= 20; seed++ {
		if fmt.Sprint(plain.Draw(seed, s.Topology, s.Duration)) != fmt.Sprint(ones.Draw(seed, s.Topology, s.Duration)) {
			t.Fatalf("seed %d: weights of 1 drew another schedule than no weights", seed)
		}
	}

	for _, bad := range []string{"{partition: 0, kill: 1}", "{partition: many}"} {
		src := strings.Replace(`name: weighted
hosts:
  n1: [redis, sentinel]
sentinel: {quorum: 1}
random: {kinds: KINDS}
duration: 10m
`, "KINDS", bad, 1)
		if _, err := Parse("w.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "w.yaml:5:") {
			t.Errorf("kinds %s: %v, want an error at w.yaml:5", bad, err)
		}
	}
}
