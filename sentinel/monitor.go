package sentinel

import (
	"fmt"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// sendPeriodicCommands sends INFO, PING and hello to an instance when they are due
// (C: sentinelSendPeriodicCommands).
func (s *Sentinel) sendPeriodicCommands(ri *instance) {
	l := ri.link
	if l.disconnected || l.pending >= maxPendingCommands*l.refcount {
		return
	}
	infoPeriod := s.tun.infoPeriod
	if ri.is(fSlave) && (ri.master.is(fODown|fFailoverInProgress) || ri.masterLinkDownTime != 0) {
		infoPeriod = 1000
	}
	pingPeriod := min(ri.downAfter, s.tun.pingPeriod)
	if !ri.is(fSentinel) && (ri.infoRefresh == 0 || s.now-ri.infoRefresh > infoPeriod) {
		s.send(ri, []string{ri.command("INFO")}, func(reply resp.Value) {
			if reply.Kind == resp.KindBulk {
				s.refreshInfo(ri, reply.Str)
			}
		})
	}
	if s.now-l.lastPong > pingPeriod && s.now-l.lastPing > pingPeriod/2 {
		s.sendPing(ri)
	}
	if s.now-ri.lastPubTime > s.tun.publishPeriod {
		s.sendHello(ri)
	}
}

// sendPing sends a PING; actPing keeps the time of the oldest unanswered one.
func (s *Sentinel) sendPing(ri *instance) {
	l := ri.link
	ok := s.send(ri, []string{ri.command("PING")}, func(reply resp.Value) {
		s.pingReply(ri, l, reply)
	})
	if ok {
		l.lastPing = s.now
		if l.actPing == 0 {
			l.actPing = s.now
		}
	}
}

// pingReply: only PONG, LOADING and MASTERDOWN prove the instance alive; any reply
// proves the link works.
func (s *Sentinel) pingReply(ri *instance, l *link, reply resp.Value) {
	if reply.Kind == resp.KindSimple || reply.Kind == resp.KindError {
		switch {
		case strings.HasPrefix(reply.Str, "PONG"), strings.HasPrefix(reply.Str, "LOADING"),
			strings.HasPrefix(reply.Str, "MASTERDOWN"):
			l.lastAvail = s.now
			l.actPing = 0
			if strings.HasPrefix(reply.Str, "PONG") {
				ri.flags &^= fMasterReboot
			}
		case strings.HasPrefix(reply.Str, "BUSY") && ri.is(fSDown) && !ri.is(fScriptKillSent):
			s.send(ri, []string{ri.command("SCRIPT"), "KILL"}, nil)
			ri.flags |= fScriptKillSent // even if it could not be queued, as Redis does
		}
	}
	l.lastPong = s.now
}

// refreshInfo parses an INFO reply and acts on it (C: sentinelRefreshInstanceInfo).
func (s *Sentinel) refreshInfo(ri *instance, info string) {
	ri.info = info
	ri.masterLinkDownTime = 0
	var role flag
	for _, line := range strings.Split(info, "\r\n") {
		s.infoLine(ri, line, &role)
	}
	ri.infoRefresh = s.now

	if role != ri.roleReported {
		ri.roleReportedTime = s.now
		ri.roleReported = role
		if role == fSlave {
			ri.slaveConfChangeTime = s.now
		}
		sign := "-"
		if ri.flags&(fMaster|fSlave) == role {
			sign = "+"
		}
		name := "slave"
		if role == fMaster {
			name = "master"
		}
		s.event(Verbose, sign+"role-change", ri, fmt.Sprintf(" new reported role is %s", name))
	}
	if s.tilt {
		return
	}
	if ri.is(fSlave) && role == fMaster {
		s.slaveReportsMaster(ri)
	}
	if ri.is(fSlave) && role == fSlave {
		s.slaveReportsSlave(ri)
	}
}

// infoLine applies one INFO line (the parsing half: it runs even in TILT). Numbers are
// read the lenient C way (atoi, strtoull).
func (s *Sentinel) infoLine(ri *instance, line string, role *flag) {
	if len(line) >= 47 && strings.HasPrefix(line, "run_id:") {
		id := line[7:47]
		if ri.runid != "" && ri.runid != id {
			s.event(Notice, "+reboot", ri, "")
			if ri.is(fMaster) && ri.rebootDownAfter != 0 {
				ri.flags |= fMasterReboot
				ri.rebootSince = s.now
			}
		}
		ri.runid = id
	}
	if ri.is(fMaster) && len(line) >= 7 && strings.HasPrefix(line, "slave") && line[5] >= '0' && line[5] <= '9' {
		s.discoverReplica(ri, line)
	}
	if v, ok := strings.CutPrefix(line, "master_link_down_since_seconds:"); ok {
		ri.masterLinkDownTime = int64(atoi(v)) * 1000
	}
	if strings.HasPrefix(line, "role:master") {
		*role = fMaster
	} else if strings.HasPrefix(line, "role:slave") {
		*role = fSlave
	}
	if *role != fSlave {
		return
	}
	if v, ok := strings.CutPrefix(line, "master_host:"); ok {
		if ri.slaveMasterHost == "" || !strings.EqualFold(ri.slaveMasterHost, v) {
			ri.slaveMasterHost = v
			ri.slaveConfChangeTime = s.now
		}
	}
	if v, ok := strings.CutPrefix(line, "master_port:"); ok {
		if p := atoi(v); p != ri.slaveMasterPort {
			ri.slaveMasterPort = p
			ri.slaveConfChangeTime = s.now
		}
	}
	if v, ok := strings.CutPrefix(line, "master_link_status:"); ok {
		ri.slaveMasterLinkUp = strings.EqualFold(v, "up")
	}
	if v, ok := strings.CutPrefix(line, "slave_priority:"); ok {
		ri.slavePriority = atoi(v)
	}
	if v, ok := strings.CutPrefix(line, "slave_repl_offset:"); ok {
		ri.slaveReplOffset = int64(atou(v))
	}
	if v, ok := strings.CutPrefix(line, "replica_announced:"); ok {
		ri.replicaAnnounced = atoi(v) != 0
	}
}

// discoverReplica handles a "slaveN:" line of a master's INFO, in the new
// (ip=...,port=...) or the old (ip,port,state) format.
func (s *Sentinel) discoverReplica(m *instance, line string) {
	var ip, port string
	if strings.Contains(line, "ip=") {
		ip = field(line, "ip=")
		port = field(line, "port=")
	} else {
		_, rest, _ := strings.Cut(line, ":")
		parts := strings.Split(rest, ",")
		if len(parts) < 3 {
			return
		}
		ip, port = parts[0], parts[1]
	}
	// Looked up by its resolved address; if that fails it is created anyway, which
	// resolve-hostnames allows for a name that does not resolve (yet).
	p := atoi(port)
	if a, err := s.makeAddress(ip, p); err == nil && s.findSlave(m, a) != nil {
		return
	}
	a, err := s.lenientAddress(ip, p)
	if err != nil {
		return
	}
	if r := s.addSlave(m, a); r != nil {
		s.event(Notice, "+slave", r, "")
		s.flushConfig()
	}
}

// field is the text after key up to the next comma.
func field(line, key string) string {
	_, v, ok := strings.Cut(line, key)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, ",")
	return v
}

