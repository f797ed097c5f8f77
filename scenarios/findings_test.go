package scenarios_test

import (
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// Findings are failures the harness found in Sentinel's algorithm (not in ours): each is
// a shrunk fault schedule and the seed that shows it, kept so that a change to the
// simulator that stops reproducing it is noticed.
func TestFindingEqualEpochStalemate(t *testing.T) {
	f := scenarios.EqualEpochStalemate
	s, err := f.Scenario()
	if err != nil {
		t.Fatal(err)
	}
	run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, f.Seed, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := strings.Join(run.Result.Violations, "; ")
	if !strings.Contains(v, "liveness: not settled by the deadline") || !strings.Contains(v, "the sentinels disagree on the master") {
		t.Errorf("the stalemate no longer reproduces: %v", run.Result.Violations)
	}
	for _, c := range run.Result.Checks {
		if c.Name == "sentinel-safety" && !c.Ok() {
			t.Errorf("safety broke too: %s", c.Summary)
		}
	}
}
