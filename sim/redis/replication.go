package redis

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

type linkState uint8

const (
	linkNone       linkState = iota // no connection to the master: retried every second
	linkConnecting                  // handshake sent, waiting for +FULLRESYNC or +CONTINUE
	linkSync                        // full sync: waiting for the snapshot
	linkConnected                   // streaming
)

// replicaState is what a master knows of a connected replica.
type replicaState struct {
	ip      string
	port    int
	online  bool
	ack     int64
	lastAck time.Duration
}

type backlogEntry struct {
	offset int64 // offset after this command
	cmd    []string
}

// propagate appends a write to the replication stream: the offset grows by the command's
// size on the wire, and every online replica receives it. The stream is made of commands,
// as a client sends them; the slice is shared, never modified.
func (n *node) propagate(args []string) {
	n.offset += int64(resp.CommandLen(args...))
	n.backlog = append(n.backlog, backlogEntry{offset: n.offset, cmd: args})
	limit := int64(atoiOpt(n.srv.options["repl-backlog-size"]))
	for n.backlogHead < len(n.backlog)-1 && n.offset-n.backlog[n.backlogHead].offset > limit {
		n.backlogHead++
	}
	// Entries before the head have left the backlog. Moving the rest down once they are
	// half of it copies each entry about once, where reslicing the front off would make
	// append reallocate the backlog again and again.
	if n.backlogHead > len(n.backlog)/2 {
		n.backlog = n.backlog[:copy(n.backlog, n.backlog[n.backlogHead:])]
		n.backlogHead = 0
	}
	for _, r := range n.replicas {
		if r.replica.online {
			r.stream(args)
		}
	}
}

// replBacklog is what the replication backlog holds.
func (n *node) replBacklog() []backlogEntry { return n.backlog[n.backlogHead:] }

// backlogStart is the first offset the backlog can serve from (PSYNC asks for offset+1).
func (n *node) backlogStart() int64 {
	if len(n.replBacklog()) == 0 {
		return n.offset + 1
	}
	first := n.replBacklog()[0]
	return first.offset - int64(resp.CommandLen(first.cmd...)) + 1
}

// psync serves a replica's PSYNC replid offset: a partial resync from the backlog when
// the history matches (our id, or our previous id up to the fork), else a full one.
func (n *node) psync(cl *client, args []string) {
	if n.masterHost != "" && n.link != linkConnected {
		cl.reply(resp.Err("NOMASTERLINK Can't SYNC while not connected with my master"))
		return
	}
	if cl.replica == nil {
		ip := cl.replIP
		if ip == "" {
			ip = cl.c.RemoteAddr()
		}
		cl.replica = &replicaState{ip: ip, port: cl.replPort}
	}
	cl.replica.lastAck = n.p.Monotonic()
	n.replicas = append(n.replicas, cl)
	want := int64(-1)
	id := "?"
	if len(args) == 3 {
		id = args[1]
		want, _ = strconv.ParseInt(args[2], 10, 64)
	}
	sameHistory := id == n.replID || (id == n.replID2 && want <= n.secondOffset)
	if sameHistory && want >= n.backlogStart() && want <= n.offset+1 {
		cl.reply(resp.Simple("CONTINUE " + n.replID))
		for _, e := range n.replBacklog() {
			if e.offset >= want {
				cl.stream(e.cmd)
			}
		}
		cl.replica.online = true
		return
	}
	delay := time.Duration(atoiOpt(n.srv.options["repl-diskless-sync-delay"])) * time.Second
	delay += time.Duration(n.data.elements()) * 20 * time.Microsecond // the transfer
	n.p.After(delay, func() {
		if cl.closed {
			return
		}
		cl.reply(resp.Simple(fmt.Sprintf("FULLRESYNC %s %d", n.replID, n.offset)))
		cl.reply(n.data.snapshot())
		cl.replica.online = true
	})
}

// replconf records what a replica says about itself and its acknowledged offset.
func (n *node) replconf(cl *client, args []string) {
	if len(args) == 3 && strings.EqualFold(args[1], "ack") {
		cl.replica.ack, _ = strconv.ParseInt(args[2], 10, 64)
		cl.replica.lastAck = n.p.Monotonic()
		n.checkWaiters()
	}
}

// goodReplicas counts online replicas whose last ACK is within min-replicas-max-lag.
func (n *node) goodReplicas() int {
	maxLag := time.Duration(atoiOpt(n.srv.options["min-replicas-max-lag"])) * time.Second
	good := 0
	for _, r := range n.replicas {
		if r.replica.online && n.p.Monotonic()-r.replica.lastAck <= maxLag {
			good++
		}
	}
	return good
}

