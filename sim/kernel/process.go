package kernel

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// Host is a machine with one address, on which processes run. Network faults act on
// hosts; process faults act on a process.
type Host struct {
	k         *Kernel
	id        netmodel.HostID
	addr      string
	procs     []*Process
	listeners map[int]*listener // by port; looked up, never iterated
	nextPort  int               // next ephemeral port for outgoing connections
}

// AddHost adds a host with address addr (127.0.0.N, as in the real backend).
func (k *Kernel) AddHost(addr string) *Host {
	if id, ok := k.net.Host(addr); ok {
		return k.hosts[id]
	}
	h := &Host{k: k, id: k.net.AddHost(addr), addr: addr, listeners: map[int]*listener{}, nextPort: 32768}
	k.hosts = append(k.hosts, h)
	return h
}

// Host returns the host with address addr, or nil.
func (k *Kernel) Host(addr string) *Host {
	id, ok := k.net.Host(addr)
	if !ok {
		return nil
	}
	return k.hosts[id]
}

// Addr is the host's address.
func (h *Host) Addr() string { return h.addr }

// Processes are the processes started on the host, in the order they were spawned.
func (h *Host) Processes() []*Process { return h.procs }

// PowerLosser is implemented by programs whose disk can hold written but not yet synced
// data: the operating system's page cache survives a process kill, but not a power loss.
type PowerLosser interface {
	// PowerLoss drops whatever was written but not synced.
	PowerLoss()
}

// PowerLoss crashes the whole host: every process dies at once, and programs lose what
// their disk had not synced.
func (h *Host) PowerLoss() {
	for _, p := range h.procs {
		p.PowerLoss()
	}
}

// PowerLoss is what a power loss of its host does to one process: it dies at once, and
// its program loses what its disk had not synced, also when it was dead already (what it
// wrote last may still have been in the page cache).
func (p *Process) PowerLoss() {
	if p.Alive() {
		p.k.trace.record(p.k.now, recKill, uint64(p.id), 1, 0, p.describe("power loss"))
		p.die()
	}
	if pl, ok := p.prog.(PowerLosser); ok {
		pl.PowerLoss()
	}
}

// Program is the code a process runs. Start is called for every incarnation, with nothing
// in memory: whatever the program wants to survive a kill (its "disk") it keeps in the
// Program value itself, outside what Start builds.
type Program interface {
	Start(p *Process)
}

type procState uint8

const (
	stateRunning procState = iota
	statePaused
	stateDead
)

// Process is one process on a host: a redis-server, a sentinel, a client.
type Process struct {
	k        *Kernel
	host     *Host
	id       int
	name     string
	prog     Program
	inc      uint32 // incarnation: bumped by every start, so a dead incarnation's events drop
	state    procState
	busy     bool    // on its CPU for a while (see Busy): nothing else of it runs
	deferred []int32 // slots of the events that came due while paused or busy, in order
	conns    []*Conn
	ports    []int
	offset   time.Duration // clock jumps
	driftPPM int64
	base     time.Duration // true time at which the current drift started
	baseLoc  time.Duration // local monotonic time at base
	exitCode int
	rng      *Rand
}

// Spawn creates a process on the host and starts it.
func (h *Host) Spawn(name string, prog Program) *Process {
	p := &Process{k: h.k, host: h, id: len(h.k.procs), name: name, prog: prog, state: stateDead}
	h.k.procs = append(h.k.procs, p)
	h.procs = append(h.procs, p)
	p.Start()
	return p
}

// Name is the process's name, unique in the world ("redis/127.0.0.1:6382").
func (p *Process) Name() string { return p.name }

// Host is the host the process runs on.
func (p *Process) Host() *Host { return p.host }

// Addr is the address of the process's host.
func (p *Process) Addr() string { return p.host.addr }

// Kernel is the kernel the process runs in.
func (p *Process) Kernel() *Kernel { return p.k }

// Incarnation counts the process's starts.
func (p *Process) Incarnation() uint32 { return p.inc }

// Alive reports whether the process runs (it may be paused).
func (p *Process) Alive() bool { return p.state != stateDead }

// Paused reports whether the process is stopped by SIGSTOP.
func (p *Process) Paused() bool { return p.state == statePaused }

