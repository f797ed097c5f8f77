package sentinel

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// voteLeader grants our one vote per (master, epoch), first come first served, and
// returns whatever our vote for this master is, possibly from another epoch
// (C: sentinelVoteLeader).
func (s *Sentinel) voteLeader(m *instance, epoch uint64, runid string) (string, uint64) {
	if epoch > s.currentEpoch {
		s.currentEpoch = epoch
		s.flushConfig()
		s.epochEvent("+new-epoch", m, strconv.FormatUint(epoch, 10), epoch)
	}
	if m.leaderEpoch < epoch && s.currentEpoch <= epoch {
		m.leader = runid
		m.leaderEpoch = s.currentEpoch
		s.flushConfig()
		s.epochEvent("+vote-for-leader", m, fmt.Sprintf("%s %d", m.leader, m.leaderEpoch), m.leaderEpoch)
		if !strings.EqualFold(m.leader, s.myid) {
			// Voting for someone else holds our own attempt back for 2 x failover-timeout.
			m.failoverStartTime = s.now + int64(s.env.Rand.IntN(maxDesync))
		}
	}
	return m.leader, m.leaderEpoch
}

// getLeader tallies the votes of the current epoch, adds ours, and returns the winner if
// it has an absolute majority of all known sentinels and at least quorum votes
// (C: sentinelGetLeader). Ties go to the smallest run id: Redis picks whichever its hash
// table yields first.
func (s *Sentinel) getLeader(m *instance, epoch uint64) string {
	voters := len(m.sentinels) + 1
	counts := map[string]int{}
	for _, si := range m.sentinels {
		if si.leader != "" && si.leaderEpoch == s.currentEpoch {
			counts[si.leader]++
		}
	}
	winner, maxVotes := "", 0
	for _, id := range sortedKeys(counts) {
		if counts[id] > maxVotes {
			winner, maxVotes = id, counts[id]
		}
	}
	candidate := winner
	if candidate == "" {
		candidate = s.myid
	}
	myVote, voteEpoch := s.voteLeader(m, epoch, candidate)
	if myVote != "" && voteEpoch == epoch {
		counts[myVote]++
		if counts[myVote] > maxVotes {
			winner, maxVotes = myVote, counts[myVote]
		}
	}
	if winner != "" && (maxVotes < voters/2+1 || maxVotes < m.quorum) {
		return ""
	}
	return winner
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m { //determinism:ok the keys are sorted right after
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// startFailoverIfNeeded starts a failover of an ODOWN master unless one is running or
// the last attempt is less than 2 x failover-timeout old.
func (s *Sentinel) startFailoverIfNeeded(m *instance) bool {
	if !m.is(fODown) || m.is(fFailoverInProgress) {
		return false
	}
	if s.now-m.failoverStartTime < 2*m.failoverTimeout {
		if m.failoverDelayLogged != m.failoverStartTime {
			m.failoverDelayLogged = m.failoverStartTime
			next := time.Unix((m.failoverStartTime+2*m.failoverTimeout)/1000, 0).UTC()
			s.log(Warning, "Next failover delay: I will not start a failover before "+next.Format("Mon Jan _2 15:04:05 2006"))
		}
		return false
	}
	s.startFailover(m)
	return true
}

func (s *Sentinel) startFailover(m *instance) {
	m.failoverState = stateWaitStart
	m.failoverStateChange = s.now
	m.flags |= fFailoverInProgress
	s.currentEpoch++
	m.failoverEpoch = s.currentEpoch
	s.epochEvent("+new-epoch", m, strconv.FormatUint(s.currentEpoch, 10), s.currentEpoch)
	s.event(Warning, "+try-failover", m, "")
	m.failoverStartTime = s.now + int64(s.env.Rand.IntN(maxDesync))
	m.failoverStateChange = s.now
}

// failoverStateMachine advances a running failover by at most one state per tick.
func (s *Sentinel) failoverStateMachine(m *instance) {
	if !m.is(fFailoverInProgress) {
		return
	}
	switch m.failoverState {
	case stateWaitStart:
		s.failoverWaitStart(m)
	case stateSelectSlave:
		s.failoverSelectSlave(m)
	case stateSendSlaveofNoone:
		s.failoverSendSlaveOfNoOne(m)
	case stateWaitPromotion:
		if s.now-m.failoverStateChange > m.failoverTimeout {
			s.event(Warning, "-failover-abort-slave-timeout", m, "")
			s.abortFailover(m)
		}
	case stateReconfSlaves:
		s.reconfNextSlave(m)
	}
}

func (s *Sentinel) failoverWaitStart(m *instance) {
	leader := s.getLeader(m, m.failoverEpoch)
	if !strings.EqualFold(leader, s.myid) && !m.is(fForceFailover) {
		timeout := min(s.tun.electionTimeout, m.failoverTimeout)
		if s.now-m.failoverStartTime > timeout {
			s.event(Warning, "-failover-abort-not-elected", m, "")
			s.abortFailover(m)
		}
		return
	}
	s.event(Warning, "+elected-leader", m, "")
	if s.simFailure&simCrashAfterElection != 0 {
		s.crash()
		return
	}
	s.setFailoverState(m, stateSelectSlave)
	s.event(Warning, "+failover-state-select-slave", m, "")
}

func (s *Sentinel) setFailoverState(m *instance, state int) {
	m.failoverState = state
	m.failoverStateChange = s.now
}

func (s *Sentinel) failoverSelectSlave(m *instance) {
	r := s.selectSlave(m)
	if r == nil {
		s.event(Warning, "-failover-abort-no-good-slave", m, "")
		s.abortFailover(m)
		return
	}
	s.event(Warning, "+selected-slave", r, "")
	r.flags |= fPromoted
	m.promoted = r
	s.setFailoverState(m, stateSendSlaveofNoone)
	s.event(Notice, "+failover-state-send-slaveof-noone", r, "")
}

func (s *Sentinel) failoverSendSlaveOfNoOne(m *instance) {
	r := m.promoted
	if r.link.disconnected {
		if s.now-m.failoverStateChange > m.failoverTimeout {
			s.event(Warning, "-failover-abort-slave-timeout", m, "")
			s.abortFailover(m)
		}
		return
	}
	if !s.sendSlaveOf(r, nil) {
		return
	}
	s.event(Notice, "+failover-state-wait-promotion", r, "")
	s.setFailoverState(m, stateWaitPromotion)
}

// reconfNextSlave points up to parallel-syncs replicas at a time at the promoted one
// (C: sentinelFailoverReconfNextSlave), then checks whether the failover is over.
func (s *Sentinel) reconfNextSlave(m *instance) {
	inProgress := 0
	for _, r := range m.slaves {
		if r.is(fReconfSent | fReconfInprog) {
			inProgress++
		}
	}
	for _, r := range m.slaves {
		if inProgress >= m.parallelSyncs {
			break
		}
		if r.is(fPromoted | fReconfDone) {
			continue
		}
		if r.is(fReconfSent) && s.now-r.slaveReconfSentTime > s.tun.slaveReconfTimeout {
			s.event(Notice, "-slave-reconf-sent-timeout", r, "")
			r.flags &^= fReconfSent
			r.flags |= fReconfDone
		}
		if r.is(fReconfSent|fReconfInprog) || r.link.disconnected {
			continue
		}
		if s.sendSlaveOf(r, &m.promoted.addr) {
			r.flags |= fReconfSent
			r.slaveReconfSentTime = s.now
			s.event(Notice, "+slave-reconf-sent", r, "")
			inProgress++
		}
	}
	s.detectEnd(m)
}

// detectEnd ends the failover once every reachable replica is reconfigured, or at
// failover-timeout with best-effort SLAVEOFs to the rest.
func (s *Sentinel) detectEnd(m *instance) {
	if m.promoted == nil || m.promoted.is(fSDown) {
		return
	}
	elapsed := s.now - m.failoverStateChange
	notReconfigured := 0
	for _, r := range m.slaves {
		if !r.is(fPromoted|fReconfDone) && !r.is(fSDown) {
			notReconfigured++
		}
	}
	timeout := elapsed > m.failoverTimeout
	if timeout {
		notReconfigured = 0
		s.event(Warning, "+failover-end-for-timeout", m, "")
	}
	if notReconfigured == 0 {
		s.event(Warning, "+failover-end", m, "")
		s.setFailoverState(m, stateUpdateConfig)
	}
	if !timeout {
		return
	}
	for _, r := range m.slaves {
		if r.is(fPromoted|fReconfDone|fReconfSent) || r.link.disconnected {
			continue
		}
		if s.sendSlaveOf(r, &m.promoted.addr) {
			s.event(Notice, "+slave-reconf-sent-be", r, "")
			r.flags |= fReconfSent
		}
	}
}

// abortFailover gives up before the promotion was acknowledged; failoverStartTime stays,
// which holds the next attempt back.
func (s *Sentinel) abortFailover(m *instance) {
	m.flags &^= fFailoverInProgress | fForceFailover
	s.setFailoverState(m, stateNone)
	if m.promoted != nil {
		m.promoted.flags &^= fPromoted
		m.promoted = nil
	}
}

// switchToPromoted makes the promoted replica the master in our configuration.
func (s *Sentinel) switchToPromoted(m *instance) {
	ref := m.addr
	if m.promoted != nil {
		ref = m.promoted.addr
	}
	s.eventText(Warning, "+switch-master", m, fmt.Sprintf("%s %s %d %s %d", m.name, s.announceHost(m.addr), m.addr.port,
		s.announceHost(ref), ref.port))
	s.resetMasterAndChangeAddress(m, ref.hostname, ref.port)
}

// selectSlave picks the replica to promote: the usable ones, by priority, then
// replication offset, then run id (C: sentinelSelectSlave).
func (s *Sentinel) selectSlave(m *instance) *instance {
	maxMasterDown := 10 * m.downAfter
	if m.is(fSDown) {
		maxMasterDown += s.now - m.sDownSince
	}
	infoValidity := 3 * s.tun.infoPeriod
	if m.is(fSDown) {
		infoValidity = 5 * s.tun.pingPeriod
	}
	var candidates []*instance
	for _, r := range m.slaves {
		if r.is(fSDown|fODown) || r.link.disconnected || s.now-r.link.lastAvail > 5*s.tun.pingPeriod ||
			r.slavePriority == 0 || s.now-r.infoRefresh > infoValidity || r.masterLinkDownTime > maxMasterDown {
			continue
		}
		candidates = append(candidates, r)
	}
	if len(candidates) == 0 {
		return nil
	}
	sort.SliceStable(candidates, func(i, j int) bool { return slaveBefore(candidates[i], candidates[j]) })
	return candidates[0]
}

func slaveBefore(a, b *instance) bool {
	if a.slavePriority != b.slavePriority {
		return a.slavePriority < b.slavePriority
	}
	if a.slaveReplOffset != b.slaveReplOffset {
		return a.slaveReplOffset > b.slaveReplOffset
	}
	switch {
	case a.runid == "":
		return false
	case b.runid == "":
		return true
	}
	return strings.ToLower(a.runid) < strings.ToLower(b.runid)
}

// sendSlaveOf reconfigures an instance in one transaction that also rewrites its config
// and disconnects its clients so that they ask Sentinel again; replies are ignored.
// addr nil means SLAVEOF NO ONE.
func (s *Sentinel) sendSlaveOf(ri *instance, addr *address) bool {
	host, port := "NO", "ONE"
	if addr != nil {
		host, port = s.announceHost(*addr), strconv.Itoa(addr.port)
	}
	for _, args := range [][]string{
		{ri.command("MULTI")},
		{ri.command("SLAVEOF"), host, port},
		{ri.command("CONFIG"), "REWRITE"},
		{ri.command("CLIENT"), "KILL", "TYPE", "normal"},
		{ri.command("CLIENT"), "KILL", "TYPE", "pubsub"},
		{ri.command("EXEC")},
	} {
		if !s.send(ri, args, nil) {
			return false
		}
	}
	return true
}
