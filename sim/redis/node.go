package redis

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// node is one incarnation of a server: everything a kill loses.
type node struct {
	srv          *Server
	p            *kernel.Process
	started      time.Duration
	loadingUntil time.Duration
	runID        string
	data         *dataset
	// cronTicks counts cron runs; syncedOffset is the offset the AOF was last fsynced at.
	cronTicks    int
	syncedOffset int64
	clients      []*client
	clientID     int64

	// Replication (see replication.go).
	replID, replID2 string
	offset          int64
	secondOffset    int64
	backlog         []backlogEntry
	replicas        []*client
	masterHost      string
	masterPort      int
	link            linkState
	masterConn      *kernel.Conn
	linkDownSince   time.Duration // 0 while up or never connected
	lastIO          time.Duration
	waiters         []*waiter
}

// client is one accepted connection.
type client struct {
	n        *node
	c        *kernel.Conn
	id       int64
	name     string
	authed   bool
	multi    [][]string
	inMulti  bool
	dirty    bool // an error while queueing: EXEC aborts
	channels map[string]bool
	patterns map[string]bool
	replica  *replicaState
	replIP   string // REPLCONF ip-address and listening-port, before PSYNC
	replPort int
	closed   bool
}

func (n *node) accept(c *kernel.Conn) {
	n.clientID++
	cl := &client{n: n, c: c, id: n.clientID, authed: n.srv.options["requirepass"] == "",
		channels: map[string]bool{}, patterns: map[string]bool{}}
	n.clients = append(n.clients, cl)
	c.OnData = func(msg any) {
		if args, ok := msg.([]string); ok && !cl.closed {
			cl.handle(args)
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
		cl.c.Send(v)
	}
}

// handle runs one command from a client.
func (cl *client) handle(args []string) {
	if len(args) == 0 {
		return
	}
	name := strings.ToLower(args[0])
	if cl.replica != nil && name == "replconf" {
		cl.n.replconf(cl, args) // ACKs from a replica get no reply
		return
	}
	if !cl.authed && name != "auth" && name != "hello" {
		cl.reply(resp.Err("NOAUTH Authentication required."))
		return
	}
	if cl.inMulti && name != "exec" && name != "discard" && name != "multi" && name != "watch" {
		if r := cl.n.check(name, args); r.IsError() {
			cl.dirty = true
			cl.reply(r)
			return
		}
		cl.multi = append(cl.multi, args)
		cl.reply(resp.Simple("QUEUED"))
		return
	}
	switch name {
	case "multi":
		if cl.inMulti {
			cl.reply(resp.Err("ERR MULTI calls can not be nested"))
			return
		}
		cl.inMulti, cl.multi, cl.dirty = true, nil, false
		cl.reply(resp.OK)
		return
	case "exec":
		cl.exec()
		return
	case "discard":
		if !cl.inMulti {
			cl.reply(resp.Err("ERR DISCARD without MULTI"))
			return
		}
		cl.inMulti, cl.multi = false, nil
		cl.reply(resp.OK)
		return
	case "psync", "sync":
		cl.n.psync(cl, args)
		return
	}
	if r := cl.n.check(name, args); r.IsError() {
		cl.reply(r)
		return
	}
	if v, ok := cl.n.run(cl, args); ok {
		cl.reply(v)
	}
}

func (cl *client) exec() {
	if !cl.inMulti {
		cl.reply(resp.Err("ERR EXEC without MULTI"))
		return
	}
	cmds, dirty := cl.multi, cl.dirty
	cl.inMulti, cl.multi, cl.dirty = false, nil, false
	if dirty {
		cl.reply(resp.Err("EXECABORT Transaction discarded because of previous errors."))
		return
	}
	out := make([]resp.Value, 0, len(cmds))
	var after []func()
	for _, args := range cmds {
		v, _ := cl.n.runInTx(cl, args, &after)
		out = append(out, v)
	}
	cl.reply(resp.Array(out...))
	for _, f := range after {
		f() // CLIENT KILL inside a transaction takes effect after EXEC's reply
	}
}

// arity is Redis 7.0's arity of the commands the simulation knows.
var arity = map[string]int{
	"ping": -1, "echo": 2, "auth": -2, "hello": -1, "select": 2, "info": -1, "role": 1,
	"replicaof": 3, "slaveof": 3, "config": -2, "client": -2, "publish": 3, "subscribe": -2,
	"unsubscribe": -1, "psubscribe": -2, "punsubscribe": -1, "debug": -2, "shutdown": -1,
	"flushall": -1, "dbsize": 1, "wait": 3, "get": 2, "set": -3, "del": -2, "exists": -2,
	"incr": 2, "incrby": 3, "sadd": -3, "srem": -3, "smembers": 2, "scard": 2, "sismember": 3,
	"rpush": -3, "lrange": 4, "llen": 2, "replconf": -1, "script": -2,
}

// writes are the commands that modify the dataset.
var writes = map[string]bool{"set": true, "del": true, "incr": true, "incrby": true, "sadd": true,
	"srem": true, "rpush": true, "flushall": true}

// check validates a command before running or queueing it: existence and arity.
func (n *node) check(name string, args []string) resp.Value {
	a, ok := arity[name]
	if !ok {
		var b strings.Builder
		fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", args[0])
		for _, x := range args[1:] {
			fmt.Fprintf(&b, "'%s' ", x)
		}
		return resp.Err(b.String())
	}
	if (a > 0 && len(args) != a) || (a < 0 && len(args) < -a) {
		return resp.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
	}
	return resp.Value{Kind: resp.KindSimple}
}

func (n *node) runInTx(cl *client, args []string, after *[]func()) (resp.Value, bool) {
	if strings.EqualFold(args[0], "client") && len(args) > 1 && strings.EqualFold(args[1], "kill") {
		victims, reply := n.clientKill(cl, args[2:])
		*after = append(*after, func() {
			for _, v := range victims {
				v.kill()
			}
		})
		return reply, true
	}
	return n.run(cl, args)
}

// run executes a valid command; ok is false when the reply is sent later or not at all.
func (n *node) run(cl *client, args []string) (resp.Value, bool) {
	name := strings.ToLower(args[0])
	now := n.p.Monotonic()
	if now < n.loadingUntil && name != "info" && name != "ping" {
		return resp.Err("LOADING Redis is loading the dataset in memory"), true
	}
	if writes[name] {
		if r := n.writeAllowed(cl); r.IsError() {
			return r, true
		}
	} else if n.masterHost != "" && n.link != linkConnected && n.srv.options["replica-serve-stale-data"] == "no" &&
		name != "info" && name != "ping" && name != "replicaof" && name != "slaveof" && name != "role" &&
		name != "config" && name != "client" && name != "subscribe" && name != "publish" && name != "auth" {
		return resp.Err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), true
	}
	switch name {
	case "ping":
		if now < n.loadingUntil {
			return resp.Err("LOADING Redis is loading the dataset in memory"), true
		}
		if len(args) > 2 {
			return resp.Err("ERR wrong number of arguments for 'ping' command"), true
		}
		if len(cl.channels)+len(cl.patterns) > 0 {
			msg := ""
			if len(args) == 2 {
				msg = args[1]
			}
			return resp.BulkArray("pong", msg), true
		}
		if len(args) == 2 {
			return resp.Bulk(args[1]), true
		}
		return resp.Simple("PONG"), true
	case "echo":
		return resp.Bulk(args[1]), true
	case "auth":
		pass := args[len(args)-1]
		if n.srv.options["requirepass"] == "" {
			return resp.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), true
		}
		if pass != n.srv.options["requirepass"] || (len(args) == 3 && args[1] != "default") {
			return resp.Err("WRONGPASS invalid username-password pair or user is disabled."), true
		}
		cl.authed = true
		return resp.OK, true
	case "select":
		if args[1] != "0" {
			return resp.Err("ERR DB index is out of range"), true
		}
		return resp.OK, true
	case "info":
		return resp.Bulk(n.info(args[1:])), true
	case "role":
		return n.role(), true
	case "replicaof", "slaveof":
		return n.replicaof(args), true
	case "config":
		return n.config(args), true
	case "client":
		return n.client(cl, args), true
	case "publish":
		return resp.Int(int64(n.publish(args[1], args[2]))), true
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe":
		n.subscribe(cl, name, args[1:])
		return resp.Value{}, false
	case "debug":
		if strings.EqualFold(args[1], "sleep") && len(args) == 3 {
			secs, err := strconv.ParseFloat(args[2], 64)
			if err != nil {
				return resp.Err("ERR value is not a valid float"), true
			}
			n.p.Pause()
			n.p.Kernel().At(n.p.Kernel().Now()+time.Duration(secs*float64(time.Second)), n.p.Resume)
			return resp.OK, true
		}
		return resp.Err("ERR DEBUG subcommand not supported in the simulation"), true
	case "shutdown":
		n.p.Exit(0)
		return resp.Value{}, false
	case "wait":
		return n.wait(cl, args)
	case "replconf":
		for i := 1; i+1 < len(args); i += 2 {
			switch strings.ToLower(args[i]) {
			case "listening-port":
				cl.replPort, _ = strconv.Atoi(args[i+1])
			case "ip-address":
				cl.replIP = args[i+1]
			}
		}
		return resp.OK, true
	case "script":
		return resp.Err("NOTBUSY No scripts in execution right now."), true
	}
	return n.data.exec(n, cl, args)
}

