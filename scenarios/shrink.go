package scenarios

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sentinelsim/sentinelsim/world"
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

	backend Backend // for the replay command
}

// Shrink minimises the fault schedule of a failing run. The seed's schedule (explicit
// faults and those drawn at random) becomes an explicit list; faults are removed, in
// halves and then one by one, as long as the run still breaks the same expectation: the
// delta-debugging of Zeller's ddmin, as rapid and Hypothesis shrink their inputs.
//
// Two rules keep the minimal schedule showing the original failure and no other. An
// entry that undoes a fault (a heal, a restart, a resume) is never removed while a fault
// it may undo stays: without its heal a partition would last to the end, and the run
// would break liveness for a reason the original did not have. And a candidate counts
// as failing only if it breaks the original's expectation and none that the original
// kept.
func Shrink(ctx context.Context, s *Scenario, b Backend, seed uint64, opts Options, progress func(tried, kept int)) (*Shrunk, error) {
	first, err := Execute(ctx, s, b, seed, opts)
	if err != nil {
		return nil, err
	}
	if first.Result.Passed() {
		return nil, fmt.Errorf("%s seed %d passes: there is no failure to shrink", s.Name, seed)
	}
	prop := property(first.Result.Violations[0])
	broken := map[string]bool{}
	for _, v := range first.Result.Violations {
		broken[property(v)] = true
	}
	sh := &Shrunk{Scenario: s, Seed: seed, Property: prop, Original: s.Schedule(seed), Runs: 1, Result: first.Result,
		backend: b}
	fails := func(faults []Fault) (bool, error) {
		sh.Runs++
		run, err := Execute(ctx, s.WithFaults(faults), b, seed, opts)
		if err != nil {
			return false, err
		}
		vs := run.Result.Violations
		same := slices.ContainsFunc(vs, func(v string) bool { return property(v) == prop }) &&
			!slices.ContainsFunc(vs, func(v string) bool { return !broken[property(v)] })
		if same {
			sh.Result = run.Result
		}
		if progress != nil {
			progress(sh.Runs, len(faults))
		}
		return same, nil
	}
	current := sh.Original
	for chunk := len(current) / 2; chunk >= 1; chunk /= 2 {
		for start := 0; start < len(current); {
			end := min(start+chunk, len(current))
			candidate := withoutChunk(s.Topology, current, start, end)
			if len(candidate) == len(current) {
				start = end // the chunk holds only undos that faults outside it need
				continue
			}
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

// withoutChunk is faults without faults[start:end], except for the undo entries in the
// chunk that a fault left in the schedule may need.
func withoutChunk(t world.Topology, faults []Fault, start, end int) []Fault {
	var out []Fault
	for i, f := range faults {
		if i < start || i >= end {
			out = append(out, f)
			continue
		}
		for j, g := range faults[:i] {
			if (j < start || j >= end) && undoes(t, f, g) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// undoes reports whether the entry u, later in a schedule than the fault f, may end it:
// a heal ends partitions and cuts, a restart a kill, a resume a pause, when they may act
// on the same hosts or nodes (selectors resolve only at run time, so they may).
func undoes(t world.Topology, u, f Fault) bool {
	switch u.Kind {
	case Heal:
		if f.Kind != Partition && f.Kind != Cut {
			return false
		}
		if len(u.Hosts) == 0 {
			return true
		}
		named := append(append(slices.Concat(f.Groups...), f.From...), f.To...)
		return slices.ContainsFunc(named, func(h string) bool {
			return h == SelectMaster || h == SelectRest || slices.Contains(u.Hosts, h)
		})
	case Restart:
		return f.Kind == Kill && sameTargets(t, u.Target, f.Target)
	case Resume:
		return f.Kind == Pause && sameTargets(t, u.Target, f.Target)
	}
	return false
}

// sameTargets reports whether two process-fault targets may name a common node.
func sameTargets(t world.Topology, a, b string) bool {
	selector := func(x string) bool { return x == SelectMaster || x == SelectReplica }
	if a == b || selector(a) || selector(b) {
		return true
	}
	hostOf := func(x string) string {
		if n, ok := t.Node(x); ok {
			return n.Host
		}
		return x
	}
	_, aHost := t.Host(a)
	_, bHost := t.Host(b)
	return (aHost || bHost) && hostOf(a) == hostOf(b)
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

// YAML writes the minimal schedule as a fault schedule file, which ParseFaults reads.
// When the file is to be saved as faultsFile, its header ends with the command that
// replays it.
func (sh *Shrunk) YAML(faultsFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s seed %d, shrunk from %d faults to %d in %d runs; it still breaks %s.\n",
		sh.Scenario.Name, sh.Seed, len(sh.Original), len(sh.Minimal), sh.Runs, sh.Property)
	if faultsFile != "" {
		fmt.Fprintf(&b, "# replay: %s\n", sh.Replay(faultsFile))
	}
	b.WriteString("faults:\n")
	for _, f := range sh.Minimal {
		b.WriteString("  - " + f.YAML() + "\n")
	}
	return b.String()
}

// Replay is the command that runs the minimal schedule, saved as faultsFile, on the
// shrunk seed: the scenario named as it was loaded (catalogue name or file), with
// --faults.
func (sh *Shrunk) Replay(faultsFile string) string {
	s := sh.Scenario.WithFaults(sh.Minimal)
	s.FaultsFile = faultsFile
	return s.ReplayCommand(sh.Seed, sh.backend)
}
