package scenarios

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/world"
)

// fakeBackend builds fake worlds, which keep no trace.
type fakeBackend struct{}

func (fakeBackend) Name() string { return "fake" }
func (fakeBackend) New(_ context.Context, t world.Topology, _ uint64) (world.World, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &fakeWorld{top: t, master: t.InitialMaster().Name}, nil
}

// A result has every field of the run --json contract, also from a world with no trace
// (trace_hash "") and a run with no fault and no failover (empty lists, not null); and
// so does a sweep's result of a run that could not be carried out.
func TestResultsKeepEveryField(t *testing.T) {
	s, err := Parse("quiet.yaml", []byte("name: quiet\nhosts:\n  n1: [redis]\nduration: 5s\nquiet: 1s\n"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Execute(context.Background(), s, fakeBackend{}, 1, Options{LinearizabilityLimit: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	failed := Sweep(context.Background(), &Scenario{Name: "broken"}, fakeBackend{}, Options{}, []uint64{1}, 1, nil)
	for _, r := range []*Result{run.Result, failed[0]} {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(line, &m)
		for _, k := range []string{"scenario", "seed", "backend", "verdict", "trace_hash", "sim_seconds", "wall_seconds",
			"ready_seconds", "events", "ops", "acked_writes", "lost_writes", "linearizable", "split_brain_ms", "failovers",
			"failover_ms", "unavailable_ms", "final_master", "converged", "always", "violations", "found", "replay", "faults", "checks"} {
			if v, ok := m[k]; !ok || v == nil {
				t.Errorf("%s: the result lacks %q or has it null: %s", r.Scenario, k, line)
			}
		}
		if m["trace_hash"] != "" {
			t.Errorf("%s: trace_hash %v from a world that keeps no trace", r.Scenario, m["trace_hash"])
		}
	}
}
