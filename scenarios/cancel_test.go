package scenarios_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// A run whose context ends stops within moments, with the context's error and no result,
// however much of its world time is left; and a sweep stopped so returns what finished.
func TestCancelledRunsStopPromptly(t *testing.T) {
	// A thousand simulated hours would take the simulator minutes of wall time even on a
	// fast machine, so stopping within the bound below, generous for a loaded one, shows
	// the run did not go on to its end.
	s := threeHosts(t, "workload: {kind: set-add, think: 1m}\nduration: 1000h\nquiet: 1m\n")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	run, err := scenarios.Execute(ctx, s, sim.Backend{}, 1, scenarios.Options{})
	if !errors.Is(err, context.DeadlineExceeded) || run != nil {
		t.Fatalf("Execute of a 1000-hour run cancelled after 300 ms: %v, %v; want the context's error and no run", run, err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the cancelled run took %v to stop", took)
	}

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	quick := threeHosts(t, "duration: 10s\nquiet: 5s\n")
	var seen []uint64
	results := scenarios.Sweep(ctx, quick, sim.Backend{}, scenarios.Options{}, []uint64{1, 2, 3, 4, 5, 6}, 1, func(r *scenarios.Result) {
		seen = append(seen, r.Seed)
		if r.Seed == 2 {
			cancel()
		}
	})
	if len(results) != 2 || len(seen) != 2 || results[0].Seed != 1 || results[1].Seed != 2 || results[1].Error != "" {
		t.Errorf("a sweep cancelled after seed 2 returned %d results (seen %v), want seeds 1 and 2", len(results), seen)
	}
}
