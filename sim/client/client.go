// Package client is a simulated Sentinel-aware redis client: it finds the master the way
// go-redis v9's FailoverClient (v9.23.0) does, runs a workload of package linearize
// against it and records every operation in a history.
//
// Finding the master: ask the sentinel that answered last for SENTINEL
// GET-MASTER-ADDR-BY-NAME and, if it does not answer, every sentinel at once, taking the
// first answer; that sentinel moves to the front of the (initially shuffled) list and is
// kept. Optionally the answer is confirmed with ROLE. The connection to the master is
// kept until it fails, times out, answers READONLY, or (with FollowSwitch) a
// +switch-master names another address; the next operation then finds the master again.
//
// Where it differs from go-redis's defaults, and why:
//
//   - No retries. go-redis retries a command up to 3 times (MaxRetries), after 10 ms to
//     1 s of backoff, when its connection fails, times out or the server answers READONLY,
//     LOADING or MASTERDOWN. A retried INCR or RPUSH that the first attempt applied is
//     applied twice but recorded once, which the checkers would blame on Sentinel. Here
//     one attempt is one recorded operation, so the real backend must set MaxRetries: -1
//     to compare with the simulator.
//   - One deadline per operation, the scenario's Timeout (1 s by default), for the dial
//     and the reply together. go-redis has DialTimeout 5 s (with up to 5 dial attempts
//     100 ms apart), and ReadTimeout and WriteTimeout 5 s; the real backend sets all
//     three to the scenario's Timeout.
//   - No SENTINEL SENTINELS. go-redis adds the sentinels the one it keeps knows of to its
//     list. A client here is given every sentinel of the topology, so that could add only
//     sentinels that no longer exist, which answer nothing.
//   - The +switch-master subscription is not renewed when its connection drops (go-redis
//     resubscribes); it is made again with the next sentinel that answers.
//   - The ROLE check, an option (RoleCheck), is not in go-redis, and FollowSwitch can be
//     turned off to model clients that do not subscribe.
package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/world"
)

// Addr is a server's address.
type Addr struct {
	Host string
	Port int
}

func (a Addr) String() string { return a.Host + ":" + strconv.Itoa(a.Port) }

// Config is one client.
type Config struct {
	// ID is the client's number in the history.
	ID         int
	MasterName string
	Sentinels  []Addr
	Spec       world.ClientSpec
	History    *linearize.History
	// NodeName names the server at an address in the history ("n1/redis").
	NodeName func(Addr) string
	// RoleOf, if set, is the role of the server at an address now, as the world sees
	// it: the history records it, when an operation's reply (or its failure) arrives,
	// as the role of the node that served it. Without it the history records the role
	// the client believes its master has.
	RoleOf func(Addr) string
}

// failBackoff is the pause after an operation that failed without reaching a master, so
// that a client with no think time does not spin while no master is known (the real
// backend's clients pause as long).
const failBackoff = 100 * time.Millisecond

var errNoSentinel = errors.New("redis: all sentinels specified in configuration are unreachable")

// Client is the program of a client process.
type Client struct {
	cfg Config
	p   *kernel.Process

	sentinels  []Addr
	sentinel   *link // the sentinel that answered last
	sub        *link // its +switch-master subscription
	master     *link
	masterRole string

	stopped bool
	// busy: an operation is in flight; scheduled: next is due to run. At most one of
	// them holds, so that a client never has two operations at once.
	busy, scheduled bool
	// finals are final reads still to do, each retried until it succeeds or the
	// deadline passes; finalDone is called when none is left.
	finals        []linearize.Op
	finalDeadline time.Duration
	finalDone     func()

	// The operation in flight: its ID in the history, the link it went out on and the
	// node and role it is recorded with; out and status wait for WAIT's reply.
	op         linearize.Op
	opID       int
	opLink     *link
	node, role string
	out        linearize.Output
	status     linearize.Status
	// cmds is the array the next commands are cut from, one allocation for many: the
	// master's replication backlog keeps the commands a while anyway.
	cmds []string
	// The callbacks of every operation, made once: an operation allocates no closure.
	nextFn    func()
	masterFn  func(*link, error)
	replyFn   func(resp.Value, error)
	waitReply func(resp.Value, error)
}

