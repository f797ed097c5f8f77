package redis

import (
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
	ip   string
	port int
	// state is "wait_bgsave" until the full sync's RDB is ready, "send_bulk" while an RDB
	// file is sent, then "online"; waitStart tells WAIT_BGSAVE_START (no RDB under way for
	// it yet) from WAIT_BGSAVE_END.
	state     string
	waitStart bool
	since     int64 // unix seconds of its PSYNC: how long it has waited for a diskless sync
	// psyncOffset is the offset its +FULLRESYNC named; held is the stream since, which it
	// gets once it acknowledges the RDB it loaded (nil when streaming).
	psyncOffset int64
	held        [][]string
	ack         int64
	// ackTime is repl_ack_time: the wall clock's unix second of its last ACK (or of its
	// going online, or of a newline while it loads). Its lag, for INFO, repl-timeout and
	// min-replicas-max-lag, is whole seconds of the wall clock since, as in Redis, so a
	// jump of the master's clock moves it.
	ackTime int64
}

func (r *replicaState) online() bool { return r.state == "online" }

// backlog is the replication backlog: the last repl-backlog-size bytes of the stream, and
// up to one block more, from the offset of its first byte.
type backlog struct {
	first int64
	// The n commands it holds, oldest first, are the entries from head on of chunks of
	// backlogChunk entries each: commands that leave it are never copied, and a chunk
	// they have all left is used again for the newest.
	chunks  [][]backlogEntry
	spare   []backlogEntry
	head, n int
}

// backlogChunk is how many commands a chunk of the backlog holds: 16 KB of entries, an
// allocation of the heap's small sizes (over 32 KB the collector treats it as large).
const backlogChunk = 512

// replBlock is the size of a block of Redis's replication buffer: 16 KB
// (PROTO_REPLY_CHUNK_BYTES) plus its header, rounded up by jemalloc to 20 KB, less the
// header. Commands of 16 KB or more make blocks of their own size, which the simulation
// does not do.
const replBlock = 20480 - 40

type backlogEntry struct {
	offset int64 // offset after this command
	cmd    []string
}

// newest is the command held last, nil when there is no backlog or it holds none.
func (b *backlog) newest() *backlogEntry {
	if b == nil || b.n == 0 {
		return nil
	}
	return b.at(b.n - 1)
}

// at is the i-th command held, the oldest being 0.
func (b *backlog) at(i int) *backlogEntry {
	i += b.head
	return &b.chunks[i/backlogChunk][i%backlogChunk]
}

func (b *backlog) push(e backlogEntry) {
	if b.head+b.n == len(b.chunks)*backlogChunk {
		c := b.spare
		if c == nil {
			c = make([]backlogEntry, backlogChunk)
		}
		b.chunks, b.spare = append(b.chunks, c), nil
	}
	*b.at(b.n) = e
	b.n++
}

// dropOldest lets the oldest command leave: one that ends before the backlog's first
// byte, in a block already freed.
func (b *backlog) dropOldest() {
	*b.at(0) = backlogEntry{}
	b.head++
	b.n--
	if b.head == backlogChunk {
		b.spare = b.chunks[0]
		n := copy(b.chunks, b.chunks[1:])
		b.chunks[n] = nil
		b.chunks, b.head = b.chunks[:n], 0
	}
}

// createBacklog is createReplicationBacklog: empty, its first byte the next one to come.
func (n *node) createBacklog() {
	n.backlog = &backlog{first: n.offset + 1}
}

// changeReplicationID is changeReplicationId and clearReplicationId2: a new history.
func (n *node) changeReplicationID() {
	n.replID = randomHex(n.p)
	n.replID2, n.secondOffset = nullReplID, -1
}

const nullReplID = "0000000000000000000000000000000000000000"

// propagate is replicationFeedSlaves: a write of a top-level master goes to the stream,
// after a SELECT when the stream has not selected the database yet. A replica does not
// propagate (it proxies its master's stream, see feed), nor does a master with neither
// replicas nor a backlog: its offset stays where it is. PING and REPLCONF GETACK carry
// no database and never bring a SELECT.
func (n *node) propagate(args []string) {
	if n.masterHost != "" || (n.backlog == nil && len(n.replicas) == 0) {
		return
	}
	if name := args[0]; n.selDB != 0 && !strings.EqualFold(name, "ping") && !strings.EqualFold(name, "replconf") {
		n.feed([]string{"SELECT", "0"})
		n.selDB = 0
	}
	n.feed(args)
}

