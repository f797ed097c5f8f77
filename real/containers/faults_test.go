//go:build containers

package containers_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sentinelsim/sentinelsim/real/containers"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/world"
)

// The nftables partitions cut containers on the host's network as they cut processes:
// the master's host, partitioned away past down-after-milliseconds, is failed over
// while it keeps taking its client's writes, two masters take writes at once, and
// the old master's are lost when it rejoins.
func TestAPartitionInContainersCuts(t *testing.T) {
	need(t)
	s, err := scenarios.Parse("short-partition.yaml", []byte(`name: short-partition
about: The master's host partitioned away for longer than down-after-milliseconds.
hosts:
  n1: {addr: 127.0.0.81, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.82, redis: [6379], sentinel: [26379], clients: 1}
  n3: {addr: 127.0.0.83, redis: [6379], sentinel: [26379], clients: 1}
sentinel: {quorum: 2, down-after-milliseconds: 2000, failover-timeout: 10000}
workload: {kind: set-add, think: 20ms}
faults:
  - {at: 3s, partition: [[master], [rest]], for: 12s}
duration: 20s
quiet: 15s
expect:
  always: [sentinel-safety, liveness, one-failover]
  finds: [lost-writes, split-brain]
`))
	if err != nil {
		t.Fatal(err)
	}
	run, err := scenarios.Execute(t.Context(), s, containers.Backend{Options: options()}, 1, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	if !r.Passed() || r.Failovers != 1 || r.LostWrites == 0 || !slices.Contains(r.Found, "split-brain") {
		t.Errorf("verdict %s, %d failovers, %d of %d acknowledged writes lost, found %v, split-brain %.0f ms: %v",
			r.Verdict, r.Failovers, r.LostWrites, r.AckedWrites, r.Found, r.SplitBrainMs, r.Violations)
	}
	if len(r.Faults) != 2 || r.Faults[0].Err != "" || r.Faults[1].Err != "" {
		t.Errorf("faults as carried out: %+v", r.Faults)
	}
}

// A killed node's new container runs on the old one's directory: with appendonly yes,
// a write acknowledged before the kill is there after the restart.
func TestRestartKeepsTheDataFilesInContainers(t *testing.T) {
	need(t)
	topo := small(t, "127.0.0.84", "127.0.0.85")
	for i, n := range topo.Nodes {
		if n.Name == "n1/redis" {
			topo.Nodes[i].Config = n.Config.With(world.Options{{Key: "appendonly", Value: "yes"}})
		}
	}
	w, err := containers.Backend{Options: options()}.New(t.Context(), topo, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if v, err := w.Command("n1/redis", "SET", "kept", "yes"); err != nil || v.Str != "OK" {
		t.Fatalf("SET: %v %v", v, err)
	}
	if err := w.Kill("n1/redis"); err != nil {
		t.Fatal(err)
	}
	if err := w.Restart("n1/redis"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		v, err := w.Command("n1/redis", "GET", "kept")
		if err == nil {
			if v.Str != "yes" {
				t.Errorf("GET kept after the restart: %+v, want \"yes\" from the append-only file", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted master does not answer GET: %v", err)
		}
	}
}

// sentinelsim run --backend containers leaves no container behind when its run fails
// its expectation and when it is interrupted (SIGINT) mid-run.
func TestAFailedOrInterruptedRunLeavesNoContainer(t *testing.T) {
	need(t)
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, "../../cmd/sentinelsim").CombinedOutput(); err != nil {
		t.Fatalf("build sentinelsim: %v\n%s", err, out)
	}
	scenario := func(name, rest string) string {
		f := filepath.Join(dir, name+".yaml")
		src := fmt.Sprintf(`name: %s
about: Two hosts, three containers.
hosts:
  n1: {addr: 127.0.0.86, redis: [6379], sentinel: [26379], clients: 1}
  n2: {addr: 127.0.0.87, redis: [6379]}
sentinel: {quorum: 1, down-after-milliseconds: 1000, failover-timeout: 3000}
workload: {kind: set-add, think: 20ms}
%s`, name, rest)
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	run := func(file string) (*exec.Cmd, *bytes.Buffer) {
		opts := options()
		args := []string{"run", "--backend", "containers", "--image", opts.Image, "--file", file, "--quiet"}
		if opts.Pull {
			args = append(args, "--pull")
		}
		cmd := exec.Command(filepath.Join(dir, "sentinelsim"), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	// The partition is shorter than down-after-milliseconds: no failover.
	failed, out := run(scenario("failing", "faults: [{at: 0s, partition: [[n1], [n2]], for: 500ms}]\n"+
		"duration: 2s\nquiet: 1s\nexpect: {always: [failover]}\n"))
	waitForContainers(t, failed.Process.Pid, 3)
	if code := status(t, failed); code != 1 || !strings.Contains(out.String(), "VIOLATED    failover") {
		t.Errorf("failing run: exit status %d, want 1 and a failover violation:\n%s", code, out)
	}
	if left := containersOf(t, failed.Process.Pid); len(left) > 0 {
		t.Errorf("the failed run left containers of %v", left)
	}

	interrupted, out := run(scenario("long", "faults: [{at: 0s, partition: [[n1], [n2]]}]\nduration: 60s\n"))
	waitForContainers(t, interrupted.Process.Pid, 3)
	time.Sleep(time.Second) // mid-run: the clients are writing
	interrupted.Process.Signal(os.Interrupt)
	if code := status(t, interrupted); code != 130 {
		t.Errorf("interrupted run: exit status %d, want 130:\n%s", code, out)
	}
	if left := containersOf(t, interrupted.Process.Pid); len(left) > 0 {
		t.Errorf("the interrupted run left containers of %v", left)
	}
}

// containersOf lists the nodes of the containers whose owner is the process pid.
func containersOf(t *testing.T, pid int) []string {
	t.Helper()
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	list, err := docker.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "org.sentinelsim.owner")})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, c := range list.Items {
		if strings.HasPrefix(c.Labels["org.sentinelsim.owner"], fmt.Sprintf("%d-", pid)) {
			nodes = append(nodes, c.Labels["org.sentinelsim.node"])
		}
	}
	return nodes
}

// waitForContainers waits until the process pid has n containers.
func waitForContainers(t *testing.T, pid, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); len(containersOf(t, pid)) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run of pid %d has containers of %v after a minute, want %d", pid, containersOf(t, pid), n)
		}
	}
}

