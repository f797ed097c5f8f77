// Package kernel is the simulator's kernel: virtual time, one event queue, seeded random
// streams, hosts and the processes they run, TCP-like connections over the network model,
// and the trace of everything that happened.
//
// Everything runs on the caller's goroutine, one event at a time, in (time, sequence)
// order, so a run is a pure function of its seed and its inputs. Nothing here reads the
// wall clock.
package kernel

import (
	"fmt"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// Kernel is one simulated world's scheduler and the state it schedules over.
type Kernel struct {
	now    time.Duration
	seq    uint64
	events queue
	seed   uint64
	net    *netmodel.Network
	netRng *Rand
	hosts  []*Host
	procs  []*Process
	conns  uint64 // connection ids handed out
	trace  *Trace
	ran    uint64 // events run
	// inArgs is the command being delivered and inHash its trace hash, so that a
	// process that forwards it as it came, as a master's replication stream does, does
	// not have it hashed again at every replica.
	inArgs []string
	inHash uint64
}

// Options configure a kernel.
type Options struct {
	// Latency is the default one-way latency of every link between two hosts.
	Latency netmodel.Dist
	// KeepTrace keeps every trace record in memory, readable as text; without it only the
	// hash is kept, which is what sweeps need.
	KeepTrace bool
}

// DefaultLatency is a LAN: 0.2 to 1 ms one way.
var DefaultLatency = netmodel.Dist{Kind: netmodel.Uniform, Min: 200 * time.Microsecond, Max: time.Millisecond}

// New returns a kernel at time zero whose every random draw derives from seed.
func New(seed uint64, opts Options) (*Kernel, error) {
	if opts.Latency.Kind == "" {
		opts.Latency = DefaultLatency
	}
	net, err := netmodel.New(opts.Latency)
	if err != nil {
		return nil, err
	}
	k := &Kernel{seed: seed, net: net, trace: newTrace(opts.KeepTrace)}
	k.netRng = k.Rand("net")
	return k, nil
}

// Now is the true virtual time since the start of the run.
func (k *Kernel) Now() time.Duration { return k.now }

// Seed is the root seed of the run.
func (k *Kernel) Seed() uint64 { return k.seed }

// Trace is the run's trace.
func (k *Kernel) Trace() *Trace { return k.trace }

// Events is the number of events run so far.
func (k *Kernel) Events() uint64 { return k.ran }

// Net is the network model, for faults and inspection.
func (k *Kernel) Net() *netmodel.Network { return k.net }

// ApplyFault puts a network fault into force now and records it in the trace.
func (k *Kernel) ApplyFault(f netmodel.Fault) error {
	if err := k.net.Apply(f); err != nil {
		return err
	}
	k.trace.record(k.now, recFault, 0, 0, hashString(f.String()), f.String)
	return nil
}

// At schedules fn at time at (or now, if at is in the past). It is a kernel-level action:
// it runs whatever the state of any process. Processes schedule their own work with
// Process.After.
func (k *Kernel) At(at time.Duration, fn func()) {
	k.schedule(at, event{fn: fn})
}

// schedule queues e at time at (or now, if at is in the past) and returns its slot.
func (k *Kernel) schedule(at time.Duration, e event) int32 {
	s := k.events.alloc(e)
	k.enqueue(at, s)
	return s
}

// scheduleArrival queues the arrival of seg at c's peer at time at.
func (k *Kernel) scheduleArrival(at time.Duration, c *Conn, seg any) {
	s, e := k.events.take()
	e.do, e.conn, e.seg = arrival, c, seg
	e.hash, e.hashed = k.forwarded(seg)
	k.enqueue(at, s)
}

// forwarded returns the trace hash of seg if it is the command being delivered, the
// same array: a message does not change once sent, so its hash then is the one it
// arrived with.
func (k *Kernel) forwarded(seg any) (uint64, bool) {
	args, ok := seg.([]string)
	if !ok || len(args) == 0 || len(args) != len(k.inArgs) || &args[0] != &k.inArgs[0] {
		return 0, false
	}
	return k.inHash, true
}

// enqueue puts the event in slot s into the heap at time at, after every event already
// due then.
func (k *Kernel) enqueue(at time.Duration, s int32) {
	k.seq++
	k.events.push(entry{at: max(at, k.now), seq: k.seq, slot: s})
}

// Step runs the next event and reports whether there was one.
func (k *Kernel) Step() bool {
	for k.events.len() > 0 {
		e := k.events.pop()
		k.now = e.at
		if k.dispatch(e.slot) {
			return true
		}
	}
	return false
}

// RunUntil runs every event due at or before t, then sets the time to t.
func (k *Kernel) RunUntil(t time.Duration) {
	for k.events.len() > 0 && k.events.peek().at <= t {
		e := k.events.pop()
		k.now = e.at
		k.dispatch(e.slot)
	}
	if t > k.now {
		k.now = t
	}
}

// RunFor runs for d of virtual time.
func (k *Kernel) RunFor(d time.Duration) { k.RunUntil(k.now + d) }

// RunUntilIdle runs until no event is left, or until limit, whichever comes first; it
// reports whether the queue emptied.
func (k *Kernel) RunUntilIdle(limit time.Duration) bool {
	for k.events.len() > 0 {
		if k.events.peek().at > limit {
			k.now = limit
			return false
		}
		e := k.events.pop()
		k.now = e.at
		k.dispatch(e.slot)
	}
	return true
}

// dispatch runs the event in slot s, or drops or defers it when its owner cannot run it
// now, and reports whether it ran. The slot is free again before the event runs.
func (k *Kernel) dispatch(s int32) bool {
	e := &k.events.slots[s]
	if p := e.owner; p != nil {
		if p.inc != e.inc || p.state == stateDead {
			k.events.release(s)
			return false
		}
		if p.state == statePaused || p.busy {
			e.pos = -1
			p.deferred = append(p.deferred, s)
			return false
		}
		if e.timer {
			k.trace.record(k.now, recTimer, uint64(p.id), 0, 0, nil)
		}
	}
	do, fn, conn, seg, hash, hashed := e.do, e.fn, e.conn, e.seg, e.hash, e.hashed
	k.events.release(s)
	k.ran++
	switch do {
	case arrival:
		conn.peer.arrive(seg, hash, hashed)
	case retransmit:
		conn.retransmit()
	default:
		fn()
	}
	return true
}

func (k *Kernel) mustHost(addr string) *Host {
	id, ok := k.net.Host(addr)
	if !ok {
		panic(fmt.Sprintf("kernel: no host %s", addr))
	}
	return k.hosts[id]
}
