package sentinel

import (
	"fmt"
	"strconv"
	"strings"
)

// flag is an instance flag (C: SRI_*). The bit values only order the "flags" field of
// SENTINEL MASTER, which lists them in its own fixed order.
type flag uint32

const (
	fMaster flag = 1 << iota
	fSlave
	fSentinel
	fSDown
	fODown
	fMasterDown // on a sentinel record: that peer says the master is down
	fFailoverInProgress
	fPromoted
	fReconfSent
	fReconfInprog
	fReconfDone
	fForceFailover
	fScriptKillSent
	fMasterReboot
)

// Failover states, in the order of the state machine (C: SENTINEL_FAILOVER_STATE_*).
const (
	stateNone = iota
	stateWaitStart
	stateSelectSlave
	stateSendSlaveofNoone
	stateWaitPromotion
	stateReconfSlaves
	stateUpdateConfig
)

var failoverStateNames = [...]string{"none", "wait_start", "select_slave", "send_slaveof_noone",
	"wait_promotion", "reconf_slaves", "update_config"}

// address is an instance address: the host as configured or announced, the ip it
// resolved to ("" when resolve-hostnames accepted an unresolvable name) and the port.
type address struct {
	hostname string
	ip       string
	port     int
}

// instance is a monitored master, one of its replicas, or another sentinel watching it
// (C: sentinelRedisInstance). Empty strings stand for C's NULL where the spec has one.
type instance struct {
	flags       flag
	name        string
	runid       string
	configEpoch uint64
	addr        address
	link        *link
	destroyed   bool // removed from its table; replies still in flight are discarded

	lastPubTime             int64
	lastHelloTime           int64
	lastMasterDownReplyTime int64
	sDownSince, oDownSince  int64
	downAfter               int64
	rebootDownAfter         int64
	rebootSince             int64
	infoRefresh             int64
	roleReported            flag
	roleReportedTime        int64
	slaveConfChangeTime     int64
	info                    string

	// Master only. Replicas and sentinels are kept in insertion order: Redis iterates
	// hash tables, whose order is effectively random; a fixed order keeps runs
	// reproducible (see DEVIATIONS.md).
	sentinels            []*instance
	slaves               []*instance
	quorum               int
	parallelSyncs        int
	authPass, authUser   string
	renames              []rename
	notificationScript   string
	clientReconfigScript string
	failoverTimeout      int64
	leader               string // also on sentinel records: the peer's last known vote
	leaderEpoch          uint64
	failoverEpoch        uint64
	failoverState        int
	failoverStateChange  int64
	failoverStartTime    int64
	failoverDelayLogged  int64
	promoted             *instance

	// Replica only.
	master              *instance
	masterLinkDownTime  int64
	slavePriority       int
	replicaAnnounced    bool
	slaveReconfSentTime int64
	slaveMasterHost     string
	slaveMasterPort     int
	slaveMasterLinkUp   bool
	slaveReplOffset     int64
}

// rename is one rename-command entry of a master.
type rename struct{ from, to string }

func (ri *instance) is(f flag) bool { return ri.flags&f != 0 }

// kind is "master", "slave" or "sentinel", as events print it.
func (ri *instance) kind() string {
	switch {
	case ri.is(fMaster):
		return "master"
	case ri.is(fSlave):
		return "slave"
	}
	return "sentinel"
}

// owner is the master an instance belongs to: itself for a master.
func (ri *instance) owner() *instance {
	if ri.is(fMaster) {
		return ri
	}
	return ri.master
}

// command maps a command name through the owning master's rename-command table.
func (ri *instance) command(name string) string {
	for _, r := range ri.owner().renames {
		if strings.EqualFold(r.from, name) {
			return r.to
		}
	}
	return name
}

