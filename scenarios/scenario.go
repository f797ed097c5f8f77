// Package scenarios defines what a scenario is — a topology, its configuration, a
// workload, faults, a duration and a quiet period, and expectations — and holds the
// catalogue. Scenarios are written in Go or in YAML files; `go test ./scenarios` runs the
// catalogue in the simulator.
package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/world"
)

// Scenario is one experiment, runnable in any world.
type Scenario struct {
	Name     string
	About    string
	Topology world.Topology
	Workload Workload
	// Faults is the explicit fault timeline, in order of At.
	Faults []Fault
	// Random, when set, draws a further fault schedule from the seed.
	Random *RandomFaults
	// Duration is how long the clients run while faults happen; Quiet is the time after
	// it, with every fault healed, in which the cluster must recover (liveness).
	Duration time.Duration
	Quiet    time.Duration
	Expect   Expect
	// Seeds is how many seeds `go test ./scenarios` runs by default.
	Seeds int
	// Source says where the scenario was defined: "catalogue" or "file.yaml"; FaultsFile
	// names the fault schedule file that replaced its faults, if one did.
	Source     string
	FaultsFile string
	// Settings are the command line's changes to the scenario (see WithSettings).
	Settings []string
}

// Workload says what the clients do.
type Workload struct {
	// Kind names a workload of package linearize: set-add, register, counter, list-append.
	Kind string
	// Think is the pause after each operation; Timeout is an operation's deadline, after
	// which its outcome is indeterminate.
	Think, Timeout time.Duration
	// Keys is how many keys the register and list-append workloads spread over.
	Keys int
	// Wait, when above zero, makes clients send WAIT Wait WaitTimeout after every write
	// and count the write as acknowledged only if enough replicas confirmed it.
	Wait        int
	WaitTimeout time.Duration
	// RoleCheck makes clients confirm a discovered master with ROLE; FollowSwitch makes
	// them subscribe to +switch-master. The defaults are go-redis v9's FailoverClient:
	// no ROLE check, and +switch-master followed.
	RoleCheck    bool
	FollowSwitch bool
}

// DefaultWorkload is Jepsen's 2013 client: set-add, 100 ms between operations.
var DefaultWorkload = Workload{Kind: "set-add", Think: 100 * time.Millisecond, Timeout: time.Second,
	Keys: 1, WaitTimeout: time.Second, FollowSwitch: true}

// Workloads are the workload kinds a scenario may name.
var Workloads = []string{"set-add", "register", "counter", "list-append"}

// DefaultRedis are the redis-server options every world applies before the scenario's
// own: no persistence unless a scenario asks for it, no five-second wait before a full
// sync (DESIGN.md: "The real world"), and no protected mode, which without a password
// refuses every client but 127.0.0.1, replicas and sentinels on other hosts included.
var DefaultRedis = world.Options{{Key: "save", Value: `""`}, {Key: "appendonly", Value: "no"},
	{Key: "repl-diskless-sync-delay", Value: "0"}, {Key: "protected-mode", Value: "no"}}

// Validate reports a scenario that cannot run. The error says what it is about (see
// fieldError), so that a scenario file's error names the line.
func (s *Scenario) Validate() error {
	if s.Name == "" {
		return invalid("name", "the scenario has no name")
	}
	if err := s.Topology.Validate(); err != nil {
		field := "hosts"
		var te *world.TopologyError
		if errors.As(err, &te) && te.Host != "" {
			field = "hosts." + te.Host
		} else if errors.As(err, &te) && te.Setting != "nodes" {
			field = te.Setting
		}
		return &fieldError{field: field, err: err}
	}
	if !contains(Workloads, s.Workload.Kind) {
		return invalid("workload", "unknown workload %q (known: %v)", s.Workload.Kind, Workloads)
	}
	if s.Duration <= 0 {
		return invalid("duration", "duration must be positive")
	}
	if s.Quiet < 0 {
		return invalid("quiet", "quiet must not be negative")
	}
	for i, f := range s.Faults {
		field := "faults." + strconv.Itoa(i+1)
		if f.At < 0 || f.At > s.Duration {
			return invalid(field, "fault %d (%s) at %v is outside the run's duration %v", i+1, f.Kind, f.At, s.Duration)
		}
		if err := f.Validate(s.Topology); err != nil {
			return invalid(field, "fault %d (%s at %v): %w", i+1, f.Kind, f.At, err)
		}
	}
	if s.Random != nil {
		if err := s.Random.Validate(); err != nil {
			return &fieldError{field: "random", err: err}
		}
	}
	if err := s.Expect.Validate(); err != nil {
		return &fieldError{field: "expect", err: err}
	}
	// The register overwrites its values, so no final read can tell a lost write.
	if s.Workload.Kind == "register" {
		for _, p := range append(append([]string{}, s.Expect.Always...), s.Expect.Finds...) {
			if p == "lost-writes" || p == "no-lost-writes" {
				return invalid("expect", "expectation %s needs a workload whose writes all stay visible (set-add, counter, list-append), not register", p)
			}
		}
	}
	return nil
}

// A fieldError is a reason Validate rejects a scenario, with the part of the scenario it
// is about, named as a scenario file's keys are: "duration", "hosts.n1", "faults.3",
// "quorum".
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func invalid(field, format string, args ...any) error {
	return &fieldError{field: field, err: fmt.Errorf(format, args...)}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
