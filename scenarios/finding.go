package scenarios

import (
	"embed"
	"fmt"
)

// Finding is a failure the harness found in Sentinel's own algorithm (not in ours): a
// catalogued scenario, a seed and the fault schedule shrunk from it, kept so that results/
// can show it in full and a test notices if the simulator stops reproducing it.
type Finding struct {
	Name string
	// Base is the catalogued scenario the schedule replaces the faults of.
	Base string
	Seed uint64
}

// FaultsFile is where the finding's fault schedule is kept, from the repository's root.
func (f Finding) FaultsFile() string { return "scenarios/testdata/findings/" + f.Name + ".yaml" }

//go:embed testdata/findings/*.yaml
var findingsFS embed.FS

// Scenario is the base scenario with the finding's fault schedule.
func (f Finding) Scenario() (*Scenario, error) {
	base, err := Lookup(f.Base)
	if err != nil {
		return nil, err
	}
	src, err := findingsFS.ReadFile("testdata/findings/" + f.Name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", f.Name, err)
	}
	return ParseFaults(f.FaultsFile(), src, base)
}

// EqualEpochStalemate: two failovers in a row bring the master back to an earlier
// address while the first failover's leader still reconfigures replicas; that leader
// ends its failover with the newer config epoch but the older address, and the sentinels
// disagree for good (see results/failing-run).
var EqualEpochStalemate = Finding{Name: "equal-epoch-stalemate", Base: "wait-is-not-enough", Seed: 79}
