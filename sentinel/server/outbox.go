package server

import (
	"net"
	"sync"
	"time"
)

// outbox is what waits to go out on one connection: the loop appends to it and never
// waits, and a writer goroutine of the connection's own sends it. A peer that stops
// reading (its socket buffers full) so stalls only its own writer, never the loop, the
// other clients or the links, as Redis's event loop writes only what a socket takes and
// keeps the rest in the client's reply list.
type outbox struct {
	nc   net.Conn
	mu   sync.Mutex
	wake *sync.Cond
	// queued is written next; sending is the size of the write under way.
	queued  []byte
	sending int
	// closing closes the connection once everything queued is sent; closed is final.
	closing, closed bool
}

// newOutbox starts the connection's writer. A write that fails closes the connection:
// its reader then sees the end and reports it.
func newOutbox(nc net.Conn) *outbox {
	o := &outbox{nc: nc}
	o.wake = sync.NewCond(&o.mu)
	go o.run()
	return o
}

// write queues b; it never blocks on the peer.
func (o *outbox) write(b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.closing {
		return
	}
	o.queued = append(o.queued, b...)
	o.wake.Signal()
}

// pending is how many bytes have not reached the socket yet: the output buffer Redis
// counts against client-output-buffer-limit.
func (o *outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queued) + o.sending
}

// close closes the connection now and drops what was not sent, as freeClient does.
func (o *outbox) close() {
	o.mu.Lock()
	already := o.closed
	o.closed, o.queued = true, nil
	o.wake.Signal()
	o.mu.Unlock()
	if !already {
		o.nc.Close()
	}
}

// closeAfterSending closes the connection once what is queued is sent, as Redis's
// CLIENT_CLOSE_AFTER_REPLY does (a client that killed itself, a protocol error).
func (o *outbox) closeAfterSending() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closing = true
	o.wake.Signal()
}

// run is the writer goroutine: it sends what is queued, in order, until the outbox is
// closed or a write fails.
func (o *outbox) run() {
	var buf []byte
	for {
		o.mu.Lock()
		for len(o.queued) == 0 && !o.closed && !o.closing {
			o.wake.Wait()
		}
		if o.closed || len(o.queued) == 0 {
			done := o.closed
			o.closed = true
			o.mu.Unlock()
			if !done {
				o.nc.Close()
			}
			return
		}
		buf, o.queued = o.queued, buf[:0]
		o.sending = len(buf)
		o.mu.Unlock()
		_, err := o.nc.Write(buf)
		o.mu.Lock()
		o.sending = 0
		o.mu.Unlock()
		if err != nil {
			o.close()
			return
		}
	}
}

// outputLimit is client-output-buffer-limit for one class of clients. A sentinel keeps
// Redis's defaults (sentinel mode sets none of its own): normal clients have no limit,
// Pub/Sub clients pubsubLimit.
type outputLimit struct {
	hard, soft int
	softFor    time.Duration
}

var pubsubLimit = outputLimit{hard: 32 << 20, soft: 8 << 20, softFor: 60 * time.Second}

// reached reports whether an output buffer of used bytes is past the limit at now, as
// checkClientOutputBufferLimits judges it: at the hard limit at once, above the soft one
// once it has stayed there for longer than softFor. softSince is when the buffer went
// over the soft limit, zero while it is under. An empty buffer is never checked (and so
// does not reset softSince), as closeClientOnOutputBufferLimitReached skips it.
func (l outputLimit) reached(used int, now time.Time, softSince *time.Time) bool {
	if used == 0 {
		return false
	}
	if l.hard > 0 && used >= l.hard {
		return true
	}
	if l.soft == 0 || used < l.soft {
		*softSince = time.Time{}
		return false
	}
	if softSince.IsZero() {
		*softSince = now
		return false
	}
	return now.Sub(*softSince) > l.softFor
}
