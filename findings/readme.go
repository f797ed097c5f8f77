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
	// failover is tutorial-kill-master's sweep for the failover plot, failoverGroups
	// the plot's boxes.
	failover       *scenarios.Summary
	failoverGroups []failoverGroup
	// other holds jepsen-2013-clients-outside and master-power-loss-everysec.
	other     *otherScenarios
	stalemate *scenarios.Result
	real      *realResults // nil when the real backend was not run
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
	powerLoss, powerLossAlways := r.other.find(powerLossScenario, fsyncEverysec), r.other.find(powerLossScenario, fsyncAlways)
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
   [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg). Run again,
   the master alone for 30 s, with the defaults, min-replicas-to-write and WAIT 1:

       %s
       %s
       %s

   Jepsen's split, the same three:

       %s
       %s
       %s

   The master alone for %.0f s, with the defaults and min-replicas-to-write:

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
   [configurations.md](configurations.md#master-reboot-no-persistence),
   [other-scenarios.md](other-scenarios.md#master-power-loss-everysec). Run again:

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
		g.sweepCommand("partition-master-minority", wait),
		g.sweepCommand("jepsen-2013-partition", defaults), g.sweepCommand("jepsen-2013-partition", minReplicas),
		g.sweepCommand("jepsen-2013-partition", wait),
		last.X, last.Commands[defaults.Name], last.Commands[minReplicas.Name],
		pct(wipe), pct(aof),
		powerLoss.LostWrites, powerLoss.AckedWrites, powerLoss.Runs,
		float64(powerLoss.LostWrites)/float64(max(1, powerLoss.Runs)), powerLossAlways.LostWrites,
		g.sweepCommand("master-reboot-no-persistence", defaults), g.sweepCommand("master-reboot-no-persistence", Configs[7]),
		g.sweepCommand(powerLossScenario, fsyncEverysec), g.sweepCommand(powerLossScenario, fsyncAlways),
		r.stalemate.Verdict+", "+strings.Join(r.stalemate.Violations, "; "), r.stalemate.Replay)

	b.WriteString(g.jepsenSection(r, jepsen))

	b.WriteString(r.real.section())

	fmt.Fprintf(&b, `
## Contents

- [configurations.md](configurations.md) and configurations.json: %s under %d
  configurations (%s): runs, acknowledged and lost writes, non-linearizable histories,
  split-brain time, failover time (median, 99th percentile), client unavailability, and
  the settings that reproduce each row. %s
- [other-scenarios.md](other-scenarios.md) and other-scenarios.json: the scenarios quoted
  here that the tables do not cover (jepsen-2013-clients-outside, %s with appendfsync
  everysec and always), with the same columns, and when jepsen-2013-clients-outside's lost
  writes were made.
- [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg) (and .png,
  .json with the command of every point, whose fault schedules are in plots/partitions/):
  lost-write rate against the length of a partition that isolates the master, with and
  without min-replicas-to-write.
- [plots/failover-time.svg](plots/failover-time.svg): failover times of tutorial-kill-master
  in the simulator (median %.0f ms over %d failovers)%s. %s
- [plots/speed-vs-cluster-size.svg](plots/speed-vs-cluster-size.svg): simulator speed
  against the number of sentinels and of redis nodes, measured on this machine.
- [failing-run/](failing-run/README.md): one failing run in full.
- [sentinel-suite.md](sentinel-suite.md): Redis's own Sentinel suite run against gosentinel
  and against redis-sentinel, side by side, per unit (written by `+"`make suite`"+`,
  which needs tcl and takes about five minutes, so not by `+"`make results`"+`).

Wall-clock times are left out of the JSON files here (`+"`wall_seconds`"+` is 0): they
measure the machine, not Sentinel, and would make every regeneration differ.
`, strings.Join(g.plan.Scenarios, ", "), len(g.plan.Configs), configNames(g.plan.Configs), rebootPeriodNote, powerLossScenario,
		r.failover.FailoverMsMedian, r.failover.Failovers, r.real.failoverNote(), failoverModes(r.failoverGroups))
	return g.write("README.md", b.String())
}

