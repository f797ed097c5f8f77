package real

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/world"
)

// client is one client node: go-redis v9's FailoverClient, connecting from its host's
// address, running the workload in a goroutine.
type client struct {
	id   int
	rdb  *redis.Client
	spec world.ClientSpec
	rng  *rand.Rand
	// served is the address of the redis node the client last wrote a command to: as it
	// runs one operation at a time, the node that served the operation in flight.
	mu     sync.Mutex
	served string
	stop   chan struct{}
	done   chan struct{}
	rdbMu  sync.Mutex // one operation at a time, also for the final reads
	closed bool
}

// StartClients starts a go-redis FailoverClient per client node of the topology. It
// refuses, with world.ErrUnsupported and before starting any, a spec that client cannot
// follow (see clientSpecError).
func (c *Cluster) StartClients(spec world.ClientSpec, h *linearize.History) error {
	if err := clientSpecError(spec); err != nil {
		return err
	}
	h.Share() // the clients' goroutines record into it while the scenario reads it
	spec.Workload = linearize.Shared(spec.Workload)
	c.mu.Lock()
	c.history = h
	c.mu.Unlock()
	var sentinels []string
	for _, s := range c.topo.OfKind(world.Sentinel) {
		sentinels = append(sentinels, c.topo.Addr(s))
	}
	for i, n := range c.topo.OfKind(world.Client) {
		cl := &client{id: i, spec: spec, stop: make(chan struct{}), done: make(chan struct{}),
			rng: rand.New(rand.NewPCG(c.seed, uint64(i)))}
		cl.rdb = redis.NewFailoverClient(failoverOptions(c.topo.MasterName, sentinels, c.ip(n), spec.Timeout,
			func(addr string) {
				// The same dialer reaches the sentinels; only a redis node serves.
				if n, ok := c.topo.NodeAt(addr); ok && n.Kind == world.Redis {
					cl.setServed(addr)
				}
			}))
		c.mu.Lock()
		c.clients = append(c.clients, cl)
		c.mu.Unlock()
		go cl.run(c, h)
	}
	return nil
}

// clientSpecError says why go-redis v9's FailoverClient cannot follow spec, or is nil:
// it has no option to confirm a master with ROLE before using it, and always subscribes
// to +switch-master. Running such a scenario with the client's own behaviour instead
// would compare another client with the simulator's.
func clientSpecError(spec world.ClientSpec) error {
	if spec.RoleCheck {
		return fmt.Errorf("workload role-check: %w: go-redis v9's FailoverClient does not confirm a master with ROLE; "+
			"run the scenario in the simulator, or without role-check", world.ErrUnsupported)
	}
	if !spec.FollowSwitch {
		return fmt.Errorf("workload follow-switch false: %w: go-redis v9's FailoverClient always subscribes to +switch-master; "+
			"run the scenario in the simulator, or with follow-switch true", world.ErrUnsupported)
	}
	return nil
}

// failoverOptions configure a client's FailoverClient: connections from the client's own
// address ip, each operation bounded by timeout, and wrote called with a connection's
// remote address every time a command is written to it, so that the client knows which
// server each of its operations went to.
//
// MaxRetries is -1: go-redis would otherwise send a command again after a timeout or a
// dropped connection, so that an INCR or RPUSH whose first attempt took effect is applied
// twice while the history records one operation, and the checkers report an anomaly that
// the client made. With no retries every attempt is one recorded operation, and one that
// timed out is recorded as of unknown outcome.
func failoverOptions(master string, sentinels []string, ip string, timeout time.Duration,
	wrote func(addr string)) *redis.FailoverOptions {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: timeout}
	return &redis.FailoverOptions{
		MasterName: master, SentinelAddrs: sentinels,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DisableIdentity: true,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &watchedConn{Conn: conn, addr: addr, wrote: wrote}, nil
		},
	}
}

// watchedConn tells wrote of every write to the connection: go-redis does not say which
// server a command went to, and a FailoverClient's pool may hold a connection to an old
// master as well as one to the new.
type watchedConn struct {
	net.Conn
	addr  string
	wrote func(addr string)
}

func (c *watchedConn) Write(b []byte) (int, error) {
	c.wrote(c.addr)
	return c.Conn.Write(b)
}

// run issues operations until stopped.
func (cl *client) run(c *Cluster, h *linearize.History) {
	defer close(cl.done)
	for {
		select {
		case <-cl.stop:
			return
		default:
		}
		status := cl.do(c, h, cl.spec.Workload.Next(cl.rng))
		pause := cl.spec.Think
		if status == linearize.Fail && pause < 100*time.Millisecond {
			pause = 100 * time.Millisecond // as the simulated client backs off
		}
		select {
		case <-cl.stop:
			return
		case <-time.After(pause):
		}
	}
}