// feed appends a command to the stream: the offset grows by its size on the wire, the
// backlog keeps it, and every online replica receives it. Without a backlog nothing
// moves (feedReplicationBuffer). The stream is made of commands, as a client sends
// them; the slice is shared, never modified.
func (n *node) feed(args []string) {
	if n.backlog == nil {
		return
	}
	n.offset += int64(resp.CommandLen(args...))
	b := n.backlog
	b.push(backlogEntry{offset: n.offset, cmd: args})
	// Redis keeps the stream in blocks and frees the oldest one only while the rest still
	// holds repl-backlog-size bytes (incrementalTrimReplicationBacklog).
	limit := n.srv.hot.backlogSize
	for n.offset >= b.first+replBlock && n.offset-b.first+1-replBlock > limit {
		b.first += replBlock
	}
	for b.n > 1 && b.at(0).offset < b.first {
		b.dropOldest()
	}
	var msg any // boxed once for every replica, and only if there is one
	for _, r := range n.replicas {
		switch rs := r.replica; {
		case rs.held != nil:
			rs.held = append(rs.held, args) // a full sync under way
		case rs.online():
			if msg == nil {
				msg = n.boxed(args)
			}
			r.send(msg)
		}
	}
}

// boxed is args ready to send: the box they arrived in when they are the message being
// handled (a write propagated as the client sent it, the stream proxied to a
// sub-replica), since boxing a slice again would allocate.
func (n *node) boxed(args []string) any {
	if in, ok := n.inbox.([]string); ok && len(in) == len(args) && len(in) > 0 && &in[0] == &args[0] {
		return n.inbox
	}
	return args
}

// histlen is the number of bytes the backlog holds.
func (n *node) histlen() int64 {
	if n.backlog == nil {
		return 0
	}
	return n.offset - n.backlog.first + 1
}

// disconnectReplicas is disconnectSlaves: they will resync with the new history.
func (n *node) disconnectReplicas() {
	for _, r := range append([]*client(nil), n.replicas...) {
		r.kill()
	}
}

// psync is syncCommand and masterTryPartialResynchronization: a partial resync from the
// backlog when the replica's history is ours (our id, or our previous id up to the
// fork) and the backlog still holds what it lacks; a full one otherwise.
func (n *node) psync(cl *client, args []string) {
	if cl.replica != nil {
		return // SYNC from a replica is ignored
	}
	if n.masterHost != "" && n.link != linkConnected {
		cl.reply(resp.Err("NOMASTERLINK Can't SYNC while not connected with my master"))
		return
	}
	id, want := "?", int64(-1)
	if asciiLower(args[0]) == "psync" {
		var ok bool
		if want, ok = string2ll(args[2]); !ok {
			cl.reply(errNotInt)
			return
		}
		id = args[1]
		sameHistory := id == n.replID || (id == n.replID2 && want <= n.secondOffset)
		if sameHistory && n.backlog != nil && want >= n.backlog.first && want <= n.offset+1 {
			n.attachReplica(cl, "online")
			n.refreshGoodReplicas()
			n.stats.syncPartialOK++
			if cl.capaPSYNC2 {
				cl.reply(resp.Simple("CONTINUE " + n.replID))
			} else {
				cl.reply(resp.Simple("CONTINUE"))
			}
			for i := range n.backlog.n {
				if e := n.backlog.at(i); e.offset >= want {
					cl.send(e.cmd)
				}
			}
			return
		}
		if id != "?" {
			n.stats.syncPartialErr++
		}
	}
	n.stats.syncFull++
	n.attachReplica(cl, "wait_bgsave")
	cl.replica.waitStart = true
	if len(n.replicas) == 1 && n.backlog == nil {
		// A backlog created from scratch starts a new history: no past is valid.
		n.changeReplicationID()
		n.createBacklog()
	}
	n.startFullSync(cl)
}

func (n *node) attachReplica(cl *client, state string) {
	ip := cl.replIP
	if ip == "" {
		ip = cl.c.RemoteAddr()
	}
	cl.replica = &replicaState{ip: ip, port: cl.replPort, state: state, ackTime: n.unixtime(),
		since: n.unixtime()}
	n.replicas = append(n.replicas, cl)
}

