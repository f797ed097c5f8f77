package scenarios

import (
	"slices"
	"testing"
)

func TestCatalogueParsesAndIsComplete(t *testing.T) {
	all, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"clock-jump-tilt", "counter-partition-master-minority", "flapping-small-down-after",
		"jepsen-2013-clients-outside", "jepsen-2013-partition", "list-append-away-from-master", "master-power-loss-everysec", "master-reboot-down-after-period", "master-reboot-no-persistence", "min-replicas-mitigation",
		"new-master-dies-after-failover", "one-way-partition", "partition-master-minority", "paused-master",
		"sentinel-crash-mid-failover", "short-down-after-second-failover", "split-votes-many-sentinels", "stale-sentinels-inflate-voters", "swarm",
		"tutorial-kill-master", "wait-is-not-enough"}
	if len(all) != len(want) {
		t.Fatalf("%d scenarios, want %d", len(all), len(want))
	}
	for i, s := range all {
		if s.Name != want[i] {
			t.Errorf("scenario %d is %s, want %s", i, s.Name, want[i])
		}
		if len(s.About) < 100 {
			t.Errorf("%s: the about paragraph says too little", s.Name)
		}
	}
	s, err := Lookup("stale-sentinels-inflate-voters")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.Topology.Node("n3/sentinel")
	if len(n.Config) != 2 || n.Config[1].Key != "sentinel" {
		t.Fatalf("aliased node options: %v", n.Config)
	}
	// Every workload is in the catalogue, and the ones that check per key on several keys.
	for _, w := range Workloads {
		if !slices.ContainsFunc(all, func(s *Scenario) bool { return s.Workload.Kind == w && (w == "set-add" || s.Workload.Keys > 1) }) {
			t.Errorf("no scenario runs the %s workload (on several keys, unless set-add)", w)
		}
	}
	if _, err := Lookup("nope"); err == nil {
		t.Fatal("unknown scenario found")
	}
}
