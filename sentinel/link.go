package sentinel

import (
	"fmt"
	"github.com/sentinelsim/sentinelsim/resp"
)

const helloChannel = "__sentinel__:hello"

// link is the pair of connections to an instance with their liveness clocks
// (C: instanceLink). Sentinel peers have no Pub/Sub connection; a peer watching several
// masters shares one link among its records.
type link struct {
	refcount       int
	disconnected   bool
	cc, pc         Conn
	pending        int
	ccConnTime     int64
	pcConnTime     int64
	pcLastActivity int64
	lastAvail      int64
	actPing        int64 // oldest unanswered PING; 0 when none is outstanding
	lastPing       int64
	lastPong       int64
	lastReconn     int64
}

func newLink(now int64) *link {
	// actPing starts at now so that an instance that never answers still times out.
	return &link{refcount: 1, disconnected: true, lastAvail: now, actPing: now, lastPong: now}
}

func (l *link) closeCC() {
	if l.cc == nil {
		return
	}
	cc := l.cc
	l.cc = nil
	l.pending = 0
	l.disconnected = true
	cc.Close()
}

func (l *link) closePC() {
	if l.pc == nil {
		return
	}
	pc := l.pc
	l.pc = nil
	l.disconnected = true
	pc.Close()
}

// send queues a command on ri's command connection (see sendOn).
func (s *Sentinel) send(ri *instance, args []string, onReply func(resp.Value)) bool {
	return s.sendOn(ri, ri.link.cc, args, onReply)
}

// sendOn queues a command on one connection of ri's link and counts it pending on the
// link, whichever connection it goes out on. onReply, if not nil, runs only for a real
// reply on a record that still exists. A command whose reply is discarded (onReply nil:
// AUTH, CLIENT SETNAME, SCRIPT KILL, the SLAVEOF transaction) is uncounted even when
// its connection is lost rather than closed by us, as Redis's discard callback
// decrements for the NULL reply hiredis gives it then; the others are not.
func (s *Sentinel) sendOn(ri *instance, c Conn, args []string, onReply func(resp.Value)) bool {
	l := ri.link
	if s.crashed || c == nil {
		return false
	}
	err := c.Send(args, func(reply resp.Value, ok bool) {
		if s.crashed {
			return
		}
		// A connection we closed is no longer the link's by the time its callbacks
		// run; a lost one still is, until onDisconnect (see Transport).
		lost := !ok && (l.cc == c || l.pc == c)
		if !ok && !(lost && onReply == nil) {
			return
		}
		l.pending--
		if !ok || ri.destroyed || onReply == nil {
			return
		}
		s.now = s.env.Clock.NowMs()
		onReply(reply)
	})
	if err != nil {
		return false
	}
	l.pending++
	return true
}

// reconnect opens the missing connections of an instance, at most once per ping period
// (C: sentinelReconnectInstance).
func (s *Sentinel) reconnect(ri *instance) {
	l := ri.link
	if !l.disconnected || ri.addr.port == 0 || s.now-l.lastReconn < s.tun.pingPeriod {
		return
	}
	l.lastReconn = s.now
	if l.cc == nil {
		if s.resolveHostnames && ri.addr.hostname != "" {
			if ip, err := s.resolve(ri.addr.hostname); err == nil {
				ri.addr.ip = ip
			}
		}
		cc, err := s.dial(ri, true)
		if err != nil {
			s.event(Debug, "-cmd-link-reconnection", ri, fmt.Sprintf(" #%s", err))
		} else {
			l.pending = 0
			l.ccConnTime = s.now
			l.cc = cc
			s.authenticate(ri, cc)
			s.setName(ri, cc, "cmd")
			s.sendPing(ri)
		}
	}
	if ri.is(fMaster|fSlave) && l.pc == nil {
		pc, err := s.dial(ri, false)
		if err != nil {
			s.event(Debug, "-pubsub-link-reconnection", ri, fmt.Sprintf(" #%s", err))
		} else {
			l.pcConnTime = s.now
			l.pc = pc
			s.authenticate(ri, pc)
			s.setName(ri, pc, "pubsub")
			err := pc.Subscribe(ri.command("SUBSCRIBE"), helloChannel, func(msg resp.Value) {
				if s.crashed || l.pc != pc {
					return
				}
				s.now = s.env.Clock.NowMs()
				l.pcLastActivity = s.now
				if !ri.destroyed {
					s.receiveHello(ri, msg)
				}
			})
			if err != nil {
				l.closePC()
				return
			}
		}
	}
	if l.cc != nil && (ri.is(fSentinel) || l.pc != nil) {
		l.disconnected = false
	}
}

// dial opens a connection to ri. A connection that fails or drops clears its slot in
// the link and marks the link disconnected, as instanceLinkConnectionError does.
func (s *Sentinel) dial(ri *instance, command bool) (Conn, error) {
	l := ri.link
	host := ri.addr.ip
	if host == "" {
		host = ri.addr.hostname
	}
	var c Conn
	var err error
	c, err = s.env.Transport.Dial(Addr{Host: host, Port: ri.addr.port}, func(error) {
		if s.crashed {
			return
		}
		// Redis keeps the pending count of a lost connection until the next one
		// is opened (instanceLinkConnectionError).
		if command && l.cc == c {
			l.cc = nil
			l.disconnected = true
		}
		if !command && l.pc == c {
			l.pc = nil
			l.disconnected = true
		}
	})
	return c, err
}

// authenticate sends AUTH on a new connection when credentials apply: the master's for
// masters and replicas; for peers sentinel-user/sentinel-pass, else our requirepass.
func (s *Sentinel) authenticate(ri *instance, c Conn) {
	user, pass := "", ""
	if ri.is(fSentinel) {
		if s.sentinelPass != "" {
			user, pass = s.sentinelUser, s.sentinelPass
		} else {
			pass = s.requirePass
		}
	} else {
		user, pass = ri.owner().authUser, ri.owner().authPass
	}
	if pass == "" {
		return
	}
	args := []string{ri.command("AUTH"), pass}
	if user != "" {
		args = []string{ri.command("AUTH"), user, pass}
	}
	s.sendOn(ri, c, args, nil)
}

func (s *Sentinel) setName(ri *instance, c Conn, kind string) {
	s.sendOn(ri, c, []string{ri.command("CLIENT"), "SETNAME", "sentinel-" + s.myid[:8] + "-" + kind}, nil)
}

// shareLink points a sentinel record at the link of a record of the same peer under
// another master, so that one peer gets one PING stream (C: sentinelTryConnectionSharing).
func (s *Sentinel) shareLink(si *instance) {
	if si.runid == "" || si.link.refcount > 1 {
		return
	}
	for _, m := range s.masters {
		if m == si.master {
			continue
		}
		if other := findSentinel(m, si.runid); other != nil && other.link != si.link {
			si.link.refcount--
			if si.link.refcount == 0 {
				si.link.closeCC()
				si.link.closePC()
			}
			si.link = other.link
			si.link.refcount++
			return
		}
	}
}

// updateSentinelAddress propagates a peer's new address to its records under every
// master (C: sentinelUpdateSentinelAddressInAllMasters).
func (s *Sentinel) updateSentinelAddress(si *instance) {
	reconfigured := 0
	for _, m := range s.masters {
		other := findSentinel(m, si.runid)
		if other == nil {
			continue
		}
		other.link.closeCC()
		other.link.closePC()
		if other == si {
			continue
		}
		other.addr = si.addr
		reconfigured++
	}
	if reconfigured > 0 {
		s.event(Notice, "+sentinel-address-update", si, fmt.Sprintf(" %d additional matching instances", reconfigured))
	}
}