// New returns a client; it starts working when its process starts.
func New(cfg Config) *Client {
	c := &Client{cfg: cfg}
	c.nextFn = func() {
		c.scheduled = false
		c.next()
	}
	c.masterFn, c.replyFn, c.waitReply = c.onMaster, c.onReply, c.onWait
	return c
}

// Start begins a fresh incarnation: go-redis shuffles the sentinel list it is given.
func (c *Client) Start(p *kernel.Process) {
	c.p = p
	c.sentinels = append([]Addr(nil), c.cfg.Sentinels...)
	p.Rand().Shuffle(len(c.sentinels), func(i, j int) { c.sentinels[i], c.sentinels[j] = c.sentinels[j], c.sentinels[i] })
	c.sentinel, c.sub, c.master = nil, nil, nil
	c.busy, c.scheduled = false, false
	c.after(0)
}

// after schedules the next operation in d.
func (c *Client) after(d time.Duration) {
	c.scheduled = true
	c.p.After(d, c.nextFn)
}

// Stop makes the client stop after its operation in flight.
func (c *Client) Stop() { c.stopped = true }

// FinalReads makes the client, once stopped, issue each op until it succeeds or until
// deadline (kernel time); done is called when it has finished.
func (c *Client) FinalReads(ops []linearize.Op, deadline time.Duration, done func()) {
	c.finals = append(c.finals, ops...)
	c.finalDeadline = deadline
	c.finalDone = done
	if !c.busy && !c.scheduled {
		c.after(0)
	}
}

// next starts the next operation, unless one is running (the caller guarantees it is
// not) or the client has stopped.
func (c *Client) next() {
	switch {
	case len(c.finals) > 0 && c.p.Kernel().Now() >= c.finalDeadline:
		c.finals = nil
		c.finalDone()
		return
	case len(c.finals) > 0:
		c.op = c.finals[0]
	case c.stopped:
		return
	default:
		c.op = c.cfg.Spec.Workload.Next(c.p.Rand())
	}
	c.do()
}

// do runs the operation c.op: find the master if there is no connection to it, send the
// command, wait for WAIT if asked, record the outcome, think, and go on. The steps are
// onMaster, onReply, onWait and finish.
func (c *Client) do() {
	c.opID = c.cfg.History.Invoke(c.cfg.ID, c.op, c.now())
	c.busy = true
	c.withMaster(c.masterFn)
}

// onMaster sends the operation to the master, or records that none could be found.
func (c *Client) onMaster(m *link, err error) {
	if err != nil {
		c.finish(linearize.Output{Error: err.Error()}, linearize.Fail, "", "")
		return
	}
	c.opLink, c.node, c.role = m, c.nodeName(m), c.masterRole
	m.call(c.command(c.op), c.cfg.Spec.Timeout, c.replyFn)
}

// commandsPerArray is how many commands of the most arguments an array of cmds holds.
const commandsPerArray = 256

// command is linearize.Command(op), cut from cmds.
func (c *Client) command(op linearize.Op) []string {
	if cap(c.cmds)-len(c.cmds) < linearize.MaxCommandLen {
		c.cmds = make([]string, 0, commandsPerArray*linearize.MaxCommandLen)
	}
	start := len(c.cmds)
	c.cmds = linearize.AppendCommand(c.cmds, op)
	return c.cmds[start:len(c.cmds):len(c.cmds)]
}

