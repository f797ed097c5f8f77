package sentinel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// sendHello publishes who we are and what we believe the master's address and config
// epoch are, on the command connection of a master, replica or peer sentinel
// (C: sentinelSendHello).
func (s *Sentinel) sendHello(ri *instance) bool {
	m := ri.owner()
	maddr := currentMasterAddress(m)
	if ri.link.disconnected {
		return false
	}
	ip := s.announceIP
	if !s.announceIPSet {
		ip = ri.link.cc.LocalIP()
		if ip == "" {
			return false
		}
	}
	port := s.announcePort
	if port == 0 {
		port = s.conf.Port
	}
	payload := fmt.Sprintf("%s,%d,%s,%d,%s,%s,%d,%d", ip, port, s.myid, s.currentEpoch,
		m.name, s.announceHost(maddr), maddr.port, m.configEpoch)
	return s.send(ri, []string{ri.command("PUBLISH"), helloChannel, payload}, func(reply resp.Value) {
		if !reply.IsError() {
			ri.lastPubTime = s.now
		}
	})
}

// receiveHello handles a message on a master's or replica's Pub/Sub link; our own hellos
// come back too and are dropped.
func (s *Sentinel) receiveHello(ri *instance, msg resp.Value) {
	if msg.Kind != resp.KindArray || len(msg.Array) != 3 {
		return
	}
	for _, e := range msg.Array {
		if e.Kind != resp.KindBulk {
			return
		}
	}
	if msg.Array[0].Str != "message" || strings.Contains(msg.Array[2].Str, s.myid) {
		return
	}
	s.processHello(msg.Array[2].Str)
}

// processHello discovers peers, adopts a larger current epoch and a newer master
// configuration (C: sentinelProcessHelloMessage).
func (s *Sentinel) processHello(hello string) {
	tok := strings.Split(hello, ",")
	if len(tok) != 8 {
		return
	}
	m := s.masterByName(tok[4])
	if m == nil {
		return
	}
	port := atoi(tok[1])
	masterPort := atoi(tok[6])
	runid := tok[2]
	epoch := atou(tok[3])
	configEpoch := atou(tok[7])

	si := s.sentinelByAddr(m, tok[0], port, func(x *instance) bool { return x.runid == runid })
	if si == nil {
		removed := s.removeSentinels(m, func(x *instance) bool { return x.runid == runid })
		if removed > 0 {
			s.event(Notice, "+sentinel-address-switch", m, fmt.Sprintf(" ip %s port %d for %s", tok[0], port, runid))
		} else if other := s.sentinelByAddr(m, tok[0], port, nil); other != nil {
			s.event(Notice, "+sentinel-invalid-addr", other, "")
			obsolete := other.runid
			for _, mm := range s.masters {
				s.removeSentinels(mm, func(x *instance) bool { return x.runid == obsolete })
			}
		}
		if a, err := s.lenientAddress(tok[0], port); err == nil {
			si = s.addSentinel(m, runid, a)
		}
		if si != nil {
			if removed == 0 {
				s.event(Notice, "+sentinel", si, "")
			}
			s.shareLink(si)
			if removed > 0 {
				s.updateSentinelAddress(si)
			}
			s.flushConfig()
		}
	}
	if epoch > s.currentEpoch {
		s.currentEpoch = epoch
		s.flushConfig()
		s.epochEvent("+new-epoch", m, strconv.FormatUint(epoch, 10), epoch)
	}
	if si != nil && m.configEpoch < configEpoch {
		m.configEpoch = configEpoch
		if masterPort != m.addr.port || !s.addrEqualsHostname(m.addr, tok[5]) {
			s.event(Warning, "+config-update-from", si, "")
			s.eventText(Warning, "+switch-master", m, fmt.Sprintf("%s %s %d %s %d", m.name, s.announceHost(m.addr),
				m.addr.port, tok[5], masterPort))
			old := m.addr
			s.resetMasterAndChangeAddress(m, tok[5], masterPort)
			s.clientReconfigScript(m, "observer", old, m.addr)
		}
	}
	if si != nil {
		si.lastHelloTime = s.now
	}
}

// sentinelByAddr finds a sentinel record of m by address and, when match is not nil,
// by what match says of the record too (C: getSentinelRedisInstanceByAddrAndRunID).
func (s *Sentinel) sentinelByAddr(m *instance, host string, port int, match func(*instance) bool) *instance {
	a, err := s.lenientAddress(host, port)
	if err != nil {
		return nil
	}
	for _, si := range m.sentinels {
		if addrEqual(si.addr, a) && (match == nil || match(si)) {
			return si
		}
	}
	return nil
}

// forceHelloUpdate makes the next tick send hellos about m everywhere, so peers learn a
// new configuration at once.
func (s *Sentinel) forceHelloUpdate(m *instance) {
	push := func(ri *instance) {
		if ri.lastPubTime >= s.tun.publishPeriod+1 {
			ri.lastPubTime -= s.tun.publishPeriod + 1
		}
	}
	push(m)
	for _, r := range m.slaves {
		push(r)
	}
	for _, si := range m.sentinels {
		push(si)
	}
}

// resetMaster forgets what was learned about a master: replicas, optionally peers, flags
// and failover state (C: sentinelResetMaster).
func (s *Sentinel) resetMaster(m *instance, keepSentinels, generateEvent bool) {
	for _, r := range m.slaves {
		s.release(r)
	}
	m.slaves = nil
	if !keepSentinels {
		for _, si := range m.sentinels {
			s.release(si)
		}
		m.sentinels = nil
	}
	m.link.closeCC()
	m.link.closePC()
	m.flags &= fMaster
	m.leader = ""
	m.failoverState = stateNone
	m.failoverStateChange = 0
	m.failoverStartTime = 0
	m.promoted = nil
	m.runid = ""
	m.slaveMasterHost = ""
	m.link.actPing = s.now
	m.link.lastPing = 0
	m.link.lastAvail = s.now
	m.link.lastPong = s.now
	m.roleReportedTime = s.now
	m.roleReported = fMaster
	if generateEvent {
		s.event(Warning, "+reset-master", m, "")
	}
}

// resetMasterAndChangeAddress moves a master to a new address, if it resolves: every
// other known instance of the set, the old master included, becomes a replica record
// (C: sentinelResetMasterAndChangeAddress).
func (s *Sentinel) resetMasterAndChangeAddress(m *instance, host string, port int) {
	newAddr, err := s.makeAddress(host, port)
	if err != nil {
		return
	}
	var replicas []address
	for _, r := range m.slaves {
		if !addrEqual(r.addr, newAddr) {
			replicas = append(replicas, r.addr)
		}
	}
	if !addrEqual(newAddr, m.addr) {
		replicas = append(replicas, m.addr)
	}
	s.resetMaster(m, true, false)
	m.addr = newAddr
	m.oDownSince = 0
	m.sDownSince = 0
	for _, a := range replicas {
		if ra, err := s.lenientAddress(a.hostname, a.port); err == nil {
			if r := s.addSlave(m, ra); r != nil {
				s.event(Notice, "+slave", r, "")
			}
		}
	}
	s.flushConfig()
}
