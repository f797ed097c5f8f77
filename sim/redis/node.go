package redis

import (
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

var errDenied = resp.Err("DENIED Redis is running in protected mode because protected " +
	"mode is enabled and no password is set for the default user. " +
	"In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers to Redis you " +
	"may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command " +
	"'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting to Redis from the same host the server is " +
	"running, however MAKE SURE Redis is not publicly accessible " +
	"from internet if you do so. Use CONFIG REWRITE to make this " +
	"change permanent. " +
	"2) Alternatively you can just disable the protected mode by " +
	"editing the Redis configuration file, and setting the protected " +
	"mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart " +
	"it with the '--protected-mode no' option. " +
	"4) Setup a an authentication password for the default user. " +
	"NOTE: You only need to do one of the above things in order for " +
	"the server to start accepting connections from the outside.")

// node is one incarnation of a server: everything a kill loses.
type node struct {
	srv     *Server
	p       *kernel.Process
	started time.Duration
	runID   string
	data    *dataset
	clients []*client
	// dirty counts the changes to the dataset, since the start; savedDirty is dirty when
	// the RDB file was last saved, and dirty-savedDirty Redis's server.dirty.
	dirty      int64
	savedDirty int64
	clientID   int64
	// serverLoops counts the runs of the cron (serverCron, 10 a second).
	serverLoops int64

	// Persistence (see persist.go).
	child               *child
	lastSave            int64 // unix seconds
	lastBgsaveTry       int64
	lastBgsaveOK        bool
	bgsaveScheduled     bool
	rdbLastTime         int64 // seconds the last background save took, -1 before one
	aofState            aofState
	aofRewriteScheduled bool
	aofLastRewriteTime  int64
	syncedDirty         int64 // dirty when the AOF was last fsynced
	aofDirtyBase        int64 // dirty when the AOF's incremental file started
	lastFsync           int64 // unix seconds
	writeback           []pageCache
	shutting            *shutdownState
	// The last load: its bytes, when it started and when it ends, and the keys it loaded.
	loadingStart, loadingUntil time.Duration
	loadingStartUnix           int64
	loadingBytes, loadedKeys   int64

	// Replication (see replication.go).
	replID, replID2 string
	offset          int64 // master_repl_offset
	secondOffset    int64
	backlog         *backlog // nil: no backlog (repl_backlog_active:0)
	replicas        []*client
	selDB           int  // the database the stream last selected, -1 for none (slaveseldb)
	cached          bool // a replica knows a history to continue with PSYNC (cached_master)
	pendingReplID   string
	pendingOffset   int64 // +FULLRESYNC's id and offset, taken once the snapshot is loaded
	cronLoops       int64
	masterHost      string
	masterPort      int
	link            linkState
	masterConn      *kernel.Conn
	transfer        *transferProgress // a full sync's RDB on its way
	// The clocks of replication timeouts and INFO, in unix seconds of the wall clock
	// (server.unixtime) as Redis keeps them, so that a clock jump moves them as it moves
	// Redis's: since the last replica left (repl_no_slaves_since), since the link with
	// the master went down (repl_down_since, 0 while up or never connected), and the
	// last data from the master (master->lastinteraction and repl_transfer_lastio).
	noReplicasSince int64
	linkDownSince   int64
	lastIO          int64
	waiters         []*waiter
	// goodReplicas is repl_good_slaves_count, as refreshGoodReplicas last counted it.
	goodReplicas int
	stats        stats
	// The command last looked up by name (see topCommand).
	lastCmdName string
	lastCmd     *command
	// reply holds call's single reply.
	reply [1]resp.Value
	// inbox is the message being handled, as it arrived: a command that is fed to the
	// replication stream unchanged goes on in the same box (see boxed).
	inbox any
	users map[string]*aclUser // the ACL, by name
	// masterClient is the client id of the link with the master once it is up, and
	// masterFrom the offset it started at.
	masterClientID int64
	masterFrom     int64
}

// stats are the INFO stats counters the simulation keeps.
type stats struct {
	syncFull, syncPartialOK, syncPartialErr int64
	rdbSaves, aofRewrites                   int64
}

// client is one accepted connection.
type client struct {
	n       *node
	c       *kernel.Conn
	id      int64
	name    string
	user    *aclUser // default until AUTH
	authed  bool
	multi   []queued
	inMulti bool
	dirty   bool // an error while queueing: EXEC aborts
	inExec  bool
	// afterExec runs once EXEC has replied (CLIENT KILL inside a transaction).
	afterExec []func()
	// woff is the replication offset after the client's last write: what WAIT waits for.
	woff            int64
	closeAfterReply bool // QUIT
	channels        map[string]bool
	patterns        map[string]bool
	replica         *replicaState
	replIP          string // REPLCONF ip-address and listening-port, before PSYNC
	replPort        int
	capaPSYNC2      bool // REPLCONF capa psync2: +CONTINUE names the replication id
	closed          bool
	// For CLIENT LIST: when it connected and last sent something, its file descriptor,
	// and the last command it sent (nil: unknown).
	created, lastInteraction time.Duration
	fd                       int
	lastCmd                  *command
}

func (n *node) accept(c *kernel.Conn) {
	n.clientID++
	cl := &client{n: n, c: c, id: n.clientID, user: n.users["default"], authed: n.defaultAuthenticated(),
		channels: map[string]bool{}, patterns: map[string]bool{}, created: n.p.Monotonic(), fd: n.nextFD()}
	cl.lastInteraction = cl.created
	if n.srv.options["protected-mode"] == "yes" && n.users["default"].nopass && c.RemoteAddr() != "127.0.0.1" {
		// Protected mode: with no password, only 127.0.0.1 may connect (networking.c
		// clientAcceptHandler); the rest get this error and the connection is closed.
		c.Send(errDenied)
		c.Close()
		return
	}
	n.clients = append(n.clients, cl)
	c.OnData = func(msg any) {
		if args, ok := msg.([]string); ok && !cl.closed {
			cl.lastInteraction = n.p.Monotonic()
			n.inbox = msg
			cl.handle(args)
			n.inbox = nil
		} else if _, ok := msg.(keepalive); ok && cl.replica != nil {
			cl.replica.ackTime = n.unixtime() // a loading replica's newline
		}
	}
	c.OnClose = func(error) { cl.drop() }
}

func (cl *client) drop() {
	if cl.closed {
		return
	}
	cl.closed = true
	n := cl.n
	for i, x := range n.clients {
		if x == cl {
			n.clients = append(n.clients[:i], n.clients[i+1:]...)
			break
		}
	}
	for i, x := range n.replicas {
		if x == cl {
			n.replicas = append(n.replicas[:i], n.replicas[i+1:]...)
			if len(n.replicas) == 0 {
				n.noReplicasSince = n.unixtime()
			}
			n.refreshGoodReplicas() // freeClient of a replica
			break
		}
	}
}

func (cl *client) kill() {
	cl.c.Close()
	cl.drop()
}

func (cl *client) reply(v resp.Value) {
	if !cl.closed {
		cl.c.Send(message(v))
	}
}

// The replies most writes give, boxed once: sending a resp.Value boxes it, which is an
// allocation per reply. Receivers copy a reply out of its box and never change it.
var (
	boxedZero any = resp.Int(0)
	boxedOne  any = resp.Int(1)
	boxedOK   any = resp.OK
	boxedNull any = resp.Null()
)

// message is v ready to send, from the boxes above when it is one of theirs.
func message(v resp.Value) any {
	if v.Str == "" && v.Array == nil {
		switch {
		case v.Kind == resp.KindInt && v.Int == 0:
			return boxedZero
		case v.Kind == resp.KindInt && v.Int == 1:
			return boxedOne
		case v.Kind == resp.KindNull && v.Int == 0:
			return boxedNull
		}
	}
	if v.Kind == resp.KindSimple && v.Str == "OK" && v.Int == 0 && v.Array == nil {
		return boxedOK
	}
	return v
}

// send sends a message boxed by the caller, who may send one box to many: a command of
// the replication stream to every replica, the start of a full sync's payload, a
// keepalive, a Pub/Sub message to every subscriber.
func (cl *client) send(msg any) {
	if !cl.closed {
		cl.c.Send(msg)
	}
}

// flushed is called after a command's replies are sent: CLIENT KILL inside a
// transaction takes effect after EXEC's reply, and QUIT closes the connection.
func (cl *client) flushed() {
	after := cl.afterExec
	cl.afterExec = nil
	for _, f := range after {
		f()
	}
	if cl.closeAfterReply && !cl.closed {
		cl.kill()
	}
}

func atoiOpt(v string) int {
	n, _ := strconv.Atoi(v)
	return n
}

// role is ROLE: a master's online replicas with their acknowledged offsets, or a
// replica's master, link state and processed offset (-1 without a link).
func (n *node) role() resp.Value {
	if n.masterHost != "" {
		state := "connect"
		offset := int64(-1)
		switch n.link {
		case linkConnecting:
			state = "connecting"
			if n.masterConn != nil && n.masterConn.Open() {
				state = "handshake"
			}
		case linkSync:
			state = "sync"
		case linkConnected:
			state, offset = "connected", n.offset
		}
		return resp.Array(resp.Bulk("slave"), resp.Bulk(n.masterHost), resp.Int(int64(n.masterPort)),
			resp.Bulk(state), resp.Int(offset))
	}
	reps := []resp.Value{}
	for _, r := range n.replicas {
		if r.replica.online() {
			reps = append(reps, resp.BulkArray(r.replica.ip, strconv.Itoa(r.replica.port), strconv.FormatInt(r.replica.ack, 10)))
		}
	}
	return resp.Array(resp.Bulk("master"), resp.Int(n.offset), resp.Array(reps...))
}

func (n *node) publish(channel, msg string) int {
	count := 0
	var boxed any // built and boxed once for every subscriber of the channel
	for _, x := range n.clients {
		if x.channels[channel] {
			if boxed == nil {
				boxed = resp.BulkArray("message", channel, msg)
			}
			x.send(boxed)
			count++
		}
		for _, p := range sortedKeys(x.patterns) {
			if stringMatch(p, channel, false) {
				x.reply(resp.BulkArray("pmessage", p, channel, msg))
				count++
			}
		}
	}
	return count
}

func (n *node) subscribe(cl *client, name string, targets []string) []resp.Value {
	set := cl.channels
	if strings.HasPrefix(name, "p") {
		set = cl.patterns
	}
	var out []resp.Value
	if strings.Contains(name, "unsub") && len(targets) == 0 {
		targets = sortedKeys(set)
		if len(targets) == 0 {
			out = append(out, resp.Array(resp.Bulk(name), resp.Null(), resp.Int(int64(len(cl.channels)+len(cl.patterns)))))
		}
	}
	for _, t := range targets {
		if strings.Contains(name, "unsub") {
			delete(set, t)
		} else {
			set[t] = true
		}
		out = append(out, resp.Array(resp.Bulk(name), resp.Bulk(t), resp.Int(int64(len(cl.channels)+len(cl.patterns)))))
	}
	return out
}

// cron is serverCron at hz 10: children and save points, a shutdown waiting for
// replicas, and once a second replication housekeeping and the AOF's fsync.
func (n *node) cron() {
	n.p.After(100*time.Millisecond, n.cron)
	if n.loading() {
		// Loading blocks the event loop: no cron, but a replica loading its full sync
		// sends its master newlines to stay alive (whileBlockedCron).
		if n.link == linkSync && n.masterConn != nil && (n.p.Monotonic()-n.loadingStart)/(100*time.Millisecond)%10 == 0 {
			n.masterConn.Send(keepalive{})
		}
		return
	}
	n.checkChildren()
	n.shutdownCron()
	n.fsync()
	if n.serverLoops%10 == 0 {
		n.replicationCron()
	}
	n.scheduledBgsave()
	n.serverLoops++
}