// onReply records the master's reply, or sends WAIT first if the scenario asks.
func (c *Client) onReply(v resp.Value, err error) {
	m := c.opLink
	if c.cfg.RoleOf != nil {
		c.role = c.cfg.RoleOf(m.addr)
	}
	if err != nil {
		c.dropMaster(m)
		c.finish(linearize.Output{Error: err.Error()}, sentStatus(m), c.node, c.role)
		return
	}
	if v.ErrorPrefix() == "READONLY" {
		c.dropMaster(m) // go-redis drops a connection that answers READONLY
	}
	out, status := linearize.ParseReply(c.op.Kind, plain(v))
	spec := c.cfg.Spec
	if spec.Wait == 0 || !c.op.IsWrite() || status != linearize.Ok {
		c.finish(out, status, c.node, c.role)
		return
	}
	c.out, c.status = out, status
	wait := []string{"WAIT", strconv.Itoa(spec.Wait), strconv.FormatInt(spec.WaitTimeout.Milliseconds(), 10)}
	m.call(wait, spec.WaitTimeout+spec.Timeout, c.waitReply)
}

// onWait records a write once WAIT has answered.
func (c *Client) onWait(v resp.Value, err error) {
	spec := c.cfg.Spec
	switch {
	case err != nil:
		c.dropMaster(c.opLink)
		c.out.Error = "WAIT: " + err.Error()
		c.status = linearize.Unknown
	case v.Kind != resp.KindInt || v.Int < int64(spec.Wait):
		// Applied on the master, not confirmed by enough replicas: the client
		// cannot count on it, and it may yet survive.
		c.out.Error = fmt.Sprintf("WAIT %d: %s", spec.Wait, v)
		c.status = linearize.Unknown
	}
	c.finish(c.out, c.status, c.node, c.role)
}

// finish records the operation's outcome, thinks, and schedules the next one.
func (c *Client) finish(out linearize.Output, status linearize.Status, node, role string) {
	c.cfg.History.Complete(c.opID, out, status, node, role, c.now())
	c.busy = false
	pause := c.cfg.Spec.Think
	if status == linearize.Ok && len(c.finals) > 0 && c.op.Final {
		c.finals = c.finals[1:]
		if len(c.finals) == 0 {
			c.finalDone()
		}
	}
	if node == "" && pause < failBackoff {
		pause = failBackoff
	}
	c.opLink = nil
	c.after(pause)
}

// nodeName names the link's server in the history, asking Config.NodeName once per link.
func (c *Client) nodeName(m *link) string {
	if m.node == "" {
		m.node = c.cfg.NodeName(m.addr)
	}
	return m.node
}

// sentStatus is the status of an operation whose link failed before its reply: unknown
// if the command may have reached the server, failed if the connection never opened.
func sentStatus(l *link) linearize.Status {
	if l.opened {
		return linearize.Unknown
	}
	return linearize.Fail
}

func (c *Client) now() int64 { return int64(c.p.Kernel().Now()) }

// withMaster calls use with the connection to the master, finding the master first if
// there is none.
func (c *Client) withMaster(use func(*link, error)) {
	if c.master != nil && !c.master.dead {
		use(c.master, nil)
		return
	}
	c.ask(func(addr Addr, err error) {
		if err != nil {
			use(nil, err)
			return
		}
		m := dial(c.p, addr)
		if !c.cfg.Spec.RoleCheck {
			c.master, c.masterRole = m, "master"
			use(m, nil)
			return
		}
		m.call([]string{"ROLE"}, c.cfg.Spec.Timeout, func(v resp.Value, err error) {
			if err == nil && (len(v.Array) == 0 || v.Array[0].Str != "master") {
				err = fmt.Errorf("ROLE: %s is not a master (%s)", addr, v)
			}
			if err != nil {
				m.close(err)
				use(nil, err)
				return
			}
			c.master, c.masterRole = m, "master"
			use(m, nil)
		})
	})
}

// ask finds the master's address as go-redis's FailoverClient does: from the sentinel
// that answered last while its connection lives, and otherwise from every sentinel at
// once, taking the first answer; the sentinel that gave it moves to the front of the
// list and the others' queries are dropped.
func (c *Client) ask(done func(Addr, error)) {
	if l := c.sentinel; l != nil && !l.dead {
		c.query(l, func(addr Addr, ok bool) {
			if ok {
				done(addr, nil)
				return
			}
			c.askAll(done)
		})
		return
	}
	c.askAll(done)
}

