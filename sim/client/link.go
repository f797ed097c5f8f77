package client

import (
	"errors"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// errTimeout is a reply that did not come in time; the link is closed, as go-redis
// closes a connection whose read timed out.
var errTimeout = errors.New("i/o timeout")

// link is one client connection: commands go out in order and their replies come back in
// order, each with its own deadline. Messages that arrive with no command waiting are
// Pub/Sub pushes.
type link struct {
	p       *kernel.Process
	c       *kernel.Conn
	addr    Addr
	pending []call
	// opened: the connection was established, so a command sent on it may have reached
	// the server even if no reply came back.
	opened    bool
	dead      bool
	onMessage func(resp.Value)
	// timeout closes the link when a reply is late: one function for every call's timer.
	timeout func()
	// node names addr in the history, once asked (see Client.nodeName).
	node string
}

// call is a command waiting for its reply: done gets it, unless timer fires first.
type call struct {
	done  func(resp.Value, error)
	timer kernel.Timer
}

func dial(p *kernel.Process, addr Addr) *link {
	l := &link{p: p, c: p.Dial(addr.Host, addr.Port), addr: addr}
	l.timeout = func() { l.close(errTimeout) }
	l.c.OnOpen = func() { l.opened = true }
	l.c.OnData = l.receive
	l.c.OnClose = l.close
	return l
}

// call sends a command; done gets its reply, or the error that ended the link first.
// done is never called before call returns.
func (l *link) call(args []string, timeout time.Duration, done func(resp.Value, error)) {
	if l.dead {
		l.p.Defer(func() { done(resp.Value{}, kernel.ErrClosed) })
		return
	}
	l.pending = append(l.pending, call{done: done, timer: l.p.After(timeout, l.timeout)})
	if err := l.c.Send(args); err != nil {
		l.close(err)
	}
}

func (l *link) receive(msg any) {
	v, ok := msg.(resp.Value)
	if !ok || l.dead {
		return
	}
	if len(l.pending) == 0 {
		if l.onMessage != nil {
			l.onMessage(v)
		}
		return
	}
	next := l.pending[0]
	n := copy(l.pending, l.pending[1:]) // keep the array: a link has one call at a time, mostly
	l.pending[n] = call{}
	l.pending = l.pending[:n]
	next.timer.Stop()
	next.done(v, nil)
}

// close ends the link; every command still waiting gets err.
func (l *link) close(err error) {
	if l.dead {
		return
	}
	l.dead = true
	l.c.Close()
	pending := l.pending
	l.pending = nil
	for _, w := range pending {
		w.timer.Stop()
		w.done(resp.Value{}, err)
	}
}
