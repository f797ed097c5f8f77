package kernel

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// Errors a connection closes with, as the socket API reports them.
var (
	// ErrRefused: nothing listens on the port (ECONNREFUSED).
	ErrRefused = errors.New("connection refused")
	// ErrReset: the peer's kernel answered with an RST (ECONNRESET).
	ErrReset = errors.New("connection reset by peer")
	// ErrTimeout: the connect or a retransmission went unanswered for too long (ETIMEDOUT).
	ErrTimeout = errors.New("connection timed out")
	// ErrClosed: the connection is closed; nothing can be sent on it.
	ErrClosed = errors.New("use of closed connection")
)

// ErrEOF is what a connection closes with when its peer closed it (FIN): io.EOF.
var ErrEOF = io.EOF

type connState uint8

const (
	connConnecting connState = iota
	connOpen
	connClosed
)

// control segments travel in a stream like data, in order with it.
type control uint8

const (
	fin control = iota + 1
	rst
)

// Conn is one end of a TCP connection, owned by one process. Set the callbacks right
// after Dial or in the accept function: nothing is delivered before the current event
// returns.
type Conn struct {
	k      *Kernel
	id     uint64
	proc   *Process
	inc    uint32
	host   *Host
	port   int
	remote *Host
	rport  int
	peer   *Conn
	out    netmodel.Stream
	queue  []any // written, not yet transmitted (connecting, or waiting behind a stall)
	state  connState

	synStart   time.Duration // when the first SYN went out
	synAttempt int
	resetSent  bool

	// OnOpen is called when a dialled connection is established.
	OnOpen func()
	// OnData is called for every message that arrives, in order.
	OnData func(msg any)
	// OnClose is called once when the connection ends other than by the owner's Close:
	// ErrEOF (the peer closed), ErrReset, ErrRefused or ErrTimeout.
	OnClose func(err error)
}

type listener struct {
	proc   *Process
	accept func(c *Conn)
}

// Listen accepts connections on port of the process's host; accept is called with the
// server end of each new connection.
func (p *Process) Listen(port int, accept func(c *Conn)) error {
	if _, busy := p.host.listeners[port]; busy {
		return fmt.Errorf("listen %s:%d: address already in use", p.host.addr, port)
	}
	p.host.listeners[port] = &listener{proc: p, accept: accept}
	p.ports = append(p.ports, port)
	return nil
}

// Dial starts connecting to addr:port and returns the client end at once. Messages sent
// before the connection is established are queued and go out when it is.
func (p *Process) Dial(addr string, port int) *Conn {
	k := p.k
	h := p.host
	h.nextPort++
	c := &Conn{k: k, proc: p, inc: p.inc, host: h, port: h.nextPort, rport: port, state: connConnecting}
	k.conns++
	c.id = k.conns
	p.conns = append(p.conns, c)
	c.remote = k.Host(addr) // nil for an address no host has: its SYNs go nowhere
	c.synStart = k.now
	c.sendSYN()
	return c
}

// ID is the connection's id in the trace.
func (c *Conn) ID() uint64 { return c.id }

// LocalAddr is the local host address.
func (c *Conn) LocalAddr() string { return c.host.addr }

// LocalPort is the local port.
func (c *Conn) LocalPort() int { return c.port }

// RemoteAddr is the address of the host at the other end.
func (c *Conn) RemoteAddr() string {
	if c.remote == nil {
		return ""
	}
	return c.remote.addr
}

// RemotePort is the port at the other end.
func (c *Conn) RemotePort() int { return c.rport }

// Open reports whether the connection is established and not closed.
func (c *Conn) Open() bool { return c.state == connOpen }

// Closed reports whether the connection has ended.
func (c *Conn) Closed() bool { return c.state == connClosed }