// goodReplicasStatus is checkGoodReplicasStatus: writes are allowed on a replica, when
// min-replicas-to-write or min-replicas-max-lag is 0, or with enough good replicas.
func (n *node) goodReplicasStatus() bool {
	need := atoiOpt(n.srv.options["min-replicas-to-write"])
	return n.masterHost != "" || need == 0 || atoiOpt(n.srv.options["min-replicas-max-lag"]) == 0 ||
		n.goodReplicas() >= need
}

// replicaof is REPLICAOF host port | NO ONE.
func (n *node) replicaof(args []string) resp.Value {
	if strings.EqualFold(args[1], "no") && strings.EqualFold(args[2], "one") {
		if n.masterHost != "" {
			n.promote()
		}
		return resp.OK
	}
	port, err := strconv.Atoi(args[2])
	if err != nil || port <= 0 || port > 65535 {
		return resp.Err("ERR Invalid master port")
	}
	if n.masterHost == args[1] && n.masterPort == port {
		return resp.Simple("OK Already connected to specified master")
	}
	n.setMaster(args[1], port)
	return resp.OK
}

// promote turns a replica into a master that keeps its history: the old replication id
// stays valid up to the current offset, so the other replicas can continue partially.
func (n *node) promote() {
	n.replID2 = n.replID
	n.secondOffset = n.offset + 1
	n.replID = randomHex(n.p)
	n.dropMasterLink()
	n.masterHost, n.masterPort = "", 0
	n.linkDownSince = 0
}

// setMaster starts replicating from host:port; the connection is made by the cron, as
// Redis does, within a second.
func (n *node) setMaster(host string, port int) {
	wasMaster := n.masterHost == ""
	n.dropMasterLink()
	n.masterHost, n.masterPort = host, port
	if wasMaster {
		for _, r := range append([]*client(nil), n.replicas...) {
			r.kill() // Redis disconnects its replicas so they resync with the new history
		}
	}
	n.connectToMaster()
}

func (n *node) dropMasterLink() {
	if n.masterConn != nil {
		n.masterConn.Close()
		n.masterConn = nil
	}
	if n.link == linkConnected && n.linkDownSince == 0 {
		n.linkDownSince = n.p.Monotonic()
	}
	n.link = linkNone
}

// connectToMaster dials the master and sends the whole handshake at once; the replies
// arrive in order.
func (n *node) connectToMaster() {
	c := n.p.Dial(n.masterHost, n.masterPort)
	n.masterConn = c
	n.link = linkConnecting
	port := n.srv.port
	if p := atoiOpt(n.srv.options["replica-announce-port"]); p != 0 {
		port = p
	}
	c.Send([]string{"PING"})
	c.Send([]string{"REPLCONF", "listening-port", strconv.Itoa(port)})
	if ip := n.srv.options["replica-announce-ip"]; ip != "" {
		c.Send([]string{"REPLCONF", "ip-address", ip})
	}
	c.Send([]string{"REPLCONF", "capa", "eof", "capa", "psync2"})
	c.Send([]string{"PSYNC", n.replID, strconv.FormatInt(n.offset+1, 10)})
	expect := 3 // replies before PSYNC's
	if n.srv.options["replica-announce-ip"] != "" {
		expect++
	}
	c.OnData = func(msg any) {
		if c != n.masterConn {
			return
		}
		n.lastIO = n.p.Monotonic()
		if args, ok := msg.([]string); ok {
			n.fromMasterStream(args)
			return
		}
		v, ok := msg.(resp.Value)
		if !ok {
			return
		}
		if expect > 0 {
			expect--
			if v.IsError() {
				n.linkLost(c)
			}
			return
		}
		n.fromMaster(v)
	}
	c.OnClose = func(error) { n.linkLost(c) }
}

func (n *node) linkLost(c *kernel.Conn) {
	if c != n.masterConn {
		return
	}
	c.Close()
	n.masterConn = nil
	if n.link == linkConnected || n.linkDownSince == 0 {
		n.linkDownSince = n.p.Monotonic()
	}
	n.link = linkNone
}