// do runs one operation and records it.
func (cl *client) do(c *Cluster, h *linearize.History, op linearize.Op) linearize.Status {
	cl.rdbMu.Lock()
	defer cl.rdbMu.Unlock()
	id := h.Invoke(cl.id, op, c.nanos())
	args := linearize.Command(op)
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	ctx, cancel := context.WithTimeout(context.Background(), cl.spec.Timeout+cl.spec.WaitTimeout)
	defer cancel()
	// ROLE goes in the same pipeline, on the same connection, so that the history says
	// what the server that ran the operation was just after it: the client cannot see
	// inside the server, and this is its own answer, not what a sentinel believed.
	cl.setServed("")
	pipe := cl.rdb.Pipeline()
	cmd, roleCmd := pipe.Do(ctx, a...), pipe.Do(ctx, "ROLE")
	pipe.Exec(ctx) // each command's own result is read below
	reply, err := cmd.Result()
	out, status := outcome(op, reply, err)
	node, role := "", linearize.RoleDown
	if addr := cl.servedAddr(); addr != "" && (status != linearize.Fail || isServerError(err)) {
		node, role = c.nodeAt(addr), roleOf(roleCmd)
	}
	if status == linearize.Ok && cl.spec.Wait > 0 && op.IsWrite() {
		n, err := cl.rdb.Do(ctx, "WAIT", cl.spec.Wait, cl.spec.WaitTimeout.Milliseconds()).Int64()
		if err != nil || n < int64(cl.spec.Wait) {
			out.Error = fmt.Sprintf("WAIT %d: %d confirmed, %v", cl.spec.Wait, n, err)
			status = linearize.Unknown
		}
	}
	h.Complete(id, out, status, node, role, c.nanos())
	return status
}

// roleOf is the role in a ROLE reply ("master", "slave"), or "" if there was none.
func roleOf(cmd *redis.Cmd) string {
	reply, err := cmd.Slice()
	if err != nil || len(reply) == 0 {
		return linearize.RoleDown
	}
	role, _ := reply[0].(string)
	return role
}

// outcome turns go-redis's answer into the operation's output and status: a server's
// error reply means the command did not run; a connection that failed while dialling
// means nothing was sent; any other network error leaves the outcome unknown.
func outcome(op linearize.Op, reply any, err error) (linearize.Output, linearize.Status) {
	switch {
	case errors.Is(err, redis.Nil):
		return linearize.ParseReply(op.Kind, nil)
	case isServerError(err):
		return linearize.ParseReply(op.Kind, err)
	case err != nil && neverSent(err):
		return linearize.Output{Error: err.Error()}, linearize.Fail
	case err != nil:
		return linearize.Output{Error: err.Error()}, linearize.Unknown
	}
	return linearize.ParseReply(op.Kind, reply)
}

func isServerError(err error) bool {
	var re redis.Error
	return err != nil && !errors.Is(err, redis.Nil) && errors.As(err, &re)
}

// neverSent recognises errors raised before a command could leave: a refused or failed
// dial, or no sentinel able to name the master.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return strings.Contains(err.Error(), "all sentinels specified in configuration are unreachable")
}

func (cl *client) setServed(addr string) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.served = addr
}

func (cl *client) servedAddr() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.served
}

func (c *Cluster) nanos() int64 { return int64(time.Since(c.start)) }

// nodeAt names the node at an address ("127.0.0.1:6382"); unknown addresses stay as they are.
func (c *Cluster) nodeAt(addr string) string {
	if n, ok := c.topo.NodeAt(addr); ok {
		return n.Name
	}
	return addr
}

// StopClients stops every client after its operation in flight.
func (c *Cluster) StopClients() {
	c.mu.Lock()
	clients := c.clients
	c.mu.Unlock()
	for _, cl := range clients {
		if !cl.closed {
			cl.closed = true
			close(cl.stop)
			<-cl.done
		}
	}
}

// FinalReads has the first client issue ops, each until it succeeds, for at most limit.
func (c *Cluster) FinalReads(ops []linearize.Op, limit time.Duration) {
	c.mu.Lock()
	clients := c.clients
	c.mu.Unlock()
	if len(clients) == 0 {
		return
	}
	cl := clients[0]
	deadline := time.Now().Add(limit)
	for _, op := range ops {
		for time.Now().Before(deadline) && cl.do(c, c.history, op) != linearize.Ok {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// followEvents subscribes to every event channel of a sentinel and records what arrives,
// with the config epoch for the events that install a configuration.
func (c *Cluster) followEvents(ctx context.Context, n world.Node) {
	r := c.rdb(n)
	defer r.Close()
	sub := r.PSubscribe(ctx, "*")
	go func() {
		<-ctx.Done()
		sub.Close() // ends the channel below
	}()
	for msg := range sub.Channel() {
		if msg.Channel == "__sentinel__:hello" {
			continue
		}
		e := linearize.SentinelEvent{At: c.nanos(), Sentinel: n.Name, Type: msg.Channel, Text: msg.Payload}
		if e.Type == "+switch-master" || e.Type == "+config-update-from" {
			e.Epoch, _ = strconv.ParseUint(c.sentinelMaster(ctx, n)["config-epoch"], 10, 64)
		}
		c.mu.Lock()
		c.events = append(c.events, e)
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(e)
		}
		c.mu.Unlock()
	}
}

// Events are the sentinels' events so far, as their Pub/Sub channels published them.
func (c *Cluster) Events() []linearize.SentinelEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]linearize.SentinelEvent(nil), c.events...)
}
