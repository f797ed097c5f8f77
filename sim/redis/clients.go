package redis

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// CLIENT LIST, CLIENT INFO and CLIENT KILL, over the node's clients and, on a replica,
// the client of its link with the master.

// nextFD is the file descriptor a new connection gets: Redis's first is 7 (0 to 2 are
// stdio, then the log, the listening sockets and the event loop's), reused once free.
func (n *node) nextFD() int {
	used := map[int]bool{}
	for _, c := range n.clients {
		used[c.fd] = true
	}
	fd := 7
	for used[fd] {
		fd++
	}
	return fd
}

// clientType is getClientType: master, slave, pubsub or normal.
func (cl *client) clientType() string {
	switch {
	case cl.replica != nil:
		return "slave"
	case len(cl.channels)+len(cl.patterns) > 0:
		return "pubsub"
	}
	return "normal"
}

// clientInfo is catClientInfoString, with the memory and buffer sizes of a client with
// nothing pending.
func (n *node) clientInfo(cl *client) string {
	flags := ""
	if cl.replica != nil {
		flags += "S"
	}
	if len(cl.channels)+len(cl.patterns) > 0 {
		flags += "P"
	}
	if cl.inMulti {
		flags += "x"
	}
	if cl.closeAfterReply {
		flags += "c"
	}
	if flags == "" {
		flags = "N"
	}
	multi := -1
	if cl.inMulti {
		multi = len(cl.multi)
	}
	cmd := "NULL"
	if cl.lastCmd != nil {
		cmd = cl.lastCmd.name
	}
	now := n.p.Monotonic()
	return fmt.Sprintf("id=%d addr=%s:%d laddr=%s:%d fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 "+
		"multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=20512 events=r "+
		"cmd=%s user=%s redir=-1 resp=2", cl.id, cl.c.RemoteAddr(), cl.c.RemotePort(), n.p.Addr(), n.srv.port, cl.fd, cl.name,
		int64((now-cl.created)/time.Second), int64((now-cl.lastInteraction)/time.Second), flags, len(cl.channels),
		len(cl.patterns), multi, cmd, cl.user.name)
}

// masterInfo is the CLIENT LIST line of the link with the master, while it is up.
func (n *node) masterInfo() string {
	cmd := "NULL"
	if e := n.backlog.newest(); e != nil && e.offset > n.masterFrom {
		if c := n.lookupCommand(e.cmd); c != nil {
			cmd = c.name
		}
	}
	return fmt.Sprintf("id=%d addr=%s:%d laddr=%s:%d fd=%d name= age=0 idle=0 flags=M db=0 sub=0 psub=0 ssub=0 multi=-1 "+
		"qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=20512 events=r cmd=%s "+
		"user=(superuser) redir=-1 resp=2", n.masterClientID, n.masterHost, n.masterPort, n.masterConn.LocalAddr(),
		n.masterConn.LocalPort(), n.nextFD(), cmd)
}

// masterUp reports whether the node has a master client: its link is up.
func (n *node) masterUp() bool {
	return n.masterHost != "" && n.link == linkConnected && n.masterConn != nil
}

