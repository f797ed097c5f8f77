package scenarios

import "testing"

// A variant is what a replay command adds to the catalogued scenario: the seed, the
// catalogue name and the backend are left out, files, settings and backend flags kept.
func TestVariant(t *testing.T) {
	for replay, want := range map[string]string{
		ReplayPrefix + "--scenario swarm --seed 3":                                     "",
		ReplayPrefix + "--scenario swarm --seed 3 --backend real --sentinel go":        "--sentinel go",
		ReplayPrefix + "--scenario swarm --set redis.appendonly=yes --seed 12":         "--set redis.appendonly=yes",
		ReplayPrefix + "--file 'my dir/s.yaml' --faults min.yaml --seed 1":             "--file 'my dir/s.yaml' --faults min.yaml",
		ReplayPrefix + "--scenario x --set 'workload.think=1s --seed 2' --seed 2":      "--set 'workload.think=1s --seed 2'",
		ReplayPrefix + "--scenario x --seed 1 --backend containers --image r:7 --pull": "--image r:7 --pull",
	} {
		if got := Variant(replay); got != want {
			t.Errorf("Variant(%q) = %q, want %q", replay, got, want)
		}
	}
}

// Runs of one scenario with other settings, or with another kind of sentinel, are summed
// up apart; seeds of one configuration together.
func TestSummarizeKeepsConfigurationsApart(t *testing.T) {
	result := func(seed uint64, backend, rest string) *Result {
		return &Result{Scenario: "s", Seed: seed, Backend: backend, Verdict: "pass",
			Replay: ReplayPrefix + "--scenario s " + rest}
	}
	sums := Summarize([]*Result{
		result(1, "sim", "--seed 1"),
		result(1, "sim", "--set redis.min-replicas-to-write=1 --seed 1"),
		result(2, "sim", "--seed 2"),
		result(1, "real", "--seed 1 --backend real --sentinel go"),
		result(1, "real", "--seed 1 --backend real"),
		result(2, "real", "--seed 2 --backend real --sentinel go"),
	})
	want := []struct {
		backend, variant string
		runs             int
	}{{"sim", "", 2}, {"sim", "--set redis.min-replicas-to-write=1", 1}, {"real", "--sentinel go", 2}, {"real", "", 1}}
	if len(sums) != len(want) {
		t.Fatalf("%d summaries, want %d", len(sums), len(want))
	}
	for i, s := range sums {
		if w := want[i]; s.Backend != w.backend || s.Variant != w.variant || s.Runs != w.runs {
			t.Errorf("summary %d: %s %q %d runs, want %s %q %d runs", i, s.Backend, s.Variant, s.Runs, w.backend, w.variant, w.runs)
		}
	}
}
