// Package sim assembles simulated worlds from the kernel, the simulated redis-server,
// simulated sentinels and simulated clients: sim.World implements world.World, so the
// scenarios written for the real backends run here, deterministically, from a seed.
package sim

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/client"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/sim/redis"
	"github.com/sentinelsim/sentinelsim/sim/sentineld"
	"github.com/sentinelsim/sentinelsim/world"
)

// World is a simulated cluster built from a topology: simulated redis-servers, sentinels
// running the sentinel package's state machine, and Sentinel-aware clients, all on one
// kernel seeded for the run. It implements world.World.
type World struct {
	k    *kernel.Kernel
	topo world.Topology

	procs     map[string]*kernel.Process
	redis     map[string]*redis.Server
	sentinels map[string]*sentineld.Program
	clients   []*client.Client
	admins    map[string]*kernel.Process // per host, the process Command talks from
	names     map[client.Addr]string

	onRecord func(sentineld.Record)
	log      []sentineld.Record
	accepts  []linearize.NodeAccepts // by redis node, in the topology's order
	roles    []linearize.RoleChange  // every redis node's role changes, in time order
}

// Options tune a simulated world.
type Options struct {
	// Kernel holds the network model's defaults (latency, retransmission).
	Kernel kernel.Options
	// OnRecord, if set, sees every sentinel event and log line as it happens.
	OnRecord func(sentineld.Record)
}

// NewWorld builds and starts the topology's redis nodes and sentinels on a kernel seeded
// with seed, and returns once the cluster is ready, as a real deployment is brought up:
// the replicas have synced with the master before the sentinels start, and the sentinels
// know every replica and each other. Clients start with StartClients.
func NewWorld(t world.Topology, seed uint64, opts Options) (*World, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	k, err := kernel.New(seed, opts.Kernel)
	if err != nil {
		return nil, err
	}
	w := &World{k: k, topo: t, procs: map[string]*kernel.Process{}, redis: map[string]*redis.Server{},
		sentinels: map[string]*sentineld.Program{}, admins: map[string]*kernel.Process{}, names: map[client.Addr]string{},
		onRecord: opts.OnRecord}
	for _, h := range t.Hosts {
		k.AddHost(h.Addr)
	}
	for _, n := range t.OfKind(world.Redis) {
		if err := w.addRedis(n); err != nil {
			return nil, err
		}
	}
	if err := w.waitUntil("replication", w.replicasLinked); err != nil {
		return nil, err
	}
	for _, n := range t.OfKind(world.Sentinel) {
		w.addSentinel(n)
	}
	if err := w.waitUntil("sentinel discovery", w.sentinelsAcquainted); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *World) host(n world.Node) *kernel.Host {
	h, _ := w.topo.Host(n.Host)
	return w.k.Host(h.Addr)
}

func (w *World) addRedis(n world.Node) error {
	var opts [][2]string
	for _, o := range n.Config {
		// A value is written as in redis.conf: save "" is an empty value.
		args, err := resp.SplitArgs(o.Value)
		if err != nil {
			return fmt.Errorf("%s: option %s %s: %v", n.Name, o.Key, o.Value, err)
		}
		opts = append(opts, [2]string{o.Key, strings.Join(args, " ")})
	}
	if m := w.topo.InitialMaster(); m.Name != n.Name {
		h, _ := w.topo.Host(m.Host)
		opts = append(opts, [2]string{"replicaof", fmt.Sprintf("%s %d", h.Addr, m.Port)})
	}
	var speeds [][2]string
	for _, o := range w.topo.Speeds {
		speeds = append(speeds, [2]string{o.Key, o.Value})
	}
	sp, err := redis.ParseSpeeds(speeds)
	if err != nil {
		return fmt.Errorf("speeds: %w", err)
	}
	srv, err := redis.New(redis.Config{Port: n.Port, Options: opts, Speeds: sp})
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	i := len(w.accepts)
	w.accepts = append(w.accepts, linearize.NodeAccepts{Node: n.Name})
	srv.OnWrite = func(string, string) {
		w.accepts[i].At = append(w.accepts[i].At, int64(w.k.Now()))
	}
	srv.OnRole = func(_, role string) { w.roleChanged(n.Name, role) }
	w.redis[n.Name] = srv
	w.procs[n.Name] = w.host(n).Spawn(n.Name, srv)
	return nil
}

// roleChanged records a redis node's new role, in the trace too, so that a kept trace
// shows when each node became or stopped being master.
func (w *World) roleChanged(node, role string) {
	now := w.k.Now()
	w.roles = append(w.roles, linearize.RoleChange{Node: node, At: int64(now), Role: role})
	shown := role
	if shown == linearize.RoleDown {
		shown = "down"
	}
	w.k.Trace().Note(now, node+" role "+shown)
}

