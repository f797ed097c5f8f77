// Package real runs scenarios against real processes: Debian's redis-server, and
// redis-sentinel or gosentinel, each on its own loopback address 127.0.0.N and in its own
// temporary directory, with faults done by signals and by one private nftables table.
// Cluster implements world.World, so a scenario written for the simulator runs here
// unchanged, and the same checkers judge its history.
package real

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/world"
)

// Options say which binaries run the nodes.
type Options struct {
	// RedisServer, RedisSentinel and GoSentinel are the binaries (looked up in PATH when
	// not absolute). GoSentinel is needed only when Sentinel asks for it.
	RedisServer, RedisSentinel, GoSentinel string
	// Sentinel is "redis" (every sentinel is redis-sentinel), "go" (gosentinel),
	// "mixed" (alternating, gosentinel first) or "mixed-redis" (alternating,
	// redis-sentinel first).
	Sentinel string
	// ReadyTimeout bounds each step of bringing the cluster up.
	ReadyTimeout time.Duration
	// Launcher starts the programs; nil means child processes of this one. A cluster
	// closes its launcher when it closes.
	Launcher Launcher
	// OnEvent, when set, is called with each sentinel event as the cluster records it,
	// in the order Events lists them: so that a caller can show the sentinels' log as
	// the run goes, as the simulator's OnRecord does. Calls come one at a time, under
	// the cluster's lock, from the goroutines following the sentinels: it must not
	// call the cluster, and should be quick.
	OnEvent func(linearize.SentinelEvent)
}

// DefaultOptions are Debian's binaries and redis-sentinel.
var DefaultOptions = Options{RedisServer: "redis-server", RedisSentinel: "redis-sentinel",
	GoSentinel: "gosentinel", Sentinel: "redis", ReadyTimeout: time.Minute}

// Cluster is a running topology of real processes.
type Cluster struct {
	topo  world.Topology
	opts  Options
	dir   string
	start time.Time
	nodes map[string]*process
	net   *firewall

	launcher Launcher
	seed     uint64

	mu      sync.Mutex
	events  []linearize.SentinelEvent
	clients []*client
	history *linearize.History
	stop    context.CancelFunc // ends the event subscriptions
	wg      sync.WaitGroup
	closed  bool
}