// ExitCode is the code the process last exited with (0 after a kill).
func (p *Process) ExitCode() int { return p.exitCode }

// PID is a process id for logs: it differs per process and per incarnation, as a real
// pid does.
func (p *Process) PID() int { return 1000 + 100*p.id + int(p.inc) }

// Rand is the process's random stream for its current incarnation.
func (p *Process) Rand() *Rand { return p.rng }

// Start starts a fresh incarnation of a dead process: what it did not persist is gone.
func (p *Process) Start() {
	if p.state != stateDead {
		panic(fmt.Sprintf("kernel: start of %s, which is running", p.name))
	}
	p.inc++
	p.state = stateRunning
	p.exitCode = 0
	p.rng = p.k.Rand(p.name + "#" + strconv.Itoa(int(p.inc)))
	p.k.trace.record(p.k.now, recStart, uint64(p.id), uint64(p.inc), 0, p.describe("start"))
	p.prog.Start(p)
}

// Kill is SIGKILL: the process stops at once, its timers are cancelled, and the kernel
// closes its connections (its peers see FIN when they can be reached).
func (p *Process) Kill() {
	if p.state == stateDead {
		return
	}
	p.k.trace.record(p.k.now, recKill, uint64(p.id), 0, 0, p.describe("kill"))
	p.die()
}

// Exit ends the process by its own choice (exit(code)); to the world it looks like a kill.
func (p *Process) Exit(code int) {
	if p.state == stateDead {
		return
	}
	p.k.trace.record(p.k.now, recExit, uint64(p.id), uint64(code), 0, p.describe("exit "+strconv.Itoa(code)))
	p.die()
	p.exitCode = code
}

// Restart kills the process if it runs, then starts a fresh incarnation.
func (p *Process) Restart() {
	p.Kill()
	p.Start()
}

func (p *Process) die() {
	p.state = stateDead
	p.busy = false
	for _, s := range p.deferred {
		p.k.events.release(s)
	}
	p.deferred = nil
	for _, port := range p.ports {
		delete(p.host.listeners, port)
	}
	p.ports = nil
	conns := p.conns
	p.conns = nil
	for _, c := range conns {
		c.shut()
	}
}

// Pause is SIGSTOP: nothing of the process runs, but the kernel still accepts its
// connections and buffers the data sent to it.
func (p *Process) Pause() {
	if p.state != stateRunning {
		return
	}
	p.k.trace.record(p.k.now, recPause, uint64(p.id), 0, 0, p.describe("pause"))
	p.state = statePaused
}

// Resume is SIGCONT: everything that came due while the process was paused runs now, in
// the order it came due.
func (p *Process) Resume() {
	if p.state != statePaused {
		return
	}
	p.k.trace.record(p.k.now, recResume, uint64(p.id), 0, 0, p.describe("resume"))
	p.state = stateRunning
	if !p.busy {
		p.runDeferred()
	}
}

// runDeferred queues what came due while the process could not run, in the order it
// came due.
func (p *Process) runDeferred() {
	deferred := p.deferred
	p.deferred = nil
	for _, s := range deferred {
		if p.k.events.slots[s].stopped {
			p.k.events.release(s)
			continue
		}
		p.k.enqueue(p.k.now, s)
	}
}

// Busy keeps the process on its CPU for d, as a command that takes that long keeps
// Redis's one thread (INFO takes tens of microseconds): meanwhile nothing else of it runs,
// and what arrives or comes due waits, as data waits in the kernel; then done runs
// (usually it sends the reply), before anything that came due meanwhile. Unlike Pause,
// the process is running all along: observers see it alive. A SIGSTOP meanwhile holds
// done back until SIGCONT; a kill drops it.
func (p *Process) Busy(d time.Duration, done func()) {
	if d <= 0 || p.state != stateRunning || p.busy {
		done()
		return
	}
	p.busy = true
	inc := p.inc
	p.k.At(p.k.now+d, func() {
		if p.inc != inc || p.state == stateDead {
			return
		}
		p.busy = false
		if p.state == statePaused {
			s := p.k.events.alloc(event{fn: done, owner: p, inc: inc, pos: -1})
			p.deferred = append([]int32{s}, p.deferred...)
			return
		}
		done()
		if !p.busy && p.state == stateRunning {
			p.runDeferred()
		}
	})
}

