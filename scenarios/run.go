package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/world"
)

// Backend builds the worlds a scenario runs in.
type Backend interface {
	// Name is "sim", "real" or "containers".
	Name() string
	// New builds a world of the topology, ready for the scenario's clock to start. ctx
	// bounds only the building: when it ends first, New stops at once, stops everything
	// it started and returns ctx's error; the world it returns lives until Close.
	New(ctx context.Context, t world.Topology, seed uint64) (world.World, error)
}

// Traced is what a world that keeps a trace (the simulator's) offers besides World.
type Traced interface {
	TraceHash() string
	// Events is how many events the world ran.
	EventCount() uint64
}

// Accepting is what a world that sees inside its servers offers: when each node acted
// as master, from every write it accepted as one (see linearize.AcceptIntervals for
// gap). Other worlds infer it from the history.
type Accepting interface {
	AcceptIntervals(gap time.Duration) []linearize.MasterInterval
}

// Timelined is what a world that sees its servers' roles offers: when each node was
// master, from every change of its role (see linearize.MasterTimeline). Other worlds
// infer it from the roles the history's operations observed.
type Timelined interface {
	MasterTimeline() []linearize.MasterInterval
}

// Synchronous is what a world offers whose clients run only inside its own calls (the
// simulator's, on the caller's goroutine): once FinalReads has returned they record
// nothing more, so the history can be judged in place rather than copied.
type Synchronous interface {
	Synchronous()
}

// Refuser is a backend that knows, before it builds a world, kinds of fault its worlds
// cannot do at all (the real world's clock jumps): Refuses returns, for a kind named as
// FaultKind names it, the error wrapping world.ErrUnsupported that the world's method
// would return, or nil. Execute refuses a schedule with such a fault up front, rather
// than after running it for minutes to fail it with fault-unsupported; what only a
// running world can find out still fails the run that way.
type Refuser interface {
	Refuses(kind string) error
}

// refused says which faults of the schedule the backend refuses, and why: the first of
// each kind, at its time, so that a random schedule of many clock jumps is named once.
func refused(b Backend, schedule []Fault) error {
	r, ok := b.(Refuser)
	if !ok {
		return nil
	}
	var errs []error
	named := map[FaultKind]bool{}
	for _, f := range schedule {
		if err := r.Refuses(string(f.Kind)); err != nil && !named[f.Kind] {
			named[f.Kind] = true
			// The fault's text begins with its time in the scenario.
			errs = append(errs, fmt.Errorf("the %s backend cannot do the fault %q of the schedule: %w", b.Name(), f.String(), err))
		}
	}
	return errors.Join(errs...)
}

