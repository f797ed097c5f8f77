package scenarios

import (
	"fmt"
	"strings"
)

// Shrunk is the outcome of Shrink: the smallest fault schedule found that still breaks
// the same expectation on the same seed.
type Shrunk struct {
	Scenario *Scenario
	Seed     uint64
	// Property is the always-expectation the original run broke, and still breaks.
	Property string
	Original []Fault
	Minimal  []Fault
	// Runs is how many runs the search took.
	Runs   int
	Result *Result
}

// Shrink minimises the fault schedule of a failing run. The seed's schedule (explicit
// faults and those drawn at random) becomes an explicit list; faults are removed, in
// halves and then one by one, as long as the run still breaks the same expectation: the
// delta-debugging of Zeller's ddmin, as rapid and Hypothesis shrink their inputs.
func Shrink(s *Scenario, b Backend, seed uint64, opts Options, progress func(tried, kept int)) (*Shrunk, error) {
	first, err := Execute(s, b, seed, opts)
	if err != nil {
		return nil, err
	}
	if first.Result.Passed() {
		return nil, fmt.Errorf("%s seed %d passes: there is no failure to shrink", s.Name, seed)
	}
	prop := property(first.Result.Violations[0])
	sh := &Shrunk{Scenario: s, Seed: seed, Property: prop, Original: s.Schedule(seed), Runs: 1, Result: first.Result}
	fails := func(faults []Fault) (bool, error) {
		sh.Runs++
		run, err := Execute(s.WithFaults(faults), b, seed, opts)
		if err != nil {
			return false, err
		}
		broke := false
		for _, v := range run.Result.Violations {
			broke = broke || property(v) == prop
		}
		if broke {
			sh.Result = run.Result
		}
		if progress != nil {
			progress(sh.Runs, len(faults))
		}
		return broke, nil
	}
	current := sh.Original
	for chunk := len(current) / 2; chunk >= 1; chunk /= 2 {
		for start := 0; start < len(current); {
			end := min(start+chunk, len(current))
			candidate := append(append([]Fault(nil), current[:start]...), current[end:]...)
			ok, err := fails(candidate)
			if err != nil {
				return nil, err
			}
			if ok {
				current = candidate
				continue // the same start now names the next chunk
			}
			start = end
		}
	}
	sh.Minimal = current
	return sh, nil
}

// property is the expectation a violation names: "liveness: not settled ..." -> liveness.
func property(violation string) string {
	p, _, _ := strings.Cut(violation, ":")
	return p
}

// WithFaults returns a copy of the scenario with exactly these faults and no random ones.
func (s *Scenario) WithFaults(faults []Fault) *Scenario {
	c := *s
	c.Faults = append([]Fault(nil), faults...)
	c.Random = nil
	return &c
}

// YAML writes the minimal schedule as a fault schedule file, which ParseFaults reads:
// `sentinelsim run --scenario NAME --faults F --seed N` runs it.
func (sh *Shrunk) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s seed %d, shrunk from %d faults to %d in %d runs; it still breaks %s.\n",
		sh.Scenario.Name, sh.Seed, len(sh.Original), len(sh.Minimal), sh.Runs, sh.Property)
	b.WriteString("faults:\n")
	for _, f := range sh.Minimal {
		b.WriteString("  - " + f.YAML() + "\n")
	}
	return b.String()
}
