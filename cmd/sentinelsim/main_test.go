package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

func execute(args ...string) (string, error) {
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestRunPrintsTheLogAndAPassingVerdict(t *testing.T) {
	out, err := execute("run", "--seed", "3")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "\nPASS tutorial-kill-master seed=3 ") {
		t.Errorf("no PASS verdict line:\n%s", out)
	}
	if !strings.Contains(out, "# +switch-master mymaster 127.0.0.1 6382 127.0.0.1 ") {
		t.Errorf("the log has no +switch-master line in Redis's format:\n%s", out)
	}
	if want := "replay      go run ./cmd/sentinelsim run --scenario tutorial-kill-master --seed 3"; lastLine(out) != "  "+want {
		t.Errorf("last line %q, want the replay command", lastLine(out))
	}
}

// The run --json contract: the last line is one JSON object with at least these fields.
var contract = []string{"scenario", "seed", "backend", "verdict", "trace_hash", "sim_seconds", "wall_seconds",
	"ready_seconds", "events", "ops", "acked_writes", "lost_writes", "linearizable", "split_brain_ms", "failovers",
	"failover_ms", "unavailable_ms", "final_master", "converged", "always", "violations", "finds", "found", "replay", "faults", "checks"}

func TestRunJSONKeepsTheContractAndReplays(t *testing.T) {
	var hashes [2]string
	for i := range hashes {
		out, err := execute("run", "--scenario", "jepsen-2013-partition", "--seed", "9", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(lastLine(out)), &r); err != nil {
			t.Fatalf("the last line is not JSON: %v\n%s", err, out)
		}
		for _, k := range contract {
			if v, ok := r[k]; !ok || v == nil {
				t.Errorf("the result lacks %q or has it null", k)
			}
		}
		if r["verdict"] != "pass" || r["linearizable"] != "illegal" || r["lost_writes"].(float64) == 0 {
			t.Errorf("jepsen-2013-partition seed 9: %v, want a pass that found lost writes and a non-linearizable history", r)
		}
		hashes[i] = r["trace_hash"].(string)
	}
	if hashes[0] != hashes[1] {
		t.Errorf("seed 9 gave traces %s and %s", hashes[0], hashes[1])
	}
}

func TestBadInputIsRefusedWithStatus2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--seed", "x"}, `invalid argument "x" for "--seed"`},
		{[]string{"run", "--scenario", "nosuch"}, `no scenario called "nosuch"`},
		{[]string{"run", "--file", "/no/such.yaml"}, "no such file"},
		{[]string{"run", "--backend", "real", "--sentinel", "nosuch"}, `invalid argument "nosuch" for "--sentinel" flag: want one of redis, go, mixed, mixed-redis`},
		{[]string{"run", "--sentinel", "go"}, "--sentinel applies to --backend real or containers"},
		{[]string{"run", "--backend", "real", "--image", "redis:7.0.15"}, "--image and --pull apply to --backend containers"},
		{[]string{"shrink", "--scenario", "swarm", "--sentinel", "mixed"}, "--sentinel applies to"},
		{[]string{"run", "--backend", "nosuch"}, "unknown backend"},
		{[]string{"run", "extra"}, "unknown command"},
		{[]string{"replay", "--backend", "real"}, "only the simulator's runs replay"},
		{[]string{"sweep", "--scenario", "swarm", "--shard", "3/2"}, "want i/n"},
		{[]string{"sweep", "--scenario", "swarm", "--seeds", "0"}, "want 1 or more"},
		{[]string{"report", "main.go"}, "main.go:1: not a result line"},
		{[]string{"report"}, "name one or more files"},
		{[]string{"run", "--scenario", "swarm", "--file", "x.yaml"}, "--scenario and --file both name the scenario"},
		{[]string{"replay", "--result", "r.json", "--seed", "3"}, "--seed with --result"},
		{[]string{"replay", "--result", "r.json", "--set", "redis.appendonly=yes"}, "--set with --result"},
		{[]string{"nosuch"}, "unknown command"},
		{[]string{"run", "--set", "appendonly=yes"}, "want SECTION.KEY=VALUE"},
		{[]string{"sweep", "--scenario", "swarm", "--set", "redis.maxmemory=1mb"}, `unsupported option "maxmemory"`},
		{[]string{"sweep", "--seeds", "2"}, "name the scenario: --scenario NAME"},
		{[]string{"shrink", "--seed", "2"}, "name the scenario: --scenario NAME"},
		{[]string{"run", "--lin-limit", "0s"}, "--lin-limit 0s: want a positive duration"},
		{[]string{"sweep", "--scenario", "swarm", "--lin-limit", "-1s"}, "--lin-limit -1s: want a positive duration"},
	} {
		out, err := execute(tc.args...)
		if err == nil || !strings.Contains(out+err.Error(), tc.want) {
			t.Errorf("%v: err %v, output %q; want an error mentioning %q", tc.args, err, out, tc.want)
		}
		if code := exitCode(err); code != 2 {
			t.Errorf("%v: exit status %d, want 2", tc.args, code)
		}
	}
}

