package findings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// RealPlan is the part of the results that runs real processes: redis-server with
// redis-sentinel, and with gosentinel, on loopback addresses, with faults by signals and
// nftables (so it needs root).
type RealPlan struct {
	Scenarios []string
	// Sentinels are the kinds of sentinel, as `--sentinel` names them.
	Sentinels []string
	// Runs per scenario and kind, or RunsFor's for the scenarios it names; Parallel is how
	// many clusters run at once, each on a block of loopback addresses of its own.
	Runs, Parallel int
	RunsFor        map[string]int
	// GoSentinel is the gosentinel binary.
	GoSentinel string
}

// DefaultRealPlan is what `make results` runs: the three scenarios issue 8 compares,
// with each kind of sentinel.
// tutorial-kill-master runs more often than the others: its failover times are set beside
// the simulator's, whose distribution has two modes, and four runs cannot show that. At
// 10 runs of about 95 s per kind, six at once, the real part takes about nine minutes.
var DefaultRealPlan = RealPlan{Scenarios: []string{"tutorial-kill-master", "partition-master-minority", "paused-master"},
	Sentinels: []string{"redis", "go"}, Runs: 4, RunsFor: map[string]int{"tutorial-kill-master": 10}, Parallel: 6,
	GoSentinel: "bin/gosentinel"}

// runsOf is how many runs of the scenario each kind of sentinel gets.
func (p *RealPlan) runsOf(scenario string) int {
	if n, ok := p.RunsFor[scenario]; ok {
		return n
	}
	return p.Runs
}

// outcomes are what a set of runs ended with: how many ended on each final master ("" when
// the sentinels did not agree) and how many passed the liveness check.
type outcomes struct {
	FinalMasters map[string]int `json:"final_masters"`
	Converged    int            `json:"converged"`
	// FailoverMs are every run's failover times.
	FailoverMs []float64 `json:"failover_ms"`
}

func outcomesOf(results []*scenarios.Result) outcomes {
	o := outcomes{FinalMasters: map[string]int{}, FailoverMs: []float64{}}
	for _, r := range results {
		o.FinalMasters[r.FinalMaster]++
		if r.Converged {
			o.Converged++
		}
		o.FailoverMs = append(o.FailoverMs, r.FailoverMs...)
	}
	return o
}

// realCell is one scenario with one kind of sentinel, on real processes or in the
// simulator.
type realCell struct {
	Scenario string             `json:"scenario"`
	Backend  string             `json:"backend"`
	Summary  *scenarios.Summary `json:"summary"`
	outcomes
	// Command runs one of the cell's runs again.
	Command string `json:"command"`
}

// realResults are the real runs, each scenario's after the simulator's.
type realResults struct {
	// Parallel is how many clusters ran at once, each on a block of addresses of its own.
	Parallel int        `json:"parallel"`
	Cells    []realCell `json:"cells"`
}

// kindName is how the results name a kind of sentinel.
func kindName(kind string) string {
	if kind == "go" {
		return "gosentinel"
	}
	return "redis-sentinel"
}

// realRuns runs every scenario of the plan with every kind of sentinel on real
// processes, Parallel clusters at a time.
func (g *generator) realRuns(p *RealPlan, tables map[string][]row) (*realResults, error) {
	type job struct {
		scenario, kind string
		seed           uint64
	}
	var jobs []job
	for _, name := range p.Scenarios {
		for _, kind := range p.Sentinels {
			for seed := 1; seed <= p.runsOf(name); seed++ {
				jobs = append(jobs, job{name, kind, uint64(seed)})
			}
		}
	}
	results := make([]*scenarios.Result, len(jobs))
	errs := make([]error, len(jobs))
	// A run takes a free block of addresses and gives it back when it ends, so that two
	// runs never share one, however their lengths differ.
	blocks := make(chan int, p.Parallel)
	for b := 1; b <= p.Parallel; b++ {
		blocks <- b
	}
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			block := <-blocks
			defer func() { blocks <- block }()
			results[i], errs[i] = g.realRun(p, j.scenario, j.kind, j.seed, block)
		})
	}
	wg.Wait()
	if err := g.ctx.Err(); err != nil {
		return nil, err
	}
	out := &realResults{Parallel: p.Parallel}
	for _, name := range p.Scenarios {
		sim, ok := g.simDefaults[name]
		if !ok {
			return nil, fmt.Errorf("%s is not a scenario of the tables, which give the simulator's side", name)
		}
		out.Cells = append(out.Cells, realCell{Scenario: name, Backend: "simulator", Summary: cell(tables, name, Configs[0].Name),
			outcomes: sim, Command: g.sweepCommand(name, Configs[0])})
		for _, kind := range p.Sentinels {
			var rs []*scenarios.Result
			for i, j := range jobs {
				if j.scenario != name || j.kind != kind {
					continue
				}
				if errs[i] != nil {
					return nil, fmt.Errorf("real %s with %s, run %d: %w", name, kindName(kind), j.seed, errs[i])
				}
				rs = append(rs, results[i])
			}
			s := scenarios.Summarize(rs)[0]
			s.WallSeconds = 0
			out.Cells = append(out.Cells, realCell{Scenario: name, Backend: "real, " + kindName(kind), Summary: s,
				outcomes: outcomesOf(rs),
				Command:  g.realCommand(name, kind, len(rs))})
		}
	}
	if g.plan.Progress != nil {
		g.plan.Progress("real processes")
	}
	return out, g.writeJSON("real.json", out)
}