// replconf records what a replica says about its acknowledged offset.
func (n *node) replconf(cl *client, args []string) {
	if len(args) == 3 && strings.EqualFold(args[1], "ack") {
		if off, ok := string2ll(args[2]); ok {
			cl.replica.ack = off
		}
		cl.replica.ackTime = n.unixtime()
		if ch := n.child; ch != nil && ch.done && ch.kind == childRDB && cl.replica.state == "wait_bgsave" {
			n.childDone() // the ACK may come before the cron has noticed the sync's child exit
		}
		if r := cl.replica; r.held != nil && r.online() {
			n.startStreaming(cl) // the first ACK after a full sync
		}
		n.checkWaiters()
	}
}

// lag is how many seconds ago a replica last acknowledged, by the wall clock.
func (n *node) lag(r *replicaState) int64 { return n.unixtime() - r.ackTime }

// refreshGoodReplicas is refreshGoodSlavesCount: it counts the online replicas whose lag
// is within min-replicas-max-lag. Writes are refused from this count, not from a count
// made at the write: Redis refreshes it only once a second (replicationCron), when a
// replica goes online or is freed, and when CONFIG SET changes either option. With
// either option 0 it keeps its last value, unused.
func (n *node) refreshGoodReplicas() {
	maxLag := int64(n.srv.hot.minReplicasMaxLag)
	if n.srv.hot.minReplicas == 0 || maxLag == 0 {
		return
	}
	good := 0
	for _, r := range n.replicas {
		if r.replica.online() && n.lag(r.replica) <= maxLag {
			good++
		}
	}
	n.goodReplicas = good
}

// goodReplicasStatus is checkGoodReplicasStatus: writes are allowed on a replica, when
// min-replicas-to-write or min-replicas-max-lag is 0, or with enough good replicas.
func (n *node) goodReplicasStatus() bool {
	need := n.srv.hot.minReplicas
	return n.masterHost != "" || need == 0 || n.srv.hot.minReplicasMaxLag == 0 ||
		n.goodReplicas >= need
}

// replicaof is REPLICAOF host port | NO ONE.
func (n *node) replicaof(cl *client, args []string) resp.Value {
	if strings.EqualFold(args[1], "no") && strings.EqualFold(args[2], "one") {
		if n.masterHost != "" {
			n.unsetMaster()
		}
		return resp.OK
	}
	if cl.replica != nil {
		return resp.Err("ERR Command is not valid when client is a replica.")
	}
	port, ok := string2ll(args[2])
	if !ok || port < 0 || port > 65535 {
		return resp.Err("ERR Invalid master port")
	}
	if n.masterHost != "" && strings.EqualFold(n.masterHost, args[1]) && n.masterPort == int(port) {
		return resp.Simple("OK Already connected to specified master")
	}
	n.setMaster(args[1], int(port))
	return resp.OK
}

// unsetMaster is replicationUnsetMaster: the replica becomes a master that keeps its
// history, its replication id valid up to the current offset as the second id, so that
// the other replicas can continue partially; its own replicas are disconnected to learn
// the new id.
func (n *node) unsetMaster() {
	n.masterHost, n.masterPort = "", 0
	n.dropMasterLink()
	n.cached = false
	n.replID2, n.secondOffset = n.replID, n.offset+1
	n.replID = randomHex(n.p)
	n.disconnectReplicas()
	n.selDB = -1
	n.linkDownSince = 0
	n.noReplicasSince = n.unixtime()
	n.roleChanged()
}

// setMaster is replicationSetMaster: replicate from host:port. A master uses its own
// history to ask for a partial resync; its replicas stay connected until the history
// changes. Clients blocked in WAIT are released.
func (n *node) setMaster(host string, port int) {
	wasMaster := n.masterHost == ""
	n.dropMasterLink()
	n.masterHost, n.masterPort = host, port
	n.roleChanged()
	for _, w := range n.waiters {
		w.cl.reply(resp.Err("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"))
	}
	n.waiters = nil
	if wasMaster {
		n.cached = true // replicationCacheMasterUsingMyself
	}
	n.connectToMaster()
}

func (n *node) dropMasterLink() {
	if n.masterConn != nil {
		n.masterConn.Close()
		n.masterConn = nil
	}
	if n.link == linkConnected {
		n.linkDownSince = n.unixtime()
		n.cached = true // replicationCacheMaster: the link's history is kept for PSYNC
	}
	n.link = linkNone
}

