package sentinel

import (
	"fmt"
	"strconv"

	"github.com/sentinelsim/sentinelsim/resp"
)

// checkSubjectivelyDown decides SDOWN from the oldest unanswered PING, and force-closes
// links that look idle (C: sentinelCheckSubjectivelyDown).
func (s *Sentinel) checkSubjectivelyDown(ri *instance) {
	l := ri.link
	var elapsed int64
	if l.actPing != 0 {
		elapsed = s.now - l.actPing
	} else if l.disconnected {
		elapsed = s.now - l.lastAvail
	}
	if l.cc != nil && s.now-l.ccConnTime > s.tun.minLinkReconnectPeriod && l.actPing != 0 &&
		s.now-l.actPing > ri.downAfter/2 && s.now-l.lastPong > ri.downAfter/2 {
		l.closeCC()
	}
	if l.pc != nil && s.now-l.pcConnTime > s.tun.minLinkReconnectPeriod &&
		s.now-l.pcLastActivity > 3*s.tun.publishPeriod {
		l.closePC()
	}
	down := elapsed > ri.downAfter ||
		(ri.is(fMaster) && ri.roleReported == fSlave && s.now-ri.roleReportedTime > ri.downAfter+2*s.tun.infoPeriod) ||
		(ri.is(fMasterReboot) && s.now-ri.rebootSince > ri.rebootDownAfter)
	switch {
	case down && !ri.is(fSDown):
		s.event(Warning, "+sdown", ri, "")
		ri.sDownSince = s.now
		ri.flags |= fSDown
	case !down && ri.is(fSDown):
		s.event(Warning, "-sdown", ri, "")
		ri.flags &^= fSDown | fScriptKillSent
	}
}

// checkObjectivelyDown counts ourselves and the peers whose last answer said the master
// is down (C: sentinelCheckObjectivelyDown).
func (s *Sentinel) checkObjectivelyDown(m *instance) {
	odown := false
	votes := 0
	if m.is(fSDown) {
		votes = 1
		for _, si := range m.sentinels {
			if si.is(fMasterDown) {
				votes++
			}
		}
		odown = votes >= m.quorum
	}
	switch {
	case odown && !m.is(fODown):
		s.event(Warning, "+odown", m, fmt.Sprintf(" #quorum %d/%d", votes, m.quorum))
		m.flags |= fODown
		m.oDownSince = s.now
	case !odown && m.is(fODown):
		s.event(Warning, "-odown", m, "")
		m.flags &^= fODown
	}
}

// askMasterState sends SENTINEL is-master-down-by-addr to the peers while we see the
// master SDOWN, with our id when we are a candidate (C:
// sentinelAskMasterStateToOtherSentinels).
func (s *Sentinel) askMasterState(m *instance, forced bool) {
	for _, si := range m.sentinels {
		if s.now-si.lastMasterDownReplyTime > 5*s.tun.askPeriod {
			si.flags &^= fMasterDown
			si.leader = ""
		}
		if !m.is(fSDown) || si.link.disconnected {
			continue
		}
		if !forced && s.now-si.lastMasterDownReplyTime < s.tun.askPeriod {
			continue
		}
		candidate := "*"
		if m.failoverState > stateNone {
			candidate = s.myid
		}
		si := si
		s.send(si, []string{si.command("SENTINEL"), "is-master-down-by-addr", s.announceHost(m.addr),
			strconv.Itoa(m.addr.port), strconv.FormatUint(s.currentEpoch, 10), candidate},
			func(reply resp.Value) { s.masterDownReply(si, reply) })
	}
}

// masterDownReply accepts only [integer, bulk, integer]; anything else is ignored and the
// peer's opinion expires.
func (s *Sentinel) masterDownReply(si *instance, r resp.Value) {
	if r.Kind != resp.KindArray || len(r.Array) != 3 || r.Array[0].Kind != resp.KindInt ||
		r.Array[1].Kind != resp.KindBulk || r.Array[2].Kind != resp.KindInt {
		return
	}
	si.lastMasterDownReplyTime = s.now
	if r.Array[0].Int == 1 {
		si.flags |= fMasterDown
	} else {
		si.flags &^= fMasterDown
	}
	if leader := r.Array[1].Str; leader != "*" {
		epoch := uint64(r.Array[2].Int)
		if si.leaderEpoch != epoch {
			s.log(Warning, fmt.Sprintf("%s voted for %s %d", si.name, leader, epoch))
		}
		si.leader = leader
		si.leaderEpoch = epoch
	}
}

// isMasterDownByAddr answers a peer's SENTINEL is-master-down-by-addr: whether we see
// the master (found by address, not name) SDOWN, and our vote when one is requested.
func (s *Sentinel) isMasterDownByAddr(args []string) resp.Value {
	port, ok1 := parseInt(args[3])
	epoch, ok2 := parseInt(args[4])
	if !ok1 || !ok2 {
		return resp.Err("ERR value is not an integer or out of range")
	}
	runid := args[5]
	var m *instance
	if a, err := s.lenientAddress(args[2], int(port)); err == nil {
		for _, cand := range s.masters {
			if addrEqual(cand.addr, a) {
				m = cand
				break
			}
		}
	}
	isdown := int64(0)
	if !s.tilt && m != nil && m.is(fSDown) {
		isdown = 1
	}
	leader, leaderEpoch := "", uint64(0)
	if m != nil && runid != "*" {
		leader, leaderEpoch = s.voteLeader(m, uint64(epoch), runid)
	}
	if leader == "" {
		leader = "*"
	}
	return resp.Array(resp.Int(isdown), resp.Bulk(leader), resp.Int(int64(leaderEpoch)))
}