func configNames(cs []Config) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, "; ")
}

// jepsenSection is README.md's account of the Jepsen 2013 reproduction: what the post
// reports, as far as it was checked, and the share of writes lost here by when they were
// made, from the runs' histories.
func (g *generator) jepsenSection(r report, split *scenarios.Summary) string {
	outside := r.other.find(jepsenOutside, Configs[0])
	wt := r.other.JepsenWrites
	heal := wt.PartitionFromS + wt.PartitionS
	whole := wt.Windows[len(wt.Windows)-1]
	var b strings.Builder
	fmt.Fprintf(&b, `
## The Jepsen 2013 reproduction

Kingsbury's "Call me maybe: Redis" (aphyr.com/posts/283-jepsen-redis, 2013) ran five
nodes with the primary on n1 and all five clients writing to it, partitioned them into
{n1,n2} and {n3,n4,n5}, and reports "Redis losing 56%% of writes during a partition": the
writes n1 took in the partition were discarded when it was demoted. The parts of the post
checked for these results do not give how long its run and its partition lasted, so which
window of a run here its 56%% corresponds to is not known. Two reproductions here, with
that topology and the set-add workload; the partition holds from %.0f s to %.0f s, and
the clients write until the sentinels are seen to agree after the heal or until the %.0f s
quiet period after the %.0f s fault schedule has passed, whichever is later:

| scenario | clients | lost | runs losing writes | non-linearizable |
|---|---|---|---|---|
| jepsen-2013-partition | one on each node, following the sentinels as go-redis's FailoverClient does | %s (%d of %d) | %d of %d | %d of %d |
| jepsen-2013-clients-outside | five on a host outside the partition, staying with n1 as Jepsen's did | %s (%d of %d) | %d of %d | %d of %d |

The mechanism is Jepsen's: the old master keeps acknowledging writes on its side, the
majority promotes a replica (about %.0f ms after its first +sdown), and when the partition
heals the old master becomes a replica of the new one and discards what it took meanwhile.
How much is lost follows from where the clients are and how long they write. With
Jepsen's clients (jepsen-2013-clients-outside), the lost writes were invoked from %.1f s
to %.1f s: n1 took them during the partition and after the heal, until the sentinels
demoted it (the last of them was invoked %.1f s after the heal). The clients wrote for %.1f s on average, of
which the partition is %.0f%%, so the share lost is set by how long a run goes on after
the heal. Of the acknowledged writes invoked`, wt.PartitionFromS, heal, wt.QuietS, wt.ScheduleS,
		pct(split), split.LostWrites, split.AckedWrites, split.RunsWithLoss, split.Runs, split.NonLinearizable, split.Runs,
		pct(outside), outside.LostWrites, outside.AckedWrites, outside.RunsWithLoss, outside.Runs, outside.NonLinearizable, outside.Runs,
		split.FailoverMsMedian, wt.FirstLostS, wt.LastLostS, wt.LastLostS-heal, wt.WritingS, 100*wt.PartitionS/wt.WritingS)
	for _, w := range wt.Windows[:len(wt.Windows)-1] {
		fmt.Fprintf(&b, "\nin the first %.0f s, %.1f%% were lost;", w.BeforeS, 100*w.Rate)
	}
	fmt.Fprintf(&b, `
over the whole run, %.1f%%
([other-scenarios.md](other-scenarios.md#when-jepsen-2013-clients-outsides-lost-writes-were-made)).
With a client on each node (jepsen-2013-partition), the three on the majority side cannot
reach n1 once the partition starts and move to the new master after the failover, so only
the two minority clients' writes are lost. Run again:

    %s
    %s
`, 100*whole.Rate, g.sweepCommand("jepsen-2013-partition", Configs[0]), g.sweepCommand(jepsenOutside, Configs[0]))
	return b.String()
}
