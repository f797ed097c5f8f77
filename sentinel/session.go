package sentinel

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Hub is the Sentinel's own Pub/Sub: clients subscribe to event channels ("+sdown",
// "+switch-master", or a pattern such as "*") and receive every event published there.
// The simulator and gosentinel both serve clients through a Hub and its Sessions, so
// the command surface is written once.
type Hub struct {
	s        *Sentinel
	sessions []*Session
	nextID   int64
	aclLog   []*aclLogEntry
	// Shutdown is called by SHUTDOWN.
	Shutdown func()
}

// NewHub serves s to clients.
func NewHub(s *Sentinel) *Hub {
	return &Hub{s: s}
}

// now is the sentinel's clock, in ms.
func (h *Hub) now() int64 { return h.s.env.Clock.NowMs() }

// Session is one client connection.
type Session struct {
	hub      *Hub
	id       int64
	name     string
	addr     string
	authed   bool
	user     string
	channels map[string]bool
	patterns map[string]bool
	push     func(resp.Value)
	closed   bool
	onClose  func()
	// proto is the RESP version HELLO chose: 2 or 3.
	proto int
	conn  ConnInfo
	// created and lastActive are ms times (CLIENT LIST's age and idle); lastCmd is the
	// full name of the last command (cmd=).
	created, lastActive int64
	lastCmd             string
}

// ConnInfo is what the driver knows of a client's connection, for CLIENT LIST.
type ConnInfo struct {
	// LocalAddr is the address the client connected to (laddr=), FD its descriptor.
	LocalAddr string
	FD        int
	// Pending counts the bytes of replies and pushes not yet written to the socket: the
	// client's output buffer. Nil means none are ever held back.
	Pending func() int
}

// SetConn tells the session about its connection.
func (c *Session) SetConn(info ConnInfo) { c.conn = info }

// pending is the client's output buffer in bytes.
func (c *Session) pending() int {
	if c.conn.Pending == nil {
		return 0
	}
	return c.conn.Pending()
}

// Open starts a session for a client at addr; push delivers Pub/Sub messages to it.
func (h *Hub) Open(addr string, push func(resp.Value)) *Session {
	h.nextID++
	now := h.now()
	c := &Session{hub: h, id: h.nextID, addr: addr, push: push, authed: h.defaultAuth(), user: "default",
		channels: map[string]bool{}, patterns: map[string]bool{}, proto: 2, created: now, lastActive: now, lastCmd: "NULL"}
	h.sessions = append(h.sessions, c)
	return c
}

// Clients counts the open sessions (INFO clients' connected_clients).
func (h *Hub) Clients() int { return len(h.sessions) }

// Proto is the RESP version the session speaks: 2, or 3 after HELLO 3. The driver encodes
// replies and pushes with it.
func (c *Session) Proto() int { return c.proto }

// OnClose registers what the driver does when the session ends from inside (CLIENT KILL,
// ACL DELUSER): close the client's connection.
func (c *Session) OnClose(fn func()) { c.onClose = fn }

// Close ends a session.
func (c *Session) Close() {
	if c.closed {
		return
	}
	c.closed = true
	if c.onClose != nil {
		c.onClose()
	}
	h := c.hub
	for i, x := range h.sessions {
		if x == c {
			h.sessions = append(h.sessions[:i], h.sessions[i+1:]...)
			break
		}
	}
}

// PublishEvent sends an event to the sessions subscribed to its channel (its type) or
// to a matching pattern; debug events are not published, as in Redis's sentinelEvent.
func (h *Hub) PublishEvent(e Event) {
	if e.Level == Debug {
		return
	}
	channel, payload := e.Type, e.Text
	for _, c := range h.sessions {
		if c.channels[channel] {
			c.send(resp.BulkArray("message", channel, payload))
		}
		for _, p := range sortedSet(c.patterns) {
			if globMatch(p, channel) {
				c.send(resp.BulkArray("pmessage", p, channel, payload))
			}
		}
	}
}

// send pushes a Pub/Sub message or confirmation, a RESP3 push where the session speaks it.
func (c *Session) send(v resp.Value) {
	if c.proto == 3 {
		v = resp.Push(v)
	}
	c.push(v)
}

