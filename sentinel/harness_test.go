package sentinel

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/sentinelsim/sentinelsim/resp"
)

// The scripted tests drive one Sentinel message by message, in the style of etcd raft's
// interaction tests: every connection it opens is a fake the script answers, and the
// output is the events it emits (and, with "sends", the commands it sends). A $ ends
// an output line that ends in blanks.
//
//	start            config file as input; a new sentinel in a new world (rand and
//	                 loglevel stay as set)
//	restart          a new Sentinel from the config file as it is now
//	tick [ms=N]      advance the clock by N ms (default 100) and run one tick
//	                 (any command takes "sends" to also print the dials, commands and
//	                 closes it causes; "sends=ADDR" or "sends=CMD" keeps those to ADDR,
//	                 or the commands named CMD, only; "sends=(ADDR,CMD)" both; and
//	                 any command takes "quiet" to print nothing but a cmd's reply)
//	run ms=N         tick every 100 ms for N ms, answering the servers set with serve
//	serve addr=A [ping=loading|busy|masterdown] [pubsub=mute]   answer every
//	                 command to A by itself: PONG (or the -LOADING, -BUSY or
//	                 -MASTERDOWN error), the INFO text given as input (the previous
//	                 one if none), :1 to PUBLISH, +OK otherwise; confirm SUBSCRIBE and
//	                 pass what is published on to the subscribers, unless its Pub/Sub
//	                 is mute (a connection that went silent); "serve addr=A off" stops
//	vote addr=A down=0|1 leader=ID epoch=N   how peer A answers is-master-down-by-addr
//	                 (and, like serve, every other command); "vote addr=A off" stops
//	reply conn=A#N [to=CMD]   the input (one RESP value per line, see parseReply)
//	                 answers the oldest pending command on that connection; with to,
//	                 the commands queued before the first CMD get a healthy reply first
//	hello conn=A#N   the input is a hello payload arriving on that Pub/Sub connection
//	drop conn=A#N    the connection is lost; "drop addr=A": every open one to A
//	candidate master=M   the replica a failover of M would promote now, or none
//	exited pid=N|all [code=C] [signal=S]   the script with pid N (or every one still
//	                 running) ended; scripts print "exec <pid> <argv>" when started and
//	                 "kill <pid>" when killed; only paths under /scripts/ are executable
//	fork fails|ok    whether script starts fail
//	refuse addr=A    dials to A fail at once (connection refused) until "refuse addr=A
//	                 off"
//	cmd [lines] [client=C]   the input is a client command; the output is its reply
//	                 (with lines, an array's elements one a line); with client, it goes
//	                 through client C's session (opened at first use), as a connected
//	                 client's would, and what is pushed to C shows as "push C: ..."
//	config           the output is the current config file
//	renamed NEW=OLD ...   the servers take command NEW for OLD (their rename-command)
//	failio [off]     saving the config file fails (or works again)
//	rand v=N         the next random draws return N (default 0)
//	loglevel L       show log lines from level L up (default warning; events are
//	                 always shown)

type harness struct {
	t     *testing.T
	now   int64
	randV int
	s     *Sentinel
	conf  []byte
	conns []*fakeConn
	dials map[string]int
	serve map[string]*server
	votes map[string]resp.Value
	// renamed maps a command name the servers were configured with (rename-command)
	// to the command it stands for, in upper case.
	renamed map[string]string
	refused map[string]bool // addresses whose dials fail at once
	quiet   bool            // the command's output is only its reply
	// logLevel is the lowest level of the log lines shown (every event is shown).
	logLevel Level
	// forkFails makes script starts fail; lastPid is the pid of the last one started.
	forkFails bool
	lastPid   int
	live      []int // started scripts whose exit was not reported yet
	out       []string
	sends     bool
	sendTo    []string // with sends, what is traced: only these addresses and commands
	failIO    bool
	// hub serves the clients named by "cmd client=C"; it is made at first use.
	hub     *Hub
	clients map[string]*Session
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, now: 1_000_000, dials: map[string]int{}, serve: map[string]*server{},
		votes: map[string]resp.Value{}, renamed: map[string]string{}, refused: map[string]bool{}, lastPid: 1000,
		logLevel: Warning}
}

// env is the world the harness gives a Sentinel: itself, for everything.
func (h *harness) env() Env {
	return Env{Clock: h, Rand: h, Transport: h, Sink: h, Store: h, Scripts: fakeScripts{h},
		Exit: func(code int) { h.out = append(h.out, fmt.Sprintf("exit %d", code)) }}
}

