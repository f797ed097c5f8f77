package findings

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// A small plan writes every part of results/, with numbers in the report that come from
// the tables, and the same files, byte for byte, when run again; nothing of an earlier
// generation is left.
func TestGenerateWritesEveryPartDeterministically(t *testing.T) {
	plan := Plan{Seeds: 2, Workers: 2, LinLimit: time.Second,
		Scenarios: []string{"tutorial-kill-master", "partition-master-minority", "jepsen-2013-partition", "master-reboot-no-persistence"},
		Configs:   Configs, PartitionLengths: []time.Duration{10 * time.Second, 30 * time.Second},
		ClusterSizes: []int{3}, Command: "test"}
	deterministic := []string{"README.md", "configurations.md", "configurations.json", "other-scenarios.md",
		"other-scenarios.json", "plots/lost-writes-vs-partition.json",
		"plots/partitions/partition-master-minority-30s.yaml", "failing-run/README.md", "failing-run/result.json",
		"failing-run/events.log", "failing-run/history.json"}
	var first map[string]string
	dir := t.TempDir()
	for i := range 2 {
		stale := filepath.Join(dir, "plots", "stale.svg")
		os.MkdirAll(filepath.Dir(stale), 0o755)
		os.WriteFile(stale, []byte("old"), 0o644)
		if err := Generate(context.Background(), dir, plan); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); err == nil {
			t.Error("a file of an earlier generation survived")
		}
		for _, plot := range []string{"lost-writes-vs-partition", "failover-time", "speed-vs-cluster-size"} {
			isImage(t, filepath.Join(dir, "plots", plot+".svg"), "<svg")
			isImage(t, filepath.Join(dir, "plots", plot+".png"), "\x89PNG\r\n\x1a\n")
		}
		if st, err := os.Stat(filepath.Join(dir, "failing-run", "timeline.html")); err != nil || st.Size() == 0 {
			t.Errorf("failing-run/timeline.html: %v", err)
		}
		files := map[string]string{}
		for _, f := range deterministic {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			files[f] = string(b)
		}
		if i == 0 {
			first = files
			continue
		}
		for _, f := range deterministic {
			if files[f] != first[f] {
				t.Errorf("two generations from the same seeds wrote different %s", f)
			}
		}
	}
	tables := first["configurations.md"]
	if n := strings.Count(tables, "\n| min-replicas-to-write 1, max-lag 10 |"); n != len(plan.Scenarios) {
		t.Errorf("configurations.md has %d min-replicas rows, want one per scenario:\n%s", n, tables)
	}
	if strings.Count(tables, tableHeader("configuration")) != len(plan.Scenarios) {
		t.Errorf("configurations.md lacks a table with every column for each scenario:\n%s", tables)
	}
	if !strings.Contains(tables, "- min-replicas-to-write 1, max-lag 10: `--set redis.min-replicas-to-write=1 --set redis.min-replicas-max-lag=10`") {
		t.Errorf("configurations.md does not say how to run a row again:\n%s", tables)
	}
	wall := regexp.MustCompile(`"wall_seconds": ?(0\.|[1-9])`)
	if wall.MatchString(first["configurations.json"]) || wall.MatchString(first["failing-run/result.json"]) {
		t.Error("a wall-clock time is in the results")
	}
	if !strings.Contains(first["failing-run/README.md"], "the sentinels disagree on the master") {
		t.Errorf("the failing run no longer fails as recorded:\n%s", first["failing-run/README.md"])
	}
	readme := first["README.md"]
	for _, want := range []string{"jepsen-2013-clients-outside", "not run this time",
		"go run ./cmd/sentinelsim sweep --scenario partition-master-minority --seeds 2 --lin-limit 1s --set redis.min-replicas-to-write=1"} {
		if !strings.Contains(readme, want) {
			t.Errorf("the report does not mention %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "%!") {
		t.Errorf("the report has a formatting error:\n%s", readme)
	}
	readmeNumbersComeFromTables(t, readme, first["configurations.json"])
	readmeNumbersComeFromOtherScenarios(t, readme, first["other-scenarios.json"])
}

// readmeNumbersComeFromOtherScenarios checks the Jepsen run's loss by when the writes
// were made against its sweep, and the README's figures of the Jepsen and power-loss runs
// against other-scenarios.json.
func readmeNumbersComeFromOtherScenarios(t *testing.T, readme, otherJSON string) {
	t.Helper()
	var o otherScenarios
	if err := json.Unmarshal([]byte(otherJSON), &o); err != nil {
		t.Fatal(err)
	}
	jepsen := o.find(jepsenOutside, Configs[0])
	wt := o.JepsenWrites
	if wt == nil || len(wt.Windows) != 3 || jepsen.Runs == 0 {
		t.Fatalf("other-scenarios.json lacks the Jepsen run: %s", otherJSON)
	}
	whole := wt.Windows[2]
	if whole.BeforeS != 0 || whole.Acked != jepsen.AckedWrites || whole.Lost != jepsen.LostWrites {
		t.Errorf("the whole run's window %+v is not the sweep's %d acknowledged and %d lost", whole, jepsen.AckedWrites, jepsen.LostWrites)
	}
	// No write made before the partition can be lost, nor one after the clients stopped;
	// and since the lost ones were all made before the first mark, each window holds all
	// of them, among more writes the later it ends.
	if jepsen.LostWrites == 0 || wt.FirstLostS < wt.PartitionFromS || wt.LastLostS > wt.WritingS || wt.LastLostS >= wt.Windows[0].BeforeS {
		t.Errorf("lost writes invoked from %.1f s to %.1f s, the partition from %.1f s, the clients writing for %.1f s, the first window to %.0f s",
			wt.FirstLostS, wt.LastLostS, wt.PartitionFromS, wt.WritingS, wt.Windows[0].BeforeS)
	}
	for i := 1; i < len(wt.Windows); i++ {
		prev, w := wt.Windows[i-1], wt.Windows[i]
		if w.Lost != prev.Lost || w.Acked <= prev.Acked || w.Rate >= prev.Rate {
			t.Errorf("window %+v after %+v", w, prev)
		}
	}
	if wt.PartitionS != 30 || wt.WritingS <= wt.ScheduleS {
		t.Errorf("the partition held %.0f s and the clients wrote %.1f s, want 30 s within a longer run", wt.PartitionS, wt.WritingS)
	}
	powerLoss, always := o.find(powerLossScenario, fsyncEverysec), o.find(powerLossScenario, fsyncAlways)
	f1 := func(x float64) string { return fmt.Sprintf("%.1f", x) }
	for _, c := range []struct {
		what string
		re   string
		want []string
	}{
		{"the Jepsen table", `\| jepsen-2013-clients-outside \| [^|]+ \| ([\d.]+)% \((\d+) of (\d+)\)`,
			[]string{f1(100 * jepsen.LossRate), strconv.Itoa(jepsen.LostWrites), strconv.Itoa(jepsen.AckedWrites)}},
		{"the lost writes' times", `lost writes were invoked from ([\d.]+) s\s+to ([\d.]+) s`, []string{f1(wt.FirstLostS), f1(wt.LastLostS)}},
		{"the writing time", `The clients wrote for ([\d.]+) s on average, of\s+which the partition is (\d+)%`,
			[]string{f1(wt.WritingS), fmt.Sprintf("%.0f", 100*wt.PartitionS/wt.WritingS)}},
		{"the windows", `in the first (\d+) s, ([\d.]+)% were lost;\s+in the first (\d+) s, ([\d.]+)% were lost;\s+over the whole run, ([\d.]+)%`,
			[]string{fmt.Sprintf("%.0f", wt.Windows[0].BeforeS), f1(100 * wt.Windows[0].Rate), fmt.Sprintf("%.0f", wt.Windows[1].BeforeS),
				f1(100 * wt.Windows[1].Rate), f1(100 * whole.Rate)}},
		{"finding 2's power loss", `(\d+) of (\d+) acknowledged writes over (\d+) runs of master-power-loss-everysec \([\d.]+ a run, up\s+to a second's worth\), (\d+) with appendfsync always`,
			[]string{strconv.Itoa(powerLoss.LostWrites), strconv.Itoa(powerLoss.AckedWrites), strconv.Itoa(powerLoss.Runs), strconv.Itoa(always.LostWrites)}},
	} {
		m := regexp.MustCompile(c.re).FindStringSubmatch(readme)
		if m == nil {
			t.Errorf("%s: the README lacks /%s/", c.what, c.re)
			continue
		}
		if !slices.Equal(m[1:], c.want) {
			t.Errorf("%s: the README says %v, other-scenarios.json %v", c.what, m[1:], c.want)
		}
	}
	if powerLoss.LostWrites == 0 || always.LostWrites != 0 || !strings.Contains(readme, "(other-scenarios.md#master-power-loss-everysec)") {
		t.Errorf("finding 2's evidence: %d lost with everysec, %d with always, or no link to other-scenarios.md", powerLoss.LostWrites, always.LostWrites)
	}
}

// isImage checks that the file holds an image of some size with the format's mark in
// its first bytes (an SVG's XML declaration comes before <svg).
func isImage(t *testing.T, path, mark string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	if len(b) < 1000 || !strings.Contains(string(b[:min(len(b), 300)]), mark) {
		t.Errorf("%s: %d bytes, not an image (%q)", path, len(b), b[:min(len(b), 40)])
	}
}

// readmeNumbersComeFromTables finds every figure the README takes from the configuration
// tables and compares it with its cell of configurations.json.
func readmeNumbersComeFromTables(t *testing.T, readme, tablesJSON string) {
	t.Helper()
	var tables map[string][]row
	if err := json.Unmarshal([]byte(tablesJSON), &tables); err != nil {
		t.Fatal(err)
	}
	rate := func(scenario string, c Config) string {
		return fmt.Sprintf("%.1f", 100*cell(tables, scenario, c.Name).LossRate)
	}
	defaults, minReplicas, wait, aof := Configs[0], Configs[1], Configs[2], Configs[7]
	kill := cell(tables, "tutorial-kill-master", defaults.Name)
	jepsen := cell(tables, "jepsen-2013-partition", defaults.Name)
	for _, c := range []struct {
		what string
		re   string
		want []string
	}{
		{"finding 1, the master alone", `partitioned alone for 30 s, ([\d.]+)% of acknowledged writes are\s+lost with the defaults, ([\d.]+)% with min-replicas-to-write 1 and min-replicas-max-lag 10[^%]*?, and ([\d.]+)% when`,
			[]string{rate("partition-master-minority", defaults), rate("partition-master-minority", minReplicas), rate("partition-master-minority", wait)}},
		{"finding 1, Jepsen's split", `that replica satisfies both: ([\d.]+)% lost\s+with the defaults, ([\d.]+)% with min-replicas-to-write, ([\d.]+)% with WAIT 1`,
			[]string{rate("jepsen-2013-partition", defaults), rate("jepsen-2013-partition", minReplicas), rate("jepsen-2013-partition", wait)}},
		{"finding 2", `resynchronise from it: ([\d.]+)% of acknowledged writes lost with the defaults,\s+([\d.]+)% with appendonly yes`,
			[]string{rate("master-reboot-no-persistence", defaults), rate("master-reboot-no-persistence", aof)}},
		{"the Jepsen table", `\| jepsen-2013-partition \| [^|]+ \| ([\d.]+)% \((\d+) of (\d+)\)`,
			[]string{rate("jepsen-2013-partition", defaults), strconv.Itoa(jepsen.LostWrites), strconv.Itoa(jepsen.AckedWrites)}},
		{"the failover plot", `median (\d+) ms over (\d+) failovers`,
			[]string{fmt.Sprintf("%.0f", kill.FailoverMsMedian), strconv.Itoa(kill.Failovers)}},
	} {
		m := regexp.MustCompile(c.re).FindStringSubmatch(readme)
		if m == nil {
			t.Errorf("%s: the README lacks /%s/", c.what, c.re)
			continue
		}
		if !slices.Equal(m[1:], c.want) {
			t.Errorf("%s: the README says %v, configurations.json %v", c.what, m[1:], c.want)
		}
	}
}

// Every configuration of the tables is a set of settings the command line takes, and
// each setting takes effect: the resulting scenario has the option's value on every redis
// node, in the sentinels' monitor options or in its workload.
func TestEveryConfigurationIsSettings(t *testing.T) {
	base, err := scenarios.Lookup("partition-master-minority")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Configs {
		v, err := variant(base, c)
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if !slices.Equal(v.Settings, c.Settings) {
			t.Errorf("%s: settings %v, want %v", c.Name, v.Settings, c.Settings)
		}
		for _, set := range c.Settings {
			if got, want := settingValue(t, v, set); got != want {
				t.Errorf("%s: %s is %q in the scenario", c.Name, set, got)
			}
		}
	}
}

// settingValue is the value a SECTION.KEY=VALUE setting has in s, and the one it gives.
func settingValue(t *testing.T, s *scenarios.Scenario, set string) (got, want string) {
	path, want, _ := strings.Cut(set, "=")
	section, key, _ := strings.Cut(path, ".")
	switch section {
	case "redis":
		for _, n := range s.Topology.OfKind(world.Redis) {
			v, _ := n.Config.Get(key)
			if v != want {
				return n.Name + ": " + v, want
			}
		}
		return want, want
	case "sentinel":
		v, _ := s.Topology.Monitor.Get(key)
		return v, want
	case "workload":
		switch key {
		case "wait":
			return strconv.Itoa(s.Workload.Wait), want
		case "wait-timeout":
			return s.Workload.WaitTimeout.String(), want
		}
	}
	t.Fatalf("the test does not know where %s goes", set)
	return "", ""
}

// The tables compare the configurations issue 9 names: the defaults (which are
// master-reboot-down-after-period and appendonly off in every table scenario),
// min-replicas-to-write 1 with max-lag 10, WAIT 1, down-after-milliseconds 1000, 3000 and
// 30000, master-reboot-down-after-period on, appendonly on. Their tables have the
// issue's columns.
func TestTheTablesCoverTheIssuesConfigurationsAndColumns(t *testing.T) {
	want := [][]string{nil,
		{"redis.min-replicas-to-write=1", "redis.min-replicas-max-lag=10"},
		{"workload.wait=1", "workload.wait-timeout=100ms"},
		{"sentinel.down-after-milliseconds=1000"}, {"sentinel.down-after-milliseconds=3000"},
		{"sentinel.down-after-milliseconds=30000"},
		{"sentinel.master-reboot-down-after-period=2000"}, {"redis.appendonly=yes"}}
	for _, w := range want {
		if !slices.ContainsFunc(Configs, func(c Config) bool { return slices.Equal(c.Settings, w) }) {
			t.Errorf("no configuration is %v", w)
		}
	}
	if len(Configs[0].Settings) != 0 {
		t.Errorf("the first configuration, the tables' defaults, has settings %v", Configs[0].Settings)
	}
	for _, name := range TableScenarios {
		s, err := scenarios.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Topology.Monitor.Get("master-reboot-down-after-period"); v != "" && v != "0" {
			t.Errorf("%s has master-reboot-down-after-period %s by default, not off", name, v)
		}
		for _, n := range s.Topology.OfKind(world.Redis) {
			if v, _ := n.Config.Get("appendonly"); v == "yes" {
				t.Errorf("%s: %s has appendonly yes by default", name, n.Name)
			}
		}
	}
	header := tableHeader("configuration")
	for _, col := range []string{"| runs |", "| acked |", "| lost (rate) |", "| non-linearizable (undecided) |", "| split-brain |",
		"| failover p50 / p99 |", "| unavailable p50 |"} {
		if !strings.Contains(header, col) {
			t.Errorf("the tables' header lacks %s: %s", col, header)
		}
	}
}

func TestRelocateKeepsTheHostPart(t *testing.T) {
	got := relocate([]world.Host{{Name: "n1", Addr: "127.0.0.1"}, {Name: "n2", Addr: "127.0.0.12"}}, 4)
	if got[0].Addr != "127.0.4.1" || got[1].Addr != "127.0.4.12" || got[1].Name != "n2" {
		t.Errorf("relocate: %v", got)
	}
}

// The comparison with real processes puts every backend's row under its scenario with
// every column of the configuration tables, the final masters tallied, largest first.
func TestRealSectionRendersEveryCell(t *testing.T) {
	sim := &scenarios.Summary{Runs: 20, AckedWrites: 89271, LostWrites: 13794, LossRate: 0.1545, RunsWithLoss: 20,
		NonLinearizable: 19, Undecided: 1, SplitBrainMs: 555500, Failovers: 20, FailoverMsMedian: 1289, FailoverMsP99: 1379,
		UnavailableMsMed: 50}
	real := &scenarios.Summary{Runs: 4, AckedWrites: 150035, Failovers: 4, FailoverMsMedian: 1301, FailoverMsP99: 1350,
		UnavailableMsMed: 4454.5}
	r := &realResults{Parallel: 6, Cells: []realCell{
		{Scenario: "tutorial-kill-master", Backend: "simulator", Summary: sim,
			outcomes: outcomes{FinalMasters: map[string]int{"local/redis:6384": 12, "local/redis:6383": 8}, Converged: 20}},
		{Scenario: "tutorial-kill-master", Backend: "real, redis-sentinel", Summary: real,
			outcomes: outcomes{FinalMasters: map[string]int{"local/redis:6383": 3, "": 1}, Converged: 3}},
	}}
	got := r.section()
	for _, want := range []string{
		"| scenario | backend | runs | acked | lost (rate) | runs with loss | non-linearizable (undecided) | split-brain | failovers | failover p50 / p99 | unavailable p50 | final master (runs) | converged |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
		"| tutorial-kill-master | simulator | 20 | 89271 | 13794 (15.45%) | 20 | 19 (1) | 555.5 s | 20 | 1289 / 1379 ms | 50 ms | local/redis:6384 12, local/redis:6383 8 | 20 of 20 |",
		"| tutorial-kill-master | real, redis-sentinel | 4 | 150035 | 0 (0.00%) | 0 | 0 (0) | 0.0 s | 4 | 1301 / 1350 ms | 4454 ms | local/redis:6383 3, none 1 | 3 of 4 |",
		"went 6 clusters at once",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the section lacks\n%s\nit is:\n%s", want, got)
		}
	}
	if (*realResults)(nil).section() != "" || !strings.Contains((*realResults)(nil).summaryLine(), "--real=false") {
		t.Error("without real runs the report should say how they were left out, and have no section")
	}
}

