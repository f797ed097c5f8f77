package scenarios_test

import (
	"testing"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// A power loss of the master costs what its AOF had not fsynced, with appendfsync
// everysec up to a second of acknowledged writes and never more, and nothing with
// appendfsync always; a kill at the same moment costs nothing, the page cache keeping
// every write.
func TestPowerLossLosesWhatTheLastFsyncHadNot(t *testing.T) {
	base, err := scenarios.Lookup("master-power-loss-everysec")
	if err != nil {
		t.Fatal(err)
	}
	run := func(s *scenarios.Scenario) *scenarios.Result {
		t.Helper()
		r, err := scenarios.Execute(t.Context(), s, sim.Backend{}, 1, scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Result.Failovers != 0 {
			t.Fatalf("%v: %d failovers; the master is back within down-after-milliseconds", s.Settings, r.Result.Failovers)
		}
		return r.Result
	}
	everysec := run(base)
	// Three clients with 10 ms between operations acknowledge at most about 300 writes
	// in a second.
	if everysec.LostWrites == 0 || everysec.LostWrites > 300 {
		t.Errorf("appendfsync everysec: %d acknowledged writes lost, want some, at most a second's", everysec.LostWrites)
	}
	always, err := base.WithSettings("redis.appendfsync=always")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(always); r.LostWrites != 0 {
		t.Errorf("appendfsync always: %d acknowledged writes lost, want none", r.LostWrites)
	}
	killed := base.WithFaults([]scenarios.Fault{base.Faults[0]})
	killed.Faults[0].Kind = scenarios.Kill
	if r := run(killed); r.LostWrites != 0 {
		t.Errorf("a kill instead of a power loss: %d acknowledged writes lost, want none", r.LostWrites)
	}
}