// JumpClock moves the process's wall clock by d (negative: backwards), as an operator or
// NTP stepping the clock would. Timers are unaffected: like Redis's event loop, they run
// on the monotonic clock.
func (p *Process) JumpClock(d time.Duration) {
	p.offset += d
	p.k.trace.record(p.k.now, recClock, uint64(p.id), uint64(d), 0, p.describe("clock jump "+d.String()))
}

// SetDrift makes the process's clocks run fast (ppm > 0) or slow by ppm parts per million
// from now on.
func (p *Process) SetDrift(ppm int64) {
	p.baseLoc = p.Monotonic()
	p.base = p.k.now
	p.driftPPM = ppm
	p.k.trace.record(p.k.now, recClock, uint64(p.id), uint64(ppm), 1, p.describe("drift "+strconv.FormatInt(ppm, 10)+"ppm"))
}

// Monotonic is the process's monotonic clock: true time, scaled by its drift.
func (p *Process) Monotonic() time.Duration {
	return p.baseLoc + p.scale(p.k.now-p.base)
}

// Epoch is the wall-clock time, in Unix milliseconds, at which every simulated run starts:
// 2026-01-01T00:00:00Z. A fixed epoch keeps runs reproducible.
const Epoch = 1767225600000

// WallMs is the process's wall clock in Unix milliseconds: Redis's mstime().
func (p *Process) WallMs() int64 {
	return Epoch + int64((p.Monotonic()+p.offset)/time.Millisecond)
}

func (p *Process) scale(d time.Duration) time.Duration {
	if p.driftPPM == 0 {
		return d
	}
	return d + time.Duration(int64(d)/1_000_000*p.driftPPM)
}

// unscale converts a duration of the process's local time into true time.
func (p *Process) unscale(d time.Duration) time.Duration {
	if p.driftPPM == 0 {
		return d
	}
	return time.Duration(int64(d) / (1_000_000 + p.driftPPM) * 1_000_000)
}

// Timer is a pending callback of one process. The zero Timer is no timer.
type Timer struct {
	k    *Kernel
	slot int32
	gen  uint32
}

// Stop cancels the timer; it reports whether the timer was still pending: it had not
// fired, been stopped, or died with its process's incarnation.
func (t Timer) Stop() bool {
	if t.k == nil {
		return false
	}
	q := &t.k.events
	e := &q.slots[t.slot]
	if e.gen != t.gen || e.stopped {
		return false
	}
	if e.pos < 0 {
		// It waits in its paused owner's deferred list, which frees it on resume.
		e.stopped = true
		return true
	}
	q.remove(int(e.pos))
	q.release(t.slot)
	return true
}

// After runs fn after d of the process's monotonic time. The timer dies with the
// incarnation, and waits while the process is paused.
func (p *Process) After(d time.Duration, fn func()) Timer {
	s, e := p.k.events.take()
	e.fn, e.owner, e.inc, e.timer = fn, p, p.inc, true
	p.k.enqueue(p.k.now+p.unscale(d), s)
	return Timer{k: p.k, slot: s, gen: e.gen}
}

// Defer runs fn on the process's loop as soon as possible, after the current event.
func (p *Process) Defer(fn func()) {
	p.k.schedule(p.k.now, event{fn: fn, owner: p, inc: p.inc})
}

// run calls fn on behalf of the process's incarnation inc now: it is dropped if that
// incarnation is dead, and deferred while the process is paused.
func (p *Process) run(inc uint32, fn func()) {
	switch {
	case p.inc != inc || p.state == stateDead:
	case p.state == statePaused || p.busy:
		p.deferCall(inc, fn)
	default:
		fn()
	}
}

// deferCall puts fn at the end of the paused (or busy) process's deferred list.
func (p *Process) deferCall(inc uint32, fn func()) {
	s := p.k.events.alloc(event{fn: fn, owner: p, inc: inc, pos: -1})
	p.deferred = append(p.deferred, s)
}

func (p *Process) describe(what string) func() string {
	return func() string { return p.name + " " + what }
}