// slaveReportsMaster handles a replica whose INFO says role:master: either the promotion
// we asked for, or a replica to turn back.
func (s *Sentinel) slaveReportsMaster(ri *instance) {
	m := ri.master
	if ri.is(fPromoted) && m.is(fFailoverInProgress) && m.failoverState == stateWaitPromotion {
		m.configEpoch = m.failoverEpoch
		m.failoverState = stateReconfSlaves
		m.failoverStateChange = s.now
		s.flushConfig()
		s.event(Warning, "+promoted-slave", ri, "")
		if s.simFailure&simCrashAfterPromotion != 0 {
			s.crash()
			return
		}
		s.event(Warning, "+failover-state-reconf-slaves", m, "")
		s.clientReconfigScript(m, "leader", m.addr, ri.addr)
		s.forceHelloUpdate(m)
		return
	}
	wait := 4 * s.tun.publishPeriod
	if !ri.is(fPromoted) && s.masterLooksSane(m) && s.noDownFor(ri, wait) && s.now-ri.roleReportedTime > wait {
		if s.sendSlaveOf(ri, &m.addr) {
			s.event(Notice, "+convert-to-slave", ri, "")
		}
	}
}

// slaveReportsSlave fixes a replica that replicates from the wrong master and follows
// the progress of a reconfiguration.
func (s *Sentinel) slaveReportsSlave(ri *instance) {
	m := ri.master
	if ri.slaveMasterPort != m.addr.port || !s.addrEqualsHostname(m.addr, ri.slaveMasterHost) {
		wait := m.failoverTimeout
		if s.masterLooksSane(m) && s.noDownFor(ri, wait) && s.now-ri.slaveConfChangeTime > wait {
			if s.sendSlaveOf(ri, &m.addr) {
				s.event(Notice, "+fix-slave-config", ri, "")
			}
		}
	}
	if !ri.is(fReconfSent | fReconfInprog) {
		return
	}
	if ri.is(fReconfSent) && m.promoted != nil && ri.slaveMasterHost != "" &&
		s.addrEqualsHostname(m.promoted.addr, ri.slaveMasterHost) && ri.slaveMasterPort == m.promoted.addr.port {
		ri.flags &^= fReconfSent
		ri.flags |= fReconfInprog
		s.event(Notice, "+slave-reconf-inprog", ri, "")
	}
	if ri.is(fReconfInprog) && ri.slaveMasterLinkUp {
		ri.flags &^= fReconfInprog
		ri.flags |= fReconfDone
		s.event(Notice, "+slave-reconf-done", ri, "")
	}
}

// masterLooksSane: a master that says it is one, is not down, and answered INFO
// recently.
func (s *Sentinel) masterLooksSane(m *instance) bool {
	return m.is(fMaster) && m.roleReported == fMaster && !m.is(fSDown|fODown) &&
		s.now-m.infoRefresh < 2*s.tun.infoPeriod
}

// noDownFor: the latest down episode started more than ms ago. sDownSince is never
// cleared when SDOWN ends, so this does not mean "up for ms".
func (s *Sentinel) noDownFor(ri *instance, ms int64) bool {
	t := max(ri.sDownSince, ri.oDownSince)
	return t == 0 || s.now-t > ms
}