// query sends SENTINEL GET-MASTER-ADDR-BY-NAME; answer gets the address, or false if the
// sentinel did not name one.
func (c *Client) query(l *link, answer func(Addr, bool)) {
	args := []string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", c.cfg.MasterName}
	l.call(args, c.cfg.Spec.Timeout, func(v resp.Value, err error) {
		addr, ok := masterAddr(v)
		answer(addr, err == nil && ok)
	})
}

// errNotNeeded closes the queries still open when another sentinel has answered.
var errNotNeeded = errors.New("another sentinel answered first")

func (c *Client) askAll(done func(Addr, error)) {
	c.dropSentinel()
	left, answered := len(c.sentinels), false
	if left == 0 {
		done(Addr{}, errNoSentinel)
		return
	}
	links := make([]*link, len(c.sentinels))
	for i, a := range c.sentinels {
		links[i] = dial(c.p, a)
	}
	for i, l := range links {
		c.query(l, func(addr Addr, ok bool) {
			left--
			switch {
			case answered:
			case ok:
				answered = true
				c.sentinels[0], c.sentinels[i] = c.sentinels[i], c.sentinels[0]
				for _, other := range links {
					if other != l {
						other.close(errNotNeeded)
					}
				}
				c.setSentinel(l)
				done(addr, nil)
				return
			case left == 0:
				done(Addr{}, errNoSentinel)
			}
			l.close(errNotNeeded)
		})
	}
}

func masterAddr(v resp.Value) (Addr, bool) {
	ss, ok := v.Strings()
	if !ok || len(ss) != 2 {
		return Addr{}, false
	}
	port, err := strconv.Atoi(ss[1])
	return Addr{Host: ss[0], Port: port}, err == nil
}

// setSentinel keeps the sentinel that answered and, with FollowSwitch, subscribes to its
// +switch-master events on a second connection.
func (c *Client) setSentinel(l *link) {
	c.sentinel = l
	if !c.cfg.Spec.FollowSwitch {
		return
	}
	sub := dial(c.p, l.addr)
	sub.onMessage = c.switchMaster
	// The subscription has no deadline: it waits for events for as long as it lives.
	sub.call([]string{"SUBSCRIBE", "+switch-master"}, 365*24*time.Hour, func(resp.Value, error) {})
	c.sub = sub
}

// dropSentinel closes the connections to the sentinel that answered last, as go-redis
// does when it stops answering.
func (c *Client) dropSentinel() {
	for _, l := range []*link{c.sentinel, c.sub} {
		if l != nil {
			l.close(kernel.ErrClosed)
		}
	}
	c.sentinel, c.sub = nil, nil
}

// switchMaster handles "message +switch-master <name> <old ip> <old port> <ip> <port>":
// a connection to any other address is dropped, as go-redis's FailoverClient does.
func (c *Client) switchMaster(msg resp.Value) {
	ss, ok := msg.Strings()
	if !ok || len(ss) != 3 || ss[0] != "message" {
		return
	}
	f := strings.Fields(ss[2])
	if len(f) != 5 || f[0] != c.cfg.MasterName || c.master == nil {
		return
	}
	if c.master.addr.String() != f[3]+":"+f[4] {
		c.dropMaster(c.master)
	}
}

func (c *Client) dropMaster(m *link) {
	m.close(kernel.ErrClosed)
	if c.master == m {
		c.master = nil
	}
}

// plain turns a reply into the plain values linearize.ParseReply reads.
func plain(v resp.Value) any {
	switch v.Kind {
	case resp.KindSimple, resp.KindBulk:
		return v.Str
	case resp.KindError:
		return errors.New(v.Str)
	case resp.KindInt:
		return v.Int
	case resp.KindArray:
		if ss, ok := v.Strings(); ok {
			return ss // as ParseReply takes it, without boxing every element
		}
		out := make([]any, len(v.Array))
		for i, e := range v.Array {
			out[i] = plain(e)
		}
		return out
	}
	return nil
}