// A real cell's command runs its seeds again with its kind of sentinel, one at a time.
func TestRealCommandRunsTheCellsSeeds(t *testing.T) {
	g := &generator{plan: Plan{LinLimit: 2 * time.Second}}
	want := "sudo go run ./cmd/sentinelsim sweep --backend real --sentinel go --scenario paused-master --seeds 12 --lin-limit 2s"
	if got := g.realCommand("paused-master", "go", 12); got != want {
		t.Errorf("realCommand: %s, want %s", got, want)
	}
}

// The failover plot's description counts each backend's slow failovers and sets the real
// ones beside what the simulator's share would give; without real runs it says nothing
// of them.
func TestFailoverModesCountsEachGroup(t *testing.T) {
	sim := failoverGroup{"simulator", []float64{1200, 2200, 1190, 2250, 1210}}
	real := failoverGroup{"real, redis-sentinel", []float64{1220, 1230, 2300, 1180}}
	got := failoverModes([]failoverGroup{sim, real})
	// 1 of 4 at the simulator's share of 2 in 5: P(X <= 1) = 0.6^4 + 4*0.4*0.6^3 = 0.4752.
	for _, want := range []string{"2 of the simulator's 5 took over 1.7 s",
		"1 of real, redis-sentinel's 4 (1.6 expected at the simulator's share, which gives 1 or fewer 48% of the time)",
		"within what chance gives"} {
		if !strings.Contains(got, want) {
			t.Errorf("failoverModes lacks %q: %s", want, got)
		}
	}
	if alone := failoverModes([]failoverGroup{sim}); strings.Contains(alone, "Real runs") {
		t.Errorf("without real runs: %s", alone)
	}
}

