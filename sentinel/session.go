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
}

// Open starts a session for a client at addr; push delivers Pub/Sub messages to it.
func (h *Hub) Open(addr string, push func(resp.Value)) *Session {
	h.nextID++
	c := &Session{hub: h, id: h.nextID, addr: addr, push: push, authed: h.defaultAuth(), user: "default",
		channels: map[string]bool{}, patterns: map[string]bool{}}
	h.sessions = append(h.sessions, c)
	return c
}

// Clients counts the open sessions (INFO clients' connected_clients).
func (h *Hub) Clients() int { return len(h.sessions) }

// Close ends a session.
func (c *Session) Close() {
	if c.closed {
		return
	}
	c.closed = true
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
			c.push(resp.BulkArray("message", channel, payload))
		}
		for _, p := range sortedSet(c.patterns) {
			if globMatch(p, channel) {
				c.push(resp.BulkArray("pmessage", p, channel, payload))
			}
		}
	}
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
	name := strings.ToLower(args[0])
	if !c.authed && name != "auth" && name != "hello" {
		return resp.Err("NOAUTH Authentication required."), true
	}
	subscribed := len(c.channels)+len(c.patterns) > 0
	if subscribed && !map[string]bool{"subscribe": true, "psubscribe": true, "unsubscribe": true,
		"punsubscribe": true, "ping": true, "quit": true, "reset": true}[name] {
		return resp.Err(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", name)), true
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
			c.push(resp.Array(resp.Bulk(name), resp.Bulk(ch), resp.Int(int64(len(c.channels)+len(c.patterns)))))
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
			c.push(resp.Array(resp.Bulk(kind), resp.Null(), resp.Int(int64(len(c.channels)+len(c.patterns)))))
		}
		for _, ch := range targets {
			delete(set, ch)
			c.push(resp.Array(resp.Bulk(kind), resp.Bulk(ch), resp.Int(int64(len(c.channels)+len(c.patterns)))))
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
		c.push(resp.BulkArray("pong", msg))
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
	if len(args) >= 2 {
		v, err := strconv.Atoi(args[1])
		if err != nil {
			return resp.Err("ERR Protocol version is not an integer or out of range")
		}
		if v != 2 {
			return resp.Err("NOPROTO unsupported protocol version")
		}
	}
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "auth":
			if i+2 >= len(args) {
				return resp.Err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			}
			if r := c.auth([]string{"auth", args[i+1], args[i+2]}); r.IsError() {
				return r
			}
			i += 2
		case "setname":
			if i+1 >= len(args) {
				return resp.Err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			}
			c.name = args[i+1]
			i++
		default:
			return resp.Err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
		}
	}
	if !c.authed {
		return resp.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	return resp.Array(
		resp.Bulk("server"), resp.Bulk("redis"), resp.Bulk("version"), resp.Bulk(Version),
		resp.Bulk("proto"), resp.Int(2), resp.Bulk("id"), resp.Int(c.id),
		resp.Bulk("mode"), resp.Bulk("sentinel"), resp.Bulk("role"), resp.Bulk("master"),
		resp.Bulk("modules"), resp.Array(),
	)
}

func (c *Session) client(args []string) resp.Value {
	if len(args) < 2 {
		return arityError("client")
	}
	switch sub := strings.ToLower(args[1]); {
	case sub == "setname" && len(args) == 3:
		if strings.ContainsAny(args[2], " \n") {
			return resp.Err("ERR Client names cannot contain spaces, newlines or special characters.")
		}
		c.name = args[2]
		return resp.OK
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
			fmt.Fprintf(&b, "id=%d addr=%s name=%s sub=%d psub=%d cmd=client|list\n",
				x.id, x.addr, x.name, len(x.channels), len(x.patterns))
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

// sentinelCommands is what COMMAND lists in Sentinel mode, with Redis 7.0's arities;
// subcommands is what COMMAND LIST adds after each container command, as "cmd|sub".
var sentinelCommands = []struct {
	name  string
	arity int
	subs  []string
}{
	{"ping", -1, nil},
	{"sentinel", -2, []string{"myid", "ckquorum", "master", "monitor", "config", "failover", "pending-scripts",
		"flushconfig", "debug", "replicas", "get-master-addr-by-name", "help", "info-cache", "remove", "reset",
		"simulate-failure", "sentinels", "masters", "is-master-down-by-addr", "set", "slaves"}},
	{"subscribe", -2, nil}, {"unsubscribe", -1, nil}, {"psubscribe", -2, nil}, {"punsubscribe", -1, nil},
	{"publish", 3, nil}, {"info", -1, nil}, {"role", 1, nil},
	{"client", -2, []string{"setname", "help", "tracking", "info", "unpause", "getredir", "trackinginfo", "kill",
		"pause", "caching", "no-evict", "list", "unblock", "id", "reply", "getname"}},
	{"shutdown", -1, nil}, {"auth", -2, nil}, {"hello", -1, nil},
	{"acl", -2, []string{"genpass", "help", "log", "whoami", "users", "setuser", "deluser", "load", "list",
		"getuser", "dryrun", "cat", "save"}},
	{"command", -1, []string{"docs", "help", "getkeys", "list", "info", "count", "getkeysandflags"}},
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
				names = append(names, cmd.name+"|"+sub)
			}
		}
		return resp.BulkArray(names...)
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand '%s'. Try COMMAND HELP.", args[1]))
}

// Closed reports whether the session was killed (CLIENT KILL); the driver then closes
// the connection.
func (c *Session) Closed() bool { return c.closed }