// sentinelConfig is a sentinel's configuration file: its port, the monitored master and
// the per-master options, then the node's own directives.
func (w *World) sentinelConfig(n world.Node) string {
	t := w.topo
	m := t.InitialMaster()
	h, _ := t.Host(m.Host)
	var b strings.Builder
	fmt.Fprintf(&b, "port %d\nsentinel monitor %s %s %d %d\n", n.Port, t.MasterName, h.Addr, m.Port, t.Quorum)
	for _, o := range t.Monitor {
		fmt.Fprintf(&b, "sentinel %s %s %s\n", o.Key, t.MasterName, o.Value)
	}
	for _, o := range n.Config {
		fmt.Fprintf(&b, "%s %s\n", o.Key, o.Value)
	}
	return b.String()
}

func (w *World) addSentinel(n world.Node) {
	prog := sentineld.New(n.Name, w.sentinelConfig(n))
	prog.Observe = func(r sentineld.Record) {
		w.log = append(w.log, r)
		if w.onRecord != nil {
			w.onRecord(r)
		}
	}
	w.sentinels[n.Name] = prog
	w.procs[n.Name] = w.host(n).Spawn(n.Name, prog)
}

// readyLimit bounds each step of bringing the cluster up.
const readyLimit = time.Minute

// waitUntil runs the simulation until ready reports no node left waiting.
func (w *World) waitUntil(what string, ready func() []string) error {
	deadline := w.k.Now() + readyLimit
	for {
		waiting := ready()
		if len(waiting) == 0 {
			return nil
		}
		if w.k.Now() >= deadline {
			return fmt.Errorf("%s not ready after %v: %s", what, readyLimit, strings.Join(waiting, "; "))
		}
		w.k.RunFor(100 * time.Millisecond)
	}
}

// replicasLinked lists the replicas whose link to the master is not up yet.
func (w *World) replicasLinked() []string {
	var waiting []string
	for _, n := range w.topo.OfKind(world.Redis)[1:] {
		if _, _, up := w.redis[n.Name].Master(); !up {
			waiting = append(waiting, n.Name+" has not synced with the master")
		}
	}
	return waiting
}

