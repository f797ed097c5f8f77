package findings

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// lossWindow counts the acknowledged writes invoked before BeforeS seconds of the run
// (every write when BeforeS is 0) and those of them lost.
type lossWindow struct {
	BeforeS float64 `json:"invoked_before_s"`
	Acked   int     `json:"acked"`
	Lost    int     `json:"lost"`
	Rate    float64 `json:"loss_rate"`
}

// name is how the results call the window.
func (w lossWindow) name() string {
	if w.BeforeS == 0 {
		return "the whole run"
	}
	return fmt.Sprintf("%.0f s", w.BeforeS)
}

// writeTimes is when a scenario's lost writes were made, summed over its seeds. Times are
// seconds from the start of the scenario's clock.
type writeTimes struct {
	// Windows are the loss over the writes made before each of the scenario's marks: the
	// end of its fault schedule, the end of its quiet period, and the whole run.
	Windows []lossWindow `json:"windows"`
	// FirstLostS and LastLostS bound the invocations of the lost writes over every seed.
	FirstLostS float64 `json:"first_lost_s"`
	LastLostS  float64 `json:"last_lost_s"`
	// WritingS is the clients' writing time, from the start to the last write invoked,
	// averaged over the seeds.
	WritingS float64 `json:"writing_s"`
	// The partition held for PartitionS from PartitionFromS; the fault schedule lasts
	// ScheduleS and the quiet period after it QuietS.
	PartitionFromS float64 `json:"partition_from_s"`
	PartitionS     float64 `json:"partition_s"`
	ScheduleS      float64 `json:"schedule_s"`
	QuietS         float64 `json:"quiet_s"`
}

// seedTimes is one run's part of writeTimes.
type seedTimes struct {
	acked, lost         []int // per window
	hasLoss             bool
	firstLost, lastLost float64
	writing             float64
	result              *scenarios.Result
}

// lostWriteTimes runs the scenario over the plan's seeds, keeping their histories, and
// sums up both the runs and when their lost writes were made.
func (g *generator) lostWriteTimes(s *scenarios.Scenario) (*scenarios.Summary, *writeTimes, error) {
	marks := []float64{s.Duration.Seconds(), (s.Duration + s.Quiet).Seconds(), 0}
	per := make([]*seedTimes, g.plan.Seeds)
	errs := make([]error, g.plan.Seeds)
	seeds := make(chan int)
	var wg sync.WaitGroup
	for range max(1, g.plan.Workers) {
		wg.Go(func() {
			for i := range seeds {
				per[i], errs[i] = g.seedTimes(s, uint64(i+1), marks)
			}
		})
	}
	for i := range per {
		seeds <- i
	}
	close(seeds)
	wg.Wait()
	if err := g.ctx.Err(); err != nil {
		return nil, nil, err
	}
	from, length := firstPartition(s)
	wt := &writeTimes{PartitionFromS: from.Seconds(), PartitionS: length.Seconds(), ScheduleS: s.Duration.Seconds(),
		QuietS: s.Quiet.Seconds(), FirstLostS: math.Inf(1)}
	for _, m := range marks {
		wt.Windows = append(wt.Windows, lossWindow{BeforeS: m})
	}
	var results []*scenarios.Result
	for i, st := range per {
		if errs[i] != nil {
			return nil, nil, fmt.Errorf("%s seed %d: %w", s.Name, i+1, errs[i])
		}
		results = append(results, st.result)
		for j := range wt.Windows {
			wt.Windows[j].Acked += st.acked[j]
			wt.Windows[j].Lost += st.lost[j]
		}
		if st.hasLoss {
			wt.FirstLostS, wt.LastLostS = min(wt.FirstLostS, st.firstLost), max(wt.LastLostS, st.lastLost)
		}
		wt.WritingS += st.writing / float64(len(per))
	}
	if math.IsInf(wt.FirstLostS, 1) {
		wt.FirstLostS = 0
	}
	for j, w := range wt.Windows {
		if w.Acked > 0 {
			wt.Windows[j].Rate = float64(w.Lost) / float64(w.Acked)
		}
	}
	if g.plan.Progress != nil {
		g.plan.Progress(s.Name + " histories")
	}
	sum := scenarios.Summarize(results)[0]
	sum.WallSeconds = 0
	return sum, wt, nil
}

// seedTimes runs one seed and counts its acknowledged and lost writes by when they were
// invoked, before each mark (0: the whole run).
func (g *generator) seedTimes(s *scenarios.Scenario, seed uint64, marks []float64) (*seedTimes, error) {
	run, err := scenarios.Execute(g.ctx, s, sim.Backend{}, seed, scenarios.Options{LinearizabilityLimit: g.plan.LinLimit})
	if err != nil {
		return nil, err
	}
	run.Result.WallSeconds = 0
	lost := lostValues(run.Result)
	st := &seedTimes{acked: make([]int, len(marks)), lost: make([]int, len(marks)), result: run.Result}
	for _, op := range run.Ops {
		if !op.IsWrite() || op.Final {
			continue
		}
		at := float64(op.Call)/float64(time.Second) - run.Result.ReadySeconds
		st.writing = max(st.writing, at)
		if op.Status != linearize.Ok {
			continue
		}
		isLost := lost[op.Key+"\x00"+op.Arg]
		if isLost {
			if !st.hasLoss || at < st.firstLost {
				st.firstLost = at
			}
			st.lastLost = max(st.lastLost, at)
			st.hasLoss = true
		}
		for j, m := range marks {
			if m == 0 || at < m {
				st.acked[j]++
				if isLost {
					st.lost[j]++
				}
			}
		}
	}
	return st, nil
}

