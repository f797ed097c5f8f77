package server

import (
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
//
// Why not go-redis v9, which the project uses everywhere else (its clients, the real
// backend): a Sentinel link is one connection with many commands in flight, and go-redis
// has no API that gives that with hiredis's semantics, each of which the state machine
// observes (link-pending-commands, link-refcount, -cmd-link-reconnection, the PING
// timeout that drops a link):
//   - redis.Conn, the one API bound to a single connection, is "not thread-safe": one
//     command at a time, each call blocking until its reply. Sentinel sends PING every
//     second while an INFO or a vote may still be unanswered, and counts what is pending
//     (it drops a link with 100 pending); with Conn a second command waits for the first.
//   - Pipeline/Pipeliner.Exec (also on a Conn) sends a batch and returns only when every
//     reply of the batch is in: no callback per reply as it arrives, and no command can
//     join the pipe while the batch is out.
//   - redis.Client is a pool: consecutive commands may use different connections (their
//     replies then race), a broken connection is replaced silently, and a failed command
//     is retried (Options.MaxRetries, default 3), so a disconnect is never reported; the
//     state machine must see it, when it happens, to mark the link disconnected and
//     reconnect at its own pace (once per second).
//   - redis.PubSub reconnects and resubscribes by itself (PubSub.reconnect, called from
//     releaseConn on any bad-connection error) and pings on its own health-check
//     timer (ChannelOption WithChannelHealthCheckInterval): the Pub/Sub link's
//     disconnection, its last-activity time and its reconnection pacing would be
//     go-redis's, not Sentinel's. Its SUBSCRIBE refused with -NOAUTH comes back as an
//     error to the caller; hiredis instead drops the connection.
//   - Replies are decoded into Go values (Cmd.Result: string, int64, []interface{},
//     redis.Error): a status reply and a bulk string both become a string, where the
//     state machine, like Sentinel's callbacks, checks the reply's RESP type.
//   - A command's context deadline or Options.ReadTimeout (default 5 s) closes the
//     connection from go-redis's side; Sentinel sets no read timeout and judges slow
//     replies itself (down-after-milliseconds).
//
// Building hiredis's link on top of those would mean one goroutine per in-flight command
// on a Conn that forbids it, or giving up the ordering and the disconnect events; the
// codec here (resp, shared with the simulator) and sentinel.Pipeline are smaller than
// that and keep each of the semantics above exact.
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
	out          *outbox
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
	// A write that fails closes the socket, and the reader then reports the loss.
	c.nc, c.out = nc, newOutbox(nc)
	for _, args := range c.unsent {
		c.write(args)
	}
	c.unsent = nil
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

// write queues a command on the link's outbox, as hiredis buffers it: a peer that does
// not read stalls only this link, which the sentinel drops by its own rules (pending
// commands, the PING timeout), never the loop.
func (c *conn) write(args []string) {
	c.out.write(resp.AppendCommand(nil, args...))
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
	if c.out != nil {
		c.out.close()
	}
	c.replies.Fail()
}