func sortedSet(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m { //determinism:ok sorted right after
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Do runs one command of this session. Replies to SUBSCRIBE and friends are pushed, one
// per channel, as Redis does, and Do then returns ok == false: there is nothing more to
// send.
func (c *Session) Do(args []string) (reply resp.Value, ok bool) {
	if len(args) == 0 {
		return resp.Value{}, false
	}
	spec, refused := lookupCommand(args)
	if spec == nil {
		return refused, true
	}
	c.lastCmd, c.lastActive = spec.fullname, c.hub.now()
	fullname, name := spec.fullname, strings.ToLower(args[0])
	if !c.authed && !spec.has("no_auth") {
		return resp.Err("NOAUTH Authentication required."), true
	}
	if denied := c.checkPerm(spec, args); denied.Kind != 0 {
		return denied, true
	}
	// RESP3 has no subscribed context: replies and pushes are told apart by their type.
	subscribed := c.proto == 2 && len(c.channels)+len(c.patterns) > 0
	if subscribed && !map[string]bool{"subscribe": true, "psubscribe": true, "unsubscribe": true,
		"punsubscribe": true, "ping": true}[name] {
		return resp.Err(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", fullname)), true
	}
	switch name {
	case "ping":
		return c.ping(args, subscribed)
	case "auth":
		return c.auth(args), true
	case "hello":
		return c.hello(args), true
	case "subscribe", "psubscribe":
		if len(args) < 2 {
			return arityError(name), true
		}
		for _, ch := range args[1:] {
			set := c.channels
			if name == "psubscribe" {
				set = c.patterns
			}
			set[ch] = true
			c.send(resp.Array(resp.Bulk(name), resp.Bulk(ch), resp.Int(int64(len(c.channels)+len(c.patterns)))))
		}
		return resp.Value{}, false
	case "unsubscribe", "punsubscribe":
		set, kind := c.channels, "unsubscribe"
		if name == "punsubscribe" {
			set, kind = c.patterns, "punsubscribe"
		}
		targets := args[1:]
		if len(targets) == 0 {
			targets = sortedSet(set)
		}
		if len(targets) == 0 {
			c.send(resp.Array(resp.Bulk(kind), resp.Null(), resp.Int(int64(len(c.channels)+len(c.patterns)))))
		}
		for _, ch := range targets {
			delete(set, ch)
			c.send(resp.Array(resp.Bulk(kind), resp.Bulk(ch), resp.Int(int64(len(c.channels)+len(c.patterns)))))
		}
		return resp.Value{}, false
	case "client":
		return c.client(args), true
	case "acl":
		return c.acl(args), true
	case "command":
		return c.command(args), true
	case "shutdown":
		if c.hub.Shutdown != nil {
			c.hub.Shutdown()
		}
		return resp.Value{}, false
	}
	return c.hub.s.Command(args), true
}

func (c *Session) ping(args []string, subscribed bool) (resp.Value, bool) {
	if len(args) > 2 {
		return arityError("ping"), true
	}
	if subscribed {
		msg := ""
		if len(args) == 2 {
			msg = args[1]
		}
		c.send(resp.BulkArray("pong", msg))
		return resp.Value{}, false
	}
	if len(args) == 2 {
		return resp.Bulk(args[1]), true
	}
	return resp.Simple("PONG"), true
}

func (c *Session) auth(args []string) resp.Value {
	if len(args) < 2 || len(args) > 3 {
		return arityError("auth")
	}
	pass := args[len(args)-1]
	user := "default"
	if len(args) == 3 {
		user = args[1]
	}
	if def := c.hub.s.users["default"]; len(args) == 2 && def.nopass {
		return resp.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !c.hub.authenticates(user, pass) {
		c.hub.logDenial(c, "auth", args[0], user)
		return resp.Err("WRONGPASS invalid username-password pair or user is disabled.")
	}
	c.authed, c.user = true, user
	return resp.OK
}

func (c *Session) hello(args []string) resp.Value {
	proto := 0
	if len(args) >= 2 {
		v, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return resp.Err("ERR Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return resp.Err("NOPROTO unsupported protocol version")
		}
		proto = int(v)
	}
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case strings.EqualFold(args[i], "auth") && more >= 2:
			if !c.hub.authenticates(args[i+1], args[i+2]) {
				c.hub.logDenial(c, "auth", args[0], args[i+1])
				return resp.Err("WRONGPASS invalid username-password pair or user is disabled.")
			}
			c.authed, c.user = true, args[i+1]
			i += 2
		case strings.EqualFold(args[i], "setname") && more >= 1:
			if r := c.setName(args[i+1]); r.IsError() {
				return r
			}
			i++
		default:
			return resp.Err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
		}
	}
	if !c.authed {
		return resp.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if proto != 0 {
		c.proto = proto
	}
	// A sentinel's HELLO has no role field.
	return resp.Map(
		resp.Bulk("server"), resp.Bulk("redis"), resp.Bulk("version"), resp.Bulk(Version),
		resp.Bulk("proto"), resp.Int(int64(c.proto)), resp.Bulk("id"), resp.Int(c.id),
		resp.Bulk("mode"), resp.Bulk("sentinel"), resp.Bulk("modules"), resp.Array(),
	)
}

// setName is CLIENT SETNAME's check (C: clientSetNameOrReply).
func (c *Session) setName(name string) resp.Value {
	for i := 0; i < len(name); i++ {
		if name[i] < '!' || name[i] > '~' {
			return resp.Err("ERR Client names cannot contain spaces, newlines or special characters.")
		}
	}
	c.name = name
	return resp.OK
}

// client is the CLIENT command; lookupCommand has checked the subcommand and its arity.
func (c *Session) client(args []string) resp.Value {
	switch sub := strings.ToLower(args[1]); sub {
	case "setname":
		return c.setName(args[2])
	case "getname":
		if c.name == "" {
			return resp.Null()
		}
		return resp.Bulk(c.name)
	case "id":
		return resp.Int(c.id)
	case "info":
		return resp.Bulk(c.Describe() + "\n")
	case "list":
		return c.list(args[2:])
	case "kill":
		return c.kill(args[2:])
	case "help":
		return statusArray(clientHelp)
	case "getredir":
		return resp.Int(-1)
	case "trackinginfo":
		return resp.Map(resp.Bulk("flags"), resp.BulkArray("off"), resp.Bulk("redirect"), resp.Int(-1),
			resp.Bulk("prefixes"), resp.Array())
	case "caching":
		return resp.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	case "unblock":
		return resp.Int(0) // a sentinel blocks no client
	}
	// PAUSE, UNPAUSE, REPLY, TRACKING, NO-EVICT: accepted; a sentinel has nothing for them
	// to change (DEVIATIONS.md).
	return resp.OK
}

// list is CLIENT LIST [TYPE type | ID id ...].
func (c *Session) list(args []string) resp.Value {
	match := func(*Session) bool { return true }
	switch {
	case len(args) == 0:
	case len(args) == 2 && strings.EqualFold(args[0], "type"):
		kind := strings.ToLower(args[1])
		if !slices.Contains([]string{"normal", "slave", "replica", "pubsub", "master"}, kind) {
			return resp.Err(fmt.Sprintf("ERR Unknown client type '%s'", args[1]))
		}
		match = func(x *Session) bool {
			return (kind == "pubsub") == x.PubSub() && (kind == "normal" || kind == "pubsub")
		}
	case len(args) >= 2 && strings.EqualFold(args[0], "id"):
		ids := map[int64]bool{}
		for _, a := range args[1:] {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil || id <= 0 {
				return resp.Err("ERR Invalid client ID")
			}
			ids[id] = true
		}
		match = func(x *Session) bool { return ids[x.id] }
	default:
		return resp.Err("ERR syntax error")
	}
	var b strings.Builder
	for _, x := range c.hub.sessions {
		if match(x) {
			b.WriteString(x.Describe())
			b.WriteByte('\n')
		}
	}
	return resp.Bulk(b.String())
}

// kill is CLIENT KILL addr | ID id | ADDR addr | TYPE normal|pubsub | SKIPME yes|no.
func (c *Session) kill(args []string) resp.Value {
	if len(args) == 1 {
		for _, x := range c.hub.sessions {
			if x.addr == args[0] {
				x.Close()
				return resp.OK
			}
		}
		return resp.Err("ERR No such client")
	}
	if len(args)%2 != 0 {
		return resp.Err("ERR syntax error")
	}
	match := func(x *Session) bool { return true }
	skipme := true
	for i := 0; i < len(args); i += 2 {
		k, v := strings.ToLower(args[i]), args[i+1]
		prev := match
		switch k {
		case "id":
			id, _ := strconv.ParseInt(v, 10, 64)
			match = func(x *Session) bool { return prev(x) && x.id == id }
		case "addr":
			match = func(x *Session) bool { return prev(x) && x.addr == v }
		case "user":
			match = func(x *Session) bool { return prev(x) && x.user == v }
		case "type":
			pubsub := strings.EqualFold(v, "pubsub")
			match = func(x *Session) bool { return prev(x) && (len(x.channels)+len(x.patterns) > 0) == pubsub }
		case "skipme":
			skipme = !strings.EqualFold(v, "no")
		default:
			return resp.Err("ERR syntax error")
		}
	}
	killed := 0
	for _, x := range append([]*Session(nil), c.hub.sessions...) {
		if match(x) && !(skipme && x == c) {
			x.Close()
			killed++
		}
	}
	return resp.Int(int64(killed))
}

// Describe is the session's line in CLIENT LIST, which Redis also logs of a client it
// disconnects, with Redis's fields in Redis's order. What only Redis's allocator knows
// (the query buffer, the read buffer, the memory totals) is a fixed, plausible value;
// the output buffer is the driver's: obl holds up to 16 KB of it, as Redis's static
// reply buffer does, and the rest counts as reply list nodes of 16 KB (oll, omem).
func (c *Session) Describe() string {
	now := c.hub.now()
	flags := "N"
	if c.PubSub() {
		flags = "P"
	}
	pending := c.pending()
	obl, rest := min(pending, 16384), max(pending-16384, 0)
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 "+
		"multi=-1 qbuf=0 qbuf-free=20474 argv-mem=0 multi-mem=0 rbs=16384 rbp=16384 obl=%d oll=%d omem=%d "+
		"tot-mem=%d events=r cmd=%s user=%s redir=-1 resp=%d",
		c.id, c.addr, c.conn.LocalAddr, c.conn.FD, c.name, (now-c.created)/1000, (now-c.lastActive)/1000, flags,
		len(c.channels), len(c.patterns), obl, (rest+16383)/16384, rest, 37632+rest, c.lastCmd, c.user, c.proto)
}

// PubSub reports whether the client is subscribed to a channel or a pattern: Redis's
// Pub/Sub class of clients, whose output buffer is limited.
func (c *Session) PubSub() bool { return len(c.channels)+len(c.patterns) > 0 }

// Closed reports whether the session was killed (CLIENT KILL); the driver then closes
// the connection.
func (c *Session) Closed() bool { return c.closed }

var clientHelp = strings.Split(`CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
CACHING (YES|NO)
    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.
GETREDIR
    Return the client ID we are redirecting to when tracking is enabled.
GETNAME
    Return the name of the current connection.
ID
    Return the ID of the current connection.
INFO
    Return information about the current client connection.
KILL <ip:port>
    Kill connection made from <ip:port>.
KILL <option> <value> [<option> <value> [...]]
    Kill connections. Options are:
    * ADDR (<ip:port>|<unixsocket>:0)
      Kill connections made from the specified address
    * LADDR (<ip:port>|<unixsocket>:0)
      Kill connections made to specified local address
    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)
      Kill connections by type.
    * USER <username>
      Kill connections authenticated by <username>.
    * SKIPME (YES|NO)
      Skip killing current connection (default: yes).
LIST [options ...]
    Return information about client connections. Options:
    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)
      Return clients of specified type.
UNPAUSE
    Stop the current client pause, resuming traffic.
PAUSE <timeout> [WRITE|ALL]
    Suspend all, or just write, clients for <timeout> milliseconds.
REPLY (ON|OFF|SKIP)
    Control the replies sent to the current connection.
SETNAME <name>
    Assign the name <name> to the current connection.
UNBLOCK <clientid> [TIMEOUT|ERROR]
    Unblock the specified blocked client.
TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]
         [OPTIN] [OPTOUT] [NOLOOP]
    Control server assisted client side caching.
TRACKINGINFO
    Report tracking status for the current connection.
NO-EVICT (ON|OFF)
    Protect current client connection from eviction.
HELP
    Prints this help.`, "\n")
