//go:build containers

// These tests need a Docker engine and the backend's image, which CI does not start by
// default: `make nightly` runs them under scripts/with-docker (go test -tags containers).
// Without an engine they fail, saying so.
package containers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/real/containers"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// need fails the test, saying what is missing, when there is no engine to run on.
func need(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Fatal("nft is not installed: apt-get install -y nftables")
	}
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatalf("no Docker engine answers (%v): run these tests as scripts/with-docker go test -tags containers ./real/containers", err)
	}
	docker.Close()
}

// options are the backend's defaults with the image the environment names, as
// scripts/with-docker and sentinelsim read it: SENTINELSIM_IMAGE, and SENTINELSIM_PULL=1
// to let the engine pull it.
func options() containers.Options {
	opts := containers.DefaultOptions
	if image := os.Getenv("SENTINELSIM_IMAGE"); image != "" {
		opts.Image = image
	}
	opts.Pull = os.Getenv("SENTINELSIM_PULL") == "1"
	return opts
}

// gosentinel builds cmd/gosentinel into a temporary directory.
func gosentinel(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gosentinel")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/gosentinel").CombinedOutput(); err != nil {
		t.Fatalf("build gosentinel: %v\n%s", err, out)
	}
	return bin
}

// The walkthrough, every redis-server and sentinel in a container of its own: the same
// scenario, outcome and checkers as with processes, for redis-sentinel and for a quorum
// mixing gosentinel (the host's binary, mounted) and redis-sentinel.
func TestTutorialKillMasterInContainers(t *testing.T) {
	need(t)
	bin := gosentinel(t)
	t.Run("runs", func(t *testing.T) {
		for i, kind := range []string{"redis", "mixed"} {
			t.Run(kind, func(t *testing.T) {
				t.Parallel()
				opts := options()
				opts.Sentinel, opts.GoSentinel = kind, bin
				tutorial(t, containers.Backend{Options: opts}, fmt.Sprintf("127.0.0.%d", 71+i))
			})
		}
	})
	// Every container is gone with its cluster.
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	list, err := docker.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "org.sentinelsim.owner="+real.Owner())})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Items {
		t.Errorf("container %s of node %s outlived its cluster", c.ID[:12], c.Labels["org.sentinelsim.node"])
	}
}