// clientList is CLIENT LIST [TYPE type | ID id [id ...]].
func (n *node) clientList(args []string) resp.Value {
	kind := ""
	var ids []int64
	switch {
	case len(args) == 4 && strings.EqualFold(args[2], "type"):
		switch kind = asciiLower(args[3]); kind {
		case "normal", "pubsub", "master", "slave":
		case "replica":
			kind = "slave"
		default:
			return resp.Err(errorLine(fmt.Sprintf("ERR Unknown client type '%s'", cstr(args[3]))))
		}
	case len(args) > 3 && strings.EqualFold(args[2], "id"):
		for _, a := range args[3:] {
			id, ok := string2ll(a)
			if !ok {
				return resp.Err("ERR Invalid client ID")
			}
			ids = append(ids, id)
		}
	case len(args) != 2:
		return errSyntax
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	if ids != nil {
		for _, id := range ids {
			for _, x := range n.clients {
				if x.id == id {
					line(n.clientInfo(x))
				}
			}
			if n.masterUp() && id == n.masterClientID {
				line(n.masterInfo())
			}
		}
		return resp.Bulk(b.String())
	}
	for _, x := range n.clients {
		if kind == "" || x.clientType() == kind {
			line(n.clientInfo(x))
		}
	}
	if n.masterUp() && (kind == "" || kind == "master") {
		line(n.masterInfo())
	}
	return resp.Bulk(b.String())
}

// clientKillCommand runs CLIENT KILL: the victims go once the reply is out (inside a
// transaction, once EXEC's is), a client that kills itself after its reply.
func (n *node) clientKillCommand(cl *client, args []string) resp.Value {
	victims, master, reply := n.clientKill(cl, args[2:])
	kill := func() {
		if master && n.masterConn != nil {
			n.linkLost(n.masterConn) // the master client is freed: the link is cached
		}
		for _, v := range victims {
			if v == cl {
				cl.closeAfterReply = true // a client that kills itself gets the reply first
			} else {
				v.kill()
			}
		}
	}
	if cl.inExec {
		cl.afterExec = append(cl.afterExec, kill)
	} else {
		kill()
	}
	return reply
}

// clientKill is CLIENT KILL addr | CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR
// addr] [USER user] [SKIPME yes|no]: it returns the clients to kill, whether the link with
// the master (the master client, while the link is up) is one of them, and the reply.
func (n *node) clientKill(cl *client, args []string) (victims []*client, master bool, reply resp.Value) {
	var addr, laddr *string
	var user *aclUser
	kind, id, skipme := "", int64(0), true
	if len(args) == 1 {
		addr, skipme = &args[0], false // the old form, which may kill the caller
	} else {
		for i := 0; i < len(args); i += 2 {
			if i+1 >= len(args) {
				return nil, false, errSyntax
			}
			v := args[i+1]
			switch asciiLower(args[i]) {
			case "id":
				x, ok := string2ll(v)
				if !ok || x < 1 {
					return nil, false, resp.Err("ERR client-id should be greater than 0")
				}
				id = x
			case "type":
				switch kind = asciiLower(v); kind {
				case "normal", "pubsub", "master", "slave":
				case "replica":
					kind = "slave"
				default:
					return nil, false, resp.Err(errorLine(fmt.Sprintf("ERR Unknown client type '%s'", cstr(v))))
				}
			case "addr":
				addr = &args[i+1]
			case "laddr":
				laddr = &args[i+1]
			case "user":
				if user = n.users[v]; user == nil {
					return nil, false, resp.Err(errorLine(fmt.Sprintf("ERR No such user '%s'", cstr(v))))
				}
			case "skipme":
				switch asciiLower(v) {
				case "yes":
					skipme = true
				case "no":
					skipme = false
				default:
					return nil, false, errSyntax
				}
			default:
				return nil, false, errSyntax
			}
		}
	}
	local := fmt.Sprintf("%s:%d", n.p.Addr(), n.srv.port)
	for _, x := range n.clients {
		switch {
		case addr != nil && fmt.Sprintf("%s:%d", x.c.RemoteAddr(), x.c.RemotePort()) != *addr:
		case laddr != nil && local != *laddr:
		case kind != "" && x.clientType() != kind:
		case id != 0 && x.id != id:
		case user != nil && x.user != user:
		case skipme && x == cl:
		default:
			victims = append(victims, x)
		}
	}
	// The master client is the superuser's: a USER filter never matches it.
	if n.masterUp() && (id == 0 || id == n.masterClientID) && (kind == "" || kind == "master") && user == nil &&
		(addr == nil || *addr == fmt.Sprintf("%s:%d", n.masterHost, n.masterPort)) &&
		(laddr == nil || *laddr == fmt.Sprintf("%s:%d", n.masterConn.LocalAddr(), n.masterConn.LocalPort())) {
		master = true
	}
	killed := len(victims)
	if master {
		killed++
	}
	if len(args) == 1 {
		if killed == 0 {
			return nil, false, resp.Err("ERR No such client")
		}
		return victims, master, resp.OK
	}
	return victims, master, resp.Int(int64(killed))
}