// newInstance creates a record the way createSentinelRedisInstance does, without adding it
// to any table.
func (s *Sentinel) newInstance(name string, f flag, addr address, master *instance) *instance {
	now := s.now
	ri := &instance{
		flags:                   f,
		name:                    name,
		addr:                    addr,
		link:                    newLink(now),
		lastPubTime:             now,
		lastHelloTime:           now,
		lastMasterDownReplyTime: now,
		downAfter:               s.tun.defaultDownAfter,
		roleReported:            f & (fMaster | fSlave),
		roleReportedTime:        now,
		slaveConfChangeTime:     now,
		quorum:                  1,
		parallelSyncs:           1,
		failoverTimeout:         s.tun.defaultFailoverTimeout,
		master:                  master,
		slavePriority:           100,
		replicaAnnounced:        true,
	}
	if master != nil {
		ri.downAfter = master.downAfter
	}
	return ri
}

// addrKey is the key of a replica in its master's table: "ip:port", "[ip]:port" for
// IPv6, with the hostname instead of the ip when announce-hostnames is on.
func (s *Sentinel) addrKey(a address) string {
	host := s.announceHost(a)
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(a.port)
	}
	return host + ":" + strconv.Itoa(a.port)
}

// announceHost is the form of an address shown and sent to others.
func (s *Sentinel) announceHost(a address) string {
	if s.announceHostnames {
		return a.hostname
	}
	return a.ip
}

// describe is the "%@" prefix of events: "<kind> <name> <ip> <port>", followed for
// replicas and sentinels by " @ <master> <ip> <port>".
func (s *Sentinel) describe(ri *instance) string {
	d := fmt.Sprintf("%s %s %s %d", ri.kind(), ri.name, s.announceHost(ri.addr), ri.addr.port)
	if m := ri.master; m != nil {
		d += fmt.Sprintf(" @ %s %s %d", m.name, s.announceHost(m.addr), m.addr.port)
	}
	return d
}

// findSlave finds a replica of m by address.
func (s *Sentinel) findSlave(m *instance, a address) *instance {
	key := s.addrKey(a)
	for _, r := range m.slaves {
		if r.name == key {
			return r
		}
	}
	return nil
}

// addSlave creates a replica record of m at a; nil when one exists.
func (s *Sentinel) addSlave(m *instance, a address) *instance {
	if s.findSlave(m, a) != nil {
		return nil
	}
	r := s.newInstance(s.addrKey(a), fSlave, a, m)
	m.slaves = append(m.slaves, r)
	return r
}

// findSentinel finds a sentinel record of m by run id.
func findSentinel(m *instance, runid string) *instance {
	for _, si := range m.sentinels {
		if si.runid == runid {
			return si
		}
	}
	return nil
}

// addSentinel creates a sentinel record of m, named by its run id; nil when one exists.
func (s *Sentinel) addSentinel(m *instance, runid string, a address) *instance {
	if findSentinel(m, runid) != nil {
		return nil
	}
	si := s.newInstance(runid, fSentinel, a, m)
	si.runid = runid
	m.sentinels = append(m.sentinels, si)
	return si
}

// release drops a record's link reference and marks it destroyed.
func (s *Sentinel) release(ri *instance) {
	ri.destroyed = true
	if ri.is(fPromoted) && ri.master != nil && ri.master.promoted == ri {
		ri.master.promoted = nil
	}
	ri.link.refcount--
	if ri.link.refcount == 0 {
		ri.link.closeCC()
		ri.link.closePC()
	}
}

// removeSentinels destroys the sentinel records of m for which drop is true and returns
// how many there were.
func (s *Sentinel) removeSentinels(m *instance, drop func(*instance) bool) int {
	kept := m.sentinels[:0]
	n := 0
	for _, si := range m.sentinels {
		if drop(si) {
			s.release(si)
			n++
			continue
		}
		kept = append(kept, si)
	}
	m.sentinels = kept
	return n
}

// masterByName finds a monitored master by name.
func (s *Sentinel) masterByName(name string) *instance {
	for _, m := range s.masters {
		if m.name == name {
			return m
		}
	}
	return nil
}

// currentMasterAddress is the promoted replica's address once a failover reached
// RECONF_SLAVES, else the master's (C: sentinelGetCurrentMasterAddress).
func currentMasterAddress(m *instance) address {
	if m.is(fFailoverInProgress) && m.promoted != nil && m.failoverState >= stateReconfSlaves {
		return m.promoted.addr
	}
	return m.addr
}
