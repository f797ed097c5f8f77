package findings

import (
	"fmt"
	"strings"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

// cell finds a table's row by configuration name.
func cell(tables map[string][]row, scenario, config string) *scenarios.Summary {
	for _, r := range tables[scenario] {
		if r.Config == config {
			return r.Summary
		}
	}
	return &scenarios.Summary{}
}

func pct(s *scenarios.Summary) string { return fmt.Sprintf("%.1f%%", 100*s.LossRate) }

// report is what results/README.md is written from.
type report struct {
	tables map[string][]row
	curve  []point
	// failover is tutorial-kill-master's sweep for the failover plot.
	failover *scenarios.Summary
	jepsen   *scenarios.Summary // jepsen-2013-clients-outside
	// powerLoss and powerLossAlways are master-power-loss-everysec as catalogued and
	// with appendfsync always.
	powerLoss, powerLossAlways *scenarios.Summary
	stalemate                  *scenarios.Result
	real                       *realResults // nil when the real backend was not run
}

// readme writes results/README.md: the three findings an operator most needs, each
// linked to its evidence and the command that produced it, then the Jepsen reproduction,
// the real backend beside the simulator, and the index.
func (g *generator) readme(r report) error {
	defaults, minReplicas, wait := Configs[0], Configs[1], Configs[2]
	jepsen := cell(r.tables, "jepsen-2013-partition", defaults.Name)
	jepsenMin := cell(r.tables, "jepsen-2013-partition", minReplicas.Name)
	jepsenWait := cell(r.tables, "jepsen-2013-partition", wait.Name)
	alone := cell(r.tables, "partition-master-minority", defaults.Name)
	aloneMin := cell(r.tables, "partition-master-minority", minReplicas.Name)
	aloneWait := cell(r.tables, "partition-master-minority", wait.Name)
	wipe := cell(r.tables, "master-reboot-no-persistence", defaults.Name)
	aof := cell(r.tables, "master-reboot-no-persistence", Configs[7].Name)
	last := r.curve[len(r.curve)-1]
	var b strings.Builder
	fmt.Fprintf(&b, `# Findings

Everything here is regenerated from scratch by `+"`%s`"+`. The simulator's parts come
from fixed seeds (%d per cell): the same command gives the same numbers. Two parts measure
this machine instead: the speed plot, and the runs against real redis-server, redis-sentinel
and gosentinel processes (%s).

## What a Sentinel operator most needs to know

1. **A partition that leaves the master on the minority side loses acknowledged writes,
   and min-replicas-to-write and WAIT help only when the master is cut off from every
   replica.** With the master partitioned alone for 30 s, %s of acknowledged writes are
   lost with the defaults, %s with min-replicas-to-write 1 and min-replicas-max-lag 10 (the
   old master stops taking writes about ten seconds into the partition), and %s when
   clients count a write only once WAIT 1 confirms it. In Jepsen's split, where one replica
   stays on the master's side ({n1,n2} | {n3,n4,n5}), that replica satisfies both: %s lost
   with the defaults, %s with min-replicas-to-write, %s with WAIT 1. For a %.0f s partition
   of the master alone the loss is %.1f%% with the defaults and %.1f%% with
   min-replicas-to-write. Evidence: [configurations.md](configurations.md#partition-master-minority),
   [configurations.md](configurations.md#jepsen-2013-partition),
   [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg). Run again:

       %s
       %s

2. **A master without persistence that restarts before down-after-milliseconds wipes its
   replicas.** The sentinels never see it down, so nothing fails over; it comes back empty
   and the replicas resynchronise from it: %s of acknowledged writes lost with the defaults,
   %s with appendonly yes. appendonly yes covers a process that dies, whose writes the
   page cache keeps, but not a machine that loses power: with Redis's default appendfsync
   everysec, a master back from a power loss within down-after-milliseconds has lost what
   its last fsync had not reached, and so have the replicas that resynchronise from it:
   %d of %d acknowledged writes over %d runs of master-power-loss-everysec (%.1f a run, up
   to a second's worth), %d with appendfsync always. Evidence:
   [configurations.md](configurations.md#master-reboot-no-persistence). Run again:

       %s
       %s
       %s
       %s

3. **Sentinels can disagree about the master for good.** Two failovers in a row that bring
   the master back to an earlier address, while the first failover's leader is still
   reconfiguring replicas, leave sentinels with different masters under the same config
   epoch; hello messages only carry strictly newer epochs, so nothing resolves it. Redis
   7.0.15's code has the same gap (found in the simulator and read in sentinel.c; not yet
   reproduced against real processes, whose timing cannot be steered this finely). The
   replay's verdict: %s. Evidence: [failing-run/](failing-run/README.md), with its minimal
   fault schedule, the sentinels' event log and porcupine's annotated timeline. Run again:

       %s
`, g.plan.Command, g.plan.Seeds, r.real.summaryLine(),
		pct(alone), pct(aloneMin), pct(aloneWait), pct(jepsen), pct(jepsenMin), pct(jepsenWait),
		last.X, last.Y[defaults.Name], last.Y[minReplicas.Name],
		g.sweepCommand("partition-master-minority", defaults), g.sweepCommand("partition-master-minority", minReplicas),
		pct(wipe), pct(aof),
		r.powerLoss.LostWrites, r.powerLoss.AckedWrites, r.powerLoss.Runs,
		float64(r.powerLoss.LostWrites)/float64(max(1, r.powerLoss.Runs)), r.powerLossAlways.LostWrites,
		g.sweepCommand("master-reboot-no-persistence", defaults), g.sweepCommand("master-reboot-no-persistence", Configs[7]),
		g.sweepCommand(powerLossScenario, defaults), g.sweepCommand(powerLossScenario, fsyncAlways),
		r.stalemate.Verdict+", "+strings.Join(r.stalemate.Violations, "; "), r.stalemate.Replay)

	fmt.Fprintf(&b, `
## The Jepsen 2013 reproduction

Kingsbury's "Call me maybe: Redis" (2013) partitioned five nodes into {n1,n2} and
{n3,n4,n5} with the master on n1 and reported 56%% of acknowledged writes lost. Two
reproductions here, both with that topology, partition (from 10 s to 40 s of a 60 s run,
then a 30 s quiet period in which the clients keep writing) and the set-add workload:

| scenario | clients | lost | runs losing writes | non-linearizable |
|---|---|---|---|---|
| jepsen-2013-partition | one on each node, following the sentinels as go-redis's FailoverClient does | %s (%d of %d) | %d of %d | %d of %d |
| jepsen-2013-clients-outside | five on a host outside the partition, staying with n1 as Jepsen's did | %s (%d of %d) | %d of %d | %d of %d |

The mechanism is Jepsen's: the old master keeps acknowledging writes on its side, the
majority promotes a replica (about %.0f ms after its first +sdown), and when the partition
heals the old master becomes a replica of the new one and discards what it took meanwhile.
How much is lost follows from where the clients are. In Jepsen's test all five clients
wrote to n1 from outside the partition and only learned of the failover when the healed n1
answered READONLY, so every write of the partition was lost. jepsen-2013-clients-outside
does the same and loses a little more than the partition's share (a third) of the clients'
writing time: the writes n1 takes after the heal, until the sentinels demote it, are lost
too. With a client on each node, the three on the majority side cannot reach n1 once the
partition starts and move to the new master after the failover, so only the two minority
clients' writes are lost, about two fifths of a third. The remaining gap to 56%% is the
run's shape: here the clients also write through the 30 s quiet period after the heal,
which dilutes the loss; the share of writes made during the partition, not the mechanism,
sets the figure. Run again:

    %s
    %s
`, pct(jepsen), jepsen.LostWrites, jepsen.AckedWrites, jepsen.RunsWithLoss, jepsen.Runs, jepsen.NonLinearizable, jepsen.Runs,
		pct(r.jepsen), r.jepsen.LostWrites, r.jepsen.AckedWrites, r.jepsen.RunsWithLoss, r.jepsen.Runs, r.jepsen.NonLinearizable, r.jepsen.Runs,
		jepsen.FailoverMsMedian,
		g.sweepCommand("jepsen-2013-partition", defaults), g.sweepCommand("jepsen-2013-clients-outside", defaults))

	b.WriteString(r.real.section())

	fmt.Fprintf(&b, `
## Contents

- [configurations.md](configurations.md) and configurations.json: %s under %d
  configurations (%s): runs, acknowledged and lost writes, non-linearizable histories,
  split-brain time, failover time (median, 99th percentile), client unavailability, and
  the settings that reproduce each row.
- [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg) (and .png,
  .json with the command of every point, whose fault schedules are in plots/partitions/):
  lost-write rate against the length of a partition that isolates the master, with and
  without min-replicas-to-write.
- [plots/failover-time.svg](plots/failover-time.svg): failover times of tutorial-kill-master
  in the simulator (median %.0f ms over %d failovers)%s.
- [plots/speed-vs-cluster-size.svg](plots/speed-vs-cluster-size.svg): simulator speed
  against the number of sentinels and of redis nodes, measured on this machine.
- [failing-run/](failing-run/README.md): one failing run in full.
- [sentinel-suite.md](sentinel-suite.md): Redis's own Sentinel suite run against gosentinel
  and against redis-sentinel, side by side, per unit (written by `+"`make suite`"+`,
  which needs tcl and takes about five minutes, so not by `+"`make results`"+`).

Wall-clock times are left out of the JSON files here (`+"`wall_seconds`"+` is 0): they
measure the machine, not Sentinel, and would make every regeneration differ.
`, strings.Join(g.plan.Scenarios, ", "), len(g.plan.Configs), configNames(g.plan.Configs),
		r.failover.FailoverMsMedian, r.failover.Failovers, r.real.failoverNote())
	return g.write("README.md", b.String())
}

func configNames(cs []Config) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, "; ")
}
