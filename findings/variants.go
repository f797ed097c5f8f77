// Package findings regenerates results/: the tables, plots and reports that answer what
// people who run Sentinel ask, from sweeps in the simulator. Every number comes from
// fixed seeds, so the same command gives the same numbers (the speed plot excepted: it is
// a measurement of this machine).
package findings

import (
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// Config is one configuration the tables compare: a change to a scenario.
type Config struct {
	Name  string
	Apply func(*scenarios.Scenario)
}

// Configs are the configurations of the tables: the defaults, Redis's mitigations and
// the settings operators tune.
var Configs = []Config{
	{"defaults", func(*scenarios.Scenario) {}},
	{"min-replicas-to-write 1, max-lag 10", redisOptions("min-replicas-to-write", "1", "min-replicas-max-lag", "10")},
	{"clients WAIT 1 (100 ms)", func(s *scenarios.Scenario) {
		s.Workload.Wait, s.Workload.WaitTimeout = 1, 100*time.Millisecond
	}},
	{"down-after-milliseconds 1000", monitorOption("down-after-milliseconds", "1000")},
	{"down-after-milliseconds 3000", monitorOption("down-after-milliseconds", "3000")},
	{"down-after-milliseconds 30000", monitorOption("down-after-milliseconds", "30000")},
	{"master-reboot-down-after-period 2000", monitorOption("master-reboot-down-after-period", "2000")},
	{"appendonly yes", redisOptions("appendonly", "yes")},
}

// TableScenarios are the scenarios the configuration tables cover.
var TableScenarios = []string{"tutorial-kill-master", "jepsen-2013-partition", "partition-master-minority",
	"paused-master", "master-reboot-no-persistence"}

// variant returns a copy of s with c applied, named after both.
func variant(s *scenarios.Scenario, c Config) *scenarios.Scenario {
	v := *s
	v.Topology.Nodes = append([]world.Node(nil), s.Topology.Nodes...)
	v.Topology.Monitor = append(world.Options(nil), s.Topology.Monitor...)
	v.Faults = append([]scenarios.Fault(nil), s.Faults...)
	c.Apply(&v)
	return &v
}

// redisOptions sets redis-server options (key, value pairs) on every redis node.
func redisOptions(kv ...string) func(*scenarios.Scenario) {
	var opts world.Options
	for i := 0; i+1 < len(kv); i += 2 {
		opts = append(opts, world.Option{Key: kv[i], Value: kv[i+1]})
	}
	return func(s *scenarios.Scenario) {
		for i, n := range s.Topology.Nodes {
			if n.Kind == world.Redis {
				s.Topology.Nodes[i].Config = n.Config.With(opts)
			}
		}
	}
}

// monitorOption sets a per-master sentinel option.
func monitorOption(key, value string) func(*scenarios.Scenario) {
	return func(s *scenarios.Scenario) {
		s.Topology.Monitor = s.Topology.Monitor.With(world.Options{{Key: key, Value: value}})
	}
}

// partitionFor is the scenario's first fault, a partition, held for d and then healed,
// the run lasting until 20 s after the heal.
func partitionFor(s *scenarios.Scenario, d time.Duration) *scenarios.Scenario {
	v := variant(s, Config{"partition " + d.String(), func(v *scenarios.Scenario) {
		p := s.Faults[0]
		p.For = d
		v.Faults = []scenarios.Fault{p}
		v.Duration = p.At + d + 20*time.Second
	}})
	v.Name = s.Name + "-" + strconv.Itoa(int(d.Seconds())) + "s"
	return v
}
