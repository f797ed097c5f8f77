package sentinel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Command runs a client command that belongs to the Sentinel itself: SENTINEL, PUBLISH
// (the hello sink), INFO and ROLE. Connection-level commands (PING, AUTH, HELLO, CLIENT,
// SUBSCRIBE and friends, COMMAND, ACL, SHUTDOWN) are the driver's; anything else gets
// Redis's unknown-command error.
func (s *Sentinel) Command(args []string) resp.Value {
	if s.crashed || len(args) == 0 {
		return resp.Err("ERR unknown command")
	}
	s.now = s.env.Clock.NowMs()
	switch strings.ToLower(args[0]) {
	case "sentinel":
		if len(args) < 2 {
			return arityError("sentinel")
		}
		return s.sentinelCommand(args)
	case "publish":
		if len(args) != 3 {
			return arityError("publish")
		}
		if args[1] != helloChannel {
			return resp.Err("ERR Only HELLO messages are accepted by Sentinel instances.")
		}
		s.processHello(args[2])
		return resp.Int(1)
	case "info":
		return resp.Bulk(s.info(args[1:]))
	case "role":
		if len(args) != 1 {
			return arityError("role")
		}
		names := make([]string, len(s.masters))
		for i, m := range s.masters {
			names[i] = m.name
		}
		return resp.Array(resp.Bulk("sentinel"), resp.BulkArray(names...))
	}
	return UnknownCommand(args)
}

// UnknownCommand is Redis's error for a command that does not exist: the name and the
// first arguments, each cut to what fits in 128 bytes, newlines turned into blanks.
func UnknownCommand(args []string) resp.Value {
	var quoted strings.Builder
	for _, a := range args[1:] {
		if quoted.Len() >= 128 {
			break
		}
		fmt.Fprintf(&quoted, "'%s' ", cut(a, 128-quoted.Len()))
	}
	msg := fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", cut(args[0], 128), quoted.String())
	return resp.Err(noNewlines.Replace(msg))
}

// noNewlines keeps an error reply on one line, as Redis does with the arguments it
// quotes.
var noNewlines = strings.NewReplacer("\r", " ", "\n", " ")

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// bulkMap is a map of bulk strings: key, value, key, value...
func bulkMap(kv ...string) resp.Value {
	v := resp.BulkArray(kv...)
	return resp.Map(v.Array...)
}

func arityError(cmd string) resp.Value {
	return resp.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd))
}

// sentinelArity is the arity of each SENTINEL subcommand, counting the whole command;
// negative means "at least".
var sentinelArity = map[string]int{
	"help": 2, "masters": 2, "master": 3, "replicas": 3, "slaves": 3, "sentinels": 3, "myid": 2,
	"get-master-addr-by-name": 3, "is-master-down-by-addr": 6, "reset": 3, "failover": 3,
	"ckquorum": 3, "monitor": 6, "remove": 3, "set": -5, "config": -3, "flushconfig": 2,
	"info-cache": -3, "pending-scripts": 2, "simulate-failure": -3, "debug": -2,
}