// Result is one run's outcome: `sentinelsim run --json` prints it as its last line and
// `sentinelsim sweep` writes one per seed. Other tools read it; fields are added, never
// renamed or removed, and every field but Error is always present: lists are empty, not
// null, and TraceHash is "" on a backend that keeps no trace.
type Result struct {
	Scenario  string `json:"scenario"`
	Seed      uint64 `json:"seed"`
	Backend   string `json:"backend"`
	Verdict   string `json:"verdict"` // "pass" or "fail": did every always-expectation hold
	TraceHash string `json:"trace_hash"`
	// SimSeconds is the run's length in the world's time; WallSeconds what it took.
	SimSeconds  float64 `json:"sim_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// ReadySeconds is how long the world took to come up (replicas synced, sentinels
	// acquainted) before the scenario's clock started. Times in faults, checks and
	// histories are world times, which include it.
	ReadySeconds float64 `json:"ready_seconds"`
	Events       uint64  `json:"events"`
	Ops          int     `json:"ops"`
	AckedWrites  int     `json:"acked_writes"`
	LostWrites   int     `json:"lost_writes"`
	// Linearizable is "ok", "illegal" or "unknown" (the checker's time limit was hit).
	Linearizable string  `json:"linearizable"`
	SplitBrainMs float64 `json:"split_brain_ms"`
	Failovers    int     `json:"failovers"`
	// FailoverMs is, per failover, the time from the first +sdown of the master it
	// replaced to the first +switch-master.
	FailoverMs []float64 `json:"failover_ms"`
	// UnavailableMs is the longest time no client write succeeded while clients ran.
	UnavailableMs float64 `json:"unavailable_ms"`
	// FinalMaster is the node the sentinels agreed on at the end ("" if they did not);
	// Converged says the cluster passed the liveness check.
	FinalMaster string `json:"final_master"`
	Converged   bool   `json:"converged"`
	// Always are the always-expectations the run was held to: the scenario's and those
	// derived from its fault schedule (see Scenario.AlwaysFor). Violations are those that
	// failed, each with its checker's summary.
	Always     []string `json:"always"`
	Violations []string `json:"violations"`
	// Finds are the find-expectations the run looked for, the scenario's: each must be
	// observed on some seed of a sweep (see Summary.NotFound). Found lists those this
	// seed observed.
	Finds []string `json:"finds"`
	Found []string `json:"found"`
	// Replay is the command that runs this seed again.
	Replay string              `json:"replay"`
	Faults []Applied           `json:"faults"`
	Checks []linearize.Verdict `json:"checks"`
	// Error is set when the run could not be carried out at all.
	Error string `json:"error,omitempty"`
}

// Passed reports whether every always-expectation held.
func (r *Result) Passed() bool { return r.Verdict == "pass" }

// Run is a finished run: its result and what a person needs to see why it failed.
type Run struct {
	Result *Result
	Ops    []linearize.Op
	Events []linearize.SentinelEvent
	World  world.World
}

// Options tune how runs are judged.
type Options struct {
	// LinearizabilityLimit bounds porcupine's search per run; a history it cannot decide
	// in time is reported as unknown. Zero means DefaultLinearizabilityLimit.
	LinearizabilityLimit time.Duration
}

// DefaultLinearizabilityLimit is porcupine's time limit when Options leave it out.
const DefaultLinearizabilityLimit = 20 * time.Second

// Execute runs the scenario on one seed in a world of the backend: clients and faults
// for the duration, then every fault healed and a quiet period in which the cluster must
// settle, then the final reads and the checkers. The world is closed when it returns.
// When ctx ends the run stops within about a second of world time and returns ctx's
// error, with no result. A schedule with a fault the backend refuses (see Refuser) is
// refused before any world is built, with an error wrapping world.ErrUnsupported.
func Execute(ctx context.Context, s *Scenario, b Backend, seed uint64, opts Options) (*Run, error) {
	started := time.Now()
	schedule := s.Schedule(seed)
	if err := refused(b, schedule); err != nil {
		return nil, err
	}
	w, err := b.New(ctx, s.Topology, seed)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	r := &Result{Scenario: s.Name, Seed: seed, Backend: b.Name(), Replay: s.ReplayCommand(seed, b)}
	wl, err := linearize.NewWorkload(s.Workload.Kind, s.Workload.Keys)
	if err != nil {
		return nil, err
	}
	h := new(linearize.History)
	final := wl.Final()
	h.Grow(s.maxOps() + len(final))
	if err := w.StartClients(s.clientSpec(wl), h); err != nil {
		return nil, err
	}

	// The world is ready now: the scenario's times count from here.
	start := w.Now()
	r.ReadySeconds = start.Seconds()
	tl := newTimeline(ctx, w, schedule)
	if err := tl.runUntil(start + s.Duration); err != nil {
		return nil, err
	}
	tl.healAll()
	lastHeal := w.Now()
	live, err := settle(ctx, w, h, lastHeal, s.livenessBound())
	if err != nil {
		return nil, err
	}
	if err := advance(ctx, w, start+s.Duration+s.Quiet-w.Now()); err != nil {
		return nil, err
	}
	w.StopClients()
	w.FinalReads(final, finalReadLimit)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	run := &Run{Result: r, Events: w.Events(), World: w}
	if _, ok := w.(Synchronous); ok {
		run.Ops = h.Finished()
	} else {
		run.Ops = h.Ops() // the real backend's clients may still be completing operations
	}
	r.Faults = append([]Applied{}, tl.log...)
	r.SimSeconds = w.Now().Seconds()
	if t, ok := w.(Traced); ok {
		r.TraceHash, r.Events = t.TraceHash(), t.EventCount()
	}
	if opts.LinearizabilityLimit == 0 {
		opts.LinearizabilityLimit = DefaultLinearizabilityLimit
	}
	s.judge(run, live, start, opts.LinearizabilityLimit)
	r.WallSeconds = time.Since(started).Seconds()
	return run, nil
}

// maxOps bounds the operations the clients invoke in the scenario's duration and quiet
// period when they think between operations (each invokes at most one per think time);
// 0 when they do not think. The history is sized for them at once.
func (s *Scenario) maxOps() int {
	think := s.Workload.Think
	if think <= 0 {
		return 0
	}
	clients := len(s.Topology.OfKind(world.Client))
	return clients * (int((s.Duration+s.Quiet)/think) + 1)
}

// finalReadLimit bounds the final reads: a cluster that passed liveness serves them at
// once; one that did not may never.
const finalReadLimit = 10 * time.Second

// Schedule is the run's whole fault timeline: the explicit faults and, for a scenario
// with random faults, those drawn from the seed.
func (s *Scenario) Schedule(seed uint64) []Fault {
	faults := append([]Fault(nil), s.Faults...)
	if s.Random != nil {
		faults = append(faults, s.Random.Draw(seed, s.Topology, s.Duration)...)
	}
	slices.SortStableFunc(faults, func(a, b Fault) int { return int(a.At - b.At) })
	return faults
}

// ReplayFlagger is a backend whose options need flags of their own to be chosen again
// (the real backend's --sentinel).
type ReplayFlagger interface {
	ReplayFlags() string
}

// ReplayPrefix begins every replay command.
const ReplayPrefix = "go run ./cmd/sentinelsim run "

// ReplayCommand is the command line that runs one seed of the scenario again.
func (s *Scenario) ReplayCommand(seed uint64, b Backend) string {
	backend := b.Name()
	src := "--scenario " + s.Name
	if s.Source != "" && s.Source != "catalogue" {
		src = "--file " + shellWord(s.Source)
	}
	if s.FaultsFile != "" {
		src += " --faults " + shellWord(s.FaultsFile)
	}
	for _, set := range s.Settings {
		src += " --set " + shellWord(set)
	}
	cmd := fmt.Sprintf("%s%s --seed %d", ReplayPrefix, src, seed)
	if backend != "sim" {
		cmd += " --backend " + backend
	}
	if f, ok := b.(ReplayFlagger); ok && f.ReplayFlags() != "" {
		cmd += " " + f.ReplayFlags()
	}
	return cmd
}

func (s *Scenario) clientSpec(wl linearize.Workload) world.ClientSpec {
	w := s.Workload
	return world.ClientSpec{Workload: wl, Think: w.Think, Timeout: w.Timeout, Wait: w.Wait,
		WaitTimeout: w.WaitTimeout, RoleCheck: w.RoleCheck, FollowSwitch: w.FollowSwitch}
}

// monitorMs reads a per-master sentinel option in milliseconds, with Redis's default.
func (s *Scenario) monitorMs(key string, def time.Duration) time.Duration {
	if v, ok := s.Topology.Monitor.Get(key); ok {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return def
}

// livenessBound is how long the cluster has to settle after the last heal: the checker's
// bound from down-after-milliseconds and failover-timeout, plus the 30 s a sentinel
// stays in TILT when a scenario pauses processes or jumps clocks.
func (s *Scenario) livenessBound() time.Duration {
	bound := linearize.LivenessBound(s.monitorMs("down-after-milliseconds", 30*time.Second),
		s.monitorMs("failover-timeout", 180*time.Second))
	kinds := map[FaultKind]bool{}
	for _, f := range s.Faults {
		kinds[f.Kind] = true
	}
	if s.Random != nil {
		for _, k := range s.Random.Kinds {
			kinds[k] = true
		}
	}
	if kinds[Pause] || kinds[ClockJump] || kinds[Drift] {
		bound += 30 * time.Second
	}
	return bound
}

// advance lets d pass in the world (nothing when d is not positive), a second of world
// time at a time, and stops early when ctx ends: so a cancelled run stops promptly on
// every backend. The simulator runs the same events whether time passes in one step or
// in several.
func advance(ctx context.Context, w world.World, d time.Duration) error {
	for ; d > 0; d -= time.Second {
		if err := ctx.Err(); err != nil {
			return err
		}
		w.Advance(min(d, time.Second))
	}
	return ctx.Err()
}

// settle watches the cluster after the last heal, once a second, until it passes the
// liveness check or the bound has passed; it returns the verdict of the last look, which
// is at the deadline at the latest, so the verdict is never inconclusive.
func settle(ctx context.Context, w world.World, h *linearize.History, lastHeal time.Duration, bound time.Duration) (linearize.Verdict, error) {
	deadline := lastHeal + bound
	for {
		if err := advance(ctx, w, min(time.Second, deadline-w.Now())); err != nil {
			return linearize.Verdict{}, err
		}
		v := linearize.Liveness(livenessInput(w, h, lastHeal, bound))
		if v.Result != linearize.Inconclusive || w.Now() >= deadline {
			return v, nil
		}
	}
}

func livenessInput(w world.World, h *linearize.History, lastHeal, bound time.Duration) linearize.LivenessInput {
	obs := w.Observe()
	t := w.Topology()
	in := linearize.LivenessInput{At: int64(obs.At), LastHeal: int64(lastHeal), Bound: bound}
	for _, s := range obs.Sentinels {
		in.Sentinels = append(in.Sentinels, linearize.SentinelView{Name: s.Node, Alive: s.Alive, Master: s.MasterAddr})
	}
	for _, r := range obs.Redis {
		n, _ := t.Node(r.Node)
		in.Redis = append(in.Redis, linearize.RedisView{Addr: t.Addr(n), Alive: r.Alive, Role: r.Role,
			MasterAddr: r.MasterAddr, LinkUp: r.LinkUp})
	}
	in.WriteAt, in.WriteOK = h.FirstWriteAfter(int64(lastHeal))
	return in
}