// sentinelsAcquainted lists the sentinels that do not know every replica and every other
// sentinel yet.
func (w *World) sentinelsAcquainted() []string {
	replicas := len(w.topo.OfKind(world.Redis)) - 1
	others := len(w.topo.OfKind(world.Sentinel)) - 1
	var waiting []string
	for _, n := range w.topo.OfKind(world.Sentinel) {
		s := w.sentinels[n.Name].Sentinel()
		if s == nil {
			waiting = append(waiting, n.Name+" is not running")
			continue
		}
		fields, _ := s.Command([]string{"SENTINEL", "MASTER", w.topo.MasterName}).Strings()
		got := map[string]string{}
		for i := 0; i+1 < len(fields); i += 2 {
			got[fields[i]] = fields[i+1]
		}
		// A sentinel may know more: stale entries of its config file count too.
		if atoi(got["num-slaves"]) < replicas || atoi(got["num-other-sentinels"]) < others {
			waiting = append(waiting, fmt.Sprintf("%s knows %s of %d replicas and %s of %d sentinels",
				n.Name, got["num-slaves"], replicas, got["num-other-sentinels"], others))
		}
	}
	return waiting
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Topology is the topology the world was built from.
func (w *World) Topology() world.Topology { return w.topo }

// Now is the virtual time since the world started.
func (w *World) Now() time.Duration { return w.k.Now() }

// Advance runs the simulation for d of virtual time.
func (w *World) Advance(d time.Duration) { w.k.RunFor(d) }

// Kernel is the world's kernel, for its trace and counters.
func (w *World) Kernel() *kernel.Kernel { return w.k }

// Log is every sentinel event and log line so far.
func (w *World) Log() []sentineld.Record { return w.log }

// AcceptIntervals are the intervals in which redis nodes accepted writes from clients as
// masters, seen from inside the servers: from every acceptance, acknowledged to its
// client or not, acceptances no more than gap apart joined.
func (w *World) AcceptIntervals(gap time.Duration) []linearize.MasterInterval {
	return linearize.NodeAcceptIntervals(w.accepts, gap)
}

// MasterTimeline is when each redis node was master, from every change of its role
// (REPLICAOF, a start, a shutdown, a kill) up to now.
func (w *World) MasterTimeline() []linearize.MasterInterval {
	return linearize.MasterTimeline(w.roles, int64(w.k.Now()))
}

// RoleOf is the role of the redis node at an address now: "master", "slave", or "" if
// it is not running (or no redis node is there). Histories record it as the role of the
// node that served an operation, when its reply arrives.
func (w *World) RoleOf(a client.Addr) string {
	srv, ok := w.redis[w.nodeAt(a)]
	if !ok || !srv.Alive() {
		return linearize.RoleDown
	}
	return srv.Role()
}

func (w *World) proc(node string) (*kernel.Process, error) {
	p, ok := w.procs[node]
	if !ok {
		return nil, fmt.Errorf("no redis or sentinel node called %q", node)
	}
	return p, nil
}

// Kill is SIGKILL.
func (w *World) Kill(node string) error {
	p, err := w.proc(node)
	if err == nil {
		w.killed(node, p)
		p.Kill()
	}
	return err
}

// PowerLoss kills the node and drops what its disk had not synced.
func (w *World) PowerLoss(node string) error {
	p, err := w.proc(node)
	if err == nil {
		w.killed(node, p)
		p.PowerLoss()
	}
	return err
}

// killed records that a running redis node is about to die: a killed server is not
// told, so the world records that it serves no more.
func (w *World) killed(node string, p *kernel.Process) {
	if _, ok := w.redis[node]; ok && p.Alive() {
		w.roleChanged(node, linearize.RoleDown)
	}
}

// Restart starts a killed (or exited) node again with what it persisted.
func (w *World) Restart(node string) error {
	p, err := w.proc(node)
	if err != nil {
		return err
	}
	if p.Alive() {
		return fmt.Errorf("%s is running", node)
	}
	p.Start()
	return nil
}

// Pause is SIGSTOP.
func (w *World) Pause(node string) error {
	p, err := w.proc(node)
	if err == nil && p.Alive() && !p.Paused() {
		p.Pause()
	}
	return err
}

// Resume is SIGCONT.
func (w *World) Resume(node string) error {
	p, err := w.proc(node)
	if err == nil && p.Paused() {
		p.Resume()
	}
	return err
}

// Network puts a network fault into force.
func (w *World) Network(f netmodel.Fault) error { return w.k.ApplyFault(f) }

// JumpClock steps a node's wall clock.
func (w *World) JumpClock(node string, d time.Duration) error {
	p, err := w.proc(node)
	if err == nil {
		p.JumpClock(d)
	}
	return err
}

// Drift makes a node's clock run fast or slow.
func (w *World) Drift(node string, ppm int64) error {
	p, err := w.proc(node)
	if err == nil {
		p.SetDrift(ppm)
	}
	return err
}

// commandTimeout bounds how long Command waits for a reply, as redis-cli would.
const commandTimeout = 5 * time.Second

// Command sends one command over the simulated network, from the node's own host as
// redis-cli would, and runs the simulation until the reply arrives.
func (w *World) Command(node string, args ...string) (resp.Value, error) {
	n, ok := w.topo.Node(node)
	if !ok || n.Kind == world.Client {
		return resp.Value{}, fmt.Errorf("no redis or sentinel node called %q", node)
	}
	admin := w.admin(n)
	c := admin.Dial(w.host(n).Addr(), n.Port)
	var reply resp.Value
	var failed error
	done := false
	c.OnData = func(msg any) {
		if v, ok := msg.(resp.Value); ok && !done {
			reply, done = v, true
			c.Close()
		}
	}
	c.OnClose = func(err error) {
		if !done {
			failed, done = err, true
		}
	}
	c.Send(args)
	deadline := w.k.Now() + commandTimeout
	for !done && w.k.Now() < deadline && w.k.Step() {
	}
	if !done {
		c.Close()
		return resp.Value{}, fmt.Errorf("%s: no reply to %s within %v", node, strings.Join(args, " "), commandTimeout)
	}
	return reply, failed
}

type idle struct{}

func (idle) Start(*kernel.Process) {}

func (w *World) admin(n world.Node) *kernel.Process {
	if p, ok := w.admins[n.Host]; ok {
		return p
	}
	p := w.host(n).Spawn("admin/"+n.Host, idle{})
	w.admins[n.Host] = p
	return p
}

// StartClients starts a simulated client per client node of the topology.
func (w *World) StartClients(spec world.ClientSpec, h *linearize.History) error {
	var sentinels []client.Addr
	for _, s := range w.topo.OfKind(world.Sentinel) {
		sentinels = append(sentinels, client.Addr{Host: w.host(s).Addr(), Port: s.Port})
	}
	for i, n := range w.topo.OfKind(world.Client) {
		c := client.New(client.Config{ID: i, MasterName: w.topo.MasterName, Sentinels: sentinels,
			Spec: spec, History: h, NodeName: w.nodeAt, RoleOf: w.RoleOf})
		w.clients = append(w.clients, c)
		w.host(n).Spawn(n.Name, c)
	}
	return nil
}

// nodeAt names the node at an address, for histories; names are cached, as every client
// operation asks.
func (w *World) nodeAt(a client.Addr) string {
	if name, ok := w.names[a]; ok {
		return name
	}
	name := a.String()
	if n, ok := w.topo.NodeAt(name); ok {
		name = n.Name
	}
	w.names[a] = name
	return name
}

// StopClients stops every client after its operation in flight.
func (w *World) StopClients() {
	for _, c := range w.clients {
		c.Stop()
	}
}

// FinalReads has the first client issue ops, each until it succeeds, for at most limit.
func (w *World) FinalReads(ops []linearize.Op, limit time.Duration) {
	if len(w.clients) == 0 || len(ops) == 0 {
		return
	}
	done := false
	deadline := w.k.Now() + limit
	w.clients[0].FinalReads(ops, deadline, func() { done = true })
	for !done && w.k.Step() {
	}
}

// Events are the sentinels' events so far.
func (w *World) Events() []linearize.SentinelEvent {
	var out []linearize.SentinelEvent
	for _, r := range w.log {
		if e := r.Event; e != nil {
			out = append(out, linearize.SentinelEvent{At: int64(r.At), Sentinel: r.Node, Type: e.Type,
				Text: e.Text, Master: e.Master, Epoch: e.Epoch})
		}
	}
	return out
}

// Observe reports every node's state, read from inside the simulated processes.
func (w *World) Observe() world.Observation {
	obs := world.Observation{At: w.k.Now()}
	for _, n := range w.topo.OfKind(world.Redis) {
		srv, p := w.redis[n.Name], w.procs[n.Name]
		st := world.RedisState{Node: n.Name, Alive: srv.Alive() && !p.Paused()}
		if st.Alive {
			st.Role = srv.Role()
			host, port, up := srv.Master()
			if host != "" {
				st.MasterAddr = fmt.Sprintf("%s:%d", host, port)
			}
			st.LinkUp, st.Offset = up, srv.Offset()
		}
		obs.Redis = append(obs.Redis, st)
	}
	for _, n := range w.topo.OfKind(world.Sentinel) {
		prog, p := w.sentinels[n.Name], w.procs[n.Name]
		s := prog.Sentinel()
		st := world.SentinelState{Node: n.Name, Alive: s != nil && p.Alive() && !p.Paused() && !s.Crashed()}
		if st.Alive {
			if addr, ok := s.Command([]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", w.topo.MasterName}).Strings(); ok && len(addr) == 2 {
				st.MasterAddr = addr[0] + ":" + addr[1]
			}
			st.Epoch, st.Tilt = sentinelInfo(s.Command([]string{"SENTINEL", "MASTER", w.topo.MasterName}), s.Command([]string{"INFO", "sentinel"}))
		}
		obs.Sentinels = append(obs.Sentinels, st)
	}
	return obs
}

// sentinelInfo reads the config epoch from SENTINEL MASTER and the TILT flag from INFO.
func sentinelInfo(master, info resp.Value) (epoch uint64, tilt bool) {
	fields, _ := master.Strings()
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == "config-epoch" {
			epoch, _ = strconv.ParseUint(fields[i+1], 10, 64)
		}
	}
	return epoch, strings.Contains(info.Str, "sentinel_tilt:1")
}

// Close ends the world; a simulated world holds nothing outside memory.
func (w *World) Close() error { return nil }

// TraceHash is the hash of everything that happened so far: two runs of one seed give
// the same hash, or the simulator is not deterministic.
func (w *World) TraceHash() string { return w.k.Trace().HashString() }

// EventCount is how many events the kernel ran.
func (w *World) EventCount() uint64 { return w.k.Events() }

// Backend builds simulated worlds for scenarios.
type Backend struct {
	Options
}

// Name is "sim".
func (Backend) Name() string { return "sim" }

// New builds a simulated world seeded with seed. Building it takes no wall time worth
// interrupting, so ctx is not consulted.
func (b Backend) New(_ context.Context, t world.Topology, seed uint64) (world.World, error) {
	return NewWorld(t, seed, b.Options)
}

// WriteTrace writes the kernel's trace, one event per line; it is empty unless the world
// was built with Kernel.KeepTrace.
func (w *World) WriteTrace(out io.Writer) error {
	_, err := w.k.Trace().WriteTo(out)
	return err
}

// Synchronous marks the world as one whose clients run only while it runs events, on
// the caller's goroutine: scenarios then judge its history without copying it.
func (w *World) Synchronous() {}