// Send writes one message. It fails only when the connection is closed.
func (c *Conn) Send(msg any) error {
	switch {
	case c.state == connClosed:
		return ErrClosed
	case c.state == connOpen && len(c.queue) == 0 && !c.out.Stalled():
		// The common case, as transmit without a detour through the queue: nothing
		// waits, so if anything arrives it is msg.
		step := c.out.Send(c.k.net, c.k.now, c.k.netRng)
		if step.Deliver == netmodel.Head {
			c.k.scheduleArrival(step.Arrive, c, msg)
			step.Deliver = netmodel.None
		} else {
			c.queue = append(c.queue, msg)
		}
		c.apply(step)
		return nil
	}
	c.queue = append(c.queue, msg)
	if c.state == connOpen {
		c.transmit()
	}
	return nil
}

// Close closes the connection: the peer sees FIN once it arrives. The owner gets no
// callback.
func (c *Conn) Close() {
	if c.state == connClosed {
		return
	}
	c.proc.forget(c)
	c.shut()
}

// shut closes the local end, as the kernel does for Close and for a dying process.
func (c *Conn) shut() {
	was := c.state
	c.state = connClosed
	if was == connOpen {
		c.queue = append(c.queue, fin)
		c.transmit()
	}
}

func (p *Process) forget(c *Conn) {
	for i, x := range p.conns {
		if x == c {
			last := len(p.conns) - 1
			p.conns[i] = p.conns[last]
			p.conns[last] = nil
			p.conns = p.conns[:last]
			return
		}
	}
}

// transmit hands the newest queued segment to the stream, unless the stream is stalled
// (then it waits behind the stall's retransmissions).
func (c *Conn) transmit() {
	if c.out.Stalled() {
		return
	}
	c.apply(c.out.Send(c.k.net, c.k.now, c.k.netRng))
}

func (c *Conn) retransmit() {
	c.apply(c.out.Retransmit(c.k.net, c.k.now, c.k.netRng))
}

// apply carries out the model's answer: schedule the arrival of delivered segments, the
// next retransmission, or the abort. The queue keeps its array, which a connection that
// sends one message at a time reuses for every message.
func (c *Conn) apply(step netmodel.Step) {
	k := c.k
	switch step.Deliver {
	case netmodel.Head:
		seg := c.queue[0]
		n := copy(c.queue, c.queue[1:])
		c.queue[n] = nil
		c.queue = c.queue[:n]
		k.scheduleArrival(step.Arrive, c, seg)
	case netmodel.All:
		for i, seg := range c.queue {
			k.scheduleArrival(step.Arrive, c, seg)
			c.queue[i] = nil
		}
		c.queue = c.queue[:0]
	}
	if step.Retry != 0 {
		k.schedule(step.Retry, event{do: retransmit, conn: c})
	}
	if step.Abort {
		k.trace.record(k.now, recAbort, c.id, 0, 0, c.describe("abort: retransmission limit"))
		c.queue = nil
		c.fail(ErrTimeout)
	}
}

// arrive handles a segment reaching this end's host; hash is its trace hash if hashed
// says it is known already.
func (c *Conn) arrive(seg any, hash uint64, hashed bool) {
	k := c.k
	if ctl, ok := seg.(control); ok {
		if c.state == connClosed {
			return
		}
		if ctl == fin {
			k.trace.record(k.now, recFIN, c.id, 0, 0, c.describe("fin"))
			c.fail(ErrEOF)
		} else {
			k.trace.record(k.now, recReset, c.id, 0, 0, c.describe("reset"))
			c.fail(ErrReset)
		}
		return
	}
	if c.state == connClosed {
		// Data for a socket that no longer exists: the kernel answers with an RST.
		if c.peer.state != connClosed && !c.resetSent {
			c.resetSent = true
			c.queue = append(c.queue, rst)
			c.transmit()
		}
		return
	}
	var text func() string // rendered only for a kept trace; building it costs an allocation
	if k.trace.keep {
		text = func() string { return c.describe(describe(seg))() }
	}
	if !hashed {
		hash = hashPayload(seg)
	}
	k.trace.record(k.now, recDeliver, c.id, 0, hash, text)
	// As c.proc.run, without a closure unless the process is paused or busy.
	switch p := c.proc; {
	case p.inc != c.inc || p.state == stateDead:
	case p.state == statePaused || p.busy:
		p.deferCall(c.inc, func() { c.deliver(seg) })
	default:
		k.inArgs, _ = seg.([]string)
		k.inHash = hash
		c.deliver(seg)
		k.inArgs = nil
	}
}