// New starts the topology's redis nodes, waits until every replica has synced, starts
// the sentinels and waits until each knows every replica and every other sentinel. On
// any error, and as soon as ctx ends (a Ctrl-C should not wait out a ready timeout of a
// minute), everything started is stopped again: processes, nftables table, directory.
// ctx bounds only the start-up, not the cluster's life.
func New(ctx context.Context, t world.Topology, seed uint64, opts Options) (*Cluster, error) {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(t.Speeds) > 0 {
		// The speeds describe the simulated machine; ignoring them would run another
		// scenario than the one asked for.
		return nil, fmt.Errorf("speeds: %w (they describe the simulated machine; this one runs at its own)", world.ErrUnsupported)
	}
	for _, h := range t.Hosts {
		if h.Addr == observer {
			return nil, fmt.Errorf("host %s has address %s, which the real backend keeps for itself", h.Name, observer)
		}
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = DefaultOptions.ReadyTimeout
	}
	launcher := opts.Launcher
	if launcher == nil {
		launcher = processes{}
		if err := installed(t, opts); err != nil {
			return nil, err
		}
	}
	if err := removeLeftovers(); err != nil {
		launcher.Close()
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPattern)
	if err != nil {
		launcher.Close()
		return nil, err
	}
	c := &Cluster{topo: t, opts: opts, dir: dir, start: time.Now(), nodes: map[string]*process{}, seed: seed,
		launcher: launcher}
	if err := c.up(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// up brings the cluster up, step by step, each bounded by the ready timeout and by ctx.
func (c *Cluster) up(ctx context.Context) error {
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(Owner()), 0o644); err != nil {
		return err
	}
	var err error
	var addrs []string
	for _, h := range c.topo.Hosts {
		addrs = append(addrs, h.Addr)
	}
	if c.net, err = newFirewall(addrs); err != nil {
		return err
	}
	if err := c.checkPorts(); err != nil {
		return err
	}
	for _, n := range c.topo.OfKind(world.Redis) {
		if err := c.startRedis(n); err != nil {
			return err
		}
	}
	if err := c.waitUntil(ctx, "replication", c.replicasLinked); err != nil {
		return err
	}
	for i, n := range c.topo.OfKind(world.Sentinel) {
		if err := c.startSentinel(n, i); err != nil {
			return err
		}
	}
	if err := c.waitUntil(ctx, "sentinel discovery", c.sentinelsAcquainted); err != nil {
		return err
	}
	// The subscriptions live as long as the cluster, not as long as New's ctx.
	follow, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	for _, n := range c.topo.OfKind(world.Sentinel) {
		c.wg.Go(func() { c.followEvents(follow, n) })
	}
	return nil
}

// quiet drops go-redis's own log lines (reconnections, dial failures): during a fault
// they are expected by the thousand, and the history records every failure anyway.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

// checkPorts fails, naming the node, if anything already listens where a node would.
func (c *Cluster) checkPorts() error {
	for _, n := range c.topo.Nodes {
		if n.Kind == world.Client {
			continue
		}
		l, err := net.Listen("tcp", c.topo.Addr(n))
		if err != nil {
			return fmt.Errorf("%s cannot listen on %s: %w", n.Name, c.topo.Addr(n), err)
		}
		l.Close()
	}
	return nil
}

func (c *Cluster) ip(n world.Node) string {
	h, _ := c.topo.Host(n.Host)
	return h.Addr
}

// nodeDir is a node's directory: its config, its data files and its log.
func (c *Cluster) nodeDir(n world.Node) string {
	return filepath.Join(c.dir, strings.NewReplacer("/", "_", ":", "_").Replace(n.Name))
}

func (c *Cluster) startRedis(n world.Node) error {
	dir := c.nodeDir(n)
	ip := c.ip(n)
	lines := []string{"port " + strconv.Itoa(n.Port), "bind " + ip, "bind-source-addr " + ip,
		"replica-announce-ip " + ip, "protected-mode no", "daemonize no", "dir " + quote(dir),
		"logfile " + quote(filepath.Join(dir, "redis.log"))}
	for _, o := range n.Config {
		lines = append(lines, o.Key+" "+o.Value)
	}
	if m := c.topo.InitialMaster(); m.Name != n.Name {
		lines = append(lines, fmt.Sprintf("replicaof %s %d", c.ip(m), m.Port))
	}
	return c.spawn(n, c.opts.RedisServer, dir, "redis.conf", lines)
}

func (c *Cluster) startSentinel(n world.Node, i int) error {
	dir := c.nodeDir(n)
	ip := c.ip(n)
	t := c.topo
	m := t.InitialMaster()
	lines := []string{"port " + strconv.Itoa(n.Port), "bind " + ip, "bind-source-addr " + ip,
		"sentinel announce-ip " + ip, "protected-mode no", "daemonize no", "dir " + quote(dir),
		"logfile " + quote(filepath.Join(dir, "sentinel.log")),
		fmt.Sprintf("sentinel monitor %s %s %d %d", t.MasterName, c.ip(m), m.Port, t.Quorum)}
	for _, o := range t.Monitor {
		lines = append(lines, fmt.Sprintf("sentinel %s %s %s", o.Key, t.MasterName, o.Value))
	}
	for _, o := range n.Config {
		lines = append(lines, o.Key+" "+o.Value)
	}
	bin, err := c.sentinelBinary(i)
	if err != nil {
		return err
	}
	return c.spawn(n, bin, dir, "sentinel.conf", lines)
}

// sentinelBinary is the binary of the i-th sentinel.
func (c *Cluster) sentinelBinary(i int) (string, error) { return sentinelBinary(c.opts, i) }

func sentinelBinary(opts Options, i int) (string, error) {
	switch opts.Sentinel {
	case "", "redis":
		return opts.RedisSentinel, nil
	case "go":
		return opts.GoSentinel, nil
	case "mixed", "mixed-redis":
		if (i%2 == 0) == (opts.Sentinel == "mixed") {
			return opts.GoSentinel, nil
		}
		return opts.RedisSentinel, nil
	}
	return "", fmt.Errorf("unknown sentinel kind %q (redis, go, mixed, mixed-redis)", opts.Sentinel)
}

// installed checks, before anything starts, that every binary the topology's nodes run
// is there: found only when its node's turn came, a missing gosentinel would be named
// after the redis nodes had been started and synced, and stopped again.
func installed(t world.Topology, opts Options) error {
	bins := map[string]string{}
	if len(t.OfKind(world.Redis)) > 0 {
		bins[opts.RedisServer] = "apt-get install -y redis-server"
	}
	for i := range t.OfKind(world.Sentinel) {
		bin, err := sentinelBinary(opts, i)
		if err != nil {
			return err
		}
		if bin == opts.GoSentinel {
			bins[bin] = "go build -o bin/gosentinel ./cmd/gosentinel, then put bin on PATH or pass its path"
		} else {
			bins[bin] = "apt-get install -y redis-sentinel"
		}
	}
	var errs []error
	for _, bin := range slices.Sorted(maps.Keys(bins)) {
		if _, err := exec.LookPath(bin); err != nil {
			errs = append(errs, fmt.Errorf("the real backend needs %s (%s): %w", bin, bins[bin], err))
		}
	}
	return errors.Join(errs...)
}

func quote(s string) string { return strconv.Quote(s) }

// waitUntil polls ready until it reports nothing left waiting, or fails after the ready
// timeout naming what did not come up, or returns ctx's error as soon as ctx ends. ready
// gets ctx too, so that a probe of a node that does not answer is cut short as well.
func (c *Cluster) waitUntil(ctx context.Context, what string, ready func(context.Context) []string) error {
	deadline := time.Now().Add(c.opts.ReadyTimeout)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		waiting := ready(ctx)
		if err := ctx.Err(); err != nil {
			return err // what ready says was cut short by ctx, not the node's fault
		}
		if len(waiting) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %s", what, c.opts.ReadyTimeout, strings.Join(waiting, "; "))
		}
		select {
		case <-ctx.Done():
		case <-poll.C:
		}
	}
}