// pflag takes a word in backquotes in a flag's usage for the name of its value, so a
// phrase quoted there shows up in --help as "--scenario sentinelsim list".
func TestHelpNamesEachFlagsValueInOneWord(t *testing.T) {
	for _, cmd := range root().Commands() {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); strings.Contains(name, " ") {
				t.Errorf("sentinelsim %s --help shows --%s %s", cmd.Name(), f.Name, name)
			}
		})
	}
}

// An option the simulator does not model is refused when the file is read, with its line,
// not once the run has started.
func TestUnsupportedOptionsAreBadInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "maxmemory.yaml")
	if err := os.WriteFile(file, []byte("name: x\nhosts:\n  n1: [redis, sentinel, client]\nsentinel: {quorum: 1}\n"+
		"redis: {maxmemory: 100mb}\nduration: 10s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execute("run", "--file", file)
	if err == nil || !strings.Contains(err.Error(), file+`:5: redis: unsupported option "maxmemory"`) || exitCode(err) != 2 {
		t.Errorf("run --file with maxmemory: status %d, error %v\n%s", exitCode(err), err, out)
	}
}

func TestListShowsTheCatalogue(t *testing.T) {
	out, err := execute("list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tutorial-kill-master", "jepsen-2013-partition", "swarm"} {
		if !strings.Contains(out, name) {
			t.Errorf("list misses %s", name)
		}
	}
}

// A sweep split into shards covers the seeds of the whole sweep, and report merges them.
func TestSweepShardsMergeInReport(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, shard := range []string{"1/2", "2/2"} {
		f := filepath.Join(dir, strings.ReplaceAll(shard, "/", "of")+".jsonl")
		files = append(files, f)
		out, err := execute("sweep", "--scenario", "master-reboot-no-persistence", "--seeds", "5", "--workers", "2",
			"--shard", shard, "--out", f, "--quiet")
		if err != nil {
			t.Fatalf("sweep %s: %v\n%s", shard, err, out)
		}
	}
	seen := map[uint64]bool{}
	for _, f := range files {
		rs, err := readResults(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if seen[r.Seed] {
				t.Errorf("seed %d is in two shards", r.Seed)
			}
			seen[r.Seed] = true
		}
	}
	if len(seen) != 5 {
		t.Errorf("the shards ran seeds %v, want 1..5", seen)
	}
	out, err := execute(append([]string{"report", "--json"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Summary []struct {
			Scenario string         `json:"scenario"`
			Runs     int            `json:"runs"`
			Found    map[string]int `json:"found"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Summary) != 1 {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	if s := rep.Summary[0]; s.Runs != 5 || s.Found["lost-writes"] == 0 {
		t.Errorf("merged summary %+v, want 5 runs with lost writes found", s)
	}
}

// Shrinking a failing run drops the faults that do not matter and keeps the one that
// does; the minimal schedule replays to the same failure.
func TestShrinkFindsTheFaultThatMatters(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "noisy.yaml")
	if err := os.WriteFile(file, []byte(`name: noisy-kill
about: A failover is forbidden, and the master is killed among faults that do not matter.
hosts:
  local: {addr: 127.0.0.1, redis: [6382, 6383, 6384], sentinel: [5000, 5001, 5002], clients: 1}
sentinel: {quorum: 2, down-after-milliseconds: 3000, failover-timeout: 3000}
faults:
  - {at: 2s, pause: local/redis:6384, for: 1s}
  - {at: 4s, latency: 2ms}
  - {at: 6s, kill: master, for: 15s}
  - {at: 8s, clock-jump: local/sentinel:5002, by: 1s}
duration: 30s
quiet: 20s
expect:
  always: [no-failover]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	minimal := filepath.Join(dir, "minimal.yaml")
	out, err := execute("shrink", "--file", file, "--seed", "1", "--out", minimal)
	if err != nil {
		t.Fatalf("shrink: %v\n%s", err, out)
	}
	faults := strings.Count(out, "\n  - ")
	if faults != 1 || !strings.Contains(out, "kill: master") {
		t.Errorf("minimal schedule:\n%s\nwant only the kill", out)
	}
	replayShrunk(t, minimal, file)
}

// replayShrunk runs the replay command in the header of a shrunk schedule, which must
// name the scenario file it was shrunk from, and requires the run to fail.
func replayShrunk(t *testing.T, minimal, scenarioFile string) {
	t.Helper()
	src, err := os.ReadFile(minimal)
	if err != nil {
		t.Fatal(err)
	}
	_, replay, ok := strings.Cut(string(src), "# replay: go run ./cmd/sentinelsim ")
	replay, _, _ = strings.Cut(replay, "\n")
	if !ok || !strings.Contains(replay, "--file "+scenarioFile+" --faults "+minimal+" ") {
		t.Fatalf("the shrunk file's replay line %q does not run --file %s --faults %s", replay, scenarioFile, minimal)
	}
	out, err := execute(append(strings.Fields(replay), "--json")...)
	if !strings.Contains(lastLine(out), `"verdict":"fail"`) || exitCode(err) != 1 {
		t.Errorf("the minimal schedule does not fail (status %d):\n%s", exitCode(err), lastLine(out))
	}
}

// A heal is never shrunk away from the partition it ends: without it the partition would
// last to the end and the run would break liveness too, another failure than the
// original's.
func TestShrinkKeepsTheHealOfAPartitionItKeeps(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "partition.yaml")
	if err := os.WriteFile(file, []byte(`name: partition-then-heal
about: A failover is forbidden, and the master is cut off for twenty seconds.
hosts:
  n1: [redis, sentinel, client]
  n2: [redis, sentinel, client]
  n3: [redis, sentinel, client]
sentinel: {quorum: 2, down-after-milliseconds: 3000, failover-timeout: 10000}
faults:
  - {at: 2s, latency: 2ms}
  - {at: 5s, partition: [[n1], [n2, n3]]}
  - {at: 8s, pause: n3/sentinel, for: 1s}
  - {at: 25s, heal: all}
duration: 30s
quiet: 30s
expect:
  always: [no-failover]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	minimal := filepath.Join(dir, "minimal.yaml")
	out, err := execute("shrink", "--file", file, "--seed", "1", "--out", minimal)
	if err != nil {
		t.Fatalf("shrink: %v\n%s", err, out)
	}
	if strings.Count(out, "\n  - ") != 2 || !strings.Contains(out, "partition: [[n1], [n2, n3]]") || !strings.Contains(out, "heal: all") {
		t.Errorf("minimal schedule:\n%s\nwant the partition and its heal", out)
	}
	replayShrunk(t, minimal, file)
}

func TestReplayChecksTheSavedTraceHash(t *testing.T) {
	out, err := execute("run", "--scenario", "paused-master", "--seed", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	saved := filepath.Join(dir, "result.json")
	if err := os.WriteFile(saved, []byte(lastLine(out)), 0o644); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(dir, "trace.txt")
	if out, err := execute("replay", "--result", saved, "--trace", trace); err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	if st, err := os.Stat(trace); err != nil || st.Size() == 0 {
		t.Errorf("no trace written: %v", err)
	}
	var r map[string]any
	json.Unmarshal([]byte(lastLine(out)), &r)
	r["trace_hash"] = "0000000000000000"
	tampered, _ := json.Marshal(r)
	os.WriteFile(saved, tampered, 0o644)
	if out, err := execute("replay", "--result", saved, "--trace", trace); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("a replay of a result with another trace hash passed: %v\n%s", err, out)
	}
}

// A run changed with --set says so in its replay command, and the replay gives the same
// run.
func TestSettingsReplay(t *testing.T) {
	out, err := execute("run", "--scenario", "partition-master-minority", "--seed", "2", "--json",
		"--set", "redis.min-replicas-to-write=1", "--set", "redis.min-replicas-max-lag=10")
	if exitCode(err) == 2 {
		t.Fatalf("run --set refused: %v", err)
	}
	var first struct {
		Replay    string
		TraceHash string `json:"trace_hash"`
	}
	if err := json.Unmarshal([]byte(lastLine(out)), &first); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.Replay, "--set redis.min-replicas-to-write=1 --set redis.min-replicas-max-lag=10") {
		t.Fatalf("the replay command %q does not repeat the settings", first.Replay)
	}
	out, _ = execute(append(strings.Fields(strings.TrimPrefix(first.Replay, "go run ./cmd/sentinelsim ")), "--json")...)
	if !strings.Contains(lastLine(out), `"trace_hash":"`+first.TraceHash+`"`) {
		t.Errorf("the replay gave another run than %s:\n%s", first.TraceHash, lastLine(out))
	}
	plain, _ := execute("run", "--scenario", "partition-master-minority", "--seed", "2", "--json")
	if strings.Contains(lastLine(plain), `"trace_hash":"`+first.TraceHash+`"`) {
		t.Error("the settings changed nothing: the run without them has the same trace")
	}
}

// A saved result replays the run it came from however that run was chosen: --set
// settings, a scenario file and a fault file come back from its replay command, so the
// trace hash matches; and a result whose replay command names another file's scenario
// is refused rather than diverging.
func TestReplayOfAResultRunsWhatItRan(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kill.yaml")
	writeFile(t, file, `name: kill-among-noise
about: The master is killed among faults that do not matter.
hosts:
  local: {addr: 127.0.0.1, redis: [6382, 6383, 6384], sentinel: [5000, 5001, 5002], clients: 1}
sentinel: {quorum: 2, down-after-milliseconds: 3000, failover-timeout: 3000}
faults:
  - {at: 2s, pause: local/redis:6384, for: 1s}
  - {at: 6s, kill: master, for: 15s}
duration: 30s
quiet: 20s
`)
	faults := filepath.Join(dir, "pause.yaml")
	writeFile(t, faults, "faults:\n  - {at: 3s, pause: master, for: 10s}\n")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run --set", []string{"run", "--scenario", "partition-master-minority", "--seed", "1", "--set", "redis.min-replicas-to-write=1"}},
		{"sweep --set", []string{"sweep", "--scenario", "partition-master-minority", "--seeds", "1", "--first", "4", "--quiet",
			"--set", "sentinel.down-after-milliseconds=1000"}},
		{"run --file", []string{"run", "--file", file, "--seed", "2"}},
		{"run --file --faults", []string{"run", "--file", file, "--faults", faults, "--seed", "3"}},
	} {
		out, err := execute(append(tc.args, "--json")...)
		if exitCode(err) == 2 {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		line := strings.Split(strings.TrimSpace(out), "\n")[0] // sweep: the seed's result, before the summary
		saved := filepath.Join(dir, "result.json")
		writeFile(t, saved, line)
		var r struct {
			TraceHash string `json:"trace_hash"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.TraceHash == "" {
			t.Fatalf("%s: no result with a trace hash: %v\n%s", tc.name, err, line)
		}
		out, err = execute("replay", "--result", saved, "--trace", filepath.Join(dir, "trace.txt"))
		if err != nil || !strings.Contains(out, "trace "+r.TraceHash) {
			t.Errorf("%s: replay --result: %v\n%s", tc.name, err, out)
		}
	}
	other := filepath.Join(dir, "other.yaml")
	writeFile(t, other, strings.Replace(readString(t, file), "name: kill-among-noise", "name: renamed", 1))
	out, _ := execute("run", "--file", other, "--seed", "1", "--json")
	saved := filepath.Join(dir, "renamed.json")
	writeFile(t, saved, strings.Replace(lastLine(out), `"scenario":"renamed"`, `"scenario":"kill-among-noise"`, 1))
	if _, err := execute("replay", "--result", saved); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "runs renamed, not kill-among-noise") {
		t.Errorf("a result whose replay command runs another scenario: %v, want status 2 naming both", err)
	}
}

// A run that cannot be carried out still ends run --json with the contract's line: a
// failing result whose error says why.
func TestRunJSONOfARunThatCannotBeCarriedOut(t *testing.T) {
	file := filepath.Join(t.TempDir(), "refused.yaml")
	writeFile(t, file, `name: refused
about: The replicas cannot authenticate with the master, so the cluster never comes up.
hosts:
  n1: [redis, sentinel, client]
  n2: [redis, sentinel]
sentinel: {quorum: 1}
redis: {requirepass: secret}
duration: 10s
`)
	out, err := execute("run", "--file", file, "--seed", "5", "--json")
	if exitCode(err) != 1 {
		t.Errorf("status %d (%v), want 1", exitCode(err), err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lastLine(out)), &r); err != nil {
		t.Fatalf("the last line is not JSON: %v\n%s", err, out)
	}
	for _, k := range contract {
		if v, ok := r[k]; !ok || v == nil {
			t.Errorf("the result lacks %q or has it null", k)
		}
	}
	if e, _ := r["error"].(string); r["verdict"] != "fail" || r["seed"] != 5.0 || !strings.Contains(e, "has not synced with the master") {
		t.Errorf("result %v: want a failing seed 5 whose error says replication never came up", r)
	}
}

// A fault the backend cannot do is refused before the run starts, not found at its
// end: run --json ends with the contract's line, a failing result whose error names the
// fault, its time and why, for the real backend and containers alike.
func TestRunRefusesAFaultTheBackendCannotDo(t *testing.T) {
	for _, backend := range []string{"real", "containers"} {
		began := time.Now()
		out, err := execute("run", "--backend", backend, "--scenario", "clock-jump-tilt", "--json")
		if exitCode(err) != 1 {
			t.Errorf("%s: status %d (%v), want 1", backend, exitCode(err), err)
		}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("%s: the refusal took %v: the run was started", backend, took)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(lastLine(out)), &r); err != nil {
			t.Fatalf("%s: the last line is not JSON: %v\n%s", backend, err, out)
		}
		want := `the ` + backend + ` backend cannot do the fault "10s clock-jump n3/sentinel by -10s" of the schedule: clock jumps: not supported by this backend`
		if e, _ := r["error"].(string); r["verdict"] != "fail" || r["backend"] != backend || !strings.HasPrefix(e, want) {
			t.Errorf("result %v: want a failing %s result whose error begins %q", r, backend, want)
		}
	}
}

// With --backend real the sentinels' events are printed as they come, each after its
// node's name, before the verdict: a short run in which the master is killed prints the
// +switch-master of its failover, and the verdict after it. (It needs redis-server,
// redis-sentinel, nft and root, as every real run does, and fails saying so without.)
func TestRealRunPrintsTheSentinelsEventsAsTheyCome(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kill.yaml")
	writeFile(t, file, `name: short-kill
about: The master is killed; the sentinels fail over.
hosts:
  n1: {addr: 127.0.0.101, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.102, redis: [6379], sentinel: [26379]}
  n3: {addr: 127.0.0.103, redis: [6379], sentinel: [26379]}
sentinel: {quorum: 2, down-after-milliseconds: 1000, failover-timeout: 5000}
workload: {kind: set-add, think: 50ms}
faults:
  - {at: 2s, kill: n1/redis}
duration: 8s
quiet: 5s
expect:
  always: [sentinel-safety, failover]
`)
	out, err := execute("run", "--backend", "real", "--file", file)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	switched := regexp.MustCompile(`(?m)^n[123]/sentinel +\+switch-master mymaster 127\.0\.0\.101 6379 127\.0\.0\.10[23] 6379$`).FindStringIndex(out)
	verdict := strings.Index(out, "\nPASS short-kill seed=1 on real: ")
	if switched == nil || verdict < 0 || switched[0] > verdict {
		t.Errorf("want a +switch-master line of a sentinel, then the PASS verdict:\n%s", out)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	return string(readFile(t, path))
}

// bench --json reports every measurement with its shape: which scenario variant, how
// many workers and processors, seeds, and positive rates; the one-core row runs with one
// processor, and the scheduler gets its processors back afterwards. Timings are not
// checked: they depend on the machine.
func TestBenchJSONReportsEveryMeasurement(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	out, err := execute("bench", "--seeds", "1", "--json")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	var rep struct{ Bench []benchRow }
	if err := json.Unmarshal([]byte(lastLine(out)), &rep); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	want := []benchRow{
		{Name: "one core", Sentinels: 3, Clients: 5, Workers: 1, Procs: 1},
		{Name: "sweep, every core", Sentinels: 3, Clients: 5, Workers: runtime.NumCPU(), Procs: procs},
		{Name: "sentinels 5", Sentinels: 5, Clients: 5, Workers: 1, Procs: procs},
		{Name: "sentinels 9", Sentinels: 9, Clients: 5, Workers: 1, Procs: procs},
		{Name: "sentinels 17", Sentinels: 17, Clients: 5, Workers: 1, Procs: procs},
		{Name: "clients 1", Sentinels: 3, Clients: 1, Workers: 1, Procs: procs},
		{Name: "clients 20", Sentinels: 3, Clients: 20, Workers: 1, Procs: procs},
	}
	if len(rep.Bench) != len(want) {
		t.Fatalf("%d measurements, want %d:\n%s", len(rep.Bench), len(want), out)
	}
	for i, r := range rep.Bench {
		w := want[i]
		if r.Name != w.Name || r.Sentinels != w.Sentinels || r.Clients != w.Clients || r.Workers != w.Workers ||
			r.Procs != w.Procs || r.Seeds != 1 {
			t.Errorf("measurement %d: %+v, want %+v with 1 seed", i, r, w)
		}
		for name, v := range map[string]float64{"sim s / wall s": r.SimPerWall, "ns / event": r.NsPerEvent,
			"seeds / s": r.SeedsPerSecond, "ops / sim s": r.OpsPerSimSecond} {
			if !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("%s: %s is %v", r.Name, name, v)
			}
		}
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS is %d after bench, was %d", got, procs)
	}
}

// report counts each run once, however often its files name it, warning of every repeat,
// and summarises runs of other configurations (--set) apart from the catalogued ones.
func TestReportCountsEachRunOnceAndKeepsConfigurationsApart(t *testing.T) {
	dir := t.TempDir()
	plain, set := filepath.Join(dir, "plain.jsonl"), filepath.Join(dir, "set.jsonl")
	for _, args := range [][]string{
		{"--out", plain},
		{"--out", set, "--set", "redis.min-replicas-to-write=1"},
	} {
		base := []string{"sweep", "--scenario", "partition-master-minority", "--seeds", "3", "--workers", "1", "--quiet"}
		if out, err := execute(append(base, args...)...); exitCode(err) == 2 {
			t.Fatalf("sweep %v: %v\n%s", args, err, out)
		}
	}
	cmd := root()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"report", "--json", plain, plain, set})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), "is already in "+plain+"; counted once"); n != 3 {
		t.Errorf("%d warnings of a repeated run, want 3:\n%s", n, stderr.String())
	}
	var rep struct {
		Summary []struct {
			Scenario, Variant string
			Runs              int
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report --json: %v\n%s", err, stdout.String())
	}
	want := []struct {
		variant string
		runs    int
	}{{"", 3}, {"--set redis.min-replicas-to-write=1", 3}}
	if len(rep.Summary) != len(want) {
		t.Fatalf("summaries %+v, want one per configuration", rep.Summary)
	}
	for i, s := range rep.Summary {
		if s.Scenario != "partition-master-minority" || s.Variant != want[i].variant || s.Runs != want[i].runs {
			t.Errorf("summary %d: %+v, want variant %q with %d runs", i, s, want[i].variant, want[i].runs)
		}
	}
}

