package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// Plan is what Generate runs.
type Plan struct {
	Seeds, Workers int
	// LinLimit is porcupine's time limit per run.
	LinLimit time.Duration
	// Scenarios and Configs make the configuration tables; PartitionLengths the x axis
	// of the lost-writes plot; ClusterSizes the x axis of the speed plot (sentinels, then redis nodes).
	Scenarios        []string
	Configs          []Config
	PartitionLengths []time.Duration
	ClusterSizes     []int
	// Real, if set, runs scenarios on real processes too.
	Real *RealPlan
	// Command is the command line that regenerates the results, quoted in them.
	Command string
	// Progress, if set, hears about every finished sweep.
	Progress func(what string)
}

// DefaultPlan is what `make results` runs.
var DefaultPlan = Plan{Seeds: 20, Workers: runtime.NumCPU(), LinLimit: 2 * time.Second,
	Scenarios: TableScenarios, Configs: Configs,
	PartitionLengths: []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second,
		45 * time.Second, 60 * time.Second},
	ClusterSizes: []int{3, 5, 9, 17},
	Real:         &DefaultRealPlan,
	Command:      "make results"}

// generator holds what the sections of the results share.
type generator struct {
	ctx  context.Context
	dir  string
	plan Plan
	// simDefaults are the outcomes of the table scenarios with the defaults, which the
	// real processes are compared with.
	simDefaults map[string]outcomes
}

// generated are the files and folders of dir that Generate writes; it removes them first,
// so that nothing of an earlier generation survives. The rest of dir (the Sentinel suite's
// results, which scripts/sentinel-suite.sh writes) is left alone.
var generated = []string{"README.md", "configurations.md", "configurations.json", "other-scenarios.md", "other-scenarios.json",
	"real.json", "plots", "failing-run"}

// Generate writes results/ into dir from scratch.
func Generate(ctx context.Context, dir string, plan Plan) error {
	for _, name := range generated {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "plots", "partitions"), 0o755); err != nil {
		return err
	}
	g := &generator{ctx: ctx, dir: dir, plan: plan, simDefaults: map[string]outcomes{}}
	r := report{}
	var err error
	if r.tables, err = g.configurationTables(); err != nil {
		return err
	}
	if plan.Real != nil {
		if r.real, err = g.realRuns(plan.Real, r.tables); err != nil {
			return err
		}
	}
	if r.curve, err = g.lossVersusPartition(); err != nil {
		return err
	}
	if r.failover, r.failoverGroups, err = g.failoverTimes(r.real); err != nil {
		return err
	}
	if err := g.speed(); err != nil {
		return err
	}
	if r.stalemate, err = g.failingRun(); err != nil {
		return err
	}
	if r.other, err = g.otherScenarios(); err != nil {
		return err
	}
	return g.readme(r)
}

// powerLossScenario, fsyncEverysec and fsyncAlways are finding 2's power loss, with
// appendfsync everysec as catalogued and with always.
const powerLossScenario = "master-power-loss-everysec"

var (
	fsyncEverysec = Config{"appendfsync everysec (as catalogued)", nil}
	fsyncAlways   = Config{"appendfsync always", []string{"redis.appendfsync=always"}}
)

// summary sweeps a catalogued scenario under c and sums it up.
func (g *generator) summary(name string, c Config) (*scenarios.Summary, error) {
	base, err := scenarios.Lookup(name)
	if err != nil {
		return nil, err
	}
	s, err := variant(base, c)
	if err != nil {
		return nil, err
	}
	results, err := g.sweep(s)
	if err != nil {
		return nil, err
	}
	sum := scenarios.Summarize(results)[0]
	sum.WallSeconds = 0
	return sum, nil
}

// sweep runs one scenario over the plan's seeds in the simulator.
func (g *generator) sweep(s *scenarios.Scenario) ([]*scenarios.Result, error) {
	seeds := make([]uint64, g.plan.Seeds)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	results := scenarios.Sweep(g.ctx, s, sim.Backend{}, scenarios.Options{LinearizabilityLimit: g.plan.LinLimit},
		seeds, g.plan.Workers, nil)
	if err := g.ctx.Err(); err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.Error != "" {
			return nil, fmt.Errorf("%s seed %d: %s", s.Name, r.Seed, r.Error)
		}
		r.WallSeconds = 0 // a measurement of this machine: results/ holds what seeds determine
	}
	if g.plan.Progress != nil {
		g.plan.Progress(s.Name)
	}
	return results, nil
}

// row is one line of a configuration table.
type row struct {
	Config  string             `json:"config"`
	Summary *scenarios.Summary `json:"summary"`
}