func (c *Cluster) replicasLinked(ctx context.Context) []string {
	var waiting []string
	for _, n := range c.topo.OfKind(world.Redis)[1:] {
		info := c.info(ctx, n, "replication")
		if info["master_link_status"] != "up" {
			waiting = append(waiting, n.Name+" has not synced with the master"+c.nodes[n.Name].exitNote())
		}
	}
	return waiting
}

func (c *Cluster) sentinelsAcquainted(ctx context.Context) []string {
	replicas := len(c.topo.OfKind(world.Redis)) - 1
	others := len(c.topo.OfKind(world.Sentinel)) - 1
	var waiting []string
	for _, n := range c.topo.OfKind(world.Sentinel) {
		m := c.sentinelMaster(ctx, n)
		slaves, _ := strconv.Atoi(m["num-slaves"])
		peers, _ := strconv.Atoi(m["num-other-sentinels"])
		if slaves < replicas || peers < others {
			waiting = append(waiting, fmt.Sprintf("%s knows %d of %d replicas and %d of %d sentinels%s",
				n.Name, slaves, replicas, peers, others, c.nodes[n.Name].exitNote()))
		}
	}
	return waiting
}

// observer is the address the harness itself talks from, so that no partition between
// the hosts cuts it off from what it observes.
const observer = "127.0.0.254"

