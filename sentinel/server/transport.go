package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
)

// errClosed is what Send says on a connection that is gone.
var errClosed = errors.New("connection closed")

// dialTimeout bounds a connection attempt, as the kernel's SYN retries would.
const dialTimeout = 5 * time.Second

// transport implements sentinel.Transport with TCP connections, as hiredis's async API
// does for Redis's Sentinel: Dial returns at once and commands queue until the connection
// is up; replies come back in order; once SUBSCRIBE's reply arrives, every further message
// on that connection goes to the subscription. Every callback runs on the server's loop.
type transport struct{ srv *Server }

func (t transport) Dial(addr sentinel.Addr, onDisconnect func(err error)) (sentinel.Conn, error) {
	c := &conn{srv: t.srv, onDisconnect: onDisconnect}
	d := net.Dialer{Timeout: dialTimeout}
	if src := t.srv.sourceAddr; src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	target := net.JoinHostPort(addr.Host, strconv.Itoa(addr.Port))
	go func() {
		nc, err := d.DialContext(context.Background(), "tcp", target)
		t.srv.post(func() { c.connected(nc, err) })
	}()
	return c, nil
}

type conn struct {
	srv          *Server
	nc           net.Conn // nil until connected
	w            *bufio.Writer
	unsent       [][]string // queued before the connection was up
	replies      sentinel.Pipeline
	onDisconnect func(error)
	done         bool
}

// connected runs on the loop when the dial ends.
func (c *conn) connected(nc net.Conn, err error) {
	if c.done {
		if nc != nil {
			nc.Close()
		}
		return
	}
	if err != nil {
		c.lost(err)
		return
	}
	c.nc, c.w = nc, bufio.NewWriter(nc)
	for _, args := range c.unsent {
		c.write(args)
	}
	c.unsent = nil
	c.flush()
	go c.read(resp.NewReader(nc))
}

// read delivers every value that arrives, in order, to the loop.
func (c *conn) read(r *resp.Reader) {
	for {
		v, err := r.ReadValue()
		if err != nil {
			c.srv.post(func() { c.lost(err) })
			return
		}
		c.srv.post(func() { c.receive(v) })
	}
}

func (c *conn) write(args []string) {
	c.w.Write(resp.AppendCommand(nil, args...))
}

// flush sends what was written. A peer that does not read for long enough is a lost
// connection, not a stalled sentinel.
func (c *conn) flush() {
	c.nc.SetWriteDeadline(time.Now().Add(dialTimeout))
	if err := c.w.Flush(); err != nil {
		c.lost(err)
	}
}

func (c *conn) send(args []string) error {
	if c.done {
		return errClosed
	}
	if c.nc == nil {
		c.unsent = append(c.unsent, args)
		return nil
	}
	c.write(args)
	c.flush()
	return nil
}

func (c *conn) Send(args []string, onReply func(resp.Value, bool)) error {
	if err := c.send(args); err != nil {
		return err
	}
	c.replies.Expect(onReply)
	return nil
}

func (c *conn) Subscribe(cmd, channel string, onMessage func(resp.Value)) error {
	if err := c.send([]string{cmd, channel}); err != nil {
		return err
	}
	c.replies.ExpectSubscription(onMessage)
	return nil
}

func (c *conn) LocalIP() string {
	if c.nc == nil {
		return ""
	}
	host, _, _ := net.SplitHostPort(c.nc.LocalAddr().String())
	return host
}

// Close closes the connection at the Sentinel's request: pending callbacks learn the
// reply will not come, and onDisconnect stays silent.
func (c *conn) Close() {
	if c.done {
		return
	}
	c.finish()
}

func (c *conn) receive(v resp.Value) {
	if c.done {
		return
	}
	if err := c.replies.Deliver(v); err != nil {
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

// finish closes the socket and fails every pending reply, as hiredis calls each callback
// with a NULL reply when its context goes away.
func (c *conn) finish() {
	c.done = true
	if c.nc != nil {
		c.nc.Close()
	}
	c.replies.Fail()
}
