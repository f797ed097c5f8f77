package scenarios_test

import (
	"context"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// The rapid properties: one per safety expectation, with the fault schedule (and the
// seed) drawn by rapid, so that a failure shrinks to a minimal schedule. rapid saves a
// failing case under testdata/rapid/<test>/ and replays every file there on each run:
// commit them, and a bug once found stays tested (testdata/rapid/README.md: the workflow).

func TestMain(m *testing.M) {
	flag.Parse()
	// Each check is a whole simulated run: a dozen per property keeps `make test` quick;
	// -rapid.checks=1000 is a proper search.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set && os.Getenv("RAPID_CHECKS") == "" {
		flag.Set("rapid.checks", "12")
	}
	os.Exit(m.Run())
}

// threeHosts is three hosts, each with a redis node, a sentinel and a client; rest
// completes the scenario.
func threeHosts(t interface{ Fatal(...any) }, rest string) *scenarios.Scenario {
	s, err := scenarios.Parse("three-hosts.yaml", []byte(`name: three-hosts
about: Three hosts, each with a redis node, a sentinel and a client.
hosts:
  n1: [redis, sentinel, client]
  n2: [redis, sentinel, client]
  n3: [redis, sentinel, client]
sentinel: {quorum: 2, down-after-milliseconds: 3000, failover-timeout: 10000}
`+rest))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// base is the topology the rapid properties draw fault schedules over.
func base(t *rapid.T) *scenarios.Scenario {
	return threeHosts(t, "workload: {kind: set-add, think: 50ms}\nduration: 40s\nquiet: 20s\n")
}

// faultsOf draws up to eight faults of the given kinds on the given targets, in time
// order; every one is undone within 15 s, so the run ends healed.
func faultsOf(t *rapid.T, s *scenarios.Scenario, kinds []scenarios.FaultKind, targets []string) []scenarios.Fault {
	hosts := []string{}
	for _, h := range s.Topology.Hosts {
		hosts = append(hosts, h.Name)
	}
	ms := func(lo, hi int, label string) time.Duration {
		return time.Duration(rapid.IntRange(lo, hi).Draw(t, label)) * time.Millisecond
	}
	n := rapid.IntRange(0, 8).Draw(t, "faults")
	var out []scenarios.Fault
	for i := 0; i < n; i++ {
		f := scenarios.Fault{Kind: rapid.SampledFrom(kinds).Draw(t, "kind"), At: ms(0, 39_000, "at"), For: ms(1_000, 15_000, "for")}
		switch f.Kind {
		case scenarios.Kill, scenarios.Pause:
			f.Target = rapid.SampledFrom(targets).Draw(t, "target")
		case scenarios.ClockJump:
			f.Target = rapid.SampledFrom([]string{"n1/sentinel", "n2/sentinel", "n3/sentinel"}).Draw(t, "target")
			f.By = ms(-20_000, 20_000, "by")
		case scenarios.Partition:
			side := rapid.SliceOfNDistinct(rapid.SampledFrom(hosts), 1, 2, rapid.ID[string]).Draw(t, "side")
			f.Groups = [][]string{side, {scenarios.SelectRest}}
		case scenarios.Cut:
			f.From, f.To = []string{rapid.SampledFrom(append(hosts, scenarios.SelectMaster)).Draw(t, "from")}, []string{scenarios.SelectRest}
		case scenarios.Latency:
			f.Hosts = []string{rapid.SampledFrom(hosts).Draw(t, "host")}
			f.Dist = netmodel.Dist{Kind: netmodel.Fixed, Min: ms(1, 200, "latency")}
		case scenarios.Loss:
			f.Hosts = []string{rapid.SampledFrom(hosts).Draw(t, "host")}
			f.Rate = float64(rapid.IntRange(1, 50).Draw(t, "loss%")) / 100
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b scenarios.Fault) int { return int(a.At - b.At) })
	return out
}

var everyFault = []scenarios.FaultKind{scenarios.Partition, scenarios.Cut, scenarios.Kill, scenarios.Pause,
	scenarios.ClockJump, scenarios.Latency, scenarios.Loss}

var anyNode = []string{scenarios.SelectMaster, scenarios.SelectReplica, "n1/redis", "n2/redis", "n3/redis",
	"n1/sentinel", "n2/sentinel", "n3/sentinel"}

// check runs the drawn scenario and fails the property if the checker named does not
// pass, or is not among the run's checkers at all (a renamed checker must not turn the
// property into one that cannot fail).
func check(t *rapid.T, s *scenarios.Scenario, name string) {
	seed := rapid.Uint64Range(1, 1<<32).Draw(t, "seed")
	if err := s.Validate(); err != nil {
		t.Fatalf("drew an invalid scenario: %v", err)
	}
	run, err := scenarios.Execute(context.Background(), s, sim.Backend{}, seed, scenarios.Options{LinearizabilityLimit: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(run.Result.Checks, func(c linearize.Verdict) bool { return c.Name == name })
	if i < 0 {
		t.Fatalf("no checker called %s among the run's checks", name)
	}
	if c := run.Result.Checks[i]; c.Result != linearize.Pass {
		t.Fatalf("%s: %s\nfaults: %v", name, c.Summary, run.Result.Faults)
	}
}

func TestRapidSentinelSafety(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := base(t)
		check(t, s.WithFaults(faultsOf(t, s, everyFault, anyNode)), "sentinel-safety")
	})
}

func TestRapidLivenessAfterHeal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := base(t)
		check(t, s.WithFaults(faultsOf(t, s, everyFault, anyNode)), "liveness")
	})
}