// fakeScripts runs no process: it prints what would be started and killed. Only paths
// under /scripts/ are executable.
type fakeScripts struct{ h *harness }

func (f fakeScripts) Start(argv []string) (int, error) {
	h := f.h
	if h.forkFails {
		return 0, errors.New("fork: Resource temporarily unavailable")
	}
	h.lastPid++
	h.live = append(h.live, h.lastPid)
	shown := make([]string, len(argv))
	for i, a := range argv {
		shown[i] = a
		if strings.ContainsAny(a, " \"") {
			shown[i] = strconv.Quote(a)
		}
	}
	h.out = append(h.out, fmt.Sprintf("exec %d %s", h.lastPid, strings.Join(shown, " ")))
	return h.lastPid, nil
}

func (f fakeScripts) Kill(pid int) { f.h.out = append(f.h.out, fmt.Sprintf("kill %d", pid)) }

func (fakeScripts) Executable(path string) bool { return strings.HasPrefix(path, "/scripts/") }

func (h *harness) NowMs() int64 { return h.now }
func (h *harness) IntN(n int) int {
	return h.randV % n
}

func (h *harness) Event(e Event) {
	h.out = append(h.out, e.Type+" "+e.Text)
	if h.hub != nil {
		h.hub.PublishEvent(e)
	}
}

// session is client name's session with the sentinel; what is pushed to it is printed.
func (h *harness) session(name string) *Session {
	if h.hub == nil {
		h.hub, h.clients = NewHub(h.s), map[string]*Session{}
	}
	if c := h.clients[name]; c != nil {
		return c
	}
	c := h.hub.Open("127.0.0.1:"+strconv.Itoa(50000+len(h.clients)), func(v resp.Value) {
		h.out = append(h.out, "push "+name+": "+v.String())
	})
	h.clients[name] = c
	return c
}
func (h *harness) Log(level Level, line string) {
	if level >= h.logLevel {
		h.out = append(h.out, "log: "+line)
	}
}
func (h *harness) Load() ([]byte, error) { return h.conf, nil }
func (h *harness) Save(b []byte) error {
	if h.failIO {
		return errors.New("disk full")
	}
	h.conf = append([]byte(nil), b...)
	return nil
}

type fakeConn struct {
	h       *harness
	name    string
	addr    Addr
	pending []pendingReply
	sub     func(resp.Value)
	// subscribed: a served server confirmed the subscription
	subscribed bool
	onDrop     func(error)
	closed     bool
}

type pendingReply struct {
	args []string
	cb   func(resp.Value, bool)
}

func (h *harness) Dial(a Addr, onDisconnect func(error)) (Conn, error) {
	key := fmt.Sprintf("%s:%d", a.Host, a.Port)
	if h.refused[key] {
		return nil, errors.New("Connection refused")
	}
	h.dials[key]++
	c := &fakeConn{h: h, name: fmt.Sprintf("%s#%d", key, h.dials[key]), addr: a, onDrop: onDisconnect}
	h.conns = append(h.conns, c)
	c.trace("", "dial "+c.name)
	return c, nil
}

func (c *fakeConn) Send(args []string, cb func(resp.Value, bool)) error {
	if c.closed {
		return errors.New("closed")
	}
	c.pending = append(c.pending, pendingReply{args: args, cb: cb})
	c.trace(args[0], c.name+" <- "+strings.Join(args, " "))
	return nil
}

func (c *fakeConn) Subscribe(cmd, channel string, onMessage func(resp.Value)) error {
	if c.closed {
		return errors.New("closed")
	}
	c.sub = onMessage
	c.trace(cmd, c.name+" <- "+cmd+" "+channel)
	return nil
}

func (c *fakeConn) LocalIP() string { return "127.0.0.1" }

func (c *fakeConn) Close() {
	if c.closed {
		return
	}
	c.closed = true
	c.trace("", "close "+c.name)
	c.failPending()
}

// trace records what happens on a connection (cmd is the command sent, "" for a dial
// or a close) when the script asked for it.
func (c *fakeConn) trace(cmd, line string) {
	if !c.h.sends {
		return
	}
	addr := fmt.Sprintf("%s:%d", c.addr.Host, c.addr.Port)
	for _, f := range c.h.sendTo {
		if f != addr && !strings.EqualFold(f, cmd) {
			return
		}
	}
	c.h.out = append(c.h.out, line)
}