// writeAllowed applies READONLY and min-replicas-to-write to a client's write.
func (n *node) writeAllowed(cl *client) resp.Value {
	if n.masterHost != "" && cl != nil && n.srv.options["replica-read-only"] == "yes" {
		return resp.Err("READONLY You can't write against a read only replica.")
	}
	if need := atoiOpt(n.srv.options["min-replicas-to-write"]); n.masterHost == "" && need > 0 && n.goodReplicas() < need {
		return resp.Err("NOREPLICAS Not enough good replicas to write.")
	}
	return resp.Value{Kind: resp.KindSimple}
}

func atoiOpt(v string) int {
	n, _ := strconv.Atoi(v)
	return n
}

func (n *node) role() resp.Value {
	if n.masterHost != "" {
		state := map[linkState]string{linkNone: "connect", linkConnecting: "connecting", linkSync: "sync",
			linkConnected: "connected"}[n.link]
		return resp.Array(resp.Bulk("slave"), resp.Bulk(n.masterHost), resp.Int(int64(n.masterPort)),
			resp.Bulk(state), resp.Int(n.offset))
	}
	var reps []resp.Value
	for _, r := range n.replicas {
		reps = append(reps, resp.BulkArray(r.replica.ip, strconv.Itoa(r.replica.port), strconv.FormatInt(r.replica.ack, 10)))
	}
	return resp.Array(resp.Bulk("master"), resp.Int(n.offset), resp.Array(reps...))
}

