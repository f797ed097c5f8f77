package real_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// need fails the test, saying what is missing, when this machine cannot run real
// clusters: the binaries, nft, root for nftables.
func need(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-sentinel", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: apt-get install -y redis-server redis-sentinel nftables", bin)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("the real backend's network faults need root (nftables)")
	}
}

// noTablesLeft fails the test if an nftables table of a run of this process is still
// there; call it when no cluster of the test's is open.
func noTablesLeft(t *testing.T) {
	t.Helper()
	out, err := exec.Command("nft", "list", "tables").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list tables: %v: %s", err, out)
	}
	if mine := "sentinelsim_" + strings.ReplaceAll(real.Owner(), "-", "_") + "_"; strings.Contains(string(out), mine) {
		t.Errorf("an nftables table of this test's runs is still there:\n%s", out)
	}
}

// runDirs lists the temporary directories of this process's open clusters (and of
// closed ones that left theirs).
func runDirs(t *testing.T) []string {
	t.Helper()
	owners, err := filepath.Glob(filepath.Join(os.TempDir(), "sentinelsim-real-*", "owner"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, f := range owners {
		if o, err := os.ReadFile(f); err == nil && string(o) == real.Owner() {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	return dirs
}

// noDirsLeft fails the test if a temporary directory of a run of this process is still
// there; call it when no cluster of the test's is open.
func noDirsLeft(t *testing.T) {
	t.Helper()
	if dirs := runDirs(t); len(dirs) > 0 {
		t.Errorf("directories of this test's runs are still there: %v", dirs)
	}
}

// gosentinel builds cmd/gosentinel into a temporary directory.
func gosentinel(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gosentinel")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gosentinel").CombinedOutput(); err != nil {
		t.Fatalf("build gosentinel: %v\n%s", err, out)
	}
	return bin
}

// The mission's walkthrough with real redis-server processes, go-redis clients and
// quorums mixing redis-sentinel and gosentinel (TestSimulatorAndRealityAgree runs it
// with each kind alone, against the simulator). The same scenario and checkers as in
// the simulator.
func TestTutorialKillMaster(t *testing.T) {
	need(t)
	t.Parallel()
	bin := gosentinel(t)
	// mixed is two gosentinels and a redis-sentinel, mixed-redis the other way round: they
	// must find each other through hello messages, vote for each other and fail over
	// whichever kind is elected. Each runs on a loopback address of its own. The lone
	// sentinel of the other kind has a down-after-milliseconds longer than the master's
	// 20 s outage, so it never sees the master down: the two of the pair detect it, one
	// of them is elected, and it needs the lone one's vote unless its partner gave it
	// first, which the lone one then gives too. So each kind leads in one of the runs, and
	// each run has a vote across kinds.
	kinds := []string{"mixed", "mixed-redis"}
	leaderKind := map[string]string{"mixed": "gosentinel", "mixed-redis": "redis-sentinel"}
	kindOf := func(mix string, i int) string { // as the real backend alternates them
		if (i%2 == 0) == (mix == "mixed") {
			return "gosentinel"
		}
		return "redis-sentinel"
	}
	runs, errs := make([]*scenarios.Run, len(kinds)), make([]error, len(kinds))
	nodeKinds := make([]map[string]string, len(kinds)) // sentinel node name -> its kind
	concurrently(len(kinds), func(i int) {
		opts := real.DefaultOptions
		opts.Sentinel, opts.GoSentinel = kinds[i], bin
		s, err := scenarios.Lookup("tutorial-kill-master")
		if err != nil {
			errs[i] = err
			return
		}
		s.Topology.Hosts = []world.Host{{Name: s.Topology.Hosts[0].Name, Addr: fmt.Sprintf("127.0.0.%d", 31+i)}}
		nodeKinds[i] = map[string]string{}
		for j, n := range s.Topology.Nodes {
			if n.Kind != world.Sentinel {
				continue
			}
			kind := kindOf(kinds[i], len(nodeKinds[i]))
			nodeKinds[i][n.Name] = kind
			if kind != leaderKind[kinds[i]] {
				s.Topology.Nodes[j].Config = n.Config.With(world.Options{{Key: "sentinel",
					Value: "down-after-milliseconds " + s.Topology.MasterName + " 25000"}})
			}
		}
		runs[i], errs[i] = scenarios.Execute(context.Background(), s, real.Backend{Options: opts}, 1, scenarios.Options{})
	})
	for i, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			r := runs[i].Result
			// A write the master acknowledged in its last event-loop iteration may not
			// have reached the replicas when the SIGKILL came (see killTail).
			tail := killTail(scenarioFor(t, "tutorial-kill-master"))
			if !r.Passed() || r.Failovers != 1 || r.LostWrites > tail || !r.Converged || r.AckedWrites < 1000 {
				t.Errorf("%s: verdict %s, %d failovers, %d of %d acknowledged writes lost, converged %v: %v",
					r.Backend, r.Verdict, r.Failovers, r.LostWrites, r.AckedWrites, r.Converged, r.Violations)
			}
			if r.FinalMaster == "local/redis:6382" || r.FinalMaster == "" {
				t.Errorf("final master %q, want a promoted replica", r.FinalMaster)
			}
			// The leader is the one sentinel that says +elected-leader; the run id and
			// epoch it stood for are in its own last +vote-for-leader before that.
			var leader, stood string
			latest := map[string]string{} // sentinel -> its latest vote, "runid epoch"
			var votes []linearize.SentinelEvent
			done := map[string]bool{} // "+failover-end" and "+switch-master" from the leader
			for _, e := range runs[i].Events {
				switch e.Type {
				case "+vote-for-leader":
					latest[e.Sentinel] = e.Text
					votes = append(votes, e)
				case "+elected-leader":
					if leader != "" {
						t.Errorf("%s said +elected-leader after %s did", e.Sentinel, leader)
					}
					leader, stood = e.Sentinel, latest[e.Sentinel]
				case "+failover-end", "+switch-master":
					done[e.Type] = done[e.Type] || (leader != "" && e.Sentinel == leader)
				}
			}
			if leader == "" || stood == "" {
				t.Fatalf("no +elected-leader, or no vote of the leader %q before it, among %d events", leader, len(runs[i].Events))
			}
			t.Logf("%s (%s) led the failover, standing as %s", leader, nodeKinds[i][leader], stood)
			if got := nodeKinds[i][leader]; got != leaderKind[kind] {
				t.Errorf("a %s led the failover, want a %s: the other kind noticed the master later", got, leaderKind[kind])
			}
			if !slices.ContainsFunc(votes, func(e linearize.SentinelEvent) bool {
				return e.Text == stood && nodeKinds[i][e.Sentinel] != nodeKinds[i][leader]
			}) {
				t.Errorf("no sentinel of the other kind voted for the %s leader (%s): %v", nodeKinds[i][leader], stood, votes)
			}
			if !done["+failover-end"] || !done["+switch-master"] {
				t.Errorf("the leader %s did not finish the failover (+failover-end %v, +switch-master %v)",
					leader, done["+failover-end"], done["+switch-master"])
			}
		})
	}
}