func tutorial(t *testing.T, b containers.Backend, addr string) {
	s, err := scenarios.Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	s.Topology.Hosts = []world.Host{{Name: s.Topology.Hosts[0].Name, Addr: addr}}
	run, err := scenarios.Execute(context.Background(), s, b, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	// A write the master acknowledged in its last event-loop iteration may not have
	// reached the replicas when the SIGKILL came: at most one per client, as with
	// processes (real.killTail, fidelity/README.md).
	tail := len(s.Topology.OfKind(world.Client))
	if r.Backend != "containers" || !r.Passed() || r.Failovers != 1 || r.LostWrites > tail || !r.Converged || r.AckedWrites < 1000 {
		t.Errorf("%s: verdict %s, %d failovers, %d of %d acknowledged writes lost, converged %v: %v",
			r.Backend, r.Verdict, r.Failovers, r.LostWrites, r.AckedWrites, r.Converged, r.Violations)
	}
	if r.FinalMaster == "local/redis:6382" || r.FinalMaster == "" {
		t.Errorf("final master %q, want a promoted replica", r.FinalMaster)
	}
	if !strings.Contains(r.Replay, "--backend containers") {
		t.Errorf("replay %q does not name the backend", r.Replay)
	}
}

// One node per container, each on the host's network, and no reaper (Ryuk) beside
// them: killed, paused and restarted through the engine, and every container removed
// on Close.
func TestEachNodeIsAContainer(t *testing.T) {
	need(t)
	topo := small(t, "127.0.0.75", "127.0.0.76")
	w, err := containers.Backend{Options: options()}.New(t.Context(), topo, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := ours(t); len(got) != 3 {
		t.Fatalf("%d containers of this run (%v), want one per node: 2 redis, 1 sentinel", len(got), got)
	}
	noReaper(t)
	if err := w.Pause("n2/redis"); err != nil {
		t.Fatal(err)
	}
	if state := procState(t, "127.0.0.76:6379"); state != "T" {
		t.Errorf("a paused node's process is in state %q, want T (stopped)", state)
	}
	if err := w.Kill("n2/redis"); err != nil {
		t.Fatal(err)
	}
	if state := procState(t, "127.0.0.76:6379"); state != "" {
		t.Errorf("a killed node's process is still there, in state %q", state)
	}
	if err := w.Restart("n2/redis"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		v, err := w.Command("n2/redis", "PING")
		if err == nil && v.Str == "PONG" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted node does not answer PING: %v %v", v, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := ours(t); len(got) != 0 {
		t.Errorf("containers outlived Close: %v", got)
	}
}

// The containers backend refuses the faults the real backend refuses, with the same
// errors: its nodes share the machine's kernel, clock and page cache all the same. And a
// schedule with one is refused before any engine is asked for anything.
func TestFaultsAreRefusedAsTheRealBackendRefusesThem(t *testing.T) {
	b, r := containers.Backend{Options: options()}, real.Backend{Options: real.DefaultOptions}
	refused := 0
	for _, kind := range []scenarios.FaultKind{scenarios.Kill, scenarios.PowerLoss, scenarios.Restart, scenarios.Pause,
		scenarios.Resume, scenarios.ClockJump, scenarios.Drift, scenarios.Command, scenarios.Partition, scenarios.Cut,
		scenarios.Heal, scenarios.Latency, scenarios.Loss} {
		got, want := b.Refuses(string(kind)), r.Refuses(string(kind))
		if got != want {
			t.Errorf("%s: the containers backend refuses it with %v, the real backend with %v", kind, got, want)
		}
		if got != nil {
			refused++
		}
	}
	if refused != 4 {
		t.Errorf("%d kinds refused, want 4: clock-jump, drift, power-loss, latency", refused)
	}
	s, err := scenarios.Lookup("clock-jump-tilt")
	if err != nil {
		t.Fatal(err)
	}
	// No engine here: one asked for anything would fail the run with another error.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no.sock"))
	if _, err := scenarios.Execute(t.Context(), s, b, 1, scenarios.Options{}); !errors.Is(err, world.ErrUnsupported) ||
		!strings.Contains(err.Error(), "the containers backend cannot do the fault \"10s clock-jump n3/sentinel by -10s\"") {
		t.Errorf("Execute of clock-jump-tilt: %v, want the clock jump refused", err)
	}
}

// Without the image, nothing is pulled unless asked: the error says how to build it.
func TestAMissingImageIsNotPulled(t *testing.T) {
	need(t)
	opts := options()
	opts.Image, opts.Pull = "sentinelsim/no-such-image:0", false
	_, err := containers.Backend{Options: opts}.New(t.Context(), small(t, "127.0.0.77", "127.0.0.78"), 1)
	if err == nil || !strings.Contains(err.Error(), "no image sentinelsim/no-such-image:0") ||
		!strings.Contains(err.Error(), "scripts/with-docker") {
		t.Errorf("error %v: want it to name the image and scripts/with-docker", err)
	}
}

// Without an engine the backend fails at once, saying what to do. (In a child process:
// testcontainers-go settles on an engine once per process.)
func TestNoEngineIsAClearError(t *testing.T) {
	if os.Getenv("NO_ENGINE_CHILD") == "1" {
		w, err := containers.Backend{Options: options()}.New(t.Context(), small(t, "127.0.0.77", "127.0.0.78"), 1)
		if err == nil {
			w.Close()
		}
		fmt.Printf("error: %v\n", err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoEngineIsAClearError$")
	cmd.Env = append(os.Environ(), "NO_ENGINE_CHILD=1", "DOCKER_HOST=unix://"+filepath.Join(t.TempDir(), "no.sock"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "error: the containers backend needs a Docker engine") {
		t.Errorf("%v: %s\nwant an error saying a Docker engine is needed", err, out)
	}
}

// A run starting removes the containers of runs whose owner has ended, and only those.
func TestADeadRunsContainersAreRemoved(t *testing.T) {
	need(t)
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	ctx := context.Background()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for name, owner := range map[string]string{"dead": fmt.Sprintf("%d-1", dead.Process.Pid), "live": real.Owner()} {
		c, err := docker.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{
			Image: options().Image, Entrypoint: []string{"redis-server"},
			Labels: map[string]string{"org.sentinelsim.owner": owner, "org.sentinelsim.node": name}}})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
		t.Cleanup(func() { docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}) })
	}
	w, err := containers.Backend{Options: options()}.New(t.Context(), small(t, "127.0.0.79", "127.0.0.80"), 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := docker.ContainerInspect(ctx, ids["dead"], client.ContainerInspectOptions{}); err == nil {
		t.Error("the dead run's container is still there")
	}
	if _, err := docker.ContainerInspect(ctx, ids["live"], client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the live run's container: %v", err)
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

// ours lists the nodes of this process's containers.
func ours(t *testing.T) []string {
	t.Helper()
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	list, err := docker.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "org.sentinelsim.owner="+real.Owner())})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, c := range list.Items {
		nodes = append(nodes, c.Labels["org.sentinelsim.node"])
	}
	return nodes
}

// procState is the state letter of the process whose title names addr ("" if none).
func procState(t *testing.T, addr string) string {
	t.Helper()
	out, _ := exec.Command("ps", "-eo", "stat=,args=").CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.Contains(line, addr) && !strings.Contains(line, "ps -eo") {
			return f[0][:1]
		}
	}
	return ""
}

// noReaper fails the test if testcontainers-go's reaper (Ryuk) runs on the engine: the
// backend keeps it off (it would be pulled from Docker Hub) and removes its own.
func noReaper(t *testing.T) {
	t.Helper()
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	list, err := docker.ContainerList(context.Background(), client.ContainerListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 {
		t.Fatal("the engine lists no container at all, while the run's are up")
	}
	for _, c := range list.Items {
		if strings.Contains(c.Image, "ryuk") || c.Labels["org.testcontainers.reaper"] == "true" ||
			c.Labels["org.testcontainers.ryuk"] == "true" {
			t.Errorf("a reaper container runs: %s %s %v", c.ID[:12], c.Image, c.Names)
		}
	}
}