// With faults that never touch the master or its links (replicas and sentinels killed
// or paused, sentinels' clocks jumped), no acknowledged write is lost.
func TestRapidNoLostWritesAwayFromTheMaster(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := base(t)
		away := []scenarios.FaultKind{scenarios.Kill, scenarios.Pause, scenarios.ClockJump}
		targets := []string{"n2/redis", "n3/redis", "n1/sentinel", "n2/sentinel", "n3/sentinel"}
		check(t, s.WithFaults(faultsOf(t, s, away, targets)), "lost-writes")
	})
}

// With no faults at all every checker passes, on a hundred seeds of each workload: a
// checker that cries wolf on a healthy cluster (the stale-read checker once did) fails
// here. The register's lost-write check is the one exception, and must say why: a
// register overwrites by design, so only the linearizability checker judges it. The
// seeds run in parallel, as they share nothing.
func TestNoFaultsEveryCheckerPasses(t *testing.T) {
	for _, workload := range linearize.WorkloadNames {
		t.Run(workload, func(t *testing.T) {
			t.Parallel()
			lost := " no-lost-writes," // a scenario may not expect it of a register
			if workload == "register" {
				lost = ""
			}
			s := threeHosts(t, `workload: {kind: `+workload+`, think: 20ms, keys: 2}
duration: 10s
quiet: 5s
expect:
  always: [sentinel-safety, liveness,`+lost+` linearizable, no-split-brain, no-failover]
`)
			for seed := uint64(1); seed <= 100; seed++ {
				run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, seed, scenarios.Options{})
				if err != nil {
					t.Fatal(err)
				}
				checked := 0
				for _, c := range run.Result.Checks {
					checked++
					if workload == "register" && c.Name == "lost-writes" {
						if c.Result != linearize.Inconclusive || !strings.Contains(c.Summary, "overwrites are allowed") {
							t.Errorf("seed %d: the register's lost-writes: %s: %s", seed, c.Result, c.Summary)
						}
						continue
					}
					if c.Result != linearize.Pass {
						t.Errorf("seed %d: %s %s: %s", seed, c.Name, c.Result, c.Summary)
					}
				}
				if checked != 6 {
					t.Errorf("seed %d: %d checks, want all six (safety, liveness, lost writes, linearizability, split-brain, stale reads)", seed, checked)
				}
				if !run.Result.Passed() || run.Result.AckedWrites == 0 {
					t.Errorf("seed %d: %v, %d writes acknowledged", seed, run.Result.Violations, run.Result.AckedWrites)
				}
			}
		})
	}
}

// A run whose history porcupine cannot decide within the limit says so: linearizable
// "unknown" in the result, the check undecided, and the expectation of linearizability
// not met, since it was not shown to hold.
func TestUndecidedLinearizabilityIsReportedAsUnknown(t *testing.T) {
	s := threeHosts(t, `workload: {kind: register, think: 5ms, keys: 1}
duration: 20s
quiet: 5s
expect:
  always: [linearizable]
`)
	run, err := scenarios.Execute(t.Context(), s, sim.Backend{}, 1, scenarios.Options{LinearizabilityLimit: time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	if r.Linearizable != "unknown" {
		t.Errorf("linearizable %q, want unknown", r.Linearizable)
	}
	for _, c := range r.Checks {
		if c.Name == "linearizable" && (c.Result != linearize.Inconclusive || !strings.Contains(c.Summary, "time limit")) {
			t.Errorf("the check: %s: %s", c.Result, c.Summary)
		}
	}
	if r.Passed() || len(r.Violations) != 1 || !strings.Contains(r.Violations[0], "time limit 1µs reached") {
		t.Errorf("verdict %s, violations %v; want the undecided expectation named", r.Verdict, r.Violations)
	}
}