// fromMaster handles what the master sends after the handshake.
func (n *node) fromMaster(v resp.Value) {
	switch {
	case n.link == linkConnecting && v.Kind == resp.KindSimple && strings.HasPrefix(v.Str, "FULLRESYNC "):
		f := strings.Fields(v.Str)
		n.replID = f[1]
		n.offset, _ = strconv.ParseInt(f[2], 10, 64)
		n.replID2, n.secondOffset = strings.Repeat("0", 40), -1
		n.backlog, n.backlogHead = nil, 0
		n.link = linkSync
	case n.link == linkConnecting && v.Kind == resp.KindSimple && strings.HasPrefix(v.Str, "CONTINUE"):
		if f := strings.Fields(v.Str); len(f) == 2 && f[1] != n.replID {
			n.replID2, n.secondOffset = n.replID, n.offset+1
			n.replID = f[1]
		}
		n.linkUp()
	case n.link == linkSync && v.Kind == resp.KindArray:
		n.data = newDataset()
		for _, cmd := range v.Array {
			args, _ := cmd.Strings()
			n.data.apply(nil, asciiLower(args[0]), args)
		}
		n.linkUp()
	}
}

// fromMasterStream applies one command of the master's replication stream.
func (n *node) fromMasterStream(args []string) {
	if n.link != linkConnected || len(args) == 0 {
		return
	}
	name := asciiLower(args[0])
	if name == "replconf" && len(args) > 1 && strings.EqualFold(args[1], "getack") {
		n.ack() // the ACK counts what was processed before the GETACK
	}
	if c := commandTable[name]; c != nil && c.flags&cmdWrite != 0 {
		n.data.exec(n, nil, args)
	} else {
		n.propagate(args) // PING, SELECT and GETACK still move the offset
	}
}

func (n *node) linkUp() {
	n.link = linkConnected
	n.linkDownSince = 0
	n.ack()
}

func (n *node) ack() {
	if n.masterConn != nil && n.link == linkConnected {
		n.masterConn.Send([]string{"REPLCONF", "ACK", strconv.FormatInt(n.offset, 10)})
	}
}

// replicationCron runs every second: reconnect to the master, acknowledge the offset,
// time out a silent master, ping replicas every 10 s.
func (n *node) replicationCron() {
	now := n.p.Monotonic()
	if n.masterHost != "" {
		timeout := time.Duration(atoiOpt(n.srv.options["repl-timeout"])) * time.Second
		if n.link != linkNone && n.masterConn != nil && n.lastIO != 0 && now-n.lastIO > timeout {
			n.linkLost(n.masterConn)
		}
		if n.link == linkNone {
			n.connectToMaster()
		}
		n.ack()
	}
	if n.masterHost == "" && len(n.replicas) > 0 && int(now/time.Second)%10 == 0 {
		n.propagate([]string{"PING"})
	}
	n.checkWaiters()
}

// waiter is a client blocked in WAIT.
type waiter struct {
	cl       *client
	offset   int64
	need     int
	deadline time.Duration
}

func (n *node) wait(cl *client, args []string) []resp.Value {
	one := func(v resp.Value) []resp.Value { return []resp.Value{v} }
	if n.masterHost != "" {
		return one(resp.Err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."))
	}
	need, ok := string2ll(args[1])
	if !ok {
		return one(errNotInt)
	}
	ms, ok := string2ll(args[2])
	if !ok {
		return one(resp.Err("ERR timeout is not an integer or out of range"))
	}
	if ms < 0 {
		return one(resp.Err("ERR timeout is negative"))
	}
	w := &waiter{cl: cl, offset: cl.woff, need: int(min(need, 1<<31))}
	if got := n.acked(w.offset); int64(got) >= need || cl.inMulti {
		return one(resp.Int(int64(got)))
	}
	n.propagate([]string{"REPLCONF", "GETACK", "*"})
	if ms > 0 {
		d := time.Duration(min(ms, int64(1<<62/time.Millisecond))) * time.Millisecond
		w.deadline = n.p.Monotonic() + d
		n.p.After(d, func() { n.finishWait(w) })
	}
	n.waiters = append(n.waiters, w)
	return nil
}

func (n *node) acked(offset int64) int {
	got := 0
	for _, r := range n.replicas {
		if r.replica.online && r.replica.ack >= offset {
			got++
		}
	}
	return got
}

func (n *node) checkWaiters() {
	for _, w := range append([]*waiter(nil), n.waiters...) {
		if n.acked(w.offset) >= w.need {
			n.finishWait(w)
		}
	}
}

func (n *node) finishWait(w *waiter) {
	for i, x := range n.waiters {
		if x == w {
			n.waiters = append(n.waiters[:i], n.waiters[i+1:]...)
			w.cl.reply(resp.Int(int64(n.acked(w.offset))))
			return
		}
	}
}
