package scenarios_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// go test ./scenarios runs the catalogue in the simulator. The flags narrow it down:
//
//	go test ./scenarios -scenario jepsen-2013-partition -seeds 50
//	go test ./scenarios -scenario swarm -seed 17      (replay one seed)
var (
	flagScenario  = flag.String("scenario", "", "run only this scenario")
	flagSeed      = flag.Uint64("seed", 0, "run only this seed (replays a failure)")
	flagSeeds     = flag.Int("seeds", 0, "seeds per scenario, 1..N (default: each scenario's own)")
	flagArtifacts = flag.String("artifacts", "failures", "folder for the artifacts of failing runs")
	flagLinLimit  = flag.Duration("lin-limit", 5*time.Second, "porcupine's time limit per run")
)

func selected(t *testing.T) []*scenarios.Scenario {
	if *flagScenario != "" {
		s, err := scenarios.Lookup(*flagScenario)
		if err != nil {
			t.Fatal(err)
		}
		return []*scenarios.Scenario{s}
	}
	all, err := scenarios.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func seeds(s *scenarios.Scenario) []uint64 {
	if *flagSeed != 0 {
		return []uint64{*flagSeed}
	}
	n := s.Seeds
	if *flagSeeds > 0 {
		n = *flagSeeds
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// TestCatalogue runs every scenario over its seeds: each always-expectation must hold on
// every seed, and each find-expectation must be observed on at least one.
func TestCatalogue(t *testing.T) {
	opts := scenarios.Options{LinearizabilityLimit: *flagLinLimit}
	for _, s := range selected(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			found := map[string]int{}
			list := seeds(s)
			for _, seed := range list {
				run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, seed, opts)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				for _, f := range run.Result.Found {
					found[f]++
				}
				if !run.Result.Passed() {
					t.Errorf("seed %d: %v\nreplay: go test ./scenarios -run 'TestCatalogue/%s$' -scenario %s -seed %d\n    or: %s\nartifacts: %s",
						seed, run.Result.Violations, s.Name, s.Name, seed, run.Result.Replay, keepArtifacts(t, s, run.Result, opts))
				}
			}
			if *flagSeed != 0 {
				return // one seed replayed: finds are judged over a sweep
			}
			for _, p := range s.Expect.Finds {
				if found[p] == 0 {
					t.Errorf("expected to find %s in at least one of %d seeds; none did", p, len(list))
				}
			}
		})
	}
}

// keepArtifacts replays a failing seed with the whole trace kept, checks that the replay
// is the same run, and writes its artifacts to a folder it returns.
func keepArtifacts(t *testing.T, s *scenarios.Scenario, failed *scenarios.Result, opts scenarios.Options) string {
	seed := failed.Seed
	b := sim.Backend{Options: sim.Options{Kernel: kernel.Options{KeepTrace: true}}}
	run, err := scenarios.Execute(t.Context(), s, b, seed, opts)
	if err != nil {
		return "none: replay failed: " + err.Error()
	}
	if run.Result.TraceHash != failed.TraceHash {
		t.Errorf("seed %d: the replay diverged (trace %s, then %s): the simulator is not deterministic",
			seed, failed.TraceHash, run.Result.TraceHash)
	}
	dir, err := filepath.Abs(filepath.Join(*flagArtifacts, fmt.Sprintf("%s-seed%d", s.Name, seed)))
	if err == nil {
		err = run.WriteArtifacts(dir, s, opts.LinearizabilityLimit)
	}
	if err != nil {
		return "none: " + err.Error()
	}
	return dir
}

// TestDeterminism runs every scenario twice on a few seeds: the trace hashes must match.
func TestDeterminism(t *testing.T) {
	for _, s := range selected(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]uint64{}
			for seed := uint64(1); seed <= 2; seed++ {
				var hashes [2]string
				for i := range hashes {
					run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, seed, scenarios.Options{LinearizabilityLimit: time.Millisecond})
					if err != nil {
						t.Fatal(err)
					}
					hashes[i] = run.Result.TraceHash
				}
				if hashes[0] != hashes[1] || hashes[0] == "" {
					t.Errorf("seed %d: trace hashes %s and %s differ", seed, hashes[0], hashes[1])
				}
				if other, dup := seen[hashes[0]]; dup {
					t.Errorf("seeds %d and %d gave the same trace %s", other, seed, hashes[0])
				}
				seen[hashes[0]] = seed
			}
		})
	}
}