// calmScenario writes a scenario without faults that expects to find lost writes: no
// seed can find them.
func calmScenario(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "calm.yaml")
	if err := os.WriteFile(file, []byte(`name: calm
about: No fault, so no write can be lost.
hosts:
  n1: [redis, sentinel, client]
  n2: [redis, sentinel, client]
sentinel: {quorum: 1}
duration: 5s
expect:
  always: [sentinel-safety]
  finds: [lost-writes]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// --require-finds makes a run that passes fail when its seed missed one of the
// scenario's find-expectations, and leaves a run that found them all passing.
func TestRequireFindsFailsARunThatFoundNothing(t *testing.T) {
	file := calmScenario(t)
	if out, err := execute("run", "--file", file, "--quiet"); err != nil {
		t.Errorf("without --require-finds the calm run failed: %v\n%s", err, out)
	}
	out, err := execute("run", "--file", file, "--quiet", "--require-finds")
	if exitCode(err) != 1 || !strings.Contains(out, "NOT FOUND lost-writes") {
		t.Errorf("calm run with --require-finds: %v (status %d), want status 1 and NOT FOUND lost-writes:\n%s", err, exitCode(err), out)
	}
	out, err = execute("run", "--scenario", "jepsen-2013-partition", "--seed", "9", "--quiet", "--require-finds")
	if err != nil || strings.Contains(out, "NOT FOUND") {
		t.Errorf("jepsen-2013-partition seed 9 finds both its anomalies, yet: %v\n%s", err, out)
	}
}

// A find-expectation must be observed on some seed of a sweep: a sweep that passed every
// seed but found nothing fails, and so does the report that merges its shards, though
// one shard alone does not.
func TestSweepFailsWhenNoSeedFindsAnExpectedAnomaly(t *testing.T) {
	file := calmScenario(t)
	out, err := execute("sweep", "--file", file, "--seeds", "2", "--quiet")
	if exitCode(err) != 1 || !strings.Contains(out, "NOT FOUND lost-writes in any of 2 runs of calm ") ||
		!strings.Contains(out, "lost-writes 0/2") {
		t.Errorf("sweep of the calm scenario: %v (status %d), want status 1, NOT FOUND lost-writes and 0/2 in the table:\n%s", err, exitCode(err), out)
	}
	dir := t.TempDir()
	var shards []string
	for i := 1; i <= 2; i++ {
		shard := filepath.Join(dir, fmt.Sprintf("s%d.jsonl", i))
		if out, err := execute("sweep", "--file", file, "--seeds", "2", "--quiet", "--shard", fmt.Sprintf("%d/2", i), "--out", shard); err != nil {
			t.Errorf("shard %d/2 failed for want of finds that the merge judges: %v\n%s", i, err, out)
		}
		for _, r := range resultLines(t, shard) {
			if fmt.Sprint(r["finds"]) != "[lost-writes]" {
				t.Errorf("result of seed %v: finds %v, want [lost-writes]", r["seed"], r["finds"])
			}
		}
		shards = append(shards, shard)
	}
	out, err = execute(append([]string{"report", "--json"}, shards...)...)
	var report struct{ Summary []scenarios.Summary }
	line, _, _ := strings.Cut(out, "\n") // the summary; the verdict follows, on stderr
	if jerr := json.Unmarshal([]byte(line), &report); jerr != nil || len(report.Summary) != 1 {
		t.Fatalf("report --json: %v\n%s", jerr, out)
	}
	if s := report.Summary[0]; exitCode(err) != 1 || s.Runs != 2 || fmt.Sprint(s.NotFound) != "[lost-writes]" {
		t.Errorf("report of both shards: status %d, %d runs, not found %v; want status 1, 2 runs and [lost-writes]", exitCode(err), s.Runs, s.NotFound)
	}
	if out, err := execute("sweep", "--scenario", "jepsen-2013-partition", "--seeds", "2", "--quiet"); err != nil || strings.Contains(out, "NOT FOUND") {
		t.Errorf("jepsen-2013-partition finds its anomalies on seeds 1 and 2, yet: %v\n%s", err, out)
	}
}

// The README's quick start shows what `go run ./cmd/sentinelsim run` prints: every line
// of its sample but the elision must be in the output, the wall time aside, so that a
// reader who compares the trace hash sees the same run and not a sign of nondeterminism.
func TestReadmeQuickStartShowsWhatRunPrints(t *testing.T) {
	sample := readmeBlock(t, "then what the checkers found:\n\n```\n")
	out, err := execute("run")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	wall := regexp.MustCompile(` in [0-9.]+ s,`)
	got := wall.ReplaceAllString(out, " in (wall) s,")
	for _, line := range strings.Split(strings.TrimSpace(sample), "\n") {
		if want := wall.ReplaceAllString(line, " in (wall) s,"); strings.TrimSpace(line) != "..." && !strings.Contains(got, want+"\n") {
			t.Errorf("README.md's quick start shows\n%s\nwhich the run does not print; it ends:\n%s", line, lastLines(out, 10))
		}
	}
}

// readmeBlock is the README's code block that opens with opening.
func readmeBlock(t *testing.T, opening string) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(readFile(t, "../../README.md")), opening)
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatalf("README.md: no code block opened by %q", opening)
	}
	return block
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Every command line of the README's "Using it" block parses with the CLI's own flags and
// names scenarios of the catalogue, and the seed its shrink example shrinks does fail.
func TestReadmeCommandsAreTrue(t *testing.T) {
	block := readmeBlock(t, "## Using it\n\n```sh\n")
	block = strings.ReplaceAll(block, "\\\n", " ")
	var shrink string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		line, _, _ = strings.Cut(line, "#")
		args, ok := strings.CutPrefix(strings.TrimSpace(line), "sentinelsim ")
		if !ok {
			t.Errorf("README.md: %q is not a sentinelsim command", line)
			continue
		}
		checkCommandLine(t, "README.md", args)
		if strings.HasPrefix(args, "shrink ") {
			shrink = args
		}
	}
	if shrink == "" {
		t.Fatal("README.md shows no shrink")
	}
	cmd, words, _ := root().Find(strings.Fields(shrink))
	if err := cmd.ParseFlags(words); err != nil {
		t.Fatal(err)
	}
	scenario, seed := cmd.Flags().Lookup("scenario").Value.String(), cmd.Flags().Lookup("seed").Value.String()
	out, err := execute("run", "--scenario", scenario, "--seed", seed, "--quiet")
	if exitCode(err) != 1 {
		t.Errorf("README.md shrinks %s seed %s, which does not fail (status %d): shrink would have nothing to do\n%s", scenario, seed, exitCode(err), out)
	}
}