// realCommand runs a real cell's seeds again, one at a time, as `sentinelsim sweep` runs
// real processes.
func (g *generator) realCommand(scenario, kind string, runs int) string {
	return fmt.Sprintf("sudo go run ./cmd/sentinelsim sweep --backend real --sentinel %s --scenario %s --seeds %d --lin-limit %s",
		kind, scenario, runs, g.plan.LinLimit)
}

// realRun runs one seed of a scenario on real processes, its hosts moved to the block
// 127.0.<block>.x so that runs at the same time do not share an address.
func (g *generator) realRun(p *RealPlan, name, kind string, seed uint64, block int) (*scenarios.Result, error) {
	s, err := scenarios.Lookup(name)
	if err != nil {
		return nil, err
	}
	moved := *s
	moved.Topology.Hosts = relocate(s.Topology.Hosts, block)
	opts := real.DefaultOptions
	opts.Sentinel, opts.GoSentinel = kind, p.GoSentinel
	run, err := scenarios.Execute(g.ctx, &moved, real.Backend{Options: opts}, seed,
		scenarios.Options{LinearizabilityLimit: g.plan.LinLimit})
	if err != nil {
		return nil, err
	}
	run.Result.WallSeconds = 0
	return run.Result, nil
}

// relocate moves hosts from 127.0.0.x to 127.0.<block>.x.
func relocate(hosts []world.Host, block int) []world.Host {
	out := slices.Clone(hosts)
	for i, h := range out {
		last := h.Addr[strings.LastIndexByte(h.Addr, '.')+1:]
		out[i].Addr = "127.0." + strconv.Itoa(block) + "." + last
	}
	return out
}

// summaryLine says in a few words what the real part holds.
func (r *realResults) summaryLine() string {
	if r == nil {
		return "not run this time: `sentinelsim results --real=false`"
	}
	runs := 0
	for _, c := range r.Cells {
		runs += c.Summary.Runs
	}
	return fmt.Sprintf("%d runs, see \"The simulator against real processes\" below", runs)
}

// section is README.md's comparison of the simulator with real processes.
func (r *realResults) section() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(`
## The simulator against real processes

The same scenarios, as catalogued, in the simulator and against real Debian redis-server
7.0.15 processes with real redis-sentinel 7.0.15 and with gosentinel, each node on a
loopback address of its own, faults by SIGKILL, SIGSTOP and nftables (data in
[real.json](real.json)). Failover time is from the first +sdown of the master to the first
+switch-master; the final master is the node the sentinels agreed on at the end. Which
replica is promoted is not determined in these scenarios (equal priorities and, often,
offsets: the run ids decide), so only that one was matters. A SIGKILL of a real master
can also cost the last write it acknowledged to each client, which the simulator never
loses (fidelity/README.md explains why).

`)
	b.WriteString(columnsNote + " Then the node the sentinels agreed on at the end, with its runs, and the runs that passed the liveness check.\n\n")
	header := tableHeader("scenario", "backend")
	b.WriteString(strings.Replace(header, " |\n|", " | final master (runs) | converged |\n|---|---|", 1))
	for _, c := range r.Cells {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d of %d |\n", c.Scenario, c.Backend, summaryCells(c.Summary),
			counts(c.FinalMasters), c.Converged, c.Summary.Runs)
	}
	fmt.Fprintf(&b, `
Each row again: real.json has its command (for gosentinel, with gosentinel on PATH). It
runs the row's seeds one after the other on the scenario's own addresses, 127.0.0.x; the
runs here went %d clusters at once, each moved to a block 127.0.<b>.x of its own, which
nothing in these scenarios depends on. A real run's seed chooses only the clients'
operations, not the processes' timing, so a rerun gives figures of its own.
`, r.Parallel)
	return b.String()
}

// failoverNote adds the real processes to the failover plot's description.
func (r *realResults) failoverNote() string {
	if r == nil {
		return ""
	}
	return ", beside real redis-sentinel's and gosentinel's"
}

// counts renders a tally as "n1/redis 3, n2/redis 1", largest first.
func counts(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var kvs []kv
	for k, n := range m { //determinism:ok sorted below
		if k == "" {
			k = "none"
		}
		kvs = append(kvs, kv{k, n})
	}
	slices.SortFunc(kvs, func(a, b kv) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(kvs))
	for i, e := range kvs {
		parts[i] = fmt.Sprintf("%s %d", e.k, e.n)
	}
	return strings.Join(parts, ", ")
}
