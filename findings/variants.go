// Package findings regenerates results/: the tables, plots and reports that answer what
// people who run Sentinel ask, from sweeps in the simulator. Every number comes from
// fixed seeds, so the same command gives the same numbers (the speed plot excepted: it is
// a measurement of this machine).
package findings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

// Config is one configuration the tables compare: settings applied to a scenario, as
// `sentinelsim run --set` applies them, so that every cell can be run again by hand.
type Config struct {
	Name     string
	Settings []string
}

// Configs are the configurations of the tables: the defaults, Redis's mitigations and
// the settings operators tune. The first is the scenarios as catalogued: no persistence,
// no min-replicas-to-write, no master-reboot-down-after-period, clients without WAIT.
var Configs = []Config{
	{"defaults (appendonly no, reboot period off)", nil},
	{"min-replicas-to-write 1, max-lag 10", []string{"redis.min-replicas-to-write=1", "redis.min-replicas-max-lag=10"}},
	{"clients WAIT 1 (100 ms)", []string{"workload.wait=1", "workload.wait-timeout=100ms"}},
	{"down-after-milliseconds 1000", []string{"sentinel.down-after-milliseconds=1000"}},
	{"down-after-milliseconds 3000", []string{"sentinel.down-after-milliseconds=3000"}},
	{"down-after-milliseconds 30000", []string{"sentinel.down-after-milliseconds=30000"}},
	{"master-reboot-down-after-period 2000 (on)", []string{"sentinel.master-reboot-down-after-period=2000"}},
	{"appendonly yes (on)", []string{"redis.appendonly=yes"}},
}

// TableScenarios are the scenarios the configuration tables cover.
var TableScenarios = []string{"tutorial-kill-master", "jepsen-2013-partition", "partition-master-minority",
	"paused-master", "master-reboot-no-persistence"}

// variant returns s under c.
func variant(s *scenarios.Scenario, c Config) (*scenarios.Scenario, error) {
	v, err := s.WithSettings(c.Settings...)
	if err != nil {
		return nil, fmt.Errorf("configuration %q: %w", c.Name, err)
	}
	return v, nil
}

// setFlags are c's settings as command-line flags.
func (c Config) setFlags() string {
	var b strings.Builder
	for _, s := range c.Settings {
		b.WriteString(" --set " + s)
	}
	return b.String()
}

// partitionFor is the scenario's first fault, a partition, held for d and then healed,
// the run lasting until 20 s after the heal.
func partitionFor(s *scenarios.Scenario, d time.Duration) (*scenarios.Scenario, error) {
	p := s.Faults[0]
	p.For = d
	v, err := s.WithFaults([]scenarios.Fault{p}).WithSettings("duration=" + (p.At + d + 20*time.Second).String())
	if err != nil {
		return nil, err
	}
	v.Name = s.Name + "-" + strconv.Itoa(int(d.Seconds())) + "s"
	return v, nil
}