func (c *fakeConn) failPending() {
	p := c.pending
	c.pending = nil
	for _, r := range p {
		r.cb(resp.Value{}, false)
	}
}

func (c *fakeConn) reply(v resp.Value) bool {
	if len(c.pending) == 0 {
		return false
	}
	r := c.pending[0]
	c.pending = c.pending[1:]
	r.cb(v, true)
	return true
}

func (h *harness) conn(name string) *fakeConn {
	for i := len(h.conns) - 1; i >= 0; i-- {
		if h.conns[i].name == name {
			return h.conns[i]
		}
	}
	h.t.Fatalf("no connection %s", name)
	return nil
}

// answerServed answers every pending command of the connections to served addresses.
func (h *harness) answerServed() {
	for progress := true; progress; {
		progress = false
		for _, c := range h.conns {
			key := fmt.Sprintf("%s:%d", c.addr.Host, c.addr.Port)
			srv, voting := h.server(key), h.votes[key].Kind == resp.KindArray
			if c.closed || !(srv.serving || voting) {
				continue
			}
			for len(c.pending) > 0 {
				args := c.pending[0].args
				c.reply(h.naturalReply(key, args))
				if srv.serving && !srv.mute && h.commandName(args[0]) == "PUBLISH" {
					h.deliver(key, resp.BulkArray("message", args[1], args[2]))
				}
				progress = true
			}
			if srv.serving && !srv.mute && c.sub != nil && !c.subscribed {
				c.subscribed = true
				c.sub(resp.Array(resp.Bulk("subscribe"), resp.Bulk(helloChannel), resp.Int(1)))
				progress = true
			}
		}
	}
}

// deliver is a served server's Pub/Sub: a message published to it goes to every
// connection subscribed to it, the sentinel's own included.
func (h *harness) deliver(addr string, msg resp.Value) {
	for _, c := range h.conns {
		if !c.closed && c.subscribed && strings.HasPrefix(c.name, addr+"#") {
			c.sub(msg)
		}
	}
}

// commandName is the command a fake server takes args[0] for, in upper case.
func (h *harness) commandName(name string) string {
	name = strings.ToUpper(name)
	if orig, ok := h.renamed[name]; ok {
		return orig
	}
	return name
}

// server is what the script told a fake server at an address to answer.
type server struct {
	serving bool
	info    string     // INFO's text; "" before any was given
	ping    resp.Value // PING's reply
	mute    bool       // its Pub/Sub confirms no subscription and passes nothing on
}

func (h *harness) server(addr string) *server {
	if h.serve[addr] == nil {
		h.serve[addr] = &server{ping: pingReplies[""]}
	}
	return h.serve[addr]
}

var pingReplies = map[string]resp.Value{
	"":           resp.Simple("PONG"),
	"loading":    resp.Err("LOADING Redis is loading the dataset in memory"),
	"busy":       resp.Err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."),
	"masterdown": resp.Err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."),
}

// naturalReply is how the server at addr answers a command the Sentinel sends, as
// scripted by serve and vote; an INFO before any text was given gets an error.
func (h *harness) naturalReply(addr string, args []string) resp.Value {
	srv, vote := h.server(addr), h.votes[addr]
	switch h.commandName(args[0]) {
	case "PING":
		return srv.ping
	case "INFO":
		if srv.info == "" {
			return resp.Err("ERR the script gave no INFO text")
		}
		return resp.Bulk(srv.info)
	case "PUBLISH":
		return resp.Int(1)
	case "SENTINEL":
		if args[len(args)-1] == "*" && vote.Kind == resp.KindArray {
			return resp.Array(vote.Array[0], resp.Bulk("*"), resp.Int(0)) // no vote asked for
		}
		return vote
	}
	return resp.OK
}

func (h *harness) tick(ms int64) {
	h.now += ms
	h.s.Tick()
	h.answerServed()
}

func (h *harness) flush() string {
	out := strings.Join(h.out, "\n")
	h.out = nil
	if h.quiet {
		out = ""
	}
	if out == "" {
		return "ok"
	}
	return out
}

// handle runs one command of a script; a $ marks the end of an output line that ends
// in blanks, which would not survive in the script file.
func (h *harness) handle(t *testing.T, d *datadriven.TestData) string {
	lines := strings.Split(h.do(t, d), "\n")
	for i, l := range lines {
		if strings.TrimRight(l, " \t") != l {
			lines[i] += "$"
		}
	}
	return strings.Join(lines, "\n")
}