// lostValues are the acknowledged writes the lost-writes checker found missing, by key
// and value.
func lostValues(r *scenarios.Result) map[string]bool {
	lost := map[string]bool{}
	for _, c := range r.Checks {
		if ev, ok := c.Evidence.(linearize.LostWritesEvidence); ok {
			for _, k := range ev.Keys {
				for _, v := range k.Lost {
					lost[k.Key+"\x00"+v] = true
				}
			}
		}
	}
	return lost
}

// firstPartition is when the scenario's first partition starts and how long it holds:
// until its For runs out, the next heal or the end of the schedule.
func firstPartition(s *scenarios.Scenario) (at, length time.Duration) {
	for i, f := range s.Faults {
		if f.Kind != scenarios.Partition {
			continue
		}
		if f.For > 0 {
			return f.At, f.For
		}
		for _, h := range s.Faults[i+1:] {
			if h.Kind == scenarios.Heal {
				return f.At, h.At - f.At
			}
		}
		return f.At, s.Duration - f.At
	}
	return 0, 0
}

// scenarioRow is a row of other-scenarios.md: a scenario outside the configuration
// tables under one configuration.
type scenarioRow struct {
	Scenario string `json:"scenario"`
	row
	Command string `json:"command"`
}

// otherScenarios are the scenarios the findings quote that the configuration tables do
// not cover, and when jepsen-2013-clients-outside's lost writes were made.
type otherScenarios struct {
	Rows         []scenarioRow `json:"rows"`
	JepsenWrites *writeTimes   `json:"jepsen_2013_clients_outside_write_times"`
}

// find is the summary of a scenario's row under a configuration.
func (o *otherScenarios) find(scenario string, c Config) *scenarios.Summary {
	for _, r := range o.Rows {
		if r.Scenario == scenario && r.Config == c.Name {
			return r.Summary
		}
	}
	return &scenarios.Summary{}
}

// jepsenOutside is the scenario of Jepsen's own clients.
const jepsenOutside = "jepsen-2013-clients-outside"

// otherScenarios sweeps jepsen-2013-clients-outside, keeping its histories, and finding
// 2's power loss with appendfsync everysec and always, and writes other-scenarios.md and
// other-scenarios.json.
func (g *generator) otherScenarios() (*otherScenarios, error) {
	out := &otherScenarios{}
	jepsen, err := scenarios.Lookup(jepsenOutside)
	if err != nil {
		return nil, err
	}
	sum, wt, err := g.lostWriteTimes(jepsen)
	if err != nil {
		return nil, err
	}
	out.JepsenWrites = wt
	out.Rows = append(out.Rows, scenarioRow{jepsenOutside, row{Configs[0].Name, sum}, g.sweepCommand(jepsenOutside, Configs[0])})
	for _, c := range []Config{fsyncEverysec, fsyncAlways} {
		s, err := g.summary(powerLossScenario, c)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, scenarioRow{powerLossScenario, row{c.Name, s}, g.sweepCommand(powerLossScenario, c)})
	}
	if err := g.write("other-scenarios.md", g.otherScenariosMarkdown(out)); err != nil {
		return nil, err
	}
	return out, g.writeJSON("other-scenarios.json", out)
}

// otherScenariosMarkdown renders other-scenarios.md: each scenario with its rows and
// their commands, and the Jepsen run's loss by when the writes were made.
func (g *generator) otherScenariosMarkdown(o *otherScenarios) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scenarios outside the configuration tables\n\nThe scenarios the findings quote besides the tables of [configurations.md](configurations.md): %d seeds (1 to %d) each, in the simulator. %s\n",
		g.plan.Seeds, g.plan.Seeds, columnsNote)
	var last string
	for _, r := range o.Rows {
		if r.Scenario != last {
			last = r.Scenario
			about := ""
			if s, err := scenarios.Lookup(r.Scenario); err == nil {
				about = strings.TrimSpace(s.About)
			}
			fmt.Fprintf(&b, "\n## %s\n\n%s\n\n%s", r.Scenario, about, tableHeader("configuration"))
		}
		fmt.Fprintf(&b, "| %s | %s |\n", r.Config, summaryCells(r.Summary))
	}
	b.WriteString("\nEach row again:\n\n")
	for _, r := range o.Rows {
		fmt.Fprintf(&b, "    %s\n", r.Command)
	}
	wt := o.JepsenWrites
	fmt.Fprintf(&b, `
## When jepsen-2013-clients-outside's lost writes were made

Its acknowledged writes by when they were invoked, from the start of the scenario's clock,
over the %d seeds. The lost ones were invoked between %.1f s and
%.1f s; the partition held for %.0f s; the clients wrote for %.1f s on average.

| invoked before | acked | lost (rate) |
|---|---|---|
`, g.plan.Seeds, wt.FirstLostS, wt.LastLostS, wt.PartitionS, wt.WritingS)
	for _, w := range wt.Windows {
		fmt.Fprintf(&b, "| %s | %d | %d (%.2f%%) |\n", w.name(), w.Acked, w.Lost, 100*w.Rate)
	}
	return b.String()
}
