package fidelity

import (
	"fmt"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/sim/redis"
)

// ClientHost is the simulated host the test's clients connect from: the address a real
// client on this machine connects from, which protected mode lets in.
const ClientHost = "127.0.0.1"

// Sim is a simulated world with redis nodes and a client process to talk to them.
type Sim struct {
	K       *kernel.Kernel
	Servers map[string]*redis.Server // by host address
	Procs   map[string]*kernel.Process
	client  *kernel.Process
}

type idle struct{}

func (idle) Start(*kernel.Process) {}

// NewSim returns a world with the client host and nothing else.
func NewSim(seed uint64) *Sim {
	k, err := kernel.New(seed, kernel.Options{})
	if err != nil {
		panic(err) // only a bad latency distribution fails, and the default is good
	}
	s := &Sim{K: k, Servers: map[string]*redis.Server{}, Procs: map[string]*kernel.Process{}}
	s.client = k.AddHost(ClientHost).Spawn("client", idle{})
	return s
}

// Spawn starts a simulated redis-server on addr:port with the given options.
func (s *Sim) Spawn(addr string, port int, opts ...[2]string) (*redis.Server, error) {
	srv, err := redis.New(redis.Config{Port: port, Options: opts})
	if err != nil {
		return nil, err
	}
	s.Servers[addr] = srv
	s.Procs[addr] = s.K.AddHost(addr).Spawn(fmt.Sprintf("redis/%s:%d", addr, port), srv)
	return srv, nil
}

// Dial opens a simulated connection from the client host.
func (s *Sim) Dial(addr string, port int) *SimConn {
	c := &SimConn{k: s.K, conn: s.client.Dial(addr, port)}
	c.conn.OnData = func(msg any) {
		if v, ok := msg.(resp.Value); ok {
			c.replies = append(c.replies, v)
		}
	}
	c.conn.OnClose = func(err error) { c.closed = err }
	return c
}

// SimConn is a connection to a simulated node. Do runs the world until the reply arrives.
type SimConn struct {
	k       *kernel.Kernel
	conn    *kernel.Conn
	replies []resp.Value
	closed  error
	// Timeout is how much virtual time Do waits for a reply (default 10 s).
	Timeout time.Duration
}

// Send writes a command without waiting for its reply.
func (c *SimConn) Send(args ...string) error {
	return c.conn.Send(append([]string(nil), args...))
}

// Do sends a command and waits, in virtual time, for one reply.
func (c *SimConn) Do(args ...string) (resp.Value, error) {
	if err := c.Send(args...); err != nil {
		return resp.Value{}, fmt.Errorf("%q: %w", args, err)
	}
	return c.Next()
}

// Next waits, in virtual time, for the next reply.
func (c *SimConn) Next() (resp.Value, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	deadline := c.k.Now() + timeout
	for len(c.replies) == 0 && c.closed == nil && c.k.Now() < deadline {
		c.k.RunFor(100 * time.Microsecond)
	}
	if len(c.replies) == 0 {
		if c.closed != nil {
			return resp.Value{}, fmt.Errorf("connection closed: %w", c.closed)
		}
		return resp.Value{}, fmt.Errorf("no reply within %v of virtual time", timeout)
	}
	v := c.replies[0]
	c.replies = c.replies[1:]
	return v, nil
}

// Pending returns and forgets the replies that arrived but were not read.
func (c *SimConn) Pending() []resp.Value {
	r := c.replies
	c.replies = nil
	return r
}

// Close closes the connection.
func (c *SimConn) Close() { c.conn.Close() }
