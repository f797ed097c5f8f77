package sentineld

import (
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// transport implements sentinel.Transport with the process's simulated connections. It
// behaves as hiredis's async API does for Sentinel: Dial returns at once and commands
// queue until the connection is up; replies come back in order; once SUBSCRIBE's reply
// arrives, every further message on that connection goes to the subscription.
type transport struct {
	p *kernel.Process
}

func (t transport) Dial(addr sentinel.Addr, onDisconnect func(err error)) (sentinel.Conn, error) {
	c := &conn{kc: t.p.Dial(addr.Host, addr.Port), onDisconnect: onDisconnect}
	c.kc.OnData = c.receive
	c.kc.OnClose = c.lost
	return c, nil
}

type conn struct {
	kc           *kernel.Conn
	replies      sentinel.Pipeline
	onDisconnect func(error)
	done         bool
}

func (c *conn) Send(args []string, onReply func(reply resp.Value, ok bool)) error {
	if c.done {
		return kernel.ErrClosed
	}
	if err := c.kc.Send(args); err != nil {
		return err
	}
	c.replies.Expect(onReply)
	return nil
}

func (c *conn) Subscribe(cmd, channel string, onMessage func(msg resp.Value)) error {
	if c.done {
		return kernel.ErrClosed
	}
	if err := c.kc.Send([]string{cmd, channel}); err != nil {
		return err
	}
	c.replies.ExpectSubscription(onMessage)
	return nil
}

func (c *conn) LocalIP() string {
	if !c.kc.Open() {
		return ""
	}
	return c.kc.LocalAddr()
}

// Close closes the connection at the Sentinel's request: pending callbacks learn the
// reply will not come, and onDisconnect stays silent.
func (c *conn) Close() {
	if c.done {
		return
	}
	c.kc.Close()
	c.finish()
}

func (c *conn) receive(msg any) {
	v, ok := msg.(resp.Value)
	if !ok || c.done {
		return
	}
	if err := c.replies.Deliver(v); err != nil {
		c.kc.Close()
		c.lost(err)
	}
}

func (c *conn) lost(err error) {
	if c.done {
		return
	}
	c.finish()
	if c.onDisconnect != nil {
		c.onDisconnect(err)
	}
}

// finish fails every pending reply.
func (c *conn) finish() {
	c.done = true
	c.replies.Fail()
}