// rdb is a short-lived client of one node, from the observer's address; callers close it.
func (c *Cluster) rdb(n world.Node) *redis.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(observer)}, Timeout: time.Second}
	return redis.NewClient(&redis.Options{Addr: c.topo.Addr(n), DialTimeout: time.Second,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1, PoolSize: 1,
		DisableIdentity: true, Protocol: 2, Dialer: d.DialContext})
}

// do sends one command to a node, giving up after 2 s or when ctx ends.
func (c *Cluster) do(ctx context.Context, n world.Node, args ...any) (any, error) {
	r := c.rdb(n)
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.Do(ctx, args...).Result()
}

// info reads one INFO section as a map.
func (c *Cluster) info(ctx context.Context, n world.Node, section string) map[string]string {
	v, err := c.do(ctx, n, "INFO", section)
	out := map[string]string{}
	s, _ := v.(string)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(s, "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok {
			out[k] = val
		}
	}
	return out
}

// sentinelMaster reads SENTINEL MASTER as a map.
func (c *Cluster) sentinelMaster(ctx context.Context, n world.Node) map[string]string {
	v, err := c.do(ctx, n, "SENTINEL", "MASTER", c.topo.MasterName)
	out := map[string]string{}
	if err != nil {
		return out
	}
	switch fields := v.(type) {
	case []any:
		for i := 0; i+1 < len(fields); i += 2 {
			out[fmt.Sprint(fields[i])] = fmt.Sprint(fields[i+1])
		}
	case map[any]any:
		for k, val := range fields {
			out[fmt.Sprint(k)] = fmt.Sprint(val)
		}
	}
	return out
}

// Topology is the topology the cluster runs.
func (c *Cluster) Topology() world.Topology { return c.topo }

// Now is the time since the cluster started, on the monotonic clock.
func (c *Cluster) Now() time.Duration { return time.Since(c.start) }

// Advance lets d pass while the processes and clients run.
func (c *Cluster) Advance(d time.Duration) { time.Sleep(d) }

func (c *Cluster) node(name string) (world.Node, *process, error) {
	n, ok := c.topo.Node(name)
	p := c.nodes[name]
	if !ok || p == nil {
		return n, nil, fmt.Errorf("no redis or sentinel node called %q", name)
	}
	return n, p, nil
}

// running is the program of a node that runs.
func (c *Cluster) running(name string) (Running, error) {
	_, p, err := c.node(name)
	if err != nil {
		return nil, err
	}
	return p.current()
}

// Kill is SIGKILL.
func (c *Cluster) Kill(name string) error {
	_, p, err := c.node(name)
	if err != nil {
		return err
	}
	return p.kill()
}

// The faults a real machine cannot do at all, by the scenario's name of their kind:
// the cluster's methods return these errors, and Backend.Refuses the same ones before
// any cluster starts, so that a run is refused up front, not failed at its end.
var (
	// What a process wrote is in the page cache this machine shares with every other
	// node, and stays there.
	errPowerLoss = fmt.Errorf("power loss: %w (the nodes share this machine's page cache)", world.ErrUnsupported)
	errClockJump = fmt.Errorf("clock jumps: %w (a process cannot have its own wall clock here)", world.ErrUnsupported)
	errDrift     = fmt.Errorf("clock drift: %w (a process cannot have its own wall clock here)", world.ErrUnsupported)
	errLatency   = fmt.Errorf("latency: %w (tc netem is not available in this kernel)", world.ErrUnsupported)

	unsupported = map[string]error{"power-loss": errPowerLoss, "clock-jump": errClockJump,
		"drift": errDrift, "latency": errLatency}
)

// PowerLoss is not possible for one process of a real machine (see errPowerLoss).
func (c *Cluster) PowerLoss(string) error { return errPowerLoss }

// Restart starts a killed node again with its config file and data files.
func (c *Cluster) Restart(name string) error {
	_, p, err := c.node(name)
	if err != nil {
		return err
	}
	return p.start()
}

// Pause is SIGSTOP.
func (c *Cluster) Pause(name string) error {
	r, err := c.running(name)
	if err != nil {
		return err
	}
	return r.Pause()
}