func scenarioFor(t *testing.T, name string) *scenarios.Scenario {
	s, err := scenarios.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startCluster starts the topology of a scenario file's text with the default binaries,
// closed when the test ends.
func startCluster(t *testing.T, file string) *real.Cluster {
	t.Helper()
	s, err := scenarios.Parse("test.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	c, err := real.New(t.Context(), s.Topology, 1, real.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// concurrently runs f(0), ..., f(n-1) at once and waits for them. Real runs go at once
// this way rather than as parallel subtests, which go test runs only as many at a time
// as the machine has cores, though a real run mostly waits.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// shortPartition: three hosts; the master's host is cut off for 12 s, past
// down-after-milliseconds, so the majority fails over while the old master keeps taking
// writes, which are lost when it rejoins.
const shortPartition = `name: short-partition
about: The master's host partitioned away for longer than down-after-milliseconds.
hosts:
  n1: {addr: 127.0.0.11, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.12, redis: [6379], sentinel: [26379], clients: 1}
  n3: {addr: 127.0.0.13, redis: [6379], sentinel: [26379], clients: 1}
sentinel: {quorum: 2, down-after-milliseconds: 2000, failover-timeout: 10000}
workload: {kind: set-add, think: 20ms}
faults:
  - {at: 3s, partition: [[master], [rest]], for: 12s}
duration: 20s
quiet: 15s
expect:
  always: [sentinel-safety, liveness, failover]
  finds: [lost-writes]
`

func TestShortPartitionWithRedisSentinel(t *testing.T) {
	need(t)
	s, err := scenarios.Parse("short-partition.yaml", []byte(shortPartition))
	if err != nil {
		t.Fatal(err)
	}
	run, err := scenarios.Execute(t.Context(), s, real.Backend{Options: real.DefaultOptions}, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	if !r.Passed() {
		t.Errorf("violations: %v", r.Violations)
	}
	if r.LostWrites == 0 {
		t.Errorf("no acknowledged write was lost: the old master's writes during the partition should be (%d acknowledged)", r.AckedWrites)
	}
	if len(r.Faults) != 2 || r.Faults[0].Err != "" || r.Faults[1].Err != "" {
		t.Errorf("faults as carried out: %+v", r.Faults)
	}
	noTablesLeft(t)
	noDirsLeft(t)
	if out, _ := exec.Command("pgrep", "-af", `127\.0\.0\.1[123]:`).CombinedOutput(); len(out) > 0 {
		t.Errorf("processes outlived the run: %s", out)
	}
}

// A scenario that sets the simulated machine's speeds is refused before anything starts:
// a real machine runs at its own, and ignoring them would run another scenario.
func TestSpeedsAreRefused(t *testing.T) {
	s, err := scenarios.Parse("slow.yaml", []byte(`name: slow
about: A slow full sync.
hosts:
  n1: {addr: 127.0.0.21, redis: [6379], sentinel: [26379]}
sentinel: {quorum: 1}
speeds: {transfer-rate: 10kb}
duration: 1s
`))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := real.New(t.Context(), s.Topology, 1, real.DefaultOptions); !errors.Is(err, world.ErrUnsupported) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("speeds on the real backend: %v, want ErrUnsupported", err)
	}
}

// Faults the real world cannot do are refused with world.ErrUnsupported, never skipped:
// by the backend before a run starts, with the very error the cluster's method returns;
// a bad node name is an error; and Close leaves nothing behind: no process, nftables
// table or directory.
func TestUnsupportedFaultsAndCleanup(t *testing.T) {
	need(t)
	c := startCluster(t, `name: small
about: One master, one replica, one sentinel.
hosts:
  n1: {addr: 127.0.0.21, redis: [6379], sentinel: [26379]}
  n2: {addr: 127.0.0.22, redis: [6379]}
sentinel: {quorum: 1}
duration: 1s
`)
	b := real.Backend{Options: real.DefaultOptions}
	for _, f := range []struct {
		kind scenarios.FaultKind
		err  error
	}{
		{scenarios.ClockJump, c.JumpClock("n1/sentinel", time.Second)},
		{scenarios.PowerLoss, c.PowerLoss("n1/redis")},
		{scenarios.Drift, c.Drift("n1/sentinel", 1000)},
		{scenarios.Latency, c.Network(netmodel.Fault{Kind: netmodel.Latency, Hosts: []string{"127.0.0.21"},
			Dist: netmodel.Dist{Kind: netmodel.Fixed, Min: time.Millisecond}})},
	} {
		if !errors.Is(f.err, world.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", f.kind, f.err)
		}
		if refused := b.Refuses(string(f.kind)); refused != f.err {
			t.Errorf("the backend refuses %s with %v, the cluster with %v: want the same error", f.kind, refused, f.err)
		}
	}
	for _, kind := range []scenarios.FaultKind{scenarios.Kill, scenarios.Pause, scenarios.Partition, scenarios.Loss} {
		if err := b.Refuses(string(kind)); err != nil {
			t.Errorf("the backend refuses %s, which it does: %v", kind, err)
		}
	}
	if err := c.Kill("nosuch"); err == nil {
		t.Error("killing a node that does not exist succeeded")
	}
	if v, err := c.Command("n2/redis", "ROLE"); err != nil || len(v.Array) == 0 || v.Array[0].Str != "slave" {
		t.Errorf("ROLE of the replica: %v, %v", v, err)
	}
	if err := c.Network(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.21"}, {"127.0.0.22"}}}); err != nil {
		t.Fatal(err)
	}
	// The observer talks from an address of its own: a partition between the hosts
	// does not hide them from it.
	if obs := c.Observe(); !obs.Redis[0].Alive || !obs.Redis[1].Alive {
		t.Errorf("the observer lost sight of the nodes during a partition: %+v", obs.Redis)
	}
	if dirs := runDirs(t); len(dirs) != 1 {
		t.Errorf("the open cluster's directories: %v, want one", dirs)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	noTablesLeft(t)
	noDirsLeft(t)
	// redis-server names itself "redis-server <ip>:<port>" in the process list.
	if out, _ := exec.Command("pgrep", "-af", `127\.0\.0\.2[12]:`).CombinedOutput(); len(out) > 0 {
		t.Errorf("processes outlived Close: %s", out)
	}
}

// The bounded wait for the cluster to come up fails after ReadyTimeout, naming the stage
// and the node that did not: a replica that exited at once (a bad directive), one that
// runs but never syncs (its master wants a password it does not have), and a sentinel
// that exited. Nothing is left behind.
func TestReadinessFailureNamesTheNode(t *testing.T) {
	need(t)
	for _, tc := range []struct {
		name, addr, node string
		option           world.Option
		stage, want      string
	}{
		// A scenario file refuses an option the simulator does not model, so the
		// bad directive goes into the topology directly.
		{"exits", "127.0.0.41", "n2/redis", world.Option{Key: "maxmemory", Value: "not-a-size"},
			"replication", "n2/redis has not synced with the master (it exited"},
		{"never-syncs", "127.0.0.43", "n1/redis", world.Option{Key: "requirepass", Value: "secret"},
			"replication", "n2/redis has not synced with the master"},
		// The redis nodes come up; the sentinel does not, at the next stage.
		{"sentinel-exits", "127.0.0.47", "n1/sentinel", world.Option{Key: "maxmemory", Value: "not-a-size"},
			"sentinel discovery", "n1/sentinel knows 0 of 1 replicas and 0 of 0 sentinels (it exited"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			second := tc.addr[:len(tc.addr)-1] + string(tc.addr[len(tc.addr)-1]+1)
			s, err := scenarios.Parse(tc.name+".yaml", []byte(fmt.Sprintf(`name: %s
about: A replica that cannot come up.
hosts:
  n1: {addr: %s, redis: [6379], sentinel: [26379]}
  n2: {addr: %s, redis: [6379]}
sentinel: {quorum: 1}
duration: 1s
`, tc.name, tc.addr, second)))
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range s.Topology.Nodes {
				if n.Name == tc.node {
					s.Topology.Nodes[i].Config = n.Config.With(world.Options{tc.option})
				}
			}
			opts := real.DefaultOptions
			opts.ReadyTimeout = 2 * time.Second
			began := time.Now()
			c, err := real.New(t.Context(), s.Topology, 1, opts)
			if err == nil {
				c.Close()
				t.Fatal("the cluster came up")
			}
			if !strings.Contains(err.Error(), tc.stage+" not ready after 2s") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want it to say %s was not ready after 2s and %q", err, tc.stage, tc.want)
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("New gave up after %v, with a ready timeout of 2s", took)
			}
			if out, _ := exec.Command("pgrep", "-af", strings.ReplaceAll(tc.addr, ".", `\.`)+":").CombinedOutput(); len(out) > 0 {
				t.Errorf("processes outlived the failed start: %s", out)
			}
		})
	}
}

// Ctrl-C while the cluster comes up is honoured at once, not after the ready timeout: a
// cluster whose sentinel never comes up, with the default timeout of a minute, and a
// context that ends after a second, returns the context's error within moments and
// leaves nothing behind: no process, nftables table or directory.
func TestStartUpStopsWhenTheContextEnds(t *testing.T) {
	need(t)
	topo := small(t, "127.0.0.105", "127.0.0.106")
	for i, n := range topo.Nodes {
		if n.Name == "n1/sentinel" {
			topo.Nodes[i].Config = n.Config.With(world.Options{{Key: "maxmemory", Value: "not-a-size"}})
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	began := time.Now()
	c, err := real.New(ctx, topo, 1, real.DefaultOptions)
	took := time.Since(began)
	if err == nil {
		c.Close()
		t.Fatal("the cluster came up, with a sentinel that cannot")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want the context's", err)
	}
	// Generous for a loaded machine, and far below the ready timeout New waited out
	// before (a minute): the bound tells the two apart, it does not measure speed.
	if took > 15*time.Second {
		t.Errorf("New returned %v after it began, with a context that ended after 1s (ready timeout %v)",
			took, real.DefaultOptions.ReadyTimeout)
	}
	noTablesLeft(t)
	noDirsLeft(t)
	if out, _ := exec.Command("pgrep", "-af", `127\.0\.0\.10[56]:`).CombinedOutput(); len(out) > 0 {
		t.Errorf("processes outlived the cancelled start: %s", out)
	}
}

// A scenario with a fault the real world cannot do is refused before anything starts,
// naming the fault, its time and why, instead of run for minutes to fail at its end.
func TestAnUnsupportedScheduleIsRefusedUpFront(t *testing.T) {
	s := scenarioFor(t, "clock-jump-tilt")
	began := time.Now()
	run, err := scenarios.Execute(t.Context(), s, real.Backend{Options: real.DefaultOptions}, 1, scenarios.Options{})
	if !errors.Is(err, world.ErrUnsupported) || run != nil {
		t.Fatalf("Execute of clock-jump-tilt: %v, %v; want ErrUnsupported and no run", run, err)
	}
	if want := `the real backend cannot do the fault "10s clock-jump n3/sentinel by -10s" of the schedule: clock jumps: not supported`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to begin %q", err, want)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the refusal took %v: a world was started", took)
	}
	noDirsLeft(t)
}

// A binary that is not installed stops the cluster before anything starts, named with
// what installs it: found at its node's turn, a missing gosentinel came to light only
// after the redis nodes had been started and had synced.
func TestAMissingBinaryIsNamedBeforeAnythingStarts(t *testing.T) {
	opts := real.DefaultOptions
	opts.Sentinel, opts.GoSentinel = "mixed", filepath.Join(t.TempDir(), "gosentinel")
	_, err := real.New(t.Context(), small(t, "127.0.0.47", "127.0.0.48"), 1, opts)
	if err == nil || !strings.Contains(err.Error(), "the real backend needs "+opts.GoSentinel+" (go build -o bin/gosentinel ./cmd/gosentinel") {
		t.Errorf("error %v: want it to name the missing gosentinel and how to build it", err)
	}
	if out, _ := exec.Command("pgrep", "-af", `127\.0\.0\.4[78]:`).CombinedOutput(); len(out) > 0 {
		t.Errorf("processes started before the missing binary was found: %s", out)
	}
	noDirsLeft(t)
}

// A node whose address and port something else already listens on stops the cluster
// before anything starts, naming the node and the address.
func TestABusyPortIsNamed(t *testing.T) {
	need(t)
	l, err := net.Listen("tcp", "127.0.0.45:26379")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = real.New(t.Context(), small(t, "127.0.0.45", "127.0.0.46"), 1, real.DefaultOptions)
	if err == nil || !strings.Contains(err.Error(), "n1/sentinel cannot listen on 127.0.0.45:26379") {
		t.Errorf("error %v: want it to name n1/sentinel and 127.0.0.45:26379", err)
	}
	if out, _ := exec.Command("pgrep", "-af", `127\.0\.0\.4[56]:`).CombinedOutput(); len(out) > 0 {
		t.Errorf("processes outlived the failed start: %s", out)
	}
	noDirsLeft(t)
}

// A killed node restarts on its own files: with appendonly yes, a write acknowledged
// before the SIGKILL is there after the restart (the master restarts as a master; a
// replica would have it back from its master anyway).
func TestRestartKeepsTheDataFiles(t *testing.T) {
	need(t)
	topo := small(t, "127.0.0.55", "127.0.0.56")
	for i, n := range topo.Nodes {
		if n.Name == "n1/redis" {
			topo.Nodes[i].Config = n.Config.With(world.Options{{Key: "appendonly", Value: "yes"}})
		}
	}
	c, err := real.New(t.Context(), topo, 1, real.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.Command("n1/redis", "SET", "kept", "yes"); err != nil || v.Str != "OK" {
		t.Fatalf("SET: %v %v", v, err)
	}
	if err := c.Kill("n1/redis"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart("n1/redis"); err != nil {
		t.Fatal(err)
	}
	var v resp.Value
	waitFor(t, "the restarted master to answer GET", func() bool {
		v, err = c.Command("n1/redis", "GET", "kept")
		return err == nil
	})
	if v.Str != "yes" {
		t.Errorf("GET kept after the restart: %+v, want \"yes\" from the append-only file", v)
	}
}

// small is a master and a replica on two hosts, and one sentinel.
func small(t *testing.T, a, b string) world.Topology {
	t.Helper()
	s, err := scenarios.Parse("small.yaml", []byte(fmt.Sprintf(`name: small
about: One master, one replica, one sentinel.
hosts:
  n1: {addr: %s, redis: [6379], sentinel: [26379]}
  n2: {addr: %s, redis: [6379]}
sentinel: {quorum: 1}
duration: 1s
`, a, b)))
	if err != nil {
		t.Fatal(err)
	}
	return s.Topology
}

// Every operation records the server its command was written to and the role that
// server gave, on the same connection, just after it: the master while it is one; once
// it has been made a replica behind the sentinels' back, its writes fail READONLY and
// its reads, served by a replica, are stale reads the checker finds from the history.
func TestHistoryRecordsTheServerAndItsRole(t *testing.T) {
	need(t)
	c := startCluster(t, `name: roles
about: One master, one replica, one sentinel, one client.
hosts:
  n1: {addr: 127.0.0.27, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.28, redis: [6379]}
sentinel: {quorum: 1}
duration: 1s
`)
	wl, _ := linearize.NewWorkload("register", 1)
	h := new(linearize.History)
	spec := world.ClientSpec{Workload: wl, Think: 10 * time.Millisecond, Timeout: time.Second, FollowSwitch: true}
	if err := c.StartClients(spec, h); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	// Operations called while REPLICAOF is on its way may still find a master: only those
	// that ended before it was sent, and those called after its reply, are judged.
	demoting := int64(c.Now())
	if _, err := c.Command("n1/redis", "REPLICAOF", "127.0.0.28", "6379"); err != nil {
		t.Fatal(err)
	}
	demoted := int64(c.Now())
	c.Advance(time.Second)
	c.StopClients()

	var before, readonly, replicaReads int
	for _, op := range h.Ops() {
		switch {
		case op.Return < demoting && op.Status == linearize.Ok:
			before++
			if op.Node != "n1/redis" || op.Role != linearize.RoleMaster {
				t.Errorf("%v before the demotion: served by %q as %q, want n1/redis as master", op, op.Node, op.Role)
			}
		case op.Call > demoted && op.Node != "n1/redis":
			t.Errorf("%v after the demotion: served by %q, want n1/redis, which the sentinel still names", op, op.Node)
		case op.Call > demoted && op.Role != linearize.RoleSlave:
			t.Errorf("%v after the demotion: role %q, want slave", op, op.Role)
		case op.Call > demoted && op.IsWrite():
			if op.Status != linearize.Fail || !strings.HasPrefix(op.Output.Error, "READONLY") {
				t.Errorf("%v: a write to a replica, want READONLY", op)
			}
			readonly++
		case op.Call > demoted && op.Status == linearize.Ok:
			replicaReads++
		}
	}
	if before == 0 || readonly == 0 || replicaReads == 0 {
		t.Fatalf("%d operations before the demotion, %d writes refused and %d reads served after it; want some of each",
			before, readonly, replicaReads)
	}
	// The one client's operations do not overlap, so every read a replica served is
	// stale, those while REPLICAOF was on its way included.
	ops := h.Ops()
	served := 0
	for _, op := range ops {
		if !op.IsWrite() && op.Status == linearize.Ok && op.Role == linearize.RoleSlave {
			served++
		}
	}
	v := linearize.StaleReads(ops, linearize.ObservedTimeline(ops))
	if ev, _ := v.Evidence.([]linearize.StaleRead); v.Result != linearize.Violated || len(ev) != served {
		t.Errorf("stale reads: %s: %s; want the %d reads served by the replica", v.Result, v.Summary, served)
	}
}