// configurationTables sweeps every table scenario under every configuration and writes
// configurations.md and configurations.json.
func (g *generator) configurationTables() (map[string][]row, error) {
	tables := map[string][]row{}
	var md strings.Builder
	fmt.Fprintf(&md, "# Scenarios by configuration\n\nEach row: %d seeds (1 to %d) of the scenario in the simulator with the configuration applied to every node. Regenerate them all with `%s`.\n\n",
		g.plan.Seeds, g.plan.Seeds, g.plan.Command)
	md.WriteString(columnsNote + "\n\n")
	fmt.Fprintf(&md, "One row again: `%s` with the row's settings:\n\n", g.sweepCommand("SCENARIO", Config{}))
	for _, c := range g.plan.Configs {
		flags := strings.TrimSpace(c.setFlags())
		if flags == "" {
			flags = "(none)"
		} else {
			flags = "`" + flags + "`"
		}
		fmt.Fprintf(&md, "- %s: %s\n", c.Name, flags)
	}
	md.WriteString("\n" + rebootPeriodNote + "\n")
	for _, name := range g.plan.Scenarios {
		base, err := scenarios.Lookup(name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&md, "\n## %s\n\n%s\n\n", name, strings.TrimSpace(base.About))
		md.WriteString(tableHeader("configuration"))
		for _, c := range g.plan.Configs {
			v, err := variant(base, c)
			if err != nil {
				return nil, err
			}
			results, err := g.sweep(v)
			if err != nil {
				return nil, err
			}
			if c.Name == Configs[0].Name {
				g.simDefaults[name] = outcomesOf(results)
			}
			s := scenarios.Summarize(results)[0]
			s.WallSeconds = 0
			tables[name] = append(tables[name], row{c.Name, s})
			fmt.Fprintf(&md, "| %s | %s |\n", c.Name, summaryCells(s))
		}
	}
	if err := rebootRowsAreDefaults(tables); err != nil {
		return nil, fmt.Errorf("configurations.md: %w: update rebootPeriodNote in findings/generate.go", err)
	}
	if err := g.write("configurations.md", md.String()); err != nil {
		return nil, err
	}
	return tables, g.writeJSON("configurations.json", tables)
}

// rebootPeriodNote says why master-reboot-down-after-period leaves the tables' figures as
// they are (Redis 7.0.15's sentinel.c: the SRI_MASTER_REBOOT flag).
const rebootPeriodNote = "master-reboot-down-after-period can only change a row when a rebooted master answers -LOADING for longer than the period: a sentinel sets its reboot flag when the master's run_id changes and clears it at the master's first PONG, and only the flag held longer than the period makes the master down. No scenario of these tables has a rebooted master loading that long (master-reboot-no-persistence's comes back empty), so its rows are the defaults'."

// rebootRowsAreDefaults checks what rebootPeriodNote tells: every scenario's row with
// master-reboot-down-after-period is its row with the defaults.
func rebootRowsAreDefaults(tables map[string][]row) error {
	reboot := Configs[6].Name
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		for _, r := range tables[name] {
			if r.Config == reboot && !sameFigures(r.Summary, cell(tables, name, Configs[0].Name)) {
				return fmt.Errorf("%s: %s changes the row", name, reboot)
			}
		}
	}
	return nil
}

// sameFigures tells whether two rows hold the same figures, whatever settings named them.
func sameFigures(a, b *scenarios.Summary) bool {
	x, y := *a, *b
	x.Variant, y.Variant = "", ""
	return reflect.DeepEqual(x, y)
}

// columnsNote explains the columns of summaryCells.
const columnsNote = "Columns: runs; acknowledged writes; acknowledged writes lost (and the rate); runs that lost any; runs whose history is not linearizable (and undecided within porcupine's limit); time two nodes accepted writes as master, summed over the runs; failovers; failover time from the first +sdown to +switch-master, median and 99th percentile (\"none\" when no run failed over); the longest time no client write succeeded, median over the runs."

// summaryColumns are the headers of summaryCells.
var summaryColumns = []string{"runs", "acked", "lost (rate)", "runs with loss", "non-linearizable (undecided)",
	"split-brain", "failovers", "failover p50 / p99", "unavailable p50"}

// tableHeader is a markdown table's header: the given first columns, then summaryColumns.
func tableHeader(first ...string) string {
	cols := append(slices.Clone(first), summaryColumns...)
	return "| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n"
}

// summaryCells renders a summary as the cells of summaryColumns, every table of the
// results alike.
func summaryCells(s *scenarios.Summary) string {
	return fmt.Sprintf("%d | %d | %d (%.2f%%) | %d | %d (%d) | %.1f s | %d | %s | %.0f ms",
		s.Runs, s.AckedWrites, s.LostWrites, 100*s.LossRate, s.RunsWithLoss, s.NonLinearizable,
		s.Undecided, s.SplitBrainMs/1000, s.Failovers, failoverCell(s), s.UnavailableMsMed)
}

// failoverCell is a table's failover time: median and 99th percentile, or none.
func failoverCell(s *scenarios.Summary) string {
	if s.Failovers == 0 {
		return "none"
	}
	return fmt.Sprintf("%.0f / %.0f ms", s.FailoverMsMedian, s.FailoverMsP99)
}

// sweepCommand is the command that runs one cell of the results again: the scenario
// under c, over the plan's seeds, with its linearizability limit.
func (g *generator) sweepCommand(scenario string, c Config, extra ...string) string {
	cmd := fmt.Sprintf("go run ./cmd/sentinelsim sweep --scenario %s --seeds %d --lin-limit %s", scenario, g.plan.Seeds, g.plan.LinLimit)
	for _, e := range extra {
		cmd += " " + e
	}
	return cmd + c.setFlags()
}