func (s *Sentinel) sentinelCommand(args []string) resp.Value {
	sub := strings.ToLower(args[1])
	arity, ok := sentinelArity[sub]
	if !ok {
		return resp.Err(noNewlines.Replace(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", cut(args[1], 128))))
	}
	if (arity > 0 && len(args) != arity) || (arity < 0 && len(args) < -arity) {
		return resp.Err(fmt.Sprintf("ERR wrong number of arguments for 'sentinel|%s' command", sub))
	}
	switch sub {
	case "help":
		return sentinelHelp()
	case "masters":
		out := make([]resp.Value, len(s.masters))
		for i, m := range s.masters {
			out[i] = s.instanceMap(m)
		}
		return resp.Array(out...)
	case "myid":
		return resp.Bulk(s.myid)
	case "is-master-down-by-addr":
		return s.isMasterDownByAddr(args)
	case "reset":
		return resp.Int(int64(s.resetByPattern(args[2])))
	case "get-master-addr-by-name":
		m := s.masterByName(args[2])
		if m == nil {
			return resp.NullArray()
		}
		a := currentMasterAddress(m)
		return resp.BulkArray(s.announceHost(a), strconv.Itoa(a.port))
	case "monitor":
		return s.monitorCommand(args)
	case "flushconfig":
		return s.flushReply()
	case "config":
		return s.configCommand(args)
	case "info-cache":
		return s.infoCache(args[2:])
	case "pending-scripts":
		return s.pendingScripts()
	case "simulate-failure":
		return s.simulateFailure(args[2:])
	case "debug":
		return s.debugCommand(args[2:])
	}
	m := s.masterByName(args[2])
	if m == nil {
		return resp.Err("ERR No such master with that name")
	}
	switch sub {
	case "master":
		return s.instanceMap(m)
	case "replicas", "slaves":
		var out []resp.Value
		for _, r := range m.slaves {
			if r.replicaAnnounced {
				out = append(out, s.instanceMap(r))
			}
		}
		return resp.Array(out...)
	case "sentinels":
		out := make([]resp.Value, len(m.sentinels))
		for i, si := range m.sentinels {
			out[i] = s.instanceMap(si)
		}
		return resp.Array(out...)
	case "failover":
		return s.failoverCommand(m)
	case "ckquorum":
		return s.ckquorum(m)
	case "remove":
		s.event(Warning, "-monitor", m, "")
		s.removeMaster(m)
		return s.flushReply()
	}
	return s.setCommand(m, args[3:])
}

func sentinelHelp() resp.Value {
	lines := []string{
		"SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CKQUORUM <master-name>",
		"    Check if the current Sentinel configuration is able to reach the quorum",
		"    needed to failover a master and the majority needed to authorize the",
		"    failover.",
		"CONFIG SET <param> <value>",
		"    Set a global Sentinel configuration parameter.",
		"CONFIG GET <param>",
		"    Get global Sentinel configuration parameter.",
		"DEBUG [<param> <value> ...]",
		"    Show a list of configurable time parameters and their values (milliseconds).",
		"    Or update current configurable parameters values (one or more).",
		"GET-MASTER-ADDR-BY-NAME <master-name>",
		"    Return the ip and port number of the master with that name.",
		"FAILOVER <master-name>",
		"    Manually failover a master node without asking for agreement from other",
		"    Sentinels",
		"FLUSHCONFIG",
		"    Force Sentinel to rewrite its configuration on disk, including the current",
		"    Sentinel state.",
		"INFO-CACHE <master-name>",
		"    Return last cached INFO output from masters and all its replicas.",
		"IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
		"    Check if the master specified by ip:port is down from current Sentinel's",
		"    point of view.",
		"MASTER <master-name>",
		"    Show the state and info of the specified master.",
		"MASTERS",
		"    Show a list of monitored masters and their state.",
		"MONITOR <name> <ip> <port> <quorum>",
		"    Start monitoring a new master with the specified name, ip, port and quorum.",
		"MYID",
		"    Return the ID of the Sentinel instance.",
		"PENDING-SCRIPTS",
		"    Get pending scripts information.",
		"REMOVE <master-name>",
		"    Remove master from Sentinel's monitor list.",
		"REPLICAS <master-name>",
		"    Show a list of replicas for this master and their state.",
		"RESET <pattern>",
		"    Reset masters for specific master name matching this pattern.",
		"SENTINELS <master-name>",
		"    Show a list of Sentinel instances for this master and their state.",
		"SET <master-name> <option> <value> [<option> <value> ...]",
		"    Set configuration parameters for certain masters.",
		"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
		"    Simulate a Sentinel crash.",
		"HELP",
		"    Prints this help.",
	}
	out := make([]resp.Value, len(lines))
	for i, l := range lines {
		out[i] = resp.Simple(l)
	}
	return resp.Array(out...)
}

// instanceMap is the field map SENTINEL MASTER, REPLICAS and SENTINELS show.
func (s *Sentinel) instanceMap(ri *instance) resp.Value {
	var kv []string
	add := func(k string, v any) { kv = append(kv, k, fmt.Sprint(v)) }
	l := ri.link
	add("name", ri.name)
	add("ip", s.announceHost(ri.addr))
	add("port", ri.addr.port)
	add("runid", ri.runid)
	add("flags", s.flagString(ri))
	add("link-pending-commands", l.pending)
	add("link-refcount", l.refcount)
	if ri.is(fFailoverInProgress) {
		add("failover-state", failoverStateNames[ri.failoverState])
	}
	lastPingSent := int64(0)
	if l.actPing != 0 {
		lastPingSent = s.now - l.actPing
	}
	add("last-ping-sent", lastPingSent)
	add("last-ok-ping-reply", s.now-l.lastAvail)
	add("last-ping-reply", s.now-l.lastPong)
	if ri.is(fSDown) {
		add("s-down-time", s.now-ri.sDownSince)
	}
	if ri.is(fODown) {
		add("o-down-time", s.now-ri.oDownSince)
	}
	add("down-after-milliseconds", ri.downAfter)
	if ri.is(fMaster | fSlave) {
		refresh := int64(0)
		if ri.infoRefresh != 0 {
			refresh = s.now - ri.infoRefresh
		}
		add("info-refresh", refresh)
		role := "slave"
		if ri.roleReported == fMaster {
			role = "master"
		}
		add("role-reported", role)
		add("role-reported-time", s.now-ri.roleReportedTime)
	}
	if ri.is(fMaster) {
		add("config-epoch", ri.configEpoch)
		add("num-slaves", len(ri.slaves))
		add("num-other-sentinels", len(ri.sentinels))
		add("quorum", ri.quorum)
		add("failover-timeout", ri.failoverTimeout)
		add("parallel-syncs", ri.parallelSyncs)
		if ri.notificationScript != "" {
			add("notification-script", ri.notificationScript)
		}
		if ri.clientReconfigScript != "" {
			add("client-reconfig-script", ri.clientReconfigScript)
		}
	}
	if ri.is(fSlave) {
		add("master-link-down-time", ri.masterLinkDownTime)
		status := "err"
		if ri.slaveMasterLinkUp {
			status = "ok"
		}
		add("master-link-status", status)
		host := ri.slaveMasterHost
		if host == "" {
			host = "?"
		}
		add("master-host", host)
		add("master-port", ri.slaveMasterPort)
		add("slave-priority", ri.slavePriority)
		add("slave-repl-offset", ri.slaveReplOffset)
		announced := 0
		if ri.replicaAnnounced {
			announced = 1
		}
		add("replica-announced", announced)
	}
	if ri.is(fSentinel) {
		add("last-hello-message", s.now-ri.lastHelloTime)
		leader := ri.leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		add("voted-leader-epoch", ri.leaderEpoch)
	}
	return bulkMap(kv...)
}

func (s *Sentinel) flagString(ri *instance) string {
	var fl []string
	for _, f := range []struct {
		on   bool
		name string
	}{
		{ri.is(fSDown), "s_down"}, {ri.is(fODown), "o_down"}, {ri.is(fMaster), "master"},
		{ri.is(fSlave), "slave"}, {ri.is(fSentinel), "sentinel"}, {ri.link.disconnected, "disconnected"},
		{ri.is(fMasterDown), "master_down"}, {ri.is(fFailoverInProgress), "failover_in_progress"},
		{ri.is(fPromoted), "promoted"}, {ri.is(fReconfSent), "reconf_sent"},
		{ri.is(fReconfInprog), "reconf_inprog"}, {ri.is(fReconfDone), "reconf_done"},
		{ri.is(fForceFailover), "force_failover"}, {ri.is(fScriptKillSent), "script_kill_sent"},
	} {
		if f.on {
			fl = append(fl, f.name)
		}
	}
	return strings.Join(fl, ",")
}

func (s *Sentinel) flushReply() resp.Value {
	if !s.flushConfig() {
		return resp.Err("ERR Failed to save config file. Check server logs.")
	}
	return resp.OK
}

func (s *Sentinel) monitorCommand(args []string) resp.Value {
	quorum, ok := parseInt(args[5])
	if !ok {
		return resp.Err("ERR Invalid quorum")
	}
	port, ok := parseInt(args[4])
	if !ok {
		return resp.Err("ERR Invalid port")
	}
	if quorum <= 0 {
		return resp.Err("ERR Quorum must be 1 or greater.")
	}
	if _, err := s.resolve(args[3]); err != nil {
		return resp.Err("ERR Invalid IP address or hostname specified")
	}
	m, reason := s.addMaster(args[2], args[3], int(port), int(quorum))
	if m == nil {
		return resp.Err("ERR " + reason)
	}
	reply := s.flushReply()
	s.event(Warning, "+monitor", m, fmt.Sprintf(" quorum %d", m.quorum))
	return reply
}

func (s *Sentinel) removeMaster(m *instance) {
	for i, x := range s.masters {
		if x == m {
			s.masters = append(s.masters[:i], s.masters[i+1:]...)
			break
		}
	}
	for _, r := range m.slaves {
		s.release(r)
	}
	for _, si := range m.sentinels {
		s.release(si)
	}
	s.release(m)
}

func (s *Sentinel) resetByPattern(pattern string) int {
	n := 0
	for _, m := range s.masters {
		if m.name != "" && globMatch(pattern, m.name) {
			s.resetMaster(m, false, true)
			n++
		}
	}
	return n
}

func (s *Sentinel) failoverCommand(m *instance) resp.Value {
	if m.is(fFailoverInProgress) {
		return resp.Err("INPROG Failover already in progress")
	}
	if s.selectSlave(m) == nil {
		return resp.Err("NOGOODSLAVE No suitable replica to promote")
	}
	s.log(Warning, fmt.Sprintf("Executing user requested FAILOVER of '%s'", m.name))
	s.startFailover(m)
	m.flags |= fForceFailover
	return resp.OK
}

func (s *Sentinel) ckquorum(m *instance) resp.Value {
	voters := len(m.sentinels) + 1
	usable := 1
	for _, si := range m.sentinels {
		if !si.is(fSDown | fODown) {
			usable++
		}
	}
	noQuorum := usable < m.quorum
	noAuth := usable < voters/2+1
	if !noQuorum && !noAuth {
		return resp.Simple(fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", usable))
	}
	e := fmt.Sprintf("NOQUORUM %d usable Sentinels. ", usable)
	if noQuorum {
		e += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if noAuth {
		if noQuorum {
			e += ". "
		}
		e += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return resp.Err(e)
}

func (s *Sentinel) infoCache(names []string) resp.Value {
	var out []resp.Value
	entry := func(age int64, info string) resp.Value {
		v := resp.Null()
		if info != "" {
			v = resp.Bulk(info)
		}
		return resp.Array(resp.Int(age), v)
	}
	seen := map[*instance]bool{}
	for _, name := range names {
		m := s.masterByName(name)
		if m == nil || seen[m] {
			continue
		}
		seen[m] = true
		age := func(ri *instance) int64 {
			if m.infoRefresh == 0 {
				return 0 // Redis tests the master's refresh time here, for replicas too
			}
			return s.now - ri.infoRefresh
		}
		items := []resp.Value{entry(age(m), m.info)}
		for _, r := range m.slaves {
			items = append(items, entry(age(r), r.info))
		}
		out = append(out, resp.Bulk(m.name), resp.Array(items...))
	}
	return resp.Array(out...)
}

func (s *Sentinel) simulateFailure(opts []string) resp.Value {
	s.simFailure = 0
	for _, o := range opts {
		switch strings.ToLower(o) {
		case "crash-after-election":
			s.simFailure |= simCrashAfterElection
			s.log(Warning, "Failure simulation: this Sentinel will crash after being successfully elected as failover leader")
		case "crash-after-promotion":
			s.simFailure |= simCrashAfterPromotion
			s.log(Warning, "Failure simulation: this Sentinel will crash after promoting the selected replica to master")
		case "help":
			return resp.BulkArray("crash-after-election", "crash-after-promotion")
		default:
			return resp.Err("ERR Unknown failure simulation specified")
		}
	}
	return resp.OK
}

// debugParams are SENTINEL DEBUG's tunables, in the order it lists them.
func (s *Sentinel) debugParams() []struct {
	name string
	v    *int64
} {
	t := &s.tun
	return []struct {
		name string
		v    *int64
	}{
		{"info-period", &t.infoPeriod}, {"ping-period", &t.pingPeriod}, {"ask-period", &t.askPeriod},
		{"publish-period", &t.publishPeriod}, {"default-down-after", &t.defaultDownAfter},
		{"default-failover-timeout", &t.defaultFailoverTimeout}, {"tilt-trigger", &t.tiltTrigger},
		{"tilt-period", &t.tiltPeriod}, {"slave-reconf-timeout", &t.slaveReconfTimeout},
		{"min-link-reconnect-period", &t.minLinkReconnectPeriod}, {"election-timeout", &t.electionTimeout},
		{"script-max-runtime", &t.scriptMaxRuntime}, {"script-retry-delay", &t.scriptRetryDelay},
	}
}

func (s *Sentinel) debugCommand(args []string) resp.Value {
	params := s.debugParams()
	if len(args) == 0 {
		var kv []string
		for _, p := range params {
			kv = append(kv, strings.ToUpper(p.name), strconv.FormatInt(*p.v, 10))
		}
		return bulkMap(kv...)
	}
	for i := 0; i < len(args); i += 2 {
		var target *int64
		for _, p := range params {
			if strings.EqualFold(p.name, args[i]) {
				target = p.v
			}
		}
		if target == nil || i+1 >= len(args) {
			return resp.Err(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", args[i]))
		}
		v, ok := parseInt(args[i+1])
		if !ok || v <= 0 {
			return resp.Err(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[i+1], args[i]))
		}
		*target = v
	}
	return resp.OK
}

// globMatch is Redis's stringmatch: * ? [set] [^set] [a-z] and \ escapes, case-sensitive.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			end := strings.IndexByte(pattern[1:], ']')
			if end < 0 {
				return false
			}
			set := pattern[1 : end+1]
			not := strings.HasPrefix(set, "^")
			if not {
				set = set[1:]
			}
			match := false
			for i := 0; i < len(set); i++ {
				if i+2 < len(set) && set[i+1] == '-' {
					lo, hi := min(set[i], set[i+2]), max(set[i], set[i+2])
					match = match || (s[0] >= lo && s[0] <= hi)
					i += 2
					continue
				}
				match = match || set[i] == s[0]
			}
			if match == not {
				return false
			}
			s = s[1:]
			pattern = pattern[end+1:]
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || s[0] != pattern[0] {
				return false
			}
			s = s[1:]
		}
		pattern = pattern[1:]
	}
	return len(s) == 0
}