func (n *node) config(args []string) resp.Value {
	sub := strings.ToLower(args[1])
	switch {
	case sub == "get" && len(args) >= 3:
		var kv []string
		for _, k := range sortedKeys(n.srv.options) {
			for _, pat := range args[2:] {
				if globMatch(strings.ToLower(pat), k) {
					kv = append(kv, k, n.srv.options[k])
					break
				}
			}
		}
		return resp.BulkArray(kv...)
	case sub == "set" && len(args) >= 4 && len(args)%2 == 0:
		for i := 2; i < len(args); i += 2 {
			key := strings.ToLower(args[i])
			if _, ok := defaults[key]; !ok || key == "replicaof" {
				return resp.Err(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", args[i]))
			}
			n.srv.options[key] = args[i+1]
		}
		return resp.OK
	case sub == "rewrite" && len(args) == 2:
		n.srv.options["replicaof"] = ""
		if n.masterHost != "" {
			n.srv.options["replicaof"] = fmt.Sprintf("%s %d", n.masterHost, n.masterPort)
		}
		return resp.OK
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CONFIG HELP.", args[1]))
}

func (n *node) client(cl *client, args []string) resp.Value {
	sub := strings.ToLower(args[1])
	switch {
	case sub == "setname" && len(args) == 3:
		cl.name = args[2]
		return resp.OK
	case sub == "getname" && len(args) == 2:
		if cl.name == "" {
			return resp.Null()
		}
		return resp.Bulk(cl.name)
	case sub == "id" && len(args) == 2:
		return resp.Int(cl.id)
	case sub == "list":
		var b strings.Builder
		for _, x := range n.clients {
			fmt.Fprintf(&b, "id=%d addr=%s:%d name=%s\n", x.id, x.c.RemoteAddr(), x.c.RemotePort(), x.name)
		}
		return resp.Bulk(b.String())
	case sub == "kill" && len(args) >= 3:
		victims, reply := n.clientKill(cl, args[2:])
		for _, v := range victims {
			v.kill()
		}
		return reply
	}
	return resp.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", args[1]))
}

// clientKill selects the clients CLIENT KILL names: TYPE normal|pubsub|master|replica,
// ID, ADDR, SKIPME (default yes).
func (n *node) clientKill(cl *client, args []string) ([]*client, resp.Value) {
	if len(args)%2 != 0 {
		return nil, resp.Err("ERR syntax error")
	}
	skipme := true
	match := func(*client) bool { return true }
	for i := 0; i < len(args); i += 2 {
		k, v := strings.ToLower(args[i]), args[i+1]
		prev := match
		switch k {
		case "type":
			t := strings.ToLower(v)
			if t != "normal" && t != "pubsub" && t != "master" && t != "replica" && t != "slave" {
				return nil, resp.Err(fmt.Sprintf("ERR Unknown client type '%s'", v))
			}
			match = func(x *client) bool { return prev(x) && x.kind() == t }
		case "id":
			id, _ := strconv.ParseInt(v, 10, 64)
			match = func(x *client) bool { return prev(x) && x.id == id }
		case "addr":
			match = func(x *client) bool { return prev(x) && fmt.Sprintf("%s:%d", x.c.RemoteAddr(), x.c.RemotePort()) == v }
		case "skipme":
			skipme = !strings.EqualFold(v, "no")
		default:
			return nil, resp.Err("ERR syntax error")
		}
	}
	var victims []*client
	for _, x := range n.clients {
		if match(x) && !(skipme && x == cl) {
			victims = append(victims, x)
		}
	}
	return victims, resp.Int(int64(len(victims)))
}

func (cl *client) kind() string {
	switch {
	case cl.replica != nil:
		return "replica"
	case len(cl.channels)+len(cl.patterns) > 0:
		return "pubsub"
	}
	return "normal"
}

func (n *node) publish(channel, msg string) int {
	count := 0
	for _, x := range n.clients {
		if x.channels[channel] {
			x.reply(resp.BulkArray("message", channel, msg))
			count++
		}
		for _, p := range sortedKeys(x.patterns) {
			if globMatch(p, channel) {
				x.reply(resp.BulkArray("pmessage", p, channel, msg))
				count++
			}
		}
	}
	return count
}

func (n *node) subscribe(cl *client, name string, targets []string) {
	set := cl.channels
	if strings.HasPrefix(name, "p") {
		set = cl.patterns
	}
	if strings.Contains(name, "unsub") && len(targets) == 0 {
		targets = sortedKeys(set)
		if len(targets) == 0 {
			cl.reply(resp.Array(resp.Bulk(name), resp.Null(), resp.Int(int64(len(cl.channels)+len(cl.patterns)))))
		}
	}
	for _, t := range targets {
		if strings.Contains(name, "unsub") {
			delete(set, t)
		} else {
			set[t] = true
		}
		cl.reply(resp.Array(resp.Bulk(name), resp.Bulk(t), resp.Int(int64(len(cl.channels)+len(cl.patterns)))))
	}
}

// cron is serverCron's share here: replication housekeeping once a second.
func (n *node) cron() {
	n.replicationCron()
	n.fsync()
	n.p.After(time.Second, n.cron)
}

// fsync brings the append-only file's synced content up to date, once a second with
// appendfsync everysec and every 30 s (the kernel's writeback) with appendfsync no.
func (n *node) fsync() {
	srv := n.srv
	n.cronTicks++
	due := srv.options["appendfsync"] == "everysec" || n.cronTicks%30 == 0
	if !srv.aof || !due || n.offset == n.syncedOffset {
		return
	}
	srv.aofSynced, n.syncedOffset = n.data.clone(), n.offset
}

// loadTime is how long loading a dataset of this size takes after a restart.
func loadTime(d *dataset) time.Duration { return time.Duration(d.size()) * 10 * time.Microsecond }

// globMatch is Redis's glob for channel patterns and CONFIG GET: * ? and [...].
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		case '[':
			end := strings.IndexByte(pattern, ']')
			if s == "" || end < 0 || !strings.ContainsRune(pattern[1:end], rune(s[0])) {
				return false
			}
			pattern = pattern[end:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}
