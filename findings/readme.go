package findings

import (
	"fmt"
	"slices"
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

// readme writes results/README.md: the three findings an operator most needs, each
// linked to its evidence, then the Jepsen reproduction and the index.
func (g *generator) readme(tables map[string][]row, curve []point, failover []float64, stalemate *scenarios.Result) error {
	jepsen := cell(tables, "jepsen-2013-partition", "defaults")
	jepsenMin := cell(tables, "jepsen-2013-partition", Configs[1].Name)
	jepsenWait := cell(tables, "jepsen-2013-partition", Configs[2].Name)
	alone := cell(tables, "partition-master-minority", "defaults")
	aloneMin := cell(tables, "partition-master-minority", Configs[1].Name)
	aloneWait := cell(tables, "partition-master-minority", Configs[2].Name)
	wipe := cell(tables, "master-reboot-no-persistence", "defaults")
	aof := cell(tables, "master-reboot-no-persistence", "appendonly yes")
	last := curve[len(curve)-1]
	var b strings.Builder
	fmt.Fprintf(&b, `# Findings

Everything here is regenerated from scratch by `+"`%s`"+`, in the simulator, from fixed
seeds (%d per cell): the same command gives the same numbers, except the speed plot, which
measures this machine. The real backend (real redis-server and redis-sentinel) runs the same
scenarios with `+"`sentinelsim run --backend real`"+`; comparisons with it are to come.

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
   [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg).
2. **A master without persistence that restarts before down-after-milliseconds wipes its
   replicas.** The sentinels never see it down, so nothing fails over; it comes back empty
   and the replicas resynchronise from it: %s of acknowledged writes lost with the defaults,
   %s with appendonly yes. Evidence:
   [configurations.md](configurations.md#master-reboot-no-persistence).
3. **Sentinels can disagree about the master for good.** Two failovers in a row that bring
   the master back to an earlier address, while the first failover's leader is still
   reconfiguring replicas, leave sentinels with different masters under the same config
   epoch; hello messages only carry strictly newer epochs, so nothing resolves it. Redis
   7.0.15's code has the same gap. The replay's verdict: %s. Evidence:
   [failing-run/](failing-run/README.md), with its minimal fault schedule, the sentinels'
   event log and porcupine's annotated timeline.

## The Jepsen 2013 reproduction

Kingsbury's "Call me maybe: Redis" (2013) partitioned five nodes into {n1,n2} and
{n3,n4,n5} with the master on n1 and reported 56%% of acknowledged writes lost. Here, with
the same topology, partition and set-add workload (one client per node, 100 ms between
operations, the partition from 10 s to 40 s of a 60 s run), %d seeds lose %s (%d of %d
acknowledged writes; %d of %d runs lose writes; %d of %d histories are not linearizable).

The mechanism is Jepsen's: the old master keeps acknowledging the minority's writes, the
majority promotes a replica (about %.0f ms after its first +sdown), and when the partition
heals the old master becomes a replica of the new one and discards what it took meanwhile.
The number is not expected to match. It follows from the share of clients on the minority
side (two of five here), the partition's share of the run (half here) and how soon the
majority's clients find the new master (they ask the sentinels, as go-redis's
FailoverClient does); Jepsen's 2013 figure came from its own clients, Redis 2.6's Sentinel
and its own test length.

## Contents

- [configurations.md](configurations.md) and configurations.json: %s under %d
  configurations (defaults; min-replicas-to-write 1 with max-lag 10; clients using WAIT 1;
  down-after-milliseconds 1000, 3000 and 30000; master-reboot-down-after-period; appendonly
  yes): runs, acknowledged and lost writes, non-linearizable histories, split-brain time,
  failover time (median, 99th percentile), client unavailability.
- [plots/lost-writes-vs-partition.svg](plots/lost-writes-vs-partition.svg) (and .png,
  .json): lost-write rate against the length of a partition that isolates the master, with
  and without min-replicas-to-write.
- [plots/failover-time.svg](plots/failover-time.svg): failover times of tutorial-kill-master
  in the simulator (median %.0f ms over %d failovers).
- [plots/speed-vs-sentinels.svg](plots/speed-vs-sentinels.svg): simulator speed against the
  number of sentinels.
- [failing-run/](failing-run/README.md): one failing run in full.
- [sentinel-suite.md](sentinel-suite.md): Redis's own Sentinel suite run against gosentinel
  and against redis-sentinel, side by side (written by `+"`scripts/sentinel-suite.sh`"+`, which
  needs tcl and takes about five minutes, so not by `+"`make results`"+`).

Still to come: failover times of real gosentinel and redis-sentinel beside the simulator's,
and the real backend's columns in the tables.
`, g.plan.Command, g.plan.Seeds,
		pct(alone), pct(aloneMin), pct(aloneWait), pct(jepsen), pct(jepsenMin), pct(jepsenWait),
		last.X, last.Y[Configs[0].Name], last.Y[Configs[1].Name],
		pct(wipe), pct(aof),
		stalemate.Verdict+", "+strings.Join(stalemate.Violations, "; "),
		jepsen.Runs, pct(jepsen), jepsen.LostWrites, jepsen.AckedWrites, jepsen.RunsWithLoss, jepsen.Runs,
		jepsen.NonLinearizable, jepsen.Runs, jepsen.FailoverMsMedian,
		strings.Join(g.plan.Scenarios, ", "), len(g.plan.Configs),
		median(failover), len(failover))
	return g.write("README.md", b.String())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