// The tail of a binomial count is taken on the side of the mean the count lies.
func TestBinomialTail(t *testing.T) {
	for _, c := range []struct {
		k, n int
		p    float64
		want float64
	}{
		{0, 10, 0.35, math.Pow(0.65, 10)},                  // below the mean: P(X <= 0)
		{10, 10, 0.35, math.Pow(0.35, 10)},                 // above it: P(X >= 10)
		{1, 2, 0.5, 0.75},                                  // at the mean, counted from above: P(X >= 1)
		{2, 3, 0.5, 3*math.Pow(0.5, 3) + math.Pow(0.5, 3)}, // P(X >= 2)
	} {
		if got := binomialTail(c.k, c.n, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("binomialTail(%d, %d, %.2f) = %g, want %g", c.k, c.n, c.p, got, c.want)
		}
	}
	slow := failoverModes([]failoverGroup{{"simulator", []float64{2200, 1200}}, {"real, redis-sentinel", make([]float64, 10)}})
	if !strings.Contains(slow, "Chance hardly explains the difference for real, redis-sentinel") {
		t.Errorf("0 slow of 10 at a share of a half (p = 0.001) should be called unlikely: %s", slow)
	}
}

// A scenario RunsFor names gets its own number of real runs; the others get Runs.
func TestRunsOfOverridesByScenario(t *testing.T) {
	p := RealPlan{Runs: 4, RunsFor: map[string]int{"tutorial-kill-master": 10}}
	if p.runsOf("tutorial-kill-master") != 10 || p.runsOf("paused-master") != 4 {
		t.Errorf("runsOf: %d and %d, want 10 and 4", p.runsOf("tutorial-kill-master"), p.runsOf("paused-master"))
	}
}