// connectToMaster dials the master and runs the handshake of syncWithMaster: PING
// first; once it is answered, AUTH (with masterauth, and masteruser if set) and the
// REPLCONFs at once; once they are answered, PSYNC. An error to PING (but NOAUTH and
// NOPERM, which AUTH will settle) or to AUTH ends the attempt, and the cron tries again;
// errors to REPLCONF do not. Without a cached master there is no history to continue:
// PSYNC ? -1.
func (n *node) connectToMaster() {
	c := n.p.Dial(n.masterHost, n.masterPort)
	n.masterConn = c
	n.link = linkConnecting
	n.lastIO = n.unixtime()
	c.Send([]string{"PING"})
	var pending []string // the handshake replies still to come, by what they answer
	pinged := false
	c.OnData = func(msg any) {
		if c != n.masterConn {
			return
		}
		n.lastIO = n.unixtime()
		if args, ok := msg.([]string); ok {
			n.inbox = msg
			n.fromMasterStream(args)
			n.inbox = nil
			return
		}
		if m, ok := msg.(syncPayloadStart); ok {
			n.payloadBegins(m)
			return
		}
		v, ok := msg.(resp.Value)
		if !ok {
			return // a keepalive
		}
		switch {
		case !pinged:
			pinged = true
			if v.IsError() && v.ErrorPrefix() != "NOAUTH" && v.ErrorPrefix() != "NOPERM" &&
				!strings.HasPrefix(v.Str, "ERR operation not permitted") {
				n.linkLost(c)
				return
			}
			pending = n.sendHandshake(c)
		case len(pending) > 0:
			step := pending[0]
			pending = pending[1:]
			if step == "auth" && v.IsError() {
				n.linkLost(c) // "Unable to AUTH to MASTER"
				return
			}
			if len(pending) == 0 {
				n.sendPSYNC(c)
			}
		default:
			n.fromMaster(v)
		}
	}
	c.OnClose = func(error) { n.linkLost(c) }
}

// sendHandshake sends what follows PING and returns the replies it expects.
func (n *node) sendHandshake(c *kernel.Conn) []string {
	o := n.srv.options
	var steps []string
	if pass := o["masterauth"]; pass != "" {
		args := []string{"AUTH", pass}
		if user := o["masteruser"]; user != "" {
			args = []string{"AUTH", user, pass}
		}
		c.Send(args)
		steps = append(steps, "auth")
	}
	port := n.srv.port
	if p := atoiOpt(o["replica-announce-port"]); p != 0 {
		port = p
	}
	c.Send([]string{"REPLCONF", "listening-port", strconv.Itoa(port)})
	steps = append(steps, "port")
	if ip := o["replica-announce-ip"]; ip != "" {
		c.Send([]string{"REPLCONF", "ip-address", ip})
		steps = append(steps, "ip")
	}
	c.Send([]string{"REPLCONF", "capa", "eof", "capa", "psync2"})
	return append(steps, "capa")
}

func (n *node) sendPSYNC(c *kernel.Conn) {
	if n.cached {
		c.Send([]string{"PSYNC", n.replID, strconv.FormatInt(n.offset+1, 10)})
	} else {
		c.Send([]string{"PSYNC", "?", "-1"})
	}
}

func (n *node) linkLost(c *kernel.Conn) {
	if c != n.masterConn {
		return
	}
	c.Close()
	n.masterConn = nil
	if n.link == linkConnected {
		n.linkDownSince = n.unixtime()
		n.cached = true
	}
	n.link = linkNone
}

// fromMaster handles what the master sends after the handshake.
func (n *node) fromMaster(v resp.Value) {
	switch {
	case n.link == linkConnecting && v.IsError():
		// -NOMASTERLINK, -LOADING: try again at the next cron (PSYNC_TRY_LATER).
		n.linkLost(n.masterConn)
	case n.link == linkConnecting && v.Kind == resp.KindSimple && strings.HasPrefix(v.Str, "FULLRESYNC "):
		f := strings.Fields(v.Str)
		n.pendingReplID = f[1]
		n.pendingOffset, _ = strconv.ParseInt(f[2], 10, 64)
		n.cached = false // replicationDiscardCachedMaster
		n.link = linkSync
		n.transfer = nil
	case n.link == linkConnecting && v.Kind == resp.KindSimple && strings.HasPrefix(v.Str, "CONTINUE"):
		if f := strings.Fields(v.Str); len(f) == 2 && f[1] != n.replID {
			n.replID2, n.secondOffset = n.replID, n.offset+1
			n.replID = f[1]
			n.disconnectReplicas()
		}
		if n.backlog == nil {
			n.createBacklog()
		}
		n.link = linkConnected // no ACK until the cron's: Redis sends none on +CONTINUE
		n.linkDownSince = 0
		n.createMasterClient()
	case n.link == linkSync && v.Kind == resp.KindArray:
		n.loadSyncPayload(v)
	}
}