// status waits for cmd (bounded) and returns its exit status, 128+N for a signal N.
func status(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("sentinelsim did not end within two minutes")
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// scripts/with-docker's private engine, forced even though one answers here: the
// command runs against it (its root and socket in the script's temporary directory, the
// image built there by import, a container started), the command's exit status is the
// script's, and afterwards the directory, its mounts and the engine's processes are
// gone, while the engine these tests run on still answers.
func TestWithDockerStartsAndRemovesAPrivateEngine(t *testing.T) {
	need(t)
	cmd := exec.Command("../../scripts/with-docker", "sh", "-c", `echo "host=$DOCKER_HOST"
docker info --format 'root={{.DockerRootDir}}'
docker run -d --network host --entrypoint redis-server "$SENTINELSIM_IMAGE" --port 0 >/dev/null && echo started
exit 3`)
	cmd.Env = append(os.Environ(), "SENTINELSIM_PRIVATE_DOCKERD=1", "SENTINELSIM_IMAGE="+containers.DefaultImage)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("with-docker: %v, exit status %d, want the command's 3:\n%s", err, code, out.String())
	}
	m := regexp.MustCompile(`host=unix://(/tmp/sentinelsim-docker-[^/\s]+)/docker.sock`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the command did not run against a private engine's socket:\n%s", out.String())
	}
	tmp := m[1]
	for _, want := range []string{"root=" + tmp + "/data", "started", "building " + containers.DefaultImage} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the private engine's directory %s is still there (%v)", tmp, err)
	}
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, tmp) {
			t.Errorf("a mount of the private engine is left: %s", line)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(tmp)) {
			t.Errorf("process %s outlived the private engine: %s", filepath.Base(filepath.Dir(p)), bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	docker, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer docker.Close()
	if _, err := docker.Ping(context.Background(), client.PingOptions{}); err != nil {
		t.Errorf("the engine these tests run on no longer answers: %v", err)
	}
}

// scripts/with-docker never imports this machine's Redis under another image's name: an
// image not of ours that the engine lacks is refused, without SENTINELSIM_PULL=1, and
// the command does not run.
func TestWithDockerImportsOnlyItsOwnImages(t *testing.T) {
	need(t)
	cmd := exec.Command("../../scripts/with-docker", "echo", "ran")
	cmd.Env = append(os.Environ(), "SENTINELSIM_PRIVATE_DOCKERD=1", "SENTINELSIM_IMAGE=redis:7.0.15", "SENTINELSIM_PULL=")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || strings.Contains(string(out), "ran") || strings.Contains(string(out), "building") ||
		!strings.Contains(string(out), "no image redis:7.0.15; set SENTINELSIM_PULL=1") {
		t.Errorf("with-docker with SENTINELSIM_IMAGE=redis:7.0.15: %v:\n%s\nwant status 1, no import, no command, and a hint at SENTINELSIM_PULL", err, out)
	}
}
