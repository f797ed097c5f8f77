package real_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/world"
)

// simSeeds are the simulator's runs each real run is held against.
const simSeeds = 5

// failoverSlackMs is how far a real failover time may fall outside the range of the
// simulator's seeds. From the first +sdown to +switch-master a sentinel waits for its
// peers' replies about the master (asked once a second), for a random failover-start
// delay of up to a second, and for INFO from the promoted replica (once a second when
// it is being promoted): the simulator draws these, and a handful of seeds need not
// draw the real run's.
const failoverSlackMs = 1000

// The fidelity law's test: three catalogue scenarios, in the simulator on a few seeds
// and with real processes (redis-sentinel, then gosentinel), have the same outcome:
// whether a failover happened and how many, whether acknowledged writes were lost,
// whether the run passed and converged, which anomalies it found (split-brain, from
// the node that served each operation, among them), the failover time within
// failoverSlackMs of the simulator's range. Which replica is promoted is not determined in these
// scenarios (equal priorities and, often, offsets, then the run ids decide), so only
// that a replica was promoted is compared. The six real runs go at once, each on
// addresses of its own, beside TestTutorialKillMaster.
func TestSimulatorAndRealityAgree(t *testing.T) {
	need(t)
	t.Parallel()
	bin := gosentinel(t)
	names := []string{"tutorial-kill-master", "paused-master", "partition-master-minority"}
	kinds := []string{"redis", "go"}
	// The real runs take their scenario's length, all at once; the simulator's seeds
	// run meanwhile.
	reals, errs := make([]*scenarios.Result, len(names)*len(kinds)), make([]error, len(names)*len(kinds))
	var sims [][]*scenarios.Result
	var simErr error
	concurrently(len(reals)+1, func(k int) {
		if k == len(reals) {
			sims, simErr = simulate(names)
			return
		}
		opts := real.DefaultOptions
		opts.Sentinel, opts.GoSentinel = kinds[k%len(kinds)], bin
		s, err := relocated(names[k/len(kinds)], k)
		if err == nil {
			var run *scenarios.Run
			if run, err = scenarios.Execute(context.Background(), s, real.Backend{Options: opts}, 1, scenarios.Options{}); err == nil {
				reals[k] = run.Result
			}
		}
		errs[k] = err
	})
	if simErr != nil {
		t.Fatal(simErr)
	}
	for k := range reals {
		t.Run(names[k/len(kinds)]+"/"+kinds[k%len(kinds)], func(t *testing.T) {
			if errs[k] != nil {
				t.Fatal(errs[k])
			}
			compare(t, sims[k/len(kinds)], reals[k])
		})
	}
}

// simulate runs simSeeds seeds of each scenario in the simulator.
func simulate(names []string) ([][]*scenarios.Result, error) {
	out := make([][]*scenarios.Result, len(names))
	for i, name := range names {
		for seed := uint64(1); seed <= simSeeds; seed++ {
			s, err := relocated(name, 0)
			if err != nil {
				return nil, err
			}
			run, err := scenarios.Execute(context.Background(), s, sim.Backend{}, seed, scenarios.Options{})
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], run.Result)
		}
	}
	return out, nil
}

// relocated is a catalogue scenario with its hosts on 127.0.<20+slot>.<1..>, so that
// runs of it can go at once.
func relocated(name string, slot int) (*scenarios.Scenario, error) {
	s, err := scenarios.Lookup(name)
	if err != nil {
		return nil, err
	}
	for k := range s.Topology.Hosts {
		s.Topology.Hosts[k].Addr = fmt.Sprintf("127.0.%d.%d", 20+slot, k+1)
	}
	return s, nil
}

// compare holds a real run against the simulator's seeds, logging both.
func compare(t *testing.T, sims []*scenarios.Result, r *scenarios.Result) {
	t.Helper()
	s, err := scenarios.Lookup(r.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	initial := s.Topology.InitialMaster().Name
	sim := func(f func(*scenarios.Result) any) string {
		var vs []string
		for _, s := range sims {
			vs = append(vs, fmt.Sprint(f(s)))
		}
		return strings.Join(vs, " ")
	}
	t.Logf("sim seeds 1-%d: failovers [%s], failover ms [%s], lost [%s] of acked [%s], verdict [%s], final master [%s]",
		len(sims), sim(func(s *scenarios.Result) any { return s.Failovers }),
		sim(func(s *scenarios.Result) any { return firstFailover(s) }),
		sim(func(s *scenarios.Result) any { return s.LostWrites }), sim(func(s *scenarios.Result) any { return s.AckedWrites }),
		sim(func(s *scenarios.Result) any { return s.Verdict }), sim(func(s *scenarios.Result) any { return s.FinalMaster }))
	t.Logf("real: failovers %d, failover ms %.0f, lost %d of acked %d, verdict %s, final master %s, violations %v",
		r.Failovers, firstFailover(r), r.LostWrites, r.AckedWrites, r.Verdict, r.FinalMaster, r.Violations)

	same := func(what string, f func(*scenarios.Result) any) {
		var seen []any
		for _, s := range sims {
			if v := f(s); !slices.Contains(seen, v) {
				seen = append(seen, v)
			}
		}
		if !slices.Contains(seen, f(r)) {
			t.Errorf("%s: real %v, simulator %v", what, f(r), seen)
		}
	}
	same("failovers", func(s *scenarios.Result) any { return s.Failovers })
	tail := killTail(s)
	same("acknowledged writes lost", func(s *scenarios.Result) any { return s.LostWrites > tail })
	same("verdict", func(s *scenarios.Result) any { return s.Verdict })
	same("converged", func(s *scenarios.Result) any { return s.Converged })
	// The anomalies found: split-brain among them is derived from which node served each
	// operation, which the real clients' dial hook records.
	same("found", func(s *scenarios.Result) any { return strings.Join(s.Found, ", ") })
	same("a replica promoted", func(s *scenarios.Result) any { return s.FinalMaster != "" && s.FinalMaster != initial })

	lo, hi := firstFailover(sims[0]), firstFailover(sims[0])
	for _, s := range sims {
		lo, hi = min(lo, firstFailover(s)), max(hi, firstFailover(s))
	}
	if ms := firstFailover(r); ms < lo-failoverSlackMs || ms > hi+failoverSlackMs {
		t.Errorf("failover time: real %.0f ms, simulator %.0f-%.0f ms (slack %d ms)", ms, lo, hi, failoverSlackMs)
	}
}

// killTail is how many acknowledged writes a SIGKILL of the master may cost a real run
// and never a simulated one: the writes of the master's last event-loop iteration whose
// replies went out before the replicas' stream (fidelity/README.md, "What the simulated
// node does not do"). Each client has one operation at a time, so at most one each.
func killTail(s *scenarios.Scenario) int {
	if slices.ContainsFunc(s.Faults, func(f scenarios.Fault) bool {
		return f.Kind == scenarios.Kill && f.Target == scenarios.SelectMaster
	}) {
		return len(s.Topology.OfKind(world.Client))
	}
	return 0
}

// firstFailover is the time of a run's first failover, 0 if there was none.
func firstFailover(r *scenarios.Result) float64 {
	if len(r.FailoverMs) == 0 {
		return 0
	}
	return r.FailoverMs[0]
}