func (h *harness) do(t *testing.T, d *datadriven.TestData) string {
	arg, sends := d.Arg("sends")
	h.sends, h.sendTo = sends, arg.Vals
	h.quiet = d.HasArg("quiet")
	switch d.Cmd {
	case "start":
		// A new world: the servers, connections and clock of an earlier start are gone;
		// the script's settings (rand, loglevel) stay.
		sends, sendTo, randV, logLevel := h.sends, h.sendTo, h.randV, h.logLevel
		*h = *newHarness(h.t)
		h.sends, h.sendTo, h.randV, h.logLevel = sends, sendTo, randV, logLevel
		h.conf = []byte(d.Input + "\n") // a file, newline-terminated
		conf, err := ParseConfig(h.conf)
		if err != nil {
			return err.Error()
		}
		s, err := New(h.env(), conf)
		if err != nil {
			return err.Error()
		}
		h.s = s
	case "restart":
		conf, err := ParseConfig(h.conf)
		if err != nil {
			return err.Error()
		}
		for _, c := range h.conns {
			c.closed = true
		}
		h.conns, h.hub, h.clients = nil, nil, nil
		s, err := New(h.env(), conf)
		if err != nil {
			return err.Error()
		}
		h.s = s
	case "tick":
		ms := int64(100)
		if d.HasArg("ms") {
			d.ScanArgs(t, "ms", &ms)
		}
		h.tick(ms)
	case "run":
		var ms int64
		d.ScanArgs(t, "ms", &ms)
		for end := h.now + ms; h.now < end; {
			h.tick(100)
		}
	case "serve":
		var addr string
		d.ScanArgs(t, "addr", &addr)
		srv := h.server(addr)
		srv.serving = !d.HasArg("off")
		if srv.serving {
			var ping string
			d.MaybeScanArgs(t, "ping", &ping)
			var ok bool
			if srv.ping, ok = pingReplies[ping]; !ok {
				t.Fatalf("%s: serve ping=%s: not one of loading, busy, masterdown", d.Pos, ping)
			}
			var pubsub string
			d.MaybeScanArgs(t, "pubsub", &pubsub)
			if pubsub != "" && pubsub != "mute" {
				t.Fatalf("%s: serve pubsub=%s: only mute", d.Pos, pubsub)
			}
			srv.mute = pubsub == "mute"
			if text := strings.TrimSpace(d.Input); text != "" {
				srv.info = strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"
			}
		}
		h.answerServed()
	case "vote":
		var addr, leader string
		var down, epoch int64
		d.ScanArgs(t, "addr", &addr)
		if d.HasArg("off") {
			delete(h.votes, addr)
			break
		}
		d.ScanArgs(t, "down", &down)
		d.ScanArgs(t, "leader", &leader)
		d.ScanArgs(t, "epoch", &epoch)
		h.votes[addr] = resp.Array(resp.Int(down), resp.Bulk(leader), resp.Int(epoch))
		h.answerServed()
	case "reply":
		var name string
		d.ScanArgs(t, "conn", &name)
		v, rest := parseReply(t, strings.Split(strings.TrimSpace(d.Input), "\n"))
		if len(rest) != 0 {
			t.Fatalf("%s: trailing reply lines %q", d.Pos, rest)
		}
		c := h.conn(name)
		if d.HasArg("to") {
			var cmd string
			d.ScanArgs(t, "to", &cmd)
			for len(c.pending) > 0 && !strings.EqualFold(c.pending[0].args[0], cmd) {
				c.reply(h.naturalReply(name[:strings.IndexByte(name, '#')], c.pending[0].args))
			}
		}
		if !c.reply(v) {
			return "nothing pending on " + name
		}
	case "hello":
		var name string
		d.ScanArgs(t, "conn", &name)
		c := h.conn(name)
		if c.closed {
			return name + " is closed"
		}
		if c.sub == nil {
			return name + " is not subscribed"
		}
		c.sub(resp.BulkArray("message", helloChannel, strings.TrimSpace(d.Input)))
	case "drop":
		var drop []*fakeConn
		if d.HasArg("addr") {
			var addr string
			d.ScanArgs(t, "addr", &addr)
			for _, c := range h.conns {
				if !c.closed && strings.HasPrefix(c.name, addr+"#") {
					drop = append(drop, c)
				}
			}
		} else {
			var name string
			d.ScanArgs(t, "conn", &name)
			drop = append(drop, h.conn(name))
		}
		for _, c := range drop {
			if c.closed {
				return c.name + " is closed"
			}
			c.closed = true
			c.failPending()
			c.onDrop(errors.New("connection reset"))
		}
		if len(drop) == 0 {
			return "no open connection to drop"
		}
	case "cmd":
		args, err := resp.SplitArgs(strings.TrimSpace(d.Input))
		if err != nil {
			t.Fatal(err)
		}
		v, replied := h.clientCommand(t, d, args)
		reply := v.String()
		if d.HasArg("lines") && v.Kind == resp.KindArray {
			elems := make([]string, len(v.Array))
			for i, e := range v.Array {
				elems[i] = e.String()
			}
			reply = strings.Join(elems, "\n")
		}
		h.answerServed()
		out := h.flush()
		switch {
		case !replied:
			return out // only pushes: SUBSCRIBE and the like
		case out != "ok":
			return out + "\n" + reply
		}
		return reply
	case "config":
		return strings.TrimSpace(string(h.conf))
	case "candidate":
		var name string
		d.ScanArgs(t, "master", &name)
		m := h.s.masterByName(name)
		if m == nil {
			t.Fatalf("%s: no master %s", d.Pos, name)
		}
		if r := h.s.selectSlave(m); r != nil {
			h.out = append(h.out, r.name)
		} else {
			h.out = append(h.out, "none")
		}
	case "exited":
		var pid, code, signal int
		d.MaybeScanArgs(t, "code", &code)
		d.MaybeScanArgs(t, "signal", &signal)
		pids := slices.Clone(h.live)
		if !d.HasArg("all") {
			d.ScanArgs(t, "pid", &pid)
			pids = []int{pid}
		}
		for _, pid := range pids {
			h.live = slices.DeleteFunc(h.live, func(p int) bool { return p == pid })
			h.s.ScriptExited(pid, code, signal)
		}
	case "fork":
		h.forkFails = d.HasArg("fails")
	case "refuse":
		var addr string
		d.ScanArgs(t, "addr", &addr)
		h.refused[addr] = !d.HasArg("off")
	case "renamed":
		for _, arg := range d.CmdArgs {
			if len(arg.Vals) != 1 {
				t.Fatalf("%s: renamed takes NEW=OLD pairs", d.Pos)
			}
			h.renamed[strings.ToUpper(arg.Key)] = strings.ToUpper(arg.Vals[0])
		}
	case "loglevel":
		var ok bool
		if h.logLevel, ok = ParseLevel(d.CmdArgs[0].Key); !ok {
			t.Fatalf("%s: loglevel debug|verbose|notice|warning", d.Pos)
		}
	case "rand":
		d.ScanArgs(t, "v", &h.randV)
	case "failio":
		h.failIO = !d.HasArg("off")
	default:
		t.Fatalf("%s: unknown command %s", d.Pos, d.Cmd)
	}
	return h.flush()
}

