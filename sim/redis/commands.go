package redis

import (
	"fmt"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// cmdFlags are the command flags of Redis's command table that decide how a command is
// checked before it runs.
type cmdFlags uint16

const (
	cmdWrite        cmdFlags = 1 << iota // changes the dataset: refused by read-only replicas
	cmdStale                             // allowed on a replica whose link is down with replica-serve-stale-data no
	cmdLoading                           // allowed while the dataset loads
	cmdNoAuth                            // allowed before AUTH
	cmdNoMulti                           // refused inside MULTI
	cmdMayReplicate                      // not a write, but propagated: paused like writes
)

// command is one entry of the command table: its full name as errors print it ("get",
// "client|setname"), its arity (negative: at least), its flags and, for container
// commands, its subcommands.
type command struct {
	name  string
	arity int
	flags cmdFlags
	subs  map[string]*command
}

// commandTable holds the commands the simulation implements, with Redis 7.0.15's arities
// and flags (src/commands/*.json).
var commandTable = map[string]*command{}

func init() {
	const ls = cmdLoading | cmdStale
	for _, c := range []command{
		{"get", 2, 0, nil}, {"set", -3, cmdWrite, nil}, {"del", -2, cmdWrite, nil}, {"exists", -2, 0, nil},
		{"incr", 2, cmdWrite, nil}, {"incrby", 3, cmdWrite, nil}, {"sadd", -3, cmdWrite, nil},
		{"srem", -3, cmdWrite, nil}, {"smembers", 2, 0, nil}, {"scard", 2, 0, nil}, {"sismember", 3, 0, nil},
		{"rpush", -3, cmdWrite, nil}, {"lrange", 4, 0, nil}, {"llen", 2, 0, nil}, {"dbsize", 1, 0, nil},
		{"flushall", -1, cmdWrite, nil}, {"ping", -1, 0, nil}, {"echo", 2, ls, nil}, {"select", 2, ls, nil},
		{"multi", 1, ls, nil}, {"exec", 1, ls, nil}, {"discard", 1, ls, nil},
		{"info", -1, ls, nil}, {"role", 1, ls, nil}, {"replicaof", 3, cmdStale, nil}, {"slaveof", 3, cmdStale, nil},
		{"wait", 3, 0, nil}, {"publish", 3, ls | cmdMayReplicate, nil}, {"subscribe", -2, ls, nil}, {"unsubscribe", -1, ls, nil},
		{"psubscribe", -2, ls, nil}, {"punsubscribe", -1, ls, nil}, {"debug", -2, ls, nil},
		{"shutdown", -1, ls | cmdNoMulti, nil}, {"auth", -2, ls | cmdNoAuth, nil}, {"hello", -1, ls | cmdNoAuth, nil},
		{"quit", -1, ls | cmdNoAuth, nil}, {"psync", -3, cmdNoMulti, nil}, {"sync", 1, cmdNoMulti, nil},
		{"replconf", -1, ls, nil}, {"save", 1, cmdNoMulti, nil}, {"bgsave", -1, 0, nil},
		{"bgrewriteaof", 1, 0, nil}, {"lastsave", 1, ls, nil},
	} {
		c := c
		commandTable[c.name] = &c
	}
	container := func(name string, flags cmdFlags, subs ...command) {
		c := &command{name: name, arity: -2, flags: flags, subs: map[string]*command{}}
		for _, s := range subs {
			s := s
			s.name = name + "|" + s.name
			c.subs[strings.TrimPrefix(s.name, name+"|")] = &s
		}
		commandTable[name] = c
	}
	container("client", 0, command{"setname", 3, ls, nil}, command{"getname", 2, ls, nil},
		command{"id", 2, ls, nil}, command{"list", -2, ls, nil}, command{"kill", -3, ls, nil}, command{"info", 2, ls, nil})
	container("config", 0, command{"get", -3, ls, nil}, command{"set", -4, ls, nil},
		command{"rewrite", 2, ls, nil}, command{"resetstat", 2, ls, nil})
	container("script", 0, command{"kill", 2, 0, nil}, command{"flush", -2, 0, nil})
	container("acl", 0, command{"setuser", -3, ls, nil}, command{"deluser", -3, ls, nil},
		command{"whoami", 2, ls, nil}, command{"users", 2, ls, nil}, command{"list", 2, ls, nil})
}

// lookupCommand is lookupCommand of server.c: a container command with arguments
// resolves to its subcommand (nil if it has none of that name).
func (n *node) lookupCommand(args []string) *command {
	c := n.topCommand(args[0])
	if c == nil || c.subs == nil || len(args) == 1 {
		return c
	}
	return commandNamed(c.subs, args[1])
}

// topCommand is the command table's entry for name, in any case. It remembers the
// last name it found: clients and the replication stream send the same few names again
// and again, most often the very same strings, which compare at once.
func (n *node) topCommand(name string) *command {
	if n.lastCmd != nil && name == n.lastCmdName {
		return n.lastCmd
	}
	c := commandNamed(commandTable, name)
	if c != nil {
		n.lastCmdName, n.lastCmd = name, c
	}
	return c
}

// commandNamed looks a name up in any case. It lowers the name into a buffer on the
// stack, so that the lookup, which every command makes, allocates nothing.
func commandNamed(table map[string]*command, name string) *command {
	var buf [24]byte
	if len(name) > len(buf) {
		return table[asciiLower(name)]
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return table[string(b)]
}

// rejection is an error processCommand answers instead of running a command. code is
// empty for the errors Redis formats itself (the reply is "ERR " + msg, and inside an
// EXECABORT just msg), or the error code of one of Redis's shared error replies.
type rejection struct {
	code, msg string
}

func (r *rejection) reply() resp.Value {
	if r.code == "" {
		return resp.Err("ERR " + r.msg)
	}
	return resp.Err(r.code + " " + r.msg)
}

func (r *rejection) text() string {
	if r.code == "" {
		return r.msg
	}
	return r.code + " " + r.msg
}

var (
	rejNoAuth     = &rejection{"NOAUTH", "Authentication required."}
	rejReadOnly   = &rejection{"READONLY", "You can't write against a read only replica."}
	rejNoReplicas = &rejection{"NOREPLICAS", "Not enough good replicas to write."}
	rejMasterDown = &rejection{"MASTERDOWN", "Link with MASTER is down and replica-serve-stale-data is set to 'no'."}
	rejLoading    = &rejection{"LOADING", "Redis is loading the dataset in memory"}
	rejDebug      = &rejection{"", "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", " +
		"you can run it from a local connection, otherwise you need to set this option in the configuration file, " +
		"and then restart the server."}
)

// unknownCommand is commandCheckExistence's message.
func unknownCommand(args []string) *rejection {
	if c := commandTable[asciiLower(args[0])]; c != nil && c.subs != nil {
		return &rejection{"", errorLine(fmt.Sprintf("unknown subcommand '%s'. Try %s HELP.",
			cstrN(args[1], 128), asciiUpper(cstr(args[0]))))}
	}
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", cstrN(a, 128-b.Len()))
	}
	return &rejection{"", errorLine(fmt.Sprintf("unknown command '%s', with args beginning with: %s",
		cstrN(args[0], 128), b.String()))}
}

// queued is a command waiting in a transaction.
type queued struct {
	cmd  *command
	args []string
}

// check is the part of processCommand (server.c) that decides whether a command may run
// or be queued, in Redis's order: existence, arity, authentication, MULTI, replicas
// (min-replicas-to-write), read-only replica, Pub/Sub context, stale replica, loading.
// EXEC is checked with the flags of the commands it would run.
func (n *node) check(cl *client, args []string) (*command, *rejection) {
	cmd := n.lookupCommand(args)
	cl.lastCmd = cmd
	if cmd == nil {
		return nil, unknownCommand(args)
	}
	if (cmd.arity > 0 && len(args) != cmd.arity) || len(args) < -cmd.arity {
		return cmd, &rejection{"", fmt.Sprintf("wrong number of arguments for '%s' command", cmd.name)}
	}
	if cmd.name == "debug" && !n.allowProtected(n.srv.options["enable-debug-command"], cl) {
		return cmd, rejDebug
	}
	if !cl.authed && cmd.flags&cmdNoAuth == 0 {
		return cmd, rejNoAuth
	}
	if cl.inMulti && cmd.flags&cmdNoMulti != 0 {
		return cmd, &rejection{"", "Command not allowed inside a transaction"}
	}
	if rej := cl.user.may(cmd, args); rej != nil {
		return cmd, rej
	}
	isWrite := cmd.flags&cmdWrite != 0
	denyStale := cmd.flags&cmdStale == 0
	denyLoading := cmd.flags&cmdLoading == 0
	if cmd.name == "exec" {
		for _, q := range cl.multi {
			isWrite = isWrite || q.cmd.flags&cmdWrite != 0
			denyStale = denyStale || q.cmd.flags&cmdStale == 0
			denyLoading = denyLoading || q.cmd.flags&cmdLoading == 0
		}
	}
	if isWrite && !n.goodReplicasStatus() {
		return cmd, rejNoReplicas
	}
	if n.masterHost != "" && n.srv.hot.replicaReadOnly && isWrite {
		return cmd, rejReadOnly
	}
	if cl.clientType() == "pubsub" {
		switch cmd.name {
		case "ping", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "quit":
		default:
			return cmd, &rejection{"", fmt.Sprintf("Can't execute '%s': only (P|S)SUBSCRIBE / "+
				"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.name)}
		}
	}
	if n.masterHost != "" && n.link != linkConnected && !n.srv.hot.staleData && denyStale {
		return cmd, rejMasterDown
	}
	if n.loading() && denyLoading {
		return cmd, rejLoading
	}
	return cmd, nil
}

// handle runs one command from a client: processCommand, then MULTI's queue or the call.
func (cl *client) handle(args []string) {
	if len(args) == 0 {
		return
	}
	n := cl.n
	if cl.replica != nil && asciiLower(args[0]) == "replconf" {
		cl.lastCmd = commandTable["replconf"]
		n.replconf(cl, args) // ACKs from a replica get no reply
		return
	}
	cmd, rej := n.check(cl, args)
	if rej != nil {
		if cl.inMulti {
			cl.dirty = true // flagTransaction
		}
		if cmd != nil && cmd.name == "exec" {
			cl.discardTransaction()
			cl.reply(resp.Err("EXECABORT Transaction discarded because of: " + rej.text()))
			return
		}
		cl.reply(rej.reply())
		return
	}
	if n.shutting != nil && cl.writes(cmd) {
		// A shutdown waiting for replicas pauses writes (CLIENT_PAUSE_WRITE): the command
		// waits, unanswered, until the shutdown is aborted or the server exits.
		n.shutting.paused = append(n.shutting.paused, pausedWrite{cl, args})
		return
	}
	if cl.inMulti {
		switch cmd.name {
		case "exec", "discard", "multi", "quit":
		default:
			if !cl.dirty {
				cl.multi = append(cl.multi, queued{cmd, args})
			}
			cl.reply(resp.Simple("QUEUED"))
			return
		}
	}
	for _, v := range n.call(cl, cmd, args) {
		cl.reply(v)
	}
	cl.flushed()
}

// writes reports whether a command may replicate: a write command, PUBLISH, or EXEC of
// a transaction with one.
func (cl *client) writes(cmd *command) bool {
	const may = cmdWrite | cmdMayReplicate
	if cmd.flags&may != 0 {
		return true
	}
	if cmd.name == "exec" {
		for _, q := range cl.multi {
			if q.cmd.flags&may != 0 {
				return true
			}
		}
	}
	return false
}

func (cl *client) discardTransaction() {
	cl.inMulti, cl.multi, cl.dirty = false, nil, false
}

// exec runs a transaction: every queued command, its replies in one array. Commands that
// reply more than once (SUBSCRIBE to several channels) contribute every reply.
func (cl *client) exec() []resp.Value {
	if !cl.inMulti {
		return []resp.Value{resp.Err("ERR EXEC without MULTI")}
	}
	cmds, dirty := cl.multi, cl.dirty
	if dirty {
		cl.discardTransaction()
		return []resp.Value{resp.Err("EXECABORT Transaction discarded because of previous errors.")}
	}
	cl.inExec = true
	var out []resp.Value
	for _, q := range cmds {
		out = append(out, cl.n.call(cl, q.cmd, q.args)...)
	}
	cl.inExec = false
	cl.discardTransaction()
	return []resp.Value{resp.Array(out...)} // cl.afterExec runs once this is sent
}

// call runs a command that passed the checks and returns its replies: usually one, none
// when the reply comes later (WAIT, a full PSYNC) or never (SHUTDOWN), several for
// SUBSCRIBE and friends. A single reply is returned in the node's scratch slice, which
// the next call reuses: callers use the replies at once.
func (n *node) call(cl *client, cmd *command, args []string) []resp.Value {
	one := func(v resp.Value) []resp.Value {
		n.reply[0] = v
		return n.reply[:]
	}
	switch cmd.name {
	case "multi":
		if cl.inMulti {
			return one(resp.Err("ERR MULTI calls can not be nested"))
		}
		cl.inMulti, cl.multi, cl.dirty = true, nil, false
		return one(resp.OK)
	case "exec":
		return cl.exec()
	case "discard":
		if !cl.inMulti {
			return one(resp.Err("ERR DISCARD without MULTI"))
		}
		cl.discardTransaction()
		return one(resp.OK)
	case "psync", "sync":
		n.psync(cl, args)
		return nil
	case "ping":
		if len(args) > 2 {
			return one(resp.Err("ERR wrong number of arguments for 'ping' command"))
		}
		if cl.clientType() == "pubsub" {
			msg := ""
			if len(args) == 2 {
				msg = args[1]
			}
			return one(resp.BulkArray("pong", msg))
		}
		if len(args) == 2 {
			return one(resp.Bulk(args[1]))
		}
		return one(resp.Simple("PONG"))
	case "echo":
		return one(resp.Bulk(args[1]))
	case "quit":
		cl.closeAfterReply = true
		return one(resp.OK)
	case "auth":
		return one(n.auth(cl, args))
	case "hello":
		return one(n.hello(cl, args))
	case "select":
		id, rej := intArg(args[1])
		if rej != nil {
			return one(rej.reply())
		}
		if id != 0 {
			return one(resp.Err("ERR DB index is out of range"))
		}
		return one(resp.OK)
	case "info":
		v := resp.Bulk(n.info(args[1:]))
		if cl.inExec {
			return one(v) // a transaction's replies go out together, in EXEC's array
		}
		// INFO is the one command here whose cost is not small next to loopback: the
		// reply leaves, and the server serves anything else, only once it is built.
		n.p.Busy(infoCost, func() { cl.reply(v) })
		return nil
	case "role":
		return one(n.role())
	case "replicaof", "slaveof":
		return one(n.replicaof(cl, args))
	case "config|get":
		return one(n.configGet(args[2:]))
	case "config|set":
		return one(n.configSet(cl, args[2:]))
	case "config|rewrite":
		return one(n.configRewrite())
	case "config|resetstat":
		n.stats = stats{}
		return one(resp.OK)
	case "client|setname":
		return one(cl.setName(args[2]))
	case "client|getname":
		if cl.name == "" {
			return one(resp.Null())
		}
		return one(resp.Bulk(cl.name))
	case "client|id":
		return one(resp.Int(cl.id))
	case "client|list":
		return one(n.clientList(args))
	case "client|info":
		return one(resp.Bulk(n.clientInfo(cl) + "\n"))
	case "client|kill":
		return one(n.clientKillCommand(cl, args))
	case "publish":
		return one(resp.Int(int64(n.publish(args[1], args[2]))))
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe":
		return n.subscribe(cl, cmd.name, args[1:])
	case "debug":
		return n.debug(cl, args)
	case "shutdown":
		return n.shutdown(cl, args)
	case "save":
		return n.saveCommand(cl)
	case "bgsave":
		return one(n.bgsaveCommand(cl, args))
	case "bgrewriteaof":
		return one(n.bgrewriteaofCommand(cl))
	case "lastsave":
		return one(resp.Int(n.lastSave))
	case "flushall":
		v := n.data.exec(n, cl, "flushall", args)
		if !v.IsError() {
			n.flushallSave()
			cl.woff = n.offset
		}
		return one(v)
	case "wait":
		return n.wait(cl, args)
	case "replconf":
		if len(args)%2 == 0 {
			return one(errSyntax)
		}
		for i := 1; i+1 < len(args); i += 2 {
			switch asciiLower(args[i]) {
			case "listening-port":
				port, ok := string2ll(args[i+1])
				if !ok {
					return one(errNotInt)
				}
				cl.replPort = int(port)
			case "ip-address":
				cl.replIP = args[i+1]
			case "capa":
				if asciiLower(args[i+1]) == "psync2" {
					cl.capaPSYNC2 = true
				}
			}
		}
		return one(resp.OK)
	case "acl|setuser", "acl|deluser", "acl|whoami", "acl|users", "acl|list":
		return one(n.acl(cl, cmd, args))
	case "script|kill":
		return one(resp.Err("NOTBUSY No scripts in execution right now."))
	case "script|flush":
		return one(resp.OK)
	}
	v := n.data.exec(n, cl, cmd.name, args)
	if cmd.flags&cmdWrite != 0 {
		cl.woff = n.offset
	}
	return one(v)
}

// intArg is getIntFromObjectOrReply: a 32-bit integer or the error Redis gives.
func intArg(s string) (int64, *rejection) {
	v, ok := string2ll(s)
	if !ok {
		return 0, &rejection{"", "value is not an integer or out of range"}
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, &rejection{"", "value is out of range, value must between -2147483648 and 2147483647"}
	}
	return v, nil
}

// hello is HELLO [protover [AUTH user pass] [SETNAME name]]. The simulation speaks RESP2
// only, so it refuses protocol 3 as Redis refuses versions it does not know.
func (n *node) hello(cl *client, args []string) resp.Value {
	next := 1
	if len(args) >= 2 {
		next++
		ver, ok := string2ll(args[1])
		if !ok {
			return resp.Err("ERR Protocol version is not an integer or out of range")
		}
		if ver != 2 {
			return resp.Err("NOPROTO unsupported protocol version")
		}
	}
	for i := next; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case strings.EqualFold(args[i], "auth") && more >= 2:
			if !n.authenticate(cl, args[i+1], args[i+2]) {
				return resp.Err("WRONGPASS invalid username-password pair or user is disabled.")
			}
			i += 2
		case strings.EqualFold(args[i], "setname") && more >= 1:
			if r := cl.setName(args[i+1]); r.IsError() {
				return r
			}
			i++
		default:
			return resp.Err(errorLine(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", cstr(args[i]))))
		}
	}
	if !cl.authed {
		return resp.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	role := "master"
	if n.masterHost != "" {
		role = "replica"
	}
	return resp.Array(resp.Bulk("server"), resp.Bulk("redis"), resp.Bulk("version"), resp.Bulk("7.0.15"),
		resp.Bulk("proto"), resp.Int(2), resp.Bulk("id"), resp.Int(cl.id), resp.Bulk("mode"), resp.Bulk("standalone"),
		resp.Bulk("role"), resp.Bulk(role), resp.Bulk("modules"), resp.Array())
}

// setName is clientSetNameOrReply: an empty name removes the name; a name must be
// printable ASCII without spaces.
func (cl *client) setName(name string) resp.Value {
	for i := 0; i < len(name); i++ {
		if name[i] < '!' || name[i] > '~' {
			return resp.Err("ERR Client names cannot contain spaces, newlines or special characters.")
		}
	}
	cl.name = name
	return resp.OK
}