// deliver hands a segment to the owner's code.
func (c *Conn) deliver(seg any) {
	if c.state == connOpen && c.OnData != nil {
		c.OnData(seg)
	}
}

// fail ends the connection for a reason the owner did not choose and tells the owner.
func (c *Conn) fail(err error) {
	c.state = connClosed
	c.proc.forget(c)
	c.proc.run(c.inc, func() {
		if c.OnClose != nil {
			c.OnClose(err)
		}
	})
}

// sendSYN transmits the SYN (or its retransmission) and arms the next retry.
func (c *Conn) sendSYN() {
	k := c.k
	if c.remote != nil {
		if syn := k.net.SendSYN(c.host.id, c.remote.id, k.now, k.netRng); syn.Reached {
			attempt := c.synAttempt
			k.At(syn.Arrive, func() { c.synArrived(attempt) })
		}
	}
	c.synAttempt++
	at, ok := netmodel.SYNRetry(c.synStart, c.synAttempt)
	k.At(at, func() {
		if c.state != connConnecting {
			return
		}
		if !ok {
			k.trace.record(k.now, recConnTimeout, c.id, 0, 0, c.describe("connect timeout"))
			c.fail(ErrTimeout)
			return
		}
		c.sendSYN()
	})
}

// synArrived runs at the server's host: a listener answers with a SYN-ACK, anything else
// with an RST. Either answer may be lost on the way back; the client then retries.
func (c *Conn) synArrived(attempt int) {
	k := c.k
	if c.state != connConnecting {
		return
	}
	reply := k.net.ReplyToSYN(c.host.id, c.remote.id, k.now, k.netRng)
	if !reply.Reached {
		return
	}
	l := c.remote.listeners[c.rport]
	k.At(reply.Arrive, func() {
		if c.state != connConnecting {
			return
		}
		if l == nil {
			k.trace.record(k.now, recRefused, c.id, uint64(attempt), 0, c.describe("refused"))
			c.fail(ErrRefused)
			return
		}
		if !l.proc.Alive() || c.remote.listeners[c.rport] != l {
			// The listener closed while the handshake was in flight.
			c.fail(ErrReset)
			return
		}
		c.establish(l)
	})
}

// establish creates the server end and opens both.
func (c *Conn) establish(l *listener) {
	k := c.k
	s := &Conn{k: k, proc: l.proc, inc: l.proc.inc, host: c.remote, port: c.rport, remote: c.host, rport: c.port, state: connOpen}
	k.conns++
	s.id = k.conns
	c.peer, s.peer = s, c
	c.out = netmodel.Stream{From: c.host.id, To: s.host.id}
	s.out = netmodel.Stream{From: s.host.id, To: c.host.id}
	l.proc.conns = append(l.proc.conns, s)
	c.state = connOpen
	k.trace.record(k.now, recConnect, c.id, s.id, 0, c.describe("connected"))
	// What was written while connecting goes out first, as hiredis flushes its buffer on
	// connect, before either side's code runs.
	queued := c.queue
	c.queue = nil
	for _, msg := range queued {
		c.queue = append(c.queue, msg)
		c.transmit()
	}
	l.proc.run(s.inc, func() { l.accept(s) })
	c.proc.run(c.inc, func() {
		if c.state == connOpen && c.OnOpen != nil {
			c.OnOpen()
		}
	})
}

func (c *Conn) describe(what string) func() string {
	return func() string {
		return c.proc.name + " " + c.host.addr + ":" + strconv.Itoa(c.port) + "->" + c.RemoteAddr() + ":" + strconv.Itoa(c.rport) + " " + what
	}
}