// Resume is SIGCONT.
func (c *Cluster) Resume(name string) error {
	r, err := c.running(name)
	if err != nil {
		return err
	}
	return r.Resume()
}

// JumpClock is not possible for one process of a real machine.
func (c *Cluster) JumpClock(string, time.Duration) error { return errClockJump }

// Drift is not possible for one process of a real machine.
func (c *Cluster) Drift(string, int64) error { return errDrift }

// Command sends one command to a node, as redis-cli would.
func (c *Cluster) Command(name string, args ...string) (resp.Value, error) {
	n, _, err := c.node(name)
	if err != nil {
		return resp.Value{}, err
	}
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return value(c.do(context.Background(), n, a...))
}

// Close stops the clients, kills every process, deletes the nftables table and the
// temporary directory. It is safe to call twice.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.StopClients()
	if c.stop != nil {
		c.stop()
	}
	var errs []error
	for _, p := range c.nodes {
		if err := p.kill(); err != nil {
			errs = append(errs, err)
		}
	}
	c.wg.Wait()
	errs = append(errs, c.launcher.Close())
	if c.net != nil {
		errs = append(errs, c.net.close())
	}
	errs = append(errs, os.RemoveAll(c.dir))
	return errors.Join(errs...)
}

// process is one node's program, restartable.
type process struct {
	name, bin, dir, conf string
	launcher             Launcher
	mu                   sync.Mutex
	run                  Running // nil when it is not running
	last                 Running // the latest run, for exitNote
}

// spawn writes a node's config file and starts it.
func (c *Cluster) spawn(n world.Node, bin, dir, confName string, lines []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, confName)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	p := &process{name: n.Name, bin: bin, dir: dir, conf: conf, launcher: c.launcher}
	c.nodes[n.Name] = p
	return p.start()
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run != nil {
		return fmt.Errorf("%s is running", p.name)
	}
	r, err := p.launcher.Launch(p.name, p.bin, p.dir, p.conf)
	if err != nil {
		return err
	}
	p.run, p.last = r, r
	go func() {
		<-r.Done()
		p.mu.Lock()
		if p.run == r {
			p.run = nil
		}
		p.mu.Unlock()
	}()
	return nil
}

// kill sends SIGKILL and waits until the program is gone.
func (p *process) kill() error {
	p.mu.Lock()
	r := p.run
	p.mu.Unlock()
	if r == nil {
		return nil
	}
	if err := r.Kill(); err != nil {
		return fmt.Errorf("%s: kill: %w", p.name, err)
	}
	return nil
}

// current is the running program, or an error saying the node is not running.
func (p *process) current() (Running, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil {
		return nil, fmt.Errorf("%s is not running", p.name)
	}
	return p.run, nil
}

func (p *process) running() bool {
	_, err := p.current()
	return err == nil
}

// exitNote says why a node that should run does not, for error messages.
func (p *process) exitNote() string {
	if p == nil || p.running() || p.last == nil {
		return ""
	}
	return fmt.Sprintf(" (it exited: %v; %s)", p.last.Err(), p.last.Output())
}

var _ world.World = (*Cluster)(nil)

// Backend builds real clusters for scenarios.
type Backend struct{ Options }

// Name is "real".
func (Backend) Name() string { return "real" }

// ReplayFlags are the command-line flags that choose these options.
func (b Backend) ReplayFlags() string {
	if b.Sentinel == "" || b.Sentinel == "redis" {
		return ""
	}
	return "--sentinel " + b.Sentinel
}

// Refuses says why a kind of fault (as scenarios name kinds: "clock-jump", "latency")
// cannot be done by any cluster, with the error the cluster's method would return; it
// is nil for the kinds that can be done.
func (Backend) Refuses(kind string) error { return unsupported[kind] }

// New starts a cluster of real processes; seed drives the clients' workload choices.
func (b Backend) New(ctx context.Context, t world.Topology, seed uint64) (world.World, error) {
	return New(ctx, t, seed, b.Options)
}
