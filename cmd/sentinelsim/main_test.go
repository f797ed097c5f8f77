package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	"failover_ms", "unavailable_ms", "final_master", "converged", "always", "violations", "found", "replay", "faults", "checks"}

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
		{[]string{"nosuch"}, "unknown command"},
		{[]string{"run", "--set", "appendonly=yes"}, "want SECTION.KEY=VALUE"},
		{[]string{"sweep", "--scenario", "swarm", "--set", "redis.maxmemory=1mb"}, `unsupported option "maxmemory"`},
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

// --require-finds makes a run that passes fail when its seed missed one of the
// scenario's find-expectations, and leaves a run that found them all passing.
func TestRequireFindsFailsARunThatFoundNothing(t *testing.T) {
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