func (g *generator) write(name, content string) error {
	return os.WriteFile(filepath.Join(g.dir, name), []byte(content), 0o644)
}

func (g *generator) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return g.write(name, string(b)+"\n")
}

// failingRun replays the equal-epoch stalemate, the shrunk schedule a sweep found, with
// its whole trace, and keeps its artifacts.
func (g *generator) failingRun() (*scenarios.Result, error) {
	f := scenarios.EqualEpochStalemate
	s, err := f.Scenario()
	if err != nil {
		return nil, err
	}
	b := sim.Backend{Options: sim.Options{Kernel: kernel.Options{KeepTrace: true}}}
	run, err := scenarios.Execute(g.ctx, s, b, f.Seed, scenarios.Options{LinearizabilityLimit: g.plan.LinLimit})
	if err != nil {
		return nil, err
	}
	run.Result.WallSeconds = 0 // as in every result here: what the seed determines, nothing of this machine
	dir := filepath.Join(g.dir, "failing-run")
	if err := run.WriteArtifacts(dir, s, g.plan.LinLimit); err != nil {
		return nil, err
	}
	// The trace is long and the hash in result.json pins it; keep the rest.
	if err := os.Remove(filepath.Join(dir, "trace.txt")); err != nil {
		return nil, err
	}
	events, err := os.ReadFile(filepath.Join(dir, "events.log"))
	if err != nil {
		return nil, err
	}
	if err := stalemateStory(string(events)); err != nil {
		return nil, fmt.Errorf("results/failing-run: the README's account no longer matches the run's events (%v): update it in findings/generate.go", err)
	}
	readme := fmt.Sprintf(`# A failing run in full: the sentinels disagree for good

Found by a 100-seed sweep of %s (seed %d) and shrunk from 12 faults to the %d below
with `+"`sentinelsim shrink`"+`. Replay it with

    go run ./cmd/sentinelsim run --scenario %s --faults %s --seed %d --out failing-run

What happens (see events.log): two failovers in a row move the master from 127.0.0.1 to
127.0.0.2 (epoch 4, led by n2) and back to 127.0.0.1 (epoch 5, led by n3) while n2 is still
reconfiguring replicas for the first. n2 takes epoch 5 from the hello messages but does not
switch, since the address is the one it already has for the master; then its own failover
ends on timeout and it switches to 127.0.0.2, now with config epoch 5. Hello messages only
carry a configuration across when its epoch is strictly greater, so n1 and n3 (127.0.0.1,
epoch 5) and n2 (127.0.0.2, epoch 5) never converge: the liveness check fails at its
deadline with "the sentinels disagree on the master". Redis 7.0.15's sentinel.c does the
same: sentinelProcessHelloMessage wants master_config_epoch greater than the master's, and
sentinelFailoverSwitchToPromotedSlave does not look at epochs.

Faults (times from the start of the run):

%s
Verdict: %s. Violations: %s.

Files: result.json (the run, its checks and their evidence), history.json (every client
operation), events.log (every Sentinel event), timeline.html (porcupine's view of the
history with the faults and +odown / +switch-master marked).
`, f.Base, f.Seed, len(s.Faults), f.Base, f.FaultsFile(), f.Seed, faultList(s.Faults), run.Result.Verdict, strings.Join(run.Result.Violations, "; "))
	return run.Result, os.WriteFile(filepath.Join(dir, "README.md"), []byte(readme), 0o644)
}

// stalemateStory checks the events of the failing run against what its README tells:
// the last two elections are n2's (epoch 4) and n3's (epoch 5), and n2's failover then
// ends on timeout and switches to 127.0.0.2.
func stalemateStory(events string) error {
	var leaders []string
	lastEpoch := ""
	timedOut := false
	for _, line := range strings.Split(events, "\n") {
		f := strings.Fields(line) // time, node, event...
		if len(f) < 3 {
			continue
		}
		node := f[1]
		switch {
		case strings.Contains(line, "+elected-leader"):
			leaders = append(leaders, node)
		case strings.Contains(line, "+new-epoch "):
			lastEpoch = line[strings.LastIndexByte(line, ' ')+1:]
		case strings.Contains(line, "+failover-end-for-timeout") && node == "n2/sentinel":
			timedOut = true
		case timedOut && node == "n2/sentinel" && strings.Contains(line, "+switch-master mymaster 127.0.0.1 6379 127.0.0.2 6379"):
			if len(leaders) < 2 || leaders[len(leaders)-2] != "n2/sentinel" || leaders[len(leaders)-1] != "n3/sentinel" || lastEpoch != "5" {
				return fmt.Errorf("leaders %v, last epoch %s", leaders, lastEpoch)
			}
			return nil
		}
	}
	return errors.New("n2 never ended its failover on timeout and switched to 127.0.0.2")
}

func faultList(faults []scenarios.Fault) string {
	var b strings.Builder
	for _, f := range faults {
		fmt.Fprintf(&b, "    %s\n", f.YAML())
	}
	return b.String()
}