// fromMasterStream applies one command of the master's replication stream.
func (n *node) fromMasterStream(args []string) {
	if n.link != linkConnected || len(args) == 0 {
		return
	}
	c := n.topCommand(args[0])
	if c != nil && c.name == "replconf" && len(args) > 1 && strings.EqualFold(args[1], "getack") {
		n.ack() // the ACK counts what was processed before the GETACK
	}
	if c != nil && c.flags&cmdWrite != 0 {
		_, changes := n.data.apply(n, c.name, args)
		n.dirty += changes
	}
	n.feed(args) // the stream is proxied as it came, SELECT and PING included
}

// linkUp ends a full sync: the replica acknowledges at once, which puts it online.
// loadsFromDisk reports whether a full sync goes through the RDB file, which stays
// afterwards: repl-diskless-load disabled (or on-empty-db while the replica holds data),
// and not rdb-del-sync-files yes without persistence.
func (n *node) loadsFromDisk(empty bool) bool {
	o := n.srv.options
	switch o["repl-diskless-load"] {
	case "swapdb":
		return false
	case "on-empty-db":
		if empty {
			return false
		}
	}
	noPersistence := o["save"] == "" && o["appendonly"] != "yes"
	return !(o["rdb-del-sync-files"] == "yes" && noPersistence)
}

func (n *node) linkUp() {
	n.transfer = nil
	n.link = linkConnected
	n.createMasterClient()
	n.linkDownSince = 0
	n.ack()
}

// createMasterClient is replicationCreateMasterClient: the link becomes a client, with an
// id of its own.
func (n *node) createMasterClient() {
	n.clientID++
	n.masterClientID, n.masterFrom = n.clientID, n.offset
}

func (n *node) ack() {
	if n.masterConn != nil && n.link == linkConnected {
		n.masterConn.Send([]string{"REPLCONF", "ACK", strconv.FormatInt(n.offset, 10)})
	}
}

// replicationCron runs every second: reconnect to the master, acknowledge the offset,
// time out a silent master or replica, ping the replicas every repl-ping-replica-period
// runs, free the backlog of a master left without replicas for repl-backlog-ttl.
func (n *node) replicationCron() {
	now := n.unixtime()
	timeout := int64(atoiOpt(n.srv.options["repl-timeout"]))
	if n.masterHost != "" {
		if n.link == linkSync && n.transfer != nil && !n.transfer.arrived {
			n.lastIO = now // the RDB's bytes keep coming
		}
		if n.link != linkNone && n.masterConn != nil && now-n.lastIO > timeout {
			n.linkLost(n.masterConn)
		}
		if n.link == linkNone && !n.loading() {
			n.connectToMaster()
		}
		n.ack()
	}
	if period := int64(atoiOpt(n.srv.options["repl-ping-replica-period"])); period > 0 &&
		n.cronLoops%period == 0 && len(n.replicas) > 0 {
		n.propagate([]string{"PING"})
	}
	n.keepWaitingReplicasAlive()
	for _, r := range append([]*client(nil), n.replicas...) {
		if r.replica.online() && n.lag(r.replica) > timeout {
			r.kill() // "Disconnecting timedout replica (streaming sync)"
		}
	}
	if ttl := int64(atoiOpt(n.srv.options["repl-backlog-ttl"])); len(n.replicas) == 0 && ttl > 0 &&
		n.backlog != nil && n.masterHost == "" && now-n.noReplicasSince > ttl {
		n.changeReplicationID()
		n.backlog = nil
	}
	n.startPendingFork()
	n.checkWaiters()
	n.refreshGoodReplicas()
	n.cronLoops++
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
		if r.replica.online() && r.replica.ack >= offset {
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
