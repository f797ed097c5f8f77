package sentinel

import (
	"fmt"
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
	// users are the sentinel's own ACL users; requirepass is the default user's password.
	users map[string]*aclUser
	// Shutdown is called by SHUTDOWN.
	Shutdown func()
}

// NewHub serves s to clients.
func NewHub(s *Sentinel) *Hub {
	return &Hub{s: s, users: newUsers(s.requirePass)}
}

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
}

// ConnInfo is what the driver knows of a client's connection, for CLIENT LIST.
type ConnInfo struct {
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
	c := &Session{hub: h, id: h.nextID, addr: addr, push: push, authed: h.defaultAuth(), user: "default",
		channels: map[string]bool{}, patterns: map[string]bool{}, proto: 2}
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
	spec, fullname, refused := lookupCommand(args)
	if spec == nil {
		return refused, true
	}
	name := spec.name
	if !c.authed && !spec.noAuth {
		return resp.Err("NOAUTH Authentication required."), true
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
	if def := c.hub.users["default"]; len(args) == 2 && def.nopass {
		return resp.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !c.hub.authenticates(user, pass) {
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

func (c *Session) client(args []string) resp.Value {
	if len(args) < 2 {
		return arityError("client")
	}
	switch sub := strings.ToLower(args[1]); {
	case sub == "setname" && len(args) == 3:
		return c.setName(args[2])
	case sub == "getname" && len(args) == 2:
		if c.name == "" {
			return resp.Null()
		}
		return resp.Bulk(c.name)
	case sub == "id" && len(args) == 2:
		return resp.Int(c.id)
	case sub == "list":
		var b strings.Builder
		for _, x := range c.hub.sessions {
			b.WriteString(x.Describe())
			b.WriteByte('\n')
		}
		return resp.Bulk(b.String())
	case sub == "kill" && len(args) >= 3:
		return c.kill(args[2:])
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", args[1]))
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

// sentinelCommands is Redis 7.0's command table in Sentinel mode (COMMAND's answer):
// each command's arity and subcommands (COMMAND LIST adds "cmd|sub" after each container),
// negative meaning "at least"; noAuth marks the commands a client may send before AUTH.
var sentinelCommands = []commandSpec{
	{name: "ping", arity: -1},
	{name: "sentinel", arity: -2, subs: sentinelSubcommands()},
	{name: "subscribe", arity: -2}, {name: "unsubscribe", arity: -1}, {name: "psubscribe", arity: -2},
	{name: "punsubscribe", arity: -1}, {name: "publish", arity: 3}, {name: "info", arity: -1}, {name: "role", arity: 1},
	{name: "client", arity: -2, subs: []subcommand{{"setname", 3}, {"help", 2}, {"tracking", -3}, {"info", 2},
		{"unpause", 2}, {"getredir", 2}, {"trackinginfo", 2}, {"kill", -3}, {"pause", -3}, {"caching", 3},
		{"no-evict", 3}, {"list", -2}, {"unblock", -3}, {"id", 2}, {"reply", 3}, {"getname", 2}}},
	{name: "shutdown", arity: -1}, {name: "auth", arity: -2, noAuth: true}, {name: "hello", arity: -1, noAuth: true},
	{name: "acl", arity: -2, subs: []subcommand{{"genpass", -2}, {"help", 2}, {"log", -2}, {"whoami", 2},
		{"users", 2}, {"setuser", -3}, {"deluser", -3}, {"load", 2}, {"list", 2}, {"getuser", 3}, {"dryrun", -4},
		{"cat", -2}, {"save", 2}}},
	{name: "command", arity: -1, subs: []subcommand{{"docs", -2}, {"help", 2}, {"getkeys", -4}, {"list", -2},
		{"info", -2}, {"count", 2}, {"getkeysandflags", -4}}},
}

type commandSpec struct {
	name   string
	arity  int
	noAuth bool
	subs   []subcommand
}

type subcommand struct {
	name  string
	arity int
}

// sentinelSubcommands lists SENTINEL's subcommands from the arities its handler checks.
func sentinelSubcommands() []subcommand {
	subs := make([]subcommand, 0, len(sentinelArity))
	for name, arity := range sentinelArity { //determinism:ok sorted right after
		subs = append(subs, subcommand{name, arity})
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	return subs
}

// lookupCommand finds a command and checks its arity, as processCommand does before
// anything else (authentication included): the reply is Redis's error when the command or
// subcommand does not exist or has the wrong number of arguments, and fullname is the
// name Redis reports it by ("sentinel|masters").
func lookupCommand(args []string) (spec *commandSpec, fullname string, reply resp.Value) {
	name := strings.ToLower(args[0])
	for i := range sentinelCommands {
		if sentinelCommands[i].name == name {
			spec = &sentinelCommands[i]
		}
	}
	if spec == nil {
		return nil, "", UnknownCommand(args)
	}
	fullname, arity := name, spec.arity
	if len(spec.subs) > 0 && len(args) > 1 {
		found := false
		for _, sub := range spec.subs {
			if strings.EqualFold(sub.name, args[1]) {
				fullname, arity, found = name+"|"+sub.name, sub.arity, true
			}
		}
		if !found {
			return nil, "", resp.Err(noNewlines.Replace(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", cut(args[1], 128), strings.ToUpper(name))))
		}
	}
	if (arity > 0 && len(args) != arity) || len(args) < -arity {
		return nil, "", arityError(fullname)
	}
	return spec, fullname, resp.Value{}
}

func (c *Session) command(args []string) resp.Value {
	if len(args) == 1 {
		out := make([]resp.Value, len(sentinelCommands))
		for i, cmd := range sentinelCommands {
			out[i] = resp.Array(resp.Bulk(cmd.name), resp.Int(int64(cmd.arity)))
		}
		return resp.Array(out...)
	}
	switch strings.ToLower(args[1]) {
	case "count":
		return resp.Int(int64(len(sentinelCommands)))
	case "list":
		var names []string
		for _, cmd := range sentinelCommands {
			names = append(names, cmd.name)
			for _, sub := range cmd.subs {
				names = append(names, cmd.name+"|"+sub.name)
			}
		}
		return resp.BulkArray(names...)
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand '%s'. Try COMMAND HELP.", args[1]))
}

// Describe is the session's line in CLIENT LIST, which Redis also logs of a client it
// disconnects.
func (c *Session) Describe() string {
	return fmt.Sprintf("id=%d addr=%s name=%s sub=%d psub=%d omem=%d cmd=client|list",
		c.id, c.addr, c.name, len(c.channels), len(c.patterns), c.pending())
}

// PubSub reports whether the client is subscribed to a channel or a pattern: Redis's
// Pub/Sub class of clients, whose output buffer is limited.
func (c *Session) PubSub() bool { return len(c.channels)+len(c.patterns) > 0 }

// Closed reports whether the session was killed (CLIENT KILL); the driver then closes
// the connection.
func (c *Session) Closed() bool { return c.closed }