// clientCommand runs a script's client command on the sentinel, or on the session of
// the client the script names; replied is false when the command only pushed.
func (h *harness) clientCommand(t *testing.T, d *datadriven.TestData, args []string) (v resp.Value, replied bool) {
	if !d.HasArg("client") {
		return h.s.Command(args), true
	}
	var name string
	d.ScanArgs(t, "client", &name)
	return h.session(name).Do(args)
}

// parseReply reads one RESP value from lines: +status, -error, :int, $bulk text (the
// rest of the line), $- for a null bulk, *N followed by N values.
func parseReply(t *testing.T, lines []string) (resp.Value, []string) {
	if len(lines) == 0 {
		t.Fatal("missing reply line")
	}
	l, rest := lines[0], lines[1:]
	switch l[0] {
	case '+':
		return resp.Simple(l[1:]), rest
	case '-':
		return resp.Err(l[1:]), rest
	case ':':
		n, err := strconv.ParseInt(l[1:], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Int(n), rest
	case '$':
		if l == "$-" {
			return resp.Null(), rest
		}
		return resp.Bulk(l[1:]), rest
	case '*':
		n, err := strconv.Atoi(l[1:])
		if err != nil {
			t.Fatal(err)
		}
		vs := make([]resp.Value, n)
		for i := range vs {
			vs[i], rest = parseReply(t, rest)
		}
		return resp.Array(vs...), rest
	}
	t.Fatalf("bad reply line %q", l)
	return resp.Value{}, nil
}

func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := newHarness(t)
		datadriven.RunTest(t, path, h.handle)
	})
}
