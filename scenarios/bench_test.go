package scenarios_test

import (
	"runtime/debug"
	"testing"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// BenchmarkTutorialKillMaster runs the catalogued walkthrough (five clients at 10 ms
// think time, checkers included) and reports simulated seconds per wall second and wall
// nanoseconds per simulated event.
func BenchmarkTutorialKillMaster(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as cmd/sentinelsim runs it
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		b.Fatal(err)
	}
	var simSeconds, wall float64
	var events uint64
	for i := 0; i < b.N; i++ {
		run, err := scenarios.Execute(b.Context(), s, sim.Backend{}, uint64(i+1), scenarios.Options{})
		if err != nil {
			b.Fatal(err)
		}
		simSeconds += run.Result.SimSeconds
		wall += run.Result.WallSeconds
		events += run.Result.Events
	}
	b.ReportMetric(simSeconds/wall, "sim-s/wall-s")
	b.ReportMetric(wall*1e9/float64(events), "ns/event")
}
